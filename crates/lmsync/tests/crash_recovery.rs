//! A run killed mid-file (SIGKILL) must lose nothing (DECISIONS §3, discard-on-failure): the
//! next run of the tool marks it interrupted, closes its reports, sets its input aside as
//! `<name>-tryback-failed.<ext>` and says so; re-running the file completes the work, with the
//! lines applied before the crash reported unchanged.

mod common;

use common::*;
use rusqlite::OptionalExtension;
use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

const HEADER: &str = "username;firstname;lastname;email;password\n";
/// Physical line of the one invalid line of `big_file`.
const BROKEN_LINE: u64 = 5;
const BROKEN: &str = "broken;B;B;not-an-email;x\n";

/// `accounts` valid lines plus one invalid line (line 5). Every fifth account has a password
/// (bcrypt, cost 4), so each 2000-line chunk takes a noticeable moment.
fn big_file(accounts: usize) -> String {
    let mut s = String::from(HEADER);
    for i in 0..accounts {
        if i == 3 {
            s.push_str(BROKEN);
        }
        let password = if i % 5 == 0 { format!("Pw-{i}x") } else { "*NOPASS*".to_string() };
        s.push_str(&format!("user{i:05};First{i};Last{i};user{i}@example.org;{password}\n"));
    }
    s
}

struct Crashed {
    lms: Lms,
    input: String,
    /// `sync_runs.last_line` of the killed run: everything up to it was committed.
    last_line: u64,
}

/// When to kill the run.
#[derive(Clone, Copy, PartialEq)]
enum KillAt {
    /// Once `sync_runs.last_line` shows a committed chunk and its report has reached the disk.
    FirstCommit,
    /// As soon as the run's partial report exists, before anything is committed.
    ReportOpened,
}

/// Starts `lmsync run users --file crash.csv` on `big_file(accounts)` and SIGKILLs it at `at`.
fn crash_mid_run(accounts: usize, at: KillAt) -> Crashed {
    crash_in(Lms::new(), accounts, at)
}

fn crash_in(lms: Lms, accounts: usize, at: KillAt) -> Crashed {
    let input = big_file(accounts);
    let path = lms.write("crash.csv", &input);
    let mut child = lms
        .command()
        .args(["run", "users", "--file", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start lmsync");
    let partial_report = lms.reports().join(".run-1.partial.json");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut db: Option<rusqlite::Connection> = None;
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(Instant::now() < deadline, "the run never got to the kill point");
        if at == KillAt::ReportOpened {
            if partial_report.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        if db.is_none() && lms.data.join("lms.db").is_file() {
            db = rusqlite::Connection::open_with_flags(
                lms.data.join("lms.db"),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .ok();
            if let Some(c) = &db {
                c.busy_timeout(Duration::from_secs(10)).unwrap();
            }
        }
        let progress: Option<i64> = db.as_ref().and_then(|c| {
            c.query_row("SELECT last_line FROM sync_runs WHERE status = 'running'", [], |r| r.get(0))
                .optional()
                .ok()
                .flatten()
        });
        // The report is written right after the commit; a kill before its first bytes reach
        // the disk is the case of `a_report_killed_before_its_first_flush_is_still_valid_json`.
        let reported = fs::metadata(&partial_report).is_ok_and(|m| m.len() > 0);
        if progress.is_some_and(|p| p > 0) && reported {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(db);
    // Read again: a further chunk may have committed between the poll and the kill.
    let (status, last_line): (String, i64) = lms
        .db()
        .query_row("SELECT status, last_line FROM sync_runs WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(status, "running", "the killed run is still marked running");
    let last_line = last_line as u64;
    if at == KillAt::FirstCommit {
        assert!(last_line > BROKEN_LINE && last_line < accounts as u64, "killed mid-run: {last_line}");
    }
    Crashed { lms, input, last_line }
}

/// Any run of the users tool after the crash; this one changes nothing (admin unchanged).
fn next_run(lms: &Lms) -> Ran {
    let r = lms.run_bytes("small.csv", "username;firstname;lastname\nadmin;Admin;User\n", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.count("unchanged"), 1);
    r
}

#[test]
fn a_killed_run_is_recovered_and_its_file_can_be_finished() {
    const ACCOUNTS: usize = 30_000;
    let Crashed { lms, input, last_line } = crash_mid_run(ACCOUNTS, KillAt::FirstCommit);
    let applied = last_line - 2; // data lines 2..=last_line, minus the broken one
    assert_eq!(fs::read_to_string(lms.files().join("crash.csv")).unwrap(), input, "input untouched by the crash");
    assert_eq!(lms.export().len() as u64, 2 + applied, "committed chunks are kept");

    let ran = next_run(&lms);
    let note = ran
        .notes()
        .into_iter()
        .find(|n| n.contains("interrupted"))
        .unwrap_or_else(|| panic!("no note about the interrupted run: {ran:?}"));
    assert!(note.contains("run 1"), "{note}");
    assert!(note.contains(&format!("line {last_line}")), "{note}");
    assert!(note.contains("crash-tryback-failed.csv"), "{note}");

    let files = list_files(&lms.files());
    assert!(!files.contains(&"crash.csv".to_string()), "{files:?}");
    assert!(files.iter().all(|f| !f.starts_with('.')), "no partial file left: {files:?}");
    assert_eq!(fs::read_to_string(lms.files().join("crash-tryback-failed.csv")).unwrap(), input, "set aside whole");
    assert!(list(&lms.reports()).iter().all(|f| !f.starts_with('.')), "{:?}", list(&lms.reports()));

    let shown = lms.exec(&["runs", "1"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.contains("run 1: users interrupted"), "{shown:?}");
    assert!(shown.stdout.contains(&format!("last line handled: {last_line}")), "{shown:?}");
    assert!(shown.stdout.contains(&format!("journalled changes: {applied}")), "{shown:?}");
    assert!(lms.exec(&["runs"]).stdout.contains("interrupted"));

    // The crashed run's partial reports became a normal, valid report.
    let report = lms.json_report(1);
    assert_eq!(report["status"], "interrupted");
    assert_eq!(report["input"], "crash.csv");
    assert!(report["message"].as_str().unwrap().contains("crash-tryback-failed.csv"));
    assert!(lines(&report).iter().all(|l| l["line"].as_u64().unwrap() <= last_line), "only committed lines");
    let text_report = list(&lms.reports())
        .into_iter()
        .find(|n| n.contains("_report_crash") && !n.ends_with(".json"))
        .expect("text report of the crashed run");
    let text = fs::read_to_string(lms.reports().join(text_report)).unwrap();
    assert!(text.contains("status: interrupted") && text.ends_with("end of report\n"), "{}", &text[text.len() - 400..]);

    // Put the file back and run it: the work is completed, nothing is done twice.
    fs::rename(lms.files().join("crash-tryback-failed.csv"), lms.files().join("crash.csv")).unwrap();
    let rerun = lms.run_users(&lms.files().join("crash.csv"), &[]);
    assert_eq!(rerun.code, 1, "{rerun:?}");
    assert_eq!(rerun.count("unchanged"), applied, "{rerun:?}");
    assert_eq!(rerun.count("created"), ACCOUNTS as u64 - applied, "{rerun:?}");
    assert_eq!(rerun.count("failed"), 1);
    let report = lms.json_report(rerun.run_id());
    for l in lines(&report) {
        let n = l["line"].as_u64().unwrap();
        let want = if n == BROKEN_LINE {
            "failed"
        } else if n <= last_line {
            "unchanged"
        } else {
            "created"
        };
        assert_eq!(l["outcome"], want, "{l}");
    }
    assert_eq!(fs::read_to_string(rerun.tryback().unwrap()).unwrap(), format!("{HEADER}{BROKEN}"));
    let export = lms.export();
    assert_eq!(export.len(), ACCOUNTS + 2);
    let last = export.last().unwrap();
    assert_eq!(last["username"], format!("user{:05}", ACCOUNTS - 1));
    assert!(!export.iter().any(|u| u["username"] == "broken"));
    let hash: String =
        lms.db().query_row("SELECT password FROM user WHERE username = 'user00005'", [], |r| r.get(0)).unwrap();
    assert!(bcrypt::verify("Pw-5x", &hash).unwrap(), "password applied before the crash still valid");
}

#[test]

fn failed_lines_before_a_crash_are_in_the_recovered_tryback() {
    let Crashed { lms, .. } = crash_mid_run(8_000, KillAt::FirstCommit);
    let ran = next_run(&lms);
    let tryback = list_files(&lms.files())
        .into_iter()
        .find(|n| n.starts_with("crash_tryback_"))
        .unwrap_or_else(|| panic!("no recovered tryback: {:?} {ran:?}", list(&lms.files())));
    assert_eq!(fs::read_to_string(lms.files().join(tryback)).unwrap(), format!("{HEADER}{BROKEN}"));
}

#[test]

fn the_recovered_report_counts_its_lines_and_keeps_its_notes() {
    let Crashed { lms, .. } = crash_mid_run(8_000, KillAt::FirstCommit);
    next_run(&lms);
    let report = lms.json_report(1);
    let created = lines(&report).iter().filter(|l| l["outcome"] == "created").count() as u64;
    let failed = lines(&report).iter().filter(|l| l["outcome"] == "failed").count() as u64;
    assert!(created > 0);
    assert_eq!(report["counts"]["created"].as_u64(), Some(created), "{}", report["counts"]);
    assert_eq!(report["counts"]["failed"].as_u64(), Some(failed), "{}", report["counts"]);
    let notes = report["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("matched by idnumber")), "{notes:?}");
}

#[test]

fn the_recovered_report_lists_every_committed_line() {
    // The kill comes right after the first commit is seen, inside that window most times.
    let Crashed { lms, last_line, .. } = crash_mid_run(8_000, KillAt::FirstCommit);
    next_run(&lms);
    let report = lms.json_report(1);
    let listed: Vec<u64> = lines(&report).iter().map(|l| l["line"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (2..=last_line).collect();
    assert!(
        listed == expected,
        "the report lists {} lines (last {:?}) but lines 2..={last_line} were committed",
        listed.len(),
        listed.last()
    );
}

#[test]
fn a_killed_dry_run_leaves_nothing_behind_but_its_report() {
    let lms = Lms::new();
    let input = big_file(20_000);
    let path = lms.write("crash.csv", &input);
    let mut child = lms
        .command()
        .args(["run", "users", "--dry-run", "--file", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A dry run commits nothing, so watch its partial report grow instead.
    let partial = lms.reports().join(".run-1.partial.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while fs::metadata(&partial).map_or(0, |m| m.len()) < 2_000 {
        assert!(child.try_wait().unwrap().is_none(), "the dry run ended before it could be killed");
        assert!(Instant::now() < deadline, "the dry run never reported a line");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let ran = next_run(&lms);
    let note = ran.notes().into_iter().find(|n| n.contains("interrupted")).expect("a note about the run");
    assert!(note.contains("dry run"), "{note}");
    assert_eq!(fs::read_to_string(lms.files().join("crash.csv")).unwrap(), input, "a dry run's input stays as it is");
    assert!(!lms.files().join("crash-tryback-failed.csv").exists());
    assert_eq!(lms.export().len(), 2, "nothing of the dry run was written");
    let journal: i64 = lms.db().query_row("SELECT count(*) FROM sync_journal", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, 0);
    let report = lms.json_report(1);
    assert_eq!(report["status"], "interrupted");
    assert_eq!(report["dry_run"], true);
    assert!(lms.exec(&["runs", "1"]).stdout.contains("interrupted"));
}

#[test]

fn a_report_killed_before_its_first_flush_is_still_valid_json() {
    let Crashed { lms, .. } = crash_mid_run(8_000, KillAt::ReportOpened);
    next_run(&lms);
    let name = list(&lms.reports())
        .into_iter()
        .find(|n| n.contains("_report_crash") && n.ends_with(".json"))
        .expect("a closed report of the killed run");
    let text = fs::read_to_string(lms.reports().join(name)).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"));
    assert_eq!(report["run_id"], 1);
    assert_eq!(report["status"], "interrupted");
}

#[test]
fn without_discard_on_failure_the_input_of_a_crashed_run_stays_for_the_next_run() {
    let lms = Lms::new().with("LMSYNC_FILES__DISCARD_ON_FAILURE", "false");
    let Crashed { lms, input, last_line } = crash_in(lms, 8_000, KillAt::FirstCommit);
    let ran = next_run(&lms);
    let note = ran.notes().into_iter().find(|n| n.contains("interrupted")).expect("a note about the run");
    assert!(note.contains("stays in place"), "{note}");
    assert_eq!(fs::read_to_string(lms.files().join("crash.csv")).unwrap(), input);
    assert!(!lms.files().join("crash-tryback-failed.csv").exists());
    // The next run of it finishes the work.
    let rerun = lms.run_users(&lms.files().join("crash.csv"), &[]);
    assert_eq!(rerun.count("unchanged"), last_line - 2, "{rerun:?}");
    assert_eq!(lms.export().len(), 8_000 + 2);
}
