//! `del` through a method removes the line's role, and the enrolment only with the last role
//! held through that method (or at once when the line names no role).

mod common;

use common::Lms;

#[test]
fn del_removes_one_role_and_the_enrolment_goes_with_the_last() {
    let lms = Lms::with_enrol_samples();
    let add = "cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;U0001;student;sync\nadd;TESTCOURSE1;U0001;teacher;sync\n";
    assert_eq!(lms.enrols_file("add.csv", add, &[]).code, 0);
    assert_eq!(lms.enrolments(), vec!["TESTCOURSE1 john.doe sync active teacher student"]);

    let one = lms.enrols_file("del1.csv", "cmd;cid;uid;rolename;enrol\ndel;TESTCOURSE1;U0001;student;sync\n", &[]);
    assert_eq!((one.code, one.count("deleted")), (0, 1), "{}", one.all());
    assert_eq!(
        lms.enrolments(),
        vec!["TESTCOURSE1 john.doe sync active teacher"],
        "the enrolment stays with its other role"
    );

    let last = lms.enrols_file("del2.csv", "cmd;cid;uid;rolename;enrol\ndel;TESTCOURSE1;U0001;teacher;sync\n", &[]);
    assert_eq!((last.code, last.count("deleted")), (0, 1), "{}", last.all());
    assert!(lms.enrolments().is_empty(), "the last role took the enrolment with it");

    // No role on the line: the enrolment goes whatever roles it carries.
    assert_eq!(lms.enrols_file("add2.csv", add, &[]).code, 0);
    let all = lms.enrols_file("del3.csv", "cmd;cid;uid;rolename;enrol\ndel;TESTCOURSE1;U0001;;sync\n", &[]);
    assert_eq!((all.code, all.count("deleted")), (0, 1), "{}", all.all());
    assert!(lms.enrolments().is_empty());
    assert!(lms.role_rows().iter().all(|r| !r.contains("john.doe")), "{:?}", lms.role_rows());
}
