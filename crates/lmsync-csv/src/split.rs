//! Finds where one record ends in a byte buffer and splits it into fields: RFC 4180 quoting,
//! LF / CRLF / lone-CR line ends, comment lines. It works on bytes because every encoding the
//! reader accepts is ASCII-compatible; buffering lives in `source.rs`, decoding in `decode.rs`.

use crate::dialect::DELIMITER_CANDIDATES;

/// Byte classes used by the scanning loop (a lookup table beats a chain of comparisons).
const ORDINARY: u8 = 0;
const DELIM: u8 = 1;
const LF: u8 = 2;
const CR: u8 = 3;
const QUOTE: u8 = 4;

/// Fields of the last scanned record, unquoted but not decoded. Reused between records so
/// splitting allocates nothing once the buffers have grown.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Line breaks inside the record (quoted newlines), its terminator excluded.
    pub(crate) breaks: u64,
    /// Length of the record's first physical line, terminator included, once a quoted line
    /// break has been seen; needed to fail just that line when a quote never closes.
    pub(crate) first_line_len: Option<usize>,
    /// 1-based column of the quote that was open when the first physical line ended.
    pub(crate) first_line_open_column: usize,
    /// 1-based column of the last quote opened.
    pub(crate) open_column: usize,
    /// Whether the record holds anything but whitespace and delimiters.
    pub(crate) significant: bool,
}

impl Fields {
    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.breaks = 0;
        self.first_line_len = None;
        self.first_line_open_column = 0;
        self.open_column = 0;
        self.significant = false;
    }

    fn end_field(&mut self) {
        self.ends.push(self.data.len());
    }

    fn line_break(&mut self, first_line_len: usize) {
        self.breaks += 1;
        if self.first_line_len.is_none() {
            self.first_line_len = Some(first_line_len);
            self.first_line_open_column = self.open_column;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The fields' raw (still encoded) bytes, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(start, end)| &self.data[start..end])
    }
}

/// What `Splitter::scan` found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A complete record of `len` bytes (terminator included); its fields are in `Fields`.
    Record { len: usize },
    /// The first physical line is a comment: skip it without parsing quotes.
    Comment,
    /// The buffer ends before the record does; read more and scan again.
    NeedMore,
    /// `scanned` bytes were read without the record ending, reaching the size limit.
    OverLimit { scanned: usize, in_quote: bool },
    /// End of input inside a quoted field.
    OpenQuoteAtEof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    AfterQuote,
}

/// Scanning rules for one delimiter.
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    delimiter: u8,
    class: [u8; 256],
    /// Bytes that do not make a line worth reading (whitespace and delimiters).
    blank: [bool; 256],
    legacy_prefixes: bool,
}

impl Splitter {
    /// `blank_delimiters` are the delimiters a skippable `;;;;`-style line may consist of
    /// (all candidates while sniffing, otherwise just `delimiter`).
    pub(crate) fn new(delimiter: u8, blank_delimiters: &[u8], legacy_prefixes: bool) -> Self {
        let mut class = [ORDINARY; 256];
        class[usize::from(b'\n')] = LF;
        class[usize::from(b'\r')] = CR;
        class[usize::from(b'"')] = QUOTE;
        class[usize::from(delimiter)] = DELIM;
        let mut blank = [false; 256];
        for b in [b' ', b'\t', 0x0b, 0x0c].iter().chain(blank_delimiters) {
            blank[usize::from(*b)] = true;
        }
        Splitter { delimiter, class, blank, legacy_prefixes }
    }

    /// Rules for sniffing: `;` splits, any candidate counts as blank.
    pub(crate) fn probe(legacy_prefixes: bool) -> Self {
        Splitter::new(b';', &DELIMITER_CANDIDATES, legacy_prefixes)
    }

    pub(crate) fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Legacy comment prefixes only apply before the header.
    pub(crate) fn set_legacy_prefixes(&mut self, on: bool) {
        self.legacy_prefixes = on;
    }

    /// Scans the record at the start of `bytes` (non-empty unless `eof`). `eof` says no
    /// more bytes follow. Fills `f` for `Record`, `OverLimit` and `OpenQuoteAtEof`.
    pub(crate) fn scan(&self, bytes: &[u8], eof: bool, limit: usize, f: &mut Fields) -> Scan {
        f.clear();
        if let Some(found) = self.comment_check(bytes, eof, limit) {
            return found;
        }
        let n = bytes.len();
        let mut i = 0;
        let mut state = State::FieldStart;
        loop {
            if i == n {
                if !eof {
                    return Scan::NeedMore;
                }
                if state == State::Quoted {
                    return Scan::OpenQuoteAtEof;
                }
                f.end_field();
                return Scan::Record { len: n };
            }
            if i >= limit {
                return Scan::OverLimit { scanned: i, in_quote: state == State::Quoted };
            }
            // Runs of ordinary bytes are copied in one go, never past the limit.
            let stop = n.min(limit);
            let b = bytes[i];
            if state == State::Quoted {
                match self.class[usize::from(b)] {
                    QUOTE => {
                        if i + 1 == n && !eof {
                            return Scan::NeedMore;
                        }
                        if bytes.get(i + 1) == Some(&b'"') {
                            f.data.push(b'"');
                            i += 2;
                        } else {
                            state = State::AfterQuote;
                            i += 1;
                        }
                    }
                    LF => {
                        f.data.push(b);
                        i += 1;
                        f.line_break(i);
                    }
                    CR => {
                        if i + 1 == n && !eof {
                            return Scan::NeedMore;
                        }
                        let len = if bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                        f.data.extend_from_slice(&bytes[i..i + len]);
                        i += len;
                        f.line_break(i);
                    }
                    _ => {
                        let end = self.run_end(bytes, i, stop, |c| c >= LF);
                        f.data.extend_from_slice(&bytes[i..end]);
                        i = end;
                    }
                }
                continue;
            }
            match self.class[usize::from(b)] {
                DELIM => {
                    f.end_field();
                    state = State::FieldStart;
                    i += 1;
                }
                LF => {
                    f.end_field();
                    return Scan::Record { len: i + 1 };
                }
                CR => {
                    if i + 1 == n && !eof {
                        return Scan::NeedMore;
                    }
                    f.end_field();
                    let len = if bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                    return Scan::Record { len };
                }
                QUOTE if state == State::FieldStart => {
                    state = State::Quoted;
                    f.open_column = f.ends.len() + 1;
                    f.significant = true;
                    i += 1;
                }
                _ => {
                    // Unquoted text, or text after a closing quote: quotes are literal here,
                    // which keeps legacy values like `O"Brien` working.
                    let end = self.run_end(bytes, i + 1, stop, |c| c == DELIM || c == LF || c == CR);
                    let run = &bytes[i..end];
                    if !f.significant {
                        f.significant = run.iter().any(|&c| !self.blank[usize::from(c)]);
                    }
                    f.data.extend_from_slice(run);
                    if state == State::FieldStart {
                        state = State::Unquoted;
                    }
                    i = end;
                }
            }
        }
    }

    /// First index in `from..stop` whose class satisfies `is_stop`, else `stop`.
    fn run_end(&self, bytes: &[u8], from: usize, stop: usize, is_stop: impl Fn(u8) -> bool) -> usize {
        let from = from.min(stop);
        bytes[from..stop].iter().position(|&c| is_stop(self.class[usize::from(c)])).map_or(stop, |k| from + k)
    }

    /// Decides whether the record start is a comment line, before any quote is parsed (a
    /// `#` line containing `"` must not open a quote). `None` means parse it as a record.
    fn comment_check(&self, bytes: &[u8], eof: bool, limit: usize) -> Option<Scan> {
        let first = *bytes.first()?;
        if self.legacy_prefixes && matches!(first, b'(' | b'[' | b'-' | b'/' | b' ') {
            return Some(Scan::Comment);
        }
        let stop = bytes.len().min(limit);
        let Some(i) = bytes[..stop].iter().position(|&c| !matches!(c, b' ' | b'\t' | 0x0b | 0x0c)) else {
            // Only whitespace so far: if more follows, it could still turn out to be `#...`.
            return (!eof && bytes.len() < limit).then_some(Scan::NeedMore);
        };
        match bytes[i] {
            b'#' => Some(Scan::Comment),
            b'/' => match bytes.get(i + 1) {
                Some(b'/') => Some(Scan::Comment),
                None if !eof => Some(Scan::NeedMore),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
