//! Generated passwords are e-mailed through `[smtp]` when `users.send_passwords` is on: checked
//! against a minimal SMTP server on loopback that records what it receives.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Messages received: recipients and data.
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// Accepts SMTP sessions on 127.0.0.1 and keeps every message it receives.
fn fake_smtp() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = stream.write_all(b"220 localhost ESMTP test\r\n");
            let (mut rcpt, mut line) = (Vec::new(), String::new());
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let cmd = line.trim_end().to_ascii_uppercase();
                let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    b"250-localhost\r\n250 OK\r\n"
                } else if cmd.starts_with("RCPT TO:") {
                    rcpt.push(line.trim_end()[8..].trim_matches(|c| c == '<' || c == '>' || c == ' ').to_string());
                    b"250 OK\r\n"
                } else if cmd == "DATA" {
                    let _ = stream.write_all(b"354 go on\r\n");
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == ".\r\n" {
                            break;
                        }
                        data.push_str(&line);
                    }
                    store.lock().unwrap().push((std::mem::take(&mut rcpt), data));
                    b"250 queued\r\n"
                } else if cmd == "QUIT" {
                    let _ = stream.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 OK\r\n"
                };
                let _ = stream.write_all(reply);
            }
        }
    });
    (port, received)
}

#[test]
fn generated_passwords_are_mailed_after_their_account_is_created() {
    let (port, received) = fake_smtp();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.csv");
    std::fs::write(
        &file,
        "username;firstname;lastname;email;password\nann;Ann;Lee;ann@example.edu;\nbob;Bob;Ray;bob@example.edu;Given-Pass1\ncid;Cid;Noe;;\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lmsync"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["run", "users", "--file"])
        .arg(&file)
        .env("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
        .env("LMSYNC_USERS__PASSWORD_COST", "4")
        .env("LMSYNC_USERS__SEND_PASSWORDS", "true")
        .env("LMSYNC_SITE_NAME", "Campus")
        .env("LMSYNC_SMTP__HOST", "127.0.0.1")
        .env("LMSYNC_SMTP__PORT", port.to_string())
        .env("LMSYNC_SMTP__TLS", "none")
        .env("LMSYNC_SMTP__FROM", "lmsync@example.edu")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 generated passwords e-mailed"), "{stdout}");
    assert!(stdout.contains("1 accounts with a generated password have no e-mail address"), "{stdout}");

    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "only ann gets a mail: bob's password was given, cid has no address");
    let (rcpt, data) = &messages[0];
    assert_eq!(rcpt, &vec!["ann@example.edu".to_string()]);
    assert!(data.contains("Subject: Your account on Campus"), "{data}");
    let reports = dir.path().join("data/files/reports");
    let passwords = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains("_passwords_"))
        .expect("a passwords file");
    let listed = std::fs::read_to_string(passwords).unwrap();
    let ann_password = listed.lines().find_map(|l| l.strip_prefix("ann;")).expect("ann is listed").to_string();
    assert!(data.contains(&format!("Password: {ann_password}")), "{data}");
    assert!(listed.contains("cid;"), "{listed}");
    assert!(!listed.contains("bob;"), "a given password is not listed: {listed}");

    let db = rusqlite::Connection::open(dir.path().join("data/lms.db")).unwrap();
    let hash: String = db.query_row("SELECT password FROM user WHERE username = 'ann'", [], |r| r.get(0)).unwrap();
    assert!(bcrypt::verify(&ann_password, &hash).unwrap(), "the mailed password is the stored one");
    let force: String = db
        .query_row(
            "SELECT value FROM user_preferences p JOIN user u ON u.id = p.userid WHERE u.username = 'ann' AND p.name = 'auth_forcepasswordchange'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(force, "1");
}

#[test]
fn a_dry_run_generates_nothing_and_mails_nothing() {
    let (port, received) = fake_smtp();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.csv");
    std::fs::write(&file, "username;firstname;lastname;email;password\nann;Ann;Lee;ann@example.edu;\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lmsync"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["run", "users", "--dry-run", "--file"])
        .arg(&file)
        .env("LMSYNC_USERS__PASSWORD_COST", "4")
        .env("LMSYNC_USERS__SEND_PASSWORDS", "true")
        .env("LMSYNC_SMTP__HOST", "127.0.0.1")
        .env("LMSYNC_SMTP__PORT", port.to_string())
        .env("LMSYNC_SMTP__TLS", "none")
        .env("LMSYNC_SMTP__FROM", "lmsync@example.edu")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(received.lock().unwrap().is_empty());
    let reports = dir.path().join("data/files/reports");
    assert!(
        !std::fs::read_dir(reports).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("_passwords_"))
    );
}
