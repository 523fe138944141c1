//! `lmsync serve` starts, says where its data is, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_starts_reports_its_data_and_stops_on_ctrl_c() {
    serve_then_stop_with("-INT");
}

#[test]
fn serve_stops_on_sigterm_from_a_service_manager() {
    serve_then_stop_with("-TERM");
}

fn serve_then_stop_with(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lmsync"))
        .arg("--data-dir")
        .arg(&data)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("users: next run at");
        seen.push(line);
        if done {
            break;
        }
    }
    let text = seen.join("\n");
    assert!(text.contains("serving"), "{text}");
    let root = data.canonicalize().unwrap();
    assert!(text.contains(&format!("data directory: {}", root.display())), "{text}");
    assert!(text.contains("lms.db") && text.contains("drop folder"), "{text}");
    for made in ["lmsync.toml", "lms.db", "sync", "files/archives", "files/reports"] {
        assert!(root.join(made).exists(), "{made} was not created");
    }

    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "serve did not stop after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("lmsync stopped")), "{rest:?}");
    // Every task is announced with its next run, the cohort task among them.
    let announced = format!("{text}\n{}", rest.join("\n"));
    for task in ["users", "courses", "cohorts", "enrols", "groups", "userpictures"] {
        assert!(announced.contains(&format!("{task}: next run at")), "{announced}");
    }
}
