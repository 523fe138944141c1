//! `read_mbz(write_mbz(c)) == c` for arbitrary courses in the reader's canonical form, with markup characters,
//! whitespace and non-ASCII text everywhere a course carries text.

use lmsync_mbz::{Activity, CourseStructure, Limits, Section, read_mbz, write_mbz};
use proptest::prelude::*;

/// Text as courses hold it: any printable Unicode, plus the characters XML escaping and line-end handling touch.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,24}", "[<&>\"' \t\r\néü€😀ß$@NULL]{0,16}", Just(String::new()), Just("  padded  ".to_string()),]
}

fn modname() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["forum", "assign", "page", "quiz", "url", "label", "h5pactivity"])
            .prop_map(str::to_string),
        1 => text(),
    ]
}

fn activity(section: u32) -> impl Strategy<Value = Activity> {
    (modname(), text(), text(), any::<bool>()).prop_map(move |(modname, name, idnumber, visible)| Activity {
        modname,
        name,
        section,
        idnumber,
        visible,
    })
}

/// Sections with distinct, increasing numbers (gaps allowed), each with its activities, in course page order.
fn sections_and_activities() -> impl Strategy<Value = (Vec<Section>, Vec<Activity>)> {
    prop::collection::vec((1u32..4, prop::option::of(text()), text(), any::<bool>(), 0usize..4), 0..5).prop_flat_map(
        |specs| {
            let mut number = 0u32;
            let mut sections = Vec::new();
            let mut activity_strategies = Vec::new();
            for (i, (step, name, summary, visible, count)) in specs.into_iter().enumerate() {
                number = if i == 0 { step - 1 } else { number + step };
                sections.push(Section { number, name, summary, visible });
                activity_strategies.push(prop::collection::vec(activity(number), count));
            }
            (Just(sections), activity_strategies).prop_map(|(sections, per_section)| {
                (sections, per_section.into_iter().flatten().collect::<Vec<Activity>>())
            })
        },
    )
}

fn course() -> impl Strategy<Value = CourseStructure> {
    let texts = (text(), text(), text(), text(), text(), text());
    let numbers = (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>());
    let flags = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    (texts, numbers, flags, sections_and_activities()).prop_map(
        |(
            (shortname, fullname, idnumber, summary, format, lang),
            (startdate, enddate, newsitems, groupmode),
            (visible, showgrades, groupmodeforce, enablecompletion),
            (sections, activities),
        )| CourseStructure {
            shortname,
            fullname,
            idnumber,
            summary,
            format,
            startdate,
            enddate,
            visible,
            lang,
            showgrades,
            newsitems,
            groupmode,
            groupmodeforce,
            enablecompletion,
            sections,
            activities,
        },
    )
}

/// Moodle's NULL marker cannot be told from a NULL: the one value that does not survive, by design.
fn carries_null_marker(c: &CourseStructure) -> bool {
    let marker = "$@NULL@$";
    c.sections.iter().any(|s| s.name.as_deref() == Some(marker) || s.summary == marker)
        || c.activities.iter().any(|a| [&a.modname, &a.name, &a.idnumber].iter().any(|t| t.as_str() == marker))
        || [&c.shortname, &c.fullname, &c.idnumber, &c.summary, &c.format, &c.lang].iter().any(|t| t.as_str() == marker)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn read_gives_back_what_write_wrote(c in course()) {
        prop_assume!(!carries_null_marker(&c));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("course.mbz");
        write_mbz(&c, &path).expect("write");
        prop_assert_eq!(read_mbz(&path, &Limits::default()).expect("read"), c);
    }
}

#[test]
fn a_course_with_nothing_in_it_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.mbz");
    let c = CourseStructure::default();
    write_mbz(&c, &path).expect("write");
    assert_eq!(read_mbz(&path, &Limits::default()).expect("read"), c);
}

#[test]
fn a_written_backup_is_read_through_its_moodle_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.mbz");
    let c = CourseStructure {
        shortname: "T".into(),
        sections: vec![Section { number: 0, name: None, summary: String::new(), visible: true }],
        activities: vec![Activity { modname: "forum".into(), name: "N".into(), ..Activity::default() }],
        ..CourseStructure::default()
    };
    write_mbz(&c, &path).expect("write");
    let bytes = std::fs::read(&path).expect("read back");
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip, as Moodle writes by default");
    assert_eq!(read_mbz(&path, &Limits::default()).expect("read"), c);
}
