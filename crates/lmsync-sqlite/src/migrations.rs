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
];

/// Brings the database schema up to date, each migration in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
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
