//! `lmsync export categories|courses|sections|course-links`: the columns operators and this
//! suite rely on, CSV and JSON saying the same thing, in id order.

mod common;

use common::*;
use serde_json::Value;

const COLUMNS: [(&str, &[&str]); 4] = [
    ("categories", &["id", "name", "idnumber", "path", "visible", "parent"]),
    (
        "courses",
        &["id", "shortname", "fullname", "idnumber", "category_path", "format", "visible", "startdate", "sections"],
    ),
    ("sections", &["course_shortname", "section", "name", "summary", "visible"]),
    ("course-links", &["master_shortname", "meta_shortname"]),
];

/// Parses a CSV export (quotes allowed) into rows of fields.
fn parse_csv(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => row.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            '\r' if !quoted => {}
            c => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the export ends with a newline");
    rows
}

/// A JSON value as the CSV export writes it.
fn as_csv(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => u8::from(*b).to_string(),
        other => other.to_string(),
    }
}

fn populated() -> Lms {
    let lms = Lms::new().with("LMSYNC_TIMEZONE", "UTC");
    let file = "shortname;fullname;idnumber;category;format;visible;startdate;topic0;topic2
MATH;\"Maths; advanced\";M-1;Science/Maths;weeks;1;2026-09-01;Intro|Read \"this\";Algebra
PHYS;Physics;;Science;topics;0;2026-09-02;;
";
    let ran = lms.courses_file("create", "c.csv", file, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    lms.db_write().execute("UPDATE course_categories SET idnumber = 'SCI' WHERE name = 'Science'", []).unwrap();
    lms.db_write()
        .execute("INSERT INTO enrol (enrol, course, status, customint1, sortorder) VALUES ('meta', 2, 0, 1, 9)", [])
        .unwrap();
    lms
}

#[test]
fn exports_list_the_course_tables() {
    let lms = populated();
    let cats = lms.export_json("categories");
    assert_eq!(cats.len(), 2);
    assert_eq!(
        (&cats[0]["name"], &cats[0]["idnumber"], &cats[0]["path"], &cats[0]["parent"]),
        (&"Science".into(), &"SCI".into(), &"Science".into(), &Value::Null)
    );
    assert_eq!((&cats[1]["path"], &cats[1]["parent"]), (&"Science/Maths".into(), &cats[0]["id"]));
    assert_eq!(cats[1]["visible"], 1);

    let courses = lms.export_json("courses");
    let math = &courses[0];
    assert_eq!(math["shortname"], "MATH");
    assert_eq!(math["fullname"], "Maths; advanced");
    assert_eq!(math["idnumber"], "M-1");
    assert_eq!(math["category_path"], "Science/Maths");
    assert_eq!(math["format"], "weeks");
    assert_eq!(math["visible"], 1);
    assert_eq!(math["startdate"], 1788220800);
    assert_eq!(math["sections"], 3);
    assert_eq!((&courses[1]["visible"], &courses[1]["startdate"]), (&0.into(), &(1788220800 + 86400).into()));

    let sections: Vec<(String, i64, String, String)> = lms
        .export_json("sections")
        .iter()
        .map(|s| {
            (as_csv(&s["course_shortname"]), s["section"].as_i64().unwrap(), as_csv(&s["name"]), as_csv(&s["summary"]))
        })
        .collect();
    let s = |n: i64, name: &str, summary: &str| ("MATH".to_string(), n, name.to_string(), summary.to_string());
    assert_eq!(&sections[..3], [s(0, "Intro", "Read \"this\""), s(1, "", ""), s(2, "Algebra", "")]);
    assert_eq!(sections.len(), 6);

    let links = lms.export_json("course-links");
    assert_eq!(links.len(), 1);
    assert_eq!((&links[0]["master_shortname"], &links[0]["meta_shortname"]), (&"MATH".into(), &"PHYS".into()));
}

#[test]
fn csv_and_json_exports_agree_column_for_column() {
    let lms = populated();
    for (what, columns) in COLUMNS {
        let csv = lms.exec(&["export", what]);
        assert_eq!(csv.code, 0, "{csv:?}");
        let rows = parse_csv(&csv.stdout, ';');
        assert_eq!(rows[0], columns, "{what} header");
        let json = lms.export_json(what);
        assert_eq!(rows.len() - 1, json.len(), "{what}: same number of records");
        for (row, record) in rows[1..].iter().zip(&json) {
            let keys: Vec<&String> = record.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), columns.len(), "{what}: {record}");
            for (value, column) in row.iter().zip(columns) {
                assert_eq!(value, &as_csv(&record[column]), "{what}.{column}");
            }
        }
        let comma = lms.exec(&["export", what, "--delimiter", ","]);
        assert_eq!(parse_csv(&comma.stdout, ','), rows, "{what} with --delimiter ,");
    }
}

#[test]
fn exports_of_an_empty_store_have_only_headers() {
    let lms = Lms::new();
    for (what, columns) in COLUMNS {
        let csv = lms.exec(&["export", what]);
        assert_eq!(csv.code, 0, "{csv:?}");
        assert_eq!(csv.stdout, format!("{}\n", columns.join(";")), "{what}");
        assert!(lms.export_json(what).is_empty());
    }
}
