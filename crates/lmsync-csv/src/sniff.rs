//! Guesses the delimiter of a file whose `csv.delimiter` is `auto`, from its header line: ERP
//! exports differ (`;` in French locales, `,` elsewhere, tab or `|` from some tools).

use crate::dialect::DELIMITER_CANDIDATES;

/// The candidate delimiter found most often outside quotes in the first physical line of
/// `header`. Ties go to the earlier candidate (`;` `,` tab `|`); no candidate at all means `;`.
pub(crate) fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITER_CANDIDATES.len()];
    let mut in_quotes = false;
    for &b in header {
        match b {
            // Only the first physical line counts, even inside quotes: the quoting rules
            // depend on the delimiter we are still guessing, and stopping here keeps the
            // guess a function of the header's first line alone (a tryback sniffs the same).
            b'\n' | b'\r' => break,
            b'"' => in_quotes = !in_quotes,
            _ if !in_quotes => {
                if let Some(k) = DELIMITER_CANDIDATES.iter().position(|&c| c == b) {
                    counts[k] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for k in 1..counts.len() {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    DELIMITER_CANDIDATES[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_most_frequent_delimiter() {
        let cases: &[(&[u8], u8)] = &[
            (b"a;b;c\n", b';'),
            (b"a,b,c\n", b','),
            (b"a\tb\tc\n", b'\t'),
            (b"a|b|c\n", b'|'),
            (b"a,b;c\n", b';'),
            (b"\"x;y;z\",b,c\n", b','),
            (b"abc\n", b';'),
            (b"a,b\nc;d;e;f\n", b','),
            (b"\"a\nb;c;d\";e\n", b';'),
            (b"a,\"\nb;c;d\n", b','),
        ];
        for (header, want) in cases {
            assert_eq!(sniff_delimiter(header), *want, "{:?}", String::from_utf8_lossy(header));
        }
    }
}
