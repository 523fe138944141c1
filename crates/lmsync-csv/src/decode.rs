//! Chooses the file's encoding and turns split fields into trimmed strings, exactly once per
//! record and without replacement characters: bytes that do not decode fail the record.

use std::borrow::Cow;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use crate::dialect::EncodingSetting;
use crate::split::Fields;

/// The UTF-8 byte order mark, stripped in every encoding mode.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much of the file `EncodingSetting::Auto` looks at.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;

/// Resolves the encoding setting. `sample` is the start of the file (BOM removed), `complete`
/// says whether it is the whole file.
///
/// `Auto` only ever yields UTF-8 or windows-1252: splitting works on bytes, which is only
/// safe for ASCII-compatible encodings, and those two are what ERPs feeding this tool
/// produce. A file chardetng would call windows-1250 is therefore still read as
/// windows-1252; such sites must set `csv.encoding` (or convert the file to UTF-8).
pub(crate) fn resolve_encoding(
    setting: EncodingSetting,
    sample: &[u8],
    complete: bool,
    had_bom: bool,
) -> &'static Encoding {
    match setting {
        EncodingSetting::Utf8 => UTF_8,
        // WHATWG maps the label iso-8859-1 to windows-1252; we do the same.
        EncodingSetting::Windows1252 | EncodingSetting::Iso88591 => WINDOWS_1252,
        EncodingSetting::Auto if had_bom || looks_utf8(sample, complete) => UTF_8,
        EncodingSetting::Auto => {
            let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
            detector.feed(sample, complete);
            if detector.guess(None, Utf8Detection::Allow) == UTF_8 { UTF_8 } else { WINDOWS_1252 }
        }
    }
}

/// Valid UTF-8, allowing a multi-byte character cut by the end of an incomplete sample.
fn looks_utf8(sample: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// Decodes, trims and unescapes every field. `Err` carries the 1-based column that does not
/// decode in `encoding`.
pub(crate) fn decode_fields(fields: &Fields, encoding: &'static Encoding, delimiter: u8) -> Result<Vec<String>, usize> {
    let mut out = Vec::with_capacity(fields.len());
    for (k, bytes) in fields.iter().enumerate() {
        let text: Cow<'_, str> = if encoding == UTF_8 {
            // std's validator is the fastest path and the common case.
            Cow::Borrowed(std::str::from_utf8(bytes).map_err(|_| k + 1)?)
        } else {
            encoding.decode_without_bom_handling_and_without_replacement(bytes).ok_or(k + 1)?
        };
        out.push(clean(&text, delimiter));
    }
    Ok(out)
}

/// Trims a value and applies the legacy escape: upstream replaced `&#44` with the configured
/// delimiter (so with `;` it becomes `;`, quirk Q7), and existing files rely on it.
fn clean(text: &str, delimiter: u8) -> String {
    let trimmed = text.trim();
    if trimmed.contains("&#44") {
        let mut utf8 = [0u8; 4];
        trimmed.replace("&#44", char::from(delimiter).encode_utf8(&mut utf8))
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::{Scan, Splitter};

    #[test]
    fn fixed_settings_ignore_the_content() {
        let cases = [
            (EncodingSetting::Utf8, UTF_8),
            (EncodingSetting::Windows1252, WINDOWS_1252),
            (EncodingSetting::Iso88591, WINDOWS_1252),
        ];
        for (setting, want) in cases {
            assert_eq!(resolve_encoding(setting, b"caf\xe9", true, false), want);
        }
    }

    #[test]
    fn auto_prefers_utf8_and_falls_back_to_windows_1252() {
        let auto = EncodingSetting::Auto;
        assert_eq!(resolve_encoding(auto, "café;naïve".as_bytes(), true, false), UTF_8);
        assert_eq!(resolve_encoding(auto, b"plain ascii", true, false), UTF_8);
        assert_eq!(resolve_encoding(auto, b"caf\xe9;na\xefve;\x80", true, false), WINDOWS_1252);
        // A character cut by the end of the sample is not evidence against UTF-8 ...
        assert_eq!(resolve_encoding(auto, b"caf\xc3", false, false), UTF_8);
        // ... but a cut at the real end of the file is.
        assert_eq!(resolve_encoding(auto, b"caf\xc3", true, false), WINDOWS_1252);
        assert_eq!(resolve_encoding(auto, b"caf\xe9", true, true), UTF_8);
    }

    fn split(input: &[u8], delimiter: u8) -> Fields {
        let mut f = Fields::default();
        let sp = Splitter::new(delimiter, &[delimiter], false);
        assert!(matches!(sp.scan(input, true, usize::MAX, &mut f), Scan::Record { .. }));
        f
    }

    #[test]
    fn decodes_trims_and_unescapes() {
        let f = split(" Amélie ; a&#44b ;\"  q  \"\n".as_bytes(), b';');
        assert_eq!(decode_fields(&f, UTF_8, b';'), Ok(vec!["Amélie".into(), "a;b".into(), "q".into()]));
        let f = split(b"a&#44b,x\n", b',');
        assert_eq!(decode_fields(&f, UTF_8, b','), Ok(vec!["a,b".into(), "x".into()]));
        let f = split(b"Am\xe9lie;\x80\n", b';');
        assert_eq!(decode_fields(&f, WINDOWS_1252, b';'), Ok(vec!["Amélie".into(), "€".into()]));
    }

    #[test]
    fn undecodable_bytes_name_their_column() {
        let f = split(b"ok;Am\xe9lie;x\n", b';');
        assert_eq!(decode_fields(&f, UTF_8, b';'), Err(2));
    }
}
