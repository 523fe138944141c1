//! `lmsync serve`: the integration service. It imports the drop folder as files arrive
//! (file-system events, plus a rescan every `drop.scan_seconds`), runs a tool as soon as its
//! file arrives (`schedule.run_on_arrival`), and runs each task on its schedule; tasks due
//! together run in dependency order (DECISIONS §6), one at a time, until Ctrl-C or SIGTERM.

use anyhow::Result;
use chrono::{DateTime, Utc};
use lmsync_core::area::OutputKinds;
use lmsync_core::clock::Clock;
use lmsync_core::schedule::Schedule;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::app::App;
use crate::app::Job;
use crate::commands::run::print_summary;

/// Scheduled tasks in dependency order, with the jobs each runs; `cleanup` runs none (it
/// removes old outputs of the file area).
pub const TASKS: &[(&str, &[Job])] = &[
    ("users", &[Job::Users]),
    ("courses", &[Job::CourseDelete, Job::CourseCreate, Job::CourseMetas]),
    ("cohorts", &[Job::CohortMembers, Job::CohortBindings]),
    ("enrols", &[Job::Enrols]),
    ("groups", &[Job::Groups, Job::GroupMembers]),
    ("userpictures", &[Job::UserPictures]),
    ("cleanup", &[]),
];

pub fn schedules(app: &App) -> Result<Vec<(&'static str, Schedule)>> {
    let s = &app.settings.schedule;
    TASKS
        .iter()
        .map(|(name, _)| {
            let expr = match *name {
                "users" => &s.users,
                "courses" => &s.courses,
                "enrols" => &s.enrols,
                "cohorts" => &s.cohorts,
                "userpictures" => &s.userpictures,
                "cleanup" => &s.cleanup,
                _ => &s.groups,
            };
            Ok((*name, Schedule::parse(name, expr)?))
        })
        .collect()
}

/// What to do now: the tasks whose time came in `(since, now]`, then the jobs `arrived` files
/// start, all in dependency order, each once.
pub fn due(
    schedules: &[(&'static str, Schedule)],
    clock: &Clock,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    arrived: &[Job],
) -> (Vec<Job>, bool) {
    let is_due = |name: &str| {
        schedules
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, sch)| clock.next_fire(sch, since))
            .is_some_and(|t| t <= now)
    };
    let mut jobs = Vec::new();
    for (name, task_jobs) in TASKS {
        let task_due = is_due(name);
        for job in *task_jobs {
            if (task_due || arrived.contains(job)) && !jobs.contains(job) {
                jobs.push(*job);
            }
        }
    }
    (jobs, is_due("cleanup"))
}

pub fn serve(app: &App) -> Result<i32> {
    let mut schedules = schedules(app)?;
    // Opening the store migrates it, so a broken database shows now rather than at the first run;
    // runs a crash or kill interrupted are recovered before anything else.
    for note in app.recover_crashed()? {
        println!("recovered: {note}");
    }
    // The first start creates the first console administrator, its password shown this once.
    let mut store = app.store()?;
    if store.account_count()? == 0 {
        let password = lmsync_core::access::new_password();
        store.set_account("admin", &password, lmsync_core::access::Role::Admin)?;
        println!("first start: console account \"admin\" created, password (shown once): {password}");
        println!("  change it with: lmsync accounts set admin --role admin");
    }
    drop(store);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let drop_dir = app.drop_folder().dir;
    std::fs::create_dir_all(&drop_dir)?;
    runtime.block_on(async {
        // Handlers are in place before the first line saying the service runs, so a stop
        // request sent as soon as it is up is never lost.
        let mut stop = match Stop::install() {
            Ok(stop) => stop,
            Err(e) => return tracing::error!("cannot listen for stop signals: {e}"),
        };
        let api = api(app).await;
        let (events, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<()>();
        let _watcher = watch(&drop_dir, events);
        println!("lmsync {} serving (Ctrl-C or SIGTERM stops it)", env!("CARGO_PKG_VERSION"));
        println!("  data directory: {}", app.data.root.display());
        println!("  settings:       {}", app.data.config().display());
        println!("  LMS store:      {}", app.data.db().display());
        println!("  file area:      {}", app.data.files().display());
        println!("  drop folder:    {}", drop_dir.display());
        if let Some(addr) = api {
            println!("  API:            http://{addr}/api/v1 (tokens: lmsync tokens create)");
        }
        let scan = Duration::from_secs(app.settings.drop.scan_seconds.max(1));
        let mut since = Utc::now();
        let mut announced = false;
        loop {
            // Schedules are read again at every pass, like every other setting.
            match App::open(&app.data.root).and_then(|a| self::schedules(&a)) {
                Ok(fresh) => {
                    announced &= fresh == schedules;
                    schedules = fresh;
                }
                Err(e) => tracing::error!("keeping the current schedules: {e:#}"),
            }
            let now = Utc::now();
            let fires: Vec<_> = schedules
                .iter()
                .filter_map(|(name, sch)| app.clock.next_fire(sch, since).map(|t| (t, *name)))
                .collect();
            if !announced {
                if fires.is_empty() {
                    println!("  no task is scheduled (every [schedule] entry is empty)");
                }
                for (t, name) in &fires {
                    println!("  {name}: next run at {}", app.clock.display(t.timestamp()));
                }
                announced = true;
            }
            let next = fires.iter().map(|(t, _)| *t).min();
            let wait = next.map_or(scan, |n| (n - now).to_std().unwrap_or_default().min(scan));
            tokio::select! {
                _ = stop.recv() => break,
                _ = tokio::time::sleep(wait) => {}
                _ = arrivals.recv() => {
                    // Let a burst of events (a file written in pieces) settle into one pass.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    while arrivals.try_recv().is_ok() {}
                }
            }
            let now = Utc::now();
            let job_cancel = cancel.clone();
            let data = app.data.root.clone();
            let schedules = schedules.clone();
            let clock = app.clock.clone();
            let mut job = tokio::task::spawn_blocking(move || pass(&data, &schedules, &clock, since, now, job_cancel));
            tokio::select! {
                _ = stop.recv() => {
                    println!("stopping: waiting for the running job to reach a safe point");
                    cancel.store(true, Ordering::Relaxed);
                    let _ = (&mut job).await;
                    break;
                }
                _ = &mut job => {}
            }
            if next.is_some_and(|n| n <= now) {
                announced = false;
            }
            since = now;
        }
    });
    println!("lmsync stopped");
    Ok(0)
}

/// Starts the API on `web.listen`; a problem (address in use) is logged, never fatal: the
/// service goes on without it.
async fn api(app: &App) -> Option<std::net::SocketAddr> {
    let listen = app.settings.web.listen.trim();
    if listen.is_empty() {
        return None;
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("the API cannot listen on {listen}: {e}; the service runs without it (web.listen)");
            return None;
        }
    };
    let addr = listener.local_addr().ok()?;
    let service = Arc::new(crate::web::WebService::new(app.data.root.clone()));
    let router = lmsync_web::router(service, app.settings.web.max_upload_bytes as usize);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("the API stopped: {e}");
        }
    });
    Some(addr)
}

/// One pass of the service: import the drop folder, then run what is due or arrived.
fn pass(
    data: &std::path::Path,
    schedules: &[(&'static str, Schedule)],
    clock: &Clock,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    cancel: Arc<AtomicBool>,
) {
    let app = match App::open(data) {
        Ok(app) => app,
        Err(e) => return tracing::error!("cannot read the settings: {e:#}"),
    };
    let import = app.import_drop();
    let arrived: Vec<Job> = if app.settings.schedule.run_on_arrival {
        import.imported.iter().flat_map(|name| app.jobs_for_arrival(name)).collect()
    } else {
        Vec::new()
    };
    let (jobs, cleanup) = due(schedules, clock, since, now, &arrived);
    for j in jobs {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        scheduled_run(&app, j, if arrived.contains(&j) { "arrival" } else { "schedule" }, cancel.clone());
    }
    if cleanup && !cancel.load(Ordering::Relaxed) {
        clean_area(&app);
    }
}

/// The cleanup task: archives, reports and trybacks older than `files.cleanup_days`.
fn clean_area(app: &App) {
    let days = app.settings.files.cleanup_days;
    if days == 0 {
        return;
    }
    let before = std::time::SystemTime::now() - Duration::from_secs(u64::from(days) * 86400);
    match crate::commands::files::cleanup(app, OutputKinds::ALL, before, false) {
        Ok(n) => tracing::info!("file area cleanup: {n} files older than {days} days removed"),
        Err(e) => tracing::error!("file area cleanup: {e:#}"),
    }
}

/// Watches the drop folder; each event nudges the loop (a missed one costs one rescan period).
fn watch(dir: &std::path::Path, events: tokio::sync::mpsc::UnboundedSender<()>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = match notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = events.send(());
    }) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("cannot watch {}: {e}; the drop folder is only rescanned periodically", dir.display());
            return None;
        }
    };
    if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
        tracing::warn!("cannot watch {}: {e}; the drop folder is only rescanned periodically", dir.display());
        return None;
    }
    Some(watcher)
}

/// One job of a pass (settings re-read at every pass, so edits apply without a restart).
fn scheduled_run(app: &App, job: Job, trigger: &str, cancel: Arc<AtomicBool>) {
    let inputs = match app.inputs(job, None) {
        Ok(inputs) => inputs,
        Err(e) => return tracing::error!("scheduled {job:?} run: {e:#}"),
    };
    for input in inputs {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        match app.run_tool(job, input, false, false, trigger, cancel.clone()) {
            Ok(Ok(summary)) => print_summary(app, &summary),
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
        assert_eq!(names, ["users", "courses", "cohorts", "enrols", "groups", "userpictures", "cleanup"]);
        let cohorts = TASKS.iter().find(|(n, _)| *n == "cohorts").unwrap().1;
        assert_eq!(cohorts, [Job::CohortMembers, Job::CohortBindings]);
        assert_eq!(lmsync_core::Settings::default().schedule.cohorts, "15 */12 * * *");
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn default_schedules() -> Vec<(&'static str, Schedule)> {
        let s = lmsync_core::Settings::default().schedule;
        let expr = |n: &str| match n {
            "users" => s.users.clone(),
            "courses" => s.courses.clone(),
            "cohorts" => s.cohorts.clone(),
            "enrols" => s.enrols.clone(),
            "groups" => s.groups.clone(),
            "userpictures" => s.userpictures.clone(),
            _ => s.cleanup.clone(),
        };
        TASKS.iter().map(|(n, _)| (*n, Schedule::parse(n, &expr(n)).unwrap())).collect()
    }

    #[test]
    fn tasks_due_at_fixed_times_run_in_dependency_order() {
        let clock = Clock::new("UTC").unwrap();
        let sch = default_schedules();
        // 12:00 users, courses, pictures; 12:15 cohorts; 12:30 enrols; 12:45 groups.
        let (jobs, cleanup) = due(&sch, &clock, at("2026-11-23T11:59:00Z"), at("2026-11-23T12:50:00Z"), &[]);
        assert_eq!(
            jobs,
            [
                Job::Users,
                Job::CourseDelete,
                Job::CourseCreate,
                Job::CourseMetas,
                Job::CohortMembers,
                Job::CohortBindings,
                Job::Enrols,
                Job::Groups,
                Job::GroupMembers,
                Job::UserPictures
            ]
        );
        assert!(!cleanup);
        let (jobs, _) = due(&sch, &clock, at("2026-11-23T12:00:00Z"), at("2026-11-23T12:20:00Z"), &[]);
        assert_eq!(jobs, [Job::CohortMembers, Job::CohortBindings], "12:00 was handled by the previous pass");
        let (jobs, cleanup) = due(&sch, &clock, at("2026-11-23T00:59:59Z"), at("2026-11-23T01:00:00Z"), &[]);
        assert!(jobs.is_empty() && cleanup);
    }

    #[test]
    fn arrivals_join_due_tasks_in_dependency_order_once_each() {
        let clock = Clock::new("UTC").unwrap();
        let sch = default_schedules();
        let arrived = [Job::Enrols, Job::Users, Job::Enrols];
        let (jobs, _) = due(&sch, &clock, at("2026-11-23T12:40:00Z"), at("2026-11-23T12:46:00Z"), &arrived);
        assert_eq!(jobs, [Job::Users, Job::Enrols, Job::Groups, Job::GroupMembers]);
    }
}
