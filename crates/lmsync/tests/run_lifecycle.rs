//! The life of a run seen from outside (DECISIONS §3): exit codes, report and JSON report
//! names and content, tryback, archive / cleanup, dry runs that write nothing, files from
//! outside the area, the deletion threshold, names that never overwrite, and `lmsync runs`.

mod common;

use common::*;
use std::fs;
use std::path::Path;

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// `20261122-0043` from `20261122-0043_report_x.csv`.
fn stamp_of(name: &str) -> String {
    let stamp = name.split('_').next().unwrap().to_string();
    assert!(
        stamp.len() == 13 && stamp.as_bytes()[8] == b'-' && stamp.bytes().filter(u8::is_ascii_digit).count() == 12,
        "not a YYYYmmdd-HHMM stamp: {name}"
    );
    stamp
}

#[test]
fn exit_codes_say_ok_failed_lines_or_could_not_run() {
    let lms = Lms::new();
    let ok = lms.run_bytes("ok.csv", "username;firstname;lastname\nalice;A;A\n", &[]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(ok.status(), "succeeded");
    assert!(ok.stdout.contains("run 1 (ok.csv): succeeded"), "{ok:?}");
    assert!(ok.stdout.contains("created 1, updated 0, deleted 0, unchanged 0, skipped 0, failed 0"));

    let failed = lms.run_bytes("some.csv", "username;firstname;lastname\nbob;B;B\nbad user;B;B\n", &[]);
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(failed.status(), "failed");
    assert_eq!((failed.count("created"), failed.count("failed")), (1, 1));

    let refused = lms.run_bytes("refused.csv", "username;firstname\ncarl;C\n", &[]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert_eq!(refused.status(), "aborted");

    let users = lms.users();
    assert!(users.contains_key("alice") && users.contains_key("bob") && !users.contains_key("carl"));
}

#[test]
fn reports_tryback_and_archive_are_named_after_the_input() {
    let lms = Lms::new();
    let input = "username;firstname;lastname;email\nalice;A;A;a@x.org\nbob;B;B;not-an-email\n";
    let ran = lms.run_bytes("feed.csv", input, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");

    let text_path = ran.report().expect("report");
    let text_name = file_name(&text_path);
    let stamp = stamp_of(&text_name);
    assert_eq!(text_name, format!("{stamp}_report_feed.csv"));
    assert_eq!(text_path.parent().unwrap(), lms.reports().canonicalize().unwrap());
    assert_eq!(list(&lms.reports()), [format!("{stamp}_report_feed.csv"), format!("{stamp}_report_feed.json")]);
    let tryback = ran.tryback().unwrap();
    assert_eq!(file_name(&tryback), format!("feed_tryback_{stamp}.csv"));
    let archive = ran.archive().unwrap();
    assert_eq!(archive, lms.archives().canonicalize().unwrap().join(format!("{stamp}_feed.csv")));
    assert_eq!(fs::read_to_string(&archive).unwrap(), input);
    assert_eq!(list_files(&lms.files()), [format!("feed_tryback_{stamp}.csv")], "the input left the area root");

    let text = fs::read_to_string(&text_path).unwrap();
    for needle in [
        "input: feed.csv",
        "line 2: created alice",
        "line 3: FAILED bob: e-mail \"not-an-email\" is not a valid address",
        "[user.invalid_email]",
        "summary: created 1, updated 0, deleted 0, unchanged 0, skipped 0, failed 1",
        "status: failed",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from the text report:\n{text}");
    }
    assert!(text.ends_with("end of report\n"), "{text}");
    assert!(!text.contains("DRY RUN"));

    let json = lms.json_report(ran.run_id());
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "run_id",
        "tool",
        "input",
        "dry_run",
        "started_at",
        "lines",
        "notes",
        "status",
        "finished_at",
        "counts",
        "tryback",
        "archive",
        "message",
    ] {
        assert!(keys.contains(&key), "JSON report lacks {key}: {keys:?}");
    }
    assert_eq!(json["run_id"], ran.run_id());
    assert_eq!(json["tool"], "users");
    assert_eq!(json["input"], "feed.csv");
    assert_eq!(json["dry_run"], false);
    assert_eq!(json["status"], "failed");
    assert_eq!(json["message"], "");
    assert!(!json["started_at"].as_str().unwrap().is_empty());
    assert!(!json["finished_at"].as_str().unwrap().is_empty());
    assert_eq!(json["tryback"], format!("feed_tryback_{stamp}.csv"));
    assert_eq!(json["archive"], format!("archives/{stamp}_feed.csv"));
    assert_eq!(
        json["counts"],
        serde_json::json!({"created": 1, "updated": 0, "deleted": 0, "unchanged": 0, "skipped": 0, "failed": 1})
    );
    let l = line(&json, 3);
    assert_eq!(l["outcome"], "failed");
    assert_eq!(l["key"], "bob");
    assert_eq!(l["code"], "user.invalid_email");
    let l = line(&json, 2);
    assert_eq!(l["outcome"], "created");
    assert_eq!(l["key"], "alice");
    assert!(l.get("code").is_none() || l["code"].is_null(), "{l}");
    assert!(json["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("idnumber")));
}

#[test]
fn no_tryback_when_every_line_succeeds() {
    let lms = Lms::new();
    let ran = lms.run_bytes("good.csv", "username;firstname;lastname\nalice;A;A\n", &[]);
    assert_eq!(ran.code, 0);
    assert_eq!(ran.tryback(), None);
    assert!(list_files(&lms.files()).is_empty(), "{:?}", list(&lms.files()));
    assert!(lms.json_report(ran.run_id())["tryback"].is_null());
    assert_eq!(list(&lms.archives()).len(), 1);
}

#[test]
fn processed_inputs_are_archived_deleted_or_left_as_configured() {
    let input = "username;firstname;lastname;email\nalice;A;A;a@x.org\nbob;B;B;bad\n";

    let lms = Lms::new().with("LMSYNC_FILES__CLEANUP", "true");
    let ran = lms.run_bytes("in.csv", input, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.archive(), None);
    assert!(list(&lms.archives()).is_empty());
    assert!(!lms.files().join("in.csv").exists(), "cleanup deletes the input");
    assert!(ran.tryback().unwrap().is_file(), "the failed line is still kept");
    assert!(lms.json_report(ran.run_id())["archive"].is_null());
    assert!(lms.users().contains_key("alice"));

    let lms = Lms::new().with("LMSYNC_FILES__ARCHIVES", "false");
    let ran = lms.run_bytes("in.csv", input, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.archive(), None);
    assert!(list(&lms.archives()).is_empty());
    assert_eq!(fs::read_to_string(lms.files().join("in.csv")).unwrap(), input, "left in place");
    assert!(ran.tryback().unwrap().is_file());

    let lms = Lms::new();
    let ran = lms.run_bytes("in.csv", input, &[]);
    assert!(!lms.files().join("in.csv").exists());
    assert_eq!(fs::read_to_string(ran.archive().unwrap()).unwrap(), input);
}

#[test]
fn dry_runs_write_nothing_and_predict_the_real_run() {
    let lms = Lms::new();
    let r = lms.run_bytes("base.csv", "username;firstname;lastname;city\nalice;A;A;Paris\nbob;B;B;Lyon\n", &[]);
    assert_eq!(r.code, 0);
    let before = lms.export();
    let archives_before = list(&lms.archives());
    let input = "username;firstname;lastname;city;deleted\nalice;A;A;Nantes;\nbob;B;B;Lyon;1\ncarl;C;C;Nice;\n";
    let path = lms.write("change.csv", input);

    let mut dry_outcomes = Vec::new();
    for attempt in 1..=2 {
        let ran = lms.run_users(&path, &["--dry-run"]);
        assert_eq!(ran.code, 0, "dry run {attempt}: {ran:?}");
        assert_same_export(&before, &lms.export(), &format!("dry run {attempt}"));
        assert_eq!(fs::read_to_string(lms.files().join("change.csv")).unwrap(), input, "input stays in place");
        assert_eq!(list(&lms.archives()), archives_before, "a dry run archives nothing");
        assert_eq!(ran.archive(), None);
        let json = lms.json_report(ran.run_id());
        assert_eq!(json["dry_run"], true);
        assert!(json["archive"].is_null());
        let text = fs::read_to_string(ran.report().unwrap()).unwrap();
        assert!(text.contains("DRY RUN"), "{text}");
        let outcomes = outcomes(&json);
        assert_eq!(outcomes, [(2, "updated".into()), (3, "deleted".into()), (4, "created".into())]);
        dry_outcomes = outcomes;
        let journal: i64 = lms
            .db()
            .query_row("SELECT count(*) FROM sync_journal WHERE run_id = ?1", [ran.run_id()], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, 0, "a dry run journals nothing");
    }
    let runs = lms.exec(&["runs"]);
    assert!(runs.stdout.contains("(dry run)"), "{runs:?}");

    let real = lms.run_users(&lms.files().join("change.csv"), &[]);
    assert_eq!(real.code, 0, "{real:?}");
    assert_eq!(outcomes(&lms.json_report(real.run_id())), dry_outcomes);
    let users = lms.users();
    assert_eq!(users["alice"]["city"], "Nantes");
    assert_eq!(users["bob"]["deleted"], 1);
    assert_eq!(users["carl"]["city"], "Nice");
}

#[test]

fn dry_run_with_failed_lines_writes_no_tryback() {
    let lms = Lms::new();
    let ran =
        lms.run_bytes("dry.csv", "username;firstname;lastname;email\nalice;A;A;bad\nbob;B;B;b@x.org\n", &["--dry-run"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(line(&lms.json_report(ran.run_id()), 2)["outcome"], "failed");
    assert_eq!(ran.tryback(), None, "{ran:?}");
    assert_eq!(list_files(&lms.files()), ["dry.csv"], "only the input is in the area");
    assert!(lms.json_report(ran.run_id())["tryback"].is_null());
}

#[test]
fn a_file_outside_the_area_is_copied_in_and_one_inside_is_used_in_place() {
    let lms = Lms::new();
    let input = "username;firstname;lastname\nalice;A;A\n";
    let outside = lms.write("outside.csv", input);
    let ran = lms.run_users(&outside, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(fs::read_to_string(&outside).unwrap(), input, "the original stays");
    assert_eq!(fs::read_to_string(ran.archive().unwrap()).unwrap(), input);
    assert!(!lms.files().join("outside.csv").exists());

    let inside = lms.files().join("inside.csv");
    fs::write(&inside, "username;firstname;lastname\nbob;B;B\n").unwrap();
    let ran = lms.run_users(&inside, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!inside.exists(), "moved to the archive, not copied");
    assert!(file_name(&ran.archive().unwrap()).ends_with("_inside.csv"));
    assert!(lms.users().contains_key("bob"));
}

#[test]
fn without_file_the_configured_users_file_is_used() {
    let mut lms = Lms::new();
    let missing = lms.exec(&["run", "users"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.all().contains("userimport.csv"), "{missing:?}");

    fs::write(lms.files().join("userimport.csv"), "username;firstname;lastname\nalice;A;A\n").unwrap();
    let ran = lms.exec(&["run", "users"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(file_name(&ran.archive().unwrap()).ends_with("_userimport.csv"));
    assert!(lms.users().contains_key("alice"));

    lms.set("LMSYNC_USERS__FILE", "erp/people.csv");
    fs::create_dir_all(lms.files().join("erp")).unwrap();
    fs::write(lms.files().join("erp/people.csv"), "username;firstname;lastname\nbob;B;B\n").unwrap();
    let ran = lms.exec(&["run", "users"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!lms.files().join("erp/people.csv").exists());
    assert!(lms.users().contains_key("bob"));
}

#[test]
fn mass_deletion_is_refused_until_confirmed() {
    let lms = Lms::new();
    let mut create = String::from("username;firstname;lastname\n");
    let mut delete = String::from("username;firstname;lastname;deleted\n");
    for i in 0..30 {
        create.push_str(&format!("u{i:02};F;L\n"));
        if i < 25 {
            delete.push_str(&format!("u{i:02};F;L;1\n"));
        }
    }
    assert_eq!(lms.run_bytes("create.csv", &create, &[]).code, 0);
    let before = lms.export();

    let refused = lms.run_bytes("delete.csv", &delete, &[]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stdout.contains("--confirm-deletes"), "{refused:?}");
    assert!(refused.stdout.contains("25"), "says how many: {refused:?}");
    let json = lms.json_report(refused.run_id());
    assert_eq!(json["status"], "aborted");
    assert!(json["message"].as_str().unwrap().contains("--confirm-deletes"));
    assert_same_export(&before, &lms.export(), "refused deletion");
    assert_eq!(fs::read_to_string(lms.files().join("delete.csv")).unwrap(), delete, "input kept");

    let dry = lms.run_bytes("delete.csv", &delete, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(dry.notes().iter().any(|n| n.contains("25")), "the dry run shows the count: {dry:?}");
    assert_eq!(dry.count("deleted"), 25);
    assert_same_export(&before, &lms.export(), "dry run of a mass deletion");

    let confirmed = lms.run_bytes("delete.csv", &delete, &["--confirm-deletes"]);
    assert_eq!(confirmed.code, 0, "{confirmed:?}");
    assert_eq!(confirmed.count("deleted"), 25);
    let users = lms.users();
    assert_eq!(users.values().filter(|u| u["deleted"] == 1).count(), 25);
    assert_eq!(users["u29"]["deleted"], 0);

    // Below either limit the threshold does not apply.
    let lms = Lms::new().with("LMSYNC_USERS__DELETE_THRESHOLD_COUNT", "25");
    assert_eq!(lms.run_bytes("create.csv", &create, &[]).code, 0);
    let ran = lms.run_bytes("delete.csv", &delete, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.count("deleted"), 25);
}

#[test]
fn reports_and_archives_never_overwrite() {
    // Two runs of a same-named file in the same minute; retried if the minute turns between.
    for _attempt in 0..3 {
        let lms = Lms::new();
        let a = lms.run_bytes("same.csv", "username;firstname;lastname;email\nalice;A;A;x\n", &[]);
        let b = lms.run_bytes("same.csv", "username;firstname;lastname;email\nbob;B;B;y\n", &[]);
        let (ra, rb) = (file_name(&a.report().unwrap()), file_name(&b.report().unwrap()));
        let stamp = stamp_of(&ra);
        if stamp != stamp_of(&rb) {
            continue;
        }
        assert_eq!(ra, format!("{stamp}_report_same.csv"));
        assert_eq!(rb, format!("{stamp}_report_same-2.csv"));
        assert_eq!(
            list(&lms.reports()),
            [
                format!("{stamp}_report_same-2.csv"),
                format!("{stamp}_report_same-2.json"),
                format!("{stamp}_report_same.csv"),
                format!("{stamp}_report_same.json"),
            ]
        );
        assert_eq!(lms.json_report(a.run_id())["lines"][0]["key"], "alice");
        assert_eq!(lms.json_report(b.run_id())["lines"][0]["key"], "bob");
        assert_eq!(file_name(&b.archive().unwrap()), format!("{stamp}_same-2.csv"));
        assert_eq!(file_name(&b.tryback().unwrap()), format!("same_tryback_{stamp}-2.csv"));
        assert!(fs::read_to_string(a.tryback().unwrap()).unwrap().contains("alice"));
        assert!(fs::read_to_string(b.tryback().unwrap()).unwrap().contains("bob"));
        assert!(fs::read_to_string(a.archive().unwrap()).unwrap().contains("alice"));
        return;
    }
    panic!("could not get two runs into the same minute");
}

#[test]
fn runs_lists_runs_and_shows_one() {
    let lms = Lms::new();
    lms.run_bytes("one.csv", "username;firstname;lastname\nalice;A;A\nbob;B;B\n", &[]);
    lms.run_bytes("two.csv", "username;firstname;lastname;email\nalice;A;A;x\n", &[]);
    let list = lms.exec(&["runs"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(list.stdout.contains("one.csv") && list.stdout.contains("two.csv"), "{list:?}");
    assert!(list.stdout.contains("succeeded") && list.stdout.contains("failed"), "{list:?}");

    let one = lms.exec(&["runs", "1"]);
    assert_eq!(one.code, 0, "{one:?}");
    assert!(one.stdout.contains("run 1: users succeeded"), "{one:?}");
    assert!(one.stdout.contains("last line handled: 3"), "{one:?}");
    assert!(one.stdout.contains("journalled changes: 2"), "{one:?}");
    assert!(one.stdout.contains("created 2"), "{one:?}");

    let two = lms.exec(&["runs", "2"]);
    assert!(two.stdout.contains("run 2: users failed"), "{two:?}");
    assert!(two.stdout.contains("journalled changes: 0"), "{two:?}");
    assert!(two.stdout.contains("tryback:"), "{two:?}");

    let none = lms.exec(&["runs", "99"]);
    assert_ne!(none.code, 0, "{none:?}");
}
