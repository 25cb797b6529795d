//! From fetched mail to ticket changes: each mail parsed and bounded, threaded to its
//! ticket (by the hub's own Message-IDs, In-Reply-To/References, then the `[K7-0042]` in the
//! subject), or a new ticket for its sender; a batch's mails pushed as the hub's mail system
//! in ONE push (one transaction), attachments stored first. A mail is known by its
//! Message-ID: its mutation id derives from it, so a mail read twice (a crash before the
//! server was told, the same mail in two folders) is recognised and never makes a second
//! ticket. What cannot become a ticket goes to the quarantine the admin sees.

use super::mailbox::{Mailbox, now_ms};
use super::outbox::queue_acknowledgement;
use super::parse::{MailKind, MailLimits, MailRejection, ParsedMail, find_reference, parse_mail};
use crate::error::{HubError, Result};
use crate::storage::db::Doc;
use crate::storage::mail_db::{MailDb, QuarantineRow};
use crate::storage::{Session, Storage};
use helpline_domain::email::{customer_id_for_address, ticket_of_message_id};
use helpline_domain::{
    Agent, AttachmentRef, ClientId, DeviceCode, EmailTicket, InboundEmail, MAIL_SYSTEM, Mutation, MutationId, Priority,
    Reference, Role, Status, Ticket, TicketId, Timestamp, is_active,
};
use helpline_protocol::{MutationEnvelope, Outcome};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// The hub's mail system as an agent: the author of received mail. It has no password,
/// so no one signs in as it, and it is inactive, so no list offers it.
pub fn mail_system_agent() -> Agent {
    Agent {
        id: MAIL_SYSTEM,
        name: "E-Mail".into(),
        login: "@mail".into(),
        role: Role::FirstLevel,
        department_id: None,
        languages: Vec::new(),
        active: false,
        phone_identities: Vec::new(),
        phone_queues: Vec::new(),
    }
}

/// The installation a mailbox's mail is pushed from (one per mailbox, so each has its own
/// gap-free seqs and device code for references).
#[derive(Debug, Clone)]
pub struct MailClient {
    pub session: Session,
    pub device: DeviceCode,
    pub next_seq: u64,
}

impl MailClient {
    /// The installation of a mailbox's fetcher.
    pub fn of_mailbox(mailbox: &Mailbox) -> ClientId {
        ClientId(Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("helpline-mailbox:{}", mailbox.id).as_bytes()))
    }

    /// The installation of the sender (it records deliveries).
    pub fn of_sender() -> ClientId {
        ClientId(Uuid::new_v5(&Uuid::NAMESPACE_OID, b"helpline-mail-sender"))
    }

    /// Registers (once) the installation and reads where its seqs stand.
    pub async fn open<S: Storage>(storage: &S, client_id: ClientId) -> Result<MailClient> {
        let agents = storage.list_agents().await?;
        if !agents.iter().any(|a| a.id == MAIL_SYSTEM) {
            storage.upsert_agent(mail_system_agent(), None).await?;
        }
        let code = storage.register_client(client_id, MAIL_SYSTEM).await?;
        let device = DeviceCode::parse(&code).map_err(|e| HubError::Internal(e.to_string()))?;
        let last =
            storage.read_mail(move |db| Ok(db.load_clients(&[client_id])?.first().map_or(0, |c| c.last_seq))).await?;
        Ok(MailClient { session: Session { agent: mail_system_agent(), client_id }, device, next_seq: last + 1 })
    }
}

/// The mutation id of a received mail: derived from its Message-ID.
pub fn mutation_of_message_id(message_id: &str) -> MutationId {
    MutationId(Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("helpline-mail:{message_id}").as_bytes()))
}

/// A mail as fetched from the server.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: u32,
    pub raw: Vec<u8>,
}

/// What became of a batch: the uids the server may now be told about.
#[derive(Debug, Default)]
pub struct Ingested {
    pub done: Vec<u32>,
    pub tickets: usize,
    pub entries: usize,
    pub duplicates: usize,
    pub quarantined: usize,
}

struct Prepared {
    uid: u32,
    mutation: Mutation,
    mutation_id: MutationId,
    acknowledge: Option<(TicketId, Reference, InboundEmail, Vec<String>)>,
}

/// Turns a batch of fetched mail into ticket changes. Returns after the push committed
/// (or the mails were found known or quarantined); only then may the server mark them.
pub async fn ingest_batch<S: Storage>(
    storage: &S,
    mailbox: &Mailbox,
    own_addresses: &[String],
    client: &mut MailClient,
    limits: &MailLimits,
    batch: Vec<Fetched>,
) -> Result<Ingested> {
    let mut out = Ingested::default();
    let mut prepared = Vec::new();
    let mut quarantine = Vec::new();
    let mut files: Vec<(String, String, Vec<u8>)> = Vec::new();
    // Mails of this batch by Message-ID, so a reply in the same batch finds its ticket.
    let mut in_batch: HashMap<String, TicketId> = HashMap::new();
    let now = crate::now();
    for mail in batch {
        let parsed = match parse_mail(&mail.raw, limits) {
            Ok(p) => p,
            Err(rejection) => {
                quarantine.push(quarantine_row(mailbox, &mail, None, rejection_reason(&rejection)));
                continue;
            }
        };
        let Some(from) =
            parsed.from.as_ref().map(|f| f.address.clone()).filter(|a| helpline_domain::limits::email(a).is_ok())
        else {
            quarantine.push(quarantine_row(mailbox, &mail, parsed.message_id.clone(), "no_sender".into()));
            continue;
        };
        if own_addresses.iter().any(|own| own.eq_ignore_ascii_case(&from)) {
            // Our own mail coming back (a loop through a forward): never a ticket.
            quarantine.push(quarantine_row(mailbox, &mail, parsed.message_id.clone(), "from_own_address".into()));
            continue;
        }
        let message_id = parsed.message_id.clone().unwrap_or_else(|| synthetic_message_id(&mail.raw));
        let mutation_id = mutation_of_message_id(&message_id);
        let known = storage.read_mail(move |db| db.find_accepted_mutation(mutation_id)).await?;
        if let Some(body) = known {
            // Read before, committed, but the server was not told (a crash, a restart):
            // nothing new, except the acknowledgement that may not have been queued yet.
            out.duplicates += 1;
            out.done.push(mail.uid);
            if let Ok(Mutation::ReceiveEmail {
                ticket: EmailTicket::New { ticket_id, reference, acknowledge: true, .. },
                email,
            }) = serde_json::from_str::<Mutation>(&body)
            {
                let thread = vec![email.message_id.clone()];
                queue_acknowledgement(storage, mailbox, ticket_id, &reference, &email, &thread).await?;
            }
            continue;
        }
        let attachments: Vec<AttachmentRef> = parsed
            .attachments
            .iter()
            .map(|a| AttachmentRef {
                sha256: a.sha256.clone(),
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size: a.bytes.len() as u64,
            })
            .collect();
        files.extend(parsed.attachments.iter().map(|a| (a.sha256.clone(), a.content_type.clone(), a.bytes.clone())));
        let email = inbound(&parsed, &message_id, &from, attachments, &mailbox.name);
        let target = route(storage, mailbox, &parsed, &in_batch, now).await?;
        let target = match target {
            Some(existing) => existing,
            None => {
                let from_key = format!("email:{from}");
                let found = storage.read_mail(move |db| db.find_customers_by_key(&from_key)).await?;
                let customer_id = found.first().copied().map(helpline_domain::CustomerId);
                let priority = Priority::Normal;
                let sla = storage.get_sla().await?;
                let (first, resolution) = sla
                    .policy
                    .due_times(&sla.calendar, priority, now)
                    .map_or((None, None), |(a, b)| (Some(a), Some(b)));
                let counter = u32::try_from(client.next_seq + prepared.len() as u64).unwrap_or(u32::MAX);
                let reference =
                    Reference::new(client.device.clone(), counter).map_err(|e| HubError::Internal(e.to_string()))?;
                EmailTicket::New {
                    ticket_id: TicketId(Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("ticket:{message_id}").as_bytes())),
                    reference,
                    customer_id,
                    new_customer: customer_id.is_none().then(|| customer_id_for_address(&from)),
                    category_id: mailbox.settings.category_id,
                    priority,
                    first_response_due: first,
                    resolution_due: resolution,
                    acknowledge: mailbox.settings.acknowledge && parsed.kind == MailKind::Normal,
                }
            }
        };
        in_batch.insert(message_id.clone(), target.ticket_id());
        let acknowledge = match &target {
            EmailTicket::New { ticket_id, reference, acknowledge: true, .. } => {
                Some((*ticket_id, reference.clone(), email.clone(), vec![message_id.clone()]))
            }
            _ => None,
        };
        prepared.push(Prepared {
            uid: mail.uid,
            mutation: Mutation::ReceiveEmail { ticket: target, email },
            mutation_id,
            acknowledge,
        });
    }
    if !files.is_empty() {
        let at = now_ms();
        storage
            .write_mail(move |db| {
                for (sha, content_type, bytes) in &files {
                    db.put_attachment(sha, content_type, bytes, at)?;
                }
                Ok(())
            })
            .await?;
    }
    if !prepared.is_empty() {
        let envelopes: Vec<MutationEnvelope> = prepared
            .iter()
            .enumerate()
            .map(|(i, p)| MutationEnvelope {
                mutation_id: p.mutation_id,
                client_id: client.session.client_id,
                seq: client.next_seq + i as u64,
                mutation: p.mutation.clone(),
                hlc: String::new(),
                wall_time: now,
            })
            .collect();
        let response = storage.push(&client.session, envelopes, now).await?;
        if response.results.len() != prepared.len() {
            return Err(HubError::Internal(format!(
                "the push took {} of {} mails",
                response.results.len(),
                prepared.len()
            )));
        }
        client.next_seq += prepared.len() as u64;
        for (p, result) in prepared.into_iter().zip(response.results) {
            match result.outcome {
                Outcome::Accepted => {
                    match &p.mutation {
                        Mutation::ReceiveEmail { ticket: EmailTicket::New { .. }, .. } => out.tickets += 1,
                        _ => out.entries += 1,
                    }
                    if let Some((ticket_id, reference, email, thread)) = p.acknowledge {
                        queue_acknowledgement(storage, mailbox, ticket_id, &reference, &email, &thread).await?;
                    }
                }
                Outcome::Rejected { kind: helpline_domain::ErrorKind::Conflict, reason, .. } => {
                    tracing::info!(uid = p.uid, %reason, "mail already on a ticket");
                    out.duplicates += 1;
                }
                Outcome::Rejected { reason, .. } => {
                    tracing::warn!(mailbox = %mailbox.name, uid = p.uid, %reason, "mail refused; quarantined");
                    let message_id = match &p.mutation {
                        Mutation::ReceiveEmail { email, .. } => Some(email.message_id.clone()),
                        _ => None,
                    };
                    quarantine.push(QuarantineRow {
                        id: 0,
                        mailbox_id: mailbox.id.0,
                        uid: p.uid,
                        message_id,
                        reason: format!("refused: {reason}"),
                        size: 0,
                        headers: String::new(),
                        at: now_ms(),
                    });
                    continue;
                }
            }
            out.done.push(p.uid);
        }
    }
    if !quarantine.is_empty() {
        for q in &quarantine {
            tracing::warn!(mailbox = %mailbox.name, uid = q.uid, reason = %q.reason, "mail quarantined");
        }
        out.quarantined += quarantine.len();
        out.done.extend(quarantine.iter().map(|q| q.uid));
        store_quarantine(storage, quarantine).await?;
    }
    out.done.sort_unstable();
    out.done.dedup();
    Ok(out)
}

/// The existing ticket a mail belongs to, if any (`None`: a new ticket).
async fn route<S: Storage>(
    storage: &S,
    mailbox: &Mailbox,
    parsed: &ParsedMail,
    in_batch: &HashMap<String, TicketId>,
    now: Timestamp,
) -> Result<Option<EmailTicket>> {
    let mut candidates: Vec<TicketId> = Vec::new();
    // The newest reference first: In-Reply-To, then References from the end.
    for id in parsed.in_reply_to.iter().chain(parsed.references.iter().rev()) {
        if let Some(t) = ticket_of_message_id(id).or_else(|| in_batch.get(id).copied()) {
            candidates.push(t);
            continue;
        }
        let mutation_id = mutation_of_message_id(id);
        if let Some(body) = storage.read_mail(move |db| db.find_accepted_mutation(mutation_id)).await?
            && let Ok(m) = serde_json::from_str::<Mutation>(&body)
            && let Some(t) = m.ticket_id()
        {
            candidates.push(t);
        }
    }
    if let Some(reference) = find_reference(&parsed.subject) {
        let found = storage.read_mail(move |db| db.find_tickets_by_reference(&[reference])).await?;
        candidates.extend(found.into_iter().map(|(_, t)| t));
    }
    for ticket_id in candidates {
        let docs = storage.read_mail(move |db| db.load_docs(Doc::Tickets, &[ticket_id.0])).await?;
        // A ticket that is gone (deleted, evicted from the hub) makes way for a new one.
        let Some(ticket) = docs.first().and_then(|d| serde_json::from_str::<Ticket>(d).ok()) else {
            continue;
        };
        if is_active(ticket.status) {
            return Ok(Some(EmailTicket::Existing { ticket_id, reopen: false }));
        }
        let days = i64::from(mailbox.settings.reopen_days);
        let recent = ticket.resolved_at.is_some_and(|at| at.plus_minutes(days * 24 * 60) >= now);
        if recent || ticket.status == Status::Resolved && ticket.resolved_at.is_none() {
            return Ok(Some(EmailTicket::Existing { ticket_id, reopen: true }));
        }
        // Long closed: the customer's new matter is a new ticket.
        return Ok(None);
    }
    Ok(None)
}

fn inbound(
    parsed: &ParsedMail,
    message_id: &str,
    from: &str,
    attachments: Vec<AttachmentRef>,
    mailbox: &str,
) -> InboundEmail {
    let bound = |s: &str, max: usize| s.chars().take(max).collect::<String>();
    // The agent sees that something was cut (a kind the window words); what exactly is
    // in the hub's log.
    if !parsed.problems.is_empty() {
        tracing::info!(message_id, problems = ?parsed.problems, "mail taken in with cuts");
    }
    let cut = !parsed.problems.is_empty()
        || parsed.subject.chars().count() > helpline_domain::limits::SUBJECT_MAX
        || parsed.text.chars().count() > helpline_domain::email::MAX_MAIL_TEXT;
    let problems = if cut { vec!["content_cut".to_owned()] } else { Vec::new() };
    InboundEmail {
        message_id: bound(message_id, helpline_domain::email::MAX_MAIL_TOKEN),
        from: from.to_owned(),
        from_name: parsed
            .from
            .as_ref()
            .and_then(|f| f.name.clone())
            .map(|n| bound(&n, helpline_domain::limits::NAME_MAX)),
        to: parsed.to.iter().map(|m| m.address.clone()).take(50).collect(),
        cc: parsed.cc.iter().map(|m| m.address.clone()).take(50).collect(),
        subject: bound(&parsed.subject, helpline_domain::limits::SUBJECT_MAX),
        text: bound(&parsed.text, helpline_domain::email::MAX_MAIL_TEXT),
        html: parsed.html.as_ref().filter(|h| h.chars().count() <= helpline_domain::email::MAX_MAIL_HTML).cloned(),
        attachments,
        automatic: parsed.kind != MailKind::Normal,
        problems,
        mailbox: mailbox.to_owned(),
    }
}

/// A Message-ID for a mail without one, from its content (the same mail gets the same).
fn synthetic_message_id(raw: &[u8]) -> String {
    let hash = Sha256::digest(raw);
    format!("missing-{}@helpline.invalid", hex_prefix(&hash, 16))
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

fn rejection_reason(r: &MailRejection) -> String {
    match r {
        MailRejection::TooLarge { bytes, limit } => format!("too_large: {bytes} bytes, limit {limit}"),
        MailRejection::Unparseable(why) => format!("unparseable: {why}"),
    }
}

fn quarantine_row(mailbox: &Mailbox, mail: &Fetched, message_id: Option<String>, reason: String) -> QuarantineRow {
    // The header block, bounded, so the admin can tell which mail it was.
    let end = mail.raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(mail.raw.len()).min(16 * 1024);
    QuarantineRow {
        id: 0,
        mailbox_id: mailbox.id.0,
        uid: mail.uid,
        message_id,
        reason,
        size: mail.raw.len() as u64,
        headers: String::from_utf8_lossy(&mail.raw[..end]).into_owned(),
        at: now_ms(),
    }
}

/// Keeps mails that made no ticket, in one transaction.
pub async fn store_quarantine<S: Storage>(storage: &S, rows: Vec<QuarantineRow>) -> Result<()> {
    storage
        .write_mail(move |db| {
            for q in &rows {
                db.insert_quarantine(q)?;
            }
            Ok(())
        })
        .await
}

/// The admin's quarantine view (CLI and endpoint).
pub async fn list_quarantine<S: Storage>(storage: &S, limit: u32) -> Result<Vec<QuarantineRow>> {
    storage.read_mail(move |db: &mut dyn MailDb| db.list_quarantine(limit)).await
}
