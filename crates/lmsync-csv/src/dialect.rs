//! The `[csv]` settings that shape how a command file is read (delimiter, encoding, comments,
//! record size limit), parsed from the strings an administrator writes in `lmsync.toml`.

use std::str::FromStr;

use thiserror::Error;

/// The delimiters `auto` chooses from, in tie-breaking order.
pub const DELIMITER_CANDIDATES: [u8; 4] = [b';', b',', b'\t', b'|'];

/// Setting `csv.delimiter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelimiterSetting {
    /// Always this byte (must be ASCII and not a quote or line break).
    Fixed(u8),
    /// Sniff the header line: the candidate (`;` `,` tab `|`) found most often outside
    /// quotes wins; ties go to the earlier candidate; none found means `;`.
    Auto,
}

/// Setting `csv.encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSetting {
    Utf8,
    Windows1252,
    /// Decoded as windows-1252, exactly like the WHATWG encoding standard treats the label
    /// `iso-8859-1`: windows-1252 is a superset for every printable ISO-8859-1 character, and
    /// files labelled ISO-8859-1 by Windows tools routinely contain `€`, curly quotes, etc.
    Iso88591,
    /// UTF-8 if the first 64 KiB are valid UTF-8 (or start with a UTF-8 BOM), else
    /// windows-1252 (the only other encoding the reader accepts, see `CsvReader::encoding`).
    Auto,
}

/// How to read a command file. `Dialect::default()` is the upstream behaviour.
#[derive(Debug, Clone)]
pub struct Dialect {
    /// Default `Fixed(b';')`.
    pub delimiter: DelimiterSetting,
    /// Default `Utf8`.
    pub encoding: EncodingSetting,
    /// Before the header, also skip lines starting with `(`, `[`, `-`, `/` or a space.
    /// Default true.
    pub legacy_comments: bool,
    /// Largest record (in bytes, line terminator included) the reader accepts; it also bounds
    /// how far an unterminated quote can reach. Default 1 MiB.
    pub max_record_bytes: usize,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: DelimiterSetting::Fixed(b';'),
            encoding: EncodingSetting::Utf8,
            legacy_comments: true,
            max_record_bytes: 1_048_576,
        }
    }
}

/// A `[csv]` setting value that is not one of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid value {value:?} for {setting}; accepted values: {accepted}")]
pub struct SettingError {
    pub setting: &'static str,
    pub value: String,
    pub accepted: &'static str,
}

impl FromStr for DelimiterSetting {
    type Err = SettingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A real tab must be checked before trimming, which would erase it.
        if s == "\t" {
            return Ok(DelimiterSetting::Fixed(b'\t'));
        }
        match s.trim().to_ascii_lowercase().as_str() {
            ";" => Ok(DelimiterSetting::Fixed(b';')),
            "," => Ok(DelimiterSetting::Fixed(b',')),
            "|" => Ok(DelimiterSetting::Fixed(b'|')),
            "tab" | "\\t" => Ok(DelimiterSetting::Fixed(b'\t')),
            "auto" => Ok(DelimiterSetting::Auto),
            _ => Err(SettingError {
                setting: "csv.delimiter",
                value: s.to_owned(),
                accepted: "\";\", \",\", \"|\", \"tab\" (or a tab character), \"auto\"",
            }),
        }
    }
}

impl FromStr for EncodingSetting {
    type Err = SettingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(EncodingSetting::Utf8),
            "iso-8859-1" | "latin1" => Ok(EncodingSetting::Iso88591),
            "windows-1252" | "cp1252" => Ok(EncodingSetting::Windows1252),
            "auto" => Ok(EncodingSetting::Auto),
            _ => Err(SettingError {
                setting: "csv.encoding",
                value: s.to_owned(),
                accepted: "\"utf-8\", \"iso-8859-1\" (\"latin1\"), \"windows-1252\" (\"cp1252\"), \"auto\"",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_upstream_behaviour() {
        let d = Dialect::default();
        assert_eq!(d.delimiter, DelimiterSetting::Fixed(b';'));
        assert_eq!(d.encoding, EncodingSetting::Utf8);
        assert!(d.legacy_comments);
        assert_eq!(d.max_record_bytes, 1_048_576);
    }

    #[test]
    fn delimiter_spellings() {
        let cases = [
            (";", Some(DelimiterSetting::Fixed(b';'))),
            (",", Some(DelimiterSetting::Fixed(b','))),
            ("|", Some(DelimiterSetting::Fixed(b'|'))),
            ("tab", Some(DelimiterSetting::Fixed(b'\t'))),
            ("TAB", Some(DelimiterSetting::Fixed(b'\t'))),
            ("\t", Some(DelimiterSetting::Fixed(b'\t'))),
            ("\\t", Some(DelimiterSetting::Fixed(b'\t'))),
            ("auto", Some(DelimiterSetting::Auto)),
            ("Auto", Some(DelimiterSetting::Auto)),
            (":", None),
            ("", None),
            (";;", None),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<DelimiterSetting>().ok(), want, "{text:?}");
        }
    }

    #[test]
    fn encoding_spellings() {
        let cases = [
            ("utf-8", Some(EncodingSetting::Utf8)),
            ("UTF8", Some(EncodingSetting::Utf8)),
            ("iso-8859-1", Some(EncodingSetting::Iso88591)),
            ("Latin1", Some(EncodingSetting::Iso88591)),
            ("windows-1252", Some(EncodingSetting::Windows1252)),
            ("CP1252", Some(EncodingSetting::Windows1252)),
            ("auto", Some(EncodingSetting::Auto)),
            ("utf-16", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<EncodingSetting>().ok(), want, "{text:?}");
        }
    }

    #[test]
    fn errors_list_accepted_values() {
        let err = "colon".parse::<DelimiterSetting>().unwrap_err().to_string();
        assert!(err.starts_with("invalid value \"colon\" for csv.delimiter"), "{err}");
        assert!(err.contains("\"tab\"") && err.contains("\"auto\""), "{err}");
        let err = "ebcdic".parse::<EncodingSetting>().unwrap_err().to_string();
        assert!(err.contains("csv.encoding") && err.contains("\"windows-1252\""), "{err}");
    }
}
