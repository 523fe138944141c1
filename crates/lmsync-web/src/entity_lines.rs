//! The bodies of the entity routes and the command-file lines each becomes. The routes speak of
//! members added and removed, bindings made or suspended, courses and enrolments; the tools read
//! files. Mapping each body onto the real columns of its tool's file keeps every write an
//! ordinary recorded run (same checks, report, tryback, journal), with nothing decided here
//! that a file could not say.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{ApiError, LinesBody};

/// A date or a Unix time, as the files take them (`2026-09-01`, `01/09/2026`, `1788220800`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DateValue {
    Text(String),
    Unix(i64),
}

impl DateValue {
    fn text(&self) -> String {
        match self {
            DateValue::Text(t) => t.clone(),
            DateValue::Unix(n) => n.to_string(),
        }
    }
}

/// `POST /cohorts/{cohort}/members`: user keys (by `cohorts.user_identifier`) to add and remove.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub dry_run: bool,
}

/// A binding to make: course (by `cohorts.course_identifier`), role (by
/// `cohorts.role_identifier`, default student), dates, and whether members get a course group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bind {
    pub course: String,
    pub role: Option<String>,
    pub start: Option<DateValue>,
    pub end: Option<DateValue>,
    #[serde(default)]
    pub group: bool,
}

/// A binding to remove, suspend or restore; without a role, every role's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingRef {
    pub course: String,
    pub role: Option<String>,
}

/// `POST /cohorts/{cohort}/bindings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingsBody {
    #[serde(default)]
    pub bind: Vec<Bind>,
    #[serde(default)]
    pub unbind: Vec<BindingRef>,
    #[serde(default)]
    pub suspend: Vec<BindingRef>,
    #[serde(default)]
    pub restore: Vec<BindingRef>,
    #[serde(default)]
    pub dry_run: bool,
}

/// One line of `POST /enrolments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentLine {
    /// `add`, `del` or `shift`.
    pub action: String,
    /// By `enrols.user_identifier`.
    pub user: String,
    /// By `enrols.course_identifier`.
    pub course: String,
    #[serde(default)]
    pub role: String,
    /// The enrolment method; absent: the default one (`sync` or `manual`).
    pub method: Option<String>,
    pub start: Option<DateValue>,
    pub end: Option<DateValue>,
    /// `gadd`, `gaddcreate`, `greplace`, `greplacecreate`, `gdel`, on `groups` (at most 9).
    pub group_action: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// `POST /enrolments`; with `roles_only`, roles are given and taken without enrolling (the
/// file without an `enrol` column).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentsBody {
    pub lines: Vec<EnrolmentLine>,
    #[serde(default)]
    pub roles_only: bool,
    #[serde(default)]
    pub dry_run: bool,
}

/// A value for a line: one physical line, so the n-th item of a request is the n-th line of its
/// file and its outcome can be given back beside it.
fn one_line(field: &str, value: &str) -> Result<String, ApiError> {
    if value.contains(['\r', '\n']) {
        return Err(ApiError::bad_request("api.bad_value", format!("{field} {value:?} holds a line break")));
    }
    Ok(value.to_string())
}

/// A key that must be given: a blank one would change the meaning of the line (a members `del`
/// without a user deletes the whole cohort).
fn key(code: &'static str, field: &str, value: &str) -> Result<String, ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::bad_request(code, format!("{field} is empty")));
    }
    one_line(field, value)
}

fn lines(tool: &str, op: Option<&str>, columns: &[&str], lines: Vec<Vec<String>>, dry_run: bool) -> LinesBody {
    LinesBody {
        tool: tool.into(),
        op: op.map(str::to_string),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        lines,
        dry_run,
    }
}

impl MembersBody {
    /// The members file for the cohort of this id: `cid` names it exactly, whatever
    /// `cohorts.cohort_identifier` says (a name may be shared, an idnumber empty).
    pub fn lines(&self, cohort_id: i64) -> Result<LinesBody, ApiError> {
        if self.add.is_empty() && self.remove.is_empty() {
            return Err(ApiError::bad_request("members.empty", "send users to \"add\" or \"remove\""));
        }
        let id = cohort_id.to_string();
        let mut out = Vec::new();
        for (cmd, users) in [("add", &self.add), ("del", &self.remove)] {
            for user in users {
                out.push(vec![cmd.to_string(), id.clone(), key("members.blank_user", "a user", user)?]);
            }
        }
        Ok(lines("cohorts", Some("members"), &["cmd", "cid", "userid"], out, self.dry_run))
    }
}

impl BindingsBody {
    /// The bindings file for the cohort named `cohort` (by `cohorts.cohort_identifier`). Without
    /// a role, `bind` gives students; the others act on every role's binding (`*`).
    pub fn lines(&self, cohort: &str) -> Result<LinesBody, ApiError> {
        let n = self.bind.len() + self.unbind.len() + self.suspend.len() + self.restore.len();
        if n == 0 {
            return Err(ApiError::bad_request(
                "bindings.empty",
                "send bindings to \"bind\", \"unbind\", \"suspend\" or \"restore\"",
            ));
        }
        let course = |c: &str| key("bindings.blank_course", "a course", c);
        let role = |r: &Option<String>, default: &str| one_line("role", r.as_deref().unwrap_or(default));
        let date =
            |d: &Option<DateValue>, field: &str| one_line(field, &d.as_ref().map(DateValue::text).unwrap_or_default());
        let mut out = Vec::with_capacity(n);
        for b in &self.bind {
            let group = if b.group { "1" } else { "" };
            out.push(vec![
                cohort.to_string(),
                course(&b.course)?,
                "add".into(),
                role(&b.role, "")?,
                date(&b.start, "start")?,
                date(&b.end, "end")?,
                group.into(),
            ]);
        }
        for (cmd, refs) in [("fulldel", &self.unbind), ("del", &self.suspend), ("restore", &self.restore)] {
            for r in refs {
                let row = [cohort.to_string(), course(&r.course)?, cmd.into(), role(&r.role, "*")?];
                out.push(row.into_iter().chain(["", "", ""].map(String::from)).collect());
            }
        }
        let columns = ["cohort", "course", "cmd", "role", "enrolstart", "enrolend", "makegroup"];
        Ok(lines("cohorts", Some("bindings"), &columns, out, self.dry_run))
    }
}

/// `POST /courses`: every field but `dry_run` is a column of the create file (`shortname`,
/// `fullname`, `category`, `template`, `topic1`…); texts, numbers and booleans (`1`/`0`).
pub fn course_lines(body: Map<String, Value>) -> Result<LinesBody, ApiError> {
    let mut dry_run = false;
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for (name, value) in body {
        let text = match value {
            Value::Null => continue,
            Value::Bool(b) if name == "dry_run" => {
                dry_run = b;
                continue;
            }
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
            _ => {
                return Err(ApiError::bad_request(
                    "course.bad_value",
                    format!("{name}: send a text, number or boolean"),
                ));
            }
        };
        columns.push(name);
        values.push(text);
    }
    for required in ["shortname", "fullname"] {
        if !columns.iter().zip(&values).any(|(c, v)| c == required && !v.trim().is_empty()) {
            return Err(ApiError::bad_request("course.missing_field", format!("a new course needs a {required}")));
        }
    }
    Ok(LinesBody { tool: "courses".into(), op: Some("create".into()), columns, lines: vec![values], dry_run })
}

/// `POST /courses/{course}/check`: the one-course list (its first line, `course`, is read as
/// the header line it names).
pub fn check_lines(course: &str) -> Result<LinesBody, ApiError> {
    Ok(lines("courses", Some("check"), &["course"], vec![vec![key("course.blank", "the course", course)?]], false))
}

const ACTIONS: [&str; 3] = ["add", "del", "shift"];
const GROUP_ACTIONS: [&str; 5] = ["gadd", "gaddcreate", "greplace", "greplacecreate", "gdel"];
/// The enrolment file has group columns `g1` … `g9`.
const MAX_GROUPS: usize = 9;

impl EnrolmentsBody {
    /// The enrolment file: `cmd`, `rolename`, `cid`, `uid`, then `enrol` (unless roles only),
    /// the date and group columns when a line uses them.
    pub fn lines(&self) -> Result<LinesBody, ApiError> {
        if self.lines.is_empty() {
            return Err(ApiError::bad_request("enrolments.empty", "send at least one line"));
        }
        let dates = self.lines.iter().any(|l| l.start.is_some() || l.end.is_some());
        let groups = self.lines.iter().map(|l| l.groups.len()).max().unwrap_or(0);
        let mut columns = vec!["cmd", "rolename", "cid", "uid"];
        if !self.roles_only {
            columns.push("enrol");
        }
        if dates {
            columns.extend(["starttime", "endtime"]);
        }
        let group_columns = ["g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"];
        if groups > 0 {
            columns.push("gcmd");
            columns.extend(&group_columns[..groups.min(MAX_GROUPS)]);
        }
        let mut out = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let n = i + 1;
            let bad = |code: &'static str, m: String| ApiError::bad_request(code, format!("line {n}: {m}"));
            if !ACTIONS.contains(&l.action.as_str()) {
                return Err(bad("enrolments.bad_action", format!("action {:?}: use add, del or shift", l.action)));
            }
            if self.roles_only && l.method.is_some() {
                return Err(bad(
                    "enrolments.method_roles_only",
                    "a method, with roles_only (roles only enrol nobody)".into(),
                ));
            }
            let group_action = l.group_action.as_deref().unwrap_or("");
            if l.groups.is_empty() != group_action.is_empty()
                || !(group_action.is_empty() || GROUP_ACTIONS.contains(&group_action))
            {
                return Err(bad(
                    "enrolments.bad_groups",
                    format!("send groups with a group_action among {}", GROUP_ACTIONS.join(", ")),
                ));
            }
            if l.groups.len() > MAX_GROUPS {
                return Err(bad("enrolments.bad_groups", format!("{} groups: at most {MAX_GROUPS}", l.groups.len())));
            }
            let mut row = vec![
                l.action.clone(),
                one_line("role", &l.role)?,
                key("enrolments.missing_course", "course", &l.course)?,
                key("enrolments.missing_user", "user", &l.user)?,
            ];
            if !self.roles_only {
                row.push(one_line("method", l.method.as_deref().unwrap_or(""))?);
            }
            if dates {
                for (d, field) in [(&l.start, "start"), (&l.end, "end")] {
                    row.push(one_line(field, &d.as_ref().map(DateValue::text).unwrap_or_default())?);
                }
            }
            if groups > 0 {
                row.push(group_action.to_string());
                for g in 0..groups {
                    row.push(one_line("group", l.groups.get(g).map_or("", String::as_str))?);
                }
            }
            out.push(row);
        }
        Ok(lines("enrols", None, &columns, out, self.dry_run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn members_become_add_and_del_lines_of_the_cohort_by_id() {
        let body: MembersBody = parse(serde_json::json!({"add": ["ann", "bob"], "remove": ["cy"]}));
        let l = body.lines(7).unwrap();
        assert_eq!((l.tool.as_str(), l.op.as_deref()), ("cohorts", Some("members")));
        assert_eq!(l.columns, ["cmd", "cid", "userid"]);
        assert_eq!(l.lines, [["add", "7", "ann"], ["add", "7", "bob"], ["del", "7", "cy"]]);
        let blank: MembersBody = parse(serde_json::json!({"remove": [" "]}));
        assert_eq!(blank.lines(7).unwrap_err().code, "members.blank_user", "a del without a user deletes the cohort");
        let none: MembersBody = parse(serde_json::json!({}));
        assert_eq!(none.lines(7).unwrap_err().code, "members.empty");
        let broken: MembersBody = parse(serde_json::json!({"add": ["a\nb"]}));
        assert_eq!(broken.lines(7).unwrap_err().code, "api.bad_value");
    }

    #[test]
    fn bindings_map_onto_the_commands_of_the_bindings_file() {
        let body: BindingsBody = parse(serde_json::json!({
            "bind": [{"course": "C1", "role": "teacher", "start": "2026-09-01", "end": 1800000000, "group": true}, {"course": "C2"}],
            "unbind": [{"course": "C3"}], "suspend": [{"course": "C4", "role": "student"}], "restore": [{"course": "C5"}],
        }));
        let l = body.lines("ST").unwrap();
        assert_eq!(l.columns, ["cohort", "course", "cmd", "role", "enrolstart", "enrolend", "makegroup"]);
        assert_eq!(
            l.lines,
            [
                ["ST", "C1", "add", "teacher", "2026-09-01", "1800000000", "1"],
                ["ST", "C2", "add", "", "", "", ""],
                ["ST", "C3", "fulldel", "*", "", "", ""],
                ["ST", "C4", "del", "student", "", "", ""],
                ["ST", "C5", "restore", "*", "", "", ""],
            ]
        );
        assert!(
            serde_json::from_value::<BindingsBody>(serde_json::json!({"unbind": [{"course": "C", "group": true}]}))
                .is_err()
        );
        let none: BindingsBody = parse(serde_json::json!({"dry_run": true}));
        assert_eq!(none.lines("ST").unwrap_err().code, "bindings.empty");
    }

    #[test]
    fn a_course_body_is_one_line_of_the_create_file() {
        let body = serde_json::json!({"shortname": "NEW", "fullname": "New", "visible": false, "newsitems": 3, "template": null, "dry_run": true});
        let l = course_lines(body.as_object().unwrap().clone()).unwrap();
        assert!(l.dry_run);
        let cell = |c: &str| l.lines[0][l.columns.iter().position(|x| x == c).unwrap()].clone();
        assert_eq!((cell("visible"), cell("newsitems"), cell("shortname")), ("0".into(), "3".into(), "NEW".into()));
        assert!(!l.columns.iter().any(|c| c == "template" || c == "dry_run"));
        let nameless = serde_json::json!({"shortname": "NEW", "fullname": " "});
        assert_eq!(course_lines(nameless.as_object().unwrap().clone()).unwrap_err().code, "course.missing_field");
        let nested = serde_json::json!({"shortname": "NEW", "fullname": "N", "topic1": ["a"]});
        assert_eq!(course_lines(nested.as_object().unwrap().clone()).unwrap_err().code, "course.bad_value");
    }

    #[test]
    fn enrolment_lines_get_only_the_columns_they_use() {
        let body: EnrolmentsBody = parse(serde_json::json!({"lines": [
            {"action": "add", "user": "U1", "course": "C1", "role": "student", "method": "manual", "group_action": "gaddcreate", "groups": ["A", "B"]},
            {"action": "del", "user": "U2", "course": "C1"},
        ]}));
        let l = body.lines().unwrap();
        assert_eq!(l.columns, ["cmd", "rolename", "cid", "uid", "enrol", "gcmd", "g1", "g2"]);
        assert_eq!(
            l.lines,
            [["add", "student", "C1", "U1", "manual", "gaddcreate", "A", "B"], ["del", "", "C1", "U2", "", "", "", ""]]
        );
        let roles: EnrolmentsBody = parse(serde_json::json!({"roles_only": true, "lines": [
            {"action": "shift", "user": "U1", "course": "C1", "role": "teacher", "start": 1, "end": "2030-01-01"},
        ]}));
        let l = roles.lines().unwrap();
        assert_eq!(l.columns, ["cmd", "rolename", "cid", "uid", "starttime", "endtime"]);
        assert_eq!(l.lines, [["shift", "teacher", "C1", "U1", "1", "2030-01-01"]]);
        for (v, code) in [
            (serde_json::json!({"lines": []}), "enrolments.empty"),
            (serde_json::json!({"lines": [{"action": "enrol", "user": "U", "course": "C"}]}), "enrolments.bad_action"),
            (serde_json::json!({"lines": [{"action": "add", "user": "", "course": "C"}]}), "enrolments.missing_user"),
            (
                serde_json::json!({"lines": [{"action": "add", "user": "U", "course": "C", "groups": ["G"]}]}),
                "enrolments.bad_groups",
            ),
            (
                serde_json::json!({"roles_only": true, "lines": [{"action": "add", "user": "U", "course": "C", "method": "manual"}]}),
                "enrolments.method_roles_only",
            ),
        ] {
            assert_eq!(parse::<EnrolmentsBody>(v).lines().unwrap_err().code, code);
        }
    }
}
