//! `cohorts --op members` (`cohorts.csv`): `add` (default) creates or updates a cohort and adds
//! a member, `del` removes a member — or, with no user on the line, deletes the cohort — and
//! `free` empties a cohort. `cid`, `cidnumber` and `cname` each name their own field; the one
//! `cohorts.cohort_identifier` names is tried first (DECISIONS §5).

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Category, Change, ChangeKind, Cohort, CohortOp, CohortRef, LineOutcome, Outcome, User};
use std::collections::{HashMap, HashSet};

use super::{CohortIndex, dedup_keys};
use crate::settings::{CohortIdentity, CohortSettings, Identity};
use crate::target::{CohortKeys, LmsTarget, TargetError, UserKeys};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

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

/// What the lines of one chunk know, kept up to date as they are planned.
struct Chunk {
    cohorts: CohortIndex,
    users: HashMap<String, Vec<User>>,
    /// Memberships as planned so far; pairs absent here are as the target holds them…
    members: HashMap<(i64, i64), bool>,
    /// …except in cohorts emptied (or created) in this chunk, which start empty.
    emptied: HashSet<i64>,
    held: HashSet<(i64, i64)>,
    /// Member counts of the cohorts `free` and `del` need, then changes planned since.
    counts: HashMap<i64, i64>,
}

impl Chunk {
    fn is_member(&self, cohort: i64, user: i64) -> bool {
        match self.members.get(&(cohort, user)) {
            Some(m) => *m,
            None => !self.emptied.contains(&cohort) && self.held.contains(&(cohort, user)),
        }
    }

    fn set_member(&mut self, cohort: i64, user: i64, member: bool) {
        self.members.insert((cohort, user), member);
        if let Some(n) = self.counts.get_mut(&cohort) {
            *n += if member { 1 } else { -1 };
        }
    }
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

    /// Loads what the chunk's lines name: cohorts (by every key column), users, memberships.
    fn load(&self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Chunk, TargetError> {
        let mut keys = CohortKeys::default();
        let mut ukeys = UserKeys::default();
        for r in rows {
            for k in self.keys(r) {
                match k {
                    Key::Id(id) => keys.ids.push(id),
                    Key::Idnumber(v) => keys.idnumbers.push(v),
                    Key::Name(v) => keys.names.push(v),
                    Key::Loose(v) => {
                        keys.idnumbers.push(v.clone());
                        keys.names.push(v);
                    }
                }
            }
            let v = self.get(r, "userid");
            if !v.is_empty() {
                match self.s.user_identifier {
                    Identity::Id => ukeys.ids.extend(v.parse::<i64>().ok()),
                    Identity::Idnumber => ukeys.idnumbers.push(v.to_string()),
                    Identity::Username => ukeys.usernames.push(v.to_lowercase()),
                    Identity::Email => ukeys.emails.push(v.to_string()),
                }
            }
        }
        dedup_keys(&mut keys);
        for list in [&mut ukeys.idnumbers, &mut ukeys.usernames, &mut ukeys.emails] {
            list.sort_unstable();
            list.dedup();
        }
        let cohorts = CohortIndex::new(target.cohorts(&keys)?);
        let mut users: HashMap<String, Vec<User>> = HashMap::new();
        if !ukeys.is_empty() {
            for u in target.users(&ukeys)? {
                if !u.deleted {
                    users.entry(self.stored_user_key(&u)).or_default().push(u);
                }
            }
        }
        // The pairs some line names: each cohort its keys may find, with the line's user.
        let mut pairs: Vec<(i64, i64)> = Vec::new();
        for r in rows {
            let Some(us) = users.get(&self.user_key(self.get(r, "userid"))) else { continue };
            for k in self.keys(r) {
                let ids: Vec<i64> = match &k {
                    Key::Id(id) => cohorts.by_id(*id).map(|(_, c)| c.id).into_iter().collect(),
                    Key::Idnumber(v) => cohorts.by_idnumber(v).map(|(_, c)| c.id).into_iter().collect(),
                    Key::Name(v) => cohorts.by_name(v).map(|(_, c, _)| c.id).into_iter().collect(),
                    Key::Loose(v) => cohorts
                        .by_idnumber(v)
                        .map(|(_, c)| c.id)
                        .into_iter()
                        .chain(cohorts.by_name(v).map(|(_, c, _)| c.id))
                        .collect(),
                };
                for c in ids {
                    pairs.extend(us.iter().map(|u| (c, u.id)));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let held =
            pairs.iter().copied().zip(target.cohort_memberships(&pairs)?).filter(|(_, m)| *m).map(|(p, _)| p).collect();
        Ok(Chunk { cohorts, users, members: HashMap::new(), emptied: HashSet::new(), held, counts: HashMap::new() })
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

    fn plan_row(
        &self,
        row: &Row,
        chunk: &mut Chunk,
        target: &mut dyn LmsTarget,
    ) -> Result<(Outcome, String, CohortRef, Vec<CohortOp>), Refusal> {
        let cmd = match self.get(row, "cmd").to_lowercase().as_str() {
            "" | "add" => "add",
            "del" | "delete" => "del",
            "free" => "free",
            other => {
                return Err(("cohort.bad_command", format!("cmd \"{other}\" is not a command; use add, del or free")));
            }
        };
        let mut said = Vec::new();
        let (key, found) = self.find(row, chunk, &mut said)?;
        let user = self.user(row, chunk)?.cloned();
        let missing = |what: &str| format!("no cohort has {}{what}", Self::describe(&key));
        let mut ops = Vec::new();
        let outcome;
        let Some(handle) = found else {
            if cmd != "add" {
                said.push(missing(": nothing to remove"));
                return Ok((Outcome::Skipped, said.join("; "), key_ref(&key), ops));
            }
            return self.create(row, &key, user.as_ref(), chunk, said);
        };
        let cohort = chunk.cohorts.get(handle).cloned().unwrap_or_default();
        let cref = if handle > 0 { CohortRef::of(&cohort) } else { CohortRef { id: 0, ..CohortRef::of(&cohort) } };
        match cmd {
            "add" => {
                let description = self.get(row, "cdescription");
                let context = self.context(row)?;
                let mut update = (None, None);
                if !description.is_empty() && description != cohort.description {
                    update.0 = Some(description.to_string());
                    said.push("description updated".into());
                }
                if let Some(ctx) = context.filter(|c| *c != cohort.category) {
                    update.1 = Some(ctx);
                    said.push(match ctx {
                        Some(c) => format!("moved to category {c}"),
                        None => "moved to the system context".into(),
                    });
                }
                if update != (None, None) {
                    if let Some(c) = chunk.cohorts.get_mut(handle) {
                        if let Some(d) = &update.0 {
                            c.description = d.clone();
                        }
                        if let Some(ctx) = update.1 {
                            c.category = ctx;
                        }
                    }
                    ops.push(CohortOp::Update { description: update.0, category: update.1 });
                }
                self.warn_differences(row, &key, &cohort, &mut said);
                if let Some(u) = &user {
                    if chunk.is_member(handle, u.id) {
                        said.push(format!("{} is already a member", u.username));
                    } else {
                        chunk.set_member(handle, u.id, true);
                        ops.push(CohortOp::AddMember { user: u.id });
                        said.push(format!("{} added", u.username));
                    }
                }
                outcome = if ops.is_empty() { Outcome::Unchanged } else { Outcome::Updated };
            }
            "del" => match &user {
                Some(u) => {
                    if chunk.is_member(handle, u.id) {
                        chunk.set_member(handle, u.id, false);
                        ops.push(CohortOp::RemoveMember { user: u.id });
                        said.push(format!("{} removed from cohort {}", u.username, cohort.name));
                        outcome = Outcome::Deleted;
                    } else {
                        said.push(format!("{} is not a member of cohort {}", u.username, cohort.name));
                        outcome = Outcome::Unchanged;
                    }
                }
                None => {
                    let n = self.count(handle, chunk, target)?;
                    ops.push(CohortOp::Delete);
                    chunk.cohorts.remove(handle);
                    said.push(format!(
                        "cohort {} deleted ({n} members; its course bindings and what they gave removed)",
                        cohort.name
                    ));
                    outcome = Outcome::Deleted;
                }
            },
            _ => {
                let n = self.count(handle, chunk, target)?;
                if n > 0 {
                    ops.push(CohortOp::Empty);
                    chunk.emptied.insert(handle);
                    chunk.members.retain(|(c, _), _| *c != handle);
                    chunk.counts.insert(handle, 0);
                    said.push(format!("cohort {} emptied: {n} members removed", cohort.name));
                    outcome = Outcome::Updated;
                } else {
                    said.push(format!("cohort {} is already empty", cohort.name));
                    outcome = Outcome::Unchanged;
                }
            }
        }
        Ok((outcome, said.join("; "), cref, ops))
    }

    /// Members of a cohort now, as planned so far.
    fn count(&self, handle: i64, chunk: &mut Chunk, target: &mut dyn LmsTarget) -> Result<i64, Refusal> {
        if !chunk.counts.contains_key(&handle) {
            let base = match chunk.cohorts.get(handle) {
                Some(c) if c.id > 0 && !chunk.emptied.contains(&handle) => {
                    let counts =
                        target.cohort_member_counts(&[c.id]).map_err(|e| ("target.unavailable", e.to_string()))?;
                    counts.first().copied().unwrap_or(0) as i64
                }
                _ => 0,
            };
            // Changes planned earlier in the chunk, not yet in the target.
            let planned: i64 = chunk
                .members
                .iter()
                .filter(|((c, _), _)| *c == handle)
                .map(|(&(c, u), &m)| {
                    i64::from(m) - i64::from(!chunk.emptied.contains(&c) && chunk.held.contains(&(c, u)))
                })
                .sum();
            chunk.counts.insert(handle, base + planned);
        }
        Ok(chunk.counts[&handle].max(0))
    }

    fn warn_differences(&self, row: &Row, key: &Key, cohort: &Cohort, said: &mut Vec<String>) {
        let name = self.get(row, "cname");
        if !name.is_empty() && name != cohort.name && !matches!(key, Key::Name(_)) {
            said.push(format!(
                "warning: cname \"{name}\" differs from the cohort's name \"{}\"; cohorts are not renamed",
                cohort.name
            ));
        }
        let idnumber = self.get(row, "cidnumber");
        if !idnumber.is_empty() && idnumber != cohort.idnumber && !matches!(key, Key::Idnumber(_)) {
            said.push(format!(
                "warning: cidnumber \"{idnumber}\" differs from the cohort's idnumber \"{}\"; it is not changed",
                cohort.idnumber
            ));
        }
    }

    fn create(
        &self,
        row: &Row,
        key: &Key,
        user: Option<&User>,
        chunk: &mut Chunk,
        mut said: Vec<String>,
    ) -> Result<(Outcome, String, CohortRef, Vec<CohortOp>), Refusal> {
        let what = Self::describe(key);
        if !self.s.autocreate {
            return Err((
                "cohort.not_found",
                format!("no cohort has {what}; create it first, or set cohorts.autocreate = true"),
            ));
        }
        if let Key::Id(_) = key {
            return Err((
                "cohort.not_found",
                format!(
                    "no cohort has {what}; ids are given by the platform: name a new cohort with cname and cidnumber"
                ),
            ));
        }
        let name = match key {
            Key::Name(v) | Key::Loose(v) if self.get(row, "cname").is_empty() => v.clone(),
            _ => self.get(row, "cname").to_string(),
        };
        if name.is_empty() {
            return Err((
                "cohort.missing_name",
                format!("no cohort has {what}; to create it, give its name in the cname column"),
            ));
        }
        let idnumber = match key {
            Key::Idnumber(v) => v.clone(),
            _ => self.get(row, "cidnumber").to_string(),
        };
        if let Some((_, c, _)) = chunk.cohorts.by_name(&name) {
            return Err((
                "cohort.name_taken",
                format!(
                    "cannot create a cohort named \"{name}\": cohort id {} (idnumber \"{}\") has that name; name the existing cohort by its idnumber, or choose another name",
                    c.id, c.idnumber
                ),
            ));
        }
        if !idnumber.is_empty()
            && let Some((_, c)) = chunk.cohorts.by_idnumber(&idnumber)
        {
            return Err((
                "cohort.idnumber_taken",
                format!(
                    "cannot create cohort \"{name}\" with idnumber \"{idnumber}\": cohort \"{}\" (id {}) has it",
                    c.name, c.id
                ),
            ));
        }
        let category = self.context(row)?.flatten();
        let cohort = Cohort {
            id: 0,
            name: name.clone(),
            idnumber: idnumber.clone(),
            description: self.get(row, "cdescription").to_string(),
            category,
            component: self.get(row, "component").to_string(),
        };
        let handle = chunk.cohorts.planned(cohort.clone());
        chunk.emptied.insert(handle);
        chunk.counts.insert(handle, 0);
        let mut ops = vec![CohortOp::Create {
            description: cohort.description.clone(),
            category,
            component: cohort.component.clone(),
        }];
        said.insert(
            0,
            format!(
                "cohort {name} created{}",
                if idnumber.is_empty() { String::new() } else { format!(" ({idnumber})") }
            ),
        );
        if let Some(u) = user {
            chunk.set_member(handle, u.id, true);
            ops.push(CohortOp::AddMember { user: u.id });
            said.push(format!("{} added", u.username));
        }
        Ok((Outcome::Created, said.join("; "), CohortRef { id: 0, idnumber, name }, ops))
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
