//! The desktop without its window: the agent's use cases, written through the local
//! store (offline first), and the sync engine that reconciles them with the hub. The
//! Tauri app and the headless `helpline-sim` run exactly this code.

pub mod calls;
pub mod clock;
pub mod demo;
mod error;
pub mod hub_api;
pub mod kb;
pub mod markdown;
pub mod profile;
pub mod sync;
pub mod views;
pub mod work;

pub use clock::{Clock, SkewedClock, SystemClock};
pub use error::{ClientError, Result};
pub use hub_api::{HttpHub, HubApi, PokeStream};
pub use sync::{Connection, SyncReport, SyncStatus};

use helpline_domain::{
    Actor, Agent, CategoryId, Channel, ClientId, ConsultId, CustomerId, DepartmentId, DeviceCode, Direction,
    KbArticleDraft, KbArticleId, Mutation, NewContact, Priority, Reference, Ticket, TicketId,
};
use helpline_protocol::LoginRequest;
use helpline_store::{Device, KbHit, Recorded, Store, TicketHit};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

const AGENT_KEY: &str = "signed_in_agent";
const CLIENT_ID_KEY: &str = "client_id";

/// One desktop installation: its store, its hub, its clock and who is signed in.
#[derive(Debug)]
pub struct Desktop<H> {
    store: Mutex<Store>,
    hub: H,
    clock: Arc<dyn Clock>,
    token: Mutex<Option<String>>,
    agent: Mutex<Option<Agent>>,
    status: watch::Sender<SyncStatus>,
    /// The hub's request limits, learnt at sign-in: (mutations, bytes) per push.
    push_limits: Mutex<(usize, usize)>,
    /// Woken by local changes and pokes; the sync loop waits on it.
    wake: Notify,
}

/// What an agent types into the call form.
#[derive(Debug, Clone)]
pub struct ContactInput {
    pub channel: Channel,
    pub direction: Direction,
    pub customer_id: Option<CustomerId>,
    pub category_id: Option<CategoryId>,
    pub subject: String,
    pub description: String,
    pub priority: Priority,
    pub duration_seconds: u32,
}

impl<H: HubApi> Desktop<H> {
    /// Opens the store at `path`; whoever signed in last can keep working offline.
    pub fn open(path: impl AsRef<Path>, hub: H, clock: Arc<dyn Clock>) -> Result<Arc<Desktop<H>>> {
        let store = Store::open(path)?;
        let agent = store
            .get_sync_value(AGENT_KEY)?
            .map(|v| serde_json::from_str(&v))
            .transpose()
            .map_err(|e| ClientError::Internal(format!("the stored sign-in is unreadable: {e}")))?;
        let desktop = Desktop {
            store: Mutex::new(store),
            hub,
            clock,
            token: Mutex::new(None),
            agent: Mutex::new(agent),
            status: watch::Sender::new(SyncStatus::default()),
            push_limits: Mutex::new((sync::PUSH_BATCH, 1024 * 1024)),
            wake: Notify::new(),
        };
        let pending = desktop.with_store(|s| Ok(s.count_pending_mutations()?))?;
        desktop.update_status(|s| s.pending = pending);
        Ok(Arc::new(desktop))
    }

    /// The desktop's clock (injectable in tests).
    pub fn now(&self) -> helpline_domain::Timestamp {
        self.clock.now()
    }

    pub fn hub(&self) -> &H {
        &self.hub
    }

    // ---- sign-in ----------------------------------------------------------------------

    /// Signs in at the hub. The first sign-in of this installation registers it and gets
    /// its device code (the prefix of its ticket references).
    pub async fn login(&self, login: &str, password: &str) -> Result<Agent> {
        let capabilities = self.hub.capabilities().await?;
        if !helpline_protocol::is_compatible(&capabilities.api_version) {
            return Err(ClientError::Incompatible {
                hub: capabilities.api_version,
                ours: helpline_protocol::API_VERSION.into(),
            });
        }
        *self.push_limits.lock().unwrap_or_else(|e| e.into_inner()) = (
            (capabilities.max_push_mutations as usize).clamp(1, sync::PUSH_BATCH),
            usize::try_from(capabilities.max_body_bytes).unwrap_or(usize::MAX),
        );
        let client_id = self.client_id_or_new()?;
        let request = LoginRequest { login: login.into(), password: password.into(), client_id };
        let response = self.hub.login(&request).await?;
        let device_code = DeviceCode::parse(&response.device_code).map_err(|e| ClientError::Internal(e.to_string()))?;
        self.with_store(|s| {
            s.set_device(&Device { client_id, device_code })?;
            s.set_sync_value(AGENT_KEY, &serde_json::to_string(&response.agent).unwrap_or_default())?;
            Ok(())
        })?;
        *self.lock_token() = Some(response.token);
        *self.agent.lock().unwrap_or_else(|e| e.into_inner()) = Some(response.agent.clone());
        self.wake.notify_one();
        Ok(response.agent)
    }

    /// Resumes a session with a token kept elsewhere (the OS keyring).
    pub fn resume(&self, token: String) {
        *self.lock_token() = Some(token);
        self.wake.notify_one();
    }

    pub(crate) fn push_limits(&self) -> (usize, usize) {
        *self.push_limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn token(&self) -> Result<String> {
        self.lock_token().clone().ok_or(ClientError::NotSignedIn)
    }

    pub fn signed_in_agent(&self) -> Option<Agent> {
        self.agent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn actor(&self) -> Result<Actor> {
        let agent = self.signed_in_agent().ok_or(ClientError::NotSignedIn)?;
        Ok(Actor { agent_id: agent.id, role: agent.role, department_id: agent.department_id })
    }

    fn lock_token(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.token.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn client_id(&self) -> Result<ClientId> {
        let device = self.with_store(|s| Ok(s.device()?))?;
        device.map(|d| d.client_id).ok_or(ClientError::NotSignedIn)
    }

    fn client_id_or_new(&self) -> Result<ClientId> {
        self.with_store(|s| {
            if let Some(d) = s.device()? {
                return Ok(d.client_id);
            }
            if let Some(id) = s.get_sync_value(CLIENT_ID_KEY)?.and_then(|v| v.parse::<uuid::Uuid>().ok()) {
                return Ok(ClientId(id));
            }
            let id = ClientId::new_v7();
            s.set_sync_value(CLIENT_ID_KEY, &id.0.to_string())?;
            Ok(id)
        })
    }

    // ---- status ----------------------------------------------------------------------

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    pub fn watch_status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    pub(crate) fn update_status(&self, change: impl FnOnce(&mut SyncStatus)) {
        self.status.send_modify(change);
    }

    /// Runs `f` on the store. Store calls are short, local SQLite transactions.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    }

    // ---- use cases -------------------------------------------------------------------

    /// Records a mutation as the signed-in agent: local effect and outbox in one
    /// transaction, then wakes the sync loop.
    pub fn submit(&self, mutation: Mutation) -> Result<Recorded> {
        let actor = self.actor()?;
        let now = self.clock.now();
        let recorded = self.with_store(|s| Ok(s.record_mutation(&actor, mutation, now)?))?;
        self.after_local_change();
        Ok(recorded)
    }

    fn after_local_change(&self) {
        let pending = self.with_store(|s| Ok(s.count_pending_mutations()?)).unwrap_or(0);
        self.update_status(|s| s.pending = pending);
        self.wake.notify_one();
    }

    /// Logs a call, e-mail or chat as a new ticket, with SLA due times from the hub's
    /// policy and this installation's next reference. Works offline.
    pub fn log_contact(&self, input: ContactInput) -> Result<(TicketId, Reference)> {
        self.log_contact_then(input, |_| Vec::new())
    }

    /// Logs a contact and the steps that follow from it on the form (`then` gets the new
    /// ticket's id), in ONE local transaction: all of it is written, outbox rows
    /// included, or nothing.
    pub(crate) fn log_contact_then(
        &self,
        input: ContactInput,
        then: impl FnOnce(TicketId) -> Vec<Mutation>,
    ) -> Result<(TicketId, Reference)> {
        let actor = self.actor()?;
        let now = self.clock.now();
        let ticket_id = TicketId::new_v7();
        let sla = self.with_store(|s| Ok(s.sla_settings()?))?.unwrap_or_default();
        let due = sla.policy.due_times(&sla.calendar, input.priority, now).ok();
        let contact = |reference| NewContact {
            ticket_id,
            reference,
            channel: input.channel,
            direction: input.direction,
            customer_id: input.customer_id,
            category_id: input.category_id,
            subject: input.subject,
            description: input.description,
            priority: input.priority,
            duration_seconds: input.duration_seconds,
            first_response_due: due.map(|d| d.0),
            resolution_due: due.map(|d| d.1),
        };
        let (reference, _) = self.with_store(|s| Ok(s.log_contact(&actor, now, contact, then(ticket_id))?))?;
        self.after_local_change();
        Ok((ticket_id, reference))
    }

    pub fn add_note(&self, ticket_id: TicketId, body: &str) -> Result<Recorded> {
        self.submit(Mutation::AddNote { ticket_id, body: body.into() })
    }

    pub fn escalate(&self, ticket_id: TicketId, reason: &str, steps_tried: &str, summary: &str) -> Result<Recorded> {
        self.submit(Mutation::Escalate {
            ticket_id,
            reason: reason.into(),
            steps_tried: steps_tried.into(),
            handover_summary: summary.into(),
        })
    }

    pub fn claim(&self, ticket_id: TicketId) -> Result<Recorded> {
        self.submit(Mutation::Claim { ticket_id })
    }

    pub fn request_consult(
        &self,
        ticket_id: TicketId,
        department_id: DepartmentId,
        question: &str,
    ) -> Result<ConsultId> {
        let consult_id = ConsultId::new_v7();
        self.submit(Mutation::RequestConsult { ticket_id, consult_id, department_id, question: question.into() })?;
        Ok(consult_id)
    }

    pub fn answer_consult(&self, ticket_id: TicketId, consult_id: ConsultId, answer: &str) -> Result<Recorded> {
        self.submit(Mutation::AnswerConsult { ticket_id, consult_id, answer: answer.into() })
    }

    pub fn resolve(&self, ticket_id: TicketId, summary: &str) -> Result<Recorded> {
        self.submit(Mutation::Resolve { ticket_id, summary: summary.into() })
    }

    /// Saves a KB article (new when `base_revision` is `None`) and, with `publish`,
    /// publishes it.
    pub fn save_kb_article(&self, draft: KbArticleDraft, publish: bool) -> Result<KbArticleId> {
        let article_id = draft.article_id;
        self.submit(Mutation::SaveKbArticle(draft))?;
        if publish {
            self.submit(Mutation::PublishKbArticle { article_id, revision: None })?;
        }
        Ok(article_id)
    }

    pub fn get_ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.with_store(|s| Ok(s.get_ticket(id)?))
    }

    pub fn search_tickets(&self, query: &str, limit: u32) -> Result<Vec<TicketHit>> {
        self.with_store(|s| Ok(s.search_tickets(query, limit)?))
    }

    pub fn search_kb(&self, query: &str, limit: u32) -> Result<Vec<KbHit>> {
        self.with_store(|s| Ok(s.search_kb(query, limit)?))
    }

    pub fn suggest_kb_articles(&self, form_text: &str, limit: u32) -> Result<Vec<KbHit>> {
        self.with_store(|s| Ok(s.suggest_kb_articles(form_text, limit)?))
    }
}
