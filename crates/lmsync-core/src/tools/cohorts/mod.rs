//! The cohort tools (spec/cohorts.md): `members` creates, updates, empties and deletes cohorts
//! and adds or removes their members (`cohorts.csv`); `bindings` binds cohorts to courses
//! (`cohortscourses.csv`). What a binding gives its cohort's members (enrolment, role, group)
//! is derived by the target, whatever changes the membership.

mod bindings;
mod members;

pub use bindings::BindingsTool;
pub use members::CohortMembersTool;

use lmsync_model::Cohort;
use std::collections::HashMap;

use crate::settings::CohortIdentity;
use crate::target::CohortKeys;

/// The cohorts a chunk names, found by id, idnumber or name, as lines plan them: cohorts planned
/// earlier in the chunk have a negative handle until the target gives them an id.
#[derive(Default)]
pub(super) struct CohortIndex {
    pub list: Vec<(i64, Cohort)>,
    by_id: HashMap<i64, usize>,
    by_idnumber: HashMap<String, usize>,
    /// Lowest id first.
    by_name: HashMap<String, Vec<usize>>,
    next_new: i64,
}

impl CohortIndex {
    pub fn new(mut found: Vec<Cohort>) -> Self {
        found.sort_by_key(|c| c.id);
        let mut index = CohortIndex::default();
        for c in found {
            index.insert(c.id, c);
        }
        index
    }

    fn insert(&mut self, handle: i64, c: Cohort) -> usize {
        let at = self.list.len();
        if c.id > 0 {
            self.by_id.insert(c.id, at);
        }
        if !c.idnumber.is_empty() {
            self.by_idnumber.insert(c.idnumber.clone(), at);
        }
        self.by_name.entry(c.name.clone()).or_default().push(at);
        self.list.push((handle, c));
        at
    }

    /// Records a cohort planned for creation; returns its handle.
    pub fn planned(&mut self, c: Cohort) -> i64 {
        self.next_new -= 1;
        let handle = self.next_new;
        self.insert(handle, c);
        handle
    }

    /// Forgets a cohort planned for deletion.
    pub fn remove(&mut self, handle: i64) {
        let Some(at) = self.list.iter().position(|(h, _)| *h == handle) else { return };
        let c = self.list[at].1.clone();
        self.by_id.retain(|_, i| *i != at);
        if self.by_idnumber.get(&c.idnumber) == Some(&at) {
            self.by_idnumber.remove(&c.idnumber);
        }
        if let Some(v) = self.by_name.get_mut(&c.name) {
            v.retain(|i| *i != at);
        }
    }

    pub fn by_id(&self, id: i64) -> Option<(i64, &Cohort)> {
        self.by_id.get(&id).map(|i| (self.list[*i].0, &self.list[*i].1))
    }

    pub fn by_idnumber(&self, v: &str) -> Option<(i64, &Cohort)> {
        self.by_idnumber.get(v).map(|i| (self.list[*i].0, &self.list[*i].1))
    }

    /// The cohort of that name (lowest id) and how many have it.
    pub fn by_name(&self, v: &str) -> Option<(i64, &Cohort, usize)> {
        let v = self.by_name.get(v)?;
        v.first().map(|i| (self.list[*i].0, &self.list[*i].1, v.len()))
    }

    pub fn get(&self, handle: i64) -> Option<&Cohort> {
        self.list.iter().find(|(h, _)| *h == handle).map(|(_, c)| c)
    }

    pub fn get_mut(&mut self, handle: i64) -> Option<&mut Cohort> {
        self.list.iter_mut().find(|(h, _)| *h == handle).map(|(_, c)| c)
    }

    /// Finds a cohort by the field `ident` names; a warning when a name is shared.
    pub fn find(&self, ident: CohortIdentity, value: &str) -> Option<(i64, &Cohort, Option<String>)> {
        match ident {
            CohortIdentity::Id => value.parse().ok().and_then(|id| self.by_id(id)).map(|(h, c)| (h, c, None)),
            CohortIdentity::Idnumber => self.by_idnumber(value).map(|(h, c)| (h, c, None)),
            CohortIdentity::Name => self.by_name(value).map(|(h, c, n)| {
                let warn = (n > 1)
                    .then(|| format!("warning: {n} cohorts are named \"{value}\"; the oldest (id {}) is used", c.id));
                (h, c, warn)
            }),
        }
    }
}

/// Adds a value to the keys of the field `ident` names.
pub(super) fn add_key(keys: &mut CohortKeys, ident: CohortIdentity, value: &str) {
    if value.is_empty() {
        return;
    }
    match ident {
        CohortIdentity::Id => keys.ids.extend(value.parse::<i64>().ok()),
        CohortIdentity::Idnumber => keys.idnumbers.push(value.to_string()),
        CohortIdentity::Name => keys.names.push(value.to_string()),
    }
}

/// Sorts and deduplicates keys: files name the same cohort on many lines.
pub(super) fn dedup_keys(keys: &mut CohortKeys) {
    for list in [&mut keys.idnumbers, &mut keys.names] {
        list.sort_unstable();
        list.dedup();
    }
    keys.ids.sort_unstable();
    keys.ids.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(id: i64, name: &str, idnumber: &str) -> Cohort {
        Cohort { id, name: name.into(), idnumber: idnumber.into(), ..Default::default() }
    }

    #[test]
    fn finds_by_each_field_and_prefers_the_oldest_of_a_shared_name() {
        let index = CohortIndex::new(vec![cohort(7, "Staff", ""), cohort(3, "Staff", "S3"), cohort(4, "Year 1", "Y1")]);
        assert_eq!(index.find(CohortIdentity::Id, "4").map(|f| f.1.name.clone()), Some("Year 1".into()));
        assert_eq!(index.find(CohortIdentity::Idnumber, "S3").map(|f| f.1.id), Some(3));
        let (_, c, warn) = index.find(CohortIdentity::Name, "Staff").unwrap();
        assert_eq!(c.id, 3);
        assert!(warn.unwrap().contains("2 cohorts"));
        assert!(index.find(CohortIdentity::Id, "x").is_none());
    }

    #[test]
    fn planned_cohorts_are_found_until_removed() {
        let mut index = CohortIndex::new(Vec::new());
        let h = index.planned(cohort(0, "New", "N1"));
        assert!(h < 0);
        assert_eq!(index.find(CohortIdentity::Idnumber, "N1").map(|f| f.0), Some(h));
        assert_eq!(index.find(CohortIdentity::Name, "New").map(|f| f.0), Some(h));
        index.remove(h);
        assert!(index.find(CohortIdentity::Idnumber, "N1").is_none());
        assert!(index.find(CohortIdentity::Name, "New").is_none());
    }
}
