//! `lmsync.toml` and `LMSYNC_…` overrides: first use writes the commented defaults and the data
//! layout, a typo in a key is refused by name (never silently ignored), and settings really
//! take effect.

mod common;

use common::*;
use std::fs;

#[test]
fn first_use_creates_the_layout_and_a_commented_default_config() {
    let lms = Lms::new();
    let r = lms.exec(&["runs"]);
    assert_eq!(r.code, 0, "{r:?}");
    for dir in ["sync", "files", "files/archives", "files/reports"] {
        assert!(lms.data.join(dir).is_dir(), "{dir} missing");
    }
    assert!(lms.data.join("lms.db").is_file());
    let toml = fs::read_to_string(lms.data.join("lmsync.toml")).unwrap();
    // Every setting is commented out: the file changes nothing until edited.
    for l in toml.lines().map(str::trim) {
        assert!(l.is_empty() || l.starts_with('#') || (l.starts_with('[') && l.ends_with(']')), "active line: {l}");
    }
    for needle in [
        "[csv]",
        "[files]",
        "[users]",
        "#delimiter = \";\"",
        "#encoding = \"utf-8\"",
        "#primary_identity = \"idnumber\"",
        "#protect_emails = true",
        "#allow_duplicate_emails = false",
        "#allow_rename = false",
        "#password_cost = 10",
        "#file = \"userimport.csv\"",
        "#archives = true",
        "#cleanup = false",
        "#discard_on_failure = true",
        "#delete_threshold_percent = 10",
        "#delete_threshold_count = 20",
        "#max_record_bytes = 1048576",
    ] {
        assert!(toml.contains(needle), "{needle} missing from lmsync.toml:\n{toml}");
    }
    // The file is kept as it is on later runs.
    fs::write(lms.data.join("lmsync.toml"), format!("{toml}\n# edited\n")).unwrap();
    lms.exec(&["runs"]);
    assert!(fs::read_to_string(lms.data.join("lmsync.toml")).unwrap().ends_with("# edited\n"));
}

/// The default file with `#old` replaced by `new`.
fn edit_config(lms: &Lms, old: &str, new: &str) {
    lms.exec(&["runs"]);
    let path = lms.data.join("lmsync.toml");
    let toml = fs::read_to_string(&path).unwrap();
    assert!(toml.contains(old), "{old} not in lmsync.toml");
    fs::write(&path, toml.replacen(old, new, 1)).unwrap();
}

#[test]
fn an_unknown_key_in_lmsync_toml_is_refused_by_name() {
    let lms = Lms::new();
    edit_config(&lms, "#primary_identity = \"idnumber\"", "primary_identiy = \"username\"");
    let input = lms.write("u.csv", "username;firstname;lastname\nalice;A;A\n");
    for args in [&["runs"][..], &["export", "users"][..], &["run", "users", "--file", input.to_str().unwrap()][..]] {
        let r = lms.exec(args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains("primary_identiy"), "{r:?}");
        assert!(r.stderr.contains("lmsync.toml"), "{r:?}");
    }
    assert!(!lms.files().join("u.csv").exists(), "nothing was run");

    let lms = Lms::new();
    fs::create_dir_all(&lms.data).unwrap();
    fs::write(lms.data.join("lmsync.toml"), "bogus = 1\n").unwrap();
    let r = lms.exec(&["runs"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("bogus"), "{r:?}");
}

#[test]
fn unknown_or_invalid_environment_settings_are_refused_by_name() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTIY", "username");
    let r = lms.exec(&["runs"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("LMSYNC_USERS__PRIMARY_IDENTIY"), "{r:?}");

    let lms = Lms::new().with("LMSYNC_USERS__PASSWORD_COST", "2");
    let r = lms.exec(&["runs"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("password_cost"), "{r:?}");

    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "phone");
    let r = lms.exec(&[
        "run",
        "users",
        "--file",
        lms.write("u.csv", "username;firstname;lastname\na;A;A\n").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("phone"), "{r:?}");
    assert!(!lms.files().join("u.csv").exists());
}

#[test]
fn settings_from_the_file_apply_and_the_environment_wins() {
    let lms = Lms::new();
    edit_config(&lms, "#archives = true", "archives = false");
    let r = lms.run_bytes("a.csv", "username;firstname;lastname\nalice;A;A\n", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(lms.files().join("a.csv").is_file(), "archives = false leaves the input");
    assert!(list(&lms.archives()).is_empty());

    let lms = lms.with("LMSYNC_FILES__ARCHIVES", "true");
    let r = lms.run_bytes("b.csv", "username;firstname;lastname\nbob;B;B\n", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!lms.files().join("b.csv").exists(), "the environment overrides the file");
    assert_eq!(list(&lms.archives()).len(), 1);

    // A [users] setting from the file changes how accounts are matched.
    let lms = Lms::new();
    edit_config(&lms, "#primary_identity = \"idnumber\"", "primary_identity = \"username\"");
    let r = lms.run_bytes("c.csv", "username;firstname;lastname\nalice;A;A\n", &[]);
    assert!(r.notes().iter().any(|n| n.contains("matched by username")), "{r:?}");
}
