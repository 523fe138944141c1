//! `cohorts --op members` (`cohorts.csv`): `add` (default) creates or updates a cohort and adds
//! a member, `del` removes a member — or, with no user on the line, deletes the cohort — and
//! `free` empties a cohort. `cid`, `cidnumber` and `cname` each name their own field; the one
//! `cohorts.cohort_identifier` names is tried first (DECISIONS §5).

mod chunk;
mod plan;
#[cfg(test)]
mod tests;

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Category, Change, ChangeKind, CohortRef, LineOutcome, User};
use std::collections::HashMap;

use crate::settings::{CohortIdentity, CohortSettings, Identity};
use crate::target::{LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};
use chunk::Chunk;

pub static RULES: ColumnRules = ColumnRules {
    required: &[],
    optional: &[
        "cmd",
        "cid",
        "cidnumber",
        "cname",
        "cdescription",
        "userid",
        "ccatcontext",
        "ccatcontextidnumber",
        "component",
    ],
    patterns: &[],
};

type Refusal = (&'static str, String);

/// How a line names its cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Id(i64),
    Idnumber(String),
    Name(String),
    /// A `cid` value that is not a number: looked up by idnumber, then by name.
    Loose(String),
}

pub struct CohortMembersTool {
    s: CohortSettings,
    cols: HashMap<String, usize>,
    categories: Vec<Category>,
}

impl CohortMembersTool {
    pub fn new(settings: CohortSettings) -> Self {
        CohortMembersTool { s: settings, cols: HashMap::new(), categories: Vec::new() }
    }

    fn get<'r>(&self, row: &'r Row, name: &str) -> &'r str {
        self.cols.get(name).and_then(|i| row.fields.get(*i)).map(|v| v.trim()).unwrap_or("")
    }

    /// The keys a line gives, the configured identifier's first.
    fn keys(&self, row: &Row) -> Vec<Key> {
        let mut order = vec![CohortIdentity::Idnumber, CohortIdentity::Name, CohortIdentity::Id];
        order.retain(|i| *i != self.s.cohort_identifier);
        order.insert(0, self.s.cohort_identifier);
        order
            .into_iter()
            .filter_map(|ident| match ident {
                CohortIdentity::Idnumber => {
                    Some(self.get(row, "cidnumber")).filter(|v| !v.is_empty()).map(|v| Key::Idnumber(v.into()))
                }
                CohortIdentity::Name => {
                    Some(self.get(row, "cname")).filter(|v| !v.is_empty()).map(|v| Key::Name(v.into()))
                }
                CohortIdentity::Id => Some(self.get(row, "cid")).filter(|v| !v.is_empty()).map(|v| match v.parse() {
                    Ok(id) => Key::Id(id),
                    Err(_) => Key::Loose(v.into()),
                }),
            })
            .collect()
    }

    fn user_key(&self, value: &str) -> String {
        match self.s.user_identifier {
            Identity::Username | Identity::Email => value.to_lowercase(),
            _ => value.to_string(),
        }
    }

    fn stored_user_key(&self, u: &User) -> String {
        match self.s.user_identifier {
            Identity::Id => u.id.to_string(),
            Identity::Idnumber => u.idnumber.clone(),
            Identity::Username => u.username.clone(),
            Identity::Email => u.email.to_lowercase(),
        }
    }

    /// The cohort a line names (its handle), if any; fails when the line names none.
    fn find(&self, row: &Row, chunk: &Chunk, said: &mut Vec<String>) -> Result<(Key, Option<i64>), Refusal> {
        let keys = self.keys(row);
        let Some(key) = keys.first().cloned() else {
            return Err((
                "cohort.missing_key",
                format!(
                    "the line names no cohort: fill c{} (or cidnumber, cname, cid)",
                    self.s.cohort_identifier.as_str()
                ),
            ));
        };
        let found = match &key {
            Key::Id(id) => chunk.cohorts.by_id(*id).map(|(h, _)| h),
            Key::Idnumber(v) => chunk.cohorts.by_idnumber(v).map(|(h, _)| h),
            Key::Name(v) => chunk.cohorts.find(CohortIdentity::Name, v).map(|(h, _, warn)| {
                said.extend(warn);
                h
            }),
            Key::Loose(v) => {
                let hit =
                    chunk.cohorts.by_idnumber(v).map(|(h, _)| h).or_else(|| chunk.cohorts.by_name(v).map(|(h, ..)| h));
                said.push(format!(
                    "warning: cid \"{v}\" is not a cohort id; it was looked up as an idnumber, then as a name"
                ));
                hit
            }
        };
        Ok((key, found))
    }

    fn describe(key: &Key) -> String {
        match key {
            Key::Id(id) => format!("id {id}"),
            Key::Idnumber(v) => format!("idnumber \"{v}\""),
            Key::Name(v) => format!("name \"{v}\""),
            Key::Loose(v) => format!("idnumber or name \"{v}\""),
        }
    }

    /// The account the userid column names, if it names one; fails when it names none.
    fn user<'c>(&self, row: &Row, chunk: &'c Chunk) -> Result<Option<&'c User>, Refusal> {
        let v = self.get(row, "userid");
        if v.is_empty() {
            return Ok(None);
        }
        let field = self.s.user_identifier.as_str();
        match chunk.users.get(&self.user_key(v)).map(Vec::as_slice).unwrap_or(&[]) {
            [] => Err(("cohort.user_not_found", format!("no account has {field} \"{v}\"; check the userid column"))),
            [u] => Ok(Some(u)),
            many => {
                let names: Vec<&str> = many.iter().map(|u| u.username.as_str()).collect();
                Err((
                    "cohort.user_ambiguous",
                    format!("{field} \"{v}\" matches several accounts: {}", names.join(", ")),
                ))
            }
        }
    }

    /// The context `ccatcontext` / `ccatcontextidnumber` ask for: `None` = not asked,
    /// `Some(None)` = the system context (`ccatcontext` 0).
    fn context(&self, row: &Row) -> Result<Option<Option<i64>>, Refusal> {
        let id = self.get(row, "ccatcontext");
        if !id.is_empty() {
            if id == "0" {
                return Ok(Some(None));
            }
            return match id.parse::<i64>().ok().filter(|i| self.categories.iter().any(|c| c.id == *i)) {
                Some(i) => Ok(Some(Some(i))),
                None => Err((
                    "cohort.bad_context",
                    format!(
                        "ccatcontext \"{id}\" is not the id of a category; use a category id, or 0 for the whole site"
                    ),
                )),
            };
        }
        let idnumber = self.get(row, "ccatcontextidnumber");
        if !idnumber.is_empty() {
            return match self.categories.iter().find(|c| c.idnumber == idnumber) {
                Some(c) => Ok(Some(Some(c.id))),
                None => Err((
                    "cohort.bad_context",
                    format!("no category has idnumber \"{idnumber}\" (ccatcontextidnumber)"),
                )),
            };
        }
        Ok(None)
    }
}

/// The reference a line without a found cohort reports (nothing is applied with it).
fn key_ref(key: &Key) -> CohortRef {
    let (id, idnumber, name) = match key {
        Key::Id(id) => (*id, String::new(), String::new()),
        Key::Idnumber(v) => (0, v.clone(), String::new()),
        Key::Name(v) | Key::Loose(v) => (0, String::new(), v.clone()),
    };
    CohortRef { id, idnumber, name }
}

impl Tool for CohortMembersTool {
    fn name(&self) -> &'static str {
        "cohorts"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("members")
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
        self.cols = columns.names().iter().cloned().enumerate().map(|(i, n)| (n, i)).collect();
        if !["cid", "cidnumber", "cname"].iter().any(|c| self.cols.contains_key(*c)) {
            return Err(ToolError {
                code: "cohort.no_key_column",
                message: format!(
                    "the file has no cohort column: add c{} (cohorts.cohort_identifier), or cidnumber, cname or cid",
                    self.s.cohort_identifier.as_str()
                ),
            });
        }
        if self.cols.contains_key("ccatcontext") || self.cols.contains_key("ccatcontextidnumber") {
            self.categories =
                target.categories().map_err(|e| ToolError { code: "target.unavailable", message: e.to_string() })?;
        }
        Ok(vec![format!(
            "cohorts are matched by {} first, users by {}; unknown cohorts are {}",
            self.s.cohort_identifier.as_str(),
            self.s.user_identifier.as_str(),
            if self.s.autocreate { "created" } else { "refused (cohorts.autocreate = false)" }
        )])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let mut chunk = self.load(rows, target)?;
        let mut planned = Vec::with_capacity(rows.len());
        for row in rows {
            let cohort = self.keys(row).first().map(|k| match k {
                Key::Id(id) => id.to_string(),
                Key::Idnumber(v) | Key::Name(v) | Key::Loose(v) => v.clone(),
            });
            let user = self.get(row, "userid");
            let key = match (cohort, user.is_empty()) {
                (Some(c), true) => c,
                (Some(c), false) => format!("{user}@{c}"),
                (None, _) => user.to_string(),
            };
            planned.push(match self.plan_row(row, &mut chunk, target) {
                Ok((outcome, message, cohort, ops)) => Planned {
                    outcome: LineOutcome::new(row.line, outcome, &key, message),
                    change: (!ops.is_empty()).then(|| Change {
                        line: row.line,
                        key: key.clone(),
                        kind: ChangeKind::Cohort { cohort, ops },
                    }),
                },
                Err(("target.unavailable", message)) => return Err(TargetError::Unavailable(message)),
                Err((code, message)) => {
                    Planned { outcome: LineOutcome::failed(row.line, key, code, message), change: None }
                }
            });
        }
        Ok(planned)
    }

    fn may_delete(&self) -> bool {
        self.cols.contains_key("cmd")
    }

    /// Memberships the chunk ends: a member removed, the members of a cohort emptied or deleted.
    fn deletions(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<u64, TargetError> {
        // Most lines add: only the others need the chunk's lookups.
        let rows: Vec<Row> = rows
            .iter()
            .filter(|r| ["del", "delete", "free"].contains(&self.get(r, "cmd").to_lowercase().as_str()))
            .cloned()
            .collect();
        if rows.is_empty() {
            return Ok(0);
        }
        let rows = rows.as_slice();
        let chunk = self.load(rows, target)?;
        let mut whole: Vec<i64> = Vec::new();
        let mut single = 0;
        for row in rows {
            let cmd = self.get(row, "cmd").to_lowercase();
            if !["del", "delete", "free"].contains(&cmd.as_str()) {
                continue;
            }
            let mut said = Vec::new();
            let Ok((_, Some(handle))) = self.find(row, &chunk, &mut said) else { continue };
            let Some(c) = chunk.cohorts.get(handle) else { continue };
            if cmd == "free" || self.get(row, "userid").is_empty() {
                whole.push(c.id);
            } else {
                single += 1;
            }
        }
        whole.sort_unstable();
        whole.dedup();
        Ok(single + target.cohort_member_counts(&whole)?.iter().sum::<u64>())
    }

    fn delete_limits(&mut self, target: &mut dyn LmsTarget) -> Result<(u64, u32, u64), TargetError> {
        Ok((target.cohort_totals()?.memberships, self.s.delete_threshold_percent, self.s.delete_threshold_count))
    }
}
