//! The enrolment tool (`enrols.csv`, spec/enrolments-groups.md §3, DECISIONS §5): enrols,
//! unenrols and shifts users in courses through an enrolment method (or only assigns roles),
//! and applies group commands. Meta courses follow through the store.

pub(crate) mod line;
pub(crate) mod plan;

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, Course, EnrolState, LineOutcome, User};
use std::collections::HashMap;

use self::line::{Cols, EnrolLine};
use super::{Planned, Row, Tool, ToolContext, ToolError};
use crate::clock::Clock;
use crate::settings::{EnrolSettings, Identity};
use crate::target::{LmsTarget, TargetError, UserKeys};

fn is_group_column(name: &str) -> bool {
    name.len() == 2 && name.starts_with('g') && (b'1'..=b'9').contains(&name.as_bytes()[1])
}

pub static RULES: ColumnRules = ColumnRules {
    required: &["rolename", "cid", "uid"],
    optional: &["cmd", "enrol", "starttime", "endtime", "hidden", "gcmd"],
    patterns: &[("g1 … g9", is_group_column)],
};

pub struct EnrolTool {
    s: EnrolSettings,
    clock: Clock,
    cols: Cols,
    roles: Vec<(i64, String)>,
}

/// What a chunk's lines refer to, and what they hold, updated as lines are planned.
pub(super) struct Chunk {
    pub users: HashMap<String, Vec<User>>,
    pub courses: HashMap<String, Course>,
    /// Course id → its instances (method, enabled), in order.
    pub instances: HashMap<i64, Vec<(String, bool)>>,
    pub groups: HashMap<i64, Vec<String>>,
    pub states: HashMap<(i64, i64), EnrolState>,
}

impl EnrolTool {
    pub fn new(settings: EnrolSettings, clock: Clock) -> Self {
        EnrolTool { s: settings, clock, cols: Cols::default(), roles: Vec::new() }
    }

    fn user_key(&self, u: &User) -> String {
        match self.s.user_identifier {
            Identity::Id => u.id.to_string(),
            Identity::Idnumber => u.idnumber.clone(),
            Identity::Username => u.username.clone(),
            Identity::Email => u.email.to_lowercase(),
        }
    }

    fn load(&self, lines: &[&EnrolLine], target: &mut dyn LmsTarget) -> Result<Chunk, TargetError> {
        let mut keys = UserKeys::default();
        for l in lines {
            match self.s.user_identifier {
                Identity::Id => keys.ids.extend(l.uid.parse::<i64>().ok()),
                Identity::Idnumber => keys.idnumbers.push(l.uid.clone()),
                Identity::Username => keys.usernames.push(l.uid.to_lowercase()),
                Identity::Email => keys.emails.push(l.uid.clone()),
            }
        }
        let mut users: HashMap<String, Vec<User>> = HashMap::new();
        for u in target.users(&keys)? {
            users.entry(self.user_key(&u)).or_default().push(u);
        }
        let ident = self.s.course_identifier;
        let course_keys = crate::tools::courses::keys(ident, lines.iter().map(|l| l.cid.as_str()));
        let mut courses = HashMap::new();
        for c in target.courses(&course_keys)? {
            let key = match ident {
                crate::settings::CourseIdentity::Id => c.id.to_string(),
                crate::settings::CourseIdentity::Idnumber => c.idnumber.clone(),
                crate::settings::CourseIdentity::Shortname => c.shortname.clone(),
            };
            courses.insert(key, c);
        }
        let mut chunk =
            Chunk { users, courses, instances: HashMap::new(), groups: HashMap::new(), states: HashMap::new() };
        let mut pairs = Vec::new();
        for l in lines {
            let (Some(c), Some(u)) = (chunk.courses.get(&l.cid), self.find_user(&chunk, &l.uid).ok()) else { continue };
            pairs.push((c.id, u.id));
        }
        pairs.sort_unstable();
        pairs.dedup();
        for (pair, state) in pairs.iter().zip(target.enrol_states(&pairs)?) {
            chunk.states.insert(*pair, state);
        }
        let course_ids: Vec<i64> = chunk.courses.values().map(|c| c.id).collect();
        for id in course_ids {
            chunk.instances.insert(id, target.course_instances(id)?);
            chunk.groups.insert(id, target.group_names(id)?);
        }
        Ok(chunk)
    }

    fn find_user<'c>(&self, chunk: &'c Chunk, uid: &str) -> Result<&'c User, (&'static str, String)> {
        let key = match self.s.user_identifier {
            Identity::Username => uid.to_lowercase(),
            Identity::Email => uid.to_lowercase(),
            _ => uid.to_string(),
        };
        let field = self.s.user_identifier.as_str();
        match chunk.users.get(&key).map(Vec::as_slice).unwrap_or_default() {
            [] => Err(("enrol.user_not_found", format!("no account has {field} \"{uid}\""))),
            [u] if u.deleted => {
                Err(("enrol.user_deleted", format!("account {} ({field} \"{uid}\") is deleted", u.username)))
            }
            [u] => Ok(u),
            many => Err((
                "enrol.user_ambiguous",
                format!(
                    "{field} \"{uid}\" matches several accounts: {}",
                    many.iter().map(|u| u.username.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
}

impl Tool for EnrolTool {
    fn name(&self) -> &'static str {
        "enrols"
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    /// tool_sync read a short line's missing trailing columns as absent (spec §3.1).
    fn pads_short_lines(&self) -> bool {
        true
    }

    fn start(
        &mut self,
        columns: &Columns,
        _: &ToolContext,
        target: &mut dyn LmsTarget,
    ) -> Result<Vec<String>, ToolError> {
        self.roles = target.roles().map_err(|e| ToolError { code: "target.unavailable", message: e.to_string() })?;
        let index = |n: &str| columns.index(n);
        let mut groups: Vec<(u8, usize)> = columns
            .names()
            .iter()
            .enumerate()
            .filter(|(_, n)| is_group_column(n))
            .map(|(i, n)| (n.as_bytes()[1], i))
            .collect();
        groups.sort_unstable();
        self.cols = Cols {
            cmd: index("cmd"),
            rolename: index("rolename").unwrap_or(0),
            cid: index("cid").unwrap_or(0),
            uid: index("uid").unwrap_or(0),
            enrol: index("enrol"),
            starttime: index("starttime"),
            endtime: index("endtime"),
            gcmd: index("gcmd"),
            groups: groups.into_iter().map(|(_, i)| i).collect(),
        };
        let mut notes = vec![format!(
            "courses are matched by {}, users by {}",
            self.s.course_identifier.as_str(),
            self.s.user_identifier.as_str()
        )];
        if index("hidden").is_some() {
            notes.push("column hidden is accepted and has no effect".into());
        }
        if self.cols.enrol.is_none() {
            notes.push("no enrol column: lines assign roles only, without enrolling".into());
        }
        if !self.cols.groups.is_empty() && self.cols.gcmd.is_none() {
            notes.push("group columns without a gcmd column do nothing".into());
        }
        Ok(notes)
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let parsed: Vec<Result<EnrolLine, (&'static str, String)>> =
            rows.iter().map(|r| line::parse(&r.fields, &self.cols, &self.s.default_cmd, &self.clock)).collect();
        let valid: Vec<&EnrolLine> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
        let mut chunk = self.load(&valid, target)?;
        let now = self.clock.now();
        Ok(rows
            .iter()
            .zip(parsed)
            .map(|(row, p)| {
                let key = format!(
                    "{}@{}",
                    row.fields.get(self.cols.uid).map(|s| s.trim()).unwrap_or(""),
                    row.fields.get(self.cols.cid).map(|s| s.trim()).unwrap_or("")
                );
                let planned = p.and_then(|l| plan::plan(self, &l, &mut chunk, now));
                match planned {
                    Ok((outcome, message, course, user, ops)) => Planned {
                        outcome: LineOutcome::new(row.line, outcome, &key, message),
                        change: (!ops.is_empty()).then(|| Change {
                            line: row.line,
                            key: key.clone(),
                            kind: ChangeKind::Enrol { course, user, ops },
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
