//! `lmsync export cohorts|cohort-members|cohort-bindings` show cohorts, their members and their
//! course bindings, and the enrolments a binding derives show in `export enrolments`.

mod common;

use common::*;

fn site() -> Lms {
    let mut lms = Lms::new()
        .with("LMSYNC_USERS__PRIMARY_IDENTITY", "username")
        .with("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS", "true");
    let r = lms.run_users(&lms.fixture("user_create_sample.csv"), &[]);
    assert_eq!(r.code, 0, "user_create_sample.csv: {}", r.all());
    let r = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    assert!(r.code <= 1, "course_create_sample.csv: {}", r.all());
    lms.unset("LMSYNC_USERS__PRIMARY_IDENTITY");
    lms.unset("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS");
    lms
}

#[test]
fn exports_show_cohorts_members_bindings_and_the_enrolments_they_derive() {
    let lms = site();
    let db = lms.db_write();
    db.execute_batch(
        "INSERT INTO course_categories (name, idnumber) VALUES ('Cohort home', 'CH');
         INSERT INTO cohort (id, name, idnumber, description) VALUES (1, 'Grouped users', 'COHGRP', 'All grouped users');
         INSERT INTO cohort (id, name, idnumber, categoryid)
             SELECT 2, 'Category cohort', 'COHCAT', id FROM course_categories WHERE idnumber = 'CH';
         INSERT INTO cohort_members (cohortid, userid) SELECT 1, id FROM user WHERE username IN ('ugr1', 'ugr2');
         INSERT INTO groups (courseid, name) SELECT id, 'Grouped users' FROM course WHERE shortname = 'TESTCOURSE1';
         INSERT INTO enrol (enrol, course, customint1, roleid, customint2, enrolstartdate)
             SELECT 'cohort', c.id, 1, r.id, g.id, 1700000000 FROM course c JOIN role r ON r.shortname = 'student'
             LEFT JOIN groups g ON g.courseid = c.id WHERE c.shortname = 'TESTCOURSE1';",
    )
    .unwrap();
    drop(db);

    let cohorts = lms.export_json("cohorts");
    assert_eq!(cohorts.len(), 2, "{cohorts:?}");
    assert_eq!(
        (&cohorts[0]["name"], &cohorts[0]["idnumber"], &cohorts[0]["description"], &cohorts[0]["context"]),
        (&"Grouped users".into(), &"COHGRP".into(), &"All grouped users".into(), &"system".into())
    );
    assert_eq!(cohorts[1]["context"], "category:Cohort home", "{:?}", cohorts[1]);

    let members = lms.export_json("cohort-members");
    let names: Vec<_> = members.iter().map(|m| (m["cohort_idnumber"].clone(), m["username"].clone())).collect();
    assert_eq!(names, vec![("COHGRP".into(), "ugr1".into()), ("COHGRP".into(), "ugr2".into())]);

    let bindings = lms.export_json("cohort-bindings");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    let b = &bindings[0];
    assert_eq!(
        (&b["course_shortname"], &b["cohort_idnumber"], &b["role"], &b["method"], &b["status"]),
        (&"TESTCOURSE1".into(), &"COHGRP".into(), &"student".into(), &"cohort".into(), &"enabled".into()),
        "{b}"
    );
    assert_eq!(
        (&b["enrolstart"], &b["enrolend"], &b["group"]),
        (&1700000000.into(), &0.into(), &"Grouped users".into())
    );

    let enrolments = lms.export_json("enrolments");
    let derived: Vec<_> = enrolments
        .iter()
        .filter(|e| e["method"] == "cohort")
        .map(|e| (e["course_shortname"].clone(), e["username"].clone(), e["roles"].clone()))
        .collect();
    assert_eq!(
        derived,
        vec![
            ("TESTCOURSE1".into(), "ugr1".into(), "student".into()),
            ("TESTCOURSE1".into(), "ugr2".into(), "student".into())
        ]
    );
    let csv = lms.exec(&["export", "cohort-bindings", "--format", "csv"]);
    assert_eq!(csv.code, 0, "{csv:?}");
    assert!(
        csv.stdout.starts_with("course_shortname;cohort_idnumber;role;method;status;enrolstart;enrolend;group\n"),
        "{}",
        csv.stdout
    );
}
