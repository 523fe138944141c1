//! `courses --op delete` (`deletecourses.csv`): one course identifier per line; each course is
//! deleted with everything in it (sections, activities, enrolment instances and enrolments,
//! roles, groups) and the meta links of other courses to it. Guarded by the change threshold.

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, LineOutcome, Outcome};

use super::check::{LIST_RULES, is_header_line};
use super::index::CourseIndex;
use super::{describe, keys};
use crate::settings::{CourseIdentity, CourseSettings};
use crate::target::{LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

pub struct DeleteTool {
    identity: CourseIdentity,
    percent: u32,
    count: u64,
}

impl DeleteTool {
    pub fn new(settings: &CourseSettings) -> Self {
        DeleteTool {
            identity: settings.delete_identifier,
            percent: settings.delete_threshold_percent,
            count: settings.delete_threshold_count,
        }
    }

    fn index(&self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<CourseIndex, TargetError> {
        let values = rows.iter().filter_map(|r| r.fields.first().map(String::as_str));
        Ok(CourseIndex::new(target.courses(&keys(self.identity, values))?))
    }
}

impl Tool for DeleteTool {
    fn name(&self) -> &'static str {
        "courses"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("delete")
    }

    fn headerless(&self) -> Option<Vec<String>> {
        Some(vec!["course".into()])
    }

    fn rules(&self) -> &'static ColumnRules {
        &LIST_RULES
    }

    fn start(&mut self, _: &Columns, _: &ToolContext, _: &mut dyn LmsTarget) -> Result<Vec<String>, ToolError> {
        Ok(vec![format!("courses are matched by {}", self.identity.as_str())])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let mut index = self.index(rows, target)?;
        Ok(rows
            .iter()
            .map(|row| {
                let value = row.fields.first().cloned().unwrap_or_default();
                if row.line == 1 && is_header_line(row, self.identity) {
                    return Planned {
                        outcome: LineOutcome::new(row.line, Outcome::Skipped, value, "header line"),
                        change: None,
                    };
                }
                match index.find(self.identity, &value).cloned() {
                    Some(c) => {
                        index.forget(c.id);
                        Planned {
                            outcome: LineOutcome::new(
                                row.line,
                                Outcome::Deleted,
                                &value,
                                format!("deleted {}", describe(&c)),
                            ),
                            change: Some(Change {
                                line: row.line,
                                key: value,
                                kind: ChangeKind::DeleteCourse { id: c.id },
                            }),
                        }
                    }
                    None => Planned {
                        outcome: LineOutcome::failed(
                            row.line,
                            &value,
                            "course.not_found",
                            format!("no course has {} {value} (already deleted, or a typo)", self.identity.as_str()),
                        ),
                        change: None,
                    },
                }
            })
            .collect())
    }

    fn may_delete(&self) -> bool {
        true
    }

    fn deletions(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<u64, TargetError> {
        let index = self.index(rows, target)?;
        let mut ids: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.fields.first())
            .filter_map(|v| index.find(self.identity, v))
            .map(|c| c.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.len() as u64)
    }

    fn delete_limits(&mut self, target: &mut dyn LmsTarget) -> Result<(u64, u32, u64), TargetError> {
        Ok((target.course_count()?, self.percent, self.count))
    }
}
