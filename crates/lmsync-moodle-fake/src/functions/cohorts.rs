//! Cohorts (spec §2.10): list, search, create, update, delete, members (add with the
//! per-item warning codes 1/2/3 inside one transaction); cohort-sync instances kept in step.

use serde_json::{Value, json};

use super::{Ctx, Function, int, items, opt_str, str_of, warnings_desc};
use crate::config::Config;
use crate::error::WsError;
use crate::state::{CONTEXT_COURSECAT, CONTEXT_SYSTEM, Cohort, UserEnrolment};
use crate::validate::{Desc, Type::*, list, s, v};

fn type_value() -> Desc {
    s(vec![("type", v(Text)), ("value", v(Raw))])
}

fn cohort_desc() -> Desc {
    s(vec![
        ("id", v(Int)),
        ("name", v(Raw)),
        ("idnumber", v(Raw)),
        ("description", v(Raw)),
        ("descriptionformat", v(Int)),
        ("visible", v(Bool)),
        ("theme", v(Theme).opt()),
    ])
}

fn cohort_keys(update: bool) -> Vec<(&'static str, Desc)> {
    let mut keys = if update { vec![("id", v(Int))] } else { vec![] };
    keys.extend([
        ("categorytype", type_value()),
        ("name", v(Raw)),
        ("idnumber", v(Raw)),
        ("description", v(Raw).opt()),
        ("descriptionformat", v(Int).def(1)),
        ("visible", v(Bool).opt()),
        ("theme", v(Theme).opt()),
    ]);
    keys
}

pub fn functions(_cfg: &Config) -> Vec<Function> {
    let ids = || list(v(Int));
    vec![
        Function::read(
            "core_cohort_get_cohorts",
            vec![("cohortids", ids().def(json!([])))],
            list(cohort_desc()),
            get_cohorts,
        ),
        Function::read(
            "core_cohort_search_cohorts",
            vec![
                ("query", v(Raw)),
                (
                    "context",
                    s(vec![
                        ("contextid", v(Int).def(0)),
                        ("contextlevel", v(Alpha).def("")),
                        ("instanceid", v(Int).def(0)),
                    ]),
                ),
                ("includes", v(Alpha).def("parents")),
                ("limitfrom", v(Int).def(0)),
                ("limitnum", v(Int).def(25)),
            ],
            s(vec![("cohorts", list(cohort_desc()))]),
            search_cohorts,
        ),
        Function::write(
            "core_cohort_create_cohorts",
            vec![("cohorts", list(s(cohort_keys(false))))],
            Some(list(cohort_desc())),
            create_cohorts,
        )
        .cap("moodle/cohort:manage"),
        Function::write(
            "core_cohort_update_cohorts",
            vec![("cohorts", list(s(cohort_keys(true))))],
            None,
            update_cohorts,
        )
        .cap("moodle/cohort:manage"),
        Function::write("core_cohort_delete_cohorts", vec![("cohortids", ids())], None, delete_cohorts)
            .cap("moodle/cohort:manage"),
        Function::write(
            "core_cohort_add_cohort_members",
            vec![("members", list(s(vec![("cohorttype", type_value()), ("usertype", type_value())])))],
            Some(s(vec![("warnings", warnings_desc())])),
            add_members,
        )
        .cap("moodle/cohort:assign"),
        Function::write(
            "core_cohort_delete_cohort_members",
            vec![("members", list(s(vec![("cohortid", v(Int)), ("userid", v(Int))])))],
            None,
            delete_members,
        )
        .cap("moodle/cohort:assign"),
        Function::read(
            "core_cohort_get_cohort_members",
            vec![("cohortids", ids())],
            list(s(vec![("cohortid", v(Int)), ("userids", list(v(Int)))])),
            get_members,
        ),
    ]
}

fn cohort_json(c: &Cohort) -> Value {
    json!({"id": c.id, "name": c.name, "idnumber": c.idnumber, "description": c.description,
        "descriptionformat": c.descriptionformat, "visible": c.visible, "theme": c.theme})
}

fn existing(ctx: &Ctx, id: i64) -> Result<Cohort, WsError> {
    ctx.st.cohorts.get(&id).cloned().ok_or_else(|| WsError::missing_record("cohort"))
}

fn get_cohorts(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let ids: Vec<i64> = items(p, "cohortids").iter().filter_map(Value::as_i64).collect();
    if ids.is_empty() {
        return Ok(Value::Array(ctx.st.cohorts.values().map(cohort_json).collect()));
    }
    ids.iter().map(|id| existing(ctx, *id).map(|c| cohort_json(&c))).collect::<Result<_, _>>().map(Value::Array)
}

/// The context `search_cohorts` is asked about: by id, or by level name and instance.
fn search_context(ctx: &Ctx, c: &Value) -> Result<i64, WsError> {
    let id = int(c, "contextid");
    if id > 0 {
        return ctx.st.contexts.contains_key(&id).then_some(id).ok_or_else(|| WsError::missing_record("context"));
    }
    let level = match str_of(c, "contextlevel") {
        "system" => CONTEXT_SYSTEM,
        "coursecat" => CONTEXT_COURSECAT,
        other => return Err(WsError::invalid_param(format!("Invalid context level: {other}"))),
    };
    ctx.st.context_id(level, int(c, "instanceid")).ok_or_else(|| WsError::missing_record("context"))
}

fn search_cohorts(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let q = str_of(p, "query").to_lowercase();
    let context = search_context(ctx, &p["context"])?;
    let system = ctx.st.context_id(CONTEXT_SYSTEM, 0).unwrap_or(1);
    // As Moodle: `self` = the cohorts of that context, `parents` = those and the ones of the
    // contexts above it (categories are one level below the system here), `all` = every cohort.
    let includes = str_of(p, "includes").to_string();
    let in_scope = |contextid: i64| match includes.as_str() {
        "self" => contextid == context,
        "parents" => contextid == context || contextid == system,
        _ => true,
    };
    // Moodle's limit 0 means no limit.
    let limit = match int(p, "limitnum") {
        n if n > 0 => n as usize,
        _ => usize::MAX,
    };
    let hits: Vec<Value> = ctx
        .st
        .cohorts
        .values()
        .filter(|c| in_scope(c.contextid))
        .filter(|c| [&c.name, &c.idnumber, &c.description].iter().any(|f| f.to_lowercase().contains(&q)))
        .skip(int(p, "limitfrom").max(0) as usize)
        .take(limit)
        .map(cohort_json)
        .collect();
    Ok(json!({"cohorts": hits}))
}

/// The context of a `categorytype` pair.
fn category_context(ctx: &Ctx, ct: &Value) -> Result<i64, WsError> {
    let (kind, value) = (str_of(ct, "type"), str_of(ct, "value"));
    let cat = match kind {
        "system" => return Ok(ctx.st.context_id(CONTEXT_SYSTEM, 0).unwrap_or(1)),
        "id" => ctx.st.categories.values().find(|c| c.id.to_string() == value),
        "idnumber" => ctx.st.categories.values().find(|c| c.idnumber == value),
        other => {
            return Err(WsError::invalid_param(format!("category type must be id, idnumber or system:{other}")));
        }
    };
    cat.and_then(|c| ctx.st.context_id(CONTEXT_COURSECAT, c.id))
        .ok_or_else(|| WsError::invalid_param(format!("category not exists: category {kind} = {value}")))
}

fn fill(c: &mut Cohort, p: &Value, contextid: i64) {
    c.contextid = contextid;
    c.name = str_of(p, "name").into();
    c.idnumber = str_of(p, "idnumber").into();
    if let Some(d) = opt_str(p, "description") {
        c.description = d.into();
    }
    c.descriptionformat = int(p, "descriptionformat");
    if let Some(vis) = p.get("visible").and_then(Value::as_bool) {
        c.visible = vis;
    }
    if let Some(t) = opt_str(p, "theme") {
        c.theme = t.into();
    }
}

fn create_cohorts(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for item in items(p, "cohorts") {
        let contextid = category_context(ctx, &item["categorytype"])?;
        let idnumber = str_of(item, "idnumber");
        if ctx.st.cohorts.values().any(|c| c.idnumber == idnumber) {
            return Err(WsError::invalid_param(format!("record already exists: idnumber={idnumber}")));
        }
        let id = ctx.st.next_id("cohort");
        let mut c = Cohort { id, visible: true, ..Cohort::default() };
        fill(&mut c, item, contextid);
        out.push(cohort_json(&c));
        ctx.st.cohorts.insert(id, c);
    }
    Ok(Value::Array(out))
}

fn update_cohorts(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for item in items(p, "cohorts") {
        let mut c = existing(ctx, int(item, "id"))?;
        let contextid = category_context(ctx, &item["categorytype"])?;
        if str_of(item, "name").trim().is_empty() {
            return Err(WsError::invalid_param("Invalid cohort name"));
        }
        fill(&mut c, item, contextid);
        ctx.st.cohorts.insert(c.id, c);
    }
    Ok(Value::Null)
}

fn delete_cohorts(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for id in items(p, "cohortids").iter().filter_map(Value::as_i64) {
        existing(ctx, id)?;
        let members: Vec<i64> = ctx.st.cohort_members.iter().filter(|(c, _)| *c == id).map(|(_, u)| *u).collect();
        for u in members {
            sync_remove(ctx, id, u);
        }
        ctx.st.cohort_members.retain(|(c, _)| *c != id);
        ctx.st.enrol_instances.retain(|_, i| !(i.plugin == "cohort" && i.customint1 == id));
        ctx.st.cohorts.remove(&id);
    }
    Ok(Value::Null)
}

/// Cohort-sync instances bound to a cohort: (instance id, course id, role id).
fn sync_instances(ctx: &Ctx, cohortid: i64) -> Vec<(i64, i64, i64)> {
    ctx.st
        .enrol_instances
        .values()
        .filter(|i| i.plugin == "cohort" && i.customint1 == cohortid && i.status == 0)
        .map(|i| (i.id, i.courseid, i.roleid))
        .collect()
}

fn sync_add(ctx: &mut Ctx, cohortid: i64, userid: i64) {
    for (inst, course, role) in sync_instances(ctx, cohortid) {
        if !ctx.st.user_enrolments.values().any(|ue| ue.instanceid == inst && ue.userid == userid) {
            let id = ctx.st.next_id("user_enrolments");
            let ue = UserEnrolment { id, instanceid: inst, userid, timestart: 0, timeend: 0, status: 0 };
            ctx.st.user_enrolments.insert(id, ue);
        }
        if let Some(cctx) = ctx.st.course_context(course) {
            ctx.st.assign_role(userid, role, cctx, "enrol_cohort");
        }
    }
}

fn sync_remove(ctx: &mut Ctx, cohortid: i64, userid: i64) {
    for (inst, course, _) in sync_instances(ctx, cohortid) {
        ctx.st.user_enrolments.retain(|_, ue| !(ue.instanceid == inst && ue.userid == userid));
        if let Some(cctx) = ctx.st.course_context(course) {
            ctx.st
                .role_assignments
                .retain(|_, ra| !(ra.userid == userid && ra.contextid == cctx && ra.component == "enrol_cohort"));
        }
        ctx.st.cleanup_after_unenrol(userid, course);
    }
}

fn add_members(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut warnings = Vec::new();
    let warn = |item: &str, code: &str, message: String| json!({"item": item, "warningcode": code, "message": message});
    for m in items(p, "members") {
        let (ct, ut) = (&m["cohorttype"], &m["usertype"]);
        let (ckind, cval) = (str_of(ct, "type"), str_of(ct, "value"));
        let cohort = match ckind {
            "id" => ctx.st.cohorts.values().find(|c| c.id.to_string() == cval),
            "idnumber" => ctx.st.cohorts.values().find(|c| c.idnumber == cval),
            _ => {
                warnings.push(warn("cohort", "1", format!("invalid parameter: cohorttype={ckind}")));
                continue;
            }
        };
        let Some(cohortid) = cohort.map(|c| c.id) else {
            warnings.push(warn("cohort", "2", format!("cohort {ckind}={cval} not exists")));
            continue;
        };
        let (ukind, uval) = (str_of(ut, "type"), str_of(ut, "value"));
        let user = match ukind {
            "id" => ctx.st.users.values().find(|u| !u.deleted && u.id.to_string() == uval),
            "username" => ctx.st.users.values().find(|u| !u.deleted && u.username == uval),
            _ => {
                warnings.push(warn("user", "1", format!("invalid parameter: usertype={ukind}")));
                continue;
            }
        };
        let Some(userid) = user.map(|u| u.id) else {
            warnings.push(warn("user", "2", format!("user {ukind}={uval} not exists")));
            continue;
        };
        if ctx.st.cohort_members.contains(&(cohortid, userid)) {
            warnings.push(warn("member", "3", format!("record already exists: cohortid={cohortid} userid={userid}")));
            continue;
        }
        ctx.st.cohort_members.push((cohortid, userid));
        sync_add(ctx, cohortid, userid);
    }
    Ok(json!({"warnings": warnings}))
}

fn delete_members(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for m in items(p, "members") {
        let (cohortid, userid) = (int(m, "cohortid"), int(m, "userid"));
        existing(ctx, cohortid)?;
        if ctx.st.live_user(userid).is_none() {
            return Err(WsError::missing_record("user"));
        }
        if ctx.st.cohort_members.contains(&(cohortid, userid)) {
            ctx.st.cohort_members.retain(|x| *x != (cohortid, userid));
            sync_remove(ctx, cohortid, userid);
        }
    }
    Ok(Value::Null)
}

fn get_members(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for id in items(p, "cohortids").iter().filter_map(Value::as_i64) {
        existing(ctx, id)?;
        let users: Vec<i64> = ctx.st.cohort_members.iter().filter(|(c, _)| *c == id).map(|(_, u)| *u).collect();
        out.push(json!({"cohortid": id, "userids": users}));
    }
    Ok(Value::Array(out))
}
