//! Buffered input that hands out whole records: it refills and grows its buffer until the
//! splitter can decide, skips comment and blank lines, and applies the recovery rules for
//! over-long records and unterminated quotes. Memory stays around `max_record_bytes` plus
//! one read chunk, except that an over-long physical line is kept whole in its record's
//! `raw` (so a tryback loses nothing).

use std::io::{self, Read};

use crate::split::{Fields, Scan, Splitter};

/// Read granularity; also the initial buffer size, large enough for encoding sniffing.
const CHUNK: usize = 64 * 1024;

/// How a scanned record turned out, before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Split normally; the fields are in the `Fields` passed to `next_raw`.
    Fields,
    /// Larger than the limit; `raw` holds all of it.
    TooLong { bytes: usize },
    /// A quote never closed; `raw` holds the record's first physical line only.
    OpenQuote { column: usize },
}

#[derive(Debug)]
pub(crate) struct RawRecord {
    pub(crate) line: u64,
    pub(crate) end_line: u64,
    pub(crate) raw: Vec<u8>,
    pub(crate) outcome: Outcome,
}

pub(crate) struct Source<R> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Physical 1-based line number of the byte at `pos`.
    line: u64,
}

impl<R: Read> Source<R> {
    /// Reads the first chunk (so encoding detection sees up to 64 KiB).
    pub(crate) fn new(input: R) -> io::Result<Self> {
        let mut source = Source { input, buf: vec![0; CHUNK], pos: 0, end: 0, eof: false, line: 1 };
        source.fill()?;
        Ok(source)
    }

    /// Buffered, unconsumed bytes.
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Whether `available()` runs to the end of the input.
    pub(crate) fn at_eof(&self) -> bool {
        self.eof
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// Makes room (moving unconsumed bytes to the front, growing the buffer only when it is
    /// full of them) and reads until the buffer is full or the input ends.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let bigger = self.buf.len().saturating_mul(2).max(CHUNK);
            self.buf.resize(bigger, 0);
        }
        while self.end < self.buf.len() {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Skips comment and blank lines (copying them to `sink`, if any) until a record starts,
    /// without consuming it. Used to find the header line before its delimiter is known.
    pub(crate) fn skip_to_record(
        &mut self,
        sp: &Splitter,
        limit: usize,
        f: &mut Fields,
        mut sink: Option<&mut Vec<u8>>,
    ) -> io::Result<()> {
        loop {
            if self.pos == self.end {
                if self.eof {
                    return Ok(());
                }
                self.fill()?;
                continue;
            }
            match sp.scan(self.available(), self.eof, limit, f) {
                Scan::NeedMore => self.fill()?,
                Scan::Comment => self.skip_line(sink.as_deref_mut())?,
                Scan::Record { len } if !f.significant => self.skip_blank(len, sink.as_deref_mut()),
                _ => return Ok(()),
            }
        }
    }

    /// Makes sure the current physical line is buffered (up to `limit` bytes), so the header
    /// can be sniffed.
    pub(crate) fn buffer_line(&mut self, limit: usize) -> io::Result<()> {
        while !self.eof {
            let avail = self.available();
            if avail.len() > limit || avail.iter().any(|&b| b == b'\n' || b == b'\r') {
                break;
            }
            self.fill()?;
        }
        Ok(())
    }

    /// The next record, skipping comment and blank lines (copied to `sink` if given, for the
    /// bytes before the header). `None` at end of input.
    pub(crate) fn next_raw(
        &mut self,
        sp: &Splitter,
        limit: usize,
        f: &mut Fields,
        mut sink: Option<&mut Vec<u8>>,
    ) -> io::Result<Option<RawRecord>> {
        loop {
            if self.pos == self.end {
                if self.eof {
                    return Ok(None);
                }
                self.fill()?;
                continue;
            }
            let line = self.line;
            match sp.scan(self.available(), self.eof, limit, f) {
                Scan::NeedMore => self.fill()?,
                Scan::Comment => self.skip_line(sink.as_deref_mut())?,
                Scan::Record { len } if !f.significant => self.skip_blank(len, sink.as_deref_mut()),
                Scan::Record { len } => {
                    let raw = self.available()[..len].to_vec();
                    self.pos += len;
                    self.line += f.breaks + 1;
                    // A CRLF terminator right at the limit can end a record one byte over it.
                    let outcome = if len > limit { Outcome::TooLong { bytes: len } } else { Outcome::Fields };
                    return Ok(Some(RawRecord { line, end_line: line + f.breaks, raw, outcome }));
                }
                Scan::OpenQuoteAtEof => {
                    let column = match f.first_line_len {
                        Some(_) => f.first_line_open_column,
                        None => f.open_column,
                    };
                    let len = f.first_line_len.unwrap_or(self.end - self.pos);
                    return Ok(Some(self.fail_first_line(len, column)));
                }
                Scan::OverLimit { scanned, in_quote } => {
                    if let (true, Some(len)) = (in_quote, f.first_line_len) {
                        // The quote left open on the first line swallowed too much: fail
                        // that line alone and rescan from the next one, so one stray quote
                        // cannot take the rest of the file with it.
                        return Ok(Some(self.fail_first_line(len, f.first_line_open_column)));
                    }
                    // Too long but not a runaway quote: keep every byte up to the end of the
                    // current physical line, and go on from the next line.
                    let mut raw = self.available()[..scanned].to_vec();
                    self.pos += scanned;
                    self.take_line(Some(&mut raw))?;
                    self.line += f.breaks + 1;
                    let bytes = raw.len();
                    let outcome = Outcome::TooLong { bytes };
                    return Ok(Some(RawRecord { line, end_line: line + f.breaks, raw, outcome }));
                }
            }
        }
    }

    fn fail_first_line(&mut self, len: usize, column: usize) -> RawRecord {
        let raw = self.available()[..len].to_vec();
        self.pos += len;
        let line = self.line;
        self.line += 1;
        RawRecord { line, end_line: line, raw, outcome: Outcome::OpenQuote { column } }
    }

    fn skip_blank(&mut self, len: usize, sink: Option<&mut Vec<u8>>) {
        if let Some(sink) = sink {
            sink.extend_from_slice(&self.available()[..len]);
        }
        self.pos += len;
        self.line += 1;
    }

    /// Skips one physical line, whatever its length.
    fn skip_line(&mut self, sink: Option<&mut Vec<u8>>) -> io::Result<()> {
        self.take_line(sink)?;
        self.line += 1;
        Ok(())
    }

    /// Consumes bytes through the next line terminator (LF, CRLF or CR) or the end of input,
    /// streaming them into `sink` so a long line never needs a big buffer. Does not count
    /// the line.
    fn take_line(&mut self, mut sink: Option<&mut Vec<u8>>) -> io::Result<()> {
        loop {
            if self.pos == self.end {
                if self.eof {
                    return Ok(());
                }
                self.fill()?;
                continue;
            }
            let avail = self.available();
            let (len, done) = match avail.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(k) if avail[k] == b'\n' => (k + 1, true),
                // A CR as the last buffered byte: a LF may follow after the next read.
                Some(k) if k + 1 == avail.len() && !self.eof => (k, false),
                Some(k) if avail.get(k + 1) == Some(&b'\n') => (k + 2, true),
                Some(k) => (k + 1, true),
                None => (avail.len(), false),
            };
            if let Some(sink) = sink.as_deref_mut() {
                sink.extend_from_slice(&avail[..len]);
            }
            self.pos += len;
            if done {
                return Ok(());
            }
            if len == 0 {
                self.fill()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its data a few bytes at a time, like a slow pipe.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn records(input: &[u8], chunk: usize, limit: usize) -> Vec<(u64, u64, Vec<u8>, Outcome)> {
        let mut src = Source::new(Trickle(input, chunk)).unwrap();
        let sp = Splitter::new(b';', b";", false);
        let mut f = Fields::default();
        let mut out = Vec::new();
        while let Some(r) = src.next_raw(&sp, limit, &mut f, None).unwrap() {
            out.push((r.line, r.end_line, r.raw, r.outcome));
        }
        out
    }

    #[test]
    fn line_numbers_count_skipped_and_quoted_lines() {
        let input = b"# c\na;b\r\n\r\n\"x\ny\";z\rlast";
        for chunk in [1, 2, 3, 1000] {
            let got = records(input, chunk, 1000);
            let want = vec![
                (2, 2, b"a;b\r\n".to_vec(), Outcome::Fields),
                (4, 5, b"\"x\ny\";z\r".to_vec(), Outcome::Fields),
                (6, 6, b"last".to_vec(), Outcome::Fields),
            ];
            assert_eq!(got, want, "chunk {chunk}");
        }
    }

    #[test]
    fn a_runaway_quote_fails_only_its_first_line() {
        let input = b"a;\"b\nc;d\ne;f\n";
        for chunk in [1, 1000] {
            let got = records(input, chunk, 1000);
            assert_eq!(got[0], (1, 1, b"a;\"b\n".to_vec(), Outcome::OpenQuote { column: 2 }));
            assert_eq!(got[1], (2, 2, b"c;d\n".to_vec(), Outcome::Fields));
            assert_eq!(got.len(), 3);
            // Same when the limit, not the end of input, stops the quote.
            let got = records(b"a;\"b\nc;d\ne;f\ng;h\n", chunk, 8);
            assert_eq!(got[0].3, Outcome::OpenQuote { column: 2 });
            assert_eq!(got[1], (2, 2, b"c;d\n".to_vec(), Outcome::Fields));
        }
    }

    #[test]
    fn an_over_long_line_is_kept_whole() {
        let mut input = vec![b'x'; 5000];
        input.extend_from_slice(b"\r\nok\n");
        for chunk in [7, 100_000] {
            let got = records(&input, chunk, 100);
            assert_eq!(got[0].2.len(), 5002);
            assert_eq!(got[0].3, Outcome::TooLong { bytes: 5002 });
            assert_eq!(got[1], (2, 2, b"ok\n".to_vec(), Outcome::Fields));
        }
    }
}
