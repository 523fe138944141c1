//! What the data browser shows: one course, user or cohort with what hangs off it, the
//! category tree, and searches. Each query starts from an indexed key and pages its long lists,
//! so a page stays fast on a site with a million enrolments.

use serde_json::{Map, Value};

use crate::tables::PATHS;
use crate::{SqliteStore, StoreError};

/// Rows a browse list returns at most per call.
pub const MAX_PAGE: usize = 500;

/// Which rows of a long list: `limit` rows from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: usize,
    pub offset: usize,
}

impl Window {
    fn sql(self) -> String {
        format!(" LIMIT {} OFFSET {}", self.limit.clamp(1, MAX_PAGE), self.offset)
    }
}

/// A LIKE pattern (escape `\`) matching values that contain `text`.
fn contains(text: &str) -> String {
    format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

impl SqliteStore {
    /// The rows of `sql` as objects named by `columns`.
    fn objects(&self, sql: &str, params: &[String], columns: &[&str]) -> Result<Vec<Value>, StoreError> {
        let mut out = Vec::new();
        self.each_row_with(sql, params, |values| {
            let row: Map<String, Value> = columns.iter().map(|c| c.to_string()).zip(values.iter().cloned()).collect();
            out.push(Value::Object(row));
            Ok(())
        })?;
        Ok(out)
    }

    fn one(&self, sql: &str, params: &[String], columns: &[&str]) -> Result<Option<Value>, StoreError> {
        Ok(self.objects(sql, params, columns)?.into_iter().next())
    }

    /// The category tree in depth-first order: id, name, idnumber, path, depth, visible, and the
    /// courses and cohorts directly in each.
    pub fn browse_categories(&self) -> Result<Vec<Value>, StoreError> {
        let sql = format!(
            "{PATHS} SELECT c.id, c.name, c.idnumber, p.namepath, length(p.namepath) - length(replace(p.namepath, '/', '')),
                    c.visible,
                    (SELECT count(*) FROM course x WHERE x.category = c.id),
                    (SELECT count(*) FROM cohort h WHERE h.categoryid = c.id)
             FROM course_categories c JOIN paths p USING (id) ORDER BY p.namepath"
        );
        self.objects(&sql, &[], &["id", "name", "idnumber", "path", "depth", "visible", "courses", "cohorts"])
    }

    /// Courses, users or cohorts whose key or name contains `text` (case-insensitive), first
    /// `limit` in key order.
    pub fn browse_search(&self, kind: &str, text: &str, limit: usize) -> Result<Vec<Value>, StoreError> {
        let like = contains(text);
        let limit = limit.clamp(1, MAX_PAGE);
        let (sql, columns): (String, &[&str]) = match kind {
            "courses" => (
                format!(
                    "SELECT shortname, fullname, idnumber FROM course
                     WHERE shortname LIKE ?1 ESCAPE '\\' OR fullname LIKE ?1 ESCAPE '\\' OR idnumber LIKE ?1 ESCAPE '\\'
                     ORDER BY shortname LIMIT {limit}"
                ),
                &["shortname", "fullname", "idnumber"],
            ),
            "users" => (
                format!(
                    "SELECT username, firstname || ' ' || lastname, email FROM user
                     WHERE deleted = 0 AND (username LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\'
                        OR idnumber LIKE ?1 ESCAPE '\\' OR firstname || ' ' || lastname LIKE ?1 ESCAPE '\\')
                     ORDER BY username LIMIT {limit}"
                ),
                &["username", "name", "email"],
            ),
            "cohorts" => (
                format!(
                    "SELECT CASE WHEN idnumber <> '' THEN idnumber ELSE name END, name, idnumber FROM cohort
                     WHERE name LIKE ?1 ESCAPE '\\' OR idnumber LIKE ?1 ESCAPE '\\' ORDER BY name LIMIT {limit}"
                ),
                &["key", "name", "idnumber"],
            ),
            _ => return Ok(Vec::new()),
        };
        self.objects(&sql, &[like], columns)
    }

    /// A course by shortname: its record and category, sections, enrolment counts by role and
    /// by method, groups with their sizes, meta links both ways and cohort bindings.
    pub fn browse_course(&self, shortname: &str) -> Result<Option<Value>, StoreError> {
        let key = [shortname.to_string()];
        let sql = format!(
            "{PATHS} SELECT c.id, c.shortname, c.fullname, c.idnumber, p.namepath, c.format, c.visible, c.startdate, c.enddate, c.summary
             FROM course c LEFT JOIN paths p ON p.id = c.category WHERE c.shortname = ?1"
        );
        let columns = [
            "id",
            "shortname",
            "fullname",
            "idnumber",
            "category",
            "format",
            "visible",
            "startdate",
            "enddate",
            "summary",
        ];
        let Some(mut course) = self.one(&sql, &key, &columns)? else { return Ok(None) };
        let id = [course["id"].to_string()];
        course["sections"] = self
            .objects(
                "SELECT section, name, visible FROM course_sections WHERE course = ?1 ORDER BY section",
                &id,
                &["section", "name", "visible"],
            )?
            .into();
        course["by_method"] = self
            .objects(
                "SELECT e.enrol, CASE WHEN e.status = 0 THEN 'enabled' ELSE 'disabled' END, count(ue.id)
                 FROM enrol e LEFT JOIN user_enrolments ue ON ue.enrolid = e.id WHERE e.course = ?1
                 GROUP BY e.id ORDER BY e.enrol, e.id",
                &id,
                &["method", "status", "users"],
            )?
            .into();
        course["by_role"] = self
            .objects(
                "SELECT r.shortname, count(DISTINCT ra.userid) FROM role_assignments ra JOIN role r ON r.id = ra.roleid
                 WHERE ra.courseid = ?1 GROUP BY r.id ORDER BY r.sortorder",
                &id,
                &["role", "users"],
            )?
            .into();
        course["groups"] = self
            .objects(
                "SELECT g.name, g.idnumber, (SELECT count(*) FROM groups_members m WHERE m.groupid = g.id)
                 FROM groups g WHERE g.courseid = ?1 ORDER BY g.name",
                &id,
                &["name", "idnumber", "members"],
            )?
            .into();
        course["metas_from"] = self
            .objects(
                "SELECT m.shortname FROM enrol e JOIN course m ON m.id = e.customint1
                 WHERE e.course = ?1 AND e.enrol = 'meta' ORDER BY m.shortname",
                &id,
                &["shortname"],
            )?
            .into();
        course["metas_to"] = self
            .objects(
                "SELECT c.shortname FROM enrol e JOIN course c ON c.id = e.course
                 WHERE e.enrol = 'meta' AND e.customint1 = ?1 ORDER BY c.shortname",
                &id,
                &["shortname"],
            )?
            .into();
        course["cohorts"] = self
            .objects(
                "SELECT h.name, h.idnumber, r.shortname, CASE WHEN e.status = 0 THEN 'enabled' ELSE 'disabled' END
                 FROM enrol e JOIN cohort h ON h.id = e.customint1 LEFT JOIN role r ON r.id = e.roleid
                 WHERE e.course = ?1 AND e.enrol = 'cohort' ORDER BY h.name",
                &id,
                &["name", "idnumber", "role", "status"],
            )?
            .into();
        Ok(Some(course))
    }

    /// A window of a course's enrolled users, by username: method, status, dates and roles.
    /// With `role`, only holders of that role (by shortname).
    pub fn browse_course_users(
        &self,
        shortname: &str,
        role: Option<&str>,
        window: Window,
    ) -> Result<Vec<Value>, StoreError> {
        let mut params = vec![shortname.to_string()];
        let role_filter = match role {
            Some(r) => {
                params.push(r.to_string());
                "AND EXISTS (SELECT 1 FROM role_assignments ra JOIN role r ON r.id = ra.roleid
                             WHERE ra.courseid = c.id AND ra.userid = u.id AND r.shortname = ?2)"
            }
            None => "",
        };
        let sql = format!(
            "SELECT u.username, u.firstname || ' ' || u.lastname, e.enrol,
                    CASE WHEN ue.status = 0 AND e.status = 0 THEN 'active' WHEN e.status <> 0 THEN 'disabled' ELSE 'suspended' END,
                    ue.timestart, ue.timeend,
                    (SELECT group_concat(shortname, ' ') FROM (SELECT DISTINCT r.shortname FROM role_assignments ra JOIN role r ON r.id = ra.roleid
                     WHERE ra.courseid = c.id AND ra.userid = u.id ORDER BY r.sortorder))
             FROM course c JOIN enrol e ON e.course = c.id JOIN user_enrolments ue ON ue.enrolid = e.id JOIN user u ON u.id = ue.userid
             WHERE c.shortname = ?1 {role_filter}
             ORDER BY u.username, e.enrol{}",
            window.sql()
        );
        self.objects(&sql, &params, &["username", "name", "method", "status", "timestart", "timeend", "roles"])
    }

    /// A user by username: the profile, custom profile fields, whether a picture is stored,
    /// enrolments (course, method, status, roles) and cohorts.
    pub fn browse_user(&self, username: &str) -> Result<Option<Value>, StoreError> {
        let key = [username.to_string()];
        let columns = [
            "id",
            "username",
            "auth",
            "idnumber",
            "firstname",
            "lastname",
            "email",
            "institution",
            "department",
            "city",
            "country",
            "lang",
            "suspended",
            "deleted",
            "picture",
        ];
        let sql = "SELECT id, username, auth, idnumber, firstname, lastname, email, institution, department, city, country, lang,
                          suspended, deleted, EXISTS (SELECT 1 FROM user_pictures p WHERE p.userid = user.id)
                   FROM user WHERE username = ?1 ORDER BY deleted LIMIT 1";
        let Some(mut user) = self.one(sql, &key, &columns)? else { return Ok(None) };
        let id = [user["id"].to_string()];
        user["fields"] = self
            .objects(
                "SELECT f.shortname, d.data FROM user_info_data d JOIN user_info_field f ON f.id = d.fieldid
                 WHERE d.userid = ?1 ORDER BY f.sortorder, f.shortname",
                &id,
                &["field", "value"],
            )?
            .into();
        user["enrolments"] = self
            .objects(
                "SELECT c.shortname, c.fullname, e.enrol,
                        CASE WHEN ue.status = 0 AND e.status = 0 THEN 'active' WHEN e.status <> 0 THEN 'disabled' ELSE 'suspended' END,
                        (SELECT group_concat(shortname, ' ') FROM (SELECT DISTINCT r.shortname FROM role_assignments ra JOIN role r ON r.id = ra.roleid
                         WHERE ra.courseid = c.id AND ra.userid = ue.userid ORDER BY r.sortorder))
                 FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid JOIN course c ON c.id = e.course
                 WHERE ue.userid = ?1 ORDER BY c.shortname, e.enrol",
                &id,
                &["course", "fullname", "method", "status", "roles"],
            )?
            .into();
        user["cohorts"] = self
            .objects(
                "SELECT h.name, h.idnumber FROM cohort_members m JOIN cohort h ON h.id = m.cohortid
                 WHERE m.userid = ?1 ORDER BY h.name",
                &id,
                &["name", "idnumber"],
            )?
            .into();
        Ok(Some(user))
    }

    /// A cohort by idnumber (or, when no idnumber matches, by name): its record, member count
    /// and course bindings.
    pub fn browse_cohort(&self, key: &str) -> Result<Option<Value>, StoreError> {
        let sql = format!(
            "{PATHS} SELECT h.id, h.name, h.idnumber, h.description, h.visible,
                    CASE WHEN h.categoryid IS NULL THEN 'system' ELSE p.namepath END,
                    (SELECT count(*) FROM cohort_members m WHERE m.cohortid = h.id)
             FROM cohort h LEFT JOIN paths p ON p.id = h.categoryid
             WHERE h.idnumber = ?1 OR (h.name = ?1 AND NOT EXISTS (SELECT 1 FROM cohort x WHERE x.idnumber = ?1))
             ORDER BY h.id LIMIT 1"
        );
        let columns = ["id", "name", "idnumber", "description", "visible", "context", "members"];
        let Some(mut cohort) = self.one(&sql, &[key.to_string()], &columns)? else { return Ok(None) };
        let id = [cohort["id"].to_string()];
        cohort["bindings"] = self
            .objects(
                "SELECT c.shortname, r.shortname, CASE WHEN e.status = 0 THEN 'enabled' ELSE 'disabled' END,
                        (SELECT count(*) FROM user_enrolments ue WHERE ue.enrolid = e.id)
                 FROM enrol e JOIN course c ON c.id = e.course LEFT JOIN role r ON r.id = e.roleid
                 WHERE e.enrol = 'cohort' AND e.customint1 = ?1 ORDER BY c.shortname",
                &id,
                &["course", "role", "status", "enrolled"],
            )?
            .into();
        Ok(Some(cohort))
    }

    /// A window of the cohorts, by name (then id), with their context and member count; with
    /// `text`, only those whose name or idnumber contains it (case-insensitive).
    pub fn browse_cohorts(&self, text: &str, window: Window) -> Result<Vec<Value>, StoreError> {
        let like = contains(text);
        let sql = format!(
            "{PATHS} SELECT h.id, h.name, h.idnumber, h.description, h.visible,
                    CASE WHEN h.categoryid IS NULL THEN 'system' ELSE 'category:' || p.namepath END,
                    (SELECT count(*) FROM cohort_members m WHERE m.cohortid = h.id)
             FROM cohort h LEFT JOIN paths p ON p.id = h.categoryid
             WHERE h.name LIKE ?1 ESCAPE '\\' OR h.idnumber LIKE ?1 ESCAPE '\\'
             ORDER BY h.name, h.id{}",
            window.sql()
        );
        self.objects(&sql, &[like], &["id", "name", "idnumber", "description", "visible", "context", "members"])
    }

    /// A window of a cohort's members, by username.
    pub fn browse_cohort_members(&self, cohort_id: i64, window: Window) -> Result<Vec<Value>, StoreError> {
        let sql = format!(
            "SELECT u.username, u.firstname || ' ' || u.lastname, m.timeadded FROM cohort_members m JOIN user u ON u.id = m.userid
             WHERE m.cohortid = ?1 ORDER BY u.username{}",
            window.sql()
        );
        self.objects(&sql, &[cohort_id.to_string()], &["username", "name", "timeadded"])
    }
}
