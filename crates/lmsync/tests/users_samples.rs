//! The upstream tool_sync user sample files must keep working (DECISIONS §1) with the effects
//! worked out in spec/users.md §15 as decided in DECISIONS §5, and re-running any of them must
//! change nothing.

mod common;

use common::*;
use serde_json::Value;
use std::fs;

/// The configuration of upstream's sync_test.php: username identity, e-mails not protected.
fn sample_lms() -> Lms {
    Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username").with("LMSYNC_USERS__PROTECT_EMAILS", "false")
}

/// Runs a sample, then the same sample again (copied again under the same name), and checks
/// that the second run changes nothing: identical export (timemodified included), every line
/// that succeeded before reports `unchanged`, every failed line fails again with its code.
fn run_twice(lms: &Lms, fixture: &str) -> (Ran, Value) {
    let first = lms.run_users(&lms.fixture(fixture), &[]);
    assert!(first.code == 0 || first.code == 1, "{fixture}: {first:?}");
    let report1 = lms.json_report(first.run_id());
    lms.age_timestamps();
    let before = lms.export();
    let second = lms.run_users(&lms.fixture(fixture), &[]);
    assert_eq!(second.code, first.code, "{fixture} second run: {second:?}");
    assert_eq!(lms.journalled(second.run_id()), 0, "{fixture} second run journalled changes");
    let report2 = lms.json_report(second.run_id());
    assert_same_export(&before, &lms.export(), &format!("second run of {fixture}"));
    assert_eq!(lines(&report1).len(), lines(&report2).len());
    for (a, b) in lines(&report1).iter().zip(lines(&report2)) {
        assert_eq!(a["line"], b["line"]);
        if a["outcome"] == "failed" {
            assert_eq!(b["outcome"], "failed", "{fixture} second run: {b}");
            assert_eq!(a["code"], b["code"], "{fixture} second run: {b}");
        } else {
            assert_eq!(b["outcome"], "unchanged", "{fixture} second run: {b}");
        }
    }
    assert_eq!(second.count("unchanged") + second.count("failed"), lines(&report2).len() as u64);
    (first, report1)
}

/// Asserts `after` is `before` untouched, given one `age_timestamps` in between (run_twice's).
fn assert_untouched(before: &Value, after: &Value, name: &str) {
    let mut b = before.clone();
    if before["id"].as_i64().unwrap() > 2 {
        b["timemodified"] = (before["timemodified"].as_i64().unwrap() - 1000).into();
    }
    assert_eq!(after, &b, "{name} must be untouched");
}

const EMAIL_COLLISIONS: [&str; 6] = ["ugr2", "ugr3", "ugr4", "ugr20", "ugr30", "ugr40"];

#[test]
fn create_sample_creates_17_accounts_and_refuses_6_duplicate_emails() {
    let lms = sample_lms();
    let original = fs::read(format!("{FIXTURES}/user_create_sample.csv")).unwrap();
    let (ran, report) = run_twice(&lms, "user_create_sample.csv");
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.count("created"), 17);
    assert_eq!(ran.count("failed"), 6);
    assert_eq!(failed_keys(&report), EMAIL_COLLISIONS);
    for n in [19, 20, 21, 23, 24, 25] {
        let l = line(&report, n);
        assert_eq!(l["outcome"], "failed");
        assert_eq!(l["code"], "user.email_taken", "{l}");
        assert!(l["message"].as_str().unwrap().contains("@foo.com"), "{l}");
    }
    // Line numbers are physical: the comment is line 1, the header line 2.
    assert_eq!(line(&report, 3)["key"], "john.doe");
    assert_eq!(line(&report, 3)["outcome"], "created");

    // The tryback: comment and header exactly, then the six lines as they were.
    let tryback = ran.tryback().expect("a tryback");
    assert_eq!(tryback.parent().unwrap(), lms.files().canonicalize().unwrap());
    let name = tryback.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("user_create_sample_tryback_") && name.ends_with(".csv"), "{name}");
    let expected_head = "# unit test only accepts en user lang\nusername;firstname;lastname;email;country;lang\n";
    let got = fs::read(&tryback).unwrap();
    assert!(got.starts_with(expected_head.as_bytes()), "{}", show(&got));
    assert_eq!(show(&got), show(&pick_lines(&original, &[1, 2, 19, 20, 21, 23, 24, 25])));

    // The input went to the archive unchanged; the original outside the data dir stays.
    let archive = ran.archive().expect("archived");
    assert_eq!(fs::read(&archive).unwrap(), original);
    assert!(archive.file_name().unwrap().to_str().unwrap().ends_with("_user_create_sample.csv"));
    assert!(!lms.files().join("user_create_sample.csv").exists());
    assert_eq!(fs::read(lms.inbox.join("user_create_sample.csv")).unwrap(), original);

    let users = lms.users();
    assert_eq!(users.len(), 17 + 2);
    for gone in EMAIL_COLLISIONS {
        assert!(!users.contains_key(gone), "{gone} must not exist");
    }
    assert_eq!(users["amelie.dupont"]["firstname"], "Amélie");
    assert_eq!(users["ggrass"]["firstname"], "Günter");
    for (u, country) in [
        ("john.doe", "GB"),
        ("amelie.dupont", "FR"),
        ("jack.duf", "US"),
        ("ggrass", "DE"),
        ("yyang", "CN"),
        ("ugr1", "GB"),
        ("tosuspend1", "FR"),
    ] {
        assert_eq!(users[u]["country"], country, "{u}");
        assert_eq!(users[u]["lang"], "en", "{u}");
        assert_eq!(users[u]["auth"], "manual", "{u}");
        assert_eq!(users[u]["suspended"], 0, "{u}");
        assert_eq!(users[u]["deleted"], 0, "{u}");
    }
    assert_eq!(users["john.doe"]["email"], "johndoe@foo.com");
    assert_eq!(users["ugr1"]["email"], "ugr1@foo.com");
    assert_eq!(users["ugr10"]["email"], "u0gr1@foo.com");
    assert_eq!(users["john.doe"]["idnumber"], "");
}

#[test]
fn create_sample_with_duplicate_emails_allowed_creates_all_23() {
    let lms = sample_lms().with("LMSYNC_USERS__ALLOW_DUPLICATE_EMAILS", "true");
    let (ran, _) = run_twice(&lms, "user_create_sample.csv");
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("created"), 23);
    assert_eq!(ran.tryback(), None);
    let users = lms.users();
    assert_eq!(users.len(), 23 + 2);
    for u in ["ugr2", "ugr3", "ugr4"] {
        assert_eq!(users[u]["email"], "ugr1@foo.com");
    }
    assert_eq!(users["ugr40"]["email"], "u0gr1@foo.com");
    assert!(list(&lms.files()).iter().all(|n| !n.contains("tryback")));
}

#[test]
fn update_sample_sets_idnumbers_and_emails_of_existing_accounts() {
    let lms = sample_lms();
    lms.run_users(&lms.fixture("user_create_sample.csv"), &[]);
    lms.age_timestamps();
    let before = lms.users();
    let original = fs::read(format!("{FIXTURES}/user_update_sample.csv")).unwrap();
    let (ran, report) = run_twice(&lms, "user_update_sample.csv");
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.count("updated"), 7);
    assert_eq!(ran.count("failed"), 6);
    assert_eq!(ran.count("created"), 0);
    assert_eq!(failed_keys(&report), EMAIL_COLLISIONS);
    for l in lines(&report).iter().filter(|l| l["outcome"] == "failed") {
        assert_eq!(l["code"], "user.email_taken", "{l}");
    }
    let users = lms.users();
    assert_eq!(users.len(), before.len(), "no account created");
    for (i, u) in ["john.doe", "amelie.dupont", "jack.duf", "ggrass", "yyang"].iter().enumerate() {
        assert_eq!(users[*u]["idnumber"], format!("U000{}", i + 1), "{u}");
        let email = users[*u]["email"].as_str().unwrap();
        assert!(email.ends_with("@foobar.com"), "{u}: {email}");
        assert_eq!(users[*u]["id"], before[*u]["id"], "{u} keeps its id");
    }
    assert_eq!(users["john.doe"]["email"], "johndoe@foobar.com");
    assert_eq!(users["ugr1"]["idnumber"], "UGR1");
    assert_eq!(users["ugr10"]["idnumber"], "UGR11");
    assert_eq!(users["ugr1"]["email"], "ugr1@foo.com");
    assert_eq!(users["amelie.dupont"]["firstname"], "Amélie");
    // Accounts the file does not name are untouched.
    assert_untouched(&before["toenrol1"], &users["toenrol1"], "toenrol1");
    // The tryback keeps the last line exactly, without the final newline it never had.
    let tryback = fs::read(ran.tryback().expect("tryback")).unwrap();
    assert_eq!(show(&tryback), show(&pick_lines(&original, &[1, 8, 9, 10, 12, 13, 14])));
    assert!(tryback.ends_with(b"ugr40;UGR14;User0;Group4;u0gr1@foo.com;GB;en"));
}

#[test]
fn update_sample_with_protected_emails_keeps_emails_and_says_so() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    lms.run_users(&lms.fixture("user_create_sample.csv"), &[]);
    let ran = lms.run_users(&lms.fixture("user_update_sample.csv"), &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.count("updated"), 7);
    let report = lms.json_report(ran.run_id());
    let users = lms.users();
    for (i, u) in ["john.doe", "amelie.dupont", "jack.duf", "ggrass", "yyang"].iter().enumerate() {
        assert_eq!(users[*u]["idnumber"], format!("U000{}", i + 1));
        assert!(users[*u]["email"].as_str().unwrap().ends_with("@foo.com"), "{u} keeps its e-mail");
        let message = line(&report, i as u64 + 2)["message"].as_str().unwrap().to_string();
        assert!(message.contains("protect_emails"), "line {}: {message}", i + 2);
        assert!(message.contains("@foo.com"), "line {}: {message}", i + 2);
    }
    // ugr1's e-mail does not change, so nothing to note there.
    assert!(!line(&report, 7)["message"].as_str().unwrap().contains("protect_emails"));
}

#[test]
fn suspend_sample_suspends_without_reapplying_defaults() {
    let lms = sample_lms();
    lms.run_users(&lms.fixture("user_create_sample.csv"), &[]);
    lms.age_timestamps();
    let before = lms.users();
    let (ran, report) = run_twice(&lms, "user_suspend_sample.csv");
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("updated"), 3);
    assert_eq!(outcomes(&report), [(2, "updated".into()), (3, "updated".into()), (4, "updated".into())]);
    let users = lms.users();
    for u in ["tosuspend1", "tosuspend2", "tosuspend3"] {
        assert_eq!(users[u]["suspended"], 1, "{u}");
        assert_eq!(users[u]["country"], "FR", "{u}: defaults must not be re-applied");
        assert_eq!(users[u]["lang"], "en", "{u}");
        assert_eq!(users[u]["email"], before[u]["email"], "{u}");
        assert_eq!(users[u]["deleted"], 0, "{u}");
    }
    for (name, u) in &users {
        if !name.starts_with("tosuspend") {
            assert_untouched(&before[name], u, name);
        }
    }
}

#[test]
fn samples_in_order_end_with_soft_deleted_accounts() {
    let lms = sample_lms();
    for f in ["user_create_sample.csv", "user_update_sample.csv", "user_suspend_sample.csv"] {
        let r = lms.run_users(&lms.fixture(f), &[]);
        assert!(r.code <= 1, "{f}: {r:?}");
    }
    let before = lms.users();
    let (ran, report) = run_twice(&lms, "user_delete_sample.csv");
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("deleted"), 3);
    assert!(lines(&report).iter().all(|l| l["outcome"] == "deleted"), "{report:#}");
    let second = lms.json_report(ran.run_id() + 1);
    assert!(lines(&second).iter().all(|l| l["outcome"] == "unchanged"), "{second:#}");
    let users = lms.users();
    assert_eq!(users.len(), before.len(), "soft delete keeps the records");
    for u in ["todelete1", "todelete2", "todelete3"] {
        assert_eq!(users[u]["deleted"], 1, "{u}");
        assert_eq!(users[u]["username"], u);
        assert_eq!(users[u]["email"], before[u]["email"]);
        assert_eq!(users[u]["id"], before[u]["id"]);
    }
    // The results of the earlier samples are still there.
    assert_eq!(users["tosuspend2"]["suspended"], 1);
    assert_eq!(users["yyang"]["idnumber"], "U0005");
    assert_eq!(users["toenrol1"]["deleted"], 0);
}

#[test]
fn chunk3_renames_are_refused_unless_allowed() {
    // Default identity: idnumber.
    let mut lms = Lms::new();
    let r = lms.run_users(&lms.fixture("user_update_sample_chunk2.csv"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.count("created"), 2);
    let before = lms.users();
    assert_eq!(before["daniel.jack"]["idnumber"], "U0098");
    assert_eq!(before["daniel.jack"]["lang"], "fr");

    let r = lms.run_users(&lms.fixture("user_update_sample_chunk3.csv"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = lms.json_report(r.run_id());
    assert_eq!(failed_keys(&report), ["agathe.zeblouze", "maud.issoitu"]);
    for l in lines(&report) {
        assert_eq!(l["code"], "user.rename_not_allowed", "{l}");
        let message = l["message"].as_str().unwrap();
        assert!(message.contains("allow_rename"), "{message}");
    }
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("daniel.jack"));
    assert_same_export(
        &before.values().cloned().collect::<Vec<_>>(),
        &lms.users().values().cloned().collect::<Vec<_>>(),
        "refused renames",
    );
    let original = fs::read(format!("{FIXTURES}/user_update_sample_chunk3.csv")).unwrap();
    assert_eq!(fs::read(r.tryback().unwrap()).unwrap(), original, "both lines in the tryback");

    lms.set("LMSYNC_USERS__ALLOW_RENAME", "true");
    let r = lms.run_users(&lms.fixture("user_update_sample_chunk3.csv"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.count("updated"), 2);
    let users = lms.users();
    assert_eq!(users.len(), before.len(), "renames create nothing");
    assert!(!users.contains_key("daniel.jack") && !users.contains_key("jean.bambois"));
    let agathe = &users["agathe.zeblouze"];
    assert_eq!(agathe["id"], before["daniel.jack"]["id"]);
    assert_eq!(agathe["idnumber"], "U0098");
    assert_eq!(agathe["firstname"], "Agathe");
    assert_eq!(agathe["lastname"], "Zeblouze");
    // protect_emails is on by default: the stored e-mail stays.
    assert_eq!(agathe["email"], "danieljack@foobar.com");
    assert_eq!(users["maud.issoitu"]["id"], before["jean.bambois"]["id"]);
}

#[test]
fn chunk1_under_idnumber_identity_adopts_accounts_without_idnumber() {
    let lms = Lms::new().with("LMSYNC_USERS__PROTECT_EMAILS", "false");
    lms.run_users(&lms.fixture("user_create_sample.csv"), &[]);
    let before = lms.users();
    let r = lms.run_users(&lms.fixture("user_update_sample_chunk1.csv"), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.count("updated"), 5);
    let users = lms.users();
    assert_eq!(users.len(), before.len());
    assert_eq!(users["john.doe"]["idnumber"], "U0001");
    assert_eq!(users["john.doe"]["id"], before["john.doe"]["id"]);
    assert_eq!(users["yyang"]["email"], "yyang@foobar.com");
    // Now matched by idnumber: running it again is a no-op.
    let r = lms.run_users(&lms.fixture("user_update_sample_chunk1.csv"), &[]);
    assert_eq!(r.count("unchanged"), 5, "{r:?}");
}
