//! `lmsync export users` is how operators (and this suite) see the LMS state: CSV and JSON must
//! agree, list every account including built-in and deleted ones, and carry the custom profile
//! fields.

mod common;

use common::*;
use std::fs;

const COLUMNS: [&str; 27] = [
    "id",
    "username",
    "idnumber",
    "email",
    "firstname",
    "lastname",
    "auth",
    "suspended",
    "deleted",
    "city",
    "country",
    "lang",
    "timezone",
    "institution",
    "department",
    "phone1",
    "phone2",
    "address",
    "url",
    "description",
    "maildisplay",
    "maildigest",
    "mailformat",
    "autosubscribe",
    "trackforums",
    "timecreated",
    "timemodified",
];

/// Parses a `;` CSV export (quotes allowed) into header and rows.
fn parse_csv(text: &str, delimiter: char) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => row.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            c => field.push(c),
        }
    }
    let header = rows.remove(0);
    (header, rows)
}

fn setup() -> Lms {
    let lms = Lms::new();
    for args in [
        &["profile-fields", "add", "level", "--type", "menu", "--option", "L1", "--option", "L2"][..],
        &["profile-fields", "add", "badge", "--type", "checkbox"][..],
        &["profile-fields", "add", "motto"][..],
    ] {
        let r = lms.exec(args);
        assert_eq!(r.code, 0, "{r:?}");
    }
    let r = lms.run_bytes(
        "u.csv",
        "username;idnumber;firstname;lastname;email;city;description;profile_field_level;profile_field_badge;profile_field_motto\n\
         alice;E1;Alice;Smith;a@x.org;Paris;\"quote \"\" and ; here\";L2;yes;Carpe diem\n\
         bob;E2;Bob;Jones;b@x.org;Lyon;;L1;0;\n\
         carl;E3;Carl;Zed;c@x.org;Nice;;L9;1;\n",
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(line(&lms.json_report(r.run_id()), 4)["code"], "user.invalid_value", "L9 is not a menu option");
    let r = lms.run_bytes("d.csv", "username;firstname;lastname;deleted\nbob;Bob;Jones;1\n", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    lms
}

#[test]
fn json_export_lists_every_account_with_profile_fields() {
    let lms = setup();
    let export = lms.export();
    let names: Vec<&str> = export.iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["guest", "admin", "alice", "bob"]);
    assert_eq!(export[0]["id"], 1);
    assert_eq!(export[1]["id"], 2);
    for u in &export {
        let obj = u.as_object().unwrap();
        for c in COLUMNS {
            assert!(obj.contains_key(c), "{c} missing in {u}");
        }
        for f in ["level", "badge", "motto", "userpicturehash"] {
            assert!(obj.contains_key(&format!("profile_field_{f}")), "profile_field_{f} missing in {u}");
        }
        assert_eq!(obj.len(), COLUMNS.len() + 4, "{u}");
        assert!(u["suspended"].is_number() && u["deleted"].is_number(), "{u}");
    }
    let alice = &export[2];
    assert_eq!(alice["profile_field_level"], "L2");
    assert_eq!(alice["profile_field_badge"], "1");
    assert_eq!(alice["profile_field_motto"], "Carpe diem");
    assert_eq!(alice["description"], "quote \" and ; here");
    assert_eq!(alice["deleted"], 0);
    let bob = &export[3];
    assert_eq!(bob["deleted"], 1, "deleted accounts are exported with deleted=1");
    assert_eq!(bob["idnumber"], "E2");
    assert_eq!(bob["profile_field_level"], "L1");
    assert_eq!(bob["profile_field_badge"], "0");
}

#[test]
fn csv_export_has_the_documented_columns_and_agrees_with_json() {
    let lms = setup();
    let r = lms.exec(&["export", "users"]);
    assert_eq!(r.code, 0, "{r:?}");
    let (header, rows) = parse_csv(&r.stdout, ';');
    let mut expected: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    // Custom fields follow the account columns; userpicturehash always exists.
    let extra: Vec<&String> = header[COLUMNS.len()..].iter().collect();
    assert_eq!(header[..COLUMNS.len()], expected[..]);
    let mut extra_sorted: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
    extra_sorted.sort();
    assert_eq!(
        extra_sorted,
        ["profile_field_badge", "profile_field_level", "profile_field_motto", "profile_field_userpicturehash"]
    );
    expected.extend(extra.iter().map(|s| s.to_string()));

    let json = lms.export();
    assert_eq!(rows.len(), json.len());
    for (row, obj) in rows.iter().zip(&json) {
        assert_eq!(row.len(), header.len(), "{row:?}");
        for (name, cell) in header.iter().zip(row) {
            let want = match &obj[name] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(cell, &want, "column {name} of {}", obj["username"]);
        }
    }
    let bob = rows.iter().find(|r| r[1] == "bob").unwrap();
    assert_eq!(bob[8], "1", "deleted column");

    // --output and the csv.delimiter setting.
    let out = lms.tmp.path().join("out.csv");
    let mut lms = lms;
    lms.set("LMSYNC_CSV__DELIMITER", ",");
    let r = lms.exec(&["export", "users", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.is_empty());
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("id,username,idnumber,email,"), "{text}");
    let (_, rows) = parse_csv(&text, ',');
    assert_eq!(rows.len(), 4);
}

#[test]
fn json_export_to_a_file_matches_stdout() {
    let lms = setup();
    let out = lms.tmp.path().join("out.json");
    let r = lms.exec(&["export", "users", "--format", "json", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let from_file: serde_json::Value = serde_json::from_str(&fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(from_file.as_array().unwrap(), &lms.export());
}

#[test]
fn a_fresh_store_exports_the_two_built_in_accounts() {
    let lms = Lms::new();
    let export = lms.export();
    assert_eq!(export.len(), 2);
    assert_eq!(export[0]["username"], "guest");
    assert_eq!(export[1]["username"], "admin");
    assert_eq!(export[1]["deleted"], 0);
    assert_eq!(export[0]["profile_field_userpicturehash"], "");
    let list = lms.exec(&["profile-fields", "list"]);
    assert!(list.stdout.contains("userpicturehash"), "{list:?}");
}
