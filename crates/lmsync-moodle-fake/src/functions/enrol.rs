//! Manual enrolments, role assignments and the enrolled-users listing (spec §2.7, §2.8):
//! atomic writes, idempotent re-enrol/assign, last-unenrol cleanup.

use serde_json::{Value, json};

use super::users::{user_json, user_return};
use super::{Ctx, Function, int, items, opt_int, opt_str, str_of};
use crate::config::Config;
use crate::error::WsError;
use crate::state::{CONTEXT_COURSE, CONTEXT_COURSECAT, CONTEXT_SYSTEM, CONTEXT_USER, UserEnrolment};
use crate::validate::{Desc, Type::*, list, s, v};

pub fn functions(_cfg: &Config) -> Vec<Function> {
    let role_item = || {
        list(s(vec![
            ("roleid", v(Int)),
            ("userid", v(Int)),
            ("contextid", v(Int).opt()),
            ("contextlevel", v(Alpha).opt()),
            ("instanceid", v(Int).opt()),
        ]))
    };
    let mut enrolled = user_return();
    if let Desc::Single(keys, _) = &mut enrolled {
        keys.push((
            "roles",
            list(s(vec![("roleid", v(Int)), ("name", v(Raw)), ("shortname", v(AlphaNumExt)), ("sortorder", v(Int))]))
                .opt(),
        ));
        keys.push((
            "groups",
            list(s(vec![("id", v(Int)), ("name", v(Raw)), ("description", v(Raw)), ("descriptionformat", v(Int))]))
                .opt(),
        ));
    }
    vec![
        Function::write(
            "enrol_manual_enrol_users",
            vec![(
                "enrolments",
                list(s(vec![
                    ("roleid", v(Int)),
                    ("userid", v(Int)),
                    ("courseid", v(Int)),
                    ("timestart", v(Int).opt()),
                    ("timeend", v(Int).opt()),
                    ("suspend", v(Int).opt()),
                ])),
            )],
            None,
            enrol_users,
        )
        .cap("enrol/manual:enrol"),
        Function::write(
            "enrol_manual_unenrol_users",
            vec![("enrolments", list(s(vec![("userid", v(Int)), ("courseid", v(Int)), ("roleid", v(Int).opt())])))],
            None,
            unenrol_users,
        )
        .cap("enrol/manual:unenrol"),
        Function::write("core_role_assign_roles", vec![("assignments", role_item())], None, assign_roles)
            .cap("moodle/role:assign"),
        Function::write("core_role_unassign_roles", vec![("unassignments", role_item())], None, unassign_roles)
            .cap("moodle/role:assign"),
        Function::read(
            "core_enrol_get_enrolled_users",
            vec![
                ("courseid", v(Int)),
                ("options", list(s(vec![("name", v(AlphaNumExt)), ("value", v(Raw))])).def(json!([]))),
            ],
            list(enrolled),
            get_enrolled_users,
        )
        .cap("moodle/course:viewparticipants"),
    ]
}

/// A user that may be enrolled or given a role.
fn enrollable_user(ctx: &Ctx, userid: i64) -> Result<(), WsError> {
    let Some(u) = ctx.st.users.get(&userid) else { return Err(WsError::missing_record("user")) };
    if u.deleted {
        return Err(WsError::moodle("userdeleted", "User has been deleted"));
    }
    if !u.confirmed {
        return Err(WsError::moodle("usernotconfirmed", format!("The user {} is not confirmed", u.username)));
    }
    if userid == 1 {
        return Err(WsError::moodle("guestsarenotallowed", "The guest user is not allowed to do this"));
    }
    Ok(())
}

fn enrol_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for e in items(p, "enrolments") {
        let (courseid, userid, roleid) = (int(e, "courseid"), int(e, "userid"), int(e, "roleid"));
        let Some(ctxid) = ctx.st.course_context(courseid).filter(|_| courseid != 1) else {
            return Err(WsError::invalid_param("Context does not exist"));
        };
        let assignable = ctx.st.roles.get(&roleid).is_some_and(|r| r.levels.contains(&CONTEXT_COURSE));
        if !assignable {
            return Err(WsError::moodle(
                "wsusercannotassign",
                format!(
                    "You don't have the permission to assign this role ({roleid}) to this user ({userid}) in this course ({courseid})."
                ),
            ));
        }
        let Some(instance) = ctx.st.enabled_instance(courseid, "manual").map(|i| i.id) else {
            return Err(WsError::moodle(
                "wsnoinstance",
                format!(
                    "Manual enrolment plugin instance doesn't exist or is disabled for the course (id = {courseid})"
                ),
            ));
        };
        enrollable_user(ctx, userid)?;
        let (timestart, timeend) = (opt_int(e, "timestart").unwrap_or(0), opt_int(e, "timeend").unwrap_or(0));
        let status = (opt_int(e, "suspend").unwrap_or(0) != 0) as i64;
        let existing = ctx.st.user_enrolments.values_mut().find(|ue| ue.instanceid == instance && ue.userid == userid);
        match existing {
            Some(ue) => {
                ue.timestart = timestart;
                ue.timeend = timeend;
                ue.status = status;
            }
            None => {
                let id = ctx.st.next_id("user_enrolments");
                let ue = UserEnrolment { id, instanceid: instance, userid, timestart, timeend, status };
                ctx.st.user_enrolments.insert(id, ue);
            }
        }
        ctx.st.assign_role(userid, roleid, ctxid, "");
    }
    Ok(Value::Null)
}

fn unenrol_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for e in items(p, "enrolments") {
        let (courseid, userid) = (int(e, "courseid"), int(e, "userid"));
        if !ctx.st.courses.contains_key(&courseid) {
            return Err(WsError::missing_record("course"));
        }
        let instance = ctx.st.enrol_instances.values().find(|i| i.courseid == courseid && i.plugin == "manual");
        let Some(instance) = instance.map(|i| i.id) else {
            return Err(WsError::moodle(
                "wsnoinstance",
                format!(
                    "Manual enrolment plugin instance doesn't exist or is disabled for the course (id = {courseid})"
                ),
            ));
        };
        if ctx.st.live_user(userid).is_none() {
            return Err(WsError::missing_record("user"));
        }
        ctx.st.user_enrolments.retain(|_, ue| !(ue.instanceid == instance && ue.userid == userid));
        ctx.st.cleanup_after_unenrol(userid, courseid);
    }
    Ok(Value::Null)
}

/// The context of a role (un)assignment: `contextid`, or `contextlevel` + `instanceid`.
fn resolve_context(ctx: &Ctx, a: &Value) -> Result<i64, WsError> {
    if let Some(id) = opt_int(a, "contextid") {
        return ctx.st.contexts.get(&id).map(|c| c.id).ok_or_else(|| WsError::missing_record("context"));
    }
    let (Some(level), Some(instance)) = (opt_str(a, "contextlevel"), opt_int(a, "instanceid")) else {
        return Err(WsError::invalid_param(
            "Missing parameters, please provide either context level with instance id or contextid",
        ));
    };
    let numeric = ctx.cfg.at_least(4, 2);
    let (level, table) = match level {
        "system" => (CONTEXT_SYSTEM, "context"),
        "user" => (CONTEXT_USER, "user"),
        "coursecat" => (CONTEXT_COURSECAT, "course_categories"),
        "course" => (CONTEXT_COURSE, "course"),
        "10" if numeric => (CONTEXT_SYSTEM, "context"),
        "30" if numeric => (CONTEXT_USER, "user"),
        "40" if numeric => (CONTEXT_COURSECAT, "course_categories"),
        "50" if numeric => (CONTEXT_COURSE, "course"),
        other => return Err(WsError::invalid_param(format!("Invalid context level = {other}"))),
    };
    ctx.st.context_id(level, instance).ok_or_else(|| WsError::missing_record(table))
}

fn role_checks(ctx: &Ctx, a: &Value, verb: &str) -> Result<(i64, i64, i64), WsError> {
    let contextid = resolve_context(ctx, a)?;
    let (roleid, userid) = (int(a, "roleid"), int(a, "userid"));
    let level = ctx.st.contexts.get(&contextid).map_or(0, |c| c.level);
    if !ctx.st.roles.get(&roleid).is_some_and(|r| r.levels.contains(&level)) {
        return Err(WsError::invalid_param(format!("Can not {verb} roleid={roleid} in contextid={contextid}")));
    }
    if ctx.st.live_user(userid).is_none() {
        return Err(WsError::new(
            "coding_exception",
            "codingerror",
            "Coding error detected, it must be fixed by a programmer: User ID does not exist or is deleted!",
        ));
    }
    Ok((roleid, userid, contextid))
}

fn assign_roles(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for a in items(p, "assignments") {
        let (roleid, userid, contextid) = role_checks(ctx, a, "assign")?;
        ctx.st.assign_role(userid, roleid, contextid, "");
    }
    Ok(Value::Null)
}

fn unassign_roles(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for a in items(p, "unassignments") {
        let (roleid, userid, contextid) = role_checks(ctx, a, "unassign")?;
        ctx.st.role_assignments.retain(|_, ra| {
            !(ra.roleid == roleid && ra.userid == userid && ra.contextid == contextid && ra.component.is_empty())
        });
    }
    Ok(Value::Null)
}

const USER_FIELDS: &str = "id username fullname firstname lastname email address phone1 phone2 department institution interests firstaccess lastaccess auth confirmed idnumber lang theme timezone mailformat description descriptionformat city country profileimageurlsmall profileimageurl customfields groups roles preferences enrolledcourses suspended lastcourseaccess trackforums";

fn get_enrolled_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let courseid = int(p, "courseid");
    let Some(cctx) = ctx.st.course_context(courseid) else { return Err(WsError::missing_record("course")) };
    let opt = |name: &str| items(p, "options").iter().find(|o| str_of(o, "name") == name).map(|o| str_of(o, "value"));
    let fields: Option<Vec<&str>> = opt("userfields").map(|f| f.split(',').map(str::trim).collect());
    if let Some(bad) = fields.iter().flatten().find(|f| !USER_FIELDS.split(' ').any(|k| k == **f)) {
        return Err(WsError::moodle("invaliduserfield", format!("The user field {bad} is invalid")));
    }
    let (onlyactive, onlysuspended) = (opt("onlyactive") == Some("1"), opt("onlysuspended") == Some("1"));
    let groupid: i64 = opt("groupid").and_then(|g| g.parse().ok()).unwrap_or(0);
    let now = ctx.now;
    let st = &*ctx.st;
    // One pass over the enrolments, grouped by user: a course of thousands is listed in
    // linear time, as a database would with its indexes.
    let mut by_user: std::collections::BTreeMap<i64, Vec<&crate::state::UserEnrolment>> = Default::default();
    for ue in st.user_enrolments.values() {
        if st.enrol_instances.get(&ue.instanceid).is_some_and(|i| i.courseid == courseid) {
            by_user.entry(ue.userid).or_default().push(ue);
        }
    }
    let active = |uid: i64| {
        by_user.get(&uid).is_some_and(|ues| {
            ues.iter().any(|ue| {
                ue.status == 0
                    && st.enrol_instances.get(&ue.instanceid).is_some_and(|i| i.status == 0)
                    && ue.timestart <= now
                    && (ue.timeend == 0 || ue.timeend > now)
            })
        })
    };
    let mut users: Vec<i64> = by_user.keys().copied().filter(|u| st.live_user(*u).is_some()).collect();
    users.retain(|u| (!onlyactive || active(*u)) && (!onlysuspended || !active(*u)));
    if groupid > 0 {
        users.retain(|u| st.group_members.iter().any(|m| m.groupid == groupid && m.userid == *u));
    }
    let sortby = opt("sortby").unwrap_or("id");
    let key = |u: &i64| {
        let user = &st.users[u];
        match sortby {
            "firstname" => user.firstname.clone(),
            "lastname" => user.lastname.clone(),
            _ => format!("{u:020}"),
        }
    };
    users.sort_by_key(key);
    if opt("sortdirection") == Some("DESC") {
        users.reverse();
    }
    let from = opt("limitfrom").and_then(|x| x.parse().ok()).unwrap_or(0usize);
    let number = opt("limitnumber").and_then(|x| x.parse().ok()).filter(|n: &usize| *n > 0).unwrap_or(usize::MAX);
    let page: Vec<i64> = users.into_iter().skip(from).take(number).collect();
    let wanted: std::collections::HashSet<i64> = page.iter().copied().collect();
    let mut roles_of: std::collections::HashMap<i64, Vec<Value>> = Default::default();
    for ra in ctx.st.role_assignments.values().filter(|ra| ra.contextid == cctx && wanted.contains(&ra.userid)) {
        if let Some(r) = ctx.st.roles.get(&ra.roleid) {
            let role = json!({"roleid": r.id, "name": r.name, "shortname": r.shortname, "sortorder": r.id});
            roles_of.entry(ra.userid).or_default().push(role);
        }
    }
    let course_groups: Vec<&crate::state::Group> = ctx.st.groups.values().filter(|g| g.courseid == courseid).collect();
    let mut groups_of: std::collections::HashMap<i64, Vec<Value>> = Default::default();
    for g in &course_groups {
        for m in ctx.st.group_members.iter().filter(|m| m.groupid == g.id && wanted.contains(&m.userid)) {
            let group = json!({"id": g.id, "name": g.name, "description": g.description, "descriptionformat": g.descriptionformat});
            groups_of.entry(m.userid).or_default().push(group);
        }
    }
    let mut out = Vec::new();
    for uid in page {
        let user = ctx.st.users[&uid].clone();
        let mut o = user_json(ctx, &user);
        let roles = roles_of.remove(&uid).unwrap_or_default();
        let groups = groups_of.remove(&uid).unwrap_or_default();
        o["roles"] = Value::Array(roles);
        o["groups"] = Value::Array(groups);
        if let (Some(fields), Value::Object(map)) = (&fields, &mut o) {
            map.retain(|k, _| {
                k == "id" || k == "fullname" || k.starts_with("profileimageurl") || fields.contains(&k.as_str())
            });
        }
        out.push(o);
    }
    Ok(Value::Array(out))
}
