//! One conformance suite run against both targets: every scenario's command files go through the
//! real binary once against the embedded SQLite store and once against the fake Moodle site, and
//! after each step the two must hold the same accounts, enrolments, roles, groups and cohorts and
//! report the same outcome per line. What Moodle cannot express is declared per step (the lines
//! it refuses and why) and asserted as such, never skipped. Each scenario ends by running its
//! last file again: nothing is written to the site and neither end state moves.

mod common;

use common::*;
use lmsync_moodle::{ClientOptions, MoodleClient, Param, Params};
use lmsync_moodle_fake::state::CONTEXT_COURSE;
use lmsync_moodle_fake::{Config, FakeMoodle};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::time::{SystemTime, UNIX_EPOCH};

// ---- What both targets are compared on ----

/// An enrolment date as compared: the planner stamps an enrolment made without a start date
/// with its own "now", which differs between the two runs by the seconds between them; any date
/// inside the scenario's run time reads as `Recent`. Scenario dates are chosen far from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum When {
    Never,
    Recent,
    At(i64),
}

/// The fields of an account both targets keep.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    firstname: String,
    lastname: String,
    email: String,
    idnumber: String,
    auth: String,
    suspended: bool,
    city: String,
    country: String,
    lang: String,
    url: String,
}

/// One user enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Enrolment {
    suspended: bool,
    timestart: When,
    timeend: When,
}

/// A target's end state, ids replaced by usernames and course shortnames, with no order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct EndState {
    /// Live accounts by username (the two built-in ones left out).
    users: BTreeMap<String, Account>,
    /// (course, username, method) → enrolment.
    enrolments: BTreeMap<(String, String, String), Enrolment>,
    /// (course, username) → role shortnames held in the course, whatever owns them.
    roles: BTreeMap<(String, String), BTreeSet<String>>,
    /// Courses by shortname (the site course of Moodle left out) → (fullname, idnumber).
    courses: BTreeMap<String, (String, String)>,
    /// (course, group name) → member usernames (empty groups included).
    groups: BTreeMap<(String, String), BTreeSet<String>>,
    /// (course, grouping name) → names of its groups.
    groupings: BTreeMap<(String, String), BTreeSet<String>>,
    /// (idnumber, name) → member usernames.
    cohorts: BTreeMap<(String, String), BTreeSet<String>>,
}

/// The built-in accounts both targets install (guest 1, admin 2): no scenario touches them and
/// their install-time fields differ (the fake gives them e-mails).
fn built_in(username: &str) -> bool {
    matches!(username, "guest" | "admin")
}

/// Reads dates relative to the scenario's run time.
#[derive(Clone, Copy)]
struct Window {
    from: i64,
}

impl Window {
    fn when(&self, ts: i64) -> When {
        let now = unix_now();
        match ts {
            0 => When::Never,
            t if t >= self.from && t <= now + 5 => When::Recent,
            t => When::At(t),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The SQLite side, read with SQL over `lms.db`.
fn sqlite_state(lms: &Lms, window: Window) -> EndState {
    let db = lms.db();
    let rows = |sql: &str, n: usize| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect()).unwrap().map(Result::unwrap).collect()
    };
    let s = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(t) => t.clone(),
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Null => String::new(),
        other => panic!("unexpected value {other:?}"),
    };
    let i = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Integer(i) => *i,
        other => panic!("not an integer: {other:?}"),
    };
    let mut st = EndState::default();
    for r in rows(
        "SELECT username, firstname, lastname, email, idnumber, auth, suspended, city, country, lang, url FROM user WHERE deleted = 0",
        11,
    ) {
        if built_in(&s(&r[0])) {
            continue;
        }
        st.users.insert(
            s(&r[0]),
            Account {
                firstname: s(&r[1]),
                lastname: s(&r[2]),
                email: s(&r[3]),
                idnumber: s(&r[4]),
                auth: s(&r[5]),
                suspended: i(&r[6]) != 0,
                city: s(&r[7]),
                country: s(&r[8]),
                lang: s(&r[9]),
                url: s(&r[10]),
            },
        );
    }
    for r in rows(
        "SELECT c.shortname, u.username, e.enrol, ue.status, ue.timestart, ue.timeend
         FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid JOIN course c ON c.id = e.course
         JOIN user u ON u.id = ue.userid",
        6,
    ) {
        // lmsync's `sync` method has no Moodle counterpart: the Moodle target carries it out
        // through the manual instance (DECISIONS §5), so both read as manual here.
        let method = match s(&r[2]).as_str() {
            "sync" => "manual".to_string(),
            m => m.to_string(),
        };
        let e =
            Enrolment { suspended: i(&r[3]) != 0, timestart: window.when(i(&r[4])), timeend: window.when(i(&r[5])) };
        if let Some(other) = st.enrolments.insert((s(&r[0]), s(&r[1]), method), e) {
            // Enrolled through both manual and sync: two enrolments here, which Moodle would
            // hold as one. Kept apart, so that they never compare equal to a single one.
            st.enrolments.insert((s(&r[0]), s(&r[1]), "manual+sync".into()), other);
        }
    }
    for r in rows(
        "SELECT c.shortname, u.username, r.shortname FROM role_assignments ra JOIN role r ON r.id = ra.roleid
         JOIN course c ON c.id = ra.courseid JOIN user u ON u.id = ra.userid",
        3,
    ) {
        st.roles.entry((s(&r[0]), s(&r[1]))).or_default().insert(s(&r[2]));
    }
    // Every group and cohort, members or not (a member of none reads as NULL, shown as "").
    let members = |sql: &str| -> BTreeMap<(String, String), BTreeSet<String>> {
        let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for r in rows(sql, 3) {
            let set = out.entry((s(&r[0]), s(&r[1]))).or_default();
            if !matches!(r[2], rusqlite::types::Value::Null) {
                set.insert(s(&r[2]));
            }
        }
        out
    };
    st.groups = members(
        "SELECT c.shortname, g.name, u.username FROM groups g JOIN course c ON c.id = g.courseid
         LEFT JOIN groups_members gm ON gm.groupid = g.id LEFT JOIN user u ON u.id = gm.userid",
    );
    st.groupings = members(
        "SELECT c.shortname, gg.name, g.name FROM groupings gg JOIN course c ON c.id = gg.courseid
         LEFT JOIN groupings_groups b ON b.groupingid = gg.id LEFT JOIN groups g ON g.id = b.groupid",
    );
    for r in rows("SELECT shortname, fullname, idnumber FROM course", 3) {
        st.courses.insert(s(&r[0]), (s(&r[1]), s(&r[2])));
    }
    st.cohorts = members(
        "SELECT c.idnumber, c.name, u.username FROM cohort c
         LEFT JOIN cohort_members m ON m.cohortid = c.id LEFT JOIN user u ON u.id = m.userid",
    );
    st
}

/// The Moodle side, read from the fake's tables.
fn moodle_state(fake: &FakeMoodle, window: Window) -> EndState {
    let f = fake.state();
    let username = |id: i64| f.users.get(&id).map(|u| u.username.clone()).unwrap_or_else(|| format!("#user{id}"));
    let course = |id: i64| f.courses.get(&id).map(|c| c.shortname.clone()).unwrap_or_else(|| format!("#course{id}"));
    let mut st = EndState::default();
    for u in f.users.values().filter(|u| !u.deleted && !built_in(&u.username)) {
        let extra = |k: &str| u.extra.get(k).cloned().unwrap_or_default();
        st.users.insert(
            u.username.clone(),
            Account {
                firstname: u.firstname.clone(),
                lastname: u.lastname.clone(),
                email: u.email.clone(),
                idnumber: u.idnumber.clone(),
                auth: u.auth.clone(),
                suspended: u.suspended,
                city: extra("city"),
                country: extra("country"),
                lang: u.lang.clone(),
                url: extra("url"),
            },
        );
    }
    for ue in f.user_enrolments.values() {
        let instance = &f.enrol_instances[&ue.instanceid];
        st.enrolments.insert(
            (course(instance.courseid), username(ue.userid), instance.plugin.clone()),
            Enrolment {
                suspended: ue.status != 0,
                timestart: window.when(ue.timestart),
                timeend: window.when(ue.timeend),
            },
        );
    }
    for ra in f.role_assignments.values() {
        let ctx = &f.contexts[&ra.contextid];
        if ctx.level != CONTEXT_COURSE {
            continue;
        }
        let role =
            f.roles.get(&ra.roleid).map(|r| r.shortname.clone()).unwrap_or_else(|| format!("#role{}", ra.roleid));
        st.roles.entry((course(ctx.instanceid), username(ra.userid))).or_default().insert(role);
    }
    for c in f.courses.values().filter(|c| c.format != "site") {
        st.courses.insert(c.shortname.clone(), (c.fullname.clone(), c.idnumber.clone()));
    }
    for g in f.groupings.values() {
        st.groupings.insert((course(g.courseid), g.name.clone()), BTreeSet::new());
    }
    for (grouping, group) in &f.grouping_groups {
        let (Some(grouping), Some(group)) = (f.groupings.get(grouping), f.groups.get(group)) else { continue };
        st.groupings.entry((course(grouping.courseid), grouping.name.clone())).or_default().insert(group.name.clone());
    }
    let group_key = |id: i64| f.groups.get(&id).map(|g| (course(g.courseid), g.name.clone()));
    for g in f.groups.values() {
        st.groups.insert((course(g.courseid), g.name.clone()), BTreeSet::new());
    }
    for m in &f.group_members {
        let key = group_key(m.groupid).unwrap_or_else(|| (String::new(), format!("#group{}", m.groupid)));
        st.groups.entry(key).or_default().insert(username(m.userid));
    }
    let cohort_key = |id: i64| f.cohorts.get(&id).map(|c| (c.idnumber.clone(), c.name.clone()));
    for c in f.cohorts.values() {
        st.cohorts.insert((c.idnumber.clone(), c.name.clone()), BTreeSet::new());
    }
    for (cohort, user) in &f.cohort_members {
        let key = cohort_key(*cohort).unwrap_or_else(|| (String::new(), format!("#cohort{cohort}")));
        st.cohorts.entry(key).or_default().insert(username(*user));
    }
    st
}

/// Every key whose value differs between two maps, readably.
fn diff_map<K: Ord + Debug, V: PartialEq + Debug>(what: &str, a: &BTreeMap<K, V>, b: &BTreeMap<K, V>) -> Vec<String> {
    let keys: BTreeSet<&K> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(k) != b.get(k))
        .map(|k| format!("{what} {k:?}: sqlite {:?} / moodle {:?}", a.get(k), b.get(k)))
        .collect()
}

fn diff(sqlite: &EndState, moodle: &EndState) -> Vec<String> {
    let mut out = diff_map("user", &sqlite.users, &moodle.users);
    out.extend(diff_map("enrolment", &sqlite.enrolments, &moodle.enrolments));
    out.extend(diff_map("roles", &sqlite.roles, &moodle.roles));
    out.extend(diff_map("course", &sqlite.courses, &moodle.courses));
    out.extend(diff_map("group", &sqlite.groups, &moodle.groups));
    out.extend(diff_map("grouping", &sqlite.groupings, &moodle.groupings));
    out.extend(diff_map("cohort", &sqlite.cohorts, &moodle.cohorts));
    out
}

// ---- Scenarios as data ----

/// The tool (and operation) a step runs.
#[derive(Debug, Clone, Copy)]
enum Tool {
    Users,
    Enrols,
    Courses(&'static str),
    Groups(&'static str),
    Cohorts(&'static str),
}

impl Tool {
    fn args(self) -> Vec<&'static str> {
        match self {
            Tool::Users => vec!["run", "users"],
            Tool::Enrols => vec!["run", "enrols"],
            Tool::Courses(op) => vec!["run", "courses", "--op", op],
            Tool::Groups(op) => vec!["run", "groups", "--op", op],
            Tool::Cohorts(op) => vec!["run", "cohorts", "--op", op],
        }
    }
}

/// The CSV of a step: written inline or one of the upstream samples.
#[derive(Debug, Clone)]
enum Csv {
    Text(&'static str),
    Fixture(&'static str),
}

/// What the Moodle run of a step does compared with the SQLite run.
#[derive(Clone)]
enum Moodle {
    /// The same outcome per line and the same end state.
    Same,
    /// Moodle cannot carry out these lines as SQLite does: each reports `outcome` with `code`
    /// there (`failed` when Moodle refuses it; `why` says what Moodle lacks); every other line
    /// has the SQLite outcome. `sqlite_only` turns the SQLite end state into what Moodle can
    /// hold, for this and every later comparison.
    Differs {
        lines: &'static [u64],
        outcome: &'static str,
        code: &'static str,
        why: &'static str,
        sqlite_only: fn(&mut EndState),
    },
}

#[derive(Clone)]
struct Step {
    tool: Tool,
    csv: Csv,
    /// Settings of this step only (both targets).
    env: &'static [(&'static str, &'static str)],
    moodle: Moodle,
    /// The step is a file run again: it must change nothing on SQLite and send no write to the
    /// site (every other step must change something on SQLite, or it would compare nothing new).
    again: bool,
}

fn step(tool: Tool, csv: Csv) -> Step {
    Step { tool, csv, env: &[], moodle: Moodle::Same, again: false }
}

fn users(csv: &'static str) -> Step {
    step(Tool::Users, Csv::Text(csv))
}

fn enrols(csv: &'static str) -> Step {
    step(Tool::Enrols, Csv::Text(csv))
}

fn fixture(tool: Tool, name: &'static str) -> Step {
    step(tool, Csv::Fixture(name))
}

impl Step {
    fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Step {
        self.env = env;
        self
    }

    fn again(mut self) -> Step {
        self.again = true;
        self
    }

    fn moodle_refuses(
        self,
        lines: &'static [u64],
        code: &'static str,
        why: &'static str,
        sqlite_only: fn(&mut EndState),
    ) -> Step {
        self.moodle_reports(lines, "failed", code, why, sqlite_only)
    }

    fn moodle_reports(
        mut self,
        lines: &'static [u64],
        outcome: &'static str,
        code: &'static str,
        why: &'static str,
        sqlite_only: fn(&mut EndState),
    ) -> Step {
        self.moodle = Moodle::Differs { lines, outcome, code, why, sqlite_only };
        self
    }
}

struct Scenario {
    /// Course shortnames that exist before the first step.
    courses: &'static [&'static str],
    /// Cohorts (idnumber, name) that exist before the first step.
    cohorts: &'static [(&'static str, &'static str)],
    /// Settings of every step (both targets).
    env: &'static [(&'static str, &'static str)],
    steps: Vec<Step>,
    /// What Moodle does on the second run of the last file, when it is neither the same as
    /// SQLite nor the refusals of the first run.
    rerun: Option<Moodle>,
}

impl Scenario {
    fn new(courses: &'static [&'static str], steps: Vec<Step>) -> Scenario {
        Scenario { courses, cohorts: &[], env: &[], steps, rerun: None }
    }

    fn with_cohorts(mut self, cohorts: &'static [(&'static str, &'static str)]) -> Scenario {
        self.cohorts = cohorts;
        self
    }

    fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Scenario {
        self.env = env;
        self
    }

    fn rerun(mut self, moodle: Moodle) -> Scenario {
        self.rerun = Some(moodle);
        self
    }
}

// ---- Running a scenario on both targets ----

/// One target: its lmsync installation and, for Moodle, the fake site it writes to.
struct Side {
    name: &'static str,
    lms: Lms,
    fake: Option<FakeMoodle>,
}

/// What one run of a step reported.
struct Outcome {
    ran: Ran,
    /// line → (outcome, code).
    lines: BTreeMap<u64, (String, String)>,
}

impl Outcome {
    /// The run's output and its report, for assertion messages.
    fn shown(&self) -> String {
        let report = self.ran.report().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
        format!("{}{report}", self.ran.all())
    }
}

impl Side {
    fn sqlite() -> Side {
        Side { name: "sqlite", lms: Lms::new(), fake: None }
    }

    fn moodle() -> Side {
        let fake = FakeMoodle::start(Config::default()).unwrap();
        let lms = on_moodle(&fake);
        Side { name: "moodle", lms, fake: Some(fake) }
    }

    /// Creates the courses the way each target's administrator would: a courses file through
    /// lmsync on SQLite, `core_course_create_courses` on the site.
    fn create_courses(&self, shortnames: &[&str]) {
        if shortnames.is_empty() {
            return;
        }
        match &self.fake {
            None => {
                let mut csv = String::from("shortname;fullname;category\n");
                for s in shortnames {
                    csv.push_str(&format!("{s};{s};Tests\n"));
                }
                let r = self.lms.courses_file("create", "setup-courses.csv", csv, &[]);
                assert_eq!(r.code, 0, "setting up courses: {}", r.all());
                assert_eq!(r.count("created"), shortnames.len() as u64, "{}", r.all());
            }
            Some(fake) => moodle_courses(fake, shortnames),
        }
    }

    /// Creates system cohorts: a cohorts file through lmsync on SQLite,
    /// `core_cohort_create_cohorts` on the site.
    fn create_cohorts(&self, cohorts: &[(&str, &str)]) {
        if cohorts.is_empty() {
            return;
        }
        match &self.fake {
            None => {
                let mut csv = String::from("cmd;cname;cidnumber\n");
                for (idnumber, name) in cohorts {
                    csv.push_str(&format!("add;{name};{idnumber}\n"));
                }
                let r = self.lms.cohorts_file("members", "setup-cohorts.csv", csv, &[]);
                assert_eq!(r.code, 0, "setting up cohorts: {}", r.all());
            }
            Some(fake) => {
                let client = MoodleClient::new(&fake.url(), &fake.token(), ClientOptions::default()).unwrap();
                let list = Param::list(cohorts.iter().map(|(idnumber, name)| {
                    Param::obj([
                        ("categorytype", Param::obj([("type", Param::from("system")), ("value", Param::from(""))])),
                        ("name", Param::from(*name)),
                        ("idnumber", Param::from(*idnumber)),
                    ])
                }));
                client.call("core_cohort_create_cohorts", &Params::new().with("cohorts", list)).unwrap();
            }
        }
    }

    fn run(&mut self, n: usize, step: &Step, common_env: &[(&str, &str)]) -> Outcome {
        let env: Vec<(&str, &str)> = common_env.iter().chain(step.env).copied().collect();
        for (k, v) in &env {
            self.lms.set(k, v);
        }
        let path = match &step.csv {
            Csv::Text(text) => self.lms.write(&format!("step{n}.csv"), text),
            Csv::Fixture(name) => self.lms.fixture(name),
        };
        let mut args = step.tool.args();
        args.extend(["--file", path.to_str().unwrap()]);
        let ran = self.lms.exec(&args);
        for (k, _) in &env {
            self.lms.unset(k);
        }
        assert!(ran.code <= 1, "{} step {n}: the run did not finish: {}", self.name, ran.all());
        let report = self.lms.json_report(ran.run_id());
        let lines = lines(&report)
            .iter()
            .map(|l: &Value| {
                let code = l["code"].as_str().unwrap_or("").to_string();
                (l["line"].as_u64().unwrap(), (l["outcome"].as_str().unwrap().to_string(), code))
            })
            .collect();
        Outcome { ran, lines }
    }

    fn state(&self, window: Window) -> EndState {
        match &self.fake {
            None => sqlite_state(&self.lms, window),
            Some(fake) => moodle_state(fake, window),
        }
    }
}

/// Asserts that the Moodle run reported what the SQLite run did, line by line and in its counts,
/// except for the lines the step declares Moodle reports otherwise.
fn assert_same_outcomes(label: &str, step: &Step, sqlite: &Outcome, moodle: &Outcome) {
    let (refused, outcome): (&[u64], &str) = match &step.moodle {
        Moodle::Same => (&[], ""),
        Moodle::Differs { lines, outcome, code, why, .. } => {
            for line in *lines {
                let got = moodle.lines.get(line);
                assert_eq!(
                    got.map(|(o, c)| (o.as_str(), c.as_str())),
                    Some((*outcome, *code)),
                    "{label}: Moodle should report line {line} {outcome} ({why}); sqlite: {:?}\nmoodle run: {}",
                    sqlite.lines.get(line),
                    moodle.shown()
                );
                assert_ne!(
                    sqlite.lines.get(line).map(|(o, _)| o.as_str()),
                    Some(*outcome),
                    "{label}: line {line} is declared one Moodle reports otherwise, but SQLite does the same: {}",
                    sqlite.shown()
                );
            }
            (lines, outcome)
        }
    };
    let keys: BTreeSet<&u64> = sqlite.lines.keys().chain(moodle.lines.keys()).collect();
    let differing: Vec<String> = keys
        .into_iter()
        .filter(|l| !refused.contains(l) && sqlite.lines.get(l) != moodle.lines.get(l))
        .map(|l| format!("line {l}: sqlite {:?} / moodle {:?}", sqlite.lines.get(l), moodle.lines.get(l)))
        .collect();
    assert!(
        differing.is_empty(),
        "{label}: the targets report different outcomes:\n{}\n--- sqlite:\n{}\n--- moodle:\n{}",
        differing.join("\n"),
        sqlite.shown(),
        moodle.shown()
    );
    // The counts line follows: SQLite's, with each declared line moved to its Moodle outcome.
    let mut expected = sqlite.ran.counts();
    for line in refused {
        let (was, _) = &sqlite.lines[line];
        *expected.get_mut(was.as_str()).unwrap_or_else(|| panic!("no {was} count")) -= 1;
        *expected.get_mut(outcome).unwrap_or_else(|| panic!("no {outcome} count")) += 1;
    }
    assert_eq!(moodle.ran.counts(), expected, "{label}: counts\n{}\n{}", sqlite.shown(), moodle.shown());
    assert_eq!(moodle.ran.code, if expected["failed"] > 0 { 1 } else { sqlite.ran.code }, "{label}: exit code");
}

fn assert_same_state(label: &str, sqlite: &EndState, moodle: &EndState) {
    let d = diff(sqlite, moodle);
    assert!(d.is_empty(), "{label}: the targets hold different end states:\n{}", d.join("\n"));
}

fn run(scenario: Scenario) {
    let window = Window { from: unix_now() - 1 };
    let mut sqlite = Side::sqlite();
    let mut moodle = Side::moodle();
    for side in [&sqlite, &moodle] {
        side.create_courses(scenario.courses);
        side.create_cohorts(scenario.cohorts);
    }
    let mut sqlite_only: Vec<fn(&mut EndState)> = Vec::new();
    let mut states = (EndState::default(), EndState::default());
    for (n, step) in scenario.steps.iter().enumerate() {
        let label = format!("step {} ({:?} {:?})", n + 1, step.tool, step.csv);
        let writes = moodle_writes(&moodle);
        let a = sqlite.run(n + 1, step, scenario.env);
        let b = moodle.run(n + 1, step, scenario.env);
        let changed = sqlite.lms.journalled(a.ran.run_id()) > 0;
        assert_eq!(changed, !step.again, "{label}: changes on SQLite: {changed}\n{}", a.shown());
        if step.again {
            assert_eq!(moodle_writes(&moodle), writes, "{label}: writes were sent to the site\n{}", b.shown());
        }
        assert_same_outcomes(&label, step, &a, &b);
        if let Moodle::Differs { sqlite_only: f, .. } = &step.moodle {
            sqlite_only.push(*f);
        }
        states = compare(&label, &sqlite, &moodle, &sqlite_only, window);
    }

    // The last file once more: nothing is written to the site, and nothing moves on either side.
    let (n, last) = (scenario.steps.len(), scenario.steps.last().expect("a scenario has steps"));
    let label = format!("second run of step {n} ({:?} {:?})", last.tool, last.csv);
    // A line Moodle refused is refused again; a line it carried out otherwise is now unchanged,
    // as on SQLite.
    let repeated = match &last.moodle {
        Moodle::Differs { outcome: "failed", .. } => last.moodle.clone(),
        _ => Moodle::Same,
    };
    let last = &Step { moodle: scenario.rerun.clone().unwrap_or(repeated), ..last.clone() };
    let writes = moodle_writes(&moodle);
    let a = sqlite.run(n + 1, last, scenario.env);
    let b = moodle.run(n + 1, last, scenario.env);
    assert_eq!(moodle_writes(&moodle), writes, "{label}: writes were sent to the site\n{}", b.shown());
    assert_eq!(sqlite.lms.journalled(a.ran.run_id()), 0, "{label}: the SQLite run changed something\n{}", a.shown());
    assert_same_outcomes(&label, last, &a, &b);
    let again = compare(&label, &sqlite, &moodle, &sqlite_only, window);
    assert_eq!(again.0, states.0, "{label}: the SQLite end state moved");
    assert_eq!(again.1, states.1, "{label}: the Moodle end state moved");
}

fn moodle_writes(side: &Side) -> usize {
    side.fake.as_ref().map_or(0, FakeMoodle::write_count)
}

/// Reads both end states, takes out of the SQLite one what Moodle was declared unable to hold,
/// and asserts they are equal. Returns them.
fn compare(
    label: &str,
    sqlite: &Side,
    moodle: &Side,
    sqlite_only: &[fn(&mut EndState)],
    window: Window,
) -> (EndState, EndState) {
    let mut a = sqlite.state(window);
    for f in sqlite_only {
        f(&mut a);
    }
    let b = moodle.state(window);
    assert_same_state(label, &a, &b);
    (a, b)
}

/// One `#[test]` per scenario: adding a scenario is one entry here.
macro_rules! scenarios {
    ($($name:ident => $scenario:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run($scenario);
            }
        )*
    };
}

scenarios! {
    users_create_update_suspend_delete => users_lifecycle();
    users_renamed_reauthenticated_with_passwords => users_other_fields();
    users_with_a_field_moodle_does_not_keep => users_url();
    users_deleted_then_back_in_a_file => users_back();
    users_joining_cohorts => users_cohorts();
    users_with_enrolment_columns => users_enrolling();
    enrolments_add_dates_shift_del => enrolments_manual();
    enrolments_through_sync => enrolments_sync();
    enrolments_through_methods_moodle_lacks => enrolments_other_methods();
    enrolments_with_group_commands => enrolments_groups();
    enrolments_with_protected_groups => enrolments_protected_groups();
    enrolments_that_cannot_be_made => enrolments_bad_input();
    enrolments_manual_and_sync_in_one_course => enrolments_manual_and_sync();
    courses_created => courses_create();
    groups_and_groupings => groups_definitions();
    cohorts_and_members => cohorts_members();
}

// ---- The scenarios ----

/// Upstream's account samples matched by username (they have no idnumber at first).
const BY_USERNAME: &[(&str, &str)] = &[("LMSYNC_USERS__PRIMARY_IDENTITY", "username")];

/// Accounts created from upstream's sample (ugr2–4 and ugr20–40 reuse an e-mail, which neither
/// target allows by default), given idnumbers and new e-mails, then a city and a suspension,
/// upstream's suspensions and deletions.
fn users_lifecycle() -> Scenario {
    Scenario::new(
        &[],
        vec![
            fixture(Tool::Users, "user_create_sample.csv"),
            fixture(Tool::Users, "user_update_sample.csv").env(&[("LMSYNC_USERS__PROTECT_EMAILS", "false")]),
            users(
                "username;firstname;lastname;city;suspended\n\
                 john.doe;John;Doe;Paris;0\n\
                 amelie.dupont;Amélie;Dupont;Lyon;1\n\
                 jack.duf;Jack;Duff;;0\n",
            ),
            users(
                "username;firstname;lastname;city;suspended\n\
                 amelie.dupont;Amélie;Dupont;Lyon;0\n\
                 john.doe;John;Doe;Nantes;0\n",
            ),
            fixture(Tool::Users, "user_suspend_sample.csv"),
            fixture(Tool::Users, "user_delete_sample.csv"),
        ],
    )
    .env(BY_USERNAME)
    .rerun(Moodle::Differs {
        lines: &[2, 3, 4],
        outcome: "failed",
        code: "user.delete_not_found",
        why: "Moodle rewrites a deleted account's username, e-mail and idnumber and its web services never return deleted accounts, so the account the file deletes again is nowhere to be found; SQLite keeps the username and reports the line unchanged",
        sqlite_only: |_| {},
    })
}

/// Accounts renamed (oldusername), moved to another authentication and language, given a new
/// e-mail and idnumber, with passwords set on creation and changed.
fn users_other_fields() -> Scenario {
    Scenario::new(
        &[],
        vec![
            users(
                "username;firstname;lastname;email;idnumber;password;lang;auth\n\
                 john.doe;John;Doe;johndoe@foo.com;U0001;Secret#2026;en;manual\n\
                 amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;;fr;manual\n\
                 jack.duf;Jack;Duff;jack.duff@foo.com;U0003;;en;nologin\n",
            ),
            users(
                "oldusername;username;firstname;lastname;email;idnumber;password;lang;auth\n\
                 john.doe;jdoe;John;Doe;johndoe@foo.com;U0001;Other#2027;fr;manual\n\
                 ;amelie.dupont;Amélie;Dupont-Martin;amelie@foo.com;U0012;;en;nologin\n\
                 ;jack.duf;Jack;Duff;jack.duff@foo.com;U0003;;en;manual\n",
            )
            .env(&[("LMSYNC_USERS__ALLOW_RENAME", "true"), ("LMSYNC_USERS__PROTECT_EMAILS", "false")]),
        ],
    )
    .env(BY_USERNAME)
}

/// An account with a web page (`url`): the embedded store keeps it; core Moodle's user
/// functions have no such key.
fn users_url() -> Scenario {
    Scenario::new(
        &[],
        vec![
            users(
                "username;firstname;lastname;email;idnumber;url\n\
             john.doe;John;Doe;johndoe@foo.com;U0001;https://example.com/john\n\
             jack.duf;Jack;Duff;jack.duff@foo.com;U0003;\n",
            )
            .moodle_refuses(&[2], "moodle.unsupported", "core_user_create_users has no url key", |st| {
                st.users.remove("john.doe");
            }),
            users("username;firstname;lastname;url\njack.duf;Jack;Duff;https://example.com/jack\n").moodle_refuses(
                &[2],
                "moodle.unsupported",
                "core_user_update_users has no url key",
                |st| st.users.get_mut("jack.duf").expect("jack.duf").url.clear(),
            ),
        ],
    )
}

/// An account deleted, then named again in a file that creates accounts.
fn users_back() -> Scenario {
    Scenario::new(
        &[],
        vec![
            users(
                "username;firstname;lastname;email;idnumber\n\
                 john.doe;John;Doe;johndoe@foo.com;U0001\n\
                 jack.duf;Jack;Duff;jack.duff@foo.com;U0003\n",
            ),
            users("username;firstname;lastname;deleted\njack.duf;Jack;Duff;1\n"),
            users("username;firstname;lastname;email;idnumber\njack.duf;Jack;Duff;jack.duff@foo.com;U0003\n")
                .moodle_reports(
                    &[2],
                    "created",
                    "",
                    "Moodle cannot undelete an account and never returns a deleted one: the embedded store revives it, Moodle gets a new account with the same fields",
                    |_| {},
                ),
        ],
    )
    .env(BY_USERNAME)
}

/// Accounts joining cohorts through the `cohort` column (by name) or `cohortid` (idnumber).
fn users_cohorts() -> Scenario {
    Scenario::new(
        &[],
        vec![
            users(
                "username;firstname;lastname;email;idnumber;cohort;cohortid\n\
                 john.doe;John;Doe;johndoe@foo.com;U0001;Teachers;COH001\n\
                 amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;Students;\n\
                 jack.duf;Jack;Duff;jack.duff@foo.com;U0003;;\n",
            ),
            users(
                "username;firstname;lastname;email;idnumber;cohort\n\
                 jack.duf;Jack;Duff;jack.duff@foo.com;U0003;Students\n\
                 john.doe;John;Doe;johndoe@foo.com;U0001;Students\n",
            ),
            // A cohort no one has made: the embedded store creates it in the system context.
            users(
                "username;firstname;lastname;email;idnumber;cohort;cohortid\n\
                 yyang;Yum;Yang;yyang@foo.com;U0005;Tutors;COH003\n",
            ),
        ],
    )
    .with_cohorts(&[("COH001", "Teachers"), ("COH002", "Students")])
}

/// The accounts of the enrolment scenarios: upstream's five sample people with their idnumbers
/// (the enrolment tool names users by idnumber by default).
const PEOPLE: &str = "username;firstname;lastname;email;idnumber;country\n\
    john.doe;John;Doe;johndoe@foo.com;U0001;GB\n\
    amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;FR\n\
    jack.duf;Jack;Duff;jack.duff@foo.com;U0003;US\n\
    ggrass;Günter;Grass;ggrass@foo.com;U0004;DE\n\
    yyang;Yum;Yang;yyang@foo.com;U0005;CN\n";

const SAMPLE_COURSES: &[&str] = &["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3"];

/// Takes a role the SQLite store holds alone out of its end state.
fn drop_role(st: &mut EndState, course: &str, username: &str, role: &str) {
    let key = (course.to_string(), username.to_string());
    let roles = st.roles.get_mut(&key).expect("the role to take out is there");
    assert!(roles.remove(role), "{username} holds no {role} in {course}");
    if roles.is_empty() {
        st.roles.remove(&key);
    }
}

/// A scenario on the sample courses whose first step creates `PEOPLE`.
fn on_sample_site(steps: Vec<Step>) -> Scenario {
    Scenario::new(SAMPLE_COURSES, std::iter::once(users(PEOPLE)).chain(steps).collect())
}

/// The second file of `users_enrolling`: other roles, dates (one to come) and courses.
const REENROLLED: &str = "username;firstname;lastname;email;idnumber;course1;role1;enrol1;start1;end1;group1;course2;role2\n\
     john.doe;John;Doe;johndoe@foo.com;U0001;TESTCOURSE1;editingteacher;manual;2027-10-01 08:00;;TEACHERS;TESTCOURSE3;editingteacher\n\
     amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;TESTCOURSE1;teacher;manual;;;GROUPB;TESTCOURSE2;student\n\
     jack.duf;Jack;Duff;jack.duff@foo.com;U0003;TESTCOURSE1;;sync;;1830000000;GROUPA;;\n";

/// Accounts created with enrolments in their lines (courseN, roleN, enrolN, startN, endN,
/// groupN), then the same accounts with other roles, dates and a further course.
fn users_enrolling() -> Scenario {
    Scenario::new(
        SAMPLE_COURSES,
        vec![
            users(
                "username;firstname;lastname;email;idnumber;course1;role1;enrol1;start1;end1;group1;course2;role2\n\
                 john.doe;John;Doe;johndoe@foo.com;U0001;TESTCOURSE1;editingteacher;manual;2027-09-01 08:00;2028-06-30 18:00;TEACHERS;TESTCOURSE2;teacher\n\
                 amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;TESTCOURSE1;student;manual;;;GROUPA;;\n\
                 jack.duf;Jack;Duff;jack.duff@foo.com;U0003;TESTCOURSE1;;sync;;;GROUPA;TESTCOURSE3;student\n",
            ),
            users(REENROLLED),
            // Enrolments not active now (to start, or ended) read back as they were made.
            users(REENROLLED).again(),
            // Deleting an account takes its enrolments, roles and memberships with it.
            users("username;firstname;lastname;deleted\njack.duf;Jack;Duff;1\n"),
            users(
                "username;firstname;lastname;email;idnumber;course1;role1;group1\n\
                 amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;TESTCOURSE3;student;GROUPC\n",
            ),
        ],
    )
}

/// The second file of `enrolments_manual`: a second role, new dates, dates that have passed.
const REDATED: &str = "cmd;cid;uid;rolename;enrol;starttime;endtime\n\
    add;TESTCOURSE1;U0002;teacher;manual;;\n\
    add;TESTCOURSE1;U0001;editingteacher;manual;2027-10-01 08:00;\n\
    add;TESTCOURSE2;U0003;student;manual;;1840000000\n\
    add;TESTCOURSE3;U0005;student;manual;;\n\
    add;TESTCOURSE3;U0002;student;manual;1600000000;1700000000\n";

/// Manual enrolments added with and without dates, given a second role and new dates, a role
/// shifted, then roles and enrolments deleted.
fn enrolments_manual() -> Scenario {
    on_sample_site(vec![
        enrols(
            "cmd;cid;uid;rolename;enrol;starttime;endtime\n\
                 add;TESTCOURSE1;U0001;editingteacher;manual;2027-09-01 08:00;2028-06-30 18:00\n\
                 add;TESTCOURSE1;U0002;student;manual;;\n\
                 add;TESTCOURSE1;U0003;student;manual;;\n\
                 add;TESTCOURSE2;U0003;student;manual;1820000000;\n\
                 add;TESTCOURSE2;U0004;teacher;manual;;\n\
                 add;TESTCOURSE3;U0005;student;manual;;1830000000\n",
        ),
        enrols(REDATED),
        // Enrolments not active now (to start, or ended) read back as they were made.
        enrols(REDATED).again(),
        enrols(
            "cmd;cid;uid;rolename;enrol\n\
                 shift;TESTCOURSE1;U0003;teacher;manual\n\
                 shift;TESTCOURSE2;U0004;student;manual\n\
                 shift;TESTCOURSE3;U0001;editingteacher;manual\n",
        ),
        enrols(
            "cmd;cid;uid;rolename;enrol\n\
                 del;TESTCOURSE1;U0002;teacher;manual\n\
                 del;TESTCOURSE2;U0004;;manual\n\
                 del;TESTCOURSE1;U0003;teacher;manual\n\
                 del;TESTCOURSE2;U0005;;manual\n",
        ),
    ])
}

/// Upstream's sample on lmsync's `sync` method, which Moodle carries out through the manual
/// instance (the SQLite reader shows `sync` as manual), then part of it deleted again.
fn enrolments_sync() -> Scenario {
    on_sample_site(vec![
        fixture(Tool::Enrols, "enrol_sample_on_sync_method.csv"),
        enrols(
            "cmd;cid;uid;rolename;enrol\n\
                 del;TESTCOURSE1;U0003;student;sync\n\
                 del;TESTCOURSE2;U0001;;sync\n\
                 add;TESTCOURSE2;U0005;teacher;\n",
        ),
    ])
}

/// Lines naming a method Moodle cannot enrol through, or no method at all: on SQLite a course
/// without an enabled `self` instance gets the role alone; Moodle cannot list roles of someone
/// not enrolled, so the Moodle target refuses such a line rather than make what it could never
/// check again.
fn enrolments_other_methods() -> Scenario {
    on_sample_site(vec![
        enrols(
            "cmd;cid;uid;rolename;enrol\n\
                 add;TESTCOURSE1;U0001;editingteacher;manual\n\
                 add;TESTCOURSE1;U0002;student;self\n\
                 add;TESTCOURSE2;U0003;student;manual\n",
        )
        .moodle_refuses(
            &[3],
            "moodle.role_without_enrolment",
            "no web service enrols through self, and Moodle lists roles only of participants",
            |st| {
                st.roles.remove(&("TESTCOURSE1".into(), "amelie.dupont".into()));
            },
        ),
        enrols(
            "cid;uid;rolename\n\
                 TESTCOURSE3;U0004;teacher\n\
                 TESTCOURSE1;U0001;teacher\n",
        )
        .moodle_refuses(
            &[2],
            "moodle.role_without_enrolment",
            "a file without an enrol column gives roles alone, which Moodle can list only for participants",
            |st| {
                st.roles.remove(&("TESTCOURSE3".into(), "ggrass".into()));
            },
        ),
    ])
}

/// Upstream's enrolment sample with its group commands (gadd, gaddcreate, greplace,
/// greplacecreate, gdel, groups that do not exist), then members moved and removed.
fn enrolments_groups() -> Scenario {
    on_sample_site(vec![
        fixture(Tool::Enrols, "enrol_sample.csv"),
        enrols(
            "cmd;cid;uid;rolename;enrol;gcmd;g1;g2\n\
                 add;TESTCOURSE1;U0003;student;manual;greplacecreate;GROUP1C;\n\
                 add;TESTCOURSE1;U0005;student;manual;gdel;GROUP1A;\n\
                 add;TESTCOURSE2;U0002;student;manual;gaddcreate;GROUP2A;GROUP2C\n\
                 del;TESTCOURSE1;U0004;;manual;;;\n",
        ),
    ])
}

/// Upstream's enrolment sample with memberships owned by lmsync (`protect_groups`), then a
/// replace and a delete that touch only those.
fn enrolments_protected_groups() -> Scenario {
    on_sample_site(vec![
        fixture(Tool::Enrols, "enrol_sample.csv"),
        enrols(
            "cmd;cid;uid;rolename;enrol;gcmd;g1\n\
             add;TESTCOURSE1;U0001;editingteacher;manual;greplace;GROUP1B\n\
             add;TESTCOURSE1;U0004;student;manual;gdel;GROUP1A\n",
        ),
    ])
    .env(&[("LMSYNC_ENROLS__PROTECT_GROUPS", "true")])
}

/// Lines that fail on both targets alike: unknown course, user, role, method and command, a
/// del of someone not enrolled, a group to add to that does not exist.
fn enrolments_bad_input() -> Scenario {
    on_sample_site(vec![enrols(
        "cmd;cid;uid;rolename;enrol;gcmd;g1\n\
         add;TESTCOURSE1;U0001;student;manual;;\n\
         add;NOSUCHCOURSE;U0001;student;manual;;\n\
         add;TESTCOURSE1;U9999;student;manual;;\n\
         add;TESTCOURSE1;U0002;nosuchrole;manual;;\n\
         add;TESTCOURSE1;U0002;student;nosuchmethod;;\n\
         enrol;TESTCOURSE1;U0002;student;manual;;\n\
         del;TESTCOURSE2;U0003;;manual;;\n\
         add;TESTCOURSE2;U0004;student;manual;gadd;NOSUCHGROUP\n",
    )
    .moodle_refuses(
        &[6],
        "moodle.role_without_enrolment",
        "an unknown method has no instance: the embedded store gives the role alone, which Moodle can list only for participants",
        |st| drop_role(st, "TESTCOURSE1", "amelie.dupont", "student"),
    )])
}

/// The same user enrolled in one course through manual, then through sync: the embedded store
/// keeps two enrolments; Moodle has one manual enrolment for both.
fn enrolments_manual_and_sync() -> Scenario {
    on_sample_site(vec![
        enrols("cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;U0001;student;manual\n"),
        enrols("cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;U0001;teacher;sync\n").moodle_reports(
            &[2],
            "updated",
            "",
            "Moodle has no sync method: the line adds its role to the one manual enrolment there",
            |st| {
                let key = |m: &str| ("TESTCOURSE1".to_string(), "john.doe".to_string(), m.to_string());
                st.enrolments.remove(&key("manual+sync")).expect("two enrolments on SQLite");
            },
        ),
        enrols("cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;U0001;student;manual\n").again(),
    ])
}

/// Courses created by a courses file.
fn courses_create() -> Scenario {
    Scenario::new(
        &["TESTCOURSE1"],
        vec![step(
            Tool::Courses("create"),
            Csv::Text(
                "shortname;fullname;idnumber;category\n\
                     TESTCOURSE4;Test course 4;TC4;Tests\n\
                     TESTCOURSE5;Test course 5;;Tests\n",
            ),
        )],
    )
}

/// Upstream's groups and groupings sample.
fn groups_definitions() -> Scenario {
    on_sample_site(vec![fixture(Tool::Groups("groups"), "groups.csv")])
}

/// Upstream's cohort sample, users named by idnumber (the GROUPEDUSERS lines name users that do
/// not exist, and fail on both).
fn cohorts_members() -> Scenario {
    on_sample_site(vec![
        fixture(Tool::Cohorts("members"), "cohort_create_sample.csv")
            .env(&[("LMSYNC_COHORTS__USER_IDENTIFIER", "idnumber")]),
    ])
}
