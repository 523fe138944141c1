//! The users tool (`userimport.csv`): creates, updates, renames, suspends, deletes and revives
//! accounts, per spec/users.md and DECISIONS §5.

mod cohorts;
mod enrolments;
mod index;
mod line;
mod notify;
mod passwords;
mod plan;
mod seen;

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Applied, Change, ChangeError, ChangeKind, ClearPassword, LineOutcome, Outcome, UserField};
use std::collections::HashMap;

use self::enrolments::{Enrolments, SetCols};
use self::index::UserIndex;
use self::line::{UserColumns, UserLine};
use self::notify::Generated;
pub use self::notify::PasswordMail;
use self::passwords::{PasswordFile, PasswordResult};
use self::plan::{Draft, PasswordWork, Planner};
use self::seen::{Key, Seen};
use super::{Planned, Row, Tool, ToolContext, ToolError};
use crate::clock::Clock;
use crate::settings::{Identity, UserSettings};
use crate::target::{LmsTarget, TargetError, UserKeys};

const OPTIONAL: &[&str] = &[
    "id",
    "idnumber",
    "email",
    "auth",
    "password",
    "suspended",
    "deleted",
    "oldusername",
    "mnethostid",
    "institution",
    "department",
    "city",
    "country",
    "lang",
    "timezone",
    "maildisplay",
    "maildigest",
    "mailformat",
    "autosubscribe",
    "trackforums",
    "htmleditor",
    "icq",
    "phone1",
    "phone2",
    "address",
    "url",
    "description",
    "cohort",
    "cohortid",
    "wwwroot",
];

/// `courseN`, `groupN`, `roleN`, `enrolN`, `startN`, `endN`, `wwwrootN` (N = 1, 2, …).
fn is_enrolment_set(name: &str) -> bool {
    let digits = name.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let prefix = &name[..name.len() - digits.len()];
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && ["course", "group", "role", "enrol", "start", "end", "wwwroot"].contains(&prefix)
}

fn is_profile_field(name: &str) -> bool {
    name.len() > "profile_field_".len() && name.starts_with("profile_field_")
}

pub static RULES: ColumnRules = ColumnRules {
    required: &["username", "firstname", "lastname"],
    optional: OPTIONAL,
    patterns: &[
        ("courseN, groupN, roleN, enrolN, startN, endN, wwwrootN", is_enrolment_set),
        ("profile_field_<shortname>", is_profile_field),
    ],
};

/// Input lines of one chunk waiting for their password work.
struct Pending {
    draft: Draft,
    line: u64,
    key: String,
}

pub struct UsersTool {
    settings: UserSettings,
    cols: UserColumns,
    /// Keys and accounts earlier lines of the file named (see `seen.rs`).
    seen: Seen,
    /// Passwords generated for lines of the current chunk, sent on once their line is applied.
    generated: HashMap<u64, Generated>,
    password_file: Option<PasswordFile>,
    now: i64,
    mail: Option<PasswordMail>,
    dry_run: bool,
    /// Accounts whose generated password could not be written down (they need a new one).
    unrecorded: Vec<String>,
    unrecorded_error: Option<String>,
    /// Reads dates in the configured zone.
    clock: Clock,
    /// courseN… sets of the file, and what they need.
    sets: std::collections::BTreeMap<u32, SetCols>,
    course_identity: crate::settings::CourseIdentity,
    enrol: crate::settings::EnrolSettings,
    roles: Vec<(i64, String)>,
    /// The cohort / cohortid columns, when the file has them.
    cohort_cols: Option<cohorts::CohortColumns>,
}

impl UsersTool {
    pub fn new(settings: UserSettings, clock: Clock) -> Self {
        let now = clock.now();
        UsersTool {
            settings,
            cols: UserColumns::default(),
            seen: Seen::default(),
            generated: HashMap::new(),
            password_file: None,
            now,
            mail: None,
            dry_run: false,
            unrecorded: Vec::new(),
            unrecorded_error: None,
            clock,
            sets: Default::default(),
            cohort_cols: None,
            course_identity: crate::settings::CourseIdentity::Shortname,
            enrol: Default::default(),
            roles: Vec::new(),
        }
    }

    /// Enrolment columns name courses by `identity` and enrol per the `[enrols]` settings.
    pub fn with_enrolments(
        mut self,
        identity: crate::settings::CourseIdentity,
        enrol: crate::settings::EnrolSettings,
    ) -> Self {
        self.course_identity = identity;
        self.enrol = enrol;
        self
    }

    /// E-mails generated passwords through `mail` (when `users.send_passwords` is on).
    pub fn with_mail(mut self, mail: PasswordMail) -> Self {
        self.mail = Some(mail);
        self
    }

    fn identity_key(identity: Identity, l: &UserLine) -> String {
        match identity {
            Identity::Id if l.id.is_some() => format!("id:{}", l.id.unwrap_or_default()),
            Identity::Idnumber if l.attr(UserField::Idnumber).is_some_and(|v| !v.is_empty()) => {
                format!("idnumber:{}", l.attr(UserField::Idnumber).unwrap_or_default())
            }
            Identity::Email if l.attr(UserField::Email).is_some_and(|v| !v.is_empty()) => {
                format!("email:{}", l.attr(UserField::Email).unwrap_or_default().to_lowercase())
            }
            _ => format!("username:{}", l.username),
        }
    }

    fn keys<'l>(lines: impl IntoIterator<Item = &'l UserLine>) -> UserKeys {
        let mut keys = UserKeys::default();
        for l in lines {
            keys.usernames.push(l.username.clone());
            keys.usernames.extend(l.oldusername.clone());
            keys.ids.extend(l.id);
            if let Some(v) = l.attr(UserField::Idnumber).filter(|v| !v.is_empty()) {
                keys.idnumbers.push(v.to_string());
            }
            if let Some(v) = l.attr(UserField::Email).filter(|v| !v.is_empty()) {
                keys.emails.push(v.to_string());
            }
        }
        keys
    }

    fn parse_rows(&self, rows: &[Row]) -> Vec<Result<UserLine, LineOutcome>> {
        rows.iter()
            .map(|r| {
                line::parse(r.line, &r.fields, &self.cols, &self.settings, &self.clock).map_err(|e| {
                    let key = r.fields.get(self.cols.username).map(|u| u.to_lowercase()).unwrap_or_default();
                    LineOutcome::failed(r.line, key, e.code, e.message)
                })
            })
            .collect()
    }
}

impl Tool for UsersTool {
    fn name(&self) -> &'static str {
        "users"
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    fn start(
        &mut self,
        columns: &Columns,
        ctx: &ToolContext,
        target: &mut dyn LmsTarget,
    ) -> Result<Vec<String>, ToolError> {
        let unavailable = |e: TargetError| ToolError { code: "target.unavailable", message: e.to_string() };
        let fields = target.profile_fields().map_err(unavailable)?;
        let mut notes = vec![format!("accounts are matched by {}", self.settings.primary_identity.as_str())];
        let mut cols = UserColumns { username: columns.index("username").unwrap_or(0), ..Default::default() };
        for (i, name) in columns.names().iter().enumerate() {
            match name.as_str() {
                "id" => cols.id = Some(i),
                "oldusername" => cols.oldusername = Some(i),
                "password" => cols.password = Some(i),
                "deleted" => cols.deleted = Some(i),
                "suspended" => cols.suspended = Some(i),
                "mnethostid" => cols.mnethostid = Some(i),
                "htmleditor" | "wwwroot" => {
                    notes.push(format!("column {name} has no effect on current platforms and is ignored"))
                }
                "cohort" | "cohortid" => {}
                n if n.starts_with("wwwroot") && is_enrolment_set(n) => {
                    notes.push(format!("column {n} is ignored: lmsync does not push accounts to remote MNet hosts"))
                }
                n if is_enrolment_set(n) => {}
                n if is_profile_field(n) => {
                    let short = &n["profile_field_".len()..];
                    match fields.iter().find(|f| f.shortname == short) {
                        Some(f) => cols.profile.push((f.clone(), i)),
                        None => notes.push(format!("column {n} ignored: no custom profile field \"{short}\" exists (create it with `lmsync profile-fields add {short}`)")),
                    }
                }
                n => match UserField::from_name(n) {
                    Some(f) => cols.attrs.push((f, i)),
                    None => notes.push(format!("column {n} is not used by the users tool and is ignored")),
                },
            }
        }
        self.cohort_cols =
            columns.index("cohort").map(|name| cohorts::CohortColumns { name, idnumber: columns.index("cohortid") });
        if self.cohort_cols.is_none() && columns.index("cohortid").is_some() {
            notes.push("column cohortid has no effect without a cohort column (it is the idnumber of a cohort the cohort column creates)".into());
        }
        self.cols = cols;
        self.sets = enrolments::sets(columns.names());
        if !self.sets.is_empty() {
            self.roles = target.roles().map_err(unavailable)?;
            notes.push(format!("enrolment columns: courses are matched by {}", self.course_identity.as_str()));
        }
        self.dry_run = ctx.dry_run;
        if !ctx.dry_run {
            self.password_file =
                Some(PasswordFile::new(ctx.reports_dir.join(format!("{}_passwords_{}", ctx.stamp, ctx.input_name))));
        }
        Ok(notes)
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let parsed = self.parse_rows(rows);
        let snapshot = target.users(&Self::keys(parsed.iter().filter_map(|p| p.as_ref().ok())))?;
        let mut seen = std::mem::take(&mut self.seen);
        let mut planner =
            Planner { settings: &self.settings, index: UserIndex::new(snapshot), now: self.now, seen: &mut seen };
        let mut pending: Vec<Result<Pending, LineOutcome>> = Vec::with_capacity(rows.len());
        let mut chunk_lines: HashMap<String, u64> = HashMap::with_capacity(rows.len() * 2);
        for p in parsed {
            let l = match p {
                Ok(l) => l,
                Err(failed) => {
                    pending.push(Err(failed));
                    continue;
                }
            };
            let identity = Self::identity_key(self.settings.primary_identity, &l);
            if planner.seen.contains(Key::Identity(&identity)) || planner.seen.contains(Key::Username(&l.username)) {
                // Line numbers are kept for the current chunk only: memory stays flat.
                let earlier = chunk_lines
                    .get(&identity)
                    .or_else(|| chunk_lines.get(&l.username))
                    .map_or("an earlier line".to_string(), |n| format!("line {n}"));
                pending.push(Err(LineOutcome::failed(
                    l.line,
                    l.username.clone(),
                    "user.duplicate_line",
                    format!("this account already appears on {earlier} of this file; give each account one line"),
                )));
                continue;
            }
            planner.seen.insert(Key::Identity(&identity));
            planner.seen.insert(Key::Username(&l.username));
            chunk_lines.insert(identity, l.line);
            chunk_lines.insert(l.username.clone(), l.line);
            let mut draft = planner.plan(&l);
            if !l.warnings.is_empty() && draft.outcome != Outcome::Failed {
                draft.message = format!("{}; {}", draft.message, l.warnings.join("; "));
            }
            pending.push(Ok(Pending { draft, line: l.line, key: l.username }));
        }
        drop(planner);
        self.seen = seen;
        let work: Vec<PasswordWork> =
            pending.iter().map(|p| p.as_ref().map_or(PasswordWork::None, |p| p.draft.password.clone())).collect();
        let results = passwords::run(&work, self.settings.password_cost);
        let mut planned: Vec<Planned> = pending.into_iter().zip(results).map(|(p, r)| self.finish_line(p, r)).collect();
        if !self.sets.is_empty() {
            let enrolments = Enrolments {
                sets: &self.sets,
                course_identity: self.course_identity,
                enrol: &self.enrol,
                roles: &self.roles,
                clock: &self.clock,
            };
            enrolments.plan(rows, &mut planned, target)?;
        }
        if let Some(cols) = self.cohort_cols {
            cols.plan(rows, &mut planned, target)?;
        }
        Ok(planned)
    }

    fn applied(&mut self, planned: &Planned, result: &Result<Applied, ChangeError>) {
        if let (Ok(a), Some(Change { kind: ChangeKind::CreateUser { .. }, .. })) = (result, &planned.change) {
            self.seen.insert(Key::Account(a.id));
        }
        let Some(g) = self.generated.remove(&planned.outcome.line) else { return };
        if result.is_err() || self.dry_run {
            return;
        }
        if let Some(file) = &mut self.password_file
            && let Err(e) = file.add(&g.username, &g.password)
        {
            tracing::error!("cannot write the passwords file {}: {e}", file.path().display());
            self.unrecorded.push(g.username.clone());
            self.unrecorded_error.get_or_insert_with(|| e.to_string());
        }
        if let Some(mail) = &mut self.mail {
            mail.send(&g);
        }
    }

    fn may_delete(&self) -> bool {
        self.cols.deleted.is_some()
    }

    fn deletions(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<u64, TargetError> {
        let lines: Vec<UserLine> =
            self.parse_rows(rows).into_iter().filter_map(Result::ok).filter(|l| l.deleted == Some(true)).collect();
        if lines.is_empty() {
            return Ok(0);
        }
        let mut counted = Seen::default();
        let mut planner = Planner {
            settings: &self.settings,
            index: UserIndex::new(target.users(&Self::keys(&lines))?),
            now: self.now,
            seen: &mut counted,
        };
        Ok(lines.iter().filter(|l| planner.plan(l).outcome == Outcome::Deleted).count() as u64)
    }

    fn delete_limits(&mut self, target: &mut dyn LmsTarget) -> Result<(u64, u32, u64), TargetError> {
        Ok((target.active_user_count()?, self.settings.delete_threshold_percent, self.settings.delete_threshold_count))
    }

    fn finish(&mut self, _ctx: &ToolContext) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.unrecorded.is_empty() {
            notes.push(format!(
                "ALERT: the generated passwords of {} accounts could not be written down ({}); give them a new password: {}",
                self.unrecorded.len(),
                self.unrecorded_error.as_deref().unwrap_or("unknown error"),
                self.unrecorded.join(", ")
            ));
        }
        if let Some(mut file) = self.password_file.take() {
            match file.finish() {
                Ok(()) if file.count > 0 => {
                    notes.push(format!(
                        "{} generated passwords written to {} (readable by its owner only)",
                        file.count,
                        file.path().display()
                    ));
                    if let Some(mail) = &self.mail {
                        notes.extend(mail.notes());
                    } else if self.settings.send_passwords {
                        notes.push("users.send_passwords is on but [smtp] host is empty, so nothing was e-mailed: hand the passwords file to the users".into());
                    }
                }
                Ok(()) => {}
                Err(e) => {
                    notes.push(format!("the passwords file {} could not be completed: {e}", file.path().display()))
                }
            }
        }
        notes
    }
}

impl UsersTool {
    /// Folds the password pass into a planned line.
    fn finish_line(&mut self, p: Result<Pending, LineOutcome>, r: Result<PasswordResult, String>) -> Planned {
        let Pending { mut draft, line, key } = match p {
            Ok(p) => p,
            Err(outcome) => {
                return Planned { outcome, change: None };
            }
        };
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                return Planned { outcome: LineOutcome::failed(line, key, "user.password_hash", e), change: None };
            }
        };
        match &mut draft.change {
            Some(ChangeKind::CreateUser { user, preferences, .. }) => {
                if let Some(hash) = r.hash {
                    user.password = Some(hash);
                    user.password_clear = r.clear.map(ClearPassword);
                }
                if let Some(generated) = r.generated {
                    preferences.push(("auth_forcepasswordchange".into(), "1".into()));
                    let fullname = format!("{} {}", user.firstname, user.lastname);
                    let g =
                        Generated { username: key.clone(), email: user.email.clone(), fullname, password: generated };
                    self.generated.insert(line, g);
                }
            }
            Some(ChangeKind::UpdateUser(update)) => {
                if let Some(hash) = r.hash {
                    update.password = Some(hash);
                    update.password_clear = r.clear.map(ClearPassword);
                    draft.outcome = Outcome::Updated;
                    draft.message = if draft.message == "no change" {
                        "changed password".into()
                    } else {
                        format!("{}, password", draft.message)
                    };
                }
                if update.is_empty() {
                    draft.change = None;
                }
            }
            _ => {}
        }
        let outcome = LineOutcome {
            line,
            outcome: draft.outcome,
            key: key.clone(),
            message: draft.message,
            code: draft.code.map(str::to_string),
        };
        Planned { outcome, change: draft.change.map(|kind| Change { line, key, kind }) }
    }
}

#[cfg(test)]
mod tests;
