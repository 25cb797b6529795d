//! Who may do what to a ticket or a KB article right now: one check per action, used by
//! `apply` (so the hub refuses) and by the desktop (so the window offers only what is
//! allowed). Checks here depend on the actor and the entity, never on the typed input.

use crate::error::{DomainError, ErrorCode};
use crate::lifecycle::{Via, check_transition, is_active};
use crate::model::*;
use serde::{Deserialize, Serialize};

macro_rules! action_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[derive(specta::Type)]
        $(#[$m])*
        pub enum $name { $($(#[$vm])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }
    };
}

action_enum!(
    /// What an agent can do to a ticket (the window shows a control for each one offered).
    TicketAction {
        AddNote,
        LogContact,
        ChangeStatus,
        SetFollowUp,
        Claim,
        Escalate,
        HandBack,
        HandOverToExpert,
        ReturnFromExpert,
        RequestConsult,
        AnswerConsult,
        Resolve,
        MarkCustomerInformed,
        Reopen,
        /// Answer the customer by e-mail (also on a resolved ticket: telling them is part of it).
        ReplyByEmail,
        /// Turn the solution into a KB draft (for a resolved ticket).
        DraftKbArticle,
    }
);

action_enum!(
    /// What an agent can do to a KB article.
    KbAction { Edit, Publish, Archive, FlagOutdated }
);

/// Supervisors and admins may do every ticket action.
pub(crate) fn is_lead(actor: &Actor) -> bool {
    matches!(actor.role, Role::Supervisor | Role::Admin)
}

pub(crate) fn require_role(actor: &Actor, roles: &[Role], action: &'static str) -> Result<(), DomainError> {
    if is_lead(actor) || roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(DomainError::Forbidden { role: actor.role, action })
    }
}

/// Whether the actor works at the ticket's level: first level at level 1 (second level
/// may help there), second level at level 2, the ticket's expert department at level 3.
pub(crate) fn require_worker(actor: &Actor, t: &Ticket, action: &'static str) -> Result<(), DomainError> {
    let allowed = is_lead(actor)
        || match t.level {
            Level::First => matches!(actor.role, Role::FirstLevel | Role::SecondLevel),
            Level::Second => actor.role == Role::SecondLevel,
            Level::Third => {
                actor.role == Role::Expert && actor.department_id.is_some() && actor.department_id == t.department_id
            }
        };
    if allowed { Ok(()) } else { Err(DomainError::Forbidden { role: actor.role, action }) }
}

pub(crate) fn require_active(t: &Ticket) -> Result<(), DomainError> {
    if is_active(t.status) {
        Ok(())
    } else {
        Err(DomainError::coded(
            ErrorCode::NeedsReopen,
            "status",
            format!("{} is {}; reopen it first", t.reference, t.status),
        ))
    }
}

pub(crate) fn require_level(t: &Ticket, level: Level, action: &str) -> Result<(), DomainError> {
    if t.level == level {
        Ok(())
    } else {
        Err(DomainError::coded(
            ErrorCode::NotPossibleNow,
            "level",
            format!("{} is at {}; only a ticket at {level} can {action}", t.reference, t.level),
        ))
    }
}

/// Whether the actor may answer a consult sent to `department`.
pub(crate) fn require_consultant(actor: &Actor, department: crate::DepartmentId) -> Result<(), DomainError> {
    let own_department = actor.role == Role::Expert && actor.department_id == Some(department);
    if own_department || is_lead(actor) {
        Ok(())
    } else {
        Err(DomainError::Forbidden { role: actor.role, action: "answer a consult for another department" })
    }
}

/// Whether `actor` may answer a consult sent to `department`.
pub fn may_answer_consult(actor: &Actor, department: crate::DepartmentId) -> bool {
    require_consultant(actor, department).is_ok()
}

/// Checks that `actor` may take `action` on `t` as it is now. `apply` runs the same
/// check before it looks at the mutation's input.
pub fn permit_ticket_action(actor: &Actor, t: &Ticket, action: TicketAction) -> Result<(), DomainError> {
    use TicketAction::*;
    match action {
        AddNote => Ok(()),
        LogContact => {
            if actor.role == Role::Expert {
                require_worker(actor, t, "log a contact on this ticket")?;
            }
            Ok(())
        }
        ChangeStatus => {
            require_worker(actor, t, "change this ticket's status")?;
            if Status::ALL.iter().any(|to| check_transition(t.status, *to, Via::Agent).is_ok()) {
                Ok(())
            } else {
                Err(DomainError::coded(
                    ErrorCode::NotPossibleNow,
                    "status",
                    format!("{} cannot change status by hand", t.status),
                ))
            }
        }
        SetFollowUp => {
            require_worker(actor, t, "set a follow-up on this ticket")?;
            require_active(t)
        }
        Claim => {
            require_active(t)?;
            require_worker(actor, t, "claim this ticket")
        }
        Escalate => {
            require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "escalate a ticket")?;
            require_active(t)?;
            require_level(t, Level::First, "escalate to second level")
        }
        HandBack => {
            require_role(actor, &[Role::SecondLevel], "hand a ticket back to first level")?;
            require_active(t)?;
            require_level(t, Level::Second, "hand back to first level")
        }
        HandOverToExpert => {
            require_role(actor, &[Role::SecondLevel], "hand a ticket over to an expert department")?;
            require_active(t)?;
            require_level(t, Level::Second, "hand over to an expert department")
        }
        ReturnFromExpert => {
            require_role(actor, &[Role::Expert], "return a ticket to second level")?;
            require_active(t)?;
            require_level(t, Level::Third, "return to second level")?;
            require_worker(actor, t, "return this ticket")
        }
        RequestConsult => {
            require_role(actor, &[Role::SecondLevel], "ask an expert department")?;
            require_active(t)?;
            require_level(t, Level::Second, "ask an expert department")?;
            if t.status != Status::WaitingExpert {
                check_transition(t.status, Status::WaitingExpert, Via::ConsultRequested)?;
            }
            Ok(())
        }
        AnswerConsult => {
            let mut open = t.open_consults().peekable();
            if open.peek().is_none() {
                return Err(DomainError::coded(
                    ErrorCode::NotPossibleNow,
                    "consult",
                    format!("{} has no open consult", t.reference),
                ));
            }
            let mut refusal = None;
            for c in open {
                match require_consultant(actor, c.department_id) {
                    Ok(()) => return Ok(()),
                    Err(e) => refusal = Some(e),
                }
            }
            Err(refusal.unwrap_or(DomainError::Forbidden { role: actor.role, action: "answer a consult" }))
        }
        Resolve => {
            require_worker(actor, t, "resolve this ticket")?;
            check_transition(t.status, Status::Resolved, Via::Resolve)
        }
        MarkCustomerInformed => {
            require_worker(actor, t, "record that the customer was informed")?;
            if is_active(t.status) {
                return Err(DomainError::coded(
                    ErrorCode::NotPossibleNow,
                    "status",
                    "the customer is informed once the ticket is resolved",
                ));
            }
            Ok(())
        }
        ReplyByEmail => require_worker(actor, t, "reply to the customer by e-mail"),
        Reopen => {
            require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "reopen a ticket")?;
            check_transition(t.status, Status::Open, Via::Reopen)
        }
        DraftKbArticle => {
            require_role(actor, &[Role::SecondLevel, Role::Expert], "write KB articles")?;
            if is_active(t.status) {
                return Err(DomainError::coded(
                    ErrorCode::NotPossibleNow,
                    "status",
                    "a KB article is drafted from a resolved ticket",
                ));
            }
            Ok(())
        }
    }
}

/// The ticket actions `actor` may take on `t` now, in the order of [`TicketAction::ALL`].
/// `Claim` is offered only when the ticket is not already the actor's.
pub fn ticket_actions(actor: &Actor, t: &Ticket) -> Vec<TicketAction> {
    TicketAction::ALL
        .iter()
        .copied()
        .filter(|a| permit_ticket_action(actor, t, *a).is_ok())
        .filter(|a| *a != TicketAction::Claim || t.assignee.is_none())
        .collect()
}

/// Every action `role` may take on some ticket, at some level and in some state: what a
/// ticket's action bar holds for that role (those that do not apply now disabled, so the
/// buttons never move). Derived from [`ticket_actions`] over every kind of ticket, so it
/// cannot drift from the rules.
pub fn role_ticket_actions(role: Role) -> Vec<TicketAction> {
    let department = crate::DepartmentId(uuid::Uuid::nil());
    let me = crate::AgentId(uuid::Uuid::nil());
    let colleague = crate::AgentId(uuid::Uuid::max());
    let actor = Actor { agent_id: me, role, department_id: (role == Role::Expert).then_some(department) };
    let Ok(reference) = crate::DeviceCode::parse("AA").and_then(|d| crate::Reference::new(d, 1)) else {
        return TicketAction::ALL.to_vec();
    };
    let template = Ticket {
        id: crate::TicketId(uuid::Uuid::nil()),
        reference,
        channel: Channel::Phone,
        customer_id: None,
        category_id: None,
        subject: String::new(),
        description: String::new(),
        priority: Priority::Normal,
        status: Status::Open,
        level: Level::First,
        department_id: None,
        assignee: None,
        created_by: colleague,
        created_at: crate::Timestamp::from_millis(0),
        updated_at: crate::Timestamp::from_millis(0),
        first_response_due: None,
        resolution_due: None,
        resolved_at: None,
        resolved_at_level: None,
        first_contact_resolution: false,
        follow_up_at: None,
        customer_informed_at: None,
        caller: None,
        calls: Vec::new(),
        email_replies: Vec::new(),
        email_mailbox: None,
        email_thread: Vec::new(),
        escalated: false,
        contacts: 1,
        consults: Vec::new(),
        kb_suggested: Vec::new(),
        history: Default::default(),
    };
    let open_consult = Consult {
        id: crate::ConsultId(uuid::Uuid::nil()),
        department_id: department,
        question: String::new(),
        requested_by: colleague,
        requested_at: crate::Timestamp::from_millis(0),
        answer: None,
        answered_by: None,
        answered_at: None,
    };
    let mut possible = std::collections::BTreeSet::new();
    for level in [Level::First, Level::Second, Level::Third] {
        for status in Status::ALL {
            for assignee in [None, Some(me), Some(colleague)] {
                for consult in [false, true] {
                    let t = Ticket {
                        status: *status,
                        level,
                        escalated: level != Level::First,
                        department_id: (level == Level::Third).then_some(department),
                        assignee,
                        consults: if consult { vec![open_consult.clone()] } else { Vec::new() },
                        ..template.clone()
                    };
                    possible.extend(ticket_actions(&actor, &t));
                }
            }
        }
    }
    TicketAction::ALL.iter().copied().filter(|a| possible.contains(a)).collect()
}

/// Checks that `actor` may take `action` on `article` as it is now (`None`: a new one).
pub fn permit_kb_action(actor: &Actor, article: Option<&KbArticle>, action: KbAction) -> Result<(), DomainError> {
    match action {
        KbAction::Edit => {
            require_role(actor, &[Role::SecondLevel, Role::Expert], "write KB articles")?;
            if actor.role == Role::Expert && article.is_some_and(|a| a.state != ArticleState::Draft) {
                return Err(DomainError::Forbidden {
                    role: actor.role,
                    action: "edit a published or archived article",
                });
            }
            Ok(())
        }
        KbAction::Publish => {
            require_role(actor, &[Role::SecondLevel], "publish KB articles")?;
            match article {
                Some(a) if a.title.trim().is_empty() || a.body.trim().is_empty() => Err(DomainError::coded(
                    ErrorCode::NotPossibleNow,
                    "article",
                    "an article needs a title and a body to be published",
                )),
                _ => Ok(()),
            }
        }
        KbAction::Archive => require_role(actor, &[Role::SecondLevel], "archive KB articles"),
        KbAction::FlagOutdated => match article {
            Some(a) if a.state != ArticleState::Published => Err(DomainError::coded(
                ErrorCode::NotPossibleNow,
                "state",
                "only a published article can be flagged as outdated",
            )),
            _ => Ok(()),
        },
    }
}

/// The KB actions `actor` may take on `article` now; an action that would change
/// nothing (publishing what is published) is not offered.
pub fn kb_actions(actor: &Actor, article: &KbArticle) -> Vec<KbAction> {
    KbAction::ALL
        .iter()
        .copied()
        .filter(|a| permit_kb_action(actor, Some(article), *a).is_ok())
        .filter(|a| match a {
            KbAction::Edit => true,
            KbAction::Publish => article.state != ArticleState::Published,
            KbAction::Archive => article.state != ArticleState::Archived,
            KbAction::FlagOutdated => !article.flagged_outdated,
        })
        .collect()
}
