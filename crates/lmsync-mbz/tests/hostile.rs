//! Damaged, hostile and incomplete archives: each must be refused with the right error (and so the right tool_sync
//! code), whole, without extracting or running out of memory.

mod common;

use common::{TarEntry, minimal_files, tgz_of, tgz_raw, zip_of, zip_with_symlink};
use lmsync_mbz::{Limits, MbzError, read_mbz, read_mbz_bytes};

fn read(bytes: &[u8]) -> Result<lmsync_mbz::CourseStructure, MbzError> {
    read_mbz_bytes(bytes, &Limits::default())
}

fn with(extra: &[(&'static str, &'static [u8])]) -> Vec<(&'static str, &'static [u8])> {
    let mut files = minimal_files();
    files.extend_from_slice(extra);
    files
}

fn unsafe_entry(result: Result<lmsync_mbz::CourseStructure, MbzError>) -> String {
    match result {
        Err(e @ MbzError::UnsafePath { .. }) => {
            assert_eq!(e.code(), -24);
            match e {
                MbzError::UnsafePath { entry } => entry,
                _ => unreachable!(),
            }
        }
        other => panic!("expected an unsafe path, got {other:?}"),
    }
}

#[test]
fn the_minimal_archive_is_accepted_in_both_packings() {
    assert_eq!(read(&zip_of(&minimal_files())).expect("zip").shortname, "MIN");
    assert_eq!(read(&tgz_of(&minimal_files())).expect("tgz").shortname, "MIN");
}

#[test]
fn garbage_is_not_a_backup() {
    for bytes in [&b"hello, this is not an archive"[..], b"", b"<?xml version=\"1.0\"?><moodle_backup/>"] {
        let err = read(bytes).expect_err("garbage");
        assert!(matches!(err, MbzError::NotABackup { .. }), "{err:?}");
        assert_eq!(err.code(), -24);
    }
}

#[test]
fn truncated_archives_are_corrupted() {
    let zip = zip_of(&minimal_files());
    let err = read(&zip[..zip.len() / 2]).expect_err("truncated zip");
    assert!(matches!(err, MbzError::Corrupted { .. }), "{err:?}");
    assert_eq!(err.code(), -24);

    let tgz = tgz_of(&with(&[("files/aa/big", &[7u8; 20_000])]));
    let err = read(&tgz[..tgz.len() - 40]).expect_err("truncated tgz");
    assert!(matches!(err, MbzError::Corrupted { .. }), "{err:?}");
}

#[test]
fn an_archive_without_moodle_backup_xml_is_not_a_backup() {
    let err = read(&zip_of(&[("course/course.xml", b"<course/>")])).expect_err("no toc");
    assert!(matches!(err, MbzError::NotABackup { .. }), "{err:?}");
}

#[test]
fn zip_slip_entries_are_refused() {
    assert_eq!(unsafe_entry(read(&zip_of(&with(&[("../../etc/x", b"x")])))), "../../etc/x");
    assert_eq!(unsafe_entry(read(&zip_of(&with(&[("/etc/passwd", b"x")])))), "/etc/passwd");
    assert_eq!(unsafe_entry(read(&zip_of(&with(&[("C:\\evil.xml", b"x")])))), "C:\\evil.xml");
}

#[test]
fn tar_slip_entries_are_refused() {
    let reg = tar::EntryType::Regular;
    for name in ["../../etc/x", "/etc/passwd", "sections/../../x.xml"] {
        let mut entries: Vec<TarEntry<'_>> =
            minimal_files().into_iter().map(|(name, data)| TarEntry { name, kind: reg, data, link: "" }).collect();
        entries.push(TarEntry { name, kind: reg, data: b"x", link: "" });
        assert_eq!(unsafe_entry(read(&tgz_raw(&entries))), name);
    }
}

#[test]
fn links_are_refused() {
    let zip = zip_with_symlink(&minimal_files(), "course/evil.xml", "/etc/passwd");
    assert_eq!(unsafe_entry(read(&zip)), "course/evil.xml");

    for kind in [tar::EntryType::Symlink, tar::EntryType::Link, tar::EntryType::Fifo] {
        let mut entries: Vec<TarEntry<'_>> = minimal_files()
            .into_iter()
            .map(|(name, data)| TarEntry { name, kind: tar::EntryType::Regular, data, link: "" })
            .collect();
        entries.insert(0, TarEntry { name: "files.xml", kind, data: b"", link: "/etc/passwd" });
        assert_eq!(unsafe_entry(read(&tgz_raw(&entries))), "files.xml");
    }
}

fn too_large(result: Result<lmsync_mbz::CourseStructure, MbzError>) {
    match result {
        Err(e @ MbzError::TooLarge { .. }) => assert_eq!(e.code(), -24),
        other => panic!("expected too large, got {other:?}"),
    }
}

#[test]
fn a_zip_bomb_is_too_large() {
    // 16 MiB of zeros deflate to a few KiB; the limit is 1 MiB.
    let zeros = vec![0u8; 16 << 20];
    let bytes = zip_of(&[minimal_files()[0], minimal_files()[1], ("files/00/bomb", &zeros)]);
    assert!(bytes.len() < 100_000);
    too_large(read_mbz_bytes(&bytes, &Limits { max_bytes: 1 << 20, max_entries: 100 }));
}

#[test]
fn a_zip_bomb_that_understates_its_size_is_stopped_while_decompressing() {
    let zeros = vec![0u8; 16 << 20];
    let mut bytes = zip_of(&[("files/00/bomb", &zeros), minimal_files()[0], minimal_files()[1]]);
    // Rewrite the declared size (local header and central directory) of the bomb to 100 bytes.
    let local = bytes.windows(4).position(|w| w == b"PK\x03\x04").expect("local header");
    bytes[local + 22..local + 26].copy_from_slice(&100u32.to_le_bytes());
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").expect("central header");
    bytes[central + 24..central + 28].copy_from_slice(&100u32.to_le_bytes());
    // The zip crate stops at the declared size and reports the mismatch: damaged, never memory exhaustion.
    match read_mbz_bytes(&bytes, &Limits { max_bytes: 1 << 20, max_entries: 100 }) {
        Err(e @ MbzError::Corrupted { .. }) => assert!(e.to_string().contains("files/00/bomb"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_tgz_bomb_is_too_large() {
    let zeros = vec![0u8; 16 << 20];
    let bytes = tgz_of(&[minimal_files()[0], ("files/00/bomb", &zeros), minimal_files()[1]]);
    too_large(read_mbz_bytes(&bytes, &Limits { max_bytes: 1 << 20, max_entries: 100 }));
}

#[test]
fn too_many_entries_are_too_large() {
    let names: Vec<String> = (0..20).map(|i| format!("files/{i:02}/blob")).collect();
    let mut files = minimal_files();
    files.extend(names.iter().map(|n| (n.as_str(), &b"x"[..])));
    let limits = Limits { max_bytes: 1 << 20, max_entries: 10 };
    too_large(read_mbz_bytes(&zip_of(&files), &limits));
    too_large(read_mbz_bytes(&tgz_of(&files), &limits));
}

#[test]
fn a_missing_course_xml_is_a_missing_entry() {
    for bytes in [zip_of(&minimal_files()[..1]), tgz_of(&minimal_files()[..1])] {
        match read(&bytes) {
            Err(e @ MbzError::MissingEntry { .. }) => {
                assert_eq!(e.code(), -24);
                assert!(e.to_string().contains("course/course.xml"), "{e}");
            }
            other => panic!("expected a missing entry, got {other:?}"),
        }
    }
}

#[test]
fn malformed_xml_names_its_entry() {
    let files = [minimal_files()[0], ("course/course.xml", &b"<course><shortname>x</course>"[..])];
    match read(&zip_of(&files)) {
        Err(e @ MbzError::BadXml { .. }) => {
            assert_eq!(e.code(), -24);
            assert!(matches!(&e, MbzError::BadXml { entry, .. } if entry == "course/course.xml"));
        }
        other => panic!("expected bad xml, got {other:?}"),
    }
}

#[test]
fn an_unreadable_file_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = read_mbz(&dir.path().join("nope.mbz"), &Limits::default()).expect_err("missing");
    assert!(matches!(missing, MbzError::Io { .. }));
    assert_eq!(missing.code(), -22);
    let folder = read_mbz(dir.path(), &Limits::default()).expect_err("folder");
    assert!(matches!(folder, MbzError::Io { .. }), "{folder:?}");
    assert_eq!(folder.code(), -22);
}
