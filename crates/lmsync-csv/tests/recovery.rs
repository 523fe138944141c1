//! Robustness rules: a bad record fails alone, runaway quotes and huge lines are cut off,
//! file-level problems and I/O errors are reported, never panics.

use std::io::{self, Read};

use lmsync_csv::{CsvError, CsvReader, DelimiterSetting, Dialect, Record, RecordError};

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
fn unterminated_quote_mid_file_fails_one_line() {
    let input = b"a;b\n1;2\n3;\"oops\n5;6\n7;8\n";
    let (_, records) = read(input);
    assert_eq!(
        summary(&records),
        [(2, "1|2".into()), (3, "csv.unterminated_quote".into()), (4, "5|6".into()), (5, "7|8".into())]
    );
    assert_eq!(records[1].fields, Err(RecordError::UnterminatedQuote { line: 3, column: 2 }));
    assert_eq!(records[1].raw, b"3;\"oops\n");
}

#[test]
fn runaway_quote_is_cut_at_the_size_limit() {
    let mut input = b"a;b\n\"open;1\n".to_vec();
    for k in 0..5000 {
        input.extend_from_slice(format!("{k};x\n").as_bytes());
    }
    input.extend_from_slice(b"end;\"closes\nhere\"\n");
    let dialect = Dialect { max_record_bytes: 1000, ..Dialect::default() };
    let (_, records) = read_with(&input, &dialect);
    assert_eq!(records[0].fields, Err(RecordError::UnterminatedQuote { line: 2, column: 1 }));
    assert_eq!(records.len(), 5002);
    assert_eq!((records[1].line, ok(&records[1])), (3, vec!["0", "x"]));
    let last = &records[5001];
    assert_eq!((last.line, last.end_line, ok(last)), (5003, 5004, vec!["end", "closes\nhere"]));
}

#[test]
fn huge_field_is_too_long_and_reading_goes_on() {
    let mut input = b"a;b\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    input.extend_from_slice(b";1\nnext;2\n");
    let (_, records) = read(&input);
    assert_eq!(records.len(), 2);
    let bytes = 10 * 1024 * 1024 + 3;
    assert_eq!(records[0].fields, Err(RecordError::TooLong { line: 2, bytes, limit: 1_048_576 }));
    assert_eq!(records[0].raw.len(), bytes);
    assert_eq!((records[1].line, ok(&records[1])), (3, vec!["next", "2"]));
}

#[test]
fn file_level_errors() {
    let open = |input: &'static [u8], dialect: &Dialect| CsvReader::open(input, dialect).err().unwrap();
    let d = Dialect::default();
    assert!(matches!(open(b"", &d), CsvError::NoHeader));
    assert!(matches!(open(b"# only\n\n;;\n", &d), CsvError::NoHeader));
    assert!(matches!(open(b"# c\n\"a;b\n", &d), CsvError::UnterminatedHeader { line: 2 }));
    assert!(matches!(open(b"n\xe9e;b\n", &d), CsvError::HeaderUndecodable { line: 1, encoding: "UTF-8" }));
    let small = Dialect { max_record_bytes: 4, ..Dialect::default() };
    assert!(matches!(open(b"abcdef\n", &small), CsvError::HeaderTooLong { line: 1, bytes: 7, limit: 4 }));
    let quote = Dialect { delimiter: DelimiterSetting::Fixed(b'"'), ..Dialect::default() };
    assert!(matches!(open(b"a\n", &quote), CsvError::InvalidDelimiter { byte: b'"' }));
}

/// Fails after handing out its data.
struct Broken(Vec<u8>);

impl Read for Broken {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = self.0.len().min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0.drain(..n);
        Ok(n)
    }
}

#[test]
fn io_errors_end_the_iteration() {
    let d = Dialect::default();
    assert!(matches!(CsvReader::open(Broken(b"a;b\n".to_vec()), &d), Err(CsvError::Io(_))));
    // With more than the first buffer, the error surfaces while iterating, once.
    let mut data = b"a;b\n".to_vec();
    while data.len() < 200_000 {
        data.extend_from_slice(b"1;2\n");
    }
    let mut reader = CsvReader::open(Broken(data), &d).unwrap();
    let mut ok_count = 0;
    let mut errors = 0;
    for item in reader.by_ref() {
        match item {
            Ok(_) => ok_count += 1,
            Err(e) => {
                assert!(matches!(e, CsvError::Io(_)));
                errors += 1;
            }
        }
    }
    assert_eq!(errors, 1);
    assert!(ok_count > 10_000);
    assert!(reader.next().is_none());
}
