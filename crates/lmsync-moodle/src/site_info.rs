//! What `core_webservice_get_site_info` tells about the site (spec §1.9): its release, the
//! functions this token may call, whether it may upload, and the version gates of §3.5.

use crate::response::lenient_i64;
use serde::Deserialize;
use serde_json::Value;

/// A Moodle release number (`4.5`, `3.11`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release {
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The first version number (`YYYYMMDDxx`) of each release, to read `version` when `release`
/// is unreadable.
const RELEASE_VERSIONS: &[(u32, u32, u64)] = &[
    (3, 9, 2020061500),
    (3, 10, 2020110900),
    (3, 11, 2021051700),
    (4, 0, 2022041900),
    (4, 1, 2022112800),
    (4, 2, 2023042400),
    (4, 3, 2023100900),
    (4, 4, 2024042200),
    (4, 5, 2024100700),
    (5, 0, 2025041400),
    (5, 1, 2025100600),
];

impl Release {
    /// Reads `"4.5.2+ (Build: 20250221)"`, falling back to the version number `"2024100702.00"`.
    pub fn parse(release: &str, version: &str) -> Option<Release> {
        let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
        let major = parts.next().and_then(|p| p.parse().ok());
        let minor = parts.next().and_then(|p| p.parse().ok());
        if let (Some(major), Some(minor)) = (major, minor) {
            return Some(Release { major, minor });
        }
        let number: u64 = version.split('.').next()?.trim().parse().ok()?;
        RELEASE_VERSIONS
            .iter()
            .rev()
            .find(|(_, _, first)| number >= *first)
            .map(|&(major, minor, _)| Release { major, minor })
    }
}

/// One function the token's service may call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SiteFunction {
    pub name: String,
    #[serde(default, deserialize_with = "text")]
    pub version: String,
}

/// The parts of the site info lmsync uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SiteInfo {
    #[serde(default)]
    pub sitename: String,
    #[serde(default)]
    pub siteurl: String,
    #[serde(default)]
    pub username: String,
    #[serde(default, deserialize_with = "int")]
    pub userid: i64,
    #[serde(default)]
    pub release: String,
    #[serde(default, deserialize_with = "text")]
    pub version: String,
    #[serde(default)]
    pub functions: Vec<SiteFunction>,
    #[serde(default, deserialize_with = "flag")]
    pub uploadfiles: bool,
    #[serde(default, deserialize_with = "flag")]
    pub userissiteadmin: bool,
    /// -1 = unlimited.
    #[serde(default, deserialize_with = "int")]
    pub usermaxuploadfilesize: i64,
    /// The site course (the front page), 1 on every site.
    #[serde(default = "site_course", deserialize_with = "int")]
    pub siteid: i64,
}

fn site_course() -> i64 {
    1
}

impl SiteInfo {
    /// Parses the answer of `core_webservice_get_site_info`.
    pub fn from_json(value: &Value) -> Result<SiteInfo, String> {
        if !value.is_object() {
            return Err(format!("expected an object, got {}", crate::response::snippet(&value.to_string())));
        }
        SiteInfo::deserialize(value).map_err(|e| e.to_string())
    }

    /// The release, if `release` or `version` can be read.
    pub fn parsed_release(&self) -> Option<Release> {
        Release::parse(&self.release, &self.version)
    }

    /// The site runs at least `major.minor` (false when the release cannot be read).
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.parsed_release().is_some_and(|r| r >= Release { major, minor })
    }

    /// The token's service may call `function`.
    pub fn has_function(&self, function: &str) -> bool {
        self.functions.iter().any(|f| f.name == function)
    }

    /// `enrol_meta_*` exist (4.0+).
    pub fn has_meta_link_functions(&self) -> bool {
        self.at_least(4, 0)
    }

    /// `core_user_update_users` reports per-user warnings instead of failing whole (4.0+).
    pub fn user_update_is_per_item(&self) -> bool {
        self.at_least(4, 0)
    }

    /// Section add/delete/hide/show through `core_courseformat_update_course` (4.0+).
    pub fn has_courseformat_actions(&self) -> bool {
        self.at_least(4, 0)
    }

    /// Groups take `visibility`/`participation`, role functions numeric context levels (4.2+).
    pub fn group_visibility_keys(&self) -> bool {
        self.at_least(4, 2)
    }

    /// Groups and groupings take `customfields` (4.3+).
    pub fn group_customfields(&self) -> bool {
        self.at_least(4, 3)
    }

    /// `core_enrol_get_enrolled_users` knows `onlysuspended` (3.11+).
    pub fn enrolled_users_onlysuspended(&self) -> bool {
        self.at_least(3, 11)
    }
}

fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

fn int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(lenient_i64(&Value::deserialize(d)?).unwrap_or(0))
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(v.as_bool().unwrap_or_else(|| lenient_i64(&v).is_some_and(|n| n != 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_site_info_answer() {
        let v = serde_json::json!({
            "sitename": "Uni", "siteurl": "https://m.example", "username": "lmsync", "userid": 3,
            "release": "4.5.2+ (Build: 20250221)", "version": "2024100702.00",
            "functions": [{"name": "core_user_create_users", "version": "2024100702.00"}],
            "uploadfiles": 1, "userissiteadmin": true, "usermaxuploadfilesize": -1
        });
        let info = SiteInfo::from_json(&v).unwrap();
        assert_eq!(info.parsed_release(), Some(Release { major: 4, minor: 5 }));
        assert!(info.at_least(4, 0) && info.at_least(4, 5) && !info.at_least(5, 0));
        assert!(info.has_function("core_user_create_users"));
        assert!(!info.has_function("core_user_delete_users"));
        assert!(info.uploadfiles && info.userissiteadmin);
        assert!(info.group_customfields());
        assert!(SiteInfo::from_json(&Value::Null).is_err());
    }

    #[test]
    fn releases_come_from_either_field() {
        assert_eq!(Release::parse("3.11.4 (Build: 20211108)", ""), Some(Release { major: 3, minor: 11 }));
        assert_eq!(Release::parse("", "2023042400.05"), Some(Release { major: 4, minor: 2 }));
        assert_eq!(Release::parse("", "2021051699"), Some(Release { major: 3, minor: 10 }));
        assert_eq!(Release::parse("garbage", "x"), None);
        assert!(Release { major: 3, minor: 11 } < Release { major: 4, minor: 0 });
    }
}
