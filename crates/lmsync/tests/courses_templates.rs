//! Course templates end to end: a backup written by `lmsync courses backup` is what a template
//! naming the course then uses; an `.mbz` in the file area makes a course; a missing, corrupted
//! or hostile archive fails its line with tool_sync's error code, and nothing is created.

mod common;

use common::{Lms, line};
use std::io::Write;

fn template_course(lms: &Lms) {
    let ran = lms.courses_file(
        "create",
        "tpl.csv",
        "shortname;fullname;format;summary;topic1;topic2\nTPL;Template;weeks;From the template;Intro|Welcome;Week 2\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let db = lms.db_write();
    let section: i64 = db
        .query_row("SELECT s.id FROM course_sections s JOIN course c ON c.id = s.course WHERE c.shortname = 'TPL' AND s.section = 1", [], |r| r.get(0))
        .unwrap();
    db.execute("INSERT INTO course_modules (course, section, modname, name) SELECT id, ?1, 'forum', 'News' FROM course WHERE shortname = 'TPL'", [section]).unwrap();
}

fn sections(lms: &Lms, shortname: &str) -> Vec<(i64, String)> {
    let db = lms.db();
    let mut s = db
        .prepare("SELECT s.section, coalesce(s.name, '') FROM course_sections s JOIN course c ON c.id = s.course WHERE c.shortname = ?1 ORDER BY 1")
        .unwrap();
    s.query_map([shortname], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn activities(lms: &Lms, shortname: &str) -> Vec<(String, String)> {
    let db = lms.db();
    let mut s = db
        .prepare(
            "SELECT m.modname, m.name FROM course_modules m JOIN course c ON c.id = m.course WHERE c.shortname = ?1",
        )
        .unwrap();
    s.query_map([shortname], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_backup_of_a_course_is_readable_and_becomes_the_template_of_its_shortname() {
    let lms = Lms::new();
    template_course(&lms);
    let ran = lms.exec(&["courses", "backup", "TPL"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let dir = lms.files().join("backups");
    let backup = walk(&dir).into_iter().find(|p| p.extension().is_some_and(|e| e == "mbz")).expect("a backup file");
    let read = lmsync_mbz::read_mbz(&backup, &lmsync_mbz::Limits::default()).unwrap();
    assert_eq!(read.shortname, "TPL");
    assert_eq!(read.format, "weeks");
    assert_eq!(read.activities.len(), 1);

    // The template course changes after its backup: the backup, not the live course, is used.
    lms.db_write().execute("DELETE FROM course_modules", []).unwrap();
    let ran = lms.courses_file("create", "new.csv", "shortname;fullname;template\nNEW;New;TPL\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(activities(&lms, "NEW"), vec![("forum".to_string(), "News".to_string())]);
    assert_eq!(sections(&lms, "NEW"), vec![(0, String::new()), (1, "Intro".into()), (2, "Week 2".into())]);
    let course = lms.export_json("courses").into_iter().find(|c| c["shortname"] == "NEW").unwrap();
    assert_eq!(course["format"], "weeks", "the template's settings come along");
}

#[test]
fn an_mbz_inside_the_file_area_makes_a_course_and_bad_archives_fail_their_line() {
    let lms = Lms::new();
    template_course(&lms);
    assert_eq!(lms.exec(&["courses", "backup", "TPL"]).code, 0);
    let backup =
        walk(&lms.files().join("backups")).into_iter().find(|p| p.extension().is_some_and(|e| e == "mbz")).unwrap();
    std::fs::copy(&backup, lms.files().join("good.mbz")).unwrap();
    std::fs::write(lms.files().join("broken.mbz"), b"PK\x03\x04 this is not a zip").unwrap();
    let mut slip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    slip.start_file("../../etc/evil.xml", zip::write::SimpleFileOptions::default()).unwrap();
    slip.write_all(b"<x/>").unwrap();
    std::fs::write(lms.files().join("slip.mbz"), slip.finish().unwrap().into_inner()).unwrap();

    let ran = lms.courses_file(
        "create",
        "mbz.csv",
        "shortname;fullname;template\nFROMMBZ;From mbz;good.mbz\nBROKEN;Broken;broken.mbz\nSLIP;Slip;slip.mbz\nGONE;Gone;nothing.mbz\nOUT;Out;../../etc/passwd.mbz\n",
        &[],
    );
    assert_eq!(ran.code, 1, "{}", ran.all());
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["outcome"], "created");
    for (n, code) in [(3, "-24"), (4, "-24"), (5, "-22"), (6, "-22")] {
        let l = line(&report, n);
        assert_eq!(l["code"], "course.template_backup", "{l}");
        assert!(l["message"].as_str().unwrap().contains(&format!("error {code}")), "{l}");
    }
    assert_eq!(activities(&lms, "FROMMBZ"), vec![("forum".to_string(), "News".to_string())]);
    let shortnames: Vec<String> =
        lms.export_json("courses").iter().map(|c| c["shortname"].as_str().unwrap().to_string()).collect();
    assert_eq!(shortnames, vec!["TPL", "FROMMBZ"], "failed lines create nothing");
    let tryback = std::fs::read_to_string(ran.tryback().unwrap()).unwrap();
    assert_eq!(tryback.lines().count(), 5, "header and the four failed lines: {tryback}");
}

#[test]
fn template_mode_replace_swaps_the_content_of_an_existing_course() {
    let lms = Lms::new().with("LMSYNC_COURSES__FORCE_UPDATE", "true").with("LMSYNC_COURSES__TEMPLATE_MODE", "replace");
    template_course(&lms);
    assert_eq!(
        lms.courses_file("create", "c.csv", "shortname;fullname;topic1;topic2;topic3\nC1;C one;A;B;C\n", &[]).code,
        0
    );
    let db = lms.db_write();
    db.execute("INSERT INTO course_modules (course, section, modname, name) SELECT c.id, s.id, 'quiz', 'Old quiz' FROM course c JOIN course_sections s ON s.course = c.id AND s.section = 3 WHERE c.shortname = 'C1'", []).unwrap();
    let ran = lms.courses_file("create", "r.csv", "shortname;fullname;template\nC1;C one;TPL\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(activities(&lms, "C1"), vec![("forum".to_string(), "News".to_string())]);
    assert_eq!(sections(&lms, "C1").len(), 3, "sections past the template's are gone: {:?}", sections(&lms, "C1"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
