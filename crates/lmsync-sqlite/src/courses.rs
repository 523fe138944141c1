//! Courses, categories, sections and activities in the store: lookups for the courses tool,
//! and applying a course line (create, update, delete) with its journal.

use lmsync_core::target::CourseKeys;
use lmsync_model::{Activity, Category, CategoryRef, Course, CourseWrite, InstanceState, Section, Teacher};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::now;

pub(crate) const COLUMNS: &str = "id, category, shortname, fullname, idnumber, summary, format, visible, startdate, enddate, lang, theme, groupmode, groupmodeforce, maxbytes, showgrades, newsitems, enablecompletion, marker, legacyfiles, showreports, coursedisplay, defaultgroupingid, timecreated, timemodified";

pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Course> {
    Ok(Course {
        id: r.get(0)?,
        category: r.get(1)?,
        shortname: r.get(2)?,
        fullname: r.get(3)?,
        idnumber: r.get(4)?,
        summary: r.get(5)?,
        format: r.get(6)?,
        visible: r.get(7)?,
        startdate: r.get(8)?,
        enddate: r.get(9)?,
        lang: r.get(10)?,
        theme: r.get(11)?,
        groupmode: r.get(12)?,
        groupmodeforce: r.get(13)?,
        maxbytes: r.get(14)?,
        showgrades: r.get(15)?,
        newsitems: r.get(16)?,
        enablecompletion: r.get(17)?,
        marker: r.get(18)?,
        legacyfiles: r.get(19)?,
        showreports: r.get(20)?,
        coursedisplay: r.get(21)?,
        defaultgroupingid: r.get(22)?,
        timecreated: r.get(23)?,
        timemodified: r.get(24)?,
    })
}

pub(crate) fn lookup(conn: &Connection, keys: &CourseKeys) -> rusqlite::Result<Vec<Course>> {
    let mut found = std::collections::BTreeMap::new();
    let mut by = |sql: &str, values: Vec<rusqlite::types::Value>| -> rusqlite::Result<()> {
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM course WHERE {sql} = ?1"))?;
        for v in values {
            if let Some(c) = stmt.query_row([v], from_row).optional()? {
                found.insert(c.id, c);
            }
        }
        Ok(())
    };
    by("id", keys.ids.iter().map(|i| (*i).into()).collect())?;
    by("shortname", keys.shortnames.iter().map(|s| s.clone().into()).collect())?;
    by("idnumber", keys.idnumbers.iter().filter(|s| !s.is_empty()).map(|s| s.clone().into()).collect())?;
    Ok(found.into_values().collect())
}

pub(crate) fn categories(conn: &Connection) -> rusqlite::Result<Vec<Category>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, parent, name, idnumber, visible FROM course_categories ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Category { id: r.get(0)?, parent: r.get(1)?, name: r.get(2)?, idnumber: r.get(3)?, visible: r.get(4)? })
    })?;
    rows.collect()
}

pub(crate) fn content(conn: &Connection, course: i64) -> rusqlite::Result<(Vec<Section>, Vec<Activity>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT section, name, summary, visible FROM course_sections WHERE course = ?1 ORDER BY section",
    )?;
    let sections = stmt
        .query_map([course], |r| {
            Ok(Section { number: r.get(0)?, name: r.get(1)?, summary: r.get(2)?, visible: r.get(3)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT m.modname, m.name, s.section, m.idnumber, m.visible FROM course_modules m JOIN course_sections s ON s.id = m.section WHERE m.course = ?1 ORDER BY s.section, m.sortorder, m.id",
    )?;
    let activities = stmt
        .query_map([course], |r| {
            Ok(Activity {
                modname: r.get(0)?,
                name: r.get(1)?,
                section: r.get(2)?,
                idnumber: r.get(3)?,
                visible: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((sections, activities))
}

/// Finds or creates each category of a path; returns the last one's id.
fn category_path(conn: &Connection, names: &[String], visible: bool) -> rusqlite::Result<i64> {
    let mut parent: Option<i64> = None;
    let mut path = String::new();
    for (depth, name) in names.iter().enumerate() {
        let found: Option<(i64, String)> = conn
            .prepare_cached(
                "SELECT id, path FROM course_categories WHERE parent IS ?1 AND name = ?2 ORDER BY id LIMIT 1",
            )?
            .query_row(params![parent, name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (id, p) = match found {
            Some(f) => f,
            None => {
                conn.prepare_cached("INSERT INTO course_categories (id, parent, name, visible, depth, sortorder, timemodified) VALUES ((SELECT last + 1 FROM id_watermark WHERE tbl = 'course_categories'), ?1, ?2, ?3, ?4, 999, ?5)")?
                    .execute(params![parent, name, visible, depth as i64 + 1, now()])?;
                let id = conn.last_insert_rowid();
                let p = format!("{path}/{id}");
                conn.prepare_cached("UPDATE course_categories SET path = ?1 WHERE id = ?2")?.execute(params![p, id])?;
                (id, p)
            }
        };
        parent = Some(id);
        path = p;
    }
    Ok(parent.unwrap_or_default())
}

fn write_record(conn: &Connection, c: &Course, category: i64, id: Option<i64>) -> rusqlite::Result<i64> {
    let values = params![
        category,
        c.shortname,
        c.fullname,
        c.idnumber,
        c.summary,
        c.format,
        c.visible,
        c.startdate,
        c.enddate,
        c.lang,
        c.theme,
        c.groupmode,
        c.groupmodeforce,
        c.maxbytes,
        c.showgrades,
        c.newsitems,
        c.enablecompletion,
        c.marker,
        c.legacyfiles,
        c.showreports,
        c.coursedisplay,
        c.defaultgroupingid,
        c.timecreated,
        now(),
        id
    ];
    match id {
        None => {
            conn.prepare_cached(&format!("INSERT INTO course (id, {}) VALUES ((SELECT last + 1 FROM id_watermark WHERE tbl = 'course'), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) RETURNING id", &COLUMNS[4..]))?
                .query_row(&values[..24], |r| r.get(0))
        }
        Some(id) => {
            let sets: Vec<String> = COLUMNS[4..].split(", ").enumerate().map(|(i, col)| format!("{col} = ?{}", i + 1)).collect();
            conn.prepare_cached(&format!("UPDATE course SET {} WHERE id = ?25", sets.join(", ")))?.execute(values)?;
            Ok(id)
        }
    }
}

/// Makes a self or guest instance enabled or disabled; true if something changed.
fn instance(conn: &Connection, course: i64, method: &str, state: InstanceState) -> rusqlite::Result<bool> {
    let status = i64::from(state == InstanceState::Disabled);
    let current: Option<(i64, i64)> = conn
        .prepare_cached("SELECT id, status FROM enrol WHERE course = ?1 AND enrol = ?2 ORDER BY sortorder, id LIMIT 1")?
        .query_row(params![course, method], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match current {
        Some((_, s)) if s == status => Ok(false),
        Some((id, _)) => {
            conn.prepare_cached("UPDATE enrol SET status = ?1, timemodified = ?2 WHERE id = ?3")?.execute(params![
                status,
                now(),
                id
            ])?;
            Ok(true)
        }
        None if state == InstanceState::Disabled => Ok(false),
        None => {
            add_instance(conn, course, method, status)?;
            Ok(true)
        }
    }
}

fn add_instance(conn: &Connection, course: i64, method: &str, status: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO enrol (enrol, course, status, sortorder, roleid, timecreated, timemodified) VALUES (?1, ?2, ?3, (SELECT count(*) FROM enrol WHERE course = ?2), 5, ?4, ?4)",
    )?
    .execute(params![method, course, status, now()])?;
    Ok(conn.last_insert_rowid())
}

/// Enrols a teacher (manual instance) with the role; true if something changed.
fn teacher(conn: &Connection, course: i64, t: &Teacher) -> rusqlite::Result<bool> {
    let manual: Option<i64> = conn
        .prepare_cached("SELECT id FROM enrol WHERE course = ?1 AND enrol = 'manual' ORDER BY sortorder, id LIMIT 1")?
        .query_row([course], |r| r.get(0))
        .optional()?;
    let manual = match manual {
        Some(id) => id,
        None => add_instance(conn, course, "manual", 0)?,
    };
    let enrolled = conn
        .prepare_cached("INSERT INTO user_enrolments (enrolid, userid, status, timecreated, timemodified) VALUES (?1, ?2, 0, ?3, ?3) ON CONFLICT (enrolid, userid) DO NOTHING")?
        .execute(params![manual, t.userid, now()])?;
    let assigned = conn
        .prepare_cached("INSERT INTO role_assignments (roleid, courseid, userid, timemodified) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")?
        .execute(params![t.roleid, course, t.userid, now()])?;
    Ok(enrolled + assigned > 0)
}

/// Writes sections (by number) and appends activities; true if something changed.
fn content_write(conn: &Connection, course: i64, w: &CourseWrite) -> rusqlite::Result<bool> {
    let mut changed = false;
    if w.replace_content {
        conn.prepare_cached("DELETE FROM course_modules WHERE course = ?1")?.execute([course])?;
        let top = w.sections.iter().map(|s| s.number).max().unwrap_or(0);
        changed |= conn
            .prepare_cached("DELETE FROM course_sections WHERE course = ?1 AND section > ?2")?
            .execute(params![course, top])?
            > 0;
    }
    for s in &w.sections {
        changed |= conn
            .prepare_cached(
                "INSERT INTO course_sections (course, section, name, summary, visible, timemodified) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (course, section) DO UPDATE SET name = excluded.name, summary = excluded.summary, visible = excluded.visible, timemodified = excluded.timemodified
                 WHERE name IS NOT excluded.name OR summary <> excluded.summary OR visible <> excluded.visible",
            )?
            .execute(params![course, s.number, s.name, s.summary, s.visible, now()])?
            > 0;
    }
    for (i, a) in w.activities.iter().enumerate() {
        let section: i64 = match conn
            .prepare_cached("SELECT id FROM course_sections WHERE course = ?1 AND section = ?2")?
            .query_row(params![course, a.section], |r| r.get(0))
            .optional()?
        {
            Some(id) => id,
            None => {
                conn.prepare_cached("INSERT INTO course_sections (course, section, summary, visible, timemodified) VALUES (?1, ?2, '', 1, ?3)")?.execute(params![course, a.section, now()])?;
                conn.last_insert_rowid()
            }
        };
        conn.prepare_cached("INSERT INTO course_modules (course, section, modname, name, idnumber, visible, sortorder) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
            .execute(params![course, section, a.modname, a.name, a.idnumber, a.visible, i as i64])?;
        changed = true;
    }
    Ok(changed)
}

/// Applies a course line; returns the course id and whether anything changed.
pub(crate) fn write(conn: &Connection, w: &CourseWrite) -> rusqlite::Result<(i64, bool)> {
    let category = match &w.category {
        Some(CategoryRef::Existing(id)) => Some(*id),
        Some(CategoryRef::Path { names, visible }) => Some(category_path(conn, names, *visible)?),
        None => None,
    };
    let (id, mut changed) = match &w.before {
        None => {
            let id = write_record(conn, &w.course, category.unwrap_or_default(), None)?;
            add_instance(conn, id, "manual", 0)?;
            add_instance(conn, id, "guest", 1)?;
            add_instance(conn, id, "self", 1)?;
            (id, true)
        }
        Some(before) => {
            let changed = !w.changed.iter().all(|c| *c == "sections");
            if changed {
                write_record(conn, &w.course, category.unwrap_or(before.category), Some(before.id))?;
            }
            (before.id, changed)
        }
    };
    changed |= content_write(conn, id, w)?;
    for (method, state) in [("self", w.self_enrol), ("guest", w.guest)] {
        if let Some(state) = state {
            changed |= instance(conn, id, method, state)?;
        }
    }
    for t in &w.teachers {
        changed |= teacher(conn, id, t)?;
    }
    Ok((id, changed))
}

/// Deletes a course (cascading to everything in it) and other courses' meta links to it.
/// Returns the course as it was, for the journal.
pub(crate) fn delete(conn: &Connection, id: i64) -> rusqlite::Result<Option<Course>> {
    let Some(course) = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM course WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
    else {
        return Ok(None);
    };
    conn.prepare_cached("DELETE FROM role_assignments WHERE component = 'enrol_meta' AND itemid IN (SELECT id FROM enrol WHERE enrol = 'meta' AND customint1 = ?1)")?.execute([id])?;
    conn.prepare_cached("DELETE FROM enrol WHERE enrol = 'meta' AND customint1 = ?1")?.execute([id])?;
    conn.prepare_cached("DELETE FROM course WHERE id = ?1")?.execute([id])?;
    Ok(Some(course))
}

/// Makes or removes a meta link; the triggers of migration 003 derive the enrolments. Returns
/// the instance id and whether anything changed.
pub(crate) fn meta_link(conn: &Connection, master: i64, meta: i64, add: bool) -> rusqlite::Result<(i64, bool)> {
    let current: Option<(i64, i64)> = conn
        .prepare_cached("SELECT id, status FROM enrol WHERE enrol = 'meta' AND course = ?1 AND customint1 = ?2")?
        .query_row(params![meta, master], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match (current, add) {
        (Some((id, 0)), true) => Ok((id, false)),
        (Some((id, _)), true) => {
            conn.prepare_cached("UPDATE enrol SET status = 0, timemodified = ?1 WHERE id = ?2")?
                .execute(params![now(), id])?;
            Ok((id, true))
        }
        (None, true) => {
            conn.prepare_cached(
                "INSERT INTO enrol (enrol, course, status, sortorder, customint1, timecreated, timemodified) VALUES ('meta', ?1, 0, (SELECT count(*) FROM enrol WHERE course = ?1), ?2, ?3, ?3)",
            )?
            .execute(params![meta, master, now()])?;
            Ok((conn.last_insert_rowid(), true))
        }
        (Some((id, _)), false) => {
            conn.prepare_cached("DELETE FROM enrol WHERE id = ?1")?.execute([id])?;
            Ok((id, true))
        }
        (None, false) => Ok((0, false)),
    }
}

/// Deletes a category if it holds no course, cohort or subcategory; returns it as JSON.
pub(crate) fn delete_empty_category(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    let empty: bool = conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM course WHERE category = ?1) AND NOT EXISTS (SELECT 1 FROM cohort WHERE categoryid = ?1)
            AND NOT EXISTS (SELECT 1 FROM course_categories WHERE parent = ?1) AND EXISTS (SELECT 1 FROM course_categories WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if !empty {
        return Ok(None);
    }
    let before: String = conn.query_row(
        "SELECT json_object('id', id, 'parent', parent, 'name', name, 'idnumber', idnumber, 'visible', visible) FROM course_categories WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?;
    conn.execute("DELETE FROM course_categories WHERE id = ?1", [id])?;
    Ok(Some(before))
}
