//! The cohort tool against a Moodle site (the fake one, over real HTTP): the upstream samples
//! create cohorts with their members, remove and add members, change a description and delete
//! the cohorts there; a second run sends no write; bindings are refused line by line (no web
//! service makes a cohort sync instance).

mod common;

use common::*;
use lmsync_moodle_fake::{Config, FakeMoodle};

const USERS: [(&str, &str); 13] = [
    ("john.doe", "U0001"),
    ("amelie.dupont", "U0002"),
    ("jack.duf", "U0003"),
    ("ggrass", "U0004"),
    ("yyang", "U0005"),
    ("ugr1", "UGR1"),
    ("ugr2", "UGR2"),
    ("ugr3", "UGR3"),
    ("ugr4", "UGR4"),
    ("ugr10", "UGR11"),
    ("ugr20", "UGR12"),
    ("ugr30", "UGR13"),
    ("ugr40", "UGR14"),
];

/// The cohort samples' accounts (idnumbers U0001… and UGR…), courses TESTCOURSE1–3, and the
/// cohort tool matching users by idnumber.
fn site() -> (FakeMoodle, Lms) {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    let lms = on_moodle(&fake).with("LMSYNC_COHORTS__USER_IDENTIFIER", "idnumber");
    moodle_courses(&fake, &["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3"]);
    let mut users = String::from("username;idnumber;firstname;lastname;email\n");
    for (u, idn) in USERS {
        users.push_str(&format!("{u};{idn};User;{u};{u}@foo.com\n"));
    }
    let r = lms.exec(&["run", "users", "--file", lms.write("users.csv", users).to_str().unwrap()]);
    assert_eq!(r.code, 0, "users: {}", r.all());
    (fake, lms)
}

fn run(lms: &Lms, op: &str, name: &str, bytes: impl AsRef<[u8]>) -> Ran {
    let path = lms.write(name, bytes);
    let mut r = lms.run_cohorts(op, &path, &[]);
    // The report's lines go with the output, so a failed assertion shows why each line failed.
    if let Some(report) = r.report() {
        r.stdout.push_str(&std::fs::read_to_string(report).unwrap_or_default());
    }
    r
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(Lms::new().fixture(name)).unwrap()
}

/// `idnumber | name | description` of every cohort on the site.
fn cohorts(fake: &FakeMoodle) -> Vec<String> {
    let mut out: Vec<String> =
        fake.state().cohorts.values().map(|c| format!("{} | {} | {}", c.idnumber, c.name, c.description)).collect();
    out.sort();
    out
}

/// `cohort idnumber: user idnumber` of every membership on the site.
fn members(fake: &FakeMoodle) -> Vec<String> {
    let st = fake.state();
    let mut out: Vec<String> = st
        .cohort_members
        .iter()
        .map(|(c, u)| format!("{}: {}", st.cohorts[c].idnumber, st.users[u].idnumber))
        .collect();
    out.sort();
    out
}

fn grouped() -> Vec<String> {
    ["UGR1", "UGR11", "UGR12", "UGR13", "UGR14", "UGR2", "UGR3", "UGR4"]
        .iter()
        .map(|u| format!("COHGRP: {u}"))
        .collect()
}

fn sample_members() -> Vec<String> {
    let mut v: Vec<String> = [
        "COH001: U0001",
        "COH001: U0002",
        "COH002: U0003",
        "COH002: U0004",
        "COH003: U0004",
        "COH003: U0005",
        "COH004: U0001",
        "COH004: U0004",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(grouped());
    v.sort();
    v
}

#[test]
fn the_cohort_samples_run_on_the_site_and_a_rerun_sends_no_write() {
    let (fake, lms) = site();
    let r = run(&lms, "members", "cohorts.csv", sample("cohort_create_sample.csv"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!((r.count("created"), r.count("updated")), (5, 11), "{}", r.all());
    assert_eq!(
        cohorts(&fake),
        [
            "COH001 | COHORT1 | Teacher Cohort 1",
            "COH002 | COHORT2 | Generated Cohort 2",
            "COH003 | COHORT3 | Generated Cohort 3",
            "COH004 | COHORT4 | ",
            "COHGRP | GROUPEDUSERS | ",
        ]
    );
    assert_eq!(members(&fake), sample_members());
    assert_eq!(fake.count("core_cohort_create_cohorts"), 1, "one batched creation");
    assert!(lms.journalled(r.run_id()) >= 16, "each line is journalled locally");

    let writes = fake.write_count();
    let r = run(&lms, "members", "cohorts.csv", sample("cohort_create_sample.csv"));
    assert_eq!(r.count("unchanged"), 16, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");

    // Members removed, then added back: COHGRP's are there already and change nothing.
    let r = run(&lms, "members", "del.csv", sample("cohort_delete_members_by_idnumber.csv"));
    assert_eq!(r.count("deleted"), 8, "{}", r.all());
    assert_eq!(members(&fake), grouped());
    let r = run(&lms, "members", "add.csv", sample("cohort_add_members_by_idnumber.csv"));
    assert_eq!((r.count("updated"), r.count("unchanged")), (8, 8), "{}", r.all());
    assert_eq!(members(&fake), sample_members());
    let writes = fake.write_count();
    let r = run(&lms, "members", "add.csv", sample("cohort_add_members_by_idnumber.csv"));
    assert_eq!(r.count("unchanged"), 16, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");

    // A new description: Moodle needs the cohort's context, asked of the site (system here).
    let r = run(&lms, "members", "desc.csv", "cmd;cidnumber;cdescription\nadd;COH004;Fourth\n");
    assert_eq!(r.count("updated"), 1, "{}", r.all());
    assert!(cohorts(&fake).contains(&"COH004 | COHORT4 | Fourth".to_string()));
    assert_eq!(fake.count("core_cohort_update_cohorts"), 1);

    // Bindings: no web service makes a cohort sync instance; each line fails saying so, and
    // nothing is sent.
    let writes = fake.write_count();
    let r = run(&lms, "bindings", "bind.csv", sample("cohort_bind_courses_sample.csv"));
    assert_eq!(r.count("failed"), 6, "{}", r.all());
    assert!(r.stdout.contains("cohort sync enrolment instance"), "{}", r.all());
    assert_eq!(fake.write_count(), writes);

    // Deleted, all five.
    let r = run(&lms, "members", "delete.csv", sample("cohort_delete_only_by_idnumber.csv"));
    assert_eq!(r.count("deleted"), 5, "{}", r.all());
    assert!(cohorts(&fake).is_empty());
    assert!(members(&fake).is_empty());
}

#[test]
fn a_second_cohort_without_idnumber_fails_alone_saying_what_to_give() {
    let (fake, lms) = site();
    let file = "cmd;cname;userid;cidnumber\nadd;First;U0001;\nadd;Second;U0002;\nadd;Third;U0003;C3\n";
    // A dry run already says so, and sends nothing.
    let writes = fake.write_count();
    let dry = lms.run_cohorts("members", &lms.write("cohorts.csv", file), &["--dry-run"]);
    assert_eq!(dry.count("created"), 2, "{}", dry.all());
    assert_eq!(dry.count("failed"), 1, "{}", dry.all());
    assert_eq!(fake.write_count(), writes);
    let r = run(&lms, "members", "cohorts.csv", file);
    assert_eq!(r.count("created"), 2, "{}", r.all());
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    assert!(r.stdout.contains("give it an idnumber"), "{}", r.all());
    assert_eq!(cohorts(&fake), [" | First | ", "C3 | Third | "]);
}

#[test]
fn a_cohort_of_a_category_is_read_back_in_it_and_a_rerun_sends_no_write() {
    let (fake, lms) = site();
    // Category 1 is Moodle's install default "Category 1".
    let file = "cmd;cname;cdescription;cidnumber;ccatcontext\n\
        add;CATCOHORT;In a category;CAT001;1\n\
        add;SITECOHORT;On the site;SITE001;0\n";
    let r = run(&lms, "members", "cohorts.csv", file);
    assert_eq!(r.count("created"), 2, "{}", r.all());
    {
        let st = fake.state();
        let cat = st.cohorts.values().find(|c| c.idnumber == "CAT001").expect("made");
        assert_eq!(Some(cat.contextid), st.context_id(40, 1), "in the category's context");
    }
    let writes = fake.write_count();
    let r = run(&lms, "members", "cohorts.csv", file);
    assert_eq!(r.count("unchanged"), 2, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");
}
