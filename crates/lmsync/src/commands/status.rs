//! `lmsync status`: what an operator checks first — the next run of each task, the last run of
//! each tool and how it ended, the drop folder's waiting files and locks.

use anyhow::Result;
use chrono::Utc;
use lmsync_core::RunStore;
use lmsync_core::drop::{READER_LOCK, WRITER_LOCK, candidates};
use std::time::SystemTime;

use crate::app::App;
use crate::commands::serve::schedules;

pub fn status(app: &App) -> Result<i32> {
    println!("lmsync {} — data directory {}", env!("CARGO_PKG_VERSION"), app.data.root.display());
    println!("\ntasks (schedule: next run):");
    let now = Utc::now();
    for (name, sch) in schedules(app)? {
        match app.clock.next_fire(&sch, now) {
            Some(t) => println!("  {name:<13} next run at {}", app.clock.display(t.timestamp())),
            None => println!("  {name:<13} not scheduled"),
        }
    }
    println!(
        "  (a tool also runs when the drop folder delivers its file: {})",
        if app.settings.schedule.run_on_arrival { "on" } else { "off" }
    );

    println!("\nlast run of each tool:");
    let mut store = app.store()?;
    let mut seen = Vec::new();
    for r in store.recent_runs(200)? {
        let key = format!("{} {}", r.tool, r.operation.clone().unwrap_or_default());
        if seen.contains(&key) {
            continue;
        }
        println!(
            "  {:<22} run {:>5} {} {:<11} {} [{}]",
            key.trim(),
            r.id,
            app.clock.display(r.started_at),
            r.status.as_str(),
            r.input.rsplit('/').next().unwrap_or(&r.input),
            r.counts.summary()
        );
        seen.push(key);
    }
    if seen.is_empty() {
        println!("  none yet");
    }

    let drop = app.drop_folder();
    println!("\ndrop folder {}:", drop.dir.display());
    let waiting = candidates(&drop.dir)?;
    if waiting.is_empty() {
        println!("  no file waiting");
    }
    for f in &waiting {
        println!("  waiting: {}", f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    }
    let mut stale = false;
    for (name, who) in
        [(WRITER_LOCK, "the feeder is uploading: nothing is imported"), (READER_LOCK, "an import runs, or one died")]
    {
        let path = drop.dir.join(name);
        let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) else { continue };
        let age = SystemTime::now().duration_since(modified).unwrap_or_default();
        let too_old = age >= drop.stale_after;
        stale |= too_old;
        println!(
            "  lock {name} for {} h {:02} min ({who}){}",
            age.as_secs() / 3600,
            age.as_secs() % 3600 / 60,
            if too_old { " — TOO OLD: see the alarm e-mail or docs/operations.md" } else { "" }
        );
    }
    Ok(if stale { 1 } else { 0 })
}
