//! Cohort bindings keep derived enrolments, roles and group memberships in step with cohort
//! membership, whatever writes it (migration 006's triggers).

use lmsync_sqlite::SqliteStore;
use rusqlite::{Connection, params};

const STUDENT: i64 = 5;
const TEACHER: i64 = 4;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
    let c = store.connection();
    c.execute_batch(
        "INSERT INTO course_categories (id, name) VALUES (1, 'Misc');
         INSERT INTO course (id, category, shortname, fullname) VALUES (10, 1, 'A', 'A'), (11, 1, 'B', 'B');
         INSERT INTO enrol (id, enrol, course) VALUES (100, 'manual', 10);
         INSERT INTO groups (id, courseid, name) VALUES (300, 10, 'Cohort 1');
         INSERT INTO user (id, username, firstname, lastname) VALUES (50, 'ann', 'Ann', 'A'), (51, 'bob', 'Bob', 'B');
         INSERT INTO cohort (id, name, idnumber) VALUES (7, 'Cohort 1', 'C1'), (8, 'Cohort 2', 'C2');",
    )
    .unwrap();
    (dir, store)
}

fn bind(c: &Connection, id: i64, course: i64, cohort: i64, role: i64, group: Option<i64>) {
    c.execute(
        "INSERT INTO enrol (id, enrol, course, customint1, roleid, customint2, enrolstartdate, enrolenddate)
         VALUES (?1, 'cohort', ?2, ?3, ?4, ?5, 1000, 2000)",
        params![id, course, cohort, role, group],
    )
    .unwrap();
}

fn join(c: &Connection, cohort: i64, user: i64) {
    c.execute("INSERT INTO cohort_members (cohortid, userid) VALUES (?1, ?2)", [cohort, user]).unwrap();
}

fn leave(c: &Connection, cohort: i64, user: i64) {
    c.execute("DELETE FROM cohort_members WHERE cohortid = ?1 AND userid = ?2", [cohort, user]).unwrap();
}

fn rows(c: &Connection, sql: &str) -> Vec<(i64, i64, i64)> {
    let mut s = c.prepare(sql).unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// (course, userid, status) of every enrolment through a cohort binding.
fn enrolments(c: &Connection) -> Vec<(i64, i64, i64)> {
    rows(
        c,
        "SELECT e.course, ue.userid, ue.status FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
         WHERE e.enrol = 'cohort' ORDER BY 1, 2",
    )
}

/// (course, userid, roleid) of every role held through a binding.
fn roles(c: &Connection) -> Vec<(i64, i64, i64)> {
    rows(c, "SELECT courseid, userid, roleid FROM role_assignments WHERE component = 'enrol_cohort' ORDER BY 1, 2, 3")
}

/// (groupid, userid, itemid) of every group membership held through a binding.
fn groups(c: &Connection) -> Vec<(i64, i64, i64)> {
    rows(c, "SELECT groupid, userid, itemid FROM groups_members WHERE component = 'enrol_cohort' ORDER BY 1, 2")
}

#[test]
fn a_binding_enrols_the_members_and_follows_membership() {
    let (_dir, store) = store();
    let c = store.connection();
    join(c, 7, 50);
    bind(c, 200, 10, 7, STUDENT, Some(300));
    assert_eq!(enrolments(c), vec![(10, 50, 0)]);
    assert_eq!(roles(c), vec![(10, 50, STUDENT)]);
    assert_eq!(groups(c), vec![(300, 50, 200)]);
    let (start, end): (i64, i64) = c
        .query_row("SELECT timestart, timeend FROM user_enrolments WHERE enrolid = 200", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((start, end), (1000, 2000), "the binding's dates carry to its enrolments");

    // A member added after the binding is enrolled at once; one removed is unenrolled.
    join(c, 7, 51);
    assert_eq!(enrolments(c), vec![(10, 50, 0), (10, 51, 0)]);
    assert_eq!(roles(c), vec![(10, 50, STUDENT), (10, 51, STUDENT)]);
    leave(c, 7, 50);
    assert_eq!(enrolments(c), vec![(10, 51, 0)]);
    assert_eq!(roles(c), vec![(10, 51, STUDENT)]);
    assert_eq!(groups(c), vec![(300, 51, 200)]);

    // Members of another cohort are not concerned.
    join(c, 8, 50);
    assert_eq!(enrolments(c), vec![(10, 51, 0)]);
}

#[test]
fn disabling_suspends_and_restoring_catches_up() {
    let (_dir, store) = store();
    let c = store.connection();
    join(c, 7, 50);
    bind(c, 200, 10, 7, STUDENT, None);
    c.execute("UPDATE enrol SET status = 1 WHERE id = 200", []).unwrap();
    assert_eq!(enrolments(c), vec![(10, 50, 1)]);
    assert!(roles(c).is_empty(), "a disabled binding grants no role");

    // While disabled: a newcomer is not enrolled, a leaver is unenrolled.
    join(c, 7, 51);
    leave(c, 7, 50);
    assert!(enrolments(c).is_empty());

    c.execute("UPDATE enrol SET status = 0 WHERE id = 200", []).unwrap();
    assert_eq!(enrolments(c), vec![(10, 51, 0)]);
    assert_eq!(roles(c), vec![(10, 51, STUDENT)]);
}

#[test]
fn deleting_a_binding_or_its_cohort_leaves_no_orphans() {
    let (_dir, store) = store();
    let c = store.connection();
    join(c, 7, 50);
    join(c, 8, 51);
    bind(c, 200, 10, 7, STUDENT, Some(300));
    bind(c, 201, 11, 8, TEACHER, None);
    assert_eq!(enrolments(c), vec![(10, 50, 0), (11, 51, 0)]);

    c.execute("DELETE FROM enrol WHERE id = 200", []).unwrap();
    assert_eq!(enrolments(c), vec![(11, 51, 0)]);
    assert_eq!(roles(c), vec![(11, 51, TEACHER)]);
    assert!(groups(c).is_empty());

    c.execute("DELETE FROM cohort WHERE id = 8", []).unwrap();
    assert!(enrolments(c).is_empty());
    assert!(roles(c).is_empty());
    let bindings: i64 = c.query_row("SELECT count(*) FROM enrol WHERE enrol = 'cohort'", [], |r| r.get(0)).unwrap();
    assert_eq!(bindings, 0);
}

#[test]
fn what_a_person_holds_through_another_method_is_never_touched() {
    let (_dir, store) = store();
    let c = store.connection();
    // Ann is enrolled by hand as a student and put in the group by hand.
    c.execute_batch(
        "INSERT INTO user_enrolments (enrolid, userid) VALUES (100, 50);
         INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, 10, 50);
         INSERT INTO groups_members (groupid, userid) VALUES (300, 50);",
    )
    .unwrap();
    join(c, 7, 50);
    bind(c, 200, 10, 7, STUDENT, Some(300));
    leave(c, 7, 50);
    c.execute("DELETE FROM enrol WHERE id = 200", []).unwrap();

    let manual = rows(c, "SELECT ue.enrolid, ue.userid, ue.status FROM user_enrolments ue ORDER BY 1, 2");
    assert_eq!(manual, vec![(100, 50, 0)]);
    assert_eq!(rows(c, "SELECT roleid, userid, itemid FROM role_assignments"), vec![(STUDENT, 50, 0)]);
    assert_eq!(rows(c, "SELECT groupid, userid, itemid FROM groups_members"), vec![(300, 50, 0)]);
}

#[test]
fn changing_a_binding_s_role_or_group_moves_what_it_grants() {
    let (_dir, store) = store();
    let c = store.connection();
    join(c, 7, 50);
    bind(c, 200, 10, 7, STUDENT, None);
    c.execute("UPDATE enrol SET roleid = ?1, customint2 = 300 WHERE id = 200", [TEACHER]).unwrap();
    assert_eq!(roles(c), vec![(10, 50, TEACHER)]);
    assert_eq!(groups(c), vec![(300, 50, 200)]);
}

#[test]
fn a_deleted_user_leaves_their_cohorts_and_so_the_bound_courses() {
    let (_dir, store) = store();
    let c = store.connection();
    join(c, 7, 50);
    bind(c, 200, 10, 7, STUDENT, None);
    c.execute("DELETE FROM user WHERE id = 50", []).unwrap();
    assert!(enrolments(c).is_empty());
    assert!(roles(c).is_empty());
}
