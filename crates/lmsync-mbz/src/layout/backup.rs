//! Writes moodle_backup.xml, the backup's table of contents: where the course, sections and activities are, and
//! the settings Moodle's restore builds its plan from.

use super::*;

/// Root settings of a course backup without user data, as Moodle's "backup without users" writes them.
const ROOT_SETTINGS: &[(&str, &str)] = &[
    ("imscc11", "0"),
    ("users", "0"),
    ("anonymize", "0"),
    ("role_assignments", "0"),
    ("activities", "1"),
    ("blocks", "0"),
    ("filters", "0"),
    ("comments", "0"),
    ("badges", "0"),
    ("calendarevents", "0"),
    ("userscompletion", "0"),
    ("logs", "0"),
    ("grade_histories", "0"),
    ("questionbank", "0"),
    ("groups", "0"),
    ("competencies", "0"),
    ("customfield", "0"),
    ("contentbankcontent", "0"),
    ("legacyfiles", "0"),
];

fn setting(x: &mut Xml, level: &str, owner: Option<(&str, &str)>, name: &str, value: &str) -> io::Result<()> {
    x.open("setting", &[])?;
    x.leaf("level", level)?;
    if let Some((tag, owner)) = owner {
        x.leaf(tag, owner)?;
    }
    x.leaves(&[("name", name), ("value", value)])?;
    x.close("setting")
}

pub(super) fn moodle_backup(c: &CourseStructure, plan: &Plan, file_name: &str, now: i64) -> io::Result<Vec<u8>> {
    let mut x = Xml::new()?;
    x.open("moodle_backup", &[])?;
    x.open("information", &[])?;
    x.leaves(&[
        ("name", file_name),
        ("moodle_version", MOODLE_VERSION),
        ("moodle_release", MOODLE_RELEASE),
        ("backup_version", MOODLE_VERSION),
        ("backup_release", BACKUP_RELEASE),
        ("backup_date", &now.to_string()),
        ("mnet_remoteusers", "0"),
        ("include_files", "1"),
        ("include_file_references_to_external_content", "0"),
        ("original_wwwroot", ORIGIN_WWWROOT),
        ("original_site_identifier_hash", ORIGIN_SITE_HASH),
        ("original_course_id", COURSE_ID),
        ("original_course_format", &c.format),
        ("original_course_fullname", &c.fullname),
        ("original_course_shortname", &c.shortname),
        ("original_course_startdate", &c.startdate.to_string()),
        ("original_course_enddate", &c.enddate.to_string()),
        ("original_course_contextid", COURSE_CONTEXT_ID),
        ("original_system_contextid", "1"),
    ])?;
    x.open("details", &[])?;
    x.open("detail", &[("backup_id", &backup_id(c, now))])?;
    x.leaves(&[
        ("type", "course"),
        ("format", "moodle2"),
        ("interactive", "1"),
        ("mode", "10"),
        ("execution", "1"),
        ("executiontime", "0"),
    ])?;
    x.close("detail")?;
    x.close("details")?;

    x.open("contents", &[])?;
    x.open("activities", &[])?;
    for (activity, (id, dir, section_id)) in c.activities.iter().zip(&plan.modules) {
        x.open("activity", &[])?;
        x.leaves(&[
            ("moduleid", id),
            ("sectionid", section_id),
            ("modulename", &activity.modname),
            ("title", &activity.name),
            ("directory", dir),
        ])?;
        x.close("activity")?;
    }
    x.close("activities")?;
    x.open("sections", &[])?;
    for (section, id) in c.sections.iter().zip(&plan.section_ids) {
        x.open("section", &[])?;
        x.leaves(&[
            ("sectionid", id),
            ("title", &section.number.to_string()),
            ("directory", &format!("sections/section_{id}")),
        ])?;
        x.close("section")?;
    }
    x.close("sections")?;
    x.open("course", &[])?;
    x.leaves(&[("courseid", COURSE_ID), ("title", &c.shortname), ("directory", "course")])?;
    x.close("course")?;
    x.close("contents")?;

    x.open("settings", &[])?;
    setting(&mut x, "root", None, "filename", file_name)?;
    for (name, value) in ROOT_SETTINGS {
        setting(&mut x, "root", None, name, value)?;
    }
    for id in &plan.section_ids {
        let owner = format!("section_{id}");
        setting(&mut x, "section", Some(("section", &owner)), &format!("{owner}_included"), "1")?;
        setting(&mut x, "section", Some(("section", &owner)), &format!("{owner}_userinfo"), "0")?;
    }
    for (activity, (id, _, _)) in c.activities.iter().zip(&plan.modules) {
        // Moodle names activity settings after the module name and id as listed in contents.
        let owner = format!("{}_{id}", activity.modname);
        setting(&mut x, "activity", Some(("activity", &owner)), &format!("{owner}_included"), "1")?;
        setting(&mut x, "activity", Some(("activity", &owner)), &format!("{owner}_userinfo"), "0")?;
    }
    x.close("settings")?;
    x.close("information")?;
    x.close("moodle_backup")?;
    Ok(x.finish())
}
