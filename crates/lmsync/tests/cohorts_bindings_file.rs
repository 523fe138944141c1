//! `cohorts --op bindings` (cohortscourses.csv): the add / del / restore / fulldel lifecycle and
//! what it derives (enrolments, roles, groups), role `*`, makegroup, enrolment dates, bad input
//! lines, dry run and re-runs that change nothing.

mod common;

use common::{Lms, Ran, coded_outcomes, line, pick_lines, show, strs};

/// The message of line `n` of `ran`.
fn message(lms: &Lms, ran: &Ran, n: u64) -> String {
    line(&lms.json_report(ran.run_id()), n)["message"].as_str().unwrap_or("").to_string()
}

/// Runs a bindings file and asserts its exit code.
fn bind(lms: &Lms, bytes: &str, extra: &[&str], code: i32) -> Ran {
    let ran = lms.cohorts_file("bindings", "cohortscourses.csv", bytes, extra);
    assert_eq!(ran.code, code, "bindings: {}", ran.all());
    ran
}

/// Runs a members file and asserts it succeeded.
fn members(lms: &Lms, bytes: &str) -> Ran {
    let ran = lms.cohorts_file("members", "cohorts.csv", bytes, &[]);
    assert_eq!(ran.code, 0, "members: {}", ran.all());
    ran
}

/// The cohort site (dates in UTC) with COHA "Cohort A" = {john.doe, amelie.dupont} and
/// COHB "Cohort B" = {jack.duf}.
fn site() -> Lms {
    let lms = Lms::with_cohort_site().with("LMSYNC_TIMEZONE", "UTC");
    members(&lms, "cidnumber;cname;userid\nCOHA;Cohort A;U0001\nCOHA;Cohort A;U0002\nCOHB;Cohort B;U0003\n");
    assert_eq!(lms.cohort_members(), strs(&["COHA amelie.dupont", "COHA john.doe", "COHB jack.duf"]));
    lms
}

/// `course cohort role status` of every binding, sorted.
fn bindings(lms: &Lms) -> Vec<String> {
    let mut v: Vec<String> = lms
        .export_json("cohort-bindings")
        .iter()
        .map(|b| {
            let s = |k: &str| b[k].as_str().unwrap_or("").to_string();
            format!("{} {} {} {}", s("course_shortname"), s("cohort_idnumber"), s("role"), s("status"))
        })
        .collect();
    v.sort();
    v
}

/// `course username status` of every enrolment through a cohort instance (status of the
/// enrolment itself: 0 active, 1 suspended), sorted.
fn cohort_enrolment_rows(lms: &Lms) -> Vec<String> {
    lms.rows(
        "SELECT c.shortname || ' ' || u.username || ' ' || ue.status FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
         JOIN course c ON c.id = e.course JOIN user u ON u.id = ue.userid WHERE e.enrol = 'cohort' ORDER BY 1",
    )
}

/// Cohort-method enrolments as `export enrolments` shows them.
fn cohort_enrolments(lms: &Lms) -> Vec<String> {
    let mut v: Vec<String> = lms.enrolments().into_iter().filter(|e| e.split(' ').nth(2) == Some("cohort")).collect();
    v.sort();
    v
}

/// Role assignments held through a binding.
fn cohort_roles(lms: &Lms) -> Vec<String> {
    lms.role_rows().into_iter().filter(|r| r.ends_with("enrol_cohort:cohort")).collect()
}

/// Moves the timestamps of the enrolment-side tables 1000 s back, so a rewrite shows.
fn age(lms: &Lms) {
    let c = lms.db_write();
    for sql in [
        "UPDATE enrol SET timecreated = timecreated - 1000, timemodified = timemodified - 1000",
        "UPDATE user_enrolments SET timecreated = timecreated - 1000, timemodified = timemodified - 1000",
        "UPDATE role_assignments SET timemodified = timemodified - 1000",
        "UPDATE groups SET timecreated = timecreated - 1000, timemodified = timemodified - 1000",
        "UPDATE groups_members SET timeadded = timeadded - 1000",
    ] {
        c.execute(sql, []).unwrap();
    }
}

#[test]
fn add_del_restore_fulldel_lifecycle_enrols_suspends_restores_and_removes() {
    let lms = site();
    // An empty cmd is add too.
    let ran = bind(&lms, "cmd;course;cohort\nadd;TESTCOURSE1;COHA\n;TESTCOURSE2;COHA\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 created", "3 created"]));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student enabled", "TESTCOURSE2 COHA student enabled"]));
    let active = strs(&[
        "TESTCOURSE1 amelie.dupont cohort active student",
        "TESTCOURSE1 john.doe cohort active student",
        "TESTCOURSE2 amelie.dupont cohort active student",
        "TESTCOURSE2 john.doe cohort active student",
    ]);
    assert_eq!(cohort_enrolments(&lms), active, "an empty role is student");
    assert_eq!(
        cohort_roles(&lms),
        strs(&[
            "TESTCOURSE1 amelie.dupont student enrol_cohort:cohort",
            "TESTCOURSE1 john.doe student enrol_cohort:cohort",
            "TESTCOURSE2 amelie.dupont student enrol_cohort:cohort",
            "TESTCOURSE2 john.doe student enrol_cohort:cohort",
        ])
    );

    let again = bind(&lms, "cmd;course;cohort\nadd;TESTCOURSE1;COHA\n;TESTCOURSE2;COHA\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &again), strs(&["2 unchanged", "3 unchanged"]));

    // del: binding disabled, its enrolments suspended, its roles withdrawn; TESTCOURSE2 untouched.
    let del = "cmd;course;cohort\ndel;TESTCOURSE1;COHA\n";
    let ran = bind(&lms, del, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student disabled", "TESTCOURSE2 COHA student enabled"]));
    assert_eq!(
        cohort_enrolment_rows(&lms),
        strs(&[
            "TESTCOURSE1 amelie.dupont 1",
            "TESTCOURSE1 john.doe 1",
            "TESTCOURSE2 amelie.dupont 0",
            "TESTCOURSE2 john.doe 0",
        ]),
        "suspended, not removed"
    );
    assert!(!cohort_roles(&lms).iter().any(|r| r.starts_with("TESTCOURSE1 ")), "{:?}", cohort_roles(&lms));
    assert_eq!(cohort_roles(&lms).len(), 2);
    let ran = bind(&lms, del, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 unchanged"]), "already disabled");

    // restore: enabled again, enrolments active, roles back.
    let restore = "cmd;course;cohort\nrestore;TESTCOURSE1;COHA\n";
    let ran = bind(&lms, restore, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert_eq!(cohort_enrolments(&lms), active);
    assert_eq!(cohort_roles(&lms).len(), 4);
    let ran = bind(&lms, restore, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 unchanged"]), "already enabled");

    // add on a disabled binding enables it again.
    bind(&lms, del, &[], 0);
    let ran = bind(&lms, "course;cohort\nTESTCOURSE1;COHA\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert!(message(&lms, &ran, 2).contains("enabled again"), "{}", message(&lms, &ran, 2));
    assert_eq!(cohort_enrolments(&lms), active);

    // fulldel: binding, enrolments and roles gone; the other course keeps its own.
    let fulldel = "cmd;course;cohort\nfulldel;TESTCOURSE1;COHA\n";
    let ran = bind(&lms, fulldel, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 deleted"]));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE2 COHA student enabled"]));
    assert_eq!(
        cohort_enrolments(&lms),
        strs(&["TESTCOURSE2 amelie.dupont cohort active student", "TESTCOURSE2 john.doe cohort active student"])
    );
    assert!(!lms.role_rows().iter().any(|r| r.starts_with("TESTCOURSE1 ")), "{:?}", lms.role_rows());
    assert_eq!(lms.cohort_members().len(), 3, "the cohort keeps its members");

    // Nothing left to act on in TESTCOURSE1: skipped.
    let ran = bind(
        &lms,
        "cmd;course;cohort\nfulldel;TESTCOURSE1;COHA\ndel;TESTCOURSE1;COHA\nrestore;TESTCOURSE1;COHA\n",
        &[],
        0,
    );
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 skipped", "3 skipped", "4 skipped"]));
}

#[test]
fn a_person_enrolled_manually_keeps_that_enrolment_through_del_and_fulldel() {
    let lms = site().with("LMSYNC_ENROLS__USER_IDENTIFIER", "username");
    let ran =
        lms.enrols_file("enrol.csv", "cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;john.doe;student;manual\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    bind(&lms, "course;cohort\nTESTCOURSE1;COHA\n", &[], 0);
    let manual = "TESTCOURSE1 john.doe manual active student".to_string();
    assert!(lms.enrolments().contains(&manual), "{:?}", lms.enrolments());

    bind(&lms, "cmd;course;cohort\ndel;TESTCOURSE1;COHA\n", &[], 0);
    assert!(lms.enrolments().contains(&manual), "del leaves the manual enrolment: {:?}", lms.enrolments());
    bind(&lms, "cmd;course;cohort\nfulldel;TESTCOURSE1;COHA\n", &[], 0);
    let left: Vec<String> = lms.enrolments().into_iter().filter(|e| e.starts_with("TESTCOURSE1 ")).collect();
    assert_eq!(left, vec![manual], "fulldel leaves the manual enrolment");
    let roles: Vec<String> = lms.role_rows().into_iter().filter(|r| r.starts_with("TESTCOURSE1 ")).collect();
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert!(roles[0].starts_with("TESTCOURSE1 john.doe student") && !roles[0].contains("enrol_cohort"), "{roles:?}");
}

#[test]
fn role_star_acts_on_every_role_for_del_restore_fulldel_but_not_add() {
    let lms = site();
    let ran = bind(&lms, "course;cohort;role\nTESTCOURSE1;COHA;\nTESTCOURSE1;COHA;teacher\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 created", "3 created"]));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student enabled", "TESTCOURSE1 COHA teacher enabled"]));
    let all_roles = strs(&[
        "TESTCOURSE1 amelie.dupont student enrol_cohort:cohort",
        "TESTCOURSE1 amelie.dupont teacher enrol_cohort:cohort",
        "TESTCOURSE1 john.doe student enrol_cohort:cohort",
        "TESTCOURSE1 john.doe teacher enrol_cohort:cohort",
    ]);
    let mut got = cohort_roles(&lms);
    got.sort();
    assert_eq!(got, all_roles);

    let ran = bind(&lms, "cmd;course;cohort;role\ndel;TESTCOURSE1;COHA;*\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert!(message(&lms, &ran, 2).contains('2'), "two bindings disabled: {}", message(&lms, &ran, 2));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student disabled", "TESTCOURSE1 COHA teacher disabled"]));
    assert!(cohort_roles(&lms).is_empty(), "{:?}", cohort_roles(&lms));

    let ran = bind(&lms, "cmd;course;cohort;role\nrestore;TESTCOURSE1;COHA;*\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student enabled", "TESTCOURSE1 COHA teacher enabled"]));
    let mut got = cohort_roles(&lms);
    got.sort();
    assert_eq!(got, all_roles);

    // A named role only touches its own binding.
    let ran = bind(&lms, "cmd;course;cohort;role\ndel;TESTCOURSE1;COHA;teacher\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student enabled", "TESTCOURSE1 COHA teacher disabled"]));
    assert!(cohort_roles(&lms).iter().all(|r| r.contains(" student ")), "{:?}", cohort_roles(&lms));
    assert_eq!(cohort_roles(&lms).len(), 2);

    // `*` with add fails the line.
    let ran = bind(&lms, "cmd;course;cohort;role\nadd;TESTCOURSE2;COHA;*\n", &[], 1);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 failed binding.bad_role"]));
    assert!(!bindings(&lms).iter().any(|b| b.starts_with("TESTCOURSE2")), "{:?}", bindings(&lms));

    let ran = bind(&lms, "cmd;course;cohort;role\nfulldel;TESTCOURSE1;COHA;*\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 deleted"]));
    assert!(bindings(&lms).is_empty(), "{:?}", bindings(&lms));
    assert!(cohort_enrolments(&lms).is_empty(), "{:?}", cohort_enrolments(&lms));
    assert!(lms.role_rows().is_empty(), "{:?}", lms.role_rows());
}

#[test]
fn makegroup_puts_members_in_a_group_named_after_the_cohort_and_keeps_it_in_step() {
    let lms = site();
    let ran =
        bind(&lms, "course;cohort;makegroup\nTESTCOURSE2;COHA;1\nTESTCOURSE3;COHB;yes\nTESTCOURSE1;COHB;0\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 created", "3 created", "4 created"]));
    assert_eq!(lms.group_names(), strs(&["TESTCOURSE2 Cohort A", "TESTCOURSE3 Cohort B"]), "no group with makegroup 0");
    assert_eq!(
        lms.memberships(),
        strs(&[
            "TESTCOURSE2 Cohort A amelie.dupont enrol_cohort",
            "TESTCOURSE2 Cohort A john.doe enrol_cohort",
            "TESTCOURSE3 Cohort B jack.duf enrol_cohort",
        ])
    );
    let export = lms.export_json("cohort-bindings");
    let b = export.iter().find(|b| b["course_shortname"] == "TESTCOURSE2").unwrap();
    assert_eq!(b["group"], "Cohort A", "{b}");

    // A member added later is put in the group too; one removed leaves it.
    members(&lms, "cidnumber;userid\nCOHA;U0003\n");
    members(&lms, "cmd;cidnumber;userid\ndel;COHA;U0001\n");
    assert_eq!(
        lms.memberships(),
        strs(&[
            "TESTCOURSE2 Cohort A amelie.dupont enrol_cohort",
            "TESTCOURSE2 Cohort A jack.duf enrol_cohort",
            "TESTCOURSE3 Cohort B jack.duf enrol_cohort",
        ])
    );

    // Same file again: nothing changes (the group exists). makegroup on an existing binding: grouped now.
    let again = bind(&lms, "course;cohort;makegroup\nTESTCOURSE2;COHA;1\nTESTCOURSE3;COHB;yes\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &again), strs(&["2 unchanged", "3 unchanged"]));
    assert_eq!(lms.journalled(again.run_id()), 0);
    let ran = bind(&lms, "course;cohort;makegroup\nTESTCOURSE1;COHB;1\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert!(
        lms.memberships().contains(&"TESTCOURSE1 Cohort B jack.duf enrol_cohort".to_string()),
        "{:?}",
        lms.memberships()
    );

    // fulldel takes the group memberships it gave.
    bind(&lms, "cmd;course;cohort\nfulldel;TESTCOURSE2;COHA\n", &[], 0);
    assert!(!lms.memberships().iter().any(|m| m.starts_with("TESTCOURSE2 ")), "{:?}", lms.memberships());
}

#[test]
fn enrolstart_and_enrolend_are_stored_on_the_derived_enrolments_and_follow_changes() {
    let lms = site();
    let (sep1, jun30, oct1_8h, jan31) = (1788220800, 1814313600, 1790841600, 1801353600);
    let file = "course;cohort;enrolstart;enrolend\nTESTCOURSE1;COHA;2026-09-01;2027-06-30\nTESTCOURSE2;COHA;1788220800;0\nTESTCOURSE3;COHB;;\n";
    let ran = bind(&lms, file, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 created", "3 created", "4 created"]));
    for u in ["john.doe", "amelie.dupont"] {
        assert_eq!(lms.enrolment_dates("TESTCOURSE1", u, "cohort"), (sep1, jun30), "{u}");
        assert_eq!(lms.enrolment_dates("TESTCOURSE2", u, "cohort"), (sep1, 0), "{u}");
    }
    assert_eq!(lms.enrolment_dates("TESTCOURSE3", "jack.duf", "cohort"), (0, 0), "no dates: none");
    let export = lms.export_json("cohort-bindings");
    let b = export.iter().find(|b| b["course_shortname"] == "TESTCOURSE1").unwrap();
    assert_eq!((&b["enrolstart"], &b["enrolend"]), (&sep1.into(), &jun30.into()), "{b}");

    let again = bind(&lms, file, &[], 0);
    assert_eq!(coded_outcomes(&lms, &again), strs(&["2 unchanged", "3 unchanged", "4 unchanged"]));

    // New dates: the binding and its enrolments follow; an empty value leaves the date.
    let ran = bind(
        &lms,
        "course;cohort;enrolstart;enrolend\nTESTCOURSE1;COHA;2026-10-01 08:00;2027-01-31\nTESTCOURSE2;COHA;0;\n",
        &[],
        0,
    );
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated", "3 updated"]));
    for u in ["john.doe", "amelie.dupont"] {
        assert_eq!(lms.enrolment_dates("TESTCOURSE1", u, "cohort"), (oct1_8h, jan31), "{u}");
        assert_eq!(lms.enrolment_dates("TESTCOURSE2", u, "cohort"), (0, 0), "{u}: start removed");
    }

    // A member joining later gets the binding's dates.
    members(&lms, "cidnumber;userid\nCOHA;U0005\n");
    assert_eq!(lms.enrolment_dates("TESTCOURSE1", "yyang", "cohort"), (oct1_8h, jan31));
}

#[test]
fn bad_lines_fail_with_their_code_the_others_apply_and_the_tryback_holds_the_failed() {
    let lms = site();
    let file = "cmd;course;cohort;role;enrol;enrolstart
add;TESTCOURSE1;COHA;;;
add;NOCOURSE;COHA;;;
add;TESTCOURSE2;NOCOHORT;;;
add;TESTCOURSE2;COHA;nosuchrole;;
add;TESTCOURSE2;COHA;;;someday
add;TESTCOURSE2;COHA;;delayedcohort;
add;TESTCOURSE2;COHA;*;;
add;TESTCOURSE3;COHB;teacher;cohort;
";
    let ran = bind(&lms, file, &[], 1);
    assert_eq!(
        coded_outcomes(&lms, &ran),
        strs(&[
            "2 created",
            "3 failed binding.course_not_found",
            "4 failed binding.cohort_not_found",
            "5 failed binding.bad_role",
            "6 failed binding.bad_date",
            "7 failed binding.unsupported_method",
            "8 failed binding.bad_role",
            "9 created",
        ])
    );
    assert!(message(&lms, &ran, 3).contains("NOCOURSE"), "{}", message(&lms, &ran, 3));
    assert!(message(&lms, &ran, 4).contains("NOCOHORT"), "{}", message(&lms, &ran, 4));
    assert!(message(&lms, &ran, 5).contains("nosuchrole"), "{}", message(&lms, &ran, 5));
    assert!(message(&lms, &ran, 6).contains("someday"), "{}", message(&lms, &ran, 6));
    assert!(message(&lms, &ran, 7).contains("delayedcohort"), "{}", message(&lms, &ran, 7));
    assert_eq!((ran.count("created"), ran.count("failed")), (2, 6));
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student enabled", "TESTCOURSE3 COHB teacher enabled"]));
    assert!(!lms.enrolments().iter().any(|e| e.starts_with("TESTCOURSE2 ")), "{:?}", lms.enrolments());
    assert!(lms.enrolments().contains(&"TESTCOURSE3 jack.duf cohort active teacher".to_string()));

    let tryback = ran.tryback().expect("failed lines give a tryback");
    let got = std::fs::read(&tryback).unwrap();
    assert_eq!(show(&got), show(&pick_lines(file.as_bytes(), &[1, 3, 4, 5, 6, 7, 8])), "header and the failed lines");
}

#[test]
fn a_dry_run_reports_each_line_and_writes_nothing() {
    let lms = site();
    bind(&lms, "course;cohort\nTESTCOURSE1;COHA\n", &[], 0);
    let file = "cmd;course;cohort;makegroup;enrolstart\nadd;TESTCOURSE2;COHA;1;2026-09-01\ndel;TESTCOURSE1;COHA;;\nadd;TESTCOURSE3;COHB;;\nfulldel;TESTCOURSE3;COHA;;\n";
    let before = lms.enrol_state();
    let names = lms.group_names();
    let dry = bind(&lms, file, &["--dry-run"], 0);
    assert!(dry.stdout.contains("dry run: nothing was written"), "{}", dry.stdout);
    assert_eq!(lms.json_report(dry.run_id())["dry_run"], true);
    assert_eq!(
        coded_outcomes(&lms, &dry),
        strs(&["2 created", "3 updated", "4 created", "5 skipped"]),
        "as it would happen"
    );
    assert_eq!(lms.enrol_state(), before, "a dry run writes nothing");
    assert_eq!(lms.group_names(), names, "no group made");
    assert_eq!(lms.journalled(dry.run_id()), 0);
    assert_eq!(bindings(&lms), strs(&["TESTCOURSE1 COHA student enabled"]));

    let real = bind(&lms, file, &[], 0);
    assert_eq!(coded_outcomes(&lms, &real), coded_outcomes(&lms, &dry), "the real run does what the dry run said");
    assert_eq!(
        bindings(&lms),
        strs(&[
            "TESTCOURSE1 COHA student disabled",
            "TESTCOURSE2 COHA student enabled",
            "TESTCOURSE3 COHB student enabled"
        ])
    );
}

#[test]
fn running_the_same_file_again_changes_nothing() {
    let lms = site();
    bind(&lms, "course;cohort;role\nTESTCOURSE3;COHA;teacher\n", &[], 0);
    let file = "cmd;course;cohort;role;enrolstart;enrolend;makegroup
add;TESTCOURSE1;COHA;;2026-09-01;2027-06-30;1
add;TESTCOURSE1;COHB;teacher;;;
;TESTCOURSE2;COHB;;;;yes
del;TESTCOURSE3;COHA;teacher;;;
fulldel;TESTCOURSE2;COHA;*;;;
";
    let first = bind(&lms, file, &[], 0);
    assert_eq!(coded_outcomes(&lms, &first), strs(&["2 created", "3 created", "4 created", "5 updated", "6 skipped"]));
    assert!(lms.journalled(first.run_id()) > 0);
    age(&lms);
    let before = lms.enrol_state();

    let second = bind(&lms, file, &[], 0);
    assert_eq!(
        coded_outcomes(&lms, &second),
        strs(&["2 unchanged", "3 unchanged", "4 unchanged", "5 unchanged", "6 skipped"])
    );
    assert_eq!(lms.journalled(second.run_id()), 0);
    assert_eq!(lms.enrol_state(), before, "nothing rewritten");
}
