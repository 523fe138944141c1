//! `groups --op groups` (`groups.csv`): groups and groupings created, or updated when a line
//! has an `updateid` (absent columns unchanged); `selfgrouping` makes a grouping of the group's
//! name holding it, `grouping` binds the group to a grouping (by idnumber) of its course.

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, Group, GroupOp, LineOutcome, Outcome};

use super::{Courses, find};
use crate::settings::{GroupIdentity, GroupSettings};
use crate::target::{LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

pub static RULES: ColumnRules = ColumnRules {
    required: &["courseid", "name"],
    optional: &["type", "idnumber", "description", "selfgrouping", "grouping", "updateid"],
    patterns: &[],
};

pub struct GroupsTool {
    s: GroupSettings,
    cols: Vec<(String, usize)>,
}

type Refusal = (&'static str, String);

impl GroupsTool {
    pub fn new(settings: GroupSettings) -> Self {
        GroupsTool { s: settings, cols: Vec::new() }
    }

    fn get<'r>(&self, row: &'r Row, name: &str) -> Option<&'r str> {
        self.cols.iter().find(|(n, _)| n == name).and_then(|(_, i)| row.fields.get(*i)).map(|v| v.trim())
    }

    fn plan_row(&self, row: &Row, courses: &mut Courses) -> Result<(Outcome, String, i64, Vec<GroupOp>), Refusal> {
        let course = courses.course(self.s.course_identifier, self.get(row, "courseid").unwrap_or(""))?;
        let cg = courses.groups.entry(course.id).or_default();
        let grouping = match self.get(row, "type").unwrap_or("").to_lowercase().as_str() {
            "" | "group" => false,
            "grouping" => true,
            other => return Err(("group.bad_type", format!("type \"{other}\" is not group or grouping"))),
        };
        let name = self.get(row, "name").unwrap_or("").to_string();
        if name.is_empty() {
            return Err(("group.missing_name", "the name column is empty".into()));
        }
        let idnumber = self.get(row, "idnumber").map(str::to_string);
        let description = self.get(row, "description").map(str::to_string);
        let updateid = self.get(row, "updateid").filter(|v| !v.is_empty());
        let what = if grouping { "grouping" } else { "group" };
        let mut ops = Vec::new();
        let mut said = Vec::new();
        let mut outcome = Outcome::Unchanged;
        let list = if grouping { &mut cg.groupings } else { &mut cg.groups };
        // The existing entry the line is about: by updateid, else by idnumber (groups) or name.
        let existing = match updateid {
            Some(id) => {
                let ident = if grouping { self.s.grouping_identifier } else { self.s.group_identifier };
                find(list, ident, id).cloned()
            }
            None if !grouping && idnumber.as_deref().is_some_and(|v| !v.is_empty()) => {
                find(list, GroupIdentity::Idnumber, idnumber.as_deref().unwrap_or("")).cloned()
            }
            None => find(list, GroupIdentity::Name, &name).cloned(),
        };
        let target_name = match existing {
            None => {
                if find(list, GroupIdentity::Name, &name).is_some() {
                    return Err(("group.name_taken", format!("the course already has a {what} named {name}")));
                }
                let g = Group {
                    id: 0,
                    name: name.clone(),
                    idnumber: idnumber.clone().unwrap_or_default(),
                    description: description.clone().unwrap_or_default(),
                };
                ops.push(if grouping {
                    GroupOp::CreateGrouping {
                        name: g.name.clone(),
                        idnumber: g.idnumber.clone(),
                        description: g.description.clone(),
                    }
                } else {
                    GroupOp::CreateGroup {
                        name: g.name.clone(),
                        idnumber: g.idnumber.clone(),
                        description: g.description.clone(),
                    }
                });
                list.push(g);
                outcome = Outcome::Created;
                said.push(format!("{what} {name} created"));
                name.clone()
            }
            Some(g) if updateid.is_some() => {
                let new_name = (g.name != name).then(|| name.clone());
                let idn = idnumber.clone().filter(|v| *v != g.idnumber);
                let desc = description.clone().filter(|v| *v != g.description);
                if let Some(n) = &new_name
                    && find(list, GroupIdentity::Name, n).is_some()
                {
                    return Err(("group.name_taken", format!("the course already has a {what} named {n}")));
                }
                if new_name.is_some() || idn.is_some() || desc.is_some() {
                    let changed: Vec<&str> =
                        [("name", new_name.is_some()), ("idnumber", idn.is_some()), ("description", desc.is_some())]
                            .iter()
                            .filter(|(_, c)| *c)
                            .map(|(n, _)| *n)
                            .collect();
                    said.push(format!("{what} {} updated: {}", g.name, changed.join(", ")));
                    if let Some(entry) = list.iter_mut().find(|x| x.name == g.name) {
                        entry.name = name.clone();
                        entry.idnumber = idn.clone().unwrap_or(entry.idnumber.clone());
                        entry.description = desc.clone().unwrap_or(entry.description.clone());
                    }
                    if grouping {
                        for b in cg.bindings.iter_mut().filter(|(_, gp)| *gp == g.name) {
                            b.1 = name.clone();
                        }
                        ops.push(GroupOp::UpdateGrouping {
                            name: g.name.clone(),
                            new_name,
                            idnumber: idn,
                            description: desc,
                        });
                    } else {
                        for b in cg.bindings.iter_mut().filter(|(gr, _)| *gr == g.name) {
                            b.0 = name.clone();
                        }
                        ops.push(GroupOp::UpdateGroup {
                            name: g.name.clone(),
                            new_name,
                            idnumber: idn,
                            description: desc,
                        });
                    }
                    outcome = Outcome::Updated;
                }
                name.clone()
            }
            Some(g) => g.name,
        };
        if !grouping {
            // An empty or absent selfgrouping follows groups.autogrouping.
            let selfgrouping = match self.get(row, "selfgrouping").filter(|v| !v.is_empty()) {
                Some(v) => crate::values::parse_bool(v).unwrap_or(v != "0"),
                None => self.s.autogrouping,
            };
            if selfgrouping {
                if find(&cg.groupings, GroupIdentity::Name, &target_name).is_none() {
                    let g = cg.groups.iter().find(|g| g.name == target_name).cloned().unwrap_or_default();
                    ops.push(GroupOp::CreateGrouping {
                        name: target_name.clone(),
                        idnumber: g.idnumber.clone(),
                        description: g.description.clone(),
                    });
                    cg.groupings.push(Group { name: target_name.clone(), ..g });
                    said.push(format!("grouping {target_name} created for the group"));
                }
                bind(cg, &target_name, &target_name, &mut ops, &mut said);
            }
            if let Some(gp) = self.get(row, "grouping").filter(|v| !v.is_empty()) {
                match find(&cg.groupings, GroupIdentity::Idnumber, gp).map(|g| g.name.clone()) {
                    Some(gname) => bind(cg, &target_name, &gname, &mut ops, &mut said),
                    None => said.push(format!("no grouping has idnumber {gp} in the course; the group is not bound")),
                }
            }
        }
        if !ops.is_empty() && outcome == Outcome::Unchanged {
            outcome = Outcome::Updated;
        }
        Ok((outcome, if said.is_empty() { "no change".into() } else { said.join("; ") }, course.id, ops))
    }
}

fn bind(
    cg: &mut lmsync_model::CourseGroups,
    group: &str,
    grouping: &str,
    ops: &mut Vec<GroupOp>,
    said: &mut Vec<String>,
) {
    let pair = (group.to_string(), grouping.to_string());
    if !cg.bindings.contains(&pair) {
        cg.bindings.push(pair);
        ops.push(GroupOp::Bind { group: group.into(), grouping: grouping.into() });
        said.push(format!("group {group} put in grouping {grouping}"));
    }
}

impl Tool for GroupsTool {
    fn name(&self) -> &'static str {
        "groups"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("groups")
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    fn start(&mut self, columns: &Columns, _: &ToolContext, _: &mut dyn LmsTarget) -> Result<Vec<String>, ToolError> {
        self.cols = columns.names().iter().cloned().enumerate().map(|(i, n)| (n, i)).collect();
        Ok(vec![format!(
            "courses are matched by {}; updateid names groups by {} and groupings by {}",
            self.s.course_identifier.as_str(),
            self.s.group_identifier.as_str(),
            self.s.grouping_identifier.as_str()
        )])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let values: Vec<&str> = rows.iter().filter_map(|r| self.get(r, "courseid")).collect();
        let mut courses = Courses::load(self.s.course_identifier, values, target)?;
        Ok(rows
            .iter()
            .map(|row| {
                let key =
                    format!("{}@{}", self.get(row, "name").unwrap_or(""), self.get(row, "courseid").unwrap_or(""));
                match self.plan_row(row, &mut courses) {
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
                }
            })
            .collect())
    }
}
