//! Course templates (DECISIONS §5): a course shortname — the newest backup in that course's
//! backup folder (`files/backups/course_<id>/`), else a live copy of its structure — or an
//! `.mbz` file inside the file area, read with the Moodle backup reader.

use lmsync_mbz::{CourseStructure, Limits};
use lmsync_model::course::TemplateRef;
use lmsync_model::{Activity, Course, Section};
use std::path::{Component, Path, PathBuf};

/// What a template gives a course: settings (format, summary, …), sections and activities.
pub(super) struct Template {
    pub settings: Course,
    pub sections: Vec<Section>,
    pub activities: Vec<Activity>,
    /// Where it was read from (passed on to targets that copy content themselves).
    pub source: TemplateRef,
}

/// Where `lmsync courses backup` writes a course's backups, and templates look for them.
pub fn backup_dir(area_root: &Path, course_id: i64) -> PathBuf {
    area_root.join("backups").join(format!("course_{course_id}"))
}

/// The newest `.mbz` of a course's backup folder (names start with their stamp).
pub(super) fn newest_backup(area_root: &Path, course_id: i64) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(backup_dir(area_root, course_id))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("mbz")))
        .collect();
    found.sort();
    found.pop()
}

/// The settings of a course a template passes on (never its names or idnumber).
pub(super) fn settings_of(c: &Course) -> Course {
    Course {
        format: c.format.clone(),
        summary: c.summary.clone(),
        showgrades: c.showgrades,
        newsitems: c.newsitems,
        groupmode: c.groupmode,
        groupmodeforce: c.groupmodeforce,
        enablecompletion: c.enablecompletion,
        lang: c.lang.clone(),
        visible: c.visible,
        ..Default::default()
    }
}

pub(super) fn from_structure(s: CourseStructure, source: TemplateRef) -> Template {
    let settings = Course {
        format: if s.format.is_empty() { "topics".into() } else { s.format },
        summary: s.summary,
        showgrades: s.showgrades,
        newsitems: s.newsitems,
        groupmode: s.groupmode,
        groupmodeforce: s.groupmodeforce,
        enablecompletion: s.enablecompletion,
        lang: s.lang,
        visible: s.visible,
        ..Default::default()
    };
    Template {
        settings,
        sections: s
            .sections
            .into_iter()
            .map(|x| Section { number: x.number, name: x.name, summary: x.summary, visible: x.visible })
            .collect(),
        activities: s
            .activities
            .into_iter()
            .map(|a| Activity {
                modname: a.modname,
                name: a.name,
                section: a.section,
                idnumber: a.idnumber,
                visible: a.visible,
            })
            .collect(),
        source,
    }
}

/// Reads a backup; errors carry the tool_sync code (-22 file missing, -24 unreadable archive).
pub(super) fn read(path: &Path, shown: &str) -> Result<Template, (&'static str, String)> {
    lmsync_mbz::read_mbz(path, &Limits::default())
        .map(|s| from_structure(s, TemplateRef::Backup(shown.to_string())))
        .map_err(|e| ("course.template_backup", format!("template {shown}: error {}, {e}", e.code())))
}

/// An `.mbz` named in a file: a path inside the file area, never elsewhere on the server.
pub(super) fn area_path(area_root: &Path, value: &str) -> Result<PathBuf, (&'static str, String)> {
    let rel = Path::new(value.trim_start_matches('/'));
    if value.contains(':') || rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err((
            "course.template_backup",
            format!("template {value}: error -22, a backup template must be a path inside the file area"),
        ));
    }
    let path = area_root.join(rel);
    if !path.is_file() {
        return Err(("course.template_backup", format!("template {value}: error -22, no such file in the file area")));
    }
    Ok(path)
}

/// A course's structure as a backup, for `lmsync courses backup`.
pub fn to_structure(c: &Course, sections: Vec<Section>, activities: Vec<Activity>) -> CourseStructure {
    CourseStructure {
        shortname: c.shortname.clone(),
        fullname: c.fullname.clone(),
        idnumber: c.idnumber.clone(),
        summary: c.summary.clone(),
        format: c.format.clone(),
        startdate: c.startdate,
        enddate: c.enddate,
        visible: c.visible,
        lang: c.lang.clone(),
        showgrades: c.showgrades,
        newsitems: c.newsitems,
        groupmode: c.groupmode,
        groupmodeforce: c.groupmodeforce,
        enablecompletion: c.enablecompletion,
        sections: sections
            .into_iter()
            .map(|s| lmsync_mbz::Section { number: s.number, name: s.name, summary: s.summary, visible: s.visible })
            .collect(),
        activities: activities
            .into_iter()
            .map(|a| lmsync_mbz::Activity {
                modname: a.modname,
                name: a.name,
                section: a.section,
                idnumber: a.idnumber,
                visible: a.visible,
            })
            .collect(),
    }
}
