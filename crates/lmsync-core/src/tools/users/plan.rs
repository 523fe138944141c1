//! Decides, for one validated line, what happens to its account: create, update, revive,
//! rename, delete, nothing, or a failure that names the conflicting account. Pure: it reads and
//! updates the chunk's `UserIndex` only.

use lmsync_model::user::NO_PASSWORD;
use lmsync_model::{ChangeKind, FieldValue, Outcome, User, UserField, UserUpdate};

use super::index::UserIndex;
use super::line::{PasswordValue, UserLine, default_value};
use super::seen::{Key, Seen};
use crate::settings::{Identity, UserSettings};

/// Password work left for the (parallel) hashing pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PasswordWork {
    None,
    Hash(String),
    Generate,
    /// Keep the stored hash if it already matches, else hash the new one.
    Verify {
        plain: String,
        stored: String,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub outcome: Outcome,
    pub message: String,
    pub code: Option<&'static str>,
    pub change: Option<ChangeKind>,
    pub password: PasswordWork,
}

/// Why a line is refused: a stable code and a message naming what conflicts.
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    code: &'static str,
    message: String,
}

impl From<Refusal> for Draft {
    fn from(r: Refusal) -> Self {
        Draft {
            outcome: Outcome::Failed,
            message: r.message,
            code: Some(r.code),
            change: None,
            password: PasswordWork::None,
        }
    }
}

fn refuse(code: &'static str, message: String) -> Refusal {
    Refusal { code, message }
}

impl Draft {
    fn fail(code: &'static str, message: String) -> Self {
        refuse(code, message).into()
    }

    fn done(outcome: Outcome, message: impl Into<String>, change: Option<ChangeKind>) -> Self {
        Draft { outcome, message: message.into(), code: None, change, password: PasswordWork::None }
    }
}

fn describe(u: &User) -> String {
    if u.idnumber.is_empty() {
        format!("account {} (id {})", u.username, u.id)
    } else {
        format!("account {} (id {}, idnumber {})", u.username, u.id, u.idnumber)
    }
}

pub(super) struct Planner<'a> {
    pub settings: &'a UserSettings,
    pub index: UserIndex,
    pub now: i64,
    /// What earlier lines of the file named: an account is handled once, whatever key names it.
    pub seen: &'a mut Seen,
}

impl Planner<'_> {
    fn identity_value<'u>(u: &'u User, field: &str) -> &'u str {
        match field {
            "idnumber" => &u.idnumber,
            _ => &u.email,
        }
    }

    /// The account a line designates through `users.primary_identity`, falling back to the
    /// username when the line has no value for that identity.
    fn find(&self, l: &UserLine) -> Result<Option<User>, Refusal> {
        let (field, candidates): (&str, Vec<&User>) = match self.settings.primary_identity {
            Identity::Id if l.id.is_some() => ("id", l.id.and_then(|id| self.index.get(id)).into_iter().collect()),
            Identity::Idnumber if l.attr(UserField::Idnumber).is_some_and(|v| !v.is_empty()) => {
                ("idnumber", self.index.by_idnumber(l.attr(UserField::Idnumber).unwrap_or_default()))
            }
            Identity::Email if l.attr(UserField::Email).is_some_and(|v| !v.is_empty()) => {
                ("email", self.index.by_email(l.attr(UserField::Email).unwrap_or_default()))
            }
            _ => return Ok(self.index.by_username(&l.username).cloned()),
        };
        let live: Vec<&&User> = candidates.iter().filter(|u| !u.deleted).collect();
        match (candidates.len(), live.len()) {
            // An account created before keys were synced has no value for the identity yet:
            // the line adopts it through its username instead of colliding with it.
            (0, _) if field != "id" => {
                Ok(self.index.by_username(&l.username).filter(|u| Self::identity_value(u, field).is_empty()).cloned())
            }
            (0, _) => Ok(None),
            (1, _) => Ok(Some(candidates[0].clone())),
            (_, 1) => Ok(Some((*live[0]).clone())),
            _ => Err(refuse(
                "user.ambiguous",
                format!(
                    "{field} matches several accounts: {}; make it unique before syncing",
                    candidates.iter().map(|u| describe(u)).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    pub fn plan(&mut self, l: &UserLine) -> Draft {
        let found = match self.find(l) {
            Ok(found) => found,
            Err(refusal) => return refusal.into(),
        };
        if let Some(o) = &found
            && let Some(first) = self.index.planned_on(o.id)
        {
            return Draft::fail(
                "user.duplicate_line",
                format!("this account is already created by line {first} of this file; give each account one line"),
            );
        }
        if l.deleted == Some(true) {
            if let Err(refusal) = self.first_time(found.as_ref()) {
                return refusal.into();
            }
            return self.plan_delete(l, found);
        }
        let (target, renaming) = match self.rename_source(l, found) {
            Ok(t) => t,
            Err(refusal) => return refusal.into(),
        };
        if let Err(refusal) = self.first_time(target.as_ref()) {
            return refusal.into();
        }
        if let Err(refusal) = self.check_collisions(l, target.as_ref(), renaming) {
            return refusal.into();
        }
        match target {
            None => self.plan_create(l),
            Some(o) => self.plan_update(l, o),
        }
    }

    /// Refuses a second line for an account, even when the two lines name it by different keys.
    fn first_time(&mut self, account: Option<&User>) -> Result<(), Refusal> {
        match account {
            Some(o) if o.id > 0 && !self.seen.insert(Key::Account(o.id)) => Err(refuse(
                "user.duplicate_line",
                format!(
                    "{} is already handled by an earlier line of this file; give each account one line",
                    describe(o)
                ),
            )),
            _ => Ok(()),
        }
    }

    fn plan_delete(&mut self, l: &UserLine, found: Option<User>) -> Draft {
        let Some(o) = found else {
            return Draft::fail("user.delete_not_found", format!("no account {} to delete", l.username));
        };
        if o.deleted {
            return Draft::done(Outcome::Unchanged, "already deleted", None);
        }
        if o.username == "guest" || o.username == "admin" {
            return Draft::fail("user.protected_account", format!("the {} account cannot be deleted", o.username));
        }
        let mut after = o.clone();
        after.deleted = true;
        let id = o.id;
        self.index.replace(after);
        Draft::done(
            Outcome::Deleted,
            "deleted (enrolments, roles, group and cohort memberships removed)",
            Some(ChangeKind::DeleteUser { id }),
        )
    }

    /// Applies the `oldusername` rule: the account to update is the one being renamed.
    fn rename_source(&self, l: &UserLine, found: Option<User>) -> Result<(Option<User>, bool), Refusal> {
        let old = match &l.oldusername {
            Some(old) if *old != l.username => old,
            _ => return Ok((found, false)),
        };
        if !self.settings.allow_rename {
            // Without renames the line is about its own username; it must not quietly create a
            // second account beside the one it asks to rename.
            return match (found, self.index.by_username(old)) {
                (None, Some(src)) => Err(refuse(
                    "user.rename_not_allowed",
                    format!(
                        "the line asks to rename {} to {}; set users.allow_rename = true to rename accounts, or fix the line",
                        describe(src),
                        l.username
                    ),
                )),
                (found, _) => Ok((found, false)),
            };
        }
        match (self.index.by_username(old), found) {
            (Some(src), None) => Ok((Some(src.clone()), true)),
            (Some(src), Some(o)) if src.id == o.id => Ok((Some(o), true)),
            (Some(src), Some(o)) => Err(refuse(
                "user.rename_target_exists",
                format!("cannot rename {} to {}: that name is already {}", src.username, l.username, describe(&o)),
            )),
            // Already renamed by an earlier run: a plain update of the account.
            (None, Some(o)) => Ok((Some(o), false)),
            (None, None) => {
                Err(refuse("user.rename_source_missing", format!("no account {old} to rename to {}", l.username)))
            }
        }
    }

    fn email_changes(&self, l: &UserLine, o: Option<&User>) -> bool {
        match (l.attr(UserField::Email), o) {
            (None, _) | (Some(""), _) => false,
            (Some(_), None) => true,
            (Some(new), Some(o)) => {
                (!self.settings.protect_emails || o.email.is_empty()) && !new.eq_ignore_ascii_case(&o.email)
            }
        }
    }

    fn check_collisions(&self, l: &UserLine, o: Option<&User>, renaming: bool) -> Result<(), Refusal> {
        let own = o.map(|u| u.id);
        if let Some(o) = o
            && o.username != l.username
            && !renaming
            && !self.settings.allow_rename
        {
            return Err(refuse(
                "user.rename_not_allowed",
                format!(
                    "the line names {} but its {} designates {}; set users.allow_rename = true to rename accounts, or fix the line",
                    l.username,
                    self.settings.primary_identity.as_str(),
                    describe(o)
                ),
            ));
        }
        if let Some(other) = self.index.by_username(&l.username)
            && Some(other.id) != own
        {
            return Err(refuse(
                "user.username_taken",
                format!("username {} already belongs to {}", l.username, self.taken_by(other)),
            ));
        }
        if let Some(idnumber) = l.attr(UserField::Idnumber).filter(|v| !v.is_empty())
            && let Some(other) = self.index.by_idnumber(idnumber).into_iter().find(|u| !u.deleted && Some(u.id) != own)
        {
            return Err(refuse(
                "user.idnumber_taken",
                format!("idnumber {idnumber} already belongs to {}", self.taken_by(other)),
            ));
        }
        if !self.settings.allow_duplicate_emails
            && self.email_changes(l, o)
            && let Some(email) = l.attr(UserField::Email)
            && let Some(other) = self.index.by_email(email).into_iter().find(|u| !u.deleted && Some(u.id) != own)
        {
            return Err(refuse(
                "user.email_taken",
                format!(
                    "e-mail {email} is already used by {}; give each account its own e-mail or set users.allow_duplicate_emails = true",
                    self.taken_by(other)
                ),
            ));
        }
        Ok(())
    }

    fn taken_by(&self, u: &User) -> String {
        match self.index.planned_on(u.id) {
            Some(line) => format!("the account created by line {line} of this file"),
            None => describe(u),
        }
    }

    fn plan_create(&mut self, l: &UserLine) -> Draft {
        if self.settings.primary_identity == Identity::Id
            && let Some(id) = l.id
        {
            return Draft::fail(
                "user.not_found",
                format!("no account has id {id}; accounts cannot be created with a chosen id"),
            );
        }
        let s = self.settings;
        let mut u = User {
            username: l.username.clone(),
            confirmed: true,
            timecreated: self.now,
            timemodified: self.now,
            ..Default::default()
        };
        for f in [
            UserField::Auth,
            UserField::City,
            UserField::Country,
            UserField::Lang,
            UserField::Timezone,
            UserField::Maildisplay,
            UserField::Maildigest,
            UserField::Mailformat,
            UserField::Autosubscribe,
            UserField::Trackforums,
        ] {
            f.set(&mut u, &default_value(f, s));
        }
        for (f, v) in &l.attrs {
            f.set(&mut u, v);
        }
        u.suspended = l.suspended.unwrap_or(false);
        for (name, value) in &l.profile {
            if !value.is_empty() {
                u.profile.insert(name.clone(), value.clone());
            }
        }
        let password = match &l.password {
            Some(PasswordValue::Plain(p)) => PasswordWork::Hash(p.clone()),
            Some(PasswordValue::NoLogin) => {
                u.password = Some(NO_PASSWORD.into());
                PasswordWork::None
            }
            Some(PasswordValue::Empty) if u.auth != "nologin" => PasswordWork::Generate,
            None if s.create_passwords && u.auth != "nologin" => PasswordWork::Generate,
            _ => PasswordWork::None,
        };
        self.index.add_planned(u.clone(), l.line);
        Draft {
            outcome: Outcome::Created,
            message: "new account".into(),
            code: None,
            change: Some(ChangeKind::CreateUser {
                user: Box::new(u),
                preferences: Vec::new(),
                enrolments: Vec::new(),
                cohort: None,
            }),
            password,
        }
    }

    fn plan_update(&mut self, l: &UserLine, o: User) -> Draft {
        let s = self.settings;
        let mut after = o.clone();
        let mut update = UserUpdate { id: o.id, ..Default::default() };
        let mut notes = Vec::new();
        let mut set = |field: UserField, value: FieldValue, after: &mut User| {
            let before = field.get(after);
            if before != value {
                field.set(after, &value);
                update.fields.push((field, before, value));
            }
        };
        if o.deleted {
            set(UserField::Deleted, FieldValue::Bool(false), &mut after);
            notes.push("revived a deleted account".to_string());
        }
        if o.username != l.username {
            notes.push(format!("renamed from {}", o.username));
        }
        for (field, value) in &l.attrs {
            if *field == UserField::Email && s.protect_emails && !o.email.is_empty() {
                if let FieldValue::Text(new) = value
                    && !new.is_empty()
                    && !new.eq_ignore_ascii_case(&o.email)
                {
                    notes.push(format!("e-mail kept as {} (users.protect_emails)", o.email));
                }
                continue;
            }
            set(*field, value.clone(), &mut after);
        }
        if let Some(b) = l.suspended {
            set(UserField::Suspended, FieldValue::Bool(b), &mut after);
        }
        for (name, value) in &l.profile {
            let before = o.profile.get(name).cloned();
            if before.as_deref().unwrap_or("") != value {
                after.profile.insert(name.clone(), value.clone());
                update.profile.push((name.clone(), before, value.clone()));
            }
        }
        let password = match &l.password {
            Some(PasswordValue::Plain(p)) => match &o.password {
                Some(stored) if stored.starts_with("$2") => {
                    PasswordWork::Verify { plain: p.clone(), stored: stored.clone() }
                }
                _ => PasswordWork::Hash(p.clone()),
            },
            Some(PasswordValue::NoLogin) if o.password.as_deref() != Some(NO_PASSWORD) => {
                update.password = Some(NO_PASSWORD.into());
                PasswordWork::None
            }
            _ => PasswordWork::None,
        };
        self.index.replace(after);
        let changed: Vec<&str> = update
            .fields
            .iter()
            .map(|(f, _, _)| f.name())
            .chain(update.profile.iter().map(|(n, _, _)| n.as_str()))
            .chain(update.password.iter().map(|_| "password"))
            .collect();
        let mut message = notes;
        if !changed.is_empty() {
            message.push(format!("changed {}", changed.join(", ")));
        }
        let outcome = if update.is_empty() { Outcome::Unchanged } else { Outcome::Updated };
        Draft {
            outcome,
            message: if message.is_empty() { "no change".into() } else { message.join("; ") },
            code: None,
            change: (!update.is_empty() || matches!(password, PasswordWork::Verify { .. } | PasswordWork::Hash(_)))
                .then(|| ChangeKind::UpdateUser(Box::new(update))),
            password,
        }
    }
}
