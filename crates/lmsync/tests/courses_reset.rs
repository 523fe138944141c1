//! `courses --op reset` end to end: the upstream sample resets the user data it names
//! (spec/courses.md §16.5 with `all` meaning yes, DECISIONS §5), a second run changes nothing,
//! bad values and unknown courses fail their line, and a dry run writes nothing.

mod common;

use common::*;
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

const COURSES: [&str; 3] = ["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3"];

const CREATE: &str = "shortname;category;fullname
TESTCOURSE1;Miscellaneous/Tests;Test course for creation 1
TESTCOURSE2;Miscellaneous/Tests;Test course for creation 2
TESTCOURSE3;Miscellaneous/Tests;Test course for creation 3
";

const HEADER: &str = "shortname;events;logs;notes;grades;roles;local_roles;groups;groupings;modules\n";

/// Per-course counts of each kind of user data (`?1` = the course id).
const KINDS: &[(&str, &str)] = &[
    ("events", "SELECT count(*) FROM event WHERE courseid = ?1"),
    ("logs", "SELECT count(*) FROM logstore_standard_log WHERE courseid = ?1"),
    ("notes", "SELECT count(*) FROM post WHERE module = 'notes' AND courseid = ?1"),
    ("comments", "SELECT count(*) FROM comments WHERE courseid = ?1"),
    ("blog_associations", "SELECT count(*) FROM blog_association WHERE courseid = ?1"),
    ("completions", "SELECT count(*) FROM course_completions WHERE course = ?1"),
    ("role_overrides", "SELECT count(*) FROM role_capabilities WHERE courseid = ?1"),
    ("grade_items", "SELECT count(*) FROM grade_items WHERE courseid = ?1"),
    ("grades", "SELECT count(*) FROM grade_grades g JOIN grade_items i ON i.id = g.itemid WHERE i.courseid = ?1"),
    ("role_assignments", "SELECT count(*) FROM role_assignments WHERE courseid = ?1"),
    ("enrolments", "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.course = ?1"),
    ("groups", "SELECT count(*) FROM groups WHERE courseid = ?1"),
    ("group_members", "SELECT count(*) FROM groups_members m JOIN groups g ON g.id = m.groupid WHERE g.courseid = ?1"),
    ("groupings", "SELECT count(*) FROM groupings WHERE courseid = ?1"),
    (
        "grouping_groups",
        "SELECT count(*) FROM groupings_groups x JOIN groupings g ON g.id = x.groupingid WHERE g.courseid = ?1",
    ),
    ("activities", "SELECT count(*) FROM course_modules WHERE course = ?1"),
    (
        "activity_user_data",
        "SELECT count(*) FROM activity_user_data d JOIN course_modules m ON m.id = d.coursemoduleid WHERE m.course = ?1",
    ),
];

type State = BTreeMap<(&'static str, &'static str), i64>;

fn course_id(c: &Connection, shortname: &str) -> i64 {
    c.query_row("SELECT id FROM course WHERE shortname = ?1", [shortname], |r| r.get(0)).unwrap()
}

/// Every kind of every test course.
fn state(lms: &Lms) -> State {
    let db = lms.db();
    let mut out = State::new();
    for shortname in COURSES {
        let id = course_id(&db, shortname);
        for (kind, sql) in KINDS {
            out.insert((*kind, shortname), db.query_row(sql, [id], |r| r.get(0)).unwrap());
        }
    }
    out
}

/// User data of one course: ann (student) and bob (teacher) enrolled, in groups and a
/// grouping, with events, logs, a note, a comment, completion, a blog link, a role override, a
/// graded item, and forum and quiz data.
fn seed_course(c: &Connection, shortname: &str) {
    let k = course_id(c, shortname);
    let section: i64 =
        c.query_row("SELECT id FROM course_sections WHERE course = ?1 AND section = 0", [k], |r| r.get(0)).unwrap();
    let module = |modname: &str| {
        c.execute(
            "INSERT INTO course_modules (course, section, modname, name) VALUES (?1, ?2, ?3, ?3)",
            params![k, section, modname],
        )
        .unwrap();
        c.last_insert_rowid()
    };
    let (forum, quiz) = (module("forum"), module("quiz"));
    c.execute("INSERT INTO enrol (enrol, course) VALUES ('manual', ?1)", [k]).unwrap();
    let instance = c.last_insert_rowid();
    let group = |name: &str| {
        c.execute("INSERT INTO groups (courseid, name) VALUES (?1, ?2)", params![k, name]).unwrap();
        c.last_insert_rowid()
    };
    let (g1, g2) = (group("G1"), group("G2"));
    c.execute("INSERT INTO groupings (courseid, name) VALUES (?1, 'GG')", [k]).unwrap();
    let grouping = c.last_insert_rowid();
    c.execute("INSERT INTO grade_items (courseid, itemname, itemtype) VALUES (?1, 'Exam', 'manual')", [k]).unwrap();
    let item = c.last_insert_rowid();
    c.execute_batch(&format!(
        "INSERT INTO user_enrolments (enrolid, userid) VALUES ({instance}, 900), ({instance}, 901);
         INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, {k}, 900), (3, {k}, 901);
         INSERT INTO groups_members (groupid, userid) VALUES ({g1}, 900), ({g1}, 901), ({g2}, 900);
         INSERT INTO groupings_groups (groupingid, groupid) VALUES ({grouping}, {g1}), ({grouping}, {g2});
         INSERT INTO event (name, courseid, eventtype) VALUES ('Exam', {k}, 'course'), ('Trip', {k}, 'course');
         INSERT INTO logstore_standard_log (eventname, courseid, userid) VALUES ('viewed', {k}, 900), ('viewed', {k}, 901);
         INSERT INTO post (module, userid, courseid, subject) VALUES ('notes', 900, {k}, 'Note');
         INSERT INTO blog_association (blogid, courseid) VALUES (900, {k});
         INSERT INTO comments (courseid, userid, content) VALUES ({k}, 900, 'Hello');
         INSERT INTO course_completions (userid, course, timecompleted) VALUES (900, {k}, 1);
         INSERT INTO course_modules_completion (coursemoduleid, userid, completionstate) VALUES ({forum}, 900, 1);
         INSERT INTO role_capabilities (roleid, courseid, capability, permission) VALUES (5, {k}, 'mod/quiz:attempt', -1);
         INSERT INTO grade_grades (itemid, userid, finalgrade) VALUES ({item}, 900, 14);
         INSERT INTO activity_user_data (coursemoduleid, modname, kind, userid) VALUES
             ({forum}, 'forum', 'post', 900), ({forum}, 'forum', 'subscription', 901), ({quiz}, 'quiz', 'attempt', 900);"
    ))
    .unwrap();
}

/// TESTCOURSE1–3 created through the CLI, each seeded with user data.
fn setup() -> Lms {
    let lms = Lms::new();
    let created = lms.courses_file("create", "courses.csv", CREATE, &[]);
    assert_eq!((created.code, created.count("created")), (0, 3), "{created:?}");
    let c = lms.db_write();
    c.execute_batch(
        "INSERT INTO user (id, username, firstname, lastname) VALUES (900, 'ann', 'Ann', 'A'), (901, 'bob', 'Bob', 'B');
         INSERT INTO post (id, module, userid, subject) VALUES (900, 'blog', 901, 'Blog entry');",
    )
    .unwrap();
    for shortname in COURSES {
        seed_course(&c, shortname);
    }
    lms
}

/// The state with `kinds` of `courses` set to 0.
fn emptied(before: &State, courses: &[&str], kinds: &[&str]) -> State {
    let mut want = before.clone();
    for ((kind, course), n) in want.iter_mut() {
        if courses.contains(course) && kinds.contains(kind) {
            assert!(*n > 0, "{kind} of {course} is not seeded");
            *n = 0;
        }
    }
    want
}

/// What the sample removes: `all` = yes for events, logs and notes; grades `none`; everyone
/// with a role unenrolled (roles `all`); groups, groupings and their links; local roles and
/// overrides; the forum and quiz data (modules `all`); blog links and comments, whose columns
/// are absent (tool_sync's rule: a missing column means yes). Completion stays: a missing
/// completion column means no (Q46 fixed).
const SAMPLE_REMOVES: &[&str] = &[
    "blog_associations",
    "comments",
    "events",
    "logs",
    "notes",
    "role_overrides",
    "role_assignments",
    "enrolments",
    "groups",
    "group_members",
    "groupings",
    "grouping_groups",
    "activity_user_data",
];

#[test]
fn the_upstream_sample_resets_what_it_names_and_a_second_run_changes_nothing() {
    let lms = setup();
    let before = state(&lms);
    let ran = lms.run_courses("reset", &lms.fixture("course_reset_sample.csv"), &[]);
    assert_eq!((ran.code, ran.count("updated"), ran.count("failed")), (0, 3, 0), "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(report["operation"], "reset");
    assert_eq!(outcomes(&report), [(2, "updated".to_string()), (3, "updated".to_string()), (4, "updated".to_string())]);

    let after = state(&lms);
    assert_eq!(after, emptied(&before, &COURSES, SAMPLE_REMOVES), "grades, activities and the rest stay");
    assert_eq!(after[&("grades", "TESTCOURSE1")], 1, "grades none: untouched");

    // Each line is journalled with what it removed.
    let journal: Vec<serde_json::Value> = lms
        .db()
        .prepare("SELECT after FROM sync_journal WHERE run_id = ?1 AND action = 'reset' ORDER BY line")
        .unwrap()
        .query_map([ran.run_id()], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|j| serde_json::from_str(&j.unwrap()).unwrap())
        .collect();
    assert_eq!(journal.len(), 3);
    for entry in &journal {
        let removed = &entry["removed"];
        for (key, n) in [
            ("events", 2),
            ("logs", 2),
            ("notes", 1),
            ("unenrolled", 2),
            ("unenrolled_role_assignments", 2),
            ("groups", 2),
            ("groupings", 1),
            ("grouping_groups", 2),
            ("role_overrides", 1),
            ("activity_user_data", 3),
        ] {
            assert_eq!(removed[key], n, "{key} in {entry}");
        }
        assert!(removed.get("grades").is_none(), "grades none: {entry}");
    }

    // Again: nothing left to remove, every line unchanged, nothing journalled or changed.
    let again = lms.run_courses("reset", &lms.fixture("course_reset_sample.csv"), &[]);
    assert_eq!((again.code, again.count("unchanged")), (0, 3), "{again:?}");
    let report = lms.json_report(again.run_id());
    assert!(outcomes(&report).iter().all(|(_, o)| o == "unchanged"), "{report:#}");
    assert_eq!(lms.journalled(again.run_id()), 0);
    assert_eq!(state(&lms), after);
}

#[test]
fn a_bad_value_or_an_unknown_course_fails_its_line_only() {
    let lms = setup();
    let before = state(&lms);
    let file = format!(
        "{HEADER}TESTCOURSE1;perhaps;no;no;none;none;none;none;none;none
NOSUCHCOURSE;yes;no;no;none;none;none;none;none;none
TESTCOURSE2;yes;no;no;none;none;none;none;none;none
"
    );
    let ran = lms.courses_file("reset", "resetcourses.csv", file, &[]);
    assert_eq!((ran.code, ran.count("updated"), ran.count("failed")), (1, 1, 2), "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["code"], "course.invalid_value", "{report:#}");
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("perhaps"));
    assert_eq!(line(&report, 3)["code"], "course.not_found", "{report:#}");
    assert_eq!(line(&report, 4)["outcome"], "updated", "{report:#}");
    assert_eq!(
        state(&lms),
        emptied(&before, &["TESTCOURSE2"], &["blog_associations", "comments", "events"]),
        "only TESTCOURSE2's events go, with its blog links and comments (their columns are absent)"
    );
}

#[test]
fn a_dry_run_predicts_the_reset_and_changes_nothing() {
    let lms = setup();
    let before = state(&lms);
    let dry = lms.run_courses("reset", &lms.fixture("course_reset_sample.csv"), &["--dry-run"]);
    assert_eq!((dry.code, dry.count("updated")), (0, 3), "{dry:?}");
    let report = lms.json_report(dry.run_id());
    assert_eq!(report["dry_run"], true);
    assert_eq!(lms.journalled(dry.run_id()), 0);
    assert_eq!(state(&lms), before);
}
