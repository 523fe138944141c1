//! Commands of the enrolment file (spec/enrolments-groups.md §3.3–3.4, DECISIONS §5): del and
//! the last enrolment, exclusive shift, roles-only lines, disabled instances, dates, suspended
//! enrolments, the default command and the identifier settings.

mod common;

use common::{Lms, line, strs};

const HEADER: &str = "cmd;cid;uid;rolename;enrol;gcmd;g1\n";

/// Runs `body` under `HEADER` and asserts the run succeeded.
fn ok(lms: &Lms, body: &str) -> serde_json::Value {
    let ran = lms.enrols_file("e.csv", format!("{HEADER}{body}"), &[]);
    assert_eq!((ran.code, ran.count("failed")), (0, 0), "{}", ran.all());
    lms.json_report(ran.run_id())
}

/// john.doe in TESTCOURSE1: manual student (plain role), sync teacher (owned), a plain manager
/// role given without enrolment, and member of G.
fn enrolled_twice() -> Lms {
    let lms = Lms::with_enrol_samples();
    ok(&lms, "add;TESTCOURSE1;U0001;student;manual;gaddcreate;G\nadd;TESTCOURSE1;U0001;teacher;sync;;\n");
    let ran = lms.enrols_file("roles.csv", "cmd;cid;uid;rolename\nadd;TESTCOURSE1;U0001;manager\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(
        lms.role_rows(),
        strs(&[
            "TESTCOURSE1 john.doe manager",
            "TESTCOURSE1 john.doe teacher enrol_sync:sync",
            "TESTCOURSE1 john.doe student"
        ])
    );
    lms
}

#[test]
fn del_of_one_enrolment_keeps_plain_roles_and_groups_and_of_the_last_wipes_them() {
    let lms = enrolled_twice();
    let r = ok(&lms, "del;TESTCOURSE1;U0001;;sync;;\n");
    assert_eq!(line(&r, 2)["outcome"], "deleted");
    assert_eq!(lms.enrolments(), strs(&["TESTCOURSE1 john.doe manual active manager student"]));
    assert_eq!(lms.role_rows(), strs(&["TESTCOURSE1 john.doe manager", "TESTCOURSE1 john.doe student"]));
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE1 G john.doe -"]));

    let r = ok(&lms, "delete;TESTCOURSE1;U0001;;manual;;\ndel;TESTCOURSE1;U0001;;manual;;\n");
    assert_eq!(line(&r, 2)["outcome"], "deleted", "delete is an alias of del");
    assert_eq!(line(&r, 3)["outcome"], "unchanged", "no longer enrolled: {}", line(&r, 3));
    assert_eq!(lms.enrolments(), Vec::<String>::new());
    assert_eq!(lms.role_rows(), Vec::<String>::new(), "the last enrolment gone, every role in the course goes");
    assert_eq!(lms.memberships(), Vec::<String>::new(), "and every group membership");
    assert_eq!(lms.group_names(), strs(&["TESTCOURSE1 G"]), "the group itself stays");
}

#[test]
fn shift_keeps_only_the_line_s_role_among_plain_and_owned_roles() {
    let lms = enrolled_twice();
    // A role derived from a cohort instance: never touched by the file.
    lms.db_write()
        .execute(
            "INSERT INTO role_assignments (roleid, courseid, userid, component, itemid) SELECT 4, c.id, u.id, 'enrol_cohort', 77 FROM course c, user u WHERE c.shortname = 'TESTCOURSE1' AND u.username = 'john.doe'",
            [],
        )
        .unwrap();
    let r = ok(&lms, "shift;TESTCOURSE1;U0001;editingteacher;sync;;\nshift;TESTCOURSE1;U0001;editingteacher;sync;;\n");
    assert_eq!(line(&r, 2)["outcome"], "updated", "{}", line(&r, 2));
    assert_eq!(line(&r, 3)["outcome"], "unchanged", "shift again: {}", line(&r, 3));
    assert_eq!(
        lms.role_rows(),
        strs(&[
            "TESTCOURSE1 john.doe editingteacher enrol_sync:sync",
            "TESTCOURSE1 john.doe teacher enrol_cohort:item 77"
        ]),
        "plain and sync-owned roles replaced by the line's role; the cohort role stays"
    );
    assert_eq!(
        lms.enrolments(),
        strs(&[
            "TESTCOURSE1 john.doe manual active editingteacher teacher",
            "TESTCOURSE1 john.doe sync active editingteacher teacher"
        ]),
        "shift keeps the enrolments"
    );
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE1 G john.doe -"]), "and the groups");

    ok(&lms, "shift;TESTCOURSE1;U0001;student;manual;;\n");
    assert_eq!(
        lms.role_rows(),
        strs(&[
            "TESTCOURSE1 john.doe editingteacher enrol_sync:sync",
            "TESTCOURSE1 john.doe teacher enrol_cohort:item 77",
            "TESTCOURSE1 john.doe student",
        ]),
        "through manual, the plain role is the one to shift; roles of other instances stay"
    );

    // Shifting a user not enrolled yet enrols them.
    let r = ok(&lms, "shift;TESTCOURSE2;U0002;teacher;manual;;\n");
    assert_eq!(line(&r, 2)["outcome"], "created");
    assert!(lms.enrolments().contains(&"TESTCOURSE2 amelie.dupont manual active teacher".to_string()));
}

const ROLES_ONLY: &str = "cmd;cid;uid;rolename\n";

#[test]
fn lines_without_enrol_column_assign_and_remove_plain_roles_only() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file(
        "r.csv",
        format!(
            "{ROLES_ONLY}add;TESTCOURSE1;U0001;student\nadd;TESTCOURSE1;U0001;teacher\nadd;TESTCOURSE1;U0001;student\n"
        ),
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.notes().iter().any(|n| n.contains("roles only")), "{:?}", ran.notes());
    let r = lms.json_report(ran.run_id());
    assert_eq!(line(&r, 4)["outcome"], "unchanged", "already assigned: {}", line(&r, 4));
    assert_eq!(lms.enrolments(), Vec::<String>::new(), "nobody is enrolled");
    assert_eq!(lms.role_rows(), strs(&["TESTCOURSE1 john.doe teacher", "TESTCOURSE1 john.doe student"]));

    let ran = lms.enrols_file("r2.csv", format!("{ROLES_ONLY}shift;TESTCOURSE1;U0001;editingteacher\n"), &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(lms.role_rows(), strs(&["TESTCOURSE1 john.doe editingteacher"]), "shift is exclusive");

    let ran = lms.enrols_file(
        "r3.csv",
        format!("{ROLES_ONLY}add;TESTCOURSE1;U0001;student\ndel;TESTCOURSE1;U0001;editingteacher\ndel;TESTCOURSE1;U0001;editingteacher\n"),
        &[],
    );
    let r = lms.json_report(ran.run_id());
    assert_eq!(
        (line(&r, 3)["outcome"].as_str(), line(&r, 4)["outcome"].as_str()),
        (Some("deleted"), Some("unchanged"))
    );
    assert_eq!(lms.role_rows(), strs(&["TESTCOURSE1 john.doe student"]));

    // An empty role removes every plain role, never those owned by an instance.
    ok(&lms, "add;TESTCOURSE1;U0001;teacher;sync;;\n");
    let ran = lms.enrols_file("r4.csv", format!("{ROLES_ONLY}del;TESTCOURSE1;U0001;\n"), &[]);
    assert_eq!(lms.json_report(ran.run_id())["lines"][0]["outcome"], "deleted");
    assert_eq!(lms.role_rows(), strs(&["TESTCOURSE1 john.doe teacher enrol_sync:sync"]));
}

#[test]
fn a_roles_only_add_reports_created() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file("r.csv", format!("{ROLES_ONLY}add;TESTCOURSE1;U0001;student\n"), &[]);
    assert_eq!((ran.code, ran.count("created"), ran.count("updated")), (0, 1, 0), "{}", ran.all());
}

#[test]
fn del_through_a_method_ignores_an_unknown_role() {
    let lms = Lms::with_enrol_samples();
    ok(&lms, "add;TESTCOURSE1;U0001;student;manual;;\n");
    let ran = lms.enrols_file("d.csv", format!("{HEADER}del;TESTCOURSE1;U0001;nosuchrole;manual;;\n"), &[]);
    assert_eq!((ran.code, ran.count("deleted")), (0, 1), "{}", ran.all());
    assert_eq!(lms.enrolments(), Vec::<String>::new());
    assert_eq!(lms.role_rows(), Vec::<String>::new());
}

#[test]
fn a_roles_only_del_with_an_unknown_role_removes_every_plain_role() {
    let lms = Lms::with_enrol_samples();
    let roles = lms.enrols_file(
        "r.csv",
        format!("{ROLES_ONLY}add;TESTCOURSE2;U0001;student\nadd;TESTCOURSE2;U0001;teacher\n"),
        &[],
    );
    assert_eq!(roles.code, 0, "{}", roles.all());
    let ran = lms.enrols_file("d.csv", format!("{ROLES_ONLY}del;TESTCOURSE2;U0001;nosuchrole\n"), &[]);
    assert_eq!((ran.code, ran.count("deleted")), (0, 1), "{}", ran.all());
    assert_eq!(lms.role_rows(), Vec::<String>::new());
}

#[test]
fn a_method_without_enabled_instance_falls_back_to_roles_only_unless_enrol_on_disabled() {
    let lms = Lms::with_enrol_samples();
    let r = ok(&lms, "add;TESTCOURSE1;U0001;student;self;;\n");
    let m = line(&r, 2)["message"].as_str().unwrap();
    assert!(m.contains("no enabled self instance") && m.contains("roles only"), "{m}");
    assert_eq!(lms.enrolments(), Vec::<String>::new());
    assert_eq!(lms.role_rows(), strs(&["TESTCOURSE1 john.doe student"]));

    let lms = lms.with("LMSYNC_ENROLS__ENROL_ON_DISABLED", "true");
    ok(&lms, "add;TESTCOURSE1;U0002;student;self;;\n");
    assert_eq!(lms.enrolments(), strs(&["TESTCOURSE1 amelie.dupont self disabled student"]));
    assert!(lms.role_rows().contains(&"TESTCOURSE1 amelie.dupont student enrol_self:self".to_string()));
}

#[test]
fn dates_are_set_when_given_kept_when_absent_and_re_runs_change_nothing() {
    let lms = Lms::with_enrol_samples().with("LMSYNC_TIMEZONE", "Europe/Paris");
    let file = "cmd;cid;uid;rolename;enrol;starttime;endtime\nadd;TESTCOURSE1;U0001;student;manual;2026-09-01 08:00;30/06/2027\nadd;TESTCOURSE1;U0002;student;manual;1788220800;1819756800\nadd;TESTCOURSE1;U0003;student;manual;;\n";
    let ran = lms.enrols_file("d.csv", file, &[]);
    assert_eq!((ran.code, ran.count("created")), (0, 3), "{}", ran.all());
    assert_eq!(lms.enrolment_dates("TESTCOURSE1", "john.doe", "manual"), (1788242400, 1814306400), "Paris time");
    assert_eq!(lms.enrolment_dates("TESTCOURSE1", "amelie.dupont", "manual"), (1788220800, 1819756800));
    let (start, end) = lms.enrolment_dates("TESTCOURSE1", "jack.duf", "manual");
    assert!(start > 1_700_000_000 && end == 0, "no start: now, no end: 0 ({start}, {end})");

    let before = lms.enrol_state();
    let again = lms.enrols_file("d.csv", file, &[]);
    assert_eq!((again.code, again.count("unchanged")), (0, 3), "{}", again.all());
    assert_eq!(lms.enrol_state(), before);

    // Without date columns an existing enrolment keeps its dates; new dates update it.
    let ran = lms.enrols_file("n.csv", "cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;U0002;student;manual\n", &[]);
    assert_eq!(ran.count("unchanged"), 1, "{}", ran.all());
    let ran = lms.enrols_file(
        "u.csv",
        "cmd;cid;uid;rolename;enrol;starttime\nadd;TESTCOURSE1;U0002;student;manual;2026-10-01\n",
        &[],
    );
    assert_eq!(ran.count("updated"), 1, "{}", ran.all());
    assert_eq!(lms.enrolment_dates("TESTCOURSE1", "amelie.dupont", "manual"), (1790805600, 1819756800));
}

#[test]
fn add_reactivates_a_suspended_enrolment() {
    let lms = Lms::with_enrol_samples();
    ok(&lms, "add;TESTCOURSE1;U0001;student;manual;;\nadd;TESTCOURSE1;U0002;student;sync;;\n");
    assert_eq!(lms.db_write().execute("UPDATE user_enrolments SET status = 1", []).unwrap(), 2);
    assert!(lms.enrolments().iter().all(|e| e.contains(" suspended ")), "{:?}", lms.enrolments());
    let r = ok(&lms, "add;TESTCOURSE1;U0001;student;manual;;\nadd;TESTCOURSE1;U0002;student;sync;;\n");
    assert_eq!((line(&r, 2)["outcome"].as_str(), line(&r, 3)["outcome"].as_str()), (Some("updated"), Some("updated")));
    assert_eq!(
        lms.enrolments(),
        strs(&["TESTCOURSE1 amelie.dupont sync active student", "TESTCOURSE1 john.doe manual active student"])
    );
}

#[test]
fn the_default_command_applies_to_absent_and_empty_cmd_values() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file("a.csv", "cid;uid;rolename;enrol\nTESTCOURSE1;U0001;student;manual\n", &[]);
    assert_eq!((ran.code, ran.count("created")), (0, 1), "absent cmd column: add; {}", ran.all());
    let lms = lms.with("LMSYNC_ENROLS__DEFAULT_CMD", "del");
    let ran = lms.enrols_file("d.csv", "cmd;cid;uid;rolename;enrol\n;TESTCOURSE1;U0001;;manual\n", &[]);
    assert_eq!((ran.code, ran.count("deleted")), (0, 1), "empty cmd: the default; {}", ran.all());
    assert_eq!(lms.enrolments(), Vec::<String>::new());
}

#[test]
fn users_and_courses_are_matched_by_the_configured_fields() {
    let mut lms = Lms::with_enrol_samples();
    let c = lms.courses_file("create", "c.csv", "shortname;fullname;idnumber\nIDC;Course by idnumber;ERP-42\n", &[]);
    assert_eq!(c.code, 0, "{}", c.all());
    let course_id = lms.rows("SELECT CAST(id AS TEXT) FROM course WHERE shortname = 'TESTCOURSE2'").remove(0);
    let user_id = lms.rows("SELECT CAST(id AS TEXT) FROM user WHERE username = 'yyang'").remove(0);
    let cases = [
        ("username", "shortname", "TESTCOURSE1".to_string(), "John.Doe".to_string()),
        ("email", "idnumber", "ERP-42".to_string(), "ADupont@FooBar.com".to_string()),
        ("id", "id", course_id, user_id),
    ];
    for (user, course, cid, uid) in cases {
        lms.set("LMSYNC_ENROLS__USER_IDENTIFIER", user);
        lms.set("LMSYNC_ENROLS__COURSE_IDENTIFIER", course);
        let body = format!("cid;uid;rolename;enrol\n{cid};{uid};student;manual\nTESTCOURSE3;U0001;student;manual\n");
        let ran = lms.enrols_file("e.csv", body, &[]);
        assert_eq!((ran.count("created"), ran.count("failed")), (1, 1), "{user}/{course}: {}", ran.all());
        let note = format!("courses are matched by {course}, users by {user}");
        assert!(ran.notes().contains(&note), "{:?}", ran.notes());
    }
    assert_eq!(
        lms.enrolments(),
        strs(&[
            "IDC amelie.dupont manual active student",
            "TESTCOURSE1 john.doe manual active student",
            "TESTCOURSE2 yyang manual active student",
        ])
    );
}

#[test]
fn del_through_sync_of_a_user_not_enrolled_changes_nothing() {
    let lms = Lms::with_enrol_samples();
    let before = lms.enrol_state();
    let ran =
        lms.enrols_file("d.csv", format!("{HEADER}del;TESTCOURSE1;U0001;;;;\ndel;TESTCOURSE2;U0001;;sync;;\n"), &[]);
    assert_eq!((ran.code, ran.count("unchanged")), (0, 2), "{}", ran.all());
    assert_eq!(lms.enrol_state(), before, "no sync instance is created by a del");
}
