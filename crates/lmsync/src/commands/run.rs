//! `lmsync run <tool>`: processes one command file now and prints what happened.

use anyhow::Result;
use lmsync_core::run::RunSummary;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use lmsync_core::RunError;
use lmsync_core::area::AreaError;

use crate::app::{App, Job};
use crate::cli::{CourseOp, RunArgs, ToolName};

pub fn run(app: &App, args: RunArgs) -> Result<i32> {
    let jobs: Vec<Job> = match (args.tool, args.op) {
        (ToolName::Users, _) => vec![Job::Users],
        (ToolName::Enrols, _) => vec![Job::Enrols],
        (ToolName::Userpictures, _) => vec![Job::UserPictures],
        (ToolName::Courses, CourseOp::Check) => vec![Job::CourseCheck],
        (ToolName::Courses, CourseOp::Create) => vec![Job::CourseCreate],
        (ToolName::Courses, CourseOp::Delete) => vec![Job::CourseDelete],
        (ToolName::Courses, CourseOp::Metas) => vec![Job::CourseMetas],
        (ToolName::Courses, CourseOp::Reset) => vec![Job::CourseReset],
        (ToolName::Groups, CourseOp::Groups) => vec![Job::Groups],
        (ToolName::Groups, CourseOp::Members) => vec![Job::GroupMembers],
        (ToolName::Cohorts, CourseOp::Members) => vec![Job::CohortMembers],
        (ToolName::Cohorts, CourseOp::Bindings) => vec![Job::CohortBindings],
        (ToolName::Courses | ToolName::Groups | ToolName::Cohorts, CourseOp::All) if args.file.is_some() => {
            eprintln!("error: --file names one command file: choose its operation with --op");
            return Ok(2);
        }
        (ToolName::Courses, CourseOp::All) => vec![Job::CourseDelete, Job::CourseCreate, Job::CourseMetas],
        (ToolName::Groups, CourseOp::All) => vec![Job::Groups, Job::GroupMembers],
        (ToolName::Cohorts, CourseOp::All) => vec![Job::CohortMembers, Job::CohortBindings],
        (tool, op) => {
            eprintln!(
                "error: the {tool:?} tool has no {op:?} operation; courses: check, create, delete, metas, reset, all; groups: groups, members, all; cohorts: members, bindings, all"
            );
            return Ok(2);
        }
    };
    // What the feeder dropped is moved into the file area first (DECISIONS §4).
    let import = app.import_drop();
    if !import.imported.is_empty() {
        println!("imported from the drop folder: {}", import.imported.join(", "));
    }
    if import.blocked {
        println!("note: the feeder's alock.txt is present: nothing was imported from the drop folder");
    }
    let several = jobs.len() > 1;
    let mut code = 0;
    let runs: Vec<(Job, Option<std::path::PathBuf>)> = jobs
        .into_iter()
        .map(|job| Ok(app.inputs(job, args.file.clone())?.into_iter().map(move |f| (job, f))))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    if runs.is_empty() {
        match args.tool {
            ToolName::Userpictures => println!(
                "nothing to do: no archive named {}*.zip in the file area {}",
                app.settings.userpictures.file_prefix,
                app.area().root().display()
            ),
            _ => println!("nothing to do: no file to process"),
        }
    }
    for (job, file) in runs {
        let bar = ProgressBar::start(app);
        let ran = app.run_tool(job, file, args.dry_run, args.confirm_deletes, "cli", Arc::new(AtomicBool::new(false)));
        drop(bar);
        match ran? {
            Ok(summary) => {
                print_summary(app, &summary);
                code = code.max(summary.exit_code());
            }
            // Running every operation, a missing file only means that operation has nothing to do.
            Err(RunError::Area(AreaError::NotFound(path))) if several => {
                println!("nothing to do for {job:?}: {path} does not exist")
            }
            Err(e) => {
                eprintln!("error: {e}");
                code = 2;
            }
        }
    }
    Ok(code)
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

/// On a terminal, a progress bar of the run this process is doing, drawn on standard error
/// from the run's recorded progress (the figures the API and the console show).
struct ProgressBar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    fn start(app: &App) -> ProgressBar {
        use std::io::IsTerminal;
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return ProgressBar { stop, thread: None };
        }
        let (root, flag) = (app.data.root.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            use lmsync_core::RunStore;
            use std::sync::atomic::Ordering;
            let Ok(app) = App::open(&root) else { return };
            let Ok(mut store) = app.store() else { return };
            let bar = indicatif::ProgressBar::hidden();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} lines, {per_sec}, {eta} left",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            let mut counted = None;
            while !flag.load(Ordering::Relaxed) {
                let mine = store.recent_runs(5).ok().and_then(|runs| {
                    runs.into_iter()
                        .find(|r| r.pid == std::process::id() && r.status == lmsync_core::target::RunStatus::Running)
                });
                if let Some(r) = mine {
                    // The input's lines are counted once per run.
                    if counted != Some(r.id) {
                        let p = crate::web::progress(&r, crate::web::count_lines(std::path::Path::new(&r.input)));
                        bar.set_message(format!("run {} ({})", r.id, r.tool));
                        bar.set_length(p["lines_total"].as_u64().unwrap_or(0));
                        counted = Some(r.id);
                    }
                    bar.set_position(r.last_line);
                }
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            bar.finish_and_clear();
        });
        ProgressBar { stop, thread: Some(thread) }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
