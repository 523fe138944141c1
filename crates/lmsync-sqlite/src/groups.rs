//! Groups, groupings and memberships of a course: reading them for the groups tool and
//! applying its steps.

use lmsync_model::{CourseGroups, Group, GroupOp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Missing, StepResult, now};

pub(crate) fn course_groups(conn: &Connection, course: i64) -> rusqlite::Result<CourseGroups> {
    let read = |table: &str| -> rusqlite::Result<Vec<Group>> {
        conn.prepare_cached(&format!(
            "SELECT id, name, idnumber, description FROM {table} WHERE courseid = ?1 ORDER BY id"
        ))?
        .query_map([course], |r| {
            Ok(Group { id: r.get(0)?, name: r.get(1)?, idnumber: r.get(2)?, description: r.get(3)? })
        })?
        .collect()
    };
    let bindings = conn
        .prepare_cached(
            "SELECT g.name, gp.name FROM groupings_groups gg JOIN groups g ON g.id = gg.groupid JOIN groupings gp ON gp.id = gg.groupingid WHERE gp.courseid = ?1",
        )?
        .query_map([course], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(CourseGroups { groups: read("groups")?, groupings: read("groupings")?, bindings })
}

fn id(conn: &Connection, table: &str, course: i64, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(&format!("SELECT id FROM {table} WHERE courseid = ?1 AND name = ?2"))?
        .query_row(params![course, name], |r| r.get(0))
        .optional()
}

pub(crate) fn apply(conn: &Connection, course: i64, ops: &[GroupOp]) -> StepResult<()> {
    let need = |table: &str, name: &str| -> StepResult<i64> {
        id(conn, table, course, name).map_err(Err)?.ok_or_else(|| {
            Ok(Missing(format!(
                "no {} named {name} in the course",
                if table == "groups" { "group" } else { "grouping" }
            )))
        })
    };
    let exec =
        |sql: &str, p: &[&dyn rusqlite::ToSql]| conn.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(Err);
    for op in ops {
        match op {
            GroupOp::CreateGroup { name, idnumber, description }
            | GroupOp::CreateGrouping { name, idnumber, description } => {
                let table = if matches!(op, GroupOp::CreateGroup { .. }) { "groups" } else { "groupings" };
                exec(
                    &format!(
                        "INSERT INTO {table} (courseid, name, idnumber, description, timecreated, timemodified) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
                    ),
                    &[&course, name, idnumber, description, &now()],
                )?;
            }
            GroupOp::UpdateGroup { name, new_name, idnumber, description }
            | GroupOp::UpdateGrouping { name, new_name, idnumber, description } => {
                let table = if matches!(op, GroupOp::UpdateGroup { .. }) { "groups" } else { "groupings" };
                let gid = need(table, name)?;
                exec(
                    &format!(
                        "UPDATE {table} SET name = coalesce(?2, name), idnumber = coalesce(?3, idnumber), description = coalesce(?4, description), timemodified = ?5 WHERE id = ?1"
                    ),
                    &[&gid, new_name, idnumber, description, &now()],
                )?;
            }
            GroupOp::Bind { group, grouping } => {
                let (g, gp) = (need("groups", group)?, need("groupings", grouping)?);
                exec(
                    "INSERT INTO groupings_groups (groupingid, groupid, timeadded) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                    &[&gp, &g, &now()],
                )?;
            }
            GroupOp::AddMember { group, user } => {
                let g = need("groups", group)?;
                exec(
                    "INSERT INTO groups_members (groupid, userid, component, timeadded) VALUES (?1, ?2, 'tool_sync', ?3) ON CONFLICT DO NOTHING",
                    &[&g, user, &now()],
                )?;
            }
            GroupOp::RemoveMember { group, user, except } => {
                exec(
                    "DELETE FROM groups_members WHERE userid = ?1 AND component = 'tool_sync'
                       AND groupid IN (SELECT id FROM groups WHERE courseid = ?2 AND (?3 IS NULL OR name = ?3) AND (?4 IS NULL OR name <> ?4))",
                    &[user, &course, group, except],
                )?;
            }
            GroupOp::DeleteGroup { name } => {
                exec("DELETE FROM groups WHERE courseid = ?1 AND name = ?2", &[&course, name])?;
            }
            GroupOp::DeleteGrouping { name } => {
                exec("DELETE FROM groupings WHERE courseid = ?1 AND name = ?2", &[&course, name])?;
            }
        }
    }
    Ok(())
}
