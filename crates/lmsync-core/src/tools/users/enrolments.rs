//! The users file's enrolment columns (`courseN`, `roleN`, `enrolN`, `groupN`, `startN`,
//! `endN`, every N read): after a line's account is planned, each set enrols it through the
//! same steps as the enrolment tool. A set's problem is reported in the line's message and
//! never fails the account.

use lmsync_model::{ChangeKind, EnrolState, Outcome, UserUpdate};
use std::collections::{BTreeMap, HashMap};

use crate::clock::Clock;
use crate::settings::{CourseIdentity, EnrolSettings};
use crate::target::{LmsTarget, TargetError, UserKeys};
use crate::tools::enrols::line::{Cmd, Gcmd};
use crate::tools::enrols::plan::{Request, resolve_method, steps};
use crate::tools::{Planned, Row};

/// Columns of one set N.
#[derive(Debug, Default, Clone)]
pub(super) struct SetCols {
    pub course: Option<usize>,
    pub role: Option<usize>,
    pub enrol: Option<usize>,
    pub group: Option<usize>,
    pub start: Option<usize>,
    pub end: Option<usize>,
}

/// Sets by N, from the header.
pub(super) fn sets(names: &[String]) -> BTreeMap<u32, SetCols> {
    let mut sets: BTreeMap<u32, SetCols> = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let digits = name.trim_start_matches(|c: char| c.is_ascii_lowercase());
        let Ok(n) = digits.parse::<u32>() else { continue };
        let set = sets.entry(n).or_default();
        match &name[..name.len() - digits.len()] {
            "course" => set.course = Some(i),
            "role" => set.role = Some(i),
            "enrol" => set.enrol = Some(i),
            "group" => set.group = Some(i),
            "start" => set.start = Some(i),
            "end" => set.end = Some(i),
            _ => {}
        }
    }
    sets.retain(|_, s| s.course.is_some());
    sets
}

pub(super) struct Enrolments<'a> {
    pub sets: &'a BTreeMap<u32, SetCols>,
    pub course_identity: CourseIdentity,
    pub enrol: &'a EnrolSettings,
    pub roles: &'a [(i64, String)],
    pub clock: &'a Clock,
}

fn course_key(c: &lmsync_model::Course, ident: CourseIdentity) -> String {
    match ident {
        CourseIdentity::Id => c.id.to_string(),
        CourseIdentity::Idnumber => c.idnumber.clone(),
        CourseIdentity::Shortname => c.shortname.clone(),
    }
}

impl Enrolments<'_> {
    /// Adds each line's enrolment steps to its planned change.
    pub fn plan(&self, rows: &[Row], planned: &mut [Planned], target: &mut dyn LmsTarget) -> Result<(), TargetError> {
        let get = |r: &Row, i: Option<usize>| {
            i.and_then(|i| r.fields.get(i)).map(|v| v.trim().to_string()).unwrap_or_default()
        };
        let values: Vec<String> = rows
            .iter()
            .flat_map(|r| self.sets.values().map(move |s| get(r, s.course)))
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Ok(());
        }
        let courses: HashMap<String, lmsync_model::Course> = target
            .courses(&crate::tools::courses::keys(self.course_identity, values.iter().map(String::as_str)))?
            .into_iter()
            .map(|c| (course_key(&c, self.course_identity), c))
            .collect();
        // Existing accounts are found by username (the key every line has).
        let usernames: Vec<String> = planned.iter().map(|p| p.outcome.key.clone()).collect();
        let ids: HashMap<String, i64> = target
            .users(&UserKeys { usernames, ..Default::default() })?
            .into_iter()
            .map(|u| (u.username, u.id))
            .collect();
        let mut pairs: Vec<(i64, i64)> = planned
            .iter()
            .filter_map(|p| ids.get(&p.outcome.key))
            .flat_map(|u| courses.values().map(move |c| (c.id, *u)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut states: HashMap<(i64, i64), EnrolState> =
            pairs.iter().copied().zip(target.enrol_states(&pairs)?).collect();
        let mut instances = HashMap::new();
        let mut groups = HashMap::new();
        for c in courses.values() {
            instances.insert(c.id, target.course_instances(c.id)?);
            groups.insert(c.id, target.group_names(c.id)?);
        }
        for (row, p) in rows.iter().zip(planned.iter_mut()) {
            if matches!(p.outcome.outcome, Outcome::Failed | Outcome::Deleted) {
                continue;
            }
            let user = ids.get(&p.outcome.key).copied();
            let mut said = Vec::new();
            let mut steps_by_course = Vec::new();
            for (n, set) in self.sets {
                let value = get(row, set.course);
                if value.is_empty() {
                    continue;
                }
                let Some(course) = courses.get(&value) else {
                    said.push(format!(
                        "course{n} {value}: no such course ({}), not enrolled",
                        self.course_identity.as_str()
                    ));
                    continue;
                };
                let role_name = Some(get(row, set.role)).filter(|r| !r.is_empty()).unwrap_or_else(|| "student".into());
                let Some(role) = self.roles.iter().find(|(_, r)| *r == role_name).map(|(id, _)| *id) else {
                    said.push(format!("role{n} {role_name}: no such role, not enrolled in {value}"));
                    continue;
                };
                let date = |i| match get(row, i) {
                    v if v.is_empty() => Ok(None),
                    v => self.clock.parse_date(&v).map(Some).ok_or(v),
                };
                let (start, end) = match (date(set.start), date(set.end)) {
                    (Ok(s), Ok(e)) => (s, e),
                    (Err(v), _) | (_, Err(v)) => {
                        said.push(format!("start{n}/end{n} \"{v}\" is not a date, not enrolled in {value}"));
                        continue;
                    }
                };
                let group = get(row, set.group);
                let req = Request {
                    cmd: Cmd::Add,
                    role: Some(role),
                    method: resolve_method(&Some(get(row, set.enrol)), self.enrol.sync_method_enabled),
                    start,
                    end,
                    gcmd: (!group.is_empty()).then_some(Gcmd::Add { create: true }),
                    groups: if group.is_empty() { Vec::new() } else { vec![group] },
                    protect_groups: self.enrol.protect_groups,
                    enrol_on_disabled: self.enrol.enrol_on_disabled,
                };
                // A new account holds nothing yet; its steps are applied once it exists.
                let mut fresh = EnrolState::default();
                let state = match user {
                    Some(u) => states.entry((course.id, u)).or_default(),
                    None => &mut fresh,
                };
                let (_, message, ops) = steps(
                    &req,
                    state,
                    instances.entry(course.id).or_default(),
                    groups.entry(course.id).or_default(),
                    self.clock.now(),
                    self.roles,
                );
                if !ops.is_empty() {
                    said.push(format!("{value}: {message}"));
                    steps_by_course.push((course.id, ops));
                }
            }
            if steps_by_course.is_empty() && said.is_empty() {
                continue;
            }
            p.outcome.message = [p.outcome.message.clone()].into_iter().chain(said).collect::<Vec<_>>().join("; ");
            if steps_by_course.is_empty() {
                continue;
            }
            match p.change.as_mut().map(|c| &mut c.kind) {
                Some(ChangeKind::CreateUser { enrolments, .. }) => enrolments.extend(steps_by_course),
                Some(ChangeKind::UpdateUser(update)) => update.enrolments.extend(steps_by_course),
                _ => {
                    let Some(id) = user else { continue };
                    p.outcome.outcome = Outcome::Updated;
                    let update = UserUpdate { id, enrolments: steps_by_course, ..Default::default() };
                    p.change = Some(lmsync_model::Change {
                        line: row.line,
                        key: p.outcome.key.clone(),
                        kind: ChangeKind::UpdateUser(Box::new(update)),
                    });
                }
            }
        }
        Ok(())
    }
}
