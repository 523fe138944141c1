//! Enrolments, roles and group memberships of a user in a course: reading them for the
//! enrolment tool, and applying its steps. Meta courses follow through the triggers of
//! migration 003.

use lmsync_model::{EnrolOp, EnrolState};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Missing, StepResult, now};

/// What each (course, user) pair holds, read for all pairs at once: one query per kind of data
/// per 256 users, instead of three per pair.
pub(crate) fn states(conn: &Connection, pairs: &[(i64, i64)]) -> rusqlite::Result<Vec<EnrolState>> {
    let mut users: Vec<i64> = pairs.iter().map(|(_, u)| *u).collect();
    users.sort_unstable();
    users.dedup();
    let mut by_pair: std::collections::HashMap<(i64, i64), EnrolState> = std::collections::HashMap::new();
    crate::users::batched(
        conn,
        "SELECT e.course, ue.userid, e.enrol, ue.status, ue.timestart, ue.timeend FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE ue.userid",
        &users,
        |r| {
            by_pair.entry((r.get(0)?, r.get(1)?)).or_default().enrolments.push((
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ));
            Ok(())
        },
    )?;
    crate::users::batched(
        conn,
        "SELECT courseid, userid, roleid, component FROM role_assignments WHERE userid",
        &users,
        |r| {
            by_pair.entry((r.get(0)?, r.get(1)?)).or_default().roles.push((r.get(2)?, r.get(3)?));
            Ok(())
        },
    )?;
    crate::users::batched(
        conn,
        "SELECT g.courseid, gm.userid, g.name, gm.component FROM groups_members gm JOIN groups g ON g.id = gm.groupid WHERE gm.userid",
        &users,
        |r| {
            by_pair.entry((r.get(0)?, r.get(1)?)).or_default().groups.push((r.get(2)?, r.get(3)?));
            Ok(())
        },
    )?;
    Ok(pairs.iter().map(|p| by_pair.remove(p).unwrap_or_default()).collect())
}

pub(crate) fn group_names(conn: &Connection, course: i64) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached("SELECT name FROM groups WHERE courseid = ?1 ORDER BY name")?
        .query_map([course], |r| r.get(0))?
        .collect()
}

/// Instance ids by (course, method) already looked up while applying a chunk: a chunk enrols
/// many users through the same few instances.
#[derive(Default)]
pub(crate) struct Instances(std::collections::HashMap<(i64, String), i64>);

fn instance(conn: &Connection, course: i64, method: &str, cache: &mut Instances) -> rusqlite::Result<Option<i64>> {
    if let Some(id) = cache.0.get(&(course, method.to_string())) {
        return Ok(Some(*id));
    }
    let id = conn
        .prepare_cached("SELECT id FROM enrol WHERE course = ?1 AND enrol = ?2 ORDER BY sortorder, id LIMIT 1")?
        .query_row(params![course, method], |r| r.get(0))
        .optional()?;
    if let Some(id) = id {
        cache.0.insert((course, method.to_string()), id);
    }
    Ok(id)
}

fn group(conn: &Connection, course: i64, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM groups WHERE courseid = ?1 AND name = ?2")?
        .query_row(params![course, name], |r| r.get(0))
        .optional()
}

/// Applies the steps of one line, in order.
pub(crate) fn apply(
    conn: &Connection,
    course: i64,
    user: i64,
    ops: &[EnrolOp],
    cache: &mut Instances,
) -> StepResult<()> {
    let missing = |what: String| Err(Ok(Missing(what)));
    for op in ops {
        match op {
            EnrolOp::EnsureInstance { method } => {
                if instance(conn, course, method, cache).map_err(Err)?.is_none() {
                    conn.prepare_cached(
                        "INSERT INTO enrol (enrol, course, status, sortorder, roleid, timecreated, timemodified) VALUES (?1, ?2, 0, (SELECT count(*) FROM enrol WHERE course = ?2), 5, ?3, ?3)",
                    )
                    .and_then(|mut s| s.execute(params![method, course, now()]))
                    .map_err(Err)?;
                }
            }
            EnrolOp::Enrol { method, status, timestart, timeend } => {
                let Some(id) = instance(conn, course, method, cache).map_err(Err)? else {
                    return missing(format!("the course has no {method} enrolment instance"));
                };
                conn.prepare_cached(
                    "INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                     ON CONFLICT (enrolid, userid) DO UPDATE SET status = excluded.status, timestart = excluded.timestart, timeend = excluded.timeend, timemodified = excluded.timemodified",
                )
                .and_then(|mut s| s.execute(params![id, user, status, timestart, timeend, now()]))
                .map_err(Err)?;
            }
            EnrolOp::Unenrol { method } => {
                let Some(id) = instance(conn, course, method, cache).map_err(Err)? else { continue };
                let component = format!("enrol_{method}");
                let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| {
                    conn.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(Err)
                };
                run(
                    "DELETE FROM role_assignments WHERE userid = ?1 AND component = ?2 AND itemid = ?3",
                    &[&user, &component, &id],
                )?;
                run("DELETE FROM user_enrolments WHERE enrolid = ?1 AND userid = ?2", &[&id, &user])?;
                let left: i64 = conn
                    .prepare_cached("SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.course = ?1 AND ue.userid = ?2")
                    .and_then(|mut s| s.query_row(params![course, user], |r| r.get(0)))
                    .map_err(Err)?;
                if left == 0 {
                    // The platform's rule: no enrolment left, no role and no group left either.
                    run("DELETE FROM role_assignments WHERE courseid = ?1 AND userid = ?2", &[&course, &user])?;
                    run(
                        "DELETE FROM groups_members WHERE userid = ?2 AND groupid IN (SELECT id FROM groups WHERE courseid = ?1)",
                        &[&course, &user],
                    )?;
                }
            }
            EnrolOp::Assign { roleid, method } => {
                let (component, itemid) = match method {
                    None => (String::new(), 0),
                    Some(m) => match instance(conn, course, m, cache).map_err(Err)? {
                        Some(id) => (format!("enrol_{m}"), id),
                        None => return missing(format!("the course has no {m} enrolment instance")),
                    },
                };
                conn.prepare_cached(
                    "INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![roleid, course, user, component, itemid, now()]))
                .map_err(Err)?;
            }
            EnrolOp::Unassign { roleid, method } => {
                let (component, itemid) = match method {
                    None => (String::new(), None),
                    Some(m) => (format!("enrol_{m}"), instance(conn, course, m, cache).map_err(Err)?),
                };
                conn.prepare_cached(
                    "DELETE FROM role_assignments WHERE courseid = ?1 AND userid = ?2 AND component = ?3 AND (?4 IS NULL OR roleid = ?4) AND (?5 IS NULL OR itemid = ?5)",
                )
                .and_then(|mut s| s.execute(params![course, user, component, roleid, itemid]))
                .map_err(Err)?;
            }
            EnrolOp::CreateGroup { name } => {
                conn.prepare_cached("INSERT INTO groups (courseid, name, timecreated, timemodified) VALUES (?1, ?2, ?3, ?3) ON CONFLICT (courseid, name) DO NOTHING")
                    .and_then(|mut s| s.execute(params![course, name, now()]))
                    .map_err(Err)?;
            }
            EnrolOp::AddMember { group: name, component } => {
                let Some(g) = group(conn, course, name).map_err(Err)? else {
                    return missing(format!("the course has no group {name}"));
                };
                conn.prepare_cached("INSERT INTO groups_members (groupid, userid, component, timeadded) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
                    .and_then(|mut s| s.execute(params![g, user, component, now()]))
                    .map_err(Err)?;
            }
            EnrolOp::RemoveMembers { group: name, component } => {
                conn.prepare_cached(
                    "DELETE FROM groups_members WHERE userid = ?1 AND groupid IN (SELECT id FROM groups WHERE courseid = ?2 AND (?3 IS NULL OR name = ?3)) AND (?4 IS NULL OR component = ?4)",
                )
                .and_then(|mut s| s.execute(params![user, course, name, component]))
                .map_err(Err)?;
            }
        }
    }
    Ok(())
}
