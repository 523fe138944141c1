//! Course categories (spec §2.3): list by criteria (with descendants), create, update and
//! delete, all atomic, with Moodle's idnumber, parent and move rules.

use serde_json::{Value, json};

use super::courses::delete_course;
use super::{Ctx, Function, boolean, fmt_name, int, items, opt_int, opt_str, str_of};
use crate::config::Config;
use crate::error::WsError;
use crate::state::{CONTEXT_COURSECAT, Category};
use crate::validate::{Type::*, list, s, v};

pub fn functions(_cfg: &Config) -> Vec<Function> {
    vec![
        Function::read(
            "core_course_get_categories",
            vec![
                ("criteria", list(s(vec![("key", v(Alpha)), ("value", v(Raw))])).def(json!([]))),
                ("addsubcategories", v(Bool).def(true)),
            ],
            list(s(vec![
                ("id", v(Int)),
                ("name", v(Raw)),
                ("idnumber", v(Raw).opt()),
                ("description", v(Raw)),
                ("descriptionformat", v(Int)),
                ("parent", v(Int)),
                ("sortorder", v(Int)),
                ("coursecount", v(Int)),
                ("visible", v(Int).opt()),
                ("visibleold", v(Int).opt()),
                ("timemodified", v(Int).opt()),
                ("depth", v(Int)),
                ("path", v(Text)),
                ("theme", v(Theme).opt()),
            ])),
            get_categories,
        ),
        Function::write(
            "core_course_create_categories",
            vec![(
                "categories",
                list(s(vec![
                    ("name", v(Text)),
                    ("parent", v(Int).def(0)),
                    ("idnumber", v(Raw).opt()),
                    ("description", v(Raw).opt()),
                    ("descriptionformat", v(Int).def(1)),
                    ("theme", v(Theme).opt()),
                ])),
            )],
            Some(list(s(vec![("id", v(Int)), ("name", v(Raw))]))),
            create_categories,
        )
        .cap("moodle/category:manage"),
        Function::write(
            "core_course_update_categories",
            vec![(
                "categories",
                list(s(vec![
                    ("id", v(Int)),
                    ("name", v(Text).opt()),
                    ("idnumber", v(Raw).opt()),
                    ("parent", v(Int).opt()),
                    ("description", v(Raw).opt()),
                    ("descriptionformat", v(Int).def(1)),
                    ("theme", v(Theme).opt()),
                ])),
            )],
            None,
            update_categories,
        )
        .cap("moodle/category:manage"),
        Function::write(
            "core_course_delete_categories",
            vec![(
                "categories",
                list(s(vec![("id", v(Int)), ("newparent", v(Int).opt()), ("recursive", v(Bool).def(false))])),
            )],
            None,
            delete_categories,
        )
        .cap("moodle/category:manage"),
    ]
}

fn unknown() -> WsError {
    WsError::moodle("unknowncategory", "Category not known!")
}

/// Ids of `id` and all its descendants.
fn subtree(ctx: &Ctx, id: i64) -> Vec<i64> {
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(ctx.st.categories.values().filter(|c| c.parent == p).map(|c| c.id));
        i += 1;
    }
    out
}

fn get_categories(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut ids: Vec<i64> = ctx.st.categories.keys().copied().collect();
    for c in items(p, "criteria") {
        let value = str_of(c, "value");
        let st = &ctx.st;
        let keep = |cat: &Category| match str_of(c, "key") {
            "id" => Some(cat.id.to_string() == value),
            "ids" => Some(value.split(',').any(|x| x.trim() == cat.id.to_string())),
            "name" => Some(cat.name == value),
            "parent" => Some(cat.parent.to_string() == value),
            "idnumber" => Some(cat.idnumber == value),
            "visible" => Some((cat.visible as i64).to_string() == value),
            "theme" => Some(cat.theme == value),
            _ => None,
        };
        let mut kept = Vec::new();
        for id in &ids {
            match keep(&st.categories[id]) {
                None => return Err(WsError::moodle("criteriaerror", "Missing permissions to view categories.")),
                Some(true) => kept.push(*id),
                Some(false) => {}
            }
        }
        ids = kept;
    }
    if boolean(p, "addsubcategories") {
        let mut all: Vec<i64> = ids.iter().flat_map(|id| subtree(ctx, *id)).collect();
        all.sort();
        all.dedup();
        ids = all;
    }
    let out = ids
        .iter()
        .map(|id| {
            let c = &ctx.st.categories[id];
            let path = ctx.st.category_path(c.id);
            let coursecount = ctx.st.courses.values().filter(|x| x.categoryid == c.id).count();
            json!({
                "id": c.id, "name": fmt_name(ctx, &c.name), "idnumber": c.idnumber,
                "description": c.description, "descriptionformat": c.descriptionformat,
                "parent": c.parent, "sortorder": c.sortorder, "coursecount": coursecount,
                "visible": c.visible as i64, "visibleold": c.visible as i64, "timemodified": ctx.now,
                "depth": path.len(),
                "path": path.iter().map(|x| format!("/{x}")).collect::<String>(),
                "theme": c.theme,
            })
        })
        .collect();
    Ok(Value::Array(out))
}

fn idnumber_taken(ctx: &Ctx, idnumber: &str, except: i64) -> bool {
    !idnumber.is_empty() && ctx.st.categories.values().any(|c| c.id != except && c.idnumber == idnumber)
}

fn taken_error() -> WsError {
    WsError::moodle("categoryidnumbertaken", "ID number is already used for another category")
}

fn check_name(name: &str) -> Result<(), WsError> {
    if name.trim().is_empty() {
        return Err(WsError::moodle("categorynamerequired", "The category name is required"));
    }
    if name.chars().count() > 255 {
        return Err(WsError::moodle("categorytoolong", "Category name is too long"));
    }
    Ok(())
}

fn create_categories(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for c in items(p, "categories") {
        let parent = int(c, "parent");
        let parent_visible = match parent {
            0 => true,
            id => {
                ctx.st
                    .categories
                    .get(&id)
                    .ok_or_else(|| WsError::moodle("unknowcategory", "Category not known!"))?
                    .visible
            }
        };
        let name = str_of(c, "name");
        check_name(name)?;
        let idnumber = opt_str(c, "idnumber").unwrap_or("");
        if idnumber_taken(ctx, idnumber, 0) {
            return Err(taken_error());
        }
        let id = ctx.st.next_id("course_categories");
        let sortorder = ctx.st.categories.values().map(|c| c.sortorder).max().unwrap_or(0) + 10000;
        let cat = Category {
            id,
            name: name.into(),
            idnumber: idnumber.into(),
            parent,
            description: opt_str(c, "description").unwrap_or("").into(),
            descriptionformat: int(c, "descriptionformat"),
            visible: parent_visible,
            sortorder,
            theme: opt_str(c, "theme").unwrap_or("").into(),
        };
        ctx.st.categories.insert(id, cat);
        ctx.st.new_context(CONTEXT_COURSECAT, id);
        out.push(json!({"id": id, "name": name}));
    }
    Ok(Value::Array(out))
}

fn update_categories(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for c in items(p, "categories") {
        let id = int(c, "id");
        let mut cat = ctx.st.categories.get(&id).cloned().ok_or_else(unknown)?;
        if let Some(name) = opt_str(c, "name") {
            check_name(name)?;
            cat.name = name.into();
        }
        if let Some(idnumber) = opt_str(c, "idnumber") {
            if idnumber_taken(ctx, idnumber, id) {
                return Err(taken_error());
            }
            cat.idnumber = idnumber.into();
        }
        if let Some(parent) = opt_int(c, "parent") {
            if parent == id {
                return Err(WsError::moodle("movecategoryownparent", "You cannot make a category a parent of itself."));
            }
            if parent != 0 && !ctx.st.categories.contains_key(&parent) {
                return Err(unknown());
            }
            if subtree(ctx, id).contains(&parent) {
                return Err(WsError::moodle(
                    "movecategoryparentconflict",
                    "You cannot make a category a subcategory of one of its children.",
                ));
            }
            cat.parent = parent;
        }
        if let Some(d) = opt_str(c, "description") {
            cat.description = d.into();
        }
        if let Some(t) = opt_str(c, "theme") {
            cat.theme = t.into();
        }
        ctx.st.categories.insert(id, cat);
    }
    Ok(Value::Null)
}

fn delete_categories(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for c in items(p, "categories") {
        let id = int(c, "id");
        let cat = ctx.st.categories.get(&id).cloned().ok_or_else(unknown)?;
        let tree = subtree(ctx, id);
        if boolean(c, "recursive") {
            let courses: Vec<i64> =
                ctx.st.courses.values().filter(|x| tree.contains(&x.categoryid)).map(|x| x.id).collect();
            for course in courses {
                delete_course(ctx.st, course);
            }
            for cid in &tree {
                ctx.st.categories.remove(cid);
                ctx.st.contexts.retain(|_, x| !(x.level == CONTEXT_COURSECAT && x.instanceid == *cid));
            }
            continue;
        }
        let target = opt_int(c, "newparent").unwrap_or(cat.parent);
        if target == 0 {
            return Err(WsError::moodle("movecatcontentstoroot", "Moving contents to root is not allowed"));
        }
        if tree.contains(&target) || !ctx.st.categories.contains_key(&target) {
            return Err(unknown());
        }
        for child in ctx.st.categories.values_mut().filter(|x| x.parent == id) {
            child.parent = target;
        }
        for course in ctx.st.courses.values_mut().filter(|x| x.categoryid == id) {
            course.categoryid = target;
        }
        ctx.st.categories.remove(&id);
        ctx.st.contexts.retain(|_, x| !(x.level == CONTEXT_COURSECAT && x.instanceid == id));
    }
    Ok(Value::Null)
}
