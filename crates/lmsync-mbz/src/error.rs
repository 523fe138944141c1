//! The one error type of the crate, and its mapping to tool_sync's template result codes (spec courses §6.7).

/// Everything that can go wrong while reading or writing a Moodle course backup.
///
/// `Io` is about the file itself (missing, unreadable, not writable); every other variant is about the archive's
/// content, which tool_sync reports as "archive extraction failed".
#[derive(Debug, thiserror::Error)]
pub enum MbzError {
    #[error("cannot access backup file {path}: {source}; check that the file exists and is readable (or writable)")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not a moodle course backup: {reason}; use a .mbz file made by moodle's course backup or by lmsync")]
    NotABackup { reason: String },
    #[error("the backup archive is damaged: {reason}; make the backup again or copy the file again")]
    Corrupted { reason: String },
    #[error(
        "the backup archive has an unsafe entry {entry:?} (absolute path, `..`, drive letter or link); \
         the whole archive is refused, use a backup made by moodle or lmsync"
    )]
    UnsafePath { entry: String },
    #[error("the backup archive is too large: {limit}; use a smaller backup or raise the limit")]
    TooLarge { limit: String },
    #[error("the backup archive lacks {entry}; it is not a complete course backup, make the backup again")]
    MissingEntry { entry: String },
    #[error("the backup file {entry} is not valid: {reason}; make the backup again")]
    BadXml { entry: String, reason: String },
}

/// tool_sync's code when the `.mbz` template file does not exist (spec courses §6.7).
pub const CODE_FILE_MISSING: i32 = -22;
/// tool_sync's code when the template archive cannot be extracted (spec courses §6.7).
pub const CODE_EXTRACTION_FAILED: i32 = -24;

impl MbzError {
    /// The tool_sync result code for this failure: −22 when the file cannot be read at all, −24 for anything
    /// wrong inside the archive.
    pub fn code(&self) -> i32 {
        match self {
            MbzError::Io { .. } => CODE_FILE_MISSING,
            MbzError::NotABackup { .. }
            | MbzError::Corrupted { .. }
            | MbzError::UnsafePath { .. }
            | MbzError::TooLarge { .. }
            | MbzError::MissingEntry { .. }
            | MbzError::BadXml { .. } => CODE_EXTRACTION_FAILED,
        }
    }

    pub(crate) fn not_a_backup(reason: impl Into<String>) -> Self {
        MbzError::NotABackup { reason: reason.into() }
    }

    pub(crate) fn corrupted(reason: impl Into<String>) -> Self {
        MbzError::Corrupted { reason: reason.into() }
    }

    pub(crate) fn too_large(limit: impl Into<String>) -> Self {
        MbzError::TooLarge { limit: limit.into() }
    }

    pub(crate) fn bad_xml(entry: &str, reason: impl Into<String>) -> Self {
        MbzError::BadXml { entry: entry.to_string(), reason: reason.into() }
    }

    pub(crate) fn missing(entry: impl Into<String>) -> Self {
        MbzError::MissingEntry { entry: entry.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<MbzError> {
        vec![
            MbzError::Io { path: "/x.mbz".into(), source: std::io::Error::from(std::io::ErrorKind::NotFound) },
            MbzError::not_a_backup("garbage"),
            MbzError::corrupted("crc"),
            MbzError::UnsafePath { entry: "../x".into() },
            MbzError::too_large("2 entries"),
            MbzError::missing("course/course.xml"),
            MbzError::bad_xml("course/course.xml", "unclosed"),
        ]
    }

    #[test]
    fn io_is_file_missing_and_the_rest_is_extraction_failed() {
        let codes: Vec<i32> = all().iter().map(MbzError::code).collect();
        assert_eq!(codes, vec![-22, -24, -24, -24, -24, -24, -24]);
    }

    #[test]
    fn messages_are_lowercase_and_say_what_to_do() {
        for e in all() {
            let msg = e.to_string();
            let first = msg.chars().next().unwrap_or(' ');
            assert!(!first.is_uppercase(), "{msg}");
            assert!(msg.contains(';'), "no advice in {msg}");
        }
    }

    #[test]
    fn bad_xml_names_the_entry() {
        let msg = MbzError::bad_xml("sections/section_3/section.xml", "boom").to_string();
        assert!(msg.contains("sections/section_3/section.xml"));
    }
}
