//! Files without a header line (course check and delete lists) read every line as a record.

use lmsync_csv::{CsvReader, Dialect};

#[test]
fn a_headerless_list_reads_every_line_as_a_record() {
    let input = "\u{feff}TESTCOURSE1\n# comment\n\n-dash\nTESTCOURSE3";
    let mut r = CsvReader::open_headerless(input.as_bytes(), &Dialect::default(), vec!["shortname".into()]).unwrap();
    assert_eq!(r.header().line, 0);
    assert_eq!(r.header().raw, "\u{feff}".as_bytes());
    let got: Vec<(u64, Vec<String>)> =
        r.by_ref().map(|rec| rec.unwrap()).map(|rec| (rec.line, rec.fields.unwrap())).collect();
    assert_eq!(
        got,
        vec![
            (1, vec!["TESTCOURSE1".to_string()]),
            (4, vec!["-dash".to_string()]),
            (5, vec!["TESTCOURSE3".to_string()])
        ]
    );
}

#[test]
fn a_headerless_record_with_too_many_fields_fails_alone() {
    let mut r =
        CsvReader::open_headerless("A;B\nC\n".as_bytes(), &Dialect::default(), vec!["shortname".into()]).unwrap();
    assert!(r.next().unwrap().unwrap().fields.is_err());
    assert_eq!(r.next().unwrap().unwrap().fields.unwrap(), vec!["C".to_string()]);
}
