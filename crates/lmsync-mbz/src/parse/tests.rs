//! Unit tests of the structure reader, on entries built in memory (no archive involved).

use super::*;

fn entries(files: &[(&str, &str)]) -> Entries {
    let mut e = Entries::default();
    for (name, text) in files {
        e.insert(name.to_string(), text.as_bytes().to_vec()).expect("unique names");
    }
    e
}

const BACKUP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<moodle_backup>
  <information>
    <original_course_fullname>Backup full</original_course_fullname>
    <original_course_shortname>BK</original_course_shortname>
    <original_course_format>weeks</original_course_format>
    <original_course_startdate>1600000000</original_course_startdate>
    <contents>
      <activities>
        <activity><moduleid>7</moduleid><sectionid>20</sectionid><modulename>page</modulename>
          <title>Page title</title><directory>activities/page_7</directory></activity>
        <activity><moduleid>5</moduleid><sectionid>10</sectionid><modulename>forum</modulename>
          <title>News title</title><directory>activities/forum_5</directory></activity>
        <activity><moduleid>9</moduleid><sectionid>99</sectionid><modulename>url</modulename>
          <title>Stray</title><directory>activities/url_9</directory></activity>
      </activities>
      <sections>
        <section><sectionid>20</sectionid><title>1</title><directory>sections/section_20</directory></section>
        <section><sectionid>10</sectionid><title>0</title><directory>sections/section_10/</directory></section>
      </sections>
    </contents>
  </information>
</moodle_backup>"#;

fn full_set<'a>(course: &'a str, extra: &[(&'a str, &'a str)]) -> Entries {
    let mut files = vec![
        ("moodle_backup.xml", BACKUP),
        ("course/course.xml", course),
        (
            "sections/section_10/section.xml",
            "<section id=\"10\"><number>0</number><name>$@NULL@$</name><summary></summary><sequence>5</sequence>\
             <visible>1</visible></section>",
        ),
        (
            "sections/section_20/section.xml",
            "<section id=\"20\"><number>1</number><name> Week &amp; one </name><summary>s</summary>\
             <sequence>7,404</sequence><visible>0</visible></section>",
        ),
        (
            "activities/forum_5/module.xml",
            "<module><modulename>forum</modulename><sectionnumber>0</sectionnumber></module>",
        ),
        ("activities/forum_5/forum.xml", "<activity><forum id=\"1\"><name>Announcements</name></forum></activity>"),
        ("activities/page_7/module.xml", "<module><idnumber>P7</idnumber><visible>0</visible></module>"),
        ("activities/url_9/module.xml", "<module><modulename>url</modulename><idnumber>$@NULL@$</idnumber></module>"),
    ];
    files.extend_from_slice(extra);
    entries(&files)
}

#[test]
fn a_sparse_course_takes_backup_information_and_defaults() {
    let c = course(&full_set("<course/>", &[])).expect("read");
    assert_eq!(c.shortname, "BK");
    assert_eq!(c.fullname, "Backup full");
    assert_eq!(c.format, "weeks");
    assert_eq!(c.startdate, 1_600_000_000);
    assert_eq!((c.enddate, c.visible, c.showgrades, c.newsitems), (0, true, true, 5));
    assert_eq!((c.groupmode, c.groupmodeforce, c.enablecompletion), (0, false, false));
}

#[test]
fn sections_are_sorted_and_keep_null_names_apart() {
    let c = course(&full_set("<course/>", &[])).expect("read");
    let got: Vec<(u32, Option<&str>, bool)> =
        c.sections.iter().map(|s| (s.number, s.name.as_deref(), s.visible)).collect();
    assert_eq!(got, vec![(0, None, true), (1, Some(" Week & one "), false)]);
}

#[test]
fn activities_follow_sections_then_sequences_then_the_rest() {
    let c = course(&full_set("<course/>", &[])).expect("read");
    let got: Vec<(&str, &str, u32, &str, bool)> = c
        .activities
        .iter()
        .map(|a| (a.modname.as_str(), a.name.as_str(), a.section, a.idnumber.as_str(), a.visible))
        .collect();
    assert_eq!(
        got,
        vec![
            // Name from forum.xml, not the title.
            ("forum", "Announcements", 0, "", true),
            // modulename and section number missing from module.xml: taken from moodle_backup.xml.
            ("page", "Page title", 1, "P7", false),
            // In no sequence and in an unknown section: kept, at the end.
            ("url", "Stray", 0, "", true),
        ]
    );
}

#[test]
fn course_fields_override_backup_information() {
    let xml = "<course><shortname>S</shortname><fullname>F</fullname><format>topics</format>\
               <startdate> 5 </startdate><enddate>6</enddate><visible>0</visible><newsitems>0</newsitems>\
               <groupmode>2</groupmode><groupmodeforce>1</groupmodeforce><enablecompletion>1</enablecompletion>\
               <showgrades>0</showgrades><lang>de</lang><idnumber>ID</idnumber><summary>&lt;p&gt;x&lt;/p&gt;</summary>\
               <category id=\"1\"><name>Misc</name></category></course>";
    let c = course(&full_set(xml, &[])).expect("read");
    assert_eq!((c.shortname.as_str(), c.fullname.as_str(), c.format.as_str()), ("S", "F", "topics"));
    assert_eq!((c.startdate, c.enddate, c.visible, c.newsitems, c.groupmode), (5, 6, false, 0, 2));
    assert!(c.groupmodeforce && c.enablecompletion && !c.showgrades);
    assert_eq!((c.lang.as_str(), c.idnumber.as_str(), c.summary.as_str()), ("de", "ID", "<p>x</p>"));
}

#[test]
fn a_non_number_is_bad_xml_in_its_entry() {
    match course(&full_set("<course><startdate>soon</startdate></course>", &[])) {
        Err(MbzError::BadXml { entry, reason }) => {
            assert_eq!(entry, "course/course.xml");
            assert!(reason.contains("startdate"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_files_are_named() {
    let e = entries(&[("moodle_backup.xml", BACKUP)]);
    assert!(matches!(course(&e), Err(MbzError::MissingEntry { ref entry }) if entry == "course/course.xml"));

    let only_course = entries(&[("moodle_backup.xml", BACKUP), ("course/course.xml", "<course/>")]);
    assert!(matches!(course(&only_course), Err(MbzError::MissingEntry { ref entry })
        if entry == "sections/section_20/section.xml"));

    assert!(matches!(course(&entries(&[("course/course.xml", "<course/>")])), Err(MbzError::NotABackup { .. })));
}

#[test]
fn wrong_roots_are_refused() {
    let e = entries(&[("moodle_backup.xml", "<html/>"), ("course/course.xml", "<course/>")]);
    assert!(matches!(course(&e), Err(MbzError::NotABackup { .. })));
    let e = full_set("<section/>", &[]);
    assert!(matches!(course(&e), Err(MbzError::BadXml { ref entry, .. }) if entry == "course/course.xml"));
}

#[test]
fn plugin_names() {
    assert!(is_plugin_name("forum") && is_plugin_name("h5pactivity") && is_plugin_name("mod_x"));
    assert!(!is_plugin_name("") && !is_plugin_name("../x") && !is_plugin_name("a b") && !is_plugin_name("é"));
}
