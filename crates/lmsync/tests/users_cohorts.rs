//! The users file's `cohort` / `cohortid` columns: an account joins the cohort of that name
//! (created when missing, `cohortid` as its idnumber), and a binding of that cohort enrols it.

mod common;

use common::*;

#[test]
fn accounts_join_the_named_cohort_which_is_created_once_with_its_idnumber() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let file = "username;firstname;lastname;email;cohort;cohortid\n\
                a1;A;One;a1@example.org;Staff;STAFF\n\
                a2;A;Two;a2@example.org;Staff;IGNORED\n\
                a3;A;Three;a3@example.org;;\n\
                a4;A;Four;a4@example.org;Year 1;\n";
    let r = lms.run_bytes("u.csv", file, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(lms.cohort_names(), strs(&["- Year 1", "STAFF Staff"]));
    assert_eq!(lms.cohort_members(), strs(&[" a4", "STAFF a1", "STAFF a2"]));
    let report = lms.json_report(r.run_id());
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("joined cohort Staff (created)"), "{report}");
    let third = line(&report, 3)["message"].as_str().unwrap();
    assert!(third.contains("joined cohort Staff") && !third.contains("created)"), "{report}");

    // Same file again: every account is already a member.
    let again = lms.run_bytes("u.csv", file, &[]);
    assert_eq!(again.count("unchanged"), 4, "{}", again.all());
    assert_eq!(lms.cohort_members().len(), 3);
}

#[test]
fn an_unchanged_account_joining_a_cohort_is_updated_and_the_users_file_never_removes_members() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let r = lms.run_bytes("u.csv", "username;firstname;lastname;email\nb1;B;One;b1@example.org\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let join = lms.run_bytes("u.csv", "username;firstname;lastname;email;cohort\nb1;B;One;b1@example.org;Club\n", &[]);
    assert_eq!(join.count("updated"), 1, "{}", join.all());
    assert_eq!(lms.cohort_members(), strs(&[" b1"]));
    // Another cohort on a later file: joined as well, the first membership stays.
    let other =
        lms.run_bytes("u.csv", "username;firstname;lastname;email;cohort\nb1;B;One;b1@example.org;Choir\n", &[]);
    assert_eq!(other.count("updated"), 1, "{}", other.all());
    assert_eq!(
        lms.rows("SELECT c.name FROM cohort_members m JOIN cohort c ON c.id = m.cohortid ORDER BY 1"),
        strs(&["Choir", "Club"])
    );
}

#[test]
fn a_dry_run_reports_the_join_and_writes_nothing() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let r = lms.run_bytes(
        "u.csv",
        "username;firstname;lastname;email;cohort\nc1;C;One;c1@example.org;Club\n",
        &["--dry-run"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(line(&lms.json_report(r.run_id()), 2)["message"].as_str().unwrap().contains("joined cohort Club"));
    assert!(lms.cohort_names().is_empty());
}

#[test]
fn joining_a_bound_cohort_through_the_users_file_enrols_the_account_at_once() {
    let lms = Lms::with_sample_site();
    let r = lms.cohorts_file("members", "cohorts.csv", "cname;cidnumber\nStudents;STU\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = lms.cohorts_file("bindings", "cohortscourses.csv", "cohort;course;role\nSTU;TESTCOURSE2;student\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let mut lms = lms;
    lms.set("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let r = lms.run_bytes(
        "u.csv",
        "username;firstname;lastname;email;cohort\nnewbie;New;Bie;newbie@example.org;Students\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        lms.enrolments().contains(&"TESTCOURSE2 newbie cohort active student".to_string()),
        "{:?}",
        lms.enrolments()
    );
}
