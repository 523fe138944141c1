//! Archive builders shared by the integration tests: zip and gzip-compressed tar, with raw entry names and entry
//! kinds that well-behaved tools refuse to write, so hostile archives can be made in the test itself.
#![allow(dead_code)]

use std::io::{Cursor, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use zip::write::SimpleFileOptions;

pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        if name.ends_with('/') {
            w.add_directory(*name, SimpleFileOptions::default()).expect("directory");
        } else {
            w.start_file(*name, SimpleFileOptions::default()).expect("start file");
            w.write_all(data).expect("write");
        }
    }
    w.finish().expect("finish").into_inner()
}

pub fn zip_with_symlink(files: &[(&str, &[u8])], link: &str, target: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, SimpleFileOptions::default()).expect("start file");
        w.write_all(data).expect("write");
    }
    w.add_symlink(link, target, SimpleFileOptions::default()).expect("symlink");
    w.finish().expect("finish").into_inner()
}

/// One tar member, the name written as-is into the header (no checks, unlike `tar::Builder::append_data`).
pub struct TarEntry<'a> {
    pub name: &'a str,
    pub kind: tar::EntryType,
    pub data: &'a [u8],
    pub link: &'a str,
}

pub fn tgz_raw(entries: &[TarEntry<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for e in entries {
        let mut h = tar::Header::new_ustar();
        let old = h.as_old_mut();
        assert!(e.name.len() <= 100 && e.link.len() <= 100, "short names only");
        old.name[..e.name.len()].copy_from_slice(e.name.as_bytes());
        old.linkname[..e.link.len()].copy_from_slice(e.link.as_bytes());
        h.set_entry_type(e.kind);
        h.set_size(e.data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append(&h, e.data).expect("append");
    }
    b.into_inner().expect("tar").finish().expect("gzip")
}

pub fn tgz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<TarEntry<'_>> = files
        .iter()
        .map(|(name, data)| TarEntry {
            name,
            kind: if name.ends_with('/') { tar::EntryType::Directory } else { tar::EntryType::Regular },
            data,
            link: "",
        })
        .collect();
    tgz_raw(&entries)
}

/// The smallest archive content the reader accepts: a table of contents and a course.
pub fn minimal_files() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("moodle_backup.xml", b"<moodle_backup><information></information></moodle_backup>"),
        ("course/course.xml", b"<course><shortname>MIN</shortname></course>"),
    ]
}
