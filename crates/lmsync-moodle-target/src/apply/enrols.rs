//! Enrolment steps on Moodle: enrolments through the manual method (`sync` is carried out as
//! manual, DECISIONS §5), both dates always sent (spec §2.7: absent dates would clear them),
//! role assignments in the course, and the group steps of enrolment lines. Other methods are
//! refused per line: no web service enrols through them.

use lmsync_model::{ChangeError, EnrolOp};
use lmsync_moodle::{Param, Params};
use std::collections::{BTreeSet, HashMap};

use super::{Entry, Work};
use crate::calls::write;
use crate::lookups::{enrols as rosters, groups as course_groups};
use crate::records::{self, EnrolRecord};
use crate::{MoodleTarget, local_failure};

/// The enrolment steps of one change for one user in one course.
pub(crate) struct Steps<'c> {
    pub change: usize,
    pub course: i64,
    pub user: i64,
    pub ops: &'c [EnrolOp],
}

/// Methods lmsync can enrol through on Moodle.
fn manual_like(method: &str) -> bool {
    method == "manual" || method == "sync"
}

fn refused_method(method: &str) -> ChangeError {
    ChangeError::new(
        "moodle.method_unsupported",
        format!(
            "Moodle's web services enrol and unenrol only through the manual method: a {method} enrolment cannot be made or removed remotely; name the manual method in the file, or manage {method} enrolments in the course's Enrolment methods page"
        ),
    )
}

struct Enrolment {
    course: i64,
    user: i64,
    role: i64,
    record: EnrolRecord,
}

struct RoleStep {
    course: i64,
    user: i64,
    role: i64,
}

/// What the steps of a chunk send, call by call.
#[derive(Default)]
struct Plan {
    enrol: Vec<(usize, Enrolment)>,
    assign: Vec<(usize, RoleStep)>,
    unassign: Vec<(usize, RoleStep)>,
    create_groups: Vec<(usize, (i64, String))>,
    add_members: Vec<(usize, (i64, String, i64))>,
    remove_members: Vec<(usize, (i64, String, i64))>,
    unenrol: Vec<(usize, (i64, i64))>,
}

pub(crate) fn apply(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    steps: &[Steps<'_>],
) -> Result<(), lmsync_core::target::TargetError> {
    run(t, w, steps, false)
}

/// A dry run's checks: the steps are planned (lines Moodle would refuse fail), nothing is sent.
pub(crate) fn rehearse(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    steps: &[Steps<'_>],
) -> Result<(), lmsync_core::target::TargetError> {
    run(t, w, steps, true)
}

fn run(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    steps: &[Steps<'_>],
    dry: bool,
) -> Result<(), lmsync_core::target::TargetError> {
    let steps: Vec<&Steps<'_>> = steps.iter().filter(|s| w.alive(s.change) && !s.ops.is_empty()).collect();
    if steps.is_empty() {
        return Ok(());
    }
    let courses: Vec<i64> = steps.iter().map(|s| s.course).collect();
    rosters::load(t, &courses)?;
    let student = t.settings.role_id("student").unwrap_or(5);
    let mut plan = Plan::default();
    let mut uses_sync = false;
    // Group steps in line order, and the groups each (course, user) holds after them.
    let mut memberships: Vec<(usize, (i64, String, i64), bool)> = Vec::new();
    let mut held: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    // Who owns each membership: lmsync's records (Moodle keeps no owner), and this chunk's adds.
    let site = t.site_key().to_string();
    let mut owners: HashMap<(i64, i64, String), String> = HashMap::new();
    let mut known: BTreeSet<i64> = BTreeSet::new();
    for s in &steps {
        if known.insert(s.course) {
            let recorded = records::course_memberships(t.local.connection(), &site, s.course).map_err(local_failure)?;
            owners.extend(recorded.into_iter().map(|((user, group), c)| ((s.course, user, group), c)));
        }
    }
    let mut owner_of: HashMap<(i64, String, i64), String> = HashMap::new();
    for s in &steps {
        let member = t.rosters.get(&s.course).and_then(|r| r.members.get(&s.user)).cloned().unwrap_or_default();
        // The enrol call assigns a role too: the line's own when it assigns one.
        let line_role = s.ops.iter().find_map(|op| match op {
            EnrolOp::Assign { roleid, method } if method.as_deref().is_none_or(manual_like) => Some(*roleid),
            _ => None,
        });
        let mut enrolled_with = None;
        for op in s.ops {
            match op {
                EnrolOp::EnsureInstance { method } if manual_like(method) => {}
                EnrolOp::Enrol { method, status, timestart, timeend } if manual_like(method) => {
                    uses_sync |= method == "sync";
                    let role = line_role.or_else(|| member.roles.first().copied()).unwrap_or(student);
                    enrolled_with = Some(role);
                    let record = EnrolRecord {
                        method: method.clone(),
                        status: *status,
                        timestart: *timestart,
                        timeend: *timeend,
                    };
                    plan.enrol.push((s.change, Enrolment { course: s.course, user: s.user, role, record }));
                }
                EnrolOp::Unenrol { method } if manual_like(method) => plan.unenrol.push((s.change, (s.course, s.user))),
                EnrolOp::Assign { .. }
                    if enrolled_with.is_none()
                        && !t.rosters.get(&s.course).is_some_and(|r| r.members.contains_key(&s.user)) =>
                {
                    w.fail(s.change, ChangeError::new(
                        "moodle.role_without_enrolment",
                        "Moodle cannot list the roles of someone not enrolled in the course, so a role without an enrolment could never be checked again; enrol the user (method manual) with this role instead",
                    ));
                }
                EnrolOp::Assign { roleid, method } if method.as_deref().is_none_or(manual_like) => {
                    if enrolled_with != Some(*roleid) {
                        plan.assign.push((s.change, RoleStep { course: s.course, user: s.user, role: *roleid }));
                    }
                }
                EnrolOp::Unassign { roleid, method } if method.as_deref().is_none_or(manual_like) => {
                    let roles = match roleid {
                        Some(r) => vec![*r],
                        None => member.roles.clone(),
                    };
                    for role in roles {
                        plan.unassign.push((s.change, RoleStep { course: s.course, user: s.user, role }));
                    }
                }
                EnrolOp::CreateGroup { name } => plan.create_groups.push((s.change, (s.course, name.clone()))),
                EnrolOp::AddMember { group, component } => {
                    owner_of.insert((s.course, group.clone(), s.user), component.clone());
                    let held = held.entry((s.course, s.user)).or_insert_with(|| member.groups.clone());
                    if !held.contains(group) {
                        held.push(group.clone());
                    }
                    memberships.push((s.change, (s.course, group.clone(), s.user), true));
                }
                EnrolOp::RemoveMembers { group, component } => {
                    // The groups held now: the roster's, with what earlier lines of the chunk did.
                    let held = held.entry((s.course, s.user)).or_insert_with(|| member.groups.clone());
                    // Only the memberships of `component`, when the line names one.
                    let owned = |g: &String| {
                        component.as_ref().is_none_or(|c| {
                            owner_of
                                .get(&(s.course, g.clone(), s.user))
                                .or_else(|| owners.get(&(s.course, s.user, g.clone())))
                                == Some(c)
                        })
                    };
                    let gone: Vec<String> = match group {
                        Some(g) => vec![g.clone()],
                        None => held.iter().filter(|g| owned(g)).cloned().collect(),
                    };
                    held.retain(|g| !gone.contains(g));
                    for g in gone {
                        memberships.push((s.change, (s.course, g, s.user), false));
                    }
                }
                EnrolOp::EnsureInstance { method }
                | EnrolOp::Enrol { method, .. }
                | EnrolOp::Unenrol { method }
                | EnrolOp::Assign { method: Some(method), .. }
                | EnrolOp::Unassign { method: Some(method), .. } => {
                    w.fail(s.change, refused_method(method));
                }
                EnrolOp::Assign { method: None, .. } | EnrolOp::Unassign { method: None, .. } => {}
            }
        }
    }
    // Additions and removals go out in separate calls, additions first: only the last step of
    // the chunk on each membership is sent, so that the chunk ends as its lines, in order, would.
    let last: HashMap<&(i64, String, i64), usize> =
        memberships.iter().enumerate().map(|(n, (_, key, _))| (key, n)).collect();
    for (n, (change, key, add)) in memberships.iter().enumerate() {
        if last[key] == n {
            let list = if *add { &mut plan.add_members } else { &mut plan.remove_members };
            list.push((*change, key.clone()));
        }
    }
    if dry {
        return Ok(());
    }
    send(t, w, plan, &owner_of)?;
    for s in &steps {
        if w.alive(s.change) {
            let after = serde_json::to_string(s.ops).ok();
            w.journal(s.change, Entry { entity: "enrolment", id: s.user, action: "update", before: None, after });
        }
    }
    if uses_sync {
        t.notice_once(
            "sync",
            "enrolment method sync: Moodle has no such method; these enrolments are made through each course's manual enrolment instance (DECISIONS §5)".into(),
        );
    }
    Ok(())
}

/// A participant of a course whose roster is loaded, added if new: kept in step with what was
/// written, so the next chunk's lookups need no new call.
fn member(t: &mut MoodleTarget, course: i64, user: i64) -> Option<&mut crate::lookups::enrols::Member> {
    t.rosters.get_mut(&course).map(|r| r.members.entry(user).or_default())
}

fn add_role(m: &mut crate::lookups::enrols::Member, role: i64) {
    if !m.roles.contains(&role) {
        m.roles.push(role);
    }
}

/// A group membership to add or remove: group id, user, course, group name.
type Membership = (i64, i64, i64, String);

/// One item of `enrol_manual_enrol_users`: both dates always sent (absent ones would clear the
/// enrolment's, spec §2.7), the status as `suspend`.
pub(crate) fn enrolment_param(course: i64, user: i64, role: i64, record: &EnrolRecord) -> Param {
    Param::obj([
        ("roleid", Param::from(role)),
        ("userid", Param::from(user)),
        ("courseid", Param::from(course)),
        ("timestart", Param::from(record.timestart)),
        ("timeend", Param::from(record.timeend)),
        ("suspend", Param::from(i64::from(record.status != 0))),
    ])
}

/// The items whose change has not failed.
fn live<T>(w: &Work<'_>, items: Vec<(usize, T)>) -> Vec<(usize, T)> {
    items.into_iter().filter(|(i, _)| w.alive(*i)).collect()
}

/// One role assignment in a course's context.
pub(crate) fn course_context(course: i64, user: i64, role: i64) -> Param {
    Param::obj([
        ("roleid", Param::from(role)),
        ("userid", Param::from(user)),
        ("contextlevel", Param::from("course")),
        ("instanceid", Param::from(course)),
    ])
}

/// Sends the plan's calls in order. `owners`: the component each added membership is made for.
fn send(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    plan: Plan,
    owners: &HashMap<(i64, String, i64), String>,
) -> Result<(), lmsync_core::target::TargetError> {
    let site = t.site_key().to_string();

    let enrol: Vec<(usize, Enrolment)> = live(w, plan.enrol);
    let done = write(
        &t.client,
        "enrol_manual_enrol_users",
        &enrol,
        |items| {
            Params::new().with(
                "enrolments",
                Param::list(items.iter().map(|(_, e)| enrolment_param(e.course, e.user, e.role, &e.record))),
            )
        },
        &mut w.failures,
    )?;
    for ((_, e), ok) in enrol.iter().zip(&done) {
        if ok.is_some() {
            records::set_enrolment(t.local.connection(), &site, e.course, e.user, &e.record).map_err(local_failure)?;
            if let Some(m) = member(t, e.course, e.user) {
                m.suspended = e.record.status != 0;
                add_role(m, e.role);
            }
        }
    }

    let role_params = |items: &[(usize, RoleStep)], key: &str| {
        Params::new().with(key, Param::list(items.iter().map(|(_, r)| course_context(r.course, r.user, r.role))))
    };
    let assign = live(w, plan.assign);
    let done = write(
        &t.client,
        "core_role_assign_roles",
        &assign,
        |items| role_params(items, "assignments"),
        &mut w.failures,
    )?;
    for ((_, r), ok) in assign.iter().zip(&done) {
        if let (Some(_), Some(m)) = (ok, member(t, r.course, r.user)) {
            add_role(m, r.role);
        }
    }
    let unassign = live(w, plan.unassign);
    let done = write(
        &t.client,
        "core_role_unassign_roles",
        &unassign,
        |items| role_params(items, "unassignments"),
        &mut w.failures,
    )?;
    for ((_, r), ok) in unassign.iter().zip(&done) {
        if let (Some(_), Some(m)) = (ok, member(t, r.course, r.user)) {
            m.roles.retain(|x| *x != r.role);
        }
    }

    // Groups an enrolment line names: created once per course, then members added.
    let mut create: Vec<(usize, (i64, String))> = Vec::new();
    let mut asked: BTreeSet<(i64, String)> = BTreeSet::new();
    for (i, (course, name)) in live(w, plan.create_groups) {
        let exists = course_groups::groups(t, course)?.iter().any(|g| g.name == name);
        if !exists && asked.insert((course, name.clone())) {
            create.push((i, (course, name)));
        }
    }
    write(
        &t.client,
        "core_group_create_groups",
        &create,
        |items| {
            Params::new().with(
                "groups",
                Param::list(items.iter().map(|(_, (course, name))| {
                    Param::obj([
                        ("courseid", Param::from(*course)),
                        ("name", Param::from(name.as_str())),
                        ("description", Param::from("")),
                    ])
                })),
            )
        },
        &mut w.failures,
    )?;
    for (_, (course, _)) in &create {
        t.groups.remove(course);
    }
    let mut ids: HashMap<(i64, String), i64> = HashMap::new();
    let mut membership = |t: &mut MoodleTarget, w: &mut Work<'_>, items: Vec<(usize, (i64, String, i64))>| {
        let mut out = Vec::new();
        for (i, (course, name, user)) in live(w, items) {
            let key = (course, name.clone());
            if !ids.contains_key(&key) {
                for g in course_groups::groups(t, course)? {
                    ids.insert((course, g.name.clone()), g.id);
                }
            }
            match ids.get(&key) {
                Some(id) => out.push((i, (*id, user, course, name))),
                None => {
                    w.fail(i, ChangeError::new("group.not_found", format!("no group \"{name}\" in course {course}")))
                }
            }
        }
        Ok::<_, lmsync_core::target::TargetError>(out)
    };
    let members = |items: &[(usize, Membership)]| {
        Params::new().with(
            "members",
            Param::list(items.iter().map(|(_, (group, user, _, _))| {
                Param::obj([("groupid", Param::from(*group)), ("userid", Param::from(*user))])
            })),
        )
    };
    let add = membership(t, w, plan.add_members)?;
    let done = write(&t.client, "core_group_add_group_members", &add, members, &mut w.failures)?;
    for ((_, (_, user, course, name)), ok) in add.iter().zip(&done) {
        if ok.is_none() {
            continue;
        }
        let component = owners.get(&(*course, name.clone(), *user)).map_or("", String::as_str);
        records::set_membership(t.local.connection(), &site, *course, *user, name, component).map_err(local_failure)?;
        if let Some(m) = member(t, *course, *user)
            && !m.groups.contains(name)
        {
            m.groups.push(name.clone());
        }
    }
    let remove = membership(t, w, plan.remove_members)?;
    let done = write(&t.client, "core_group_delete_group_members", &remove, members, &mut w.failures)?;
    for ((_, (_, user, course, name)), ok) in remove.iter().zip(&done) {
        if ok.is_none() {
            continue;
        }
        records::forget_memberships(t.local.connection(), &site, *course, *user, Some(name)).map_err(local_failure)?;
        if let Some(m) = member(t, *course, *user) {
            m.groups.retain(|g| g != name);
        }
    }

    let unenrol = live(w, plan.unenrol);
    let done = write(
        &t.client,
        "enrol_manual_unenrol_users",
        &unenrol,
        |items| {
            Params::new().with(
                "enrolments",
                Param::list(items.iter().map(|(_, (course, user))| {
                    Param::obj([("userid", Param::from(*user)), ("courseid", Param::from(*course))])
                })),
            )
        },
        &mut w.failures,
    )?;
    for ((_, (course, user)), ok) in unenrol.iter().zip(&done) {
        if ok.is_some() {
            records::forget_enrolment(t.local.connection(), &site, *course, *user).map_err(local_failure)?;
            records::forget_memberships(t.local.connection(), &site, *course, *user, None).map_err(local_failure)?;
            // Moodle removes the roles and group memberships of a last enrolment with it.
            if let Some(r) = t.rosters.get_mut(course) {
                r.members.remove(user);
            }
        }
    }
    Ok(())
}
