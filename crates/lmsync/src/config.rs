//! The data directory and `lmsync.toml`: created with commented defaults on first use, read
//! with unknown keys refused, overridden by `LMSYNC_…` environment variables, then checked.

use anyhow::{Context, Result, bail};
use lmsync_core::Settings;
use lmsync_core::clock::Clock;
use lmsync_core::schedule::Schedule;
use std::fs;
use std::path::{Path, PathBuf};

/// The commented default configuration written on first use.
pub const DEFAULT_TOML: &str = include_str!("default_config.toml");

/// Everything lmsync keeps, under one folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// Opens the data directory, creating its layout when missing.
    pub fn ensure(root: &Path) -> Result<Self> {
        fs::create_dir_all(root).with_context(|| format!("cannot create the data directory {}", root.display()))?;
        let root = root.canonicalize().with_context(|| format!("cannot resolve {}", root.display()))?;
        let dir = DataDir { root };
        for d in [dir.drop_dir(), dir.files(), dir.files().join("archives"), dir.files().join("reports"), dir.locks()] {
            fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let config = dir.config();
        if !config.exists() {
            fs::write(&config, DEFAULT_TOML).with_context(|| format!("cannot write {}", config.display()))?;
        }
        Ok(dir)
    }

    pub fn config(&self) -> PathBuf {
        self.root.join("lmsync.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("lms.db")
    }

    /// Where an external feeder drops command files by default (`drop.dir` may name another).
    pub fn drop_dir(&self) -> PathBuf {
        self.root.join("sync")
    }

    /// The managed file area.
    pub fn files(&self) -> PathBuf {
        self.root.join("files")
    }

    pub fn locks(&self) -> PathBuf {
        self.root.join(".locks")
    }
}

/// Reads `path`, applies environment overrides from `env`, and checks every value.
pub fn load(path: &Path, env: impl Iterator<Item = (String, String)>) -> Result<Settings> {
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    toml::Value::Table(table.clone())
        .try_into::<Settings>()
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    let mut overridden = Vec::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("LMSYNC_") else {
            continue;
        };
        // Variables of the command line and of logging, not settings.
        if ["DATA_DIR", "LOG", "LOG_FORMAT"].contains(&rest) {
            continue;
        }
        // The target's token, kept out of the file: always text, never parsed as TOML.
        if rest == "TARGET_TOKEN" {
            let entry = table.entry("target").or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                t.insert("token".into(), toml::Value::String(value));
            }
            overridden.push(name);
            continue;
        }
        let rest = rest.to_ascii_lowercase();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value.clone()));
        match rest.split_once("__") {
            Some((section, key)) => {
                let entry = table.entry(section.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                match entry {
                    toml::Value::Table(t) => {
                        t.insert(key.to_string(), parsed);
                    }
                    _ => bail!("environment variable {name}: {section} is not a section"),
                }
            }
            None => {
                table.insert(rest.clone(), parsed);
            }
        }
        overridden.push(name);
    }
    let settings: Settings = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
        anyhow::anyhow!("environment variables {}: {}", overridden.join(", "), e.message())
    })?;
    check(&settings).with_context(|| format!("invalid setting in {} or the environment", path.display()))?;
    Ok(settings)
}

/// The target's settings: a Moodle target needs its address (HTTPS, or HTTP on this machine
/// only: a token must not cross a network in clear) and a token.
fn check_target(t: &lmsync_core::settings::TargetSettings) -> Result<()> {
    if t.timeout_seconds == 0 {
        bail!("target.timeout_seconds = 0: use at least 1");
    }
    if !(1..=32).contains(&t.concurrency) {
        bail!("target.concurrency = {} is outside 1-32", t.concurrency);
    }
    if t.kind != lmsync_core::settings::TargetKind::Moodle {
        return Ok(());
    }
    let url = t.url.trim_end_matches('/');
    let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|p| url.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/'])));
    let https = url.strip_prefix("https://").is_some_and(|host| !host.is_empty());
    if !(https || local) {
        bail!("target.url = {:?}: give the Moodle site's address, https://… (http:// only for this machine)", t.url);
    }
    if t.token.trim().is_empty() {
        bail!(
            "target.kind = \"moodle\" needs a web service token: set LMSYNC_TARGET_TOKEN (or target.token) \
             to a token of the site's lmsync web service"
        );
    }
    Ok(())
}

/// Sets one setting (`section.key`, or a top-level `key`) in `lmsync.toml`, keeping its comments
/// and layout. The result is checked like at load time before it replaces the file; a refused
/// value leaves the file as it was.
pub fn set(path: &Path, name: &str, value: toml_edit::Value) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml_edit::DocumentMut =
        text.parse().with_context(|| format!("{} is not valid TOML", path.display()))?;
    match name.split_once('.') {
        Some((section, key)) => {
            if !doc.contains_key(section) {
                doc[section] = toml_edit::table();
            }
            let Some(table) = doc[section].as_table_mut() else { bail!("{section} is not a section of the settings") };
            table[key] = toml_edit::value(value);
        }
        None => {
            doc[name] = toml_edit::value(value);
        }
    }
    let tmp = path.with_extension("toml.new");
    fs::write(&tmp, doc.to_string()).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Err(e) = load(&tmp, std::iter::empty()) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Checks what serde cannot: zones, cron expressions, dialect values, ranges.
pub fn check(s: &Settings) -> Result<()> {
    Clock::new(&s.timezone)?;
    Schedule::parse("users", &s.schedule.users)?;
    Schedule::parse("courses", &s.schedule.courses)?;
    Schedule::parse("enrols", &s.schedule.enrols)?;
    Schedule::parse("groups", &s.schedule.groups)?;
    Schedule::parse("cohorts", &s.schedule.cohorts)?;
    Schedule::parse("userpictures", &s.schedule.userpictures)?;
    Schedule::parse("cleanup", &s.schedule.cleanup)?;
    if s.drop.scan_seconds == 0 {
        bail!("drop.scan_seconds = 0: use at least 1");
    }
    if !["add", "del", "delete", "shift"].contains(&s.enrols.default_cmd.as_str()) {
        bail!("enrols.default_cmd = {:?}: use add, del or shift", s.enrols.default_cmd);
    }
    lmsync_core::run::dialect(s)?;
    if !(4..=31).contains(&s.users.password_cost) {
        bail!("users.password_cost = {} is outside 4-31", s.users.password_cost);
    }
    if !s.users.default_country.is_empty() && !lmsync_core::values::is_country_code(&s.users.default_country) {
        bail!("users.default_country = {:?} is not an ISO 3166 two-letter code (like \"FR\")", s.users.default_country);
    }
    if !lmsync_core::values::is_timezone(&s.users.default_timezone) {
        bail!("users.default_timezone = {:?} is not an IANA zone name or 99", s.users.default_timezone);
    }
    check_target(&s.target)?;
    if !["none", "starttls", "tls"].contains(&s.smtp.tls.as_str()) {
        bail!("smtp.tls = {:?}: use \"none\", \"starttls\" or \"tls\"", s.smtp.tls);
    }
    if !s.smtp.host.is_empty() {
        crate::mail::SmtpMailer::from_settings(&s.smtp)?;
    }
    if s.csv.max_record_bytes < 1024 {
        bail!("csv.max_record_bytes = {} is too small; use at least 1024", s.csv.max_record_bytes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lmsync_core::settings::TargetKind;

    fn load_str(text: &str, env: &[(&str, &str)]) -> Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lmsync.toml");
        fs::write(&path, text).unwrap();
        load(&path, env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn the_default_file_parses_to_the_defaults_and_shows_every_setting() {
        assert_eq!(load_str(DEFAULT_TOML, &[]).unwrap(), Settings::default());
        // Uncommenting every line must give the defaults too: the file documents the real values.
        let uncommented: String = DEFAULT_TOML
            .lines()
            .map(|l| if l.starts_with('#') && l.contains(" = ") && !l.starts_with("# ") { &l[1..] } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(load_str(&uncommented, &[]).unwrap(), Settings::default());
        let defaults = toml::to_string(&Settings::default()).unwrap();
        for line in defaults.lines().filter(|l| l.contains(" = ")) {
            let key = line.split(" = ").next().unwrap();
            assert!(uncommented.contains(&format!("{key} = ")), "{key} is missing from the default file");
        }
    }

    #[test]
    fn a_setting_is_set_keeping_the_comments_and_a_bad_value_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lmsync.toml");
        fs::write(&path, DEFAULT_TOML).unwrap();
        set(&path, "users.allow_rename", true.into()).unwrap();
        set(&path, "site_name", "Campus".into()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("# Allow renames"), "comments kept");
        let s = load(&path, std::iter::empty()).unwrap();
        assert!(s.users.allow_rename);
        assert_eq!(s.site_name, "Campus");
        assert!(set(&path, "users.no_such_key", 1.into()).is_err());
        assert!(set(&path, "users.password_cost", 99.into()).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "refused values leave the file as it was");
    }

    #[test]
    fn the_configuration_reference_shows_the_default_file_verbatim() {
        let doc = include_str!("../../../docs/configuration.md");
        assert!(
            doc.contains(DEFAULT_TOML),
            "docs/configuration.md is out of date: paste crates/lmsync/src/default_config.toml into it"
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let e = load_str("[users]\nprimary_identiy = \"username\"\n", &[]).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("primary_identiy"), "{msg}");
        assert!(msg.contains("lmsync.toml"), "{msg}");
        let e = load_str("[nosuch]\nx = 1\n", &[]).unwrap_err();
        assert!(format!("{e:#}").contains("nosuch"));
    }

    #[test]
    fn a_moodle_target_needs_an_https_address_and_a_token_from_the_file_or_the_environment() {
        let moodle = |url: &str| format!("[target]\nkind = \"moodle\"\nurl = \"{url}\"\n");
        let e = load_str(&moodle("https://lms.example.edu"), &[]).unwrap_err();
        assert!(format!("{e:#}").contains("LMSYNC_TARGET_TOKEN"), "{e:#}");
        let s = load_str(&moodle("https://lms.example.edu"), &[("LMSYNC_TARGET_TOKEN", "0123abc")]).unwrap();
        assert_eq!((s.target.kind, s.target.token.as_str()), (TargetKind::Moodle, "0123abc"));
        assert!(load_str(&moodle("http://127.0.0.1:8088"), &[("LMSYNC_TARGET_TOKEN", "t")]).is_ok());
        for url in ["http://lms.example.edu", "", "https://", "http://localhost.example.org"] {
            let e = load_str(&moodle(url), &[("LMSYNC_TARGET_TOKEN", "t")]).unwrap_err();
            assert!(format!("{e:#}").contains("target.url"), "{url}: {e:#}");
        }
        // The embedded store needs neither.
        assert_eq!(load_str("", &[]).unwrap().target.kind, TargetKind::Sqlite);
        let e = load_str("[target]\nconcurrency = 0\n", &[]).unwrap_err();
        assert!(format!("{e:#}").contains("target.concurrency"), "{e:#}");
    }

    #[test]
    fn environment_overrides_apply_and_are_checked() {
        let s = load_str(
            "",
            &[
                ("LMSYNC_USERS__PRIMARY_IDENTITY", "username"),
                ("LMSYNC_FILES__ARCHIVES", "false"),
                ("LMSYNC_SITE_NAME", "Campus"),
            ],
        )
        .unwrap();
        assert_eq!(s.users.primary_identity, lmsync_core::settings::Identity::Username);
        assert!(!s.files.archives);
        assert_eq!(s.site_name, "Campus");
        let quiet = load_str("", &[("LMSYNC_LOG", "debug"), ("LMSYNC_LOG_FORMAT", "json"), ("LMSYNC_DATA_DIR", "/x")]);
        assert!(quiet.is_ok(), "logging and data-dir variables are not settings: {quiet:?}");
        let e = load_str("", &[("LMSYNC_USERS__NOPE", "1")]).unwrap_err();
        assert!(format!("{e:#}").contains("LMSYNC_USERS__NOPE"));
    }

    #[test]
    fn bad_values_are_explained() {
        for (text, needle) in [
            ("timezone = \"Mars/Base\"", "Mars/Base"),
            ("[schedule]\nusers = \"every day\"", "schedule.users"),
            ("[csv]\ndelimiter = \"#\"", "csv.delimiter"),
            ("[users]\ndefault_country = \"France\"", "default_country"),
            ("[users]\nprimary_identity = \"phone\"", "phone"),
        ] {
            let e = load_str(text, &[]).unwrap_err();
            assert!(format!("{e:#}").contains(needle), "{text}: {e:#}");
        }
    }
}
