//! Applies a chunk of changes in one transaction, each change under its own savepoint so a
//! refused one leaves the others in place, journals each applied change, and records the run's
//! progress in the same commit.

use lmsync_core::target::{ApplyResult, TargetError};
use lmsync_model::{Applied, Change, ChangeError, ChangeKind, User, UserUpdate};
use rusqlite::{Connection, ErrorCode, params};
use std::collections::HashMap;

use crate::{now, unavailable};

/// Why one change did not apply: refused (the line fails) or the database itself failed.
enum Failure {
    Refused(ChangeError),
    Broken(rusqlite::Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => {
                Failure::Refused(ChangeError::new("target.constraint", format!("the store refused the change: {e}")))
            }
            _ => Failure::Broken(e),
        }
    }
}

/// Applies a chunk inside a transaction (a savepoint in a rehearsal) left open for
/// `commit_chunk`; on a database failure everything of the chunk is rolled back.
pub(crate) fn apply_chunk(
    conn: &mut Connection,
    rehearsal: bool,
    run: i64,
    changes: &[Change],
) -> Result<ApplyResult, TargetError> {
    conn.execute_batch(if rehearsal { "SAVEPOINT chunk" } else { "BEGIN IMMEDIATE" }).map_err(unavailable)?;
    match apply_all(conn, rehearsal, run, changes) {
        Ok(results) => Ok(results),
        Err(e) => {
            let _ = conn.execute_batch(if rehearsal { "ROLLBACK TO chunk; RELEASE chunk" } else { "ROLLBACK" });
            Err(unavailable(e))
        }
    }
}

/// Records the run's progress and commits the chunk `apply_chunk` left open.
pub(crate) fn commit_chunk(
    conn: &mut Connection,
    rehearsal: bool,
    run: i64,
    progress_line: u64,
) -> Result<(), TargetError> {
    let progress = conn
        .prepare_cached("UPDATE sync_runs SET last_line = ?1 WHERE id = ?2")
        .and_then(|mut s| s.execute(params![progress_line as i64, run]));
    if let Err(e) = progress {
        let _ = conn.execute_batch(if rehearsal { "ROLLBACK TO chunk; RELEASE chunk" } else { "ROLLBACK" });
        return Err(unavailable(e));
    }
    conn.execute_batch(if rehearsal { "RELEASE chunk" } else { "COMMIT" }).map_err(unavailable)
}

fn apply_all(conn: &Connection, rehearsal: bool, run: i64, changes: &[Change]) -> rusqlite::Result<ApplyResult> {
    let fields: HashMap<String, i64> = conn
        .prepare_cached("SELECT shortname, id FROM user_info_field")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Planned changes rarely fail, so the chunk is first applied without any savepoint (an open
    // savepoint makes every statement of the chunk pay for a statement journal); only when one
    // is refused is the chunk undone and applied again line by line, isolating it.
    let mut results = Vec::with_capacity(changes.len());
    let mut cache = crate::enrols::Instances::default();
    for change in changes {
        match apply_one(conn, run, change, &fields, &mut cache) {
            Ok(applied) => results.push(Ok(applied)),
            Err(Failure::Broken(e)) => return Err(e),
            Err(Failure::Refused(_)) => break,
        }
    }
    if results.len() == changes.len() {
        return Ok(results);
    }
    conn.execute_batch(if rehearsal { "ROLLBACK TO chunk" } else { "ROLLBACK; BEGIN IMMEDIATE" })?;
    apply_isolated(conn, run, changes, &fields)
}

/// Applies each change under its own savepoint: a refused one leaves the others in place.
fn apply_isolated(
    conn: &Connection,
    run: i64,
    changes: &[Change],
    fields: &HashMap<String, i64>,
) -> rusqlite::Result<ApplyResult> {
    let mut results = Vec::with_capacity(changes.len());
    let mut cache = crate::enrols::Instances::default();
    for change in changes {
        // Cached statements: savepoints run twice per line, re-preparing them costs.
        conn.prepare_cached("SAVEPOINT line")?.execute([])?;
        match apply_one(conn, run, change, fields, &mut cache) {
            Ok(applied) => {
                conn.prepare_cached("RELEASE line")?.execute([])?;
                results.push(Ok(applied));
            }
            Err(failure) => {
                conn.execute_batch("ROLLBACK TO line; RELEASE line")?;
                match failure {
                    Failure::Refused(e) => results.push(Err(e)),
                    Failure::Broken(e) => return Err(e),
                }
            }
        }
    }
    Ok(results)
}

/// One journal row: which entity a change touched and its values before and after (JSON).
struct Entry<'a> {
    entity: &'a str,
    id: i64,
    action: &'a str,
    before: Option<String>,
    after: Option<String>,
}

fn journal(conn: &Connection, run: i64, change: &Change, e: Entry<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_journal (run_id, line, entity, entity_id, key, action, before, after, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![run, change.line as i64, e.entity, e.id, change.key, e.action, e.before, e.after, now()])?;
    Ok(())
}

fn apply_one(
    conn: &Connection,
    run: i64,
    change: &Change,
    fields: &HashMap<String, i64>,
    cache: &mut crate::enrols::Instances,
) -> Result<Applied, Failure> {
    match &change.kind {
        ChangeKind::CreateUser { user, preferences, enrolments, cohort } => {
            let id = insert_user(conn, user, fields)?;
            set_preferences(conn, id, preferences)?;
            enrol_user(conn, id, enrolments, cache)?;
            if let Some(c) = cohort {
                crate::cohorts::join(conn, id, c)?;
            }
            let mut after = user.to_json();
            if !enrolments.is_empty() {
                after["enrolments"] = serde_json::to_value(enrolments).unwrap_or_default();
            }
            if let Some(c) = cohort {
                after["cohort"] = c.name.clone().into();
            }
            let after = Some(after.to_string());
            journal(conn, run, change, Entry { entity: "user", id, action: "create", before: None, after })?;
            Ok(Applied { id, changed: true })
        }
        ChangeKind::UpdateUser(update) => {
            update_user(conn, update, fields)?;
            enrol_user(conn, update.id, &update.enrolments, cache)?;
            if let Some(c) = &update.cohort {
                crate::cohorts::join(conn, update.id, c)?;
            }
            let (before, after) = update.journal();
            let (before, after) = (Some(before.to_string()), Some(after.to_string()));
            journal(conn, run, change, Entry { entity: "user", id: update.id, action: "update", before, after })?;
            Ok(Applied { id: update.id, changed: true })
        }
        ChangeKind::WriteCourse(w) => {
            let (id, changed) = crate::courses::write(conn, w)?;
            if changed {
                let after = serde_json::json!({ "course": w.course, "category": format!("{:?}", w.category), "sections": w.sections.len(), "activities": w.activities.len(), "teachers": w.teachers.iter().map(|t| (&t.username, &t.role)).collect::<Vec<_>>(), "changed": w.changed });
                let (action, before) = match &w.before {
                    None => ("create", None),
                    Some(b) => ("update", serde_json::to_string(b).ok()),
                };
                journal(
                    conn,
                    run,
                    change,
                    Entry { entity: "course", id, action, before, after: Some(after.to_string()) },
                )?;
            }
            Ok(Applied { id, changed })
        }
        ChangeKind::DeleteCourse { id } => match crate::courses::delete(conn, *id)? {
            Some(course) => {
                let before = serde_json::to_string(&course).ok();
                journal(conn, run, change, Entry { entity: "course", id: *id, action: "delete", before, after: None })?;
                Ok(Applied { id: *id, changed: true })
            }
            None => {
                Err(Failure::Refused(ChangeError::new("course.not_found", format!("course id {id} no longer exists"))))
            }
        },
        ChangeKind::MetaLink { master, meta, add } => {
            let (id, changed) = crate::courses::meta_link(conn, *master, *meta, *add)?;
            if changed {
                let link = serde_json::json!({ "master": master, "meta": meta, "instance": id }).to_string();
                let (action, before, after) =
                    if *add { ("create", None, Some(link)) } else { ("delete", Some(link), None) };
                journal(conn, run, change, Entry { entity: "meta_link", id, action, before, after })?;
            }
            Ok(Applied { id, changed })
        }
        ChangeKind::ResetCourse { id, options } => {
            let removed = crate::reset::reset(conn, *id, options)?;
            let changed = removed.values().any(|n| *n > 0);
            if changed {
                let after = serde_json::json!({ "options": options, "removed": removed }).to_string();
                journal(
                    conn,
                    run,
                    change,
                    Entry { entity: "course", id: *id, action: "reset", before: None, after: Some(after) },
                )?;
            }
            Ok(Applied { id: *id, changed })
        }
        ChangeKind::DeleteCategory { id } => match crate::courses::delete_empty_category(conn, *id)? {
            Some(before) => {
                journal(
                    conn,
                    run,
                    change,
                    Entry { entity: "category", id: *id, action: "delete", before: Some(before), after: None },
                )?;
                Ok(Applied { id: *id, changed: true })
            }
            None => Err(Failure::Refused(ChangeError::new(
                "category.not_empty",
                format!("category {id} is not empty (or no longer exists)"),
            ))),
        },
        ChangeKind::Enrol { course, user, ops } => {
            step(crate::enrols::apply(conn, *course, *user, ops, cache), "enrol.target_missing")?;
            if !ops.is_empty() {
                let after = serde_json::to_string(ops).ok();
                journal(
                    conn,
                    run,
                    change,
                    Entry { entity: "enrolment", id: *user, action: "update", before: None, after },
                )?;
            }
            // No id: the report names the user and course by their keys.
            Ok(Applied { id: 0, changed: !ops.is_empty() })
        }
        ChangeKind::Groups { course, ops } => {
            step(crate::groups::apply(conn, *course, ops), "group.target_missing")?;
            if !ops.is_empty() {
                let after = serde_json::to_string(ops).ok();
                journal(
                    conn,
                    run,
                    change,
                    Entry { entity: "group", id: *course, action: "update", before: None, after },
                )?;
            }
            Ok(Applied { id: 0, changed: !ops.is_empty() })
        }
        ChangeKind::Cohort { cohort, ops } => {
            let (id, action) = step(crate::cohorts::apply(conn, cohort, ops), "cohort.target_missing")?;
            if let Some(action) = action {
                let after = serde_json::json!({ "cohort": cohort, "ops": ops }).to_string();
                journal(conn, run, change, Entry { entity: "cohort", id, action, before: None, after: Some(after) })?;
            }
            Ok(Applied { id, changed: action.is_some() })
        }
        ChangeKind::CohortBinding { course, cohort, op } => {
            let (id, action) = step(crate::cohorts::bind(conn, *course, *cohort, op), "cohort.target_missing")?;
            if let Some(action) = action {
                let after = serde_json::json!({ "course": course, "cohort": cohort, "op": op }).to_string();
                journal(
                    conn,
                    run,
                    change,
                    Entry { entity: "cohort_binding", id, action, before: None, after: Some(after) },
                )?;
            }
            Ok(Applied { id, changed: action.is_some() })
        }
        ChangeKind::SetPicture(p) => {
            let had: bool = conn
                .prepare_cached("SELECT count(*) FROM user_pictures WHERE userid = ?1")?
                .query_row([p.user], |r| r.get::<_, i64>(0))?
                > 0;
            let exists: bool = conn
                .prepare_cached("SELECT count(*) FROM user WHERE id = ?1 AND deleted = 0")?
                .query_row([p.user], |r| r.get::<_, i64>(0))?
                > 0;
            if !exists {
                return Err(Failure::Refused(ChangeError::new(
                    "picture.user_gone",
                    format!("account {} no longer exists", p.user),
                )));
            }
            let changed = crate::pictures::store(conn, p)?;
            if changed {
                let after = Some(serde_json::json!({ "hash": p.hash }).to_string());
                let action = if had { "update" } else { "create" };
                journal(conn, run, change, Entry { entity: "picture", id: p.user, action, before: None, after })?;
            }
            Ok(Applied { id: p.user, changed })
        }
        ChangeKind::DeleteUser { id } => {
            let before = delete_user(conn, *id)?;
            let (before, after) = (Some(before.to_string()), Some(r#"{"deleted":true}"#.to_string()));
            journal(conn, run, change, Entry { entity: "user", id: *id, action: "delete", before, after })?;
            Ok(Applied { id: *id, changed: true })
        }
    }
}

/// The enrolment steps of a user line (courseN columns), after the account is written.
fn enrol_user(
    conn: &Connection,
    user: i64,
    enrolments: &[(i64, Vec<lmsync_model::EnrolOp>)],
    cache: &mut crate::enrols::Instances,
) -> Result<(), Failure> {
    for (course, ops) in enrolments {
        step(crate::enrols::apply(conn, *course, user, ops, cache), "enrol.target_missing")?;
    }
    Ok(())
}

/// A step's result as the change's: a missing target refuses the line with `code`.
fn step<T>(result: crate::StepResult<T>, code: &str) -> Result<T, Failure> {
    match result {
        Ok(v) => Ok(v),
        Err(Ok(crate::Missing(what))) => Err(Failure::Refused(ChangeError::new(code, what))),
        Err(Err(e)) => Err(e.into()),
    }
}

fn insert_user(conn: &Connection, u: &User, fields: &HashMap<String, i64>) -> Result<i64, Failure> {
    conn.prepare_cached(
        "INSERT INTO user (auth, confirmed, deleted, suspended, mnethostid, username, password, idnumber, firstname, lastname, email, phone1, phone2, icq, institution, department, address, city, country, lang, timezone, description, url, maildisplay, maildigest, mailformat, autosubscribe, trackforums, timecreated, timemodified)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
    )?
    .execute(params![
        u.auth, u.confirmed, u.deleted, u.suspended, u.username, u.password, u.idnumber, u.firstname, u.lastname, u.email, u.phone1,
        u.phone2, u.icq, u.institution, u.department, u.address, u.city, u.country, u.lang, u.timezone, u.description, u.url,
        u.maildisplay, u.maildigest, u.mailformat, u.autosubscribe, u.trackforums, u.timecreated, u.timemodified
    ])?;
    let id = conn.last_insert_rowid();
    for (name, value) in &u.profile {
        set_profile(conn, id, name, value, fields)?;
    }
    Ok(id)
}

fn set_profile(
    conn: &Connection,
    userid: i64,
    name: &str,
    value: &str,
    fields: &HashMap<String, i64>,
) -> Result<(), Failure> {
    let Some(fieldid) = fields.get(name) else {
        return Err(Failure::Refused(ChangeError::new(
            "user.unknown_profile_field",
            format!("no custom profile field {name} exists"),
        )));
    };
    conn.prepare_cached("INSERT INTO user_info_data (userid, fieldid, data) VALUES (?1, ?2, ?3) ON CONFLICT (userid, fieldid) DO UPDATE SET data = excluded.data")?
        .execute(params![userid, fieldid, value])?;
    Ok(())
}

fn set_preferences(conn: &Connection, userid: i64, preferences: &[(String, String)]) -> rusqlite::Result<()> {
    for (name, value) in preferences {
        conn.prepare_cached("INSERT INTO user_preferences (userid, name, value) VALUES (?1, ?2, ?3) ON CONFLICT (userid, name) DO UPDATE SET value = excluded.value")?
            .execute(params![userid, name, value])?;
    }
    Ok(())
}

fn update_user(conn: &Connection, update: &UserUpdate, fields: &HashMap<String, i64>) -> Result<(), Failure> {
    let mut sets: Vec<String> = update.fields.iter().map(|(f, _, _)| format!("{} = ?", f.name())).collect();
    let mut values: Vec<rusqlite::types::Value> = update
        .fields
        .iter()
        .map(|(_, _, v)| match v {
            lmsync_model::FieldValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
            lmsync_model::FieldValue::Int(i) => rusqlite::types::Value::Integer(*i),
            lmsync_model::FieldValue::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
        })
        .collect();
    if let Some(p) = &update.password {
        sets.push("password = ?".into());
        values.push(rusqlite::types::Value::Text(p.clone()));
    }
    sets.push("timemodified = ?".into());
    values.push(rusqlite::types::Value::Integer(now()));
    values.push(rusqlite::types::Value::Integer(update.id));
    let sql = format!("UPDATE user SET {} WHERE id = ?", sets.join(", "));
    let n = conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values))?;
    if n == 0 {
        return Err(Failure::Refused(ChangeError::new(
            "user.not_found",
            format!("account id {} no longer exists", update.id),
        )));
    }
    for (name, _, value) in &update.profile {
        set_profile(conn, update.id, name, value, fields)?;
    }
    set_preferences(conn, update.id, &update.preferences)?;
    Ok(())
}

/// The platform's soft delete: flag the account and remove what ties it to courses and cohorts.
/// Returns what was removed, for the journal (and a later undo).
fn delete_user(conn: &Connection, id: i64) -> Result<serde_json::Value, Failure> {
    let ids = |sql: &str| -> rusqlite::Result<Vec<serde_json::Value>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([id], |r| {
            let count = r.as_ref().column_count();
            let mut values = Vec::with_capacity(count);
            for i in 0..count {
                values.push(serde_json::Value::from(r.get::<_, i64>(i)?));
            }
            Ok(serde_json::Value::Array(values))
        })?;
        rows.collect()
    };
    let before = serde_json::json!({
        "deleted": false,
        "user_enrolments": ids("SELECT enrolid, status, timestart, timeend FROM user_enrolments WHERE userid = ?1")?,
        "role_assignments": ids("SELECT roleid, courseid, itemid FROM role_assignments WHERE userid = ?1")?,
        "groups": ids("SELECT groupid FROM groups_members WHERE userid = ?1")?,
        "cohorts": ids("SELECT cohortid FROM cohort_members WHERE userid = ?1")?,
    });
    for sql in [
        "DELETE FROM user_enrolments WHERE userid = ?1",
        "DELETE FROM role_assignments WHERE userid = ?1",
        "DELETE FROM groups_members WHERE userid = ?1",
        "DELETE FROM cohort_members WHERE userid = ?1",
        "DELETE FROM user_preferences WHERE userid = ?1",
        "DELETE FROM user_pictures WHERE userid = ?1",
        "UPDATE user SET deleted = 1, picture = 0, timemodified = strftime('%s', 'now') WHERE id = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([id])?;
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use lmsync_core::target::{LmsTarget, RunStart, RunStore};
    use lmsync_model::{Change, ChangeKind, User};

    fn create(line: u64, username: &str) -> Change {
        let user = User {
            username: username.into(),
            firstname: "F".into(),
            lastname: "L".into(),
            auth: "manual".into(),
            lang: "en".into(),
            timezone: "99".into(),
            ..Default::default()
        };
        Change {
            line,
            key: username.into(),
            kind: ChangeKind::CreateUser {
                user: Box::new(user),
                preferences: vec![],
                enrolments: vec![],
                cohort: None,
            },
        }
    }

    fn store() -> (tempfile::TempDir, SqliteStore, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
        let run = store
            .start_run(&RunStart {
                tool: "users".into(),
                operation: None,
                input: "x.csv".into(),
                dry_run: false,
                trigger: "test".into(),
                pid: 1,
                partial_report: String::new(),
            })
            .unwrap();
        (dir, store, run)
    }

    #[test]
    fn a_refused_change_fails_alone_and_the_rest_of_its_chunk_is_applied_and_journalled() {
        let (_dir, mut store, run) = store();
        let results = store.apply(run, &[create(2, "ann"), create(3, "ann"), create(4, "bob")]).unwrap();
        store.commit(run, 4).unwrap();
        assert!(results[0].is_ok() && results[2].is_ok());
        assert_eq!(results[1].as_ref().unwrap_err().code, "target.constraint");
        assert!(store.user_by_username("ann").unwrap().is_some() && store.user_by_username("bob").unwrap().is_some());
        assert_eq!(store.journal_count(run).unwrap(), 2);
        assert_eq!(store.run(run).unwrap().unwrap().last_line, 4);
    }

    #[test]
    fn an_uncommitted_chunk_leaves_no_trace_and_a_rehearsal_is_discarded() {
        let (dir, mut store, run) = store();
        store.apply(run, &[create(2, "ann")]).unwrap();
        drop(store); // the process dies before the commit
        let mut store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
        assert!(store.user_by_username("ann").unwrap().is_none());
        assert_eq!(store.journal_count(run).unwrap(), 0);
        store.begin_rehearsal().unwrap();
        store.apply(run, &[create(2, "ann")]).unwrap();
        store.commit(run, 2).unwrap();
        assert!(store.user_by_username("ann").unwrap().is_some(), "later lines of a dry run see earlier ones");
        store.end_rehearsal().unwrap();
        assert!(store.user_by_username("ann").unwrap().is_none());
        assert_eq!(store.run(run).unwrap().unwrap().last_line, 0);
    }
}
