//! The `category` column: a numeric id, a `Parent/Child` path of names (created as needed) or
//! an idnumber, per `courses.category_identifier`; empty = the default category.

use lmsync_model::{Category, CategoryRef};
use std::collections::HashMap;

use crate::settings::CategoryIdentity;

pub(super) struct Categories {
    by_id: HashMap<i64, Category>,
    /// Sibling names need not be unique: every category of a name under a parent.
    by_parent_name: HashMap<(Option<i64>, String), Vec<i64>>,
    by_idnumber: HashMap<String, i64>,
}

impl Categories {
    pub fn new(list: Vec<Category>) -> Self {
        let mut c = Categories { by_id: HashMap::new(), by_parent_name: HashMap::new(), by_idnumber: HashMap::new() };
        for cat in list {
            c.by_parent_name.entry((cat.parent, cat.name.clone())).or_default().push(cat.id);
            if !cat.idnumber.is_empty() {
                c.by_idnumber.insert(cat.idnumber.clone(), cat.id);
            }
            c.by_id.insert(cat.id, cat);
        }
        c
    }

    /// The platform's default category: the one with the lowest id, or a new "Miscellaneous".
    fn default_ref(&self, visible: bool) -> CategoryRef {
        match self.by_id.keys().min() {
            Some(id) => CategoryRef::Existing(*id),
            None => CategoryRef::Path { names: vec!["Miscellaneous".into()], visible },
        }
    }

    /// Resolves a `category` value; the error says what is wrong with it.
    pub fn resolve(&self, mode: CategoryIdentity, value: &str, visible: bool) -> Result<CategoryRef, String> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(self.default_ref(visible));
        }
        match mode {
            CategoryIdentity::Idnumber => self
                .by_idnumber
                .get(value)
                .map(|id| CategoryRef::Existing(*id))
                .ok_or_else(|| format!("no category has idnumber {value}")),
            CategoryIdentity::Idname if value.bytes().all(|b| b.is_ascii_digit()) => {
                let id: i64 = value.parse().map_err(|_| format!("category id {value} is not a number"))?;
                if self.by_id.contains_key(&id) {
                    Ok(CategoryRef::Existing(id))
                } else {
                    Err(format!(
                        "no category has id {value}; use an existing id or a category path like Faculty/Department"
                    ))
                }
            }
            CategoryIdentity::Idname => {
                let names: Vec<String> = value.trim_matches('/').split('/').map(|s| s.trim().to_string()).collect();
                if names.iter().any(String::is_empty) {
                    return Err(format!("category path \"{value}\" has an empty name between two /"));
                }
                let mut parent = None;
                for name in &names {
                    match self.by_parent_name.get(&(parent, name.clone())).map(Vec::as_slice) {
                        Some([id]) => parent = Some(*id),
                        // Missing, or several siblings of that name: the target finds (or
                        // creates) the path itself, by its own rule for namesakes.
                        _ => return Ok(CategoryRef::Path { names, visible }),
                    }
                }
                Ok(CategoryRef::Existing(parent.unwrap_or_default()))
            }
        }
    }

    /// `A/B/C` of a category id, for messages and exports.
    pub fn path(&self, id: i64) -> String {
        let mut names = Vec::new();
        let mut at = Some(id);
        while let Some(c) = at.and_then(|i| self.by_id.get(&i)) {
            names.push(c.name.clone());
            at = c.parent;
            if names.len() > 100 {
                break;
            }
        }
        names.reverse();
        names.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats() -> Categories {
        Categories::new(vec![
            Category { id: 1, parent: None, name: "Miscellaneous".into(), idnumber: "MISC".into(), visible: true },
            Category { id: 4, parent: Some(1), name: "Tests".into(), idnumber: String::new(), visible: true },
        ])
    }

    #[test]
    fn references_resolve_by_mode() {
        let c = cats();
        assert_eq!(c.resolve(CategoryIdentity::Idname, "", true), Ok(CategoryRef::Existing(1)));
        assert_eq!(c.resolve(CategoryIdentity::Idname, "4", true), Ok(CategoryRef::Existing(4)));
        assert!(c.resolve(CategoryIdentity::Idname, "9", true).is_err());
        assert_eq!(c.resolve(CategoryIdentity::Idname, "/Miscellaneous/Tests/", true), Ok(CategoryRef::Existing(4)));
        assert_eq!(
            c.resolve(CategoryIdentity::Idname, "Miscellaneous/ New ", false),
            Ok(CategoryRef::Path { names: vec!["Miscellaneous".into(), "New".into()], visible: false })
        );
        assert!(c.resolve(CategoryIdentity::Idname, "A//B", true).is_err());
        assert_eq!(c.resolve(CategoryIdentity::Idnumber, "MISC", true), Ok(CategoryRef::Existing(1)));
        assert!(c.resolve(CategoryIdentity::Idnumber, "NOPE", true).is_err());
        assert_eq!(c.path(4), "Miscellaneous/Tests");
    }

    #[test]
    fn a_path_through_namesakes_is_left_to_the_target() {
        let mut list = cats().by_id.into_values().collect::<Vec<_>>();
        list.push(Category { id: 7, parent: Some(1), name: "Tests".into(), idnumber: String::new(), visible: true });
        let c = Categories::new(list);
        assert_eq!(
            c.resolve(CategoryIdentity::Idname, "Miscellaneous/Tests", true),
            Ok(CategoryRef::Path { names: vec!["Miscellaneous".into(), "Tests".into()], visible: true })
        );
    }
}
