//! `apply`: checks one mutation against the rules (role, lifecycle, field limits,
//! conflicts) and yields the changes it makes. Deterministic: every id comes from the
//! mutation's arguments or is derived from its id, every time is `now`.

use crate::error::{DomainError, ErrorCode};
use crate::event::{EventKind, TicketEvent};
use crate::ids::*;
use crate::lifecycle::{Via, check_transition};
use crate::limits;
use crate::model::*;
use crate::mutation::*;
use crate::permissions::*;
use crate::state::{Change, State};
use crate::time::Timestamp;

/// How far "customer informed" may lie ahead of the hub's time (desktop clocks drift).
const INFORMED_TOLERANCE_MINUTES: i64 = 5;
/// Longest contact duration we accept: a day.
const MAX_CONTACT_SECONDS: u32 = 24 * 3600;

/// Applies `mutation` by `actor` at `now` (the mutation's recorded time) to `state`.
/// Returns the changes, or why the mutation is refused; refusal changes nothing.
pub fn apply(
    state: &State,
    actor: &Actor,
    mutation_id: MutationId,
    mutation: &Mutation,
    now: Timestamp,
) -> Result<Vec<Change>, DomainError> {
    let mut out = Emitter { mutation_id, author: actor.agent_id, now, changes: Vec::new(), next_event: 0 };
    match mutation {
        Mutation::LogContact(c) => log_contact(state, actor, c, &mut out)?,
        Mutation::LogFollowUpContact {
            ticket_id,
            direction,
            channel,
            duration_seconds,
            notes,
            repeat,
            caller,
            call_id,
        } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::LogContact)?;
            check_duration(*duration_seconds)?;
            let notes = limits::optional("notes", notes, limits::NOTE_MAX)?;
            if *repeat {
                // A repeat call is about an open matter; a closed one is reopened first.
                require_active(t)?;
            }
            let caller = checked_caller(caller.as_deref())?;
            let call_id = checked_call_id(call_id.as_deref())?;
            out.event(
                t.id,
                EventKind::ContactLogged {
                    direction: *direction,
                    channel: *channel,
                    duration_seconds: *duration_seconds,
                    notes,
                    repeat: *repeat,
                    caller,
                    call_id,
                },
            );
        }
        Mutation::LinkCall { ticket_id, call_id } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::LogContact)?;
            let call_id = checked_call_id(Some(call_id))?
                .ok_or_else(|| DomainError::coded(ErrorCode::Required, "call_id", "is empty"))?;
            // Linked already (the form logged it, or a repeated link): nothing to do.
            if !t.calls.contains(&call_id) {
                out.event(t.id, EventKind::CallLinked { call_id });
            }
        }
        Mutation::LinkCustomer { ticket_id, customer_id } => {
            require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "link a customer to a ticket")?;
            let t = ticket(state, *ticket_id)?;
            let c = customer(state, *customer_id)?;
            let into = c.merged_into.unwrap_or(c.id);
            match t.customer_id {
                None => out.event(t.id, EventKind::CustomerLinked { customer_id: into }),
                // Linked already (by a colleague who found the same caller): nothing to do.
                Some(existing) if existing == *customer_id || existing == into => {}
                Some(_) => {
                    return Err(DomainError::conflict(
                        ErrorCode::AlreadyLinked,
                        format!("{} already names a customer", t.reference),
                    ));
                }
            }
        }
        Mutation::AddNote { ticket_id, body } => {
            let t = ticket(state, *ticket_id)?;
            let body = limits::required("body", body, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::NoteAdded { body });
        }
        Mutation::RecordKbSuggestions { ticket_id, article_ids, opened } => {
            let t = ticket(state, *ticket_id)?;
            for id in article_ids.iter().chain(opened) {
                kb_article(state, *id)?;
            }
            let mut seen = t.kb_suggested.clone();
            for id in article_ids {
                if !seen.contains(id) {
                    seen.push(*id);
                    out.event(t.id, EventKind::KbSuggested { article_id: *id });
                }
            }
            let mut seen = t.history.kb_opened.clone();
            for id in opened {
                if !seen.contains(id) {
                    seen.push(*id);
                    out.event(t.id, EventKind::KbOpened { article_id: *id });
                }
            }
        }
        Mutation::UseKbArticle { ticket_id, article_id } => {
            let t = ticket(state, *ticket_id)?;
            kb_article(state, *article_id)?;
            out.event(t.id, EventKind::KbUsed { article_id: *article_id });
        }
        Mutation::Escalate { ticket_id, reason, steps_tried, handover_summary } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::Escalate)?;
            let reason = limits::required("reason", reason, limits::NOTE_MAX)?;
            let steps_tried = limits::required("steps_tried", steps_tried, limits::NOTE_MAX)?;
            let handover_summary = limits::required("handover_summary", handover_summary, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::Escalated { reason, steps_tried, handover_summary });
        }
        Mutation::Claim { ticket_id } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::Claim)?;
            match t.assignee {
                Some(holder) if holder == actor.agent_id => {} // already mine: nothing to do
                Some(holder) => {
                    let who = state.agents.get(&holder).map_or_else(|| holder.to_string(), |a| a.name.clone());
                    return Err(DomainError::Conflict {
                        code: ErrorCode::AlreadyClaimed,
                        message: format!("{} is already claimed by {who}", t.reference),
                        who: Some(who),
                    });
                }
                None => out.event(t.id, EventKind::Claimed),
            }
        }
        Mutation::Assign { ticket_id, assignee } => {
            let t = ticket(state, *ticket_id)?;
            require_active(t)?;
            require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "assign tickets")?;
            require_worker(actor, t, "assign this ticket")?;
            if let Some(a) = assignee {
                let agent = state.agents.get(a).ok_or_else(|| not_found("agent", a))?;
                if !agent.active {
                    return Err(DomainError::invalid("assignee", format!("{} is disabled", agent.name)));
                }
            }
            if t.assignee != *assignee {
                out.event(t.id, EventKind::Assigned { assignee: *assignee });
            }
        }
        Mutation::HandBack { ticket_id, instructions } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::HandBack)?;
            let instructions = limits::required("instructions", instructions, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::HandedBack { instructions });
        }
        Mutation::HandOverToExpert { ticket_id, department_id, note } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::HandOverToExpert)?;
            department(state, *department_id)?;
            let note = limits::optional("note", note, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::HandedOverToExpert { department_id: *department_id, note });
        }
        Mutation::ReturnFromExpert { ticket_id, note } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::ReturnFromExpert)?;
            let note = limits::required("note", note, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::ReturnedFromExpert { note });
        }
        Mutation::RequestConsult { ticket_id, consult_id, department_id, question } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::RequestConsult)?;
            department(state, *department_id)?;
            if t.consults.iter().any(|c| c.id == *consult_id) {
                return Err(DomainError::conflict(
                    ErrorCode::AlreadyExists,
                    format!("consult {consult_id} already exists"),
                ));
            }
            let question = limits::required("question", question, limits::NOTE_MAX)?;
            out.event(
                t.id,
                EventKind::ConsultRequested { consult_id: *consult_id, department_id: *department_id, question },
            );
            if t.status != Status::WaitingExpert {
                out.event(t.id, EventKind::StatusChanged { from: t.status, to: Status::WaitingExpert });
            }
        }
        Mutation::AnswerConsult { ticket_id, consult_id, answer } => {
            let t = ticket(state, *ticket_id)?;
            let consult =
                t.consults.iter().find(|c| c.id == *consult_id).ok_or_else(|| not_found("consult", consult_id))?;
            require_consultant(actor, consult.department_id)?;
            if consult.answer.is_some() {
                return Err(DomainError::conflict(
                    ErrorCode::AlreadyAnswered,
                    "this consult has already been answered",
                ));
            }
            let answer = limits::required("answer", answer, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::ConsultAnswered { consult_id: *consult_id, answer });
            let others_open = t.open_consults().any(|c| c.id != *consult_id);
            if t.status == Status::WaitingExpert && !others_open {
                check_transition(t.status, Status::Open, Via::ConsultAnswered)?;
                out.event(t.id, EventKind::StatusChanged { from: t.status, to: Status::Open });
            }
        }
        Mutation::ChangeStatus { ticket_id, status } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::ChangeStatus)?;
            check_transition(t.status, *status, Via::Agent)?;
            out.event(t.id, EventKind::StatusChanged { from: t.status, to: *status });
        }
        Mutation::SetFollowUp { ticket_id, due, note } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::SetFollowUp)?;
            if *due <= now {
                return Err(DomainError::coded(ErrorCode::InPast, "due", "must lie in the future"));
            }
            let note = limits::optional("note", note, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::FollowUpSet { due: *due, note });
        }
        Mutation::Resolve { ticket_id, summary } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::Resolve)?;
            let summary = limits::required("summary", summary, limits::NOTE_MAX)?;
            let first_contact = t.level == Level::First && !t.escalated && t.contacts <= 1;
            out.event(t.id, EventKind::Resolved { summary, level: t.level, first_contact });
        }
        Mutation::MarkCustomerInformed { ticket_id, channel, informed_at } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::MarkCustomerInformed)?;
            // A desktop clock a little ahead of the hub's must not turn "just now" into
            // "in the future": up to the tolerance it counts as now.
            if *informed_at > now.plus_minutes(INFORMED_TOLERANCE_MINUTES) {
                return Err(DomainError::coded(ErrorCode::InFuture, "informed_at", "lies in the future"));
            }
            let informed_at = (*informed_at).min(now);
            out.event(t.id, EventKind::CustomerInformed { channel: *channel, informed_at });
        }
        Mutation::Reopen { ticket_id, reason } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::Reopen)?;
            let reason = limits::required("reason", reason, limits::NOTE_MAX)?;
            out.event(t.id, EventKind::Reopened { reason });
            // A consult still open when the ticket was resolved is still awaited: the
            // reopened ticket waits for the expert again (waiting_expert iff an open consult).
            if t.open_consults().next().is_some() {
                check_transition(Status::Open, Status::WaitingExpert, Via::ConsultRequested)?;
                out.event(t.id, EventKind::StatusChanged { from: Status::Open, to: Status::WaitingExpert });
            }
        }
        Mutation::UpsertCustomer(patch) => upsert_customer(state, actor, patch, &mut out)?,
        Mutation::ReceiveEmail { ticket, email } => {
            crate::email_apply::receive_email(state, actor, ticket, email, &mut out)?
        }
        Mutation::SendEmailReply { ticket_id, reply } => {
            let t = ticket(state, *ticket_id)?;
            permit_ticket_action(actor, t, TicketAction::ReplyByEmail)?;
            crate::email_apply::send_email_reply(state, t, reply, &mut out)?
        }
        Mutation::RecordEmailDelivery { ticket_id, reply_id, delivery } => {
            let t = ticket(state, *ticket_id)?;
            crate::email_apply::record_email_delivery(actor, t, *reply_id, delivery, &mut out)?
        }
        Mutation::MergeCustomers { from, into } => {
            require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "merge customers")?;
            if from == into {
                return Err(DomainError::invalid("merge", "a customer cannot be merged into itself"));
            }
            let source = customer(state, *from)?;
            let target = customer(state, *into)?;
            for c in [source, target] {
                if let Some(other) = c.merged_into {
                    return Err(DomainError::conflict(
                        ErrorCode::Merged,
                        format!("{} was already merged into {other}", c.name),
                    ));
                }
            }
            let mut joined = target.clone();
            for e in &source.emails {
                if !joined.emails.contains(e) {
                    joined.emails.push(e.clone());
                }
            }
            for p in &source.phones {
                if !joined.phones.contains(p) {
                    joined.phones.push(p.clone());
                }
            }
            if joined.company.is_none() {
                joined.company.clone_from(&source.company);
            }
            if !source.notes.is_empty() {
                joined.notes = if joined.notes.is_empty() {
                    source.notes.clone()
                } else {
                    format!("{}\n\n{}", joined.notes, source.notes)
                };
                if joined.notes.chars().count() > limits::NOTE_MAX {
                    return Err(DomainError::invalid(
                        "notes",
                        "the merged notes would be too long; shorten them first",
                    ));
                }
            }
            joined.updated_at = now;
            joined.likely_duplicates.retain(|id| id != from);
            let mut merged = source.clone();
            merged.merged_into = Some(*into);
            merged.likely_duplicates.clear();
            merged.updated_at = now;
            // The merged record first: whoever stores these in order (the hub's duplicate
            // check) no longer sees it as a separate customer when the joined one arrives.
            out.changes.push(Change::Customer(merged));
            out.changes.push(Change::Customer(joined));
        }
        Mutation::SaveKbArticle(draft) => save_kb_article(state, actor, draft, &mut out)?,
        Mutation::PublishKbArticle { article_id, revision } => {
            permit_kb_action(actor, state.kb_articles.get(article_id), KbAction::Publish)?;
            let a = kb_article(state, *article_id)?;
            if let Some(expected) = revision
                && *expected != a.revision
            {
                return Err(DomainError::conflict(
                    ErrorCode::StaleRevision,
                    format!("\"{}\" is at revision {}, not {expected}: it was not published", a.title, a.revision),
                ));
            }
            if a.state == ArticleState::Published {
                return Ok(out.changes);
            }
            let first_publication = a.state == ArticleState::Draft;
            let mut published = a.clone();
            published.state = ArticleState::Published;
            published.updated_at = now;
            out.changes.push(Change::KbArticle(published));
            if let (true, Some(ticket_id)) = (first_publication, a.source_ticket)
                && state.tickets.contains_key(&ticket_id)
            {
                out.event(ticket_id, EventKind::KbArticlePublishedFromTicket { article_id: a.id });
            }
        }
        Mutation::ArchiveKbArticle { article_id } => {
            permit_kb_action(actor, state.kb_articles.get(article_id), KbAction::Archive)?;
            let a = kb_article(state, *article_id)?;
            if a.state != ArticleState::Archived {
                let mut archived = a.clone();
                archived.state = ArticleState::Archived;
                archived.updated_at = now;
                out.changes.push(Change::KbArticle(archived));
            }
        }
        Mutation::FlagKbArticleOutdated { article_id } => {
            permit_kb_action(actor, state.kb_articles.get(article_id), KbAction::FlagOutdated)?;
            let a = kb_article(state, *article_id)?;
            if !a.flagged_outdated {
                let mut flagged = a.clone();
                flagged.flagged_outdated = true;
                flagged.updated_at = now;
                out.changes.push(Change::KbArticle(flagged));
            }
        }
        Mutation::AddKbPhrasing { article_id, phrasing_id, ticket_id, text } => {
            require_role(
                actor,
                &[Role::FirstLevel, Role::SecondLevel, Role::Expert],
                "keep a caller's words with an article",
            )?;
            let a = kb_article(state, *article_id)?;
            let t = ticket(state, *ticket_id)?;
            if a.state != ArticleState::Published {
                return Err(DomainError::coded(
                    ErrorCode::NotPossibleNow,
                    "state",
                    "only a published article keeps callers' words",
                ));
            }
            let text =
                limits::required("text", &crate::phrasing::scrub_personal_data(text, &[]), limits::PHRASING_MAX)?;
            let key = crate::phrasing::comparable(&text);
            if a.phrasings.iter().any(|p| p.id == *phrasing_id || crate::phrasing::comparable(&p.text) == key) {
                return Ok(out.changes);
            }
            let mut kept = a.clone();
            kept.phrasings.push(KbPhrasing {
                id: *phrasing_id,
                text,
                ticket_id: t.id,
                customer_id: t.customer_id,
                added_by: actor.agent_id,
                added_at: now,
            });
            let over = kept.phrasings.len().saturating_sub(limits::PHRASINGS_MAX);
            kept.phrasings.drain(..over);
            out.changes.push(Change::KbArticle(kept));
        }
        Mutation::RemoveKbPhrasing { article_id, phrasing_id } => {
            permit_kb_action(actor, state.kb_articles.get(article_id), KbAction::Edit)?;
            let a = kb_article(state, *article_id)?;
            if a.phrasings.iter().any(|p| p.id == *phrasing_id) {
                let mut kept = a.clone();
                kept.phrasings.retain(|p| p.id != *phrasing_id);
                out.changes.push(Change::KbArticle(kept));
            }
        }
    }
    Ok(out.changes)
}

pub(crate) struct Emitter {
    mutation_id: MutationId,
    author: AgentId,
    pub(crate) now: Timestamp,
    pub(crate) changes: Vec<Change>,
    next_event: u32,
}

impl Emitter {
    pub(crate) fn event(&mut self, ticket_id: TicketId, kind: EventKind) {
        let id = EventId::derive(self.mutation_id, self.next_event);
        self.next_event += 1;
        self.changes.push(Change::Event(TicketEvent {
            id,
            ticket_id,
            mutation_id: self.mutation_id,
            author: self.author,
            at: self.now,
            kind,
        }));
    }
}

fn log_contact(state: &State, actor: &Actor, c: &NewContact, out: &mut Emitter) -> Result<(), DomainError> {
    require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "log a new contact")?;
    if state.tickets.contains_key(&c.ticket_id) {
        return Err(DomainError::conflict(ErrorCode::AlreadyExists, format!("ticket {} already exists", c.ticket_id)));
    }
    if let Some(id) = c.contact.customer_id {
        customer(state, id)?;
    }
    if let Some(id) = c.contact.category_id
        && !state.categories.contains(&id)
    {
        return Err(not_found("category", id));
    }
    check_duration(c.contact.duration_seconds)?;
    let subject = limits::required("subject", &c.contact.subject, limits::SUBJECT_MAX)?;
    let description = limits::optional("description", &c.contact.description, limits::DESCRIPTION_MAX)?;
    let caller = checked_caller(c.contact.caller.as_deref())?;
    if let (Some(first), Some(resolution)) = (c.first_response_due, c.resolution_due)
        && first > resolution
    {
        return Err(DomainError::invalid("due times", "the first response cannot be due after the resolution"));
    }
    out.event(
        c.ticket_id,
        EventKind::Created {
            reference: c.reference.clone(),
            channel: c.contact.channel,
            customer_id: c.contact.customer_id,
            category_id: c.contact.category_id,
            subject,
            description,
            priority: c.contact.priority,
            first_response_due: c.first_response_due,
            resolution_due: c.resolution_due,
            caller,
        },
    );
    out.event(
        c.ticket_id,
        EventKind::ContactLogged {
            direction: c.contact.direction,
            channel: c.contact.channel,
            duration_seconds: c.contact.duration_seconds,
            notes: String::new(),
            repeat: false,
            caller: None,
            call_id: checked_call_id(c.contact.call_id.as_deref())?,
        },
    );
    Ok(())
}

/// A call id within its limit; blank is none.
fn checked_call_id(call_id: Option<&str>) -> Result<Option<String>, DomainError> {
    match call_id {
        Some(id) => Ok(Some(limits::optional("call_id", id, crate::call::MAX_CALL_TEXT)?).filter(|c| !c.is_empty())),
        None => Ok(None),
    }
}

/// The caller as taken down, within its limit; blank is none.
fn checked_caller(caller: Option<&str>) -> Result<Option<String>, DomainError> {
    match caller {
        Some(caller) => Ok(Some(limits::optional("caller", caller, limits::NAME_MAX)?).filter(|c| !c.is_empty())),
        None => Ok(None),
    }
}

fn upsert_customer(state: &State, actor: &Actor, p: &CustomerPatch, out: &mut Emitter) -> Result<(), DomainError> {
    require_role(actor, &[Role::FirstLevel, Role::SecondLevel], "edit customers")?;
    let mut c = match state.customers.get(&p.customer_id) {
        Some(existing) => {
            if let Some(into) = existing.merged_into {
                return Err(DomainError::conflict(
                    ErrorCode::Merged,
                    format!("this customer was merged into {into}; edit that one"),
                ));
            }
            existing.clone()
        }
        None => {
            let name = p.name.as_deref().unwrap_or("");
            Customer {
                id: p.customer_id,
                name: limits::required("name", name, limits::NAME_MAX)?,
                company: None,
                emails: Vec::new(),
                phones: Vec::new(),
                notes: String::new(),
                merged_into: None,
                likely_duplicates: Vec::new(),
                updated_at: out.now,
            }
        }
    };
    if let Some(name) = &p.name {
        c.name = limits::required("name", name, limits::NAME_MAX)?;
    }
    if let Some(company) = &p.company {
        let company = limits::optional("company", company, limits::NAME_MAX)?;
        c.company = (!company.is_empty()).then_some(company);
    }
    if let Some(emails) = &p.emails {
        if emails.len() > 10 {
            return Err(DomainError::Invalid {
                field: "emails",
                problem: "at most 10 addresses".into(),
                code: ErrorCode::TooMany,
                max: Some(10),
            });
        }
        let mut clean = Vec::new();
        for e in emails {
            let e = limits::email(e)?;
            if !clean.contains(&e) {
                clean.push(e);
            }
        }
        c.emails = clean;
    }
    if let Some(phones) = &p.phones {
        if phones.len() > 10 {
            return Err(DomainError::Invalid {
                field: "phones",
                problem: "at most 10 numbers".into(),
                code: ErrorCode::TooMany,
                max: Some(10),
            });
        }
        let mut clean = Vec::new();
        for ph in phones {
            if !clean.contains(ph) {
                clean.push(ph.clone());
            }
        }
        c.phones = clean;
    }
    if let Some(notes) = &p.notes {
        c.notes = limits::optional("notes", notes, limits::NOTE_MAX)?;
    }
    c.updated_at = out.now;
    out.changes.push(Change::Customer(c));
    Ok(())
}

fn save_kb_article(state: &State, actor: &Actor, d: &KbArticleDraft, out: &mut Emitter) -> Result<(), DomainError> {
    permit_kb_action(actor, state.kb_articles.get(&d.article_id), KbAction::Edit)?;
    let title = limits::required("title", &d.title, limits::KB_TITLE_MAX)?;
    let body = limits::optional("body", &d.body, limits::KB_BODY_MAX)?;
    let tags = limits::tags(&d.tags)?;
    if let Some(id) = d.category_id
        && !state.categories.contains(&id)
    {
        return Err(not_found("category", id));
    }
    if let Some(ticket_id) = d.source_ticket {
        ticket(state, ticket_id)?;
    }
    let article = match (state.kb_articles.get(&d.article_id), d.base_revision) {
        (None, None) => KbArticle {
            id: d.article_id,
            title,
            body,
            tags,
            category_id: d.category_id,
            visibility: d.visibility,
            state: ArticleState::Draft,
            revision: 1,
            source_ticket: d.source_ticket,
            author: actor.agent_id,
            edited_by: Some(actor.agent_id),
            created_at: out.now,
            updated_at: out.now,
            flagged_outdated: false,
            phrasings: Vec::new(),
        },
        (None, Some(_)) => return Err(not_found("KB article", d.article_id)),
        (Some(_), None) => {
            return Err(DomainError::conflict(
                ErrorCode::AlreadyExists,
                format!("KB article {} already exists", d.article_id),
            ));
        }
        (Some(current), Some(base)) => {
            if base != current.revision {
                return Err(DomainError::conflict(
                    ErrorCode::StaleRevision,
                    format!(
                        "\"{}\" was changed meanwhile: your edit starts from revision {base}, the current one is {}; merge your changes into it",
                        current.title, current.revision
                    ),
                ));
            }
            if current.state == ArticleState::Published && body.is_empty() {
                return Err(DomainError::invalid("body", "a published article needs a body"));
            }
            KbArticle {
                title,
                body,
                tags,
                category_id: d.category_id,
                visibility: d.visibility,
                revision: current.revision + 1,
                edited_by: Some(actor.agent_id),
                source_ticket: d.source_ticket.or(current.source_ticket),
                updated_at: out.now,
                // an edit answers an "outdated" flag
                flagged_outdated: false,
                ..current.clone()
            }
        }
    };
    out.changes.push(Change::KbArticle(article));
    Ok(())
}

fn check_duration(seconds: u32) -> Result<(), DomainError> {
    if seconds > MAX_CONTACT_SECONDS {
        return Err(DomainError::invalid("duration", "a contact cannot last longer than a day"));
    }
    Ok(())
}

pub(crate) fn not_found(what: &'static str, id: impl ToString) -> DomainError {
    DomainError::NotFound { what, id: id.to_string() }
}

pub(crate) fn ticket(state: &State, id: TicketId) -> Result<&Ticket, DomainError> {
    state.tickets.get(&id).ok_or_else(|| not_found("ticket", id))
}

pub(crate) fn customer(state: &State, id: CustomerId) -> Result<&Customer, DomainError> {
    state.customers.get(&id).ok_or_else(|| not_found("customer", id))
}

pub(crate) fn kb_article(state: &State, id: KbArticleId) -> Result<&KbArticle, DomainError> {
    state.kb_articles.get(&id).ok_or_else(|| not_found("KB article", id))
}

fn department(state: &State, id: DepartmentId) -> Result<(), DomainError> {
    if state.departments.contains(&id) { Ok(()) } else { Err(not_found("department", id)) }
}
