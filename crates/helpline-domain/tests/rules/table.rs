//! Table-driven cases: each case builds a fresh standard `World`, brings it into a
//! situation (`setup`), applies one mutation as one agent, and expects either success
//! (with a check of what changed) or a refusal of a given kind whose message contains
//! given fragments. A refusal must leave the state exactly as it was.

use super::fixture::*;
use helpline_domain::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a setup hands to the mutation and the check: the ticket, consult, article and
/// customer the case is about (unknown ids where the case has none).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub t: TicketId,
    pub c: ConsultId,
    pub a: KbArticleId,
    pub cust: CustomerId,
}

impl Ctx {
    pub fn none() -> Ctx {
        Ctx {
            t: TicketId(unknown(1)),
            c: ConsultId(unknown(2)),
            a: KbArticleId(unknown(3)),
            cust: CustomerId(unknown(4)),
        }
    }
    pub fn ticket(t: TicketId) -> Ctx {
        Ctx { t, ..Ctx::none() }
    }
    pub fn consult(t: TicketId, c: ConsultId) -> Ctx {
        Ctx { t, c, ..Ctx::none() }
    }
    pub fn article(a: KbArticleId) -> Ctx {
        Ctx { a, ..Ctx::none() }
    }
    pub fn ticket_article(t: TicketId, a: KbArticleId) -> Ctx {
        Ctx { t, a, ..Ctx::none() }
    }
    pub fn customer(cust: CustomerId) -> Ctx {
        Ctx { cust, ..Ctx::none() }
    }
}

/// What an accepted mutation is checked against.
#[derive(Debug)]
pub struct Check<'a> {
    pub w: &'a World,
    pub before: &'a State,
    pub ctx: &'a Ctx,
    pub changes: &'a [Change],
}

impl Check<'_> {
    /// The case's ticket after the mutation.
    pub fn ticket(&self) -> &Ticket {
        self.w.ticket(self.ctx.t)
    }
    /// The case's ticket before the mutation.
    pub fn ticket_before(&self) -> &Ticket {
        self.before.tickets.get(&self.ctx.t).expect("ticket existed before")
    }
    pub fn article(&self) -> &KbArticle {
        self.w.article(self.ctx.a)
    }
    pub fn customer(&self, id: CustomerId) -> &Customer {
        self.w.customer(id)
    }
    pub fn names(&self) -> Vec<&'static str> {
        event_names(self.changes)
    }
}

pub enum Expect {
    /// Applied; the function asserts what changed.
    Ok(fn(&Check<'_>)),
    /// Refused with this kind; the message contains every fragment.
    Err(ErrorKind, &'static [&'static str]),
}

pub struct Case {
    pub what: &'static str,
    pub who: Who,
    pub setup: fn(&mut World) -> Ctx,
    pub mutation: fn(&World, &Ctx) -> Mutation,
    pub expect: Expect,
}

/// A row of a table: (description, actor, setup, mutation, expectation).
pub fn case(
    what: &'static str,
    who: Who,
    setup: fn(&mut World) -> Ctx,
    mutation: fn(&World, &Ctx) -> Mutation,
    expect: Expect,
) -> Case {
    Case { what, who, setup, mutation, expect }
}

/// Setup for cases that need nothing beyond the standard world.
pub fn nothing(_: &mut World) -> Ctx {
    Ctx::none()
}

/// Runs every case (each on a fresh world) and reports all that fail, by description.
pub fn run(cases: Vec<Case>) {
    let mut seen = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(seen.insert(c.what), "two cases are called {:?}", c.what);
    }
    let mut failures = Vec::new();
    for c in &cases {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run_one(c))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("- {} ({:?}): {message}", c.what, c.who));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

fn run_one(c: &Case) {
    let mut w = World::standard();
    let ctx = (c.setup)(&mut w);
    let before = w.state.clone();
    let m = (c.mutation)(&w, &ctx);
    let result = w.try_apply(c.who, &m);
    match (&c.expect, result) {
        (Expect::Ok(check), Ok(changes)) => {
            if changes.is_empty() {
                assert_eq!(w.state, before, "no changes, yet the state differs");
            }
            check(&Check { w: &w, before: &before, ctx: &ctx, changes: &changes });
        }
        (Expect::Ok(_), Err(e)) => panic!("expected success, refused with {:?}: {e}", e.kind()),
        (Expect::Err(kind, _), Ok(changes)) => {
            panic!("expected a refusal ({kind:?}), but {} was applied: {changes:?}", m.name())
        }
        (Expect::Err(kind, fragments), Err(e)) => {
            assert_eq!(e.kind(), *kind, "wrong kind of refusal: {e}");
            let message = e.to_string();
            for f in *fragments {
                assert!(message.contains(f), "message {message:?} lacks {f:?}");
            }
            assert_eq!(w.state, before, "a refused mutation changed the state");
        }
    }
}
