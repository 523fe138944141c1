//! Group commands of the enrolment file (spec/enrolments-groups.md §3.5): every gcmd for an
//! enrolled and a not-enrolled user, protected groups, and group commands of failed lines.

mod common;

use common::{Lms, line, strs};
use serde_json::Value;

fn msg(report: &Value, n: u64) -> String {
    line(report, n)["message"].as_str().unwrap_or("").to_string()
}

fn assert_says(report: &Value, n: u64, parts: &[&str]) {
    let m = msg(report, n);
    for p in parts {
        assert!(m.contains(p), "line {n} should say {p:?}: {m:?}");
    }
}

/// One course per group command. Before: john.doe (U0001) enrolled and member of OLD; group
/// EXIST exists (jack.duf, U0003, in it); amelie.dupont (U0002) not enrolled.
const CASES: [(&str, &str, &str); 5] = [
    ("gadd", "TESTCOURSE1", "EXIST;NEW;"),
    ("gaddcreate", "TESTCOURSE2", "EXIST;NEW;"),
    ("greplace", "TESTCOURSE3", "EXIST;NEW;"),
    ("greplacecreate", "MASTER1", "EXIST;NEW;"),
    ("gdel", "MASTER2", "OLD;EXIST;NEW"),
];

#[test]
fn every_group_command_for_an_enrolled_and_a_not_enrolled_user() {
    let lms = Lms::with_enrol_samples().with("LMSYNC_ENROLS__PROTECT_GROUPS", "true");
    let mut prep = String::from("cmd;cid;uid;rolename;enrol;gcmd;g1;g2;g3\n");
    let mut file = prep.clone();
    for (gcmd, course, groups) in CASES {
        prep.push_str(&format!("add;{course};U0001;student;manual;gaddcreate;OLD;;\n"));
        prep.push_str(&format!("add;{course};U0003;student;manual;gaddcreate;EXIST;;\n"));
        // Enrolled: the enrolment is unchanged, only the group command acts.
        file.push_str(&format!("add;{course};U0001;student;manual;{gcmd};{groups}\n"));
        // Not enrolled: del is a no-op there, then the group command runs.
        file.push_str(&format!("del;{course};U0002;;manual;{gcmd};{groups}\n"));
    }
    assert_eq!(lms.enrols_file("prep.csv", prep, &[]).code, 0);
    let ran = lms.enrols_file("groups.csv", &file, &[]);
    assert_eq!((ran.code, ran.count("failed")), (0, 0), "group problems never fail a line: {}", ran.all());
    let r = lms.json_report(ran.run_id());

    // gadd: joins existing groups only.
    assert_says(&r, 2, &["added to group EXIST", "group NEW does not exist in the course"]);
    assert_says(&r, 3, &["not added to group EXIST: not enrolled in the course"]);
    // gaddcreate: creates the missing group.
    assert_says(&r, 4, &["added to group EXIST", "group NEW created", "added to group NEW"]);
    assert_says(&r, 5, &["not added to group EXIST: not enrolled in the course", "not added to group NEW"]);
    // greplace: leaves OLD, joins the listed existing groups.
    assert_says(&r, 6, &["OLD", "added to group EXIST", "group NEW does not exist in the course"]);
    assert_says(&r, 7, &["not added to group EXIST: not enrolled in the course"]);
    // greplacecreate: leaves OLD, creates and joins.
    assert_says(&r, 8, &["OLD", "added to group EXIST", "group NEW created", "added to group NEW"]);
    assert_says(&r, 9, &["not added to group EXIST: not enrolled in the course"]);
    // gdel: removes, says when there was nothing to remove.
    assert_says(&r, 10, &["removed from group OLD", "was not a member of group EXIST", "group NEW does not exist"]);
    assert_says(&r, 11, &["was not a member of group EXIST"]);
    for (n, outcome) in [(2, "updated"), (4, "updated"), (6, "updated"), (8, "updated"), (10, "updated")] {
        assert_eq!(line(&r, n)["outcome"], outcome, "{}", line(&r, n));
    }
    for n in [3, 5, 7, 9, 11] {
        assert_eq!(line(&r, n)["outcome"], "unchanged", "{}", line(&r, n));
    }

    let mut expected = strs(&[
        "MASTER1 EXIST jack.duf tool_sync",
        "MASTER1 EXIST john.doe tool_sync",
        "MASTER1 NEW john.doe tool_sync",
        "MASTER2 EXIST jack.duf tool_sync",
        "TESTCOURSE1 EXIST jack.duf tool_sync",
        "TESTCOURSE1 EXIST john.doe tool_sync",
        "TESTCOURSE1 OLD john.doe tool_sync",
        "TESTCOURSE2 EXIST jack.duf tool_sync",
        "TESTCOURSE2 EXIST john.doe tool_sync",
        "TESTCOURSE2 NEW john.doe tool_sync",
        "TESTCOURSE2 OLD john.doe tool_sync",
        "TESTCOURSE3 EXIST jack.duf tool_sync",
        "TESTCOURSE3 EXIST john.doe tool_sync",
    ]);
    expected.sort();
    assert_eq!(lms.memberships(), expected);
    for course in ["TESTCOURSE1", "TESTCOURSE3"] {
        assert!(!lms.group_names().contains(&format!("{course} NEW")), "gadd/greplace never create: {course}");
    }
    assert!(lms.enrolments().iter().all(|e| !e.contains("amelie.dupont")), "{:?}", lms.enrolments());

    // Again: nothing left to do for the enrolled user.
    let before = lms.enrol_state();
    let again = lms.enrols_file("groups.csv", &file, &[]);
    let r = lms.json_report(again.run_id());
    for n in 2..=11 {
        assert_eq!(line(&r, n)["outcome"], "unchanged", "{}", line(&r, n));
    }
    assert_eq!(lms.enrol_state(), before);
}

/// john.doe enrolled in TESTCOURSE1, member of A through the file and of M and N added by hand
/// (component '').
fn with_hand_made_memberships(protect: bool) -> Lms {
    let lms = Lms::with_enrol_samples().with("LMSYNC_ENROLS__PROTECT_GROUPS", if protect { "true" } else { "false" });
    let prep = "cmd;cid;uid;rolename;enrol;gcmd;g1;g2;g3\nadd;TESTCOURSE1;U0001;student;manual;gaddcreate;A;M;N\n";
    assert_eq!(lms.enrols_file("prep.csv", prep, &[]).code, 0);
    let db = lms.db_write();
    let n = db
        .execute(
            "UPDATE groups_members SET component = '' WHERE groupid IN (SELECT id FROM groups WHERE name IN ('M', 'N'))",
            [],
        )
        .unwrap();
    assert_eq!(n, 2);
    lms
}

#[test]
fn with_protected_groups_greplace_and_gdel_keep_memberships_the_file_does_not_own() {
    let lms = with_hand_made_memberships(true);
    assert_eq!(
        lms.memberships(),
        strs(&["TESTCOURSE1 A john.doe tool_sync", "TESTCOURSE1 M john.doe -", "TESTCOURSE1 N john.doe -"])
    );
    let ran = lms.enrols_file(
        "e.csv",
        "cmd;cid;uid;rolename;enrol;gcmd;g1\nadd;TESTCOURSE1;U0001;student;manual;greplacecreate;B\nadd;TESTCOURSE1;U0001;student;manual;gdel;M\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_says(&r, 3, &["was not a member of group M"]);
    assert_eq!(
        lms.memberships(),
        strs(&["TESTCOURSE1 B john.doe tool_sync", "TESTCOURSE1 M john.doe -", "TESTCOURSE1 N john.doe -"]),
        "greplace left only A (owned by the file); gdel did not touch the hand-made M"
    );
}

#[test]
fn without_protected_groups_greplace_and_gdel_touch_every_membership() {
    let lms = with_hand_made_memberships(false);
    let ran = lms.enrols_file(
        "e.csv",
        "cmd;cid;uid;rolename;enrol;gcmd;g1\nadd;TESTCOURSE1;U0001;student;manual;greplacecreate;B\nadd;TESTCOURSE1;U0001;student;manual;gaddcreate;M\nadd;TESTCOURSE1;U0001;student;manual;gdel;M\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_says(&r, 4, &["removed from group M"]);
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE1 B john.doe -"]), "unprotected memberships have component ''");
}

#[test]
fn group_commands_of_a_failed_line_do_nothing_and_group_columns_need_gcmd() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file(
        "e.csv",
        "cmd;cid;uid;rolename;enrol;gcmd;g1\nadd;TESTCOURSE1;U0001;nosuchrole;manual;gaddcreate;X\nadd;TESTCOURSE1;U9999;student;manual;gaddcreate;Y\nadd;NOCOURSE;U0001;student;manual;gaddcreate;Z\n",
        &[],
    );
    assert_eq!((ran.code, ran.count("failed")), (1, 3), "{}", ran.all());
    assert_eq!(lms.group_names(), Vec::<String>::new(), "no group of a failed line is created");
    assert_eq!(lms.enrolments(), Vec::<String>::new());

    let ran = lms.enrols_file("g.csv", "cmd;cid;uid;rolename;enrol;g1\nadd;TESTCOURSE1;U0001;student;manual;X\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.notes().iter().any(|n| n.contains("gcmd")), "a note says g1 needs gcmd: {:?}", ran.notes());
    assert_eq!(lms.group_names(), Vec::<String>::new());
    assert_eq!(lms.enrolments(), strs(&["TESTCOURSE1 john.doe manual active student"]));
}

#[test]
fn groups_are_looked_up_in_the_line_s_course_by_exact_name() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file(
        "e.csv",
        "cmd;cid;uid;rolename;enrol;gcmd;g1\nadd;TESTCOURSE2;U0001;student;manual;gaddcreate;Shared\nadd;TESTCOURSE1;U0001;student;manual;gadd;Shared\nadd;TESTCOURSE2;U0002;student;manual;gadd;shared\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    assert_says(&r, 3, &["group Shared does not exist in the course"]);
    assert_says(&r, 4, &["group shared does not exist in the course"]);
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE2 Shared john.doe -"]));
}
