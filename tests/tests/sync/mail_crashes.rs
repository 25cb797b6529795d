//! The hub killed on the mail path, then restarted: during a fetch (after the ticket change
//! committed, before the server was told) every mail is a ticket exactly once; during a
//! send (before it, after the server's 250, after the record) no reply is lost, and one is
//! sent twice only in the window the README names (after 250, before the record), with
//! the same Message-ID both times.

use crate::both_backends;
use crate::mail::{PASSWORD, customer_mail, header, wait_for_ticket};
use anyhow::{Context, Result, ensure};
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_domain::{Channel, EmailReply, EmailReplyId, Mutation, ReplyDelivery};
use helpline_hub::mail::mailbox::MailKey;
use helpline_tests::harness::{Backend, HubProcess, TestSchema, postgres_url};
use helpline_tests::mailserver::MailServer;
use std::sync::Arc;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

struct MailHub {
    hub: HubProcess,
    key: String,
    support: String,
    clara: String,
    _schema: Option<TestSchema>,
    dir: tempfile::TempDir,
}

fn env(key: &str, fault: &str) -> Vec<(String, String)> {
    vec![
        ("HELPLINE_HUB_MAIL_KEY".into(), key.into()),
        ("HELPLINE_HUB_MAIL_IDLE_SECONDS".into(), "5".into()),
        ("HELPLINE_HUB_MAIL_FAULT".into(), fault.into()),
    ]
}

fn start(backend: Backend, server: &MailServer, fault: &str) -> Result<MailHub> {
    let dir = tempfile::tempdir()?;
    let (database, schema) = match backend {
        Backend::Sqlite => (dir.path().join("hub.db").to_string_lossy().into_owned(), None),
        Backend::Postgres => (postgres_url(), Some(TestSchema::new(&postgres_url()))),
    };
    let key = MailKey::generate();
    let hub = HubProcess::create_with_env(&database, schema.as_ref().map(TestSchema::name), env(&key, fault))?;
    let support = server.add_user("support", PASSWORD)?;
    let clara = server.add_user("clara", PASSWORD)?;
    let args = server.mailbox_add_args("support", &support);
    hub.admin(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[("HELPLINE_HUB_MAILBOX_PASSWORD", PASSWORD)])?;
    Ok(MailHub { hub, key, support, clara, _schema: schema, dir })
}

async fn a_hub_killed_after_the_commit_of_a_fetch_makes_each_mail_once(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let mut m = tokio::task::block_in_place(|| start(backend, &server, "after_commit"))?;
    for i in 0..3 {
        let raw = customer_mail(
            &m.clara,
            &m.support,
            &format!("k{i}@kunde.test"),
            &format!("Anfrage {i}"),
            "",
            "Bitte melden.",
        );
        server.send_raw(&m.clara, &[&m.support], &raw).await?;
    }
    // The hub takes the mails in, commits, and dies before it tells the server.
    let status = tokio::task::block_in_place(|| m.hub.wait_for_exit(PATIENCE))?;
    ensure!(!status.success(), "the hub ended at its crash point");
    let unflagged = server.fetch_all(&m.support, PASSWORD, "INBOX").await?;
    ensure!(unflagged.iter().all(|f| !f.flags.iter().any(|x| x == "$Helpline")), "nothing was marked before the crash");
    tokio::task::block_in_place(|| m.hub.restart_with_env(env(&m.key, "")))?;
    let desk = Desktop::open(m.dir.path().join("desk.db"), HttpHub::new(&m.hub.url())?, Arc::new(SystemClock))?;
    desk.login("anna", helpline_tests::harness::PASSWORD).await?;
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let flagged = server.fetch_all(&m.support, PASSWORD, "INBOX").await?;
        if flagged.iter().all(|f| f.flags.iter().any(|x| x == "$Helpline")) {
            break;
        }
        ensure!(std::time::Instant::now() < deadline, "the restarted hub marked the mails");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    desk.sync_once().await?;
    let tickets = helpline_store::Store::open(desk.store_path())?.list_all_tickets()?;
    let mail_tickets: Vec<_> = tickets.iter().filter(|t| t.channel == Channel::Email).collect();
    assert_eq!(
        mail_tickets.len(),
        3,
        "each mail exactly once: {:?}",
        tickets.iter().map(|t| &t.subject).collect::<Vec<_>>()
    );
    // Each got one acknowledgement, however often it was read. The outbox may have sent
    // one in the instant between the commit and the crash, after the server's 250 and before
    // the record: that is the one resend the README names, with the same Message-ID.
    server.wait_for_count(&m.clara, PASSWORD, "INBOX", 3, PATIENCE).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let acks = server.fetch_all(&m.clara, PASSWORD, "INBOX").await?;
    let ids: std::collections::BTreeSet<String> =
        acks.iter().map(|mail| header(mail, "Message-ID").context("Message-ID")).collect::<Result<_>>()?;
    let answered: std::collections::BTreeSet<String> =
        acks.iter().map(|mail| header(mail, "In-Reply-To").context("In-Reply-To")).collect::<Result<_>>()?;
    assert_eq!(ids.len(), 3, "one acknowledgement per mail: {} copies, {ids:?}", acks.len());
    assert_eq!(answered.len(), 3, "each answers another mail: {answered:?}");
    assert!(acks.len() <= 4, "at most the one resend of the crash window: {} copies", acks.len());
    Ok(())
}

/// Kills the hub at `point` of sending one reply, restarts it, and returns how many copies
/// of the reply reached the customer (with their Message-IDs).
async fn copies_after_crash_at(backend: Backend, point: &str) -> Result<Vec<String>> {
    let server = MailServer::start()?;
    let mut m = tokio::task::block_in_place(|| start(backend, &server, ""))?;
    server
        .send_raw(
            &m.clara,
            &[&m.support],
            &customer_mail(&m.clara, &m.support, "s1@kunde.test", "Passwort", "", "Vergessen."),
        )
        .await?;
    let desk = Desktop::open(m.dir.path().join("desk.db"), HttpHub::new(&m.hub.url())?, Arc::new(SystemClock))?;
    desk.login("anna", helpline_tests::harness::PASSWORD).await?;
    let ticket = wait_for_ticket(&desk, "from the mail", |t| t.channel == Channel::Email).await?;
    server.wait_for_count(&m.clara, PASSWORD, "INBOX", 1, PATIENCE).await?; // the acknowledgement
    // The next send dies at `point`.
    tokio::task::block_in_place(|| -> Result<()> {
        m.hub.kill_hard()?;
        m.hub.restart_with_env(env(&m.key, point))
    })?;
    desk.submit(Mutation::SendEmailReply {
        ticket_id: ticket.id,
        reply: EmailReply {
            reply_id: EmailReplyId::new_v7(),
            to: vec![m.clara.clone()],
            cc: Vec::new(),
            subject: "Re: Passwort".into(),
            body: "Ihr neues Passwort kommt per SMS.".into(),
            kb_article_id: None,
            attachments: Vec::new(),
        },
    })?;
    // The push commits, then the sender dies at `point`, maybe while this sync still
    // pulls: its answer may be lost, the reply is on the hub either way.
    let _ = desk.sync_once().await;
    let status = tokio::task::block_in_place(|| m.hub.wait_for_exit(PATIENCE))?;
    ensure!(!status.success(), "the hub ended at {point}");
    tokio::task::block_in_place(|| m.hub.restart_with_env(env(&m.key, "")))?;
    let sent = wait_for_ticket(&desk, "with the reply recorded as sent", |t| {
        t.id == ticket.id && t.email_replies.iter().any(|r| r.delivery == ReplyDelivery::Sent)
    })
    .await?;
    assert_eq!(sent.email_replies.len(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let inbox = server.fetch_all(&m.clara, PASSWORD, "INBOX").await?;
    let replies: Vec<String> = inbox
        .iter()
        // The agent's reply, not the acknowledgement (which is marked automatic).
        .filter(|mail| header(mail, "Auto-Submitted").is_none())
        .filter(|mail| header(mail, "Subject").is_some_and(|s| s.starts_with("Re: Passwort")))
        .map(|mail| header(mail, "Message-ID").context("Message-ID"))
        .collect::<Result<_>>()?;
    Ok(replies)
}

async fn a_reply_survives_a_crash_at_every_point_of_its_send(backend: Backend) -> Result<()> {
    let before = copies_after_crash_at(backend, "before_send").await?;
    assert_eq!(before.len(), 1, "killed before the send: sent once after the restart");
    let window = copies_after_crash_at(backend, "after_send").await?;
    assert_eq!(window.len(), 2, "killed after the server's 250, before the record: the one duplicate");
    assert_eq!(window[0], window[1], "the resend carries the same Message-ID");
    let after = copies_after_crash_at(backend, "after_record").await?;
    assert_eq!(after.len(), 1, "killed after the record: never sent again");
    Ok(())
}

both_backends!(
    a_hub_killed_after_the_commit_of_a_fetch_makes_each_mail_once,
    a_reply_survives_a_crash_at_every_point_of_its_send,
);
