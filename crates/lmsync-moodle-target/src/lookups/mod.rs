//! The target's lookups: what the tools ask before they plan, answered by Moodle's read
//! functions (spec §3.1), several calls at once where there are many.

pub(crate) mod cohorts;
pub(crate) mod courses;
pub(crate) mod enrols;
pub(crate) mod groups;
pub(crate) mod users;

use lmsync_core::settings::{STANDARD_ROLES, TargetSettings};

/// Roles by id: Moodle's standard ones, overridden and completed by `[target.roles]` (core
/// Moodle has no function listing roles, spec §2.8).
pub(crate) fn roles(settings: &TargetSettings) -> Vec<(i64, String)> {
    let mut roles: Vec<(i64, String)> = STANDARD_ROLES
        .iter()
        .filter(|(name, _)| !settings.roles.contains_key(*name))
        .map(|(name, id)| (*id, name.to_string()))
        .collect();
    roles.extend(settings.roles.iter().map(|(name, id)| (*id, name.clone())));
    roles.sort();
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_map_overrides_and_completes_the_standard_roles() {
        let mut s = TargetSettings::default();
        s.roles.insert("student".into(), 11);
        s.roles.insert("tutor".into(), 12);
        let roles = roles(&s);
        assert!(roles.contains(&(11, "student".into())));
        assert!(roles.contains(&(12, "tutor".into())));
        assert!(roles.contains(&(3, "editingteacher".into())));
        assert!(!roles.contains(&(5, "student".into())));
    }
}
