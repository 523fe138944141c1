//! The groups file beyond the samples (spec/enrolments-groups.md §4, B6, B12–B14): add mode
//! leaves existing entries alone, per-line `updateid` changes only present columns and is
//! course-qualified, other identifiers, self-groupings and bindings, and `--op all`.

mod common;

use common::{Lms, Ran, line};
use serde_json::Value;

/// Sample accounts (duplicate e-mails allowed), sample courses, ugr1–4 and ugr10 students in
/// TESTCOURSE1, and the groups of groups.csv.
fn site() -> Lms {
    let lms = Lms::with_grouped_students();
    let r = lms.exec(&["run", "groups", "--op", "groups", "--file", lms.fixture("groups.csv").to_str().unwrap()]);
    assert_eq!(r.code, 0, "groups.csv: {}", r.all());
    lms
}

/// Writes `in/<name>` and runs it through `groups --op groups`.
fn run(lms: &Lms, name: &str, text: &str) -> Ran {
    let path = lms.write(name, text);
    lms.exec(&["run", "groups", "--op", "groups", "--file", path.to_str().unwrap()])
}

/// `course | name | idnumber | description` of every group (`groupings` for the groupings).
fn entries(lms: &Lms, table: &str) -> Vec<String> {
    lms.rows(&format!(
        "SELECT c.shortname || ' | ' || g.name || ' | ' || g.idnumber || ' | ' || g.description FROM {table} g JOIN course c ON c.id = g.courseid ORDER BY 1"
    ))
}

/// `course | grouping > group` of every binding.
fn bindings(lms: &Lms) -> Vec<String> {
    lms.rows(
        "SELECT c.shortname || ' | ' || gp.name || ' > ' || g.name FROM groupings_groups gg
         JOIN groupings gp ON gp.id = gg.groupingid JOIN groups g ON g.id = gg.groupid JOIN course c ON c.id = gp.courseid ORDER BY 1",
    )
}

fn outcome(report: &Value, n: u64) -> &str {
    line(report, n)["outcome"].as_str().unwrap()
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

#[test]
fn add_mode_leaves_existing_groups_and_groupings_as_they_are() {
    let lms = site();
    let (groups, groupings, binds) = (entries(&lms, "groups"), entries(&lms, "groupings"), bindings(&lms));
    let ran = run(
        &lms,
        "add.csv",
        "type;courseid;name;idnumber;description\n\
         group;TESTCOURSE1;Another name;TC1_GR1;another description\n\
         group;TESTCOURSE1;Group 2;;another description\n\
         grouping;TESTCOURSE1;Grouping A;OTHER;another description\n\
         group;TESTCOURSE1;Group 3;NEWID;\n",
    );
    assert_eq!(ran.code, 1, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(outcome(&r, 2), "unchanged", "found by idnumber: {}", line(&r, 2));
    assert_eq!(outcome(&r, 3), "unchanged", "no idnumber: found by name: {}", line(&r, 3));
    assert_eq!(outcome(&r, 4), "unchanged", "grouping found by name: {}", line(&r, 4));
    assert_eq!(line(&r, 5)["code"], "group.name_taken", "Group 3 has another idnumber: {}", line(&r, 5));
    assert_eq!((entries(&lms, "groups"), entries(&lms, "groupings"), bindings(&lms)), (groups, groupings, binds));
}

#[test]
fn updateid_per_line_changes_present_columns_only_and_is_qualified_by_the_line_course() {
    let lms = site();
    let ran = run(
        &lms,
        "update.csv",
        "courseid;name;updateid\n\
         TESTCOURSE1;Group One;TC1_GR1\n\
         TESTCOURSE1;Brand New;\n\
         TESTCOURSE1;Group 2;\n\
         TESTCOURSE2;Cross;TC1_GR3\n\
         TESTCOURSE1;Group 4;TC1_GR3\n",
    );
    assert_eq!(ran.code, 1, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    let got: Vec<&str> = (2..=5).map(|n| outcome(&r, n)).collect();
    assert_eq!(got, ["updated", "created", "unchanged", "created"], "{r:#}");
    assert_eq!(line(&r, 6)["code"], "group.name_taken", "renaming onto another group's name: {}", line(&r, 6));
    let g = entries(&lms, "groups");
    assert!(
        has(&g, "TESTCOURSE1 | Group One | TC1_GR1 | Test group for creation 1"),
        "idnumber, description kept: {g:?}"
    );
    assert!(has(&g, "TESTCOURSE1 | Brand New |  | "), "empty updateid = add mode: {g:?}");
    assert!(
        has(&g, "TESTCOURSE1 | Group 3 | TC1_GR3 | Test group for creation 3"),
        "other course's group untouched: {g:?}"
    );
    assert!(has(&g, "TESTCOURSE2 | Cross |  | "), "not found in the line's course: created there (B6, B14): {g:?}");
    assert_eq!(g.len(), 10, "{g:?}");
    assert!(has(&bindings(&lms), "TESTCOURSE1 | Grouping A > Group One"), "the binding follows the rename");

    // Present columns change, including the idnumber; a second run is a no-op.
    let text = "courseid;name;updateid;idnumber;description\nTESTCOURSE1;Group One;TC1_GR1;TC1_ONE;Desc\n";
    let ran = run(&lms, "update2.csv", text);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(has(&entries(&lms, "groups"), "TESTCOURSE1 | Group One | TC1_ONE | Desc"), "{:?}", entries(&lms, "groups"));
    let text = "courseid;name;updateid;idnumber;description\nTESTCOURSE1;Group One;TC1_ONE;TC1_ONE;Desc\n";
    let ran = run(&lms, "update3.csv", text);
    assert_eq!(outcome(&lms.json_report(ran.run_id()), 2), "unchanged");
    assert_eq!(lms.journalled(ran.run_id()), 0);
}

#[test]
fn updateid_by_name_and_courses_by_id_follow_the_identifier_settings() {
    let lms = site()
        .with("LMSYNC_GROUPS__GROUP_IDENTIFIER", "name")
        .with("LMSYNC_GROUPS__GROUPING_IDENTIFIER", "name")
        .with("LMSYNC_GROUPS__COURSE_IDENTIFIER", "id");
    let tc1 = lms.rows("SELECT CAST(id AS TEXT) FROM course WHERE shortname = 'TESTCOURSE1'")[0].clone();
    let text = format!(
        "type;courseid;name;updateid\ngroup;{tc1};Group Z;Group 1\ngrouping;{tc1};Grouping Z;Grouping A\n\
         grouping;{tc1};Fresh grouping;Nobody\n"
    );
    let ran = run(&lms, "byname.csv", &text);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!((outcome(&r, 2), outcome(&r, 3), outcome(&r, 4)), ("updated", "updated", "created"), "{r:#}");
    assert!(has(&entries(&lms, "groups"), "TESTCOURSE1 | Group Z | TC1_GR1 | Test group for creation 1"));
    let gp = entries(&lms, "groupings");
    assert!(has(&gp, "TESTCOURSE1 | Grouping Z | GRPA | Test grouping for creation A"), "{gp:?}");
    assert!(has(&gp, "TESTCOURSE1 | Fresh grouping |  | "), "{gp:?}");
    assert!(has(&bindings(&lms), "TESTCOURSE1 | Grouping Z > Group Z"), "{:?}", bindings(&lms));
}

#[test]
fn selfgrouping_and_grouping_bind_within_the_course_and_are_idempotent() {
    let lms = site();
    let text = "courseid;name;idnumber;selfgrouping;grouping\n\
                TESTCOURSE1;Group 1;TC1_GR1;1;GRPB\n\
                TESTCOURSE3;Lone;LONE;0;GRPA\n";
    let ran = run(&lms, "self.csv", text);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(outcome(&r, 2), "updated", "existing group: new self-grouping and binding: {}", line(&r, 2));
    assert_eq!(outcome(&r, 3), "created", "{}", line(&r, 3));
    assert!(line(&r, 3)["message"].as_str().unwrap().contains("GRPA"), "GRPA is TESTCOURSE1's: {}", line(&r, 3));
    assert!(has(&entries(&lms, "groupings"), "TESTCOURSE1 | Group 1 | TC1_GR1 | Test group for creation 1"));
    let b = bindings(&lms);
    for want in
        ["TESTCOURSE1 | Group 1 > Group 1", "TESTCOURSE1 | Grouping A > Group 1", "TESTCOURSE1 | Grouping B > Group 1"]
    {
        assert!(has(&b, want), "{want}: {b:?}");
    }
    assert!(!b.iter().any(|x| x.contains("Lone")), "no binding across courses: {b:?}");

    let again = run(&lms, "self.csv", text);
    let r = lms.json_report(again.run_id());
    assert_eq!((outcome(&r, 2), outcome(&r, 3)), ("unchanged", "unchanged"), "{r:#}");
    assert_eq!(lms.journalled(again.run_id()), 0);
    assert_eq!(bindings(&lms), b);
}

#[test]
fn binding_to_a_grouping_renamed_by_an_earlier_line_is_unchanged_when_already_bound() {
    let lms = site();
    let ran = run(
        &lms,
        "rename_bind.csv",
        "type;courseid;name;updateid;grouping\ngrouping;TESTCOURSE1;Grouping B2;GRPB;\ngroup;TESTCOURSE1;Group 3;TC1_GR3;GRPB\n",
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!(outcome(&r, 2), "updated");
    assert_eq!(outcome(&r, 3), "unchanged", "Group 3 was already in GRPB: {}", line(&r, 3));
}

#[test]
fn updateid_naming_no_group_by_id_creates_even_after_a_line_that_created_a_group() {
    let lms = site().with("LMSYNC_GROUPS__GROUP_IDENTIFIER", "id");
    let ran = run(&lms, "ids.csv", "courseid;name;updateid\nTESTCOURSE3;Alpha;\nTESTCOURSE3;Beta;0\n");
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_eq!((outcome(&r, 2), outcome(&r, 3)), ("created", "created"), "no group has id 0: {r:#}");
    assert_eq!(
        lms.group_names().into_iter().filter(|g| g.starts_with("TESTCOURSE3")).collect::<Vec<_>>(),
        ["TESTCOURSE3 Alpha", "TESTCOURSE3 Beta"]
    );
}

#[test]
fn op_all_runs_the_configured_groups_file_then_the_members_file() {
    let lms = site().with("LMSYNC_GROUPS__MEMBERS_FILE", "members/team.csv");
    std::fs::create_dir_all(lms.files().join("members")).unwrap();
    std::fs::write(lms.files().join("groups.csv"), "courseid;name;idnumber\nTESTCOURSE1;Team;TEAM\n").unwrap();
    std::fs::write(lms.files().join("members/team.csv"), "courseid;groupid;userid\nTESTCOURSE1;TEAM;ugr2\n").unwrap();
    let ran = lms.exec(&["run", "groups", "--op", "all"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let runs: Vec<&str> = ran.stdout.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(runs.len(), 2, "{}", ran.stdout);
    assert!(runs[0].contains("groups.csv") && runs[1].contains("team.csv"), "groups first: {runs:?}");
    assert!(has(&lms.memberships(), "TESTCOURSE1 Team ugr2 tool_sync"), "{:?}", lms.memberships());
    assert_eq!(lms.memberships().len(), 1);
}

#[test]
fn the_autogrouping_setting_is_accepted() {
    let lms = site().with("LMSYNC_GROUPS__AUTOGROUPING", "false");
    let ran = run(&lms, "plain.csv", "courseid;name\nTESTCOURSE1;Plain\n");
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(has(&lms.group_names(), "TESTCOURSE1 Plain"));
}
