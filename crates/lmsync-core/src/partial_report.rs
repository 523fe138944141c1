//! The reports of a run a crash interrupted: what reached the disk is kept, lines cut by the
//! crash are dropped, lines applied but not yet reported are added from the journal, and both
//! files are closed and named like any report.

use lmsync_model::{LineOutcome, OutcomeCounts};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::report::{ReportTail, finalize, partial_paths};

pub struct PartialReport {
    text: PathBuf,
    json: PathBuf,
    /// Complete JSON line records kept, and the text report.
    records: Vec<u8>,
    head: Vec<u8>,
    text_body: String,
    pub counts: OutcomeCounts,
    /// Highest input line the report already lists.
    pub last_line: u64,
    pub notes: Vec<String>,
}

impl PartialReport {
    /// The partial reports of `run_id`, if the run got as far as creating them. Lines past
    /// `committed` (the run's durable progress) were written for a chunk the crash rolled back:
    /// they are dropped.
    pub fn open(reports_dir: &Path, run_id: i64, committed: u64) -> io::Result<Option<Self>> {
        let (text, json) = partial_paths(reports_dir, run_id);
        if !text.exists() || !json.exists() {
            return Ok(None);
        }
        let content = fs::read(&json)?;
        let marker = b"\"lines\":[\n";
        let (head, body) = match content.windows(marker.len()).position(|w| w == marker) {
            Some(at) => (content[..at + marker.len()].to_vec(), &content[at + marker.len()..]),
            // The crash came before the head was written: start a minimal one.
            None => (format!("{{\"run_id\":{run_id},\"lines\":[\n").into_bytes(), &[][..]),
        };
        let mut report = PartialReport {
            text,
            json,
            records: Vec::new(),
            head,
            text_body: String::new(),
            counts: OutcomeCounts::default(),
            last_line: 0,
            notes: Vec::new(),
        };
        for line in body.split_inclusive(|b| *b == b'\n').filter(|l| l.ends_with(b"\n")) {
            let record = line.strip_prefix(b",").unwrap_or(line);
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(record) else { break };
            if value["line"].as_u64().unwrap_or(0) > committed {
                break;
            }
            report.count(&value);
            if !report.records.is_empty() {
                report.records.push(b',');
            }
            report.records.extend_from_slice(record);
        }
        let text = String::from_utf8_lossy(&fs::read(&report.text)?).into_owned();
        // Keep the text report's lines up to the committed one, and its notes.
        let uncommitted = |l: &&str| {
            l.strip_prefix("line ")
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > committed)
        };
        report.text_body = text.split_inclusive('\n').filter(|l| !uncommitted(l)).collect();
        if report.text_body.is_empty() {
            report.text_body = format!("report of run {run_id}, interrupted before it could write its header\n");
        }
        report.notes = report.text_body.lines().filter_map(|l| l.strip_prefix("note: ")).map(str::to_string).collect();
        Ok(Some(report))
    }

    fn count(&mut self, record: &serde_json::Value) {
        let outcome = record["outcome"].as_str().unwrap_or_default();
        if let Some(o) = lmsync_model::Outcome::ALL.iter().find(|o| o.as_str() == outcome) {
            self.counts.add(*o);
        }
        self.last_line = self.last_line.max(record["line"].as_u64().unwrap_or(0));
    }

    /// Adds a line the crash kept out of the report.
    pub fn add(&mut self, o: &LineOutcome) -> io::Result<()> {
        let value = serde_json::to_value(o).map_err(io::Error::other)?;
        self.count(&value);
        if !self.records.is_empty() {
            self.records.push(b',');
        }
        serde_json::to_writer(&mut self.records, o).map_err(io::Error::other)?;
        self.records.push(b'\n');
        self.text_body.push_str(&format!("line {}: {} {}: {}\n", o.line, o.outcome, o.key, o.message));
        Ok(())
    }

    /// Writes the closing part of both reports and gives them their final names.
    pub fn close(
        self,
        tail: &ReportTail,
        dir: &Path,
        text_name: &str,
        json_name: &str,
    ) -> io::Result<(PathBuf, PathBuf)> {
        let mut text = self.text_body;
        text.push_str(&format!(
            "\n{}\nsummary: {}\nstatus: {}\nend of report\n",
            tail.message,
            tail.counts.summary(),
            tail.status
        ));
        write_synced(&self.text, text.as_bytes())?;
        let mut json = self.head;
        json.extend_from_slice(&self.records);
        json.extend_from_slice(b"],\"notes\":");
        json.extend_from_slice(serde_json::to_string(&self.notes).map_err(io::Error::other)?.as_bytes());
        json.push(b',');
        let tail_json = serde_json::to_string(tail).map_err(io::Error::other)?;
        json.extend_from_slice(&tail_json.as_bytes()[1..]);
        json.push(b'\n');
        write_synced(&self.json, &json)?;
        finalize(&self.text, &self.json, Some((dir, text_name, json_name)))?
            .ok_or_else(|| io::Error::other("report not kept"))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).truncate(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReportWriter, read_json, test_head as head};
    use lmsync_model::Outcome;

    #[test]
    fn a_partial_report_left_by_a_crash_is_closed_with_its_counts_and_missing_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ReportWriter::create(dir.path(), &head()).unwrap();
        w.note("accounts are matched by username").unwrap();
        w.line(&LineOutcome::new(2, Outcome::Created, "a", "new account")).unwrap();
        w.line(&LineOutcome::new(3, Outcome::Unchanged, "b", "no change")).unwrap();
        w.flush().unwrap();
        std::mem::forget(w);
        // A record cut in the middle by the crash.
        let (_, json_path) = partial_paths(dir.path(), 7);
        let mut f = OpenOptions::new().append(true).open(&json_path).unwrap();
        f.write_all(b",{\"line\":4,\"outc").unwrap();
        let mut p = PartialReport::open(dir.path(), 7, 3).unwrap().unwrap();
        assert_eq!((p.counts.created, p.counts.unchanged, p.last_line), (1, 1, 3));
        p.add(&LineOutcome::new(4, Outcome::Created, "c", "from the journal")).unwrap();
        let tail = ReportTail {
            status: "interrupted".into(),
            counts: p.counts,
            message: "interrupted".into(),
            ..Default::default()
        };
        let (t, j) = p.close(&tail, dir.path(), "r.txt", "r.json").unwrap();
        let v = read_json(&j).unwrap();
        assert_eq!(v["lines"].as_array().unwrap().len(), 3);
        assert_eq!(v["counts"]["created"], 2);
        assert_eq!(v["notes"][0], "accounts are matched by username");
        assert_eq!(v["run_id"], 7);
        assert!(std::fs::read_to_string(t).unwrap().contains("line 4: created c: from the journal"));
    }

    #[test]
    fn an_empty_partial_report_still_closes_as_valid_json() {
        let dir = tempfile::tempdir().unwrap();
        let (text, json) = partial_paths(dir.path(), 9);
        std::fs::write(&text, "").unwrap();
        std::fs::write(&json, "").unwrap();
        let p = PartialReport::open(dir.path(), 9, 0).unwrap().unwrap();
        let tail = ReportTail { status: "interrupted".into(), ..Default::default() };
        let (_, j) = p.close(&tail, dir.path(), "r.txt", "r.json").unwrap();
        let v = read_json(&j).unwrap();
        assert_eq!(v["run_id"], 9);
        assert_eq!(v["status"], "interrupted");
    }
}
