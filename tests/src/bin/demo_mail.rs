//! `demo-mail`: the demo mailbox of `cargo xtask run`. Starts a private Dovecot and Postfix
//! on loopback (as the mail tests do), makes `support@example.test` the demo hub's mailbox
//! (through `helpline-hub mailbox add` on the hub's database, with the hub's mail key from
//! HELPLINE_HUB_MAIL_KEY), sends one customer mail so a ticket arrives at once, prints how
//! to send more, and runs until its standard input closes or it is interrupted; then the
//! servers stop and their files go.
//!
//! Usage: demo-mail --hub-bin PATH --hub-db PATH

use anyhow::{Context, Result, bail};
use helpline_tests::mailserver::MailServer;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tokio::io::AsyncReadExt as _;

const PASSWORD: &str = "Demo-Postfach-1";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("demo-mail: the demo runs without its mailbox: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let (mut hub_bin, mut hub_db) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--hub-bin" => hub_bin = args.next().map(PathBuf::from),
            "--hub-db" => hub_db = args.next().map(PathBuf::from),
            other => bail!("unknown argument {other:?} (usage: demo-mail --hub-bin PATH --hub-db PATH)"),
        }
    }
    let (Some(hub_bin), Some(hub_db)) = (hub_bin, hub_db) else {
        bail!("usage: demo-mail --hub-bin PATH --hub-db PATH");
    };
    let server = MailServer::start()?;
    let support = server.add_user("support", PASSWORD)?;
    let clara = server.add_user("clara", PASSWORD)?;
    let add = server.mailbox_add_args("Demo-Postfach", &support);
    let out = Command::new(&hub_bin)
        .arg("--database")
        .arg(&hub_db)
        .args(&add)
        .env("HELPLINE_HUB_MAILBOX_PASSWORD", PASSWORD)
        .env_remove("HELPLINE_HUB_CONFIG")
        .stdin(Stdio::null())
        .output()
        .context("running helpline-hub mailbox add")?;
    if !out.status.success() {
        bail!("helpline-hub mailbox add: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mail = format!(
        "From: Clara Kunde <{clara}>\r\nTo: {support}\r\nSubject: Drucker druckt nicht mehr\r\n\
         Message-ID: <demo-{}@example.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Guten Tag, seit gestern druckt unser Netzwerkdrucker nichts mehr. Die Aufträge hängen in der Warteschlange.\r\n\
         Viele Grüße\r\nClara Kunde\r\n",
        uuid::Uuid::now_v7()
    );
    server.send_raw(&clara, &[&support], mail.as_bytes()).await?;
    println!(
        "\ndemo-mail: the demo mailbox is {support} (its ticket from Clara Kunde arrives in a few seconds).\n\
         demo-mail: write to it, e.g.\n\
         \x20 printf 'From: Clara Kunde <{clara}>\\r\\nSubject: Kein Internet\\r\\n\\r\\nDie Lampe blinkt rot.\\r\\n' \
         | curl -s smtp://127.0.0.1:{smtp} --mail-from {clara} --mail-rcpt {support} -T -\n\
         demo-mail: the customer's replies and acknowledgements: IMAP 127.0.0.1:{imap}, login {clara}, password {PASSWORD}\n",
        smtp = server.smtp_port,
        imap = server.imap_port,
    );
    // Until xtask closes our standard input (it ends) or Ctrl-C: then the servers stop.
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    tokio::select! {
        _ = async { while stdin.read(&mut sink).await.is_ok_and(|n| n > 0) {} } => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(server);
    Ok(())
}
