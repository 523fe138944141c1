//! Changes a tool plans for one input line, and what the target answers when applying them.
//! Each change carries its before/after values so the target can journal it as it applies.

use crate::cohort::{BindingOp, CohortJoin, CohortOp, CohortRef};
use crate::course::{Activity, CategoryRef, Course, InstanceState, ResetOptions, Section, Teacher, TemplateRef};
use crate::enrol::EnrolOp;
use crate::group::GroupOp;
use crate::user::{FieldValue, User, UserField};

/// One planned change, tied to the input line it comes from and the key of its entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub line: u64,
    pub key: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Insert a new account (its `id` is ignored) with its profile values and preferences, its
    /// enrolments and the cohort it joins.
    CreateUser {
        user: Box<User>,
        preferences: Vec<(String, String)>,
        enrolments: Vec<(i64, Vec<EnrolOp>)>,
        cohort: Option<CohortJoin>,
    },
    /// Change some fields of an existing account.
    UpdateUser(Box<UserUpdate>),
    /// Soft-delete an account: flag it and remove its enrolments, role assignments, group and
    /// cohort memberships and preferences (the platform's behaviour).
    DeleteUser { id: i64 },
    /// Create a course, or update one (`CourseWrite::before` is `Some`).
    WriteCourse(Box<CourseWrite>),
    /// Delete a course and everything in it, and the meta links of other courses to it.
    DeleteCourse { id: i64 },
    /// Link `meta` to `master` (the meta course's enrolments derive from the master's), or
    /// remove the link (`add` false).
    MetaLink { master: i64, meta: i64, add: bool },
    /// Remove the user data `options` names from a course.
    ResetCourse { id: i64, options: Box<ResetOptions> },
    /// Delete an empty category (no course, cohort or subcategory in it).
    DeleteCategory { id: i64 },
    /// The steps of one enrolment line for one user in one course.
    Enrol { course: i64, user: i64, ops: Vec<EnrolOp> },
    /// The steps of one groups or group members line in one course.
    Groups { course: i64, ops: Vec<GroupOp> },
    /// The steps of one cohort members line on one cohort.
    Cohort { cohort: CohortRef, ops: Vec<CohortOp> },
    /// One bindings line: the bindings of `cohort` in `course`.
    CohortBinding { course: i64, cohort: i64, op: BindingOp },
    /// Store a user's picture (its three sizes) and the MD5 of the original file.
    SetPicture(Box<Picture>),
}

/// A user's picture as stored: PNG images of 100×100 (`f1`), 35×35 (`f2`) and 512×512 (`f3`)
/// pixels, and the lowercase hex MD5 of the original file they were made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub user: i64,
    pub f1: Vec<u8>,
    pub f2: Vec<u8>,
    pub f3: Vec<u8>,
    pub hash: String,
}

/// Everything a course line writes: the course record, its category, sections (set by number,
/// missing ones up to the highest created empty), activities copied from a template, the
/// self/guest enrolment instances, and teachers to enrol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CourseWrite {
    pub course: Course,
    /// The record before an update; `None` for a creation.
    pub before: Option<Course>,
    /// `None` = keep the current category (an update with `courses.protect_category`).
    pub category: Option<CategoryRef>,
    pub sections: Vec<Section>,
    /// With `replace_content`, existing activities (and sections past the new ones) are removed first.
    pub activities: Vec<Activity>,
    pub replace_content: bool,
    /// Where `activities` come from, when a template gives them: a target that cannot receive
    /// activities one by one copies them from there.
    pub template: Option<TemplateRef>,
    pub self_enrol: Option<InstanceState>,
    pub guest: Option<InstanceState>,
    pub teachers: Vec<Teacher>,
    /// Names of the changed fields, for the journal and the report.
    pub changed: Vec<&'static str>,
}

/// Field changes of one account, each with its value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserUpdate {
    pub id: i64,
    pub fields: Vec<(UserField, FieldValue, FieldValue)>,
    /// Custom profile fields: shortname, value before (None = unset), value after.
    pub profile: Vec<(String, Option<String>, String)>,
    /// New password hash (or `*NOPASS*`) when the password changes.
    pub password: Option<String>,
    /// The same new password in clear, for a target that hashes it itself.
    pub password_clear: Option<crate::user::ClearPassword>,
    pub preferences: Vec<(String, String)>,
    /// Enrolment steps per course id (the file's courseN columns).
    pub enrolments: Vec<(i64, Vec<EnrolOp>)>,
    /// The cohort the account joins (the file's cohort column).
    pub cohort: Option<CohortJoin>,
}

impl UserUpdate {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
            && self.profile.is_empty()
            && self.password.is_none()
            && self.preferences.is_empty()
            && self.enrolments.is_empty()
            && self.cohort.is_none()
    }

    /// Journal form: `(before, after)` JSON objects of the changed values only.
    pub fn journal(&self) -> (serde_json::Value, serde_json::Value) {
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        for (field, old, new) in &self.fields {
            before.insert(field.name().to_string(), old.to_json());
            after.insert(field.name().to_string(), new.to_json());
        }
        for (name, old, new) in &self.profile {
            let col = format!("profile_field_{name}");
            before.insert(col.clone(), old.clone().map_or(serde_json::Value::Null, Into::into));
            after.insert(col, new.clone().into());
        }
        if self.password.is_some() {
            // Hashes stay out of the journal; it only records that the password changed.
            after.insert("password".into(), "changed".into());
        }
        if !self.enrolments.is_empty() {
            after.insert("enrolments".into(), serde_json::to_value(&self.enrolments).unwrap_or_default());
        }
        if let Some(c) = &self.cohort {
            after.insert("cohort".into(), c.name.clone().into());
        }
        for (name, value) in &self.preferences {
            after.insert(format!("preference_{name}"), value.clone().into());
        }
        (serde_json::Value::Object(before), serde_json::Value::Object(after))
    }
}

/// A change the target applied; `id` is the id of the entity (new id for a creation).
/// `changed` is false when the target found everything already as asked (nothing written,
/// nothing journalled): the line is then reported `unchanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub id: i64,
    pub changed: bool,
}

/// The target refused one change; the line fails with this code and message, the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ChangeError {
    pub code: String,
    pub message: String,
}

impl ChangeError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ChangeError { code: code.to_string(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_journal_lists_only_changed_values_and_hides_passwords() {
        let u = UserUpdate {
            id: 3,
            fields: vec![(UserField::City, FieldValue::Text("Paris".into()), FieldValue::Text("Lyon".into()))],
            profile: vec![("dept".into(), None, "R&D".into())],
            password: Some("$2b$10$secret".into()),
            password_clear: None,
            preferences: vec![],
            enrolments: vec![],
            cohort: None,
        };
        let (before, after) = u.journal();
        assert_eq!(before["city"], "Paris");
        assert_eq!(after["city"], "Lyon");
        assert!(before["profile_field_dept"].is_null());
        assert_eq!(after["profile_field_dept"], "R&D");
        assert_eq!(after["password"], "changed");
        assert!(!after.to_string().contains("secret"));
    }
}
