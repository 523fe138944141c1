//! The end of a run, in the order that keeps input files safe: report, then tryback, then
//! archive or cleanup, then the run record.

use std::fs;
use std::path::Path;

use lmsync_csv::tryback_name;

use super::{ChunkError, Ending, Run, RunError, RunSummary};
use crate::area::{FileArea, split_ext};
use crate::report::ReportTail;
use crate::target::{RunEnd, RunStatus};

/// Names of a run's output files, computed before the report is written so it can list them.
fn report_names(input_name: &str, stamp: &str) -> (String, String) {
    let base = split_ext(input_name).0;
    (format!("{stamp}_report_{input_name}"), format!("{stamp}_report_{base}.json"))
}

impl Run<'_, '_> {
    pub(super) fn finish(
        self,
        ending: Result<Ending, ChunkError>,
        mut notes: Vec<String>,
    ) -> Result<RunSummary, RunError> {
        let Run { engine, mut req, ctx, input, identity, mut report, counts } = self;
        let settings = engine.settings;
        let files = &settings.files;
        let ending = match ending {
            Ok(e) => e,
            Err(ChunkError::Target(e)) => Ending::Aborted(format!("{e}; the input is kept for the next run"), None),
            Err(ChunkError::Io(e)) => return Err(e.into()),
        };
        let (status, message, tryback) = match ending {
            Ending::Done(t) => {
                (if counts.failed > 0 { RunStatus::Failed } else { RunStatus::Succeeded }, String::new(), t)
            }
            Ending::Aborted(m, t) => (RunStatus::Aborted, m, t),
            Ending::Cancelled(t) => (
                RunStatus::Cancelled,
                "the run was stopped on request; the input is kept and the next run goes on with it".to_string(),
                t,
            ),
        };
        let finished = engine.clock.now();
        let finished_ended = matches!(status, RunStatus::Succeeded | RunStatus::Failed);
        let tryback_final = tryback
            .as_ref()
            .filter(|t| t.writer.is_some() || t.items.as_ref().is_some_and(|i| !i.is_empty()))
            .map(|_| input.with_file_name(tryback_name(&ctx.input_name, &ctx.stamp)));
        let tryback_final = tryback_final.map(|p| {
            FileArea::unique_path(
                p.parent().unwrap_or(Path::new(".")),
                &p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            )
        });
        // The input leaves the area only after a real, finished run of a tool that consumes it,
        // and only if it is still the file the run read.
        let replaced = identity.is_some() && super::FileIdentity::of(&input) != identity;
        if replaced && finished_ended && !req.dry_run {
            let n = format!(
                "{} was replaced by a newer file while this run read it: the newer file is left in place for the next run",
                ctx.input_name
            );
            report.note(n.clone())?;
            notes.push(n);
        }
        let consumes = finished_ended && !req.dry_run && !req.tool.keeps_input() && !replaced;
        let archive_planned = consumes && files.archives && !files.cleanup && !req.tool.deletes_input();
        let archive_name = archive_planned
            .then(|| FileArea::unique_path(&engine.area.archives_dir(), &format!("{}_{}", ctx.stamp, ctx.input_name)));
        let (text_name, json_name) = report_names(&ctx.input_name, &ctx.stamp);
        for n in req.tool.finish(&ctx) {
            report.note(n.clone())?;
            notes.push(n);
        }
        let tail = ReportTail {
            status: status.as_str().into(),
            finished_at: engine.clock.display(finished),
            counts,
            tryback: tryback_final.as_ref().map(|p| engine.area.display(p)),
            archive: archive_name.as_ref().map(|p| engine.area.display(p)),
            message: message.clone(),
        };
        let reports_dir = engine.area.reports_dir();
        let kept = report
            .finish(&tail, files.reports.then_some((reports_dir.as_path(), text_name.as_str(), json_name.as_str())))?;
        // Report first, then tryback, then archive: the input goes only once both are safe.
        if let (Some(t), Some(final_path)) = (tryback, &tryback_final) {
            if let Some(w) = t.writer {
                w.finish()?;
                fs::rename(&t.partial, final_path)?;
            } else if let Some(items) = &t.items {
                crate::archive::copy_items(&input, items, &t.partial)?;
                fs::rename(&t.partial, final_path)?;
            }
        }
        let mut archive = None;
        if consumes {
            if files.cleanup || req.tool.deletes_input() {
                fs::remove_file(&input)?;
            } else if let Some(target) = archive_name {
                fs::rename(&input, &target)?;
                crate::area::sync_dir(&engine.area.archives_dir());
                archive = Some(target);
            }
        }
        let (report_path, json_path) = kept.map_or((None, None), |(t, j)| (Some(t), Some(j)));
        let end = RunEnd {
            counts,
            report: report_path.as_ref().map(|p| p.display().to_string()),
            json_report: json_path.as_ref().map(|p| p.display().to_string()),
            tryback: tryback_final.as_ref().map(|p| p.display().to_string()),
            archive: archive.as_ref().map(|p| p.display().to_string()),
            message: message.clone(),
        };
        engine.backend.end_run(ctx.run_id, status, &end)?;
        Ok(RunSummary {
            run_id: ctx.run_id,
            dry_run: req.dry_run,
            status,
            counts,
            input,
            report: report_path,
            json_report: json_path,
            tryback: tryback_final,
            archive,
            message,
            notes,
        })
    }
}
