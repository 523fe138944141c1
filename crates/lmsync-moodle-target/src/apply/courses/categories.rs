//! Categories of course lines on Moodle (spec §2.3): a path of names is found under its parents
//! in the category tree (namesakes among siblings make the line fail: Moodle does not keep
//! sibling names unique), its missing levels created level by level (a category created in a
//! call cannot parent another in the same call); and empty categories deleted.

use lmsync_core::target::TargetError;
use lmsync_model::{Category, CategoryRef, ChangeError, ChangeKind};
use lmsync_moodle::{Param, Params};
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::MoodleTarget;
use crate::apply::{Entry, Work};
use crate::calls::write;
use crate::json::int;
use crate::lookups::courses as lookups;

/// How far a path of names goes in the tree.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Walk {
    /// Every level exists: the last one's id.
    Found(i64),
    /// The first `found` names exist, the last of them being `parent` (`None` = the top level).
    Partial { parent: Option<i64>, found: usize },
}

/// Follows `names` from the top level down `tree`; two siblings of one name make it fail.
pub(super) fn walk(tree: &[Category], names: &[String]) -> Result<Walk, String> {
    let mut parent = None;
    for (depth, name) in names.iter().enumerate() {
        let same: Vec<i64> = tree.iter().filter(|c| c.parent == parent && c.name == *name).map(|c| c.id).collect();
        match same.as_slice() {
            [] => return Ok(Walk::Partial { parent, found: depth }),
            [id] => parent = Some(*id),
            many => {
                return Err(format!(
                    "category path {}: {} categories are named \"{name}\" at that level (ids {}); Moodle cannot tell them apart by name: rename one in Moodle, or give the category by id",
                    names.join("/"),
                    many.len(),
                    many.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(Walk::Found(parent.unwrap_or_default()))
}

/// The category id of each course line that names one (by change index), creating the
/// missing levels of paths. Lines whose path cannot be had fail.
pub(super) fn resolve(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<HashMap<usize, i64>, TargetError> {
    let mut resolved = HashMap::new();
    let mut paths: Vec<(usize, Vec<String>)> = Vec::new();
    let mut hidden = false;
    for (i, c) in w.each() {
        match &c.kind {
            ChangeKind::WriteCourse(cw) => match &cw.category {
                Some(CategoryRef::Existing(id)) => {
                    resolved.insert(i, *id);
                }
                Some(CategoryRef::Path { names, visible }) => {
                    hidden |= !visible;
                    paths.push((i, names.clone()));
                }
                None => {}
            },
            _ => continue,
        }
    }
    if paths.is_empty() {
        return Ok(resolved);
    }
    let mut tree = lookups::categories(t)?;
    loop {
        // The next missing level of every path, shared by the lines that need it.
        let mut wanted: BTreeMap<(i64, String), Vec<usize>> = BTreeMap::new();
        for (i, names) in &paths {
            if !w.alive(*i) || resolved.contains_key(i) {
                continue;
            }
            match walk(&tree, names) {
                Ok(Walk::Found(id)) => {
                    resolved.insert(*i, id);
                }
                Ok(Walk::Partial { parent, found }) => {
                    wanted.entry((parent.unwrap_or(0), names[found].clone())).or_default().push(*i);
                }
                Err(m) => w.fail(*i, ChangeError::new("course.unknown_category", m)),
            }
        }
        if wanted.is_empty() {
            break;
        }
        let items: Vec<(usize, (i64, String))> =
            wanted.iter().map(|((parent, name), lines)| (lines[0], (*parent, name.clone()))).collect();
        let answers = write(
            &t.client,
            "core_course_create_categories",
            &items,
            |items| {
                Params::new().with(
                    "categories",
                    Param::list(items.iter().map(|(_, (parent, name))| {
                        Param::obj([("name", Param::from(name.as_str())), ("parent", Param::from(*parent))])
                    })),
                )
            },
            &mut w.failures,
        )?;
        for (((first, (parent, name)), answer), lines) in items.iter().zip(&answers).zip(wanted.values()) {
            match answer {
                Some(a) => {
                    let id = int(a, "id");
                    let parent = Some(*parent).filter(|p| *p > 0);
                    let after = serde_json::json!({ "id": id, "parent": parent, "name": name }).to_string();
                    w.journal(
                        *first,
                        Entry { entity: "category", id, action: "create", before: None, after: Some(after) },
                    );
                    tree.push(Category { id, parent, name: name.clone(), idnumber: String::new(), visible: true });
                }
                None => {
                    // Every line needing that category fails as the first did.
                    let e = w.failures[*first].clone();
                    for i in &lines[1..] {
                        if let Some(e) = &e {
                            w.fail(*i, e.clone());
                        }
                    }
                }
            }
        }
    }
    if hidden {
        t.notice_once(
            "hidden categories",
            "courses.new_categories_visible = false: Moodle's web services cannot hide a category, so new categories take their parent's visibility; hide them in Moodle's Manage courses and categories page".into(),
        );
    }
    Ok(resolved)
}

/// Why a category cannot be deleted as empty (`gone`: categories deleted before it in the same
/// chunk), or where its (absent) content would go: Moodle moves content somewhere even when
/// there is none, and never to the top level.
pub(super) fn deletion(rows: &[(Category, i64)], id: i64, gone: &HashSet<i64>) -> Result<i64, ChangeError> {
    let Some((cat, courses)) = rows.iter().find(|(c, _)| c.id == id) else {
        return Err(ChangeError::new("category.not_found", format!("category {id} no longer exists")));
    };
    let children = rows.iter().filter(|(c, _)| c.parent == Some(id) && !gone.contains(&c.id)).count();
    if *courses > 0 || children > 0 {
        return Err(ChangeError::new(
            "category.not_empty",
            format!(
                "category {id} ({}) is not empty: it holds {courses} courses and {children} subcategories; empty it first",
                cat.name
            ),
        ));
    }
    if let Some(parent) = cat.parent {
        return Ok(parent);
    }
    rows.iter()
        .map(|(c, _)| c)
        .filter(|c| c.parent.is_none() && c.id != id && !gone.contains(&c.id))
        .map(|c| c.id)
        .min()
        .ok_or_else(|| {
            ChangeError::new(
                "category.last",
                format!(
                    "category {id} ({}) is the site's only top-level category; Moodle keeps at least one",
                    cat.name
                ),
            )
        })
}

/// Deletes the empty categories of the chunk (children before their parents, as listed).
pub(super) fn delete(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let asked: Vec<(usize, i64)> = w
        .each()
        .filter_map(|(i, c)| match c.kind {
            ChangeKind::DeleteCategory { id } => Some((i, id)),
            _ => None,
        })
        .collect();
    if asked.is_empty() {
        return Ok(());
    }
    let rows = lookups::category_rows(t)?;
    let mut gone = HashSet::new();
    let mut items: Vec<(usize, (i64, i64))> = Vec::new();
    for (i, id) in asked {
        match deletion(&rows, id, &gone) {
            Ok(newparent) => {
                gone.insert(id);
                items.push((i, (id, newparent)));
            }
            Err(e) => w.fail(i, e),
        }
    }
    let answers = write(
        &t.client,
        "core_course_delete_categories",
        &items,
        |items| {
            Params::new().with(
                "categories",
                Param::list(items.iter().map(|(_, (id, newparent))| {
                    Param::obj([
                        ("id", Param::from(*id)),
                        ("newparent", Param::from(*newparent)),
                        ("recursive", Param::from(0i64)),
                    ])
                })),
            )
        },
        &mut w.failures,
    )?;
    for ((i, (id, _)), answer) in items.iter().zip(&answers) {
        if answer.is_some()
            && let Some((c, _)) = rows.iter().find(|(c, _)| c.id == *id)
        {
            let before = serde_json::json!({ "id": c.id, "parent": c.parent, "name": c.name, "idnumber": c.idnumber, "visible": c.visible });
            w.journal(
                *i,
                Entry { entity: "category", id: *id, action: "delete", before: Some(before.to_string()), after: None },
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: i64, parent: Option<i64>, name: &str) -> Category {
        Category { id, parent, name: name.into(), idnumber: String::new(), visible: true }
    }

    fn names(path: &str) -> Vec<String> {
        path.split('/').map(String::from).collect()
    }

    #[test]
    fn a_path_is_followed_under_its_parents_and_namesakes_refuse_it() {
        let tree =
            vec![cat(1, None, "Miscellaneous"), cat(4, Some(1), "Tests"), cat(5, None, "Tests"), cat(6, Some(4), "A")];
        assert_eq!(walk(&tree, &names("Miscellaneous/Tests")), Ok(Walk::Found(4)));
        assert_eq!(walk(&tree, &names("Tests")), Ok(Walk::Found(5)));
        assert_eq!(walk(&tree, &names("Miscellaneous/Tests/A/B")), Ok(Walk::Partial { parent: Some(6), found: 3 }));
        assert_eq!(walk(&tree, &names("New/Tests")), Ok(Walk::Partial { parent: None, found: 0 }));
        let mut twins = tree.clone();
        twins.push(cat(7, Some(1), "Tests"));
        let e = walk(&twins, &names("Miscellaneous/Tests/A")).unwrap_err();
        assert!(e.contains("ids 4, 7"), "{e}");
    }

    #[test]
    fn only_empty_categories_are_deleted_and_never_into_the_top_level() {
        let rows = vec![(cat(1, None, "Misc"), 2), (cat(4, Some(1), "Tests"), 0), (cat(5, None, "Old"), 0)];
        let none = HashSet::new();
        assert_eq!(deletion(&rows, 4, &none), Ok(1));
        assert_eq!(deletion(&rows, 5, &none), Ok(1), "a top-level category's content would go to another");
        assert_eq!(deletion(&rows, 1, &none).unwrap_err().code, "category.not_empty");
        assert_eq!(deletion(&rows, 9, &none).unwrap_err().code, "category.not_found");
        let rows = vec![(cat(5, None, "Old"), 0), (cat(6, Some(5), "Child"), 0)];
        assert_eq!(deletion(&rows, 5, &none).unwrap_err().code, "category.not_empty");
        let gone: HashSet<i64> = [6].into();
        assert_eq!(deletion(&rows, 5, &gone).unwrap_err().code, "category.last");
    }
}
