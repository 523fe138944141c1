//! `courses --op create` on new courses (spec/courses.md §6, DECISIONS §2 and §5): every fixed
//! column stored as given, dates in each decided format, category paths, ids and idnumbers,
//! `topicN` sections, self/guest instances, and dry runs that write nothing.

mod common;

use common::*;
use std::collections::BTreeMap;

fn int(lms: &Lms, shortname: &str, column: &str) -> i64 {
    lms.db()
        .query_row(&format!("SELECT {column} FROM course WHERE shortname = ?1"), [shortname], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{shortname}.{column}: {e}"))
}

fn text(lms: &Lms, shortname: &str, column: &str) -> String {
    lms.db()
        .query_row(&format!("SELECT {column} FROM course WHERE shortname = ?1"), [shortname], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{shortname}.{column}: {e}"))
}

/// category_path of each course, by shortname.
fn category_paths(lms: &Lms) -> BTreeMap<String, String> {
    lms.export_json("courses")
        .iter()
        .map(|c| (c["shortname"].as_str().unwrap().into(), c["category_path"].as_str().unwrap().into()))
        .collect()
}

fn category_list(lms: &Lms) -> Vec<String> {
    lms.export_json("categories").iter().map(|c| c["path"].as_str().unwrap().to_string()).collect()
}

/// `(section, name, summary)` of a course's sections, in order.
fn sections(lms: &Lms, shortname: &str) -> Vec<(i64, String, String)> {
    lms.export_json("sections")
        .iter()
        .filter(|s| s["course_shortname"] == shortname)
        .map(|s| {
            let name = s["name"].as_str().unwrap_or("").to_string();
            (s["section"].as_i64().unwrap(), name, s["summary"].as_str().unwrap().to_string())
        })
        .collect()
}

/// `method → status` of a course's enrolment instances.
fn instances(lms: &Lms, shortname: &str) -> BTreeMap<String, i64> {
    let db = lms.db();
    let mut stmt = db
        .prepare("SELECT e.enrol, e.status FROM enrol e JOIN course c ON c.id = e.course WHERE c.shortname = ?1")
        .unwrap();
    stmt.query_map([shortname], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// Re-runs `in/<name>` with force_update off, then on: nothing changes either time.
fn rerun_unchanged(lms: &mut Lms, name: &str, first: &Ran) {
    let path = lms.inbox.join(name);
    for force in ["false", "true"] {
        lms.set("LMSYNC_COURSES__FORCE_UPDATE", force);
        lms.assert_create_rerun_unchanged(&path, first, &[]);
    }
    lms.unset("LMSYNC_COURSES__FORCE_UPDATE");
}

#[test]
fn every_fixed_column_is_stored_as_given() {
    let mut lms = Lms::new().with("LMSYNC_TIMEZONE", "UTC");
    let file = "shortname;fullname;idnumber;summary;format;showgrades;newsitems;startdate;enddate;timecreated;marker;\
maxbytes;legacyfiles;showreports;visible;coursedisplay;groupmode;enablecompletion;groupmodeforce;defaultgroupingid;\
lang;theme;sortorder;visibleold;timemodified
F1;Full one;IDF1;A summary;weeks;0;10;2026-09-01;2027-06-30;2026-01-15 10:30;3;1048576;1;1;no;1;2;yes;1;0;fr_utf8;\
boost;7;1;2020-01-01
F2;Full two;;;social;1;0;;;;0;0;0;0;1;0;0;0;0;0;;;;;
";
    let ran = lms.courses_file("create", "fields.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("created"), 2);
    for column in ["sortorder", "visibleold", "timemodified"] {
        assert!(ran.notes().iter().any(|n| n.contains(column) && n.contains("ignored")), "{column}: {ran:?}");
    }
    assert_eq!(text(&lms, "F1", "fullname"), "Full one");
    assert_eq!(text(&lms, "F1", "idnumber"), "IDF1");
    assert_eq!(text(&lms, "F1", "summary"), "A summary");
    assert_eq!(text(&lms, "F1", "format"), "weeks");
    assert_eq!(text(&lms, "F1", "lang"), "fr", "fr_utf8 is the platform's fr");
    assert_eq!(text(&lms, "F1", "theme"), "boost");
    let expected = [
        ("showgrades", 0),
        ("newsitems", 10),
        ("startdate", 1788220800),
        ("enddate", 1814313600),
        ("timecreated", 1768473000),
        ("marker", 3),
        ("maxbytes", 1048576),
        ("legacyfiles", 1),
        ("showreports", 1),
        ("visible", 0),
        ("coursedisplay", 1),
        ("groupmode", 2),
        ("enablecompletion", 1),
        ("groupmodeforce", 1),
        ("defaultgroupingid", 0),
    ];
    for (column, value) in expected {
        assert_eq!(int(&lms, "F1", column), value, "F1.{column}");
    }
    assert_ne!(int(&lms, "F1", "timemodified"), 1577836800, "timemodified is the platform's");
    assert_eq!(text(&lms, "F2", "format"), "social");
    assert_eq!((int(&lms, "F2", "newsitems"), int(&lms, "F2", "visible")), (0, 1));
    assert!(int(&lms, "F2", "startdate") > 1_700_000_000, "an empty startdate is now, never 0");
    rerun_unchanged(&mut lms, "fields.csv", &ran);
}

#[test]
fn dates_are_read_in_every_decided_format() {
    let mut lms = Lms::new().with("LMSYNC_TIMEZONE", "UTC");
    let file = "shortname;fullname;startdate
D1;Iso day;2026-09-01
D2;Iso minute;2026-09-01 08:00
D3;Iso seconds;2026-09-01 08:00:30
D4;French day;01/09/2026
D5;French minute;01/09/2026 08:00
D6;Offset;2026-09-01T08:00:00+02:00
D7;Unix;1788220800
";
    let ran = lms.courses_file("create", "dates.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let day = 1788220800;
    for (course, value) in [
        ("D1", day),
        ("D2", day + 8 * 3600),
        ("D3", day + 8 * 3600 + 30),
        ("D4", day),
        ("D5", day + 8 * 3600),
        ("D6", day + 6 * 3600),
        ("D7", day),
    ] {
        assert_eq!(int(&lms, course, "startdate"), value, "{course}");
    }
    rerun_unchanged(&mut lms, "dates.csv", &ran);
    let paris = Lms::new().with("LMSYNC_TIMEZONE", "Europe/Paris");
    paris.courses_file("create", "dates.csv", "shortname;fullname;startdate\nP1;Paris;2026-09-01 08:00\n", &[]);
    assert_eq!(int(&paris, "P1", "startdate"), day + 6 * 3600, "dates without offset are in the configured zone");
}

#[test]
fn category_paths_are_trimmed_exact_and_created_once() {
    let mut lms = Lms::new();
    let file = "shortname;fullname;category
P1;One;/ Faculty / Law /
P2;Two;Faculty/Law
P3;Three;Faculty
P4;Four;faculty/law
P5;Five;Faculty/Law/Year 1
";
    let ran = lms.courses_file("create", "paths.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        category_list(&lms),
        ["Faculty", "Faculty/Law", "faculty", "faculty/law", "Faculty/Law/Year 1"],
        "segments trimmed, names matched exactly (case-sensitive), each created once"
    );
    let paths = category_paths(&lms);
    assert_eq!(paths["P1"], "Faculty/Law");
    assert_eq!(paths["P2"], "Faculty/Law");
    assert_eq!(paths["P3"], "Faculty");
    assert_eq!(paths["P4"], "faculty/law");
    assert_eq!(paths["P5"], "Faculty/Law/Year 1");
    let cats = lms.export_json("categories");
    let law = cats.iter().find(|c| c["path"] == "Faculty/Law").unwrap();
    let faculty = cats.iter().find(|c| c["path"] == "Faculty").unwrap();
    assert_eq!(law["parent"], faculty["id"]);
    assert_eq!(faculty["parent"], serde_json::Value::Null);
    rerun_unchanged(&mut lms, "paths.csv", &ran);
}

#[test]
fn empty_or_absent_category_means_the_lowest_id_category_or_a_new_miscellaneous() {
    let fresh = Lms::new();
    let ran = fresh.courses_file("create", "a.csv", "shortname;fullname\nE1;No category column\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(category_list(&fresh), ["Miscellaneous"]);

    let mut lms = Lms::new();
    lms.courses_file("create", "a.csv", "shortname;fullname;category\nS1;Setup;Alpha/Beta\nS2;Setup;Gamma\n", &[]);
    let ran = lms.courses_file("create", "b.csv", "shortname;fullname;category\nE2;Empty;\nE3;Blank; \n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    rerun_unchanged(&mut lms, "b.csv", &ran);
    lms.courses_file("create", "c.csv", "shortname;fullname\nE4;Absent\n", &[]);
    let paths = category_paths(&lms);
    for c in ["E2", "E3", "E4"] {
        assert_eq!(paths[c], "Alpha", "{c} goes to the category with the lowest id");
    }
    assert_eq!(category_list(&lms), ["Alpha", "Alpha/Beta", "Gamma"], "no nameless or extra category");
}

#[test]
fn numeric_category_is_an_existing_id_and_idnumber_mode_uses_category_idnumbers() {
    let lms = Lms::new();
    lms.courses_file("create", "a.csv", "shortname;fullname;category\nS1;Setup;Alpha/Beta\n", &[]);
    let beta = lms.export_json("categories").iter().find(|c| c["path"] == "Alpha/Beta").unwrap()["id"].clone();
    let file = format!("shortname;fullname;category\nN1;By id;{beta}\n");
    let ran = lms.courses_file("create", "b.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(category_paths(&lms)["N1"], "Alpha/Beta");

    lms.db_write().execute("UPDATE course_categories SET idnumber = 'BETA' WHERE name = 'Beta'", []).unwrap();
    let by_idnumber = lms.with("LMSYNC_COURSES__CATEGORY_IDENTIFIER", "idnumber");
    let ran = by_idnumber.courses_file("create", "c.csv", "shortname;fullname;category\nI1;By idnumber;BETA\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(category_paths(&by_idnumber)["I1"], "Alpha/Beta");
    assert_eq!(category_list(&by_idnumber).len(), 2, "idnumber mode creates no category");
}

#[test]
fn new_categories_follow_new_categories_visible() {
    let lms = Lms::new();
    lms.courses_file("create", "a.csv", "shortname;fullname;category\nS1;Setup;Shown\n", &[]);
    let hidden = lms.with("LMSYNC_COURSES__NEW_CATEGORIES_VISIBLE", "false");
    hidden.courses_file("create", "b.csv", "shortname;fullname;category\nH1;Hidden;Shown/Hidden\n", &[]);
    let visible: Vec<(String, i64)> = hidden
        .export_json("categories")
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_string(), c["visible"].as_i64().unwrap()))
        .collect();
    assert_eq!(visible, [("Shown".to_string(), 1), ("Shown/Hidden".to_string(), 0)], "existing ones untouched");
}

#[test]
fn topic_columns_make_sections_zero_to_max_without_gaps() {
    let mut lms = Lms::new();
    let file = "shortname;fullname;topic0;topic3
T1;Topics;Intro|Welcome here;Third
T2;Only section 0;General;
";
    let ran = lms.courses_file("create", "topics.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let s = |n: i64, name: &str, summary: &str| (n, name.to_string(), summary.to_string());
    assert_eq!(
        sections(&lms, "T1"),
        [s(0, "Intro", "Welcome here"), s(1, "", ""), s(2, "", ""), s(3, "Third", "")],
        "name and summary not swapped (Q31), no gap"
    );
    assert_eq!(sections(&lms, "T2")[0], s(0, "General", ""));
    rerun_unchanged(&mut lms, "topics.csv", &ran);

    let big = lms.courses_file("create", "big.csv", "shortname;fullname;topic52\nT52;Big;Last\n", &[]);
    assert_eq!(big.code, 0, "{big:?}");
    assert_eq!(sections(&lms, "T52").len(), 53);
    assert_eq!(sections(&lms, "T52")[52], s(52, "Last", ""));

    let bad = lms.courses_file("create", "bad.csv", "shortname;fullname;topic53\nT53;Too far;x\n", &[]);
    assert_eq!(bad.code, 2, "topic53 is not a column: {bad:?}");
}

#[test]
fn without_topic_columns_a_new_course_gets_default_sections() {
    let lms = Lms::new().with("LMSYNC_COURSES__DEFAULT_SECTIONS", "2");
    lms.courses_file("create", "a.csv", "shortname;fullname\nDS;Default sections\n", &[]);
    assert_eq!(sections(&lms, "DS").iter().map(|s| s.0).collect::<Vec<_>>(), [0, 1, 2]);
    let courses = lms.export_json("courses");
    assert_eq!(courses[0]["sections"], 3);
}

#[test]
fn self_and_guest_columns_enable_or_disable_the_instances() {
    let mut lms = Lms::new();
    let file =
        "shortname;fullname;self;guest\nG1;Both on;1;1\nG2;Both off;0;0\nG3;Self only;yes;\nG4;Guest only;;oui\n";
    let ran = lms.courses_file("create", "enrol.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let state = |manual: i64, guest: i64, self_: i64| {
        BTreeMap::from([("guest".to_string(), guest), ("manual".to_string(), manual), ("self".to_string(), self_)])
    };
    // status 0 = enabled, 1 = disabled; manual is always there and enabled.
    assert_eq!(instances(&lms, "G1"), state(0, 0, 0));
    assert_eq!(instances(&lms, "G2"), state(0, 1, 1));
    assert_eq!(instances(&lms, "G3"), state(0, 1, 0));
    assert_eq!(instances(&lms, "G4"), state(0, 0, 1));
    rerun_unchanged(&mut lms, "enrol.csv", &ran);

    let bad = lms.courses_file("create", "bad.csv", "shortname;fullname;guest\nG5;Bad;maybe\n", &[]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert_eq!(line(&lms.json_report(bad.run_id()), 2)["code"], "course.invalid_value");
}

#[test]
fn dry_run_writes_nothing_and_predicts_the_real_run() {
    let lms = Lms::new();
    let path = lms.fixture("course_create_sample.csv");
    assert!(lms.export_json("courses").is_empty(), "creates the store");
    let before = lms.course_state();
    let dry = lms.run_courses("create", &path, &["--dry-run"]);
    assert_eq!(dry.code, 1, "{dry:?}");
    assert!(dry.stdout.contains("dry run"), "{dry:?}");
    assert_eq!(lms.course_state(), before, "a dry run writes nothing");
    assert_eq!(lms.journalled(dry.run_id()), 0);
    assert!(dry.archive().is_none() && list(&lms.archives()).is_empty(), "a dry run archives nothing");
    assert!(dry.tryback().is_none(), "a dry run writes no tryback");
    assert!(lms.files().join("course_create_sample.csv").exists(), "the input stays");
    let dry_report = lms.json_report(dry.run_id());
    assert_eq!(dry_report["dry_run"], true);

    let real = lms.run_courses("create", &path, &[]);
    let real_report = lms.json_report(real.run_id());
    assert_eq!(outcomes(&dry_report), outcomes(&real_report), "the dry run said what the real run did");
    assert_eq!(dry.counts(), real.counts());
}

#[test]
fn bom_crlf_and_latin1_files_keep_working() {
    let mut lms = Lms::new();
    let utf8 = b"\xef\xbb\xbfshortname;fullname;category\r\nL1;Caf\xc3\xa9 \xc3\xa9t\xc3\xa9;Cat\xc3\xa9gorie\r\n";
    let ran = lms.courses_file("create", "bom.csv", utf8, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    rerun_unchanged(&mut lms, "bom.csv", &ran);
    let mut latin1 = lms.with("LMSYNC_CSV__ENCODING", "iso-8859-1");
    let ran =
        latin1.courses_file("create", "latin1.csv", b"shortname;fullname;category\nL2;Caf\xe9;Cat\xe9gorie\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let courses = latin1.export_json("courses");
    let got: Vec<(&str, &str, &str)> = courses
        .iter()
        .map(|c| {
            (c["shortname"].as_str().unwrap(), c["fullname"].as_str().unwrap(), c["category_path"].as_str().unwrap())
        })
        .collect();
    assert_eq!(got, [("L1", "Café été", "Catégorie"), ("L2", "Café", "Catégorie")], "one category, no mojibake");
    rerun_unchanged(&mut latin1, "latin1.csv", &ran);
}
