//! The drop folder through the binary: imports before a run, the alock.txt / lock.txt protocol
//! against a slow writer, files that arrive while `serve` runs (run on arrival), `*` locations,
//! stale-lock alarms e-mailed once per lock through a real SMTP server (aiosmtpd), the cleanup
//! command and `lmsync status`.

mod common;

use common::*;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn sync_dir(lms: &Lms) -> PathBuf {
    lms.data.join("sync")
}

fn aged(path: &Path, body: &[u8], age: Duration) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
    fs::File::options().write(true).open(path).unwrap().set_modified(SystemTime::now() - age).unwrap();
}

const USERS: &str = "username;firstname;lastname;email\nann;Ann;A;ann@example.org\nbob;Bob;B;bob@example.org\n";

/// Polls `check` every 100 ms for up to `secs` seconds.
fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

/// `lmsync serve` on the installation, stopped (SIGTERM) and reaped when dropped.
struct Serving(Child);

impl Serving {
    fn start(lms: &Lms) -> Serving {
        let mut cmd = lms.command();
        let mut child = cmd.arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            if line.unwrap().contains("next run at") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Serving(child)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

#[test]
fn a_run_imports_the_drop_folder_first() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    lms.exec(&["status"]);
    aged(&sync_dir(&lms).join("userimport.csv"), USERS.as_bytes(), Duration::from_secs(60));
    aged(&sync_dir(&lms).join("_receipt.csv"), b"x", Duration::from_secs(60));
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("imported from the drop folder: userimport.csv"), "{}", r.stdout);
    assert_eq!(lms.users().len(), 4, "guest, admin, ann, bob");
    assert!(!sync_dir(&lms).join("userimport.csv").exists());
    assert!(sync_dir(&lms).join("_receipt.csv").exists(), "names starting with _ are the feeder's");
}

#[test]
fn nothing_is_imported_while_the_writer_lock_exists_and_a_slow_upload_arrives_whole() {
    let lms = Lms::new().with("LMSYNC_DROP__SETTLE_SECONDS", "1").with("LMSYNC_DROP__SCAN_SECONDS", "1");
    let lms = lms.with("LMSYNC_SCHEDULE__RUN_ON_ARRIVAL", "false");
    lms.exec(&["status"]);
    let serving = Serving::start(&lms);
    let sync = sync_dir(&lms);
    let target = lms.files().join("big.csv");
    // The feeder takes its lock, writes slowly, then releases it.
    fs::write(sync.join("alock.txt"), "").unwrap();
    let mut whole = String::from("username;firstname;lastname\n");
    let mut file = fs::File::create(sync.join("big.csv")).unwrap();
    file.write_all(whole.as_bytes()).unwrap();
    for i in 0..15 {
        let chunk: String = (0..200).map(|j| format!("u{i}x{j};F;L\n")).collect();
        file.write_all(chunk.as_bytes()).unwrap();
        file.flush().unwrap();
        whole.push_str(&chunk);
        std::thread::sleep(Duration::from_millis(150));
        assert!(!target.exists(), "imported while alock.txt exists");
    }
    drop(file);
    fs::remove_file(sync.join("alock.txt")).unwrap();
    assert!(eventually(15, || target.exists()), "imported once the lock is gone");
    let imported = fs::read_to_string(&target).unwrap();
    assert!(imported == whole, "never a truncated file: {} of {} bytes", imported.len(), whole.len());
    assert!(!sync.join("big.csv").exists());
    assert!(!sync.join("lock.txt").exists(), "lock.txt only while importing");
    drop(serving);
}

#[test]
fn a_file_still_being_written_waits_until_it_settles() {
    let lms = Lms::new().with("LMSYNC_DROP__SETTLE_SECONDS", "2").with("LMSYNC_DROP__SCAN_SECONDS", "1");
    let lms = lms.with("LMSYNC_SCHEDULE__RUN_ON_ARRIVAL", "false");
    lms.exec(&["status"]);
    let serving = Serving::start(&lms);
    let sync = sync_dir(&lms);
    let target = lms.files().join("slow.csv");
    // No lock this time: the writer appends every 0.5 s for 3 s; only the settle delay protects.
    let mut file = fs::File::create(sync.join("slow.csv")).unwrap();
    let mut whole = String::new();
    for i in 0..6 {
        let line = format!("line {i}\n");
        file.write_all(line.as_bytes()).unwrap();
        file.flush().unwrap();
        whole.push_str(&line);
        std::thread::sleep(Duration::from_millis(500));
        assert!(!target.exists() || fs::read_to_string(&target).unwrap() == whole, "a partial file was imported");
    }
    drop(file);
    assert!(eventually(15, || target.exists()));
    assert_eq!(fs::read_to_string(&target).unwrap(), whole);
    drop(serving);
}

#[test]
fn a_file_arriving_while_serving_runs_its_tool_at_once() {
    let lms = Lms::new()
        .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
        .with("LMSYNC_DROP__SETTLE_SECONDS", "0")
        .with("LMSYNC_DROP__SCAN_SECONDS", "30");
    lms.exec(&["status"]);
    let serving = Serving::start(&lms);
    let tmp = lms.tmp.path().join("userimport.csv");
    fs::write(&tmp, USERS).unwrap();
    // Moved in whole, as an SFTP server's rename does: the file-system event starts the run.
    fs::rename(&tmp, sync_dir(&lms).join("userimport.csv")).unwrap();
    assert!(eventually(20, || lms.rows("SELECT username FROM user WHERE username = 'bob'").len() == 1), "bob arrived");
    let runs = lms.exec(&["runs"]);
    assert!(runs.stdout.contains("users"), "{}", runs.stdout);
    let trigger = lms.rows("SELECT trigger FROM sync_runs WHERE tool = 'users'");
    assert_eq!(trigger, ["arrival"]);
    drop(serving);
}

#[test]
fn a_star_location_runs_every_matching_file_oldest_name_first() {
    let lms =
        Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username").with("LMSYNC_USERS__FILE", "in/users_*.csv");
    lms.exec(&["status"]);
    let dir = lms.files().join("in");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("users_2026-09-02.csv"), "username;firstname;lastname;city\nann;Ann;A;Lyon\n").unwrap();
    fs::write(dir.join("users_2026-09-01.csv"), "username;firstname;lastname;city\nann;Ann;A;Paris\n").unwrap();
    fs::write(dir.join("other.csv"), "username;firstname;lastname\nzed;Z;Z\n").unwrap();
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(lms.user("ann")["city"], "Lyon", "the 09-02 file ran last");
    assert!(!lms.users().contains_key("zed"));
    let inputs = lms.rows("SELECT input FROM sync_runs ORDER BY id");
    assert!(inputs[0].ends_with("users_2026-09-01.csv") && inputs[1].ends_with("users_2026-09-02.csv"), "{inputs:?}");
    assert!(dir.join("other.csv").exists());
    // A comma list: the first existing file.
    let mut lms = lms;
    lms.set("LMSYNC_USERS__FILE", "missing.csv, in/other.csv");
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(lms.users().contains_key("zed"));
}

/// A real SMTP server (aiosmtpd, installed by .ci/run) storing what it receives in a maildir.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = dir.join("maildir");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        assert!(eventually(20, || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()), "aiosmtpd did not start");
        Smtp { child, port, maildir }
    }

    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = fs::read_dir(self.maildir.join(sub)) {
                out.extend(entries.filter_map(|e| fs::read_to_string(e.ok()?.path()).ok()));
            }
        }
        out
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_stale_lock_is_e_mailed_once_per_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(tmp.path());
    let lms = Lms::new()
        .with("LMSYNC_SITE_NAME", "Campus")
        .with("LMSYNC_SMTP__HOST", "127.0.0.1")
        .with("LMSYNC_SMTP__PORT", &smtp.port.to_string())
        .with("LMSYNC_SMTP__TLS", "none")
        .with("LMSYNC_SMTP__FROM", "lmsync@example.org")
        .with("LMSYNC_SMTP__ADMINS", "[\"ops@example.org\"]");
    lms.exec(&["status"]);
    let lock = sync_dir(&lms).join("alock.txt");
    aged(&lock, b"", Duration::from_secs(4 * 3600));
    aged(&sync_dir(&lms).join("userimport.csv"), USERS.as_bytes(), Duration::from_secs(60));
    for _ in 0..3 {
        let r = lms.exec(&["files", "import"]);
        assert!(r.stdout.contains("nothing imported: the feeder's alock.txt is present"), "{}", r.all());
    }
    assert!(eventually(10, || smtp.messages().len() == 1), "{:?}", smtp.messages());
    let mail = &smtp.messages()[0];
    assert!(mail.contains("Subject: Campus : write lock too old"), "{mail}");
    assert!(mail.contains("ops@example.org"), "{mail}");
    assert!(mail.contains("remote writer is at fault"), "{mail}");
    let status = lms.exec(&["status"]);
    assert_eq!(status.code, 1, "{}", status.all());
    assert!(status.stdout.contains("TOO OLD"), "{}", status.stdout);
    // The feeder recovers; later its lock sticks again: a new episode, a new e-mail.
    fs::remove_file(&lock).unwrap();
    let r = lms.exec(&["files", "import"]);
    assert!(r.stdout.contains("imported userimport.csv"), "{}", r.all());
    aged(&lock, b"", Duration::from_secs(5 * 3600));
    lms.exec(&["files", "import"]);
    lms.exec(&["files", "import"]);
    assert!(eventually(10, || smtp.messages().len() == 2), "{:?}", smtp.messages().len());
}

#[test]
fn cleanup_removes_old_outputs_only() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let r = lms.run_bytes("users.csv", "username;firstname;lastname;email\nann;A;A;bad\n", &[]);
    assert_eq!(r.code, 1);
    let tryback = r.tryback().unwrap();
    let old = Duration::from_secs(200 * 86400);
    let report = r.report().unwrap();
    let archive = r.archive().unwrap();
    for p in [&tryback, &report, &archive] {
        fs::File::options().write(true).open(p).unwrap().set_modified(SystemTime::now() - old).unwrap();
    }
    aged(&lms.files().join("userimport.csv"), b"username\n", old);
    let dry = lms.exec(&["files", "cleanup", "--dry-run"]);
    assert!(dry.stdout.contains("files would be deleted"), "{}", dry.all());
    assert!(tryback.exists());
    let only_reports = lms.exec(&["files", "cleanup", "--reports"]);
    assert_eq!(only_reports.code, 0, "{}", only_reports.all());
    assert!(!report.exists() && archive.exists() && tryback.exists());
    lms.exec(&["files", "cleanup"]);
    assert!(!archive.exists() && !tryback.exists());
    assert!(lms.files().join("userimport.csv").exists(), "a command file is never cleaned up");
}

#[test]
fn a_file_replaced_while_its_run_reads_it_is_kept_for_the_next_run() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    lms.exec(&["status"]);
    let mut big = String::from("username;firstname;lastname\n");
    for i in 0..60_000 {
        big.push_str(&format!("u{i};F;L\n"));
    }
    let input = lms.files().join("userimport.csv");
    fs::write(&input, &big).unwrap();
    let run = lms.command().args(["run", "users"]).stdout(Stdio::piped()).spawn().unwrap();
    assert!(
        eventually(30, || lms.rows("SELECT CAST(count(*) AS TEXT) FROM sync_runs WHERE status = 'running'") == ["1"]),
        "the run started"
    );
    // The feeder's next file lands (as an import does: a complete copy renamed over the name).
    let newer = "username;firstname;lastname\nlate;L;L\n";
    let tmp = lms.files().join(".userimport.csv.importing");
    fs::write(&tmp, newer).unwrap();
    fs::rename(&tmp, &input).unwrap();
    let out = run.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("was replaced by a newer file"), "{stdout}");
    assert_eq!(fs::read_to_string(&input).unwrap(), newer, "the newer file waits for the next run");
    assert!(list(&lms.archives()).is_empty(), "nothing archived in its place");
    let again = lms.exec(&["run", "users"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(lms.users().contains_key("late"));
}

/// A one-route HTTP server on loopback: `path` answers `body`, anything else 404.
fn http_server(path: &'static str, body: Vec<u8>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let wanted = request.split(' ').nth(1) == Some(path);
            let head = if wanted {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            };
            let _ = stream.write_all(head.as_bytes());
            if wanted {
                let _ = stream.write_all(&body);
            }
        }
    });
    port
}

#[test]
fn a_url_location_is_downloaded_into_the_area_then_run() {
    let port = http_server("/feeds/userimport.csv", USERS.as_bytes().to_vec());
    let mut lms = Lms::new()
        .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
        .with("LMSYNC_USERS__FILE", &format!("http://127.0.0.1:{port}/feeds/userimport.csv"));
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(lms.users().contains_key("bob"));
    assert!(list(&lms.archives()).iter().any(|n| n.ends_with("_userimport.csv")), "archived like any input");
    // Nothing at that address: a quiet nothing to do.
    lms.set("LMSYNC_USERS__FILE", &format!("http://127.0.0.1:{port}/feeds/none.csv"));
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("nothing to do"), "{}", r.all());
    // Over the size limit: refused, nothing written.
    lms.set("LMSYNC_USERS__FILE", &format!("http://127.0.0.1:{port}/feeds/userimport.csv"));
    lms.set("LMSYNC_FILES__DOWNLOAD_MAX_BYTES", "10");
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.all().contains("download_max_bytes"), "{}", r.all());
}

/// A service whose arrival run of 200 000 accounts (usernames `<prefix><n>`) has committed its
/// first chunk and is still going; the file's text.
fn serving_a_big_arrival(prefix: &str) -> (Lms, Serving, String) {
    let lms = Lms::new()
        .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
        .with("LMSYNC_DROP__SETTLE_SECONDS", "0")
        .with("LMSYNC_DROP__SCAN_SECONDS", "1");
    lms.exec(&["status"]);
    let mut big = String::from("username;firstname;lastname\n");
    for i in 0..200_000 {
        big.push_str(&format!("{prefix}{i};F;L\n"));
    }
    let serving = Serving::start(&lms);
    let tmp = lms.tmp.path().join("userimport.csv");
    fs::write(&tmp, &big).unwrap();
    fs::rename(&tmp, sync_dir(&lms).join("userimport.csv")).unwrap();
    let committed = || lms.rows("SELECT CAST(last_line AS TEXT) FROM sync_runs WHERE status = 'running'");
    assert!(eventually(60, || committed().first().is_some_and(|l| l != "0")), "the arrival run committed a chunk");
    (lms, serving, big)
}

#[test]
fn a_service_killed_mid_run_recovers_at_restart_and_loses_nothing() {
    let (lms, mut serving, big) = serving_a_big_arrival("k");
    let _ = serving.0.kill();
    let _ = serving.0.wait();
    assert_eq!(lms.rows("SELECT status FROM sync_runs"), ["running"], "killed mid-run");
    // Restart: the interrupted run is recovered before anything else, its input set aside.
    let mut child = lms.command().arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("next run at");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let text = seen.join("\n");
    assert!(text.contains("recovered: run 1 (users"), "{text}");
    assert_eq!(lms.rows("SELECT status FROM sync_runs WHERE id = 1"), ["interrupted"]);
    let set_aside = lms.files().join("userimport-tryback-failed.csv");
    assert_eq!(fs::read_to_string(&set_aside).unwrap(), big, "the input is kept whole");
    // Renamed back, it finishes: what was applied reports unchanged, nothing is applied twice.
    fs::rename(&set_aside, lms.files().join("userimport.csv")).unwrap();
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(lms.rows("SELECT CAST(count(*) AS TEXT) FROM user WHERE username LIKE 'k%'"), ["200000"]);
    assert!(r.count("unchanged") > 0 && r.count("created") > 0, "{}", r.all());
}

#[test]
fn a_stopped_service_ends_its_run_at_a_chunk_boundary_and_keeps_the_input() {
    let (lms, mut serving, big) = serving_a_big_arrival("s");
    let _ = Command::new("kill").args(["-TERM", &serving.0.id().to_string()]).status();
    let exit = serving.0.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
    assert_eq!(lms.rows("SELECT status FROM sync_runs"), ["cancelled"]);
    let applied: usize =
        lms.rows("SELECT CAST(count(*) AS TEXT) FROM user WHERE username LIKE 's%'")[0].parse().unwrap();
    let last: usize = lms.rows("SELECT CAST(last_line AS TEXT) FROM sync_runs")[0].parse().unwrap();
    assert_eq!(applied, last - 1, "exactly the committed chunks are applied: nothing half-applied");
    assert_eq!(
        fs::read_to_string(lms.files().join("userimport.csv")).unwrap(),
        big,
        "the input stays for the next run"
    );
    let r = lms.exec(&["run", "users"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(lms.rows("SELECT CAST(count(*) AS TEXT) FROM user WHERE username LIKE 's%'"), ["200000"]);
}
