//! The upstream tool_sync course sample files keep working (DECISIONS §1) with the effects of
//! spec/courses.md §16 as decided in DECISIONS §5, re-running them changes nothing, and
//! `--op all` runs delete before create with the configured files.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;

const CREATED: [&str; 9] =
    ["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3", "MASTER1", "MASTER2", "META10", "META11", "META20", "META21"];

/// Courses of the export by shortname.
fn courses(lms: &Lms) -> BTreeMap<String, Value> {
    lms.export_json("courses").into_iter().map(|c| (c["shortname"].as_str().unwrap().to_string(), c)).collect()
}

/// `(path, visible)` of every category, in id order.
fn categories(lms: &Lms) -> Vec<(String, i64)> {
    lms.export_json("categories")
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_string(), c["visible"].as_i64().unwrap()))
        .collect()
}

fn shortnames(lms: &Lms) -> Vec<String> {
    courses(lms).into_keys().collect()
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn create_sample_creates_nine_courses_and_fails_the_duplicate_and_the_missing_template() {
    let lms = Lms::new();
    let original = fs::read(format!("{FIXTURES}/course_create_sample.csv")).unwrap();
    let ran = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!((ran.count("created"), ran.count("failed")), (9, 2), "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(report["tool"], "courses");
    assert_eq!(report["operation"], "create");
    assert_eq!(failed_keys(&report), ["TESTCOURSE3", "TESTCOURSE4"]);
    assert_eq!(line(&report, 5)["code"], "course.duplicate_line", "{report:#}");
    let l6 = line(&report, 6);
    assert_eq!(l6["code"], "course.template_not_found", "{l6}");
    let message = l6["message"].as_str().unwrap();
    assert!(message.contains("-7") && message.contains("FAILED"), "error -7 names the template: {message}");
    for (n, key) in [(2, "TESTCOURSE1"), (3, "TESTCOURSE2"), (4, "TESTCOURSE3"), (7, "MASTER1"), (12, "META21")] {
        assert_eq!(
            (line(&report, n)["outcome"].as_str(), line(&report, n)["key"].as_str()),
            (Some("created"), Some(key))
        );
    }

    // Tryback: the header, then the two failed lines exactly as read; the input is archived.
    let tryback = ran.tryback().expect("a tryback");
    assert_eq!(tryback.parent().unwrap(), lms.files().canonicalize().unwrap());
    let name = tryback.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("course_create_sample_tryback_") && name.ends_with(".csv"), "{name}");
    let got = fs::read(&tryback).unwrap();
    assert_eq!(show(&got), show(&pick_lines(&original, &[1, 5, 6])));
    let archive = ran.archive().expect("archived");
    assert!(archive.file_name().unwrap().to_str().unwrap().ends_with("_course_create_sample.csv"), "{archive:?}");
    assert_eq!(fs::read(&archive).unwrap(), original, "the input itself is archived, not the tryback");
    assert!(!lms.files().join("course_create_sample.csv").exists());

    // Miscellaneous and Tests are each created once, visible; every course is in Tests.
    assert_eq!(categories(&lms), [("Miscellaneous".to_string(), 1), ("Miscellaneous/Tests".to_string(), 1)]);
    let all = courses(&lms);
    assert_eq!(all.keys().cloned().collect::<Vec<_>>(), sorted(&CREATED));
    for c in all.values() {
        assert_eq!(c["category_path"], "Miscellaneous/Tests", "{c}");
        assert_eq!(c["sections"], 5, "sections 0…4 without topic columns: {c}");
        assert_eq!(c["visible"], 1, "{c}");
    }
    assert_eq!(all["TESTCOURSE2"]["format"], "weeks");
    assert_eq!(all["TESTCOURSE1"]["format"], "topics");
    assert_eq!(all["TESTCOURSE3"]["fullname"], "Test course for creation 3", "line 5 must not touch it");
    assert_eq!(all["MASTER1"]["fullname"], all["MASTER2"]["fullname"], "duplicate full names are allowed");

    // Every new course: manual instance enabled, guest and self present but disabled.
    let db = lms.db();
    let mut stmt = db
        .prepare("SELECT c.shortname, e.enrol, e.status FROM enrol e JOIN course c ON c.id = e.course ORDER BY c.id, e.enrol")
        .unwrap();
    let rows: Vec<(String, String, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 27, "{rows:?}");
    for (course, method, status) in rows {
        let expected = if method == "manual" { 0 } else { 1 };
        assert_eq!(status, expected, "{course} {method}");
    }
}

#[test]
fn create_sample_reuses_an_existing_miscellaneous_category() {
    let lms = Lms::new();
    let pre = lms.courses_file("create", "pre.csv", "shortname;fullname;category\nPRE;Pre;Miscellaneous\n", &[]);
    assert_eq!(pre.code, 0, "{pre:?}");
    let ran = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    assert_eq!(ran.count("created"), 9, "{ran:?}");
    let newcats = lms.run_courses("create", &lms.fixture("course_create_sample_newcats.csv"), &[]);
    assert_eq!(newcats.code, 0, "{newcats:?}");
    let paths: Vec<String> = categories(&lms).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        ["Miscellaneous", "Miscellaneous/Tests", "Miscellaneous/TestsNew", "Miscellaneous/TestsNew1"],
        "one Miscellaneous, reused by both files"
    );
}

#[test]
fn create_sample_rerun_changes_nothing_with_or_without_force_update() {
    for force in ["false", "true"] {
        let lms = Lms::new().with("LMSYNC_COURSES__FORCE_UPDATE", force);
        let path = lms.fixture("course_create_sample.csv");
        let first = lms.run_courses("create", &path, &[]);
        let second = lms.assert_create_rerun_unchanged(&path, &first, &[]);
        assert_eq!((second.count("unchanged"), second.count("failed")), (9, 2), "force {force}: {second:?}");
        assert_eq!(shortnames(&lms), sorted(&CREATED));
    }
}

#[test]
fn newcats_sample_strips_quotes_and_creates_both_categories() {
    let lms = Lms::new();
    let path = lms.fixture("course_create_sample_newcats.csv");
    let ran = lms.run_courses("create", &path, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.tryback().is_none(), "nothing failed: {ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(
        outcomes(&report),
        [(2, "created".to_string()), (3, "created".to_string())],
        "the empty line 4 is skipped"
    );
    assert_eq!(
        categories(&lms),
        [
            ("Miscellaneous".to_string(), 1),
            ("Miscellaneous/TestsNew".to_string(), 1),
            ("Miscellaneous/TestsNew1".to_string(), 1)
        ]
    );
    let all = courses(&lms);
    assert_eq!(all["TESTCOURSE10"]["category_path"], "Miscellaneous/TestsNew");
    assert_eq!(all["TESTCOURSE11"]["category_path"], "Miscellaneous/TestsNew1");
    assert_eq!(all["TESTCOURSE11"]["fullname"], "Test course for creation 1", "quotes are not part of the value");

    let second = lms.assert_create_rerun_unchanged(&path, &ran, &[]);
    assert_eq!(second.count("unchanged"), 2);
}

#[test]
fn delete_sample_deletes_three_courses_then_fails_them_as_not_found() {
    let lms = Lms::new();
    lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    let original = fs::read(format!("{FIXTURES}/course_delete_sample.csv")).unwrap();

    let ran = lms.run_courses("delete", &lms.fixture("course_delete_sample.csv"), &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("deleted"), 3);
    assert!(ran.tryback().is_none());
    let report = lms.json_report(ran.run_id());
    assert_eq!(report["operation"], "delete");
    assert_eq!(outcomes(&report), [(1, "deleted".to_string()), (2, "deleted".to_string()), (3, "deleted".to_string())]);
    assert_eq!(line(&report, 3)["key"], "TESTCOURSE3", "the last line has no newline");
    let archive = ran.archive().expect("archived");
    assert_eq!(fs::read(&archive).unwrap(), original);
    assert_eq!(shortnames(&lms), sorted(&["MASTER1", "MASTER2", "META10", "META11", "META20", "META21"]));
    assert!(
        lms.export_json("sections").iter().all(|s| !s["course_shortname"].as_str().unwrap().starts_with("TESTCOURSE")),
        "the sections of deleted courses are gone"
    );
    let orphans: i64 = lms
        .db()
        .query_row("SELECT count(*) FROM enrol WHERE course NOT IN (SELECT id FROM course)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(orphans, 0, "enrolment instances of deleted courses are gone");

    let again = lms.run_courses("delete", &lms.fixture("course_delete_sample.csv"), &[]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!((again.count("deleted"), again.count("failed")), (0, 3));
    let report = lms.json_report(again.run_id());
    assert_eq!(failed_keys(&report), ["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3"]);
    assert!(lines(&report).iter().all(|l| l["code"] == "course.not_found"), "{report:#}");
    let tryback = fs::read(again.tryback().expect("a tryback")).unwrap();
    assert_eq!(
        show(&tryback),
        show(&original),
        "each missing course once, as read (upstream wrote the last line thrice)"
    );
    assert_eq!(shortnames(&lms).len(), 6);
}

#[test]
fn all_runs_the_configured_delete_file_before_the_create_file() {
    let lms = Lms::new();
    lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    fs::write(lms.files().join("deletecourses.csv"), "TESTCOURSE1\nMASTER2\n").unwrap();
    fs::write(lms.files().join("uploadcourses.csv"), "shortname;fullname\nTESTCOURSE1;Recreated\n").unwrap();
    let ids_before = courses(&lms);

    let ran = lms.exec(&["run", "courses", "--op", "all"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let all = courses(&lms);
    assert!(!all.contains_key("MASTER2"), "the delete file ran");
    assert_eq!(all["TESTCOURSE1"]["fullname"], "Recreated", "create ran after delete, so the course is new");
    assert_eq!(all.len(), ids_before.len() - 1);
    assert!(!lms.files().join("deletecourses.csv").exists() && !lms.files().join("uploadcourses.csv").exists());
    let archived = list(&lms.archives());
    assert!(archived.iter().any(|n| n.ends_with("_deletecourses.csv")), "{archived:?}");
    assert!(archived.iter().any(|n| n.ends_with("_uploadcourses.csv")), "{archived:?}");

    // Nothing to do is not an error.
    let idle = lms.exec(&["run", "courses", "--op", "all"]);
    assert_eq!(idle.code, 0, "{idle:?}");
}

#[test]
fn all_with_a_file_is_refused_before_anything_runs() {
    let lms = Lms::new();
    let path = lms.fixture("course_create_sample.csv");
    let ran = lms.exec(&["run", "courses", "--op", "all", "--file", path.to_str().unwrap()]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("--op"), "says how to choose the operation: {ran:?}");
    assert!(lms.export_json("courses").is_empty());
    assert!(list_files(&lms.reports()).is_empty());
}
