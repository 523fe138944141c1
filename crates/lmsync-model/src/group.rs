//! Groups and groupings of a course as the groups tool plans them. Groups and groupings are
//! named (names are unique in a course), so a step may use what an earlier one created.

use serde::Serialize;

/// A group or grouping as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub idnumber: String,
    pub description: String,
}

/// What a course holds: its groups, its groupings, and which group is in which grouping.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CourseGroups {
    pub groups: Vec<Group>,
    pub groupings: Vec<Group>,
    /// (group name, grouping name)
    pub bindings: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GroupOp {
    CreateGroup {
        name: String,
        idnumber: String,
        description: String,
    },
    /// Set the fields given of the group now named `name`.
    UpdateGroup {
        name: String,
        new_name: Option<String>,
        idnumber: Option<String>,
        description: Option<String>,
    },
    CreateGrouping {
        name: String,
        idnumber: String,
        description: String,
    },
    UpdateGrouping {
        name: String,
        new_name: Option<String>,
        idnumber: Option<String>,
        description: Option<String>,
    },
    Bind {
        group: String,
        grouping: String,
    },
    /// Add a member (owned by lmsync: component `tool_sync`).
    AddMember {
        group: String,
        user: i64,
    },
    /// Remove lmsync-owned memberships of the user: in one group, or in every group of the
    /// course but `except`.
    RemoveMember {
        group: Option<String>,
        user: i64,
        except: Option<String>,
    },
    DeleteGroup {
        name: String,
    },
    DeleteGrouping {
        name: String,
    },
}
