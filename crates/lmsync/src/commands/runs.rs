//! `lmsync runs [ID]`: the run history, so an operator can tell what each run did (and what a
//! crash interrupted).

use anyhow::{Result, bail};
use lmsync_core::RunStore;

use crate::app::App;
use crate::cli::RunsArgs;

pub fn runs(app: &App, args: RunsArgs) -> Result<i32> {
    let mut store = app.store()?;
    if let Some(id) = args.id {
        let Some(r) = store.run(id)? else { bail!("no run {id}") };
        println!("run {}: {} {}", r.id, r.tool, r.status.as_str());
        println!("  input: {}{}", r.input, if r.dry_run { " (dry run)" } else { "" });
        println!("  trigger: {}, process {}", r.trigger, r.pid);
        println!("  started: {}", app.clock.display(r.started_at));
        if let Some(f) = r.finished_at {
            println!("  finished: {}", app.clock.display(f));
        }
        println!("  last line handled: {}", r.last_line);
        println!("  {}", r.counts.summary());
        println!("  journalled changes: {}", store.journal_count(r.id)?);
        for (label, value) in [("report", &r.report), ("tryback", &r.tryback), ("archive", &r.archive)] {
            if let Some(v) = value {
                println!("  {label}: {v}");
            }
        }
        if !r.message.is_empty() {
            println!("  {}", r.message);
        }
        return Ok(0);
    }
    for r in store.recent_runs(args.limit)? {
        println!(
            "{:>6}  {}  {:<10} {:<11} {}{}  [{}]",
            r.id,
            app.clock.display(r.started_at),
            r.tool,
            r.status.as_str(),
            r.input.rsplit('/').next().unwrap_or(&r.input),
            if r.dry_run { " (dry run)" } else { "" },
            r.counts.summary()
        );
    }
    Ok(0)
}
