//! Small helpers around `std::process::Command`.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// Cargo's target directory (CARGO_TARGET_DIR, else the workspace's `target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

/// `cargo` (the one that runs us, if known), working in the workspace root.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(workspace_root());
    cmd
}

/// Whether we run under CI (`CI=true`, as set by GitHub Actions, GitLab, ... and `.ci/run`).
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// Whether our stdout is a terminal (then child processes may use colour).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// A command as a user would type it, for messages.
pub fn display(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program()).file_name().unwrap_or(cmd.get_program());
    let mut words: Vec<String> =
        cmd.get_envs().filter_map(|(k, v)| v.map(|v| format!("{}={}", k.to_string_lossy(), quote(v)))).collect();
    words.push(quote(program));
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c)) {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Finds an executable on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs a program quietly and returns its trimmed stdout, or `None` if it cannot be started or fails.
pub fn stdout_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs a command with inherited stdio, after printing it.
pub fn run_visible(mut cmd: Command) -> Result<ExitStatus> {
    println!("xtask: running `{}`", display(&cmd));
    cmd.status().with_context(|| format!("could not start `{}`", display(&cmd)))
}

/// Runs a command with stdout and stderr merged into one pipe (so their order is kept), copies
/// everything to our stdout as it arrives, and hands each line, with ANSI colours removed, to
/// `on_line`.
pub fn run_tee(mut cmd: Command, mut on_line: impl FnMut(&str)) -> Result<ExitStatus> {
    println!("xtask: running `{}`", display(&cmd));
    let shown = display(&cmd);
    let (reader, writer) = std::io::pipe().context("could not create a pipe")?;
    cmd.stdout(writer.try_clone().context("could not duplicate a pipe")?).stderr(writer);
    let mut child = cmd.spawn().with_context(|| format!("could not start `{shown}`"))?;
    // The command still holds the pipe's write ends; drop them, or we would never see EOF.
    drop(cmd);

    let mut reader = BufReader::new(reader);
    let mut stdout = std::io::stdout();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).context("could not read the command's output")?;
        if n == 0 {
            break;
        }
        // Our stdout may be closed (`| head`); keep reading so the child is not blocked.
        let _ = stdout.write_all(&line).and_then(|()| stdout.flush());
        on_line(&strip_ansi(&String::from_utf8_lossy(&line)));
    }
    child.wait().with_context(|| format!("could not wait for `{shown}`"))
}

/// Removes ANSI escape sequences (colours, cursor movement) from a line.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            // CSI: ESC [ parameters... final byte in @..~
            Some('[') => {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: ESC ] ... terminated by BEL or ESC \
            Some(']') => {
                chars.next();
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out.trim_end_matches(['\n', '\r']).to_owned()
}
