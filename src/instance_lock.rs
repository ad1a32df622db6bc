//! One bot per database: a lock file beside the database, held with an OS advisory lock for the
//! life of the process. Two bots on one database would both poll Telegram (each getting a share
//! of the updates) and both track the same orders. The OS releases the lock when the process dies,
//! however it dies, so a `kill -9` leaves nothing that blocks the next start.
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The one line a second instance prints before exiting 2.
pub const ALREADY_RUNNING: &str = "another netcard-bot is running on this database";

/// Held while the bot runs; dropping it releases the lock (the file stays, empty and harmless).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{ALREADY_RUNNING}")]
    Held,
    #[error("cannot lock {0}: {1}")]
    Io(String, std::io::Error),
}

impl InstanceLock {
    /// `<database file>.lock`, beside the database.
    pub fn path_for(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of `database` without waiting.
    pub fn acquire(database: &Path) -> Result<InstanceLock, LockError> {
        let path = Self::path_for(database);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| LockError::Io(dir.display().to_string(), e))?;
        }
        let io = |e| LockError::Io(path.display().to_string(), e);
        // Never truncated nor removed: removing it could let a second process lock a new file
        // while the first still holds the old one.
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(InstanceLock { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Held),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/netcard.db");
        let first = InstanceLock::acquire(&db).unwrap();
        assert_eq!(first.path(), dir.path().join("data/netcard.db.lock"));
        // A second open file description, as a second process would have.
        let second = InstanceLock::acquire(&db);
        assert!(matches!(second, Err(LockError::Held)), "{second:?}");
        assert_eq!(second.unwrap_err().to_string(), ALREADY_RUNNING);
        drop(first);
        let again = InstanceLock::acquire(&db).expect("released on drop");
        assert!(again.path().exists());
    }

    #[test]
    fn other_databases_are_not_blocked() {
        let dir = tempfile::tempdir().unwrap();
        let _a = InstanceLock::acquire(&dir.path().join("a.db")).unwrap();
        assert!(InstanceLock::acquire(&dir.path().join("b.db")).is_ok());
    }

    #[test]
    fn a_leftover_lock_file_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(InstanceLock::path_for(&db), "left by a killed process").unwrap();
        assert!(InstanceLock::acquire(&db).is_ok());
    }
}
