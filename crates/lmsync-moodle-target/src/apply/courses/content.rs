//! A course line's content on Moodle (spec §2.5–2.6): a template course's content imported
//! (`core_course_import_course`, replacing the course's with `replace_content`), sections added
//! or removed and shown or hidden (`core_courseformat_update_course`, 4.0+), renamed one by one
//! (`core_update_inplace_editable`). Section summaries cannot be set by any core function: a
//! line asking for a different one fails before anything of it is sent.

use lmsync_core::target::TargetError;
use lmsync_model::course::TemplateRef;
use lmsync_model::{Activity, ChangeError, CourseWrite, Section};
use lmsync_moodle::{Param, Params};
use std::collections::HashMap;

use super::one_by_one;
use crate::MoodleTarget;
use crate::apply::Work;
use crate::lookups::courses as lookups;

pub(super) fn summary_refused(shortname: &str, number: u32) -> ChangeError {
    ChangeError::new(
        "moodle.unsupported",
        format!(
            "course {shortname}: section {number} would get a new summary, and Moodle's web services cannot set a section summary; leave the summary out of topic{number}, or write it in the course page in Moodle"
        ),
    )
}

/// The template course of a line, when its content is to be copied.
fn template_course(cw: &CourseWrite) -> Option<i64> {
    match &cw.template {
        Some(TemplateRef::Course { id, .. }) => Some(*id),
        _ => None,
    }
}

/// The sections a course will have before the line's own are set: its current ones, with a
/// template's laid over (replace) or filling the numbers it lacks (add), as the import does.
fn base_sections(current: &[Section], template: Option<&[Section]>, replace: bool) -> Vec<Section> {
    let Some(template) = template else { return current.to_vec() };
    let (first, second) = if replace { (template, current) } else { (current, template) };
    let mut out: Vec<Section> = first.to_vec();
    out.extend(second.iter().filter(|s| !first.iter().any(|f| f.number == s.number)).cloned());
    out
}

/// Why the line's sections and activities cannot be had from `base` and the template's
/// `template_activities`.
pub(super) fn refusal(cw: &CourseWrite, base: &[Section], template_activities: usize) -> Option<ChangeError> {
    let shortname = &cw.course.shortname;
    for s in &cw.sections {
        let had = base.iter().find(|b| b.number == s.number).map_or("", |b| b.summary.as_str());
        if s.summary != had {
            return Some(summary_refused(shortname, s.number));
        }
    }
    if cw.before.is_some()
        && !cw.replace_content
        && !cw.activities.is_empty()
        && cw.activities.len() < template_activities
    {
        return Some(ChangeError::new(
            "moodle.unsupported",
            format!(
                "course {shortname} already has {} of its template's {template_activities} activities, and Moodle imports a template whole, so they would be copied twice; set courses.template_mode = replace, or add the {} missing ones in Moodle",
                template_activities - cw.activities.len(),
                cw.activities.len()
            ),
        ));
    }
    None
}

/// Fails the lines whose content Moodle cannot make, reading the courses and templates
/// concerned.
pub(super) fn precheck(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    lines: &[(usize, &CourseWrite)],
) -> Result<(), TargetError> {
    let mut templates: HashMap<i64, (Vec<Section>, Vec<Activity>)> = HashMap::new();
    for (i, cw) in lines {
        let template = template_course(cw);
        if !w.alive(*i) || (cw.before.is_none() && template.is_none()) || (cw.sections.is_empty() && template.is_none())
        {
            continue;
        }
        let current = match &cw.before {
            Some(b) => lookups::content(t, b.id)?.0,
            None => Vec::new(),
        };
        if let Some(id) = template
            && !templates.contains_key(&id)
        {
            templates.insert(id, lookups::content(t, id)?);
        }
        let from = template.and_then(|id| templates.get(&id));
        let base = base_sections(&current, from.map(|(s, _)| s.as_slice()), cw.replace_content);
        if let Some(e) = refusal(cw, &base, from.map_or(0, |(_, a)| a.len())) {
            w.fail(*i, e);
        }
    }
    Ok(())
}

/// What must be done to a course's sections to have `wanted`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct SectionPlan {
    pub add: usize,
    pub delete: Vec<i64>,
    pub rename: Vec<(u32, String)>,
    pub hide: Vec<u32>,
    pub show: Vec<u32>,
}

/// The section work of one course: `current` with their ids; sections past the wanted ones go
/// only when the line replaces the content.
pub(super) fn plan(current: &[(i64, Section)], wanted: &[Section], replace: bool) -> SectionPlan {
    let top = wanted.iter().map(|s| s.number).max();
    let have = current.iter().map(|(_, s)| s.number).max();
    let mut p =
        SectionPlan { add: top.map_or(0, |t| t.saturating_sub(have.unwrap_or(0)) as usize), ..Default::default() };
    if replace && let Some(top) = top {
        p.delete = current.iter().filter(|(_, s)| s.number > top).map(|(id, _)| *id).collect();
    }
    for s in wanted {
        let now = current.iter().find(|(_, c)| c.number == s.number).map(|(_, c)| c);
        if now.map_or(s.name.is_some(), |c| c.name != s.name) {
            p.rename.push((s.number, s.name.clone().unwrap_or_default()));
        }
        match now.is_none_or(|c| c.visible) {
            true if !s.visible => p.hide.push(s.number),
            false if s.visible => p.show.push(s.number),
            _ => {}
        }
    }
    p
}

fn action(course: i64, action: &str, ids: &[i64]) -> Params {
    let p = Params::new().with("action", action).with("courseid", course);
    if ids.is_empty() { p } else { p.with("ids", Param::list(ids.iter().copied())) }
}

fn needs_4_0(t: &MoodleTarget, shortname: &str, what: &str) -> ChangeError {
    ChangeError::new(
        "moodle.unsupported",
        format!(
            "course {shortname}: {what} through web services needs Moodle 4.0 or later (core_courseformat_update_course); this site runs {}: do it in the course page in Moodle, or upgrade the site",
            t.site.release
        ),
    )
}

/// Imports templates and sets the sections of the lines still standing.
pub(super) fn apply(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    lines: &[(usize, &CourseWrite)],
    wrote: &mut HashMap<usize, bool>,
) -> Result<(), TargetError> {
    let imports: Vec<(usize, (i64, i64, bool))> = lines
        .iter()
        .filter(|(i, _)| w.alive(*i) && w.ids[*i] > 0)
        .filter_map(|(i, cw)| template_course(cw).map(|from| (*i, (from, w.ids[*i], cw.replace_content))))
        .collect();
    let done = one_by_one(
        &t.client,
        "core_course_import_course",
        &imports,
        |(from, to, replace)| {
            Params::new().with("importfrom", *from).with("importto", *to).with("deletecontent", i64::from(*replace))
        },
        &mut w.failures,
    )?;
    for ((i, _), answer) in imports.iter().zip(&done) {
        if answer.is_some() {
            wrote.insert(*i, true);
        }
    }
    for (i, cw) in lines {
        let course = w.ids[*i];
        if !w.alive(*i) || course == 0 || cw.sections.is_empty() {
            continue;
        }
        if sections(t, w, *i, course, cw)? {
            wrote.insert(*i, true);
        }
    }
    Ok(())
}

/// Sets one course's sections; whether anything was written.
fn sections(
    t: &mut MoodleTarget,
    w: &mut Work<'_>,
    i: usize,
    course: i64,
    cw: &CourseWrite,
) -> Result<bool, TargetError> {
    let shortname = cw.course.shortname.as_str();
    let mut current = lookups::contents(t, course)?.0;
    let first = plan(&current, &cw.sections, cw.replace_content);
    let mut wrote = false;
    if first.add > 0 || !first.delete.is_empty() {
        if !t.site.has_courseformat_actions() {
            w.fail(i, needs_4_0(t, shortname, "adding or removing sections"));
            return Ok(false);
        }
        let mut calls: Vec<(usize, Params)> = (0..first.add).map(|_| (i, action(course, "section_add", &[]))).collect();
        if !first.delete.is_empty() {
            calls.push((i, action(course, "section_delete", &first.delete)));
        }
        let done = one_by_one(&t.client, "core_courseformat_update_course", &calls, Clone::clone, &mut w.failures)?;
        wrote |= done.iter().any(Option::is_some);
        if !w.alive(i) {
            return Ok(wrote);
        }
        current = lookups::contents(t, course)?.0;
    }
    let p = plan(&current, &cw.sections, cw.replace_content);
    let id_of = |n: &u32| current.iter().find(|(_, s)| s.number == *n).map(|(id, _)| *id);
    if !p.rename.is_empty() {
        if matches!(cw.course.format.as_str(), "social" | "singleactivity") {
            w.fail(
                i,
                ChangeError::new(
                    "moodle.unsupported",
                    format!(
                        "course {shortname}: its format {} has no section names to set; leave the topic columns out, or change the course format",
                        cw.course.format
                    ),
                ),
            );
            return Ok(wrote);
        }
        let component = format!("format_{}", cw.course.format);
        let renames: Vec<(usize, Params)> = p
            .rename
            .iter()
            .filter_map(|(n, name)| {
                id_of(n).map(|id| {
                    let params = Params::new()
                        .with("component", component.as_str())
                        .with("itemtype", "sectionname")
                        .with("itemid", id.to_string())
                        .with("value", name.as_str());
                    (i, params)
                })
            })
            .collect();
        let done = one_by_one(&t.client, "core_update_inplace_editable", &renames, Clone::clone, &mut w.failures)?;
        wrote |= done.iter().any(Option::is_some);
    }
    if !p.hide.is_empty() || !p.show.is_empty() {
        if !t.site.has_courseformat_actions() {
            w.fail(i, needs_4_0(t, shortname, "showing or hiding sections"));
            return Ok(wrote);
        }
        let mut calls = Vec::new();
        for (name, numbers) in [("section_hide", &p.hide), ("section_show", &p.show)] {
            let ids: Vec<i64> = numbers.iter().filter_map(id_of).collect();
            if !ids.is_empty() {
                calls.push((i, action(course, name, &ids)));
            }
        }
        let done = one_by_one(&t.client, "core_courseformat_update_course", &calls, Clone::clone, &mut w.failures)?;
        wrote |= done.iter().any(Option::is_some);
    }
    Ok(wrote)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(number: u32, name: Option<&str>, visible: bool) -> Section {
        Section { number, name: name.map(String::from), summary: String::new(), visible }
    }

    #[test]
    fn the_section_plan_adds_renames_hides_and_removes_only_on_replace() {
        let current: Vec<(i64, Section)> =
            vec![(10, section(0, None, true)), (11, section(1, Some("Old"), true)), (12, section(2, None, true))];
        let wanted = vec![section(1, None, true), section(2, Some("Two"), false), section(4, Some("Four"), true)];
        let p = plan(&current, &wanted, false);
        assert_eq!(p.add, 2);
        assert_eq!(p.rename, vec![(1, String::new()), (2, "Two".into()), (4, "Four".into())]);
        assert_eq!(p.hide, vec![2]);
        assert!(p.delete.is_empty() && p.show.is_empty());
        let p = plan(&current, &[section(0, None, true), section(1, Some("Old"), true)], true);
        assert_eq!(p, SectionPlan { delete: vec![12], ..Default::default() });
        assert_eq!(plan(&current, &[section(1, Some("Old"), true)], false), SectionPlan::default());
    }

    #[test]
    fn a_different_summary_or_a_partial_template_add_is_refused() {
        let mut cw = CourseWrite::default();
        cw.course.shortname = "C".into();
        cw.sections = vec![Section { number: 1, summary: "New".into(), ..Section::default() }];
        let base = vec![Section { number: 1, summary: "Old".into(), ..Section::default() }];
        assert!(refusal(&cw, &base, 0).unwrap().message.contains("section summary"));
        cw.sections[0].summary = "Old".into();
        assert!(refusal(&cw, &base, 0).is_none());
        cw.before = Some(Default::default());
        cw.activities = vec![Activity::default()];
        assert!(refusal(&cw, &base, 3).unwrap().message.contains("copied twice"));
        assert!(refusal(&cw, &base, 1).is_none(), "all the template's activities are missing: one import");
    }

    #[test]
    fn a_template_lays_its_sections_over_or_under_the_courses() {
        let current = vec![Section { number: 1, summary: "mine".into(), ..Section::default() }];
        let template = vec![
            Section { number: 1, summary: "its".into(), ..Section::default() },
            Section { number: 2, summary: "two".into(), ..Section::default() },
        ];
        let add = base_sections(&current, Some(&template), false);
        assert_eq!(add.iter().map(|s| s.summary.as_str()).collect::<Vec<_>>(), ["mine", "two"]);
        let replace = base_sections(&current, Some(&template), true);
        assert_eq!(replace.iter().map(|s| s.summary.as_str()).collect::<Vec<_>>(), ["its", "two"]);
    }
}
