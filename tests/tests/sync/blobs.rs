//! Files uploaded by desktops to a real hub on both backends: sent in chunks smaller than
//! the request limit, resumed after an interruption from where the hub says, checked by
//! hash (a file that changed on the way is refused and nothing of it stays), kept once per
//! content, refused before any byte when too large or empty, and private to the agent who
//! began the upload until it is complete.

use crate::both_backends;
use anyhow::{Context, Result};
use helpline_protocol::{BlobUpload, ErrorBody, LoginRequest};
use helpline_tests::harness::{Backend, PASSWORD, TestHub};
use sha2::{Digest, Sha256};

const CHUNK: usize = 1024 * 1024;

struct Agent {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Agent {
    async fn sign_in(hub: &TestHub, login: &str) -> Result<Agent> {
        let http = reqwest::Client::new();
        let request = LoginRequest {
            login: login.into(),
            password: PASSWORD.into(),
            client_id: helpline_domain::ClientId::new_v7(),
        };
        let answer: serde_json::Value =
            http.post(format!("{}/v1/login", hub.url)).json(&request).send().await?.error_for_status()?.json().await?;
        let token = answer["token"].as_str().context("a token")?.to_owned();
        Ok(Agent { http, url: hub.url.clone(), token })
    }

    /// The hub's answer: the upload's state, or the refusal's status and body.
    async fn answer(response: reqwest::Response) -> Result<std::result::Result<BlobUpload, (u16, ErrorBody)>> {
        let status = response.status();
        if status.is_success() {
            return Ok(Ok(response.json().await?));
        }
        Ok(Err((status.as_u16(), response.json().await?)))
    }

    async fn begin(&self, bytes: &[u8]) -> Result<std::result::Result<BlobUpload, (u16, ErrorBody)>> {
        self.begin_as(&hex(bytes), bytes.len() as u64).await
    }

    async fn begin_as(&self, sha256: &str, size: u64) -> Result<std::result::Result<BlobUpload, (u16, ErrorBody)>> {
        let body = serde_json::json!({ "sha256": sha256, "size": size });
        let r = self
            .http
            .post(format!("{}/v1/blobs/uploads", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        Self::answer(r).await
    }

    async fn chunk(
        &self,
        upload: &BlobUpload,
        offset: usize,
        bytes: &[u8],
    ) -> Result<std::result::Result<BlobUpload, (u16, ErrorBody)>> {
        let id = upload.upload_id.context("an upload id")?;
        let r = self
            .http
            .put(format!("{}/v1/blobs/uploads/{id}?offset={offset}", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await?;
        Self::answer(r).await
    }

    async fn status(&self, upload: &BlobUpload) -> Result<reqwest::Response> {
        let id = upload.upload_id.context("an upload id")?;
        Ok(self.http.get(format!("{}/v1/blobs/uploads/{id}", self.url)).bearer_auth(&self.token).send().await?)
    }

    async fn download(&self, sha256: &str) -> Result<reqwest::Response> {
        Ok(self.http.get(format!("{}/v1/blobs/{sha256}", self.url)).bearer_auth(&self.token).send().await?)
    }
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A 3.5 MB "screenshot": a PNG signature, then bytes that differ everywhere.
fn screenshot() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..3_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    bytes
}

async fn a_file_goes_up_in_chunks_resumes_and_comes_back_byte_for_byte(backend: Backend) -> Result<()> {
    let hub = TestHub::start_with(backend, |c| c.max_body_bytes = 2 * CHUNK as u64).await?;
    let anna = Agent::sign_in(&hub, "anna").await?;
    let file = screenshot();
    let sha = hex(&file);
    let upload = anna.begin(&file).await?.expect("begun");
    assert_eq!((upload.received, upload.complete), (0, false));
    // One chunk, then the connection is gone: the desktop asks where it stands and goes on.
    anna.chunk(&upload, 0, &file[..CHUNK]).await?.expect("first chunk");
    let resumed = anna.begin(&file).await?.expect("resumed");
    assert_eq!((resumed.upload_id, resumed.received), (upload.upload_id, CHUNK as u64), "the same upload, resumed");
    let standing: BlobUpload = anna.status(&upload).await?.error_for_status()?.json().await?;
    assert_eq!(standing.received, CHUNK as u64);
    // A chunk at the wrong place is refused with where to go on; it changes nothing.
    let (status, body) = anna.chunk(&upload, 2 * CHUNK, &file[2 * CHUNK..3 * CHUNK]).await?.expect_err("out of order");
    assert_eq!(status, 409, "{body:?}");
    assert_eq!(body.problem.context("problem")?.params.get("received").map(String::as_str), Some("1048576"));
    // Larger than the request limit in one go: refused by the limit, not stored.
    let (status, _) = anna.chunk(&upload, CHUNK, &file[CHUNK..]).await?.expect_err("over the request limit");
    assert_eq!(status, 413);
    let mut last = None;
    for offset in (CHUNK..file.len()).step_by(CHUNK) {
        let end = (offset + CHUNK).min(file.len());
        last = Some(anna.chunk(&upload, offset, &file[offset..end]).await?.expect("chunk"));
    }
    let done = last.context("chunks")?;
    assert!(done.complete, "{done:?}");
    assert_eq!(done.content_type.as_deref(), Some("image/png"), "the type from the content");
    // Another desktop (another agent) fetches it by its hash.
    let ben = Agent::sign_in(&hub, "ben").await?;
    let got = ben.download(&sha).await?.error_for_status()?;
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.headers()["content-disposition"], "attachment");
    assert_eq!(hex(&got.bytes().await?), sha, "byte for byte");
    // Kept once: the same file again needs no upload.
    let again = ben.begin(&file).await?.expect("known");
    assert!(again.complete && again.upload_id.is_none(), "{again:?}");
    // The finished upload is gone.
    assert_eq!(anna.status(&upload).await?.status(), 404);
    hub.stop().await;
    Ok(())
}

async fn bad_uploads_are_refused_and_leave_nothing(backend: Backend) -> Result<()> {
    let hub = TestHub::start_with(backend, |c| c.attachment_max_bytes = 20 * 1024 * 1024).await?;
    let anna = Agent::sign_in(&hub, "anna").await?;
    let ben = Agent::sign_in(&hub, "ben").await?;
    // Too large (60 MB) or empty: refused before any byte is sent.
    let (status, body) = anna.begin_as(&"ab".repeat(32), 60 * 1024 * 1024).await?.expect_err("60 MB");
    assert_eq!(status, 400, "{body:?}");
    let problem = body.problem.context("problem")?;
    assert_eq!((problem.params["field"].as_str(), problem.params["max"].as_str()), ("size", "20971520"));
    let (_, body) = anna.begin(b"").await?.expect_err("empty");
    assert_eq!(body.problem.context("problem")?.params["field"], "size");
    let (_, body) = anna.begin_as("../../etc/passwd", 10).await?.expect_err("not a hash");
    assert_eq!(body.problem.context("problem")?.params["field"], "sha256");
    // Another agent cannot go on with anna's upload, nor see it.
    let log = "2026-12-07 10:00:01 PPP: Verbindung getrennt\n".repeat(2000).into_bytes();
    let upload = anna.begin(&log).await?.expect("begun");
    anna.chunk(&upload, 0, &log[..1000]).await?.expect("first part");
    let (status, _) = ben.chunk(&upload, 1000, &log[1000..]).await?.expect_err("not ben's");
    assert_eq!(status, 404);
    assert_eq!(ben.status(&upload).await?.status(), 404);
    // The file changed while it was sent: the hash does not match, nothing is kept, and
    // the upload is gone (it begins again from nothing).
    let mut changed = log.clone();
    changed[5000] ^= 1;
    let (status, body) = anna.chunk(&upload, 1000, &changed[1000..]).await?.expect_err("hash mismatch");
    assert_eq!((status, body.problem.context("problem")?.params["field"].as_str()), (400, "sha256"));
    assert_eq!(anna.download(&hex(&log)).await?.status(), 404, "nothing half-stored");
    assert_eq!(anna.download(&hex(&changed)).await?.status(), 404);
    assert_eq!(anna.status(&upload).await?.status(), 404, "the upload is dropped");
    let fresh = anna.begin(&log).await?.expect("begun again");
    assert_eq!(fresh.received, 0);
    // Past the announced size: refused, the upload stays where it was.
    let mut longer = log.clone();
    longer.extend_from_slice(b"extra");
    let (status, _) = anna.chunk(&fresh, 0, &longer).await?.expect_err("past the end");
    assert_eq!(status, 400);
    let standing: BlobUpload = anna.status(&fresh).await?.error_for_status()?.json().await?;
    assert_eq!(standing.received, 0);
    let done = anna.chunk(&fresh, 0, &log).await?.expect("whole");
    assert_eq!(done.content_type.as_deref(), Some("text/plain"));
    // Signed out: no file.
    let anonymous = reqwest::get(format!("{}/v1/blobs/{}", hub.url, hex(&log))).await?;
    assert_eq!(anonymous.status(), 401);
    hub.stop().await;
    Ok(())
}

/// Through the desktops' own code: a file added offline waits in anna's profile, goes up
/// (in chunks) with her first sync round online, and opens on ben's desktop from the hub, checked by its
/// hash and cached, so it opens again with the network gone.
async fn a_file_added_offline_reaches_another_desktop_and_opens_there_offline_too(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let anna = hub.desktop("anna", helpline_tests::faults::FaultPlan::none()).await?;
    let ben = hub.desktop("ben", helpline_tests::faults::FaultPlan::none()).await?;
    anna.hub().set_offline(true);
    let file = screenshot();
    let added = anna.files().add("C:\\Users\\anna\\Bildschirmfoto 1.png", &file)?;
    assert_eq!((added.name.as_str(), added.content_type.as_str()), ("Bildschirmfoto 1.png", "image/png"));
    assert!(anna.sync_once().await.is_err(), "offline: nothing goes");
    assert_eq!(anna.files().list_pending()?, std::slice::from_ref(&added.sha256), "the file waits in the profile");
    anna.hub().set_offline(false);
    assert_eq!(anna.sync_once().await?.uploaded, 1, "the sync round uploads it");
    assert!(anna.files().list_pending()?.is_empty(), "uploaded: no longer pending");
    assert_eq!(anna.sync_once().await?.uploaded, 0, "nothing twice");
    let opened = ben.open_file(&added.sha256).await?;
    assert_eq!(hex(&opened), added.sha256, "byte for byte on the other desktop");
    ben.hub().set_offline(true);
    assert_eq!(ben.open_file(&added.sha256).await?.len(), file.len(), "from the cache, offline");
    assert!(ben.open_file(&"0".repeat(64)).await.is_err(), "a file it never had needs the hub");
    hub.stop().await;
    Ok(())
}

both_backends!(
    a_file_goes_up_in_chunks_resumes_and_comes_back_byte_for_byte,
    bad_uploads_are_refused_and_leave_nothing,
    a_file_added_offline_reaches_another_desktop_and_opens_there_offline_too,
);
