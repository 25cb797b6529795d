//! The dashboard's call figures, from the call records this desktop holds (a supervisor's
//! pulls bring every call of the cache window): calls per hour, inbound and outbound,
//! answered and missed, talk time; and per agent, the calls they answered and missed.

use crate::dashboard::AgentFigures;
use helpline_domain::{AgentId, CallDirection, CallRecord, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

const HOUR_MS: i64 = 60 * 60 * 1000;

/// One hour of the period (from the period's start, which is a local day's start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CallHour {
    #[specta(type = i32)]
    pub hour_start: i64,
    pub answered: u32,
    pub missed: u32,
}

/// The calls that started in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
pub struct CallFigures {
    /// Every hour from the period's start to its end (or now).
    pub per_hour: Vec<CallHour>,
    pub inbound: u32,
    pub outbound: u32,
    /// Answered by anyone.
    pub answered: u32,
    /// Inbound calls that ended without anyone answering.
    pub missed: u32,
    /// From answer to hang-up, over the answered calls that ended.
    pub average_talk_seconds: Option<f64>,
}

fn mean(total: u64, n: u32) -> Option<f64> {
    (n > 0).then(|| total as f64 / f64::from(n))
}

/// The figures over `calls` started in `[from, to)`; hours run up to `to` (the period's
/// end, or just after now for a period that runs today).
pub fn compute_call_figures(calls: &[CallRecord], from: Timestamp, to: Timestamp) -> CallFigures {
    let (from, to) = (from.as_millis(), to.as_millis());
    let hours = usize::try_from((to - from + HOUR_MS - 1) / HOUR_MS).unwrap_or(0);
    let mut out = CallFigures {
        per_hour: (0..hours)
            .map(|h| CallHour { hour_start: from + h as i64 * HOUR_MS, answered: 0, missed: 0 })
            .collect(),
        ..CallFigures::default()
    };
    let (mut talk, mut talked) = (0u64, 0u32);
    for call in calls.iter().filter(|c| (from..to).contains(&c.started_at.as_millis())) {
        match call.direction {
            CallDirection::In => out.inbound += 1,
            CallDirection::Out => out.outbound += 1,
        }
        let hour = usize::try_from((call.started_at.as_millis() - from) / HOUR_MS).ok();
        let slot = hour.and_then(|h| out.per_hour.get_mut(h));
        if call.answered_at.is_some() {
            out.answered += 1;
            if let Some(slot) = slot {
                slot.answered += 1;
            }
        } else if call.is_missed() {
            out.missed += 1;
            if let Some(slot) = slot {
                slot.missed += 1;
            }
        }
        if let Some(seconds) = call.talk_seconds() {
            talk += u64::from(seconds);
            talked += 1;
        }
    }
    out.average_talk_seconds = mean(talk, talked);
    out
}

/// Adds each agent's calls to their figures: answered by them, missed (it rang them and
/// nobody answered), their mean talk time. An agent with calls and no tickets gets a row.
pub fn add_agent_call_figures(rows: &mut Vec<AgentFigures>, calls: &[&CallRecord]) {
    // answered, missed, talk seconds, calls with a talk time
    let mut by: BTreeMap<AgentId, (u32, u32, u64, u32)> = BTreeMap::new();
    for call in calls {
        if let Some(agent) = call.answered_by.filter(|_| call.answered_at.is_some()) {
            let e = by.entry(agent).or_default();
            e.0 += 1;
            if let Some(seconds) = call.talk_seconds() {
                e.2 += u64::from(seconds);
                e.3 += 1;
            }
        }
        if call.is_missed() {
            for agent in &call.rung {
                by.entry(*agent).or_default().1 += 1;
            }
        }
    }
    for (agent_id, (answered, missed, talk, talked)) in by {
        let row = match rows.iter().position(|r| r.agent_id == agent_id) {
            Some(i) => &mut rows[i],
            None => {
                rows.push(AgentFigures::empty(agent_id));
                rows.last_mut().expect("just pushed")
            }
        };
        row.calls_answered = answered;
        row.calls_missed = missed;
        row.average_talk_seconds = mean(talk, talked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpline_domain::{CallEvent, CallEventKind};

    fn event(kind: CallEventKind, call_id: &str, at: i64, agent: AgentId) -> CallEvent {
        CallEvent {
            kind,
            call_id: call_id.into(),
            direction: Some(CallDirection::In),
            from: "0301234567".into(),
            to: "4930999".into(),
            users: vec!["anna".into()],
            queue: None,
            cause: None,
            answering_number: None,
            agents: vec![agent],
            at: Timestamp::from_millis(at),
        }
    }

    #[test]
    fn calls_count_per_hour_and_per_agent() {
        let anna = AgentId::new_v7();
        let mut answered = CallRecord::from_event(&event(CallEventKind::NewCall, "a", 1_000, anna), "DE");
        answered.absorb(&event(CallEventKind::Answer, "a", 11_000, anna), "DE");
        answered.absorb(&event(CallEventKind::Hangup, "a", 71_000, anna), "DE");
        let mut missed = CallRecord::from_event(&event(CallEventKind::NewCall, "m", HOUR_MS + 5, anna), "DE");
        missed.absorb(&event(CallEventKind::Hangup, "m", HOUR_MS + 9_000, anna), "DE");
        let ringing = CallRecord::from_event(&event(CallEventKind::NewCall, "r", HOUR_MS + 7, anna), "DE");
        let before = CallRecord::from_event(&event(CallEventKind::NewCall, "b", -5, anna), "DE");
        let calls = [answered, missed, ringing, before];
        let f = compute_call_figures(&calls, Timestamp::from_millis(0), Timestamp::from_millis(2 * HOUR_MS));
        assert_eq!((f.inbound, f.outbound, f.answered, f.missed), (3, 0, 1, 1));
        assert_eq!(f.average_talk_seconds, Some(60.0));
        assert_eq!(
            f.per_hour,
            [
                CallHour { hour_start: 0, answered: 1, missed: 0 },
                CallHour { hour_start: HOUR_MS, answered: 0, missed: 1 }
            ]
        );
        let mut rows = Vec::new();
        add_agent_call_figures(&mut rows, &calls[..3].iter().collect::<Vec<_>>());
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].calls_answered, rows[0].calls_missed, rows[0].average_talk_seconds), (1, 1, Some(60.0)));
        assert_eq!(rows[0].calls, 0, "no tickets logged");
    }
}
