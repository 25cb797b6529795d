//! Calls as the phone system (PBX) reports them over CTI: each event of a call's life
//! (ringing, answered, hung up) is folded into one [`CallRecord`].
//!
//! Events arrive twice, late or out of order (an answer before its `newCall`, a hang-up
//! without an answer). [`CallRecord::absorb`] is therefore a join: commutative,
//! associative and idempotent. Every field is the value of the event that wins a fixed
//! order (the earliest, ties broken by the event's content), or a set union, so the same
//! events give the same record whatever order they came in.

use crate::ids::AgentId;
use crate::phone::normalise_phone;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Longest call id, number, identity, queue or cause kept (longer ones are refused at the
/// hub's door; the fold truncates, so a record never grows without bound).
pub const MAX_CALL_TEXT: usize = 200;
/// Most identities one call rings (a group call to a whole floor is still one record).
pub const MAX_RUNG: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    In,
    Out,
}

/// What happened, in the names Zammad's generic CTI uses (`newCall`, `answer`, `hangup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CallEventKind {
    NewCall,
    Answer,
    Hangup,
}

/// One event as the hub took it in: the PBX's fields, the agents its identities name
/// (resolved by the hub when it arrived), and the hub's time of arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    pub kind: CallEventKind,
    pub call_id: String,
    pub direction: Option<CallDirection>,
    /// As the PBX sent it (may be `anonymous`, empty or a name).
    pub from: String,
    pub to: String,
    /// `user[]`: the identities the call rings (newCall) or that answered (answer).
    pub users: Vec<String>,
    pub queue: Option<String>,
    /// `cause` of a hang-up: normalClearing, busy, cancel, noAnswer, congestion, ...
    pub cause: Option<String>,
    /// `answeringNumber`: the extension or number that took the call.
    pub answering_number: Option<String>,
    /// The agents the identities name (`users`, and for an answer `answering_number`).
    pub agents: Vec<AgentId>,
    pub at: Timestamp,
}

/// One party's number: as sent, and in E.164 where it parses as a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CallNumber {
    pub raw: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e164: Option<String>,
}

impl CallNumber {
    /// `raw` as given; E.164 only when it is a phone number (`anonymous`, empty or letters
    /// stay without one: shown as an unknown number, never a lookup error).
    pub fn parse(raw: &str, region: &str) -> CallNumber {
        let raw = truncate(raw.trim());
        let looks_like_number = !raw.is_empty()
            && raw.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c))
            && raw.chars().any(|c| c.is_ascii_digit());
        let e164 = looks_like_number.then(|| normalise_phone(&raw, region).ok()).flatten().map(String::from);
        CallNumber { raw, e164 }
    }
}

/// A call as the hub knows it from the events it received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub call_id: String,
    pub direction: CallDirection,
    pub from: CallNumber,
    pub to: CallNumber,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The identities the call rang, as the PBX named them (sorted, unique).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rung_identities: Vec<String>,
    /// The agents those identities name (sorted, unique).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rung: Vec<AgentId>,
    /// Who answered: the agent of the first answer, if its identity names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<AgentId>,
    /// The identity that answered (`answeringNumber`, else the answer's `user[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_identity: Option<String>,
    /// When the hub first heard of the call (any event).
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Which event the direction, numbers and queue come from: a `newCall` beats the
    /// others, then the earliest. Kept so the next event can be compared with it.
    pub basis: CallBasis,
}

/// The order key of the event a record's direction, numbers and queue come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallBasis {
    /// 0 for a newCall, 1 for the others.
    pub rank: u8,
    pub at: Timestamp,
    /// The event's content, to break ties between events of the same time.
    pub tie: String,
}

impl CallRecord {
    /// The record of a call known from this one event.
    pub fn from_event(event: &CallEvent, region: &str) -> CallRecord {
        let mut record = CallRecord {
            call_id: truncate(&event.call_id),
            direction: CallDirection::In,
            from: CallNumber::default(),
            to: CallNumber::default(),
            queue: None,
            rung_identities: Vec::new(),
            rung: Vec::new(),
            answered_by: None,
            answered_identity: None,
            started_at: event.at,
            answered_at: None,
            ended_at: None,
            cause: None,
            basis: CallBasis { rank: u8::MAX, at: event.at, tie: String::new() },
        };
        record.absorb(event, region);
        record
    }

    /// Folds one more event in. The result depends only on the set of events absorbed,
    /// never on their order or on repeats.
    pub fn absorb(&mut self, event: &CallEvent, region: &str) {
        self.started_at = self.started_at.min(event.at);
        let basis =
            CallBasis { rank: u8::from(event.kind != CallEventKind::NewCall), at: event.at, tie: tie_key(event) };
        if basis < self.basis {
            self.direction = event.direction.unwrap_or(CallDirection::In);
            self.from = CallNumber::parse(&event.from, region);
            self.to = CallNumber::parse(&event.to, region);
            self.queue = event.queue.as_deref().map(truncate).filter(|q| !q.is_empty());
            self.basis = basis;
        }
        match event.kind {
            CallEventKind::NewCall => {
                merge_sorted(&mut self.rung_identities, event.users.iter().map(|u| truncate(u)), MAX_RUNG);
                merge_sorted(&mut self.rung, event.agents.iter().copied(), MAX_RUNG);
            }
            CallEventKind::Answer => {
                let identity = event
                    .answering_number
                    .as_deref()
                    .or(event.users.first().map(String::as_str))
                    .map(truncate)
                    .filter(|i| !i.is_empty());
                let candidate = (event.at, identity.clone(), event.agents.first().copied());
                let current = self.answered_at.map(|at| (at, self.answered_identity.clone(), self.answered_by));
                if current.as_ref().is_none_or(|c| earlier(&candidate, c)) {
                    self.answered_at = Some(event.at);
                    self.answered_identity = identity;
                    self.answered_by = event.agents.first().copied();
                }
            }
            CallEventKind::Hangup => {
                let cause = event.cause.as_deref().map(truncate).filter(|c| !c.is_empty());
                let candidate = (event.at, cause.clone());
                let current = self.ended_at.map(|at| (at, self.cause.clone()));
                if current.as_ref().is_none_or(|c| candidate < *c) {
                    self.ended_at = Some(event.at);
                    self.cause = cause;
                }
            }
        }
    }

    /// An inbound call that ended without anyone answering it.
    pub fn is_missed(&self) -> bool {
        self.direction == CallDirection::In && self.answered_at.is_none() && self.ended_at.is_some()
    }

    /// Still ringing: not answered, not ended.
    pub fn is_ringing(&self) -> bool {
        self.answered_at.is_none() && self.ended_at.is_none()
    }

    /// Seconds from answer to hang-up, once both are known.
    pub fn talk_seconds(&self) -> Option<u32> {
        let (answered, ended) = (self.answered_at?, self.ended_at?);
        Some(u32::try_from((ended.as_millis() - answered.as_millis()).max(0) / 1000).unwrap_or(u32::MAX))
    }

    /// The other party: the caller of an inbound call, the number called of an outbound one.
    pub fn other_party(&self) -> &CallNumber {
        match self.direction {
            CallDirection::In => &self.from,
            CallDirection::Out => &self.to,
        }
    }

    /// Whether `agent` was rung by the call or answered it.
    pub fn concerns(&self, agent: AgentId) -> bool {
        self.answered_by == Some(agent) || self.rung.binary_search(&agent).is_ok()
    }
}

fn earlier<A: Ord, B: Ord>(candidate: &(Timestamp, A, B), current: &(Timestamp, A, B)) -> bool {
    candidate.cmp(current) == Ordering::Less
}

fn tie_key(event: &CallEvent) -> String {
    let direction = match event.direction {
        Some(CallDirection::In) => "i",
        Some(CallDirection::Out) => "o",
        None => "-",
    };
    format!("{direction}\u{1f}{}\u{1f}{}\u{1f}{}", event.from, event.to, event.queue.as_deref().unwrap_or(""))
}

fn merge_sorted<T: Ord>(into: &mut Vec<T>, more: impl Iterator<Item = T>, cap: usize) {
    into.extend(more);
    into.sort();
    into.dedup();
    // The smallest ones stay: the same set is kept whatever order they came in.
    into.truncate(cap);
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_CALL_TEXT).collect()
}

/// How an identity the PBX sends is compared with an agent's: trimmed, case folded, and a
/// number reduced to its digits (so "+49 30 1234-201" and "49301234201" are one).
pub fn fold_identity(identity: &str) -> String {
    let trimmed = identity.trim();
    let is_number = !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c));
    if is_number { trimmed.chars().filter(char::is_ascii_digit).collect() } else { trimmed.to_lowercase() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: CallEventKind, at: i64) -> CallEvent {
        CallEvent {
            kind,
            call_id: "c-1".into(),
            direction: Some(CallDirection::In),
            from: "+49 30 1234567".into(),
            to: "+49 30 999".into(),
            users: vec!["Anna".into(), "Ben".into()],
            queue: Some("support".into()),
            cause: (kind == CallEventKind::Hangup).then(|| "normalClearing".into()),
            answering_number: (kind == CallEventKind::Answer).then(|| "201".into()),
            agents: vec![AgentId(uuid::Uuid::from_u128(7))],
            at: Timestamp::from_millis(at),
        }
    }

    #[test]
    fn every_order_and_repeat_gives_the_same_record() {
        let events = [
            event(CallEventKind::NewCall, 1_000),
            event(CallEventKind::Answer, 5_000),
            event(CallEventKind::Hangup, 65_000),
            CallEvent { users: vec!["Cleo".into()], ..event(CallEventKind::NewCall, 1_200) },
        ];
        let mut orders: Vec<Vec<usize>> = Vec::new();
        permutations(&mut vec![0, 1, 2, 3], 0, &mut orders);
        let fold = |order: &[usize]| {
            let mut record = CallRecord::from_event(&events[order[0]], "DE");
            for &i in &order[1..] {
                record.absorb(&events[i], "DE");
                record.absorb(&events[i], "DE");
            }
            record
        };
        let first = fold(&orders[0]);
        for order in &orders {
            assert_eq!(fold(order), first, "order {order:?}");
        }
        assert_eq!(first.from.e164.as_deref(), Some("+49301234567"));
        assert_eq!(first.rung_identities, ["Anna", "Ben", "Cleo"]);
        assert_eq!(first.talk_seconds(), Some(60));
        assert!(!first.is_missed());
    }

    fn permutations(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
        if k == items.len() {
            out.push(items.clone());
            return;
        }
        for i in k..items.len() {
            items.swap(k, i);
            permutations(items, k + 1, out);
            items.swap(k, i);
        }
    }

    #[test]
    fn a_hangup_without_answer_is_missed_and_a_late_answer_mends_it() {
        let mut record = CallRecord::from_event(&event(CallEventKind::Hangup, 9_000), "DE");
        assert!(record.is_missed());
        record.absorb(&event(CallEventKind::Answer, 3_000), "DE");
        assert!(!record.is_missed());
        assert_eq!(record.talk_seconds(), Some(6));
    }

    #[test]
    fn numbers_that_are_not_numbers_are_kept_as_sent() {
        for raw in ["anonymous", "", "Hotline", "+49 abc"] {
            let n = CallNumber::parse(raw, "DE");
            assert_eq!(n.e164, None, "{raw}");
            assert_eq!(n.raw, raw.trim());
        }
        assert_eq!(CallNumber::parse("030 1234567", "DE").e164.as_deref(), Some("+49301234567"));
    }

    #[test]
    fn identities_fold_case_and_number_notation() {
        assert_eq!(fold_identity(" Anna Schmidt "), "anna schmidt");
        assert_eq!(fold_identity("+49 30 1234-201"), "49301234201");
        assert_eq!(fold_identity("SIP/anna"), "sip/anna");
    }
}
