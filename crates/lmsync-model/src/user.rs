//! A user account as the LMS stores it (Moodle's `user` table), its editable fields, and custom
//! profile field definitions.

use serde::Serialize;
use std::collections::BTreeMap;

/// The Moodle host id of local accounts; lmsync manages local accounts only.
pub const LOCAL_HOST_ID: i64 = 1;

/// Value of the `password` column meaning "no login by password".
pub const NO_PASSWORD: &str = "*NOPASS*";

/// A user account. `password` holds a bcrypt hash, [`NO_PASSWORD`] or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct User {
    pub id: i64,
    pub auth: String,
    pub confirmed: bool,
    pub deleted: bool,
    pub suspended: bool,
    pub username: String,
    #[serde(skip)]
    pub password: Option<String>,
    pub idnumber: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub phone1: String,
    pub phone2: String,
    pub icq: String,
    pub institution: String,
    pub department: String,
    pub address: String,
    pub city: String,
    pub country: String,
    pub lang: String,
    pub timezone: String,
    pub description: String,
    pub url: String,
    pub maildisplay: i64,
    pub maildigest: i64,
    pub mailformat: i64,
    pub autosubscribe: i64,
    pub trackforums: i64,
    pub picture: i64,
    pub timecreated: i64,
    pub timemodified: i64,
    /// Custom profile field values by field shortname.
    pub profile: BTreeMap<String, String>,
    /// The password in clear when this run sets it (a remote target sends it; the embedded
    /// store keeps only `password`, its hash).
    #[serde(skip)]
    pub password_clear: Option<ClearPassword>,
}

/// A password in clear text on its way to a target that hashes it itself. Never shown by Debug.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ClearPassword(pub String);

impl std::fmt::Debug for ClearPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[hidden]")
    }
}

/// A typed field value, as carried in changes and the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl FieldValue {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Text(s) => serde_json::Value::String(s.clone()),
            FieldValue::Int(i) => serde_json::Value::from(*i),
            FieldValue::Bool(b) => serde_json::Value::from(*b),
        }
    }
}

impl std::fmt::Display for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Text(s) => f.write_str(s),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::Bool(b) => f.write_str(if *b { "1" } else { "0" }),
        }
    }
}

macro_rules! user_fields {
    ($( $variant:ident => $name:literal, $field:ident, $kind:ident; )*) => {
        /// Every account attribute a command file can set, named as its column and its
        /// database column.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum UserField { $( $variant, )* }

        impl UserField {
            pub const ALL: &'static [UserField] = &[ $( UserField::$variant, )* ];

            pub fn name(self) -> &'static str {
                match self { $( UserField::$variant => $name, )* }
            }

            pub fn from_name(name: &str) -> Option<UserField> {
                match name { $( $name => Some(UserField::$variant), )* _ => None }
            }

            pub fn get(self, user: &User) -> FieldValue {
                match self { $( UserField::$variant => user_fields!(@get $kind, user.$field), )* }
            }

            /// Sets the field; a value of the wrong kind is ignored (planners build values
            /// of the right kind, so that cannot happen in practice).
            pub fn set(self, user: &mut User, value: &FieldValue) {
                match self { $( UserField::$variant => user_fields!(@set $kind, user.$field, value), )* }
            }
        }
    };
    (@get text, $e:expr) => { FieldValue::Text($e.clone()) };
    (@get int, $e:expr) => { FieldValue::Int($e) };
    (@get bool, $e:expr) => { FieldValue::Bool($e) };
    (@set text, $e:expr, $v:expr) => { if let FieldValue::Text(s) = $v { $e = s.clone(); } };
    (@set int, $e:expr, $v:expr) => { if let FieldValue::Int(i) = $v { $e = *i; } };
    (@set bool, $e:expr, $v:expr) => { if let FieldValue::Bool(b) = $v { $e = *b; } };
}

user_fields! {
    Username => "username", username, text;
    Auth => "auth", auth, text;
    Suspended => "suspended", suspended, bool;
    Deleted => "deleted", deleted, bool;
    Idnumber => "idnumber", idnumber, text;
    Firstname => "firstname", firstname, text;
    Lastname => "lastname", lastname, text;
    Email => "email", email, text;
    Phone1 => "phone1", phone1, text;
    Phone2 => "phone2", phone2, text;
    Icq => "icq", icq, text;
    Institution => "institution", institution, text;
    Department => "department", department, text;
    Address => "address", address, text;
    City => "city", city, text;
    Country => "country", country, text;
    Lang => "lang", lang, text;
    Timezone => "timezone", timezone, text;
    Description => "description", description, text;
    Url => "url", url, text;
    Maildisplay => "maildisplay", maildisplay, int;
    Maildigest => "maildigest", maildigest, int;
    Mailformat => "mailformat", mailformat, int;
    Autosubscribe => "autosubscribe", autosubscribe, int;
    Trackforums => "trackforums", trackforums, int;
}

impl User {
    /// The account as a JSON object of its fields (password left out), for the journal.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Data type of a custom profile field (Moodle's `user_info_field.datatype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileFieldType {
    Text,
    Textarea,
    Checkbox,
    Menu,
    Datetime,
}

impl ProfileFieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileFieldType::Text => "text",
            ProfileFieldType::Textarea => "textarea",
            ProfileFieldType::Checkbox => "checkbox",
            ProfileFieldType::Menu => "menu",
            ProfileFieldType::Datetime => "datetime",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => ProfileFieldType::Text,
            "textarea" => ProfileFieldType::Textarea,
            "checkbox" => ProfileFieldType::Checkbox,
            "menu" => ProfileFieldType::Menu,
            "datetime" => ProfileFieldType::Datetime,
            _ => return None,
        })
    }
}

/// A custom profile field definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileField {
    pub id: i64,
    pub shortname: String,
    pub name: String,
    pub datatype: ProfileFieldType,
    pub locked: bool,
    pub visible: bool,
    /// Menu options, one per line (Moodle's `param1`).
    pub options: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_by_name_and_value() {
        let mut u = User::default();
        for f in UserField::ALL {
            assert_eq!(UserField::from_name(f.name()), Some(*f));
        }
        UserField::City.set(&mut u, &FieldValue::Text("Lyon".into()));
        UserField::Suspended.set(&mut u, &FieldValue::Bool(true));
        UserField::Maildigest.set(&mut u, &FieldValue::Int(2));
        assert_eq!(UserField::City.get(&u), FieldValue::Text("Lyon".into()));
        assert!(u.suspended);
        assert_eq!(u.maildigest, 2);
    }
}
