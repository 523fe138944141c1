//! Groups, groupings and their members on Moodle (spec §2.9). The steps of a chunk name groups
//! and groupings by name, and a step may use what an earlier one created or renamed: the steps
//! are first walked in order against the course's groups as listed, turning every name into
//! the group it means (one on the site, or one the chunk creates); then each kind of step goes
//! out in batched calls (creations first, deletions last), a refused item failing its own line.

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind, GroupOp};
use lmsync_moodle::{Param, Params};
use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Entry, Work};
use crate::MoodleTarget;
use crate::calls::write;
use crate::json::int;
use crate::lookups::{enrols as rosters, groups as lookup};

/// A group or grouping a step means: one listed on the site, or the n-th the chunk creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Handle {
    Site(i64),
    New(usize),
}

/// A group or grouping as the walk knows it at that step.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    handle: Handle,
    name: String,
    description: String,
}

/// One course as the walk sees it: its groups, groupings, and who is in which group (only
/// listed when a step removes someone from every group).
#[derive(Debug, Default)]
struct CourseState {
    groups: Vec<Known>,
    groupings: Vec<Known>,
    members: BTreeSet<(Handle, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Create {
    course: i64,
    name: String,
    idnumber: String,
    description: String,
}

/// An update: Moodle requires the name (the current one when unchanged); a grouping's
/// description is required too, so it is always filled for groupings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Update {
    entity: Handle,
    name: String,
    idnumber: Option<String>,
    description: Option<String>,
}

type Pair = (Handle, i64);

/// Memberships added and removed that may go out together (groups here, cohorts too).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Wave<P> {
    pub add: Vec<(usize, P)>,
    pub remove: Vec<(usize, P)>,
}

/// Membership steps in file order, as waves: a step that undoes one of the current wave (added
/// then removed again in the chunk) starts the next wave, so the order of the file holds while
/// each wave goes out in one add call and one remove call.
#[derive(Debug)]
pub(super) struct Waves<P>(pub Vec<Wave<P>>);

impl<P> Default for Waves<P> {
    fn default() -> Self {
        Waves(Vec::new())
    }
}

impl<P: PartialEq> Waves<P> {
    fn wave_for(&mut self, pair: &P, adding: bool) -> &mut Wave<P> {
        let undoes = self.0.last().is_none_or(|w| {
            let other = if adding { &w.remove } else { &w.add };
            other.iter().any(|(_, p)| p == pair)
        });
        if undoes {
            self.0.push(Wave { add: Vec::new(), remove: Vec::new() });
        }
        let last = self.0.len() - 1;
        &mut self.0[last]
    }

    pub fn add(&mut self, change: usize, pair: P) {
        self.wave_for(&pair, true).add.push((change, pair));
    }

    pub fn remove(&mut self, change: usize, pair: P) {
        self.wave_for(&pair, false).remove.push((change, pair));
    }
}

/// What the chunk sends, call by call, each item tagged with its change.
#[derive(Debug, Default)]
struct Plan {
    create_groups: Vec<(usize, Create)>,
    create_groupings: Vec<(usize, Create)>,
    update_groups: Vec<(usize, Update)>,
    update_groupings: Vec<(usize, Update)>,
    /// (grouping, group)
    binds: Vec<(usize, (Handle, Handle))>,
    waves: Waves<Pair>,
    delete_groups: Vec<(usize, Handle)>,
    delete_groupings: Vec<(usize, Handle)>,
    refused: Vec<(usize, ChangeError)>,
}

fn find<'a>(list: &'a mut [Known], name: &str) -> Option<&'a mut Known> {
    list.iter_mut().find(|k| k.name == name)
}

fn missing(what: &str, name: &str, course: i64) -> ChangeError {
    ChangeError::new(
        "group.not_found",
        format!(
            "course id {course} has no {what} named \"{name}\" (renamed or deleted since the file was read?); run the file again, or create the {what} first"
        ),
    )
}

fn taken(what: &str, name: &str, course: i64) -> ChangeError {
    ChangeError::new(
        "group.name_taken",
        format!("course id {course} already has a {what} named \"{name}\"; give this one another name"),
    )
}

fn not_enrolled(user: i64, course: i64, group: &str) -> ChangeError {
    ChangeError::new(
        "group.not_enrolled",
        format!(
            "user id {user} is not enrolled in course id {course}, and Moodle puts only enrolled users in groups: enrol them first (enrols file), then run this line again to put them in group \"{group}\""
        ),
    )
}

/// Walks one step against the course's state, adding what it sends to the plan.
fn step(
    plan: &mut Plan,
    c: &mut CourseState,
    course: i64,
    change: usize,
    op: &GroupOp,
    enrolled: &dyn Fn(i64, i64) -> bool,
) -> Result<(), ChangeError> {
    match op {
        GroupOp::CreateGroup { name, idnumber, description }
        | GroupOp::CreateGrouping { name, idnumber, description } => {
            let grouping = matches!(op, GroupOp::CreateGrouping { .. });
            let (list, creates, what) = if grouping {
                (&mut c.groupings, &mut plan.create_groupings, "grouping")
            } else {
                (&mut c.groups, &mut plan.create_groups, "group")
            };
            if find(list, name).is_some() {
                return Err(taken(what, name, course));
            }
            let handle = Handle::New(creates.len());
            let create =
                Create { course, name: name.clone(), idnumber: idnumber.clone(), description: description.clone() };
            creates.push((change, create));
            list.push(Known { handle, name: name.clone(), description: description.clone() });
        }
        GroupOp::UpdateGroup { name, new_name, idnumber, description }
        | GroupOp::UpdateGrouping { name, new_name, idnumber, description } => {
            let grouping = matches!(op, GroupOp::UpdateGrouping { .. });
            let (list, what) = if grouping { (&mut c.groupings, "grouping") } else { (&mut c.groups, "group") };
            if let Some(n) = new_name.as_ref().filter(|n| *n != name)
                && find(list, n).is_some()
            {
                return Err(taken(what, n, course));
            }
            let k = find(list, name).ok_or_else(|| missing(what, name, course))?;
            if let Some(n) = new_name {
                k.name = n.clone();
            }
            if let Some(d) = description {
                k.description = d.clone();
            }
            let description = if grouping { Some(k.description.clone()) } else { description.clone() };
            let update = Update { entity: k.handle, name: k.name.clone(), idnumber: idnumber.clone(), description };
            if grouping { &mut plan.update_groupings } else { &mut plan.update_groups }.push((change, update));
        }
        GroupOp::Bind { group, grouping } => {
            let g = find(&mut c.groups, group).ok_or_else(|| missing("group", group, course))?.handle;
            let gp = find(&mut c.groupings, grouping).ok_or_else(|| missing("grouping", grouping, course))?.handle;
            plan.binds.push((change, (gp, g)));
        }
        GroupOp::AddMember { group, user } => {
            let g = find(&mut c.groups, group).ok_or_else(|| missing("group", group, course))?.handle;
            if !enrolled(course, *user) {
                return Err(not_enrolled(*user, course, group));
            }
            c.members.insert((g, *user));
            plan.waves.add(change, (g, *user));
        }
        GroupOp::RemoveMember { group: Some(group), user, .. } => {
            // A group gone already holds nobody: nothing to remove, as in the embedded store.
            if let Some(g) = find(&mut c.groups, group).map(|k| k.handle) {
                c.members.remove(&(g, *user));
                plan.waves.remove(change, (g, *user));
            }
        }
        GroupOp::RemoveMember { group: None, user, except } => {
            let keep = except.as_deref().and_then(|e| find(&mut c.groups, e)).map(|k| k.handle);
            let leaving: Vec<Pair> = c.members.iter().filter(|(g, u)| u == user && Some(*g) != keep).copied().collect();
            for pair in leaving {
                c.members.remove(&pair);
                plan.waves.remove(change, pair);
            }
        }
        GroupOp::DeleteGroup { name } | GroupOp::DeleteGrouping { name } => {
            let grouping = matches!(op, GroupOp::DeleteGrouping { .. });
            let list = if grouping { &mut c.groupings } else { &mut c.groups };
            // Already gone: nothing to delete, as in the embedded store.
            if let Some(at) = list.iter().position(|k| k.name == *name) {
                let handle = list.remove(at).handle;
                if grouping {
                    plan.delete_groupings.push((change, handle));
                } else {
                    c.members.retain(|(g, _)| *g != handle);
                    plan.delete_groups.push((change, handle));
                }
            }
        }
    }
    Ok(())
}

/// Walks every change's steps in order; a refused step refuses its change (its other steps are
/// then not sent either).
fn walk(
    changes: &[(usize, i64, &[GroupOp])],
    courses: &mut HashMap<i64, CourseState>,
    enrolled: &dyn Fn(i64, i64) -> bool,
) -> Plan {
    let mut plan = Plan::default();
    for (change, course, ops) in changes {
        let c = courses.entry(*course).or_default();
        for op in *ops {
            if let Err(e) = step(&mut plan, c, *course, *change, op, enrolled) {
                plan.refused.push((*change, e));
                break;
            }
        }
    }
    plan
}

/// Items of changes whose function the token's service does not offer fail, naming it and how
/// to add it; the others are returned.
pub(super) fn offered<T>(
    t: &MoodleTarget,
    w: &mut Work<'_>,
    function: &str,
    items: Vec<(usize, T)>,
) -> Vec<(usize, T)> {
    if items.is_empty() || t.site.has_function(function) {
        return items;
    }
    let since = match function {
        "core_group_update_groups" => " (Moodle 3.6 or later)",
        _ => "",
    };
    for (i, _) in &items {
        w.fail(
            *i,
            ChangeError::new(
                "moodle.function_missing",
                format!(
                    "the site's web service for lmsync does not offer {function}{since}; add it to the service's functions (Site administration › Server › Web services › External services), then run the file again"
                ),
            ),
        );
    }
    Vec::new()
}

/// The ids of what the chunk created, once it is created.
struct Created<'p> {
    plan: &'p Plan,
    groups: Vec<Option<i64>>,
    groupings: Vec<Option<i64>>,
}

impl Created<'_> {
    fn id(&self, h: Handle, grouping: bool) -> Result<i64, ChangeError> {
        let (ids, creates, what) = if grouping {
            (&self.groupings, &self.plan.create_groupings, "grouping")
        } else {
            (&self.groups, &self.plan.create_groups, "group")
        };
        match h {
            Handle::Site(id) => Ok(id),
            Handle::New(k) => ids.get(k).copied().flatten().ok_or_else(|| {
                let (_, c) = &creates[k];
                ChangeError::new(
                    "group.not_created",
                    format!(
                        "{what} \"{}\" of course id {} could not be created (see the failure of the line creating it), so this step was not sent; fix that line and run the file again",
                        c.name, c.course
                    ),
                )
            }),
        }
    }
}

/// Turns items naming handles into items naming ids; an item whose group (or cohort) could not
/// be created fails its change. Items of failed changes are dropped.
pub(super) fn resolve<T, U>(
    w: &mut Work<'_>,
    items: &[(usize, T)],
    f: impl Fn(&T) -> Result<U, ChangeError>,
) -> Vec<(usize, U)> {
    let mut out = Vec::new();
    for (i, item) in items {
        if !w.alive(*i) {
            continue;
        }
        match f(item) {
            Ok(u) => out.push((*i, u)),
            Err(e) => w.fail(*i, e),
        }
    }
    out
}

fn pairs_param(key: &str, items: &[(usize, (i64, i64))], a: &str, b: &str) -> Params {
    Params::new().with(
        key,
        Param::list(
            items
                .iter()
                .map(|(_, (x, y))| Param::obj([(a.to_string(), Param::from(*x)), (b.to_string(), Param::from(*y))])),
        ),
    )
}

fn ids_param(key: &str, items: &[(usize, i64)]) -> Params {
    Params::new().with(key, Param::list(items.iter().map(|(_, id)| *id)))
}

fn create_param(key: &str, items: &[(usize, (usize, Create))]) -> Params {
    Params::new().with(
        key,
        Param::list(items.iter().map(|(_, (_, c))| {
            let mut s: Vec<(String, Param)> = vec![
                ("courseid".into(), c.course.into()),
                ("name".into(), c.name.as_str().into()),
                // Required by Moodle on creation, even empty.
                ("description".into(), c.description.as_str().into()),
            ];
            if !c.idnumber.is_empty() {
                s.push(("idnumber".into(), c.idnumber.as_str().into()));
            }
            Param::Struct(s)
        })),
    )
}

fn update_param(key: &str, items: &[(usize, (i64, Update))]) -> Params {
    Params::new().with(
        key,
        Param::list(items.iter().map(|(_, (id, u))| {
            let mut s: Vec<(String, Param)> =
                vec![("id".into(), (*id).into()), ("name".into(), u.name.as_str().into())];
            if let Some(d) = &u.description {
                s.push(("description".into(), d.as_str().into()));
            }
            if let Some(n) = &u.idnumber {
                s.push(("idnumber".into(), n.as_str().into()));
            }
            Param::Struct(s)
        })),
    )
}

/// Marks the changes whose items were applied as having written something.
pub(super) fn wrote<T>(done: &mut HashSet<usize>, items: &[(usize, T)], answers: &[Option<serde_json::Value>]) {
    for ((i, _), a) in items.iter().zip(answers) {
        if a.is_some() {
            done.insert(*i);
        }
    }
}

/// Sends the plan's calls in order; returns the changes that wrote something.
fn send(t: &mut MoodleTarget, w: &mut Work<'_>, plan: &Plan) -> Result<HashSet<usize>, TargetError> {
    let mut done = HashSet::new();
    let mut created = Created {
        plan,
        groups: vec![None; plan.create_groups.len()],
        groupings: vec![None; plan.create_groupings.len()],
    };
    for (function, key, grouping) in
        [("core_group_create_groups", "groups", false), ("core_group_create_groupings", "groupings", true)]
    {
        let creates = if grouping { &plan.create_groupings } else { &plan.create_groups };
        let items: Vec<(usize, (usize, Create))> = creates
            .iter()
            .enumerate()
            .filter(|(_, (i, _))| w.alive(*i))
            .map(|(k, (i, c))| (*i, (k, c.clone())))
            .collect();
        let items = offered(t, w, function, items);
        let answers = write(&t.client, function, &items, |items| create_param(key, items), &mut w.failures)?;
        wrote(&mut done, &items, &answers);
        let ids = if grouping { &mut created.groupings } else { &mut created.groups };
        for ((_, (k, _)), answer) in items.iter().zip(&answers) {
            ids[*k] = answer.as_ref().map(|a| int(a, "id")).filter(|id| *id > 0);
        }
    }
    for (function, key, grouping) in
        [("core_group_update_groups", "groups", false), ("core_group_update_groupings", "groupings", true)]
    {
        let updates = if grouping { &plan.update_groupings } else { &plan.update_groups };
        let items = resolve(w, updates, |u| Ok((created.id(u.entity, grouping)?, u.clone())));
        let items = offered(t, w, function, items);
        let answers = write(&t.client, function, &items, |items| update_param(key, items), &mut w.failures)?;
        wrote(&mut done, &items, &answers);
    }
    let binds = resolve(w, &plan.binds, |(gp, g)| Ok((created.id(*gp, true)?, created.id(*g, false)?)));
    let binds = offered(t, w, "core_group_assign_grouping", binds);
    let answers = write(
        &t.client,
        "core_group_assign_grouping",
        &binds,
        |items| pairs_param("assignments", items, "groupingid", "groupid"),
        &mut w.failures,
    )?;
    wrote(&mut done, &binds, &answers);
    for wave in &plan.waves.0 {
        for (function, items) in
            [("core_group_add_group_members", &wave.add), ("core_group_delete_group_members", &wave.remove)]
        {
            let items = resolve(w, items, |(g, user)| Ok((created.id(*g, false)?, *user)));
            let items = offered(t, w, function, items);
            let answers = write(
                &t.client,
                function,
                &items,
                |items| pairs_param("members", items, "groupid", "userid"),
                &mut w.failures,
            )?;
            wrote(&mut done, &items, &answers);
        }
    }
    for (function, key, grouping) in
        [("core_group_delete_groups", "groupids", false), ("core_group_delete_groupings", "groupingids", true)]
    {
        let deletes = if grouping { &plan.delete_groupings } else { &plan.delete_groups };
        let items = resolve(w, deletes, |h| created.id(*h, grouping));
        let items = offered(t, w, function, items);
        let answers = write(&t.client, function, &items, |items| ids_param(key, items), &mut w.failures)?;
        wrote(&mut done, &items, &answers);
    }
    Ok(done)
}

/// What the walk starts from: each course's groups (and groupings, and memberships) as listed.
fn course_state(t: &mut MoodleTarget, course: i64, ops: &[&GroupOp]) -> Result<CourseState, TargetError> {
    let known = |rows: Vec<lookup::GroupRow>| {
        rows.into_iter()
            .map(|g| Known { handle: Handle::Site(g.id), name: g.name, description: g.description })
            .collect()
    };
    let mut c = CourseState { groups: known(lookup::groups(t, course)?), ..CourseState::default() };
    let groupings_used = ops.iter().any(|op| {
        matches!(
            op,
            GroupOp::CreateGrouping { .. }
                | GroupOp::UpdateGrouping { .. }
                | GroupOp::DeleteGrouping { .. }
                | GroupOp::Bind { .. }
        )
    });
    if groupings_used {
        c.groupings = known(lookup::groupings(t, course)?);
    }
    if ops.iter().any(|op| matches!(op, GroupOp::RemoveMember { group: None, .. })) {
        for (group, users) in lookup::members(t, course)? {
            c.members.extend(users.into_iter().map(|u| (Handle::Site(group), u)));
        }
    }
    Ok(c)
}

pub(super) fn apply(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    run(t, w, false)
}

/// A dry run's checks: the steps are resolved (lines Moodle would refuse fail), nothing is sent.
pub(super) fn rehearse(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    run(t, w, true)
}

fn run(t: &mut MoodleTarget, w: &mut Work<'_>, dry: bool) -> Result<(), TargetError> {
    let changes: Vec<(usize, i64, &[GroupOp])> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::Groups { course, ops } if !ops.is_empty() => Some((i, *course, ops.as_slice())),
            _ => None,
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let mut by_course: HashMap<i64, Vec<&GroupOp>> = HashMap::new();
    for (_, course, ops) in &changes {
        by_course.entry(*course).or_default().extend(ops.iter());
    }
    let mut courses: HashMap<i64, CourseState> = HashMap::new();
    for (course, ops) in &by_course {
        courses.insert(*course, course_state(t, *course, ops)?);
    }
    // Who is enrolled, for the courses where someone joins a group (Moodle refuses the others).
    let joining: Vec<i64> = by_course
        .iter()
        .filter(|(_, ops)| ops.iter().any(|op| matches!(op, GroupOp::AddMember { .. })))
        .map(|(c, _)| *c)
        .collect();
    rosters::load(t, &joining)?;
    let rosters = &t.rosters;
    let enrolled = |course: i64, user: i64| rosters.get(&course).is_some_and(|r| r.members.contains_key(&user));
    let plan = walk(&changes, &mut courses, &enrolled);
    for (i, e) in &plan.refused {
        w.fail(*i, e.clone());
    }
    if dry {
        return Ok(());
    }
    let result = send(t, w, &plan);
    // What was written is read again next time it is needed, whatever happened.
    for course in by_course.keys() {
        t.groups.remove(course);
        t.rosters.remove(course);
    }
    let done = result?;
    for (i, course, ops) in &changes {
        if done.contains(i) {
            let after = serde_json::to_string(ops).ok();
            w.journal(*i, Entry { entity: "group", id: *course, action: "update", before: None, after });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: i64, name: &str) -> Known {
        Known { handle: Handle::Site(id), name: name.into(), description: format!("{name} text") }
    }

    fn course(groups: &[(i64, &str)], groupings: &[(i64, &str)]) -> HashMap<i64, CourseState> {
        let c = CourseState {
            groups: groups.iter().map(|(id, n)| known(*id, n)).collect(),
            groupings: groupings.iter().map(|(id, n)| known(*id, n)).collect(),
            members: BTreeSet::new(),
        };
        HashMap::from([(7, c)])
    }

    fn create(name: &str) -> GroupOp {
        GroupOp::CreateGroup { name: name.into(), idnumber: String::new(), description: String::new() }
    }

    #[test]
    fn names_resolve_to_what_earlier_steps_created_or_renamed() {
        let mut courses = course(&[(10, "A")], &[(20, "P")]);
        let first = [
            create("B"),
            GroupOp::CreateGrouping { name: "B".into(), idnumber: "x".into(), description: "d".into() },
            GroupOp::Bind { group: "B".into(), grouping: "B".into() },
        ];
        let second = [
            GroupOp::UpdateGroup { name: "A".into(), new_name: Some("A2".into()), idnumber: None, description: None },
            GroupOp::Bind { group: "A2".into(), grouping: "P".into() },
            GroupOp::UpdateGrouping { name: "P".into(), new_name: None, idnumber: Some("p".into()), description: None },
        ];
        let plan = walk(&[(0, 7, &first), (1, 7, &second)], &mut courses, &|_, _| true);
        assert!(plan.refused.is_empty());
        assert_eq!(plan.create_groups.len(), 1);
        assert_eq!(plan.binds, vec![(0, (Handle::New(0), Handle::New(0))), (1, (Handle::Site(20), Handle::Site(10)))]);
        assert_eq!(
            plan.update_groups[0].1,
            Update { entity: Handle::Site(10), name: "A2".into(), idnumber: None, description: None }
        );
        // A grouping's description is required by Moodle: the current one is sent.
        assert_eq!(plan.update_groupings[0].1.description.as_deref(), Some("P text"));
        assert_eq!(plan.update_groupings[0].1.name, "P");
    }

    #[test]
    fn a_step_naming_nothing_or_a_taken_name_refuses_its_change_alone() {
        let mut courses = course(&[(10, "A")], &[]);
        let bad = [create("C"), GroupOp::Bind { group: "C".into(), grouping: "nope".into() }];
        let taken = [create("A")];
        let fine = [create("D")];
        let plan = walk(&[(0, 7, &bad), (1, 7, &taken), (2, 7, &fine)], &mut courses, &|_, _| true);
        let refused: Vec<(usize, String)> = plan.refused.iter().map(|(i, e)| (*i, e.code.clone())).collect();
        assert_eq!(refused, vec![(0, "group.not_found".into()), (1, "group.name_taken".into())]);
        assert_eq!(plan.create_groups.len(), 2, "the refused change's own creation is dropped when sending");
    }

    #[test]
    fn joining_a_group_needs_an_enrolment() {
        let mut courses = course(&[(10, "A")], &[]);
        let ops = [GroupOp::AddMember { group: "A".into(), user: 5 }];
        let other = [GroupOp::AddMember { group: "A".into(), user: 6 }];
        let plan = walk(&[(0, 7, &ops), (1, 7, &other)], &mut courses, &|_, u| u == 6);
        assert_eq!(plan.refused.len(), 1);
        assert_eq!(plan.refused[0].0, 0);
        assert!(plan.refused[0].1.message.contains("not enrolled"), "{}", plan.refused[0].1.message);
        assert_eq!(plan.waves.0[0].add, vec![(1, (Handle::Site(10), 6))]);
    }

    #[test]
    fn removing_from_every_group_but_one_uses_the_listed_memberships() {
        let mut courses = course(&[(10, "A"), (11, "B"), (12, "C")], &[]);
        courses.get_mut(&7).unwrap().members =
            [(Handle::Site(10), 5), (Handle::Site(11), 5), (Handle::Site(12), 6)].into_iter().collect();
        let ops = [
            GroupOp::RemoveMember { group: None, user: 5, except: Some("B".into()) },
            GroupOp::AddMember { group: "B".into(), user: 5 },
        ];
        let plan = walk(&[(0, 7, &ops)], &mut courses, &|_, _| true);
        assert_eq!(plan.waves.0.len(), 1);
        assert_eq!(plan.waves.0[0].remove, vec![(0, (Handle::Site(10), 5))]);
        assert_eq!(plan.waves.0[0].add, vec![(0, (Handle::Site(11), 5))]);
    }

    #[test]
    fn a_membership_undone_later_in_the_chunk_goes_out_in_order() {
        let mut courses = course(&[(10, "A")], &[]);
        let del = [GroupOp::RemoveMember { group: Some("A".into()), user: 5, except: None }];
        let add = [GroupOp::AddMember { group: "A".into(), user: 5 }];
        let plan = walk(&[(0, 7, &del), (1, 7, &add), (2, 7, &del)], &mut courses, &|_, _| true);
        assert_eq!(plan.waves.0.len(), 3, "{:?}", plan.waves);
        assert_eq!(plan.waves.0[2].remove, vec![(2, (Handle::Site(10), 5))]);
    }

    #[test]
    fn deleted_groups_are_forgotten_and_deleting_again_sends_nothing() {
        let mut courses = course(&[(10, "A")], &[(20, "P")]);
        let purge = [
            GroupOp::DeleteGroup { name: "A".into() },
            GroupOp::DeleteGrouping { name: "P".into() },
            GroupOp::DeleteGroup { name: "A".into() },
        ];
        let plan = walk(&[(0, 7, &purge)], &mut courses, &|_, _| true);
        assert_eq!(plan.delete_groups, vec![(0, Handle::Site(10))]);
        assert_eq!(plan.delete_groupings, vec![(0, Handle::Site(20))]);
        assert!(plan.refused.is_empty());
    }
}
