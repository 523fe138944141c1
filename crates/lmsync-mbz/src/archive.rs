//! Opens a backup archive of either kind Moodle writes (zip or gzip-compressed tar), chosen by magic bytes, and
//! loads its XML entries into memory while enforcing [`Limits`], so no template is ever extracted to disk.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use crate::{Limits, MbzError};

/// Preallocating more than this per entry is pointless for XML and would let a lying header reserve memory.
const MAX_PREALLOCATION: u64 = 64 * 1024 * 1024;

/// The XML entries of an archive by normalised name. Other entries (the `files/` blobs) are decompressed to check
/// them and count them against the limits, but not kept: the course structure lives in XML only.
#[derive(Debug, Default)]
pub(crate) struct Entries {
    files: HashMap<String, Vec<u8>>,
}

impl Entries {
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// Whether an entry is worth keeping in memory.
    pub(crate) fn wanted(name: &str) -> bool {
        name.ends_with(".xml")
    }

    pub(crate) fn insert(&mut self, name: String, data: Vec<u8>) -> Result<(), MbzError> {
        // Two entries with one name would make the template ambiguous: which one would Moodle restore?
        if self.files.contains_key(&name) {
            return Err(MbzError::corrupted(format!("the entry {name} appears twice")));
        }
        self.files.insert(name, data);
        Ok(())
    }
}

/// Counts entries and uncompressed bytes against [`Limits`] as they are read.
pub(crate) struct Budget<'a> {
    limits: &'a Limits,
    bytes: u64,
    entries: usize,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(limits: &'a Limits) -> Self {
        Budget { limits, bytes: 0, entries: 0 }
    }

    pub(crate) fn count_entry(&mut self) -> Result<(), MbzError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(entries_error(self.limits));
        }
        Ok(())
    }

    fn remaining(&self) -> u64 {
        self.limits.max_bytes.saturating_sub(self.bytes)
    }

    /// Reads one entry's data, refusing it as soon as the total would pass `max_bytes`: the declared size is
    /// checked first, and the read itself is capped because a hostile header can understate the size.
    pub(crate) fn read<R: Read>(
        &mut self,
        name: &str,
        reader: R,
        declared: u64,
        keep: bool,
    ) -> Result<Option<Vec<u8>>, MbzError> {
        let remaining = self.remaining();
        if declared > remaining {
            return Err(bytes_error(self.limits));
        }
        let mut capped = reader.take(remaining.saturating_add(1));
        let read_error = |e: std::io::Error| MbzError::corrupted(format!("cannot read the entry {name}: {e}"));
        let (count, data) = if keep {
            let capacity = declared.min(MAX_PREALLOCATION);
            let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
            let count = capped.read_to_end(&mut data).map_err(read_error)?;
            (count as u64, Some(data))
        } else {
            (std::io::copy(&mut capped, &mut std::io::sink()).map_err(read_error)?, None)
        };
        if count > remaining {
            return Err(bytes_error(self.limits));
        }
        self.bytes += count;
        Ok(data)
    }
}

pub(crate) fn bytes_error(limits: &Limits) -> MbzError {
    MbzError::too_large(format!("more than {} bytes once uncompressed", limits.max_bytes))
}

pub(crate) fn entries_error(limits: &Limits) -> MbzError {
    MbzError::too_large(format!("more than {} entries", limits.max_entries))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Gzip,
}

fn detect(head: &[u8]) -> Result<Kind, MbzError> {
    if head.is_empty() {
        return Err(MbzError::not_a_backup("the file is empty"));
    }
    if head.starts_with(b"PK\x03\x04") {
        Ok(Kind::Zip)
    } else if head.starts_with(b"\x1f\x8b") {
        Ok(Kind::Gzip)
    } else {
        Err(MbzError::not_a_backup("the file is neither a zip nor a gzip-compressed tar archive"))
    }
}

/// Reads the archive's entries. `open_error` turns a failure to read the very first bytes into the caller's error:
/// for a file that is `Io` (the file is unreadable), for a byte slice it cannot happen.
pub(crate) fn read_archive<R: Read + Seek>(
    mut reader: R,
    limits: &Limits,
    open_error: impl Fn(std::io::Error) -> MbzError,
) -> Result<Entries, MbzError> {
    let mut head = [0u8; 4];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(open_error(e)),
        }
    }
    let kind = detect(&head[..filled])?;
    reader.seek(SeekFrom::Start(0)).map_err(open_error)?;
    match kind {
        Kind::Zip => crate::zip_reader::read_zip(reader, limits),
        Kind::Gzip => crate::tar_reader::read_tar_gz(reader, limits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: u64, max_entries: usize) -> Limits {
        Limits { max_bytes, max_entries }
    }

    #[test]
    fn magic_bytes_choose_the_format() {
        assert_eq!(detect(b"PK\x03\x04rest").ok(), Some(Kind::Zip));
        assert_eq!(detect(b"\x1f\x8b\x08\x00").ok(), Some(Kind::Gzip));
        assert!(matches!(detect(b"<?xml"), Err(MbzError::NotABackup { .. })));
        assert!(matches!(detect(b""), Err(MbzError::NotABackup { .. })));
        // An empty zip has no local header: it cannot hold moodle_backup.xml anyway.
        assert!(matches!(detect(b"PK\x05\x06"), Err(MbzError::NotABackup { .. })));
    }

    #[test]
    fn budget_refuses_declared_sizes_over_the_limit_before_reading() {
        let l = limits(10, 5);
        let mut b = Budget::new(&l);
        assert!(matches!(b.read("a", &b"x"[..], 11, true), Err(MbzError::TooLarge { .. })));
    }

    #[test]
    fn budget_refuses_understated_sizes_while_reading() {
        let l = limits(10, 5);
        let mut b = Budget::new(&l);
        let data = [b'x'; 100];
        assert!(matches!(b.read("a", &data[..], 1, true), Err(MbzError::TooLarge { .. })));
    }

    #[test]
    fn budget_adds_up_across_entries_and_counts_skipped_data() {
        let l = limits(10, 5);
        let mut b = Budget::new(&l);
        assert_eq!(b.read("a", &b"123456"[..], 6, true).ok().flatten(), Some(b"123456".to_vec()));
        assert!(matches!(b.read("b", &b"1234"[..], 4, false), Ok(None)));
        assert!(matches!(b.read("c", &b"1"[..], 1, true), Err(MbzError::TooLarge { .. })));
    }

    #[test]
    fn budget_counts_entries() {
        let l = limits(10, 2);
        let mut b = Budget::new(&l);
        assert!(b.count_entry().is_ok());
        assert!(b.count_entry().is_ok());
        assert!(matches!(b.count_entry(), Err(MbzError::TooLarge { .. })));
    }

    #[test]
    fn duplicate_entries_are_refused() {
        let mut e = Entries::default();
        assert!(e.insert("a.xml".into(), vec![]).is_ok());
        assert!(matches!(e.insert("a.xml".into(), vec![]), Err(MbzError::Corrupted { .. })));
    }
}
