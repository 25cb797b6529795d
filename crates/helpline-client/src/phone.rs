//! The phone: calls the phone system reports (through the hub's stream, then pulls) as
//! the incoming-call banner and the call log, and dialling out through a `tel:` or `sip:`
//! URL, with the outbound call the phone system then reports linked to the ticket the
//! agent dialled from.

use crate::views::{DEFAULT_PHONE_REGION, TicketRow, invalid, millis};
use crate::{Desktop, HubApi, Result};
use helpline_domain::{
    Agent, CallDirection, CallRecord, CustomerId, ErrorCode, Mutation, TicketId, Timestamp, normalise_phone,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio::sync::broadcast;

/// What dialling opens unless the settings say otherwise: the operating system's phone
/// handler.
pub const DEFAULT_DIAL_TEMPLATE: &str = "tel:{number}";
/// The schemes a dial URL may have: a phone number for the OS or a softphone, nothing a
/// browser or a file manager would open.
const DIAL_SCHEMES: [&str; 3] = ["tel:", "sip:", "sips:"];
/// An outbound call the phone system reports this long after dialling (to that number,
/// by this agent) is linked to the ticket dialled from.
pub const DIAL_LINK_WINDOW_MS: i64 = 10 * 60 * 1000;
/// A call a pull brings (not the stream) is still announced when it started this
/// recently; older ones only go to the call log.
const ANNOUNCE_FROM_PULL_WITHIN_MS: i64 = 10 * 60 * 1000;
/// How many announced call changes wait for a slow listener.
const CALL_CHANNEL: usize = 64;
/// The dials waiting for their call record (kept in the store: a restart forgets none).
const PENDING_DIALS_KEY: &str = "pending_dials";
const LONGEST_TEMPLATE: usize = 200;
/// A call not ended after this long is taken for one whose hang-up the phone system never
/// sent: no longer shown as going on.
const ACTIVE_CALL_HOURS: i64 = 4;

/// Where a call stands for the signed-in agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// It rings (not answered, not ended).
    Ringing,
    AnsweredByMe,
    /// Someone else took it: the banner closes.
    AnsweredElsewhere,
    Ended,
}

/// Who is calling, looked up by the number (as the call form looks a caller up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CallerMatch {
    /// `None` when no customer has the number, but tickets were logged for it.
    pub customer_id: Option<CustomerId>,
    pub name: Option<String>,
    pub company: Option<String>,
    /// Other customers with the same number (the form offers the choice).
    pub more_customers: u32,
    pub open_tickets: Vec<TicketRow>,
}

/// A call of the signed-in agent as the banner and the call form show it (the
/// `call-changed` event's payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct IncomingCall {
    pub call_id: String,
    pub direction: CallDirection,
    /// The other party's number as the phone system sent it (may be `anonymous` or empty).
    pub number: String,
    /// In E.164 where it is a phone number; `None` is an unknown number.
    pub number_e164: Option<String>,
    /// `None`: nobody known has this number (or it is no number).
    pub caller: Option<CallerMatch>,
    pub state: CallState,
    /// Whether this agent answered it (also once it ended).
    pub answered_by_me: bool,
    #[specta(type = i32)]
    pub started_at: i64,
    #[specta(type = Option<i32>)]
    pub answered_at: Option<i64>,
    #[specta(type = Option<i32>)]
    pub ended_at: Option<i64>,
    /// From answer to hang-up, as the phone system timed it.
    pub talk_seconds: Option<u32>,
    pub queue: Option<String>,
    pub missed: bool,
}

/// A ticket logged for a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct LinkedTicket {
    pub id: TicketId,
    pub reference: String,
}

/// One call of the call log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CallLogRow {
    pub call_id: String,
    pub direction: CallDirection,
    /// The other party: the caller of an inbound call, the number called of an outbound one.
    pub number: String,
    pub number_e164: Option<String>,
    pub caller_name: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub queue: Option<String>,
    pub answered_by_name: Option<String>,
    pub answered_by_me: bool,
    #[specta(type = i32)]
    pub started_at: i64,
    #[specta(type = Option<i32>)]
    pub answered_at: Option<i64>,
    #[specta(type = Option<i32>)]
    pub ended_at: Option<i64>,
    pub talk_seconds: Option<u32>,
    pub missed: bool,
    /// It rang me or came in on one of my phone queues (missed ones are highlighted).
    pub mine: bool,
    /// The ticket logged for it, if this desktop holds one.
    pub ticket: Option<LinkedTicket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CallLog {
    /// Newest first.
    pub rows: Vec<CallLogRow>,
}

/// What dialling opens (through the OS: a phone app or a softphone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DialTarget {
    pub url: String,
}

/// A time in milliseconds since the epoch as a command argument: a plain JS number (below
/// 2^53), where a float would let NaN (`null`) through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(transparent)]
pub struct Millis(#[specta(type = i32)] pub i64);

/// A number dialled from a ticket, waiting for the phone system to report the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingDial {
    /// Digits only (E.164 without its `+` where it parsed), to compare with the record.
    digits: String,
    ticket_id: TicketId,
    at: i64,
}

/// The template checked: it starts with `tel:`, `sip:` or `sips:` and holds `{number}`. A
/// refusal names the field `dial_template`.
pub fn check_dial_template(template: &str) -> Result<String> {
    let template = template.trim();
    let lower = template.to_ascii_lowercase();
    if !DIAL_SCHEMES.iter().any(|s| lower.starts_with(s)) {
        return Err(invalid("dial_template", "a dial template starts with tel:, sip: or sips:"));
    }
    if !template.contains("{number}") {
        return Err(invalid("dial_template", "a dial template holds {number}"));
    }
    if template.chars().count() > LONGEST_TEMPLATE || template.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("dial_template", "a dial template is one URL of at most 200 characters"));
    }
    Ok(template.to_owned())
}

/// The number as a dial URL puts it: E.164 where it reads as a phone number, else its
/// digits (a `+` and digits only either way, so nothing else gets into the URL).
pub fn dial_number_text(number: &str) -> Result<String> {
    if let Ok(phone) = normalise_phone(number, DEFAULT_PHONE_REGION) {
        return Ok(phone.as_str().to_owned());
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(crate::ClientError::from_domain(helpline_domain::DomainError::coded(
            ErrorCode::Invalid,
            "number",
            "there is no number to dial",
        )));
    }
    Ok(digits)
}

/// The URL that dials `number` with `template` (checked first).
pub fn dial_url(template: &str, number: &str) -> Result<String> {
    Ok(check_dial_template(template)?.replace("{number}", &dial_number_text(number)?))
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Whether the call rang `agent` (by id, or by an identity of theirs) or they answered it.
fn rang_or_answered(call: &CallRecord, agent: &Agent) -> bool {
    call.concerns(agent.id) || call.rung_identities.iter().any(|i| agent.answers_to(i)) || answered_by(call, agent)
}

fn answered_by(call: &CallRecord, agent: &Agent) -> bool {
    match call.answered_by {
        Some(a) => a == agent.id,
        None => call.answered_at.is_some() && call.answered_identity.as_deref().is_some_and(|i| agent.answers_to(i)),
    }
}

/// The call as it stands for `agent`.
pub fn call_state(call: &CallRecord, agent: &Agent) -> CallState {
    if call.ended_at.is_some() {
        CallState::Ended
    } else if call.answered_at.is_none() {
        CallState::Ringing
    } else if answered_by(call, agent) {
        CallState::AnsweredByMe
    } else {
        CallState::AnsweredElsewhere
    }
}

impl<H: HubApi> Desktop<H> {
    /// The signed-in agent's calls as they change: rung, answered (by them or someone
    /// else), ended. Fed by the stream's call notices at once, and by pulls for calls that
    /// started in the last minutes (a notice missed while the stream reconnected).
    pub fn watch_calls(&self) -> broadcast::Receiver<IncomingCall> {
        self.calls.subscribe()
    }

    pub(crate) fn new_call_channel() -> broadcast::Sender<IncomingCall> {
        broadcast::Sender::new(CALL_CHANNEL)
    }

    /// A call notice from the stream (what the poke listener does with one): kept unless
    /// a newer version is, then announced, and an outbound call matched to a dial.
    pub fn take_call_notice(&self, notice: &helpline_protocol::CallNotice) -> Result<()> {
        let changed = self.with_store(|s| Ok(s.upsert_call(&notice.call, notice.version)?))?;
        if changed {
            self.after_call_changed(&notice.call, true)?;
        }
        Ok(())
    }

    /// Calls a pull changed: announced when recent, and outbound ones matched to dials.
    pub(crate) fn after_pulled_calls(&self, call_ids: &[String]) -> Result<()> {
        for id in call_ids {
            if let Some(stored) = self.with_store(|s| Ok(s.get_call(id)?))? {
                self.after_call_changed(&stored.call, false)?;
            }
        }
        Ok(())
    }

    fn after_call_changed(&self, call: &CallRecord, from_stream: bool) -> Result<()> {
        let Some(me) = self.signed_in_agent() else { return Ok(()) };
        if !rang_or_answered(call, &me) {
            return Ok(());
        }
        if call.direction == CallDirection::Out {
            self.link_dialled_call(call)?;
        }
        let recent = self.now().as_millis() - call.started_at.as_millis() <= ANNOUNCE_FROM_PULL_WITHIN_MS;
        if from_stream || recent {
            // Nobody listening (no window) is no error.
            let _ = self.calls.send(self.incoming_call(call, &me)?);
        }
        Ok(())
    }

    /// The banner's view of a call for `me`.
    pub fn incoming_call(&self, call: &CallRecord, me: &Agent) -> Result<IncomingCall> {
        let party = call.other_party();
        Ok(IncomingCall {
            call_id: call.call_id.clone(),
            direction: call.direction,
            number: party.raw.clone(),
            number_e164: party.e164.clone(),
            caller: match &party.e164 {
                Some(e164) => self.match_caller(e164)?,
                None => None,
            },
            state: call_state(call, me),
            answered_by_me: answered_by(call, me),
            started_at: millis(call.started_at),
            answered_at: call.answered_at.map(millis),
            ended_at: call.ended_at.map(millis),
            talk_seconds: call.talk_seconds(),
            queue: call.queue.clone(),
            missed: call.is_missed(),
        })
    }

    /// The caller by number, through the call form's lookup. A number that does not
    /// read is an unknown caller, never an error.
    fn match_caller(&self, e164: &str) -> Result<Option<CallerMatch>> {
        let lookup = self.lookup_caller(e164)?;
        if lookup.problem.is_some() {
            return Ok(None);
        }
        let more_customers = u32::try_from(lookup.customers.len().saturating_sub(1)).unwrap_or(u32::MAX);
        Ok(match lookup.customers.into_iter().next() {
            Some(card) => Some(CallerMatch {
                customer_id: Some(card.id),
                name: Some(card.name),
                company: card.company,
                more_customers,
                open_tickets: card.open_tickets,
            }),
            None if !lookup.open_tickets.is_empty() => Some(CallerMatch {
                customer_id: None,
                name: None,
                company: None,
                more_customers: 0,
                open_tickets: lookup.open_tickets,
            }),
            None => None,
        })
    }

    /// The signed-in agent's calls going on now (rung, or answered by them, not ended,
    /// started in the last `ACTIVE_CALL_HOURS`), newest first: what a window that opens
    /// (or reloads) shows before the next `call-changed`.
    pub fn active_calls(&self) -> Result<Vec<IncomingCall>> {
        let me = self.signed_in_agent().ok_or(crate::ClientError::NotSignedIn)?;
        let now = self.now();
        let since = Timestamp::from_millis(now.as_millis() - ACTIVE_CALL_HOURS * 60 * 60 * 1000);
        let calls = self.with_store(|s| Ok(s.list_calls_between(since, now.plus_minutes(1))?))?;
        let mut out = Vec::new();
        for stored in calls.iter().rev() {
            let call = &stored.call;
            if call.ended_at.is_none() && rang_or_answered(call, &me) {
                out.push(self.incoming_call(call, &me)?);
            }
        }
        Ok(out)
    }

    /// The calls this desktop holds that started in `[from, to)` (ms), newest first.
    pub fn call_log(&self, from: i64, to: i64) -> Result<CallLog> {
        let me = self.signed_in_agent().ok_or(crate::ClientError::NotSignedIn)?;
        let (calls, agents) = self.with_store(|s| {
            let calls = s.list_calls_between(Timestamp::from_millis(from), Timestamp::from_millis(to))?;
            let agents: BTreeMap<_, _> = s.list_agents()?.into_iter().map(|a| (a.id, a.name)).collect();
            Ok((calls, agents))
        })?;
        let mut callers: BTreeMap<String, Option<(CustomerId, String)>> = BTreeMap::new();
        let mut rows = Vec::with_capacity(calls.len());
        for stored in calls.into_iter().rev() {
            let call = stored.call;
            let party = call.other_party().clone();
            let caller = match &party.e164 {
                Some(e164) => match callers.get(e164) {
                    Some(known) => known.clone(),
                    None => {
                        let found = self.customer_by_number(e164)?;
                        callers.insert(e164.clone(), found.clone());
                        found
                    }
                },
                None => None,
            };
            let ticket = self
                .with_store(|s| Ok(s.list_call_tickets(&call.call_id)?))?
                .into_iter()
                .next()
                .map(|t| LinkedTicket { id: t.ticket_id, reference: t.reference });
            let mine = rang_or_answered(&call, &me) || call.queue.as_deref().is_some_and(|q| me.works_queue(q));
            rows.push(CallLogRow {
                call_id: call.call_id.clone(),
                direction: call.direction,
                number: party.raw,
                number_e164: party.e164,
                caller_name: caller.as_ref().map(|c| c.1.clone()),
                customer_id: caller.map(|c| c.0),
                queue: call.queue.clone(),
                answered_by_name: call.answered_by.and_then(|a| agents.get(&a).cloned()),
                answered_by_me: answered_by(&call, &me),
                started_at: millis(call.started_at),
                answered_at: call.answered_at.map(millis),
                ended_at: call.ended_at.map(millis),
                talk_seconds: call.talk_seconds(),
                missed: call.is_missed(),
                mine,
                ticket,
            });
        }
        Ok(CallLog { rows })
    }

    fn customer_by_number(&self, e164: &str) -> Result<Option<(CustomerId, String)>> {
        let Ok(phone) = normalise_phone(e164, DEFAULT_PHONE_REGION) else { return Ok(None) };
        let found = self.with_store(|s| Ok(s.find_customers_by_phone(&phone)?))?;
        Ok(found.into_iter().next().map(|c| (c.id, c.name)))
    }

    /// The URL that dials `number` with the settings' `template`. With a ticket, the
    /// outbound call the phone system reports for this agent to that number within
    /// `DIAL_LINK_WINDOW_MS` is linked to it.
    pub fn dial(&self, number: &str, ticket_id: Option<TicketId>, template: &str) -> Result<DialTarget> {
        let url = dial_url(template, number)?;
        if let Some(ticket_id) = ticket_id {
            let now = self.now().as_millis();
            let dial = PendingDial { digits: digits(&dial_number_text(number)?), ticket_id, at: now };
            self.update_pending_dials(|dials| {
                dials.retain(|d| now - d.at <= DIAL_LINK_WINDOW_MS);
                dials.push(dial);
            })?;
        }
        Ok(DialTarget { url })
    }

    fn update_pending_dials(&self, change: impl FnOnce(&mut Vec<PendingDial>)) -> Result<Vec<PendingDial>> {
        self.with_store(|s| {
            let mut dials: Vec<PendingDial> =
                s.get_sync_value(PENDING_DIALS_KEY)?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default();
            change(&mut dials);
            s.set_sync_value(PENDING_DIALS_KEY, &serde_json::to_string(&dials).unwrap_or_else(|_| "[]".into()))?;
            Ok(dials)
        })
    }

    /// An outbound call of mine: the latest dial to its number in the window before it
    /// started links it to that dial's ticket, once (the dial is used up).
    fn link_dialled_call(&self, call: &CallRecord) -> Result<()> {
        let called = digits(call.to.e164.as_deref().unwrap_or(&call.to.raw));
        if called.is_empty() {
            return Ok(());
        }
        let started = call.started_at.as_millis();
        let mut taken = None;
        self.update_pending_dials(|dials| {
            // The phone system's clock and ours differ a little: a dial up to a minute
            // after the call's start still counts.
            let fits =
                |d: &PendingDial| d.digits == called && (-60_000..=DIAL_LINK_WINDOW_MS).contains(&(started - d.at));
            if let Some(i) = dials.iter().rposition(fits) {
                taken = Some(dials.remove(i));
            }
        })?;
        let Some(dial) = taken else { return Ok(()) };
        let already = self.get_ticket(dial.ticket_id)?.is_some_and(|t| t.calls.contains(&call.call_id));
        if !already {
            self.submit(Mutation::LinkCall { ticket_id: dial.ticket_id, call_id: call.call_id.clone() })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_urls_take_tel_and_sip_templates_only() {
        assert_eq!(dial_url(DEFAULT_DIAL_TEMPLATE, "030 1234567").unwrap(), "tel:+49301234567");
        assert_eq!(dial_url("sip:{number}@pbx.example", "+49 30 1234567").unwrap(), "sip:+49301234567@pbx.example");
        assert_eq!(dial_url("SIPS:{number}", "0301234567").unwrap(), "SIPS:+49301234567");
        // Not a phone number, but digits: dialled as digits (an extension).
        assert_eq!(dial_url("tel:{number}", "Durchwahl 12").unwrap(), "tel:12");
        for bad in
            ["https://evil.example/?n={number}", "file:///{number}", "callto:{number}", "tel:", " ", "tel:{number} x"]
        {
            assert_eq!(check_dial_template(bad).unwrap_err().field(), Some("dial_template"), "{bad:?}");
        }
        assert_eq!(dial_url("tel:{number}", "anonymous").unwrap_err().field(), Some("number"));
    }
}
