//! Packs the laid-out backup files into a zip and puts it in place atomically, so a template being written is
//! never seen half-done by a concurrent course creation.

use std::io::{self, Cursor, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::{CourseStructure, MbzError, layout};

/// The zip archive of a course backup, in memory (course structures are small).
pub(crate) fn zip_bytes(course: &CourseStructure, file_name: &str, now: i64) -> io::Result<Vec<u8>> {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in layout::documents(course, file_name, now)? {
        zip.start_file(name, options).map_err(io::Error::from)?;
        zip.write_all(&data)?;
    }
    Ok(zip.finish().map_err(io::Error::from)?.into_inner())
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok()).unwrap_or(0)
}

pub(crate) fn write_mbz(course: &CourseStructure, path: &Path) -> Result<(), MbzError> {
    let io_error = |source: io::Error| MbzError::Io { path: path.display().to_string(), source };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup.mbz".into());
    let bytes = zip_bytes(course, &file_name, unix_now()).map_err(io_error)?;

    // The temporary file sits beside the target so the final rename stays on one file system.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".lmsync-mbz-").suffix(".tmp").tempfile_in(dir).map_err(io_error)?;
    tmp.write_all(&bytes).map_err(io_error)?;
    tmp.as_file().sync_all().map_err(io_error)?;
    tmp.persist(path).map_err(|e| io_error(e.error))?;
    // Make the rename itself durable; a failure here leaves a complete file, so it is not an error.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activity, Limits, Section, read_mbz, read_mbz_bytes};

    fn sample() -> CourseStructure {
        CourseStructure {
            shortname: "C&1 <é>".into(),
            fullname: "Cours \"un\" d'été\r\n\ttab".into(),
            idnumber: "ID-1".into(),
            summary: "<p>Hello & welcome</p>\n  ".into(),
            format: "weeks".into(),
            startdate: -5,
            enddate: i64::MAX,
            visible: false,
            lang: "fr".into(),
            showgrades: false,
            newsitems: 0,
            groupmode: 2,
            groupmodeforce: true,
            enablecompletion: true,
            sections: vec![
                Section { number: 0, name: None, summary: String::new(), visible: true },
                Section { number: 3, name: Some(String::new()), summary: " s ".into(), visible: false },
            ],
            activities: vec![
                Activity {
                    modname: "forum".into(),
                    name: "News".into(),
                    section: 0,
                    idnumber: "".into(),
                    visible: true,
                },
                Activity {
                    modname: "page".into(),
                    name: "P1".into(),
                    section: 3,
                    idnumber: "x".into(),
                    visible: false,
                },
                Activity {
                    modname: "page".into(),
                    name: "P2 ∑".into(),
                    section: 3,
                    idnumber: "".into(),
                    visible: true,
                },
                // Odd plugin name and a section that does not exist: still carried.
                Activity {
                    modname: "../we ird".into(),
                    name: "W".into(),
                    section: 9,
                    idnumber: "".into(),
                    visible: true,
                },
            ],
        }
    }

    #[test]
    fn round_trip_in_memory() {
        let course = sample();
        let bytes = zip_bytes(&course, "x.mbz", 1_700_000_000).expect("zip");
        assert_eq!(read_mbz_bytes(&bytes, &Limits::default()).expect("read"), course);
    }

    #[test]
    fn control_characters_are_dropped_like_moodle_does() {
        let mut course = sample();
        course.fullname = "a\u{1}b\u{ffff}c".into();
        let bytes = zip_bytes(&course, "x.mbz", 0).expect("zip");
        assert_eq!(read_mbz_bytes(&bytes, &Limits::default()).expect("read").fullname, "abc");
    }

    #[test]
    fn writes_atomically_and_replaces_an_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.mbz");
        std::fs::write(&path, b"old").expect("old");
        write_mbz(&sample(), &path).expect("write");
        assert_eq!(read_mbz(&path, &Limits::default()).expect("read"), sample());
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").filter_map(|e| e.ok()).collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }

    #[test]
    fn a_missing_folder_is_an_io_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = write_mbz(&sample(), &dir.path().join("no/such/t.mbz")).expect_err("no folder");
        assert!(matches!(err, MbzError::Io { .. }));
        assert_eq!(err.code(), -22);
    }

    #[test]
    fn the_archive_has_moodles_layout() {
        let bytes = zip_bytes(&sample(), "x.mbz", 0).expect("zip");
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let names: Vec<String> = archive.file_names().filter_map(|n| n.ok()).map(|n| n.into_owned()).collect();
        for expected in [
            "moodle_backup.xml",
            "course/course.xml",
            "sections/section_1/section.xml",
            "sections/section_2/section.xml",
            "activities/forum_1/module.xml",
            "activities/forum_1/forum.xml",
            "activities/page_3/page.xml",
            "activities/activity_4/module.xml",
            "files.xml",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
    }
}
