//! The groups tools (spec/enrolments-groups.md §4–5): `groups` creates and updates groups and
//! groupings (`groups.csv`), `members` adds, shifts and removes group members
//! (`groupmembers.csv`), then purges empty groups of the courses it touched when asked.

mod definitions;
mod members;

pub use definitions::GroupsTool;
pub use members::MembersTool;

use lmsync_model::{Course, CourseGroups, Group};
use std::collections::HashMap;

use crate::settings::{CourseIdentity, GroupIdentity};
use crate::target::{LmsTarget, TargetError};

/// Courses a chunk names, and their groups (kept up to date as lines are planned).
pub(super) struct Courses {
    pub by_key: HashMap<String, Course>,
    pub groups: HashMap<i64, CourseGroups>,
}

impl Courses {
    pub fn load(ident: CourseIdentity, values: Vec<&str>, target: &mut dyn LmsTarget) -> Result<Courses, TargetError> {
        let mut by_key = HashMap::new();
        for c in target.courses(&crate::tools::courses::keys(ident, values))? {
            let key = match ident {
                CourseIdentity::Id => c.id.to_string(),
                CourseIdentity::Idnumber => c.idnumber.clone(),
                CourseIdentity::Shortname => c.shortname.clone(),
            };
            by_key.insert(key, c);
        }
        let mut groups = HashMap::new();
        for c in by_key.values() {
            groups.insert(c.id, target.course_groups(c.id)?);
        }
        Ok(Courses { by_key, groups })
    }

    pub fn course(&self, ident: CourseIdentity, value: &str) -> Result<Course, (&'static str, String)> {
        if value.is_empty() {
            return Err(("group.missing_course", "the courseid column is empty; name the course".into()));
        }
        self.by_key
            .get(value)
            .cloned()
            .ok_or_else(|| ("group.course_not_found", format!("no course has {} \"{value}\"", ident.as_str())))
    }
}

/// The group (or grouping) of a list a value names.
pub(super) fn find<'a>(list: &'a [Group], ident: GroupIdentity, value: &str) -> Option<&'a Group> {
    list.iter().find(|g| match ident {
        // Groups planned in this chunk have no id yet (0): an id never names them.
        GroupIdentity::Id => g.id > 0 && g.id.to_string() == value,
        GroupIdentity::Idnumber => !value.is_empty() && g.idnumber == value,
        GroupIdentity::Name => g.name == value,
    })
}
