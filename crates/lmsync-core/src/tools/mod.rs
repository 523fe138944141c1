//! The tools: one per kind of command file. A tool declares its columns, turns a chunk of rows
//! into planned changes (pure, against what the target answers), and may act once a change is
//! applied. The run engine (`run.rs`) does everything else.

pub mod cohorts;
pub mod courses;
pub mod enrols;
pub mod groups;
pub mod userpictures;
pub mod users;

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Applied, Change, ChangeError, LineOutcome};
use std::path::PathBuf;

use crate::target::{LmsTarget, TargetError};

/// One well-formed data line: its physical line number and its values in column order.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

/// What a tool decided for one line: its outcome as planned, and the change to apply, if any.
#[derive(Debug, Clone)]
pub struct Planned {
    pub outcome: LineOutcome,
    pub change: Option<Change>,
}

/// Facts about the run a tool may need.
#[derive(Debug, Clone)]
pub struct ToolContext {
    pub run_id: i64,
    pub dry_run: bool,
    pub reports_dir: PathBuf,
    /// `YYYYmmdd-HHMM` of the run start, for file names.
    pub stamp: String,
    pub input_name: String,
    /// The file area root (templates and backups live there).
    pub area_root: PathBuf,
    /// The input file.
    pub input: PathBuf,
}

/// A file-level refusal raised by a tool before any line is processed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    pub code: &'static str,
    pub message: String,
}

pub trait Tool {
    fn name(&self) -> &'static str;
    /// The operation of a multi-operation tool (`courses`: check, create, delete, …).
    fn operation(&self) -> Option<&'static str> {
        None
    }
    /// A tool that only reads (a check) leaves its input in place: no archive, no cleanup.
    fn keeps_input(&self) -> bool {
        false
    }
    /// Lines may stop before the last columns; the missing values are empty.
    fn pads_short_lines(&self) -> bool {
        false
    }
    /// Lines may carry more fields than the columns; the extra ones are ignored.
    fn ignores_extra_fields(&self) -> bool {
        false
    }
    /// Files without a header line: the columns every line has.
    fn headerless(&self) -> Option<Vec<String>> {
        None
    }
    /// A tool whose input is an archive, not a CSV file, lists its items here: each becomes a
    /// row (line = the item's 1-based position in the archive, one field = its name). `Err`
    /// refuses the whole input.
    fn items(&mut self, _input: &std::path::Path) -> Option<Result<Vec<(u64, String)>, String>> {
        None
    }
    /// Rows planned and applied together.
    fn chunk_rows(&self) -> usize {
        crate::run::CHUNK_ROWS
    }
    /// The input is deleted after a finished run even when `files.cleanup` is off.
    fn deletes_input(&self) -> bool {
        false
    }
    fn rules(&self) -> &'static ColumnRules;
    /// Called once the header is validated; returns run-level notes (ignored columns, …).
    fn start(
        &mut self,
        columns: &Columns,
        ctx: &ToolContext,
        target: &mut dyn LmsTarget,
    ) -> Result<Vec<String>, ToolError>;
    /// Plans a chunk of rows, in order; later rows see the effects of earlier ones.
    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError>;
    /// Told the result of each change once its chunk is committed (in a dry run: rehearsed).
    fn applied(&mut self, _planned: &Planned, _result: &Result<Applied, ChangeError>) {}
    /// How many existing records this chunk would delete (for change thresholds).
    fn deletions(&mut self, _rows: &[Row], _target: &mut dyn LmsTarget) -> Result<u64, TargetError> {
        Ok(0)
    }
    /// Whether the file can delete anything at all (decides whether thresholds need a pre-pass).
    fn may_delete(&self) -> bool {
        false
    }
    /// Number of existing records deletions are measured against, and the configured limits
    /// `(percent, count)`.
    fn delete_limits(&mut self, _target: &mut dyn LmsTarget) -> Result<(u64, u32, u64), TargetError> {
        Ok((0, 100, u64::MAX))
    }
    /// Changes to apply once every line is done (a purge), in the same run.
    fn closing(&mut self, _target: &mut dyn LmsTarget) -> Result<Vec<Change>, TargetError> {
        Ok(Vec::new())
    }
    /// After the last line; returns notes for the report.
    fn finish(&mut self, _ctx: &ToolContext) -> Vec<String> {
        Vec::new()
    }
}
