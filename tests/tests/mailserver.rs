//! The private test mail servers work as the hub's mail tests need them: SMTP in, IMAP (with
//! IDLE) out, nothing delivered outside the test domain, nothing left running afterwards.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_imap::extensions::idle::IdleResponse;
use helpline_tests::mailserver::MailServer;

const PATIENCE: Duration = Duration::from_secs(10);

fn mail(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@outside.example>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn smtp_mail_reaches_its_user_over_imap() -> Result<()> {
    let server = MailServer::start()?;
    let alice = server.add_user("alice", "alice-secret")?;
    let bob = server.add_user("Bob", "bob-secret")?;
    assert_eq!(alice, "alice@example.test");
    assert_eq!(bob, "bob@example.test");
    assert!(server.add_user("alice", "again").is_err(), "a user cannot be added twice");

    let raw = mail("customer@outside.example", &alice, "first", "Hallo, der Drucker streikt.");
    server.send_raw("customer@outside.example", &[&alice], &raw).await?;
    let mails = server.wait_for_count(&alice, "alice-secret", "INBOX", 1, PATIENCE).await?;
    assert_eq!(mails.len(), 1);
    let text = String::from_utf8_lossy(&mails[0].raw);
    assert!(text.contains("Subject: first"), "{text}");
    assert!(text.contains("Hallo, der Drucker streikt."), "{text}");
    assert!(text.contains("Message-ID: <first@outside.example>"), "{text}");
    assert!(mails[0].flags.is_empty(), "a fresh mail is unseen: {:?}", mails[0].flags);

    // Reading did not mark it seen, and a second mail gets a higher UID.
    let raw = mail("customer@outside.example", &alice, "second", "Noch etwas.");
    server.send_raw("customer@outside.example", &[&alice, &bob], &raw).await?;
    let mails = server.wait_for_count(&alice, "alice-secret", "INBOX", 2, PATIENCE).await?;
    assert!(mails[0].uid < mails[1].uid);
    assert!(mails.iter().all(|m| m.flags.is_empty()), "{mails:?}");
    let bobs = server.wait_for_count(&bob, "bob-secret", "INBOX", 1, PATIENCE).await?;
    assert!(String::from_utf8_lossy(&bobs[0].raw).contains("Subject: second"));

    // The special folders exist; a wrong password is refused.
    assert!(server.fetch_all(&alice, "alice-secret", "Sent").await?.is_empty());
    assert!(server.fetch_all(&alice, "wrong", "INBOX").await.is_err());
    Ok(())
}

#[tokio::test]
async fn idle_wakes_when_mail_arrives() -> Result<()> {
    let server = MailServer::start()?;
    let carol = server.add_user("carol", "carol-secret")?;
    let mut session = server.imap_session(&carol, "carol-secret").await?;
    session.select("INBOX").await?;
    let mut idle = session.idle();
    idle.init().await?;
    let (wait, _stop) = idle.wait_with_timeout(PATIENCE);
    let started = Instant::now();
    let send = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        server
            .send_raw("customer@outside.example", &[&carol], &mail("customer@outside.example", &carol, "wake", "x"))
            .await
    };
    let (woke, sent) = tokio::join!(wait, send);
    sent?;
    let woke = woke?;
    assert!(matches!(woke, IdleResponse::NewData(_)), "IDLE ended with {woke:?}\n{}", server.log_tails());
    assert!(started.elapsed() < Duration::from_secs(5), "IDLE woke only after {:?}", started.elapsed());
    drop(_stop);
    let mut session = idle.done().await?;
    session.logout().await?;
    assert_eq!(server.fetch_all(&carol, "carol-secret", "INBOX").await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn outside_mail_never_leaves() -> Result<()> {
    let server = MailServer::start()?;
    let dave = server.add_user("dave", "dave-secret")?;

    // Another domain is refused at RCPT, alone or next to a local recipient.
    let raw = mail(&dave, "someone@outside.example", "out", "x");
    let refused = server.send_raw(&dave, &["someone@outside.example"], &raw).await;
    let err = format!("{:#}", refused.err().context("relaying to an outside domain was accepted")?);
    assert!(err.contains("Relay access denied") || err.contains("554"), "{err}");
    let mixed = server.send_raw(&dave, &[&dave, "someone@outside.example"], &raw).await;
    assert!(mixed.is_err(), "a mail with an outside recipient was accepted");

    // An unknown local user is refused by Dovecot; the bounce to the outside sender goes nowhere.
    let raw = mail("customer@outside.example", "nobody@example.test", "lost", "x");
    let _ = server.send_raw("customer@outside.example", &["nobody@example.test"], &raw).await;

    let deadline = Instant::now() + PATIENCE;
    while server.queued_count()? > 0 {
        if Instant::now() > deadline {
            bail!("mail stays queued:\n{}", server.log_tails());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.fetch_all(&dave, "dave-secret", "INBOX").await?.is_empty());
    let log = std::fs::read_to_string(server.dir().join("postfix.log"))?;
    assert!(!log.contains("relay=smtp") && !log.contains("status=sent (250 2.0.0 Ok"), "{log}");
    assert!(!log.contains("someone@outside.example, relay="), "{log}");
    Ok(())
}

/// Processes still running whose working directory, command line or title names `marker`.
fn processes_naming(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()) == Some("Z") {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let cwd = std::fs::read_link(entry.path().join("cwd")).unwrap_or_default();
        if cmdline.contains(marker) || cwd.to_string_lossy().contains(marker) {
            found.push(format!("{pid}: {cmdline} (in {})", cwd.display()));
        }
    }
    found
}

#[test]
fn servers_run_side_by_side_and_stop_on_drop() -> Result<()> {
    let servers = std::thread::scope(|s| {
        let a = s.spawn(MailServer::start);
        let b = s.spawn(MailServer::start);
        (a.join(), b.join())
    });
    let (Ok(a), Ok(b)) = servers else { bail!("a start-up thread panicked") };
    let (a, b) = (a?, b?);
    assert_ne!(a.smtp_port, b.smtp_port);
    assert_ne!(a.imap_port, b.imap_port);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let on_a = a.add_user("erin", "pw-a")?;
        let on_b = b.add_user("erin", "pw-b")?;
        a.send_raw("x@outside.example", &[&on_a], &mail("x@outside.example", &on_a, "only-a", "a")).await?;
        a.wait_for_count(&on_a, "pw-a", "INBOX", 1, PATIENCE).await?;
        assert!(b.fetch_all(&on_b, "pw-b", "INBOX").await?.is_empty(), "the servers share nothing");
        anyhow::Ok(())
    })?;

    let gone: Vec<(PathBuf, String, u16, u16)> = [a, b]
        .into_iter()
        .map(|server| {
            let marks = (server.dir().to_owned(), server.dovecot_instance(), server.imap_port, server.smtp_port);
            assert!(!processes_naming(&marks.1).is_empty(), "the Dovecot processes carry the instance name");
            drop(server);
            marks
        })
        .collect();
    for (dir, instance, imap, smtp) in gone {
        let left = [processes_naming(&dir.to_string_lossy()), processes_naming(&instance)].concat();
        assert!(left.is_empty(), "processes outlived the mail server: {left:#?}");
        assert!(!dir.exists(), "{} was not removed", dir.display());
        for port in [imap, smtp] {
            assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "port {port} still accepts");
        }
    }
    Ok(())
}
