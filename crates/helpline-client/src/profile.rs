//! A desktop's data directory as the app and `helpline-sim` share it: the lock that keeps
//! a second process off it, and one store per agent under `agents/<login>/`.

use crate::views::invalid;
use crate::{ClientError, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The lock file inside a profile directory (the app and the sim take the same one).
pub const LOCK_FILE: &str = "helpline.lock";

/// An exclusive lock on a profile, held while the process runs; the OS releases it when
/// the process dies, even by kill -9, so a crash never leaves a stale lock behind.
#[derive(Debug)]
pub struct ProfileLock {
    dir: PathBuf,
    _file: File,
}

impl ProfileLock {
    /// Creates the profile directory if needed and takes its lock.
    pub fn take(dir: &Path) -> Result<ProfileLock> {
        std::fs::create_dir_all(dir).map_err(|e| {
            ClientError::Internal(format!("cannot create the profile directory {}: {e}", dir.display()))
        })?;
        let dir = dir.canonicalize().map_err(|e| ClientError::Internal(format!("{}: {e}", dir.display())))?;
        let file = lock_file(&dir.join(LOCK_FILE), &dir)?;
        Ok(ProfileLock { dir, _file: file })
    }

    /// Takes the lock `lock_path` for the store at `store` (a single store outside any
    /// profile directory, as `helpline-sim --db FILE` uses).
    pub fn take_file(lock_path: &Path, store: &Path) -> Result<ProfileLock> {
        let file = lock_file(lock_path, store)?;
        let dir = store.parent().unwrap_or(Path::new(".")).to_owned();
        Ok(ProfileLock { dir, _file: file })
    }

    /// The profile directory (canonical for [`ProfileLock::take`]).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn lock_file(lock_path: &Path, what: &Path) -> Result<File> {
    let file = File::create(lock_path).map_err(|e| ClientError::Internal(format!("{}: {e}", lock_path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(ClientError::ProfileInUse(what.to_owned())),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(ClientError::Internal(format!("cannot lock {}: {e}", lock_path.display())))
        }
    }
}

/// The store of `login` in the profile `dir`: each agent gets their own (a client id
/// belongs to one agent at the hub, and what an agent may see differs by role).
pub fn agent_store_path(dir: &Path, login: &str) -> Result<PathBuf> {
    let safe = !login.is_empty()
        && login.len() <= 64
        && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !safe || login.starts_with('.') {
        return Err(invalid("login", format!("{login:?} is not a valid login")));
    }
    let agent_dir = dir.join("agents").join(login.to_lowercase());
    std::fs::create_dir_all(&agent_dir)
        .map_err(|e| ClientError::Internal(format!("cannot create {}: {e}", agent_dir.display())))?;
    Ok(agent_dir.join("helpline.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_profile_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = ProfileLock::take(dir.path()).expect("first lock");
        let second = ProfileLock::take(dir.path()).expect_err("second lock");
        assert!(matches!(second, ClientError::ProfileInUse(_)), "{second}");
        drop(first);
        ProfileLock::take(dir.path()).expect("free again once the first is gone");
    }

    #[test]
    fn logins_that_would_leave_the_profile_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        for bad in ["", "../x", ".hidden", "a/b"] {
            assert!(agent_store_path(dir.path(), bad).is_err(), "{bad:?}");
        }
        let path = agent_store_path(dir.path(), "Jana").expect("valid");
        assert!(path.ends_with("agents/jana/helpline.db"));
    }
}
