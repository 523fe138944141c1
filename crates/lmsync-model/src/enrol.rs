//! Enrolments, role assignments and group memberships of one user in one course, as the
//! enrolment tool reads them and the operations it plans on them.

use serde::Serialize;

/// What one user holds in one course.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EnrolState {
    /// Enrolments: method, status (0 active, 1 suspended), timestart, timeend.
    pub enrolments: Vec<(String, i64, i64, i64)>,
    /// Role assignments: role id, component (`''` plain, `enrol_<method>` owned by an instance).
    pub roles: Vec<(i64, String)>,
    /// Group memberships: group name, component.
    pub groups: Vec<(String, String)>,
}

/// One step of an enrolment line. Instances and groups are named (method, group name), so a
/// step may use what an earlier step or line of the same chunk created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum EnrolOp {
    /// Create the course's instance of `method`, enabled, if it has none.
    EnsureInstance {
        method: String,
    },
    /// Enrol (or update the enrolment) through the course's first instance of `method`.
    Enrol {
        method: String,
        status: i64,
        timestart: i64,
        timeend: i64,
    },
    /// Remove the enrolment through `method` and the roles it owns; when it was the user's last
    /// enrolment in the course, also every role and group membership there.
    Unenrol {
        method: String,
    },
    /// Assign a role: plain (`method` None) or owned by the course's instance of `method`.
    Assign {
        roleid: i64,
        method: Option<String>,
    },
    /// Remove a plain role assignment (`roleid` None: every plain one), or one owned by `method`.
    Unassign {
        roleid: Option<i64>,
        method: Option<String>,
    },
    CreateGroup {
        name: String,
    },
    AddMember {
        group: String,
        component: String,
    },
    /// Remove memberships of one group (or of every group of the course), only those with
    /// `component` when given.
    RemoveMembers {
        group: Option<String>,
        component: Option<String>,
    },
}
