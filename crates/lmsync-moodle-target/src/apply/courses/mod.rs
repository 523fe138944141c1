//! Course lines on Moodle (spec §2.3–2.6, §2.11): categories found or created, courses created
//! in all-or-nothing batches or updated with only their changed fields (per-course warnings),
//! then their content (template import, sections), self/guest states and teachers; course and
//! category deletions; meta links. What no core web service can do fails its line saying what
//! to do in Moodle instead, before anything of that line is sent when it can be known then.

mod categories;
mod content;
mod meta;
mod people;

use lmsync_core::target::TargetError;
use lmsync_model::course::TemplateRef;
use lmsync_model::{ChangeError, ChangeKind, Course, CourseWrite};
use lmsync_moodle::{ChunkOptions, ItemOutcome, MoodleClient, Param, Params, apply_in_chunks};
use serde_json::Value;
use std::collections::HashMap;

use super::{Entry, Work};
use crate::MoodleTarget;
use crate::calls::{refusal, write};
use crate::json::{int, list, text};
use crate::lookups::courses as lookups;
use crate::stop;

pub(super) use meta::apply as apply_meta_links;

/// How a course field reaches Moodle.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// A key of the course structure of `core_course_create_courses`/`…_update_courses`.
    Plain(&'static str),
    /// A course format option (`courseformatoptions`).
    FormatOption(&'static str),
    /// No key: the course functions cannot set it.
    Never,
}

/// The course fields Moodle takes, with their key. `timecreated` is Moodle's to stamp;
/// `marker` and `legacyfiles` have no key.
const FIELDS: &[(&str, Key)] = &[
    ("fullname", Key::Plain("fullname")),
    ("shortname", Key::Plain("shortname")),
    ("idnumber", Key::Plain("idnumber")),
    ("summary", Key::Plain("summary")),
    ("format", Key::Plain("format")),
    ("showgrades", Key::Plain("showgrades")),
    ("newsitems", Key::Plain("newsitems")),
    ("startdate", Key::Plain("startdate")),
    ("enddate", Key::Plain("enddate")),
    ("maxbytes", Key::Plain("maxbytes")),
    ("showreports", Key::Plain("showreports")),
    ("visible", Key::Plain("visible")),
    ("groupmode", Key::Plain("groupmode")),
    ("groupmodeforce", Key::Plain("groupmodeforce")),
    ("defaultgroupingid", Key::Plain("defaultgroupingid")),
    ("enablecompletion", Key::Plain("enablecompletion")),
    ("lang", Key::Plain("lang")),
    ("theme", Key::Plain("forcetheme")),
    ("coursedisplay", Key::FormatOption("coursedisplay")),
];

fn key(field: &str) -> &'static Key {
    FIELDS.iter().find(|(f, _)| *f == field).map_or(&Key::Never, |(_, k)| k)
}

/// The value of a course field as Moodle takes it (booleans as 0/1).
fn value(c: &Course, field: &str) -> Param {
    match field {
        "shortname" => c.shortname.as_str().into(),
        "fullname" => c.fullname.as_str().into(),
        "idnumber" => c.idnumber.as_str().into(),
        "summary" => c.summary.as_str().into(),
        "format" => c.format.as_str().into(),
        "lang" => c.lang.as_str().into(),
        "theme" => c.theme.as_str().into(),
        "showgrades" => i64::from(c.showgrades).into(),
        "showreports" => i64::from(c.showreports).into(),
        "visible" => i64::from(c.visible).into(),
        "enablecompletion" => i64::from(c.enablecompletion).into(),
        "groupmodeforce" => i64::from(c.groupmodeforce).into(),
        "newsitems" => c.newsitems.into(),
        "startdate" => c.startdate.into(),
        "enddate" => c.enddate.into(),
        "maxbytes" => c.maxbytes.into(),
        "groupmode" => c.groupmode.into(),
        "defaultgroupingid" => c.defaultgroupingid.into(),
        "coursedisplay" => c.coursedisplay.to_string().into(),
        _ => Param::from(""),
    }
}

fn cannot_set(field: &str, shortname: &str) -> ChangeError {
    ChangeError::new(
        "moodle.unsupported",
        format!(
            "course {shortname}: Moodle's web services cannot set a course's {field}; leave the {field} column out, or set it in the course's settings in Moodle"
        ),
    )
}

/// The create structure of a course line, or why Moodle cannot take it.
fn create_item(cw: &CourseWrite, category: i64) -> Result<Param, ChangeError> {
    let c = &cw.course;
    if c.marker != 0 {
        return Err(cannot_set("marker", &c.shortname));
    }
    if c.legacyfiles {
        return Err(cannot_set("legacyfiles", &c.shortname));
    }
    let mut s: Vec<(String, Param)> = vec![("categoryid".into(), category.into())];
    let mut options = Vec::new();
    for (field, key) in FIELDS {
        // Empty language and theme mean the site's; Moodle checks any value it is sent.
        if matches!(*field, "lang" | "theme") && value(c, field).scalar_text().is_some_and(|v| v.is_empty()) {
            continue;
        }
        match key {
            Key::Plain(k) => s.push(((*k).into(), value(c, field))),
            Key::FormatOption(k) if c.coursedisplay != 0 => options.push(format_option(k, value(c, field))),
            Key::FormatOption(_) | Key::Never => {}
        }
    }
    // Sections 1…N come with the course; a template's come with its import.
    if cw.template.is_none() {
        s.push(("numsections".into(), i64::from(cw.sections.iter().map(|x| x.number).max().unwrap_or(0)).into()));
    }
    if !options.is_empty() {
        s.push(("courseformatoptions".into(), Param::List(options)));
    }
    Ok(Param::Struct(s))
}

fn format_option(name: &str, value: Param) -> Param {
    Param::obj([("name", Param::from(name)), ("value", value)])
}

/// The update structure of a course line's changed fields (`None`: only content or people
/// change), or why Moodle cannot take them.
fn update_item(cw: &CourseWrite, id: i64, category: Option<i64>) -> Result<Option<Param>, ChangeError> {
    let mut s: Vec<(String, Param)> = vec![("id".into(), id.into())];
    let mut options = Vec::new();
    for field in &cw.changed {
        match (*field, key(field)) {
            ("sections", _) => {}
            ("category", _) => {
                if let Some(category) = category {
                    s.push(("categoryid".into(), category.into()));
                }
            }
            (f, Key::Plain(k)) => s.push(((*k).into(), value(&cw.course, f))),
            (f, Key::FormatOption(k)) => options.push(format_option(k, value(&cw.course, f))),
            (f, Key::Never) => return Err(cannot_set(f, &cw.course.shortname)),
        }
    }
    if !options.is_empty() {
        s.push(("courseformatoptions".into(), Param::List(options)));
    }
    Ok((s.len() > 1).then_some(Param::Struct(s)))
}

/// Calls `function` once per item: for functions taking one object a call. Like
/// `calls::write`, a failed item fails its change and a site that stops answering stops all.
fn one_by_one<T>(
    client: &MoodleClient,
    function: &str,
    items: &[(usize, T)],
    build: impl Fn(&T) -> Params,
    failures: &mut [Option<ChangeError>],
) -> Result<Vec<Option<Value>>, TargetError> {
    let one = ChunkOptions { initial: 1, max_items: 1, ..ChunkOptions::for_function(function) };
    let report = apply_in_chunks(client, function, items, |chunk| build(&chunk[0].1), &one);
    if let Some(e) = report.stopped {
        return Err(stop(e));
    }
    Ok(items
        .iter()
        .zip(report.outcomes)
        .map(|((i, _), outcome)| match outcome {
            ItemOutcome::Applied(v) => Some(v),
            ItemOutcome::Failed(e) => {
                if failures[*i].is_none() {
                    failures[*i] = Some(refusal(&e));
                }
                None
            }
            ItemOutcome::NotSent => None,
        })
        .collect())
}

/// Fails the changes a per-course warning of an answer names (by course id).
fn warned(answer: &Value, w: &mut Work<'_>, items: &[(usize, i64)], what: &str) {
    for warning in list(answer, Some("warnings")) {
        let id = int(warning, "itemid");
        for (i, _) in items.iter().filter(|(_, course)| *course == id) {
            let code = text(warning, "warningcode");
            w.fail(
                *i,
                ChangeError::new(
                    &format!("moodle.{code}"),
                    format!("moodle refused to {what} course {id}: {}", text(warning, "message")),
                ),
            );
        }
    }
}

/// What a course line cannot have on Moodle, known before anything is sent.
fn precheck(cw: &CourseWrite) -> Option<ChangeError> {
    if let Some(TemplateRef::Backup(name)) = &cw.template {
        return Some(ChangeError::new(
            "moodle.unsupported",
            format!(
                "template {name} is a backup file: Moodle's web services cannot restore a backup; restore it into a course in Moodle and name that course's shortname as the template"
            ),
        ));
    }
    if cw.before.is_none()
        && cw.template.is_none()
        && let Some(s) = cw.sections.iter().find(|s| !s.summary.is_empty())
    {
        return Some(content::summary_refused(&cw.course.shortname, s.number));
    }
    None
}

/// The course lines of the chunk.
fn course_lines<'c>(w: &Work<'c>) -> Vec<(usize, &'c CourseWrite)> {
    w.each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::WriteCourse(cw) => Some((i, cw.as_ref())),
            _ => None,
        })
        .collect()
}

/// A dry run's checks: what a course line cannot have on this site fails it (reads only).
pub(super) fn rehearse(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let lines = course_lines(w);
    for (i, cw) in &lines {
        if let Some(e) = precheck(cw) {
            w.fail(*i, e);
        }
    }
    content::precheck(t, w, &lines)?;
    people::precheck(t, w, &lines)
}

pub(super) fn apply(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let lines: Vec<(usize, &CourseWrite)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::WriteCourse(cw) => Some((i, cw.as_ref())),
            _ => None,
        })
        .collect();
    for (i, cw) in &lines {
        if let Some(e) = precheck(cw) {
            w.fail(*i, e);
        }
    }
    let mut wrote: HashMap<usize, bool> = HashMap::new();
    if !lines.is_empty() {
        content::precheck(t, w, &lines)?;
        people::precheck(t, w, &lines)?;
        let category = categories::resolve(t, w)?;
        write_courses(t, w, &lines, &category, &mut wrote)?;
        content::apply(t, w, &lines, &mut wrote)?;
        people::apply(t, w, &lines, &mut wrote)?;
        for (i, cw) in &lines {
            if !wrote.get(i).copied().unwrap_or(false) {
                continue;
            }
            let id = w.ids[*i];
            let mut course = cw.course.clone();
            course.id = id;
            if let Some(c) = category.get(i) {
                course.category = *c;
            }
            let after = serde_json::json!({
                "course": course,
                "category": course.category,
                "sections": cw.sections.len(),
                "activities": cw.activities.len(),
                "template": cw.template.as_ref().map(|t| format!("{t:?}")),
                "teachers": cw.teachers.iter().map(|t| (&t.username, &t.role)).collect::<Vec<_>>(),
                "changed": cw.changed,
            });
            let (action, before) = match &cw.before {
                None => ("create", None),
                Some(b) => ("update", serde_json::to_string(b).ok()),
            };
            w.journal(*i, Entry { entity: "course", id, action, before, after: Some(after.to_string()) });
        }
    }
    delete_courses(t, w)?;
    categories::delete(t, w)
}

/// Creates the new courses and updates the changed fields of the others.
fn write_courses(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    lines: &[(usize, &CourseWrite)],
    category: &HashMap<usize, i64>,
    wrote: &mut HashMap<usize, bool>,
) -> Result<(), TargetError> {
    let mut creates: Vec<(usize, Param)> = Vec::new();
    let mut updates: Vec<(usize, (i64, Param))> = Vec::new();
    for (i, cw) in lines {
        if !w.alive(*i) {
            continue;
        }
        let item = match &cw.before {
            None => match category.get(i) {
                Some(c) => create_item(cw, *c).map(|p| creates.push((*i, p))),
                None => Err(ChangeError::new(
                    "course.unknown_category",
                    format!(
                        "course {}: no category to create it in; give one in the category column",
                        cw.course.shortname
                    ),
                )),
            },
            Some(b) => update_item(cw, b.id, category.get(i).copied()).map(|p| {
                if let Some(p) = p {
                    updates.push((*i, (b.id, p)));
                }
            }),
        };
        if let Err(e) = item {
            w.fail(*i, e);
        }
    }
    let created = write(
        &t.client,
        "core_course_create_courses",
        &creates,
        |items| Params::new().with("courses", Param::list(items.iter().map(|(_, p)| p.clone()))),
        &mut w.failures,
    )?;
    for ((i, _), answer) in creates.iter().zip(&created) {
        if let Some(a) = answer {
            w.ids[*i] = int(a, "id");
            wrote.insert(*i, true);
        }
    }
    let updates: Vec<_> = updates.into_iter().filter(|(i, _)| w.alive(*i)).collect();
    let answers = write(
        &t.client,
        "core_course_update_courses",
        &updates,
        |items| Params::new().with("courses", Param::list(items.iter().map(|(_, (_, p))| p.clone()))),
        &mut w.failures,
    )?;
    let ids: Vec<(usize, i64)> = updates.iter().map(|(i, (id, _))| (*i, *id)).collect();
    for answer in answers.iter().flatten() {
        warned(answer, w, &ids, "update");
    }
    for ((i, _), answer) in ids.iter().zip(&answers) {
        // A warned update may have changed part of the course (no transaction): it is
        // journalled as written all the same.
        if answer.is_some() {
            wrote.insert(*i, true);
        }
    }
    Ok(())
}

/// Deletes courses (slow: small chunks, long timeout), journalling each as it was.
fn delete_courses(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let asked: Vec<(usize, i64)> = w
        .each()
        .filter_map(|(i, c)| match c.kind {
            ChangeKind::DeleteCourse { id } => Some((i, id)),
            _ => None,
        })
        .collect();
    if asked.is_empty() {
        return Ok(());
    }
    let keys = lmsync_core::target::CourseKeys { ids: asked.iter().map(|(_, id)| *id).collect(), ..Default::default() };
    let found: HashMap<i64, Course> = lookups::courses(t, &keys)?.into_iter().map(|c| (c.id, c)).collect();
    let mut items = Vec::new();
    for (i, id) in asked {
        if found.contains_key(&id) {
            items.push((i, id));
        } else {
            w.fail(i, ChangeError::new("course.not_found", format!("course id {id} no longer exists")));
        }
    }
    let answers = write(
        &t.client,
        "core_course_delete_courses",
        &items,
        |items| Params::new().with("courseids", Param::list(items.iter().map(|(_, id)| *id))),
        &mut w.failures,
    )?;
    for answer in answers.iter().flatten() {
        warned(answer, w, &items, "delete");
    }
    for ((i, id), answer) in items.iter().zip(&answers) {
        t.rosters.remove(id);
        t.groups.remove(id);
        if answer.is_some() && w.alive(*i) {
            let before = found.get(id).and_then(|c| serde_json::to_string(c).ok());
            w.journal(*i, Entry { entity: "course", id: *id, action: "delete", before, after: None });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lmsync_model::Section;

    fn line() -> CourseWrite {
        CourseWrite {
            course: Course {
                shortname: "C1".into(),
                fullname: "Course 1".into(),
                format: "topics".into(),
                visible: true,
                showgrades: true,
                newsitems: 5,
                ..Course::default()
            },
            sections: (0..=3).map(|number| Section { number, visible: true, ..Section::default() }).collect(),
            ..CourseWrite::default()
        }
    }

    fn encoded(p: Param) -> Vec<(String, String)> {
        Params::new().with("c", p).encode()
    }

    fn has(form: &[(String, String)], key: &str, value: &str) -> bool {
        form.iter().any(|(k, v)| k == &format!("c[{key}]") && v == value)
    }

    #[test]
    fn a_creation_sends_booleans_as_0_1_and_its_sections_as_numsections() {
        let form = encoded(create_item(&line(), 7).unwrap());
        assert!(has(&form, "categoryid", "7"));
        assert!(has(&form, "visible", "1"));
        assert!(has(&form, "showgrades", "1"));
        assert!(has(&form, "numsections", "3"));
        assert!(!form.iter().any(|(k, _)| k == "c[lang]" || k == "c[forcetheme]"), "empty lang/theme stay out");
        let mut marked = line();
        marked.course.marker = 2;
        assert_eq!(create_item(&marked, 7).unwrap_err().code, "moodle.unsupported");
    }

    #[test]
    fn an_update_sends_only_the_changed_fields_moodle_takes() {
        let mut cw = line();
        cw.course.visible = false;
        cw.changed = vec!["visible", "fullname", "sections", "category"];
        let form = encoded(update_item(&cw, 12, Some(4)).unwrap().unwrap());
        assert_eq!(form.len(), 4, "{form:?}");
        assert!(has(&form, "id", "12") && has(&form, "visible", "0") && has(&form, "categoryid", "4"));
        cw.changed = vec!["sections"];
        assert_eq!(update_item(&cw, 12, None).unwrap(), None);
        cw.changed = vec!["timecreated"];
        assert!(update_item(&cw, 12, None).unwrap_err().message.contains("timecreated"));
        cw.changed = vec!["coursedisplay"];
        let form = encoded(update_item(&cw, 12, None).unwrap().unwrap());
        assert!(form.iter().any(|(k, v)| k == "c[courseformatoptions][0][name]" && v == "coursedisplay"));
    }

    #[test]
    fn a_backup_template_and_a_summary_on_creation_are_refused_before_sending() {
        let mut cw = line();
        cw.template = Some(TemplateRef::Backup("t.mbz".into()));
        assert!(precheck(&cw).unwrap().message.contains("cannot restore a backup"));
        let mut cw = line();
        cw.sections[2].summary = "Intro".into();
        assert!(precheck(&cw).unwrap().message.contains("section 2"));
        assert!(precheck(&line()).is_none());
    }
}
