//! Courses (spec §2.4–2.6): look-up by field, create (atomic, default manual instance and
//! sections), update and delete (per-item warnings), contents, duplicate and import.

use serde_json::{Value, json};

use super::{Ctx, Function, copy_strs, fmt_name, int, items, opt_int, str_of, warning, warnings_desc};
use crate::config::Config;
use crate::error::WsError;
use crate::state::{CONTEXT_COURSE, Course, Section, State};
use crate::validate::{Desc, Type::*, list, s, v};

fn course_keys(create: bool) -> Vec<(&'static str, Desc)> {
    let req = |d: Desc| if create { d } else { d.opt() };
    let mut keys = vec![];
    if !create {
        keys.push(("id", v(Int)));
    }
    keys.extend([
        ("fullname", req(v(Text))),
        ("shortname", req(v(Text))),
        ("categoryid", req(v(Int))),
        ("idnumber", v(Raw).opt()),
        ("summary", v(Raw).opt()),
        ("summaryformat", if create { v(Int).def(1) } else { v(Int).opt() }),
        ("format", v(Plugin).opt()),
        ("showgrades", v(Int).opt()),
        ("newsitems", v(Int).opt()),
        ("startdate", v(Int).opt()),
        ("enddate", v(Int).opt()),
        ("numsections", v(Int).opt()),
        ("maxbytes", v(Int).opt()),
        ("showreports", v(Int).opt()),
        ("visible", v(Int).opt()),
        ("hiddensections", v(Int).opt()),
        ("groupmode", v(Int).opt()),
        ("groupmodeforce", v(Int).opt()),
        ("defaultgroupingid", v(Int).opt()),
        ("enablecompletion", v(Int).opt()),
        ("completionnotify", v(Int).opt()),
        ("lang", v(SafeDir).opt()),
        ("forcetheme", v(Plugin).opt()),
        ("courseformatoptions", list(s(vec![("name", v(AlphaNumExt)), ("value", v(Raw))])).opt()),
        ("customfields", list(s(vec![("shortname", v(AlphaNumExt)), ("value", v(Raw))])).opt()),
    ]);
    keys
}

/// The integer settings a course has, with the defaults of a fresh site (Site administration ›
/// Courses › Course default settings); `marker` is set by the course page, not by these calls.
const COURSE_SETTINGS: &[(&str, i64)] = &[
    ("showgrades", 1),
    ("newsitems", 5),
    ("maxbytes", 0),
    ("showreports", 0),
    ("groupmode", 0),
    ("groupmodeforce", 0),
    ("defaultgroupingid", 0),
    ("enablecompletion", 1),
    ("completionnotify", 0),
    ("marker", 0),
];

fn course_return() -> Desc {
    let settings = COURSE_SETTINGS.iter().map(|(name, _)| (*name, v(Int).opt()));
    let mut keys = vec![
        ("id", v(Int)),
        ("fullname", v(Raw)),
        ("displayname", v(Raw)),
        ("shortname", v(Raw)),
        ("categoryid", v(Int)),
        ("categoryname", v(Raw)),
        ("sortorder", v(Int).opt()),
        ("summary", v(Raw)),
        ("summaryformat", v(Int)),
        ("enrollmentmethods", list(v(Plugin))),
        (
            "customfields",
            list(s(vec![
                ("name", v(Raw)),
                ("shortname", v(Raw)),
                ("type", v(Raw)),
                ("valueraw", v(Raw)),
                ("value", v(Raw)),
            ]))
            .opt(),
        ),
        ("idnumber", v(Raw).opt()),
        ("format", v(Plugin).opt()),
        ("startdate", v(Int).opt()),
        ("enddate", v(Int).opt()),
        ("visible", v(Bool).opt()),
        ("lang", v(SafeDir).opt()),
        ("timecreated", v(Int).opt()),
    ];
    keys.extend(settings);
    s(keys)
}

pub fn functions(_cfg: &Config) -> Vec<Function> {
    let options = || list(s(vec![("name", v(AlphaExt)), ("value", v(Raw))])).def(json!([]));
    vec![
        Function::read(
            "core_course_get_courses_by_field",
            vec![("field", v(Alpha).def("")), ("value", v(Raw).def(""))],
            s(vec![("courses", list(course_return())), ("warnings", warnings_desc())]),
            get_courses_by_field,
        ),
        Function::read(
            "core_course_get_courses",
            vec![("options", s(vec![("ids", list(v(Int)).opt())]).def(json!({})))],
            list(course_return()),
            get_courses,
        ),
        Function::write(
            "core_course_create_courses",
            vec![("courses", list(s(course_keys(true))))],
            Some(list(s(vec![("id", v(Int)), ("shortname", v(Raw))]))),
            create_courses,
        )
        .cap("moodle/course:create"),
        Function::write(
            "core_course_update_courses",
            vec![("courses", list(s(course_keys(false))))],
            Some(s(vec![("warnings", warnings_desc())])),
            update_courses,
        )
        .cap("moodle/course:update")
        .no_transaction(),
        Function::write(
            "core_course_delete_courses",
            vec![("courseids", list(v(Int)))],
            Some(s(vec![("warnings", warnings_desc())])),
            delete_courses,
        )
        .cap("moodle/course:delete")
        .no_transaction(),
        Function::read(
            "core_course_get_contents",
            vec![
                ("courseid", v(Int)),
                ("options", list(s(vec![("name", v(AlphaNum)), ("value", v(Raw))])).def(json!([]))),
            ],
            list(s(vec![
                ("id", v(Int)),
                ("name", v(Raw)),
                ("visible", v(Int)),
                ("summary", v(Raw)),
                ("summaryformat", v(Int)),
                ("section", v(Int)),
                ("hiddenbynumsections", v(Int)),
                ("uservisible", v(Bool)),
                ("modules", list(s(vec![("id", v(Int))]))),
            ])),
            get_contents,
        ),
        Function::write(
            "core_course_duplicate_course",
            vec![
                ("courseid", v(Int)),
                ("fullname", v(Text)),
                ("shortname", v(Text)),
                ("categoryid", v(Int)),
                ("visible", v(Int).def(1)),
                ("options", options()),
            ],
            Some(s(vec![("id", v(Int)), ("shortname", v(Raw))])),
            duplicate_course,
        )
        .cap("moodle/backup:backupcourse")
        .no_transaction(),
        Function::write(
            "core_course_import_course",
            vec![
                ("importfrom", v(Int)),
                ("importto", v(Int)),
                ("deletecontent", v(Int).def(0)),
                ("options", options()),
            ],
            None,
            import_course,
        )
        .cap("moodle/backup:backuptargetimport")
        .no_transaction(),
    ]
}

fn course_json(ctx: &Ctx, c: &Course) -> Value {
    let methods: Vec<&str> = ctx
        .st
        .enrol_instances
        .values()
        .filter(|i| i.courseid == c.id && i.status == 0)
        .map(|i| i.plugin.as_str())
        .collect();
    let catname = ctx.st.categories.get(&c.categoryid).map_or("", |x| x.name.as_str());
    let mut o = json!({
        "id": c.id, "fullname": fmt_name(ctx, &c.fullname), "displayname": fmt_name(ctx, &c.fullname),
        "shortname": fmt_name(ctx, &c.shortname), "categoryid": c.categoryid,
        "categoryname": fmt_name(ctx, catname), "sortorder": c.id, "summary": c.summary,
        "summaryformat": c.summaryformat, "enrollmentmethods": methods,
        "customfields": c.customfields.iter()
            .map(|(k, val)| json!({"name": k, "shortname": k, "type": "text", "valueraw": val, "value": val}))
            .collect::<Vec<_>>(),
        "idnumber": c.idnumber, "format": c.format, "startdate": c.startdate, "enddate": c.enddate,
        "visible": c.visible, "lang": c.lang, "timecreated": c.id,
    });
    for (name, default) in COURSE_SETTINGS {
        o[*name] = json!(c.settings.get(*name).copied().unwrap_or(*default));
    }
    o
}

fn get_courses_by_field(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let value = str_of(p, "value");
    let field = str_of(p, "field");
    let hit = |c: &Course| -> Result<bool, WsError> {
        Ok(match field {
            "" => true,
            "id" => c.id.to_string() == value,
            "ids" => value.split(',').any(|x| x.trim() == c.id.to_string()),
            "shortname" => c.shortname == value,
            "idnumber" => c.idnumber == value,
            "category" => c.categoryid.to_string() == value,
            "sectionid" if ctx.cfg.at_least(4, 5) => c.sections.iter().any(|s| s.id.to_string() == value),
            _ => return Err(WsError::invalid_param("Invalid field name")),
        })
    };
    let mut out = Vec::new();
    for c in ctx.st.courses.values().filter(|c| c.id != 1) {
        if hit(c)? {
            out.push(course_json(ctx, c));
        }
    }
    Ok(json!({"courses": out, "warnings": []}))
}

fn get_courses(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let ids: Vec<i64> = p["options"]
        .get("ids")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_i64).collect());
    if ids.is_empty() {
        return Ok(Value::Array(ctx.st.courses.values().map(|c| course_json(ctx, c)).collect()));
    }
    ids.iter()
        .map(|id| ctx.st.courses.get(id).map(|c| course_json(ctx, c)).ok_or_else(|| WsError::missing_record("course")))
        .collect::<Result<_, _>>()
        .map(Value::Array)
}

/// Checks of create/update for one course against the others.
fn check_course(ctx: &Ctx, c: &Course) -> Result<(), WsError> {
    if !ctx.st.categories.contains_key(&c.categoryid) {
        return Err(WsError::moodle(
            "errorcatcontextnotvalid",
            format!(
                "You cannot execute functions in the category context (category id:{}). The context error message was: Category not known!",
                c.categoryid
            ),
        ));
    }
    for (key, val) in [("fullname", &c.fullname), ("shortname", &c.shortname)] {
        if val.trim().is_empty() {
            return Err(WsError::moodle("errorinvalidparam", format!("The param \"{key}\" is invalid.")));
        }
    }
    let others = || ctx.st.courses.values().filter(|x| x.id != c.id);
    if others().any(|x| x.shortname == c.shortname) {
        return Err(WsError::moodle(
            "shortnametaken",
            format!("Short name is already used for another course ({})", c.shortname),
        ));
    }
    if !c.idnumber.is_empty() && others().any(|x| x.idnumber == c.idnumber) {
        return Err(WsError::moodle(
            "courseidnumbertaken",
            format!("ID number is already used for another course ({})", c.idnumber),
        ));
    }
    if c.enddate != 0 && c.enddate < c.startdate {
        return Err(WsError::moodle("enddatebeforestartdate", "The course end date must be after the start date."));
    }
    if !c.lang.is_empty() && !ctx.cfg.langs.contains(&c.lang) {
        return Err(WsError::moodle("errorinvalidparam", "The param \"lang\" is invalid."));
    }
    if !ctx.cfg.formats.contains(&c.format) {
        return Err(WsError::new("moodle_exception", "formatnotsupported", "webservice/formatnotsupported"));
    }
    Ok(())
}

fn apply_fields(c: &mut Course, p: &Value) {
    copy_strs(
        p,
        [
            ("fullname", &mut c.fullname),
            ("shortname", &mut c.shortname),
            ("idnumber", &mut c.idnumber),
            ("summary", &mut c.summary),
            ("format", &mut c.format),
            ("lang", &mut c.lang),
        ],
    );
    for (key, field) in [
        ("categoryid", &mut c.categoryid),
        ("startdate", &mut c.startdate),
        ("enddate", &mut c.enddate),
        ("summaryformat", &mut c.summaryformat),
    ] {
        if let Some(val) = opt_int(p, key) {
            *field = val;
        }
    }
    if let Some(vis) = opt_int(p, "visible") {
        c.visible = vis != 0;
    }
    for (name, _) in COURSE_SETTINGS.iter().filter(|(name, _)| *name != "marker") {
        if let Some(value) = opt_int(p, name) {
            c.settings.insert(name.to_string(), value);
        }
    }
    for f in items(p, "customfields") {
        c.customfields.insert(str_of(f, "shortname").into(), str_of(f, "value").into());
    }
}

/// Inserts a new course with its context, sections 0..=n and default enrol instances.
fn insert_course(st: &mut State, mut c: Course, numsections: i64) -> i64 {
    let id = st.next_id("course");
    c.id = id;
    c.sections = (0..=numsections)
        .map(|n| Section { id: st.next_id("course_sections"), section: n, visible: true, ..Section::default() })
        .collect();
    st.courses.insert(id, c);
    st.new_context(CONTEXT_COURSE, id);
    st.add_instance(id, "manual", 0, 5);
    for plugin in ["guest", "self"] {
        let inst = st.add_instance(id, plugin, 0, 5);
        if let Some(i) = st.enrol_instances.get_mut(&inst) {
            i.status = 1;
        }
    }
    id
}

fn create_courses(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut out = Vec::new();
    for item in items(p, "courses") {
        let start = ctx.now - ctx.now.rem_euclid(86400);
        let mut c = Course { format: ctx.cfg.default_format.clone(), startdate: start, ..Course::default() };
        c.visible = ctx.st.categories.get(&int(item, "categoryid")).is_none_or(|cat| cat.visible);
        apply_fields(&mut c, item);
        if opt_int(item, "enddate").is_none() {
            c.enddate = c.startdate + 365 * 86400;
        }
        check_course(ctx, &c)?;
        let shortname = c.shortname.clone();
        let id = insert_course(ctx.st, c, opt_int(item, "numsections").unwrap_or(4));
        out.push(json!({"id": id, "shortname": shortname}));
    }
    Ok(Value::Array(out))
}

fn update_courses(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut warnings = Vec::new();
    for item in items(p, "courses") {
        let id = int(item, "id");
        let result = match ctx.st.courses.get(&id).filter(|_| id != 1).cloned() {
            None => Err(WsError::missing_record("course")),
            Some(mut c) => {
                apply_fields(&mut c, item);
                check_course(ctx, &c).map(|_| c)
            }
        };
        match result {
            Ok(c) => {
                ctx.st.courses.insert(id, c);
            }
            Err(e) => warnings.push(warning("course", id, &e.errorcode, &e.message)),
        }
    }
    Ok(json!({"warnings": warnings}))
}

/// Removes a course and everything that hangs on it.
pub(crate) fn delete_course(st: &mut State, id: i64) {
    st.courses.remove(&id);
    let instances: Vec<i64> = st.enrol_instances.values().filter(|i| i.courseid == id).map(|i| i.id).collect();
    st.user_enrolments.retain(|_, ue| !instances.contains(&ue.instanceid));
    st.enrol_instances.retain(|_, i| i.courseid != id && !(i.plugin == "meta" && i.customint1 == id));
    if let Some(ctxid) = st.course_context(id) {
        st.role_assignments.retain(|_, ra| ra.contextid != ctxid);
        st.contexts.remove(&ctxid);
    }
    let groups: Vec<i64> = st.groups.values().filter(|g| g.courseid == id).map(|g| g.id).collect();
    st.group_members.retain(|m| !groups.contains(&m.groupid));
    st.grouping_groups.retain(|(_, g)| !groups.contains(g));
    st.groups.retain(|_, g| g.courseid != id);
    st.groupings.retain(|_, g| g.courseid != id);
}

fn delete_courses(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut warnings = Vec::new();
    for id in items(p, "courseids").iter().filter_map(Value::as_i64) {
        if id == 1 {
            warnings.push(warning(
                "course",
                id,
                "cannotdeletecourse",
                "You do not have the permission to delete this course",
            ));
        } else if !ctx.st.courses.contains_key(&id) {
            warnings.push(warning("course", id, "unknowncourseidnumber", &format!("Unknown course ID {id}")));
        } else {
            delete_course(ctx.st, id);
        }
    }
    Ok(json!({"warnings": warnings}))
}

fn get_contents(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let Some(c) = ctx.st.courses.get(&int(p, "courseid")) else { return Err(WsError::missing_record("course")) };
    let out = c
        .sections
        .iter()
        .map(|s| {
            let name = match (s.name.is_empty(), s.section) {
                (false, _) => s.name.clone(),
                (true, 0) => "General".into(),
                (true, n) => format!("Topic {n}"),
            };
            json!({"id": s.id, "name": name, "visible": s.visible as i64, "summary": s.summary,
                "summaryformat": 1, "section": s.section, "hiddenbynumsections": 0, "uservisible": true, "modules": []})
        })
        .collect();
    Ok(Value::Array(out))
}

const BACKUP_OPTIONS: [&str; 10] = [
    "activities",
    "blocks",
    "filters",
    "users",
    "enrolments",
    "role_assignments",
    "comments",
    "userscompletion",
    "logs",
    "grade_histories",
];

fn check_options(p: &Value, allowed: &[&str]) -> Result<(), WsError> {
    for o in items(p, "options") {
        let (name, value) = (str_of(o, "name"), str_of(o, "value"));
        if !allowed.contains(&name) || !(value == "0" || value == "1") {
            return Err(WsError::moodle("invalidextparam", format!("Invalid external api parameter: {name}")));
        }
    }
    Ok(())
}

fn invalid_course() -> WsError {
    WsError::moodle("invalidcourseid", "Invalid course ID")
}

fn duplicate_course(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    check_options(p, &BACKUP_OPTIONS)?;
    let template = ctx.st.courses.get(&int(p, "courseid")).filter(|c| c.id != 1).cloned().ok_or_else(invalid_course)?;
    let mut c = Course {
        fullname: str_of(p, "fullname").into(),
        shortname: str_of(p, "shortname").into(),
        categoryid: int(p, "categoryid"),
        idnumber: String::new(),
        visible: false,
        ..template.clone()
    };
    c.id = 0;
    check_course(ctx, &c)?;
    let shortname = c.shortname.clone();
    let id = insert_course(ctx.st, c, -1);
    let sections: Vec<Section> =
        template.sections.iter().map(|s| Section { id: ctx.st.next_id("course_sections"), ..s.clone() }).collect();
    if let Some(course) = ctx.st.courses.get_mut(&id) {
        course.sections = sections;
        course.visible = int(p, "visible") != 0;
    }
    Ok(json!({"id": id, "shortname": shortname}))
}

fn import_course(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    check_options(p, &["activities", "blocks", "filters"])?;
    let delete = match int(p, "deletecontent") {
        0 => false,
        1 => true,
        _ => return Err(WsError::moodle("invalidextparam", "Invalid external api parameter: deletecontent")),
    };
    let from = ctx.st.courses.get(&int(p, "importfrom")).cloned().ok_or_else(invalid_course)?;
    let to_id = int(p, "importto");
    let mut to = ctx.st.courses.get(&to_id).cloned().ok_or_else(invalid_course)?;
    if delete {
        to.sections.retain(|s| s.section < from.sections.len() as i64);
    }
    for src in &from.sections {
        match to.sections.iter_mut().find(|s| s.section == src.section) {
            Some(dst) if delete || dst.name.is_empty() => {
                dst.name = src.name.clone();
                dst.summary = src.summary.clone();
            }
            Some(_) => {}
            None => {
                let sid = ctx.st.next_id("course_sections");
                to.sections.push(Section { id: sid, ..src.clone() });
            }
        }
    }
    ctx.st.courses.insert(to_id, to);
    Ok(Value::Null)
}
