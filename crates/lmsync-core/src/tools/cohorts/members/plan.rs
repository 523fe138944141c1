//! Planning one line of a members file against what its chunk knows: `add` (creating the
//! cohort when asked), `del` and `free`.

use lmsync_model::{Cohort, CohortOp, CohortRef, Outcome, User};

use super::chunk::Chunk;
use super::{CohortMembersTool, Key, Refusal, key_ref};
use crate::target::LmsTarget;
use crate::tools::Row;

impl CohortMembersTool {
    pub(super) fn plan_row(
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
