//! Writes the tryback file: the input's header bytes followed by every failed record exactly
//! as read (same delimiter, encoding, quoting and line ends), so an administrator can fix it
//! and feed it back unchanged.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writer for one tryback file.
#[derive(Debug)]
pub struct TrybackWriter {
    out: BufWriter<File>,
    path: PathBuf,
    /// Line terminator of the header, used when a record lacks one (the input's last line).
    terminator: &'static [u8],
    /// The last bytes written do not end with a line terminator.
    needs_terminator: bool,
    records: u64,
}

impl TrybackWriter {
    /// Creates `path` (failing if it exists: a tryback never overwrites anything) and writes
    /// `header_raw` (see `Header::raw`).
    pub fn create(path: &Path, header_raw: &[u8]) -> io::Result<Self> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        let mut out = BufWriter::new(file);
        out.write_all(header_raw)?;
        let terminator: &'static [u8] = if header_raw.ends_with(b"\r\n") {
            b"\r\n"
        } else if header_raw.ends_with(b"\r") {
            b"\r"
        } else {
            b"\n"
        };
        Ok(TrybackWriter {
            out,
            path: path.to_owned(),
            terminator,
            needs_terminator: !ends_line(header_raw).unwrap_or(true),
            records: 0,
        })
    }

    /// Appends a failed record's raw bytes. If the previous record lacked a line terminator
    /// (it was the input's last line), the header's terminator style is written first.
    pub fn write_record(&mut self, raw: &[u8]) -> io::Result<()> {
        if self.needs_terminator && !raw.is_empty() {
            self.out.write_all(self.terminator)?;
            self.needs_terminator = false;
        }
        self.out.write_all(raw)?;
        if let Some(ends) = ends_line(raw) {
            self.needs_terminator = !ends;
        }
        self.records += 1;
        Ok(())
    }

    /// Pushes what was written so far to the file (each chunk does it, so a crash keeps the
    /// failed lines of the chunks before it).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Where the tryback is being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes and fsyncs, so the input may be archived safely afterwards; returns the
    /// number of records.
    pub fn finish(self) -> io::Result<u64> {
        let file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        Ok(self.records)
    }
}

/// Whether `bytes` end with a line terminator; `None` for no bytes.
fn ends_line(bytes: &[u8]) -> Option<bool> {
    bytes.last().map(|&b| b == b'\n' || b == b'\r')
}

/// Tryback file name for an input: `users.csv` + `20240131-0915` →
/// `users_tryback_20240131-0915.csv`. Without extension (also for dot files like `.hidden`)
/// the name gets no trailing dot (upstream quirk F13 fixed).
pub fn tryback_name(input_file_name: &str, stamp: &str) -> String {
    // Only the last path component can hold the extension.
    let name_start = input_file_name.rfind(['/', '\\']).map_or(0, |k| k + 1);
    match input_file_name[name_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let (base, ext) = input_file_name.split_at(name_start + dot);
            let ext = &ext[1..];
            if ext.is_empty() { format!("{base}_tryback_{stamp}") } else { format!("{base}_tryback_{stamp}.{ext}") }
        }
        _ => format!("{input_file_name}_tryback_{stamp}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("users.csv", "users_tryback_20240131-0915.csv"),
            ("users", "users_tryback_20240131-0915"),
            ("archive.tar.csv", "archive.tar_tryback_20240131-0915.csv"),
            (".hidden", ".hidden_tryback_20240131-0915"),
            ("users.", "users_tryback_20240131-0915"),
            ("dir.d/users", "dir.d/users_tryback_20240131-0915"),
            ("dir/users.txt", "dir/users_tryback_20240131-0915.txt"),
        ];
        for (input, want) in cases {
            assert_eq!(tryback_name(input, "20240131-0915"), want, "{input}");
        }
    }

    fn write(header: &[u8], records: &[&[u8]]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut w = TrybackWriter::create(&path, header).unwrap();
        for r in records {
            w.write_record(r).unwrap();
        }
        assert_eq!(w.records(), records.len() as u64);
        assert_eq!(w.finish().unwrap(), records.len() as u64);
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn adds_the_header_terminator_after_an_unterminated_last_line() {
        // (header, records written, file content)
        type Case = (&'static [u8], &'static [&'static [u8]], &'static [u8]);
        let cases: [Case; 4] = [
            (b"a;b\n", &[b"1;2\n", b"3;4"], b"a;b\n1;2\n3;4"),
            (b"a;b\r\n", &[b"3;4", b"1;2\r\n"], b"a;b\r\n3;4\r\n1;2\r\n"),
            (b"a;b\r", &[b"3;4", b"5;6"], b"a;b\r3;4\r5;6"),
            (b"a;b", &[b"1;2\n"], b"a;b\n1;2\n"),
        ];
        for (header, records, want) in cases {
            assert_eq!(write(header, records), want);
        }
    }

    #[test]
    fn never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, b"keep").unwrap();
        let err = TrybackWriter::create(&path, b"a\n").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"keep");
    }
}
