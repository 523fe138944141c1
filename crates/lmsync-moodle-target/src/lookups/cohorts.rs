//! Cohorts and their members (`core_cohort_get_cohorts`: all of them in one call, then
//! matched here; `core_cohort_get_cohort_members`).

use lmsync_core::target::{CohortKeys, CohortTotals, TargetError};
use lmsync_model::Cohort;
use lmsync_moodle::{Param, Params};
use std::collections::{HashMap, HashSet};

use crate::calls::read_all;
use crate::json::{int, list, text};
use crate::{MoodleTarget, stop};

const PER_CALL: usize = 100;

pub(crate) const SEARCH: &str = "core_cohort_search_cohorts";

/// Every cohort of the site, with its category.
pub(crate) fn all(t: &mut MoodleTarget) -> Result<Vec<Cohort>, TargetError> {
    let answer = t.client.call_raw("core_cohort_get_cohorts", &Params::new()).map_err(stop)?;
    let mut cohorts: Vec<Cohort> = list(&answer, None)
        .iter()
        .map(|c| Cohort {
            id: int(c, "id"),
            name: text(c, "name"),
            idnumber: text(c, "idnumber"),
            description: text(c, "description"),
            category: None,
            component: String::new(),
        })
        .collect();
    let categories = categories(t, &cohorts)?;
    for c in &mut cohorts {
        c.category = categories.get(&c.id).copied().flatten();
    }
    Ok(cohorts)
}

/// The ids of the cohorts `core_cohort_search_cohorts` lists in one context (its own only).
fn in_context(t: &MoodleTarget, level: &str, instance: i64) -> Result<Vec<i64>, TargetError> {
    let context = Param::obj([("contextlevel", Param::from(level)), ("instanceid", Param::from(instance))]);
    let params = Params::new()
        .with("query", "")
        .with("context", context)
        .with("includes", "self")
        .with("limitfrom", 0i64)
        .with("limitnum", 0i64);
    let answer = t.client.call_raw(SEARCH, &params).map_err(stop)?;
    Ok(list(&answer, Some("cohorts")).iter().map(|c| int(c, "id")).collect())
}

/// The category of each cohort (None: the system). `core_cohort_get_cohorts` does not say;
/// the search function does, context by context: the system's first, then, only when some
/// cohorts are elsewhere, each category's. Without the search function, all read as system
/// cohorts.
fn categories(t: &mut MoodleTarget, cohorts: &[Cohort]) -> Result<HashMap<i64, Option<i64>>, TargetError> {
    if let Some(known) = &t.cohort_categories
        && cohorts.iter().all(|c| known.contains_key(&c.id))
    {
        return Ok(known.clone());
    }
    if !t.site.has_function(SEARCH) || cohorts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out: HashMap<i64, Option<i64>> = in_context(t, "system", 0)?.into_iter().map(|id| (id, None)).collect();
    if cohorts.iter().any(|c| !out.contains_key(&c.id)) {
        for category in crate::lookups::courses::categories(t)? {
            for id in in_context(t, "coursecat", category.id)? {
                out.insert(id, Some(category.id));
            }
        }
    }
    t.cohort_categories = Some(out.clone());
    Ok(out)
}

/// Every cohort matching any key.
pub(crate) fn cohorts(t: &mut MoodleTarget, keys: &CohortKeys) -> Result<Vec<Cohort>, TargetError> {
    Ok(all(t)?
        .into_iter()
        .filter(|c| {
            keys.ids.contains(&c.id)
                || (!c.idnumber.is_empty() && keys.idnumbers.contains(&c.idnumber))
                || keys.names.contains(&c.name)
        })
        .collect())
}

/// Members of each cohort.
pub(crate) fn members(t: &mut MoodleTarget, cohorts: &[i64]) -> Result<HashMap<i64, HashSet<i64>>, TargetError> {
    let mut ids: Vec<i64> = cohorts.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let calls: Vec<Params> =
        ids.chunks(PER_CALL).map(|c| Params::new().with("cohortids", Param::list(c.iter().copied()))).collect();
    let answers = read_all(&t.client, "core_cohort_get_cohort_members", calls).map_err(stop)?;
    let mut out: HashMap<i64, HashSet<i64>> = HashMap::new();
    for answer in &answers {
        for m in list(answer, None) {
            let users = list(m, Some("userids")).iter().filter_map(serde_json::Value::as_i64).collect();
            out.insert(int(m, "cohortid"), users);
        }
    }
    Ok(out)
}

pub(crate) fn member_counts(t: &mut MoodleTarget, cohorts: &[i64]) -> Result<Vec<u64>, TargetError> {
    let known: Vec<i64> = cohorts.iter().copied().filter(|c| *c > 0).collect();
    let members = members(t, &known)?;
    Ok(cohorts.iter().map(|c| members.get(c).map_or(0, |m| m.len() as u64)).collect())
}

pub(crate) fn memberships(t: &mut MoodleTarget, pairs: &[(i64, i64)]) -> Result<Vec<bool>, TargetError> {
    let cohorts: Vec<i64> = pairs.iter().map(|(c, _)| *c).filter(|c| *c > 0).collect();
    let members = members(t, &cohorts)?;
    Ok(pairs.iter().map(|(c, u)| members.get(c).is_some_and(|m| m.contains(u))).collect())
}

/// Sizes for the thresholds; cohort-sync bindings cannot be counted (none can be listed).
pub(crate) fn totals(t: &mut MoodleTarget) -> Result<CohortTotals, TargetError> {
    let cohorts = all(t)?;
    let ids: Vec<i64> = cohorts.iter().map(|c| c.id).collect();
    let members = members(t, &ids)?;
    Ok(CohortTotals {
        cohorts: cohorts.len() as u64,
        memberships: members.values().map(|m| m.len() as u64).sum(),
        bindings: 0,
    })
}
