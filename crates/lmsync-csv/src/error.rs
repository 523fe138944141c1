//! Error types of the reader: `CsvError` stops a file, `RecordError` fails one record only.
//!
//! Messages are meant for an administrator reading a run report: they say what is wrong
//! and what to change (usually the file, sometimes a `[csv]` setting).

use thiserror::Error;

/// Why a file cannot be read at all (the run stops before touching anything).
#[derive(Debug, Error)]
pub enum CsvError {
    #[error("cannot read the csv file: {0}; check that the file exists, is readable and is not being written")]
    Io(#[from] std::io::Error),

    #[error(
        "the file has no header line (it is empty or holds only comments and blank lines); \
         add a header line naming the columns"
    )]
    NoHeader,

    #[error(
        "header on line {line} is not valid {encoding}; set csv.encoding to the file's real \
         encoding (\"windows-1252\", \"utf-8\") or to \"auto\""
    )]
    HeaderUndecodable { line: u64, encoding: &'static str },

    #[error(
        "header on line {line} has a quoted column name without its closing quote; \
         add the missing '\"' to the header"
    )]
    UnterminatedHeader { line: u64 },

    #[error(
        "header on line {line} is {bytes} bytes long, more than the limit of {limit} bytes; \
         check that this is a csv command file, or raise the record size limit"
    )]
    HeaderTooLong { line: u64, bytes: usize, limit: usize },

    #[error(
        "byte {byte:#04x} cannot be used as csv delimiter; \
         set csv.delimiter to \";\", \",\", \"|\", \"tab\" or \"auto\""
    )]
    InvalidDelimiter { byte: u8 },
}

/// Why one record fails; the run goes on with the next record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error(
        "line {line} has {found} fields but the header has {expected} columns; \
         check for a missing or extra delimiter, and put values that contain the delimiter \
         in double quotes"
    )]
    FieldCount { line: u64, expected: usize, found: usize },

    #[error(
        "line {line}, column {column}: the value is not valid {encoding}; \
         set csv.encoding to the file's real encoding (\"windows-1252\", \"utf-8\") or to \"auto\", \
         or re-export the file as utf-8"
    )]
    Undecodable { line: u64, column: usize, encoding: &'static str },

    #[error(
        "line {line}: the record is {bytes} bytes long, more than the limit of {limit} bytes; \
         check for a runaway line or a missing line break"
    )]
    TooLong { line: u64, bytes: usize, limit: usize },

    #[error(
        "line {line}, column {column}: a quoted value has no closing quote (or is too long); \
         add the closing '\"', and write a quote inside a quoted value as '\"\"'"
    )]
    UnterminatedQuote { line: u64, column: usize },
}

impl RecordError {
    /// Stable machine-readable code, used in JSON reports.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::FieldCount { .. } => "csv.field_count",
            RecordError::Undecodable { .. } => "csv.undecodable",
            RecordError::TooLong { .. } => "csv.too_long",
            RecordError::UnterminatedQuote { .. } => "csv.unterminated_quote",
        }
    }

    /// Physical 1-based line the error refers to (where the record starts).
    pub fn line(&self) -> u64 {
        match self {
            RecordError::FieldCount { line, .. }
            | RecordError::Undecodable { line, .. }
            | RecordError::TooLong { line, .. }
            | RecordError::UnterminatedQuote { line, .. } => *line,
        }
    }
}

impl CsvError {
    /// Stable machine-readable code, used in JSON reports.
    pub fn code(&self) -> &'static str {
        match self {
            CsvError::Io(_) => "csv.io",
            CsvError::NoHeader => "csv.no_header",
            CsvError::HeaderUndecodable { .. } => "csv.header_undecodable",
            CsvError::UnterminatedHeader { .. } => "csv.unterminated_header",
            CsvError::HeaderTooLong { .. } => "csv.header_too_long",
            CsvError::InvalidDelimiter { .. } => "csv.invalid_delimiter",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let cases = [
            (RecordError::FieldCount { line: 1, expected: 2, found: 3 }, "csv.field_count"),
            (RecordError::Undecodable { line: 1, column: 2, encoding: "UTF-8" }, "csv.undecodable"),
            (RecordError::TooLong { line: 1, bytes: 9, limit: 8 }, "csv.too_long"),
            (RecordError::UnterminatedQuote { line: 1, column: 1 }, "csv.unterminated_quote"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.line(), 1);
        }
    }

    #[test]
    fn messages_are_lowercase_and_say_what_to_do() {
        let err = RecordError::FieldCount { line: 12, expected: 6, found: 5 };
        let text = err.to_string();
        assert!(text.starts_with("line 12 has 5 fields but the header has 6 columns;"), "{text}");
        let err = RecordError::Undecodable { line: 3, column: 2, encoding: "UTF-8" };
        assert!(err.to_string().contains("csv.encoding"));
        assert!(CsvError::NoHeader.to_string().starts_with("the file has no header"));
    }
}
