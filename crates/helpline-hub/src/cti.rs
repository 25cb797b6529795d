//! The phone system's side of the hub (CTI): Zammad's generic CTI events read from JSON or
//! form bodies, and the integrations a PBX posts with (a secret token in the URL, an
//! optional allow-list of source addresses), administered by the command line and the
//! admin endpoints alike (each change with its admin log entry; a token is shown once and
//! only its hash is kept).

use crate::admin::{By, MAX_NAME_CHARS, check_name};
use crate::auth::{hash_token, new_token};
use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::admin::{AdminChange, Administered};
use helpline_domain::call::{MAX_CALL_TEXT, MAX_RUNG};
use helpline_domain::{
    CallDirection, CallEvent, CallEventKind, CtiIntegrationId, ErrorCode, ErrorKind, Problem, Timestamp,
};
use helpline_protocol::{CtiIntegration, CtiIntegrationChange, CtiToken, NewCtiIntegration};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

/// Largest body a CTI event may have: the fields of one event are a few hundred bytes.
pub const MAX_CTI_BODY_BYTES: usize = 16 * 1024;
/// Most source addresses or networks one integration allows.
pub const MAX_ALLOWED_SOURCES: usize = 50;
/// How long the hub trusts its copy of the integrations (a change made by the command
/// line or another hub process takes effect within this; its own admin endpoints renew
/// the copy at once).
const GATE_REFRESH: Duration = Duration::from_secs(1);

// ---- events ---------------------------------------------------------------------------

/// Reads one event from a body: JSON when the content type says so (or the body starts
/// with `{` or `[`), else form-encoded (`user[]=a&user[]=b` or `user=a`). Unknown fields are
/// ignored (PBXes send more); a field that is wrong is named in the refusal.
pub fn parse_event(content_type: Option<&str>, body: &[u8], at: Timestamp) -> Result<CallEvent> {
    let content_type = content_type.unwrap_or_default().to_ascii_lowercase();
    let looks_json = matches!(body.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['));
    let fields = if content_type.contains("json") || (!content_type.contains("form") && looks_json) {
        json_fields(body)?
    } else {
        form_fields(body)?
    };
    fields.into_event(at)
}

/// The fields of an event, as text.
#[derive(Debug, Default)]
struct Fields {
    singles: Vec<(String, String)>,
    users: Vec<String>,
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.singles.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.chars().count() > MAX_CALL_TEXT => Err(too_long(name, MAX_CALL_TEXT)),
            Some(v) => Ok(Some(v.trim().to_owned())),
        }
    }

    fn into_event(self, at: Timestamp) -> Result<CallEvent> {
        let kind = match self.get("event").map(str::trim) {
            None | Some("") => return Err(HubError::field(ErrorCode::Required, "event", "event is required")),
            Some("newCall") => CallEventKind::NewCall,
            Some("answer") => CallEventKind::Answer,
            Some("hangup") => CallEventKind::Hangup,
            Some(other) => {
                return Err(HubError::field(
                    ErrorCode::Invalid,
                    "event",
                    format!("event {:?} is not newCall, answer or hangup", truncated(other)),
                ));
            }
        };
        let call_id = self.text("callId")?.unwrap_or_default();
        if call_id.is_empty() {
            return Err(HubError::field(ErrorCode::Required, "callId", "callId is required"));
        }
        let direction = match self.text("direction")?.as_deref() {
            None | Some("") => None,
            Some("in") => Some(CallDirection::In),
            Some("out") => Some(CallDirection::Out),
            Some(other) => {
                return Err(HubError::field(
                    ErrorCode::Invalid,
                    "direction",
                    format!("direction {:?} is not in or out", truncated(other)),
                ));
            }
        };
        if self.users.len() > MAX_RUNG {
            return Err(HubError::refused(
                ErrorKind::Validation,
                Problem::new(ErrorCode::TooMany).with("field", "user").with("max", MAX_RUNG),
                format!("user names at most {MAX_RUNG} identities"),
            ));
        }
        if self.users.iter().any(|u| u.chars().count() > MAX_CALL_TEXT) {
            return Err(too_long("user", MAX_CALL_TEXT));
        }
        let users = self.users.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
        let non_empty = |v: Option<String>| v.filter(|v| !v.is_empty());
        Ok(CallEvent {
            kind,
            call_id,
            // A newCall without a direction is an inbound call (Zammad's default).
            direction: direction.or((kind == CallEventKind::NewCall).then_some(CallDirection::In)),
            from: self.text("from")?.unwrap_or_default(),
            to: self.text("to")?.unwrap_or_default(),
            users,
            queue: non_empty(self.text("queue")?),
            cause: non_empty(self.text("cause")?),
            answering_number: non_empty(self.text("answeringNumber")?),
            agents: Vec::new(),
            at,
        })
    }
}

fn truncated(s: &str) -> String {
    s.chars().take(40).collect()
}

fn too_long(field: &str, max: usize) -> HubError {
    HubError::refused(
        ErrorKind::Validation,
        Problem::new(ErrorCode::TooLong).with("field", field).with("max", max),
        format!("{field} is longer than {max} characters"),
    )
}

fn malformed(what: &str) -> HubError {
    HubError::field(ErrorCode::Invalid, "body", format!("malformed request: {what}"))
}

fn json_fields(body: &[u8]) -> Result<Fields> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| malformed(&format!("the body is not JSON ({e})")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(malformed("the body is not a JSON object"));
    };
    let mut fields = Fields::default();
    for (key, value) in map {
        if key == "user" || key == "user[]" {
            match value {
                serde_json::Value::Array(items) => {
                    for item in items {
                        fields.users.extend(scalar(&key, item)?);
                    }
                }
                other => fields.users.extend(scalar(&key, other)?),
            }
        } else if let Some(text) = scalar(&key, value)? {
            fields.singles.push((key, text));
        }
    }
    Ok(fields)
}

/// A JSON string or number as text (PBXes send ids and numbers either way); null is absent.
fn scalar(key: &str, value: serde_json::Value) -> Result<Option<String>> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
        _ if is_known(key) => {
            Err(HubError::field(ErrorCode::Invalid, key, format!("{key} must be a string, not a list or an object")))
        }
        // An unknown field is ignored whatever it holds.
        _ => Ok(None),
    }
}

fn is_known(key: &str) -> bool {
    matches!(
        key,
        "event" | "callId" | "from" | "to" | "direction" | "user" | "user[]" | "queue" | "cause" | "answeringNumber"
    )
}

fn form_fields(body: &[u8]) -> Result<Fields> {
    if std::str::from_utf8(body).is_err() {
        return Err(malformed("the form body is not UTF-8"));
    }
    let mut fields = Fields::default();
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "user[]" | "user" => fields.users.push(value.into_owned()),
            // The first of a repeated field counts.
            k if fields.get(k).is_none() => fields.singles.push((key.into_owned(), value.into_owned())),
            _ => {}
        }
    }
    if fields.singles.is_empty() && fields.users.is_empty() {
        return Err(malformed("the body holds no fields (send JSON or application/x-www-form-urlencoded)"));
    }
    Ok(fields)
}

// ---- the gate: tokens, sources, how many at once ---------------------------------------

struct Entry {
    /// SHA-256 of the token, as the hex text the storage keeps.
    hash: Vec<u8>,
    id: CtiIntegrationId,
    sources: Vec<IpNet>,
}

/// Which integration a token belongs to and where it may post from, from a copy of the
/// integrations renewed every [`GATE_REFRESH`]; and how many CTI requests run at once.
pub struct CtiGate {
    copy: Mutex<Option<(Instant, Arc<Vec<Entry>>)>>,
    slots: Arc<Semaphore>,
}

impl std::fmt::Debug for CtiGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the hashes.
        f.debug_struct("CtiGate").field("free_slots", &self.slots.available_permits()).finish_non_exhaustive()
    }
}

impl CtiGate {
    pub fn new(max_concurrent: usize) -> CtiGate {
        CtiGate { copy: Mutex::new(None), slots: Arc::new(Semaphore::new(max_concurrent.max(1))) }
    }

    /// A slot for one request, or `None` when the route is full (answer 429).
    pub fn try_enter(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Drops the copy: the next request reads the integrations again.
    pub fn renew(&self) {
        if let Ok(mut copy) = self.copy.lock() {
            *copy = None;
        }
    }

    async fn entries<S: Storage>(&self, storage: &S) -> Result<Arc<Vec<Entry>>> {
        if let Ok(copy) = self.copy.lock()
            && let Some((taken, entries)) = copy.as_ref()
            && taken.elapsed() < GATE_REFRESH
        {
            return Ok(entries.clone());
        }
        let mut entries = Vec::new();
        for (integration, hash) in storage.list_cti_integrations().await? {
            let sources = integration.allowed_sources.iter().filter_map(|s| parse_source(s).ok()).collect();
            entries.push(Entry { hash: hash.into_bytes(), id: integration.id, sources });
        }
        let entries = Arc::new(entries);
        if let Ok(mut copy) = self.copy.lock() {
            *copy = Some((Instant::now(), entries.clone()));
        }
        Ok(entries)
    }

    /// The integration `token` belongs to, if `peer` may post for it. Every entry is
    /// compared in constant time, so the answer's timing does not tell how close a
    /// guess was. A wrong token says nothing more than that.
    pub async fn admit<S: Storage>(&self, storage: &S, token: &str, peer: Option<IpAddr>) -> Result<CtiIntegrationId> {
        let wanted = hash_token(token).into_bytes();
        let entries = self.entries(storage).await?;
        let mut found: Option<&Entry> = None;
        for entry in entries.iter() {
            let same: bool = entry.hash.ct_eq(&wanted).into();
            if same {
                found = Some(entry);
            }
        }
        let Some(entry) = found.filter(|_| !token.is_empty()) else {
            return Err(HubError::Unauthorized("unknown CTI token".into()));
        };
        if !entry.sources.is_empty() {
            let allowed = peer.is_some_and(|ip| {
                let ip = canonical(ip);
                entry.sources.iter().any(|net| net.contains(&ip))
            });
            if !allowed {
                return Err(HubError::Forbidden(
                    "this source address may not post call events for this integration".into(),
                ));
            }
        }
        Ok(entry.id)
    }
}

/// An IPv4 address seen as IPv6 (`::ffff:a.b.c.d`, a dual-stack listener) is the IPv4 one.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An address (`10.0.0.5`, `::1`) or a network (`10.0.0.0/24`).
fn parse_source(text: &str) -> std::result::Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<IpAddr>().map(IpNet::from).map_err(|e| e.to_string())
}

// ---- administration -------------------------------------------------------------------

/// Checks an allow-list: each entry an IP address or CIDR network (kept in its normal
/// form), at most [`MAX_ALLOWED_SOURCES`].
pub fn check_sources(sources: &[String]) -> Result<Vec<String>> {
    if sources.len() > MAX_ALLOWED_SOURCES {
        return Err(HubError::refused(
            ErrorKind::Validation,
            Problem::new(ErrorCode::TooMany).with("field", "allowed_sources").with("max", MAX_ALLOWED_SOURCES),
            format!("at most {MAX_ALLOWED_SOURCES} allowed sources"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(sources.len());
    for source in sources {
        let net = parse_source(source).map_err(|_| {
            HubError::field(
                ErrorCode::Invalid,
                "allowed_sources",
                format!("{:?} is neither an IP address nor a CIDR network", truncated(source)),
            )
        })?;
        let text = if net.prefix_len() == net.max_prefix_len() { net.addr().to_string() } else { net.to_string() };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    Ok(out)
}

fn integration_of(done: Administered) -> Result<CtiIntegration> {
    match done {
        Administered::Cti(i) => Ok(i),
        other => Err(HubError::Internal(format!("a CTI change answered {other:?}"))),
    }
}

/// A new integration and its token (shown once).
pub async fn add_integration<S: Storage>(storage: &S, new: NewCtiIntegration, by: By) -> Result<CtiToken> {
    let name = check_name("name", &new.name, MAX_NAME_CHARS)?;
    let allowed_sources = check_sources(&new.allowed_sources)?;
    let now = crate::now();
    let integration =
        CtiIntegration { id: CtiIntegrationId::new_v7(), name, allowed_sources, created_at: now, token_made_at: now };
    let token = new_token();
    let change = AdminChange::AddCti { integration, token_hash: hash_token(&token) };
    Ok(CtiToken { integration: integration_of(storage.administer(change, by, now).await?)?, token })
}

pub async fn change_integration<S: Storage>(
    storage: &S,
    id: CtiIntegrationId,
    mut change: CtiIntegrationChange,
    by: By,
) -> Result<CtiIntegration> {
    if let Some(name) = &change.name {
        change.name = Some(check_name("name", name, MAX_NAME_CHARS)?);
    }
    if let Some(sources) = &change.allowed_sources {
        change.allowed_sources = Some(check_sources(sources)?);
    }
    integration_of(storage.administer(AdminChange::ChangeCti { id, change }, by, crate::now()).await?)
}

/// A new token for the integration (shown once); the old one stops at once.
pub async fn rotate_integration<S: Storage>(storage: &S, id: CtiIntegrationId, by: By) -> Result<CtiToken> {
    let token = new_token();
    let change = AdminChange::RotateCti { id, token_hash: hash_token(&token) };
    Ok(CtiToken { integration: integration_of(storage.administer(change, by, crate::now()).await?)?, token })
}

pub async fn remove_integration<S: Storage>(storage: &S, id: CtiIntegrationId, by: By) -> Result<()> {
    storage.administer(AdminChange::RemoveCti { id }, by, crate::now()).await?;
    Ok(())
}

/// Every integration, without token hashes.
pub async fn list_integrations<S: Storage>(storage: &S) -> Result<Vec<CtiIntegration>> {
    Ok(storage.list_cti_integrations().await?.into_iter().map(|(i, _)| i).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: &HubError) -> String {
        e.problem().and_then(|p| p.params.get("field").cloned()).unwrap_or_default()
    }

    #[test]
    fn json_and_form_bodies_give_the_same_event() {
        let at = Timestamp::from_millis(5);
        let json = br#"{"event":"newCall","callId":"c1","from":"0301234567","to":"4930999","direction":"in",
            "user":["anna","Ben"],"queue":"support","extra":{"x":1}}"#;
        let form = b"event=newCall&callId=c1&from=0301234567&to=4930999&direction=in&user%5B%5D=anna&user[]=Ben&queue=support&extra=1";
        let a = parse_event(Some("application/json"), json, at).unwrap();
        let b = parse_event(Some("application/x-www-form-urlencoded"), form, at).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.users, ["anna", "Ben"]);
        let single = parse_event(None, b"event=answer&callId=c1&user=anna&answeringNumber=201", at).unwrap();
        assert_eq!((single.users.clone(), single.answering_number.as_deref()), (vec!["anna".to_owned()], Some("201")));
        assert_eq!(single.direction, None, "only a newCall defaults to inbound");
        let one_user = parse_event(None, br#"{"event":"hangup","callId":7,"user":"anna"}"#, at).unwrap();
        assert_eq!((one_user.call_id.as_str(), one_user.users.len()), ("7", 1));
    }

    #[test]
    fn bad_events_name_their_field() {
        let at = Timestamp::from_millis(0);
        let bad: [(&[u8], &str); 8] = [
            (b"{\"event\":", "body"),
            (b"[1,2]", "body"),
            (b"", "body"),
            (b"event=ring&callId=1", "event"),
            (b"callId=1", "event"),
            (b"event=newCall", "callId"),
            (b"event=newCall&callId=1&direction=sideways", "direction"),
            (br#"{"event":"newCall","callId":"1","from":["x"]}"#, "from"),
        ];
        for (body, wanted) in bad {
            let e = parse_event(None, body, at).expect_err(&String::from_utf8_lossy(body));
            assert_eq!(e.kind(), ErrorKind::Validation);
            assert_eq!(field(&e), wanted, "{}", String::from_utf8_lossy(body));
        }
        let long = format!("event=newCall&callId={}", "x".repeat(MAX_CALL_TEXT + 1));
        assert_eq!(field(&parse_event(None, long.as_bytes(), at).unwrap_err()), "callId");
        let many = format!("event=newCall&callId=1{}", "&user[]=a".repeat(MAX_RUNG + 1));
        assert_eq!(field(&parse_event(None, many.as_bytes(), at).unwrap_err()), "user");
    }

    #[test]
    fn numbers_that_are_not_numbers_are_taken_as_sent() {
        for from in ["anonymous", "", "Hotline"] {
            let body = format!("event=newCall&callId=1&from={from}");
            assert_eq!(parse_event(None, body.as_bytes(), Timestamp::from_millis(0)).unwrap().from, from);
        }
    }

    #[test]
    fn sources_are_addresses_or_networks_in_normal_form() {
        let ok = check_sources(&["10.0.0.7".into(), "10.0.0.0/24".into(), " ::1 ".into(), "10.0.0.7".into()]).unwrap();
        assert_eq!(ok, ["10.0.0.7", "10.0.0.0/24", "::1"]);
        assert_eq!(check_sources(&["10.0.0.9/24".into()]).unwrap(), ["10.0.0.0/24"]);
        for bad in ["localhost", "10.0.0.0/33", "", "1.2.3"] {
            assert_eq!(field(&check_sources(&[bad.into()]).unwrap_err()), "allowed_sources", "{bad}");
        }
        let net = parse_source("127.0.0.0/8").unwrap();
        assert!(net.contains(&canonical("::ffff:127.0.0.1".parse().unwrap())));
    }
}
