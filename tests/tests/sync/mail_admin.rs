//! Mailboxes administered the way the app's admin screen does it (the desktop's admin calls
//! over HTTP to a real hub and a private Dovecot): refusals name their field and store
//! nothing; a wrong password, then a folder that is not there, show as their problem (and
//! in the hub's health) until the admin fixes them; folders with umlauts and symbols are
//! read and moved into in modified UTF-7; every change is in the admin log.

use crate::both_backends;
use crate::mail::{PASSWORD, customer_mail, wait_for_ticket};
use anyhow::{Context, Result, bail};
use helpline_domain::{Channel, ErrorCode};
use helpline_protocol::{
    MailProblem, MailProcessed, MailSecurity, MailServerForm, MailboxForm, MailboxState, MailboxView,
};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, TestHub};
use helpline_tests::mailserver::MailServer;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(20);
/// "Anfragen Köln" and "Erledigt ✓" as IMAP spells them (RFC 3501 5.1.3).
const READ_FOLDER: &str = "Anfragen Köln";
const READ_FOLDER_UTF7: &str = "Anfragen K&APY-ln";
const DONE_FOLDER: &str = "Erledigt ✓";
const DONE_FOLDER_UTF7: &str = "Erledigt &JxM-";

fn form(server: &MailServer, address: &str, folder: &str, password: &str) -> MailboxForm {
    let settings = server.mailbox_settings(address);
    let server_form = |s: &helpline_hub::mail::mailbox::Server, password: &str| MailServerForm {
        host: s.host.clone(),
        port: s.port,
        security: MailSecurity::None,
        login: s.login.clone(),
        password: password.into(),
    };
    MailboxForm {
        name: "Kundendienst".into(),
        address: address.into(),
        display_name: Some("Helpline Kundendienst".into()),
        imap: server_form(&settings.imap, password),
        folder: folder.into(),
        processed: MailProcessed::Move { folder: DONE_FOLDER.into() },
        smtp: server_form(&settings.smtp, ""),
        category_id: None,
        acknowledge: false,
        language: "de".into(),
        acknowledgement: None,
        reopen_days: 14,
    }
}

async fn wait_for_state<H: helpline_client::HubApi>(
    admin: &helpline_client::Desktop<H>,
    what: &str,
    ok: impl Fn(&MailboxView) -> bool,
) -> Result<MailboxView> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let list = admin.admin_list_mailboxes().await?;
        if let Some(m) = list.iter().find(|m| ok(m)) {
            return Ok(m.clone());
        }
        if Instant::now() > deadline {
            bail!("no mailbox {what} after {PATIENCE:?}: {list:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn an_admin_sets_up_a_mailbox_in_the_app_and_sees_each_problem_until_it_works(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let key = helpline_hub::mail::mailbox::MailKey::generate();
    let hub = TestHub::start_with(backend, |c| {
        c.mail_key = key.clone();
        c.mail_idle_seconds = 5;
    })
    .await?;
    let support = server.add_user("support", PASSWORD)?;
    let clara = server.add_user("clara", PASSWORD)?;
    {
        // The folders exist on the server under their encoded names.
        let mut imap = server.imap_session(&support, PASSWORD).await?;
        imap.create(READ_FOLDER_UTF7).await?;
        imap.create(DONE_FOLDER_UTF7).await?;
        imap.logout().await?;
    }
    let admin = hub.desktop("admin", FaultPlan::none()).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;

    // Only admins see or change mailboxes.
    let refused = anna.admin_list_mailboxes().await.expect_err("first level is refused");
    assert_eq!(refused.kind(), helpline_domain::ErrorKind::Forbidden, "{refused}");

    // Bad input names its field and stores nothing.
    let mut bad = form(&server, &support, READ_FOLDER, "falsches-Passwort-9");
    bad.imap.port = 0;
    let e = admin.admin_add_mailbox(bad).await.expect_err("port 0");
    let problem = e.problem().context("a field problem")?;
    assert_eq!(
        (problem.code, problem.params.get("field").map(String::as_str)),
        (ErrorCode::NotPositive, Some("imap_port"))
    );
    let mut bad = form(&server, &support, READ_FOLDER, "falsches-Passwort-9");
    bad.processed = MailProcessed::Move { folder: READ_FOLDER.into() };
    let e = admin.admin_add_mailbox(bad).await.expect_err("moving into the folder it reads");
    assert_eq!(
        e.problem().context("a field problem")?.params.get("field").map(String::as_str),
        Some("processed_folder")
    );
    assert!(admin.admin_list_mailboxes().await?.is_empty(), "nothing was stored");

    // A wrong password: shown as the login refused, in the list and in the health.
    let added = admin.admin_add_mailbox(form(&server, &support, "Gibt es nicht", "falsches-Passwort-9")).await?;
    assert_eq!(added.status.state, MailboxState::Pending);
    assert!(added.imap.password_set && added.smtp.password_set, "the SMTP login is the IMAP one");
    let twice = admin.admin_add_mailbox(form(&server, &support, READ_FOLDER, PASSWORD)).await.expect_err("same name");
    assert_eq!(twice.problem().context("problem")?.code, ErrorCode::AlreadyExists);
    let failing =
        wait_for_state(&admin, "refusing the login", |m| m.status.problem == Some(MailProblem::LoginRefused)).await?;
    assert_eq!(failing.status.state, MailboxState::Failing);
    assert!(failing.status.detail.as_deref().is_some_and(|d| !d.is_empty()), "the server's words: {failing:?}");
    let health: serde_json::Value = reqwest::get(format!("{}/v1/health", hub.url)).await?.json().await?;
    assert_eq!(health["status"], "degraded", "{health}");
    let listed = format!("{:?}{health}", admin.admin_list_mailboxes().await?);
    assert!(!listed.contains("falsches-Passwort"), "a password never shows: {listed}");

    // The right password (the rest unchanged, the other password kept), but the folder is
    // not there.
    let mut fixed = form(&server, &support, "Gibt es nicht", PASSWORD);
    fixed.smtp.password = String::new();
    admin.admin_change_mailbox(added.id, fixed).await?;
    // One login for both: the SMTP password followed the IMAP one.
    let key = helpline_hub::mail::mailbox::MailKey::from_config(&key)?.context("a key")?;
    let stored = helpline_tests::with_storage!(&hub.storage, |s| helpline_hub::mail::mailbox::list_mailboxes(s).await)?;
    let smtp = &stored.first().context("the mailbox")?.settings.smtp.password;
    assert_eq!(key.open(smtp)?, PASSWORD, "the SMTP password is the corrected one");
    wait_for_state(&admin, "missing its folder", |m| m.status.problem == Some(MailProblem::FolderRefused)).await?;

    // The folder the admin meant: mail in it becomes a ticket and is moved to "Erledigt ✓".
    let raw = customer_mail(&clara, &support, "koeln-1@kunde.test", "Rechnung doppelt", "", "Zweimal abgebucht.");
    {
        let mut imap = server.imap_session(&support, PASSWORD).await?;
        imap.append(READ_FOLDER_UTF7, None, None, &raw).await?;
        imap.logout().await?;
    }
    admin.admin_change_mailbox(added.id, form(&server, &support, READ_FOLDER, "")).await?;
    let ok = wait_for_state(&admin, "fetching", |m| m.status.state == MailboxState::Ok && m.status.fetched > 0).await?;
    assert_eq!((ok.folder.as_str(), ok.status.problem), (READ_FOLDER, None));
    let health: serde_json::Value = reqwest::get(format!("{}/v1/health", hub.url)).await?.json().await?;
    assert_eq!(health["status"], "ok", "{health}");
    let ticket = wait_for_ticket(&anna, "from the mail in Anfragen Köln", |t| t.channel == Channel::Email).await?;
    assert_eq!(ticket.subject, "Rechnung doppelt");
    let moved = server.wait_for_count(&support, PASSWORD, DONE_FOLDER_UTF7, 1, PATIENCE).await?;
    assert!(String::from_utf8_lossy(&moved[0].raw).contains("koeln-1@kunde.test"));
    assert!(server.fetch_all(&support, PASSWORD, READ_FOLDER_UTF7).await?.is_empty(), "moved out of the folder");

    // Removed: the ticket stays; every step is in the admin log.
    admin.admin_remove_mailbox(added.id).await?;
    assert!(admin.admin_list_mailboxes().await?.is_empty());
    let log = admin.admin_log(None, 50).await?;
    let actions: Vec<&str> =
        log.entries.iter().filter(|e| e.subject == "Kundendienst").map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["remove_mailbox", "change_mailbox", "change_mailbox", "add_mailbox"], "{log:?}");
    assert!(!format!("{log:?}").contains("falsches-Passwort"), "nor in the log");
    anna.sync_once().await?;
    assert!(crate::common::store(&anna)?.list_all_tickets()?.iter().any(|t| t.id == ticket.id));
    hub.stop().await;
    Ok(())
}

both_backends!(an_admin_sets_up_a_mailbox_in_the_app_and_sees_each_problem_until_it_works);
