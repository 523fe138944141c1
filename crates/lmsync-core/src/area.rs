//! The managed file area (`<data dir>/files`): where command files are read, and where reports,
//! trybacks and archives are written. Paths given by settings never leave it.

use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error(
        "the file location {0:?} is remote; lmsync reads command files only from its file area (drop them into the drop folder instead)"
    )]
    Remote(String),
    #[error("the file location {0:?} contains a wildcard, which is not supported; name one file")]
    Wildcard(String),
    #[error("the file location {0:?} leaves the file area; use a path inside {1}")]
    Outside(String, String),
    #[error("no command file: {0} does not exist; put the file there (or in the drop folder), or name one with --file")]
    NotFound(String),
    #[error("cannot use {path}: {source}")]
    Io { path: String, source: io::Error },
}

#[derive(Debug, Clone)]
pub struct FileArea {
    root: PathBuf,
}

/// Splits `name.ext` at its last dot; a leading dot alone does not start an extension.
pub fn split_ext(name: &str) -> (&str, Option<&str>) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], Some(&name[i + 1..])),
        _ => (name, None),
    }
}

/// `base` + `suffix` + `.ext` (no dot when `name` has no extension).
pub fn with_suffix(name: &str, suffix: &str) -> String {
    match split_ext(name) {
        (base, Some(ext)) => format!("{base}{suffix}.{ext}"),
        (base, None) => format!("{base}{suffix}"),
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> AreaError + '_ {
    move |source| AreaError::Io { path: path.display().to_string(), source }
}

/// Which outputs a cleanup removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputKinds {
    pub archives: bool,
    pub reports: bool,
    pub trybacks: bool,
}

impl OutputKinds {
    pub const ALL: OutputKinds = OutputKinds { archives: true, reports: true, trybacks: true };
}

impl FileArea {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileArea { root: root.into() }
    }

    /// Creates the area and its `archives/` and `reports/` folders when missing.
    pub fn ensure(&self) -> io::Result<()> {
        fs::create_dir_all(self.archives_dir())?;
        fs::create_dir_all(self.reports_dir())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn reports_dir(&self) -> PathBuf {
        self.root.join("reports")
    }

    pub fn archives_dir(&self) -> PathBuf {
        self.root.join("archives")
    }

    /// Path relative to the area, for messages (`reports/x.txt`), or the full path if outside.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// Resolves a configured location (framework spec §4.2): empty = `default_name` at the root;
    /// `a,b,c` = the first one that exists; remote and wildcard locations are refused.
    pub fn resolve(&self, location: &str, default_name: &str) -> Result<PathBuf, AreaError> {
        let location = location.trim();
        if location.is_empty() {
            return Ok(self.root.join(default_name));
        }
        let lower = location.to_ascii_lowercase();
        if ["http://", "https://", "ftp://", "ftps://"].iter().any(|p| lower.contains(p)) {
            return Err(AreaError::Remote(location.into()));
        }
        if location.contains('*') {
            return Err(AreaError::Wildcard(location.into()));
        }
        let candidates: Vec<PathBuf> = location
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| self.inside(c))
            .collect::<Result<_, _>>()?;
        Ok(candidates
            .iter()
            .find(|p| p.is_file())
            .or(candidates.first())
            .cloned()
            .unwrap_or_else(|| self.root.join(default_name)))
    }

    fn inside(&self, relative: &str) -> Result<PathBuf, AreaError> {
        let rel = Path::new(relative.trim_start_matches('/'));
        if rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(AreaError::Outside(relative.into(), self.root.display().to_string()));
        }
        Ok(self.root.join(rel))
    }

    pub fn contains(&self, path: &Path) -> bool {
        match (path.canonicalize(), self.root.canonicalize()) {
            (Ok(p), Ok(r)) => p.starts_with(r),
            _ => false,
        }
    }

    /// Brings a file given on the command line into the area root (a copy, written to a hidden
    /// temporary name, synced, then renamed over any file of the same name), so that its report,
    /// tryback and archive land in the area. A file already inside the area is used in place.
    pub fn adopt(&self, path: &Path) -> Result<PathBuf, AreaError> {
        if !path.is_file() {
            return Err(AreaError::NotFound(path.display().to_string()));
        }
        if self.contains(path) {
            return path.canonicalize().map_err(io_err(path));
        }
        let name = path.file_name().ok_or_else(|| AreaError::NotFound(path.display().to_string()))?;
        let target = self.root.join(name);
        let tmp = self.root.join(format!(".{}.incoming", name.to_string_lossy()));
        fs::copy(path, &tmp).map_err(io_err(path))?;
        File::open(&tmp).and_then(|f| f.sync_all()).map_err(io_err(&tmp))?;
        fs::rename(&tmp, &target).map_err(io_err(&target))?;
        sync_dir(&self.root);
        Ok(target)
    }

    /// A path in `dir` named `name` that does not exist yet: `name`, then `name-2`, `name-3`, …
    /// (the counter goes before the extension).
    pub fn unique_path(dir: &Path, name: &str) -> PathBuf {
        let first = dir.join(name);
        if !first.exists() {
            return first;
        }
        (2..).map(|n| dir.join(with_suffix(name, &format!("-{n}")))).find(|p| !p.exists()).unwrap_or(first)
    }

    /// Moves a processed input to `archives/<stamp>_<name>`.
    pub fn archive(&self, input: &Path, stamp: &str) -> Result<PathBuf, AreaError> {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let target = Self::unique_path(&self.archives_dir(), &format!("{stamp}_{name}"));
        fs::rename(input, &target).map_err(io_err(input))?;
        sync_dir(&self.archives_dir());
        Ok(target)
    }

    /// Files of the area whose name passes `wanted`, in path order: subfolders are searched,
    /// but never `archives/`, `reports/` or hidden names.
    pub fn files_matching(&self, wanted: &dyn Fn(&str) -> bool) -> io::Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        let mut dirs = vec![self.root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if name.starts_with('.') || path == self.archives_dir() || path == self.reports_dir() {
                    continue;
                }
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    dirs.push(path);
                } else if kind.is_file() && wanted(&name) {
                    found.push(path);
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// Outputs lmsync wrote that were last modified before `before`: files of `archives/` and
    /// `reports/`, and trybacks (`…_tryback_<stamp>…`) anywhere else in the area, as asked.
    /// Command files are never among them.
    pub fn old_outputs(&self, kinds: OutputKinds, before: std::time::SystemTime) -> io::Result<Vec<PathBuf>> {
        let old = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|t| t < before);
        let mut found = Vec::new();
        let mut visit = |dir: &Path, wanted: &dyn Fn(&str) -> bool| -> io::Result<()> {
            let mut dirs = vec![dir.to_path_buf()];
            while let Some(d) = dirs.pop() {
                let entries = match fs::read_dir(&d) {
                    Ok(e) => e,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                for entry in entries {
                    let entry = entry?;
                    let path = entry.path();
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let kind = entry.file_type()?;
                    if kind.is_dir()
                        && path != self.archives_dir()
                        && path != self.reports_dir()
                        && !name.starts_with('.')
                    {
                        dirs.push(path);
                    } else if kind.is_file() && !name.starts_with('.') && wanted(&name) && old(&path) {
                        found.push(path);
                    }
                }
            }
            Ok(())
        };
        if kinds.archives {
            visit(&self.archives_dir(), &|_| true)?;
        }
        if kinds.reports {
            visit(&self.reports_dir(), &|_| true)?;
        }
        if kinds.trybacks {
            visit(&self.root, &|name| name.contains("_tryback_"))?;
        }
        found.sort();
        Ok(found)
    }

    /// Renames the input of a crashed run to `<name>-tryback-failed.<ext>` (replacing an older one).
    pub fn discard(&self, input: &Path) -> Result<PathBuf, AreaError> {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let target = input.with_file_name(with_suffix(&name, "-tryback-failed"));
        fs::rename(input, &target).map_err(io_err(input))?;
        Ok(target)
    }
}

/// Makes a rename durable; best effort, as not every platform can sync a directory.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_finds_old_archives_reports_and_trybacks_but_never_command_files() {
        let dir = tempfile::tempdir().unwrap();
        let area = FileArea::new(dir.path());
        area.ensure().unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(100 * 86400);
        let aged = |rel: &str, when| {
            let p = dir.path().join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "x").unwrap();
            File::options().write(true).open(&p).unwrap().set_modified(when).unwrap();
        };
        for rel in [
            "archives/20260101-0000_users.csv",
            "reports/20260101-0000_report_users.csv",
            "users_tryback_20260101-0000.csv",
            "in/enrols_tryback_20260101-0000.csv",
            "users.csv",
            "users-tryback-failed.csv",
            "in/old.csv",
        ] {
            aged(rel, old);
        }
        aged("archives/20261101-0000_users.csv", std::time::SystemTime::now());
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(90 * 86400);
        let rel = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter().map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string()).collect()
        };
        assert_eq!(
            rel(area.old_outputs(OutputKinds::ALL, cutoff).unwrap()),
            [
                "archives/20260101-0000_users.csv",
                "in/enrols_tryback_20260101-0000.csv",
                "reports/20260101-0000_report_users.csv",
                "users_tryback_20260101-0000.csv"
            ]
        );
        let reports_only = OutputKinds { archives: false, reports: true, trybacks: false };
        assert_eq!(rel(area.old_outputs(reports_only, cutoff).unwrap()), ["reports/20260101-0000_report_users.csv"]);
    }

    #[test]
    fn names_split_at_the_last_dot() {
        assert_eq!(split_ext("users.csv"), ("users", Some("csv")));
        assert_eq!(split_ext("a.tar.csv"), ("a.tar", Some("csv")));
        assert_eq!(split_ext("users"), ("users", None));
        assert_eq!(split_ext(".hidden"), (".hidden", None));
        assert_eq!(with_suffix("users.csv", "-tryback-failed"), "users-tryback-failed.csv");
        assert_eq!(with_suffix("users", "-2"), "users-2");
    }

    #[test]
    fn locations_resolve_inside_the_area() {
        let dir = tempfile::tempdir().unwrap();
        let area = FileArea::new(dir.path());
        area.ensure().unwrap();
        assert_eq!(area.resolve("", "userimport.csv").unwrap(), dir.path().join("userimport.csv"));
        assert_eq!(area.resolve("/in/u.csv", "x").unwrap(), dir.path().join("in/u.csv"));
        assert!(matches!(area.resolve("../etc/passwd", "x"), Err(AreaError::Outside(..))));
        assert!(matches!(area.resolve("https://erp/u.csv", "x"), Err(AreaError::Remote(_))));
        assert!(matches!(area.resolve("u*.csv", "x"), Err(AreaError::Wildcard(_))));
        fs::write(dir.path().join("b.csv"), "x").unwrap();
        assert_eq!(area.resolve("a.csv, b.csv", "x").unwrap(), dir.path().join("b.csv"));
        assert_eq!(area.resolve("a.csv,c.csv", "x").unwrap(), dir.path().join("a.csv"));
    }

    #[test]
    fn unique_paths_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("r.txt"), "1").unwrap();
        fs::write(dir.path().join("r-2.txt"), "2").unwrap();
        assert_eq!(FileArea::unique_path(dir.path(), "r.txt"), dir.path().join("r-3.txt"));
    }

    #[test]
    fn adopt_copies_outside_files_and_keeps_inside_ones() {
        let area_dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let area = FileArea::new(area_dir.path());
        area.ensure().unwrap();
        let src = outside.path().join("users.csv");
        fs::write(&src, "username\n").unwrap();
        let adopted = area.adopt(&src).unwrap();
        assert_eq!(adopted, area_dir.path().join("users.csv"));
        assert!(src.exists(), "the original stays where it was");
        let again = area.adopt(&adopted).unwrap();
        assert_eq!(again, adopted.canonicalize().unwrap());
    }
}
