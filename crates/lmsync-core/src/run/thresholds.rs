//! Change thresholds of delete operations (DECISIONS §5): before anything is written, count
//! what the file would delete and stop when it is above the tool's limits, unless confirmed.

use lmsync_csv::Dialect;

use super::{ChunkError, Run, read_chunk};
use crate::tools::Row;

impl Run<'_, '_> {
    /// Counts what the file would delete before anything is written (DECISIONS §5).
    pub(super) fn check_thresholds(
        &mut self,
        dialect: &Dialect,
        notes: &mut Vec<String>,
    ) -> Result<Option<String>, ChunkError> {
        let mut reader = match self.open(dialect) {
            Ok(r) => r,
            Err(message) => return Ok(Some(message)),
        };
        let mut deletions = 0;
        loop {
            let records = read_chunk(&mut reader)?;
            if records.is_empty() {
                break;
            }
            let rows: Vec<Row> =
                records.into_iter().filter_map(|r| r.fields.ok().map(|fields| Row { line: r.line, fields })).collect();
            deletions += self.req.tool.deletions(&rows, self.engine.backend)?;
        }
        let (existing, percent, count) = self.req.tool.delete_limits(self.engine.backend)?;
        let share = if existing == 0 { 100.0 } else { deletions as f64 * 100.0 / existing as f64 };
        let over = deletions > count && share > f64::from(percent);
        let tool = self.req.tool.name();
        let what = format!("this file deletes {deletions} of {existing} existing records ({share:.1} %)");
        if !over {
            return Ok(None);
        }
        if self.req.dry_run || self.req.confirm_deletes {
            let note = format!(
                "{what}, above the {tool}.delete_threshold_percent / delete_threshold_count limits ({percent} %, {count}){}",
                if self.req.dry_run { "" } else { "; confirmed" }
            );
            self.report().note(note.clone())?;
            notes.push(note);
            return Ok(None);
        }
        Ok(Some(format!(
            "{what}, above the limits {tool}.delete_threshold_percent = {percent} and {tool}.delete_threshold_count = {count}; nothing was written. Check the file; to apply it anyway run it again with --confirm-deletes (or raise the limits) [run.threshold]"
        )))
    }
}
