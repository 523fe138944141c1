//! `courses --op metas` (`metacourses.csv`: `master;meta[;cmd]`): links a meta course to its
//! master so the meta course's enrolments derive from the master's (the store keeps them in
//! step at all times), or removes the link (`cmd` = `del`). Self-links and cycles are refused.

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, LineOutcome, Outcome};
use std::collections::{HashMap, HashSet};

use super::index::CourseIndex;
use super::{describe, keys};
use crate::settings::{CourseIdentity, CourseSettings};
use crate::target::{LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

pub static RULES: ColumnRules = ColumnRules { required: &["master", "meta"], optional: &["cmd"], patterns: &[] };

pub struct MetasTool {
    identity: CourseIdentity,
    cols: (usize, usize, Option<usize>),
    /// meta course → its masters (enabled or not), kept up to date as lines are planned.
    links: HashMap<i64, HashMap<i64, bool>>,
}

impl MetasTool {
    pub fn new(settings: &CourseSettings) -> Self {
        MetasTool { identity: settings.metas_identifier, cols: (0, 1, None), links: HashMap::new() }
    }

    /// Whether `from` reaches `to` by following master links upward.
    fn reaches(&self, from: i64, to: i64) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![from];
        while let Some(c) = stack.pop() {
            if c == to {
                return true;
            }
            if seen.insert(c) {
                stack.extend(self.links.get(&c).into_iter().flat_map(|m| m.keys().copied()));
            }
        }
        false
    }

    fn plan_row(&mut self, row: &Row, index: &CourseIndex) -> Result<Planned, (&'static str, String)> {
        let get = |i: usize| row.fields.get(i).map(|v| v.trim().to_string()).unwrap_or_default();
        let (master_v, meta_v) = (get(self.cols.0), get(self.cols.1));
        let cmd = self.cols.2.map(get).unwrap_or_default().to_lowercase();
        let add = match cmd.as_str() {
            "" | "add" => true,
            "del" | "delete" => false,
            other => {
                return Err(("course.invalid_value", format!("cmd \"{other}\" is not a meta command; use add or del")));
            }
        };
        let find = |v: &str, role: &str| {
            index.find(self.identity, v).cloned().ok_or_else(|| {
                ("course.not_found", format!("{role} course {v} not found ({} {v})", self.identity.as_str()))
            })
        };
        let master = find(&master_v, "master")?;
        let meta = find(&meta_v, "meta")?;
        let key = format!("{master_v}>{meta_v}");
        let change = |add| {
            Some(Change {
                line: row.line,
                key: key.clone(),
                kind: ChangeKind::MetaLink { master: master.id, meta: meta.id, add },
            })
        };
        let current = self.links.get(&meta.id).and_then(|m| m.get(&master.id)).copied();
        if !add {
            return Ok(match current {
                // A link the target does not list is removed all the same: a target that
                // cannot list every link (Moodle lists none) may still hold it, and one that
                // has no such link answers unchanged.
                None => Planned {
                    outcome: LineOutcome::new(
                        row.line,
                        Outcome::Deleted,
                        &key,
                        "link removed if there was one; enrolments derived from it are removed",
                    ),
                    change: change(false),
                },
                Some(_) => {
                    self.links.entry(meta.id).or_default().remove(&master.id);
                    Planned {
                        outcome: LineOutcome::new(
                            row.line,
                            Outcome::Deleted,
                            &key,
                            "link removed; enrolments derived from it are removed",
                        ),
                        change: change(false),
                    }
                }
            });
        }
        if master.id == meta.id {
            return Err(("course.meta_self", format!("course {} cannot be its own meta course", describe(&master))));
        }
        if current.is_none() && self.reaches(master.id, meta.id) {
            return Err((
                "course.meta_cycle",
                format!("linking {} under {} would make a cycle of meta links", describe(&meta), describe(&master)),
            ));
        }
        self.links.entry(meta.id).or_default().insert(master.id, true);
        Ok(match current {
            Some(true) => {
                Planned { outcome: LineOutcome::new(row.line, Outcome::Unchanged, &key, "linked"), change: None }
            }
            Some(false) => Planned {
                outcome: LineOutcome::new(row.line, Outcome::Updated, &key, "link enabled again"),
                change: change(true),
            },
            None => Planned {
                outcome: LineOutcome::new(
                    row.line,
                    Outcome::Created,
                    &key,
                    format!("{} now takes its enrolments from {}", describe(&meta), describe(&master)),
                ),
                change: change(true),
            },
        })
    }
}

impl Tool for MetasTool {
    fn name(&self) -> &'static str {
        "courses"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("metas")
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
        self.cols = (columns.index("master").unwrap_or(0), columns.index("meta").unwrap_or(1), columns.index("cmd"));
        for (master, meta, enabled) in
            target.meta_links().map_err(|e| ToolError { code: "target.unavailable", message: e.to_string() })?
        {
            self.links.entry(meta).or_default().insert(master, enabled);
        }
        Ok(vec![format!("courses are matched by {}", self.identity.as_str())])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let values: Vec<&str> = rows
            .iter()
            .flat_map(|r| [self.cols.0, self.cols.1].into_iter().filter_map(|i| r.fields.get(i).map(String::as_str)))
            .collect();
        let index = CourseIndex::new(target.courses(&keys(self.identity, values))?);
        Ok(rows
            .iter()
            .map(|row| {
                self.plan_row(row, &index).unwrap_or_else(|(code, message)| {
                    let key = row.fields.iter().take(2).cloned().collect::<Vec<_>>().join(">");
                    Planned { outcome: LineOutcome::failed(row.line, key, code, message), change: None }
                })
            })
            .collect())
    }
}
