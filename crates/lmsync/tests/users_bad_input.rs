//! Bad command files of every kind (DECISIONS §2): each gives a clear line-level or file-level
//! error naming the file, line, column or value, and nothing is lost — a refused file stays in
//! place, a processed one is archived and its failed lines are in the tryback byte for byte.

mod common;

use common::*;
use serde_json::Value;
use std::fs;

/// A run that finished with failed lines: exit 1, input archived unchanged, the report fails
/// exactly the records starting on `failed_lines`, and the tryback is exactly the input's
/// physical lines `tryback_lines` (1-based: header first, then every line of each failed record).
fn assert_lines_failed_and_kept(lms: &Lms, ran: &Ran, input: &[u8], tryback_lines: &[usize], failed_lines: &[usize]) {
    assert_eq!(ran.code, 1, "{ran:?}");
    let archive = ran.archive().expect("input archived");
    assert_eq!(fs::read(&archive).unwrap(), input, "archive is the input unchanged");
    let tryback = fs::read(ran.tryback().expect("a tryback")).unwrap();
    assert_eq!(show(&tryback), show(&pick_lines(input, tryback_lines)));
    assert_eq!(tryback, pick_lines(input, tryback_lines));
    let report = lms.json_report(ran.run_id());
    let failed: Vec<u64> =
        lines(&report).iter().filter(|l| l["outcome"] == "failed").map(|l| l["line"].as_u64().unwrap()).collect();
    assert_eq!(failed, failed_lines.iter().map(|n| *n as u64).collect::<Vec<_>>());
}

/// A run that could not run: exit 2, report says aborted with `code` and every `needles`, the
/// input is still in the file area byte for byte, and no account changed.
fn assert_refused(lms: &Lms, ran: &Ran, name: &str, input: &[u8], code: &str, needles: &[&str]) -> Value {
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(ran.status(), "aborted");
    let report = lms.json_report(ran.run_id());
    assert_eq!(report["status"], "aborted");
    assert!(lines(&report).is_empty());
    let message = report["message"].as_str().unwrap();
    assert!(message.contains(code), "{message}");
    for n in needles {
        assert!(message.contains(n), "{n:?} not in {message}");
        assert!(ran.stdout.contains(n), "{n:?} not in the output {ran:?}");
    }
    assert_eq!(fs::read(lms.files().join(name)).unwrap(), input, "input kept in place");
    assert!(list(&lms.archives()).is_empty());
    assert!(list(&lms.files()).iter().all(|n| !n.contains("tryback")));
    assert_eq!(lms.export().len(), 2, "nothing written");
    report
}

#[test]
fn latin1_bytes_in_a_utf8_file_fail_only_their_line() {
    let lms = Lms::new();
    let input = b"username;firstname;lastname;email\nalice;Al\xe9;A;a@x.org\nbob;Bob;B;b@x.org\n";
    let ran = lms.run_bytes("latin.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 2], &[2]);
    let report = lms.json_report(ran.run_id());
    let l = line(&report, 2);
    assert_eq!(l["code"], "csv.undecodable");
    let message = l["message"].as_str().unwrap();
    assert!(message.contains("line 2") && message.contains("column 2"), "{message}");
    assert!(message.contains("csv.encoding"), "says how to fix it: {message}");
    assert_eq!(line(&report, 3)["outcome"], "created");
    let users = lms.users();
    assert!(!users.contains_key("alice"), "never stored as mojibake");
    assert_eq!(users["bob"]["firstname"], "Bob");
}

#[test]
fn latin1_file_is_read_correctly_with_its_encoding_set() {
    let input = b"username;firstname;lastname;city\nalice;Al\xe9;A;Orl\xe9ans\n";
    for encoding in ["iso-8859-1", "auto"] {
        let lms = Lms::new().with("LMSYNC_CSV__ENCODING", encoding);
        let ran = lms.run_bytes("latin.csv", input, &[]);
        assert_eq!(ran.code, 0, "{encoding}: {ran:?}");
        let alice = lms.user("alice");
        assert_eq!(alice["firstname"], "Alé", "{encoding}");
        assert_eq!(alice["city"], "Orléans", "{encoding}");
    }
}

#[test]
fn unknown_column_stops_the_run_naming_it_and_the_accepted_ones() {
    let lms = Lms::new();
    let input = b"username;firstname;lastname;emial\nalice;A;A;a@x.org\n";
    let ran = lms.run_bytes("typo.csv", input, &[]);
    assert_refused(
        &lms,
        &ran,
        "typo.csv",
        input,
        "csv.unknown_column",
        &["\"emial\"", "typo.csv", "line 1", "column 4", "accepted columns", "email", "profile_field_"],
    );
}

#[test]
fn missing_required_column_stops_the_run_naming_it() {
    let lms = Lms::new();
    let input = b"username;firstname;email\nalice;A;a@x.org\n";
    let ran = lms.run_bytes("nolast.csv", input, &[]);
    assert_refused(&lms, &ran, "nolast.csv", input, "csv.missing_column", &["\"lastname\"", "nolast.csv"]);
}

#[test]
fn empty_file_and_comment_only_file_have_no_header() {
    for (name, input) in [("empty.csv", &b""[..]), ("comments.csv", b"# only\n// comments\n\n\n")] {
        let lms = Lms::new();
        let ran = lms.run_bytes(name, input, &[]);
        assert_refused(&lms, &ran, name, input, "no header", &[name]);
    }
}

#[test]
fn short_and_long_lines_fail_alone() {
    let lms = Lms::new();
    let input = b"username;firstname;lastname;email\nalice;A;A\nbob;B;B;b@x.org;extra\ncarl;C;C;c@x.org\n";
    let ran = lms.run_bytes("count.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 2, 3], &[2, 3]);
    let report = lms.json_report(ran.run_id());
    for (n, found) in [(2, 3), (3, 5)] {
        let l = line(&report, n);
        assert_eq!(l["code"], "csv.field_count");
        let message = l["message"].as_str().unwrap();
        assert!(message.contains(&format!("line {n} has {found} fields but the header has 4 columns")), "{message}");
    }
    let users = lms.users();
    assert!(users.contains_key("carl") && !users.contains_key("alice") && !users.contains_key("bob"));
}

#[test]
fn a_second_line_for_the_same_account_fails() {
    let lms = Lms::new();
    let input = b"username;firstname;lastname;email\nalice;First;A;a@x.org\nALICE;Second;A;a2@x.org\n";
    let ran = lms.run_bytes("dup.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 3], &[3]);
    let report = lms.json_report(ran.run_id());
    let l = line(&report, 3);
    assert_eq!(l["code"], "user.duplicate_line");
    assert!(l["message"].as_str().unwrap().contains("line 2"), "{l}");
    assert_eq!(lms.user("alice")["firstname"], "First", "the first line wins, the second changes nothing");

    // Under idnumber identity two usernames with the same idnumber are the same account.
    let lms = Lms::new();
    let input = b"username;idnumber;firstname;lastname\nann;E1;Ann;A\nanna;E1;Anna;A\n";
    let ran = lms.run_bytes("dupid.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 3], &[3]);
    assert_eq!(line(&lms.json_report(ran.run_id()), 3)["code"], "user.duplicate_line");
    assert!(!lms.users().contains_key("anna"));
}

#[test]
fn invalid_values_fail_their_line_naming_column_and_value() {
    let lms = Lms::new();
    let input = "username;firstname;lastname;email;auth;country;maildigest\n\
        ok1;O;K;ok1@x.org;manual;FR;1\n\
        bob;B;B;not-an-email;manual;;\n\
        carl;C;C;c@x.org;kerberos;;\n\
        Dan Man;D;D;d@x.org;;;\n\
        eve;;E;e@x.org;;;\n\
        fay;F;F;f@x.org;;XX;\n\
        gus;G;G;g@x.org;;;7\n";
    let ran = lms.run_bytes("values.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input.as_bytes(), &[1, 3, 4, 5, 6, 8], &[3, 4, 5, 6, 8]);
    let report = lms.json_report(ran.run_id());
    for (n, code, needles) in [
        (3, "user.invalid_email", &["not-an-email"][..]),
        (4, "user.unknown_auth", &["kerberos", "manual"][..]),
        (5, "user.invalid_username", &["Dan Man"][..]),
        (6, "user.missing_value", &["firstname"][..]),
        (8, "user.invalid_value", &["maildigest", "7"][..]),
    ] {
        let l = line(&report, n);
        assert_eq!(l["code"], code, "{l}");
        for needle in needles {
            assert!(l["message"].as_str().unwrap().contains(needle), "{needle}: {l}");
        }
    }
    // An unknown country is not fatal: the account is created, the country left empty, and
    // the line says so.
    let fay = line(&report, 7);
    assert_eq!(fay["outcome"], "created");
    assert!(fay["message"].as_str().unwrap().contains("XX"), "{fay}");
    let users = lms.users();
    assert_eq!(users["fay"]["country"], "");
    assert_eq!(users["ok1"]["country"], "FR");
    assert_eq!(users["ok1"]["maildigest"], 1);
    assert_eq!(users.len(), 2 + 2);
}

#[test]
fn ten_megabyte_field_fails_only_its_line() {
    let lms = Lms::new();
    let mut input = b"username;firstname;lastname;description\nalice;A;A;short\nbig;B;B;".to_vec();
    input.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    input.extend_from_slice(b"\ncarl;C;C;after\n");
    let ran = lms.run_bytes("big.csv", &input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, &input, &[1, 3], &[3]);
    let report = lms.json_report(ran.run_id());
    let l = line(&report, 3);
    assert_eq!(l["code"], "csv.too_long");
    assert!(l["message"].as_str().unwrap().contains("line 3"), "{l}");
    let users = lms.users();
    assert_eq!(users["alice"]["description"], "short");
    assert_eq!(users["carl"]["description"], "after", "the rest of the file is processed");
    assert!(!users.contains_key("big"));
}

#[test]
fn unterminated_quote_fails_its_line_and_the_file_goes_on() {
    let lms = Lms::new();
    let input = b"username;firstname;lastname;description\nalice;A;A;\"open quote\nbob;B;B;fine\ncarl;C;C;ok\n";
    let ran = lms.run_bytes("quote.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 2], &[2]);
    let l = line(&lms.json_report(ran.run_id()), 2).clone();
    assert_eq!(l["code"], "csv.unterminated_quote");
    let message = l["message"].as_str().unwrap();
    assert!(message.contains("line 2") && message.contains("column 4"), "{message}");
    let users = lms.users();
    assert_eq!(users["bob"]["description"], "fine");
    assert_eq!(users["carl"]["description"], "ok");
}

#[test]
fn quoted_fields_with_delimiters_quotes_and_newlines_keep_physical_line_numbers() {
    let lms = Lms::new();
    let input = "# preamble\n\
        username;firstname;lastname;description;city\n\
        alice;A;A;\"semi;colon\";Paris\n\
        bob;\"B \"\"the\"\" one\";B;\"multi\nline\ntext\";Lyon\n\
        \n\
        # a comment between data lines\n\
        carl;C;C;x;\"Saint-Denis; 93\"\n\
        dan;D;D;\"two\nlines\";bad;extra\n\
        eve;E;E;y;Nice\n";
    let ran = lms.run_bytes("quoted.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input.as_bytes(), &[1, 2, 10, 11], &[10]);
    let report = lms.json_report(ran.run_id());
    assert_eq!(
        outcomes(&report),
        [
            (3, "created".into()),
            (4, "created".into()),
            (9, "created".into()),
            (10, "failed".into()),
            (12, "created".into())
        ]
    );
    assert_eq!(line(&report, 12)["key"], "eve");
    assert!(line(&report, 10)["message"].as_str().unwrap().contains("line 10 has 6 fields"));
    let users = lms.users();
    assert_eq!(users["alice"]["description"], "semi;colon");
    assert_eq!(users["bob"]["firstname"], "B \"the\" one");
    assert_eq!(users["bob"]["description"], "multi\nline\ntext");
    assert_eq!(users["carl"]["city"], "Saint-Denis; 93");
    assert_eq!(users["eve"]["city"], "Nice");
}

#[test]
fn bom_legacy_preamble_and_case_insensitive_header_are_accepted() {
    let lms = Lms::new();
    let input = b"\xef\xbb\xbf(legacy\n[legacy\n- legacy\n/legacy\n legacy\n# c\n// c\n\nUserName;FirstName;lastname;email;course1;role1;cohort\n-dash;D;D;d@x.org;c1;student;co\nbad;B;B;nope;;;\n";
    let ran = lms.run_bytes("bom.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 11], &[11]);
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 10)["outcome"], "created");
    assert_eq!(line(&report, 10)["key"], "-dash", "after the header a leading - is data");
    let notes = report["notes"].as_array().unwrap();
    let notes: Vec<&str> = notes.iter().map(|n| n.as_str().unwrap()).collect();
    assert!(notes.iter().any(|n| n.contains("\"UserName\"") && n.contains("username")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("\"FirstName\"")), "{notes:?}");
    // The cohort column is applied too: the account joins cohort "co", created for it.
    assert!(
        line(&report, 10)["message"].as_str().unwrap().contains("joined cohort co (created)"),
        "{}",
        line(&report, 10)
    );
    // Enrolment columns are applied: an unknown course is reported on the line, the account is kept.
    assert!(
        line(&report, 10)["message"].as_str().unwrap().contains("course1 c1: no such course"),
        "{}",
        line(&report, 10)
    );
    // The tryback starts with the BOM, like the input.
    assert!(fs::read(ran.tryback().unwrap()).unwrap().starts_with(b"\xef\xbb\xbf(legacy\n"));
    assert_eq!(lms.user("-dash")["email"], "d@x.org");
}

#[test]
fn crlf_files_keep_their_line_ends_in_the_tryback() {
    let lms = Lms::new();
    let input = b"username;firstname;lastname\r\nalice;A;A\r\nbad user;B;B\r\ncarl;C;C";
    let ran = lms.run_bytes("crlf.csv", input, &[]);
    assert_lines_failed_and_kept(&lms, &ran, input, &[1, 3], &[3]);
    assert_eq!(fs::read(ran.tryback().unwrap()).unwrap(), b"username;firstname;lastname\r\nbad user;B;B\r\n");
    assert_eq!(lms.user("carl")["lastname"], "C");
    assert_eq!(lms.user("alice")["lastname"], "A");
}

#[test]
fn a_column_for_an_undefined_profile_field_is_ignored_with_a_note() {
    let lms = Lms::new();
    let ran = lms.run_bytes("pf.csv", "username;firstname;lastname;profile_field_nosuch\nalice;A;A;x\n", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.notes().iter().any(|n| n.contains("profile_field_nosuch")), "{ran:?}");
    let report = lms.json_report(ran.run_id());
    assert!(report["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("nosuch")));
    assert!(lms.user("alice").get("profile_field_nosuch").is_none());
}

#[test]
fn a_missing_file_cannot_run() {
    let lms = Lms::new();
    let missing = lms.inbox.join("nowhere.csv");
    let ran = lms.run_users(&missing, &[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("nowhere.csv"), "{ran:?}");
    assert_eq!(lms.export().len(), 2);
}

#[test]
fn a_comma_file_is_refused_with_a_delimiter_hint_and_read_with_delimiter_auto() {
    let input = b"username,firstname,lastname,city\nalice,A,A,\"Paris, FR\"\n";
    let lms = Lms::new();
    let ran = lms.run_bytes("comma.csv", input, &[]);
    assert_refused(
        &lms,
        &ran,
        "comma.csv",
        input,
        "csv.unknown_column",
        &["\"username,firstname,lastname,city\"", "csv.delimiter"],
    );

    let lms = Lms::new().with("LMSYNC_CSV__DELIMITER", "auto");
    let ran = lms.run_bytes("comma.csv", input, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(lms.user("alice")["city"], "Paris, FR");
}
