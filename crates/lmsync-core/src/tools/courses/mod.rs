//! The courses tool (spec/courses.md): one operation per command file — `check` (do these
//! courses exist?), `create` (create or update courses, their categories, sections, self/guest
//! instances and teachers, optionally from a template), `delete`, `metas` (meta links) and
//! `reset` (remove course user data).

mod categories;
mod check;
mod delete;
mod index;
mod line;
mod metas;
mod reset;
pub mod templates;
mod upload;

pub use check::CheckTool;
pub use delete::DeleteTool;
pub use metas::MetasTool;
pub use reset::ResetTool;
pub use upload::UploadTool;

use lmsync_model::Course;

use crate::settings::CourseIdentity;
use crate::target::CourseKeys;

/// Operations of the courses tool, in the order `all` runs them.
pub const OPERATIONS: &[&str] = &["delete", "create", "metas"];

/// `[shortname] {idnumber} fullname (id N)`, how reports name a course.
pub(crate) fn describe(c: &Course) -> String {
    if c.idnumber.is_empty() {
        format!("[{}] {} (id {})", c.shortname, c.fullname, c.id)
    } else {
        format!("[{}] {{{}}} {} (id {})", c.shortname, c.idnumber, c.fullname, c.id)
    }
}

/// Lookup keys for identifier values read through `identity`.
pub(crate) fn keys<'a>(identity: CourseIdentity, values: impl IntoIterator<Item = &'a str>) -> CourseKeys {
    let mut keys = CourseKeys::default();
    for v in values {
        match identity {
            CourseIdentity::Shortname => keys.shortnames.push(v.to_string()),
            CourseIdentity::Idnumber => keys.idnumbers.push(v.to_string()),
            CourseIdentity::Id => keys.ids.extend(v.parse::<i64>().ok()),
        }
    }
    // Files name the same course on many lines: look each up once.
    for list in [&mut keys.shortnames, &mut keys.idnumbers] {
        list.sort_unstable();
        list.dedup();
    }
    keys.ids.sort_unstable();
    keys.ids.dedup();
    keys
}
