//! The public streaming reader: resolves the dialect, reads the header, then yields one
//! `Record` at a time. A bad record never stops the file; only I/O errors do.

use std::io::Read;

use encoding_rs::Encoding;

use crate::decode::{BOM, SNIFF_BYTES, decode_fields, resolve_encoding};
use crate::dialect::{DelimiterSetting, Dialect};
use crate::error::{CsvError, RecordError};
use crate::sniff::sniff_delimiter;
use crate::source::{Outcome, Source};
use crate::split::{Fields, Splitter};

/// The header line of a command file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Trimmed column names, in file order (a trailing empty name is dropped).
    pub names: Vec<String>,
    /// Physical 1-based line of the header.
    pub line: u64,
    /// Every byte of the input from the very start of the file (BOM and preamble comment
    /// lines included) through the header and its line terminator, exactly as read. A
    /// tryback starts with these bytes.
    pub raw: Vec<u8>,
}

/// One data record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Physical 1-based line where the record starts.
    pub line: u64,
    /// Physical line where it ends (later than `line` when a quoted value spans lines).
    pub end_line: u64,
    /// The record's exact bytes, line terminator included if it had one.
    pub raw: Vec<u8>,
    /// Decoded, trimmed values, one per header column; `Err` fails this record only.
    pub fields: Result<Vec<String>, RecordError>,
}

/// Streaming CSV reader: memory does not depend on the file size, only on the largest record.
pub struct CsvReader<R: Read> {
    source: Source<R>,
    splitter: Splitter,
    fields: Fields,
    header: Header,
    /// Number of header columns (after dropping a trailing empty name).
    width: usize,
    /// The header ended with a delimiter, so records may carry one extra empty field.
    trailing_delimiter: bool,
    pad_short_records: bool,
    ignore_extra_fields: bool,
    encoding: &'static Encoding,
    limit: usize,
    done: bool,
}

impl<R: Read> CsvReader<R> {
    /// Reads up to and including the header. Errors: I/O, no header (file empty or only
    /// comments), header not decodable, unterminated quote in the header, header over the
    /// size limit, unusable delimiter.
    pub fn open(input: R, dialect: &Dialect) -> Result<Self, CsvError> {
        let limit = dialect.max_record_bytes;
        let mut source = Source::new(input)?;
        let mut header_raw = Vec::new();
        let had_bom = source.available().starts_with(BOM);
        if had_bom {
            header_raw.extend_from_slice(BOM);
            source.consume(BOM.len());
        }
        let sample = source.available();
        let sample = &sample[..sample.len().min(SNIFF_BYTES)];
        let complete = source.at_eof() && sample.len() == source.available().len();
        let encoding = resolve_encoding(dialect.encoding, sample, complete, had_bom);

        let mut fields = Fields::default();
        let delimiter = match dialect.delimiter {
            DelimiterSetting::Fixed(b) => check_delimiter(b)?,
            DelimiterSetting::Auto => {
                let probe = Splitter::probe(dialect.legacy_comments);
                source.skip_to_record(&probe, limit, &mut fields, Some(&mut header_raw))?;
                source.buffer_line(limit)?;
                sniff_delimiter(source.available())
            }
        };
        let mut splitter = Splitter::new(delimiter, &[delimiter], dialect.legacy_comments);
        let record =
            source.next_raw(&splitter, limit, &mut fields, Some(&mut header_raw))?.ok_or(CsvError::NoHeader)?;
        header_raw.extend_from_slice(&record.raw);
        let line = record.line;
        match record.outcome {
            Outcome::Fields => {}
            Outcome::TooLong { bytes } => {
                return Err(CsvError::HeaderTooLong { line, bytes, limit });
            }
            Outcome::OpenQuote { .. } => return Err(CsvError::UnterminatedHeader { line }),
        }
        let mut names = decode_fields(&fields, encoding, delimiter)
            .map_err(|_| CsvError::HeaderUndecodable { line, encoding: encoding.name() })?;
        let trailing_delimiter = names.len() > 1 && names.last().is_some_and(String::is_empty);
        if trailing_delimiter {
            names.pop();
        }
        // Legacy comment prefixes only protect the preamble; after the header a line
        // starting with `-` or a space is data.
        splitter.set_legacy_prefixes(false);
        Ok(CsvReader {
            source,
            splitter,
            fields,
            width: names.len(),
            header: Header { names, line, raw: header_raw },
            trailing_delimiter,
            pad_short_records: false,
            ignore_extra_fields: false,
            encoding,
            limit,
            done: false,
        })
    }

    /// Opens a file without a header line (tool_sync's course check and delete lists): every
    /// non-skipped line is a record of the given columns. `Header::raw` holds only a BOM, if any,
    /// and `Header::line` is 0. Legacy comment prefixes do not apply (there is no preamble).
    pub fn open_headerless(input: R, dialect: &Dialect, names: Vec<String>) -> Result<Self, CsvError> {
        let limit = dialect.max_record_bytes;
        let mut source = Source::new(input)?;
        let mut raw = Vec::new();
        let had_bom = source.available().starts_with(BOM);
        if had_bom {
            raw.extend_from_slice(BOM);
            source.consume(BOM.len());
        }
        let sample = source.available();
        let sample = &sample[..sample.len().min(SNIFF_BYTES)];
        let complete = source.at_eof() && sample.len() == source.available().len();
        let encoding = resolve_encoding(dialect.encoding, sample, complete, had_bom);
        let delimiter = match dialect.delimiter {
            DelimiterSetting::Fixed(b) => check_delimiter(b)?,
            // Nothing to sniff from: a list of identifiers uses the default.
            DelimiterSetting::Auto => b';',
        };
        let splitter = Splitter::new(delimiter, &[delimiter], false);
        Ok(CsvReader {
            source,
            splitter,
            fields: Fields::default(),
            width: names.len(),
            header: Header { names, line: 0, raw },
            trailing_delimiter: false,
            pad_short_records: false,
            ignore_extra_fields: false,
            encoding,
            limit,
            done: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The delimiter in use (resolved when the setting is `auto`).
    pub fn delimiter(&self) -> u8 {
        self.splitter.delimiter()
    }

    /// The encoding in use (resolved when the setting is `auto`): UTF-8 or windows-1252.
    pub fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    /// Accept records with fewer fields than the header, padding them with empty values.
    /// Off by default (such records fail with `FieldCount`); upstream's enrolment and group
    /// tools accepted short lines, and their sample files rely on it.
    /// Accept records with more fields than the header, dropping the extra ones (tool_sync's
    /// course check lists ignore fields after the description). Off by default.
    pub fn set_ignore_extra_fields(&mut self, ignore: bool) {
        self.ignore_extra_fields = ignore;
    }

    pub fn set_pad_short_records(&mut self, pad: bool) {
        self.pad_short_records = pad;
    }

    /// Next data record, skipping empty and comment lines. `None` at end of input. `Err`
    /// only for I/O errors, after which the reader is exhausted.
    pub fn next_record(&mut self) -> Option<Result<Record, CsvError>> {
        if self.done {
            return None;
        }
        let raw = match self.source.next_raw(&self.splitter, self.limit, &mut self.fields, None) {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        let line = raw.line;
        let fields = match raw.outcome {
            Outcome::Fields => self.checked_fields(line),
            Outcome::TooLong { bytes } => Err(RecordError::TooLong { line, bytes, limit: self.limit }),
            Outcome::OpenQuote { column } => Err(RecordError::UnterminatedQuote { line, column }),
        };
        Some(Ok(Record { line, end_line: raw.end_line, raw: raw.raw, fields }))
    }

    /// Decodes the split fields and checks their number against the header. A wrong count
    /// is reported before undecodable bytes: it usually explains them.
    fn checked_fields(&self, line: u64) -> Result<Vec<String>, RecordError> {
        let found = self.fields.len();
        let expected = self.width;
        let count_error = RecordError::FieldCount { line, expected, found };
        let extra_allowed = self.trailing_delimiter && found == expected + 1;
        let short_allowed = self.pad_short_records && found < expected;
        let long_allowed = self.ignore_extra_fields && found > expected;
        if found != expected && !extra_allowed && !short_allowed && !long_allowed {
            return Err(count_error);
        }
        let mut values = decode_fields(&self.fields, self.encoding, self.delimiter()).map_err(|column| {
            if extra_allowed && column == found {
                count_error.clone()
            } else {
                RecordError::Undecodable { line, column, encoding: self.encoding.name() }
            }
        })?;
        if extra_allowed {
            match values.pop() {
                Some(last) if last.is_empty() => {}
                _ => return Err(count_error),
            }
        }
        values.resize(expected, String::new());
        Ok(values)
    }
}

impl<R: Read> Iterator for CsvReader<R> {
    type Item = Result<Record, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

/// After `None` (or an I/O error) the reader stays exhausted.
impl<R: Read> std::iter::FusedIterator for CsvReader<R> {}

impl<R: Read> std::fmt::Debug for CsvReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader")
            .field("header", &self.header.names)
            .field("header_line", &self.header.line)
            .field("delimiter", &char::from(self.delimiter()))
            .field("encoding", &self.encoding.name())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Only ASCII bytes keep splitting safe for UTF-8 input; quotes and line breaks are syntax.
fn check_delimiter(byte: u8) -> Result<u8, CsvError> {
    if byte.is_ascii() && !matches!(byte, b'"' | b'\n' | b'\r') {
        Ok(byte)
    } else {
        Err(CsvError::InvalidDelimiter { byte })
    }
}
