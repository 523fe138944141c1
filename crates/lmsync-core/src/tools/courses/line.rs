//! One line of a course create/update file, validated: every fixed column of spec §6.1 checked
//! against its rule (an invalid value fails the line), `topicN` sections, teachers, self/guest.

use lmsync_model::Course;

use crate::clock::Clock;
use crate::values;

/// A typed course value, for diffs and the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
}

#[derive(Clone, Copy)]
enum Rule {
    Text(usize),
    LongText,
    Bool,
    Int(i64, i64),
    Date,
    Format,
    Lang,
}

/// Fixed columns that set a course field, with their rule.
const FIELDS: &[(&str, Rule)] = &[
    ("shortname", Rule::Text(255)),
    ("fullname", Rule::Text(254)),
    ("idnumber", Rule::Text(100)),
    ("summary", Rule::LongText),
    ("format", Rule::Format),
    ("showgrades", Rule::Bool),
    ("newsitems", Rule::Int(0, 10)),
    ("startdate", Rule::Date),
    ("enddate", Rule::Date),
    ("marker", Rule::Int(0, 52)),
    ("maxbytes", Rule::Int(0, i64::MAX)),
    ("legacyfiles", Rule::Bool),
    ("showreports", Rule::Bool),
    ("visible", Rule::Bool),
    ("coursedisplay", Rule::Int(0, 1)),
    ("groupmode", Rule::Int(0, 2)),
    ("enablecompletion", Rule::Bool),
    ("groupmodeforce", Rule::Bool),
    ("defaultgroupingid", Rule::Int(0, i64::MAX)),
    ("lang", Rule::Lang),
    ("theme", Rule::Text(50)),
    ("timecreated", Rule::Date),
];

/// Course formats of the platform.
pub(super) const FORMATS: &[&str] = &["topics", "weeks", "social", "singleactivity"];

/// Columns accepted but set by the platform itself (listed in a note, never written).
pub(super) const PLATFORM_COLUMNS: &[&str] = &["sortorder", "visibleold", "timemodified"];

pub(super) fn is_field(name: &str) -> bool {
    FIELDS.iter().any(|(n, _)| *n == name)
}

pub(super) fn get(c: &Course, field: &str) -> Value {
    use Value::*;
    match field {
        "shortname" => Text(c.shortname.clone()),
        "fullname" => Text(c.fullname.clone()),
        "idnumber" => Text(c.idnumber.clone()),
        "summary" => Text(c.summary.clone()),
        "format" => Text(c.format.clone()),
        "showgrades" => Bool(c.showgrades),
        "newsitems" => Int(c.newsitems),
        "startdate" => Int(c.startdate),
        "enddate" => Int(c.enddate),
        "marker" => Int(c.marker),
        "maxbytes" => Int(c.maxbytes),
        "legacyfiles" => Bool(c.legacyfiles),
        "showreports" => Bool(c.showreports),
        "visible" => Bool(c.visible),
        "coursedisplay" => Int(c.coursedisplay),
        "groupmode" => Int(c.groupmode),
        "enablecompletion" => Bool(c.enablecompletion),
        "groupmodeforce" => Bool(c.groupmodeforce),
        "defaultgroupingid" => Int(c.defaultgroupingid),
        "lang" => Text(c.lang.clone()),
        "theme" => Text(c.theme.clone()),
        "timecreated" => Int(c.timecreated),
        _ => Text(String::new()),
    }
}

pub(super) fn set(c: &mut Course, field: &str, v: &Value) {
    match (field, v) {
        ("shortname", Value::Text(s)) => c.shortname = s.clone(),
        ("fullname", Value::Text(s)) => c.fullname = s.clone(),
        ("idnumber", Value::Text(s)) => c.idnumber = s.clone(),
        ("summary", Value::Text(s)) => c.summary = s.clone(),
        ("format", Value::Text(s)) => c.format = s.clone(),
        ("lang", Value::Text(s)) => c.lang = s.clone(),
        ("theme", Value::Text(s)) => c.theme = s.clone(),
        ("showgrades", Value::Bool(b)) => c.showgrades = *b,
        ("legacyfiles", Value::Bool(b)) => c.legacyfiles = *b,
        ("showreports", Value::Bool(b)) => c.showreports = *b,
        ("visible", Value::Bool(b)) => c.visible = *b,
        ("enablecompletion", Value::Bool(b)) => c.enablecompletion = *b,
        ("groupmodeforce", Value::Bool(b)) => c.groupmodeforce = *b,
        ("newsitems", Value::Int(i)) => c.newsitems = *i,
        ("startdate", Value::Int(i)) => c.startdate = *i,
        ("enddate", Value::Int(i)) => c.enddate = *i,
        ("marker", Value::Int(i)) => c.marker = *i,
        ("maxbytes", Value::Int(i)) => c.maxbytes = *i,
        ("coursedisplay", Value::Int(i)) => c.coursedisplay = *i,
        ("groupmode", Value::Int(i)) => c.groupmode = *i,
        ("defaultgroupingid", Value::Int(i)) => c.defaultgroupingid = *i,
        ("timecreated", Value::Int(i)) => c.timecreated = *i,
        _ => {}
    }
}

/// Checks one fixed column's value. Empty values of optional columns are `None` (unset).
pub(super) fn field_value(field: &str, value: &str, clock: &Clock) -> Result<Option<Value>, String> {
    let Some((_, rule)) = FIELDS.iter().find(|(n, _)| *n == field) else { return Ok(None) };
    if value.is_empty() {
        return match field {
            "shortname" | "fullname" => Err(format!("column \"{field}\" is empty; every course needs one")),
            "idnumber" | "summary" | "lang" | "theme" => Ok(Some(Value::Text(String::new()))),
            _ => Ok(None),
        };
    }
    let bad = |what: &str| format!("column \"{field}\" has value \"{value}\"; {what}");
    Ok(Some(match *rule {
        Rule::Text(max) if value.chars().count() > max => return Err(bad(&format!("use at most {max} characters"))),
        Rule::Text(_) | Rule::LongText => Value::Text(value.to_string()),
        Rule::Bool => Value::Bool(values::parse_bool(value).ok_or_else(|| bad("use 1 or 0"))?),
        Rule::Int(min, max) => match value.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Value::Int(n),
            _ if max == i64::MAX => return Err(bad(&format!("use a whole number of at least {min}"))),
            _ => return Err(bad(&format!("use a whole number from {min} to {max}"))),
        },
        Rule::Date => {
            Value::Int(clock.parse_date(value).ok_or_else(|| bad("use a date like 2026-09-01 or 2026-09-01 08:00"))?)
        }
        Rule::Format if FORMATS.contains(&value) => Value::Text(value.to_string()),
        Rule::Format => return Err(bad(&format!("use one of {}", FORMATS.join(", ")))),
        Rule::Lang => {
            let code = value.to_lowercase().replace("_utf8", "");
            if !values::is_lang_code(&code) {
                return Err(bad("use a language code like en or fr"));
            }
            Value::Text(code)
        }
    }))
}

/// `topicN` (N = 0…52) → N.
pub(super) fn topic_number(name: &str) -> Option<u32> {
    let n = name.strip_prefix("topic")?;
    if n.is_empty() || (n.len() > 1 && n.starts_with('0')) || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|n| *n <= 52)
}

/// `teacherN_account` / `teacherN_role` (N ≥ 1) → (N, is_role).
pub(super) fn teacher_column(name: &str) -> Option<(u32, bool)> {
    let rest = name.strip_prefix("teacher")?;
    let (n, role) =
        if let Some(n) = rest.strip_suffix("_account") { (n, false) } else { (rest.strip_suffix("_role")?, true) };
    if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().map(|n| (n, role))
}

pub(super) fn is_pattern(name: &str) -> bool {
    topic_number(name).is_some() || teacher_column(name).is_some()
}

/// `name|summary` of a topic value (anything after a second `|` is kept in the summary).
pub(super) fn topic_value(value: &str) -> (String, String) {
    match value.split_once('|') {
        Some((name, summary)) => (name.trim().to_string(), summary.trim().to_string()),
        None => (value.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_columns() {
        assert_eq!(topic_number("topic0"), Some(0));
        assert_eq!(topic_number("topic52"), Some(52));
        assert_eq!(topic_number("topic53"), None);
        assert_eq!(topic_number("topic07"), None);
        assert_eq!(teacher_column("teacher1_account"), Some((1, false)));
        assert_eq!(teacher_column("teacher12_role"), Some((12, true)));
        assert_eq!(teacher_column("teacher0_role"), None);
        assert_eq!(teacher_column("teacher1"), None);
        assert_eq!(topic_value("Intro|Read this|twice"), ("Intro".into(), "Read this|twice".into()));
    }

    #[test]
    fn values_are_checked_by_their_rule() {
        let clock = Clock::new("UTC").unwrap();
        assert_eq!(field_value("newsitems", "3", &clock).unwrap(), Some(Value::Int(3)));
        assert!(field_value("newsitems", "11", &clock).unwrap_err().contains("0 to 10"));
        assert!(field_value("format", "grid", &clock).unwrap_err().contains("topics"));
        assert!(field_value("startdate", "soon", &clock).is_err());
        assert_eq!(field_value("startdate", "2026-09-01", &clock).unwrap(), Some(Value::Int(1788220800)));
        assert_eq!(field_value("visible", "yes", &clock).unwrap(), Some(Value::Bool(true)));
        assert!(field_value("fullname", "", &clock).is_err());
        assert_eq!(field_value("groupmode", "", &clock).unwrap(), None);
    }
}
