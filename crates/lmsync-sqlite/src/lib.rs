//! The embedded SQLite target: Moodle's data model in one file (`lms.db`), with lmsync's runs
//! and change journal beside it so a chunk's changes, their journal and the run's progress
//! commit together.

mod access;
mod apply;
mod browse;
mod cohort_drift;
mod cohorts;
mod courses;
mod enrols;
mod groups;
mod migrations;
mod pictures;
mod profile_fields;
mod remote;
mod reset;
mod runs;
mod tables;
mod users;

use lmsync_core::target::{
    ApplyResult, CohortKeys, CohortTotals, CourseKeys, EnrolmentState, LmsTarget, TargetError, UserKeys,
};
use lmsync_model::{
    Activity, Binding, Category, Change, Cohort, Course, CourseGroups, EnrolState, ProfileField, Section, User,
};
use rusqlite::Connection;
use std::path::Path;

pub use access::Grant;
pub use browse::{MAX_PAGE, Window};
pub use cohort_drift::DriftFound;
pub use migrations::latest as schema_version;
pub use pictures::PictureSize;
pub use profile_fields::NewProfileField;
pub use remote::JournalRow;
pub use tables::{JournalEntry, export_query};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("the database {path} has schema version {found}, newer than this lmsync ({expected}); upgrade lmsync")]
    TooNew { path: String, found: u32, expected: u32 },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

/// The SQLite store. Not shared between threads: each run opens its own.
pub struct SqliteStore {
    conn: Connection,
    rehearsal: bool,
}

/// Why a step of a change cannot be applied (its line fails; the store itself is fine).
pub(crate) struct Missing(pub String);

/// The result of a step: done, refused (`Err(Ok(Missing))`), or a database failure.
pub(crate) type StepResult<T> = Result<T, Result<Missing, rusqlite::Error>>;

pub(crate) fn unavailable(e: rusqlite::Error) -> TargetError {
    TargetError::Unavailable(format!("database error: {e}"))
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database: WAL journal, foreign keys on.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open { path: path.display().to_string(), source };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        // Derived enrolments (meta links) propagate through chains of triggers.
        conn.pragma_update(None, "recursive_triggers", "ON").map_err(open_err)?;
        // Per-line savepoints copy pages to a sub-journal: keep it in memory, not in a temp file.
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(open_err)?;
        // 32 MiB of page cache: lookups of a chunk hit memory, and memory stays flat.
        conn.pragma_update(None, "cache_size", -32768).map_err(open_err)?;
        // Checkpoint every ~40 MB of WAL instead of 4 MB: bulk runs rewrite the same index
        // pages chunk after chunk, and each checkpoint copies them back into the database.
        conn.pragma_update(None, "wal_autocheckpoint", 10000).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(open_err)?;
        let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(open_err)?;
        if found > migrations::latest() {
            return Err(StoreError::TooNew { path: path.display().to_string(), found, expected: migrations::latest() });
        }
        migrations::migrate(&mut conn).map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteStore { conn, rehearsal: false })
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl LmsTarget for SqliteStore {
    fn describe(&self) -> String {
        format!("embedded SQLite store {}", self.conn.path().unwrap_or("(memory)"))
    }

    fn users(&mut self, keys: &UserKeys) -> Result<Vec<User>, TargetError> {
        users::lookup(&self.conn, keys).map_err(unavailable)
    }

    fn active_user_count(&mut self) -> Result<u64, TargetError> {
        self.conn
            .query_row("SELECT count(*) FROM user WHERE deleted = 0", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(unavailable)
    }

    fn profile_fields(&mut self) -> Result<Vec<ProfileField>, TargetError> {
        profile_fields::list(&self.conn).map_err(unavailable)
    }

    fn courses(&mut self, keys: &CourseKeys) -> Result<Vec<Course>, TargetError> {
        courses::lookup(&self.conn, keys).map_err(unavailable)
    }

    fn course_count(&mut self) -> Result<u64, TargetError> {
        self.conn
            .query_row("SELECT count(*) FROM course", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(unavailable)
    }

    fn categories(&mut self) -> Result<Vec<Category>, TargetError> {
        courses::categories(&self.conn).map_err(unavailable)
    }

    fn course_content(&mut self, course: i64) -> Result<(Vec<Section>, Vec<Activity>), TargetError> {
        courses::content(&self.conn, course).map_err(unavailable)
    }

    fn course_enrolment_state(&mut self, course: i64) -> Result<EnrolmentState, TargetError> {
        let instances = self
            .conn
            .prepare_cached("SELECT enrol, status = 0 FROM enrol WHERE course = ?1 ORDER BY sortorder, id")
            .and_then(|mut s| {
                s.query_map([course], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(unavailable)?;
        let roles = self
            .conn
            .prepare_cached("SELECT userid, roleid FROM role_assignments WHERE courseid = ?1 AND component = ''")
            .and_then(|mut s| {
                s.query_map([course], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(unavailable)?;
        Ok((instances, roles))
    }

    fn course_instances(&mut self, course: i64) -> Result<Vec<(String, bool)>, TargetError> {
        self.conn
            .prepare_cached("SELECT enrol, status = 0 FROM enrol WHERE course = ?1 ORDER BY sortorder, id")
            .and_then(|mut s| {
                s.query_map([course], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(unavailable)
    }

    fn enrol_states(&mut self, pairs: &[(i64, i64)]) -> Result<Vec<EnrolState>, TargetError> {
        enrols::states(&self.conn, pairs).map_err(unavailable)
    }

    fn course_groups(&mut self, course: i64) -> Result<CourseGroups, TargetError> {
        groups::course_groups(&self.conn, course).map_err(unavailable)
    }

    fn group_member_counts(&mut self, course: i64) -> Result<std::collections::HashMap<String, usize>, TargetError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT g.name, count(gm.userid) FROM groups g LEFT JOIN groups_members gm ON gm.groupid = g.id WHERE g.courseid = ?1 GROUP BY g.id")
            .map_err(unavailable)?;
        let rows = stmt.query_map([course], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize))).map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
    }

    fn group_names(&mut self, course: i64) -> Result<Vec<String>, TargetError> {
        enrols::group_names(&self.conn, course).map_err(unavailable)
    }

    fn meta_links(&mut self) -> Result<Vec<(i64, i64, bool)>, TargetError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT customint1, course, status = 0 FROM enrol WHERE enrol = 'meta' AND customint1 IS NOT NULL",
            )
            .map_err(unavailable)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
    }

    fn cohorts(&mut self, keys: &CohortKeys) -> Result<Vec<Cohort>, TargetError> {
        cohorts::lookup(&self.conn, keys).map_err(unavailable)
    }

    fn cohort_member_counts(&mut self, ids: &[i64]) -> Result<Vec<u64>, TargetError> {
        cohorts::member_counts(&self.conn, ids).map_err(unavailable)
    }

    fn cohort_memberships(&mut self, pairs: &[(i64, i64)]) -> Result<Vec<bool>, TargetError> {
        cohorts::memberships(&self.conn, pairs).map_err(unavailable)
    }

    fn cohort_totals(&mut self) -> Result<CohortTotals, TargetError> {
        cohorts::totals(&self.conn).map_err(unavailable)
    }

    fn cohort_bindings(&mut self, courses: &[i64]) -> Result<Vec<Binding>, TargetError> {
        cohorts::bindings(&self.conn, courses).map_err(unavailable)
    }

    fn roles(&mut self) -> Result<Vec<(i64, String)>, TargetError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, shortname FROM role ORDER BY sortorder").map_err(unavailable)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
    }

    fn apply(&mut self, run: i64, changes: &[Change]) -> Result<ApplyResult, TargetError> {
        apply::apply_chunk(&mut self.conn, self.rehearsal, run, changes)
    }

    fn commit(&mut self, run: i64, progress_line: u64) -> Result<(), TargetError> {
        apply::commit_chunk(&mut self.conn, self.rehearsal, run, progress_line)
    }

    fn begin_rehearsal(&mut self) -> Result<(), TargetError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(unavailable)?;
        self.rehearsal = true;
        Ok(())
    }

    fn end_rehearsal(&mut self) -> Result<(), TargetError> {
        self.rehearsal = false;
        self.conn.execute_batch("ROLLBACK").map_err(unavailable)
    }
}
