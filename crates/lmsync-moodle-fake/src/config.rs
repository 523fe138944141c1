//! The fake's knobs (spec §4.2): tokens and services, version, debug level, PHP limits,
//! site settings, latency. Tests change them at any time through `FakeMoodle::config()`.

use std::collections::BTreeSet;
use std::time::Duration;

/// Moodle's debug setting as seen by web-service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DebugLevel {
    /// NONE/MINIMAL: no `debuginfo`.
    None,
    /// NORMAL: `debuginfo` present.
    Normal,
    /// DEVELOPER: `debuginfo` present and appended to `message`.
    Developer,
}

/// A permanent token bound to a user and a service.
#[derive(Debug, Clone)]
pub struct Token {
    pub token: String,
    pub userid: i64,
    pub service: String,
    /// Unix time after which the token is refused (and deleted), if any.
    pub validuntil: Option<i64>,
    /// Whether the token user holds `webservice/rest:use`.
    pub can_use_rest: bool,
}

/// An external service: which functions its tokens may call.
#[derive(Debug, Clone)]
pub struct Service {
    pub shortname: String,
    pub enabled: bool,
    /// `None` = every function the fake implements.
    pub functions: Option<BTreeSet<String>>,
    pub uploadfiles: bool,
}

/// Password policy: only the minimum length is modelled.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub min_length: usize,
}

/// Configuration of one fake site.
#[derive(Debug, Clone)]
pub struct Config {
    pub sitename: String,
    /// e.g. "4.5.2+ (Build: 20250101)"; its major.minor drive the version gates.
    pub release: String,
    /// e.g. "2024100702.00".
    pub version: String,
    pub debug: DebugLevel,
    pub rest_enabled: bool,
    pub maintenance: bool,
    pub tokens: Vec<Token>,
    pub services: Vec<Service>,
    /// PHP `max_input_vars`: fields beyond it are silently dropped (per query/body).
    pub max_input_vars: usize,
    /// PHP `post_max_size` in bytes: a larger body is dropped entirely.
    pub post_max_size: usize,
    /// Delay added before answering every call.
    pub latency: Duration,
    pub langs: Vec<String>,
    pub auths: Vec<String>,
    pub themes: Vec<String>,
    pub formats: Vec<String>,
    pub allowaccountssameemail: bool,
    pub extendedusernamechars: bool,
    pub password_policy: Option<PasswordPolicy>,
    pub default_lang: String,
    pub default_format: String,
    /// Capabilities the token user lacks (e.g. "moodle/user:create"): calls needing one fail
    /// with `nopermissions`.
    pub denied_capabilities: BTreeSet<String>,
    /// How long an injected "timeout" fault keeps the connection before closing it.
    pub hang: Duration,
}

/// The token every default fake accepts.
pub const DEFAULT_TOKEN: &str = "0123456789abcdef0123456789abcdef";

impl Default for Config {
    fn default() -> Self {
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Config {
            sitename: "Fake Moodle".into(),
            release: "4.5.2+ (Build: 20250207)".into(),
            version: "2024100702.00".into(),
            debug: DebugLevel::Normal,
            rest_enabled: true,
            maintenance: false,
            tokens: vec![Token {
                token: DEFAULT_TOKEN.into(),
                userid: 2,
                service: "lmsync".into(),
                validuntil: None,
                can_use_rest: true,
            }],
            services: vec![Service { shortname: "lmsync".into(), enabled: true, functions: None, uploadfiles: true }],
            max_input_vars: 5000,
            post_max_size: 8 * 1024 * 1024,
            latency: Duration::ZERO,
            langs: strs(&["en", "fr"]),
            auths: strs(&["manual", "nologin", "email", "ldap", "webservice", "mnet"]),
            themes: strs(&["boost", "classic"]),
            formats: strs(&["topics", "weeks", "singleactivity"]),
            allowaccountssameemail: false,
            extendedusernamechars: false,
            password_policy: None,
            default_lang: "en".into(),
            default_format: "topics".into(),
            denied_capabilities: BTreeSet::new(),
            hang: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// A site of release `major.minor` (release and version strings set consistently).
    pub fn with_release(mut self, major: u32, minor: u32) -> Self {
        self.release = format!("{major}.{minor}.1 (Build: 20250101)");
        let base = match (major, minor) {
            (3, 9) => 2020061500,
            (3, 10) => 2020110900,
            (3, 11) => 2021051700,
            (4, 0) => 2022041900,
            (4, 1) => 2022112800,
            (4, 2) => 2023042400,
            (4, 3) => 2023100900,
            (4, 4) => 2024042200,
            (4, 5) => 2024100700,
            (5, 0) => 2025041400,
            _ => 2025100600,
        };
        self.version = format!("{}.00", base + 1);
        self
    }

    /// `(major, minor)` parsed from `release` (gates of spec §3.5).
    pub fn release_tuple(&self) -> (u32, u32) {
        let mut it =
            self.release.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }

    /// Whether the site is at least release `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.release_tuple() >= (major, minor)
    }
}
