//! Reads a zip backup (Moodle's default `.mbz` packing): checks every entry name and kind from the central
//! directory before decompressing anything, then decompresses within the limits.

use std::io::{Read, Seek};

use zip::ZipArchive;
use zip::result::ZipError;

use crate::archive::{Budget, Entries, bytes_error, entries_error};
use crate::entry_name::{is_directory_name, normalise};
use crate::{Limits, MbzError};

fn corrupted(what: &str, e: ZipError) -> MbzError {
    MbzError::corrupted(format!("{what}: {e}"))
}

pub(crate) fn read_zip<R: Read + Seek>(reader: R, limits: &Limits) -> Result<Entries, MbzError> {
    let mut archive = ZipArchive::new(reader).map_err(|e| corrupted("cannot open the zip archive", e))?;
    // The central directory gives the count up front: refuse before touching any entry.
    if archive.len() > limits.max_entries {
        return Err(entries_error(limits));
    }
    let mut budget = Budget::new(limits);

    // First pass, metadata only: a hostile archive is refused whole, before any decompression.
    let mut plan: Vec<Option<String>> = Vec::with_capacity(archive.len());
    let mut declared_total: u64 = 0;
    for index in 0..archive.len() {
        budget.count_entry()?;
        let file = archive.by_index_raw(index).map_err(|e| corrupted("cannot read the zip directory", e))?;
        let raw = file.name().map_err(|e| corrupted("cannot read an entry name", e))?.into_owned();
        if file.is_symlink() {
            return Err(MbzError::UnsafePath { entry: raw });
        }
        let name = normalise(&raw)?;
        if file.is_dir() || is_directory_name(&raw) {
            plan.push(None);
            continue;
        }
        declared_total = declared_total.saturating_add(file.size());
        if declared_total > limits.max_bytes {
            return Err(bytes_error(limits));
        }
        plan.push(name);
    }

    let mut entries = Entries::default();
    for (index, name) in plan.into_iter().enumerate() {
        let Some(name) = name else { continue };
        let mut file = archive.by_index(index).map_err(|e| corrupted(&format!("cannot open the entry {name}"), e))?;
        let declared = file.size();
        let keep = Entries::wanted(&name);
        // Reading to the end also makes the zip crate check the CRC, so damaged entries are caught.
        if let Some(data) = budget.read(&name, &mut file, declared, keep)? {
            entries.insert(name, data)?;
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, SimpleFileOptions::default()).expect("start");
            w.write_all(data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    fn big_limits() -> Limits {
        Limits { max_bytes: 1 << 20, max_entries: 100 }
    }

    #[test]
    fn keeps_xml_and_drops_blobs() {
        let bytes = zip_of(&[("./a.xml", b"<a/>"), ("files/ab/abcdef", b"blob")]);
        let entries = read_zip(Cursor::new(bytes), &big_limits()).expect("read");
        assert_eq!(entries.get("a.xml"), Some(&b"<a/>"[..]));
        assert_eq!(entries.get("files/ab/abcdef"), None);
    }

    #[test]
    fn too_many_entries_are_refused_before_reading() {
        let bytes = zip_of(&[("a.xml", b""), ("b.xml", b""), ("c.xml", b"")]);
        let limits = Limits { max_bytes: 1 << 20, max_entries: 2 };
        assert!(matches!(read_zip(Cursor::new(bytes), &limits), Err(MbzError::TooLarge { .. })));
    }

    #[test]
    fn a_damaged_entry_is_corrupted() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        w.start_file("a.xml", opts).expect("start");
        w.write_all(b"<a>some text that is long enough</a>").expect("write");
        let mut bytes = w.finish().expect("finish").into_inner();
        // Stored entries keep the data verbatim: flip one data byte so the CRC no longer matches.
        let pos = bytes.windows(4).position(|w| w == b"some").expect("data");
        bytes[pos] ^= 0x20;
        assert!(matches!(read_zip(Cursor::new(bytes), &big_limits()), Err(MbzError::Corrupted { .. })));
    }
}
