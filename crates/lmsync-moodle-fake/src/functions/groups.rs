//! Groups and groupings (spec §2.9): per-course unique names and idnumbers, enrolled-only
//! members, plugin-owned memberships, grouping assignment; all writes atomic.

use serde_json::{Value, json};

use super::{Ctx, Function, boolean, copy_strs, fmt_name, int, items, opt_int, opt_str, str_of};
use crate::config::Config;
use crate::error::WsError;
use crate::state::{Group, GroupMember, Grouping};
use crate::validate::{Desc, Type::*, list, s, v};

fn group_desc(cfg: &Config, create_in: bool, update_in: bool) -> Desc {
    let req_on_create = |d: Desc| if update_in { d.opt() } else { d };
    let mut keys = vec![];
    if !create_in {
        keys.push(("id", v(Int)));
    }
    if !update_in {
        keys.push(("courseid", v(Int)));
    }
    keys.extend([
        ("name", v(Text)),
        ("description", req_on_create(v(Raw))),
        ("descriptionformat", v(Int).def(1)),
        ("enrolmentkey", if create_in || update_in { v(Raw).opt() } else { v(Raw) }),
        ("idnumber", if create_in || update_in { v(Raw).opt() } else { v(Raw) }),
    ]);
    if cfg.at_least(4, 2) {
        let (vis, part) = match (create_in, update_in) {
            (true, _) => (v(Int).def(0), v(Bool).def(true)),
            (_, true) => (v(Int).opt(), v(Bool).opt()),
            _ => (v(Int), v(Bool)),
        };
        keys.extend([("visibility", vis), ("participation", part)]);
    }
    s(keys)
}

fn grouping_desc(create_in: bool, update_in: bool) -> Desc {
    let mut keys = vec![];
    if !create_in {
        keys.push(("id", v(Int)));
    }
    if !update_in {
        keys.push(("courseid", v(Int)));
    }
    keys.extend([
        ("name", v(Text)),
        ("description", v(Raw)),
        ("descriptionformat", v(Int).def(1)),
        ("idnumber", if create_in || update_in { v(Raw).opt() } else { v(Raw) }),
    ]);
    if !create_in && !update_in {
        keys.push(("groups", list(group_desc_plain()).opt()));
    }
    s(keys)
}

fn group_desc_plain() -> Desc {
    s(vec![
        ("id", v(Int)),
        ("courseid", v(Int)),
        ("name", v(Text)),
        ("description", v(Raw)),
        ("descriptionformat", v(Int)),
        ("enrolmentkey", v(Raw)),
        ("idnumber", v(Raw)),
    ])
}

fn pairs(a: &'static str, b: &'static str) -> Desc {
    list(s(vec![(a, v(Int)), (b, v(Int))]))
}

pub fn functions(cfg: &Config) -> Vec<Function> {
    let out = || list(group_desc(cfg, false, false));
    let ids = || list(v(Int));
    vec![
        Function::read("core_group_get_course_groups", vec![("courseid", v(Int))], out(), get_course_groups),
        Function::read("core_group_get_groups", vec![("groupids", ids())], out(), get_groups),
        Function::write(
            "core_group_create_groups",
            vec![("groups", list(group_desc(cfg, true, false)))],
            Some(out()),
            create_groups,
        )
        .cap("moodle/course:managegroups"),
        Function::write(
            "core_group_update_groups",
            vec![("groups", list(group_desc(cfg, false, true)))],
            None,
            update_groups,
        )
        .cap("moodle/course:managegroups"),
        Function::write("core_group_delete_groups", vec![("groupids", ids())], None, delete_groups)
            .cap("moodle/course:managegroups"),
        Function::read(
            "core_group_get_group_members",
            vec![("groupids", ids())],
            list(s(vec![("groupid", v(Int)), ("userids", list(v(Int)))])),
            get_group_members,
        ),
        Function::write(
            "core_group_add_group_members",
            vec![("members", pairs("groupid", "userid"))],
            None,
            add_members,
        )
        .cap("moodle/course:managegroups"),
        Function::write(
            "core_group_delete_group_members",
            vec![("members", pairs("groupid", "userid"))],
            None,
            delete_members,
        )
        .cap("moodle/course:managegroups"),
        Function::read(
            "core_group_get_course_user_groups",
            vec![("courseid", v(Int).def(0)), ("userid", v(Int).def(0)), ("groupingid", v(Int).def(0))],
            s(vec![
                (
                    "groups",
                    list(s(vec![
                        ("id", v(Int)),
                        ("name", v(Text)),
                        ("description", v(Raw)),
                        ("descriptionformat", v(Int)),
                        ("idnumber", v(Raw)),
                        ("courseid", v(Int).opt()),
                    ])),
                ),
                ("warnings", super::warnings_desc()),
            ]),
            get_course_user_groups,
        ),
        Function::read(
            "core_group_get_course_groupings",
            vec![("courseid", v(Int))],
            list(grouping_desc(false, false)),
            get_course_groupings,
        ),
        Function::read(
            "core_group_get_groupings",
            vec![("groupingids", ids()), ("returngroups", v(Bool).def(false))],
            list(grouping_desc(false, false)),
            get_groupings,
        ),
        Function::write(
            "core_group_create_groupings",
            vec![("groupings", list(grouping_desc(true, false)))],
            Some(list(grouping_desc(false, false))),
            create_groupings,
        )
        .cap("moodle/course:managegroups"),
        Function::write(
            "core_group_update_groupings",
            vec![("groupings", list(grouping_desc(false, true)))],
            None,
            update_groupings,
        )
        .cap("moodle/course:managegroups"),
        Function::write("core_group_delete_groupings", vec![("groupingids", ids())], None, delete_groupings)
            .cap("moodle/course:managegroups"),
        Function::write(
            "core_group_assign_grouping",
            vec![("assignments", pairs("groupingid", "groupid"))],
            None,
            assign_grouping,
        )
        .cap("moodle/course:managegroups"),
        Function::write(
            "core_group_unassign_grouping",
            vec![("unassignments", pairs("groupingid", "groupid"))],
            None,
            unassign_grouping,
        )
        .cap("moodle/course:managegroups"),
    ]
}

fn group_json(ctx: &Ctx, g: &Group) -> Value {
    json!({"id": g.id, "courseid": g.courseid, "name": fmt_name(ctx, &g.name), "description": g.description,
        "descriptionformat": g.descriptionformat, "enrolmentkey": g.enrolmentkey, "idnumber": g.idnumber,
        "visibility": g.visibility, "participation": g.participation})
}

fn grouping_json(ctx: &Ctx, g: &Grouping, with_groups: bool) -> Value {
    let mut o = json!({"id": g.id, "courseid": g.courseid, "name": fmt_name(ctx, &g.name), "description": g.description,
        "descriptionformat": g.descriptionformat, "idnumber": g.idnumber});
    if with_groups {
        let groups: Vec<Value> = ctx
            .st
            .grouping_groups
            .iter()
            .filter(|(gg, _)| *gg == g.id)
            .filter_map(|(_, gid)| ctx.st.groups.get(gid))
            .map(|gr| group_json(ctx, gr))
            .collect();
        o["groups"] = Value::Array(groups);
    }
    o
}

fn course_ctx_error(courseid: i64) -> WsError {
    WsError::moodle(
        "errorcoursecontextnotvalid",
        format!(
            "You cannot execute functions in the course context (course id:{courseid}). The context error message was: Can't find data record in database table course."
        ),
    )
}

fn group(ctx: &Ctx, id: i64) -> Result<Group, WsError> {
    ctx.st.groups.get(&id).cloned().ok_or_else(|| WsError::missing_record("groups"))
}

fn get_course_groups(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let courseid = int(p, "courseid");
    if !ctx.st.courses.contains_key(&courseid) {
        return Err(course_ctx_error(courseid));
    }
    Ok(Value::Array(ctx.st.groups.values().filter(|g| g.courseid == courseid).map(|g| group_json(ctx, g)).collect()))
}

fn get_groups(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let ids: Vec<i64> = items(p, "groupids").iter().filter_map(Value::as_i64).collect();
    ids.iter().map(|id| group(ctx, *id).map(|g| group_json(ctx, &g))).collect::<Result<_, _>>().map(Value::Array)
}

/// Name and idnumber rules shared by groups and groupings of one course.
/// `others` = (name, idnumber) of the course's other groups or groupings.
fn check_unique(kind: &str, name: &str, idnumber: &str, others: &[(&str, &str)], update: bool) -> Result<(), WsError> {
    if name.trim().is_empty() {
        return Err(WsError::invalid_param(format!("Invalid {kind} name")));
    }
    if others.iter().any(|(n, _)| *n == name) {
        return Err(WsError::invalid_param(if update {
            format!("A different {kind} with the same name already exists in the course")
        } else {
            let mut k = kind.to_string();
            k[..1].make_ascii_uppercase();
            format!("{k} with the same name already exists in the course")
        }));
    }
    if !idnumber.is_empty() && others.iter().any(|(_, i)| *i == idnumber) {
        return Err(WsError::moodle("idnumbertaken", "This ID number is already in use"));
    }
    Ok(())
}

fn check_group(ctx: &Ctx, g: &Group, update: bool) -> Result<(), WsError> {
    let others: Vec<(&str, &str)> = ctx
        .st
        .groups
        .values()
        .filter(|x| x.courseid == g.courseid && x.id != g.id)
        .map(|x| (x.name.as_str(), x.idnumber.as_str()))
        .collect();
    check_unique("group", &g.name, &g.idnumber, &others, update)?;
    if !(0..=3).contains(&g.visibility) {
        return Err(WsError::invalid_param("Invalid group visibility"));
    }
    Ok(())
}

fn apply_group(g: &mut Group, p: &Value) {
    copy_strs(
        p,
        [
            ("name", &mut g.name),
            ("description", &mut g.description),
            ("enrolmentkey", &mut g.enrolmentkey),
            ("idnumber", &mut g.idnumber),
        ],
    );
    if let Some(f) = opt_int(p, "descriptionformat") {
        g.descriptionformat = f;
    }
    if let Some(vis) = opt_int(p, "visibility") {
        g.visibility = vis;
    }
    if let Some(part) = p.get("participation").and_then(Value::as_bool) {
        g.participation = part;
    }
}

fn create_groups(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for item in items(p, "groups") {
        let courseid = int(item, "courseid");
        if !ctx.st.courses.contains_key(&courseid) {
            return Err(course_ctx_error(courseid));
        }
        let mut g = Group { courseid, participation: true, ..Group::default() };
        apply_group(&mut g, item);
        check_group(ctx, &g, false)?;
        g.id = ctx.st.next_id("groups");
        out.push(group_json(ctx, &g));
        ctx.st.groups.insert(g.id, g);
    }
    Ok(Value::Array(out))
}

fn update_groups(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for item in items(p, "groups") {
        let id = int(item, "id");
        let Some(mut g) = ctx.st.groups.get(&id).cloned() else {
            return Err(WsError::invalid_param(format!("Group {id} does not exist")));
        };
        let before = (g.visibility, g.participation);
        apply_group(&mut g, item);
        let has_members = ctx.st.group_members.iter().any(|m| m.groupid == id);
        if has_members && before != (g.visibility, g.participation) {
            return Err(WsError::invalid_param(
                "The visibility of this group cannot be changed because it has members",
            ));
        }
        check_group(ctx, &g, true)?;
        ctx.st.groups.insert(id, g);
    }
    Ok(Value::Null)
}

fn delete_groups(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for id in items(p, "groupids").iter().filter_map(Value::as_i64) {
        ctx.st.groups.remove(&id);
        ctx.st.group_members.retain(|m| m.groupid != id);
        ctx.st.grouping_groups.retain(|(_, g)| *g != id);
    }
    Ok(Value::Null)
}

fn get_group_members(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for id in items(p, "groupids").iter().filter_map(Value::as_i64) {
        group(ctx, id)?;
        let users: Vec<i64> = ctx.st.group_members.iter().filter(|m| m.groupid == id).map(|m| m.userid).collect();
        out.push(json!({"groupid": id, "userids": users}));
    }
    Ok(Value::Array(out))
}

fn get_course_user_groups(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let userid = match int(p, "userid") {
        0 => ctx.userid,
        u => u,
    };
    let (courseid, groupingid) = (int(p, "courseid"), int(p, "groupingid"));
    let groups: Vec<Value> = ctx
        .st
        .groups
        .values()
        .filter(|g| courseid == 0 || g.courseid == courseid)
        .filter(|g| ctx.st.group_members.iter().any(|m| m.groupid == g.id && m.userid == userid))
        .filter(|g| groupingid == 0 || ctx.st.grouping_groups.contains(&(groupingid, g.id)))
        .map(|g| {
            json!({"id": g.id, "name": fmt_name(ctx, &g.name), "description": g.description,
            "descriptionformat": g.descriptionformat, "idnumber": g.idnumber, "courseid": g.courseid})
        })
        .collect();
    Ok(json!({"groups": groups, "warnings": []}))
}

fn member_checks(ctx: &Ctx, m: &Value) -> Result<(Group, i64), WsError> {
    let g = group(ctx, int(m, "groupid"))?;
    let userid = int(m, "userid");
    if ctx.st.live_user(userid).is_none() {
        return Err(WsError::missing_record("user"));
    }
    Ok((g, userid))
}

fn add_members(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for m in items(p, "members") {
        let (g, userid) = member_checks(ctx, m)?;
        if !ctx.st.is_enrolled(userid, g.courseid) {
            return Err(WsError::invalid_param("Only enrolled users may be members of groups"));
        }
        if !ctx.st.group_members.iter().any(|x| x.groupid == g.id && x.userid == userid) {
            ctx.st.group_members.push(GroupMember { groupid: g.id, userid, component: String::new() });
        }
    }
    Ok(Value::Null)
}

fn delete_members(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for m in items(p, "members") {
        let (g, userid) = member_checks(ctx, m)?;
        let owned =
            ctx.st.group_members.iter().any(|x| x.groupid == g.id && x.userid == userid && !x.component.is_empty());
        if owned {
            return Err(WsError::moodle(
                "errorremovenotpermitted",
                "You do not have the permission to remove this member",
            ));
        }
        ctx.st.group_members.retain(|x| !(x.groupid == g.id && x.userid == userid));
    }
    Ok(Value::Null)
}

fn get_course_groupings(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let courseid = int(p, "courseid");
    if !ctx.st.courses.contains_key(&courseid) {
        return Err(course_ctx_error(courseid));
    }
    let list = ctx.st.groupings.values().filter(|g| g.courseid == courseid).map(|g| grouping_json(ctx, g, false));
    Ok(Value::Array(list.collect()))
}

fn grouping(ctx: &Ctx, id: i64) -> Result<Grouping, WsError> {
    ctx.st.groupings.get(&id).cloned().ok_or_else(|| WsError::missing_record("groupings"))
}

fn get_groupings(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let with = boolean(p, "returngroups");
    let ids: Vec<i64> = items(p, "groupingids").iter().filter_map(Value::as_i64).collect();
    ids.iter()
        .map(|id| grouping(ctx, *id).map(|g| grouping_json(ctx, &g, with)))
        .collect::<Result<_, _>>()
        .map(Value::Array)
}

fn check_grouping(ctx: &Ctx, g: &Grouping, update: bool) -> Result<(), WsError> {
    let others: Vec<(&str, &str)> = ctx
        .st
        .groupings
        .values()
        .filter(|x| x.courseid == g.courseid && x.id != g.id)
        .map(|x| (x.name.as_str(), x.idnumber.as_str()))
        .collect();
    check_unique("grouping", &g.name, &g.idnumber, &others, update)
}

fn apply_grouping(g: &mut Grouping, p: &Value) {
    g.name = str_of(p, "name").into();
    g.description = str_of(p, "description").into();
    g.descriptionformat = int(p, "descriptionformat");
    if let Some(i) = opt_str(p, "idnumber") {
        g.idnumber = i.into();
    }
}

fn create_groupings(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for item in items(p, "groupings") {
        let courseid = int(item, "courseid");
        if !ctx.st.courses.contains_key(&courseid) {
            return Err(course_ctx_error(courseid));
        }
        let mut g = Grouping { courseid, ..Grouping::default() };
        apply_grouping(&mut g, item);
        check_grouping(ctx, &g, false)?;
        g.id = ctx.st.next_id("groupings");
        out.push(grouping_json(ctx, &g, false));
        ctx.st.groupings.insert(g.id, g);
    }
    Ok(Value::Array(out))
}

fn update_groupings(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for item in items(p, "groupings") {
        let id = int(item, "id");
        let Some(mut g) = ctx.st.groupings.get(&id).cloned() else {
            return Err(WsError::invalid_param(format!("Grouping {id} does not exist in the course")));
        };
        apply_grouping(&mut g, item);
        check_grouping(ctx, &g, true)?;
        ctx.st.groupings.insert(id, g);
    }
    Ok(Value::Null)
}

fn delete_groupings(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for id in items(p, "groupingids").iter().filter_map(Value::as_i64) {
        ctx.st.groupings.remove(&id);
        ctx.st.grouping_groups.retain(|(g, _)| *g != id);
    }
    Ok(Value::Null)
}

fn assign_grouping(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for a in items(p, "assignments") {
        let (gg, g) = (grouping(ctx, int(a, "groupingid"))?.id, group(ctx, int(a, "groupid"))?.id);
        if !ctx.st.grouping_groups.contains(&(gg, g)) {
            ctx.st.grouping_groups.push((gg, g));
        }
    }
    Ok(Value::Null)
}

fn unassign_grouping(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for a in items(p, "unassignments") {
        let (gg, g) = (grouping(ctx, int(a, "groupingid"))?.id, group(ctx, int(a, "groupid"))?.id);
        ctx.st.grouping_groups.retain(|x| *x != (gg, g));
    }
    Ok(Value::Null)
}
