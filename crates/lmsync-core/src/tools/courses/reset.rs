//! `courses --op reset` (`resetcourses.csv`): removes course user data — events, logs, notes,
//! grades, completion, comments, blog links, local roles, enrolments by role, groups,
//! groupings, activity user data — per the columns of spec/courses.md §7, each accepting
//! yes/no/all/none as DECISIONS §5 says.

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, LineOutcome, Outcome, ResetOptions};

use super::index::CourseIndex;
use super::{describe, keys};
use crate::settings::{CourseIdentity, CourseSettings};
use crate::target::{LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

const REQUIRED: &[&str] =
    &["events", "logs", "notes", "grades", "roles", "local_roles", "groups", "groupings", "modules"];

/// Per-activity columns (upstream names, `apointments` included) and the activity they reset.
const MODULE_COLUMNS: &[(&str, &str)] = &[
    ("forum_all", "forum"),
    ("forum_subscriptions", "forum_subscriptions"),
    ("glossary_all", "glossary"),
    ("chat", "chat"),
    ("data", "data"),
    ("slots", "scheduler"),
    ("apointments", "scheduler"),
    ("assignment_submissions", "assignment"),
    ("assign_submissions", "assign"),
    ("survey_answers", "survey"),
    ("lesson", "lesson"),
    ("choice", "choice"),
    ("scorm", "scorm"),
    ("quiz_attempts", "quiz"),
];

const OPTIONAL: &[&str] = &[
    "shortname",
    "idnumber",
    "id",
    "blog_associations",
    "comments",
    "completion",
    "forum_all",
    "forum_subscriptions",
    "glossary_all",
    "chat",
    "data",
    "slots",
    "apointments",
    "assignment_submissions",
    "assign_submissions",
    "survey_answers",
    "lesson",
    "choice",
    "scorm",
    "quiz_attempts",
];

pub static RULES: ColumnRules = ColumnRules { required: REQUIRED, optional: OPTIONAL, patterns: &[] };

pub struct ResetTool {
    identity: CourseIdentity,
    columns: Vec<(String, usize)>,
    key: usize,
    roles: Vec<(i64, String)>,
}

type Refusal = (&'static str, String);

fn bad(column: &str, value: &str, accepted: &str) -> Refusal {
    ("course.invalid_value", format!("column \"{column}\" has value \"{value}\"; use {accepted}"))
}

/// `yes`/`1`/`all`… → true, `no`/`0`/`none`/empty → false.
fn flag(column: &str, value: &str) -> Result<bool, Refusal> {
    match value.to_lowercase().as_str() {
        "all" => Ok(true),
        "" | "none" => Ok(false),
        v => crate::values::parse_bool(v).ok_or_else(|| bad(column, value, "yes, no, all or none")),
    }
}

/// `all`, one of two parts, or none: (first, second).
fn pair(column: &str, value: &str, first: &str, second: &str) -> Result<(bool, bool), Refusal> {
    match value.to_lowercase().as_str() {
        "all" | "yes" | "1" => Ok((true, true)),
        "" | "none" | "no" | "0" => Ok((false, false)),
        v if v == first => Ok((true, false)),
        v if v == second => Ok((false, true)),
        _ => Err(bad(column, value, &format!("all, {first}, {second} or none"))),
    }
}

impl ResetTool {
    pub fn new(settings: &CourseSettings) -> Self {
        ResetTool { identity: settings.reset_identifier, columns: Vec::new(), key: 0, roles: Vec::new() }
    }

    fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|(n, _)| n == column)
    }

    fn options(&self, row: &Row, modules_in_course: &[String]) -> Result<ResetOptions, Refusal> {
        let get = |name: &str| {
            self.columns
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, i)| row.fields.get(*i))
                .map(|v| v.trim())
                .unwrap_or("")
        };
        let mut o = ResetOptions {
            events: flag("events", get("events"))?,
            logs: flag("logs", get("logs"))?,
            notes: flag("notes", get("notes"))?,
            // A missing completion column resets nothing (upstream tied it to another column, Q46);
            // blog links and comments keep tool_sync's rule: a missing column means yes.
            completion: flag("completion", get("completion"))?,
            blog_associations: !self.has("blog_associations") || flag("blog_associations", get("blog_associations"))?,
            comments: !self.has("comments") || flag("comments", get("comments"))?,
            ..Default::default()
        };
        (o.local_role_assignments, o.local_role_overrides) =
            pair("local_roles", get("local_roles"), "roles", "overrides")?;
        (o.grade_items, o.grades) = pair("grades", get("grades"), "items", "grades")?;
        (o.groups_remove, o.groups_members) = pair("groups", get("groups"), "groups", "members")?;
        (o.groupings_remove, o.groupings_members) = pair("groupings", get("groupings"), "groups", "members")?;
        let roles = get("roles");
        o.unenrol_roles = match roles.to_lowercase().as_str() {
            "" | "none" | "no" | "0" => Vec::new(),
            "all" => self.roles.iter().map(|(id, _)| *id).collect(),
            _ => roles
                .split_whitespace()
                .map(|r| {
                    self.roles.iter().find(|(_, n)| n == r).map(|(id, _)| *id).ok_or_else(|| {
                        bad(
                            "roles",
                            r,
                            &format!(
                                "all, none or role shortnames separated by spaces ({})",
                                self.roles.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let modules = get("modules");
        o.modules = match modules.to_lowercase().as_str() {
            "" | "none" | "no" | "0" => Vec::new(),
            "all" | "yes" | "1" => modules_in_course.to_vec(),
            _ => {
                let words: Vec<&str> = modules.split_whitespace().collect();
                if words.iter().all(|w| w.starts_with('-')) {
                    modules_in_course.iter().filter(|m| !words.iter().any(|w| &w[1..] == m.as_str())).cloned().collect()
                } else if words.iter().any(|w| w.starts_with('-')) {
                    return Err(bad(
                        "modules",
                        modules,
                        "all, none, a list of activity types, or a list of -types to leave out",
                    ));
                } else {
                    words.iter().map(|w| w.to_string()).collect()
                }
            }
        };
        for (column, module) in MODULE_COLUMNS {
            if flag(column, get(column))? && !o.modules.iter().any(|m| m == module) {
                o.modules.push(module.to_string());
            }
        }
        Ok(o)
    }
}

impl Tool for ResetTool {
    fn name(&self) -> &'static str {
        "courses"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("reset")
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    fn start(
        &mut self,
        columns: &Columns,
        _: &ToolContext,
        target: &mut dyn LmsTarget,
    ) -> Result<Vec<String>, ToolError> {
        self.columns = columns.names().iter().cloned().enumerate().map(|(i, n)| (n, i)).collect();
        self.key = columns.index(self.identity.as_str()).ok_or_else(|| ToolError {
            code: "csv.missing_column",
            message: format!(
                "the reset file has no \"{0}\" column; courses.reset_identifier is {0}",
                self.identity.as_str()
            ),
        })?;
        self.roles = target.roles().map_err(|e| ToolError { code: "target.unavailable", message: e.to_string() })?;
        Ok(vec![format!("courses are matched by {}", self.identity.as_str())])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let index =
            CourseIndex::new(target.courses(&keys(
                self.identity,
                rows.iter().filter_map(|r| r.fields.get(self.key).map(String::as_str)),
            ))?);
        let mut planned = Vec::with_capacity(rows.len());
        for row in rows {
            let value = row.fields.get(self.key).cloned().unwrap_or_default();
            let Some(course) = index.find(self.identity, &value).cloned() else {
                planned.push(Planned {
                    outcome: LineOutcome::failed(
                        row.line,
                        &value,
                        "course.not_found",
                        format!("no course has {} {value}", self.identity.as_str()),
                    ),
                    change: None,
                });
                continue;
            };
            let (_, activities) = target.course_content(course.id)?;
            let mut types: Vec<String> = activities.into_iter().map(|a| a.modname).collect();
            types.sort();
            types.dedup();
            planned.push(match self.options(row, &types) {
                Err((code, message)) => {
                    Planned { outcome: LineOutcome::failed(row.line, &value, code, message), change: None }
                }
                Ok(options) => Planned {
                    outcome: LineOutcome::new(
                        row.line,
                        Outcome::Updated,
                        &value,
                        format!("reset {}", describe(&course)),
                    ),
                    change: Some(Change {
                        line: row.line,
                        key: value,
                        kind: ChangeKind::ResetCourse { id: course.id, options: Box::new(options) },
                    }),
                },
            });
        }
        Ok(planned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_accept_yes_no_all_none() {
        assert_eq!(flag("events", "all"), Ok(true));
        assert_eq!(flag("events", "YES"), Ok(true));
        assert_eq!(flag("events", "none"), Ok(false));
        assert!(flag("events", "perhaps").is_err());
        assert_eq!(pair("groups", "members", "groups", "members"), Ok((false, true)));
        assert_eq!(pair("grades", "all", "items", "grades"), Ok((true, true)));
        assert!(pair("grades", "some", "items", "grades").is_err());
    }
}
