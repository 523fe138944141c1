//! The group members file (spec/enrolments-groups.md §5, B8, B9, B14, B22): del, shift sparing
//! memberships lmsync did not make, not-enrolled users, other identifiers, the `gcmd` alias,
//! the purge of empty groups limited to the courses the run touched, and dry runs.

mod common;

use common::{Lms, Ran, line, lines, strs};
use serde_json::Value;

/// Sample accounts (duplicate e-mails allowed), sample courses, ugr1–4 and ugr10 students in
/// TESTCOURSE1, then groups.csv and group_members.csv: Group 1–4 of TESTCOURSE1 hold
/// {ugr1, ugr10}, {ugr2, ugr10}, {ugr3, ugr10}, {ugr4, ugr10}; TESTCOURSE2's groups are empty.
fn site() -> Lms {
    let lms = Lms::with_grouped_students();
    let r = run_path(&lms, "groups", &lms.fixture("groups.csv"), &[]);
    assert_eq!(r.code, 0, "groups.csv: {}", r.all());
    let r = run_path(&lms, "members", &lms.fixture("group_members.csv"), &[]);
    assert_eq!(r.code, 1, "group_members.csv (lines 11–14 fail): {}", r.all());
    assert_eq!(lms.memberships().len(), 8, "{:?}", lms.memberships());
    lms
}

fn run_path(lms: &Lms, op: &str, path: &std::path::Path, extra: &[&str]) -> Ran {
    let mut args = vec!["run", "groups", "--op", op, "--file", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    lms.exec(&args)
}

/// Writes `in/<name>` and runs it through `groups --op <op>`.
fn run(lms: &Lms, op: &str, name: &str, text: &str, extra: &[&str]) -> Ran {
    run_path(lms, op, &lms.write(name, text), extra)
}

/// Gives `user` a membership of `group` (TESTCOURSE1) not owned by lmsync (component ''), as the
/// enrolment file does without enrols.protect_groups.
fn foreign_membership(lms: &Lms, user: &str, group: &str) {
    let file = format!("cmd;cid;uid;rolename;enrol;gcmd;g1\nadd;TESTCOURSE1;{user};student;manual;gadd;{group}\n");
    let r = lms.enrols_file("foreign.csv", file, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(lms.memberships().contains(&format!("TESTCOURSE1 {group} {user} -")), "{:?}", lms.memberships());
}

fn msg(report: &Value, n: u64) -> String {
    line(report, n)["message"].as_str().unwrap_or("").to_string()
}

fn outcome(report: &Value, n: u64) -> String {
    line(report, n)["outcome"].as_str().unwrap().to_string()
}

/// Memberships of one user.
fn of(lms: &Lms, user: &str) -> Vec<String> {
    lms.memberships().into_iter().filter(|m| m.split(' ').nth_back(1) == Some(user)).collect()
}

fn names(lms: &Lms, table: &str) -> Vec<String> {
    lms.rows(&format!(
        "SELECT c.shortname || ' ' || g.name FROM {table} g JOIN course c ON c.id = g.courseid ORDER BY 1"
    ))
}

#[test]
fn del_removes_only_lmsync_memberships_and_says_when_there_was_none() {
    let lms = site();
    foreign_membership(&lms, "ugr3", "Group 1");
    let ran = run(
        &lms,
        "members",
        "del.csv",
        "cmd;courseid;groupid;userid\ndel;TESTCOURSE1;TC1_GR1;ugr1\ndel;TESTCOURSE1;TC1_GR1;ugr1\ndel;TESTCOURSE1;TC1_GR1;ugr3\n\
         del;TESTCOURSE1;TC1_GR2;ugr2\ndel;TESTCOURSE1;TC1_GR2;ugr10\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(ran.tryback(), None);
    let r = lms.json_report(ran.run_id());
    for (n, o) in [(2, "deleted"), (3, "unchanged"), (4, "unchanged"), (5, "deleted"), (6, "deleted")] {
        assert_eq!(outcome(&r, n), o, "line {n}: {}", line(&r, n));
    }
    assert!(msg(&r, 3).contains("was not a member"), "{}", msg(&r, 3));
    assert!(
        msg(&r, 4).contains("was not a member"),
        "a membership lmsync did not make is not its to remove: {}",
        msg(&r, 4)
    );
    assert_eq!(
        lms.memberships(),
        strs(&[
            "TESTCOURSE1 Group 1 ugr10 tool_sync",
            "TESTCOURSE1 Group 1 ugr3 -",
            "TESTCOURSE1 Group 3 ugr10 tool_sync",
            "TESTCOURSE1 Group 3 ugr3 tool_sync",
            "TESTCOURSE1 Group 4 ugr10 tool_sync",
            "TESTCOURSE1 Group 4 ugr4 tool_sync",
        ])
    );
    assert!(names(&lms, "groups").contains(&"TESTCOURSE1 Group 2".to_string()), "no purge by default");
}

#[test]
fn shift_keeps_memberships_not_made_by_lmsync_and_gcmd_is_an_alias_of_cmd() {
    let lms = site();
    foreign_membership(&lms, "ugr2", "Group 3");
    foreign_membership(&lms, "ugr4", "Group 1");
    let ran = run(
        &lms,
        "members",
        "shift.csv",
        "gcmd;courseid;groupid;userid\nshift;TESTCOURSE1;TC1_GR4;ugr2\nshift;TESTCOURSE1;TC1_GR1;ugr4\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!((outcome(&r, 2), outcome(&r, 3)), ("updated".into(), "updated".into()), "{r:#}");
    assert_eq!(
        of(&lms, "ugr2"),
        strs(&["TESTCOURSE1 Group 3 ugr2 -", "TESTCOURSE1 Group 4 ugr2 tool_sync"]),
        "left Group 2 (lmsync's), kept Group 3 (not lmsync's), joined Group 4"
    );
    assert_eq!(of(&lms, "ugr4"), strs(&["TESTCOURSE1 Group 1 ugr4 -"]), "already in Group 1: left Group 4 only");
    assert_eq!(of(&lms, "ugr10").len(), 4, "other users untouched");
}

#[test]
fn a_user_not_enrolled_in_the_course_is_skipped_not_added() {
    let lms = site();
    let ran = run(
        &lms,
        "members",
        "ne.csv",
        "courseid;groupid;userid\nTESTCOURSE1;TC1_GR1;ugr20\nTESTCOURSE2;TC2_GR1;ugr1\n",
        &[],
    );
    assert_eq!(ran.code, 0, "skipping is no failure: {}", ran.all());
    assert_eq!(ran.tryback(), None);
    let r = lms.json_report(ran.run_id());
    for (n, user, course) in [(2, "ugr20", "TESTCOURSE1"), (3, "ugr1", "TESTCOURSE2")] {
        assert_eq!(outcome(&r, n), "skipped", "{}", line(&r, n));
        let m = msg(&r, n);
        assert!(m.contains("not added") && m.contains("not enrolled") && m.contains(user) && m.contains(course), "{m}");
    }
    assert!(of(&lms, "ugr20").is_empty());
    assert_eq!(of(&lms, "ugr1"), strs(&["TESTCOURSE1 Group 1 ugr1 tool_sync"]));
}

#[test]
fn groups_by_name_or_id_and_users_by_id_are_looked_up_in_the_line_course() {
    let mut lms = site().with("LMSYNC_GROUPS__GROUP_IDENTIFIER", "name");
    lms.set("LMSYNC_GROUPS__USER_IDENTIFIER", "id");
    let id = |lms: &Lms, sql: &str| lms.rows(&format!("SELECT CAST(({sql}) AS TEXT)"))[0].clone();
    let ugr1 = id(&lms, "SELECT id FROM user WHERE username = 'ugr1'");
    let file = format!("courseid;groupid;userid\nTESTCOURSE1;Group 3;{ugr1}\nTESTCOURSE1;Group 1B;{ugr1}\n");
    let ran = run(&lms, "members", "byname.csv", &file, &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(outcome(&r, 2), "created", "{}", line(&r, 2));
    assert_eq!(line(&r, 3)["code"], "group.not_found", "Group 1B belongs to TESTCOURSE2: {}", line(&r, 3));

    lms.set("LMSYNC_GROUPS__GROUP_IDENTIFIER", "id");
    let g4 = id(&lms, "SELECT id FROM groups WHERE idnumber = 'TC1_GR4'");
    let g1b = id(&lms, "SELECT id FROM groups WHERE idnumber = 'TC2_GR1'");
    let file = format!("courseid;groupid;userid\nTESTCOURSE1;{g4};{ugr1}\nTESTCOURSE1;{g1b};{ugr1}\n");
    let ran = run(&lms, "members", "byid.csv", &file, &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(outcome(&r, 2), "created", "{}", line(&r, 2));
    assert_eq!(line(&r, 3)["code"], "group.not_found", "a group id of another course (B14): {}", line(&r, 3));
    assert_eq!(
        of(&lms, "ugr1"),
        strs(&[
            "TESTCOURSE1 Group 1 ugr1 tool_sync",
            "TESTCOURSE1 Group 3 ugr1 tool_sync",
            "TESTCOURSE1 Group 4 ugr1 tool_sync"
        ])
    );
}

#[test]
fn an_email_shared_by_several_accounts_fails_the_line_naming_them() {
    let lms = site().with("LMSYNC_GROUPS__USER_IDENTIFIER", "email");
    // ugr1–ugr4 all have ugr1@foo.com.
    let before = lms.memberships();
    let ran = run(&lms, "members", "email.csv", "courseid;groupid;userid\nTESTCOURSE1;TC1_GR3;ugr1@foo.com\n", &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(outcome(&r, 2), "failed", "ambiguous match fails the line (DECISIONS §2): {}", line(&r, 2));
    let m = msg(&r, 2);
    assert!(["ugr1", "ugr2", "ugr3", "ugr4"].iter().all(|u| m.contains(u)), "names the candidates: {m}");
    assert_eq!(lms.memberships(), before);
}

/// Adds, in TESTCOURSE1, an empty group Spare in grouping Doomed and an empty grouping Lonely;
/// in TESTCOURSE3 (never named by the members file) an empty group and an empty grouping.
fn purge_fixture(lms: &Lms) -> Ran {
    let r = run(
        lms,
        "groups",
        "extra.csv",
        "type;courseid;name;idnumber;grouping\ngrouping;TESTCOURSE1;Doomed;DOOM;\ngrouping;TESTCOURSE1;Lonely;LON;\n\
         group;TESTCOURSE1;Spare;SPARE;DOOM\ngroup;TESTCOURSE3;Empty3;E3;\ngrouping;TESTCOURSE3;Lonely3;LON3;\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    // Empties Group 2; ugr3 joins Group 1.
    run(
        lms,
        "members",
        "purge.csv",
        "cmd;courseid;groupid;userid\ndel;TESTCOURSE1;TC1_GR2;ugr2\ndel;TESTCOURSE1;TC1_GR2;ugr10\nadd;TESTCOURSE1;TC1_GR1;ugr3\n",
        &[],
    )
}

/// Groups left by the purge: Group 2 and Spare gone, TESTCOURSE2 and 3 untouched.
const GROUPS_AFTER_PURGE: [&str; 8] = [
    "TESTCOURSE1 Group 1",
    "TESTCOURSE1 Group 3",
    "TESTCOURSE1 Group 4",
    "TESTCOURSE2 Group 1B",
    "TESTCOURSE2 Group 2B",
    "TESTCOURSE2 Group 3B",
    "TESTCOURSE2 Group 4B",
    "TESTCOURSE3 Empty3",
];

fn purge_notes(report: &Value) -> Vec<String> {
    let notes = report["notes"].as_array().expect("notes");
    notes.iter().map(|n| n.as_str().unwrap().to_string()).filter(|n| n.contains("purge")).collect()
}

#[test]
fn purge_groups_removes_empty_groups_of_the_touched_course_only() {
    let lms = site().with("LMSYNC_GROUPS__PURGE_EMPTY", "groups");
    let ran = purge_fixture(&lms);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(names(&lms, "groups"), strs(&GROUPS_AFTER_PURGE), "TESTCOURSE2 and 3 keep their empty groups");
    assert_eq!(names(&lms, "groupings").len(), 9, "groupings stay: {:?}", names(&lms, "groupings"));
    let notes = purge_notes(&lms.json_report(ran.run_id()));
    assert_eq!(notes.len(), 1, "one purged course: {notes:?}");
    assert!(
        notes[0].contains("Group 2") && notes[0].contains("Spare"),
        "the report names the purged groups: {notes:?}"
    );
    assert!(!notes[0].contains("Empty3") && !notes[0].contains("1B"), "{notes:?}");
}

#[test]
fn purge_groupings_also_removes_groupings_left_without_groups_in_the_touched_course_only() {
    let lms = site().with("LMSYNC_GROUPS__PURGE_EMPTY", "groupings");
    let ran = purge_fixture(&lms);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(names(&lms, "groups"), strs(&GROUPS_AFTER_PURGE));
    assert_eq!(
        names(&lms, "groupings"),
        strs(&[
            "TESTCOURSE1 Grouping A",
            "TESTCOURSE1 Grouping B",
            "TESTCOURSE2 Group 1B",
            "TESTCOURSE2 Group 2B",
            "TESTCOURSE2 Group 3B",
            "TESTCOURSE2 Group 4B",
            "TESTCOURSE3 Lonely3",
        ]),
        "Doomed (its only group purged) and Lonely go; Grouping A keeps Group 1; other courses untouched"
    );
    let notes = purge_notes(&lms.json_report(ran.run_id()));
    assert!(notes.iter().any(|n| n.contains("Doomed") && n.contains("Lonely")), "{notes:?}");
}

#[test]
fn dry_runs_change_nothing_but_report_what_would_happen() {
    let lms = site().with("LMSYNC_GROUPS__PURGE_EMPTY", "groupings");
    let snapshot = |lms: &Lms| (names(lms, "groups"), names(lms, "groupings"), lms.memberships());
    let before = snapshot(&lms);
    let ran = run(
        &lms,
        "groups",
        "new.csv",
        "type;courseid;name;idnumber;selfgrouping\ngroup;TESTCOURSE3;Fresh;FR;1\ngrouping;TESTCOURSE3;Gp;GP;\n",
        &["--dry-run"],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(r["dry_run"], true);
    assert_eq!((outcome(&r, 2), outcome(&r, 3)), ("created".into(), "created".into()), "{r:#}");
    assert_eq!(ran.archive(), None, "dry runs never archive");
    assert_eq!(snapshot(&lms), before);

    let ran = run(
        &lms,
        "members",
        "dry.csv",
        "cmd;courseid;groupid;userid\ndel;TESTCOURSE1;TC1_GR2;ugr2\ndel;TESTCOURSE1;TC1_GR2;ugr10\n\
         shift;TESTCOURSE1;TC1_GR1;ugr3\nadd;TESTCOURSE1;TC1_GR3;ugr1\n",
        &["--dry-run"],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    let got: Vec<String> = lines(&r).iter().map(|l| l["outcome"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, strs(&["deleted", "deleted", "updated", "created"]), "{r:#}");
    assert!(purge_notes(&r).iter().any(|n| n.contains("Group 2")), "the purge is reported: {r:#}");
    assert_eq!(snapshot(&lms), before, "nothing written, purge included");
    assert_eq!(lms.journalled(ran.run_id()), 0);
}
