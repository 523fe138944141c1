//! Property tests: what a CSV writer quotes comes back unchanged, trybacks re-read to the same
//! records, chunking of the input never matters, and no input makes the reader panic.

use std::io::{self, Read};

use lmsync_csv::{CsvReader, DelimiterSetting, Dialect, EncodingSetting, Record, RecordError, TrybackWriter};
use proptest::prelude::*;
use proptest::sample::select;

/// Hands out its data `chunk` bytes at a time, like a slow pipe.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(self.data.len()).min(out.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Everything a reader produced, with errors reduced to comparable values.
type Outcome = Result<(Vec<String>, Vec<u8>, u8, Vec<Record>), String>;

fn read_all(input: impl Read, dialect: &Dialect) -> Outcome {
    let mut reader = CsvReader::open(input, dialect).map_err(|e| e.to_string())?;
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let header = reader.header().clone();
    Ok((header.names, header.raw, reader.delimiter(), records))
}

/// Writes a value the way a careful exporter would: quoted when it must be, or when asked.
fn write_field(out: &mut String, value: &str, delimiter: char, force_quote: bool) {
    let must = value.is_empty()
        || value.starts_with(['#', '/', '-', '(', '[', ' '])
        || value.contains([delimiter, '"', '\r', '\n']);
    if must || force_quote {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Physical line breaks in `text` (CRLF counts once).
fn breaks(text: &str) -> u64 {
    text.replace("\r\n", "\n").chars().filter(|&c| c == '\n' || c == '\r').count() as u64
}

fn value() -> impl Strategy<Value = String> {
    let chars = select(vec!['a', 'Z', 'é', '€', ' ', ';', ',', '|', '\t', '"', '\r', '\n', '#', '/', '&', '(', '-']);
    prop::collection::vec(chars, 0..8).prop_map(|cs| cs.into_iter().collect::<String>().trim().to_owned())
}

fn name() -> impl Strategy<Value = String> {
    value().prop_filter("header names are not empty", |n| !n.is_empty())
}

#[derive(Debug, Clone)]
struct Table {
    delimiter: u8,
    eol: &'static str,
    latin: bool,
    final_eol: bool,
    names: Vec<String>,
    /// Rows, each with an "extra field" flag making it fail the field count.
    rows: Vec<(Vec<String>, Vec<bool>, bool)>,
}

fn table() -> impl Strategy<Value = Table> {
    (
        select(vec![b';', b',', b'\t', b'|']),
        select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(name(), 1..5),
    )
        .prop_flat_map(|(delimiter, eol, latin, final_eol, names)| {
            let width = names.len();
            let row = (
                prop::collection::vec(value(), width..=width + 1),
                prop::collection::vec(any::<bool>(), width + 1),
                prop::bool::weighted(0.8),
            )
                .prop_map(move |(mut fields, quotes, good)| {
                    fields.truncate(if good { width } else { width + 1 });
                    if !good && fields.len() == width {
                        fields.push("extra".to_owned());
                    }
                    (fields, quotes, good)
                });
            prop::collection::vec(row, 0..12).prop_map(move |rows| Table {
                delimiter,
                eol,
                latin,
                final_eol,
                names: names.clone(),
                rows,
            })
        })
}

impl Table {
    /// The file bytes, and each row's expected start line.
    fn write(&self) -> (Vec<u8>, Vec<u64>) {
        let delimiter = char::from(self.delimiter);
        let mut text = String::new();
        for (k, n) in self.names.iter().enumerate() {
            if k > 0 {
                text.push(delimiter);
            }
            write_field(&mut text, n, delimiter, false);
        }
        let mut lines = Vec::new();
        let mut line = 1 + breaks(&text);
        for (i, (fields, quotes, _)) in self.rows.iter().enumerate() {
            text.push_str(self.eol);
            line += 1;
            lines.push(line);
            let mut row = String::new();
            for (k, f) in fields.iter().enumerate() {
                if k > 0 {
                    row.push(delimiter);
                }
                write_field(&mut row, f, delimiter, quotes[k]);
            }
            line += breaks(&row);
            text.push_str(&row);
            if i + 1 == self.rows.len() && self.final_eol {
                text.push_str(self.eol);
            }
        }
        let bytes = if self.latin { encoding_rs::WINDOWS_1252.encode(&text).0.into_owned() } else { text.into_bytes() };
        (bytes, lines)
    }

    fn dialect(&self) -> Dialect {
        let encoding = if self.latin { EncodingSetting::Windows1252 } else { EncodingSetting::Utf8 };
        Dialect { delimiter: DelimiterSetting::Fixed(self.delimiter), encoding, ..Dialect::default() }
    }
}

fn without_line(r: &Record) -> Result<Vec<String>, RecordError> {
    r.fields.clone().map_err(|e| match e {
        RecordError::FieldCount { expected, found, .. } => RecordError::FieldCount { line: 0, expected, found },
        RecordError::Undecodable { column, encoding, .. } => RecordError::Undecodable { line: 0, column, encoding },
        RecordError::TooLong { bytes, limit, .. } => RecordError::TooLong { line: 0, bytes, limit },
        RecordError::UnterminatedQuote { column, .. } => RecordError::UnterminatedQuote { line: 0, column },
    })
}

fn tryback(header_raw: &[u8], records: &[&Record]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let mut writer = TrybackWriter::create(&path, header_raw).unwrap();
    for r in records {
        writer.write_record(&r.raw).unwrap();
    }
    writer.finish().unwrap();
    std::fs::read(&path).unwrap()
}

fn dialect() -> impl Strategy<Value = Dialect> {
    (
        select(vec![
            DelimiterSetting::Fixed(b';'),
            DelimiterSetting::Fixed(b','),
            DelimiterSetting::Fixed(b'\t'),
            DelimiterSetting::Auto,
        ]),
        select(vec![EncodingSetting::Utf8, EncodingSetting::Windows1252, EncodingSetting::Auto]),
        any::<bool>(),
        select(vec![1usize, 3, 8, 20, 64, 1 << 20]),
    )
        .prop_map(|(delimiter, encoding, legacy_comments, max_record_bytes)| Dialect {
            delimiter,
            encoding,
            legacy_comments,
            max_record_bytes,
        })
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let special = select(b";,\t|\"\r\n #/-(&ab\xc3\xa9\xe9\xef\xbb\xbf".to_vec());
    prop::collection::vec(prop_oneof![4 => special, 1 => any::<u8>()], 0..200)
}

proptest! {
    #[test]
    fn written_fields_read_back(t in table(), chunk in 1usize..20) {
        let (input, lines) = t.write();
        let dialect = t.dialect();
        let (names, header_raw, _, records) = read_all(&input[..], &dialect).unwrap();
        prop_assert_eq!(&names, &t.names);
        prop_assert_eq!(records.len(), t.rows.len());
        for ((r, (fields, _, good)), line) in records.iter().zip(&t.rows).zip(&lines) {
            prop_assert_eq!(r.line, *line);
            if *good {
                prop_assert_eq!(r.fields.as_ref().unwrap(), fields);
            } else {
                prop_assert_eq!(r.fields.as_ref().unwrap_err().code(), "csv.field_count");
            }
        }
        // Nothing was skipped, so header and records are the whole file.
        let mut all = header_raw.clone();
        records.iter().for_each(|r| all.extend_from_slice(&r.raw));
        prop_assert_eq!(&all, &input);
        // Chunked input changes nothing.
        let trickled = read_all(Trickle { data: &input, chunk }, &dialect).unwrap();
        prop_assert_eq!(trickled, (names, header_raw, t.delimiter, records));
    }

    #[test]
    fn failed_records_survive_a_tryback(t in table(), mask in prop::collection::vec(any::<bool>(), 12)) {
        let (input, _) = t.write();
        let dialect = t.dialect();
        let (_, header_raw, _, records) = read_all(&input[..], &dialect).unwrap();
        let chosen: Vec<&Record> = records.iter().zip(&mask).filter(|(_, m)| **m).map(|(r, _)| r).collect();
        let written = tryback(&header_raw, &chosen);
        let (_, again_header, _, again) = read_all(&written[..], &dialect).unwrap();
        prop_assert_eq!(again_header, header_raw);
        prop_assert_eq!(again.len(), chosen.len());
        for (a, b) in again.iter().zip(&chosen) {
            prop_assert_eq!(without_line(a), without_line(b));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in bytes(), dialect in dialect(), chunk in 1usize..9) {
        let whole = read_all(&input[..], &dialect);
        let trickled = read_all(Trickle { data: &input, chunk }, &dialect);
        prop_assert_eq!(&whole, &trickled);
        if let Ok((_, header_raw, _, records)) = whole {
            let mut total = header_raw.len();
            let mut last_line = 0;
            for r in &records {
                prop_assert!(!r.raw.is_empty());
                prop_assert!(r.line > last_line && r.end_line >= r.line);
                last_line = r.end_line;
                total += r.raw.len();
            }
            prop_assert!(total <= input.len());
        }
    }

    #[test]
    fn any_record_alone_in_a_tryback_reads_the_same(input in bytes(), dialect in dialect()) {
        // Auto encoding may legitimately resolve differently on the smaller tryback.
        let dialect = match dialect.encoding {
            EncodingSetting::Auto => Dialect { encoding: EncodingSetting::Utf8, ..dialect },
            _ => dialect,
        };
        if let Ok((_, header_raw, _, records)) = read_all(&input[..], &dialect) {
            for r in &records {
                let written = tryback(&header_raw, &[r]);
                let (_, _, _, again) = read_all(&written[..], &dialect).unwrap();
                prop_assert_eq!(again.len(), 1);
                prop_assert_eq!(&again[0].raw, &r.raw);
                prop_assert_eq!(without_line(&again[0]), without_line(r));
            }
        }
    }
}

proptest! {
    #[test]
    fn records_without_open_quotes_survive_a_tryback_together(input in bytes(), dialect in dialect()) {
        // An unterminated quote would swallow the records written after it, as it did in the
        // input until the recovery rule cut it; every other record must re-read identically.
        let dialect = match dialect.encoding {
            EncodingSetting::Auto => Dialect { encoding: EncodingSetting::Windows1252, ..dialect },
            _ => dialect,
        };
        if let Ok((_, header_raw, _, records)) = read_all(&input[..], &dialect) {
            let chosen: Vec<&Record> = records
                .iter()
                .filter(|r| !matches!(r.fields, Err(RecordError::UnterminatedQuote { .. })))
                .collect();
            let written = tryback(&header_raw, &chosen);
            let (_, _, _, again) = read_all(&written[..], &dialect).unwrap();
            prop_assert_eq!(again.len(), chosen.len());
            for (a, b) in again.iter().zip(&chosen) {
                prop_assert_eq!(without_line(a), without_line(b));
            }
        }
    }
}
