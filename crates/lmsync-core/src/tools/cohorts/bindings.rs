//! `cohorts --op bindings` (`cohortscourses.csv`): binds cohorts to courses (`add`, default),
//! disables (`del`), enables (`restore`) or removes (`fulldel`) bindings. A binding is an
//! enrolment instance of method `cohort`: while it is enabled, every member of the cohort is
//! enrolled in the course with its role (and put in its group, with `makegroup`).

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Binding, BindingOp, Change, ChangeKind, Course, LineOutcome, Outcome};
use std::collections::HashMap;

use super::{CohortIndex, add_key, dedup_keys};
use crate::clock::Clock;
use crate::settings::{CohortSettings, CourseIdentity, RoleIdentity};
use crate::target::{CohortKeys, LmsTarget, TargetError};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

pub static RULES: ColumnRules = ColumnRules {
    required: &["cohort", "course"],
    optional: &["cmd", "role", "enrol", "enrolstart", "enrolend", "makegroup"],
    patterns: &[],
};

type Refusal = (&'static str, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Add,
    Del,
    Restore,
    Fulldel,
}

pub struct BindingsTool {
    s: CohortSettings,
    clock: Clock,
    cols: HashMap<String, usize>,
    roles: Vec<(i64, String)>,
}

/// What the lines of one chunk know, kept up to date as they are planned.
struct Chunk {
    courses: HashMap<String, Course>,
    cohorts: CohortIndex,
    /// Bindings of the chunk's courses; planned new ones have id 0.
    bindings: Vec<Binding>,
    /// Group names by id, per course (read when a line asks for a group).
    groups: HashMap<i64, HashMap<i64, String>>,
}

impl BindingsTool {
    pub fn new(settings: CohortSettings, clock: Clock) -> Self {
        BindingsTool { s: settings, clock, cols: HashMap::new(), roles: Vec::new() }
    }

    fn get<'r>(&self, row: &'r Row, name: &str) -> &'r str {
        self.cols.get(name).and_then(|i| row.fields.get(*i)).map(|v| v.trim()).unwrap_or("")
    }

    fn role_name(&self, id: i64) -> String {
        self.roles.iter().find(|r| r.0 == id).map_or_else(|| format!("role {id}"), |r| r.1.clone())
    }

    /// `Some(None)` = every role (`*`).
    fn role(&self, value: &str) -> Result<Option<i64>, Refusal> {
        if value == "*" {
            return Ok(None);
        }
        let (value, field) = if value.is_empty() { ("student", "shortname") } else { (value, self.role_field()) };
        let found = match (field, self.s.role_identifier) {
            ("shortname", _) => self.roles.iter().find(|r| r.1 == value),
            (_, RoleIdentity::Id) => value.parse::<i64>().ok().and_then(|id| self.roles.iter().find(|r| r.0 == id)),
            _ => self.roles.iter().find(|r| r.1 == value),
        };
        found.map(|r| Some(r.0)).ok_or_else(|| {
            let names: Vec<&str> = self.roles.iter().map(|r| r.1.as_str()).collect();
            ("binding.bad_role", format!("no role has {field} \"{value}\"; roles: {}", names.join(", ")))
        })
    }

    fn role_field(&self) -> &'static str {
        match self.s.role_identifier {
            RoleIdentity::Id => "id",
            RoleIdentity::Shortname => "shortname",
        }
    }

    fn date(&self, row: &Row, col: &str) -> Result<Option<i64>, Refusal> {
        match self.get(row, col) {
            "" => Ok(None),
            "0" => Ok(Some(0)),
            v => self.clock.parse_date(v).map(Some).ok_or_else(|| {
                (
                    "binding.bad_date",
                    format!(
                        "{col} \"{v}\" is not a date; use 2026-09-01 08:00, 01/09/2026, a Unix time, or 0 for none"
                    ),
                )
            }),
        }
    }

    fn load(&self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Chunk, TargetError> {
        let values: Vec<&str> = rows.iter().map(|r| self.get(r, "course")).collect();
        let mut courses = HashMap::new();
        for c in target.courses(&crate::tools::courses::keys(self.s.course_identifier, values))? {
            let key = match self.s.course_identifier {
                CourseIdentity::Id => c.id.to_string(),
                CourseIdentity::Idnumber => c.idnumber.clone(),
                CourseIdentity::Shortname => c.shortname.clone(),
            };
            courses.insert(key, c);
        }
        let mut keys = CohortKeys::default();
        for r in rows {
            add_key(&mut keys, self.s.cohort_identifier, self.get(r, "cohort"));
        }
        dedup_keys(&mut keys);
        let cohorts = CohortIndex::new(target.cohorts(&keys)?);
        let ids: Vec<i64> = courses.values().map(|c| c.id).collect();
        let bindings = target.cohort_bindings(&ids)?;
        Ok(Chunk { courses, cohorts, bindings, groups: HashMap::new() })
    }

    fn plan_row(
        &self,
        row: &Row,
        chunk: &mut Chunk,
        target: &mut dyn LmsTarget,
    ) -> Result<(Outcome, String, Option<ChangeKind>), Refusal> {
        let cmd = match self.get(row, "cmd").to_lowercase().as_str() {
            "" | "add" => Cmd::Add,
            "del" | "delete" => Cmd::Del,
            "restore" => Cmd::Restore,
            "fulldel" => Cmd::Fulldel,
            other => {
                return Err((
                    "binding.bad_command",
                    format!("cmd \"{other}\" is not a command; use add, del, restore or fulldel"),
                ));
            }
        };
        let role = self.role(self.get(row, "role"))?;
        if cmd == Cmd::Add && role.is_none() {
            return Err((
                "binding.bad_role",
                "role \"*\" (every role) only goes with del, restore and fulldel; name one role to bind".into(),
            ));
        }
        let course_value = self.get(row, "course");
        if course_value.is_empty() {
            return Err(("binding.missing_course", "the course column is empty; name the course".into()));
        }
        let course = chunk.courses.get(course_value).cloned().ok_or_else(|| {
            (
                "binding.course_not_found",
                format!("no course has {} \"{course_value}\"", self.s.course_identifier.as_str()),
            )
        })?;
        let cohort_value = self.get(row, "cohort");
        if cohort_value.is_empty() {
            return Err(("binding.missing_cohort", "the cohort column is empty; name the cohort".into()));
        }
        let (_, cohort, warning) = chunk.cohorts.find(self.s.cohort_identifier, cohort_value).ok_or_else(|| {
            (
                "binding.cohort_not_found",
                format!("no cohort has {} \"{cohort_value}\"", self.s.cohort_identifier.as_str()),
            )
        })?;
        let cohort = cohort.clone();
        let mut said: Vec<String> = warning.into_iter().collect();
        let method = self.get(row, "enrol");
        if !method.is_empty() && method != "cohort" {
            return Err((
                "binding.unsupported_method",
                format!(
                    "enrol \"{method}\" is not a method this target has; cohort bindings use the method cohort (leave enrol empty)"
                ),
            ));
        }
        let start = self.date(row, "enrolstart")?;
        let end = self.date(row, "enrolend")?;
        if let (Some(s), Some(e)) = (start, end)
            && s > 0
            && e > 0
            && e <= s
        {
            return Err((
                "binding.bad_dates",
                format!("enrolend ({}) is not after enrolstart ({})", self.clock.display(e), self.clock.display(s)),
            ));
        }
        let makegroup = match self.get(row, "makegroup") {
            "" => false,
            v => crate::values::parse_bool(v)
                .ok_or_else(|| ("binding.bad_makegroup", format!("makegroup \"{v}\" is not 1/0 or yes/no")))?,
        };
        let is_ours = |b: &Binding| b.course == course.id && b.cohort == cohort.id && role.is_none_or(|r| b.role == r);
        let what = format!("cohort {} in {}", cohort.name, course.shortname);
        let role_said = role.map_or_else(|| "every role".to_string(), |r| self.role_name(r));
        match cmd {
            Cmd::Add => {
                let role = role.unwrap_or_default();
                let group = makegroup.then(|| cohort.name.clone());
                let Some(at) = chunk.bindings.iter().position(is_ours) else {
                    chunk.bindings.push(Binding {
                        id: 0,
                        course: course.id,
                        cohort: cohort.id,
                        role,
                        enabled: true,
                        start: start.unwrap_or(0),
                        end: end.unwrap_or(0),
                        group: None,
                    });
                    said.insert(0, format!("{what} bound as {}", self.role_name(role)));
                    if let Some(g) = &group {
                        said.push(format!("members put in group {g}"));
                    }
                    let op = BindingOp::Bind { role, start, end, group };
                    return Ok((
                        Outcome::Created,
                        said.join("; "),
                        Some(ChangeKind::CohortBinding { course: course.id, cohort: cohort.id, op }),
                    ));
                };
                let b = chunk.bindings[at].clone();
                let mut changes = Vec::new();
                if !b.enabled {
                    changes.push("enabled again".to_string());
                }
                if let Some(s) = start.filter(|s| *s != b.start) {
                    changes.push(if s == 0 {
                        "start date removed".into()
                    } else {
                        format!("starts {}", self.clock.display(s))
                    });
                }
                if let Some(e) = end.filter(|e| *e != b.end) {
                    changes.push(if e == 0 {
                        "end date removed".into()
                    } else {
                        format!("ends {}", self.clock.display(e))
                    });
                }
                if let Some(g) = &group {
                    let current = match b.group {
                        Some(id) => self.group_name(chunk, course.id, id, target)?,
                        None => None,
                    };
                    if current.as_deref() != Some(g.as_str()) {
                        changes.push(format!("members put in group {g}"));
                    }
                }
                let binding = &mut chunk.bindings[at];
                binding.enabled = true;
                binding.start = start.unwrap_or(binding.start);
                binding.end = end.unwrap_or(binding.end);
                if changes.is_empty() {
                    said.insert(0, format!("{what} is already bound as {}", self.role_name(role)));
                    return Ok((Outcome::Unchanged, said.join("; "), None));
                }
                said.insert(0, format!("{what} ({}): {}", self.role_name(role), changes.join(", ")));
                let op = BindingOp::Bind { role, start, end, group };
                Ok((
                    Outcome::Updated,
                    said.join("; "),
                    Some(ChangeKind::CohortBinding { course: course.id, cohort: cohort.id, op }),
                ))
            }
            Cmd::Del | Cmd::Restore => {
                let enable = cmd == Cmd::Restore;
                let mut n = 0;
                let mut any = false;
                for b in chunk.bindings.iter_mut().filter(|b| is_ours(b)) {
                    any = true;
                    if b.enabled != enable {
                        b.enabled = enable;
                        n += 1;
                    }
                }
                if !any {
                    said.insert(
                        0,
                        format!(
                            "{what} has no binding ({role_said}): nothing to {}",
                            if enable { "restore" } else { "disable" }
                        ),
                    );
                    return Ok((Outcome::Skipped, said.join("; "), None));
                }
                if n == 0 {
                    said.insert(
                        0,
                        format!("{what} ({role_said}) is already {}", if enable { "enabled" } else { "disabled" }),
                    );
                    return Ok((Outcome::Unchanged, said.join("; "), None));
                }
                said.insert(
                    0,
                    if enable {
                        format!("{what} ({role_said}): {n} binding(s) enabled again; members enrolled")
                    } else {
                        format!("{what} ({role_said}): {n} binding(s) disabled; their enrolments suspended")
                    },
                );
                let op = if enable { BindingOp::Enable { role } } else { BindingOp::Disable { role } };
                Ok((
                    Outcome::Updated,
                    said.join("; "),
                    Some(ChangeKind::CohortBinding { course: course.id, cohort: cohort.id, op }),
                ))
            }
            Cmd::Fulldel => {
                let before = chunk.bindings.len();
                chunk.bindings.retain(|b| !is_ours(b));
                let n = before - chunk.bindings.len();
                if n == 0 {
                    said.insert(0, format!("{what} has no binding ({role_said}): nothing to remove"));
                    return Ok((Outcome::Skipped, said.join("; "), None));
                }
                said.insert(0, format!("{what} ({role_said}): {n} binding(s) removed, with the enrolments they gave"));
                let op = BindingOp::Delete { role };
                Ok((
                    Outcome::Deleted,
                    said.join("; "),
                    Some(ChangeKind::CohortBinding { course: course.id, cohort: cohort.id, op }),
                ))
            }
        }
    }

    fn group_name(
        &self,
        chunk: &mut Chunk,
        course: i64,
        id: i64,
        target: &mut dyn LmsTarget,
    ) -> Result<Option<String>, Refusal> {
        if let std::collections::hash_map::Entry::Vacant(slot) = chunk.groups.entry(course) {
            let cg = target.course_groups(course).map_err(|e| ("target.unavailable", e.to_string()))?;
            slot.insert(cg.groups.into_iter().map(|g| (g.id, g.name)).collect());
        }
        Ok(chunk.groups[&course].get(&id).cloned())
    }
}

impl Tool for BindingsTool {
    fn name(&self) -> &'static str {
        "cohorts"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("bindings")
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
        self.roles = target.roles().map_err(|e| ToolError { code: "target.unavailable", message: e.to_string() })?;
        Ok(vec![format!(
            "cohorts are matched by {}, courses by {}, roles by {}",
            self.s.cohort_identifier.as_str(),
            self.s.course_identifier.as_str(),
            self.role_field()
        )])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let mut chunk = self.load(rows, target)?;
        let mut planned = Vec::with_capacity(rows.len());
        for row in rows {
            let key = format!("{}@{}", self.get(row, "cohort"), self.get(row, "course"));
            planned.push(match self.plan_row(row, &mut chunk, target) {
                Ok((outcome, message, kind)) => Planned {
                    outcome: LineOutcome::new(row.line, outcome, &key, message),
                    change: kind.map(|kind| Change { line: row.line, key: key.clone(), kind }),
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

    /// Bindings the chunk disables or removes.
    fn deletions(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<u64, TargetError> {
        if !rows.iter().any(|r| ["del", "delete", "fulldel"].contains(&self.get(r, "cmd").to_lowercase().as_str())) {
            return Ok(0);
        }
        let chunk = self.load(rows, target)?;
        let mut n = 0;
        for row in rows {
            let cmd = self.get(row, "cmd").to_lowercase();
            if !["del", "delete", "fulldel"].contains(&cmd.as_str()) {
                continue;
            }
            let (Some(course), Some((_, cohort, _)), Ok(role)) = (
                chunk.courses.get(self.get(row, "course")),
                chunk.cohorts.find(self.s.cohort_identifier, self.get(row, "cohort")),
                self.role(self.get(row, "role")),
            ) else {
                continue;
            };
            n += chunk
                .bindings
                .iter()
                .filter(|b| b.course == course.id && b.cohort == cohort.id && role.is_none_or(|r| b.role == r))
                .count() as u64;
        }
        Ok(n)
    }

    fn delete_limits(&mut self, target: &mut dyn LmsTarget) -> Result<(u64, u32, u64), TargetError> {
        Ok((target.cohort_totals()?.bindings, self.s.delete_threshold_percent, self.s.delete_threshold_count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(role_identifier: RoleIdentity) -> BindingsTool {
        let mut t =
            BindingsTool::new(CohortSettings { role_identifier, ..Default::default() }, Clock::new("UTC").unwrap());
        t.roles = vec![(3, "editingteacher".into()), (4, "teacher".into()), (5, "student".into())];
        t.cols = ["enrolstart", "enrolend"].iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect();
        t
    }

    #[test]
    fn roles_default_to_student_and_star_means_every_role() {
        let t = tool(RoleIdentity::Shortname);
        assert_eq!(t.role(""), Ok(Some(5)));
        assert_eq!(t.role("teacher"), Ok(Some(4)));
        assert_eq!(t.role("*"), Ok(None));
        let (code, message) = t.role("prof").unwrap_err();
        assert_eq!(code, "binding.bad_role");
        assert!(message.contains("editingteacher, teacher, student"), "{message}");
        let by_id = tool(RoleIdentity::Id);
        assert_eq!(by_id.role("3"), Ok(Some(3)));
        assert_eq!(by_id.role(""), Ok(Some(5)), "empty is student whatever the identifier");
        assert!(by_id.role("student").is_err());
    }

    #[test]
    fn dates_are_dates_unix_times_or_zero_for_none() {
        let t = tool(RoleIdentity::Shortname);
        let row = |s: &str, e: &str| Row { line: 2, fields: vec![s.into(), e.into()] };
        assert_eq!(t.date(&row("2026-09-01", ""), "enrolstart"), Ok(Some(1_788_220_800)));
        assert_eq!(t.date(&row("", "1788220800"), "enrolend"), Ok(Some(1_788_220_800)));
        assert_eq!(t.date(&row("0", ""), "enrolstart"), Ok(Some(0)));
        assert_eq!(t.date(&row("", ""), "enrolend"), Ok(None));
        assert_eq!(t.date(&row("soon", ""), "enrolstart").unwrap_err().0, "binding.bad_date");
    }
}
