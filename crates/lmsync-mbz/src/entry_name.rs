//! Checks and normalises archive entry names, so a hostile archive (zip-slip) is refused whole even though nothing
//! is written to disk: a template that would be unsafe to extract for Moodle must not be accepted by lmsync either.

use crate::MbzError;

/// Returns the entry's normalised name (`/`-separated, without `.` or empty segments), `None` for an entry that
/// names the archive root itself (tar's `./`), or `UnsafePath` for a name that would escape an extraction folder.
pub(crate) fn normalise(raw: &str) -> Result<Option<String>, MbzError> {
    let unsafe_path = || MbzError::UnsafePath { entry: raw.to_string() };
    // Windows tools write `\` separators, and a `..\..\x` entry escapes just as well on Windows.
    let name = raw.replace('\\', "/");
    if name.contains('\0') || name.starts_with('/') || has_drive_letter(&name) {
        return Err(unsafe_path());
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(unsafe_path()),
            other => parts.push(other),
        }
    }
    if parts.is_empty() { Ok(None) } else { Ok(Some(parts.join("/"))) }
}

/// `C:foo`, `c:/foo`: an extraction on Windows would leave the target folder.
fn has_drive_letter(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Whether a raw name denotes a directory entry (zip and tar both mark those with a trailing slash).
pub(crate) fn is_directory_name(raw: &str) -> bool {
    raw.ends_with('/') || raw.ends_with('\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> Option<String> {
        match normalise(raw) {
            Ok(v) => v,
            Err(e) => panic!("{raw:?} refused: {e}"),
        }
    }

    fn refused(raw: &str) -> bool {
        matches!(normalise(raw), Err(MbzError::UnsafePath { ref entry }) if entry == raw)
    }

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(ok("moodle_backup.xml").as_deref(), Some("moodle_backup.xml"));
        assert_eq!(ok("activities/forum_1/forum.xml").as_deref(), Some("activities/forum_1/forum.xml"));
    }

    #[test]
    fn dot_and_empty_segments_are_dropped() {
        assert_eq!(ok("./course/course.xml").as_deref(), Some("course/course.xml"));
        assert_eq!(ok("course//./course.xml").as_deref(), Some("course/course.xml"));
        assert_eq!(ok("sections\\section_1\\section.xml").as_deref(), Some("sections/section_1/section.xml"));
        assert_eq!(ok("./"), None);
        assert_eq!(ok("."), None);
    }

    #[test]
    fn escaping_names_are_refused() {
        for raw in ["../../etc/x", "a/../../b", "a/..", "..\\x", "/etc/passwd", "\\\\server\\share", "C:/x", "c:x"] {
            assert!(refused(raw), "{raw:?} accepted");
        }
        assert!(refused("a\0b"));
    }

    #[test]
    fn dots_inside_a_name_are_fine() {
        assert_eq!(ok("files/..hidden").as_deref(), Some("files/..hidden"));
        assert_eq!(ok("a/b..c").as_deref(), Some("a/b..c"));
    }

    #[test]
    fn directory_names_are_recognised() {
        assert!(is_directory_name("course/"));
        assert!(is_directory_name("course\\"));
        assert!(!is_directory_name("course/course.xml"));
    }
}
