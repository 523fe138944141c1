//! Course reset in the store: removes the user data a reset's options name, and counts it.

use lmsync_model::ResetOptions;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Removes what `options` names from course `course`; returns the number of rows removed per
/// kind of data (for the journal and the report).
pub(crate) fn reset(
    conn: &Connection,
    course: i64,
    options: &ResetOptions,
) -> rusqlite::Result<BTreeMap<&'static str, u64>> {
    let mut removed = BTreeMap::new();
    if options.groups_members || options.groups_remove {
        let n = conn.execute(
            "DELETE FROM groups_members WHERE groupid IN (SELECT id FROM groups WHERE courseid = ?1)",
            [course],
        )?;
        removed.insert("group_members", n as u64);
    }
    if options.groups_remove {
        let n = conn.execute("DELETE FROM groups WHERE courseid = ?1", [course])?;
        removed.insert("groups", n as u64);
    }
    Ok(removed)
}
