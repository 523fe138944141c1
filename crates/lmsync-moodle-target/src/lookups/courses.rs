//! Courses by id (100 a call), shortname or idnumber (one a call: Moodle has no batch form),
//! the category tree (one call), a course's sections and activities.

use lmsync_core::target::{CourseKeys, TargetError};
use lmsync_model::{Activity, Category, Course, Section};
use lmsync_moodle::{Param, Params};
use serde_json::Value;
use std::collections::HashSet;

use crate::calls::read_all;
use crate::json::{flag, int, list, text};
use crate::{MoodleTarget, local_failure, stop};

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
    let id_calls = calls.len();
    // Shortnames and idnumbers take one call each: the answers are kept until a course is
    // written, so the next chunks naming the same courses ask nothing.
    let mut found: Vec<Course> = Vec::new();
    let mut asked: Vec<(&'static str, String)> = Vec::new();
    let named = keys.shortnames.iter().map(|s| ("shortname", s)).chain(keys.idnumbers.iter().map(|s| ("idnumber", s)));
    for (field, value) in named {
        let key = (field, value.clone());
        if value.is_empty() || asked.contains(&key) {
            continue;
        }
        match t.course_keys.get(&key) {
            Some(known) => found.extend(known.iter().cloned()),
            None => {
                calls.push(by(field, value.clone()));
                asked.push(key);
            }
        }
    }
    let answers = read_all(&t.client, BY_FIELD, calls).map_err(stop)?;
    let site = t.site.siteid;
    let courses_of = |answer: &Value| -> Vec<Course> {
        list(answer, Some("courses")).iter().map(course_from).filter(|c| c.id != site).collect()
    };
    for answer in &answers[..id_calls] {
        found.extend(courses_of(answer));
    }
    for (key, answer) in asked.into_iter().zip(&answers[id_calls..]) {
        let courses = courses_of(answer);
        found.extend(courses.iter().cloned());
        t.course_keys.insert(key, courses);
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|c| seen.insert(c.id));
    Ok(found)
}

/// Which of the courses `ids` have an enabled enrolment instance of `method`
/// (`enrollmentmethods`: Moodle says which kinds a course has, not what they link to).
pub(crate) fn having_method(t: &mut MoodleTarget, ids: &[i64], method: &str) -> Result<HashSet<i64>, TargetError> {
    let calls = ids
        .chunks(IDS_PER_CALL)
        .map(|ids| by("ids", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")))
        .collect();
    let answers = read_all(&t.client, BY_FIELD, calls).map_err(stop)?;
    Ok(answers
        .iter()
        .flat_map(|a| list(a, Some("courses")))
        .filter(|c| list(c, Some("enrollmentmethods")).iter().any(|m| m.as_str() == Some(method)))
        .map(|c| int(c, "id"))
        .collect())
}

/// Number of courses (the site course excluded).
pub(crate) fn course_count(t: &mut MoodleTarget) -> Result<u64, TargetError> {
    let answer = t.client.call_raw(BY_FIELD, &by("", String::new())).map_err(stop)?;
    let site = t.site.siteid;
    Ok(list(&answer, Some("courses")).iter().filter(|c| int(c, "id") != site).count() as u64)
}

/// The whole category tree.
pub(crate) fn categories(t: &mut MoodleTarget) -> Result<Vec<Category>, TargetError> {
    Ok(category_rows(t)?.into_iter().map(|(c, _)| c).collect())
}

/// The whole category tree, each category with the number of courses directly in it.
pub(crate) fn category_rows(t: &mut MoodleTarget) -> Result<Vec<(Category, i64)>, TargetError> {
    let params = Params::new().with("addsubcategories", true);
    let answer = t.client.call_raw("core_course_get_categories", &params).map_err(stop)?;
    Ok(list(&answer, None)
        .iter()
        .map(|c| {
            let category = Category {
                id: int(c, "id"),
                parent: Some(int(c, "parent")).filter(|p| *p > 0),
                name: text(c, "name"),
                idnumber: text(c, "idnumber"),
                visible: c.get("visible").is_none_or(|_| flag(c, "visible")),
            };
            (category, int(c, "coursecount"))
        })
        .collect())
}

/// Sections and activities of a course.
pub(crate) fn content(t: &mut MoodleTarget, course: i64) -> Result<(Vec<Section>, Vec<Activity>), TargetError> {
    let (sections, activities) = contents(t, course)?;
    Ok((sections.into_iter().map(|(_, s)| s).collect(), activities))
}

/// Sections, each with its id (which the section functions take), and activities.
pub(crate) type Contents = (Vec<(i64, Section)>, Vec<Activity>);

/// Sections (with their ids, which the section functions take) and activities of a course.
pub(crate) fn contents(t: &mut MoodleTarget, course: i64) -> Result<Contents, TargetError> {
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
        sections.push((
            int(s, "id"),
            Section {
                number,
                name: stored_name(number, &text(s, "name")),
                summary: text(s, "summary"),
                visible: s.get("visible").is_none_or(|_| flag(s, "visible")),
            },
        ));
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

/// The name a section has of its own, from the name Moodle shows: `core_course_get_contents`
/// answers the format's generated name ("General", "Topic 3", "Section 3", "New section")
/// for a section without one, and no function gives the stored name. A section really named
/// like a generated name reads as unnamed, which is what it looks like in Moodle too.
pub(crate) fn stored_name(number: u32, shown: &str) -> Option<String> {
    let generated = shown.is_empty()
        || (number == 0 && shown == "General")
        || shown == format!("Topic {number}")
        || shown == format!("Section {number}")
        || shown == "New section";
    (!generated).then(|| shown.to_string())
}

/// Meta links lmsync can know of: no web service lists them (spec §2.11), so they are the
/// links lmsync itself made on this site and has not removed since, from the journal of
/// earlier runs. A link made in Moodle itself is unknown: adding it again is answered
/// "already there" by Moodle, and removing it is sent all the same.
pub(crate) fn meta_links(t: &mut MoodleTarget) -> Result<Vec<(i64, i64, bool)>, TargetError> {
    let site = t.site_key().to_string();
    let rows: Vec<(String, String)> = t
        .local
        .connection()
        .prepare_cached(
            "SELECT action, COALESCE(after, before) FROM sync_journal WHERE entity = 'meta_link' AND COALESCE(after, before) IS NOT NULL ORDER BY id",
        )
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(local_failure)?;
    Ok(links_of(&site, &rows).into_iter().map(|(master, meta)| (master, meta, true)).collect())
}

/// The links standing after the journalled `(action, link JSON)` entries of `site`, in order.
pub(crate) fn links_of(site: &str, rows: &[(String, String)]) -> Vec<(i64, i64)> {
    let mut links = std::collections::BTreeSet::new();
    for (action, link) in rows {
        let Ok(v) = serde_json::from_str::<Value>(link) else { continue };
        if text(&v, "site") != site {
            continue;
        }
        let pair = (int(&v, "master"), int(&v, "meta"));
        match action.as_str() {
            "create" => {
                links.insert(pair);
            }
            "delete" => {
                links.remove(&pair);
            }
            _ => {}
        }
    }
    links.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_section_names_read_as_no_name() {
        assert_eq!(stored_name(0, "General"), None);
        assert_eq!(stored_name(3, "Topic 3"), None);
        assert_eq!(stored_name(3, "Section 3"), None);
        assert_eq!(stored_name(3, "Topic 4"), Some("Topic 4".into()));
        assert_eq!(stored_name(2, "Algebra"), Some("Algebra".into()));
    }

    #[test]
    fn journalled_links_of_the_site_stand_until_removed() {
        let link =
            |site: &str, master: i64, meta: i64| format!(r#"{{"site":"{site}","master":{master},"meta":{meta}}}"#);
        let rows = vec![
            ("create".to_string(), link("https://a", 2, 3)),
            ("create".to_string(), link("https://a", 2, 4)),
            ("create".to_string(), link("https://b", 5, 6)),
            ("delete".to_string(), link("https://a", 2, 3)),
            ("create".to_string(), "not json".to_string()),
        ];
        assert_eq!(links_of("https://a", &rows), vec![(2, 4)]);
        assert_eq!(links_of("https://b", &rows), vec![(5, 6)]);
    }
}
