//! Course sections (spec §2.5): rename through `core_update_inplace_editable` (topics and
//! weeks only) and add/delete/hide/show through `core_courseformat_update_course` (4.0+).

use serde_json::{Value, json};

use super::{Ctx, Function, int, items, opt_int, str_of};
use crate::config::Config;
use crate::error::WsError;
use crate::state::Section;
use crate::validate::{Type::*, list, s, v};

pub fn functions(cfg: &Config) -> Vec<Function> {
    let mut all = vec![
        Function::write(
            "core_update_inplace_editable",
            vec![("component", v(Component)), ("itemtype", v(NoTags)), ("itemid", v(Raw)), ("value", v(Raw))],
            Some(s(vec![
                ("displayvalue", v(Raw)),
                ("component", v(Component)),
                ("itemtype", v(NoTags)),
                ("value", v(Raw)),
                ("itemid", v(Raw)),
                ("edithint", v(NoTags)),
                ("editlabel", v(NoTags)),
                ("type", v(Alpha).opt()),
                ("linkeverything", v(Int).opt()),
            ])),
            rename,
        )
        .cap("moodle/course:update")
        .no_transaction(),
    ];
    if cfg.at_least(4, 0) {
        all.push(
            Function::write(
                "core_courseformat_update_course",
                vec![
                    ("action", v(AlphaNumExt)),
                    ("courseid", v(Int)),
                    ("ids", list(v(Int)).def(json!([]))),
                    ("targetsectionid", v(Int).opt()),
                    ("targetcmid", v(Int).opt()),
                ],
                Some(v(Raw)),
                update_course,
            )
            .cap("moodle/course:update")
            .no_transaction(),
        );
    }
    all
}

/// The course and index of a section id.
fn find(ctx: &Ctx, sectionid: i64) -> Option<(i64, usize)> {
    ctx.st.courses.values().find_map(|c| c.sections.iter().position(|s| s.id == sectionid).map(|i| (c.id, i)))
}

fn default_name(s: &Section) -> String {
    match s.section {
        0 => "General".into(),
        n => format!("Topic {n}"),
    }
}

fn rename(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let component = str_of(p, "component");
    let itemid: i64 = str_of(p, "itemid").parse().unwrap_or(0);
    if !matches!(component, "format_topics" | "format_weeks") || str_of(p, "itemtype") != "sectionname" {
        return Err(WsError::invalid_param(format!("Inplace editing is not supported for {component}")));
    }
    let Some((courseid, idx)) = find(ctx, itemid) else { return Err(WsError::missing_record("course_sections")) };
    let course = ctx.st.courses.get_mut(&courseid).expect("found above");
    if format!("format_{}", course.format) != component {
        return Err(WsError::invalid_param(format!("Inplace editing is not supported for {component}")));
    }
    let section = &mut course.sections[idx];
    section.name = str_of(p, "value").into();
    let shown = if section.name.is_empty() { default_name(section) } else { section.name.clone() };
    Ok(json!({"displayvalue": shown, "component": component, "itemtype": "sectionname", "value": section.name,
        "itemid": itemid.to_string(), "edithint": "Edit section name", "editlabel": format!("New name for {shown}"),
        "type": "text", "linkeverything": 0}))
}

fn update_course(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let courseid = int(p, "courseid");
    let action = str_of(p, "action");
    let ids: Vec<i64> = items(p, "ids").iter().filter_map(Value::as_i64).collect();
    let target = opt_int(p, "targetsectionid");
    let next = ctx.st.next_id("course_sections");
    let Some(course) = ctx.st.courses.get_mut(&courseid).filter(|_| courseid != 1) else {
        return Err(WsError::missing_record("course"));
    };
    let needs_ids = matches!(action, "section_delete" | "section_hide" | "section_show");
    if needs_ids && ids.is_empty() {
        return Err(WsError::moodle("emptysectionids", "Action requires a non-empty list of section ids"));
    }
    if ids.iter().any(|id| !course.sections.iter().any(|s| s.id == *id)) {
        return Err(WsError::moodle("unexistingsectionid", "Unexisting section id"));
    }
    let mut updates = Vec::new();
    match action {
        "section_add" => {
            let at = target
                .and_then(|t| course.sections.iter().position(|s| s.id == t))
                .map_or(course.sections.len(), |i| i + 1);
            course.sections.insert(at, Section { id: next, visible: true, ..Section::default() });
            updates.push(json!({"name": "section", "action": "create", "fields": {"id": next}}));
        }
        "section_delete" => {
            course.sections.retain(|s| s.section == 0 || !ids.contains(&s.id));
            updates.extend(ids.iter().map(|id| json!({"name": "section", "action": "remove", "fields": {"id": id}})));
        }
        "section_hide" | "section_show" => {
            for s in course.sections.iter_mut().filter(|s| ids.contains(&s.id)) {
                s.visible = action == "section_show";
                updates.push(json!({"name": "section", "action": "put", "fields": {"id": s.id, "visible": s.visible}}));
            }
        }
        other => {
            let text = format!("Invalid course state action {other} in core_courseformat\\stateactions");
            return Err(WsError::moodle(&text, text.clone()));
        }
    }
    for (n, s) in course.sections.iter_mut().enumerate() {
        s.section = n as i64;
    }
    Ok(Value::String(Value::Array(updates).to_string()))
}
