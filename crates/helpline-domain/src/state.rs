//! The slice of the world `apply` reads. A store fills one with the entities a mutation
//! touches; tests and the hub's in-memory checks hold everything in one.

use crate::event::TicketEvent;
use crate::ids::*;
use crate::model::*;
use crate::mutation::{Mutation, Touches};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub tickets: BTreeMap<TicketId, Ticket>,
    pub customers: BTreeMap<CustomerId, Customer>,
    pub kb_articles: BTreeMap<KbArticleId, KbArticle>,
    pub agents: BTreeMap<AgentId, Agent>,
    pub departments: BTreeSet<DepartmentId>,
    pub categories: BTreeSet<CategoryId>,
}

/// What applying a mutation changes: ticket events (the ticket's fields follow from
/// them), and whole new versions of customers and KB articles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Event(TicketEvent),
    Customer(Customer),
    KbArticle(KbArticle),
}

impl State {
    /// Folds changes into the state, exactly as a store persists them.
    pub fn absorb(&mut self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::Event(e) => {
                    let current = self.tickets.remove(&e.ticket_id);
                    if let Some(t) = Ticket::after_event(current, e) {
                        self.tickets.insert(t.id, t);
                    }
                }
                Change::Customer(c) => {
                    self.customers.insert(c.id, c.clone());
                }
                Change::KbArticle(a) => {
                    self.kb_articles.insert(a.id, a.clone());
                }
            }
        }
    }
}

/// Where a store keeps what `apply` reads. [`load_reads`] asks it for entities by id, so
/// that what a mutation reads is declared once, here, for the desktop and the hub alike.
pub trait StateSource {
    type Error;
    /// Adds the named entities that exist to `state` (absent ones are simply left out).
    fn load_entities(&mut self, wanted: &Touches, state: &mut State) -> Result<(), Self::Error>;
    /// Fills `state.departments` and `state.categories` with every id there is.
    fn load_reference_ids(&mut self, state: &mut State) -> Result<(), Self::Error>;
}

/// Loads into `state` everything `apply` reads for `mutations`: the entities they name
/// ([`Mutation::touches`]), then what those lead to ([`Touches::follow`]: an article's
/// source ticket, a ticket's assignee), asking the source for each id once.
pub fn load_reads<'a, S: StateSource>(
    source: &mut S,
    mutations: impl IntoIterator<Item = &'a Mutation>,
    state: &mut State,
) -> Result<(), S::Error> {
    let mut named = Touches::default();
    for m in mutations {
        named.extend(m.touches());
    }
    let mut seen = Touches::default();
    let mut wanted = named.clone().unseen(&mut seen);
    while !wanted.is_empty() {
        source.load_entities(&wanted, state)?;
        let reached =
            Touches { tickets: [named.tickets.as_slice(), seen.tickets.as_slice()].concat(), ..named.clone() };
        wanted = reached.follow(state).unseen(&mut seen);
    }
    source.load_reference_ids(state)
}
