//! Moodle course backups (`.mbz`) for lmsync's course templates: reads the course structure out of a backup made
//! by Moodle or by lmsync, and writes lmsync's own courses as backups in the same layout.
//!
//! The reader never extracts to disk. It accepts Moodle's zip packing and its gzip-compressed tar ("tgz") packing,
//! told apart by magic bytes, refuses hostile archives whole (unsafe names, links, over-limit sizes) and maps every
//! failure to tool_sync's template codes through [`MbzError::code`] (spec courses §6.6, §6.7).
//!
//! Layout read and written (paths inside the archive):
//! * `moodle_backup.xml`: backup information, with the lists of sections and activities and their directories;
//! * `course/course.xml`: the course settings;
//! * `sections/section_<id>/section.xml`: number, name, summary, visibility and the activity order (`sequence`);
//! * `activities/<modname>_<cmid>/module.xml` and `<modname>.xml`: the course module and the activity's name.

mod archive;
mod companions;
mod entry_name;
mod error;
mod layout;
mod parse;
mod tar_reader;
mod write;
mod xml;
mod zip_reader;

use std::path::Path;

pub use error::{CODE_EXTRACTION_FAILED, CODE_FILE_MISSING, MbzError};

/// The parts of a course that a template carries over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CourseStructure {
    pub shortname: String,
    pub fullname: String,
    pub idnumber: String,
    pub summary: String,
    /// Course format plugin name: "topics", "weeks", …
    pub format: String,
    /// Unix time.
    pub startdate: i64,
    /// Unix time, 0 for none.
    pub enddate: i64,
    pub visible: bool,
    pub lang: String,
    pub showgrades: bool,
    pub newsitems: i64,
    pub groupmode: i64,
    pub groupmodeforce: bool,
    pub enablecompletion: bool,
    /// Sorted by number.
    pub sections: Vec<Section>,
    /// In section order, then in the order of the section's sequence.
    pub activities: Vec<Activity>,
}

/// One course section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    pub number: u32,
    /// `None` is Moodle's default name ("Topic 3", "General"); a backup stores it as the NULL marker `$@NULL@$`,
    /// so a name that is literally that marker reads back as `None`.
    pub name: Option<String>,
    pub summary: String,
    pub visible: bool,
}

/// One activity (course module).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Activity {
    /// Module plugin name: "forum", "assign", …
    pub modname: String,
    pub name: String,
    /// The number of the section that holds it.
    pub section: u32,
    pub idnumber: String,
    pub visible: bool,
}

/// How much a backup may hold once uncompressed; past either limit it is refused with [`MbzError::TooLarge`].
#[derive(Debug, Clone)]
pub struct Limits {
    /// Total uncompressed bytes of all entries.
    pub max_bytes: u64,
    /// Number of entries, directories included.
    pub max_entries: usize,
}

impl Default for Limits {
    /// 2 GiB and 100 000 entries: room for real course backups with files, far below what hurts a server.
    fn default() -> Self {
        Limits { max_bytes: 2 * 1024 * 1024 * 1024, max_entries: 100_000 }
    }
}

/// Reads the course structure from a backup file (zip or gzip-compressed tar, whatever its name).
///
/// A file that cannot be opened or read is [`MbzError::Io`] (code −22); anything wrong with its content is one of
/// the other variants (code −24).
pub fn read_mbz(path: &Path, limits: &Limits) -> Result<CourseStructure, MbzError> {
    let io_error = |source: std::io::Error| MbzError::Io { path: path.display().to_string(), source };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(io_error(std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a directory")));
    }
    let entries = archive::read_archive(std::io::BufReader::new(file), limits, io_error)?;
    parse::course(&entries)
}

/// Reads the course structure from a backup held in memory.
pub fn read_mbz_bytes(bytes: &[u8], limits: &Limits) -> Result<CourseStructure, MbzError> {
    let entries = archive::read_archive(std::io::Cursor::new(bytes), limits, |e| {
        MbzError::corrupted(format!("cannot read the archive: {e}"))
    })?;
    parse::course(&entries)
}

/// Writes `course` as a zip backup in Moodle's layout, atomically: the file appears complete or not at all.
///
/// `read_mbz` gives back an equal structure when the input is in the form the reader returns: sections sorted by
/// distinct numbers, activities in section order, and text free of characters XML cannot carry (control
/// characters other than tab, newline and carriage return are dropped, as Moodle's own backup does).
pub fn write_mbz(course: &CourseStructure, path: &Path) -> Result<(), MbzError> {
    write::write_mbz(course, path)
}
