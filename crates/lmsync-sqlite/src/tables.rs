//! Streamed reads of whole tables for exports: categories, courses, sections, course links.

use rusqlite::types::ValueRef;

use crate::{SqliteStore, StoreError};

const PATHS: &str = "WITH RECURSIVE paths(id, namepath) AS (
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
        _ => return None,
    })
}

impl SqliteStore {
    /// Visits each row of `sql` as JSON values (integers as numbers, text as strings).
    pub fn each_row(
        &self,
        sql: &str,
        mut visit: impl FnMut(&[serde_json::Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query([])?;
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
