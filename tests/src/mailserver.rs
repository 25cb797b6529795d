//! Real mail servers for tests: a private Dovecot (IMAP with IDLE, LMTP) and a private Postfix
//! (SMTP) on loopback, each with its own configuration, queue and maildirs under a temporary
//! directory. Postfix delivers the test domain to Dovecot over LMTP and nothing anywhere else:
//! other domains are refused at RCPT, and `default_transport = error:` catches whatever slips by.
//!
//! Both run as root (Postfix's master must): `cargo xtask setup` installs them and keeps the
//! system's own instances stopped.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::TryStreamExt;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, address::Envelope};
use tempfile::TempDir;
use tokio::net::TcpStream;

/// A logged-in IMAP session on a [`MailServer`] (for tests that need more than [`MailServer::fetch_all`]).
pub type ImapSession = async_imap::Session<TcpStream>;

/// How long start-up waits for the servers' ports.
const START_PATIENCE: Duration = Duration::from_secs(10);
/// Bound on every single IMAP exchange, so that a stuck server fails a test instead of hanging it.
const IMAP_PATIENCE: Duration = Duration::from_secs(10);

/// One message as IMAP returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMail {
    pub uid: u32,
    /// `\Seen`, `\Answered`, ... and keywords, as the server spells them (`\Recent` left out: it
    /// belongs to a session, not to the message).
    pub flags: Vec<String>,
    pub raw: Vec<u8>,
}

/// A private Dovecot + Postfix pair; both are stopped when this is dropped.
#[derive(Debug)]
pub struct MailServer {
    pub imap_port: u16,
    pub smtp_port: u16,
    pub lmtp_port: u16,
    /// The one domain the servers deliver ("example.test").
    pub domain: String,
    dovecot: Option<Child>,
    /// Postfix's config directory (`postfix -c`); its master daemonises itself.
    postfix_dir: PathBuf,
    postfix_started: bool,
    users_file: PathBuf,
    /// Serialises rewrites of the passwd-file.
    users_lock: Mutex<()>,
    /// Last: removed after the servers are stopped.
    dir: TempDir,
}

impl MailServer {
    /// Private Dovecot (IMAP + LMTP) and Postfix (SMTP, delivers the local domain via LMTP to
    /// Dovecot) on 127.0.0.1 free ports, temporary config + maildirs under a TempDir; stopped on
    /// Drop. Retries with fresh ports when one was taken in between.
    pub fn start() -> Result<MailServer> {
        let mut last = None;
        for _ in 0..3 {
            match MailServer::start_once() {
                Ok(server) => return Ok(server),
                Err(e) if format!("{e:#}").contains("in use") => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow!("mail servers did not start")))
    }

    fn start_once() -> Result<MailServer> {
        if !is_root() {
            bail!("the test mail servers need root (Postfix's master daemon runs as root)");
        }
        let postfix = find_sbin("postfix")?;
        let dovecot = find_sbin("dovecot")?;
        let [imap_port, smtp_port, lmtp_port] = free_ports()?;
        let dir = tempfile::Builder::new().prefix("helpline-mail-").tempdir()?;
        // Postfix's and Dovecot's unprivileged processes must be able to walk into it.
        set_mode(dir.path(), 0o755)?;
        let domain = "example.test".to_owned();
        let mut server = MailServer {
            imap_port,
            smtp_port,
            lmtp_port,
            domain,
            dovecot: None,
            postfix_dir: dir.path().join("postfix"),
            postfix_started: false,
            users_file: dir.path().join("dovecot/users"),
            users_lock: Mutex::new(()),
            dir,
        };
        server.write_dovecot_config()?;
        server.write_postfix_config()?;

        let root = server.dir.path().to_owned();
        let stderr = std::fs::File::create(root.join("dovecot.stderr"))?;
        let child = Command::new(&dovecot)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot/dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(stderr.try_clone()?)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", dovecot.display()))?;
        server.dovecot = Some(child);

        let out = Command::new(&postfix)
            .arg("-c")
            .arg(&server.postfix_dir)
            .arg("start")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("starting {}", postfix.display()))?;
        std::fs::write(root.join("postfix.start"), [out.stdout.as_slice(), out.stderr.as_slice()].concat())?;
        server.postfix_started = server.postfix_pid().is_some();
        if !out.status.success() {
            bail!("`postfix start` failed ({}):\n{}", out.status, server.log_tails());
        }
        server.wait_ready()?;
        Ok(server)
    }

    /// Adds a mailbox user `name@domain` with `password` (passwd-file); returns the address.
    pub fn add_user(&self, name: &str, password: &str) -> Result<String> {
        let valid = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
        if name.is_empty() || !name.chars().all(valid) {
            bail!("mail user name {name:?}: use letters, digits, '.', '_' and '-'");
        }
        if password.is_empty() || password.contains([':', '\n', '\r']) {
            bail!("mail password for {name}: must be non-empty, without ':' or line breaks");
        }
        let address = format!("{}@{}", name.to_ascii_lowercase(), self.domain);
        let _guard = self.users_lock.lock().map_err(|_| anyhow!("users file lock poisoned"))?;
        let mut users = std::fs::read_to_string(&self.users_file)?;
        if users.lines().any(|l| l.split(':').next() == Some(address.as_str())) {
            bail!("mail user {address} exists already");
        }
        let _ = writeln!(users, "{address}:{{PLAIN}}{password}");
        // Dovecot re-reads the file when it changes; a rename means it never sees half of it.
        let fresh = self.users_file.with_extension("new");
        std::fs::write(&fresh, users)?;
        std::fs::rename(&fresh, &self.users_file)?;
        Ok(address)
    }

    /// Delivers raw RFC 5322 bytes to `to` through the private SMTP port (as an outside sender
    /// would: Postfix adds no headers of its own but `Received:`). Fails when the server refuses
    /// any recipient.
    /// `from` empty: the null sender `<>` (a bounce).
    pub async fn send_raw(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<()> {
        // An empty sender is the null reverse path `<>` of bounces.
        let from = if from.is_empty() { None } else { Some(from.parse().with_context(|| format!("sender {from:?}"))?) };
        let to =
            to.iter().map(|t| t.parse().with_context(|| format!("recipient {t:?}"))).collect::<Result<Vec<_>>>()?;
        let envelope = Envelope::new(from, to)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.smtp_port)
            .timeout(Some(Duration::from_secs(10)))
            .build();
        transport.send_raw(&envelope, raw).await.context("SMTP delivery to the test server")?;
        Ok(())
    }

    /// A logged-in IMAP session for `address` (plain LOGIN, no TLS on loopback).
    pub async fn imap_session(&self, address: &str, password: &str) -> Result<ImapSession> {
        let connect = async {
            let stream = TcpStream::connect(("127.0.0.1", self.imap_port)).await?;
            let mut client = async_imap::Client::new(stream);
            client.read_response().await?.context("no IMAP greeting")?;
            client.login(address, password).await.map_err(|(e, _)| anyhow!("IMAP login of {address}: {e}"))
        };
        tokio::time::timeout(IMAP_PATIENCE, connect).await.context("IMAP login timed out")?
    }

    /// Every message in `address`'s `folder` (IMAP, UID order): (uid, flags, raw bytes). Reads
    /// with EXAMINE and BODY.PEEK, so nothing about the messages changes.
    pub async fn fetch_all(&self, address: &str, password: &str, folder: &str) -> Result<Vec<FetchedMail>> {
        let mut session = self.imap_session(address, password).await?;
        let read = async {
            let mailbox = session.examine(folder).await.with_context(|| format!("EXAMINE {folder}"))?;
            let mut mails = Vec::new();
            if mailbox.exists > 0 {
                let fetches: Vec<_> = session.uid_fetch("1:*", "(UID FLAGS BODY.PEEK[])").await?.try_collect().await?;
                for f in fetches {
                    let uid = f.uid.context("FETCH without UID")?;
                    let flags = f.flags().filter_map(|flag| flag_name(&flag)).collect();
                    let raw = f.body().unwrap_or_default().to_vec();
                    mails.push(FetchedMail { uid, flags, raw });
                }
            }
            mails.sort_by_key(|m| m.uid);
            session.logout().await?;
            anyhow::Ok(mails)
        };
        tokio::time::timeout(IMAP_PATIENCE, read).await.context("IMAP fetch timed out")?
    }

    /// Waits until `folder` of `address` holds at least `n` messages and returns them; an error
    /// (with the servers' logs) when `patience` passes first.
    pub async fn wait_for_count(
        &self,
        address: &str,
        password: &str,
        folder: &str,
        n: usize,
        patience: Duration,
    ) -> Result<Vec<FetchedMail>> {
        let deadline = Instant::now() + patience;
        loop {
            let seen = self.fetch_all(address, password, folder).await;
            match &seen {
                Ok(mails) if mails.len() >= n => return seen,
                _ if Instant::now() >= deadline => {
                    let what = match seen {
                        Ok(mails) => format!("{} message(s)", mails.len()),
                        Err(e) => format!("error: {e:#}"),
                    };
                    bail!(
                        "{address} {folder}: wanted {n} message(s) within {patience:?}, last saw {what}\n{}",
                        self.log_tails()
                    );
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// How many messages sit in Postfix's queue (incoming, active, deferred, hold, maildrop):
    /// 0 once everything was delivered, refused or bounced into the void.
    pub fn queued_count(&self) -> Result<usize> {
        let queue = self.dir.path().join("queue");
        let mut count = 0;
        for sub in ["maildrop", "incoming", "active", "deferred", "hold"] {
            count += count_files(&queue.join(sub))?;
        }
        Ok(count)
    }

    /// The temporary directory holding configuration, queue, maildirs and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Dovecot instance name, which its processes carry in their titles.
    pub fn dovecot_instance(&self) -> String {
        instance_name(self.dir.path())
    }

    /// The last lines of Postfix's and Dovecot's logs, for failure messages.
    pub fn log_tails(&self) -> String {
        let mut out = String::new();
        for name in ["postfix.start", "postfix.log", "dovecot.stderr", "dovecot.log"] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            let _ = writeln!(out, "--- {name} (last {} lines) ---\n{}", tail.len(), tail.join("\n"));
        }
        out
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_PATIENCE;
        let ports = [("IMAP", self.imap_port), ("LMTP", self.lmtp_port), ("SMTP", self.smtp_port)];
        for (what, port) in ports {
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                if let Some(child) = self.dovecot.as_mut()
                    && let Some(status) = child.try_wait()?
                {
                    bail!("Dovecot exited during start-up ({status}):\n{}", self.log_tails());
                }
                if Instant::now() >= deadline {
                    bail!("{what} port {port} did not accept within {START_PATIENCE:?}:\n{}", self.log_tails());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    fn write_dovecot_config(&self) -> Result<()> {
        let root = self.dir.path();
        let conf_dir = root.join("dovecot");
        for sub in ["run", "state"] {
            std::fs::create_dir_all(conf_dir.join(sub))?;
        }
        let mail = root.join("mail");
        std::fs::create_dir_all(&mail)?;
        // Mail is stored as the `mail` user (Dovecot refuses root for mail access).
        run_quietly(Command::new("chown").arg("mail:mail").arg(&mail))?;
        std::fs::write(&self.users_file, "")?;
        let (r, m, users, instance) = (root.display(), mail.display(), self.users_file.display(), instance_name(root));
        let (imap, lmtp) = (self.imap_port, self.lmtp_port);
        let conf = format!(
            r#"# Private test instance (helpline-tests mailserver.rs).
base_dir = {r}/dovecot/run
state_dir = {r}/dovecot/state
instance_name = {instance}
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
log_path = {r}/dovecot.log
mail_location = maildir:{m}/%u
mail_uid = mail
mail_gid = mail
first_valid_uid = 1
first_valid_gid = 1
# Notice new mail quickly while IDLEing even where inotify is not available.
mailbox_idle_check_interval = 1 secs
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \Junk
    auto = subscribe
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
# Static userdb: LMTP checks the passdb, so mail to unknown users is refused.
userdb {{
  driver = static
  args = uid=mail gid=mail home={m}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
"#
        );
        std::fs::write(conf_dir.join("dovecot.conf"), conf)?;
        Ok(())
    }

    fn write_postfix_config(&self) -> Result<()> {
        let root = self.dir.path();
        std::fs::create_dir_all(&self.postfix_dir)?;
        std::fs::create_dir_all(root.join("queue"))?;
        let data = root.join("data");
        std::fs::create_dir_all(&data)?;
        run_quietly(Command::new("chown").arg("postfix").arg(&data))?;
        let (r, domain, lmtp) = (root.display(), &self.domain, self.lmtp_port);
        let main = format!(
            r#"# Private test instance (helpline-tests mailserver.rs): delivers {domain} to Dovecot, nothing else.
compatibility_level = 3.6
queue_directory = {r}/queue
data_directory = {r}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.{domain}
mydomain = {domain}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
virtual_mailbox_domains = {domain}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
# Nothing leaves the machine: other domains are refused at RCPT, and what the servers
# generate themselves (bounces to outside senders) ends in the error transport.
smtpd_relay_restrictions = reject_unauth_destination
default_transport = error:outside mail is off in tests
relay_transport = error:outside mail is off in tests
# Mail arrives as from outside: no Message-ID/Date added, no address rewriting.
local_header_rewrite_clients =
alias_maps =
alias_database =
smtpd_peername_lookup = no
biff = no
# Room for the hub's size-limit tests (its own limit is 25 MiB).
message_size_limit = 67108864
mailbox_size_limit = 0
virtual_mailbox_limit = 0
maillog_file = {r}/postfix.log
maillog_file_prefixes = {r}
"#
        );
        std::fs::write(self.postfix_dir.join("main.cf"), main)?;
        // chroot off everywhere: the queue lives in a temporary directory.
        let smtp = self.smtp_port;
        let master = format!(
            "127.0.0.1:{smtp} inet n - n - - smtpd\n\
             pickup unix n - n 60 1 pickup\n\
             cleanup unix n - n - 0 cleanup\n\
             qmgr unix n - n 300 1 qmgr\n\
             rewrite unix - - n - - trivial-rewrite\n\
             bounce unix - - n - 0 bounce\n\
             defer unix - - n - 0 bounce\n\
             trace unix - - n - 0 bounce\n\
             verify unix - - n - 1 verify\n\
             flush unix n - n 1000? 0 flush\n\
             proxymap unix - - n - - proxymap\n\
             proxywrite unix - - n - 1 proxymap\n\
             smtp unix - - n - - smtp\n\
             relay unix - - n - - smtp\n\
             showq unix n - n - - showq\n\
             error unix - - n - - error\n\
             retry unix - - n - - error\n\
             discard unix - - n - - discard\n\
             lmtp unix - - n - - lmtp\n\
             anvil unix - - n - 1 anvil\n\
             scache unix - - n - 1 scache\n\
             postlog unix-dgram n - n - 1 postlogd\n"
        );
        std::fs::write(self.postfix_dir.join("master.cf"), master)?;
        Ok(())
    }

    fn postfix_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.dir.path().join("queue/pid/master.pid")).ok()?;
        text.trim().parse().ok()
    }

    fn stop_postfix(&mut self) {
        if !self.postfix_started {
            return;
        }
        let Some(pid) = self.postfix_pid() else { return };
        // The master is a session leader: signal its whole group, as `postfix stop` does in the
        // end, without its one-second polling.
        signal(-pid, libc::SIGTERM);
        if !wait_gone(pid, Duration::from_secs(5)) {
            signal(-pid, libc::SIGKILL);
            wait_gone(pid, Duration::from_secs(2));
        }
        // Children the master left behind.
        signal(-pid, libc::SIGKILL);
        self.postfix_started = false;
    }

    fn stop_dovecot(&mut self) {
        let Some(mut child) = self.dovecot.take() else { return };
        signal(child.id() as i32, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        self.stop_postfix();
        self.stop_dovecot();
    }
}

fn flag_name(flag: &async_imap::types::Flag<'_>) -> Option<String> {
    use async_imap::types::Flag;
    Some(match flag {
        Flag::Seen => "\\Seen".into(),
        Flag::Answered => "\\Answered".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Recent => return None,
        Flag::MayCreate => "\\*".into(),
        Flag::Custom(name) => name.to_string(),
    })
}

/// A Dovecot instance name unique to this temporary directory.
fn instance_name(dir: &Path) -> String {
    let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("hl-{}", base.trim_start_matches("helpline-mail-"))
}

/// Three distinct free loopback ports (held together while choosing, so they differ).
fn free_ports() -> Result<[u16; 3]> {
    let listeners =
        [TcpListener::bind("127.0.0.1:0")?, TcpListener::bind("127.0.0.1:0")?, TcpListener::bind("127.0.0.1:0")?];
    let mut ports = [0; 3];
    for (port, l) in ports.iter_mut().zip(&listeners) {
        *port = l.local_addr()?.port();
    }
    Ok(ports)
}

fn find_sbin(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!("`{name}` not found: run `cargo xtask setup` (it installs postfix and dovecot)"))
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions; errors (ESRCH) are fine to ignore.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Waits until process `pid` is gone (or only a zombie waiting for init).
fn wait_gone(pid: i32, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the parenthesised command name.
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
        if matches!(state, None | Some("Z" | "X")) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn run_quietly(cmd: &mut Command) -> Result<()> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn count_files(dir: &Path) -> Result<usize> {
    let mut count = 0;
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            count += count_files(&entry.path())?;
        } else {
            count += 1;
        }
    }
    Ok(count)
}

impl MailServer {
    /// A hub mailbox for `address` on this server: loopback, no TLS, flagged when processed,
    /// acknowledgements on (German), replies reopen within 14 days.
    pub fn mailbox_settings(&self, address: &str) -> helpline_hub::mail::mailbox::MailboxSettings {
        use helpline_hub::mail::mailbox::{MailboxSettings, Processed, Security, Server};
        let server = |port, login: &str| Server {
            host: "127.0.0.1".into(),
            port,
            security: Security::None,
            login: login.into(),
            password: String::new(),
        };
        MailboxSettings {
            address: address.into(),
            display_name: Some("Helpline Support".into()),
            imap: server(self.imap_port, address),
            folder: "INBOX".into(),
            processed: Processed::Flag,
            smtp: server(self.smtp_port, ""),
            category_id: None,
            acknowledge: true,
            language: "de".into(),
            acknowledgement: None,
            reopen_days: 14,
        }
    }

    /// The same mailbox as `helpline-hub mailbox add` arguments (the password comes from
    /// HELPLINE_HUB_MAILBOX_PASSWORD).
    pub fn mailbox_add_args(&self, name: &str, address: &str) -> Vec<String> {
        let (imap, smtp) = (self.imap_port.to_string(), self.smtp_port.to_string());
        [
            "mailbox",
            "add",
            name,
            "--address",
            address,
            "--imap-host",
            "127.0.0.1",
            "--imap-port",
            &imap,
            "--imap-security",
            "none",
            "--login",
            address,
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &smtp,
            "--smtp-security",
            "none",
            "--smtp-login",
            "",
        ]
        .map(str::to_owned)
        .to_vec()
    }
}
