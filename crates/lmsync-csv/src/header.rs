//! Checks a header against a tool's column rules before anything is written, and maps each
//! column to its canonical name so tools look columns up by name, not position.

use thiserror::Error;

use crate::dialect::DELIMITER_CANDIDATES;
use crate::reader::Header;

/// A column name pattern: a human description used in messages (e.g. `"courseN"`) and the
/// test a name must pass.
pub type ColumnPattern = (&'static str, fn(&str) -> bool);

/// The columns a tool understands.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRules {
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// Name patterns, each with a human description used in messages, e.g.
    /// `("courseN", is_course_n)`.
    pub patterns: &'static [ColumnPattern],
}

/// A validated header: canonical column names in file order, plus warnings to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    names: Vec<String>,
    warnings: Vec<String>,
}

impl Columns {
    /// Columns named by a tool rather than read from a header (an archive's items).
    pub fn from_names(names: Vec<String>) -> Self {
        Columns { names, warnings: Vec::new() }
    }

    /// Field index of a column by its canonical (rules) name, or by its exact name for
    /// pattern columns and allowed unknown columns.
    pub fn index(&self, canonical_name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == canonical_name)
    }

    /// The value of column `canonical_name` in a record's fields, if the header has it.
    pub fn value<'a>(&self, fields: &'a [String], canonical_name: &str) -> Option<&'a str> {
        fields.get(self.index(canonical_name)?).map(String::as_str)
    }

    /// Canonical names in file order (unknown-but-allowed columns keep their own name).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Warnings for the report (case-insensitive matches, ignored unknown columns).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// Why a header is rejected; the run stops before touching anything.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    #[error(
        "unknown column \"{name}\" in {file}, line {line}, column {column}; accepted columns: \
         {accepted}; {}fix the header, or set csv.allow_unknown_columns = true to let unknown \
         columns through (they are then ignored)",
        hint.as_ref().map(|h| format!("{h}; ")).unwrap_or_default()
    )]
    UnknownColumn { file: String, line: u64, column: usize, name: String, accepted: String, hint: Option<String> },

    #[error(
        "missing required column \"{name}\" in {file} (header on line {line}); the header has: \
         {present}; add the column to the header"
    )]
    MissingColumn { file: String, line: u64, name: String, present: String },

    #[error(
        "column \"{name}\" appears twice in {file}, line {line} (columns {first} and {second}); \
         remove one of them"
    )]
    DuplicateColumn { file: String, line: u64, name: String, first: usize, second: usize },
}

impl HeaderError {
    /// Stable machine-readable code, used in JSON reports.
    pub fn code(&self) -> &'static str {
        match self {
            HeaderError::UnknownColumn { .. } => "csv.unknown_column",
            HeaderError::MissingColumn { .. } => "csv.missing_column",
            HeaderError::DuplicateColumn { .. } => "csv.duplicate_column",
        }
    }
}

/// How one header name relates to the rules.
enum Match {
    Exact,
    /// Matched case-insensitively; the canonical name to use.
    Folded(String),
    Unknown,
}

impl ColumnRules {
    fn names(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().chain(self.optional).copied()
    }

    fn resolve(&self, name: &str) -> Match {
        if self.names().any(|n| n == name) || self.patterns.iter().any(|(_, is)| is(name)) {
            return Match::Exact;
        }
        let lower = name.to_lowercase();
        if let Some(n) = self.names().find(|n| n.to_lowercase() == lower) {
            return Match::Folded(n.to_owned());
        }
        if self.patterns.iter().any(|(_, is)| is(&lower)) {
            return Match::Folded(lower);
        }
        Match::Unknown
    }

    /// Accepted names and pattern descriptions, comma-separated, for messages.
    fn accepted(&self) -> String {
        let patterns = self.patterns.iter().map(|(description, _)| *description);
        self.names().chain(patterns).collect::<Vec<_>>().join(", ")
    }
}

/// Validates `header` against `rules`. With `allow_unknown`, unknown columns are kept (tools
/// ignore them) with a warning instead of failing. `file_name` appears in every message.
pub fn validate_header(
    header: &Header,
    rules: &ColumnRules,
    allow_unknown: bool,
    file_name: &str,
) -> Result<Columns, HeaderError> {
    let line = header.line;
    let mut names: Vec<String> = Vec::with_capacity(header.names.len());
    let mut known = Vec::with_capacity(header.names.len());
    let mut warnings = Vec::new();
    for (k, name) in header.names.iter().enumerate() {
        let column = k + 1;
        let (canonical, is_known) = match rules.resolve(name) {
            Match::Exact => (name.clone(), true),
            Match::Folded(canonical) => {
                warnings.push(format!(
                    "{file_name}, line {line}: column \"{name}\" matched \"{canonical}\" \
                     case-insensitively; use the exact name"
                ));
                (canonical, true)
            }
            Match::Unknown if allow_unknown => {
                warnings.push(format!(
                    "{file_name}, line {line}: unknown column \"{name}\" (column {column}) is \
                     ignored because csv.allow_unknown_columns = true"
                ));
                (name.clone(), false)
            }
            Match::Unknown => {
                return Err(HeaderError::UnknownColumn {
                    file: file_name.to_owned(),
                    line,
                    column,
                    name: name.clone(),
                    accepted: rules.accepted(),
                    hint: hint(name),
                });
            }
        };
        // Ignored unknown columns may repeat (several empty names, say): nobody reads them.
        if is_known {
            let first = names.iter().zip(&known).position(|(n, &k)| k && *n == canonical);
            if let Some(first) = first {
                return Err(HeaderError::DuplicateColumn {
                    file: file_name.to_owned(),
                    line,
                    name: canonical,
                    first: first + 1,
                    second: column,
                });
            }
        }
        names.push(canonical);
        known.push(is_known);
    }
    if let Some(missing) = rules.required.iter().find(|r| !names.iter().any(|n| n == *r)) {
        return Err(HeaderError::MissingColumn {
            file: file_name.to_owned(),
            line,
            name: (*missing).to_owned(),
            present: present(&header.names),
        });
    }
    Ok(Columns { names, warnings })
}

fn present(names: &[String]) -> String {
    if names.is_empty() {
        return "no columns".to_owned();
    }
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// Explains the two usual causes of an unknown column: a wrong delimiter setting (the whole
/// header arrives as one name full of another delimiter) and a stray delimiter.
fn hint(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(
            "the header has an empty column name here; remove the extra delimiter or name the column".to_owned(),
        );
    }
    let found = DELIMITER_CANDIDATES.iter().find(|&&c| name.as_bytes().contains(&c))?;
    let setting = if *found == b'\t' { "tab".to_owned() } else { char::from(*found).to_string() };
    let shown = if *found == b'\t' { "tab".to_owned() } else { format!("\"{setting}\"") };
    Some(format!(
        "the file seems to use {shown} as its delimiter: set csv.delimiter = \"{setting}\" or \
         csv.delimiter = \"auto\""
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_course_n(name: &str) -> bool {
        name.strip_prefix("course")
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    }

    const RULES: ColumnRules = ColumnRules {
        required: &["username"],
        optional: &["firstname", "lastname"],
        patterns: &[("courseN", is_course_n)],
    };

    fn header(names: &[&str]) -> Header {
        Header { names: names.iter().map(|n| (*n).to_owned()).collect(), line: 2, raw: Vec::new() }
    }

    fn check(names: &[&str], allow_unknown: bool) -> Result<Columns, HeaderError> {
        validate_header(&header(names), &RULES, allow_unknown, "users.csv")
    }

    #[test]
    fn exact_and_pattern_columns() {
        let cols = check(&["lastname", "username", "course1", "course12"], false).unwrap();
        assert_eq!(cols.names(), ["lastname", "username", "course1", "course12"]);
        assert_eq!(cols.index("username"), Some(1));
        assert_eq!(cols.index("course12"), Some(3));
        assert_eq!(cols.index("firstname"), None);
        let fields: Vec<String> = ["Doe", "jdoe", "C1", "C12"].map(String::from).to_vec();
        assert_eq!(cols.value(&fields, "username"), Some("jdoe"));
        assert_eq!(cols.value(&fields, "firstname"), None);
        assert!(cols.warnings().is_empty());
    }

    #[test]
    fn case_insensitive_match_warns_and_maps() {
        let cols = check(&["Username", "COURSE2"], false).unwrap();
        assert_eq!(cols.names(), ["username", "course2"]);
        assert_eq!(cols.index("username"), Some(0));
        assert_eq!(
            cols.warnings()[0],
            "users.csv, line 2: column \"Username\" matched \"username\" case-insensitively; use the exact name"
        );
        assert_eq!(cols.warnings().len(), 2);
    }

    #[test]
    fn unknown_column_lists_accepted_names() {
        let err = check(&["username", "shoesize"], false).unwrap_err();
        assert_eq!(err.code(), "csv.unknown_column");
        let text = err.to_string();
        assert!(text.starts_with("unknown column \"shoesize\" in users.csv, line 2, column 2;"), "{text}");
        assert!(text.contains("accepted columns: username, firstname, lastname, courseN;"), "{text}");
        assert!(text.contains("csv.allow_unknown_columns = true"), "{text}");
    }

    #[test]
    fn allow_unknown_keeps_the_column_with_a_warning() {
        let cols = check(&["username", "shoesize", "", ""], true).unwrap();
        assert_eq!(cols.names(), ["username", "shoesize", "", ""]);
        assert_eq!(cols.index("shoesize"), Some(1));
        assert_eq!(cols.warnings().len(), 3);
        assert!(cols.warnings()[0].contains("\"shoesize\""));
    }

    #[test]
    fn missing_required_lists_present_columns() {
        let err = check(&["firstname", "lastname"], false).unwrap_err();
        assert_eq!(err.code(), "csv.missing_column");
        let text = err.to_string();
        assert!(text.starts_with("missing required column \"username\" in users.csv"), "{text}");
        assert!(text.contains("\"firstname\", \"lastname\""), "{text}");
    }

    #[test]
    fn duplicates_are_rejected_even_through_case_folding() {
        let err = check(&["username", "lastname", "UserName"], false).unwrap_err();
        assert_eq!(
            err,
            HeaderError::DuplicateColumn {
                file: "users.csv".into(),
                line: 2,
                name: "username".into(),
                first: 1,
                second: 3
            }
        );
        assert_eq!(err.code(), "csv.duplicate_column");
    }

    #[test]
    fn hints_point_at_the_delimiter_setting() {
        let cases = [
            ("username,firstname", Some("\",\"")),
            ("username|firstname", Some("\"|\"")),
            ("username\tfirstname", Some("tab")),
            ("shoesize", None),
        ];
        for (name, want) in cases {
            let err = check(&[name], false).unwrap_err();
            let HeaderError::UnknownColumn { hint, .. } = &err else { panic!("{err}") };
            match want {
                Some(shown) => {
                    let hint = hint.as_deref().unwrap();
                    assert!(hint.contains(&format!("seems to use {shown} as its delimiter")), "{hint}");
                    assert!(hint.contains("csv.delimiter = \"auto\""), "{hint}");
                    assert!(err.to_string().contains(hint));
                }
                None => assert_eq!(*hint, None),
            }
        }
        let err = check(&["username", ""], false).unwrap_err();
        assert!(err.to_string().contains("empty column name"), "{err}");
    }
}
