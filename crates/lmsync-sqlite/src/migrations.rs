//! Schema migrations, applied in order at open; `PRAGMA user_version` records the last one.
//! Add a file and a line here for every schema change; never edit an applied migration.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_model.sql"),
    include_str!("migrations/002_course_fields.sql"),
    include_str!("migrations/003_meta_links.sql"),
    include_str!("migrations/004_course_user_data.sql"),
    include_str!("migrations/005_id_watermarks.sql"),
    include_str!("migrations/006_cohort_sync.sql"),
    include_str!("migrations/007_cohorts.sql"),
    include_str!("migrations/008_access.sql"),
    include_str!("migrations/009_moodle_records.sql"),
    include_str!("migrations/010_moodle_group_members.sql"),
];

/// Brings the database schema up to date, each migration in its own write transaction. The
/// version is read again inside it: two processes opening a new database at once (a run and
/// its progress bar, the service and a command) never apply a migration twice.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now as usize > i {
            tx.commit()?;
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
    }
    Ok(MIGRATIONS.len() as u32)
}

/// Schema version this build expects.
pub fn latest() -> u32 {
    MIGRATIONS.len() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_opened_at_once_on_a_new_database_migrate_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lms.db");
        let opened: Vec<bool> = (0..6)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || crate::SqliteStore::open(&path).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(opened.iter().all(|ok| *ok), "{opened:?}");
        let conn = Connection::open(&path).unwrap();
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, latest());
    }
}
