//! Streamed reads of whole tables for exports: categories, courses, sections, course links,
//! enrolments, groups, cohorts and pictures.

use rusqlite::types::ValueRef;

use crate::{SqliteStore, StoreError};

pub(crate) const PATHS: &str = "WITH RECURSIVE paths(id, namepath) AS (
    SELECT id, name FROM course_categories WHERE parent IS NULL
    UNION ALL SELECT c.id, paths.namepath || '/' || c.name FROM course_categories c JOIN paths ON c.parent = paths.id)";

/// An export: its columns and the query producing them in that order.
pub fn export_query(name: &str) -> Option<(&'static [&'static str], String)> {
    Some(match name {
        "categories" => (
            &["id", "name", "idnumber", "path", "visible", "parent"],
            format!("{PATHS} SELECT c.id, c.name, c.idnumber, p.namepath, c.visible, c.parent FROM course_categories c JOIN paths p USING (id) ORDER BY c.id"),
        ),
        "courses" => (
            &["id", "shortname", "fullname", "idnumber", "category_path", "format", "visible", "startdate", "sections"],
            format!("{PATHS} SELECT c.id, c.shortname, c.fullname, c.idnumber, p.namepath, c.format, c.visible, c.startdate, (SELECT count(*) FROM course_sections s WHERE s.course = c.id) FROM course c LEFT JOIN paths p ON p.id = c.category ORDER BY c.id"),
        ),
        "sections" => (
            &["course_shortname", "section", "name", "summary", "visible"],
            "SELECT c.shortname, s.section, s.name, s.summary, s.visible FROM course_sections s JOIN course c ON c.id = s.course ORDER BY c.id, s.section".into(),
        ),
        "course-links" => (
            &["master_shortname", "meta_shortname"],
            "SELECT m.shortname, c.shortname FROM enrol e JOIN course c ON c.id = e.course JOIN course m ON m.id = e.customint1 WHERE e.enrol = 'meta' ORDER BY m.shortname, c.shortname".into(),
        ),
        "enrolments" => (
            &["course_shortname", "username", "method", "status", "timestart", "timeend", "roles"],
            "SELECT c.shortname, u.username, e.enrol,
                    CASE WHEN ue.status = 0 AND e.status = 0 THEN 'active' WHEN e.status <> 0 THEN 'disabled' ELSE 'suspended' END,
                    ue.timestart, ue.timeend,
                    (SELECT group_concat(shortname, ' ') FROM (SELECT DISTINCT r.shortname FROM role_assignments ra JOIN role r ON r.id = ra.roleid
                     WHERE ra.courseid = c.id AND ra.userid = u.id ORDER BY r.sortorder))
             FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid JOIN course c ON c.id = e.course JOIN user u ON u.id = ue.userid
             ORDER BY c.shortname, u.username, e.enrol".into(),
        ),
        "groups" => (
            &["course_shortname", "name", "idnumber", "description", "groupings"],
            "SELECT c.shortname, g.name, g.idnumber, g.description,
                    (SELECT group_concat(gp.name, ' ') FROM groupings_groups gg JOIN groupings gp ON gp.id = gg.groupingid WHERE gg.groupid = g.id)
             FROM groups g JOIN course c ON c.id = g.courseid ORDER BY c.shortname, g.name".into(),
        ),
        "groupings" => (
            &["course_shortname", "name", "idnumber", "description", "groups"],
            "SELECT c.shortname, gp.name, gp.idnumber, gp.description,
                    (SELECT group_concat(g.name, ' ') FROM groupings_groups gg JOIN groups g ON g.id = gg.groupid WHERE gg.groupingid = gp.id)
             FROM groupings gp JOIN course c ON c.id = gp.courseid ORDER BY c.shortname, gp.name".into(),
        ),
        "group-members" => (
            &["course_shortname", "group_name", "username"],
            "SELECT c.shortname, g.name, u.username FROM groups_members gm JOIN groups g ON g.id = gm.groupid JOIN course c ON c.id = g.courseid
             JOIN user u ON u.id = gm.userid ORDER BY c.shortname, g.name, u.username".into(),
        ),
        "cohorts" => (
            &["id", "name", "idnumber", "description", "context"],
            format!("{PATHS} SELECT h.id, h.name, h.idnumber, h.description, CASE WHEN h.categoryid IS NULL THEN 'system' ELSE 'category:' || p.namepath END
             FROM cohort h LEFT JOIN paths p ON p.id = h.categoryid ORDER BY h.id"),
        ),
        "cohort-members" => (
            &["cohort_idnumber", "cohort_name", "username"],
            "SELECT h.idnumber, h.name, u.username FROM cohort_members m JOIN cohort h ON h.id = m.cohortid JOIN user u ON u.id = m.userid
             ORDER BY h.idnumber, h.name, u.username".into(),
        ),
        "cohort-bindings" => (
            &["course_shortname", "cohort_idnumber", "role", "method", "status", "enrolstart", "enrolend", "group"],
            "SELECT c.shortname, h.idnumber, r.shortname, e.enrol, CASE WHEN e.status = 0 THEN 'enabled' ELSE 'disabled' END,
                    e.enrolstartdate, e.enrolenddate, g.name
             FROM enrol e JOIN course c ON c.id = e.course JOIN cohort h ON h.id = e.customint1 LEFT JOIN role r ON r.id = e.roleid
             LEFT JOIN groups g ON g.id = e.customint2 AND g.courseid = e.course
             WHERE e.enrol = 'cohort' ORDER BY c.shortname, h.idnumber, r.shortname".into(),
        ),
        "pictures" => (
            &["username", "hash", "updated_at"],
            "SELECT u.username, coalesce(d.data, ''), p.timemodified FROM user_pictures p JOIN user u ON u.id = p.userid
             LEFT JOIN user_info_data d ON d.userid = u.id AND d.fieldid = (SELECT id FROM user_info_field WHERE shortname = 'userpicturehash')
             ORDER BY u.username".into(),
        ),
        _ => return None,
    })
}

impl SqliteStore {
    /// Visits each row of `sql` as JSON values (integers as numbers, text as strings).
    pub fn each_row(
        &self,
        sql: &str,
        visit: impl FnMut(&[serde_json::Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.each_row_with(sql, &[], visit)
    }

    /// `each_row` with text parameters bound to the query's `?`s.
    pub fn each_row_with(
        &self,
        sql: &str,
        params: &[String],
        mut visit: impl FnMut(&[serde_json::Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut values = Vec::with_capacity(width);
        while let Some(row) = rows.next()? {
            values.clear();
            for i in 0..width {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(n) => n.into(),
                    ValueRef::Real(f) => f.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    ValueRef::Blob(_) => serde_json::Value::Null,
                });
            }
            visit(&values)?;
        }
        Ok(())
    }
}

/// One journal entry, for the audit of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub run_id: i64,
    pub line: u64,
    pub entity: String,
    pub key: String,
    pub action: String,
    /// JSON of the values before (none for a creation) and after (none for a removal).
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: i64,
}

const JOURNAL_COLUMNS: &str = "run_id, line, entity, key, action, before, after, at";

fn journal_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<JournalEntry> {
    Ok(JournalEntry {
        run_id: r.get(0)?,
        line: r.get::<_, i64>(1)? as u64,
        entity: r.get(2)?,
        key: r.get(3)?,
        action: r.get(4)?,
        before: r.get(5)?,
        after: r.get(6)?,
        at: r.get(7)?,
    })
}

impl SqliteStore {
    /// The changes journalled for an entity key (a username, a shortname, a cohort idnumber…):
    /// entries whose key is it, or names it on either side of `@` (`user@cohort`,
    /// `cohort@course`), newest first.
    pub fn journal_for(&self, key: &str, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM sync_journal
             WHERE key = ?1 OR key LIKE ?2 ESCAPE '\\' OR key LIKE ?3 ESCAPE '\\'
             ORDER BY id DESC LIMIT ?4"
        ))?;
        let escaped = key.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let rows = stmt.query_map(
            rusqlite::params![key, format!("{escaped}@%"), format!("%@{escaped}"), limit as i64],
            journal_entry,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What a run changed, in the order it changed it (a window of `limit` entries from
    /// `offset`), and how many entries it journalled in all.
    pub fn journal_of_run(
        &self,
        run_id: i64,
        limit: usize,
        offset: usize,
    ) -> Result<(u64, Vec<JournalEntry>), StoreError> {
        let total: i64 =
            self.conn.query_row("SELECT count(*) FROM sync_journal WHERE run_id = ?1", [run_id], |r| r.get(0))?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM sync_journal WHERE run_id = ?1 ORDER BY line, id LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(rusqlite::params![run_id, limit as i64, offset as i64], journal_entry)?;
        Ok((total as u64, rows.collect::<rusqlite::Result<_>>()?))
    }
}
