//! Cohorts and their members on Moodle (spec §2.10).

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind};

use super::Work;
use crate::MoodleTarget;

pub(super) fn apply(_t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let picked: Vec<usize> =
        w.each().filter(|(_, c)| matches!(c.kind, ChangeKind::Cohort { .. })).map(|(i, _)| i).collect();
    for i in picked {
        w.fail(
            i,
            ChangeError::new(
                "moodle.not_built",
                "this lmsync does not write cohorts to a Moodle site yet; nothing was sent",
            ),
        );
    }
    Ok(())
}
