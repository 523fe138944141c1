//! Course meta links (spec §2.11, 4.0+): add/delete instances without a transaction,
//! `status=false` when nothing changed; enrolments derived by `State::sync_meta`.

use serde_json::{Value, json};

use super::{Ctx, Function, int, items, str_of};
use crate::config::Config;
use crate::error::WsError;
use crate::validate::{Type::*, list, s, v};

pub fn functions(cfg: &Config) -> Vec<Function> {
    if !cfg.at_least(4, 0) {
        return Vec::new();
    }
    let result = || list(s(vec![("metacourseid", v(Int)), ("courseid", v(Raw)), ("status", v(Bool))]));
    vec![
        Function::write(
            "enrol_meta_add_instances",
            vec![(
                "instances",
                list(s(vec![("metacourseid", v(Int)), ("courseid", v(Raw)), ("creategroup", v(Bool).def(false))])),
            )],
            Some(result()),
            add_instances,
        )
        .cap("enrol/meta:config")
        .no_transaction(),
        Function::write(
            "enrol_meta_delete_instances",
            vec![("instances", list(s(vec![("metacourseid", v(Int)), ("courseid", v(Raw))])))],
            Some(result()),
            delete_instances,
        )
        .cap("enrol/meta:config")
        .no_transaction(),
        Function::read(
            "core_enrol_get_course_enrolment_methods",
            vec![("courseid", v(Int))],
            list(s(vec![
                ("id", v(Int)),
                ("courseid", v(Int)),
                ("type", v(Plugin)),
                ("name", v(Raw)),
                ("status", v(Raw)),
                ("wsfunction", v(AlphaNumExt).opt()),
            ])),
            enrolment_methods,
        ),
    ]
}

/// Validates one link; returns (meta course, child course).
fn link(ctx: &Ctx, i: &Value) -> Result<(i64, i64), WsError> {
    let meta = int(i, "metacourseid");
    if meta == 1 || !ctx.st.courses.contains_key(&meta) {
        return Err(WsError::invalid_param(format!(
            "Meta course ID = {meta} doesn't exist or you don't have permission to add an enrolment instance."
        )));
    }
    let raw = str_of(i, "courseid");
    let child = raw.parse::<i64>().ok().filter(|c| *c != 1 && ctx.st.courses.contains_key(c));
    let child = child.ok_or_else(|| {
        WsError::invalid_param(format!(
            "Course ID = {raw} doesn't exist or you don't have permission to add a course meta link."
        ))
    })?;
    Ok((meta, child))
}

fn existing(ctx: &Ctx, meta: i64, child: i64) -> Option<i64> {
    ctx.st
        .enrol_instances
        .values()
        .find(|i| i.plugin == "meta" && i.courseid == meta && i.customint1 == child)
        .map(|i| i.id)
}

fn add_instances(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    if items(p, "instances").is_empty() {
        return Err(WsError::invalid_param("No instances specified"));
    }
    let mut out = Vec::new();
    for i in items(p, "instances") {
        let (meta, child) = link(ctx, i)?;
        let added = existing(ctx, meta, child).is_none();
        if added {
            ctx.st.add_instance(meta, "meta", child, 0);
            ctx.st.sync_meta();
        }
        out.push(json!({"metacourseid": meta, "courseid": child.to_string(), "status": added}));
    }
    Ok(Value::Array(out))
}

fn delete_instances(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    if items(p, "instances").is_empty() {
        return Err(WsError::invalid_param("No instances specified"));
    }
    let mut out = Vec::new();
    for i in items(p, "instances") {
        let (meta, child) = link(ctx, i)?;
        let found = existing(ctx, meta, child);
        if let Some(id) = found {
            let users: Vec<i64> =
                ctx.st.user_enrolments.values().filter(|ue| ue.instanceid == id).map(|ue| ue.userid).collect();
            ctx.st.user_enrolments.retain(|_, ue| ue.instanceid != id);
            ctx.st.enrol_instances.remove(&id);
            let mctx = ctx.st.course_context(meta).unwrap_or(0);
            ctx.st.role_assignments.retain(|_, ra| !(ra.contextid == mctx && ra.component == "enrol_meta"));
            for u in users {
                ctx.st.cleanup_after_unenrol(u, meta);
            }
            ctx.st.sync_meta();
        }
        out.push(json!({"metacourseid": meta, "courseid": child.to_string(), "status": found.is_some()}));
    }
    Ok(Value::Array(out))
}

fn enrolment_methods(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let courseid = int(p, "courseid");
    let list = ctx
        .st
        .enrol_instances
        .values()
        .filter(|i| i.courseid == courseid && i.status == 0 && (i.plugin == "self" || i.plugin == "guest"))
        .map(|i| {
            let ws = if i.plugin == "self" { "enrol_self_get_instance_info" } else { "enrol_guest_get_instance_info" };
            json!({"id": i.id, "courseid": i.courseid, "type": i.plugin, "name": i.plugin, "status": "1", "wsfunction": ws})
        })
        .collect();
    Ok(Value::Array(list))
}
