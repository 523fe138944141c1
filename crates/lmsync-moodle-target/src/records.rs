//! What lmsync wrote to a Moodle site and cannot ask it back (spec §2.7, §2.2): enrolment
//! methods and dates, password hashes, picture hashes. Kept per site in the local store, so a
//! re-run of the same file finds its lines unchanged.

use rusqlite::{Connection, OptionalExtension, params};

/// An enrolment as lmsync made it: method named in the file, status, dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnrolRecord {
    pub method: String,
    pub status: i64,
    pub timestart: i64,
    pub timeend: i64,
}

/// The enrolments recorded for a course, by user.
pub(crate) fn course_enrolments(
    conn: &Connection,
    site: &str,
    course: i64,
) -> rusqlite::Result<std::collections::HashMap<i64, EnrolRecord>> {
    conn.prepare_cached(
        "SELECT user, method, status, timestart, timeend FROM moodle_enrolments WHERE site = ?1 AND course = ?2",
    )?
    .query_map(params![site, course], |r| {
        Ok((r.get(0)?, EnrolRecord { method: r.get(1)?, status: r.get(2)?, timestart: r.get(3)?, timeend: r.get(4)? }))
    })?
    .collect()
}

pub(crate) fn set_enrolment(
    conn: &Connection,
    site: &str,
    course: i64,
    user: i64,
    e: &EnrolRecord,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO moodle_enrolments (site, course, user, method, status, timestart, timeend) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (site, course, user) DO UPDATE SET method = excluded.method, status = excluded.status, timestart = excluded.timestart, timeend = excluded.timeend",
    )?
    .execute(params![site, course, user, e.method, e.status, e.timestart, e.timeend])?;
    Ok(())
}

pub(crate) fn forget_enrolment(conn: &Connection, site: &str, course: i64, user: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM moodle_enrolments WHERE site = ?1 AND course = ?2 AND user = ?3")?
        .execute(params![site, course, user])?;
    Ok(())
}

/// The components of the group memberships lmsync made in a course, by (user, group name).
pub(crate) fn course_memberships(
    conn: &Connection,
    site: &str,
    course: i64,
) -> rusqlite::Result<std::collections::HashMap<(i64, String), String>> {
    conn.prepare_cached("SELECT user, groupname, component FROM moodle_group_members WHERE site = ?1 AND course = ?2")?
        .query_map(params![site, course], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?
        .collect()
}

/// Records a membership made for `component`; an empty component (no owner) is not kept.
pub(crate) fn set_membership(
    conn: &Connection,
    site: &str,
    course: i64,
    user: i64,
    group: &str,
    component: &str,
) -> rusqlite::Result<()> {
    if component.is_empty() {
        return forget_memberships(conn, site, course, user, Some(group));
    }
    conn.prepare_cached(
        "INSERT INTO moodle_group_members (site, course, user, groupname, component) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (site, course, user, groupname) DO UPDATE SET component = excluded.component",
    )?
    .execute(params![site, course, user, group, component])?;
    Ok(())
}

/// Forgets one membership of a user in a course, or all of them (`group` None).
pub(crate) fn forget_memberships(
    conn: &Connection,
    site: &str,
    course: i64,
    user: i64,
    group: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM moodle_group_members WHERE site = ?1 AND course = ?2 AND user = ?3 AND (?4 IS NULL OR groupname = ?4)",
    )?
    .execute(params![site, course, user, group])?;
    Ok(())
}

/// A recorded hash.
pub(crate) fn hash(conn: &Connection, table: Hashes, site: &str, user: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(&format!("SELECT hash FROM {} WHERE site = ?1 AND user = ?2", table.name()))?
        .query_row(params![site, user], |r| r.get(0))
        .optional()
}

pub(crate) fn set_hash(conn: &Connection, table: Hashes, site: &str, user: i64, hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {} (site, user, hash) VALUES (?1, ?2, ?3) ON CONFLICT (site, user) DO UPDATE SET hash = excluded.hash",
        table.name()
    ))?
    .execute(params![site, user, hash])?;
    Ok(())
}

/// The two kinds of hashes kept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hashes {
    Passwords,
    /// The MD5 of the original of the last picture set.
    Pictures,
}

impl Hashes {
    fn name(self) -> &'static str {
        match self {
            Hashes::Passwords => "moodle_passwords",
            Hashes::Pictures => "moodle_pictures",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_kept_per_site_and_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let store = lmsync_sqlite::SqliteStore::open(&dir.path().join("lms.db")).unwrap();
        let conn = store.connection();
        let e = EnrolRecord { method: "sync".into(), status: 0, timestart: 10, timeend: 0 };
        set_enrolment(conn, "https://a", 2, 3, &e).unwrap();
        assert_eq!(course_enrolments(conn, "https://a", 2).unwrap().get(&3), Some(&e));
        assert!(course_enrolments(conn, "https://b", 2).unwrap().is_empty());
        let later = EnrolRecord { timeend: 99, ..e };
        set_enrolment(conn, "https://a", 2, 3, &later).unwrap();
        assert_eq!(course_enrolments(conn, "https://a", 2).unwrap()[&3], later);
        forget_enrolment(conn, "https://a", 2, 3).unwrap();
        assert!(course_enrolments(conn, "https://a", 2).unwrap().is_empty());
        set_membership(conn, "https://a", 2, 3, "G1", "tool_sync").unwrap();
        set_membership(conn, "https://a", 2, 3, "G2", "tool_sync").unwrap();
        set_membership(conn, "https://a", 2, 3, "G2", "").unwrap();
        let m = course_memberships(conn, "https://a", 2).unwrap();
        assert_eq!(m.get(&(3, "G1".to_string())).map(String::as_str), Some("tool_sync"));
        assert_eq!(m.len(), 1, "a membership without owner is not kept");
        forget_memberships(conn, "https://a", 2, 3, None).unwrap();
        assert!(course_memberships(conn, "https://a", 2).unwrap().is_empty());
        set_hash(conn, Hashes::Passwords, "https://a", 3, "abc").unwrap();
        set_hash(conn, Hashes::Passwords, "https://a", 3, "def").unwrap();
        assert_eq!(hash(conn, Hashes::Passwords, "https://a", 3).unwrap().as_deref(), Some("def"));
        assert_eq!(hash(conn, Hashes::Passwords, "https://b", 3).unwrap(), None);
        set_hash(conn, Hashes::Pictures, "https://a", 3, "md5").unwrap();
        assert_eq!(hash(conn, Hashes::Pictures, "https://a", 3).unwrap().as_deref(), Some("md5"));
        assert_eq!(hash(conn, Hashes::Passwords, "https://a", 3).unwrap().as_deref(), Some("def"), "kept apart");
    }
}
