//! The desktop's local store: one SQLite file (WAL, `synchronous=FULL`) holding the
//! agent's view (confirmed state with pending mutations applied on top), the outbox,
//! and full-text indexes. Only this crate (and the hub's storage) contains SQL.

mod calls;
mod error;
mod schema;
pub mod search;
pub mod suggest;
pub mod tables;
pub mod text;
mod tokenizer;

pub use error::{Result, StoreError};
pub use search::{HIGHLIGHT_END, HIGHLIGHT_START, KbHit, TicketHit};
pub use tables::calls::{CallTicket, StoredCall};
pub use tables::device::Device;
pub use tables::events::KbUsage;
pub use tables::kb_articles::KbFilter;
pub use tables::outbox::{OutboxCounts, OutboxEntry, OutboxStatus, Verdict};
pub use tables::ticket_facts::TicketFacts;
pub use tables::tickets::Queue;

use helpline_domain::{
    Actor, Agent, ArticleState, CategoryId, Change, Customer, CustomerId, DepartmentId, KbArticle, KbArticleId, Level,
    Mutation, MutationId, NewContact, PhoneNumber, Reference, State, Ticket, TicketEvent, TicketId, Timestamp, apply,
};
use helpline_protocol::{PullResponse, SlaSettings};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::collections::BTreeMap;
use std::path::Path;
use tables::fts_bulk::{self, Indexed};
use tables::shadow::{self, Kind};
use tables::{customers, device, drafts, events, kb_articles, outbox, reference_data, sync_state, tickets};

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    kb_terms: search::DocFrequencies,
    kb_index: suggest::SuggestIndex,
}

/// A mutation the store accepted: its place in the outbox and what it changed locally.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub seq: u64,
    pub mutation_id: MutationId,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebaseReport {
    /// Pending mutations re-applied on top of the confirmed state.
    pub reapplied: usize,
    /// Pending mutations that no longer apply locally; they still go to the hub, which
    /// decides (and its reason reaches the agent).
    pub failing: usize,
    /// Whether re-applying changed a KB article (the suggestions' index is then stale).
    pub changed_kb: bool,
    /// Calls of a pulled page whose stored record changed (newer than what was kept).
    pub changed_calls: Vec<String>,
}

impl Store {
    /// Opens (or creates) the store at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        tokenizer::register(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a saved call survives a power cut, not just a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -32_768)?;
        conn.pragma_update(None, "mmap_size", 268_435_456)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrations().to_latest(&mut conn)?;
        let tx = conn.transaction()?;
        tables::ticket_facts::backfill_ticket_facts(&tx)?;
        tx.commit()?;
        Ok(Store { conn, kb_terms: search::DocFrequencies::default(), kb_index: suggest::SuggestIndex::default() })
    }

    /// The underlying connection, for read-only diagnostics and benchmarks.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn write_tx(&mut self) -> Result<Transaction<'_>> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    // ---- this installation -------------------------------------------------------

    pub fn device(&self) -> Result<Option<Device>> {
        device::get_device(&self.conn)
    }

    pub fn set_device(&mut self, d: &Device) -> Result<()> {
        device::set_device(&self.conn, d)
    }

    // ---- reference data the hub owns ------------------------------------------

    pub fn upsert_agent(&mut self, a: &Agent) -> Result<()> {
        reference_data::upsert_agent(&self.conn, a)
    }

    pub fn upsert_department(&mut self, id: DepartmentId, name: &str) -> Result<()> {
        reference_data::upsert_department(&self.conn, id, name)
    }

    pub fn upsert_category(&mut self, id: CategoryId, name: &str) -> Result<()> {
        reference_data::upsert_category(&self.conn, id, name)
    }

    // ---- mutations ------------------------------------------------------------------

    /// Applies `mutation` through the domain rules and, in ONE transaction, writes its
    /// local effect and appends it to the outbox. A refused mutation changes nothing.
    pub fn record_mutation(&mut self, actor: &Actor, mutation: Mutation, now: Timestamp) -> Result<Recorded> {
        let mut recorded = self.record_mutations(actor, vec![mutation], now)?;
        recorded.pop().ok_or_else(|| StoreError::NotFound { what: "recorded mutation", id: String::new() })
    }

    /// Records several mutations in order in ONE transaction, each through the rules with
    /// its outbox row: all of them are written or, if any is refused, none.
    pub fn record_mutations(
        &mut self,
        actor: &Actor,
        mutations: Vec<Mutation>,
        now: Timestamp,
    ) -> Result<Vec<Recorded>> {
        let tx = self.write_tx()?;
        let recorded = mutations.into_iter().map(|m| record_in(&tx, actor, m, now)).collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        if recorded.iter().any(|r| r.changes.iter().any(|c| matches!(c, Change::KbArticle(_)))) {
            self.invalidate_kb();
        }
        Ok(recorded)
    }

    /// Logs the first contact of a new ticket, giving it the next reference of this
    /// installation (`K7-0042`), offline too. `contact` receives the reference. `then`
    /// are the form's further steps on the new ticket (articles shown and used, resolve,
    /// escalate, follow-up), recorded in order in the SAME transaction, each with its
    /// outbox row: if any is refused, nothing of the call is written and the reference
    /// is not taken. The hub still judges each of them on its own.
    pub fn log_contact(
        &mut self,
        actor: &Actor,
        now: Timestamp,
        contact: impl FnOnce(Reference) -> NewContact,
        then: Vec<Mutation>,
    ) -> Result<(Reference, Vec<Recorded>)> {
        let tx = self.write_tx()?;
        let reference = device::take_next_reference(&tx)?;
        let mut recorded = vec![record_in(&tx, actor, Mutation::LogContact(contact(reference.clone())), now)?];
        for mutation in then {
            recorded.push(record_in(&tx, actor, mutation, now)?);
        }
        tx.commit()?;
        if recorded.iter().any(|r| r.changes.iter().any(|c| matches!(c, Change::KbArticle(_)))) {
            self.invalidate_kb();
        }
        Ok((reference, recorded))
    }

    /// Writes changes the hub confirmed (as events, customers and articles rather than a
    /// pulled page), then rebases. For imports and benchmarks; sync uses `apply_pull`.
    pub fn write_confirmed(&mut self, confirmed: &[Change]) -> Result<RebaseReport> {
        let tx = self.write_tx()?;
        restore_confirmed(&tx)?;
        write_changes(&tx, confirmed, false)?;
        let report = reapply_unconfirmed(&tx)?;
        tx.commit()?;
        self.invalidate_kb();
        Ok(report)
    }

    /// The KB changed: document frequencies and the suggestions' index are read anew.
    fn invalidate_kb(&self) {
        self.kb_terms.invalidate();
        self.kb_index.invalidate();
    }

    /// Writes one page the hub sent (entities at their newest version, ticket snapshots
    /// and events), evicts tickets that left the hub's window, advances the pull cursor
    /// and the confirmed seq, and re-applies the unconfirmed outbox on top. One
    /// transaction: after a crash either all of the page is in or none of it.
    ///
    /// `from` is the cursor the page was requested with: a page for another cursor (a
    /// late duplicate, or a concurrent pull) is refused and changes nothing.
    pub fn apply_pull(&mut self, from: u64, page: &PullResponse) -> Result<RebaseReport> {
        // A pulled page can be pulled again, so its commit need not wait for the disk:
        // NORMAL keeps the file consistent after a power cut (losing at most this page,
        // cursor included), and the next FULL commit (a saved call) syncs it anyway.
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = self.apply_pull_in(from, page);
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }

    fn apply_pull_in(&mut self, from: u64, page: &PullResponse) -> Result<RebaseReport> {
        let tx = self.write_tx()?;
        let current = sync_state::get_value(&tx, CURSOR_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0u64);
        if current != from || page.from != from || page.cursor < from {
            return Err(StoreError::StalePage { requested: from, current });
        }
        restore_confirmed(&tx)?;
        for a in &page.agents {
            reference_data::upsert_agent(&tx, a)?;
        }
        for d in &page.departments {
            reference_data::upsert_department(&tx, d.id, &d.name)?;
        }
        for c in &page.categories {
            reference_data::upsert_category(&tx, c.id, &c.name)?;
        }
        if let Some(settings) = &page.settings {
            sync_state::set_value(&tx, ORG_SETTINGS_KEY, &serde_json::to_string(settings)?)?;
        }
        if let Some(sla) = &page.sla {
            sync_state::set_value(&tx, SLA_KEY, &serde_json::to_string(sla)?)?;
        }
        for c in &page.customers {
            customers::upsert_customer(&tx, c)?;
        }
        for e in &page.events {
            events::insert_event(&tx, e, false)?;
        }
        // Small pages (the everyday case) go through the triggers; big ones are indexed in
        // one statement per index, which pays off from a few dozen rows.
        let bulk = page.tickets.len() + page.kb_articles.len() >= BULK_INDEX_FROM;
        if bulk {
            fts_bulk::begin_bulk_index(&tx)?;
        }
        for a in &page.kb_articles {
            if bulk {
                fts_bulk::unindex_row(&tx, Indexed::KbArticles, a.id.0)?;
            }
            kb_articles::upsert_kb_article(&tx, a)?;
            if bulk {
                fts_bulk::mark_for_index(&tx, Indexed::KbArticles, a.id.0)?;
            }
        }
        for t in &page.tickets {
            // The notes column is rebuilt from the stored events: a ticket's events may
            // have arrived on earlier pages than its snapshot.
            let notes = events::get_notes_text(&tx, t.id)?;
            if bulk {
                fts_bulk::unindex_row(&tx, Indexed::Tickets, t.id.0)?;
            }
            tickets::upsert_ticket(&tx, t, Some(&notes))?;
            tickets::set_touched_at(&tx, t.id, t.touched_at)?;
            if bulk {
                fts_bulk::mark_for_index(&tx, Indexed::Tickets, t.id.0)?;
            }
        }
        if bulk {
            fts_bulk::finish_bulk_index(&tx)?;
        }
        let mut changed_calls = Vec::new();
        for c in &page.calls {
            if tables::calls::upsert_call(&tx, &c.call, c.version)? {
                changed_calls.push(c.call.call_id.clone());
            }
        }
        sync_state::set_value(&tx, CURSOR_KEY, &page.cursor.to_string())?;
        // Between the pages of one pull the state is a mix of old and new rows (a row
        // changed after this page's range comes later). Only the last page makes it
        // whole: then this desktop's mutations count as contained, and tickets leave.
        if !page.has_more() && page.last_seq > confirmed_seq(&tx)? {
            sync_state::set_value(&tx, CONFIRMED_SEQ_KEY, &page.last_seq.to_string())?;
        }
        let keep: Vec<TicketId> = outbox::list_unconfirmed(&tx, confirmed_seq(&tx)?)?
            .iter()
            .flat_map(|e| e.mutation.touches().tickets)
            .collect();
        for id in page.evict.iter().filter(|id| !keep.contains(id)) {
            tickets::delete_ticket_with_events(&tx, *id)?;
        }
        if !page.has_more() {
            tickets::evict_inactive_before(&tx, page.window_start, &keep)?;
            tables::calls::evict_calls_before(&tx, page.window_start)?;
            sync_state::set_value(&tx, WINDOW_START_KEY, &page.window_start.as_millis().to_string())?;
        }
        let report = RebaseReport { changed_calls, ..reapply_unconfirmed(&tx)? };
        tx.commit()?;
        self.kb_terms.invalidate();
        // The suggestions' index is costly to rebuild: only when articles came or a
        // re-applied change touched one.
        if report.changed_kb || !page.kb_articles.is_empty() {
            self.kb_index.invalidate();
        }
        Ok(report)
    }

    /// The version of the hub's change log this desktop has pulled up to (0: nothing yet).
    pub fn pull_cursor(&self) -> Result<u64> {
        Ok(sync_state::get_value(&self.conn, CURSOR_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// The highest seq of this installation whose effect the pulled state contains.
    pub fn confirmed_seq(&self) -> Result<u64> {
        confirmed_seq(&self.conn)
    }

    /// The SLA policy and calendar the hub sent, if any yet.
    pub fn sla_settings(&self) -> Result<Option<SlaSettings>> {
        Ok(sync_state::get_value(&self.conn, SLA_KEY)?.map(|v| serde_json::from_str(&v)).transpose()?)
    }

    // ---- outbox ------------------------------------------------------------------

    pub fn list_pending_mutations(&self) -> Result<Vec<OutboxEntry>> {
        outbox::list_pending(&self.conn)
    }

    pub fn count_pending_mutations(&self) -> Result<u64> {
        outbox::count_pending(&self.conn)
    }

    /// The whole outbox in seq order, whatever each entry's status.
    pub fn list_outbox_entries(&self) -> Result<Vec<OutboxEntry>> {
        outbox::list_all(&self.conn)
    }

    pub fn count_outbox(&self) -> Result<OutboxCounts> {
        outbox::count_by_status(&self.conn)
    }

    pub fn list_rejected_mutations(&self) -> Result<Vec<OutboxEntry>> {
        outbox::list_rejected(&self.conn)
    }

    /// Records the hub's verdicts on a push in one transaction; when any was a refusal,
    /// the view is rebased in the same transaction, so the refused effect is gone with it.
    pub fn record_push_results(&mut self, results: &[(u64, Verdict)]) -> Result<()> {
        let tx = self.write_tx()?;
        for (seq, verdict) in results {
            if !outbox::set_outbox_result(&tx, *seq, verdict)? {
                return Err(StoreError::NotFound { what: "outbox entry", id: seq.to_string() });
            }
        }
        let refused = results.iter().any(|(_, v)| v.status == OutboxStatus::Rejected);
        if refused {
            restore_confirmed(&tx)?;
            reapply_unconfirmed(&tx)?;
        }
        tx.commit()?;
        if refused {
            self.invalidate_kb();
        }
        Ok(())
    }

    pub fn get_sync_value(&self, key: &str) -> Result<Option<String>> {
        sync_state::get_value(&self.conn, key)
    }

    pub fn set_sync_value(&mut self, key: &str, value: &str) -> Result<()> {
        sync_state::set_value(&self.conn, key, value)
    }

    // ---- reads ---------------------------------------------------------------------

    pub fn get_ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        tickets::get_ticket(&self.conn, id)
    }

    /// Finds a ticket by what an agent typed ("k7-42" finds K7-0042).
    pub fn find_ticket_by_reference(&self, typed: &str) -> Result<Option<Ticket>> {
        let reference: Reference = typed.parse()?;
        tickets::find_ticket_by_reference(&self.conn, &reference)
    }

    pub fn list_events(&self, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        events::list_events(&self.conn, ticket)
    }

    /// Every cached ticket, by id (for diagnostics and convergence checks).
    pub fn list_all_tickets(&self) -> Result<Vec<Ticket>> {
        tickets::list_all_tickets(&self.conn)
    }

    pub fn count_tickets(&self) -> Result<u64> {
        tickets::count_tickets(&self.conn)
    }

    pub fn list_my_tickets(&self, agent: helpline_domain::AgentId, limit: u32) -> Result<Vec<Ticket>> {
        tickets::list_my_tickets(&self.conn, agent, limit)
    }

    /// The first level's shared queue: unassigned tickets at level 1, by SLA due.
    pub fn list_team_queue(&self, limit: u32) -> Result<Vec<Ticket>> {
        tickets::list_unassigned_queue(&self.conn, Level::First, limit)
    }

    /// The escalated queue: active tickets at level 2, by SLA due.
    pub fn list_escalated_queue(&self, limit: u32) -> Result<Vec<Ticket>> {
        tickets::list_level_queue(&self.conn, Level::Second, limit)
    }

    pub fn list_department_queue(&self, department: DepartmentId, limit: u32) -> Result<Vec<Ticket>> {
        tickets::list_department_queue(&self.conn, department, limit)
    }

    /// One window of a queue, sorted by SLA due, and the queue's length.
    pub fn list_queue_page(&self, queue: Queue, offset: u32, limit: u32) -> Result<(u64, Vec<Ticket>)> {
        tickets::list_queue_page(&self.conn, queue, offset, limit)
    }

    /// The reference the next logged contact will get; `None` before the first sign-in.
    pub fn peek_next_reference(&self) -> Result<Option<Reference>> {
        device::peek_next_reference(&self.conn)
    }

    pub fn list_departments(&self) -> Result<Vec<(DepartmentId, String)>> {
        reference_data::list_departments(&self.conn)
    }

    pub fn list_categories(&self) -> Result<Vec<(helpline_domain::CategoryId, String)>> {
        reference_data::list_categories(&self.conn)
    }

    pub fn list_agents(&self) -> Result<Vec<Agent>> {
        reference_data::list_agents(&self.conn)
    }

    pub fn get_agent(&self, id: helpline_domain::AgentId) -> Result<Option<Agent>> {
        reference_data::get_agent(&self.conn, id)
    }

    /// The agent's follow-ups that came due since the last call (each is returned once,
    /// across restarts too).
    pub fn take_due_follow_ups(&mut self, agent: helpline_domain::AgentId, now: Timestamp) -> Result<Vec<Ticket>> {
        const KEY: &str = "follow_ups_notified_until";
        let tx = self.conn.transaction()?;
        let after: i64 = sync_state::get_value(&tx, KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let due = tickets::list_follow_ups_due(&tx, agent, after, now.as_millis())?;
        sync_state::set_value(&tx, KEY, &now.as_millis().to_string())?;
        tx.commit()?;
        Ok(due)
    }

    // ---- drafts ----------------------------------------------------------------------

    pub fn get_draft(&self, key: &str) -> Result<Option<String>> {
        drafts::get_draft(&self.conn, key)
    }

    /// Keeps what the agent typed; `synchronous=FULL` makes it survive a crash.
    pub fn save_draft(&mut self, key: &str, body: &str, now: Timestamp) -> Result<()> {
        drafts::save_draft(&self.conn, key, body, now.as_millis())
    }

    pub fn delete_draft(&mut self, key: &str) -> Result<()> {
        drafts::delete_draft(&self.conn, key)
    }

    pub fn get_customer(&self, id: CustomerId) -> Result<Option<Customer>> {
        customers::get_customer(&self.conn, id)
    }

    /// The caller by phone number (normalise it with `helpline_domain::normalise_phone`).
    pub fn find_customers_by_phone(&self, phone: &PhoneNumber) -> Result<Vec<Customer>> {
        customers::find_customers_by_phone(&self.conn, phone)
    }

    pub fn find_customers_by_email(&self, email: &str) -> Result<Vec<Customer>> {
        customers::find_customers_by_email(&self.conn, email)
    }

    /// Tickets logged without a customer for this caller (see `Contact::caller`).
    pub fn list_unlinked_tickets_by_caller(&self, caller: &str, limit: u32) -> Result<Vec<Ticket>> {
        tickets::list_unlinked_tickets_by_caller(&self.conn, caller, limit)
    }

    /// A customer's tickets, newest first, including those of records merged into it.
    pub fn list_customer_tickets(&self, customer: CustomerId, limit: u32) -> Result<Vec<Ticket>> {
        let mut ids = vec![customer];
        ids.extend(customers::list_merged_into(&self.conn, customer)?);
        tickets::list_customer_tickets(&self.conn, &ids, limit)
    }

    pub fn get_kb_article(&self, id: KbArticleId) -> Result<Option<KbArticle>> {
        kb_articles::get_kb_article(&self.conn, id)
    }

    pub fn list_kb_page(&self, filter: &KbFilter, offset: u32, limit: u32) -> Result<(u64, Vec<KbArticle>)> {
        kb_articles::list_kb_page(&self.conn, filter, offset, limit)
    }

    pub fn list_kb_tags(&self, states: &[ArticleState], limit: u32) -> Result<Vec<(String, u64)>> {
        kb_articles::list_kb_tags(&self.conn, states, limit)
    }

    /// Tickets waiting for an expert's answer, the most urgent first.
    pub fn list_waiting_for_expert(&self, limit: u32) -> Result<Vec<Ticket>> {
        tickets::list_waiting_for_expert(&self.conn, limit)
    }

    pub fn list_outbox_by_name(&self, name: &str) -> Result<Vec<OutboxEntry>> {
        outbox::list_outbox_by_name(&self.conn, name)
    }

    pub fn get_outbox_entry(&self, seq: u64) -> Result<Option<OutboxEntry>> {
        outbox::get_outbox_entry(&self.conn, seq)
    }

    pub fn get_kb_usage(&self, id: KbArticleId) -> Result<KbUsage> {
        events::get_kb_usage(&self.conn, id)
    }

    /// Ranked ticket search; a typed reference ("K7-0042") comes first.
    pub fn search_tickets(&self, query: &str, limit: u32) -> Result<Vec<TicketHit>> {
        let mut hits = Vec::new();
        if let Ok(reference) = query.trim().parse::<Reference>()
            && let Some(t) = tickets::find_ticket_by_reference(&self.conn, &reference)?
        {
            hits.push(TicketHit {
                id: t.id,
                reference: t.reference.to_string(),
                subject: t.subject.clone(),
                status: t.status,
                snippet: t.subject,
            });
        }
        for hit in search::search_tickets(&self.conn, query, limit)? {
            if hits.len() < limit as usize && !hits.iter().any(|h| h.id == hit.id) {
                hits.push(hit);
            }
        }
        Ok(hits)
    }

    pub fn search_kb(&self, query: &str, limit: u32) -> Result<Vec<KbHit>> {
        search::search_kb(&self.conn, &self.kb_terms, query, limit)
    }

    /// The former suggestions (FTS5 bm25 over six words), for the benchmark's baseline.
    pub fn suggest_kb_articles_bm25(&self, form_text: &str, limit: u32) -> Result<Vec<KbHit>> {
        search::suggest_kb_articles_bm25(&self.conn, &self.kb_terms, form_text, limit)
    }

    /// KB suggestions for the call form's text, ranked, with how well each fits. The one
    /// suggestion path: the app and `cargo xtask bench kb` both call it.
    pub fn suggest_kb_articles(&self, form_text: &str, limit: u32) -> Result<suggest::Suggestions> {
        suggest::suggest(&self.conn, &self.kb_index, form_text, limit)
    }

    /// The organisation's settings as last pulled (the defaults before a pull brought any).
    pub fn org_settings(&self) -> Result<helpline_protocol::OrgSettings> {
        Ok(sync_state::get_value(&self.conn, ORG_SETTINGS_KEY)?
            .map(|v| serde_json::from_str(&v))
            .transpose()?
            .unwrap_or_default())
    }

    /// What the supervisor's figures read of every cached ticket (`tables/ticket_facts.rs`).
    pub fn list_ticket_facts(&self) -> Result<Vec<TicketFacts>> {
        tables::ticket_facts::list_ticket_facts(&self.conn)
    }

    /// The start of the hub's cache window at the last complete pull (`None` before one).
    pub fn cache_window_start(&self) -> Result<Option<helpline_domain::Timestamp>> {
        Ok(sync_state::get_value(&self.conn, WINDOW_START_KEY)?
            .and_then(|v| v.parse().ok())
            .map(helpline_domain::Timestamp::from_millis))
    }

    /// The articles that should exist: calls created since `since` that were escalated or
    /// solved without any article, no article was written from, and that no article fits
    /// strongly today (one was written since from another call), grouped by category and
    /// by the words that recur among them. Bounded to the newest `GAP_CALLS_MAX` such
    /// calls.
    pub fn list_knowledge_gaps(&self, since: helpline_domain::Timestamp) -> Result<Vec<suggest::KnowledgeGap>> {
        let since = since.as_millis();
        let window = tickets::list_tickets_created_since(&self.conn, since, GAP_WINDOW_MAX)?;
        let solved_with_article = events::list_tickets_with_article(&self.conn, since)?;
        let written_from = kb_articles::list_kb_source_tickets(&self.conn)?;
        let mut gaps = Vec::new();
        for t in &window {
            let unanswered = t.escalated || t.level != helpline_domain::Level::First || t.resolved_at.is_some();
            if !unanswered || solved_with_article.contains(&t.id) || written_from.contains(&t.id) {
                continue;
            }
            let text = format!("{}\n{}", t.subject, t.description);
            if self.suggest_kb_articles(&text, 1)?.fit == suggest::Fit::Strong {
                continue;
            }
            gaps.push(t);
            if gaps.len() >= GAP_CALLS_MAX {
                break;
            }
        }
        Ok(suggest::group_gaps(&window, &gaps))
    }
}

/// The knowledge gaps read at most this many calls of their period (the newest), and
/// show at most `GAP_CALLS_MAX` of them: a view, not a report.
const GAP_WINDOW_MAX: u32 = 5_000;
const GAP_CALLS_MAX: usize = 500;

/// From this many tickets and articles in a pulled page on, they are indexed in bulk.
const BULK_INDEX_FROM: usize = 64;
const CURSOR_KEY: &str = "pull_cursor";
const CONFIRMED_SEQ_KEY: &str = "confirmed_seq";
/// The start of the hub's cache window at the last complete pull: resolved tickets the hub
/// last changed before it are not held here.
const WINDOW_START_KEY: &str = "window_start";
const SLA_KEY: &str = "sla_settings";
const ORG_SETTINGS_KEY: &str = "org_settings";

fn confirmed_seq(conn: &Connection) -> Result<u64> {
    Ok(sync_state::get_value(conn, CONFIRMED_SEQ_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Removes the effects of unconfirmed mutations: their events, and the entities they
/// changed go back to the confirmed version kept in `shadow`.
fn restore_confirmed(tx: &Transaction<'_>) -> Result<()> {
    events::delete_pending_events(tx)?;
    for (kind, id, data) in shadow::take_shadows(tx)? {
        match (kind, data) {
            (Kind::Ticket, Some(json)) => {
                let t: Ticket = serde_json::from_str(&json)?;
                let notes = events::get_notes_text(tx, t.id)?;
                tickets::upsert_ticket(tx, &t, Some(&notes))?;
            }
            (Kind::Ticket, None) => tickets::delete_ticket(tx, TicketId(id))?,
            (Kind::Customer, Some(json)) => customers::upsert_customer(tx, &serde_json::from_str(&json)?)?,
            (Kind::Customer, None) => customers::delete_customer(tx, CustomerId(id))?,
            (Kind::KbArticle, Some(json)) => kb_articles::upsert_kb_article(tx, &serde_json::from_str(&json)?)?,
            (Kind::KbArticle, None) => kb_articles::delete_kb_article(tx, KbArticleId(id))?,
        }
    }
    Ok(())
}

/// Re-applies, in seq order, every mutation the pulled state does not contain yet and
/// the hub has not rejected. One that no longer applies stays in the outbox (the hub
/// decides, and its reason reaches the agent).
fn reapply_unconfirmed(tx: &Transaction<'_>) -> Result<RebaseReport> {
    let mut report = RebaseReport::default();
    for entry in outbox::list_unconfirmed(tx, confirmed_seq(tx)?)? {
        let state = load_state(tx, &entry.mutation)?;
        match apply(&state, &entry.actor, entry.mutation_id, &entry.mutation, entry.wall_time) {
            Ok(changes) => {
                report.changed_kb |= changes.iter().any(|c| matches!(c, Change::KbArticle(_)));
                write_changes(tx, &changes, true)?;
                outbox::set_local_error(tx, entry.seq, None)?;
                report.reapplied += 1;
            }
            Err(e) => {
                outbox::set_local_error(tx, entry.seq, Some(&e.to_string()))?;
                report.failing += 1;
            }
        }
    }
    Ok(report)
}

fn record_in(tx: &Transaction<'_>, actor: &Actor, mutation: Mutation, now: Timestamp) -> Result<Recorded> {
    let mutation_id = MutationId::new_v7();
    let state = load_state(tx, &mutation)?;
    let changes = apply(&state, actor, mutation_id, &mutation, now)?;
    write_changes(tx, &changes, true)?;
    let seq = outbox::insert_outbox_entry(tx, mutation_id, actor, &mutation, now)?;
    Ok(Recorded { seq, mutation_id, changes })
}

/// Loads what `apply` reads for this mutation (the domain's `load_reads` says what).
fn load_state(conn: &Connection, m: &Mutation) -> Result<State> {
    let mut state = State::default();
    helpline_domain::load_reads(&mut StoreReads(conn), [m], &mut state)?;
    Ok(state)
}

/// The store's tables as the domain's [`StateSource`](helpline_domain::StateSource).
struct StoreReads<'c>(&'c Connection);

impl helpline_domain::StateSource for StoreReads<'_> {
    type Error = StoreError;

    fn load_entities(&mut self, wanted: &helpline_domain::Touches, state: &mut State) -> Result<()> {
        for id in &wanted.kb_articles {
            if let Some(a) = kb_articles::get_kb_article(self.0, *id)? {
                state.kb_articles.insert(a.id, a);
            }
        }
        for id in &wanted.tickets {
            if let Some(t) = tickets::get_ticket(self.0, *id)? {
                state.tickets.insert(t.id, t);
            }
        }
        for id in &wanted.customers {
            if let Some(c) = customers::get_customer(self.0, *id)? {
                state.customers.insert(c.id, c);
            }
        }
        for id in &wanted.agents {
            if let Some(a) = reference_data::get_agent(self.0, *id)? {
                state.agents.insert(a.id, a);
            }
        }
        Ok(())
    }

    fn load_reference_ids(&mut self, state: &mut State) -> Result<()> {
        state.departments = reference_data::list_department_ids(self.0)?;
        state.categories = reference_data::list_category_ids(self.0)?;
        Ok(())
    }
}

/// Persists changes. With `pending`, the confirmed version of every entity is kept in
/// `shadow` first, so `rebase` can restore it.
fn write_changes(conn: &Connection, changes: &[Change], pending: bool) -> Result<()> {
    // Tickets touched by several events are loaded and written once.
    let mut dirty: BTreeMap<TicketId, (Ticket, bool)> = BTreeMap::new();
    for change in changes {
        match change {
            Change::Event(e) => {
                let current = match dirty.remove(&e.ticket_id) {
                    Some(entry) => Some(entry),
                    None => {
                        let t = tickets::get_ticket(conn, e.ticket_id)?;
                        if pending {
                            let json = t.as_ref().map(serde_json::to_string).transpose()?;
                            shadow::insert_shadow_if_absent(conn, Kind::Ticket, e.ticket_id.0, json.as_deref())?;
                        }
                        t.map(|t| (t, false))
                    }
                };
                if !events::insert_event(conn, e, pending)? {
                    if let Some(entry) = current {
                        dirty.insert(e.ticket_id, entry);
                    }
                    continue;
                }
                let text_changed =
                    current.as_ref().is_some_and(|(_, changed)| *changed) || e.kind.searchable_text().is_some();
                let next = Ticket::after_event(current.map(|(t, _)| t), e).map(|t| (t, text_changed));
                // An event for a ticket this desktop does not hold (evicted) is kept on its own.
                if let Some(entry) = next {
                    dirty.insert(e.ticket_id, entry);
                }
            }
            Change::Customer(c) => {
                if pending && !shadow::has_shadow(conn, Kind::Customer, c.id.0)? {
                    let json = customers::get_customer(conn, c.id)?.map(|c| serde_json::to_string(&c)).transpose()?;
                    shadow::insert_shadow_if_absent(conn, Kind::Customer, c.id.0, json.as_deref())?;
                }
                customers::upsert_customer(conn, c)?;
            }
            Change::KbArticle(a) => {
                if pending && !shadow::has_shadow(conn, Kind::KbArticle, a.id.0)? {
                    let json =
                        kb_articles::get_kb_article(conn, a.id)?.map(|a| serde_json::to_string(&a)).transpose()?;
                    shadow::insert_shadow_if_absent(conn, Kind::KbArticle, a.id.0, json.as_deref())?;
                }
                kb_articles::upsert_kb_article(conn, a)?;
            }
        }
    }
    for (id, (ticket, text_changed)) in dirty {
        let notes = if text_changed { Some(events::get_notes_text(conn, id)?) } else { None };
        tickets::upsert_ticket(conn, &ticket, notes.as_deref())?;
    }
    Ok(())
}
