//! Existing courses in a create file (spec/courses.md §6.8, DECISIONS §5 Q29): left alone and
//! reported `unchanged` / `skipped` without `courses.force_update`; with it, only the columns
//! present change, the category only when not protected, and re-running changes nothing.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

const FULL: &str = "shortname;fullname;category;idnumber;summary;format;startdate;lang;newsitems;visible;topic1
U1;Original;Faculty/Law;ID-U1;Old summary;weeks;2026-09-01;fr;3;1;Week one|First week
U2;Other;Faculty/Law;ID-U2;;topics;2026-09-01;;5;1;
";

/// A store with U1 and U2 created from `FULL`, with the given settings.
fn setup(settings: &[(&str, &str)]) -> Lms {
    let mut lms = Lms::new().with("LMSYNC_TIMEZONE", "UTC");
    let ran = lms.courses_file("create", "full.csv", FULL, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for (k, v) in settings {
        lms.set(k, v);
    }
    lms
}

/// The course table row of a shortname, as `column → value` (ints and texts as JSON).
fn row(lms: &Lms, shortname: &str) -> BTreeMap<String, Value> {
    let db = lms.db();
    let mut stmt = db.prepare("SELECT * FROM course WHERE shortname = ?1").unwrap();
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    stmt.query_row([shortname], |r| {
        Ok(names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let v = match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Integer(x) => Value::from(x),
                    rusqlite::types::ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                    other => panic!("{n}: {other:?}"),
                };
                (n.clone(), v)
            })
            .collect())
    })
    .unwrap_or_else(|e| panic!("no course {shortname}: {e}"))
}

fn path_of(lms: &Lms, shortname: &str) -> String {
    let c = lms.export_json("courses").into_iter().find(|c| c["shortname"] == shortname).unwrap();
    c["category_path"].as_str().unwrap().to_string()
}

fn section_names(lms: &Lms, shortname: &str) -> Vec<(i64, String)> {
    lms.export_json("sections")
        .iter()
        .filter(|s| s["course_shortname"] == shortname)
        .map(|s| (s["section"].as_i64().unwrap(), s["name"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[test]
fn without_force_update_a_course_is_unchanged_or_skipped_naming_the_difference() {
    let lms = setup(&[]);
    let before = lms.course_state();
    let file = "shortname;fullname;visible;category\nU1;Original;1;Faculty/Law\nU2;Renamed;0;Faculty/Law\n";
    let ran = lms.courses_file("create", "same.csv", file, &[]);
    assert_eq!(ran.code, 0, "skipping is not failing: {ran:?}");
    assert!(ran.tryback().is_none());
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "unchanged", "{report:#}");
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("exists"), "{report:#}");
    let skipped = line(&report, 3);
    assert_eq!(skipped["outcome"], "skipped", "{skipped}");
    let message = skipped["message"].as_str().unwrap();
    for word in ["fullname", "visible", "courses.force_update"] {
        assert!(message.contains(word), "names {word}: {message}");
    }
    assert!(!message.contains("category"), "the category does not differ: {message}");
    assert_eq!(lms.course_state(), before, "nothing written");
}

#[test]
fn force_update_changes_only_the_columns_present() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true")]);
    let (u1, u2) = (row(&lms, "U1"), row(&lms, "U2"));
    let path = lms.write("partial.csv", "shortname;fullname;visible;newsitems\nU1;Renamed;0;3\n");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    let l = line(&report, 2);
    assert_eq!(l["outcome"], "updated", "{l}");
    let message = l["message"].as_str().unwrap();
    assert!(message.contains("fullname") && message.contains("visible"), "{message}");
    assert!(!message.contains("newsitems"), "newsitems is already 3: {message}");

    let after = row(&lms, "U1");
    for (column, value) in &u1 {
        match column.as_str() {
            "fullname" => assert_eq!(after[column], "Renamed"),
            "visible" => assert_eq!(after[column], 0),
            "timemodified" => {}
            _ => assert_eq!(&after[column], value, "absent column {column} must stay"),
        }
    }
    assert_eq!(row(&lms, "U2"), u2, "other courses untouched");
    assert_eq!(path_of(&lms, "U1"), "Faculty/Law");
    assert_eq!(section_names(&lms, "U1")[1], (1, "Week one".to_string()), "sections untouched");

    let second = lms.assert_create_rerun_unchanged(&path, &ran, &[]);
    assert_eq!(second.count("unchanged"), 1);
}

#[test]
fn force_update_moves_the_category_unless_it_is_protected() {
    let file = "shortname;fullname;category\nU1;Original;Faculty/Arts\n";
    let protected = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true"), ("LMSYNC_COURSES__PROTECT_CATEGORY", "true")]);
    let before = protected.course_state();
    let ran = protected.courses_file("create", "move.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(line(&protected.json_report(ran.run_id()), 2)["outcome"], "unchanged");
    assert_eq!(path_of(&protected, "U1"), "Faculty/Law");
    assert_eq!(protected.course_state(), before, "no category created either");

    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true")]);
    let ran = lms.courses_file("create", "move.csv", file, &[]);
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "updated", "{report:#}");
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("category"), "{report:#}");
    assert_eq!(path_of(&lms, "U1"), "Faculty/Arts");
    assert_eq!(path_of(&lms, "U2"), "Faculty/Law");
    assert_eq!(row(&lms, "U1")["fullname"], "Original");

    let unforced = setup(&[]);
    let ran = unforced.courses_file("create", "move.csv", file, &[]);
    let skipped = unforced.json_report(ran.run_id());
    assert_eq!(line(&skipped, 2)["outcome"], "skipped");
    assert!(line(&skipped, 2)["message"].as_str().unwrap().contains("category"), "{skipped:#}");
    assert_eq!(path_of(&unforced, "U1"), "Faculty/Law");
}

#[test]
fn force_update_topics_change_only_their_sections() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true")]);
    assert_eq!(section_names(&lms, "U1").len(), 2, "topic1 on creation: sections 0 and 1");
    let path = lms.write("topics.csv", "shortname;fullname;topic0;topic3\nU1;Original;Welcome|Read me;Third\n");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["outcome"], "updated");
    let names = section_names(&lms, "U1");
    assert_eq!(
        names,
        [(0, "Welcome".into()), (1, "Week one".into()), (2, String::new()), (3, "Third".into())],
        "section 1 kept, 2 filled in, 3 added"
    );
    let summary0 = lms.export_json("sections").into_iter().find(|s| s["course_shortname"] == "U1").unwrap();
    assert_eq!(summary0["summary"], "Read me");
    lms.assert_create_rerun_unchanged(&path, &ran, &[]);
}

#[test]
fn force_update_sets_self_and_guest_and_recreates_a_missing_instance() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true")]);
    lms.db_write()
        .execute(
            "DELETE FROM enrol WHERE enrol = 'guest' AND course = (SELECT id FROM course WHERE shortname = 'U1')",
            [],
        )
        .unwrap();
    let path = lms.write("enrol.csv", "shortname;fullname;self;guest\nU1;Original;1;1\nU2;Other;0;0\n");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "updated", "{report:#}");
    assert_eq!(line(&report, 3)["outcome"], "unchanged", "both already disabled: {report:#}");
    let status = |course: &str, method: &str| -> Vec<i64> {
        let db = lms.db();
        let mut stmt = db
            .prepare(
                "SELECT e.status FROM enrol e JOIN course c ON c.id = e.course WHERE c.shortname = ?1 AND e.enrol = ?2",
            )
            .unwrap();
        stmt.query_map([course, method], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(status("U1", "self"), [0]);
    assert_eq!(status("U1", "guest"), [0], "the missing guest instance is added, enabled");
    assert_eq!(status("U2", "self"), [1]);
    lms.assert_create_rerun_unchanged(&path, &ran, &[]);

    let off = lms.courses_file("create", "off.csv", "shortname;fullname;guest\nU1;Original;0\n", &[]);
    assert_eq!(line(&lms.json_report(off.run_id()), 2)["outcome"], "updated");
    assert_eq!(status("U1", "guest"), [1], "0 disables it, the instance stays");
}

#[test]
fn matched_by_idnumber_a_course_can_be_renamed_but_not_onto_a_taken_shortname() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true"), ("LMSYNC_COURSES__UPLOAD_IDENTIFIER", "idnumber")]);
    let id = row(&lms, "U1")["id"].clone();
    let file = "shortname;fullname;idnumber\nU1-new;Renamed;ID-U1\nU1-new;Clash;ID-U2\nU3;New;ID-U3\nU2;Taken;ID-NEW\n";
    let ran = lms.courses_file("create", "rename.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "updated", "{report:#}");
    assert_eq!(row(&lms, "U1-new")["id"], id, "same course, new shortname");
    assert_eq!(line(&report, 3)["code"], "course.duplicate_line", "{report:#}");
    assert_eq!(line(&report, 4)["outcome"], "created", "{report:#}");
    assert_eq!(line(&report, 5)["code"], "course.shortname_taken", "U2 belongs to ID-U2: {report:#}");
    assert_eq!(row(&lms, "U2")["fullname"], "Other");

    // ID-U2 designates U2; renaming it to U3 would take the shortname of another course.
    let clash = lms.courses_file("create", "clash.csv", "shortname;fullname;idnumber\nU3;New;ID-U2\n", &[]);
    assert_eq!(clash.code, 1, "{clash:?}");
    assert_eq!(line(&lms.json_report(clash.run_id()), 2)["code"], "course.shortname_taken");
    assert_eq!(row(&lms, "U2")["shortname"], "U2");
}

#[test]
fn force_update_refuses_an_idnumber_of_another_course() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true")]);
    let ran = lms.courses_file("create", "idn.csv", "shortname;fullname;idnumber\nU1;Original;ID-U2\n", &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["code"], "course.idnumber_taken");
    assert_eq!(row(&lms, "U1")["idnumber"], "ID-U1");
}

#[test]
fn matched_by_id_an_unknown_id_fails_and_a_known_one_updates() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true"), ("LMSYNC_COURSES__UPLOAD_IDENTIFIER", "id")]);
    let id = row(&lms, "U2")["id"].clone();
    let file = format!("id;shortname;fullname\n{id};U2;By id\n999;U9;Nobody\n");
    let ran = lms.courses_file("create", "ids.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "updated", "{report:#}");
    assert_eq!(row(&lms, "U2")["fullname"], "By id");
    assert_eq!(line(&report, 3)["code"], "course.not_found", "{report:#}");
    assert_eq!(lms.export_json("courses").len(), 2, "no course made up for an unknown id");
}

#[test]
fn force_update_dry_run_writes_nothing() {
    let lms = setup(&[("LMSYNC_COURSES__FORCE_UPDATE", "true")]);
    let before = lms.course_state();
    let file = "shortname;fullname;category;guest;topic4\nU1;Renamed;New/Place;1;Four\n";
    let ran = lms.courses_file("create", "dry.csv", file, &["--dry-run"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["outcome"], "updated");
    assert_eq!(lms.course_state(), before);
    assert_eq!(lms.journalled(ran.run_id()), 0);
}

#[test]
fn without_force_update_differing_enrolment_instances_are_reported_as_skipped() {
    let lms = setup(&[]);
    // U1 was created without a guest column: its guest instance is disabled.
    let ran = lms.courses_file("create", "guest.csv", "shortname;fullname;guest\nU1;Original;1\n", &[]);
    let l = lms.json_report(ran.run_id())["lines"][0].clone();
    assert_eq!(l["outcome"], "skipped", "the line asks for an enabled guest instance: {l}");
    assert!(l["message"].as_str().unwrap().contains("guest"), "{l}");
}
