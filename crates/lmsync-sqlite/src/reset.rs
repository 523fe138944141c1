//! Course reset in the store: removes the user data a reset's options name, and counts it.
//!
//! Moodle's `reset_course_userdata`, simplified to the tables of migration 004. The result has
//! one key per kind of data an option covers (0 when there was nothing to remove), so a line
//! whose counts are all 0 is `unchanged`:
//!
//! | option | keys |
//! |---|---|
//! | events, logs, notes, comments, blog_associations | the same names |
//! | completion | `completions` (course), `module_completions` (its activities) |
//! | unenrol_roles | `unenrolled`, `unenrolled_role_assignments`, `unenrolled_group_members` |
//! | local_role_assignments / local_role_overrides | `local_role_assignments` / `role_overrides` |
//! | grades / grade_items | `grades` / `grade_items` and `grades` (an item's grades go with it) |
//! | groupings_members, groupings_remove | `grouping_groups`, `groupings` |
//! | groups_members, groups_remove | `group_members`, `groups` (and `grouping_groups` for their links) |
//! | modules | `activity_user_data` |
//!
//! Choices:
//! * Unenrolment by role runs before the local role assignments, so it still sees the roles it
//!   selects users by. A user holding one of the roles in the course (any assignment, derived
//!   ones included) loses every enrolment in the course's instances except meta-link and cohort
//!   ones (a derived enrolment only goes through its master course or its cohort), every role
//!   assignment there except the derived ones, and every group membership there except those a
//!   cohort binding keeps.
//! * Local role assignments are then the remaining manual ones (component `''`) of the course:
//!   those of users who stay enrolled, and of role holders without an enrolment. Derived
//!   assignments (`enrol_meta`, or any other owning component) are never touched: their owner
//!   keeps them in step.
//! * `forum_subscriptions` in `modules` is the `subscription` data of forum activities only;
//!   any other name is every user data row of the course's activities of that type.
//! * Removing groupings clears the course's `defaultgroupingid` when it named one of them;
//!   removing groups clears a cohort instance's group (`customint2`) that named one of them.

use lmsync_model::ResetOptions;
use rusqlite::{Connection, Params, params};
use std::collections::BTreeMap;

type Removed = BTreeMap<&'static str, u64>;

/// Runs a cached DELETE (or UPDATE) and returns the number of rows it touched directly
/// (foreign-key cascades and trigger effects are not counted).
fn exec(conn: &Connection, sql: &str, params: impl Params) -> rusqlite::Result<u64> {
    Ok(conn.prepare_cached(sql)?.execute(params)? as u64)
}

fn add(removed: &mut Removed, key: &'static str, n: u64) {
    *removed.entry(key).or_default() += n;
}

/// A JSON array of ids, for `IN (SELECT value FROM json_each(?))`.
fn id_list(ids: &[i64]) -> String {
    format!("[{}]", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
}

/// Removes what `options` names from course `course`; returns the number of rows removed per
/// kind of data (for the journal and the report).
pub(crate) fn reset(conn: &Connection, course: i64, options: &ResetOptions) -> rusqlite::Result<Removed> {
    let o = options;
    let mut removed = Removed::new();
    let simple: [(bool, &'static str, &str); 8] = [
        (o.events, "events", "DELETE FROM event WHERE courseid = ?1"),
        (o.logs, "logs", "DELETE FROM logstore_standard_log WHERE courseid = ?1"),
        (o.notes, "notes", "DELETE FROM post WHERE module = 'notes' AND courseid = ?1"),
        (o.completion, "completions", "DELETE FROM course_completions WHERE course = ?1"),
        (
            o.completion,
            "module_completions",
            "DELETE FROM course_modules_completion WHERE coursemoduleid IN (SELECT id FROM course_modules WHERE course = ?1)",
        ),
        (o.blog_associations, "blog_associations", "DELETE FROM blog_association WHERE courseid = ?1"),
        (o.comments, "comments", "DELETE FROM comments WHERE courseid = ?1"),
        (o.local_role_overrides, "role_overrides", "DELETE FROM role_capabilities WHERE courseid = ?1"),
    ];
    for (on, key, sql) in simple {
        if on {
            add(&mut removed, key, exec(conn, sql, [course])?);
        }
    }
    if !o.unenrol_roles.is_empty() {
        unenrol(conn, course, &o.unenrol_roles, &mut removed)?;
    }
    if o.local_role_assignments {
        let n = exec(conn, "DELETE FROM role_assignments WHERE courseid = ?1 AND component = ''", [course])?;
        add(&mut removed, "local_role_assignments", n);
    }
    gradebook(conn, course, o, &mut removed)?;
    groupings(conn, course, o, &mut removed)?;
    groups(conn, course, o, &mut removed)?;
    for modname in &o.modules {
        let n = if modname == "forum_subscriptions" {
            exec(
                conn,
                "DELETE FROM activity_user_data WHERE kind = 'subscription' AND coursemoduleid IN (SELECT id FROM course_modules WHERE course = ?1 AND modname = 'forum')",
                [course],
            )?
        } else {
            exec(
                conn,
                "DELETE FROM activity_user_data WHERE coursemoduleid IN (SELECT id FROM course_modules WHERE course = ?1 AND modname = ?2)",
                params![course, modname],
            )?
        };
        add(&mut removed, "activity_user_data", n);
    }
    Ok(removed)
}

/// Users holding any of `roles` in the course lose their enrolments, role assignments and group
/// memberships there, except those derived from a master course or a cohort (migration 003's
/// triggers update the metas).
fn unenrol(conn: &Connection, course: i64, roles: &[i64], removed: &mut Removed) -> rusqlite::Result<()> {
    let users: Vec<i64> = conn
        .prepare_cached(
            "SELECT DISTINCT userid FROM role_assignments WHERE courseid = ?1 AND roleid IN (SELECT value FROM json_each(?2)) ORDER BY userid",
        )?
        .query_map(params![course, id_list(roles)], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let users = id_list(&users);
    let steps: [(&'static str, &str); 3] = [
        (
            "unenrolled",
            "DELETE FROM user_enrolments WHERE userid IN (SELECT value FROM json_each(?2)) AND enrolid IN (SELECT id FROM enrol WHERE course = ?1 AND enrol NOT IN ('meta', 'cohort'))",
        ),
        (
            "unenrolled_role_assignments",
            "DELETE FROM role_assignments WHERE courseid = ?1 AND userid IN (SELECT value FROM json_each(?2)) AND component NOT IN ('enrol_meta', 'enrol_cohort')",
        ),
        (
            "unenrolled_group_members",
            "DELETE FROM groups_members WHERE userid IN (SELECT value FROM json_each(?2)) AND groupid IN (SELECT id FROM groups WHERE courseid = ?1) AND component <> 'enrol_cohort'",
        ),
    ];
    for (key, sql) in steps {
        add(removed, key, exec(conn, sql, params![course, users])?);
    }
    Ok(())
}

/// Grades of the course's items (also when the items go, so they are counted), then the items.
fn gradebook(conn: &Connection, course: i64, o: &ResetOptions, removed: &mut Removed) -> rusqlite::Result<()> {
    if o.grades || o.grade_items {
        let sql = "DELETE FROM grade_grades WHERE itemid IN (SELECT id FROM grade_items WHERE courseid = ?1)";
        add(removed, "grades", exec(conn, sql, [course])?);
    }
    if o.grade_items {
        add(removed, "grade_items", exec(conn, "DELETE FROM grade_items WHERE courseid = ?1", [course])?);
    }
    Ok(())
}

fn groupings(conn: &Connection, course: i64, o: &ResetOptions, removed: &mut Removed) -> rusqlite::Result<()> {
    if o.groupings_members || o.groupings_remove {
        let sql = "DELETE FROM groupings_groups WHERE groupingid IN (SELECT id FROM groupings WHERE courseid = ?1)";
        add(removed, "grouping_groups", exec(conn, sql, [course])?);
    }
    if o.groupings_remove {
        exec(
            conn,
            "UPDATE course SET defaultgroupingid = 0 WHERE id = ?1 AND defaultgroupingid IN (SELECT id FROM groupings WHERE courseid = ?1)",
            [course],
        )?;
        add(removed, "groupings", exec(conn, "DELETE FROM groupings WHERE courseid = ?1", [course])?);
    }
    Ok(())
}

fn groups(conn: &Connection, course: i64, o: &ResetOptions, removed: &mut Removed) -> rusqlite::Result<()> {
    if o.groups_members || o.groups_remove {
        let sql = "DELETE FROM groups_members WHERE groupid IN (SELECT id FROM groups WHERE courseid = ?1)";
        add(removed, "group_members", exec(conn, sql, [course])?);
    }
    if o.groups_remove {
        let sql = "DELETE FROM groupings_groups WHERE groupid IN (SELECT id FROM groups WHERE courseid = ?1)";
        add(removed, "grouping_groups", exec(conn, sql, [course])?);
        exec(
            conn,
            "UPDATE enrol SET customint2 = NULL WHERE course = ?1 AND enrol = 'cohort' AND customint2 IN (SELECT id FROM groups WHERE courseid = ?1)",
            [course],
        )?;
        add(removed, "groups", exec(conn, "DELETE FROM groups WHERE courseid = ?1", [course])?);
    }
    Ok(())
}
