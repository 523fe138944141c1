//! Discard-on-failure (DECISIONS §3, framework F8): a run whose process died is found at the
//! next start of the same tool, its partial reports and tryback are closed, its input is set
//! aside as `<name>-tryback-failed.<ext>` (when `files.discard_on_failure`), and the operator
//! is told what was applied before the crash.

use std::path::{Path, PathBuf};

use crate::area::{FileArea, split_ext};
use crate::clock::Clock;
use crate::partial_report::PartialReport;
use crate::report::ReportTail;
use crate::settings::Settings;
use crate::target::{Backend, RunEnd, RunStatus, TargetError};
use lmsync_model::{LineOutcome, Outcome, OutcomeCounts};

/// Recovers every run of `tool` still marked running. Call it while holding the tool's lock:
/// a run marked running whose lock is free belongs to a dead process.
pub fn recover(
    tool: &str,
    backend: &mut dyn Backend,
    area: &FileArea,
    settings: &Settings,
    clock: &Clock,
) -> Result<Vec<String>, TargetError> {
    let mut notes = Vec::new();
    for run in backend.running_runs(tool)? {
        let changes = backend.journal_count(run.id)?;
        let input = PathBuf::from(&run.input);
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stamp = clock.stamp(run.started_at);
        let mut message = format!(
            "run {} ({tool}, started {}, process {}) was interrupted after input line {}; the {changes} changes it applied before are kept and journalled",
            run.id,
            clock.display(run.started_at),
            run.pid,
            run.last_line
        );
        if run.dry_run {
            message.push_str(" (it was a dry run: nothing was written)");
        }
        let tryback = finish_tryback(&input, run.id, &name, &stamp);
        if let Some(t) = &tryback {
            message.push_str(&format!("; failed lines so far are in {}", area.display(t)));
        }
        if input.is_file() && settings.files.discard_on_failure && !run.dry_run {
            match area.discard(&input) {
                Ok(set_aside) => message.push_str(&format!(
                    "; its input was renamed to {} so it is not processed again: check it, then rename it back to rerun it (lines already applied will report unchanged)",
                    area.display(&set_aside)
                )),
                Err(e) => message.push_str(&format!("; its input could not be set aside: {e}")),
            }
        } else if input.is_file() {
            message.push_str("; its input stays in place and will be processed again");
        }
        let base = split_ext(&name).0;
        let (reports, counts) =
            close_report(backend, area, (run.id, run.last_line), &message, &tryback, (&stamp, &name, base))?;
        let end = RunEnd {
            counts,
            report: reports.as_ref().map(|(t, _)| t.display().to_string()),
            json_report: reports.as_ref().map(|(_, j)| j.display().to_string()),
            tryback: tryback.as_ref().map(|t| t.display().to_string()),
            message: message.clone(),
            ..Default::default()
        };
        backend.end_run(run.id, RunStatus::Interrupted, &end)?;
        tracing::warn!("{message}");
        notes.push(message);
    }
    Ok(notes)
}

/// Closes the partial reports of a crashed run, adding the lines its last chunk applied before
/// they could be reported (from the journal). Returns the report paths and the line counts.
fn close_report(
    backend: &mut dyn Backend,
    area: &FileArea,
    (run_id, committed): (i64, u64),
    message: &str,
    tryback: &Option<PathBuf>,
    (stamp, name, base): (&str, &str, &str),
) -> Result<(Option<(PathBuf, PathBuf)>, OutcomeCounts), TargetError> {
    let dir = area.reports_dir();
    let Ok(Some(mut partial)) = PartialReport::open(&dir, run_id, committed) else {
        return Ok((None, OutcomeCounts::default()));
    };
    let mut last = partial.last_line;
    let unreported = backend.journal_lines(run_id, last)?;
    let mut message = message.to_string();
    if !unreported.is_empty() {
        message.push_str(&format!(
            "; the changes of lines {}-{} were applied but the crash kept their report lines from the disk: they are listed from the journal",
            unreported[0].0,
            unreported[unreported.len() - 1].0
        ));
    }
    for (line, key, action) in unreported {
        if line == last {
            continue;
        }
        last = line;
        let outcome = match action.as_str() {
            "create" => Outcome::Created,
            "delete" => Outcome::Deleted,
            _ => Outcome::Updated,
        };
        let _ = partial.add(&LineOutcome::new(line, outcome, key, format!("{action} (from the journal)")));
    }
    let counts = partial.counts;
    let tail = ReportTail {
        status: RunStatus::Interrupted.as_str().into(),
        message,
        counts,
        tryback: tryback.as_ref().map(|t| area.display(t)),
        ..Default::default()
    };
    let paths =
        partial.close(&tail, &dir, &format!("{stamp}_report_{name}"), &format!("{stamp}_report_{base}.json")).ok();
    Ok((paths, counts))
}

/// Gives a crashed run's partial tryback its final name, if it has one.
fn finish_tryback(input: &Path, run_id: i64, name: &str, stamp: &str) -> Option<PathBuf> {
    let partial = input.with_file_name(format!(".run-{run_id}.tryback.partial"));
    if !partial.is_file() {
        return None;
    }
    let dir = input.parent()?;
    let target = FileArea::unique_path(dir, &lmsync_csv::tryback_name(name, stamp));
    std::fs::rename(&partial, &target).ok()?;
    Some(target)
}
