//! Shared helpers of the end-to-end suite: a fresh data directory per test, the `lmsync` binary
//! run with an explicit environment, and readers for exports, reports and the store.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_lmsync");

/// The upstream tool_sync sample files (read only: copy them before use).
pub const FIXTURES: &str = "/work/shared/fixtures/upstream";

/// One lmsync installation in a temporary directory: `data/` is the data directory, `in/` a
/// folder outside it where tests write their command files.
pub struct Lms {
    pub tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub inbox: PathBuf,
    env: BTreeMap<String, String>,
}

/// What one invocation of the binary did.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Lms {
    /// A fresh installation; bcrypt cost 4 so password tests stay fast.
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let inbox = tmp.path().join("in");
        fs::create_dir_all(&inbox).unwrap();
        let mut lms = Lms { tmp, data, inbox, env: BTreeMap::new() };
        lms.set("LMSYNC_USERS__PASSWORD_COST", "4");
        lms
    }

    /// Builder form of `set`.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.set(key, value);
        self
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.to_string(), value.to_string());
    }

    pub fn unset(&mut self, key: &str) {
        self.env.remove(key);
    }

    /// The binary with `--data-dir`, ambient `LMSYNC_*` variables removed and ours set.
    pub fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("LMSYNC_") {
                c.env_remove(&k);
            }
        }
        c.envs(&self.env);
        c.arg("--data-dir").arg(&self.data);
        c.stdin(Stdio::null());
        c
    }

    pub fn exec(&self, args: &[&str]) -> Ran {
        let out = self.command().args(args).output().expect("cannot start lmsync");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `lmsync run users --file <file> <extra…>`.
    pub fn run_users(&self, file: &Path, extra: &[&str]) -> Ran {
        let mut args = vec!["run", "users", "--file", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.exec(&args)
    }

    /// Writes `bytes` as `in/<name>` (outside the data directory) and runs it.
    pub fn run_bytes(&self, name: &str, bytes: impl AsRef<[u8]>, extra: &[&str]) -> Ran {
        let path = self.write(name, bytes);
        self.run_users(&path, extra)
    }

    /// Writes `in/<name>`.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.inbox.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    /// Copies an upstream sample into `in/` (again, if it is already there).
    pub fn fixture(&self, name: &str) -> PathBuf {
        let dest = self.inbox.join(name);
        fs::copy(Path::new(FIXTURES).join(name), &dest).expect("fixture missing");
        dest
    }

    pub fn files(&self) -> PathBuf {
        self.data.join("files")
    }

    pub fn reports(&self) -> PathBuf {
        self.files().join("reports")
    }

    pub fn archives(&self) -> PathBuf {
        self.files().join("archives")
    }

    /// `lmsync export users --format json`, parsed.
    pub fn export(&self) -> Vec<Value> {
        let r = self.exec(&["export", "users", "--format", "json"]);
        assert_eq!(r.code, 0, "export failed: {r:?}");
        match serde_json::from_str::<Value>(&r.stdout).expect("export is not JSON") {
            Value::Array(a) => a,
            other => panic!("export is not an array: {other}"),
        }
    }

    /// Accounts of the export by username.
    pub fn users(&self) -> BTreeMap<String, Value> {
        self.export().into_iter().map(|u| (u["username"].as_str().unwrap().to_string(), u)).collect()
    }

    /// One account of the export; panics when it does not exist.
    pub fn user(&self, username: &str) -> Value {
        self.users().remove(username).unwrap_or_else(|| panic!("no account {username}"))
    }

    /// The JSON report of run `run_id` (found by content, so `-2` names do not matter).
    pub fn json_report(&self, run_id: i64) -> Value {
        let mut unreadable = Vec::new();
        for name in list(&self.reports()) {
            if !name.ends_with(".json") {
                continue;
            }
            let text = fs::read_to_string(self.reports().join(&name)).unwrap();
            match serde_json::from_str::<Value>(&text) {
                Ok(v) if v["run_id"].as_i64() == Some(run_id) => return v,
                Ok(_) => {}
                Err(e) => unreadable.push(format!("{name} is not valid JSON ({e})")),
            }
        }
        panic!("no JSON report for run {run_id} in {:?}; {unreadable:?}", list(&self.reports()));
    }

    /// Moves every account's `timemodified` (built-in ones aside) 1000 s into the past, so that any later rewrite of
    /// an account shows in the export even within the same second.
    pub fn age_timestamps(&self) {
        let c = rusqlite::Connection::open(self.data.join("lms.db")).unwrap();
        c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        c.execute("UPDATE user SET timemodified = timemodified - 1000 WHERE id > 2", []).unwrap();
    }

    /// Number of journalled changes of a run.
    pub fn journalled(&self, run_id: i64) -> i64 {
        self.db().query_row("SELECT count(*) FROM sync_journal WHERE run_id = ?1", [run_id], |r| r.get(0)).unwrap()
    }

    /// Read-only connection to `lms.db`, tolerant of a concurrent writer.
    pub fn db(&self) -> rusqlite::Connection {
        let c =
            rusqlite::Connection::open_with_flags(self.data.join("lms.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("cannot open lms.db");
        c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        c
    }
}

impl Ran {
    /// The run id of a `run` command (`run N (name): status`).
    pub fn run_id(&self) -> i64 {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix("run ").and_then(|r| r.split(' ').next()?.parse().ok()))
            .unwrap_or_else(|| panic!("no run line in {self:?}"))
    }

    /// Status word of the `run N (name): status` line.
    pub fn status(&self) -> String {
        self.stdout
            .lines()
            .find(|l| l.starts_with("run "))
            .and_then(|l| l.rsplit(": ").next())
            .unwrap_or_else(|| panic!("no run line in {self:?}"))
            .to_string()
    }

    /// Counts from the `created X, updated X, …` line.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let line = self
            .stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("created "))
            .unwrap_or_else(|| panic!("no counts line in {self:?}"));
        line.split(", ")
            .map(|part| {
                let (k, v) = part.split_once(' ').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect()
    }

    pub fn count(&self, outcome: &str) -> u64 {
        self.counts()[outcome]
    }

    fn path_after(&self, prefix: &str) -> Option<PathBuf> {
        self.stdout.lines().map(str::trim).find_map(|l| {
            l.strip_prefix(prefix).map(|p| {
                let p = p.split(" (").next().unwrap();
                PathBuf::from(p)
            })
        })
    }

    pub fn report(&self) -> Option<PathBuf> {
        self.path_after("report: ")
    }

    pub fn tryback(&self) -> Option<PathBuf> {
        self.path_after("tryback: ")
    }

    pub fn archive(&self) -> Option<PathBuf> {
        self.path_after("archived as: ")
    }

    /// `note: …` lines.
    pub fn notes(&self) -> Vec<String> {
        self.stdout.lines().filter_map(|l| l.strip_prefix("note: ").map(str::to_string)).collect()
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// File names in `dir`, sorted (empty when it does not exist).
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Names in `dir` that are files (sub-folders left out).
pub fn list_files(dir: &Path) -> Vec<String> {
    list(dir).into_iter().filter(|n| dir.join(n).is_file()).collect()
}

/// The lines array of a JSON report.
pub fn lines(report: &Value) -> &Vec<Value> {
    report["lines"].as_array().expect("report has no lines array")
}

/// The report record of physical line `n`.
pub fn line(report: &Value, n: u64) -> &Value {
    lines(report)
        .iter()
        .find(|l| l["line"].as_u64() == Some(n))
        .unwrap_or_else(|| panic!("no line {n} in report: {report:#}"))
}

/// `(line, outcome)` of every report line.
pub fn outcomes(report: &Value) -> Vec<(u64, String)> {
    lines(report).iter().map(|l| (l["line"].as_u64().unwrap(), l["outcome"].as_str().unwrap().to_string())).collect()
}

/// Keys of the failed lines, in line order.
/// `line outcome [code]` of every report line of `ran`.
pub fn coded_outcomes(lms: &Lms, ran: &Ran) -> Vec<String> {
    let report = lms.json_report(ran.run_id());
    lines(&report)
        .iter()
        .map(|l| format!("{} {} {}", l["line"], l["outcome"].as_str().unwrap(), l["code"].as_str().unwrap_or("")))
        .map(|s| s.trim_end().to_string())
        .collect()
}

pub fn failed_keys(report: &Value) -> Vec<String> {
    lines(report).iter().filter(|l| l["outcome"] == "failed").map(|l| l["key"].as_str().unwrap().to_string()).collect()
}

/// The physical lines of `bytes`, each with its terminator (the last may have none).
pub fn physical_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            out.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

/// Concatenation of the given 1-based physical lines of `bytes`.
pub fn pick_lines(bytes: &[u8], numbers: &[usize]) -> Vec<u8> {
    let all = physical_lines(bytes);
    numbers.iter().flat_map(|n| all[n - 1].to_vec()).collect()
}

/// Shows bytes readably in assertion messages.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts two JSON exports are identical, naming the first account that differs.
pub fn assert_same_export(before: &[Value], after: &[Value], context: &str) {
    assert_eq!(before.len(), after.len(), "{context}: number of accounts changed");
    for (b, a) in before.iter().zip(after) {
        assert_eq!(b, a, "{context}: account {} changed", b["username"]);
    }
}

// ---- Courses tool helpers (courses_*.rs) ----

/// Course-side tables dumped by `Lms::course_state`, each with the order its rows are listed in.
const COURSE_TABLES: [(&str, &str); 7] = [
    ("course_categories", "id"),
    ("course", "id"),
    ("course_sections", "course, section"),
    ("course_modules", "id"),
    ("enrol", "id"),
    ("user_enrolments", "id"),
    ("role_assignments", "id"),
];

impl Lms {
    /// `lmsync run courses --op <op> --file <file> <extra…>`.
    pub fn run_courses(&self, op: &str, file: &Path, extra: &[&str]) -> Ran {
        let mut args = vec!["run", "courses", "--op", op, "--file", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.exec(&args)
    }

    /// Writes `in/<name>` and runs it through `courses --op <op>`.
    pub fn courses_file(&self, op: &str, name: &str, bytes: impl AsRef<[u8]>, extra: &[&str]) -> Ran {
        let path = self.write(name, bytes);
        self.run_courses(op, &path, extra)
    }

    /// `lmsync export <what> --format json` (categories, courses, sections, course-links), parsed.
    pub fn export_json(&self, what: &str) -> Vec<Value> {
        let r = self.exec(&["export", what, "--format", "json"]);
        assert_eq!(r.code, 0, "export {what} failed: {r:?}");
        match serde_json::from_str::<Value>(&r.stdout).expect("export is not JSON") {
            Value::Array(a) => a,
            other => panic!("export {what} is not an array: {other}"),
        }
    }

    /// Writable connection to `lms.db`, for tests that prepare data the tools cannot make.
    pub fn db_write(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(self.data.join("lms.db")).expect("cannot open lms.db");
        c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        c
    }

    /// Every row of the course-side tables (timestamps included), one string per row.
    pub fn course_state(&self) -> BTreeMap<&'static str, Vec<String>> {
        self.table_rows(&COURSE_TABLES)
    }

    /// Moves every timestamp of the course-side tables 1000 s into the past, so that a later
    /// rewrite shows in `course_state` even within the same second.
    pub fn age_course_timestamps(&self) {
        let c = self.db_write();
        for table in ["course_categories", "course", "course_sections", "enrol", "user_enrolments", "role_assignments"]
        {
            c.execute(&format!("UPDATE {table} SET timemodified = timemodified - 1000"), []).unwrap();
        }
    }
}

/// One SQL value, readably.
fn show_sql(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef::*;
    match v {
        Null => "NULL".into(),
        Integer(i) => i.to_string(),
        Real(f) => f.to_string(),
        Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        Blob(b) => format!("<{} bytes>", b.len()),
    }
}

impl Lms {
    /// Runs `path` a second time through `courses --op create` (after `age_course_timestamps`)
    /// and asserts it changes nothing: same `course_state`, nothing journalled, every line that
    /// failed fails again with the same code, skipped lines are skipped again, every other line
    /// reports `unchanged`. Returns the second run.
    pub fn assert_create_rerun_unchanged(&self, path: &Path, first: &Ran, extra: &[&str]) -> Ran {
        let report1 = self.json_report(first.run_id());
        self.age_course_timestamps();
        let before = self.course_state();
        let second = self.run_courses("create", path, extra);
        assert_eq!(second.code, first.code, "second run of {}: {second:?}", path.display());
        let report2 = self.json_report(second.run_id());
        assert_eq!(self.journalled(second.run_id()), 0, "second run journalled changes: {report2:#}");
        for (table, rows) in self.course_state() {
            assert_eq!(before[table], rows, "second run of {} changed table {table}", path.display());
        }
        assert_eq!(outcomes(&report1).len(), outcomes(&report2).len(), "{report2:#}");
        for (a, b) in lines(&report1).iter().zip(lines(&report2)) {
            assert_eq!(a["line"], b["line"]);
            match a["outcome"].as_str().unwrap() {
                "failed" => assert_eq!((&b["outcome"], &b["code"]), (&a["outcome"], &a["code"]), "{b}"),
                "skipped" => assert_eq!(b["outcome"], "skipped", "{b}"),
                _ => assert_eq!(b["outcome"], "unchanged", "second run: {b}"),
            }
        }
        second
    }
}

// ---- Enrolment tool helpers (enrols_*.rs) ----

/// Tables dumped by `Lms::enrol_state`, each with the order its rows are listed in.
const ENROL_TABLES: [(&str, &str); 5] = [
    ("enrol", "id"),
    ("user_enrolments", "id"),
    ("role_assignments", "id"),
    ("groups", "id"),
    ("groups_members", "groupid, userid"),
];

impl Lms {
    /// A fresh installation holding the upstream sample accounts (user_create_sample.csv then
    /// user_update_sample.csv: idnumbers U0001 john.doe … U0005 yyang) and courses
    /// (course_create_sample.csv: TESTCOURSE1–3, MASTER1–2, META10–21; manual instance enabled,
    /// guest and self disabled).
    pub fn with_enrol_samples() -> Lms {
        let mut lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
        lms.set("LMSYNC_USERS__PROTECT_EMAILS", "false");
        for f in ["user_create_sample.csv", "user_update_sample.csv"] {
            let r = lms.run_users(&lms.fixture(f), &[]);
            assert!(r.code <= 1, "{f}: {}", r.all());
        }
        lms.unset("LMSYNC_USERS__PRIMARY_IDENTITY");
        lms.unset("LMSYNC_USERS__PROTECT_EMAILS");
        let r = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
        assert!(r.code <= 1, "course_create_sample.csv: {}", r.all());
        let ids: Vec<String> = lms.export().iter().map(|u| u["idnumber"].as_str().unwrap().to_string()).collect();
        for id in ["U0001", "U0002", "U0003", "U0004", "U0005"] {
            assert!(ids.iter().any(|i| i == id), "no account has idnumber {id}");
        }
        lms
    }

    /// Every account of user_create_sample.csv (duplicate e-mails allowed, so ugr1–4 and
    /// ugr10–40 all exist) and the sample courses (TESTCOURSE1–3, MASTER1–2, META10–21).
    pub fn with_sample_site() -> Lms {
        let mut lms = Lms::new()
            .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
            .with("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS", "true");
        let r = lms.run_users(&lms.fixture("user_create_sample.csv"), &[]);
        assert_eq!(r.code, 0, "user_create_sample.csv: {}", r.all());
        let r = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
        assert!(r.code <= 1, "course_create_sample.csv: {}", r.all());
        lms.unset("LMSYNC_USERS__PRIMARY_IDENTITY");
        lms.unset("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS");
        lms
    }

    /// `with_sample_site`, with ugr1–4 and ugr10 manual students in TESTCOURSE1 (the group
    /// samples' starting point); the enrolment tool is left matching users by username.
    pub fn with_grouped_students() -> Lms {
        let mut lms = Lms::with_sample_site();
        lms.set("LMSYNC_ENROLS__USER_IDENTIFIER", "username");
        let mut file = String::from("cmd;cid;uid;rolename;enrol\n");
        for u in ["ugr1", "ugr2", "ugr3", "ugr4", "ugr10"] {
            file.push_str(&format!("add;TESTCOURSE1;{u};student;manual\n"));
        }
        let r = lms.enrols_file("enrol.csv", file, &[]);
        assert_eq!(r.code, 0, "enrolments: {}", r.all());
        lms
    }

    /// The reference site of the cohort samples (spec/cohorts.md §13): `with_sample_site`, then
    /// user_update_sample.csv giving idnumbers U0001 john.doe … U0005 yyang, UGR1–4 ugr1–4 and
    /// UGR11–14 ugr10–40; the cohort tool matches users by idnumber, as upstream's test.
    pub fn with_cohort_site() -> Lms {
        let mut lms = Lms::with_sample_site()
            .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
            .with("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS", "true")
            .with("LMSYNC_USERS__PROTECT_EMAILS", "false");
        let r = lms.run_users(&lms.fixture("user_update_sample.csv"), &[]);
        assert_eq!(r.code, 0, "user_update_sample.csv: {}", r.all());
        for k in ["PRIMARY_IDENTITY", "ALLOW_DUPLICATE_EMAILS", "PROTECT_EMAILS"] {
            lms.unset(&format!("LMSYNC_USERS__{k}"));
        }
        lms.set("LMSYNC_COHORTS__USER_IDENTIFIER", "idnumber");
        lms
    }

    /// `lmsync run cohorts --op <op> --file <file> <extra…>` (`op`: members or bindings).
    pub fn run_cohorts(&self, op: &str, file: &Path, extra: &[&str]) -> Ran {
        let mut args = vec!["run", "cohorts", "--op", op, "--file", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.exec(&args)
    }

    /// Writes `in/<name>` and runs it through the cohort tool's `op`.
    pub fn cohorts_file(&self, op: &str, name: &str, bytes: impl AsRef<[u8]>, extra: &[&str]) -> Ran {
        let path = self.write(name, bytes);
        self.run_cohorts(op, &path, extra)
    }

    /// Cohort memberships, one `cohort_idnumber username` string each, sorted.
    pub fn cohort_members(&self) -> Vec<String> {
        self.rows(
            "SELECT c.idnumber || ' ' || u.username FROM cohort_members m JOIN cohort c ON c.id = m.cohortid JOIN user u ON u.id = m.userid ORDER BY 1",
        )
    }

    /// Cohorts, one `idnumber name` string each (idnumber `-` when empty), sorted.
    pub fn cohort_names(&self) -> Vec<String> {
        self.rows("SELECT CASE idnumber WHEN '' THEN '-' ELSE idnumber END || ' ' || name FROM cohort ORDER BY 1")
    }

    /// `lmsync run enrols --file <file> <extra…>`.
    pub fn run_enrols(&self, file: &Path, extra: &[&str]) -> Ran {
        let mut args = vec!["run", "enrols", "--file", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.exec(&args)
    }

    /// Writes `in/<name>` and runs it through the enrolment tool.
    pub fn enrols_file(&self, name: &str, bytes: impl AsRef<[u8]>, extra: &[&str]) -> Ran {
        let path = self.write(name, bytes);
        self.run_enrols(&path, extra)
    }

    /// `export enrolments`, one `course username method status roles` string per enrolment
    /// (dates left out; see `enrolment_dates`).
    pub fn enrolments(&self) -> Vec<String> {
        self.export_json("enrolments")
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
                format!("{} {} {} {} {}", s("course_shortname"), s("username"), s("method"), s("status"), s("roles"))
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    /// `(timestart, timeend)` of the enrolment of `username` in `course` through `method`.
    pub fn enrolment_dates(&self, course: &str, username: &str, method: &str) -> (i64, i64) {
        self.export_json("enrolments")
            .iter()
            .find(|e| e["course_shortname"] == course && e["username"] == username && e["method"] == method)
            .map(|e| (e["timestart"].as_i64().unwrap(), e["timeend"].as_i64().unwrap()))
            .unwrap_or_else(|| panic!("{username} is not enrolled in {course} through {method}"))
    }

    /// Role assignments, one `course username role` string each, followed for an assignment
    /// owned by an instance by ` <component>:<that instance's method>` (or `:item <itemid>` when
    /// the item is no instance of the course).
    pub fn role_rows(&self) -> Vec<String> {
        self.rows(
            "SELECT c.shortname || ' ' || u.username || ' ' || r.shortname || CASE WHEN ra.component = '' AND ra.itemid = 0 THEN '' ELSE ' ' || ra.component || ':' || COALESCE((SELECT e.enrol FROM enrol e WHERE e.id = ra.itemid AND e.course = ra.courseid), 'item ' || ra.itemid) END
             FROM role_assignments ra JOIN role r ON r.id = ra.roleid JOIN course c ON c.id = ra.courseid JOIN user u ON u.id = ra.userid
             ORDER BY c.shortname, u.username, r.sortorder, ra.component",
        )
    }

    /// Group memberships, one `course group username component` string each (component `''`
    /// shown as `-`).
    pub fn memberships(&self) -> Vec<String> {
        self.rows(
            "SELECT c.shortname || ' ' || g.name || ' ' || u.username || ' ' || CASE gm.component WHEN '' THEN '-' ELSE gm.component END
             FROM groups_members gm JOIN groups g ON g.id = gm.groupid JOIN course c ON c.id = g.courseid JOIN user u ON u.id = gm.userid
             ORDER BY c.shortname, g.name, u.username",
        )
    }

    /// `course name` of every group.
    pub fn group_names(&self) -> Vec<String> {
        self.rows("SELECT c.shortname || ' ' || g.name FROM groups g JOIN course c ON c.id = g.courseid ORDER BY 1")
    }

    /// The first column of every row of `sql`, as text.
    pub fn rows(&self, sql: &str) -> Vec<String> {
        let db = self.db();
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
    }

    /// Every row (timestamps included) of `tables` (name, ORDER BY), one `|`-joined string each.
    pub fn table_rows(&self, tables: &[(&'static str, &str)]) -> BTreeMap<&'static str, Vec<String>> {
        let db = self.db();
        tables
            .iter()
            .map(|(table, order)| {
                let mut stmt = db.prepare(&format!("SELECT * FROM {table} ORDER BY {order}")).unwrap();
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        Ok((0..n).map(|i| show_sql(r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                (*table, rows)
            })
            .collect()
    }

    /// Every row (timestamps included) of the enrolment-side tables: instances, enrolments, role
    /// assignments, groups, memberships.
    pub fn enrol_state(&self) -> BTreeMap<&'static str, Vec<String>> {
        self.table_rows(&ENROL_TABLES)
    }
}

/// `strs(&["a", "b"])` as owned strings, to compare with the state readers above.
pub fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
pub mod api;
pub mod console;

/// An installation whose target is the fake Moodle `fake` (its address and token).
pub fn on_moodle(fake: &lmsync_moodle_fake::FakeMoodle) -> Lms {
    Lms::new()
        .with("LMSYNC_TARGET__KIND", "moodle")
        .with("LMSYNC_TARGET__URL", &fake.url())
        .with("LMSYNC_TARGET_TOKEN", &fake.token())
}

/// Creates courses on the fake site as an administrator would: shortname = fullname, in
/// Moodle's default category 1.
pub fn moodle_courses(fake: &lmsync_moodle_fake::FakeMoodle, shortnames: &[&str]) {
    use lmsync_moodle::{ClientOptions, MoodleClient, Param, Params};
    let client = MoodleClient::new(&fake.url(), &fake.token(), ClientOptions::default()).unwrap();
    let list = Param::list(shortnames.iter().map(|s| {
        Param::obj([("fullname", Param::from(*s)), ("shortname", Param::from(*s)), ("categoryid", Param::from(1i64))])
    }));
    client.call("core_course_create_courses", &Params::new().with("courses", list)).unwrap();
}
