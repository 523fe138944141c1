//! `lmsync courses …`: course utilities — build a delete or reset file from a selection of
//! courses, and remove empty categories (previewed unless confirmed).

use anyhow::{Context, Result, bail};
use lmsync_core::target::{LmsTarget, RunEnd, RunStart, RunStatus, RunStore};
use lmsync_model::{Change, ChangeKind, OutcomeCounts};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use lmsync_core::tools::courses::templates;

use crate::app::App;
use crate::cli::{CoursesCommand, Selection};

/// A course as the utilities see it.
pub struct Listed {
    pub shortname: String,
    pub fullname: String,
    pub idnumber: String,
    pub id: i64,
    pub path: String,
}

/// `*` and `?` wildcards, whole-string match.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Every course, in id order.
pub fn courses(app: &App) -> Result<Vec<Listed>> {
    let store = app.store()?;
    let (_, sql) = lmsync_sqlite::export_query("courses").context("courses query")?;
    let mut list = Vec::new();
    store.each_row(&sql, |r| {
        let text = |i: usize| r[i].as_str().unwrap_or_default().to_string();
        list.push(Listed {
            id: r[0].as_i64().unwrap_or_default(),
            shortname: text(1),
            fullname: text(2),
            idnumber: text(3),
            path: text(4),
        });
        Ok(())
    })?;
    Ok(list)
}

fn select(app: &App, s: &Selection) -> Result<Vec<Listed>> {
    if s.category.is_none() && s.pattern.is_none() && s.idnumber.is_empty() {
        bail!("choose courses with --category, --pattern and/or --idnumber");
    }
    let chosen = matching(courses(app)?, s.category.as_deref(), s.pattern.as_deref(), &s.idnumber);
    if chosen.is_empty() {
        bail!("no course matches the selection");
    }
    Ok(chosen)
}

/// The courses in the category path `category` or below it, whose shortname matches `pattern`
/// and whose idnumber is one of `idnumbers` (each criterion only when given).
pub fn matching(all: Vec<Listed>, category: Option<&str>, pattern: Option<&str>, idnumbers: &[String]) -> Vec<Listed> {
    all.into_iter()
        .filter(|c| {
            category.is_none_or(|p| {
                let p = p.trim_matches('/');
                c.path == p || c.path.starts_with(&format!("{p}/"))
            })
        })
        .filter(|c| pattern.is_none_or(|p| glob(p, &c.shortname)))
        .filter(|c| idnumbers.is_empty() || idnumbers.contains(&c.idnumber))
        .collect()
}

fn identifier(c: &Listed, identity: lmsync_core::settings::CourseIdentity) -> String {
    match identity {
        lmsync_core::settings::CourseIdentity::Shortname => c.shortname.clone(),
        lmsync_core::settings::CourseIdentity::Idnumber => c.idnumber.clone(),
        lmsync_core::settings::CourseIdentity::Id => c.id.to_string(),
    }
}

/// Writes a command file at the area root (atomically); refuses to replace one unless `force`.
pub fn write_file(app: &App, name: &str, content: &str, force: bool) -> Result<std::path::PathBuf> {
    let path = app.area().root().join(name);
    if path.exists() && !force {
        bail!("{} exists; run it or remove it first, or replace it", path.display());
    }
    let tmp = path.with_file_name(format!(".{name}.new"));
    std::fs::File::create(&tmp).and_then(|mut f| f.write_all(content.as_bytes()).and_then(|_| f.sync_all()))?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Which command file a utility writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseFile {
    Delete,
    Reset,
}

/// The name and content of the delete or reset file listing `chosen`: a delete file is one
/// identifier per line; a reset file has the identifier column and every reset column, with
/// values that reset everything (reviewed before it runs).
pub fn course_file(app: &App, kind: CourseFile, chosen: &[Listed]) -> (String, String) {
    let c = &app.settings.courses;
    let delimiter = if app.settings.csv.delimiter.len() == 1 { app.settings.csv.delimiter.clone() } else { ";".into() };
    match kind {
        CourseFile::Delete => {
            let lines: Vec<String> = chosen.iter().map(|x| identifier(x, c.delete_identifier)).collect();
            (c.delete_file.clone(), lines.join("\n") + "\n")
        }
        CourseFile::Reset => {
            let header = [
                c.reset_identifier.as_str(),
                "events",
                "logs",
                "notes",
                "grades",
                "roles",
                "local_roles",
                "groups",
                "groupings",
                "modules",
                "completion",
                "blog_associations",
                "comments",
            ];
            let values =
                ["yes", "yes", "yes", "all", "student teacher guest", "all", "all", "all", "all", "yes", "yes", "yes"];
            let mut text = header.join(&delimiter) + "\n";
            for x in chosen {
                text.push_str(&format!(
                    "{}{delimiter}{}\n",
                    identifier(x, c.reset_identifier),
                    values.join(&delimiter)
                ));
            }
            (c.reset_file.clone(), text)
        }
    }
}

pub fn courses_command(app: &App, cmd: CoursesCommand) -> Result<i32> {
    match cmd {
        CoursesCommand::MakeDeleteFile { selection, force } => {
            let chosen = select(app, &selection)?;
            let (name, text) = course_file(app, CourseFile::Delete, &chosen);
            println!("wrote {}", write_file(app, &name, &text, force)?.display());
            println!("{} courses listed; review the file, then: lmsync run courses --op delete", chosen.len());
        }
        CoursesCommand::MakeResetFile { selection, force } => {
            let chosen = select(app, &selection)?;
            let (name, text) = course_file(app, CourseFile::Reset, &chosen);
            println!("wrote {}", write_file(app, &name, &text, force)?.display());
            println!("{} courses listed; review the file, then: lmsync run courses --op reset", chosen.len());
        }
        CoursesCommand::CleanCategories { from, confirm } => return clean_categories(app, from.as_deref(), confirm),
        CoursesCommand::Backup { shortname } => {
            let mut store = app.store()?;
            let keys = lmsync_core::target::CourseKeys { shortnames: vec![shortname.clone()], ..Default::default() };
            let Some(course) = store.courses(&keys)?.into_iter().find(|x| x.shortname == shortname) else {
                bail!("no course has the shortname {shortname}");
            };
            let (sections, activities) = store.course_content(course.id)?;
            let dir = templates::backup_dir(app.area().root(), course.id);
            std::fs::create_dir_all(&dir)?;
            let stamp = app.clock.stamp(app.clock.now());
            let path = lmsync_core::area::FileArea::unique_path(&dir, &format!("{stamp}_{shortname}.mbz"));
            lmsync_mbz::write_mbz(&templates::to_structure(&course, sections, activities), &path)?;
            println!("wrote {}; a template naming {shortname} now uses this backup", path.display());
        }
    }
    Ok(0)
}

/// `lmsync courses clean-categories`: lists the empty categories, deletes them with `confirm`.
fn clean_categories(app: &App, from: Option<&str>, confirm: bool) -> Result<i32> {
    let empty = empty_categories(app, from)?;
    if empty.is_empty() {
        println!("no empty category");
        return Ok(0);
    }
    for (_, path) in &empty {
        println!("{}empty: {path}", if confirm { "" } else { "would delete " });
    }
    if !confirm {
        println!("{} empty categories; run again with --confirm to delete them", empty.len());
        return Ok(0);
    }
    let (run, counts) = delete_categories(app, &empty, "cli", "(command line)")?;
    println!("run {run}: {} empty categories deleted", counts.deleted);
    Ok(if counts.failed > 0 { 1 } else { 0 })
}

/// Categories holding no course, no cohort and only removable subcategories, children first,
/// under the category path `from` (every category when `None`): `(id, path)`.
pub fn empty_categories(app: &App, from: Option<&str>) -> Result<Vec<(i64, String)>> {
    let mut store = app.store()?;
    let categories = store.categories()?;
    let (mut children, mut paths): (HashMap<Option<i64>, Vec<i64>>, BTreeMap<i64, String>) =
        (HashMap::new(), BTreeMap::new());
    for cat in &categories {
        children.entry(cat.parent).or_default().push(cat.id);
    }
    let (_, sql) = lmsync_sqlite::export_query("categories").context("categories query")?;
    store.each_row(&sql, |r| {
        paths.insert(r[0].as_i64().unwrap_or_default(), r[3].as_str().unwrap_or_default().to_string());
        Ok(())
    })?;
    let mut used: HashMap<i64, bool> = HashMap::new();
    let q = "SELECT category FROM course UNION SELECT categoryid FROM cohort WHERE categoryid IS NOT NULL";
    store.each_row(q, |r| {
        used.insert(r[0].as_i64().unwrap_or_default(), true);
        Ok(())
    })?;
    fn walk(id: i64, children: &HashMap<Option<i64>, Vec<i64>>, used: &HashMap<i64, bool>, out: &mut Vec<i64>) -> bool {
        let mut empty = !used.contains_key(&id);
        for child in children.get(&Some(id)).into_iter().flatten() {
            empty &= walk(*child, children, used, out);
        }
        if empty {
            out.push(id);
        }
        empty
    }
    let roots: Vec<i64> = match from.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty()) {
        None => children.get(&None).cloned().unwrap_or_default(),
        Some(p) => {
            let Some((id, _)) = paths.iter().find(|(_, path)| path.as_str() == p) else {
                bail!("no category has the path {p}")
            };
            children.get(&Some(*id)).cloned().unwrap_or_default()
        }
    };
    let mut empty = Vec::new();
    for r in roots {
        walk(r, &children, &used, &mut empty);
    }
    Ok(empty.into_iter().map(|id| (id, paths.get(&id).cloned().unwrap_or_default())).collect())
}

/// Deletes these categories (children first, as listed) as one recorded run of the courses
/// tool; returns the run and its counts.
pub fn delete_categories(
    app: &App,
    empty: &[(i64, String)],
    trigger: &str,
    input: &str,
) -> Result<(i64, OutcomeCounts)> {
    let mut store = app.embedded_target()?;
    let run = store.start_run(&RunStart {
        tool: "courses".into(),
        operation: Some("clean-categories".into()),
        input: input.into(),
        dry_run: false,
        trigger: trigger.into(),
        pid: std::process::id(),
        partial_report: String::new(),
    })?;
    let changes: Vec<Change> = empty
        .iter()
        .enumerate()
        .map(|(i, (id, path))| Change {
            line: i as u64 + 1,
            key: path.clone(),
            kind: ChangeKind::DeleteCategory { id: *id },
        })
        .collect();
    let results = store.apply(run, &changes)?;
    store.commit(run, changes.len() as u64)?;
    let mut counts = OutcomeCounts::default();
    for r in &results {
        counts.add(if r.is_ok() { lmsync_model::Outcome::Deleted } else { lmsync_model::Outcome::Failed });
    }
    let status = if counts.failed > 0 { RunStatus::Failed } else { RunStatus::Succeeded };
    store.end_run(
        run,
        status,
        &RunEnd { counts, message: format!("{} empty categories deleted", counts.deleted), ..Default::default() },
    )?;
    Ok((run, counts))
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn wildcards() {
        assert!(glob("TEST*", "TESTCOURSE1"));
        assert!(glob("*COURSE?", "TESTCOURSE1"));
        assert!(!glob("*COURSE?", "TESTCOURSE12"));
        assert!(glob("*", ""));
        assert!(!glob("META", "META10"));
    }
}
