//! The ticket's status state machine, in one pure function used by the desktop and the hub.

use crate::error::DomainError;
use crate::model::Status;

/// How a status change comes about. Most statuses are reached only through their own
/// action (a consult, a resolution with a summary, a reopen), never by a plain change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `change_status` by an agent.
    Agent,
    /// A consult was requested from an expert department.
    ConsultRequested,
    /// The last open consult was answered.
    ConsultAnswered,
    Resolve,
    Reopen,
}

/// Allowed transitions. Everything not listed is an error, never ignored.
pub fn check_transition(from: Status, to: Status, via: Via) -> Result<(), DomainError> {
    use Status::*;
    let allowed = match via {
        Via::Agent => matches!((from, to), (Open, WaitingCustomer) | (WaitingCustomer, Open) | (Resolved, Closed)),
        Via::ConsultRequested => matches!((from, to), (Open | WaitingCustomer, WaitingExpert)),
        Via::ConsultAnswered => matches!((from, to), (WaitingExpert, Open)),
        Via::Resolve => matches!((from, to), (Open | WaitingCustomer | WaitingExpert, Resolved)),
        Via::Reopen => matches!((from, to), (Resolved | Closed, Open)),
    };
    if allowed { Ok(()) } else { Err(DomainError::InvalidTransition { from, to }) }
}

/// A ticket that is still being worked on (not resolved or closed).
pub fn is_active(status: Status) -> bool {
    !matches!(status, Status::Resolved | Status::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    /// The full table: every (via, from, to) not listed here must be rejected.
    const ALLOWED: &[(Via, Status, Status)] = &[
        (Via::Agent, Open, WaitingCustomer),
        (Via::Agent, WaitingCustomer, Open),
        (Via::Agent, Resolved, Closed),
        (Via::ConsultRequested, Open, WaitingExpert),
        (Via::ConsultRequested, WaitingCustomer, WaitingExpert),
        (Via::ConsultAnswered, WaitingExpert, Open),
        (Via::Resolve, Open, Resolved),
        (Via::Resolve, WaitingCustomer, Resolved),
        (Via::Resolve, WaitingExpert, Resolved),
        (Via::Reopen, Resolved, Open),
        (Via::Reopen, Closed, Open),
    ];

    #[test]
    fn transition_table_is_exact() {
        let vias = [Via::Agent, Via::ConsultRequested, Via::ConsultAnswered, Via::Resolve, Via::Reopen];
        let mut allowed = 0;
        for via in vias {
            for &from in Status::ALL {
                for &to in Status::ALL {
                    let expected = ALLOWED.contains(&(via, from, to));
                    let got = check_transition(from, to, via);
                    assert_eq!(got.is_ok(), expected, "{via:?}: {from} -> {to}");
                    if let Err(e) = got {
                        assert_eq!(e.to_string(), format!("a ticket cannot go from {from} to {to}"));
                    }
                    allowed += usize::from(expected);
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
    }

    #[test]
    fn plain_changes_cannot_skip_the_dedicated_actions() {
        // resolving needs a summary, reopening a reason, waiting_expert a consult
        assert!(check_transition(Open, Resolved, Via::Agent).is_err());
        assert!(check_transition(Closed, Open, Via::Agent).is_err());
        assert!(check_transition(Open, WaitingExpert, Via::Agent).is_err());
        assert!(check_transition(Closed, Resolved, Via::Resolve).is_err(), "resolve a closed ticket");
        assert!(check_transition(Open, Closed, Via::Agent).is_err(), "close only what was resolved");
    }
}
