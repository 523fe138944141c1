//! The run engine (DECISIONS §3): one run of one tool on one file, from lock to archive.
//! Lock → recover crashed runs → resolve the input → header check → (threshold pre-pass) →
//! chunks of rows planned and applied, each line reported and failed lines copied to the
//! tryback → report → tryback → archive or cleanup → run record.

mod finish;
mod thresholds;

use lmsync_csv::{Columns, CsvReader, Dialect, Record, TrybackWriter, validate_header};
use lmsync_model::{LineOutcome, Outcome, OutcomeCounts};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::area::{AreaError, FileArea};
use crate::clock::Clock;
use crate::lock::{LockError, ToolLock};
use crate::recovery;
use crate::report::{ReportHead, ReportWriter};
use crate::settings::Settings;
use crate::target::{Backend, RunStart, RunStatus, TargetError};
use crate::tools::{Row, Tool, ToolContext};

/// Rows planned and applied together: big enough to batch lookups and commits, small enough
/// to keep memory flat.
pub const CHUNK_ROWS: usize = 2000;

/// The run could not start; nothing was recorded.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Area(#[from] AreaError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("invalid setting: {0}")]
    Setting(String),
    #[error("cannot write in the file area: {0}")]
    Io(#[from] std::io::Error),
}

/// What to run.
pub struct RunRequest {
    pub tool: Box<dyn Tool>,
    /// A file named on the command line (copied into the area when it is outside).
    pub file: Option<PathBuf>,
    /// The tool's configured location and its default name.
    pub location: String,
    pub default_name: &'static str,
    pub dry_run: bool,
    pub trigger: String,
    /// Go past the change thresholds of delete operations.
    pub confirm_deletes: bool,
}

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run_id: i64,
    pub dry_run: bool,
    pub status: RunStatus,
    pub counts: OutcomeCounts,
    pub input: PathBuf,
    pub report: Option<PathBuf>,
    pub json_report: Option<PathBuf>,
    pub tryback: Option<PathBuf>,
    pub archive: Option<PathBuf>,
    pub message: String,
    /// Run-level notes, including what recovery of earlier crashed runs did.
    pub notes: Vec<String>,
}

impl RunSummary {
    /// CLI exit code: 0 all lines ok, 1 some lines failed, 2 the run could not run.
    pub fn exit_code(&self) -> i32 {
        match self.status {
            RunStatus::Succeeded => 0,
            RunStatus::Failed => 1,
            _ => 2,
        }
    }
}

pub struct Engine<'a> {
    pub settings: &'a Settings,
    pub area: FileArea,
    pub locks_dir: PathBuf,
    pub backend: &'a mut dyn Backend,
    pub clock: Clock,
    /// Set to stop a run between two chunks (Ctrl-C in the daemon).
    pub cancel: Arc<AtomicBool>,
}

/// The dialect of `[csv]`.
pub fn dialect(settings: &Settings) -> Result<Dialect, RunError> {
    Ok(Dialect {
        delimiter: settings.csv.delimiter.parse().map_err(|e| RunError::Setting(format!("csv.delimiter: {e}")))?,
        encoding: settings.csv.encoding.parse().map_err(|e| RunError::Setting(format!("csv.encoding: {e}")))?,
        legacy_comments: settings.csv.legacy_comments,
        max_record_bytes: settings.csv.max_record_bytes,
    })
}

/// Failed lines of a run, written to a hidden name next to the input and renamed at the end.
/// For an archive input, the positions of the failed items, copied into a tryback archive at the end.
struct Tryback {
    header: Vec<u8>,
    partial: PathBuf,
    writer: Option<TrybackWriter>,
    enabled: bool,
    items: Option<Vec<u64>>,
}

impl Tryback {
    fn partial_path(input: &Path, run_id: i64) -> PathBuf {
        input.with_file_name(format!(".run-{run_id}.tryback.partial"))
    }

    fn add(&mut self, raw: &[u8]) -> std::io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        if let Some(items) = &mut self.items {
            items.extend(std::str::from_utf8(raw).ok().and_then(|s| s.parse::<u64>().ok()));
            return Ok(());
        }
        if self.writer.is_none() {
            self.writer = Some(TrybackWriter::create(&self.partial, &self.header)?);
        }
        match &mut self.writer {
            Some(w) => w.write_record(raw),
            None => Ok(()),
        }
    }
}

impl Engine<'_> {
    pub fn run(&mut self, req: RunRequest) -> Result<RunSummary, RunError> {
        let tool_name = req.tool.name();
        let _lock = ToolLock::acquire(&self.locks_dir, tool_name)?;
        self.area.ensure()?;
        let mut notes = recovery::recover(tool_name, self.backend, &self.area, self.settings, &self.clock)?;
        let input = match &req.file {
            Some(f) => self.area.adopt(f)?,
            None => self.area.resolve(&req.location, req.default_name)?,
        };
        if !input.is_file() {
            return Err(AreaError::NotFound(input.display().to_string()).into());
        }
        let dialect = dialect(self.settings)?;
        let started = self.clock.now();
        let stamp = self.clock.stamp(started);
        let input_name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let reports_dir = self.area.reports_dir();
        let run_id = self.backend.start_run(&RunStart {
            tool: tool_name.into(),
            operation: req.tool.operation().map(str::to_string),
            input: input.display().to_string(),
            dry_run: req.dry_run,
            trigger: req.trigger.clone(),
            pid: std::process::id(),
            partial_report: reports_dir.display().to_string(),
        })?;
        let head = ReportHead {
            run_id,
            site_name: self.settings.site_name.clone(),
            tool: tool_name.into(),
            operation: req.tool.operation().map(str::to_string),
            input: self.area.display(&input),
            dry_run: req.dry_run,
            started_at: self.clock.display(started),
        };
        let mut report = ReportWriter::create(&reports_dir, &head)?;
        for n in &notes {
            report.note(n.clone())?;
        }
        let ctx = ToolContext {
            area_root: self.area.root().to_path_buf(),
            input: input.clone(),
            run_id,
            dry_run: req.dry_run,
            reports_dir: reports_dir.clone(),
            stamp: stamp.clone(),
            input_name: input_name.clone(),
        };
        let identity = FileIdentity::of(&input);
        let mut run = Run { engine: self, req, ctx, input, identity, report, counts: OutcomeCounts::default() };
        let outcome = run.process(&dialect, &mut notes);
        run.finish(outcome, notes)
    }
}

struct Run<'e, 'a> {
    engine: &'e mut Engine<'a>,
    req: RunRequest,
    ctx: ToolContext,
    input: PathBuf,
    /// The input file's identity when the run started: a file of the same name dropped in
    /// meanwhile is a new command file, never archived in place of the one processed.
    identity: Option<FileIdentity>,
    report: ReportWriter,
    counts: OutcomeCounts,
}

/// Device, inode, size and modification time of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileIdentity(u64, u64, u64, Option<std::time::SystemTime>);

impl FileIdentity {
    pub(crate) fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileIdentity(m.dev(), m.ino(), m.len(), m.modified().ok()))
    }
}

/// How processing ended, before finalisation.
enum Ending {
    Done(Option<Tryback>),
    /// Refused before any line (header, threshold, tool), or stopped by the target: the input is kept.
    Aborted(String, Option<Tryback>),
    Cancelled(Option<Tryback>),
}

impl Run<'_, '_> {
    fn report(&mut self) -> &mut ReportWriter {
        &mut self.report
    }

    fn open(&self, dialect: &Dialect) -> Result<CsvReader<BufReader<File>>, String> {
        let file = File::open(&self.input).map_err(|e| format!("cannot read {}: {e}", self.input.display()))?;
        let input = BufReader::with_capacity(1 << 16, file);
        match self.req.tool.headerless() {
            // Lists often leave trailing columns out: a short line is padded, not refused.
            Some(names) => CsvReader::open_headerless(input, dialect, names).map(|mut r| {
                r.set_pad_short_records(true);
                r.set_ignore_extra_fields(self.req.tool.ignores_extra_fields());
                r
            }),
            None => CsvReader::open(input, dialect).map(|mut r| {
                r.set_pad_short_records(self.req.tool.pads_short_lines());
                r
            }),
        }
        .map_err(|e| format!("{}: {e}", self.ctx.input_name))
    }

    fn process(&mut self, dialect: &Dialect, notes: &mut Vec<String>) -> Result<Ending, ChunkError> {
        let input = self.input.clone();
        let (mut source, columns, header) = match self.req.tool.items(&input) {
            Some(Err(message)) => return Ok(Ending::Aborted(message, None)),
            Some(Ok(names)) => (Source::items(names), Columns::from_names(vec!["name".into()]), None),
            None => {
                let reader = match self.open(dialect) {
                    Ok(r) => r,
                    Err(message) => return Ok(Ending::Aborted(message, None)),
                };
                let columns = match validate_header(
                    reader.header(),
                    self.req.tool.rules(),
                    self.engine.settings.csv.allow_unknown_columns,
                    &self.ctx.input_name,
                ) {
                    Ok(c) => c,
                    Err(e) => return Ok(Ending::Aborted(format!("{e} [{}]", e.code()), None)),
                };
                let header = reader.header().raw.clone();
                (Source::Csv(Box::new(reader)), columns, Some(header))
            }
        };
        let mut run_notes: Vec<String> = columns.warnings().to_vec();
        match self.req.tool.start(&columns, &self.ctx, self.engine.backend) {
            Ok(n) => run_notes.extend(n),
            Err(e) => return Ok(Ending::Aborted(format!("{e} [{}]", e.code), None)),
        }
        for n in run_notes {
            self.report().note(n.clone())?;
            notes.push(n);
        }
        self.report().flush()?;
        if self.req.tool.may_delete()
            && let Some(refusal) = self.check_thresholds(dialect, notes)?
        {
            return Ok(Ending::Aborted(refusal, None));
        }
        let mut tryback = Tryback {
            items: header.is_none().then(Vec::new),
            header: header.unwrap_or_default(),
            partial: Tryback::partial_path(&self.input, self.ctx.run_id),
            writer: None,
            // A dry run only reports: a tryback would be mistaken for lines that really failed.
            enabled: self.engine.settings.files.trybacks && !self.req.dry_run,
        };
        if self.req.dry_run {
            self.engine.backend.begin_rehearsal()?;
        }
        let mut ending = self.chunks(&mut source, &mut tryback);
        if let Ok(None) = ending
            && let Err(e) = self.closing()
        {
            ending = Err(e);
        }
        if self.req.dry_run {
            self.engine.backend.end_rehearsal()?;
        }
        Ok(match ending? {
            None => Ending::Done(Some(tryback)),
            Some(Err(message)) => Ending::Aborted(message, Some(tryback)),
            Some(Ok(())) => Ending::Cancelled(Some(tryback)),
        })
    }

    /// Reads chunks until the end. `Some(Ok)` = cancelled, `Some(Err)` = target unavailable.
    fn chunks(&mut self, source: &mut Source, tryback: &mut Tryback) -> Result<Option<Result<(), String>>, ChunkError> {
        let size = self.req.tool.chunk_rows().max(1);
        loop {
            if self.engine.cancel.load(Ordering::Relaxed) {
                return Ok(Some(Ok(())));
            }
            let records = source.read(size)?;
            if records.is_empty() {
                return Ok(None);
            }
            if let Err(e) = self.chunk(records, tryback) {
                return match e {
                    ChunkError::Io(e) => Err(ChunkError::Io(e)),
                    ChunkError::Target(e) => Ok(Some(Err(format!("{e}; the input is kept for the next run")))),
                };
            }
        }
    }

    /// The tool's closing changes (a purge), applied and committed like a last chunk; what they
    /// did is noted in the report.
    fn closing(&mut self) -> Result<(), ChunkError> {
        let changes = self.req.tool.closing(self.engine.backend)?;
        if changes.is_empty() {
            return Ok(());
        }
        let results = self.engine.backend.apply(self.ctx.run_id, &changes)?;
        let mut notes = Vec::new();
        for (change, result) in changes.iter().zip(&results) {
            if let lmsync_model::ChangeKind::Groups { ops, .. } = &change.kind {
                let what = serde_json::to_string(ops).unwrap_or_default();
                notes.push(match result {
                    Ok(_) => format!("{}: {what}", change.key),
                    Err(e) => format!("{} failed: {e}", change.key),
                });
            }
        }
        let last = self.engine.backend.run(self.ctx.run_id).ok().flatten().map_or(0, |r| r.last_line);
        self.engine.backend.commit(self.ctx.run_id, last)?;
        for n in notes {
            self.report().note(n)?;
        }
        Ok(())
    }

    fn chunk(&mut self, records: Vec<Record>, tryback: &mut Tryback) -> Result<(), ChunkError> {
        let last_line = records.last().map_or(0, |r| r.end_line);
        let mut rows = Vec::with_capacity(records.len());
        let mut lines: Vec<LineOutcome> = Vec::new();
        let mut raws = std::collections::HashMap::with_capacity(records.len());
        for r in records {
            match r.fields {
                Ok(fields) => rows.push(Row { line: r.line, fields }),
                Err(e) => lines.push(LineOutcome::failed(r.line, "", e.code(), e.to_string())),
            }
            raws.insert(r.line, r.raw);
        }
        let mut planned = self.req.tool.plan(&rows, self.engine.backend)?;
        let changes: Vec<_> = planned.iter().filter_map(|p| p.change.clone()).collect();
        let results = self.engine.backend.apply(self.ctx.run_id, &changes)?;
        for n in self.engine.backend.notices() {
            self.report().note(n)?;
        }
        let mut results = results.into_iter();
        let mut applied = Vec::with_capacity(changes.len());
        for (i, p) in planned.iter_mut().enumerate() {
            if p.change.is_none() {
                continue;
            }
            let Some(result) = results.next() else { break };
            match &result {
                // The target found it already as asked (a link that was there already): said
                // before anything else, even of a planned creation.
                Ok(a) if !a.changed => {
                    p.outcome.outcome = Outcome::Unchanged;
                    p.outcome.message = "no change".into();
                }
                Ok(a) if p.outcome.outcome == Outcome::Created && a.id > 0 && !self.req.dry_run => {
                    p.outcome.message = format!("{} (id {})", p.outcome.message, a.id);
                }
                Ok(_) => {}
                Err(e) => {
                    p.outcome = LineOutcome::failed(p.outcome.line, p.outcome.key.clone(), &e.code, e.message.clone())
                }
            }
            applied.push((i, result));
        }
        // Report and tryback lines reach the disk before the chunk commits. A crash in between
        // leaves lines the commit did not keep: recovery drops the report lines past the run's
        // committed progress, and tryback lines fail again on the next run. Nothing is missing.
        lines.extend(planned.iter().map(|p| p.outcome.clone()));
        lines.sort_by_key(|l| l.line);
        for l in &lines {
            if l.outcome == Outcome::Failed
                && let Some(raw) = raws.get(&l.line)
            {
                tryback.add(raw)?;
            }
            self.report().line(l)?;
        }
        if let Some(w) = &mut tryback.writer {
            w.flush()?;
        }
        self.report().flush()?;
        if let Err(e) = self.engine.backend.commit(self.ctx.run_id, last_line) {
            let first = lines.first().map_or(0, |l| l.line);
            self.report().note(format!(
                "lines {first}-{last_line} above were not applied: the target failed before they were committed"
            ))?;
            return Err(e.into());
        }
        for l in &lines {
            self.counts.add(l.outcome);
        }
        // Only now is each change durable: tools may act on it (hand out passwords, …).
        for (i, result) in &applied {
            self.req.tool.applied(&planned[*i], result);
        }
        self.report().flush()?;
        Ok(())
    }
}

enum ChunkError {
    Io(std::io::Error),
    Target(TargetError),
}

impl From<std::io::Error> for ChunkError {
    fn from(e: std::io::Error) -> Self {
        ChunkError::Io(e)
    }
}

impl From<TargetError> for ChunkError {
    fn from(e: TargetError) -> Self {
        ChunkError::Target(e)
    }
}

fn read_chunk(reader: &mut CsvReader<BufReader<File>>) -> Result<Vec<Record>, std::io::Error> {
    read_records(reader, CHUNK_ROWS)
}

fn read_records(reader: &mut CsvReader<BufReader<File>>, size: usize) -> Result<Vec<Record>, std::io::Error> {
    let mut records = Vec::with_capacity(size);
    while records.len() < size {
        match reader.next_record() {
            None => break,
            Some(Ok(r)) => records.push(r),
            Some(Err(e)) => return Err(std::io::Error::other(e.to_string())),
        }
    }
    Ok(records)
}

/// Where a run's rows come from: a CSV file, or the items a tool listed in an archive.
enum Source {
    Csv(Box<CsvReader<BufReader<File>>>),
    Items(std::vec::IntoIter<Record>),
}

impl Source {
    /// Items as records; the raw bytes of an item are its position (what its tryback needs).
    fn items(items: Vec<(u64, String)>) -> Self {
        let records: Vec<Record> = items
            .into_iter()
            .map(|(line, name)| Record {
                line,
                end_line: line,
                raw: line.to_string().into_bytes(),
                fields: Ok(vec![name]),
            })
            .collect();
        Source::Items(records.into_iter())
    }

    fn read(&mut self, size: usize) -> Result<Vec<Record>, std::io::Error> {
        match self {
            Source::Csv(reader) => read_records(reader, size),
            Source::Items(items) => Ok(items.by_ref().take(size).collect()),
        }
    }
}
