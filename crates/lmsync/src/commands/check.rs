//! `lmsync check [--repair]`: the store's consistency check. Derived data is kept in step by the
//! store itself; this finds (and repairs) drift left by hand edits or partial restores.

use anyhow::Result;

use crate::app::App;

/// Exit code 0 when nothing drifted, 1 when something did (repaired or not).
pub fn check(app: &App, repair: bool) -> Result<i32> {
    let store = app.store()?;
    let found = store.cohort_drift(repair)?;
    if found.is_empty() {
        println!("cohort bindings: consistent");
        return Ok(0);
    }
    for d in &found {
        println!("cohort bindings: {} {}{}", d.rows, d.what, if repair { " (repaired)" } else { "" });
    }
    if !repair {
        println!("run `lmsync check --repair` to repair");
    }
    Ok(1)
}
