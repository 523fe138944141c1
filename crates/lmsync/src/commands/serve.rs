//! `lmsync serve`: the integration service. It prepares the data directory and runs each
//! tool on its schedule (DECISIONS §6: tools due together run in dependency order) until
//! Ctrl-C or SIGTERM; the drop folder watcher and the web console join it later.

use anyhow::Result;
use chrono::Utc;
use lmsync_core::schedule::Schedule;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::App;
use crate::app::Job;
use crate::commands::run::print_summary;

/// Scheduled tasks in dependency order, with the jobs each runs.
const TASKS: &[(&str, &[Job])] = &[
    ("users", &[Job::Users]),
    ("courses", &[Job::CourseDelete, Job::CourseCreate, Job::CourseMetas]),
    ("cohorts", &[Job::CohortMembers, Job::CohortBindings]),
    ("enrols", &[Job::Enrols]),
    ("groups", &[Job::Groups, Job::GroupMembers]),
    ("userpictures", &[Job::UserPictures]),
];

fn schedules(app: &App) -> Result<Vec<(&'static str, &'static [Job], Schedule)>> {
    let s = &app.settings.schedule;
    TASKS
        .iter()
        .map(|(name, jobs)| {
            let expr = match *name {
                "users" => &s.users,
                "courses" => &s.courses,
                "enrols" => &s.enrols,
                "cohorts" => &s.cohorts,
                "userpictures" => &s.userpictures,
                _ => &s.groups,
            };
            Ok((*name, *jobs, Schedule::parse(name, expr)?))
        })
        .collect()
}

pub fn serve(app: &App) -> Result<i32> {
    let schedules = schedules(app)?;
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
            let fires: Vec<_> = schedules
                .iter()
                .filter_map(|(name, jobs, sch)| app.clock.next_fire(sch, now).map(|t| (t, *name, *jobs)))
                .collect();
            let Some(next) = fires.iter().map(|(t, _, _)| *t).min() else {
                println!("  no task is scheduled (every [schedule] entry is empty)");
                stop.recv().await;
                break;
            };
            for (t, name, _) in &fires {
                println!("  {name}: next run at {}", app.clock.display(t.timestamp()));
            }
            let due: Vec<Job> =
                fires.iter().filter(|(t, _, _)| *t == next).flat_map(|(_, _, jobs)| jobs.iter().copied()).collect();
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = stop.recv() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            let job_cancel = cancel.clone();
            let mut job = tokio::task::spawn_blocking({
                let data = app.data.root.clone();
                move || {
                    for j in due {
                        if job_cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        scheduled_run(&data, j, job_cancel.clone());
                    }
                }
            });
            tokio::select! {
                _ = stop.recv() => {
                    println!("stopping: waiting for the running job to reach a safe point");
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
fn scheduled_run(data: &std::path::Path, job: Job, cancel: Arc<AtomicBool>) {
    let app = match App::open(data) {
        Ok(app) => app,
        Err(e) => return tracing::error!("scheduled {job:?} run: {e:#}"),
    };
    let inputs = match app.inputs(job, None) {
        Ok(inputs) => inputs,
        Err(e) => return tracing::error!("scheduled {job:?} run: {e:#}"),
    };
    for input in inputs {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        match app.run_tool(job, input, false, false, "schedule", cancel.clone()) {
            Ok(Ok(summary)) => print_summary(&app, &summary),
            Ok(Err(lmsync_core::RunError::Area(lmsync_core::area::AreaError::NotFound(path)))) => {
                tracing::info!("scheduled {job:?} run: no command file ({path}); nothing to do")
            }
            Ok(Err(e)) => tracing::error!("scheduled {job:?} run could not run: {e}"),
            Err(e) => tracing::error!("scheduled {job:?} run: {e:#}"),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_run_in_dependency_order_and_the_cohort_task_runs_members_then_bindings() {
        let names: Vec<&str> = TASKS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["users", "courses", "cohorts", "enrols", "groups", "userpictures"]);
        let cohorts = TASKS.iter().find(|(n, _)| *n == "cohorts").unwrap().1;
        assert_eq!(cohorts, [Job::CohortMembers, Job::CohortBindings]);
        assert_eq!(lmsync_core::Settings::default().schedule.cohorts, "15 */12 * * *");
    }
}
