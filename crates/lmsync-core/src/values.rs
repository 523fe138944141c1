//! Parsing of the value formats command files use (DECISIONS §2): booleans, dates, e-mail
//! addresses, country and language codes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};

/// `1/0`, `yes/no`, `true/false`, `y/n`, `oui/non`, `on/off` (case-insensitive).
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "y" | "oui" | "on" => Some(true),
        "0" | "no" | "false" | "n" | "non" | "off" => Some(false),
        _ => None,
    }
}

/// Parses a date into Unix time. Accepted: `YYYY-MM-DD hh:mm[:ss]`, `YYYY-MM-DD`, ISO 8601 with
/// an offset, `DD/MM/YYYY[ hh:mm]` and Unix timestamps. Times without an offset are in `tz`.
pub fn parse_date<Tz: TimeZone>(value: &str, tz: &Tz) -> Option<i64> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && v.len() >= 9 {
        return v.parse().ok();
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Some(dt.timestamp());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(dt) = DateTime::parse_from_str(v, fmt) {
            return Some(dt.timestamp());
        }
    }
    let local = |naive: NaiveDateTime| tz.from_local_datetime(&naive).earliest().map(|d| d.timestamp());
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(v, fmt) {
            return local(naive);
        }
    }
    for fmt in ["%Y-%m-%d", "%d/%m/%Y"] {
        if let Ok(date) = NaiveDate::parse_from_str(v, fmt) {
            return local(date.and_hms_opt(0, 0, 0)?);
        }
    }
    None
}

/// A pragmatic e-mail check in the spirit of Moodle's `validate_email`: one `@`, a local part
/// of printable characters, a dotted domain of letters, digits and hyphens.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// ISO 3166-1 alpha-2 code (upper case expected).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code)
}

/// Moodle language pack names: `en`, `fr`, `pt_br`, `zh_cn`, `en_us_k12`.
pub fn is_lang_code(code: &str) -> bool {
    let mut parts = code.split('_');
    let first_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()));
    first_ok && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// `99` (the server's zone) or an IANA zone name.
pub fn is_timezone(name: &str) -> bool {
    name == "99" || name.parse::<chrono_tz::Tz>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn booleans_in_every_accepted_spelling() {
        for t in ["1", "yes", "TRUE", "y", "oui", "On"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "no", "false", "N", "non", "off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool(""), None);
    }

    #[test]
    fn dates_in_every_accepted_format() {
        let cases = [
            ("2024-01-31 09:15:00", 1706692500),
            ("2024-01-31 09:15", 1706692500),
            ("2024-01-31", 1706659200),
            ("31/01/2024", 1706659200),
            ("31/01/2024 09:15", 1706692500),
            ("2024-01-31T10:15:00+01:00", 1706692500),
            ("1706692500", 1706692500),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_date(input, &Utc), Some(expected), "{input}");
        }
        for bad in ["31-01-2024", "2024-13-01", "tomorrow", "12"] {
            assert_eq!(parse_date(bad, &Utc), None, "{bad}");
        }
    }

    #[test]
    fn dates_without_offset_use_the_given_zone() {
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(parse_date("2024-01-31 10:15", &paris), Some(1706692500));
    }

    #[test]
    fn email_validation() {
        for ok in ["a@b.fr", "john.doe+x@mail.example.com", "o'neil@foo.com"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in ["", "nobody", "a@b", "a@@b.fr", "a b@c.fr", "@b.fr", "a@-b.fr", "a@b..fr", ".a@b.fr"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn codes() {
        assert!(is_country_code("FR") && is_country_code("NZ"));
        assert!(!is_country_code("XX") && !is_country_code("fr") && !is_country_code("FRA"));
        assert!(is_lang_code("en") && is_lang_code("pt_br") && is_lang_code("en_us_k12"));
        assert!(!is_lang_code("EN") && !is_lang_code("e") && !is_lang_code("fr_"));
        assert!(is_timezone("99") && is_timezone("Europe/Paris"));
        assert!(!is_timezone("Mars/Olympus"));
    }
}
