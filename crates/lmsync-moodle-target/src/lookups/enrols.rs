//! Who holds what in a course: the participants with their roles and groups
//! (`core_enrol_get_enrolled_users`, 1000 a page; suspended ones from `onlysuspended`), and the
//! enrolment method and dates lmsync recorded when it enrolled them — Moodle returns neither.

use lmsync_core::target::TargetError;
use lmsync_model::EnrolState;
use lmsync_moodle::{Param, Params};
use std::collections::{BTreeSet, HashMap};

use crate::calls::read_all;
use crate::json::{int, list, text};
use crate::records::{self, EnrolRecord};
use crate::{MoodleTarget, local_failure, stop};

const LIST: &str = "core_enrol_get_enrolled_users";
const PAGE: i64 = 1000;

/// One participant of a course.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Member {
    pub suspended: bool,
    pub roles: Vec<i64>,
    /// Group names.
    pub groups: Vec<String>,
}

/// The participants of a course, by user id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    pub members: HashMap<i64, Member>,
}

fn page(course: i64, from: i64, suspended: bool) -> Params {
    let mut options = vec![
        Param::obj([("name", Param::from("userfields")), ("value", Param::from("id,roles,groups"))]),
        Param::obj([("name", Param::from("limitfrom")), ("value", Param::from(from.to_string()))]),
        Param::obj([("name", Param::from("limitnumber")), ("value", Param::from(PAGE.to_string()))]),
    ];
    if suspended {
        options.push(Param::obj([("name", Param::from("onlysuspended")), ("value", Param::from("1"))]));
    }
    Params::new().with("courseid", course).with("options", Param::List(options))
}

/// Fetches the rosters of `courses` not known yet, several courses at once.
pub(crate) fn load(t: &mut MoodleTarget, courses: &[i64]) -> Result<(), TargetError> {
    let mut wanted: Vec<i64> = courses.iter().copied().filter(|c| !t.rosters.contains_key(c)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let suspended_too = t.site.enrolled_users_onlysuspended();
    let mut rosters: HashMap<i64, Roster> = wanted.iter().map(|c| (*c, Roster::default())).collect();
    let mut suspended: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    // Page by page: first pages of every course at once, then the next pages of the courses
    // whose page was full.
    let mut todo: Vec<(i64, i64, bool)> = wanted.iter().map(|c| (*c, 0, false)).collect();
    if suspended_too {
        todo.extend(wanted.iter().map(|c| (*c, 0, true)));
    }
    while !todo.is_empty() {
        let calls = todo.iter().map(|(c, from, s)| page(*c, *from, *s)).collect();
        let answers = read_all(&t.client, LIST, calls).map_err(stop)?;
        let mut next = Vec::new();
        for ((course, from, only_suspended), answer) in todo.iter().zip(&answers) {
            let users = list(answer, None);
            for u in users {
                let id = int(u, "id");
                if *only_suspended {
                    suspended.entry(*course).or_default().insert(id);
                    continue;
                }
                let member = Member {
                    suspended: false,
                    roles: list(u, Some("roles")).iter().map(|r| int(r, "roleid")).collect(),
                    groups: list(u, Some("groups")).iter().map(|g| text(g, "name")).collect(),
                };
                if let Some(r) = rosters.get_mut(course) {
                    r.members.insert(id, member);
                }
            }
            if users.len() as i64 >= PAGE {
                next.push((*course, from + PAGE, *only_suspended));
            }
        }
        todo = next;
    }
    for (course, ids) in suspended {
        if let Some(r) = rosters.get_mut(&course) {
            for id in ids {
                if let Some(m) = r.members.get_mut(&id) {
                    m.suspended = true;
                }
            }
        }
    }
    t.rosters.extend(rosters);
    Ok(())
}

/// The roster of one course.
pub(crate) fn roster(t: &mut MoodleTarget, course: i64) -> Result<Roster, TargetError> {
    load(t, &[course])?;
    Ok(t.rosters.get(&course).cloned().unwrap_or_default())
}

/// Enrolment instances of a course as the planner sees them. Moodle lists only which kinds
/// have an enabled instance (`enrollmentmethods`); `manual` is where lmsync enrols, and `sync`
/// is carried out as manual (DECISIONS §5), so both are always there.
pub(crate) fn instances(t: &mut MoodleTarget, course: i64) -> Result<Vec<(String, bool)>, TargetError> {
    if let Some(known) = t.instances.get(&course) {
        return Ok(known.clone());
    }
    let params = Params::new().with("field", "id").with("value", course.to_string());
    let answer = t.client.call_raw("core_course_get_courses_by_field", &params).map_err(stop)?;
    let mut out = vec![("manual".to_string(), true), ("sync".to_string(), true)];
    for c in list(&answer, Some("courses")) {
        for m in list(c, Some("enrollmentmethods")) {
            let m = m.as_str().unwrap_or_default().to_string();
            if !out.iter().any(|(have, _)| *have == m) {
                out.push((m, true));
            }
        }
    }
    t.instances.insert(course, out.clone());
    Ok(out)
}

/// What each (course, user) pair holds.
pub(crate) fn states(t: &mut MoodleTarget, pairs: &[(i64, i64)]) -> Result<Vec<EnrolState>, TargetError> {
    let courses: Vec<i64> = pairs.iter().map(|(c, _)| *c).collect();
    load(t, &courses)?;
    let site = t.site_key().to_string();
    let mut recorded: HashMap<i64, HashMap<i64, EnrolRecord>> = HashMap::new();
    let mut owners: HashMap<i64, HashMap<(i64, String), String>> = HashMap::new();
    let mut out = Vec::with_capacity(pairs.len());
    for (course, user) in pairs {
        let Some(member) = t.rosters.get(course).and_then(|r| r.members.get(user)) else {
            out.push(EnrolState::default());
            continue;
        };
        if !recorded.contains_key(course) {
            let conn = t.local.connection();
            recorded.insert(*course, records::course_enrolments(conn, &site, *course).map_err(local_failure)?);
            owners.insert(*course, records::course_memberships(conn, &site, *course).map_err(local_failure)?);
        }
        let record = recorded.get(course).and_then(|r| r.get(user));
        let mut state = state_of(member, record, now());
        if let Some(owned) = owners.get(course) {
            for (group, component) in &mut state.groups {
                if let Some(c) = owned.get(&(*user, group.clone())) {
                    component.clone_from(c);
                }
            }
        }
        out.push(state);
    }
    Ok(out)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A participant as the planner sees them: with the status and dates lmsync set (unknown dates
/// read as 0), enrolled through both manual and sync, and holding each role as both methods'
/// own. On Moodle the two are one enrolment (sync is carried out through the manual instance),
/// so a line naming either method finds it, and a file naming the other method afterwards does
/// not enrol again (which would also reset its dates).
pub(crate) fn state_of(member: &Member, record: Option<&EnrolRecord>, now: i64) -> EnrolState {
    // `onlysuspended` lists every enrolment not active now: suspended ones, and also active ones
    // whose start is still to come or whose end has passed. When lmsync made the enrolment active
    // with such dates, that is what Moodle lists, not a suspension.
    let outside_dates = |r: &EnrolRecord| r.timestart > now || (r.timeend != 0 && r.timeend <= now);
    let status = match record {
        Some(r) if member.suspended && r.status == 0 && outside_dates(r) => 0,
        _ => i64::from(member.suspended),
    };
    let (timestart, timeend) = record.map_or((0, 0), |r| (r.timestart, r.timeend));
    // Plain roles for manual; the planner expects a sync enrolment's roles to be its own.
    let components = [String::new(), "enrol_sync".to_string()];
    EnrolState {
        enrolments: ["manual", "sync"].iter().map(|m| (m.to_string(), status, timestart, timeend)).collect(),
        roles: member.roles.iter().flat_map(|r| components.iter().map(move |c| (*r, c.clone()))).collect(),
        groups: member.groups.iter().map(|g| (g.clone(), String::new())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_participant_reads_as_enrolled_through_manual_and_sync_alike() {
        let m = Member { suspended: true, roles: vec![5], groups: vec!["A".into()] };
        let s = state_of(&m, None, 100);
        assert_eq!(s.enrolments, vec![("manual".into(), 1, 0, 0), ("sync".into(), 1, 0, 0)]);
        assert_eq!(s.roles, vec![(5, String::new()), (5, "enrol_sync".into())]);
        assert_eq!(s.groups, vec![("A".into(), String::new())]);
        // The dates are those lmsync recorded, whichever of the two methods it named.
        let r = EnrolRecord { method: "sync".into(), status: 0, timestart: 7, timeend: 9 };
        let s = state_of(&Member { roles: vec![5], ..Member::default() }, Some(&r), 8);
        assert_eq!(s.enrolments, vec![("manual".into(), 0, 7, 9), ("sync".into(), 0, 7, 9)]);
    }

    #[test]
    fn an_active_enrolment_outside_its_dates_is_not_read_as_suspended() {
        // Moodle lists it among the suspended ones (not active now); lmsync made it active.
        let listed = Member { suspended: true, roles: vec![5], groups: Vec::new() };
        let status = |r: &EnrolRecord| state_of(&listed, Some(r), 100).enrolments[0].1;
        let future = EnrolRecord { method: "manual".into(), status: 0, timestart: 200, timeend: 0 };
        assert_eq!(status(&future), 0);
        assert_eq!(status(&EnrolRecord { timestart: 0, timeend: 50, ..future.clone() }), 0);
        // Within its dates, or suspended by lmsync, the listing is a suspension.
        assert_eq!(status(&EnrolRecord { timestart: 50, ..future.clone() }), 1);
        assert_eq!(status(&EnrolRecord { status: 1, ..future }), 1);
    }
}
