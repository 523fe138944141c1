//! `groups --op members` (`groupmembers.csv`): adds (default), shifts or removes group members;
//! memberships made here are owned by lmsync (component `tool_sync`), and shift and del touch
//! only those. With `groups.purge_empty`, empty groups (and groupings) of the courses the run
//! touched are removed at the end.

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, EnrolState, GroupOp, LineOutcome, Outcome, User};
use std::collections::{BTreeSet, HashMap};

use super::{Courses, find};
use crate::settings::{GroupSettings, Identity, PurgeEmpty};
use crate::target::{LmsTarget, TargetError, UserKeys};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

pub static RULES: ColumnRules =
    ColumnRules { required: &["groupid", "userid"], optional: &["courseid", "cmd", "gcmd"], patterns: &[] };

pub struct MembersTool {
    s: GroupSettings,
    cols: HashMap<String, usize>,
    /// Courses the run touched, for the purge.
    touched: BTreeSet<i64>,
}

type Refusal = (&'static str, String);

impl MembersTool {
    pub fn new(settings: GroupSettings) -> Self {
        MembersTool { s: settings, cols: HashMap::new(), touched: BTreeSet::new() }
    }

    fn get<'r>(&self, row: &'r Row, name: &str) -> &'r str {
        self.cols.get(name).and_then(|i| row.fields.get(*i)).map(|v| v.trim()).unwrap_or("")
    }

    fn user_key(&self, u: &User) -> String {
        match self.s.user_identifier {
            Identity::Id => u.id.to_string(),
            Identity::Idnumber => u.idnumber.clone(),
            Identity::Username => u.username.clone(),
            Identity::Email => u.email.to_lowercase(),
        }
    }

    #[allow(clippy::type_complexity)]
    fn plan_row(
        &mut self,
        row: &Row,
        courses: &mut Courses,
        users: &HashMap<String, Vec<User>>,
        states: &mut HashMap<(i64, i64), EnrolState>,
    ) -> Result<(Outcome, String, i64, Vec<GroupOp>), Refusal> {
        let course = courses.course(self.s.course_identifier, self.get(row, "courseid"))?;
        let cmd = match self.get(row, "cmd").to_lowercase().as_str() {
            "" | "add" => "add",
            "shift" => "shift",
            "del" | "delete" => "del",
            other => {
                return Err(("group.bad_command", format!("cmd \"{other}\" is not a command; use add, shift or del")));
            }
        };
        let gid = self.get(row, "groupid");
        if gid.is_empty() {
            return Err(("group.missing_group", "the groupid column is empty; name the group".into()));
        }
        let cg = courses.groups.entry(course.id).or_default();
        let group = find(&cg.groups, self.s.group_identifier, gid).map(|g| g.name.clone()).ok_or_else(|| {
            (
                "group.not_found",
                format!("course {} has no group with {} \"{gid}\"", course.shortname, self.s.group_identifier.as_str()),
            )
        })?;
        let uid = self.get(row, "userid");
        if uid.is_empty() {
            return Err(("group.missing_user", "the userid column is empty; name the user".into()));
        }
        let key = match self.s.user_identifier {
            Identity::Username | Identity::Email => uid.to_lowercase(),
            _ => uid.to_string(),
        };
        let field = self.s.user_identifier.as_str();
        let live: Vec<&User> = users.get(&key).into_iter().flatten().filter(|u| !u.deleted).collect();
        let user = match live.as_slice() {
            [] => return Err(("group.user_not_found", format!("no account has {field} \"{uid}\""))),
            [u] => *u,
            many => {
                let names: Vec<&str> = many.iter().map(|u| u.username.as_str()).collect();
                return Err((
                    "group.user_ambiguous",
                    format!("{field} \"{uid}\" matches several accounts: {}", names.join(", ")),
                ));
            }
        };
        self.touched.insert(course.id);
        let state = states.entry((course.id, user.id)).or_default();
        let mut ops = Vec::new();
        let mut said = Vec::new();
        let mut outcome = Outcome::Unchanged;
        if cmd == "shift" {
            let leaving: Vec<String> =
                state.groups.iter().filter(|(g, c)| c == "tool_sync" && *g != group).map(|(g, _)| g.clone()).collect();
            if !leaving.is_empty() {
                state.groups.retain(|(g, c)| !(c == "tool_sync" && *g != group));
                ops.push(GroupOp::RemoveMember { group: None, user: user.id, except: Some(group.clone()) });
                said.push(format!("left groups {}", leaving.join(", ")));
                outcome = Outcome::Updated;
            }
        }
        if cmd == "del" {
            if let Some(i) = state.groups.iter().position(|(g, c)| *g == group && c == "tool_sync") {
                state.groups.remove(i);
                ops.push(GroupOp::RemoveMember { group: Some(group.clone()), user: user.id, except: None });
                return Ok((Outcome::Deleted, format!("removed from group {group}"), course.id, ops));
            }
            return Ok((
                Outcome::Unchanged,
                format!("was not a member of group {group} (through lmsync)"),
                course.id,
                ops,
            ));
        }
        if state.groups.iter().any(|(g, _)| *g == group) {
            said.push(format!("already in group {group}"));
        } else if state.enrolments.is_empty() {
            return Ok((
                Outcome::Skipped,
                format!("not added to group {group}: {} is not enrolled in {}", user.username, course.shortname),
                course.id,
                ops,
            ));
        } else {
            state.groups.push((group.clone(), "tool_sync".into()));
            ops.push(GroupOp::AddMember { group: group.clone(), user: user.id });
            said.push(format!("added to group {group}"));
            outcome = if outcome == Outcome::Unchanged { Outcome::Created } else { outcome };
        }
        Ok((outcome, said.join("; "), course.id, ops))
    }
}

impl Tool for MembersTool {
    fn name(&self) -> &'static str {
        "groups"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("members")
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    fn start(&mut self, columns: &Columns, _: &ToolContext, _: &mut dyn LmsTarget) -> Result<Vec<String>, ToolError> {
        self.cols = columns.names().iter().cloned().enumerate().map(|(i, n)| (n, i)).collect();
        // tool_sync's help named the command column gcmd: both are accepted.
        if let Some(i) = self.cols.get("gcmd").copied() {
            self.cols.entry("cmd".into()).or_insert(i);
        }
        Ok(vec![format!(
            "courses are matched by {}, groups by {}, users by {}",
            self.s.course_identifier.as_str(),
            self.s.group_identifier.as_str(),
            self.s.user_identifier.as_str()
        )])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let values: Vec<String> = rows.iter().map(|r| self.get(r, "courseid").to_string()).collect();
        let mut courses = Courses::load(self.s.course_identifier, values.iter().map(String::as_str).collect(), target)?;
        let mut keys = UserKeys::default();
        for r in rows {
            let v = self.get(r, "userid").to_string();
            match self.s.user_identifier {
                Identity::Id => keys.ids.extend(v.parse::<i64>().ok()),
                Identity::Idnumber => keys.idnumbers.push(v),
                Identity::Username => keys.usernames.push(v.to_lowercase()),
                Identity::Email => keys.emails.push(v),
            }
        }
        let mut users: HashMap<String, Vec<User>> = HashMap::new();
        for u in target.users(&keys)? {
            users.entry(self.user_key(&u)).or_default().push(u);
        }
        let mut pairs: Vec<(i64, i64)> = Vec::new();
        for r in rows {
            let key = match self.s.user_identifier {
                Identity::Username | Identity::Email => self.get(r, "userid").to_lowercase(),
                _ => self.get(r, "userid").to_string(),
            };
            if let Some(c) = courses.by_key.get(self.get(r, "courseid")) {
                pairs.extend(users.get(&key).into_iter().flatten().map(|u| (c.id, u.id)));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut states: HashMap<(i64, i64), EnrolState> =
            pairs.iter().copied().zip(target.enrol_states(&pairs)?).collect();
        let mut planned = Vec::with_capacity(rows.len());
        for row in rows {
            let key = format!("{}@{}", self.get(row, "userid"), self.get(row, "groupid"));
            planned.push(match self.plan_row(row, &mut courses, &users, &mut states) {
                Ok((outcome, message, course, ops)) => Planned {
                    outcome: LineOutcome::new(row.line, outcome, &key, message),
                    change: (!ops.is_empty()).then(|| Change {
                        line: row.line,
                        key: key.clone(),
                        kind: ChangeKind::Groups { course, ops },
                    }),
                },
                Err((code, message)) => {
                    Planned { outcome: LineOutcome::failed(row.line, key, code, message), change: None }
                }
            });
        }
        Ok(planned)
    }

    fn closing(&mut self, target: &mut dyn LmsTarget) -> Result<Vec<Change>, TargetError> {
        if self.s.purge_empty == PurgeEmpty::None {
            return Ok(Vec::new());
        }
        let mut changes = Vec::new();
        for course in &self.touched {
            let cg = target.course_groups(*course)?;
            let counts = target.group_member_counts(*course)?;
            let mut ops = Vec::new();
            let mut emptied = Vec::new();
            for g in &cg.groups {
                if counts.get(&g.name).copied().unwrap_or(0) == 0 {
                    ops.push(GroupOp::DeleteGroup { name: g.name.clone() });
                    emptied.push(g.name.clone());
                }
            }
            if self.s.purge_empty == PurgeEmpty::Groupings {
                for gp in &cg.groupings {
                    let left = cg.bindings.iter().filter(|(g, p)| *p == gp.name && !emptied.contains(g)).count();
                    if left == 0 {
                        ops.push(GroupOp::DeleteGrouping { name: gp.name.clone() });
                    }
                }
            }
            if !ops.is_empty() {
                changes.push(Change {
                    line: 0,
                    key: format!("purge course {course}"),
                    kind: ChangeKind::Groups { course: *course, ops },
                });
            }
        }
        Ok(changes)
    }
}
