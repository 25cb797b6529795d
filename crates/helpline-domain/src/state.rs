//! The slice of the world `apply` reads. A store fills one with the entities a mutation
//! touches; tests and the hub's in-memory checks hold everything in one.

use crate::event::TicketEvent;
use crate::ids::*;
use crate::model::*;
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
