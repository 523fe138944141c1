//! What the lines of one chunk of a members file know — the cohorts, accounts and memberships
//! they name — kept up to date as the lines are planned.

use lmsync_model::User;
use std::collections::{HashMap, HashSet};

use super::{CohortMembersTool, Key, Refusal};
use crate::settings::Identity;
use crate::target::{CohortKeys, LmsTarget, TargetError, UserKeys};
use crate::tools::Row;
use crate::tools::cohorts::{CohortIndex, dedup_keys};

/// What the lines of one chunk know, kept up to date as they are planned.
pub(super) struct Chunk {
    pub cohorts: CohortIndex,
    pub users: HashMap<String, Vec<User>>,
    /// Memberships as planned so far; pairs absent here are as the target holds them…
    pub members: HashMap<(i64, i64), bool>,
    /// …except in cohorts emptied (or created) in this chunk, which start empty.
    pub emptied: HashSet<i64>,
    pub held: HashSet<(i64, i64)>,
    /// Member counts of the cohorts `free` and `del` need, then changes planned since.
    pub counts: HashMap<i64, i64>,
}

impl Chunk {
    pub fn is_member(&self, cohort: i64, user: i64) -> bool {
        match self.members.get(&(cohort, user)) {
            Some(m) => *m,
            None => !self.emptied.contains(&cohort) && self.held.contains(&(cohort, user)),
        }
    }

    pub fn set_member(&mut self, cohort: i64, user: i64, member: bool) {
        self.members.insert((cohort, user), member);
        if let Some(n) = self.counts.get_mut(&cohort) {
            *n += if member { 1 } else { -1 };
        }
    }
}

impl CohortMembersTool {
    /// Loads what the chunk's lines name: cohorts (by every key column), users, memberships.
    pub(super) fn load(&self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Chunk, TargetError> {
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

    /// Members of a cohort now, as planned so far.
    pub(super) fn count(&self, handle: i64, chunk: &mut Chunk, target: &mut dyn LmsTarget) -> Result<i64, Refusal> {
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
}
