//! Courses by id (100 a call), shortname or idnumber (one a call: Moodle has no batch form),
//! the category tree (one call), a course's sections and activities.

use lmsync_core::target::{CourseKeys, TargetError};
use lmsync_model::{Activity, Category, Course, Section};
use lmsync_moodle::{Param, Params};
use serde_json::Value;

use crate::calls::read_all;
use crate::json::{flag, int, list, text};
use crate::{MoodleTarget, stop};

const BY_FIELD: &str = "core_course_get_courses_by_field";
const IDS_PER_CALL: usize = 100;

fn by(field: &str, value: String) -> Params {
    Params::new().with("field", field).with("value", value)
}

/// A course from Moodle's course structure.
pub(crate) fn course_from(v: &Value) -> Course {
    Course {
        id: int(v, "id"),
        category: int(v, "categoryid"),
        shortname: text(v, "shortname"),
        fullname: text(v, "fullname"),
        idnumber: text(v, "idnumber"),
        summary: text(v, "summary"),
        format: text(v, "format"),
        visible: v.get("visible").is_none_or(|_| flag(v, "visible")),
        startdate: int(v, "startdate"),
        enddate: int(v, "enddate"),
        lang: text(v, "lang"),
        theme: text(v, "theme"),
        groupmode: int(v, "groupmode"),
        groupmodeforce: flag(v, "groupmodeforce"),
        maxbytes: int(v, "maxbytes"),
        showgrades: flag(v, "showgrades"),
        newsitems: int(v, "newsitems"),
        enablecompletion: flag(v, "enablecompletion"),
        marker: int(v, "marker"),
        showreports: flag(v, "showreports"),
        defaultgroupingid: int(v, "defaultgroupingid"),
        timecreated: int(v, "timecreated"),
        timemodified: int(v, "timemodified"),
        ..Course::default()
    }
}

/// Every course matching any key (the site course excluded).
pub(crate) fn courses(t: &mut MoodleTarget, keys: &CourseKeys) -> Result<Vec<Course>, TargetError> {
    let mut calls: Vec<Params> = keys
        .ids
        .chunks(IDS_PER_CALL)
        .map(|ids| by("ids", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")))
        .collect();
    let mut seen_keys = std::collections::HashSet::new();
    for s in &keys.shortnames {
        if !s.is_empty() && seen_keys.insert(("shortname", s.clone())) {
            calls.push(by("shortname", s.clone()));
        }
    }
    for s in &keys.idnumbers {
        if !s.is_empty() && seen_keys.insert(("idnumber", s.clone())) {
            calls.push(by("idnumber", s.clone()));
        }
    }
    let answers = read_all(&t.client, BY_FIELD, calls).map_err(stop)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for answer in &answers {
        for c in list(answer, Some("courses")) {
            let course = course_from(c);
            if course.id != t.site.siteid && seen.insert(course.id) {
                out.push(course);
            }
        }
    }
    Ok(out)
}

/// Number of courses (the site course excluded).
pub(crate) fn course_count(t: &mut MoodleTarget) -> Result<u64, TargetError> {
    let answer = t.client.call_raw(BY_FIELD, &by("", String::new())).map_err(stop)?;
    let site = t.site.siteid;
    Ok(list(&answer, Some("courses")).iter().filter(|c| int(c, "id") != site).count() as u64)
}

/// The whole category tree.
pub(crate) fn categories(t: &mut MoodleTarget) -> Result<Vec<Category>, TargetError> {
    let params = Params::new().with("addsubcategories", true);
    let answer = t.client.call_raw("core_course_get_categories", &params).map_err(stop)?;
    Ok(list(&answer, None)
        .iter()
        .map(|c| Category {
            id: int(c, "id"),
            parent: Some(int(c, "parent")).filter(|p| *p > 0),
            name: text(c, "name"),
            idnumber: text(c, "idnumber"),
            visible: c.get("visible").is_none_or(|_| flag(c, "visible")),
        })
        .collect())
}

/// Sections and activities of a course.
pub(crate) fn content(t: &mut MoodleTarget, course: i64) -> Result<(Vec<Section>, Vec<Activity>), TargetError> {
    let answer = t
        .client
        .call_raw(
            "core_course_get_contents",
            &Params::new().with("courseid", course).with("options", Param::List(vec![])),
        )
        .map_err(stop)?;
    let mut sections = Vec::new();
    let mut activities = Vec::new();
    for s in list(&answer, None) {
        let number = int(s, "section") as u32;
        let name = text(s, "name");
        sections.push(Section {
            number,
            name: (!name.is_empty()).then_some(name),
            summary: text(s, "summary"),
            visible: s.get("visible").is_none_or(|_| flag(s, "visible")),
        });
        for m in list(s, Some("modules")) {
            activities.push(Activity {
                modname: text(m, "modname"),
                name: text(m, "name"),
                section: number,
                idnumber: text(m, "idnumber"),
                visible: m.get("visible").is_none_or(|_| flag(m, "visible")),
            });
        }
    }
    Ok((sections, activities))
}

/// Meta links lmsync can know of: none are listed by any web service (spec §2.11), so the
/// links are the ones recorded in the journal of earlier runs.
pub(crate) fn meta_links(_t: &mut MoodleTarget) -> Result<Vec<(i64, i64, bool)>, TargetError> {
    Ok(Vec::new())
}
