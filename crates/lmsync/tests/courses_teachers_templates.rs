//! `teacherN_account` / `teacherN_role` enrol the teacher with that role (DECISIONS §5, Q32
//! fixed), and `template` copies a template course's sections and activities (spec/courses.md
//! §6.6, error -7 kept), also into existing courses with `courses.template_mode`.

mod common;

use common::*;

const USERS: &str = "username;firstname;lastname;email
teach1;Ann;One;ann@example.org
teach2;Bob;Two;bob@example.org
twin1;Tom;Twin;same@example.org
twin2;Tim;Twin;same@example.org
";

fn with_users() -> Lms {
    let lms = Lms::new()
        .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
        .with("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS", "true");
    let ran = lms.run_bytes("users.csv", USERS, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    lms
}

/// `(username, role shortname, enrolled through manual and active)` of a course's teachers.
fn teachers(lms: &Lms, course: &str) -> Vec<(String, String, bool)> {
    let db = lms.db();
    let mut stmt = db
        .prepare(
            "SELECT u.username, r.shortname, EXISTS (SELECT 1 FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                 WHERE e.course = c.id AND e.enrol = 'manual' AND e.status = 0 AND ue.userid = u.id AND ue.status = 0)
             FROM role_assignments ra JOIN course c ON c.id = ra.courseid JOIN user u ON u.id = ra.userid
             JOIN role r ON r.id = ra.roleid WHERE c.shortname = ?1 ORDER BY u.username, r.shortname",
        )
        .unwrap();
    stmt.query_map([course], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

fn t(user: &str, role: &str) -> (String, String, bool) {
    (user.to_string(), role.to_string(), true)
}

#[test]
fn teachers_are_enrolled_through_the_manual_instance_with_their_role() {
    let lms = with_users();
    let twin1 = lms.user("twin1")["id"].as_i64().unwrap();
    let file = format!(
        "shortname;fullname;teacher1_account;teacher1_role;teacher2_account;teacher3_account;teacher3_role
K1;By username;teach1;teacher;bob@example.org;{twin1};
K2;Case-insensitive;TEACH1;;BOB@EXAMPLE.ORG;;
"
    );
    let path = lms.write("teachers.csv", file);
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        teachers(&lms, "K1"),
        [t("teach1", "teacher"), t("teach2", "editingteacher"), t("twin1", "editingteacher")],
        "by username, e-mail and id; editingteacher unless teacherN_role says otherwise"
    );
    assert_eq!(teachers(&lms, "K2"), [t("teach1", "editingteacher"), t("teach2", "editingteacher")]);
    let mut lms = lms;
    for force in ["false", "true"] {
        lms.set("LMSYNC_COURSES__FORCE_UPDATE", force);
        lms.assert_create_rerun_unchanged(&path, &ran, &[]);
        assert_eq!(teachers(&lms, "K2").len(), 2);
    }
}

#[test]
fn force_update_adds_a_teacher_to_an_existing_course() {
    let lms = with_users().with("LMSYNC_COURSES__FORCE_UPDATE", "true");
    lms.courses_file("create", "a.csv", "shortname;fullname\nK1;Course\n", &[]);
    assert!(teachers(&lms, "K1").is_empty());
    let ran =
        lms.courses_file("create", "b.csv", "shortname;fullname;teacher1_account\nK1;Course;ann@example.org\n", &[]);
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["outcome"], "updated");
    assert_eq!(teachers(&lms, "K1"), [t("teach1", "editingteacher")]);
}

#[test]
fn teacher_errors_fail_the_line_and_create_nothing() {
    let lms = with_users();
    let file = "shortname;fullname;teacher1_account;teacher1_role
E1;Unknown role;teach1;boss
E2;Unknown user;nobody;
E3;Unknown e-mail;nobody@example.org;
E4;Unknown id;99999;
E5;Ambiguous e-mail;same@example.org;
E6;Role without account;;teacher
OK;Fine;teach2;student
";
    let ran = lms.courses_file("create", "bad.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    let codes: Vec<(&str, &str)> =
        lines(&report).iter().map(|l| (l["key"].as_str().unwrap(), l["code"].as_str().unwrap_or("-"))).collect();
    assert_eq!(
        codes,
        [
            ("E1", "course.unknown_role"),
            ("E2", "course.teacher_not_found"),
            ("E3", "course.teacher_not_found"),
            ("E4", "course.teacher_not_found"),
            ("E5", "course.teacher_ambiguous"),
            ("E6", "course.teacher_account_missing"),
            ("OK", "-"),
        ]
    );
    let ambiguous = line(&report, 6)["message"].as_str().unwrap();
    assert!(ambiguous.contains("twin1") && ambiguous.contains("twin2"), "names the candidates: {ambiguous}");
    let shortnames: Vec<_> = lms.export_json("courses").iter().map(|c| c["shortname"].clone()).collect();
    assert_eq!(shortnames, ["OK"]);
    assert_eq!(teachers(&lms, "OK"), [t("teach2", "student")]);
    let tryback = std::fs::read(ran.tryback().expect("tryback")).unwrap();
    assert_eq!(show(&tryback), show(&pick_lines(file.as_bytes(), &[1, 2, 3, 4, 5, 6, 7])));
}

/// Adds an activity to section `section` of `course`.
fn add_module(lms: &Lms, course: &str, section: i64, modname: &str, name: &str, idnumber: &str, visible: i64) {
    let n = lms
        .db_write()
        .execute(
            "INSERT INTO course_modules (course, section, modname, name, idnumber, visible, sortorder)
             SELECT c.id, s.id, ?3, ?4, ?5, ?6, (SELECT count(*) FROM course_modules WHERE course = c.id)
             FROM course c JOIN course_sections s ON s.course = c.id WHERE c.shortname = ?1 AND s.section = ?2",
            rusqlite::params![course, section, modname, name, idnumber, visible],
        )
        .unwrap();
    assert_eq!(n, 1, "no section {section} in {course}");
}

/// `section:modname:name:idnumber:visible` of a course's activities, in order.
fn modules(lms: &Lms, course: &str) -> Vec<String> {
    let db = lms.db();
    let mut stmt = db
        .prepare(
            "SELECT s.section, m.modname, m.name, m.idnumber, m.visible FROM course_modules m
             JOIN course_sections s ON s.id = m.section JOIN course c ON c.id = m.course
             WHERE c.shortname = ?1 ORDER BY s.section, m.sortorder, m.id",
        )
        .unwrap();
    stmt.query_map([course], |r| {
        Ok(format!(
            "{}:{}:{}:{}:{}",
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// `section|name|summary` of a course's sections.
fn sections(lms: &Lms, course: &str) -> Vec<String> {
    lms.export_json("sections")
        .iter()
        .filter(|s| s["course_shortname"] == course)
        .map(|s| format!("{}|{}|{}", s["section"], s["name"].as_str().unwrap_or(""), s["summary"].as_str().unwrap()))
        .collect()
}

/// A store with template course TPL (sections 0…2, two activities) and course EXIST (0…1).
fn with_template() -> Lms {
    let lms = Lms::new();
    let file = "shortname;fullname;format;topic0;topic1;topic2\nTPL;Template;weeks;Welcome|Start here;Unit A;Unit B|More\n\
EXIST;Existing;topics;Mine;Keep me;\n";
    let ran = lms.courses_file("create", "tpl.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let dropped = lms
        .db_write()
        .execute("DELETE FROM course_sections WHERE section = 2 AND course = (SELECT id FROM course WHERE shortname = 'EXIST')", [])
        .unwrap();
    assert_eq!(dropped, 1, "EXIST keeps sections 0 and 1 only");
    add_module(&lms, "TPL", 0, "forum", "Announcements", "NEWS", 1);
    add_module(&lms, "TPL", 2, "quiz", "Final quiz", "", 0);
    add_module(&lms, "EXIST", 1, "page", "My page", "", 1);
    lms
}

const TPL_MODULES: [&str; 2] = ["0:forum:Announcements:NEWS:1", "2:quiz:Final quiz::0"];

#[test]
fn a_template_course_gives_its_sections_and_activities_to_a_new_course() {
    let lms = with_template();
    let tpl_before = (sections(&lms, "TPL"), modules(&lms, "TPL"));
    let path = lms.write("new.csv", "shortname;fullname;template\nNEW1;From template;TPL\n");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(line(&lms.json_report(ran.run_id()), 2)["message"].as_str().unwrap().contains("TPL"));
    assert_eq!(sections(&lms, "NEW1"), ["0|Welcome|Start here", "1|Unit A|", "2|Unit B|More"]);
    assert_eq!(modules(&lms, "NEW1"), TPL_MODULES);
    lms.assert_create_rerun_unchanged(&path, &ran, &[]);

    let path = lms.write("topic.csv", "shortname;fullname;template;topic1\nNEW2;With a topic;TPL;Own unit|Mine\n");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sections(&lms, "NEW2"), ["0|Welcome|Start here", "1|Own unit|Mine", "2|Unit B|More"], "topics win");
    assert_eq!(modules(&lms, "NEW2"), TPL_MODULES);
    assert_eq!((sections(&lms, "TPL"), modules(&lms, "TPL")), tpl_before, "the template is untouched");
    lms.assert_create_rerun_unchanged(&path, &ran, &[]);
}

#[test]
fn a_missing_template_or_a_backup_file_fails_the_line() {
    let lms = with_template();
    let file = "shortname;fullname;template\nM1;Missing;NOPE\nM2;Backup;course.mbz\nM3;Wrong case;tpl\n";
    let ran = lms.courses_file("create", "missing.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["code"], "course.template_not_found");
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("-7"), "{report:#}");
    assert_eq!(line(&report, 3)["code"], "course.template_backup");
    assert!(line(&report, 3)["message"].as_str().unwrap().contains("-22"), "no such backup: {report:#}");
    assert_eq!(line(&report, 4)["code"], "course.template_not_found", "shortnames match exactly");
    assert_eq!(lms.export_json("courses").len(), 2, "nothing created");
}

#[test]
fn template_mode_decides_what_a_template_does_to_an_existing_course() {
    let file = "shortname;fullname;template\nEXIST;Existing;TPL\n";
    let none = with_template().with("LMSYNC_COURSES__FORCE_UPDATE", "true");
    let ran = none.courses_file("create", "t.csv", file, &[]);
    assert_eq!(line(&none.json_report(ran.run_id()), 2)["outcome"], "unchanged", "template_mode none");
    assert_eq!(modules(&none, "EXIST"), ["1:page:My page::1"]);

    let add = with_template().with("LMSYNC_COURSES__FORCE_UPDATE", "true").with("LMSYNC_COURSES__TEMPLATE_MODE", "add");
    let ran = add.courses_file("create", "t.csv", file, &[]);
    assert_eq!(line(&add.json_report(ran.run_id()), 2)["outcome"], "updated");
    assert_eq!(sections(&add, "EXIST"), ["0|Mine|", "1|Keep me|", "2|Unit B|More"], "existing sections kept");
    let mut expected = vec!["1:page:My page::1".to_string()];
    expected.extend(TPL_MODULES.map(String::from));
    expected.sort();
    let mut got = modules(&add, "EXIST");
    got.sort();
    assert_eq!(got, expected);

    let replace =
        with_template().with("LMSYNC_COURSES__FORCE_UPDATE", "true").with("LMSYNC_COURSES__TEMPLATE_MODE", "replace");
    let ran = replace.courses_file("create", "t.csv", file, &[]);
    assert_eq!(line(&replace.json_report(ran.run_id()), 2)["outcome"], "updated");
    assert_eq!(sections(&replace, "EXIST"), sections(&replace, "TPL"));
    assert_eq!(modules(&replace, "EXIST"), TPL_MODULES, "the course's own activity is gone");
}

#[test]
fn template_mode_add_rerun_changes_nothing() {
    let lms = with_template().with("LMSYNC_COURSES__FORCE_UPDATE", "true").with("LMSYNC_COURSES__TEMPLATE_MODE", "add");
    let path = lms.write("t.csv", "shortname;fullname;template\nEXIST;Existing;TPL\n");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(modules(&lms, "EXIST").len(), 3);
    lms.assert_create_rerun_unchanged(&path, &ran, &[]);
    assert_eq!(modules(&lms, "EXIST").len(), 3);
}

#[test]
fn template_mode_replace_rerun_changes_nothing() {
    let lms =
        with_template().with("LMSYNC_COURSES__FORCE_UPDATE", "true").with("LMSYNC_COURSES__TEMPLATE_MODE", "replace");
    let path = lms.write("t.csv", "shortname;fullname;template\nEXIST;Existing;TPL\n");
    let ran = lms.run_courses("create", &path, &[]);
    lms.assert_create_rerun_unchanged(&path, &ran, &[]);
}

#[test]
fn a_course_from_a_template_keeps_the_template_format() {
    let lms = with_template();
    lms.courses_file("create", "new.csv", "shortname;fullname;template\nNEW1;From template;TPL\n", &[]);
    let courses = lms.export_json("courses");
    let new = courses.iter().find(|c| c["shortname"] == "NEW1").unwrap();
    assert_eq!(new["format"], "weeks", "spec §6.1: format is the template's for template-based courses");
}

#[test]
fn the_guest_account_cannot_be_a_teacher() {
    let lms = with_users();
    let ran =
        lms.courses_file("create", "guest.csv", "shortname;fullname;teacher1_account\nGT;Guest teacher;guest\n", &[]);
    assert_eq!(ran.code, 1, "spec §6.2: the guest account is never a teacher: {ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["code"], "course.teacher_not_found");
    assert!(teachers(&lms, "GT").is_empty());
}
