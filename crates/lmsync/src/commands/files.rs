//! `lmsync files cleanup|import`: remove old outputs of the file area; import the drop folder.

use anyhow::{Result, bail};
use lmsync_core::area::OutputKinds;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::app::App;
use crate::cli::FilesCommand;

pub fn command(app: &App, cmd: FilesCommand) -> Result<i32> {
    match cmd {
        FilesCommand::Cleanup { archives, reports, trybacks, before, dry_run } => {
            let kinds = if archives || reports || trybacks {
                OutputKinds { archives, reports, trybacks }
            } else {
                OutputKinds::ALL
            };
            let before = match before {
                Some(d) => match app.clock.parse_date(&d) {
                    Some(t) => UNIX_EPOCH + Duration::from_secs(t.max(0) as u64),
                    None => bail!("--before {d:?} is not a date; use 2026-09-01 or 2026-09-01 08:00"),
                },
                None if app.settings.files.cleanup_days == 0 => {
                    bail!("files.cleanup_days is 0 (cleanup off): give --before")
                }
                None => SystemTime::now() - Duration::from_secs(u64::from(app.settings.files.cleanup_days) * 86400),
            };
            let n = cleanup(app, kinds, before, dry_run)?;
            println!("{n} files {}", if dry_run { "would be deleted (dry run)" } else { "deleted" });
            Ok(0)
        }
        FilesCommand::Import => {
            let import = app.import_drop();
            for name in &import.imported {
                println!("imported {name}");
            }
            for name in &import.waiting {
                println!("waiting {name} (still being written)");
            }
            if import.blocked {
                println!("nothing imported: the feeder's alock.txt is present");
            }
            for e in &import.errors {
                println!("not imported: {e}");
            }
            Ok(if import.errors.is_empty() { 0 } else { 1 })
        }
    }
}

/// Deletes (or lists, in a dry run) the outputs older than `before`; returns how many.
pub fn cleanup(app: &App, kinds: OutputKinds, before: SystemTime, dry_run: bool) -> Result<usize> {
    let area = app.area();
    let old = area.old_outputs(kinds, before)?;
    for path in &old {
        if dry_run {
            println!("would delete {}", area.display(path));
        } else {
            std::fs::remove_file(path)?;
            tracing::info!("deleted {}", area.display(path));
        }
    }
    Ok(old.len())
}
