//! The desktop without its window: the agent's use cases, written through the local
//! store (offline first), and the sync engine that reconciles them with the hub. The
//! Tauri app and the headless `helpline-sim` run exactly this code.

pub mod admin;
pub mod alerts;
pub mod calls;
pub mod clock;
pub mod dashboard;
mod dashboard_calls;
pub mod demo;
mod drafts;
pub mod email;
mod error;
pub mod files;
pub mod hub_api;
pub mod kb;
pub mod markdown;
pub mod phone;
pub mod profile;
pub mod session;
pub mod sync;
pub mod tickets;
pub mod views;
pub mod work;

pub use clock::{Clock, ManualClock, SkewedClock, SystemClock};
pub use error::{ClientError, Result};
pub use hub_api::{HttpHub, HubApi, PokeStream, StreamItem};
pub use sync::{Connection, SyncReport, SyncStatus};

use helpline_domain::{Agent, Contact, Mutation, NewContact, Reference, Ticket, TicketId};
use helpline_store::{KbHit, Recorded, Store, TicketHit};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

/// One desktop installation: its store, its hub, its clock and who is signed in.
#[derive(Debug)]
pub struct Desktop<H> {
    store: Mutex<Store>,
    store_path: PathBuf,
    hub: H,
    clock: Arc<dyn Clock>,
    token: Mutex<Option<String>>,
    agent: Mutex<Option<Agent>>,
    status: watch::Sender<SyncStatus>,
    /// The hub's request limits, learnt at sign-in: (mutations, bytes) per push.
    push_limits: Mutex<(usize, usize)>,
    /// Woken by local changes and pokes; the sync loop waits on it.
    wake: Notify,
    /// The figures per agent the hub last recorded a view of (filter, when): the same
    /// view refreshed as tickets sync is not recorded again (`dashboard::RECORD_AGAIN_AFTER`).
    agent_figures_recorded: Mutex<Option<(dashboard::DashboardFilter, helpline_domain::Timestamp)>>,
    /// The signed-in agent's calls as they change (`phone::Desktop::watch_calls`).
    calls: tokio::sync::broadcast::Sender<phone::IncomingCall>,
}

impl<H: HubApi> Desktop<H> {
    /// Opens the store at `path`; whoever signed in last can keep working offline.
    pub fn open(path: impl AsRef<Path>, hub: H, clock: Arc<dyn Clock>) -> Result<Arc<Desktop<H>>> {
        let store_path = path.as_ref().to_path_buf();
        let store = Store::open(&store_path)?;
        let agent = store
            .get_sync_value(session::AGENT_KEY)?
            .map(|v| serde_json::from_str(&v))
            .transpose()
            .map_err(|e| ClientError::Internal(format!("the stored sign-in is unreadable: {e}")))?;
        let desktop = Desktop {
            store: Mutex::new(store),
            store_path,
            hub,
            clock,
            token: Mutex::new(None),
            agent: Mutex::new(agent),
            status: watch::Sender::new(SyncStatus::default()),
            push_limits: Mutex::new((sync::PUSH_BATCH, 1024 * 1024)),
            wake: Notify::new(),
            agent_figures_recorded: Mutex::new(None),
            calls: Self::new_call_channel(),
        };
        let pending = desktop.count_pending()?;
        desktop.update_status(|s| s.pending = pending);
        Ok(Arc::new(desktop))
    }

    /// The SQLite file this desktop keeps its data in (tests and support open it to look).
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    /// The desktop's clock (injectable in tests).
    pub fn now(&self) -> helpline_domain::Timestamp {
        self.clock.now()
    }

    pub fn hub(&self) -> &H {
        &self.hub
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
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    }

    // ---- use cases -------------------------------------------------------------------

    /// Records a mutation as the signed-in agent: local effect and outbox in one
    /// transaction, then wakes the sync loop.
    pub fn submit(&self, mutation: Mutation) -> Result<Recorded> {
        self.submit_all(vec![mutation])?.pop().ok_or_else(|| ClientError::Internal("nothing was recorded".into()))
    }

    /// Records several mutations as the signed-in agent in ONE local transaction (all of
    /// them or none), then wakes the sync loop.
    pub fn submit_all(&self, mutations: Vec<Mutation>) -> Result<Vec<Recorded>> {
        let actor = self.actor()?;
        let now = self.clock.now();
        let recorded = self.with_store(|s| Ok(s.record_mutations(&actor, mutations, now)?))?;
        self.after_local_change();
        Ok(recorded)
    }

    /// Mutations recorded here that the hub has not answered yet.
    pub fn count_pending(&self) -> Result<u64> {
        self.with_store(|s| Ok(s.count_pending_mutations()?))
    }

    /// Tickets this desktop holds.
    pub fn count_tickets(&self) -> Result<u64> {
        self.with_store(|s| Ok(s.count_tickets()?))
    }

    fn after_local_change(&self) {
        let pending = self.count_pending().unwrap_or(0);
        self.update_status(|s| s.pending = pending);
        self.wake.notify_one();
    }

    /// Logs a call, e-mail or chat as a new ticket, with SLA due times from the hub's
    /// policy and this installation's next reference. Works offline.
    pub fn log_contact(&self, contact: Contact) -> Result<(TicketId, Reference)> {
        self.log_contact_then(contact, |_| Vec::new())
    }

    /// Logs a contact and the steps that follow from it on the form (`then` gets the new
    /// ticket's id), in ONE local transaction: all of it is written, outbox rows
    /// included, or nothing.
    pub(crate) fn log_contact_then(
        &self,
        contact: Contact,
        then: impl FnOnce(TicketId) -> Vec<Mutation>,
    ) -> Result<(TicketId, Reference)> {
        let actor = self.actor()?;
        let now = self.clock.now();
        let ticket_id = TicketId::new_v7();
        let sla = self.with_store(|s| Ok(s.sla_settings()?))?.unwrap_or_default();
        let due = sla.policy.due_times(&sla.calendar, contact.priority, now).ok();
        let new_contact = |reference| NewContact {
            ticket_id,
            reference,
            contact,
            first_response_due: due.map(|d| d.0),
            resolution_due: due.map(|d| d.1),
        };
        let (reference, _) = self.with_store(|s| Ok(s.log_contact(&actor, now, new_contact, then(ticket_id))?))?;
        self.after_local_change();
        Ok((ticket_id, reference))
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
}
