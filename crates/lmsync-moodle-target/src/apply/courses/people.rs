//! Who comes with a course line on Moodle: its self and guest enrolment methods, which no core
//! web service enables or disables (spec §2.13: a line asking for another state than the
//! course has fails saying what to do in Moodle), and its teachers, enrolled through the manual
//! method with their role (both dates sent as 0, spec §2.7) or, already participants, given it.

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, CourseWrite, InstanceState};
use lmsync_moodle::{Param, Params};
use std::collections::HashMap;

use crate::apply::Work;
use crate::apply::enrols::{course_context, enrolment_param};
use crate::calls::write;
use crate::lookups::enrols as rosters;
use crate::records::{self, EnrolRecord};
use crate::{MoodleTarget, local_failure};

/// Why the course's self/guest methods (`enabled`: the kinds with an enabled instance) are not
/// as the line asks.
pub(super) fn instance_refusal(cw: &CourseWrite, enabled: &[String]) -> Option<ChangeError> {
    for (method, wanted) in [("self", cw.self_enrol), ("guest", cw.guest)] {
        let Some(wanted) = wanted else { continue };
        let on = enabled.iter().any(|m| m == method);
        let (is, verb) = match (wanted, on) {
            (InstanceState::Enabled, false) => ("disabled (or absent)", "add or enable"),
            (InstanceState::Disabled, true) => ("enabled", "disable"),
            _ => continue,
        };
        let defaults = if cw.before.is_none() {
            format!(
                "; the methods of new courses are set in Site administration > Plugins > Enrolments > {}",
                if method == "self" { "Self enrolment" } else { "Guest access" }
            )
        } else {
            String::new()
        };
        return Some(ChangeError::new(
            "moodle.unsupported",
            format!(
                "course {}: its {method} enrolment method is {is}, and Moodle's web services cannot enable or disable an enrolment method; {verb} it in the course's Participants > Enrolment methods page{defaults}",
                cw.course.shortname
            ),
        ));
    }
    None
}

fn check_instances(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    i: usize,
    course: i64,
    cw: &CourseWrite,
) -> Result<(), TargetError> {
    if cw.self_enrol.is_none() && cw.guest.is_none() {
        return Ok(());
    }
    let enabled: Vec<String> =
        rosters::instances(t, course)?.into_iter().filter(|(_, on)| *on).map(|(m, _)| m).collect();
    if let Some(e) = instance_refusal(cw, &enabled) {
        w.fail(i, e);
    }
    Ok(())
}

/// Fails the updates asking for self/guest states their course does not have, before anything
/// is sent.
pub(super) fn precheck(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    lines: &[(usize, &CourseWrite)],
) -> Result<(), TargetError> {
    for (i, cw) in lines {
        if let Some(b) = cw.before.as_ref().filter(|_| w.alive(*i)) {
            check_instances(t, w, *i, b.id, cw)?;
        }
    }
    Ok(())
}

/// Checks the new courses' self/guest methods (the site's defaults) and enrols the teachers.
pub(super) fn apply(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    lines: &[(usize, &CourseWrite)],
    wrote: &mut HashMap<usize, bool>,
) -> Result<(), TargetError> {
    for (i, cw) in lines {
        let course = w.ids[*i];
        if cw.before.is_none() && course > 0 && w.alive(*i) {
            check_instances(t, w, *i, course, cw)?;
        }
    }
    let with_teachers: Vec<(usize, &CourseWrite)> =
        lines.iter().filter(|(i, cw)| w.alive(*i) && w.ids[*i] > 0 && !cw.teachers.is_empty()).copied().collect();
    if with_teachers.is_empty() {
        return Ok(());
    }
    let courses: Vec<i64> = with_teachers.iter().map(|(i, _)| w.ids[*i]).collect();
    rosters::load(t, &courses)?;
    let mut enrol: Vec<(usize, (i64, i64, i64))> = Vec::new();
    let mut assign: Vec<(usize, (i64, i64, i64))> = Vec::new();
    for (i, cw) in &with_teachers {
        let course = w.ids[*i];
        for teacher in &cw.teachers {
            let member = t.rosters.get(&course).and_then(|r| r.members.get(&teacher.userid));
            match member {
                Some(m) if m.roles.contains(&teacher.roleid) => {}
                // A participant keeps their enrolment (and its dates): only the role is given.
                Some(_) => assign.push((*i, (course, teacher.userid, teacher.roleid))),
                None => enrol.push((*i, (course, teacher.userid, teacher.roleid))),
            }
        }
    }
    // A teacher's enrolment: active, without dates.
    let record = EnrolRecord { method: "manual".into(), status: 0, timestart: 0, timeend: 0 };
    let done = write(
        &t.client,
        "enrol_manual_enrol_users",
        &enrol,
        |items| {
            Params::new().with(
                "enrolments",
                Param::list(
                    items.iter().map(|(_, (course, user, role))| enrolment_param(*course, *user, *role, &record)),
                ),
            )
        },
        &mut w.failures,
    )?;
    let site = t.site_key().to_string();
    for ((i, (course, user, _)), answer) in enrol.iter().zip(&done) {
        if answer.is_some() {
            wrote.insert(*i, true);
            records::set_enrolment(t.local.connection(), &site, *course, *user, &record).map_err(local_failure)?;
        }
    }
    let done = write(
        &t.client,
        "core_role_assign_roles",
        &assign,
        |items| {
            Params::new().with(
                "assignments",
                Param::list(items.iter().map(|(_, (course, user, role))| course_context(*course, *user, *role))),
            )
        },
        &mut w.failures,
    )?;
    for ((i, _), answer) in assign.iter().zip(&done) {
        if answer.is_some() {
            wrote.insert(*i, true);
        }
    }
    for c in courses {
        t.rosters.remove(&c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_or_guest_state_the_course_lacks_is_refused_saying_where_to_set_it() {
        let mut cw = CourseWrite::default();
        cw.course.shortname = "C".into();
        cw.self_enrol = Some(InstanceState::Enabled);
        let e = instance_refusal(&cw, &["manual".into()]).unwrap();
        assert!(e.message.contains("self enrolment method is disabled"), "{}", e.message);
        assert!(e.message.contains("Site administration"), "a new course: {}", e.message);
        assert!(instance_refusal(&cw, &["manual".into(), "self".into()]).is_none());
        cw.self_enrol = None;
        cw.guest = Some(InstanceState::Disabled);
        cw.before = Some(Default::default());
        let e = instance_refusal(&cw, &["guest".into()]).unwrap();
        assert!(e.message.contains("disable it"), "{}", e.message);
        assert!(instance_refusal(&cw, &[]).is_none());
    }
}
