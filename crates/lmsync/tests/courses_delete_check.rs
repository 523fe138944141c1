//! `courses --op check` (spec/courses.md §4: says which courses exist, writes nothing, keeps its
//! input) and `--op delete` (§5: deletes each course with everything in it and other courses'
//! meta links to it, guarded by the change threshold of DECISIONS §5).

mod common;

use common::*;
use std::fs;

/// A store with courses C01…C`n` (idnumbers ID01…).
fn with_courses(n: usize) -> Lms {
    let lms = Lms::new();
    let mut file = String::from("shortname;fullname;idnumber;category\n");
    for i in 1..=n {
        file.push_str(&format!("C{i:02};Course {i};ID{i:02};Faculty\n"));
    }
    let ran = lms.courses_file("create", "setup.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    lms
}

fn shortnames(lms: &Lms) -> Vec<String> {
    lms.export_json("courses").iter().map(|c| c["shortname"].as_str().unwrap().to_string()).collect()
}

fn count(lms: &Lms, sql: &str) -> i64 {
    lms.db().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn check_reports_each_course_and_changes_nothing() {
    let lms = with_courses(3);
    let before = lms.course_state();
    let file = "shortname\nC01\nNOPE;Planned for 2027\nC03;\nc02\n";
    let ran = lms.courses_file("check", "courses.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(report["operation"], "check");
    let found = line(&report, 2);
    assert_eq!(found["outcome"], "unchanged", "{found}");
    let message = found["message"].as_str().unwrap();
    assert!(message.contains("exists") && message.contains("ID01") && message.contains("Course 1"), "{message}");
    let missing = line(&report, 3);
    assert_eq!((missing["outcome"].as_str(), missing["code"].as_str()), (Some("failed"), Some("course.not_found")));
    assert!(missing["message"].as_str().unwrap().contains("Planned for 2027"), "the description is echoed: {missing}");
    assert_eq!(line(&report, 4)["outcome"], "unchanged");
    assert_eq!(line(&report, 5)["outcome"], "failed", "identifiers are case-sensitive");
    assert!(lines(&report).iter().all(|l| l["line"] != 1 || l["outcome"] != "failed"), "the header line is no course");

    assert_eq!(lms.course_state(), before);
    assert_eq!(lms.journalled(ran.run_id()), 0);
    assert!(ran.archive().is_none(), "check keeps its input: {ran:?}");
    assert_eq!(fs::read_to_string(lms.files().join("courses.csv")).unwrap(), file);
    let tryback = fs::read(ran.tryback().expect("a tryback")).unwrap();
    assert_eq!(show(&tryback), "NOPE;Planned for 2027\nc02\n");
}

#[test]
fn check_by_idnumber_or_id() {
    let lms = with_courses(2).with("LMSYNC_COURSES__CHECK_IDENTIFIER", "idnumber");
    let ran = lms.courses_file("check", "courses.csv", "idnumber\nID01\nC02\n", &[]);
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "unchanged");
    assert_eq!(line(&report, 3)["code"], "course.not_found", "C02 is a shortname, not an idnumber");

    let id = lms.export_json("courses")[1]["id"].clone();
    let lms = lms.with("LMSYNC_COURSES__CHECK_IDENTIFIER", "id");
    let ran = lms.courses_file("check", "courses.csv", format!("{id}\n9999\n"), &[]);
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 1)["outcome"], "unchanged", "{report:#}");
    assert!(line(&report, 1)["message"].as_str().unwrap().contains("C02"));
    assert_eq!(line(&report, 2)["code"], "course.not_found");
}

#[test]
fn check_ignores_fields_after_the_description() {
    let lms = with_courses(1);
    let ran = lms.courses_file("check", "courses.csv", "C01;description;extra\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 1)["outcome"], "unchanged");
}

#[test]
fn delete_removes_everything_in_the_course_and_meta_links_to_it() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let users = "username;firstname;lastname;email\nteach;T;Each;t@example.org\nother;O;Ther;o@example.org\n";
    assert_eq!(lms.run_bytes("users.csv", users, &[]).code, 0);
    let file = "shortname;fullname;category;teacher1_account\nC01;One;Faculty;teach\nC02;Two;Faculty;other\n";
    assert_eq!(lms.courses_file("create", "setup.csv", file, &[]).code, 0);
    let ids: Vec<_> = lms.export_json("courses").iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2]);
    let db = lms.db_write();
    db.execute_batch(
        "INSERT INTO course_modules (course, section, modname, name)
             SELECT course, id, 'forum', 'News' FROM course_sections WHERE course = 1 AND section = 0;
         INSERT INTO groups (courseid, name) VALUES (1, 'G1');
         INSERT INTO groups_members (groupid, userid) SELECT id, (SELECT id FROM user WHERE username = 'teach') FROM groups;
         INSERT INTO enrol (enrol, course, status, customint1, sortorder) VALUES ('meta', 2, 0, 1, 9);",
    )
    .unwrap();
    drop(db);
    assert_eq!(lms.export_json("course-links").len(), 1);

    let ran = lms.courses_file("delete", "deletecourses.csv", "C01\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("deleted"), 1);
    assert_eq!(shortnames(&lms), ["C02"]);
    for (what, sql) in [
        ("sections", "SELECT count(*) FROM course_sections WHERE course = 1"),
        ("activities", "SELECT count(*) FROM course_modules WHERE course = 1"),
        ("instances", "SELECT count(*) FROM enrol WHERE course = 1"),
        ("meta links to it", "SELECT count(*) FROM enrol WHERE enrol = 'meta' AND customint1 = 1"),
        ("enrolments", "SELECT count(*) FROM user_enrolments WHERE enrolid NOT IN (SELECT id FROM enrol)"),
        ("roles", "SELECT count(*) FROM role_assignments WHERE courseid = 1 OR component = 'enrol_meta'"),
        ("groups", "SELECT count(*) FROM groups WHERE courseid = 1"),
        ("group members", "SELECT count(*) FROM groups_members"),
    ] {
        assert_eq!(count(&lms, sql), 0, "{what} of the deleted course are gone");
    }
    assert!(lms.export_json("course-links").is_empty());
    assert_eq!(count(&lms, "SELECT count(*) FROM enrol WHERE course = 2"), 3, "C02 keeps its own instances");
    assert_eq!(count(&lms, "SELECT count(*) FROM role_assignments WHERE courseid = 2"), 1, "and its teacher");
    assert_eq!(lms.export_json("categories").len(), 1, "the category stays");
    assert_eq!(lms.user("teach")["deleted"], 0, "users are not touched");
}

#[test]
fn delete_by_idnumber_skips_a_header_line_and_fails_unknown_ones() {
    let lms = with_courses(3).with("LMSYNC_COURSES__DELETE_IDENTIFIER", "idnumber");
    let ran = lms.courses_file("delete", "del.csv", "idnumber\nID02\nC03\n", &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_ne!(line(&report, 1)["outcome"], "failed", "{report:#}");
    assert_eq!(line(&report, 2)["outcome"], "deleted");
    assert_eq!(line(&report, 3)["code"], "course.not_found");
    assert_eq!(shortnames(&lms), ["C01", "C03"]);
    assert_eq!(show(&fs::read(ran.tryback().unwrap()).unwrap()), "C03\n");
}

#[test]
fn deleting_more_than_the_thresholds_needs_confirmation() {
    let lms = with_courses(25);
    let list = |n: usize| (1..=n).map(|i| format!("C{i:02}\n")).collect::<String>();

    // 21 of 25: more than 10 % and more than 20.
    let before = lms.course_state();
    let ran = lms.courses_file("delete", "deletecourses.csv", list(21), &[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.all().contains("--confirm-deletes"), "says how to confirm: {ran:?}");
    assert!(ran.all().contains("21"), "says how many: {ran:?}");
    assert_eq!(lms.course_state(), before, "nothing deleted");
    assert!(ran.archive().is_none());

    let dry = lms.courses_file("delete", "deletecourses.csv", list(21), &["--dry-run"]);
    assert_eq!(dry.count("deleted"), 21, "a dry run shows the count: {dry:?}");
    assert_eq!(lms.course_state(), before);

    let confirmed = lms.courses_file("delete", "deletecourses.csv", list(21), &["--confirm-deletes"]);
    assert_eq!(confirmed.code, 0, "{confirmed:?}");
    assert_eq!(shortnames(&lms), ["C22", "C23", "C24", "C25"]);

    // Exactly 20 is not more than 20.
    let lms = with_courses(25);
    let ran = lms.courses_file("delete", "deletecourses.csv", list(20), &[]);
    assert_eq!((ran.code, ran.count("deleted")), (0, 20), "{ran:?}");
}

#[test]
fn the_percentage_threshold_counts_existing_courses() {
    let lms = with_courses(4)
        .with("LMSYNC_COURSES__DELETE_THRESHOLD_PERCENT", "50")
        .with("LMSYNC_COURSES__DELETE_THRESHOLD_COUNT", "0");
    let half = lms.courses_file("delete", "del.csv", "C01\nC02\n", &[]);
    assert_eq!((half.code, half.count("deleted")), (0, 2), "50 % is not more than 50 %: {half:?}");
    let rest = lms.courses_file("delete", "del.csv", "C03\nC04\nMISSING\n", &[]);
    assert_eq!(rest.code, 2, "2 of 2 is more than 50 %: {rest:?}");
    assert_eq!(shortnames(&lms), ["C03", "C04"]);
}
