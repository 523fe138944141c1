//! One line of an enrolment file (spec/enrolments-groups.md §3.1), validated.

use crate::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmd {
    Add,
    Del,
    Shift,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gcmd {
    Add { create: bool },
    Replace { create: bool },
    Del,
}

/// Positions of the columns a file has.
#[derive(Debug, Default)]
pub(super) struct Cols {
    pub cmd: Option<usize>,
    pub rolename: usize,
    pub cid: usize,
    pub uid: usize,
    pub enrol: Option<usize>,
    pub starttime: Option<usize>,
    pub endtime: Option<usize>,
    pub gcmd: Option<usize>,
    pub groups: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct EnrolLine {
    pub cmd: Cmd,
    pub role: String,
    pub cid: String,
    pub uid: String,
    /// None = no enrol column (role only); Some("") = the default method.
    pub enrol: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub gcmd: Option<Gcmd>,
    pub groups: Vec<String>,
}

pub(super) fn parse(
    fields: &[String],
    c: &Cols,
    default_cmd: &str,
    clock: &Clock,
) -> Result<EnrolLine, (&'static str, String)> {
    let get = |i: usize| fields.get(i).map(|v| v.trim()).unwrap_or("");
    let cmd_value = c.cmd.map(get).filter(|v| !v.is_empty()).unwrap_or(default_cmd);
    let cmd = match cmd_value.to_lowercase().as_str() {
        "add" => Cmd::Add,
        "del" | "delete" => Cmd::Del,
        "shift" => Cmd::Shift,
        _ => return Err(("enrol.bad_command", format!("cmd \"{cmd_value}\" is not a command; use add, del or shift"))),
    };
    let date = |i: Option<usize>, col: &str| -> Result<Option<i64>, (&'static str, String)> {
        match i.map(get).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => clock.parse_date(v).map(Some).ok_or_else(|| {
                (
                    "enrol.bad_date",
                    format!("{col} \"{v}\" is not a date; use 2026-09-01 08:00, 01/09/2026 or a Unix time"),
                )
            }),
        }
    };
    let gcmd = match c.gcmd.map(get).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(match v.to_lowercase().as_str() {
            "gadd" => Gcmd::Add { create: false },
            "gaddcreate" => Gcmd::Add { create: true },
            "greplace" => Gcmd::Replace { create: false },
            "greplacecreate" => Gcmd::Replace { create: true },
            "gdel" => Gcmd::Del,
            _ => {
                return Err((
                    "enrol.bad_group_command",
                    format!(
                        "gcmd \"{v}\" is not a group command; use gadd, gaddcreate, greplace, greplacecreate or gdel"
                    ),
                ));
            }
        }),
    };
    Ok(EnrolLine {
        cmd,
        role: get(c.rolename).to_string(),
        cid: get(c.cid).to_string(),
        uid: get(c.uid).to_string(),
        enrol: c.enrol.map(|i| get(i).to_string()),
        start: date(c.starttime, "starttime")?,
        end: date(c.endtime, "endtime")?,
        gcmd,
        groups: c.groups.iter().map(|i| get(*i).to_string()).filter(|g| !g.is_empty()).collect(),
    })
}
