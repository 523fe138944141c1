//! The groups tool on the upstream samples (spec/enrolments-groups.md §10.3–10.7): groups.csv,
//! group_members.csv (course-qualified lookup, tryback), shift_group_members.csv, the update
//! files, the exports, and re-runs that change nothing.

mod common;

use common::{Lms, Ran, coded_outcomes, line, pick_lines, show, strs};
use std::path::Path;

/// Sample accounts (duplicate e-mails allowed, so ugr2–4 and ugr20–40 exist), sample courses,
/// and ugr1–4 and ugr10 enrolled as students in TESTCOURSE1.
fn site() -> Lms {
    let mut lms = Lms::with_grouped_students();
    lms.unset("LMSYNC_ENROLS__USER_IDENTIFIER");
    lms
}

/// `lmsync run groups --op <op> --file <path>`.
fn run(lms: &Lms, op: &str, path: &Path) -> Ran {
    lms.exec(&["run", "groups", "--op", op, "--file", path.to_str().unwrap()])
}

/// Runs an upstream sample through `op` and asserts the exit code.
fn sample(lms: &Lms, op: &str, name: &str, code: i32) -> Ran {
    let ran = run(lms, op, &lms.fixture(name));
    assert_eq!(ran.code, code, "{name}: {}", ran.all());
    ran
}

/// `course | name | idnumber | description` of every group.
fn groups(lms: &Lms) -> Vec<String> {
    lms.rows("SELECT c.shortname || ' | ' || g.name || ' | ' || g.idnumber || ' | ' || g.description FROM groups g JOIN course c ON c.id = g.courseid ORDER BY 1")
}

/// The same for groupings.
fn groupings(lms: &Lms) -> Vec<String> {
    lms.rows("SELECT c.shortname || ' | ' || g.name || ' | ' || g.idnumber || ' | ' || g.description FROM groupings g JOIN course c ON c.id = g.courseid ORDER BY 1")
}

/// `course | grouping > group` of every binding.
fn bindings(lms: &Lms) -> Vec<String> {
    lms.rows(
        "SELECT c.shortname || ' | ' || gp.name || ' > ' || g.name FROM groupings_groups gg
         JOIN groupings gp ON gp.id = gg.groupingid JOIN groups g ON g.id = gg.groupid JOIN course c ON c.id = gp.courseid ORDER BY 1",
    )
}

/// Every row, timestamps included, of the four group tables.
fn group_state(lms: &Lms) -> Vec<String> {
    let db = lms.db();
    let mut out = Vec::new();
    for t in ["groups", "groupings", "groupings_groups", "groups_members"] {
        let mut st = db.prepare(&format!("SELECT * FROM {t} ORDER BY 1, 2")).unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                Ok((0..n).map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap())).collect::<Vec<_>>())
            })
            .unwrap();
        out.extend(rows.map(|r| format!("{t}: {}", r.unwrap().join("|"))));
    }
    out
}

/// Moves every group timestamp 1000 s back, so a rewrite within the same second shows.
fn age(lms: &Lms) {
    let c = lms.db_write();
    for sql in [
        "UPDATE groups SET timecreated = timecreated - 1000, timemodified = timemodified - 1000",
        "UPDATE groupings SET timecreated = timecreated - 1000, timemodified = timemodified - 1000",
        "UPDATE groupings_groups SET timeadded = timeadded - 1000",
        "UPDATE groups_members SET timeadded = timeadded - 1000",
    ] {
        c.execute(sql, []).unwrap();
    }
}

/// Runs `name` again and asserts nothing changes; returns the second run.
fn rerun_changes_nothing(lms: &Lms, op: &str, name: &str, code: i32) -> Ran {
    age(lms);
    let before = group_state(lms);
    let again = sample(lms, op, name, code);
    assert_eq!(group_state(lms), before, "second run of {name} changed the groups");
    assert_eq!(lms.journalled(again.run_id()), 0, "second run of {name} journalled changes");
    again
}

fn numbered(range: std::ops::RangeInclusive<u64>, outcome: &str) -> Vec<String> {
    range.map(|n| format!("{n} {outcome}")).collect()
}

const SAMPLE_GROUPS: [&str; 8] = [
    "TESTCOURSE1 | Group 1 | TC1_GR1 | Test group for creation 1",
    "TESTCOURSE1 | Group 2 | TC1_GR2 | Test group for creation 2",
    "TESTCOURSE1 | Group 3 | TC1_GR3 | Test group for creation 3",
    "TESTCOURSE1 | Group 4 | TC1_GR4 | Test group for creation 4",
    "TESTCOURSE2 | Group 1B | TC2_GR1 | Test group for creation 1",
    "TESTCOURSE2 | Group 2B | TC2_GR2 | Test group for creation 2",
    "TESTCOURSE2 | Group 3B | TC2_GR3 | Test group for creation 3",
    "TESTCOURSE2 | Group 4B | TC2_GR4 | Test group for creation 4",
];

/// After group_members.csv (spec §10.4).
const SAMPLE_MEMBERS: [&str; 8] = [
    "TESTCOURSE1 Group 1 ugr1 tool_sync",
    "TESTCOURSE1 Group 1 ugr10 tool_sync",
    "TESTCOURSE1 Group 2 ugr10 tool_sync",
    "TESTCOURSE1 Group 2 ugr2 tool_sync",
    "TESTCOURSE1 Group 3 ugr10 tool_sync",
    "TESTCOURSE1 Group 3 ugr3 tool_sync",
    "TESTCOURSE1 Group 4 ugr10 tool_sync",
    "TESTCOURSE1 Group 4 ugr4 tool_sync",
];

#[test]
fn groups_sample_creates_groupings_groups_and_bound_self_groupings_then_reruns_unchanged() {
    let lms = site();
    let ran = sample(&lms, "groups", "groups.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=11, "created"));
    assert_eq!(groups(&lms), strs(&SAMPLE_GROUPS));
    assert_eq!(
        groupings(&lms),
        strs(&[
            "TESTCOURSE1 | Grouping A | GRPA | Test grouping for creation A",
            "TESTCOURSE1 | Grouping B | GRPB | Test grouping for creation B",
            "TESTCOURSE2 | Group 1B | TC2_GR1 | Test group for creation 1",
            "TESTCOURSE2 | Group 2B | TC2_GR2 | Test group for creation 2",
            "TESTCOURSE2 | Group 3B | TC2_GR3 | Test group for creation 3",
            "TESTCOURSE2 | Group 4B | TC2_GR4 | Test group for creation 4",
        ]),
        "selfgrouping=0 makes none; selfgrouping=1 makes one named after the group"
    );
    assert_eq!(
        bindings(&lms),
        strs(&[
            "TESTCOURSE1 | Grouping A > Group 1",
            "TESTCOURSE1 | Grouping A > Group 2",
            "TESTCOURSE1 | Grouping B > Group 3",
            "TESTCOURSE1 | Grouping B > Group 4",
            "TESTCOURSE2 | Group 1B > Group 1B",
            "TESTCOURSE2 | Group 2B > Group 2B",
            "TESTCOURSE2 | Group 3B > Group 3B",
            "TESTCOURSE2 | Group 4B > Group 4B",
        ]),
        "the grouping column binds; a self-grouping holds its group (REC of B13)"
    );
    // The exports show the same.
    let exported = lms.export_json("groups");
    assert_eq!(exported.len(), 8, "{exported:?}");
    let g1 = exported.iter().find(|g| g["name"] == "Group 1").expect("Group 1 exported");
    assert_eq!((&g1["course_shortname"], &g1["idnumber"]), (&"TESTCOURSE1".into(), &"TC1_GR1".into()), "{g1}");
    assert!(g1["groupings"].as_str().unwrap().contains("Grouping A"), "{g1}");
    let gp = lms.export_json("groupings");
    let a = gp.iter().find(|g| g["name"] == "Grouping A").expect("Grouping A exported");
    assert_eq!(a["idnumber"], "GRPA", "{a}");
    assert!(a["groups"].as_str().unwrap().contains("Group 2"), "{a}");

    let again = rerun_changes_nothing(&lms, "groups", "groups.csv", 0);
    assert_eq!(coded_outcomes(&lms, &again), numbered(2..=11, "unchanged"));
}

#[test]
fn group_members_sample_adds_in_course_one_and_fails_the_other_course_lines_with_a_byte_exact_tryback() {
    let lms = site();
    sample(&lms, "groups", "groups.csv", 0);
    let ran = sample(&lms, "members", "group_members.csv", 1);
    let mut expected = numbered(3..=10, "created");
    expected.extend((11..=14).map(|n| format!("{n} failed group.not_found")));
    assert_eq!(coded_outcomes(&lms, &ran), expected, "lines 11–14 name TESTCOURSE1 groups from TESTCOURSE2");
    let report = lms.json_report(ran.run_id());
    let m = line(&report, 11)["message"].as_str().unwrap();
    assert!(m.contains("TESTCOURSE2") && m.contains("TC1_GR1"), "the message names course and group: {m}");
    assert_eq!(lms.memberships(), strs(&SAMPLE_MEMBERS));
    let members = lms.export_json("group-members");
    assert!(members.iter().any(|m| m["group_name"] == "Group 1" && m["username"] == "ugr1"), "{members:?}");
    assert!(members.iter().any(|m| m["group_name"] == "Group 4" && m["username"] == "ugr4"), "{members:?}");

    let tryback = ran.tryback().expect("failed lines give a tryback");
    let original = std::fs::read(Path::new(common::FIXTURES).join("group_members.csv")).unwrap();
    let expected = pick_lines(&original, &[1, 2, 11, 12, 13, 14]);
    let got = std::fs::read(&tryback).unwrap();
    assert_eq!(show(&got), show(&expected), "comment, header and the failed lines, byte for byte");
    assert_eq!(got, expected);

    let again = rerun_changes_nothing(&lms, "members", "group_members.csv", 1);
    let mut expected = numbered(3..=10, "unchanged");
    expected.extend((11..=14).map(|n| format!("{n} failed group.not_found")));
    assert_eq!(coded_outcomes(&lms, &again), expected);
}

#[test]
fn shift_sample_leaves_each_user_in_the_last_group_only_and_reruns_to_the_same_state() {
    let lms = site();
    sample(&lms, "groups", "groups.csv", 0);
    sample(&lms, "members", "group_members.csv", 1);
    let ran = sample(&lms, "members", "shift_group_members.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(3..=10, "updated"));
    let shifted = strs(&[
        "TESTCOURSE1 Group 1 ugr10 tool_sync",
        "TESTCOURSE1 Group 1 ugr4 tool_sync",
        "TESTCOURSE1 Group 2 ugr1 tool_sync",
        "TESTCOURSE1 Group 3 ugr2 tool_sync",
        "TESTCOURSE1 Group 4 ugr3 tool_sync",
    ]);
    assert_eq!(lms.memberships(), shifted, "spec §10.5 final state");
    assert_eq!(ran.tryback(), None);

    // Second run: ugr1–4 are already where the file puts them; ugr10 moves round again.
    let again = sample(&lms, "members", "shift_group_members.csv", 0);
    let mut expected = numbered(3..=6, "unchanged");
    expected.extend(numbered(7..=10, "updated"));
    assert_eq!(coded_outcomes(&lms, &again), expected);
    assert_eq!(lms.memberships(), shifted);
}

#[test]
fn update_samples_rename_keep_idnumbers_and_bindings_and_rerun_unchanged() {
    let lms = site();
    sample(&lms, "groups", "groups.csv", 0);
    sample(&lms, "members", "group_members.csv", 1);
    let ran = sample(&lms, "groups", "groups_update.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=9, "updated"));
    let updated: Vec<String> = SAMPLE_GROUPS
        .iter()
        .map(|g| {
            let f: Vec<&str> = g.split(" | ").collect();
            let n = &f[1][6..7];
            format!("{} | Group {n} Updated | {} | {} Updated", f[0], f[2], f[3])
        })
        .collect();
    assert_eq!(groups(&lms), updated, "names and descriptions replaced, idnumbers kept (REC of B12)");
    assert!(bindings(&lms).contains(&"TESTCOURSE1 | Grouping A > Group 1 Updated".to_string()), "{:?}", bindings(&lms));
    assert!(bindings(&lms).contains(&"TESTCOURSE2 | Group 1B > Group 1 Updated".to_string()), "{:?}", bindings(&lms));
    assert_eq!(lms.memberships().len(), 8, "members stay: {:?}", lms.memberships());
    let again = rerun_changes_nothing(&lms, "groups", "groups_update.csv", 0);
    assert_eq!(coded_outcomes(&lms, &again), numbered(2..=9, "unchanged"), "the idnumbers still find the groups");

    let ran = sample(&lms, "groups", "groupings_update.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=3, "updated"));
    let gp = groupings(&lms);
    assert_eq!(
        &gp[..2],
        strs(&[
            "TESTCOURSE1 | Grouping A Updated | GRPA | Test grouping for creation A has been updated",
            "TESTCOURSE1 | Grouping B Updated | GRPB | Test grouping for creation B has been updated",
        ])
        .as_slice()
    );
    assert_eq!(gp.len(), 6, "no grouping created: {gp:?}");
    assert!(bindings(&lms).contains(&"TESTCOURSE1 | Grouping B Updated > Group 4 Updated".to_string()));
    let again = rerun_changes_nothing(&lms, "groups", "groupings_update.csv", 0);
    assert_eq!(coded_outcomes(&lms, &again), numbered(2..=3, "unchanged"));

    // The members file still finds the groups by their idnumbers.
    let again = sample(&lms, "members", "group_members.csv", 1);
    assert_eq!(&coded_outcomes(&lms, &again)[..8], numbered(3..=10, "unchanged").as_slice());
}
