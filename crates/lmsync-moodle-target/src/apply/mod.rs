//! Applying a chunk of changes on the site: what Moodle cannot do is refused line by line
//! first; the rest goes out grouped by function in the order of spec §3.2 (courses, users,
//! pictures, cohorts, enrolments, groups, meta links), each call batched and a failed item
//! failing only its own change. Applied changes are journalled in the local store.

mod cohorts;
mod courses;
mod enrols;
mod groups;
mod pictures;
mod users;

use lmsync_core::target::{ApplyResult, TargetError};
use lmsync_model::{Applied, Change, ChangeError, ChangeKind};
use lmsync_sqlite::JournalRow;

use crate::{MoodleTarget, local_failure};

pub(crate) use enrols::Steps;

/// One journal entry of a change.
pub(crate) struct Entry {
    pub entity: &'static str,
    pub id: i64,
    pub action: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The chunk being applied: per change, its failure, the id of its entity, whether it wrote
/// anything, and its journal entries.
pub(crate) struct Work<'c> {
    pub changes: &'c [Change],
    pub failures: Vec<Option<ChangeError>>,
    pub ids: Vec<i64>,
    pub changed: Vec<bool>,
    pub entries: Vec<Vec<Entry>>,
}

impl<'c> Work<'c> {
    fn new(changes: &'c [Change]) -> Self {
        Work {
            changes,
            failures: vec![None; changes.len()],
            ids: changes.iter().map(|c| entity_id(&c.kind)).collect(),
            changed: vec![false; changes.len()],
            entries: changes.iter().map(|_| Vec::new()).collect(),
        }
    }

    /// The change has not failed (yet).
    pub fn alive(&self, i: usize) -> bool {
        self.failures[i].is_none()
    }

    pub fn fail(&mut self, i: usize, e: ChangeError) {
        if self.failures[i].is_none() {
            self.failures[i] = Some(e);
        }
    }

    /// Records that change `i` wrote something, with its journal entry.
    pub fn journal(&mut self, i: usize, e: Entry) {
        self.changed[i] = true;
        self.entries[i].push(e);
    }

    /// The live changes of one kind, with their index.
    pub fn each(&self) -> impl Iterator<Item = (usize, &'c Change)> + '_ {
        self.changes.iter().enumerate().filter(|(i, _)| self.alive(*i))
    }
}

/// The id a change's line reports before anything is written (creations learn theirs later).
fn entity_id(kind: &ChangeKind) -> i64 {
    match kind {
        ChangeKind::UpdateUser(u) => u.id,
        ChangeKind::DeleteUser { id }
        | ChangeKind::DeleteCourse { id }
        | ChangeKind::ResetCourse { id, .. }
        | ChangeKind::DeleteCategory { id } => *id,
        ChangeKind::WriteCourse(w) => w.before.as_ref().map_or(0, |b| b.id),
        ChangeKind::MetaLink { meta, .. } => *meta,
        ChangeKind::Cohort { cohort, .. } => cohort.id,
        ChangeKind::CohortBinding { course, .. } => *course,
        ChangeKind::SetPicture(p) => p.user,
        ChangeKind::CreateUser { .. } | ChangeKind::Enrol { .. } | ChangeKind::Groups { .. } => 0,
    }
}

/// What core Moodle's web services cannot do at all (spec §2.12–2.13): the line fails saying
/// so, and nothing is sent.
fn unsupported(kind: &ChangeKind) -> Option<ChangeError> {
    match kind {
        ChangeKind::ResetCourse { id, .. } => Some(ChangeError::new(
            "moodle.unsupported",
            format!(
                "course {id}: Moodle's web services cannot reset a course; reset it from the course's Reset page, or with a plugin that adds a reset web service"
            ),
        )),
        ChangeKind::CohortBinding { .. } => Some(ChangeError::new(
            "moodle.unsupported",
            "Moodle's web services cannot create, change or remove a cohort sync enrolment instance; add it in the course's Enrolment methods page (members then follow the cohort)",
        )),
        _ => None,
    }
}

pub(crate) fn apply(t: &mut MoodleTarget, run: i64, changes: &[Change]) -> Result<ApplyResult, TargetError> {
    let mut w = Work::new(changes);
    for (i, c) in changes.iter().enumerate() {
        if let Some(e) = unsupported(&c.kind) {
            w.fail(i, e);
        }
    }
    if t.rehearsal {
        // A dry run sends nothing: what Moodle cannot do fails its line as it would, the rest is
        // reported as it would be applied.
        courses::rehearse(t, &mut w)?;
        users::rehearse(&mut w);
        let steps = enrol_steps(&w);
        enrols::rehearse(t, &mut w, &steps)?;
        cohorts::rehearse(t, &mut w)?;
        groups::rehearse(t, &mut w)?;
        return Ok(rehearsed(&w));
    }
    // Course lines may change a course's enrolment methods (teachers, meta links): read again.
    if changes.iter().any(|c| {
        matches!(c.kind, ChangeKind::WriteCourse(_) | ChangeKind::DeleteCourse { .. } | ChangeKind::MetaLink { .. })
    }) {
        t.instances.clear();
        t.course_keys.clear();
    }
    courses::apply(t, &mut w)?;
    users::apply(t, &mut w)?;
    pictures::apply(t, &mut w)?;
    // Cohorts written (or made for a cohort column) may sit in other contexts: asked again.
    if changes.iter().any(|c| {
        matches!(c.kind, ChangeKind::Cohort { .. } | ChangeKind::CreateUser { .. } | ChangeKind::UpdateUser(_))
    }) {
        t.cohort_categories = None;
    }
    cohorts::apply(t, &mut w)?;
    let steps = enrol_steps(&w);
    enrols::apply(t, &mut w, &steps)?;
    groups::apply(t, &mut w)?;
    courses::apply_meta_links(t, &mut w)?;
    finish(t, run, w)
}

/// The steps of the chunk's enrolment lines.
fn enrol_steps<'c>(w: &Work<'c>) -> Vec<Steps<'c>> {
    w.each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::Enrol { course, user, ops } => Some(Steps { change: i, course: *course, user: *user, ops }),
            _ => None,
        })
        .collect()
}

fn rehearsed(w: &Work<'_>) -> ApplyResult {
    w.changes
        .iter()
        .enumerate()
        .map(|(i, c)| match &w.failures[i] {
            Some(e) => Err(e.clone()),
            None => Ok(Applied { id: w.ids[i], changed: writes_anything(&c.kind) }),
        })
        .collect()
}

fn writes_anything(kind: &ChangeKind) -> bool {
    match kind {
        ChangeKind::Enrol { ops, .. } => !ops.is_empty(),
        ChangeKind::Groups { ops, .. } => !ops.is_empty(),
        ChangeKind::Cohort { ops, .. } => !ops.is_empty(),
        ChangeKind::UpdateUser(u) => !u.is_empty(),
        _ => true,
    }
}

/// Journals what was applied and answers each change.
fn finish(t: &mut MoodleTarget, run: i64, w: Work<'_>) -> Result<ApplyResult, TargetError> {
    // A failed change may have written part of itself (an account created, its enrolment
    // refused): Moodle cannot take it back, so what was written is journalled all the same.
    let mut rows = Vec::new();
    for (i, change) in w.changes.iter().enumerate() {
        for e in &w.entries[i] {
            rows.push(JournalRow {
                line: change.line,
                key: &change.key,
                entity: e.entity,
                entity_id: e.id,
                action: e.action,
                before: e.before.clone(),
                after: e.after.clone(),
            });
        }
    }
    if !rows.is_empty() {
        t.local.record_journal(run, &rows).map_err(local_failure)?;
    }
    Ok((0..w.changes.len())
        .map(|i| match &w.failures[i] {
            Some(e) => Err(e.clone()),
            None => Ok(Applied { id: w.ids[i], changed: w.changed[i] }),
        })
        .collect())
}
