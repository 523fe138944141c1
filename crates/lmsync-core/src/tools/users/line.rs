//! Turns one row of a user command file into a validated `UserLine`: every value checked and
//! normalised (usernames lower-cased, `lang` cleaned, booleans parsed), or a line error that
//! names the column and the value.

use lmsync_model::{FieldValue, ProfileField, ProfileFieldType, UserField};

use crate::clock::Clock;
use crate::settings::UserSettings;
use crate::values;

/// Positions of the columns a user file has.
#[derive(Debug, Default)]
pub(super) struct UserColumns {
    pub username: usize,
    pub id: Option<usize>,
    pub oldusername: Option<usize>,
    pub password: Option<usize>,
    pub deleted: Option<usize>,
    pub suspended: Option<usize>,
    pub mnethostid: Option<usize>,
    /// Attribute columns present (username, firstname and lastname included).
    pub attrs: Vec<(UserField, usize)>,
    pub profile: Vec<(ProfileField, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PasswordValue {
    /// Present but empty: generate one for a new account, keep the current one otherwise.
    Empty,
    /// `*NOPASS*`: no login by password.
    NoLogin,
    Plain(String),
}

#[derive(Debug, Clone)]
pub(super) struct UserLine {
    pub line: u64,
    pub username: String,
    pub id: Option<i64>,
    pub oldusername: Option<String>,
    /// Values of the attribute columns present; an empty value already resolved to "" or the default.
    pub attrs: Vec<(UserField, FieldValue)>,
    pub password: Option<PasswordValue>,
    pub deleted: Option<bool>,
    pub suspended: Option<bool>,
    pub profile: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

impl UserLine {
    pub fn attr(&self, field: UserField) -> Option<&str> {
        self.attrs.iter().find(|(f, _)| *f == field).and_then(|(_, v)| match v {
            FieldValue::Text(s) => Some(s.as_str()),
            _ => None,
        })
    }
}

#[derive(Debug, Clone)]
pub(super) struct LineError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: String) -> LineError {
    LineError { code, message }
}

/// Longest value each text column may hold (the platform's column sizes).
fn max_len(field: UserField) -> Option<usize> {
    use UserField::*;
    Some(match field {
        Username | Firstname | Lastname | Email => 100,
        Idnumber | Institution | Department | Address | Url => 255,
        City => 120,
        Phone1 | Phone2 => 20,
        Icq => 15,
        Auth | Lang | Timezone => 100,
        Country => 2,
        Description => return None,
        _ => return None,
    })
}

pub(super) fn is_valid_username(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.@".contains(c))
}

fn small_int(field: UserField, value: &str, max: i64) -> Result<FieldValue, LineError> {
    match value.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(FieldValue::Int(n)),
        _ => Err(err(
            "user.invalid_value",
            format!("column \"{}\" has value \"{value}\"; use a whole number from 0 to {max}", field.name()),
        )),
    }
}

/// The value a field takes on a new account when the file gives none.
pub(super) fn default_value(field: UserField, s: &UserSettings) -> FieldValue {
    use UserField::*;
    match field {
        Auth => FieldValue::Text("manual".into()),
        City => FieldValue::Text(s.default_city.clone()),
        Country => FieldValue::Text(s.default_country.clone()),
        Lang => FieldValue::Text(s.default_lang.clone()),
        Timezone => FieldValue::Text(s.default_timezone.clone()),
        Maildisplay | Mailformat | Autosubscribe => FieldValue::Int(1),
        Maildigest | Trackforums => FieldValue::Int(0),
        Suspended | Deleted => FieldValue::Bool(false),
        _ => FieldValue::Text(String::new()),
    }
}

fn attribute(
    field: UserField,
    value: &str,
    s: &UserSettings,
    warnings: &mut Vec<String>,
) -> Result<FieldValue, LineError> {
    use UserField::*;
    if let Some(max) = max_len(field) {
        let len = value.chars().count();
        if len > max {
            return Err(err(
                "user.too_long",
                format!("column \"{}\" is {len} characters long; the limit is {max}", field.name()),
            ));
        }
    }
    if value.is_empty() {
        return match field {
            Firstname | Lastname => {
                Err(err("user.missing_value", format!("column \"{}\" is empty; every account needs one", field.name())))
            }
            // An empty enumerated value means "the default", never an invalid empty one.
            Auth | Lang | Timezone | Maildisplay | Maildigest | Mailformat | Autosubscribe | Trackforums => {
                Ok(default_value(field, s))
            }
            _ => Ok(FieldValue::Text(String::new())),
        };
    }
    Ok(match field {
        Email => {
            if !values::is_valid_email(value) {
                return Err(err(
                    "user.invalid_email",
                    format!("e-mail \"{value}\" is not a valid address; fix it or leave it empty"),
                ));
            }
            FieldValue::Text(value.to_string())
        }
        Auth => {
            if !s.auth_methods.iter().any(|a| a == value) {
                return Err(err(
                    "user.unknown_auth",
                    format!(
                        "authentication method \"{value}\" is not known; use one of {} (or add it to users.auth_methods)",
                        s.auth_methods.join(", ")
                    ),
                ));
            }
            FieldValue::Text(value.to_string())
        }
        Country => {
            let code = value.to_ascii_uppercase();
            if values::is_country_code(&code) {
                FieldValue::Text(code)
            } else {
                warnings.push(format!("country \"{value}\" is not an ISO 3166 code; left empty"));
                FieldValue::Text(String::new())
            }
        }
        Lang => {
            let code = value.to_lowercase().replace("_utf8", "");
            if values::is_lang_code(&code) {
                FieldValue::Text(code)
            } else {
                warnings.push(format!("language \"{value}\" is not a language code; used \"{}\"", s.default_lang));
                FieldValue::Text(s.default_lang.clone())
            }
        }
        Timezone => {
            if values::is_timezone(value) {
                FieldValue::Text(value.to_string())
            } else {
                warnings.push(format!("time zone \"{value}\" is not known; used the server's (99)"));
                FieldValue::Text("99".into())
            }
        }
        Maildisplay | Maildigest => small_int(field, value, 2)?,
        Mailformat | Autosubscribe | Trackforums => small_int(field, value, 1)?,
        _ => FieldValue::Text(value.to_string()),
    })
}

fn boolean(column: &str, value: &str) -> Result<Option<bool>, LineError> {
    if value.is_empty() {
        return Ok(None);
    }
    values::parse_bool(value).map(Some).ok_or_else(|| {
        err("user.invalid_value", format!("column \"{column}\" has value \"{value}\"; use 1/0, yes/no or true/false"))
    })
}

fn profile_value(field: &ProfileField, value: &str, clock: &Clock) -> Result<String, LineError> {
    let column = format!("profile_field_{}", field.shortname);
    if value.is_empty() {
        return Ok(String::new());
    }
    match field.datatype {
        ProfileFieldType::Text if value.chars().count() > 255 => {
            Err(err("user.too_long", format!("column \"{column}\" is longer than 255 characters")))
        }
        ProfileFieldType::Checkbox => match values::parse_bool(value) {
            Some(b) => Ok(if b { "1" } else { "0" }.to_string()),
            None => Err(err("user.invalid_value", format!("column \"{column}\" has value \"{value}\"; use 1 or 0"))),
        },
        ProfileFieldType::Menu if !field.options.iter().any(|o| o == value) => Err(err(
            "user.invalid_value",
            format!("column \"{column}\" has value \"{value}\"; use one of: {}", field.options.join(", ")),
        )),
        ProfileFieldType::Datetime => match clock.parse_date(value) {
            Some(ts) => Ok(ts.to_string()),
            None => Err(err(
                "user.invalid_date",
                format!("column \"{column}\" has value \"{value}\", which is not a date; use YYYY-MM-DD"),
            )),
        },
        _ => Ok(value.to_string()),
    }
}

/// Validates one row.
pub(super) fn parse(
    line: u64,
    fields: &[String],
    cols: &UserColumns,
    s: &UserSettings,
    clock: &Clock,
) -> Result<UserLine, LineError> {
    let get = |i: usize| fields.get(i).map(String::as_str).unwrap_or("");
    let raw_username = get(cols.username);
    let username = raw_username.to_lowercase();
    if username.is_empty() {
        return Err(err("user.missing_value", "column \"username\" is empty; every account needs one".into()));
    }
    if !is_valid_username(&username) {
        return Err(err(
            "user.invalid_username",
            format!("username \"{raw_username}\" may only contain letters, digits and _ - . @"),
        ));
    }
    let deleted = match cols.deleted {
        Some(i) => boolean("deleted", get(i))?,
        None => None,
    };
    let deleting = deleted == Some(true);
    let mut warnings = Vec::new();
    let mut attrs = Vec::with_capacity(cols.attrs.len());
    for (field, i) in &cols.attrs {
        let value = get(*i);
        if *field == UserField::Username {
            attrs.push((UserField::Username, FieldValue::Text(username.clone())));
            continue;
        }
        if deleting && value.is_empty() {
            // A deletion line only needs its key; empty names are fine there.
            continue;
        }
        attrs.push((*field, attribute(*field, value, s, &mut warnings)?));
    }
    let suspended = match cols.suspended {
        Some(i) => boolean("suspended", get(i))?,
        None => None,
    };
    let password = cols.password.map(|i| match get(i) {
        "" => PasswordValue::Empty,
        lmsync_model::user::NO_PASSWORD => PasswordValue::NoLogin,
        p => PasswordValue::Plain(p.to_string()),
    });
    let id = match cols.id.map(get) {
        None | Some("") => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            err("user.invalid_value", format!("column \"id\" has value \"{v}\"; use an account id number"))
        })?),
    };
    if let Some(i) = cols.mnethostid {
        let v = get(i);
        if !v.is_empty() && v != "1" {
            return Err(err(
                "user.mnet_unsupported",
                format!(
                    "mnethostid {v} names a remote MNet host; lmsync manages local accounts only (leave it empty or 1)"
                ),
            ));
        }
    }
    let oldusername = cols.oldusername.map(|i| get(i).to_lowercase()).filter(|v| !v.is_empty());
    let mut profile = Vec::with_capacity(cols.profile.len());
    for (field, i) in &cols.profile {
        profile.push((field.shortname.clone(), profile_value(field, get(*i), clock)?));
    }
    Ok(UserLine { line, username, id, oldusername, attrs, password, deleted, suspended, profile, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> UserColumns {
        UserColumns {
            username: 0,
            attrs: vec![
                (UserField::Username, 0),
                (UserField::Firstname, 1),
                (UserField::Lastname, 2),
                (UserField::Email, 3),
                (UserField::Country, 4),
                (UserField::Lang, 5),
                (UserField::Auth, 6),
                (UserField::Maildigest, 7),
            ],
            deleted: Some(8),
            ..Default::default()
        }
    }

    fn utc() -> Clock {
        Clock::new("UTC").unwrap()
    }

    fn row(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_good_line_is_normalised() {
        let s = UserSettings::default();
        let l =
            parse(3, &row(&["John.Doe", "John", "Doe", "j@x.fr", "gb", "FR_utf8", "", "2", ""]), &cols(), &s, &utc())
                .unwrap();
        assert_eq!(l.username, "john.doe");
        assert_eq!(l.attr(UserField::Country), Some("GB"));
        assert_eq!(l.attr(UserField::Lang), Some("fr"));
        assert_eq!(l.attr(UserField::Auth), Some("manual"));
        assert_eq!(l.deleted, None);
    }

    #[test]
    fn bad_values_fail_with_the_column_and_value() {
        let s = UserSettings::default();
        let cases: &[(&[&str], &str, &str)] = &[
            (&["a b", "J", "D", "", "", "", "", "", ""], "user.invalid_username", "a b"),
            (&["jd", "", "D", "", "", "", "", "", ""], "user.missing_value", "firstname"),
            (&["jd", "J", "D", "not-an-email", "", "", "", "", ""], "user.invalid_email", "not-an-email"),
            (&["jd", "J", "D", "", "", "", "kerberos9", "", ""], "user.unknown_auth", "kerberos9"),
            (&["jd", "J", "D", "", "", "", "", "7", ""], "user.invalid_value", "maildigest"),
            (&["jd", "J", "D", "", "", "", "", "", "perhaps"], "user.invalid_value", "perhaps"),
        ];
        for (values, code, needle) in cases {
            let e = parse(5, &row(values), &cols(), &s, &utc()).unwrap_err();
            assert_eq!(e.code, *code, "{values:?}");
            assert!(e.message.contains(needle), "{}", e.message);
        }
    }

    #[test]
    fn an_unknown_country_is_blanked_with_a_warning() {
        let s = UserSettings::default();
        let l = parse(3, &row(&["jd", "J", "D", "", "XX", "en", "", "", ""]), &cols(), &s, &utc()).unwrap();
        assert_eq!(l.attr(UserField::Country), Some(""));
        assert_eq!(l.warnings.len(), 1);
    }

    #[test]
    fn a_deletion_line_needs_no_names() {
        let s = UserSettings::default();
        let l = parse(3, &row(&["jd", "", "", "", "", "", "", "", "1"]), &cols(), &s, &utc()).unwrap();
        assert_eq!(l.deleted, Some(true));
    }
}
