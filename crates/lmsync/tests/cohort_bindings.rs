//! Cohort bindings seen through the binary: the cohort exports, the enrolments a binding derives
//! in `export enrolments`, and `lmsync check` finding and repairing drift.

mod common;

use common::*;

#[test]
fn exports_show_cohorts_members_bindings_and_the_enrolments_they_derive() {
    let lms = Lms::with_sample_site();
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

#[test]
fn check_finds_drift_in_what_bindings_derive_and_repair_removes_it() {
    let lms = Lms::with_sample_site();
    let db = lms.db_write();
    db.execute_batch(
        "INSERT INTO cohort (id, name, idnumber) VALUES (1, 'Grouped users', 'COHGRP');
         INSERT INTO cohort_members (cohortid, userid) SELECT 1, id FROM user WHERE username IN ('ugr1', 'ugr2', 'ugr3');
         INSERT INTO enrol (enrol, course, customint1, roleid)
             SELECT 'cohort', c.id, 1, r.id FROM course c JOIN role r ON r.shortname = 'student' WHERE c.shortname = 'TESTCOURSE1';",
    )
    .unwrap();
    let clean = lms.exec(&["check"]);
    assert_eq!((clean.code, clean.stdout.trim()), (0, "cohort bindings: consistent"), "{clean:?}");

    // Edits behind the triggers' back, as a partial restore by a tool unaware of them would make:
    // the triggers that would have kept things in step are gone from this database.
    db.execute_batch(
        "DROP TRIGGER user_enrolments_cohort_revoke;
         DELETE FROM user_enrolments WHERE userid = (SELECT id FROM user WHERE username = 'ugr1');
         DROP TRIGGER cohort_members_enrol;
         INSERT INTO cohort_members (cohortid, userid) SELECT 1, id FROM user WHERE username = 'ugr4';",
    )
    .unwrap();
    drop(db);

    let found = lms.exec(&["check"]);
    assert_eq!(found.code, 1, "{found:?}");
    assert!(found.stdout.contains("2 cohort members not enrolled"), "{}", found.stdout);
    assert!(found.stdout.contains("1 roles held through a binding without an active enrolment"), "{}", found.stdout);
    assert!(found.stdout.contains("lmsync check --repair"), "{}", found.stdout);

    let repaired = lms.exec(&["check", "--repair"]);
    assert_eq!(repaired.code, 1, "{repaired:?}");
    assert!(repaired.stdout.contains("(repaired)"), "{}", repaired.stdout);
    let after = lms.exec(&["check"]);
    assert_eq!((after.code, after.stdout.trim()), (0, "cohort bindings: consistent"), "{after:?}");
    let enrolled: Vec<_> = lms
        .export_json("enrolments")
        .iter()
        .filter(|e| e["method"] == "cohort")
        .map(|e| (e["username"].clone(), e["roles"].clone()))
        .collect();
    assert_eq!(
        enrolled,
        ["ugr1", "ugr2", "ugr3", "ugr4"].iter().map(|u| ((*u).into(), "student".into())).collect::<Vec<_>>()
    );
}
