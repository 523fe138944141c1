//! The store as the run store of a remote target (a Moodle site): the remote target writes the
//! LMS, and records here what it changed (the journal) and how far each run got.

use rusqlite::params;

use crate::{SqliteStore, StoreError, now};

/// One journalled change of a run, as a remote target reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow<'a> {
    pub line: u64,
    pub key: &'a str,
    /// `user`, `course`, `enrolment`, …
    pub entity: &'a str,
    pub entity_id: i64,
    /// `create`, `update`, `delete`, …
    pub action: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl SqliteStore {
    /// Journals changes a remote target applied for run `run`, in one transaction.
    pub fn record_journal(&mut self, run: i64, rows: &[JournalRow<'_>]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO sync_journal (run_id, line, entity, entity_id, key, action, before, after, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let at = now();
            for r in rows {
                insert.execute(params![
                    run,
                    r.line as i64,
                    r.entity,
                    r.entity_id,
                    r.key,
                    r.action,
                    r.before,
                    r.after,
                    at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records the last input line run `run` has handled.
    pub fn record_progress(&mut self, run: i64, line: u64) -> Result<(), StoreError> {
        self.conn.execute("UPDATE sync_runs SET last_line = ?1 WHERE id = ?2", params![line as i64, run])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lmsync_core::target::{RunStart, RunStore};

    #[test]
    fn a_remote_targets_journal_and_progress_are_kept_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
        let start = RunStart {
            tool: "users".into(),
            operation: None,
            input: "users.csv".into(),
            dry_run: false,
            trigger: "cli".into(),
            pid: 1,
            partial_report: String::new(),
        };
        let run = store.start_run(&start).unwrap();
        let row = JournalRow {
            line: 2,
            key: "jdoe",
            entity: "user",
            entity_id: 7,
            action: "create",
            before: None,
            after: Some("{}".into()),
        };
        store.record_journal(run, &[row]).unwrap();
        store.record_progress(run, 2).unwrap();
        assert_eq!(store.journal_count(run).unwrap(), 1);
        assert_eq!(store.journal_lines(run, 0).unwrap(), vec![(2, "jdoe".to_string(), "create".to_string())]);
        assert_eq!(store.run(run).unwrap().unwrap().last_line, 2);
    }
}
