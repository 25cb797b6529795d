//! A fault-injecting layer between a real sync engine and a real hub: requests and
//! responses get dropped, duplicated, or replayed late (out of order), on a seeded
//! schedule so a failing run can be repeated.

use helpline_client::{ClientError, HttpHub, HubApi, PokeStream, Result};
use helpline_protocol::{Capabilities, LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse};
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Probabilities (0.0–1.0) of each fault, per request.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultPlan {
    pub seed: u64,
    /// The request never reaches the hub.
    pub drop_request: f64,
    /// The hub processes it but the answer is lost.
    pub drop_response: f64,
    /// The request is sent twice.
    pub duplicate: f64,
    /// An older request is sent again (a late, reordered delivery), or for pulls an
    /// older answer is handed back.
    pub replay_old: f64,
}

impl FaultPlan {
    pub fn none() -> Self {
        FaultPlan::default()
    }

    pub fn chaos(seed: u64) -> Self {
        FaultPlan { seed, drop_request: 0.15, drop_response: 0.15, duplicate: 0.15, replay_old: 0.15 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    DropRequest,
    DropResponse,
    Duplicate,
    ReplayOld,
}

#[derive(Debug)]
pub struct FaultyHub {
    inner: HttpHub,
    plan: FaultPlan,
    rng: Mutex<SmallRng>,
    old_push: Mutex<Option<(String, PushRequest)>>,
    old_pull: Mutex<Option<PullResponse>>,
    /// While true, every request fails as if the network were down.
    offline: AtomicBool,
    /// While true, no faults are injected (the network healed).
    calm: AtomicBool,
    pub faults_injected: AtomicU64,
}

impl FaultyHub {
    pub fn new(inner: HttpHub, plan: FaultPlan) -> Self {
        FaultyHub {
            inner,
            plan,
            rng: Mutex::new(SmallRng::seed_from_u64(plan.seed)),
            old_push: Mutex::new(None),
            old_pull: Mutex::new(None),
            offline: AtomicBool::new(false),
            calm: AtomicBool::new(false),
            faults_injected: AtomicU64::new(0),
        }
    }

    /// Cuts (true) or restores (false) this desktop's network.
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
    }

    /// Stops (true) or resumes (false) injecting faults.
    pub fn set_calm(&self, calm: bool) {
        self.calm.store(calm, Ordering::SeqCst);
    }

    fn roll(&self) -> Result<Fault> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(ClientError::Offline("network cut by the test".into()));
        }
        if self.calm.load(Ordering::SeqCst) {
            return Ok(Fault::None);
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let p = &self.plan;
        let x: f64 = rng.random();
        let fault = if x < p.drop_request {
            Fault::DropRequest
        } else if x < p.drop_request + p.drop_response {
            Fault::DropResponse
        } else if x < p.drop_request + p.drop_response + p.duplicate {
            Fault::Duplicate
        } else if x < p.drop_request + p.drop_response + p.duplicate + p.replay_old {
            Fault::ReplayOld
        } else {
            Fault::None
        };
        if fault != Fault::None {
            self.faults_injected.fetch_add(1, Ordering::Relaxed);
        }
        Ok(fault)
    }
}

fn dropped() -> ClientError {
    ClientError::Offline("injected fault: message lost".into())
}

impl HubApi for FaultyHub {
    async fn capabilities(&self) -> Result<Capabilities> {
        self.inner.capabilities().await
    }

    async fn login(&self, request: &LoginRequest) -> Result<LoginResponse> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(ClientError::Offline("network cut by the test".into()));
        }
        self.inner.login(request).await
    }

    async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse> {
        let fault = self.roll()?;
        let previous = self.old_push.lock().unwrap_or_else(|e| e.into_inner()).replace((token.into(), request.clone()));
        match fault {
            Fault::None => self.inner.push(token, request).await,
            Fault::DropRequest => Err(dropped()),
            Fault::DropResponse => {
                let _ = self.inner.push(token, request).await;
                Err(dropped())
            }
            Fault::Duplicate => {
                let _ = self.inner.push(token, request).await;
                self.inner.push(token, request).await
            }
            Fault::ReplayOld => {
                let answer = self.inner.push(token, request).await;
                if let Some((old_token, old)) = previous {
                    // The late copy arrives after the newer request; its answer is lost.
                    let _ = self.inner.push(&old_token, &old).await;
                }
                answer
            }
        }
    }

    async fn pull(&self, token: &str, cursor: u64) -> Result<PullResponse> {
        match self.roll()? {
            Fault::None => {
                let page = self.inner.pull(token, cursor).await?;
                *self.old_pull.lock().unwrap_or_else(|e| e.into_inner()) = Some(page.clone());
                Ok(page)
            }
            Fault::DropRequest | Fault::DropResponse => {
                let _ = self.inner.pull(token, cursor).await;
                Err(dropped())
            }
            Fault::Duplicate => {
                let _ = self.inner.pull(token, cursor).await;
                self.inner.pull(token, cursor).await
            }
            Fault::ReplayOld => {
                let old = self.old_pull.lock().unwrap_or_else(|e| e.into_inner()).clone();
                match old {
                    Some(page) => Ok(page),
                    None => self.inner.pull(token, cursor).await,
                }
            }
        }
    }

    /// Administration and account requests pass untouched (they are online-only and
    /// never retried by the engine), but not through a cut network.
    async fn put_chunk(
        &self,
        token: &str,
        upload_id: uuid::Uuid,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<helpline_protocol::BlobUpload> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(ClientError::Offline("network cut by the test".into()));
        }
        self.inner.put_chunk(token, upload_id, offset, bytes).await
    }

    async fn download_blob(&self, token: &str, sha256: &str) -> Result<Vec<u8>> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(ClientError::Offline("network cut by the test".into()));
        }
        self.inner.download_blob(token, sha256).await
    }

    async fn request_json(
        &self,
        token: &str,
        method: helpline_client::hub_api::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(ClientError::Offline("network cut by the test".into()));
        }
        self.inner.request_json(token, method, path, body).await
    }

    async fn open_stream(&self, token: &str) -> Result<PokeStream> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(ClientError::Offline("network cut by the test".into()));
        }
        self.inner.open_stream(token).await
    }
}
