//! Run reports, written while the run goes on (memory does not grow with the file): a text report
//! for people and a JSON report for programs, both in `reports/`. Until the run ends they live
//! under hidden partial names, so a crash leaves them recoverable (see `recovery`).

use lmsync_model::{LineOutcome, Outcome, OutcomeCounts};
use serde::Serialize;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::area::{FileArea, sync_dir};

/// What a report says about its run before the first line.
#[derive(Debug, Clone, Serialize)]
pub struct ReportHead {
    pub run_id: i64,
    pub site_name: String,
    pub tool: String,
    pub operation: Option<String>,
    pub input: String,
    pub dry_run: bool,
    pub started_at: String,
}

/// What a report says after the last line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportTail {
    pub status: String,
    pub finished_at: String,
    pub counts: OutcomeCounts,
    pub tryback: Option<String>,
    pub archive: Option<String>,
    pub message: String,
}

pub struct ReportWriter {
    text: BufWriter<File>,
    json: BufWriter<File>,
    text_path: PathBuf,
    json_path: PathBuf,
    lines: u64,
    notes: Vec<String>,
    counts: OutcomeCounts,
}

/// Hidden names of a run's reports while it is running.
pub fn partial_paths(reports_dir: &Path, run_id: i64) -> (PathBuf, PathBuf) {
    (reports_dir.join(format!(".run-{run_id}.partial.txt")), reports_dir.join(format!(".run-{run_id}.partial.json")))
}

fn text_outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Failed => "FAILED",
        other => other.as_str(),
    }
}

impl ReportWriter {
    pub fn create(reports_dir: &Path, head: &ReportHead) -> io::Result<Self> {
        fs::create_dir_all(reports_dir)?;
        let (text_path, json_path) = partial_paths(reports_dir, head.run_id);
        let mut text = BufWriter::new(File::create(&text_path)?);
        let mut json = BufWriter::new(File::create(&json_path)?);
        writeln!(text, "{} — {} report, run {}", head.site_name, head.tool, head.run_id)?;
        if let Some(op) = &head.operation {
            writeln!(text, "operation: {op}")?;
        }
        writeln!(text, "input: {}", head.input)?;
        writeln!(text, "started: {}", head.started_at)?;
        if head.dry_run {
            writeln!(text, "DRY RUN: nothing below was written; each line says what would happen")?;
        }
        writeln!(text)?;
        let head_json = serde_json::to_string(head).map_err(io::Error::other)?;
        // The head object is left open so lines can stream into it.
        writeln!(json, "{},\"lines\":[", &head_json[..head_json.len() - 1])?;
        // On disk before the first line: a crash at any point leaves a report that can be closed.
        text.flush()?;
        json.flush()?;
        Ok(ReportWriter {
            text,
            json,
            text_path,
            json_path,
            lines: 0,
            notes: Vec::new(),
            counts: OutcomeCounts::default(),
        })
    }

    /// A run-level remark (warning, setting in effect), listed in both reports.
    pub fn note(&mut self, note: impl Into<String>) -> io::Result<()> {
        let note = note.into();
        writeln!(self.text, "note: {note}")?;
        self.notes.push(note);
        Ok(())
    }

    pub fn line(&mut self, o: &LineOutcome) -> io::Result<()> {
        self.counts.add(o.outcome);
        match &o.code {
            Some(code) => {
                writeln!(self.text, "line {}: {} {}: {} [{}]", o.line, text_outcome(o.outcome), o.key, o.message, code)?
            }
            None => writeln!(self.text, "line {}: {} {}: {}", o.line, text_outcome(o.outcome), o.key, o.message)?,
        }
        if self.lines > 0 {
            self.json.write_all(b",")?;
        }
        serde_json::to_writer(&mut self.json, o).map_err(io::Error::other)?;
        self.json.write_all(b"\n")?;
        self.lines += 1;
        Ok(())
    }

    pub fn counts(&self) -> OutcomeCounts {
        self.counts
    }

    /// Pushes what was written so far to disk (called after each committed chunk).
    pub fn flush(&mut self) -> io::Result<()> {
        self.text.flush()?;
        self.json.flush()
    }

    /// Completes both reports and gives them their final names (`…_report_<input name>` and
    /// `…_report_<input base>.json`, never overwriting). `None` for `keep` deletes them instead.
    pub fn finish(
        mut self,
        tail: &ReportTail,
        keep: Option<(&Path, &str, &str)>,
    ) -> io::Result<Option<(PathBuf, PathBuf)>> {
        writeln!(self.text)?;
        if !tail.message.is_empty() {
            writeln!(self.text, "{}", tail.message)?;
        }
        writeln!(self.text, "summary: {}", tail.counts.summary())?;
        if let Some(t) = &tail.tryback {
            writeln!(self.text, "tryback: {t} ({} failed lines)", tail.counts.failed)?;
        }
        if let Some(a) = &tail.archive {
            writeln!(self.text, "input archived as: {a}")?;
        }
        writeln!(self.text, "status: {}", tail.status)?;
        writeln!(self.text, "finished: {}", tail.finished_at)?;
        writeln!(self.text, "end of report")?;
        write!(self.json, "],\"notes\":{},", serde_json::to_string(&self.notes).map_err(io::Error::other)?)?;
        let tail_json = serde_json::to_string(tail).map_err(io::Error::other)?;
        self.json.write_all(&tail_json.as_bytes()[1..])?;
        self.json.write_all(b"\n")?;
        let text = self.text.into_inner().map_err(|e| e.into_error())?;
        let json = self.json.into_inner().map_err(|e| e.into_error())?;
        text.sync_all()?;
        json.sync_all()?;
        finalize(&self.text_path, &self.json_path, keep)
    }
}

pub(crate) fn finalize(
    text: &Path,
    json: &Path,
    keep: Option<(&Path, &str, &str)>,
) -> io::Result<Option<(PathBuf, PathBuf)>> {
    match keep {
        None => {
            fs::remove_file(text)?;
            fs::remove_file(json)?;
            Ok(None)
        }
        Some((dir, text_name, json_name)) => {
            let t = FileArea::unique_path(dir, text_name);
            fs::rename(text, &t)?;
            let j = FileArea::unique_path(dir, json_name);
            fs::rename(json, &j)?;
            sync_dir(dir);
            Ok(Some((t, j)))
        }
    }
}

/// A report for a run that could not start or was refused before any line: both files at once.
pub fn write_short(
    reports_dir: &Path,
    head: &ReportHead,
    tail: &ReportTail,
    names: (&str, &str),
) -> io::Result<(PathBuf, PathBuf)> {
    let writer = ReportWriter::create(reports_dir, head)?;
    writer.finish(tail, Some((reports_dir, names.0, names.1)))?.ok_or_else(|| io::Error::other("report not kept"))
}

/// JSON value of a finished report, for tests and the API.
pub fn read_json(path: &Path) -> io::Result<serde_json::Value> {
    let data = fs::read(path)?;
    serde_json::from_slice(&data).map_err(io::Error::other)
}

/// The head of a users run (run 7) that the report tests write.
#[cfg(test)]
pub(crate) fn test_head() -> ReportHead {
    ReportHead {
        run_id: 7,
        site_name: "Test".into(),
        tool: "users".into(),
        operation: None,
        input: "users.csv".into(),
        dry_run: false,
        started_at: "2026-01-01 10:00".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::test_head as head;
    use super::*;

    #[test]
    fn a_report_streams_lines_and_ends_as_valid_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ReportWriter::create(dir.path(), &head()).unwrap();
        w.note("primary identity: username").unwrap();
        w.line(&LineOutcome::new(2, Outcome::Created, "jdoe", "created account (id 3)")).unwrap();
        w.line(&LineOutcome::failed(3, "x", "user.bad_email", "e-mail \"x\" is not valid")).unwrap();
        let tail = ReportTail { status: "failed".into(), counts: w.counts(), ..Default::default() };
        let (t, j) = w.finish(&tail, Some((dir.path(), "r_users.csv", "r_users.json"))).unwrap().unwrap();
        let text = fs::read_to_string(t).unwrap();
        assert!(text.contains("line 3: FAILED x: e-mail \"x\" is not valid [user.bad_email]"), "{text}");
        assert!(text.ends_with("end of report\n"));
        let v = read_json(&j).unwrap();
        assert_eq!(v["run_id"], 7);
        assert_eq!(v["lines"].as_array().unwrap().len(), 2);
        assert_eq!(v["lines"][1]["code"], "user.bad_email");
        assert_eq!(v["counts"]["created"], 1);
        assert_eq!(v["notes"][0], "primary identity: username");
        assert!(!partial_paths(dir.path(), 7).0.exists());
    }
}
