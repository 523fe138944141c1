//! The sample command files shipped with upstream tool_sync must read as upstream read them.

use std::fs::File;
use std::path::PathBuf;

use lmsync_csv::{CsvReader, Dialect, Record};

/// The upstream samples: beside the checkout (`../shared`), else where the binary's end-to-end
/// tests read them, so a clone anywhere on the machine finds them.
fn fixture(name: &str) -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/upstream");
    let dir = if beside.is_dir() { beside } else { PathBuf::from("/work/shared/fixtures/upstream") };
    dir.join(name)
}

fn read(name: &str) -> (CsvReader<File>, Vec<Record>) {
    let file = File::open(fixture(name)).unwrap();
    let mut reader = CsvReader::open(file, &Dialect::default()).unwrap();
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (reader, records)
}

#[test]
fn user_create_sample() {
    let (reader, records) = read("user_create_sample.csv");
    let header = reader.header();
    assert_eq!(header.line, 2);
    assert_eq!(header.names, ["username", "firstname", "lastname", "email", "country", "lang"]);
    assert!(header.raw.starts_with(b"# unit test only accepts en user lang\n"));
    assert!(header.raw.ends_with(b"country;lang\n"));
    assert_eq!(records.len(), 23);
    assert_eq!(records[0].line, 3);
    assert_eq!(records[22].line, 25);
    let amelie = records[1].fields.as_ref().unwrap();
    assert_eq!(amelie[1], "Amélie");
    assert_eq!(records[3].fields.as_ref().unwrap()[1], "Günter");
}

#[test]
fn user_suspend_sample_has_no_final_newline() {
    let (_, records) = read("user_suspend_sample.csv");
    assert_eq!(records.len(), 3);
    let last = &records[2];
    assert_eq!(last.line, 4);
    assert_eq!(last.raw, b"tosuspend3;To;Suspend3;1");
    assert_eq!(last.fields, Ok(vec!["tosuspend3".into(), "To".into(), "Suspend3".into(), "1".into()]));
}

#[test]
fn enrol_sample_short_line_needs_padding() {
    // Line 7 has 8 fields for 9 columns; upstream's enrolment tool accepted it.
    let (_, records) = read("enrol_sample.csv");
    assert_eq!(records.len(), 11);
    let short = &records[5];
    assert_eq!(short.line, 7);
    assert_eq!(short.fields.as_ref().unwrap_err().code(), "csv.field_count");

    let file = File::open(fixture("enrol_sample.csv")).unwrap();
    let mut reader = CsvReader::open(file, &Dialect::default()).unwrap();
    reader.set_pad_short_records(true);
    let records = reader.collect::<Result<Vec<_>, _>>().unwrap();
    let padded = records[5].fields.as_ref().unwrap();
    assert_eq!(padded.len(), 9);
    assert_eq!(padded[6..], ["GROUP1A", "", ""]);
}

#[test]
fn every_fixture_reads_without_failed_lines() {
    let dir = fixture("");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    assert!(names.len() > 20);
    for name in names {
        let (reader, records) = read(&name);
        assert!(!records.is_empty(), "{name}");
        let width = reader.header().names.len();
        for record in records {
            match &record.fields {
                Ok(fields) => assert_eq!(fields.len(), width, "{name}"),
                // The one upstream sample with a short line (see above).
                Err(e) => {
                    assert_eq!((name.as_str(), record.line, e.code()), ("enrol_sample.csv", 7, "csv.field_count"))
                }
            }
        }
    }
}

#[test]
fn comment_preamble_of_cohort_bindings() {
    let (reader, records) = read("cohort_bind_courses_sample.csv");
    assert_eq!(reader.header().line, 3);
    assert_eq!(reader.header().names, ["course", "cohort", "role"]);
    assert_eq!(records.len(), 6);
    assert_eq!(records[0].line, 4);
}
