//! Reads lmsync "command files": the CSV exports an ERP drops for the LMS (semicolon-separated
//! by default, a header line, maybe comment lines), streaming one record at a time with exact
//! physical line numbers, validates headers against a tool's columns, and writes trybacks.

mod decode;
mod dialect;
mod error;
mod header;
mod reader;
mod sniff;
mod source;
mod split;
mod tryback;

pub use dialect::{DELIMITER_CANDIDATES, DelimiterSetting, Dialect, EncodingSetting, SettingError};
pub use error::{CsvError, RecordError};
pub use header::{ColumnPattern, ColumnRules, Columns, HeaderError, validate_header};
pub use reader::{CsvReader, Header, Record};
pub use tryback::{TrybackWriter, tryback_name};
