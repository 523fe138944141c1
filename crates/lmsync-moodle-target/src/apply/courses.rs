//! Categories, courses (from templates too), sections, course deletions and meta links on
//! Moodle (spec §2.3–2.6, §2.11).

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind};

use super::Work;
use crate::MoodleTarget;

fn not_yet(w: &mut Work<'_>, pick: impl Fn(&ChangeKind) -> bool) {
    let picked: Vec<usize> = w.each().filter(|(_, c)| pick(&c.kind)).map(|(i, _)| i).collect();
    for i in picked {
        w.fail(
            i,
            ChangeError::new(
                "moodle.not_built",
                "this lmsync does not write courses, categories or meta links to a Moodle site yet; nothing was sent",
            ),
        );
    }
}

pub(super) fn apply(_t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    not_yet(w, |k| {
        matches!(k, ChangeKind::WriteCourse(_) | ChangeKind::DeleteCourse { .. } | ChangeKind::DeleteCategory { .. })
    });
    Ok(())
}

pub(super) fn apply_meta_links(_t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    not_yet(w, |k| matches!(k, ChangeKind::MetaLink { .. }));
    Ok(())
}
