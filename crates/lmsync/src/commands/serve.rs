//! `lmsync serve`: the integration service. For now it prepares the data directory, recovers
//! runs a crash interrupted, and runs the users tool on its schedule until Ctrl-C; the drop
//! folder watcher and the web console join it later.

use anyhow::Result;
use chrono::Utc;
use lmsync_core::schedule::Schedule;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::App;
use crate::app::Job;
use crate::commands::run::print_summary;

pub fn serve(app: &App) -> Result<i32> {
    let schedule = Schedule::parse("users", &app.settings.schedule.users)?;
    // Opening the store migrates it, so a broken database shows now rather than at the first run.
    drop(app.store()?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let cancel = Arc::new(AtomicBool::new(false));
    runtime.block_on(async {
        // Handlers are in place before the first line saying the service runs, so a stop
        // request sent as soon as it is up is never lost.
        let mut stop = match Stop::install() {
            Ok(stop) => stop,
            Err(e) => return tracing::error!("cannot listen for stop signals: {e}"),
        };
        println!("lmsync {} serving (Ctrl-C or SIGTERM stops it)", env!("CARGO_PKG_VERSION"));
        println!("  data directory: {}", app.data.root.display());
        println!("  settings:       {}", app.data.config().display());
        println!("  LMS store:      {}", app.data.db().display());
        println!("  file area:      {}", app.data.files().display());
        println!("  drop folder:    {}", app.data.drop_dir().display());
        loop {
            let now = Utc::now();
            let Some(next) = schedule.next_after(&now.with_timezone(&chrono::Local)) else {
                println!("  users: no schedule (schedule.users is empty)");
                stop.recv().await;
                break;
            };
            println!("  users: next run at {}", app.clock.display(next.timestamp()));
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = stop.recv() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            let job_cancel = cancel.clone();
            let mut job = tokio::task::spawn_blocking({
                let data = app.data.root.clone();
                move || scheduled_users_run(&data, job_cancel)
            });
            tokio::select! {
                _ = stop.recv() => {
                    println!("stopping: waiting for the users run to reach a safe point");
                    cancel.store(true, Ordering::Relaxed);
                    let _ = (&mut job).await;
                    break;
                }
                _ = &mut job => {}
            }
        }
    });
    println!("lmsync stopped");
    Ok(0)
}

/// A scheduled run re-reads the settings, so edits apply without a restart.
fn scheduled_users_run(data: &std::path::Path, cancel: Arc<AtomicBool>) {
    let app = match App::open(data) {
        Ok(app) => app,
        Err(e) => return tracing::error!("scheduled users run: {e:#}"),
    };
    match app.run_tool(Job::Users, None, false, false, "schedule", cancel) {
        Ok(Ok(summary)) => print_summary(&app, &summary),
        Ok(Err(lmsync_core::RunError::Area(lmsync_core::area::AreaError::NotFound(path)))) => {
            tracing::info!("scheduled users run: no command file ({path}); nothing to do")
        }
        Ok(Err(e)) => tracing::error!("scheduled users run could not run: {e}"),
        Err(e) => tracing::error!("scheduled users run: {e:#}"),
    }
}

/// SIGINT (Ctrl-C) and SIGTERM (service managers), listened to from the start.
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Stop { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
