//! Unit tests of the record splitter: quoting, line ends, comments, limits.

use super::*;

fn fields(f: &Fields) -> Vec<String> {
    f.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect()
}

fn scan_all(input: &[u8]) -> (Scan, Vec<String>) {
    let sp = Splitter::new(b';', b";", false);
    let mut f = Fields::default();
    let s = sp.scan(input, true, usize::MAX, &mut f);
    (s, fields(&f))
}

#[test]
fn splits_quoted_and_unquoted_fields() {
    let cases: &[(&[u8], Scan, &[&str])] = &[
        (b"a;b;c\nx", Scan::Record { len: 6 }, &["a", "b", "c"]),
        (b"a;b\r\nx", Scan::Record { len: 5 }, &["a", "b"]),
        (b"a;b\rx", Scan::Record { len: 4 }, &["a", "b"]),
        (b"a;b", Scan::Record { len: 3 }, &["a", "b"]),
        (b"\"a;b\";c\n", Scan::Record { len: 8 }, &["a;b", "c"]),
        (b"\"a\"\"b\";c\n", Scan::Record { len: 9 }, &["a\"b", "c"]),
        (b"\"a\nb\";c\n", Scan::Record { len: 8 }, &["a\nb", "c"]),
        (b"O\"Brien;x\n", Scan::Record { len: 10 }, &["O\"Brien", "x"]),
        (b"\"ab\"cd;x\n", Scan::Record { len: 9 }, &["abcd", "x"]),
        (b" \"a\";x\n", Scan::Record { len: 7 }, &[" \"a\"", "x"]),
        (b";;\n", Scan::Record { len: 3 }, &["", "", ""]),
        (b"\"\"", Scan::Record { len: 2 }, &[""]),
        (b"\"ab", Scan::OpenQuoteAtEof, &[]),
    ];
    for (input, want_scan, want_fields) in cases {
        let (s, f) = scan_all(input);
        assert_eq!(s, *want_scan, "{:?}", String::from_utf8_lossy(input));
        if matches!(s, Scan::Record { .. }) {
            assert_eq!(f, *want_fields, "{:?}", String::from_utf8_lossy(input));
        }
    }
}

#[test]
fn asks_for_more_when_a_line_end_is_ambiguous() {
    let sp = Splitter::new(b';', b";", false);
    let mut f = Fields::default();
    for input in [&b"a;b"[..], b"a\r", b"\"a\"", b"\"a\r", b"/", b"  "] {
        assert_eq!(sp.scan(input, false, usize::MAX, &mut f), Scan::NeedMore, "{input:?}");
    }
}

#[test]
fn comments_and_blank_lines() {
    let plain = Splitter::new(b';', b";", false);
    let legacy = Splitter::new(b';', b";", true);
    let mut f = Fields::default();
    let cases: &[(&[u8], bool, bool)] = &[
        // input, comment without legacy, comment with legacy
        (b"# a \"quote\n", true, true),
        (b"  # indented\n", true, true),
        (b"// slashes\n", true, true),
        (b"/ one slash\n", false, true),
        (b"-dash\n", false, true),
        (b"(paren\n", false, true),
        (b"[bracket\n", false, true),
        (b" space\n", false, true),
        (b"data\n", false, false),
    ];
    for (input, plain_comment, legacy_comment) in cases {
        let got = plain.scan(input, true, usize::MAX, &mut f) == Scan::Comment;
        assert_eq!(got, *plain_comment, "{:?}", String::from_utf8_lossy(input));
        let got = legacy.scan(input, true, usize::MAX, &mut f) == Scan::Comment;
        assert_eq!(got, *legacy_comment, "{:?}", String::from_utf8_lossy(input));
    }
    for (input, significant) in [(&b" ;; ;\t\n"[..], false), (b"\n", false), (b"\"\";\n", true)] {
        assert!(matches!(plain.scan(input, true, usize::MAX, &mut f), Scan::Record { .. }));
        assert_eq!(f.significant, significant, "{input:?}");
    }
}

#[test]
fn reports_the_first_line_of_a_multi_line_record() {
    let sp = Splitter::new(b';', b";", false);
    let mut f = Fields::default();
    assert_eq!(sp.scan(b"a;\"b\r\nc\nd\";e\n", true, usize::MAX, &mut f), Scan::Record { len: 13 });
    assert_eq!(f.breaks, 2);
    assert_eq!(f.first_line_len, Some(6));
    assert_eq!(f.first_line_open_column, 2);
}

#[test]
fn stops_at_the_limit() {
    let sp = Splitter::new(b';', b";", false);
    let mut f = Fields::default();
    assert_eq!(sp.scan(b"abcdefgh\n", false, 4, &mut f), Scan::OverLimit { scanned: 4, in_quote: false });
    assert_eq!(sp.scan(b"\"abcdefgh\n", false, 4, &mut f), Scan::OverLimit { scanned: 4, in_quote: true });
    assert_eq!(sp.scan(b"abc\n", false, 4, &mut f), Scan::Record { len: 4 });
}
