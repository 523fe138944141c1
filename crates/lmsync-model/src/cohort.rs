//! Cohorts (site-wide sets of people), their members, and their bindings to courses, as the
//! cohort tool reads them and the steps it plans on them.

use serde::Serialize;

/// A cohort as stored. `category` is `None` for the system context.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Cohort {
    pub id: i64,
    pub name: String,
    pub idnumber: String,
    pub description: String,
    pub category: Option<i64>,
    pub component: String,
}

/// Names the cohort a change is about. A cohort planned earlier in the same chunk has no id yet
/// (`id` 0): the target then finds it by idnumber (when not empty), else by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortRef {
    pub id: i64,
    pub idnumber: String,
    pub name: String,
}

impl CohortRef {
    pub fn of(c: &Cohort) -> Self {
        CohortRef { id: c.id, idnumber: c.idnumber.clone(), name: c.name.clone() }
    }
}

/// One step of a cohort members line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CohortOp {
    /// Create the cohort the change names (with its name and idnumber).
    Create {
        description: String,
        category: Option<i64>,
        component: String,
    },
    /// Change the description and/or the context (`Some(None)` = the system context).
    Update {
        description: Option<String>,
        category: Option<Option<i64>>,
    },
    AddMember {
        user: i64,
    },
    RemoveMember {
        user: i64,
    },
    /// Remove every member.
    Empty,
    /// Delete the cohort, its memberships and its bindings (and what they derive).
    Delete,
}

/// A cohort's binding to a course: an enrolment instance of method `cohort`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Binding {
    pub id: i64,
    pub course: i64,
    pub cohort: i64,
    pub role: i64,
    pub enabled: bool,
    pub start: i64,
    pub end: i64,
    /// The course group members are put in.
    pub group: Option<i64>,
}

/// What a bindings line does to the bindings of one cohort in one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum BindingOp {
    /// Create the binding with `role`, or enable it. Dates: `None` keeps the stored one (0 for a
    /// new binding: no limit). `group`: the name of a course group to put members in (created
    /// when missing); `None` keeps the binding's group.
    Bind {
        role: i64,
        start: Option<i64>,
        end: Option<i64>,
        group: Option<String>,
    },
    /// Disable (`del`), enable (`restore`) or delete (`fulldel`) the bindings with `role`
    /// (`None`: every role).
    Disable {
        role: Option<i64>,
    },
    Enable {
        role: Option<i64>,
    },
    Delete {
        role: Option<i64>,
    },
}

/// The users file's `cohort` / `cohortid` columns: the account joins the cohort of that name,
/// created (in the system context, with `idnumber` when no other cohort has it) when missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortJoin {
    pub name: String,
    pub idnumber: String,
}
