//! Cohorts, their members and their course bindings: batched lookups for the cohort tool and
//! applying its steps. What a membership or binding derives (enrolments, roles, group
//! memberships) is kept in step by the triggers of migration 006.

use lmsync_core::target::{CohortKeys, CohortTotals};
use lmsync_model::{Binding, BindingOp, Cohort, CohortJoin, CohortOp, CohortRef};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;

use crate::users::batched;
use crate::{Missing, StepResult, now};

const COLUMNS: &str = "id, name, idnumber, description, categoryid, component";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Cohort> {
    Ok(Cohort {
        id: r.get(0)?,
        name: r.get(1)?,
        idnumber: r.get(2)?,
        description: r.get(3)?,
        category: r.get(4)?,
        component: r.get(5)?,
    })
}

pub(crate) fn lookup(conn: &Connection, keys: &CohortKeys) -> rusqlite::Result<Vec<Cohort>> {
    let mut found: HashMap<i64, Cohort> = HashMap::new();
    let mut keep = |r: &Row<'_>| -> rusqlite::Result<()> {
        if let std::collections::hash_map::Entry::Vacant(slot) = found.entry(r.get(0)?) {
            slot.insert(from_row(r)?);
        }
        Ok(())
    };
    let select = format!("SELECT {COLUMNS} FROM cohort WHERE");
    batched(conn, &format!("{select} id"), &keys.ids, &mut keep)?;
    batched(conn, &format!("{select} idnumber <> '' AND idnumber"), &keys.idnumbers, &mut keep)?;
    batched(conn, &format!("{select} name"), &keys.names, &mut keep)?;
    let mut all: Vec<Cohort> = found.into_values().collect();
    all.sort_by_key(|c| c.id);
    Ok(all)
}

pub(crate) fn member_counts(conn: &Connection, cohorts: &[i64]) -> rusqlite::Result<Vec<u64>> {
    let mut stmt = conn.prepare_cached("SELECT count(*) FROM cohort_members WHERE cohortid = ?1")?;
    cohorts.iter().map(|c| stmt.query_row([c], |r| r.get::<_, i64>(0)).map(|n| n as u64)).collect()
}

pub(crate) fn memberships(conn: &Connection, pairs: &[(i64, i64)]) -> rusqlite::Result<Vec<bool>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    // One query for the chunk: the members among the chunk's users of the chunk's cohorts.
    let json = |v: Vec<i64>| serde_json::to_string(&v).unwrap_or_else(|_| "[]".into());
    let mut cohorts: Vec<i64> = pairs.iter().map(|p| p.0).collect();
    let mut users: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    cohorts.sort_unstable();
    cohorts.dedup();
    users.sort_unstable();
    users.dedup();
    let mut stmt = conn.prepare_cached(
        "SELECT cohortid, userid FROM cohort_members WHERE cohortid IN (SELECT value FROM json_each(?1)) AND userid IN (SELECT value FROM json_each(?2))",
    )?;
    let held: std::collections::HashSet<(i64, i64)> = stmt
        .query_map(params![json(cohorts), json(users)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(pairs.iter().map(|p| held.contains(p)).collect())
}

pub(crate) fn totals(conn: &Connection) -> rusqlite::Result<CohortTotals> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM cohort), (SELECT count(*) FROM cohort_members), (SELECT count(*) FROM enrol WHERE enrol = 'cohort')",
        [],
        |r| {
            Ok(CohortTotals {
                cohorts: r.get::<_, i64>(0)? as u64,
                memberships: r.get::<_, i64>(1)? as u64,
                bindings: r.get::<_, i64>(2)? as u64,
            })
        },
    )
}

pub(crate) fn bindings(conn: &Connection, courses: &[i64]) -> rusqlite::Result<Vec<Binding>> {
    let mut out = Vec::new();
    batched(
        conn,
        "SELECT id, course, customint1, coalesce(roleid, 0), status = 0, enrolstartdate, enrolenddate, customint2 FROM enrol WHERE enrol = 'cohort' AND course",
        courses,
        |r| {
            out.push(Binding {
                id: r.get(0)?,
                course: r.get(1)?,
                cohort: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                role: r.get(3)?,
                enabled: r.get(4)?,
                start: r.get(5)?,
                end: r.get(6)?,
                group: r.get::<_, Option<i64>>(7)?.filter(|g| *g > 0),
            });
            Ok(())
        },
    )?;
    out.sort_by_key(|b| b.id);
    out.dedup_by_key(|b| b.id);
    Ok(out)
}

fn find(conn: &Connection, cohort: &CohortRef) -> rusqlite::Result<Option<i64>> {
    if cohort.id > 0 {
        return conn
            .prepare_cached("SELECT id FROM cohort WHERE id = ?1")?
            .query_row([cohort.id], |r| r.get(0))
            .optional();
    }
    if !cohort.idnumber.is_empty() {
        return conn
            .prepare_cached("SELECT id FROM cohort WHERE idnumber = ?1")?
            .query_row([&cohort.idnumber], |r| r.get(0))
            .optional();
    }
    conn.prepare_cached("SELECT min(id) FROM cohort WHERE name = ?1")?.query_row([&cohort.name], |r| r.get(0))
}

/// Applies the steps of one members line; returns the cohort's id and the journal action
/// (`create`, `update`, `delete`), or `None` when nothing changed.
pub(crate) fn apply(
    conn: &Connection,
    cohort: &CohortRef,
    ops: &[CohortOp],
) -> StepResult<(i64, Option<&'static str>)> {
    let exec = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> StepResult<usize> {
        conn.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(Err)
    };
    let mut id = find(conn, cohort).map_err(Err)?.unwrap_or(0);
    let mut action = None;
    for op in ops {
        if id == 0 && !matches!(op, CohortOp::Create { .. }) {
            return Err(Ok(Missing(format!("cohort {} no longer exists", describe(cohort)))));
        }
        match op {
            CohortOp::Create { description, category, component } => {
                if id != 0 {
                    return Err(Ok(Missing(format!("cohort {} already exists", describe(cohort)))));
                }
                exec(
                    "INSERT INTO cohort (id, categoryid, name, idnumber, description, component, timecreated, timemodified) VALUES ((SELECT last + 1 FROM id_watermark WHERE tbl = 'cohort'), ?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    &[category, &cohort.name, &cohort.idnumber, description, component, &now()],
                )?;
                id = conn.last_insert_rowid();
                action = Some("create");
            }
            CohortOp::Update { description, category } => {
                let mut n = 0;
                if let Some(d) = description {
                    n += exec(
                        "UPDATE cohort SET description = ?2, timemodified = ?3 WHERE id = ?1 AND description <> ?2",
                        &[&id, d, &now()],
                    )?;
                }
                if let Some(c) = category {
                    n += exec(
                        "UPDATE cohort SET categoryid = ?2, timemodified = ?3 WHERE id = ?1 AND categoryid IS NOT ?2",
                        &[&id, c, &now()],
                    )?;
                }
                if n > 0 {
                    action = action.or(Some("update"));
                }
            }
            CohortOp::AddMember { user } => {
                if exec(
                    "INSERT INTO cohort_members (cohortid, userid, timeadded) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                    &[&id, user, &now()],
                )? > 0
                {
                    action = action.or(Some("update"));
                }
            }
            CohortOp::RemoveMember { user } => {
                if exec("DELETE FROM cohort_members WHERE cohortid = ?1 AND userid = ?2", &[&id, user])? > 0 {
                    action = action.or(Some("update"));
                }
            }
            CohortOp::Empty => {
                if exec("DELETE FROM cohort_members WHERE cohortid = ?1", &[&id])? > 0 {
                    action = action.or(Some("update"));
                }
            }
            CohortOp::Delete => {
                exec("DELETE FROM cohort WHERE id = ?1", &[&id])?;
                action = Some("delete");
            }
        }
    }
    Ok((id, action))
}

fn describe(c: &CohortRef) -> String {
    if c.id > 0 {
        format!("id {}", c.id)
    } else if !c.idnumber.is_empty() {
        format!("idnumber {}", c.idnumber)
    } else {
        format!("named {}", c.name)
    }
}

/// The id of the course group named `name`, created when missing.
fn group(conn: &Connection, course: i64, name: &str) -> rusqlite::Result<i64> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM groups WHERE courseid = ?1 AND name = ?2")?
        .query_row(params![course, name], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    conn.prepare_cached(
        "INSERT INTO groups (courseid, name, idnumber, description, timecreated, timemodified) VALUES (?1, ?2, '', '', ?3, ?3)",
    )?
    .execute(params![course, name, now()])?;
    Ok(conn.last_insert_rowid())
}

/// Applies one bindings line; returns the first binding touched (0 if none) and the journal
/// action (`create`, `update`, `delete`), or `None` when nothing changed.
pub(crate) fn bind(
    conn: &Connection,
    course: i64,
    cohort: i64,
    op: &BindingOp,
) -> StepResult<(i64, Option<&'static str>)> {
    let exec = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> StepResult<usize> {
        conn.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(Err)
    };
    let exists: bool = conn
        .prepare_cached("SELECT count(*) FROM cohort WHERE id = ?1")
        .and_then(|mut s| s.query_row([cohort], |r| r.get::<_, i64>(0)))
        .map_err(Err)?
        > 0;
    if !exists {
        return Err(Ok(Missing(format!("cohort id {cohort} no longer exists"))));
    }
    let matching = |role: Option<i64>| -> StepResult<Vec<i64>> {
        conn.prepare_cached(
            "SELECT id FROM enrol WHERE enrol = 'cohort' AND course = ?1 AND customint1 = ?2 AND (?3 IS NULL OR roleid = ?3) ORDER BY id",
        )
        .and_then(|mut s| s.query_map(params![course, cohort, role], |r| r.get(0))?.collect())
        .map_err(Err)
    };
    match op {
        BindingOp::Bind { role, start, end, group: group_name } => {
            let group_id = match group_name {
                Some(name) => Some(group(conn, course, name).map_err(Err)?),
                None => None,
            };
            let t = now();
            match matching(Some(*role))?.first() {
                None => {
                    exec(
                        "INSERT INTO enrol (enrol, course, status, sortorder, roleid, enrolstartdate, enrolenddate, customint1, customint2, timecreated, timemodified) VALUES ('cohort', ?1, 0, (SELECT count(*) FROM enrol WHERE course = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                        &[&course, role, &start.unwrap_or(0), &end.unwrap_or(0), &cohort, &group_id, &t],
                    )?;
                    Ok((conn.last_insert_rowid(), Some("create")))
                }
                Some(&id) => {
                    // Dates and group first: enabling then enrols members with the new values.
                    let mut n = 0;
                    if let Some(s) = start {
                        n += exec(
                            "UPDATE enrol SET enrolstartdate = ?2, timemodified = ?3 WHERE id = ?1 AND enrolstartdate <> ?2",
                            &[&id, s, &t],
                        )?;
                    }
                    if let Some(e) = end {
                        n += exec(
                            "UPDATE enrol SET enrolenddate = ?2, timemodified = ?3 WHERE id = ?1 AND enrolenddate <> ?2",
                            &[&id, e, &t],
                        )?;
                    }
                    if let Some(g) = group_id {
                        n += exec(
                            "UPDATE enrol SET customint2 = ?2, timemodified = ?3 WHERE id = ?1 AND customint2 IS NOT ?2",
                            &[&id, &g, &t],
                        )?;
                    }
                    n += exec(
                        "UPDATE enrol SET status = 0, timemodified = ?2 WHERE id = ?1 AND status <> 0",
                        &[&id, &t],
                    )?;
                    Ok((id, (n > 0).then_some("update")))
                }
            }
        }
        BindingOp::Disable { role } | BindingOp::Enable { role } => {
            let status = i64::from(matches!(op, BindingOp::Disable { .. }));
            let ids = matching(*role)?;
            let mut n = 0;
            for id in &ids {
                n += exec(
                    "UPDATE enrol SET status = ?2, timemodified = ?3 WHERE id = ?1 AND status <> ?2",
                    &[id, &status, &now()],
                )?;
            }
            Ok((ids.first().copied().unwrap_or(0), (n > 0).then_some("update")))
        }
        BindingOp::Delete { role } => {
            let ids = matching(*role)?;
            for id in &ids {
                exec("DELETE FROM enrol WHERE id = ?1", &[id])?;
            }
            Ok((ids.first().copied().unwrap_or(0), (!ids.is_empty()).then_some("delete")))
        }
    }
}

/// The users file's cohort column: the account joins the oldest cohort of that name, created in
/// the system context when there is none (its idnumber left empty when another cohort has it).
pub(crate) fn join(conn: &Connection, user: i64, cohort: &CohortJoin) -> rusqlite::Result<()> {
    let found: Option<i64> =
        conn.prepare_cached("SELECT min(id) FROM cohort WHERE name = ?1")?.query_row([&cohort.name], |r| r.get(0))?;
    let id = match found {
        Some(id) => id,
        None => {
            let t = now();
            conn.prepare_cached(
                "INSERT INTO cohort (id, name, idnumber, timecreated, timemodified) VALUES ((SELECT last + 1 FROM id_watermark WHERE tbl = 'cohort'), ?1, CASE WHEN ?2 <> '' AND NOT EXISTS (SELECT 1 FROM cohort WHERE idnumber = ?2) THEN ?2 ELSE '' END, ?3, ?3)",
            )?
            .execute(params![cohort.name, cohort.idnumber, t])?;
            conn.last_insert_rowid()
        }
    };
    conn.prepare_cached(
        "INSERT INTO cohort_members (cohortid, userid, timeadded) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![id, user, now()])?;
    Ok(())
}
