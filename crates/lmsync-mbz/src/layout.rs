//! Lays a [`CourseStructure`] out as the XML files of a Moodle 3.9-style course backup, so the reader (and,
//! ideally, Moodle's restore) finds everything where a real backup keeps it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::parse::{BACKUP_XML, COURSE_XML, is_plugin_name};
use crate::xml::NULL_MARKER;
use crate::{CourseStructure, companions};

/// The Moodle release whose backup format is written; later releases restore it too.
const MOODLE_VERSION: &str = "2020061500";
const MOODLE_RELEASE: &str = "3.9 (Build: 20200615)";
const BACKUP_RELEASE: &str = "3.9";
/// Where a backup made by lmsync says it comes from (a reserved, never-resolving name).
const ORIGIN_WWWROOT: &str = "https://lmsync.invalid";
/// Hex of "lmsync-site-hash": stable, so all lmsync backups look like one source site to Moodle.
const ORIGIN_SITE_HASH: &str = "6c6d73796e632d736974652d68617368";
const COURSE_ID: &str = "1";
const COURSE_CONTEXT_ID: &str = "2";

/// Drops what XML 1.0 cannot carry and escapes markup; `\r` becomes a reference because parsers turn a literal
/// one into `\n`.
pub(crate) fn escape_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

struct Xml {
    w: Writer<Vec<u8>>,
}

impl Xml {
    fn new() -> io::Result<Self> {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(Xml { w })
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        for attr in attrs {
            start.push_attribute(*attr);
        }
        self.w.write_event(Event::Start(start))
    }

    fn close(&mut self, name: &str) -> io::Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }

    fn leaf(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.w.create_element(name).write_text_content(BytesText::from_escaped(escape_text(text)))?;
        Ok(())
    }

    fn leaves(&mut self, pairs: &[(&str, &str)]) -> io::Result<()> {
        pairs.iter().try_for_each(|(name, text)| self.leaf(name, text))
    }

    fn finish(self) -> Vec<u8> {
        let mut bytes = self.w.into_inner();
        bytes.push(b'\n');
        bytes
    }
}

fn flag(v: bool) -> &'static str {
    if v { "1" } else { "0" }
}

/// Ids and directories given to the course's sections and activities in the backup.
struct Plan {
    /// Section id, per section in input order.
    section_ids: Vec<String>,
    /// Module id, directory and section id, per activity in input order.
    modules: Vec<(String, String, String)>,
    /// Per section, the module ids it shows, in order.
    sequences: Vec<Vec<String>>,
}

fn plan(course: &CourseStructure) -> Plan {
    let section_ids: Vec<String> = (1..=course.sections.len()).map(|i| i.to_string()).collect();
    let mut sequences = vec![Vec::new(); course.sections.len()];
    let mut modules = Vec::with_capacity(course.activities.len());
    for (index, activity) in course.activities.iter().enumerate() {
        let id = (index + 1).to_string();
        // A plugin name is the directory's prefix in Moodle; anything else could not be a path segment.
        let prefix = if is_plugin_name(&activity.modname) { activity.modname.as_str() } else { "activity" };
        let dir = format!("activities/{prefix}_{id}");
        let section = course.sections.iter().position(|s| s.number == activity.section);
        let section_id = match section {
            Some(s) => {
                sequences[s].push(id.clone());
                section_ids[s].clone()
            }
            // No such section: the activity still travels, outside every sequence.
            None => "0".to_string(),
        };
        modules.push((id, dir, section_id));
    }
    Plan { section_ids, modules, sequences }
}

/// A stable-looking unique id for the backup, as Moodle keeps one per backup operation.
fn backup_id(course: &CourseStructure, now: i64) -> String {
    let mut a = DefaultHasher::new();
    (&course.shortname, now, 1u8).hash(&mut a);
    let mut b = DefaultHasher::new();
    (&course.shortname, now, 2u8).hash(&mut b);
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// All files of the backup as (entry name, content), `file_name` being the archive's own name.
pub(crate) fn documents(course: &CourseStructure, file_name: &str, now: i64) -> io::Result<Vec<(String, Vec<u8>)>> {
    let plan = plan(course);
    let now_s = now.to_string();
    let mut docs = vec![(BACKUP_XML.to_string(), moodle_backup(course, &plan, file_name, now)?)];
    docs.push((COURSE_XML.to_string(), course_xml(course, &now_s)?));
    docs.extend(companions::course_level());
    for (i, section) in course.sections.iter().enumerate() {
        let dir = format!("sections/section_{}", plan.section_ids[i]);
        let mut x = Xml::new()?;
        x.open("section", &[("id", &plan.section_ids[i])])?;
        x.leaves(&[
            ("number", &section.number.to_string()),
            ("name", section.name.as_deref().unwrap_or(NULL_MARKER)),
            ("summary", &section.summary),
            ("summaryformat", "1"),
            ("sequence", &plan.sequences[i].join(",")),
            ("visible", flag(section.visible)),
            ("availabilityjson", NULL_MARKER),
            ("timemodified", &now_s),
        ])?;
        x.close("section")?;
        docs.push((format!("{dir}/section.xml"), x.finish()));
        docs.extend(companions::section_level(&dir));
    }
    for (index, (activity, (id, dir, section_id))) in course.activities.iter().zip(&plan.modules).enumerate() {
        let mut x = Xml::new()?;
        x.open("module", &[("id", id), ("version", MOODLE_VERSION)])?;
        x.leaves(&[
            ("modulename", &activity.modname),
            ("sectionid", section_id),
            ("sectionnumber", &activity.section.to_string()),
            ("idnumber", &activity.idnumber),
            ("added", &now_s),
            ("score", "0"),
            ("indent", "0"),
            ("visible", flag(activity.visible)),
            ("visibleoncoursepage", "1"),
            ("visibleold", flag(activity.visible)),
            ("groupmode", "0"),
            ("groupingid", "0"),
            ("completion", "0"),
            ("completiongradeitemnumber", NULL_MARKER),
            ("completionview", "0"),
            ("completionexpected", "0"),
            ("availability", NULL_MARKER),
            ("showdescription", "0"),
        ])?;
        x.open("tags", &[])?;
        x.close("tags")?;
        x.close("module")?;
        docs.push((format!("{dir}/module.xml"), x.finish()));
        if is_plugin_name(&activity.modname) {
            let m = activity.modname.as_str();
            // Context ids must not collide with the system (1) and course (2) contexts: restore maps them.
            let context = (index + 3).to_string();
            let mut x = Xml::new()?;
            x.open("activity", &[("id", id), ("moduleid", id), ("modulename", m), ("contextid", &context)])?;
            x.open(m, &[("id", id)])?;
            x.leaves(&[("name", &activity.name), ("intro", ""), ("introformat", "1"), ("timemodified", &now_s)])?;
            x.close(m)?;
            x.close("activity")?;
            docs.push((format!("{dir}/{m}.xml"), x.finish()));
        }
        docs.extend(companions::activity_level(dir));
    }
    docs.extend(companions::root_level());
    Ok(docs)
}

fn course_xml(c: &CourseStructure, now: &str) -> io::Result<Vec<u8>> {
    let mut x = Xml::new()?;
    x.open("course", &[("id", COURSE_ID), ("contextid", COURSE_CONTEXT_ID)])?;
    x.leaves(&[
        ("shortname", &c.shortname),
        ("fullname", &c.fullname),
        ("idnumber", &c.idnumber),
        ("summary", &c.summary),
        ("summaryformat", "1"),
        ("format", &c.format),
        ("showgrades", flag(c.showgrades)),
        ("newsitems", &c.newsitems.to_string()),
        ("startdate", &c.startdate.to_string()),
        ("enddate", &c.enddate.to_string()),
        ("relativedatesmode", "0"),
        ("marker", "0"),
        ("maxbytes", "0"),
        ("legacyfiles", "0"),
        ("showreports", "0"),
        ("visible", flag(c.visible)),
        ("groupmode", &c.groupmode.to_string()),
        ("groupmodeforce", flag(c.groupmodeforce)),
        ("defaultgroupingid", "0"),
        ("lang", &c.lang),
        ("theme", ""),
        ("timecreated", now),
        ("timemodified", now),
        ("requested", "0"),
        ("enablecompletion", flag(c.enablecompletion)),
        ("completionnotify", "0"),
    ])?;
    x.open("category", &[("id", "1")])?;
    x.leaves(&[("name", "Miscellaneous"), ("description", NULL_MARKER)])?;
    x.close("category")?;
    x.open("tags", &[])?;
    x.close("tags")?;
    x.close("course")?;
    Ok(x.finish())
}

mod backup;
use backup::moodle_backup;

#[cfg(test)]
mod tests;
