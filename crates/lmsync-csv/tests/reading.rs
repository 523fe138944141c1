//! Reading rules of DECISIONS §2, one behaviour per test, through the public API.

use lmsync_csv::{CsvReader, DelimiterSetting, Dialect, EncodingSetting, Record, RecordError};

fn read_with<'a>(input: &'a [u8], dialect: &Dialect) -> (CsvReader<&'a [u8]>, Vec<Record>) {
    let mut reader = CsvReader::open(input, dialect).unwrap();
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (reader, records)
}

fn read(input: &[u8]) -> (CsvReader<&[u8]>, Vec<Record>) {
    read_with(input, &Dialect::default())
}

fn ok(record: &Record) -> Vec<&str> {
    record.fields.as_ref().unwrap().iter().map(String::as_str).collect()
}

/// (line, fields or error code) of every record, for compact table tests.
fn summary(records: &[Record]) -> Vec<(u64, String)> {
    records
        .iter()
        .map(|r| match &r.fields {
            Ok(f) => (r.line, f.join("|")),
            Err(e) => (r.line, e.code().to_owned()),
        })
        .collect()
}

#[test]
fn quoted_fields_with_delimiter_quotes_and_newlines() {
    let input = b"a;b;c\n\"x;y\";\"say \"\"hi\"\"\";\"two\nlines\"\nnext;O\"Brien;z\n";
    let (_, records) = read(input);
    assert_eq!(records.len(), 2);
    assert_eq!(ok(&records[0]), ["x;y", "say \"hi\"", "two\nlines"]);
    assert_eq!((records[0].line, records[0].end_line), (2, 3));
    assert_eq!(ok(&records[1]), ["next", "O\"Brien", "z"]);
    assert_eq!((records[1].line, records[1].end_line), (4, 4));
    assert_eq!(records[0].raw, b"\"x;y\";\"say \"\"hi\"\"\";\"two\nlines\"\n");
}

#[test]
fn line_endings() {
    for (input, label) in [
        (&b"a;b\r\n1;2\r\n\r\n3;4\r\n"[..], "crlf"),
        (b"a;b\r1;2\r\r3;4\r", "cr"),
        (b"a;b\n1;2\n\n3;4", "lf, no final newline"),
    ] {
        let (reader, records) = read(input);
        assert_eq!(reader.header().names, ["a", "b"], "{label}");
        assert_eq!(summary(&records), [(2, "1|2".into()), (4, "3|4".into())], "{label}");
    }
    let (_, records) = read(b"a;b\r\n\"1\r\n1\";2\r\n3;4\r\n");
    assert_eq!(ok(&records[0]), ["1\r\n1", "2"]);
    assert_eq!((records[1].line, records[1].raw.as_slice()), (4, &b"3;4\r\n"[..]));
}

#[test]
fn bom_is_stripped_in_every_mode_but_kept_in_the_header_bytes() {
    for encoding in [EncodingSetting::Utf8, EncodingSetting::Windows1252, EncodingSetting::Auto] {
        let dialect = Dialect { encoding, ..Dialect::default() };
        let (reader, records) = read_with(b"\xEF\xBB\xBFusername;x\nbob;1\n", &dialect);
        assert_eq!(reader.header().names, ["username", "x"], "{encoding:?}");
        assert_eq!(reader.header().raw, b"\xEF\xBB\xBFusername;x\n");
        assert_eq!(ok(&records[0]), ["bob", "1"]);
    }
    let dialect = Dialect { encoding: EncodingSetting::Auto, ..Dialect::default() };
    let (reader, _) = read_with(b"\xEF\xBB\xBFa\nb\n", &dialect);
    assert_eq!(reader.encoding(), encoding_rs::UTF_8);
}

#[test]
fn windows_1252_and_latin1_settings() {
    for encoding in [EncodingSetting::Windows1252, EncodingSetting::Iso88591] {
        let dialect = Dialect { encoding, ..Dialect::default() };
        let (reader, records) = read_with(b"name;price\nAm\xe9lie;5 \x80\n", &dialect);
        assert_eq!(reader.encoding(), encoding_rs::WINDOWS_1252);
        assert_eq!(ok(&records[0]), ["Amélie", "5 €"]);
    }
}

#[test]
fn encoding_auto() {
    let dialect = Dialect { encoding: EncodingSetting::Auto, ..Dialect::default() };
    let (reader, records) = read_with("name\nAmélie\n".as_bytes(), &dialect);
    assert_eq!(reader.encoding(), encoding_rs::UTF_8);
    assert_eq!(ok(&records[0]), ["Amélie"]);
    let (reader, records) = read_with(b"name\nAm\xe9lie\nFran\xe7ois\n", &dialect);
    assert_eq!(reader.encoding(), encoding_rs::WINDOWS_1252);
    assert_eq!(ok(&records[1]), ["François"]);
}

#[test]
fn undecodable_bytes_fail_the_line_with_its_column() {
    let (_, records) = read(b"# c\na;b;c\n1;2;3\nx;Am\xe9lie;z\n4;5;6\n");
    assert_eq!(records[1].fields, Err(RecordError::Undecodable { line: 4, column: 2, encoding: "UTF-8" }));
    assert_eq!(ok(&records[2]), ["4", "5", "6"]);
}

#[test]
fn wrong_field_counts_fail_only_their_line() {
    let (_, records) = read(b"a;b;c\n1;2\n1;2;3;4\n1;2;3\n1;2;;\n");
    assert_eq!(records[0].fields, Err(RecordError::FieldCount { line: 2, expected: 3, found: 2 }));
    assert_eq!(records[1].fields, Err(RecordError::FieldCount { line: 3, expected: 3, found: 4 }));
    assert_eq!(ok(&records[2]), ["1", "2", "3"]);
    assert_eq!(records[3].fields, Err(RecordError::FieldCount { line: 5, expected: 3, found: 4 }));
}

#[test]
fn trailing_delimiter_in_header() {
    let (reader, records) = read(b"a;b;c;\n1;2;3;\n1;2;3\n1;2;3; \n1;2;3;4\n1;2\n");
    assert_eq!(reader.header().names, ["a", "b", "c"]);
    assert_eq!(
        summary(&records),
        [
            (2, "1|2|3".into()),
            (3, "1|2|3".into()),
            (4, "1|2|3".into()),
            (5, "csv.field_count".into()),
            (6, "csv.field_count".into())
        ]
    );
}

#[test]
fn comment_rules_around_the_header() {
    let input = b"(legacy\n[legacy\n-legacy\n/legacy\n legacy\n# comment \"quote\n// comment\n\
        \n;;;\nname;value\n-1;x\n v;y\n# not data \"\n  // not data\n;; ;\n\t\nlast;z\n";
    let (reader, records) = read(input);
    assert_eq!(reader.header().line, 10);
    assert_eq!(reader.header().names, ["name", "value"]);
    assert_eq!(summary(&records), [(11, "-1|x".into()), (12, "v|y".into()), (17, "last|z".into())]);

    // Without legacy comments the first legacy line is the header.
    let dialect = Dialect { legacy_comments: false, ..Dialect::default() };
    let (reader, _) = read_with(b"# real comment\n(legacy\nname\n", &dialect);
    assert_eq!((reader.header().line, reader.header().names.as_slice()), (2, &["(legacy".to_owned()][..]));
}

#[test]
fn delimiter_auto() {
    let dialect = Dialect { delimiter: DelimiterSetting::Auto, ..Dialect::default() };
    for (input, want) in [
        (&b"# a;b;c;d\na,b,c\n1,2,3\n"[..], b','),
        (b"a\tb\tc\n1\t2\t3\n", b'\t'),
        (b"a|b|c\n1|2|3\n", b'|'),
        (b"a;b;c\n1;2;3\n", b';'),
        (b",,,\n\"x,y\";b;c\n1;2;3\n", b';'),
    ] {
        let (reader, records) = read_with(input, &dialect);
        assert_eq!(reader.delimiter(), want, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(reader.header().names.len(), 3);
        assert_eq!(ok(&records[0]), ["1", "2", "3"]);
    }
    let (reader, _) = read_with(b"single\nx\n", &dialect);
    assert_eq!(reader.delimiter(), b';');
}

#[test]
fn legacy_escape_becomes_the_delimiter() {
    let (_, records) = read(b"a;b\nx&#44y;&#44\n");
    assert_eq!(ok(&records[0]), ["x;y", ";"]);
    let dialect = Dialect { delimiter: DelimiterSetting::Fixed(b','), ..Dialect::default() };
    let (_, records) = read_with(b"a,b\nx&#44y,z\n", &dialect);
    assert_eq!(ok(&records[0]), ["x,y", "z"]);
}
