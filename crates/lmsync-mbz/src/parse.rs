//! Turns the XML entries of a backup into a [`CourseStructure`]: moodle_backup.xml lists the sections and
//! activities and where they are, the per-item files hold their details, and section sequences give the order.

use std::collections::HashMap;
use std::str::FromStr;

use crate::archive::Entries;
use crate::entry_name::normalise;
use crate::xml::{self, Element};
use crate::{Activity, CourseStructure, MbzError, Section};

pub(crate) const BACKUP_XML: &str = "moodle_backup.xml";
pub(crate) const COURSE_XML: &str = "course/course.xml";

/// Moodle's defaults for a course (`moodlecourse` settings) when course.xml leaves a field out.
const DEFAULT_FORMAT: &str = "topics";
const DEFAULT_NEWSITEMS: i64 = 5;

/// Loads and parses an entry that must exist, checking its root element.
fn load(entries: &Entries, entry: &str, root: &str, keep_depth: usize) -> Result<Element, MbzError> {
    let bytes = entries.get(entry).ok_or_else(|| MbzError::missing(entry))?;
    let el = xml::parse(entry, bytes, keep_depth)?;
    if el.name != root {
        return Err(MbzError::bad_xml(entry, format!("the root element is <{}>, expected <{root}>", el.name)));
    }
    Ok(el)
}

fn text(el: &Element, name: &str) -> Option<String> {
    el.text_of(name).map(str::to_string)
}

/// A numeric child; empty, absent and NULL all mean "not given".
fn number<T: FromStr>(entry: &str, el: &Element, name: &str) -> Result<Option<T>, MbzError> {
    match el.text_of(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|_| MbzError::bad_xml(entry, format!("<{name}> should be a whole number, not {raw:?}"))),
    }
}

/// Moodle stores flags as 0/1; any other number counts as set, as PHP's truthiness does.
fn flag(entry: &str, el: &Element, name: &str) -> Result<Option<bool>, MbzError> {
    Ok(number::<i64>(entry, el, name)?.map(|v| v != 0))
}

/// The entry path of a file inside a directory named by moodle_backup.xml.
fn in_dir(dir: &str, file: &str) -> Result<String, MbzError> {
    Ok(match normalise(dir.trim())? {
        Some(dir) => format!("{dir}/{file}"),
        None => file.to_string(),
    })
}

fn directory<'a>(item: &'a Element, kind: &str) -> Result<&'a str, MbzError> {
    item.text_of("directory")
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| MbzError::bad_xml(BACKUP_XML, format!("a listed {kind} has no <directory>")))
}

pub(crate) fn course(entries: &Entries) -> Result<CourseStructure, MbzError> {
    let bytes =
        entries.get(BACKUP_XML).ok_or_else(|| MbzError::not_a_backup("the archive has no moodle_backup.xml"))?;
    let backup = xml::parse(BACKUP_XML, bytes, 6)?;
    if backup.name != "moodle_backup" {
        return Err(MbzError::not_a_backup(format!("moodle_backup.xml holds <{}>, not <moodle_backup>", backup.name)));
    }
    let info = backup.child("information").cloned().unwrap_or_default();
    let c = load(entries, COURSE_XML, "course", 2)?;
    let b = BACKUP_XML;

    let sections = sections(entries, &info)?;
    let activities = activities(entries, &info, &sections)?;
    Ok(CourseStructure {
        shortname: text(&c, "shortname").or_else(|| text(&info, "original_course_shortname")).unwrap_or_default(),
        fullname: text(&c, "fullname").or_else(|| text(&info, "original_course_fullname")).unwrap_or_default(),
        idnumber: text(&c, "idnumber").unwrap_or_default(),
        summary: text(&c, "summary").unwrap_or_default(),
        format: text(&c, "format")
            .or_else(|| text(&info, "original_course_format"))
            .unwrap_or_else(|| DEFAULT_FORMAT.to_string()),
        startdate: match number(COURSE_XML, &c, "startdate")? {
            Some(v) => v,
            None => number(b, &info, "original_course_startdate")?.unwrap_or(0),
        },
        enddate: match number(COURSE_XML, &c, "enddate")? {
            Some(v) => v,
            None => number(b, &info, "original_course_enddate")?.unwrap_or(0),
        },
        visible: flag(COURSE_XML, &c, "visible")?.unwrap_or(true),
        lang: text(&c, "lang").unwrap_or_default(),
        showgrades: flag(COURSE_XML, &c, "showgrades")?.unwrap_or(true),
        newsitems: number(COURSE_XML, &c, "newsitems")?.unwrap_or(DEFAULT_NEWSITEMS),
        groupmode: number(COURSE_XML, &c, "groupmode")?.unwrap_or(0),
        groupmodeforce: flag(COURSE_XML, &c, "groupmodeforce")?.unwrap_or(false),
        enablecompletion: flag(COURSE_XML, &c, "enablecompletion")?.unwrap_or(false),
        sections: sections.into_iter().map(|s| s.section).collect(),
        activities,
    })
}

struct ListedSection {
    /// The section's id in the source site, as moodle_backup.xml and module.xml refer to it.
    backup_id: Option<String>,
    sequence: Vec<String>,
    section: Section,
}

fn sections(entries: &Entries, info: &Element) -> Result<Vec<ListedSection>, MbzError> {
    let mut out = Vec::new();
    let Some(list) = info.at(&["contents", "sections"]) else { return Ok(out) };
    for item in list.children_named("section") {
        let entry = in_dir(directory(item, "section")?, "section.xml")?;
        let s = load(entries, &entry, "section", 2)?;
        let sequence = s.text_of("sequence").unwrap_or_default();
        out.push(ListedSection {
            backup_id: item.text_of("sectionid").map(|id| id.trim().to_string()),
            sequence: sequence.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_string).collect(),
            section: Section {
                number: number(&entry, &s, "number")?.unwrap_or(0),
                // Present but NULL is Moodle's "default name"; text_of already maps the marker to None.
                name: text(&s, "name"),
                summary: text(&s, "summary").unwrap_or_default(),
                visible: flag(&entry, &s, "visible")?.unwrap_or(true),
            },
        });
    }
    // Stable: sections sharing a number (never in a sane backup) keep their listed order.
    out.sort_by_key(|s| s.section.number);
    Ok(out)
}

/// Moodle plugin names are plain identifiers; anything else cannot name a file or an element.
pub(crate) fn is_plugin_name(modname: &str) -> bool {
    !modname.is_empty() && modname.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The activity's own name from `<modname>.xml` (`<activity><modname><name>`), if that file says.
fn activity_name(entries: &Entries, dir: &str, modname: &str) -> Result<Option<String>, MbzError> {
    if !is_plugin_name(modname) {
        return Ok(None);
    }
    let entry = in_dir(dir, &format!("{modname}.xml"))?;
    if entries.get(&entry).is_none() {
        return Ok(None);
    }
    let doc = load(entries, &entry, "activity", 3)?;
    Ok(doc.child(modname).and_then(|m| text(m, "name")))
}

fn activities(entries: &Entries, info: &Element, sections: &[ListedSection]) -> Result<Vec<Activity>, MbzError> {
    let Some(list) = info.at(&["contents", "activities"]) else { return Ok(Vec::new()) };
    let section_numbers: HashMap<&str, u32> =
        sections.iter().filter_map(|s| Some((s.backup_id.as_deref()?, s.section.number))).collect();

    let mut listed: Vec<(String, Activity)> = Vec::new();
    for item in list.children_named("activity") {
        let dir = directory(item, "activity")?;
        let entry = in_dir(dir, "module.xml")?;
        let m = load(entries, &entry, "module", 2)?;
        let modname = text(&m, "modulename").or_else(|| text(item, "modulename")).unwrap_or_default();
        let section = match number(&entry, &m, "sectionnumber")? {
            Some(n) => n,
            None => {
                let id = m.text_of("sectionid").or_else(|| item.text_of("sectionid")).map(str::trim);
                id.and_then(|id| section_numbers.get(id).copied()).unwrap_or(0)
            }
        };
        let name = match activity_name(entries, dir, &modname)? {
            Some(name) => name,
            None => text(item, "title").unwrap_or_default(),
        };
        let moduleid = item.text_of("moduleid").map(|id| id.trim().to_string()).unwrap_or_default();
        let activity = Activity {
            name,
            section,
            idnumber: text(&m, "idnumber").unwrap_or_default(),
            visible: flag(&entry, &m, "visible")?.unwrap_or(true),
            modname,
        };
        listed.push((moduleid, activity));
    }
    Ok(in_section_order(listed, sections))
}

/// Orders activities as the course page shows them: by section, then by the section's sequence. Activities no
/// sequence mentions follow in the order moodle_backup.xml lists them, so none is lost.
fn in_section_order(listed: Vec<(String, Activity)>, sections: &[ListedSection]) -> Vec<Activity> {
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (index, (id, _)) in listed.iter().enumerate() {
        by_id.entry(id.as_str()).or_insert(index);
    }
    let mut order = Vec::with_capacity(listed.len());
    let mut placed = vec![false; listed.len()];
    for id in sections.iter().flat_map(|s| s.sequence.iter()) {
        if let Some(&index) = by_id.get(id.as_str())
            && !placed[index]
        {
            placed[index] = true;
            order.push(index);
        }
    }
    order.extend((0..listed.len()).filter(|&i| !placed[i]));
    let mut slots: Vec<Option<Activity>> = listed.into_iter().map(|(_, a)| Some(a)).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests;
