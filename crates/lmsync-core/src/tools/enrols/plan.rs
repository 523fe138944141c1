//! Decides the steps of one enrolment line from what the user holds in the course (kept up to
//! date as lines are planned), so each line reports exactly what it changes and a re-run
//! changes nothing.

use lmsync_model::{EnrolOp, EnrolState, Outcome};

use super::line::{Cmd, EnrolLine, Gcmd};
use super::{Chunk, EnrolTool};

type Refusal = (&'static str, String);
type Plan = (Outcome, String, i64, i64, Vec<EnrolOp>);

/// Component of the roles an enrolment through `method` owns (manual roles are plain).
fn owner(method: &str) -> Option<String> {
    (method != "manual").then(|| method.to_string())
}

fn component(method: &Option<String>) -> String {
    method.as_ref().map_or(String::new(), |m| format!("enrol_{m}"))
}

pub(super) fn plan(tool: &EnrolTool, l: &EnrolLine, chunk: &mut Chunk, now: i64) -> Result<Plan, Refusal> {
    let user = tool.find_user(chunk, &l.uid)?.clone();
    if l.cid.is_empty() {
        return Err(("enrol.missing_course", "the cid column is empty; name the course".into()));
    }
    let course = chunk.courses.get(&l.cid).cloned().ok_or_else(|| {
        ("enrol.course_not_found", format!("no course has {} \"{}\"", tool.s.course_identifier.as_str(), l.cid))
    })?;
    // A del names no role to keep: an unknown one is as good as none (roles only: all plain roles).
    let role = match l.role.as_str() {
        "" => None,
        r if l.cmd == Cmd::Del => tool.roles.iter().find(|(_, n)| n == r).map(|(id, _)| *id),
        r => Some(tool.roles.iter().find(|(_, n)| n == r).map(|(id, _)| *id).ok_or_else(|| {
            (
                "enrol.unknown_role",
                format!(
                    "rolename \"{r}\" is not a role; use one of {}",
                    tool.roles.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?),
    };
    if matches!(l.cmd, Cmd::Add | Cmd::Shift) && role.is_none() {
        return Err(("enrol.unknown_role", "rolename is empty; add and shift need a role".into()));
    }
    let method = resolve_method(&l.enrol, tool.s.sync_method_enabled);
    let req = Request {
        cmd: l.cmd,
        role,
        method,
        start: l.start,
        end: l.end,
        gcmd: l.gcmd,
        groups: l.groups.clone(),
        protect_groups: tool.s.protect_groups,
        enrol_on_disabled: tool.s.enrol_on_disabled,
    };
    let instances = chunk.instances.entry(course.id).or_default();
    let known = chunk.groups.entry(course.id).or_default();
    let state = chunk.states.entry((course.id, user.id)).or_default();
    let (outcome, message, ops) = steps(&req, state, instances, known, now, &tool.roles);
    Ok((outcome, message, course.id, user.id, ops))
}

/// The method a line's enrol value names: absent column = roles only; empty = the automated
/// `sync` method when enabled, else manual; otherwise the one named.
pub(crate) fn resolve_method(enrol: &Option<String>, sync_enabled: bool) -> Option<String> {
    match enrol {
        None => None,
        Some(m) if m.is_empty() => Some(if sync_enabled { "sync".to_string() } else { "manual".to_string() }),
        Some(m) => Some(m.to_lowercase()),
    }
}

/// What one enrolment request asks, resolved.
pub(crate) struct Request {
    pub cmd: Cmd,
    pub role: Option<i64>,
    pub method: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub gcmd: Option<Gcmd>,
    pub groups: Vec<String>,
    pub protect_groups: bool,
    pub enrol_on_disabled: bool,
}

/// The steps of a request against what the user holds (updated), the course's instances and
/// groups (updated): the outcome, what to say, and the steps. Nothing to do = no steps.
pub(crate) fn steps(
    req: &Request,
    state: &mut EnrolState,
    instances: &mut Vec<(String, bool)>,
    known: &mut Vec<String>,
    now: i64,
    roles: &[(i64, String)],
) -> (Outcome, String, Vec<EnrolOp>) {
    let mut notes: Vec<String> = Vec::new();
    let (role, l) = (req.role, req);
    let method = match req.method.clone() {
        Some(m) if m == "sync" => Some(m),
        Some(m) => {
            if instances.iter().any(|(im, enabled)| *im == m && (*enabled || req.enrol_on_disabled)) {
                Some(m)
            } else {
                notes.push(format!("no enabled {m} instance in the course: roles only"));
                None
            }
        }
        None => None,
    };
    let mut ops = Vec::new();
    // Only an enrolment needs the sync instance: a del never creates it.
    if l.cmd != Cmd::Del && method.as_deref() == Some("sync") && !instances.iter().any(|(m, _)| m == "sync") {
        ops.push(EnrolOp::EnsureInstance { method: "sync".into() });
        instances.push(("sync".into(), true));
    }
    let mut outcome = Outcome::Unchanged;
    let mut said: Vec<String> = Vec::new();
    match (l.cmd, &method) {
        (Cmd::Add | Cmd::Shift, Some(m)) => {
            let desired = |cur: Option<&(String, i64, i64, i64)>| {
                let (ts, te) = match cur {
                    Some((_, _, ts, te)) => (l.start.unwrap_or(*ts), l.end.unwrap_or(*te)),
                    None => (l.start.unwrap_or(now), l.end.unwrap_or(0)),
                };
                (m.clone(), 0, ts, te)
            };
            match state.enrolments.iter().position(|(em, ..)| em == m) {
                None => {
                    let (method, status, timestart, timeend) = desired(None);
                    state.enrolments.push((method.clone(), status, timestart, timeend));
                    ops.push(EnrolOp::Enrol { method, status, timestart, timeend });
                    outcome = Outcome::Created;
                    said.push(format!("enrolled through {m}"));
                }
                Some(i) => {
                    let want = desired(Some(&state.enrolments[i]));
                    if state.enrolments[i] != want {
                        let (method, status, timestart, timeend) = want.clone();
                        if state.enrolments[i].1 != 0 {
                            said.push(format!("enrolment through {m} active again"));
                        } else {
                            said.push(format!("enrolment dates through {m} changed"));
                        }
                        state.enrolments[i] = want;
                        ops.push(EnrolOp::Enrol { method, status, timestart, timeend });
                        outcome = Outcome::Updated;
                    }
                }
            }
            let roleid = role.unwrap_or_default();
            let own = owner(m);
            if l.cmd == Cmd::Shift {
                shift_roles(state, roleid, &own, &mut ops, &mut said, roles);
            }
            let comp = component(&own);
            if !state.roles.contains(&(roleid, comp.clone())) {
                state.roles.push((roleid, comp));
                ops.push(EnrolOp::Assign { roleid, method: own });
                said.push(format!("role {}", role_name(roles, roleid)));
            }
        }
        (Cmd::Add | Cmd::Shift, None) => {
            let roleid = role.unwrap_or_default();
            if l.cmd == Cmd::Shift {
                shift_roles(state, roleid, &None, &mut ops, &mut said, roles);
            }
            if !state.roles.contains(&(roleid, String::new())) {
                state.roles.push((roleid, String::new()));
                ops.push(EnrolOp::Assign { roleid, method: None });
                said.push(format!("role {} assigned (no enrolment)", role_name(roles, roleid)));
                outcome = Outcome::Created;
            }
        }
        (Cmd::Del, Some(m)) => {
            let own = owner(m);
            let comp = component(&own);
            // The line's role goes; the enrolment goes with the last role held through the
            // method (plain roles for manual, the instance's own otherwise) — or at once when
            // the line names no role.
            if let Some(r) = role
                && state.roles.contains(&(r, comp.clone()))
            {
                state.roles.retain(|x| *x != (r, comp.clone()));
                ops.push(EnrolOp::Unassign { roleid: Some(r), method: own.clone() });
                said.push(format!("role {} removed", role_name(roles, r)));
                outcome = Outcome::Deleted;
            }
            let roles_left = state.roles.iter().any(|(_, c)| *c == comp);
            match state.enrolments.iter().position(|(em, ..)| em == m) {
                Some(i) if role.is_none() || !roles_left => {
                    state.enrolments.remove(i);
                    state.roles.retain(|(_, c)| *c != comp || comp.is_empty());
                    if state.enrolments.is_empty() {
                        state.roles.clear();
                        state.groups.clear();
                    }
                    ops.push(EnrolOp::Unenrol { method: m.clone() });
                    outcome = Outcome::Deleted;
                    said.push(format!("unenrolled from {m}"));
                }
                Some(_) => said.push(format!("still enrolled through {m} with other roles")),
                None if ops.is_empty() => said.push(format!("not enrolled through {m}")),
                None => {}
            }
        }
        (Cmd::Del, None) => {
            let before = state.roles.len();
            state.roles.retain(|(r, c)| !c.is_empty() || role.is_some_and(|id| *r != id));
            if state.roles.len() < before {
                ops.push(EnrolOp::Unassign { roleid: role, method: None });
                outcome = Outcome::Deleted;
                said.push(match role {
                    Some(id) => format!("role {} removed", role_name(roles, id)),
                    None => "all roles removed".into(),
                });
            } else {
                said.push("no such role to remove".into());
            }
        }
    }
    if !ops.is_empty() && outcome == Outcome::Unchanged {
        outcome = Outcome::Updated;
    }
    if let Some(g) = l.gcmd {
        groups(req, g, known, state, &mut ops, &mut said);
        if !ops.is_empty() && outcome == Outcome::Unchanged {
            outcome = Outcome::Updated;
        }
    }
    said.extend(notes);
    let message = if said.is_empty() { "no change".into() } else { said.join("; ") };
    (outcome, message, ops)
}

fn role_name(roles: &[(i64, String)], id: i64) -> String {
    roles.iter().find(|(r, _)| *r == id).map_or(id.to_string(), |(_, n)| n.clone())
}

/// `shift` is exclusive: every other role the tool manages (plain ones, and those the
/// instance owns) goes. Roles derived from other instances (cohorts, meta links) stay.
fn shift_roles(
    state: &mut EnrolState,
    keep: i64,
    own: &Option<String>,
    ops: &mut Vec<EnrolOp>,
    said: &mut Vec<String>,
    roles: &[(i64, String)],
) {
    let owned = component(own);
    let others: Vec<(i64, String)> =
        state.roles.iter().filter(|(r, c)| *r != keep && (c.is_empty() || *c == owned)).cloned().collect();
    for (r, c) in others {
        let method = if c.is_empty() { None } else { own.clone() };
        ops.push(EnrolOp::Unassign { roleid: Some(r), method });
        state.roles.retain(|x| *x != (r, c.clone()));
        said.push(format!("role {} removed", role_name(roles, r)));
    }
}

fn groups(
    req: &Request,
    g: Gcmd,
    known: &mut Vec<String>,
    state: &mut EnrolState,
    ops: &mut Vec<EnrolOp>,
    said: &mut Vec<String>,
) {
    let l = req;
    let comp = if req.protect_groups { "tool_sync".to_string() } else { String::new() };
    let filter = req.protect_groups.then(|| comp.clone());
    let mine = |c: &String| filter.as_ref().is_none_or(|f| c == f);
    if let Gcmd::Replace { .. } = g {
        // Replacing leaves the groups not listed (only memberships the file owns, when groups
        // are protected); listed ones are kept, so a re-run changes nothing.
        let gone: Vec<String> =
            state.groups.iter().filter(|(n, c)| mine(c) && !l.groups.contains(n)).map(|(n, _)| n.clone()).collect();
        for name in gone {
            state.groups.retain(|(n, c)| !(*n == name && mine(c)));
            ops.push(EnrolOp::RemoveMembers { group: Some(name.clone()), component: filter.clone() });
            said.push(format!("left group {name}"));
        }
    }
    for name in &l.groups {
        let exists = known.contains(name);
        match g {
            Gcmd::Del => {
                if !exists {
                    said.push(format!("group {name} does not exist"));
                } else if let Some(i) = state.groups.iter().position(|(n, c)| n == name && mine(c)) {
                    state.groups.remove(i);
                    ops.push(EnrolOp::RemoveMembers { group: Some(name.clone()), component: filter.clone() });
                    said.push(format!("removed from group {name}"));
                } else {
                    said.push(format!("was not a member of group {name}"));
                }
            }
            Gcmd::Add { create } | Gcmd::Replace { create } => {
                if !exists && !create {
                    said.push(format!("group {name} does not exist in the course (use gaddcreate to create it)"));
                    continue;
                }
                if !exists {
                    known.push(name.clone());
                    ops.push(EnrolOp::CreateGroup { name: name.clone() });
                    said.push(format!("group {name} created"));
                }
                if state.enrolments.is_empty() {
                    said.push(format!("not added to group {name}: not enrolled in the course"));
                } else if !state.groups.iter().any(|(n, _)| n == name) {
                    state.groups.push((name.clone(), comp.clone()));
                    ops.push(EnrolOp::AddMember { group: name.clone(), component: comp.clone() });
                    said.push(format!("added to group {name}"));
                }
            }
        }
    }
}
