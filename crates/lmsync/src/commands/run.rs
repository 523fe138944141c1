//! `lmsync run <tool>`: processes one command file now and prints what happened.

use anyhow::Result;
use lmsync_core::run::RunSummary;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::app::App;
use crate::cli::RunArgs;

pub fn run(app: &App, args: RunArgs) -> Result<i32> {
    let result = app.run_tool(
        args.tool,
        args.file,
        args.dry_run,
        args.confirm_deletes,
        "cli",
        Arc::new(AtomicBool::new(false)),
    )?;
    match result {
        Ok(summary) => {
            print_summary(app, &summary);
            Ok(summary.exit_code())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(2)
        }
    }
}

pub fn print_summary(app: &App, s: &RunSummary) {
    let area = app.area();
    for note in &s.notes {
        println!("note: {note}");
    }
    let dry = if s.dry_run { " (dry run: nothing was written)" } else { "" };
    println!("run {} ({}): {}{dry}", s.run_id, area.display(&s.input), s.status.as_str());
    println!("  {}", s.counts.summary());
    if !s.message.is_empty() {
        println!("  {}", s.message);
    }
    if let Some(r) = &s.report {
        println!("  report: {}", r.display());
    }
    if let Some(t) = &s.tryback {
        println!("  tryback: {} ({} failed lines)", t.display(), s.counts.failed);
    }
    if let Some(a) = &s.archive {
        println!("  archived as: {}", a.display());
    }
}
