//! Course reset in the store (migration 004 + reset.rs): each option alone removes its data of
//! the reset course only, counts it, and a second reset finds nothing; deleting a course or a
//! user leaves no orphan in the user-data tables.

use lmsync_core::target::{LmsTarget, RunStart, RunStore};
use lmsync_model::{Change, ChangeKind, ResetOptions};
use lmsync_sqlite::SqliteStore;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// The reset course (a meta course of 12, and the master of 13), and an identical other one.
const A: i64 = 10;
const B: i64 = 11;
const COURSES: [i64; 4] = [10, 11, 12, 13];

/// One course's user data; ids are `course * 100 + n`. Users: 50 ann (student), 51 bob
/// (teacher), 53 dan (manager, not enrolled), 54 fay (writes the blog post every course links).
fn seed_course(c: &Connection, k: i64) {
    let b = k * 100;
    c.execute_batch(&format!(
        "INSERT INTO course (id, category, shortname, fullname, defaultgroupingid) VALUES ({k}, 1, 'C{k}', 'C{k}', {b} + 1);
         INSERT INTO course_sections (id, course, section) VALUES ({b}, {k}, 0);
         INSERT INTO course_modules (id, course, section, modname, name) VALUES ({b} + 1, {k}, {b}, 'forum', 'News'), ({b} + 2, {k}, {b}, 'quiz', 'Quiz');
         INSERT INTO enrol (id, enrol, course) VALUES ({b}, 'manual', {k});
         INSERT INTO user_enrolments (enrolid, userid) VALUES ({b}, 50), ({b}, 51);
         INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, {k}, 50), (3, {k}, 51), (1, {k}, 53);
         INSERT INTO groups (id, courseid, name) VALUES ({b} + 1, {k}, 'G1'), ({b} + 2, {k}, 'G2');
         INSERT INTO groups_members (groupid, userid) VALUES ({b} + 1, 50), ({b} + 1, 51), ({b} + 2, 50);
         INSERT INTO groupings (id, courseid, name) VALUES ({b} + 1, {k}, 'GG');
         INSERT INTO groupings_groups (groupingid, groupid) VALUES ({b} + 1, {b} + 1), ({b} + 1, {b} + 2);
         INSERT INTO enrol (id, enrol, course, customint2) VALUES ({b} + 5, 'cohort', {k}, {b} + 1);
         INSERT INTO event (name, courseid, userid, eventtype) VALUES ('Exam', {k}, NULL, 'course'), ('Meeting', {k}, 50, 'user');
         INSERT INTO logstore_standard_log (eventname, courseid, userid) VALUES ('viewed', {k}, 50), ('viewed', {k}, 51), ('graded', {k}, 51);
         INSERT INTO post (module, userid, courseid, subject) VALUES ('notes', 50, {k}, 'Note about ann');
         INSERT INTO blog_association (blogid, courseid) VALUES (1, {k});
         INSERT INTO comments (courseid, userid, content) VALUES ({k}, 50, 'Hello'), ({k}, 51, 'Hi');
         INSERT INTO course_completions (userid, course, timecompleted) VALUES (50, {k}, 1), (51, {k}, NULL);
         INSERT INTO course_modules_completion (coursemoduleid, userid, completionstate) VALUES ({b} + 1, 50, 1), ({b} + 2, 50, 1);
         INSERT INTO role_capabilities (roleid, courseid, capability, permission) VALUES (5, {k}, 'mod/forum:replypost', -1);
         INSERT INTO grade_items (id, courseid, itemname, itemtype, coursemoduleid) VALUES ({b} + 1, {k}, NULL, 'course', NULL), ({b} + 2, {k}, 'Quiz', 'mod', {b} + 2);
         INSERT INTO grade_grades (itemid, userid, finalgrade) VALUES ({b} + 1, 50, 12), ({b} + 1, 51, 15), ({b} + 2, 50, 10), ({b} + 2, 51, 20);
         INSERT INTO activity_user_data (coursemoduleid, modname, kind, userid, data) VALUES
             ({b} + 1, 'forum', 'post', 50, '{{}}'), ({b} + 1, 'forum', 'post', 51, '{{}}'), ({b} + 1, 'forum', 'subscription', 50, '{{}}'),
             ({b} + 2, 'quiz', 'attempt', 50, '{{}}'), ({b} + 2, 'quiz', 'attempt', 51, '{{}}');"
    ))
    .unwrap();
}

/// A and B with data of every kind; 12 (eve a student) is A's master, 13 a meta course of A.
/// Eve is also manually enrolled in A (no manual role) and in A's group G2.
fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
    let c = store.connection();
    c.execute_batch(
        "INSERT INTO course_categories (id, name) VALUES (1, 'Misc');
         INSERT INTO user (id, username, firstname, lastname) VALUES (50, 'ann', 'Ann', 'A'), (51, 'bob', 'Bob', 'B'),
             (52, 'eve', 'Eve', 'E'), (53, 'dan', 'Dan', 'D'), (54, 'fay', 'Fay', 'F');
         INSERT INTO post (id, module, userid, courseid, subject) VALUES (1, 'blog', 54, NULL, 'My blog');",
    )
    .unwrap();
    seed_course(c, A);
    seed_course(c, B);
    c.execute_batch(
        "INSERT INTO course (id, category, shortname, fullname) VALUES (12, 1, 'M', 'Master'), (13, 1, 'X', 'Meta of A');
         INSERT INTO enrol (id, enrol, course) VALUES (1200, 'manual', 12);
         INSERT INTO user_enrolments (enrolid, userid) VALUES (1200, 52), (1000, 52);
         INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, 12, 52);
         INSERT INTO groups_members (groupid, userid) VALUES (1002, 52);
         INSERT INTO enrol (id, enrol, course, customint1) VALUES (1001, 'meta', 10, 12);
         INSERT INTO enrol (id, enrol, course, customint1) VALUES (1301, 'meta', 13, 10);",
    )
    .unwrap();
    (dir, store)
}

/// Per-course counts of every kind of data a reset may touch (`?1` = the course).
const CENSUS: &[(&str, &str)] = &[
    ("events", "SELECT count(*) FROM event WHERE courseid = ?1"),
    ("logs", "SELECT count(*) FROM logstore_standard_log WHERE courseid = ?1"),
    ("notes", "SELECT count(*) FROM post WHERE module = 'notes' AND courseid = ?1"),
    ("blog_associations", "SELECT count(*) FROM blog_association WHERE courseid = ?1"),
    ("completions", "SELECT count(*) FROM course_completions WHERE course = ?1"),
    (
        "module_completions",
        "SELECT count(*) FROM course_modules_completion x JOIN course_modules m ON m.id = x.coursemoduleid WHERE m.course = ?1",
    ),
    ("comments", "SELECT count(*) FROM comments WHERE courseid = ?1"),
    ("role_overrides", "SELECT count(*) FROM role_capabilities WHERE courseid = ?1"),
    ("grade_items", "SELECT count(*) FROM grade_items WHERE courseid = ?1"),
    ("grades", "SELECT count(*) FROM grade_grades g JOIN grade_items i ON i.id = g.itemid WHERE i.courseid = ?1"),
    (
        "enrolments",
        "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.course = ?1 AND e.enrol <> 'meta'",
    ),
    (
        "meta_enrolments",
        "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.course = ?1 AND e.enrol = 'meta'",
    ),
    ("manual_roles", "SELECT count(*) FROM role_assignments WHERE courseid = ?1 AND component = ''"),
    ("meta_roles", "SELECT count(*) FROM role_assignments WHERE courseid = ?1 AND component = 'enrol_meta'"),
    ("groups", "SELECT count(*) FROM groups WHERE courseid = ?1"),
    ("group_members", "SELECT count(*) FROM groups_members m JOIN groups g ON g.id = m.groupid WHERE g.courseid = ?1"),
    ("groupings", "SELECT count(*) FROM groupings WHERE courseid = ?1"),
    (
        "grouping_groups",
        "SELECT count(*) FROM groupings_groups x JOIN groupings g ON g.id = x.groupingid WHERE g.courseid = ?1",
    ),
    ("default_grouping", "SELECT defaultgroupingid FROM course WHERE id = ?1"),
    ("cohort_group", "SELECT count(customint2) FROM enrol WHERE course = ?1 AND enrol = 'cohort'"),
    ("modules", "SELECT count(*) FROM course_modules WHERE course = ?1"),
    (
        "forum_posts",
        "SELECT count(*) FROM activity_user_data d JOIN course_modules m ON m.id = d.coursemoduleid WHERE m.course = ?1 AND m.modname = 'forum' AND d.kind = 'post'",
    ),
    (
        "forum_subscriptions",
        "SELECT count(*) FROM activity_user_data d JOIN course_modules m ON m.id = d.coursemoduleid WHERE m.course = ?1 AND m.modname = 'forum' AND d.kind = 'subscription'",
    ),
    (
        "quiz_attempts",
        "SELECT count(*) FROM activity_user_data d JOIN course_modules m ON m.id = d.coursemoduleid WHERE m.course = ?1 AND m.modname = 'quiz'",
    ),
];

type Census = BTreeMap<(&'static str, i64), i64>;

/// Every census count of every course, plus the site-wide rows a reset must never touch.
fn census(c: &Connection) -> Census {
    let mut out = Census::new();
    for (kind, sql) in CENSUS {
        for course in COURSES {
            out.insert((*kind, course), c.query_row(sql, [course], |r| r.get(0)).unwrap());
        }
    }
    for (kind, sql) in [
        ("blog_posts", "SELECT count(*) FROM post WHERE module = 'blog'"),
        ("users", "SELECT count(*) FROM user"),
        ("courses", "SELECT count(*) FROM course"),
    ] {
        out.insert((kind, 0), c.query_row(sql, [], |r| r.get(0)).unwrap());
    }
    out
}

/// Applies a reset of `course` in its own run; returns whether the store reported a change, and
/// the per-kind counts it journalled (empty when unchanged, which journals nothing).
fn reset(store: &mut SqliteStore, course: i64, options: ResetOptions) -> (bool, BTreeMap<String, u64>) {
    let run = store
        .start_run(&RunStart {
            tool: "courses".into(),
            operation: Some("reset".into()),
            input: "resetcourses.csv".into(),
            dry_run: false,
            trigger: "test".into(),
            pid: 0,
            partial_report: String::new(),
        })
        .unwrap();
    let change =
        Change { line: 2, key: "C".into(), kind: ChangeKind::ResetCourse { id: course, options: Box::new(options) } };
    let applied = store.apply(run, &[change]).unwrap().pop().unwrap().unwrap();
    store.commit(run, 2).unwrap();
    assert_eq!(applied.id, course);
    let journal: Vec<String> = store
        .connection()
        .prepare("SELECT after FROM sync_journal WHERE run_id = ?1 AND entity = 'course' AND action = 'reset'")
        .unwrap()
        .query_map([run], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(journal.len(), usize::from(applied.changed), "one journal entry per changed reset");
    let removed = journal
        .first()
        .map(|j| serde_json::from_str::<serde_json::Value>(j).unwrap()["removed"].clone())
        .map(|r| serde_json::from_value(r).unwrap())
        .unwrap_or_default();
    (applied.changed, removed)
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// One option alone: resetting A changes exactly `effects` (kind, course, count after) of the
/// census, journals `expected` counts, and a second reset changes nothing.
fn check(name: &str, options: ResetOptions, expected: &[(&str, u64)], effects: &[(&'static str, i64, i64)]) {
    let (_dir, mut store) = store();
    let before = census(store.connection());
    let (changed, removed) = reset(&mut store, A, options.clone());
    assert!(changed, "{name}: the first reset changes something");
    assert_eq!(removed, counts(expected), "{name}: counts");
    let mut want = before.clone();
    for (kind, course, n) in effects {
        let old = want.insert((*kind, *course), *n);
        assert!(old.is_some_and(|o| o != *n), "{name}: ({kind}, {course}) is not seeded as {old:?} ≠ {n}");
    }
    assert_eq!(census(store.connection()), want, "{name}: what changed");
    let (changed, removed) = reset(&mut store, A, options);
    assert!(!changed && removed.is_empty(), "{name}: a second reset finds nothing: {removed:?}");
    assert_eq!(census(store.connection()), want, "{name}: the second reset changed data");
}

#[test]
fn seeded_data_is_what_the_checks_assume() {
    let (_dir, store) = store();
    let c = census(store.connection());
    for course in [A, B] {
        for (kind, n) in [("events", 2), ("logs", 3), ("grades", 4), ("group_members", 3 + (course == A) as i64)] {
            assert_eq!(c[&(kind, course)], n, "{kind} of {course}");
        }
    }
    // Eve: manual + meta enrolment and a derived student role in A; ann, bob, eve derived in 13.
    assert_eq!((c[&("enrolments", A)], c[&("meta_enrolments", A)], c[&("meta_roles", A)]), (3, 1, 1));
    assert_eq!((c[&("meta_enrolments", 13)], c[&("meta_roles", 13)]), (3, 3));
}

#[test]
fn events_logs_notes_comments_blogs_and_overrides_each_go_alone() {
    let o = ResetOptions::default;
    check("events", ResetOptions { events: true, ..o() }, &[("events", 2)], &[("events", A, 0)]);
    check("logs", ResetOptions { logs: true, ..o() }, &[("logs", 3)], &[("logs", A, 0)]);
    check("notes", ResetOptions { notes: true, ..o() }, &[("notes", 1)], &[("notes", A, 0)]);
    check("comments", ResetOptions { comments: true, ..o() }, &[("comments", 2)], &[("comments", A, 0)]);
    check(
        "blog_associations",
        ResetOptions { blog_associations: true, ..o() },
        &[("blog_associations", 1)],
        &[("blog_associations", A, 0)],
    );
    check(
        "local_role_overrides",
        ResetOptions { local_role_overrides: true, ..o() },
        &[("role_overrides", 1)],
        &[("role_overrides", A, 0)],
    );
    check(
        "completion",
        ResetOptions { completion: true, ..o() },
        &[("completions", 2), ("module_completions", 2)],
        &[("completions", A, 0), ("module_completions", A, 0)],
    );
}

#[test]
fn gradebook_items_take_their_grades_and_grades_keep_the_items() {
    let o = ResetOptions::default;
    check("grades", ResetOptions { grades: true, ..o() }, &[("grades", 4)], &[("grades", A, 0)]);
    check(
        "grade_items",
        ResetOptions { grade_items: true, ..o() },
        &[("grade_items", 2), ("grades", 4)],
        &[("grade_items", A, 0), ("grades", A, 0)],
    );
}

#[test]
fn local_role_assignments_are_the_manual_ones_and_derived_roles_follow() {
    // Ann, bob and dan lose their manual roles; eve's meta-derived student role stays, and so
    // does her role in 13 (derived from it) while ann's and bob's derived roles there go.
    check(
        "local_role_assignments",
        ResetOptions { local_role_assignments: true, ..Default::default() },
        &[("local_role_assignments", 3)],
        &[("manual_roles", A, 0), ("meta_roles", 13, 1)],
    );
}

#[test]
fn unenrolling_by_role_keeps_meta_derived_enrolments() {
    // Students: ann (manual role) and eve (meta-derived role). Both lose their manual enrolment
    // and their groups; ann her role; eve keeps the meta enrolment and role. Ann, no longer in A,
    // leaves 13 (derived from A); eve stays there.
    check(
        "unenrol students",
        ResetOptions { unenrol_roles: vec![5], ..Default::default() },
        &[("unenrolled", 2), ("unenrolled_role_assignments", 1), ("unenrolled_group_members", 3)],
        &[
            ("enrolments", A, 1),
            ("manual_roles", A, 2),
            ("group_members", A, 1),
            ("meta_enrolments", 13, 2),
            ("meta_roles", 13, 2),
        ],
    );
    // Every role: dan (no enrolment) loses his role too; only eve's derived data is left.
    check(
        "unenrol all",
        ResetOptions { unenrol_roles: (1..=7).collect(), ..Default::default() },
        &[("unenrolled", 3), ("unenrolled_role_assignments", 3), ("unenrolled_group_members", 4)],
        &[
            ("enrolments", A, 0),
            ("manual_roles", A, 0),
            ("group_members", A, 0),
            ("meta_enrolments", 13, 1),
            ("meta_roles", 13, 1),
        ],
    );
}

#[test]
fn groups_and_groupings_members_or_all() {
    let o = ResetOptions::default;
    check(
        "groups_members",
        ResetOptions { groups_members: true, ..o() },
        &[("group_members", 4)],
        &[("group_members", A, 0)],
    );
    check(
        "groups_remove",
        ResetOptions { groups_remove: true, ..o() },
        &[("group_members", 4), ("grouping_groups", 2), ("groups", 2)],
        &[("groups", A, 0), ("group_members", A, 0), ("grouping_groups", A, 0), ("cohort_group", A, 0)],
    );
    check(
        "groupings_members",
        ResetOptions { groupings_members: true, ..o() },
        &[("grouping_groups", 2)],
        &[("grouping_groups", A, 0)],
    );
    check(
        "groupings_remove",
        ResetOptions { groupings_remove: true, ..o() },
        &[("grouping_groups", 2), ("groupings", 1)],
        &[("groupings", A, 0), ("grouping_groups", A, 0), ("default_grouping", A, 0)],
    );
}

#[test]
fn modules_reset_activity_user_data_by_type() {
    let m =
        |names: &[&str]| ResetOptions { modules: names.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    check(
        "forum",
        m(&["forum"]),
        &[("activity_user_data", 3)],
        &[("forum_posts", A, 0), ("forum_subscriptions", A, 0)],
    );
    check(
        "forum_subscriptions",
        m(&["forum_subscriptions"]),
        &[("activity_user_data", 1)],
        &[("forum_subscriptions", A, 0)],
    );
    check("quiz", m(&["quiz"]), &[("activity_user_data", 2)], &[("quiz_attempts", A, 0)]);
    check(
        "forum and quiz",
        m(&["forum_subscriptions", "forum", "quiz"]),
        &[("activity_user_data", 5)],
        &[("forum_posts", A, 0), ("forum_subscriptions", A, 0), ("quiz_attempts", A, 0)],
    );
}

#[test]
fn nothing_asked_or_nothing_there_is_unchanged() {
    let (_dir, mut store) = store();
    let before = census(store.connection());
    assert_eq!(reset(&mut store, A, ResetOptions::default()), (false, BTreeMap::new()));
    let assign = ResetOptions { modules: vec!["assign".into()], ..Default::default() };
    assert_eq!(reset(&mut store, A, assign), (false, BTreeMap::new()));
    // Course 12 has no user data of these kinds.
    let all =
        ResetOptions { events: true, logs: true, notes: true, grades: true, groups_remove: true, ..Default::default() };
    assert_eq!(reset(&mut store, 12, all), (false, BTreeMap::new()));
    assert_eq!(census(store.connection()), before);
}

#[test]
fn a_full_reset_leaves_only_derived_and_structural_data() {
    let (_dir, mut store) = store();
    let before = census(store.connection());
    let all = ResetOptions {
        events: true,
        logs: true,
        notes: true,
        completion: true,
        blog_associations: true,
        comments: true,
        local_role_assignments: true,
        local_role_overrides: true,
        grade_items: true,
        grades: true,
        unenrol_roles: (1..=7).collect(),
        groups_remove: true,
        groups_members: true,
        groupings_remove: true,
        groupings_members: true,
        modules: vec!["forum".into(), "quiz".into()],
    };
    let (changed, removed) = reset(&mut store, A, all.clone());
    assert!(changed);
    assert_eq!(removed["unenrolled"], 3);
    assert_eq!(removed["local_role_assignments"], 0, "unenrolment already took every manual role");
    let after = census(store.connection());
    for ((kind, course), n) in &after {
        let kept = match *kind {
            "meta_enrolments" | "meta_roles" | "modules" | "blog_posts" | "users" | "courses" => true,
            _ => *course != A,
        };
        if kept && *course != 13 {
            assert_eq!(before[&(*kind, *course)], *n, "({kind}, {course}) must not change");
        } else if *course == A {
            assert_eq!(*n, 0, "({kind}, {course}) must be empty");
        }
    }
    assert_eq!(reset(&mut store, A, all), (false, BTreeMap::new()));
}

/// Rows of the user-data tables whose course, user, activity, item or post no longer exists.
const ORPHANS: &[&str] = &[
    "SELECT count(*) FROM event WHERE courseid NOT IN (SELECT id FROM course) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM logstore_standard_log WHERE courseid NOT IN (SELECT id FROM course) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM post WHERE courseid NOT IN (SELECT id FROM course) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM blog_association WHERE courseid NOT IN (SELECT id FROM course) OR blogid NOT IN (SELECT id FROM post)",
    "SELECT count(*) FROM course_completions WHERE course NOT IN (SELECT id FROM course) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM course_modules_completion WHERE coursemoduleid NOT IN (SELECT id FROM course_modules) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM comments WHERE courseid NOT IN (SELECT id FROM course) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM role_capabilities WHERE courseid NOT IN (SELECT id FROM course)",
    "SELECT count(*) FROM grade_items WHERE courseid NOT IN (SELECT id FROM course) OR coursemoduleid NOT IN (SELECT id FROM course_modules)",
    "SELECT count(*) FROM grade_grades WHERE itemid NOT IN (SELECT id FROM grade_items) OR userid NOT IN (SELECT id FROM user)",
    "SELECT count(*) FROM activity_user_data WHERE coursemoduleid NOT IN (SELECT id FROM course_modules) OR userid NOT IN (SELECT id FROM user)",
];

#[test]
fn deleting_a_course_or_a_user_leaves_no_orphans() {
    let (_dir, store) = store();
    let c = store.connection();
    let total = |t: &str| c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(total("activity_user_data"), 10);
    c.execute("DELETE FROM enrol WHERE enrol = 'meta' AND customint1 = ?1", [A]).unwrap();
    c.execute("DELETE FROM course WHERE id = ?1", [A]).unwrap();
    assert_eq!(total("activity_user_data"), 5);
    assert_eq!(total("grade_grades"), 4);
    c.execute("DELETE FROM user WHERE id IN (50, 54)", []).unwrap();
    assert_eq!(total("activity_user_data"), 2, "bob's post and attempt in B are left");
    assert_eq!((total("post"), total("blog_association")), (0, 0), "fay's blog post and its links went with her");
    for sql in ORPHANS {
        assert_eq!(c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap(), 0, "{sql}");
    }
    let violations: i64 = c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(violations, 0);
}

#[test]
fn activity_user_data_must_name_its_activity_s_type() {
    let (_dir, store) = store();
    let c = store.connection();
    let wrong = c.execute(
        "INSERT INTO activity_user_data (coursemoduleid, modname, kind, userid) VALUES (1001, 'quiz', 'attempt', 50)",
        [],
    );
    assert!(wrong.is_err(), "1001 is a forum");
    let moved = c.execute("UPDATE activity_user_data SET coursemoduleid = 1002 WHERE coursemoduleid = 1001", []);
    assert!(moved.is_err(), "forum data cannot move to a quiz");
    c.execute(
        "INSERT INTO activity_user_data (coursemoduleid, modname, kind, userid) VALUES (1001, 'forum', 'track', 50)",
        [],
    )
    .unwrap();
}

#[test]
fn unenrolling_by_role_keeps_what_a_cohort_binding_derives() {
    let (_dir, mut store) = store();
    // Fay joins a cohort bound to A as student, in group G1.
    store
        .connection()
        .execute_batch(&format!(
            "INSERT INTO cohort (id, name) VALUES (9, 'Cohort');
             INSERT INTO enrol (id, enrol, course, customint1, roleid, customint2) VALUES (9000, 'cohort', {A}, 9, 5, {A}01);
             INSERT INTO cohort_members (cohortid, userid) VALUES (9, 54);"
        ))
        .unwrap();
    let derived = |c: &Connection| -> (i64, i64, i64) {
        let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        (
            q("SELECT count(*) FROM user_enrolments WHERE enrolid = 9000 AND userid = 54"),
            q(
                "SELECT count(*) FROM role_assignments WHERE component = 'enrol_cohort' AND itemid = 9000 AND userid = 54",
            ),
            q("SELECT count(*) FROM groups_members WHERE component = 'enrol_cohort' AND itemid = 9000 AND userid = 54"),
        )
    };
    assert_eq!(derived(store.connection()), (1, 1, 1));
    reset(&mut store, A, ResetOptions { unenrol_roles: vec![5], ..Default::default() });
    assert_eq!(derived(store.connection()), (1, 1, 1), "the cohort keeps fay enrolled, with her role and group");
    let ann: i64 = store
        .connection()
        .query_row(&format!("SELECT count(*) FROM user_enrolments WHERE enrolid = {A}00 AND userid = 50"), [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(ann, 0, "manual students are still unenrolled");
    assert!(store.cohort_drift(false).unwrap().is_empty());
}
