//! Unit tests of the backup layout: escaping, ids and sequences, and what Moodle's restore looks for.

use super::*;
use crate::{Activity, Section};

fn course() -> CourseStructure {
    CourseStructure {
        shortname: "S<1>".into(),
        format: "topics".into(),
        sections: vec![
            Section { number: 0, name: None, summary: String::new(), visible: true },
            Section { number: 1, name: Some("One".into()), summary: String::new(), visible: true },
        ],
        activities: vec![
            Activity { modname: "forum".into(), name: "A".into(), section: 1, ..Activity::default() },
            Activity { modname: "url".into(), name: "B".into(), section: 0, ..Activity::default() },
            Activity { modname: "page".into(), name: "C".into(), section: 1, ..Activity::default() },
        ],
        ..CourseStructure::default()
    }
}

fn doc(docs: &[(String, Vec<u8>)], name: &str) -> String {
    match docs.iter().find(|(n, _)| n == name) {
        Some((_, bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        None => panic!("{name} not written"),
    }
}

#[test]
fn escaping_keeps_text_exact_and_drops_what_xml_cannot_hold() {
    assert_eq!(escape_text("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    assert_eq!(escape_text("x\r\ny\tz"), "x&#13;\ny\tz");
    assert_eq!(escape_text("\u{0}\u{1f}\u{fffe}ok é"), "ok é");
}

#[test]
fn sequences_list_module_ids_per_section() {
    let p = plan(&course());
    assert_eq!(p.section_ids, vec!["1", "2"]);
    assert_eq!(p.sequences, vec![vec!["2".to_string()], vec!["1".to_string(), "3".to_string()]]);
    assert_eq!(p.modules[0], ("1".to_string(), "activities/forum_1".to_string(), "2".to_string()));
}

#[test]
fn moodle_backup_lists_contents_and_settings() {
    let docs = documents(&course(), "b.mbz", 42).expect("docs");
    let xml = doc(&docs, "moodle_backup.xml");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<moodle_backup>"), "{xml}");
    for needle in [
        "<original_course_shortname>S&lt;1&gt;</original_course_shortname>",
        "<backup_version>2020061500</backup_version>",
        "<directory>activities/url_2</directory>",
        "<directory>sections/section_2</directory>",
        "<name>forum_1_included</name>",
        "<name>section_1_userinfo</name>",
        "<name>filename</name>",
        "<value>b.mbz</value>",
    ] {
        assert!(xml.contains(needle), "{needle} not in {xml}");
    }
}

#[test]
fn section_and_module_files_carry_the_details() {
    let docs = documents(&course(), "b.mbz", 42).expect("docs");
    let section = doc(&docs, "sections/section_1/section.xml");
    assert!(section.contains("<name>$@NULL@$</name>") && section.contains("<sequence>2</sequence>"), "{section}");
    let module = doc(&docs, "activities/page_3/module.xml");
    assert!(module.contains("<modulename>page</modulename>") && module.contains("<sectionid>2</sectionid>"));
    let page = doc(&docs, "activities/page_3/page.xml");
    assert!(
        page.contains("<activity id=\"3\" moduleid=\"3\" modulename=\"page\" contextid=\"5\"")
            && page.contains("<name>C</name>")
    );
    // Every written file parses.
    for (name, bytes) in &docs {
        assert!(crate::xml::parse(name, bytes, 16).is_ok(), "{name}");
    }
}
