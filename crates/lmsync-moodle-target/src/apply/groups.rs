//! Groups, groupings and their members (spec §2.9), and cohorts with their members
//! (spec §2.10) on Moodle.

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind};

use super::Work;
use crate::MoodleTarget;

fn not_yet(w: &mut Work<'_>, pick: impl Fn(&ChangeKind) -> bool, what: &str) {
    let picked: Vec<usize> = w.each().filter(|(_, c)| pick(&c.kind)).map(|(i, _)| i).collect();
    for i in picked {
        w.fail(
            i,
            ChangeError::new(
                "moodle.not_built",
                format!("this lmsync does not write {what} to a Moodle site yet; nothing was sent"),
            ),
        );
    }
}

pub(super) fn apply(_t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    not_yet(w, |k| matches!(k, ChangeKind::Groups { .. }), "groups");
    Ok(())
}

pub(super) fn apply_cohorts(_t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    not_yet(w, |k| matches!(k, ChangeKind::Cohort { .. }), "cohorts");
    Ok(())
}
