//! Section functions against the fake: rename by section id for topics/weeks only, the
//! 4.0 courseformat actions and their JSON-string answer.

mod common;

use common::{call, code, fake};

#[test]
fn rename_add_hide_delete_sections() {
    let f = fake();
    let c = call(
        &f,
        "core_course_create_courses",
        &[
            ("courses[0][fullname]", "S"),
            ("courses[0][shortname]", "S"),
            ("courses[0][categoryid]", "1"),
            ("courses[0][numsections]", "2"),
        ],
    )[0]["id"]
        .as_i64()
        .unwrap();
    let s1 = f.state().courses[&c].sections[1].id.to_string();
    let v = call(
        &f,
        "core_update_inplace_editable",
        &[("component", "format_topics"), ("itemtype", "sectionname"), ("itemid", &s1), ("value", "Week one")],
    );
    assert_eq!(v["displayvalue"], "Week one");
    let v = call(
        &f,
        "core_update_inplace_editable",
        &[("component", "format_weeks"), ("itemtype", "sectionname"), ("itemid", &s1), ("value", "x")],
    );
    assert_eq!(code(&v), "invalidparameter");
    let cs = c.to_string();
    let v = call(&f, "core_courseformat_update_course", &[("action", "section_add"), ("courseid", &cs)]);
    assert!(v.as_str().unwrap().starts_with('['), "a JSON string: {v}");
    call(&f, "core_courseformat_update_course", &[("action", "section_hide"), ("courseid", &cs), ("ids[0]", &s1)]);
    assert!(!f.state().courses[&c].sections[1].visible);
    call(&f, "core_courseformat_update_course", &[("action", "section_delete"), ("courseid", &cs), ("ids[0]", &s1)]);
    let st = f.state();
    let numbers: Vec<i64> = st.courses[&c].sections.iter().map(|s| s.section).collect();
    assert_eq!(numbers, vec![0, 1, 2]);
    drop(st);
    let v = call(&f, "core_courseformat_update_course", &[("action", "section_hide"), ("courseid", &cs)]);
    assert_eq!(code(&v), "emptysectionids");
}
