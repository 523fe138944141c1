//! The users file's `cohort` / `cohortid` columns (spec/users.md §4.2): once a line's account is
//! planned, it joins the cohort named in `cohort` — created in the system context when no cohort
//! has that name, with `cohortid` as its idnumber. The users file never removes a membership.

use lmsync_model::{ChangeKind, CohortJoin, Outcome, UserUpdate};
use std::collections::{HashMap, HashSet};

use crate::target::{CohortKeys, LmsTarget, TargetError, UserKeys};
use crate::tools::{Planned, Row};

/// Where the cohort columns are.
#[derive(Debug, Clone, Copy)]
pub(super) struct CohortColumns {
    pub name: usize,
    pub idnumber: Option<usize>,
}

impl CohortColumns {
    /// Adds each line's cohort membership to its planned change.
    pub fn plan(&self, rows: &[Row], planned: &mut [Planned], target: &mut dyn LmsTarget) -> Result<(), TargetError> {
        let get =
            |r: &Row, i: Option<usize>| i.and_then(|i| r.fields.get(i)).map(|v| v.trim()).unwrap_or("").to_string();
        let mut names: Vec<String> = rows.iter().map(|r| get(r, Some(self.name))).filter(|v| !v.is_empty()).collect();
        if names.is_empty() {
            return Ok(());
        }
        names.sort_unstable();
        names.dedup();
        // The oldest cohort of each name, as the store's join picks it.
        let mut cohorts: HashMap<String, i64> = HashMap::new();
        for c in target.cohorts(&CohortKeys { names, ..Default::default() })? {
            let id = cohorts.entry(c.name.clone()).or_insert(c.id);
            *id = (*id).min(c.id);
        }
        let usernames: Vec<String> = planned.iter().map(|p| p.outcome.key.clone()).collect();
        let users: HashMap<String, i64> = target
            .users(&UserKeys { usernames, ..Default::default() })?
            .into_iter()
            .filter(|u| !u.deleted)
            .map(|u| (u.username, u.id))
            .collect();
        let mut pairs: Vec<(i64, i64)> = Vec::new();
        for (row, p) in rows.iter().zip(planned.iter()) {
            if let (Some(c), Some(u)) = (cohorts.get(&get(row, Some(self.name))), users.get(&p.outcome.key)) {
                pairs.push((*c, *u));
            }
        }
        let held: HashSet<(i64, i64)> =
            pairs.iter().copied().zip(target.cohort_memberships(&pairs)?).filter(|(_, m)| *m).map(|(p, _)| p).collect();
        let mut created: HashSet<String> = HashSet::new();
        for (row, p) in rows.iter().zip(planned.iter_mut()) {
            let name = get(row, Some(self.name));
            if name.is_empty() || matches!(p.outcome.outcome, Outcome::Failed | Outcome::Deleted) {
                continue;
            }
            let user = users.get(&p.outcome.key).copied();
            let cohort = cohorts.get(&name).copied();
            if let (Some(c), Some(u)) = (cohort, user)
                && held.contains(&(c, u))
            {
                continue;
            }
            let said = if cohort.is_none() && created.insert(name.clone()) {
                format!("joined cohort {name} (created)")
            } else {
                format!("joined cohort {name}")
            };
            p.outcome.message =
                [p.outcome.message.clone(), said].into_iter().filter(|m| !m.is_empty()).collect::<Vec<_>>().join("; ");
            let join = CohortJoin { name, idnumber: get(row, self.idnumber) };
            match p.change.as_mut().map(|c| &mut c.kind) {
                Some(ChangeKind::CreateUser { cohort, .. }) => *cohort = Some(join),
                Some(ChangeKind::UpdateUser(update)) => update.cohort = Some(join),
                _ => {
                    let Some(id) = user else { continue };
                    p.outcome.outcome = Outcome::Updated;
                    let update = UserUpdate { id, cohort: Some(join), ..Default::default() };
                    p.change = Some(lmsync_model::Change {
                        line: row.line,
                        key: p.outcome.key.clone(),
                        kind: ChangeKind::UpdateUser(Box::new(update)),
                    });
                }
            }
        }
        Ok(())
    }
}
