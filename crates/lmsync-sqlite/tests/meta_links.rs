//! Meta links keep derived enrolments and roles in step with the master course, whatever writes
//! the master's enrolments, through chains of links (migration 003's triggers).

use lmsync_sqlite::SqliteStore;
use rusqlite::{Connection, params};

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
    let c = store.connection();
    c.execute_batch(
        "INSERT INTO course_categories (id, name) VALUES (1, 'Misc');
         INSERT INTO course (id, category, shortname, fullname) VALUES (10, 1, 'A', 'A'), (11, 1, 'B', 'B'), (12, 1, 'C', 'C');
         INSERT INTO enrol (id, enrol, course) VALUES (100, 'manual', 10), (101, 'self', 10), (110, 'manual', 11);
         INSERT INTO user (id, username, firstname, lastname) VALUES (50, 'ann', 'Ann', 'A'), (51, 'bob', 'Bob', 'B');",
    )
    .unwrap();
    (dir, store)
}

fn link(c: &Connection, id: i64, master: i64, meta: i64) {
    c.execute(
        "INSERT INTO enrol (id, enrol, course, customint1) VALUES (?1, 'meta', ?2, ?3)",
        params![id, meta, master],
    )
    .unwrap();
}

/// (course, userid, status) of every enrolment through a meta instance.
fn derived(c: &Connection) -> Vec<(i64, i64, i64)> {
    let mut s = c.prepare("SELECT e.course, ue.userid, ue.status FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.enrol = 'meta' ORDER BY 1, 2").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// (course, userid, roleid) of every role held through a meta instance.
fn derived_roles(c: &Connection) -> Vec<(i64, i64, i64)> {
    let mut s = c
        .prepare(
            "SELECT courseid, userid, roleid FROM role_assignments WHERE component = 'enrol_meta' ORDER BY 1, 2, 3",
        )
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn enrolments_and_roles_follow_the_master_through_a_chain_of_links() {
    let (_dir, store) = store();
    let c = store.connection();
    link(c, 200, 10, 11); // B takes from A
    link(c, 201, 11, 12); // C takes from B
    c.execute("INSERT INTO user_enrolments (enrolid, userid) VALUES (100, 50)", []).unwrap();
    c.execute("INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, 10, 50)", []).unwrap();
    assert_eq!(derived(c), vec![(11, 50, 0), (12, 50, 0)]);
    assert_eq!(derived_roles(c), vec![(11, 50, 5), (12, 50, 5)]);

    // Suspended in the master: suspended down the chain; active again: active again.
    c.execute("UPDATE user_enrolments SET status = 1 WHERE enrolid = 100 AND userid = 50", []).unwrap();
    assert_eq!(derived(c), vec![(11, 50, 1), (12, 50, 1)]);
    c.execute("UPDATE user_enrolments SET status = 0 WHERE enrolid = 100 AND userid = 50", []).unwrap();
    assert_eq!(derived(c), vec![(11, 50, 0), (12, 50, 0)]);

    // A second master enrolment keeps the user in when the first goes.
    c.execute("INSERT INTO user_enrolments (enrolid, userid) VALUES (101, 50)", []).unwrap();
    c.execute("DELETE FROM user_enrolments WHERE enrolid = 100 AND userid = 50", []).unwrap();
    assert_eq!(derived(c), vec![(11, 50, 0), (12, 50, 0)]);
    // Disabling the instance they still have makes the derived enrolments inactive.
    c.execute("UPDATE enrol SET status = 1 WHERE id = 101", []).unwrap();
    assert_eq!(derived(c), vec![(11, 50, 1), (12, 50, 1)]);

    // The role goes, then the last enrolment: nothing derived is left.
    c.execute("DELETE FROM role_assignments WHERE courseid = 10 AND userid = 50", []).unwrap();
    assert!(derived_roles(c).is_empty());
    c.execute("DELETE FROM user_enrolments WHERE enrolid = 101 AND userid = 50", []).unwrap();
    assert!(derived(c).is_empty());
}

#[test]
fn a_new_link_enrols_the_master_s_users_and_removing_it_unenrols_them() {
    let (_dir, store) = store();
    let c = store.connection();
    c.execute_batch(
        "INSERT INTO user_enrolments (enrolid, userid, status) VALUES (100, 50, 0), (100, 51, 1);
         INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, 10, 50), (3, 10, 51);",
    )
    .unwrap();
    // Enrolments a user holds in the meta course by other means are never touched.
    c.execute("INSERT INTO user_enrolments (enrolid, userid) VALUES (110, 51)", []).unwrap();
    link(c, 200, 10, 11);
    assert_eq!(derived(c), vec![(11, 50, 0), (11, 51, 1)]);
    assert_eq!(derived_roles(c), vec![(11, 50, 5), (11, 51, 3)]);
    c.execute("DELETE FROM enrol WHERE id = 200", []).unwrap();
    assert!(derived(c).is_empty());
    assert!(derived_roles(c).is_empty());
    let manual: i64 =
        c.query_row("SELECT count(*) FROM user_enrolments WHERE enrolid = 110", [], |r| r.get(0)).unwrap();
    assert_eq!(manual, 1);
}

#[test]
fn deleting_the_master_course_removes_the_links_and_what_they_derived() {
    let (_dir, store) = store();
    let c = store.connection();
    link(c, 200, 10, 11);
    c.execute("INSERT INTO user_enrolments (enrolid, userid) VALUES (100, 50)", []).unwrap();
    assert_eq!(derived(c), vec![(11, 50, 0)]);
    c.execute("DELETE FROM enrol WHERE enrol = 'meta' AND customint1 = 10", []).unwrap();
    c.execute("DELETE FROM course WHERE id = 10", []).unwrap();
    assert!(derived(c).is_empty());
}
