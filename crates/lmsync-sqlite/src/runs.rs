//! Run records (`sync_runs`) and the change journal count: how a run started, how it ended,
//! and which runs a crash left marked running.

use lmsync_core::target::{RunEnd, RunInfo, RunStart, RunStatus, RunStore, TargetError};
use lmsync_model::OutcomeCounts;
use rusqlite::{OptionalExtension, Row, params};

use crate::{SqliteStore, now, unavailable};

const COLUMNS: &str = "id, tool, operation, input, dry_run, trigger, status, started_at, finished_at, pid, last_line, created, updated, deleted, unchanged, skipped, failed, partial_report, report, tryback, archive, message";

fn from_row(r: &Row<'_>) -> rusqlite::Result<RunInfo> {
    let status: String = r.get(6)?;
    Ok(RunInfo {
        id: r.get(0)?,
        tool: r.get(1)?,
        operation: r.get(2)?,
        input: r.get(3)?,
        dry_run: r.get(4)?,
        trigger: r.get(5)?,
        status: RunStatus::parse(&status).unwrap_or(RunStatus::Interrupted),
        started_at: r.get(7)?,
        finished_at: r.get(8)?,
        pid: r.get(9)?,
        last_line: r.get::<_, i64>(10)? as u64,
        counts: OutcomeCounts {
            created: r.get::<_, i64>(11)? as u64,
            updated: r.get::<_, i64>(12)? as u64,
            deleted: r.get::<_, i64>(13)? as u64,
            unchanged: r.get::<_, i64>(14)? as u64,
            skipped: r.get::<_, i64>(15)? as u64,
            failed: r.get::<_, i64>(16)? as u64,
        },
        partial_report: r.get(17)?,
        report: r.get(18)?,
        tryback: r.get(19)?,
        archive: r.get(20)?,
        message: r.get(21)?,
    })
}

impl RunStore for SqliteStore {
    fn start_run(&mut self, s: &RunStart) -> Result<i64, TargetError> {
        self.conn
            .execute(
                "INSERT INTO sync_runs (tool, operation, input, dry_run, trigger, status, pid, started_at, partial_report) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8)",
                params![s.tool, s.operation, s.input, s.dry_run, s.trigger, s.pid, now(), s.partial_report],
            )
            .map_err(unavailable)?;
        Ok(self.conn.last_insert_rowid())
    }

    fn end_run(&mut self, id: i64, status: RunStatus, e: &RunEnd) -> Result<(), TargetError> {
        let c = &e.counts;
        self.conn
            .execute(
                "UPDATE sync_runs SET status = ?2, finished_at = ?3, created = ?4, updated = ?5, deleted = ?6, unchanged = ?7, skipped = ?8, failed = ?9, report = ?10, json_report = ?11, tryback = ?12, archive = ?13, message = ?14 WHERE id = ?1",
                params![
                    id,
                    status.as_str(),
                    now(),
                    c.created as i64,
                    c.updated as i64,
                    c.deleted as i64,
                    c.unchanged as i64,
                    c.skipped as i64,
                    c.failed as i64,
                    e.report,
                    e.json_report,
                    e.tryback,
                    e.archive,
                    e.message
                ],
            )
            .map_err(unavailable)?;
        Ok(())
    }

    fn running_runs(&mut self, tool: &str) -> Result<Vec<RunInfo>, TargetError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM sync_runs WHERE tool = ?1 AND status = 'running' ORDER BY id"))
            .map_err(unavailable)?;
        let rows = stmt.query_map([tool], from_row).map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
    }

    fn journal_count(&mut self, run: i64) -> Result<u64, TargetError> {
        self.conn
            .query_row("SELECT count(*) FROM sync_journal WHERE run_id = ?1", [run], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(unavailable)
    }

    fn journal_lines(&mut self, run: i64, after: u64) -> Result<Vec<(u64, String, String)>, TargetError> {
        let mut stmt = self
            .conn
            .prepare("SELECT line, key, action FROM sync_journal WHERE run_id = ?1 AND line > ?2 ORDER BY line, id")
            .map_err(unavailable)?;
        let rows = stmt
            .query_map(params![run, after as i64], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)))
            .map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
    }

    fn recent_runs(&mut self, limit: usize) -> Result<Vec<RunInfo>, TargetError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM sync_runs ORDER BY id DESC LIMIT ?1"))
            .map_err(unavailable)?;
        let rows = stmt.query_map([limit as i64], from_row).map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
    }

    fn run(&mut self, id: i64) -> Result<Option<RunInfo>, TargetError> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM sync_runs WHERE id = ?1"), [id], from_row)
            .optional()
            .map_err(unavailable)
    }
}
