//! `courses --op check` (`courses.csv`): for each listed course, whether it exists. A missing
//! course fails its line (and so reaches the tryback); nothing is written.

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::LineOutcome;

use super::index::CourseIndex;
use super::{describe, keys};
use crate::settings::{CourseIdentity, CourseSettings};
use crate::target::{LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

/// A headerless list: the course identifier, then an optional description echoed in messages.
pub(super) static LIST_RULES: ColumnRules =
    ColumnRules { required: &["course"], optional: &["description"], patterns: &[] };

pub struct CheckTool {
    identity: CourseIdentity,
}

impl CheckTool {
    pub fn new(settings: &CourseSettings) -> Self {
        CheckTool { identity: settings.check_identifier }
    }
}

/// Upstream lists have no header, but a first line naming the identifier field is one.
pub(super) fn is_header_line(row: &Row, identity: CourseIdentity) -> bool {
    row.fields.first().is_some_and(|v| v.eq_ignore_ascii_case(identity.as_str()) || v.eq_ignore_ascii_case("course"))
}

impl Tool for CheckTool {
    fn name(&self) -> &'static str {
        "courses"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("check")
    }

    fn headerless(&self) -> Option<Vec<String>> {
        Some(vec!["course".into(), "description".into()])
    }

    fn keeps_input(&self) -> bool {
        true
    }

    fn ignores_extra_fields(&self) -> bool {
        true
    }

    fn rules(&self) -> &'static ColumnRules {
        &LIST_RULES
    }

    fn start(&mut self, _: &Columns, _: &ToolContext, _: &mut dyn LmsTarget) -> Result<Vec<String>, ToolError> {
        Ok(vec![format!("courses are matched by {}", self.identity.as_str())])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let index = CourseIndex::new(
            target.courses(&keys(self.identity, rows.iter().filter_map(|r| r.fields.first().map(String::as_str))))?,
        );
        Ok(rows
            .iter()
            .map(|row| {
                let value = row.fields.first().map(String::as_str).unwrap_or_default();
                let outcome = if row.line == 1 && is_header_line(row, self.identity) {
                    LineOutcome::new(row.line, lmsync_model::Outcome::Skipped, value, "header line")
                } else {
                    match index.find(self.identity, value) {
                        Some(c) => LineOutcome::new(
                            row.line,
                            lmsync_model::Outcome::Unchanged,
                            value,
                            format!("exists: {}", describe(c)),
                        ),
                        None => {
                            let description = row
                                .fields
                                .get(1)
                                .filter(|d| !d.is_empty())
                                .map(|d| format!(" ({d})"))
                                .unwrap_or_default();
                            LineOutcome::failed(
                                row.line,
                                value,
                                "course.not_found",
                                format!("no course has {} {value}{description}", self.identity.as_str()),
                            )
                        }
                    }
                };
                Planned { outcome, change: None }
            })
            .collect())
    }
}
