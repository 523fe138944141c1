//! The Moodle functions each lmsync operation needs (spec §3.1), as data: what `lmsync check`
//! compares with a site's function list, and what the operator documentation lists.

/// Whether a function reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// How a function treats the items of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// One transaction: any failure rolls back every item (bisect to isolate).
    Atomic,
    /// Items are independent; failures come back as warnings.
    PerItem,
    /// No transaction: items before a failure stay applied (re-read, then go on).
    NoTransaction,
    /// One object per call.
    Single,
}

/// One Moodle web service function as lmsync uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    pub name: &'static str,
    pub access: Access,
    pub batch: Batch,
    /// Items per call to start with (adapted at run time, §3.2).
    pub chunk: usize,
    /// Sending it twice has the effect of sending it once: safe to resend after a timeout.
    pub idempotent: bool,
    /// May run for minutes (backup/restore): gets the long timeout.
    pub slow: bool,
}

const fn read(name: &'static str, chunk: usize) -> Function {
    Function { name, access: Access::Read, batch: Batch::PerItem, chunk, idempotent: true, slow: false }
}

const fn write(name: &'static str, batch: Batch, chunk: usize, idempotent: bool) -> Function {
    Function { name, access: Access::Write, batch, chunk, idempotent, slow: false }
}

const fn slow(name: &'static str) -> Function {
    Function { name, access: Access::Write, batch: Batch::Single, chunk: 1, idempotent: false, slow: true }
}

use Batch::{Atomic, NoTransaction, PerItem, Single};

/// Every function lmsync may call.
pub const FUNCTIONS: &[Function] = &[
    read("core_webservice_get_site_info", 1),
    read("core_user_get_users_by_field", 500),
    write("core_user_create_users", Atomic, 100, false),
    write("core_user_update_users", PerItem, 100, true),
    write("core_user_delete_users", Atomic, 100, false),
    write("core_user_update_picture", Single, 1, true),
    read("core_course_get_categories", 1),
    write("core_course_create_categories", Atomic, 50, false),
    write("core_course_update_categories", Atomic, 50, true),
    write("core_course_delete_categories", Atomic, 10, false),
    read("core_course_get_courses_by_field", 100),
    write("core_course_create_courses", Atomic, 20, false),
    write("core_course_update_courses", NoTransaction, 50, true),
    Function { slow: true, ..write("core_course_delete_courses", NoTransaction, 10, true) },
    slow("core_course_duplicate_course"),
    slow("core_course_import_course"),
    read("core_course_get_contents", 1),
    write("core_update_inplace_editable", Single, 1, true),
    write("core_courseformat_update_course", Single, 1, false),
    write("core_course_edit_section", Single, 1, true),
    write("enrol_manual_enrol_users", Atomic, 300, true),
    write("enrol_manual_unenrol_users", Atomic, 500, true),
    read("core_enrol_get_enrolled_users", 1000),
    write("core_role_assign_roles", Atomic, 500, true),
    write("core_role_unassign_roles", Atomic, 500, true),
    read("core_group_get_course_groups", 1),
    read("core_group_get_course_groupings", 1),
    read("core_group_get_group_members", 100),
    write("core_group_create_groups", Atomic, 100, false),
    write("core_group_update_groups", Atomic, 100, true),
    write("core_group_delete_groups", Atomic, 100, true),
    write("core_group_create_groupings", Atomic, 100, false),
    write("core_group_update_groupings", Atomic, 100, true),
    write("core_group_delete_groupings", Atomic, 100, true),
    write("core_group_assign_grouping", Atomic, 500, true),
    write("core_group_unassign_grouping", Atomic, 500, true),
    write("core_group_add_group_members", Atomic, 500, true),
    write("core_group_delete_group_members", Atomic, 500, true),
    read("core_cohort_get_cohorts", 1),
    write("core_cohort_create_cohorts", Atomic, 100, false),
    write("core_cohort_update_cohorts", Atomic, 100, true),
    write("core_cohort_delete_cohorts", Atomic, 100, false),
    write("core_cohort_add_cohort_members", Atomic, 500, true),
    write("core_cohort_delete_cohort_members", Atomic, 500, true),
    read("core_cohort_get_cohort_members", 100),
    write("enrol_meta_add_instances", NoTransaction, 100, true),
    write("enrol_meta_delete_instances", NoTransaction, 100, true),
];

/// The table entry of `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Whether a call to `name` may be resent after a timeout (unknown functions: no).
pub fn is_idempotent(name: &str) -> bool {
    function(name).is_some_and(|f| f.idempotent)
}

/// Whether a call to `name` gets the long timeout.
pub fn is_slow(name: &str) -> bool {
    function(name).is_some_and(|f| f.slow)
}

/// One lmsync operation and what it needs of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The lmsync tool (`users`, `userpictures`, `courses`, `enrols`, `groups`, `cohorts`).
    pub tool: &'static str,
    pub name: &'static str,
    /// Each group must be covered by one of its functions (alternatives, preferred first).
    pub needs: &'static [&'static [&'static str]],
    /// The oldest release that has them.
    pub since: Option<(u32, u32)>,
    /// Needs `webservice/upload.php` (the service's "can upload files").
    pub upload: bool,
    /// Why it cannot be done through web services at all (spec §2.13).
    pub unsupported: Option<&'static str>,
}

const fn op(tool: &'static str, name: &'static str, needs: &'static [&'static [&'static str]]) -> Operation {
    Operation { tool, name, needs, since: None, upload: false, unsupported: None }
}

const fn never(tool: &'static str, name: &'static str, why: &'static str) -> Operation {
    Operation { tool, name, needs: &[], since: None, upload: false, unsupported: Some(why) }
}

/// Every lmsync operation, by tool, in the order of the documentation.
pub const OPERATIONS: &[Operation] = &[
    op("users", "look up users", &[&["core_user_get_users_by_field"]]),
    op("users", "create users", &[&["core_user_create_users"]]),
    op("users", "update and rename users", &[&["core_user_update_users"]]),
    op("users", "suspend and unsuspend users", &[&["core_user_update_users"]]),
    op("users", "delete users", &[&["core_user_delete_users"]]),
    Operation { upload: true, ..op("userpictures", "set user pictures", &[&["core_user_update_picture"]]) },
    op("courses", "look up categories", &[&["core_course_get_categories"]]),
    op("courses", "create categories", &[&["core_course_create_categories"]]),
    op("courses", "update categories", &[&["core_course_update_categories"]]),
    op("courses", "delete categories", &[&["core_course_delete_categories"]]),
    op("courses", "look up and check courses", &[&["core_course_get_courses_by_field"]]),
    op("courses", "create courses", &[&["core_course_create_courses"]]),
    op("courses", "update courses", &[&["core_course_update_courses"]]),
    op("courses", "delete courses", &[&["core_course_delete_courses"]]),
    op(
        "courses",
        "create courses from a template (import)",
        &[&["core_course_create_courses"], &["core_course_import_course"]],
    ),
    op(
        "courses",
        "create courses from a template (duplicate)",
        &[&["core_course_duplicate_course"], &["core_course_update_courses"]],
    ),
    op("courses", "name sections", &[&["core_course_get_contents"], &["core_update_inplace_editable"]]),
    op(
        "courses",
        "add, remove, hide and show sections",
        &[&["core_courseformat_update_course", "core_course_edit_section"]],
    ),
    Operation {
        since: Some((4, 0)),
        ..op("courses", "add and remove meta links", &[&["enrol_meta_add_instances"], &["enrol_meta_delete_instances"]])
    },
    never("courses", "edit section summaries", "moodle has no web service function that edits a section summary"),
    never("courses", "reset courses", "moodle has no web service function that resets a course"),
    op("enrols", "look up enrolments", &[&["core_enrol_get_enrolled_users"]]),
    op("enrols", "enrol, change dates, suspend", &[&["enrol_manual_enrol_users"]]),
    op("enrols", "unenrol", &[&["enrol_manual_unenrol_users"]]),
    op("enrols", "assign roles", &[&["core_role_assign_roles"]]),
    op("enrols", "unassign roles", &[&["core_role_unassign_roles"]]),
    op(
        "groups",
        "look up groups, groupings and members",
        &[&["core_group_get_course_groups"], &["core_group_get_course_groupings"], &["core_group_get_group_members"]],
    ),
    op(
        "groups",
        "create, update and delete groups",
        &[&["core_group_create_groups"], &["core_group_update_groups"], &["core_group_delete_groups"]],
    ),
    op(
        "groups",
        "create, update and delete groupings",
        &[
            &["core_group_create_groupings"],
            &["core_group_update_groupings"],
            &["core_group_delete_groupings"],
            &["core_group_assign_grouping"],
            &["core_group_unassign_grouping"],
        ],
    ),
    op(
        "groups",
        "add and remove group members",
        &[&["core_group_add_group_members"], &["core_group_delete_group_members"]],
    ),
    op("cohorts", "look up cohorts", &[&["core_cohort_get_cohorts"]]),
    op(
        "cohorts",
        "create, update and delete cohorts",
        &[&["core_cohort_create_cohorts"], &["core_cohort_update_cohorts"], &["core_cohort_delete_cohorts"]],
    ),
    op(
        "cohorts",
        "add, remove and list cohort members",
        &[
            &["core_cohort_add_cohort_members"],
            &["core_cohort_delete_cohort_members"],
            &["core_cohort_get_cohort_members"],
        ],
    ),
    never(
        "cohorts",
        "bind cohorts to courses (cohort sync)",
        "moodle has no web service function for cohort sync enrolment instances; create them in moodle",
    ),
];

/// The functions every tool needs: the health check.
pub const ALWAYS: &[&str] = &["core_webservice_get_site_info"];
