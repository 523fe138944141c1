//! Courses as the LMS stores them (Moodle's `course`, `course_sections`, `course_modules`,
//! `course_categories`), and the values a course command file can set.

use serde::Serialize;

/// A course record. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Course {
    pub id: i64,
    pub category: i64,
    pub shortname: String,
    pub fullname: String,
    pub idnumber: String,
    pub summary: String,
    pub format: String,
    pub visible: bool,
    pub startdate: i64,
    pub enddate: i64,
    pub lang: String,
    pub theme: String,
    pub groupmode: i64,
    pub groupmodeforce: bool,
    pub maxbytes: i64,
    pub showgrades: bool,
    pub newsitems: i64,
    pub enablecompletion: bool,
    pub marker: i64,
    pub legacyfiles: bool,
    pub showreports: bool,
    pub coursedisplay: i64,
    pub defaultgroupingid: i64,
    pub timecreated: i64,
    pub timemodified: i64,
}

/// A section of a course; `name` None = the format's default name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Section {
    pub number: u32,
    pub name: Option<String>,
    pub summary: String,
    pub visible: bool,
}

/// An activity of a course, in the section numbered `section`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Activity {
    pub modname: String,
    pub name: String,
    pub section: u32,
    pub idnumber: String,
    pub visible: bool,
}

/// A course category.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Category {
    pub id: i64,
    pub parent: Option<i64>,
    pub name: String,
    pub idnumber: String,
    pub visible: bool,
}

/// Where a course goes: an existing category, or a path of names whose missing tail is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryRef {
    Existing(i64),
    /// Names from the top level; found or created at apply time, so two lines of one chunk that
    /// name the same new category share it.
    Path {
        names: Vec<String>,
        visible: bool,
    },
}

/// The template a course line copies its content from, as a target that copies content itself
/// (rather than receiving the activities) needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateRef {
    /// A course of the platform.
    Course { id: i64, shortname: String },
    /// A backup file (`.mbz`), as the line names it.
    Backup(String),
}

/// The teacher of a course line: user, role shortname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teacher {
    pub userid: i64,
    pub username: String,
    pub roleid: i64,
    pub role: String,
}

/// State of the self or guest enrolment instance a line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceState {
    Enabled,
    Disabled,
}

/// What a course reset removes (spec/courses.md §7): each flag one kind of user data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ResetOptions {
    pub events: bool,
    pub logs: bool,
    pub notes: bool,
    pub completion: bool,
    pub blog_associations: bool,
    pub comments: bool,
    pub local_role_assignments: bool,
    pub local_role_overrides: bool,
    pub grade_items: bool,
    pub grades: bool,
    /// Users holding any of these roles (ids) are unenrolled.
    pub unenrol_roles: Vec<i64>,
    pub groups_remove: bool,
    pub groups_members: bool,
    pub groupings_remove: bool,
    pub groupings_members: bool,
    /// Activity types (`forum`, `quiz`, …) whose user data is removed.
    pub modules: Vec<String>,
}
