//! Reads a gzip-compressed tar backup (Moodle's "tgz" packing) as a stream, refusing links and unsafe names and
//! capping the decompressed stream itself, so headers that the tar crate buffers (long names, pax) are bounded too.

use std::cell::Cell;
use std::io::{Cursor, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use tar::EntryType;

use crate::archive::{Budget, Entries, bytes_error};
use crate::entry_name::{is_directory_name, normalise};
use crate::{Limits, MbzError};

const BLOCK: usize = 512;
/// Room for each entry's header blocks, padding and pax/long-name records on top of its data.
const OVERHEAD_PER_ENTRY: u64 = 3 * 1024;
const OVERHEAD_SLACK: u64 = 64 * 1024;

/// Fails the stream once it has produced more bytes than any archive within the limits can, and records that
/// it did, because the tar crate rewraps I/O errors and the cause would otherwise be lost.
struct StreamCap<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for StreamCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One probe byte tells a stream that ends exactly at the cap from one that goes on.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded.set(true);
            return Err(std::io::Error::other("the decompressed archive is over the size limit"));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A tar header block carries a checksum: a valid one is how gzip-compressed data is told to be a tar archive.
fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < BLOCK || block.iter().all(|&b| b == 0) {
        return false;
    }
    let stored = std::str::from_utf8(&block[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let computed: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(b) })
        .sum();
    stored == Some(computed)
}

pub(crate) fn read_tar_gz<R: Read>(reader: R, limits: &Limits) -> Result<Entries, MbzError> {
    let exceeded = Rc::new(Cell::new(false));
    let overhead = OVERHEAD_PER_ENTRY.saturating_mul(limits.max_entries as u64).saturating_add(OVERHEAD_SLACK);
    let mut stream = StreamCap {
        inner: MultiGzDecoder::new(reader),
        left: limits.max_bytes.saturating_add(overhead),
        exceeded: Rc::clone(&exceeded),
    };
    let failed = |e: std::io::Error, exceeded: &Cell<bool>| {
        if exceeded.get() { bytes_error(limits) } else { MbzError::corrupted(format!("cannot read the archive: {e}")) }
    };

    // Look at the first block ourselves: gzip data that is no tar is not a backup, while a tar that breaks later
    // is a damaged one.
    let mut first = Vec::with_capacity(BLOCK);
    (&mut stream).take(BLOCK as u64).read_to_end(&mut first).map_err(|e| failed(e, &exceeded))?;
    if !is_tar_header(&first) {
        return Err(MbzError::not_a_backup("the gzip-compressed data is not a tar archive"));
    }

    let mut archive = tar::Archive::new(Cursor::new(first).chain(stream));
    let mut budget = Budget::new(limits);
    let mut entries = Entries::default();
    for entry in archive.entries().map_err(|e| failed(e, &exceeded))? {
        let mut entry = entry.map_err(|e| failed(e, &exceeded))?;
        budget.count_entry()?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => {}
            EntryType::Directory => {
                normalise(&raw)?;
                continue;
            }
            // Archive-wide pax metadata, not a file.
            EntryType::XGlobalHeader => continue,
            // Links could point outside an extraction folder; devices and fifos are never part of a backup.
            EntryType::Symlink | EntryType::Link | EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(MbzError::UnsafePath { entry: raw });
            }
            other => {
                return Err(MbzError::corrupted(format!("the entry {raw} has an unsupported tar type {other:?}")));
            }
        }
        let Some(name) = normalise(&raw)? else { continue };
        if is_directory_name(&raw) {
            continue;
        }
        let declared = entry.size();
        let keep = Entries::wanted(&name);
        let data = budget
            .read(&name, &mut entry, declared, keep)
            .map_err(|e| if exceeded.get() { bytes_error(limits) } else { e })?;
        if let Some(data) = data {
            entries.insert(name, data)?;
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).expect("append");
        }
        b.into_inner().expect("tar").finish().expect("gzip")
    }

    fn limits() -> Limits {
        Limits { max_bytes: 1 << 20, max_entries: 100 }
    }

    #[test]
    fn reads_entries_with_dot_slash_names() {
        let bytes = tgz(&[("./moodle_backup.xml", b"<m/>"), ("files/ab/cd", b"blob")]);
        let entries = read_tar_gz(&bytes[..], &limits()).expect("read");
        assert_eq!(entries.get("moodle_backup.xml"), Some(&b"<m/>"[..]));
        assert_eq!(entries.get("files/ab/cd"), None);
    }

    #[test]
    fn gzip_of_something_else_is_not_a_backup() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&[b'x'; 2000]).expect("write");
        let bytes = gz.finish().expect("gzip");
        assert!(matches!(read_tar_gz(&bytes[..], &limits()), Err(MbzError::NotABackup { .. })));
    }

    #[test]
    fn truncated_gzip_is_corrupted() {
        let bytes = tgz(&[("a.xml", &[b'a'; 5000][..]), ("b.xml", b"<b/>")]);
        let cut = &bytes[..bytes.len() - 30];
        assert!(matches!(read_tar_gz(cut, &limits()), Err(MbzError::Corrupted { .. })));
    }

    #[test]
    fn the_stream_cap_stops_runaway_headers() {
        // A GNU long-name record is buffered whole by the tar crate: the cap must stop it, not memory.
        let long_name = "x".repeat(200_000);
        let bytes = tgz(&[(long_name.as_str(), b"")]);
        let small = Limits { max_bytes: 1000, max_entries: 2 };
        assert!(matches!(read_tar_gz(&bytes[..], &small), Err(MbzError::TooLarge { .. })));
    }

    #[test]
    fn the_header_check_accepts_real_headers_only() {
        let bytes = tgz(&[("a.xml", b"<a/>")]);
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut raw).expect("gunzip");
        assert!(is_tar_header(&raw[..BLOCK]));
        let mut broken = raw[..BLOCK].to_vec();
        broken[0] ^= 1;
        assert!(!is_tar_header(&broken));
        assert!(!is_tar_header(&[0u8; BLOCK]));
    }
}
