//! One run per tool at a time: an exclusive OS file lock per tool, released by the OS when the
//! process ends however it ends, so a crash never leaves a stale lock behind.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

#[derive(Debug)]
pub struct ToolLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another {0} run is in progress; wait for it to end")]
    Busy(String),
    #[error("cannot create the run lock {path}: {source}")]
    Io { path: String, source: io::Error },
}

impl ToolLock {
    pub fn acquire(dir: &Path, tool: &str) -> Result<Self, LockError> {
        let path = dir.join(format!("{tool}.lock"));
        let io_err = |source| LockError::Io { path: path.display().to_string(), source };
        fs::create_dir_all(dir).map_err(io_err)?;
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => Ok(ToolLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(LockError::Busy(tool.to_string())),
            Err(fs::TryLockError::Error(e)) => Err(LockError::Io { path: path.display().to_string(), source: e }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_tool_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = ToolLock::acquire(dir.path(), "users").unwrap();
        assert!(matches!(ToolLock::acquire(dir.path(), "users"), Err(LockError::Busy(_))));
        assert!(ToolLock::acquire(dir.path(), "courses").is_ok());
        drop(first);
        assert!(ToolLock::acquire(dir.path(), "users").is_ok());
    }
}
