//! Bad create files (DECISIONS §2 and §5 Q24): an invalid value fails its line with a code and
//! a message naming the column, the line goes to the tryback and the other lines go on; header
//! problems stop the run before anything is written.

mod common;

use common::*;
use std::fs;

fn shortnames(lms: &Lms) -> Vec<String> {
    lms.export_json("courses").iter().map(|c| c["shortname"].as_str().unwrap().to_string()).collect()
}

/// A store with course EXIST (idnumber ID-EXIST) in category Faculty.
fn setup() -> Lms {
    let lms = Lms::new();
    let ran = lms.courses_file(
        "create",
        "setup.csv",
        "shortname;fullname;idnumber;category\nEXIST;E;ID-EXIST;Faculty\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    lms
}

#[test]
fn each_invalid_value_fails_its_line_and_the_others_go_on() {
    let lms = setup();
    let header = "shortname;fullname;category;format;newsitems;startdate;template;idnumber;visible;groupmode;lang";
    // (line, expected code, word the message must contain)
    let cases: &[(&str, &str, &str)] = &[
        ("B1;Unknown category id;999;;;;;;;;", "course.unknown_category", "999"),
        ("B2;Empty path segment;A//B;;;;;;;;", "course.unknown_category", "A//B"),
        ("B3;Bad format;;grid;;;;;;;", "course.invalid_value", "format"),
        ("B4;Too many news;;;11;;;;;;", "course.invalid_value", "newsitems"),
        ("B5;Negative news;;;-1;;;;;;", "course.invalid_value", "newsitems"),
        ("B6;Words for a date;;;;soon;;;;;", "course.invalid_value", "startdate"),
        ("B7;No such day;;;;31/02/2026;;;;;", "course.invalid_value", "startdate"),
        ("B8;Missing template;;;;;FAILED;;;;", "course.template_not_found", "FAILED"),
        ("B9;Taken idnumber;;;;;;ID-EXIST;;;", "course.idnumber_taken", "ID-EXIST"),
        ("B10;Bad boolean;;;;;;;maybe;;", "course.invalid_value", "visible"),
        ("B11;Bad group mode;;;;;;;;3;", "course.invalid_value", "groupmode"),
        ("B12;Bad language;;;;;;;;;not a language", "course.invalid_value", "lang"),
        ("B13;;;;;;;;;;", "course.invalid_value", "fullname"),
        ("DUP;First;;;;;;;;;", "", ""),
        ("DUP;Second;;;;;;;;;", "course.duplicate_line", "DUP"),
        ("OK;Fine;Faculty/New;weeks;10;2026-09-01;EXIST;ID-OK;1;2;en", "", ""),
    ];
    let mut file = format!("{header}\n");
    for (l, _, _) in cases {
        file.push_str(l);
        file.push('\n');
    }
    let ran = lms.courses_file("create", "bad.csv", &file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!((ran.count("created"), ran.count("failed")), (2, 14), "{ran:?}");
    let report = lms.json_report(ran.run_id());
    let mut failed = vec![1];
    for (i, (_, code, word)) in cases.iter().enumerate() {
        let l = line(&report, i as u64 + 2);
        if code.is_empty() {
            assert_eq!(l["outcome"], "created", "{l}");
            continue;
        }
        failed.push(i + 2);
        assert_eq!((l["outcome"].as_str(), l["code"].as_str()), (Some("failed"), Some(*code)), "{l}");
        assert!(l["message"].as_str().unwrap().contains(word), "the message names {word}: {l}");
    }
    let tryback = fs::read(ran.tryback().expect("a tryback")).unwrap();
    assert_eq!(show(&tryback), show(&pick_lines(file.as_bytes(), &failed)), "header and failed lines, as read");
    assert_eq!(shortnames(&lms), ["EXIST", "DUP", "OK"]);
    let paths: Vec<_> = lms.export_json("categories").iter().map(|c| c["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, ["Faculty", "Faculty/New"], "failed lines create no category");
}

#[test]
fn an_unknown_category_idnumber_fails_the_line() {
    let lms = setup().with("LMSYNC_COURSES__CATEGORY_IDENTIFIER", "idnumber");
    lms.db_write().execute("UPDATE course_categories SET idnumber = 'FAC' WHERE name = 'Faculty'", []).unwrap();
    let file = "shortname;fullname;category\nI1;Unknown;NOPE\nI2;Path is no idnumber;Faculty\nI3;Known;FAC\n";
    let ran = lms.courses_file("create", "idn.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["code"], "course.unknown_category");
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("NOPE"));
    assert_eq!(line(&report, 3)["code"], "course.unknown_category");
    assert_eq!(line(&report, 4)["outcome"], "created");
    assert_eq!(shortnames(&lms), ["EXIST", "I3"]);
}

#[test]
fn a_bad_category_fails_an_update_too() {
    let lms = setup().with("LMSYNC_COURSES__FORCE_UPDATE", "true");
    let before = lms.course_state();
    let ran = lms.courses_file("create", "upd.csv", "shortname;fullname;category\nEXIST;Renamed;4242\n", &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["code"], "course.unknown_category");
    assert_eq!(lms.course_state(), before, "the fullname is not changed either");
}

#[test]
fn a_wrong_number_of_fields_fails_only_that_line() {
    let lms = setup();
    let file = "shortname;fullname;idnumber\nW1;Too many;x;y\nW2;Too few\nW3;\"Quoted; separator\";ok\n";
    let ran = lms.courses_file("create", "count.csv", file, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["code"], "csv.field_count");
    assert_eq!(line(&report, 3)["code"], "csv.field_count");
    assert_eq!(line(&report, 4)["outcome"], "created");
    let w3 = lms.export_json("courses").into_iter().find(|c| c["shortname"] == "W3").unwrap();
    assert_eq!(w3["fullname"], "Quoted; separator");
}

#[test]
fn header_problems_stop_the_run_before_anything_is_written() {
    let lms = setup();
    let before = lms.course_state();
    for (file, column) in [
        ("shortname;fullname;colour\nH1;Unknown column;red\n", "colour"),
        ("shortname;category\nH2;Faculty\n", "fullname"),
        ("fullname;category\nH3;Faculty\n", "shortname"),
        ("shortname;fullname;teacher0_account\nH4;Teacher zero;admin\n", "teacher0_account"),
    ] {
        let ran = lms.courses_file("create", "header.csv", file, &[]);
        assert_eq!(ran.code, 2, "{file}: {ran:?}");
        assert!(ran.all().contains(column), "names {column}: {ran:?}");
        assert_eq!(lms.course_state(), before, "{file}: nothing written");
        assert!(ran.archive().is_none(), "{file}: not archived");
    }
}

#[test]
fn header_names_in_another_case_are_accepted() {
    let lms = setup();
    let ran = lms.courses_file("create", "case.csv", "ShortName;FULLNAME\nHC;Case\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(shortnames(&lms), ["EXIST", "HC"]);
}
