//! A course's groups, groupings, their bindings and member counts
//! (`core_group_get_course_groups`, `…_get_course_groupings`, `…_get_groupings`,
//! `…_get_group_members`).

use lmsync_core::target::TargetError;
use lmsync_model::{CourseGroups, Group};
use lmsync_moodle::{Param, Params};
use std::collections::HashMap;

use crate::json::{int, list, text};
use crate::{MoodleTarget, stop};

/// A group as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupRow {
    pub id: i64,
    pub name: String,
    pub idnumber: String,
    pub description: String,
}

impl GroupRow {
    fn group(&self) -> Group {
        Group {
            id: self.id,
            name: self.name.clone(),
            idnumber: self.idnumber.clone(),
            description: self.description.clone(),
        }
    }
}

fn rows(answer: &serde_json::Value) -> Vec<GroupRow> {
    list(answer, None)
        .iter()
        .map(|g| GroupRow {
            id: int(g, "id"),
            name: text(g, "name"),
            idnumber: text(g, "idnumber"),
            description: text(g, "description"),
        })
        .collect()
}

/// The groups of a course (kept until the target writes to the course).
pub(crate) fn groups(t: &mut MoodleTarget, course: i64) -> Result<Vec<GroupRow>, TargetError> {
    if let Some(g) = t.groups.get(&course) {
        return Ok(g.clone());
    }
    let answer =
        t.client.call_raw("core_group_get_course_groups", &Params::new().with("courseid", course)).map_err(stop)?;
    let g = rows(&answer);
    t.groups.insert(course, g.clone());
    Ok(g)
}

/// The groupings of a course (read each time: only the groups tool asks, once a course).
pub(crate) fn groupings(t: &mut MoodleTarget, course: i64) -> Result<Vec<GroupRow>, TargetError> {
    let answer =
        t.client.call_raw("core_group_get_course_groupings", &Params::new().with("courseid", course)).map_err(stop)?;
    Ok(rows(&answer))
}

/// Groups, groupings and which group is in which grouping.
pub(crate) fn course_groups(t: &mut MoodleTarget, course: i64) -> Result<CourseGroups, TargetError> {
    let groups = groups(t, course)?;
    let groupings = groupings(t, course)?;
    let mut bindings = Vec::new();
    if !groupings.is_empty() {
        let params =
            Params::new().with("groupingids", Param::list(groupings.iter().map(|g| g.id))).with("returngroups", true);
        let answer = t.client.call_raw("core_group_get_groupings", &params).map_err(stop)?;
        for grouping in list(&answer, None) {
            for g in list(grouping, Some("groups")) {
                bindings.push((text(g, "name"), text(grouping, "name")));
            }
        }
    }
    Ok(CourseGroups {
        groups: groups.iter().map(GroupRow::group).collect(),
        groupings: groupings.iter().map(GroupRow::group).collect(),
        bindings,
    })
}

/// The members of each group of a course, by group id.
pub(crate) fn members(t: &mut MoodleTarget, course: i64) -> Result<HashMap<i64, Vec<i64>>, TargetError> {
    let groups = groups(t, course)?;
    if groups.is_empty() {
        return Ok(HashMap::new());
    }
    let params = Params::new().with("groupids", Param::list(groups.iter().map(|g| g.id)));
    let answer = t.client.call_raw("core_group_get_group_members", &params).map_err(stop)?;
    Ok(list(&answer, None)
        .iter()
        .map(|m| (int(m, "groupid"), list(m, Some("userids")).iter().filter_map(serde_json::Value::as_i64).collect()))
        .collect())
}

/// Members per group name.
pub(crate) fn member_counts(t: &mut MoodleTarget, course: i64) -> Result<HashMap<String, usize>, TargetError> {
    let groups = groups(t, course)?;
    let members = members(t, course)?;
    Ok(groups.into_iter().map(|g| (g.name, members.get(&g.id).map_or(0, Vec::len))).collect())
}
