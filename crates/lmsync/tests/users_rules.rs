//! The users tool's account rules (DECISIONS §5) end to end: absent vs empty columns,
//! suspend / soft delete / revive, renames, passwords and the protected passwords file.

mod common;

use common::*;
use std::fs;

#[test]
fn absent_columns_are_kept_and_empty_ones_cleared_or_defaulted() {
    let lms = Lms::new();
    let r = lms.run_bytes(
        "full.csv",
        "username;firstname;lastname;email;city;institution;lang;auth;maildisplay;timezone;suspended\n\
         alice;Alice;Smith;a@x.org;Paris;Uni;fr;nologin;0;Europe/Paris;1\n",
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let created = lms.user("alice");
    assert_eq!(created["suspended"], 1);
    assert_eq!(created["lang"], "fr");
    assert_eq!(created["auth"], "nologin");
    assert_eq!(created["maildisplay"], 0);
    assert_eq!(created["timezone"], "Europe/Paris");

    // Only username and names: everything else stays as it is.
    let r = lms.run_bytes("names.csv", "username;firstname;lastname\nalice;Alice;Smith\n", &[]);
    assert_eq!(r.count("unchanged"), 1, "{r:?}");
    assert_eq!(lms.user("alice"), created);

    // Present but empty: text cleared, enumerations back to their default, suspended untouched.
    let r = lms.run_bytes(
        "empty.csv",
        "username;firstname;lastname;city;institution;lang;auth;maildisplay;timezone;suspended\nalice;Alice;Smith;;;;;;;\n",
        &[],
    );
    assert_eq!(r.count("updated"), 1, "{r:?}");
    let u = lms.user("alice");
    assert_eq!(u["city"], "");
    assert_eq!(u["institution"], "");
    assert_eq!(u["lang"], "en");
    assert_eq!(u["auth"], "manual");
    assert_eq!(u["maildisplay"], 1);
    assert_eq!(u["timezone"], "99");
    assert_eq!(u["suspended"], 1, "an empty suspended value changes nothing");
    assert_eq!(u["email"], "a@x.org", "absent column kept");
    assert_eq!(u["id"], created["id"]);
    assert_eq!(u["timecreated"], created["timecreated"]);

    let r = lms.run_bytes("unsuspend.csv", "username;firstname;lastname;suspended\nalice;Alice;Smith;0\n", &[]);
    assert_eq!(r.count("updated"), 1, "{r:?}");
    assert_eq!(lms.user("alice")["suspended"], 0);
}

#[test]
fn delete_is_soft_removes_memberships_and_a_reappearing_account_is_revived() {
    let lms = Lms::new();
    let r = lms.run_bytes(
        "c.csv",
        "username;idnumber;firstname;lastname;email\nalice;E1;A;A;a@x.org\nbob;E2;B;B;b@x.org\n",
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let alice = lms.user("alice");
    let id = alice["id"].as_i64().unwrap();
    let bob = lms.user("bob")["id"].as_i64().unwrap();
    {
        // Memberships as the other tools would create them.
        let c = rusqlite::Connection::open(lms.data.join("lms.db")).unwrap();
        c.execute_batch(&format!(
            "INSERT INTO course_categories (id, name) VALUES (1, 'Cat');
             INSERT INTO course (id, category, shortname, fullname) VALUES (1, 1, 'C1', 'Course 1');
             INSERT INTO enrol (id, enrol, course) VALUES (1, 'manual', 1);
             INSERT INTO user_enrolments (enrolid, userid) VALUES (1, {id}), (1, {bob});
             INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, 1, {id}), (5, 1, {bob});
             INSERT INTO groups (id, courseid, name) VALUES (1, 1, 'G1');
             INSERT INTO groups_members (groupid, userid) VALUES (1, {id}), (1, {bob});
             INSERT INTO cohort (id, name) VALUES (1, 'Co');
             INSERT INTO cohort_members (cohortid, userid) VALUES (1, {id}), (1, {bob});"
        ))
        .unwrap();
    }
    let r = lms.run_bytes("d.csv", "username;firstname;lastname;deleted\nalice;;;yes\nnobody;N;N;1\n", &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = lms.json_report(r.run_id());
    assert_eq!(line(&report, 2)["outcome"], "deleted");
    assert_eq!(line(&report, 3)["code"], "user.delete_not_found");
    let deleted = lms.user("alice");
    assert_eq!(deleted["deleted"], 1);
    assert_eq!(deleted["id"], alice["id"]);
    assert_eq!(deleted["idnumber"], "E1");
    assert_eq!(deleted["email"], "a@x.org");
    let db = lms.db();
    for table in ["user_enrolments", "role_assignments", "groups_members", "cohort_members"] {
        let count = |user: i64| -> i64 {
            db.query_row(&format!("SELECT count(*) FROM {table} WHERE userid = ?1"), [user], |r| r.get(0)).unwrap()
        };
        assert_eq!(count(id), 0, "{table} rows of the deleted account");
        assert_eq!(count(bob), 1, "{table} rows of another account");
    }

    let r = lms.run_bytes("d2.csv", "username;firstname;lastname;deleted\nalice;A;A;1\n", &[]);
    assert_eq!(r.count("unchanged"), 1, "already deleted: {r:?}");

    let r = lms.run_bytes("back.csv", "username;idnumber;firstname;lastname\nalice;E1;A;A\n", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.count("updated"), 1);
    let revived = lms.user("alice");
    assert_eq!(revived["deleted"], 0);
    assert_eq!(revived["id"], alice["id"]);
}

#[test]
fn renames_through_oldusername_need_allow_rename() {
    let lms = Lms::new().with("LMSYNC_USERS__ALLOW_RENAME", "true");
    lms.run_bytes("c.csv", "username;firstname;lastname;email\nalice;A;A;a@x.org\n", &[]);
    let before = lms.user("alice");
    let r = lms.run_bytes("r.csv", "username;oldusername;firstname;lastname\nalicia;alice;A;A\nzed;ghost;Z;Z\n", &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = lms.json_report(r.run_id());
    assert_eq!(line(&report, 2)["outcome"], "updated");
    assert_eq!(line(&report, 3)["code"], "user.rename_source_missing");
    assert!(line(&report, 3)["message"].as_str().unwrap().contains("ghost"));
    let users = lms.users();
    assert!(!users.contains_key("alice") && !users.contains_key("zed"));
    assert_eq!(users["alicia"]["id"], before["id"]);
    assert_eq!(users["alicia"]["email"], "a@x.org");
    // Already renamed: running the file again changes nothing.
    let r = lms.run_bytes("r.csv", "username;oldusername;firstname;lastname\nalicia;alice;A;A\n", &[]);
    assert_eq!(r.count("unchanged"), 1, "{r:?}");
}

#[test]

fn oldusername_without_allow_rename_is_refused() {
    let lms = Lms::new();
    lms.run_bytes("c.csv", "username;firstname;lastname;email\nalice;A;A;a@x.org\n", &[]);
    let before = lms.export();
    let r = lms.run_bytes("r.csv", "username;oldusername;firstname;lastname\nalicia;alice;A;A\n", &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = lms.json_report(r.run_id());
    assert_eq!(line(&report, 2)["code"], "user.rename_not_allowed", "{report:#}");
    assert_same_export(&before, &lms.export(), "refused rename");
}

#[test]
fn passwords_are_hashed_generated_into_a_private_file_and_stable_on_rerun() {
    let lms = Lms::new();
    let input = "username;firstname;lastname;password\nalice;A;A;Secret-1\nbob;B;B;\ncarl;C;C;*NOPASS*\n";
    let r = lms.run_bytes("pw.csv", input, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.count("created"), 3);
    let stamp = r.report().unwrap().file_name().unwrap().to_str().unwrap()[..13].to_string();
    let file = lms.reports().join(format!("{stamp}_passwords_pw.csv"));
    let text = fs::read_to_string(&file).expect("passwords file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut rows = text.lines();
    assert_eq!(rows.next(), Some("username;password"));
    let generated: Vec<(&str, &str)> = rows.map(|l| l.split_once(';').unwrap()).collect();
    assert_eq!(generated.len(), 1, "{text}");
    assert_eq!(generated[0].0, "bob");
    let report = lms.json_report(r.run_id());
    assert!(
        report["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("passwords")),
        "{report:#}"
    );

    let stored = |u: &str| -> Option<String> {
        lms.db().query_row("SELECT password FROM user WHERE username = ?1", [u], |r| r.get(0)).unwrap()
    };
    let alice = stored("alice").unwrap();
    assert!(alice.starts_with("$2"), "bcrypt hash: {alice}");
    assert!(!alice.contains("Secret-1"));
    assert!(bcrypt::verify("Secret-1", &alice).unwrap());
    assert!(bcrypt::verify(generated[0].1, &stored("bob").unwrap()).unwrap(), "the listed password is bob's");
    assert_eq!(stored("carl").as_deref(), Some("*NOPASS*"));

    let before = lms.export();
    let again = lms.run_bytes("pw.csv", input, &[]);
    assert_eq!(again.count("unchanged"), 3, "{again:?}");
    assert_same_export(&before, &lms.export(), "password re-run");
    assert_eq!(stored("alice").unwrap(), alice, "the same password is not re-hashed");

    let changed = lms.run_bytes("pw2.csv", "username;firstname;lastname;password\nalice;A;A;Secret-2\n", &[]);
    assert_eq!(changed.count("updated"), 1, "{changed:?}");
    assert!(bcrypt::verify("Secret-2", &stored("alice").unwrap()).unwrap());
}

#[test]
fn create_passwords_gives_new_accounts_without_a_password_one() {
    let lms = Lms::new().with("LMSYNC_USERS__CREATE_PASSWORDS", "true");
    let r = lms.run_bytes("np.csv", "username;firstname;lastname;auth\nalice;A;A;manual\nbob;B;B;nologin\n", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    let file = lms.reports().join(lms_passwords_file(&lms));
    let text = fs::read_to_string(file).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "only alice can log in by password: {text}");
    let (user, password) = rows[0].split_once(';').unwrap();
    assert_eq!(user, "alice");
    let hash: String =
        lms.db().query_row("SELECT password FROM user WHERE username = 'alice'", [], |r| r.get(0)).unwrap();
    assert!(bcrypt::verify(password, &hash).unwrap());
    // Existing accounts do not get new passwords on later runs.
    let r = lms.run_bytes("np.csv", "username;firstname;lastname;auth\nalice;A;A;manual\n", &[]);
    assert_eq!(r.count("unchanged"), 1, "{r:?}");
}

fn lms_passwords_file(lms: &Lms) -> String {
    list(&lms.reports()).into_iter().find(|n| n.contains("_passwords_")).expect("a passwords file")
}

#[test]

fn generated_passwords_of_a_second_run_in_the_same_minute_are_not_lost() {
    for _attempt in 0..3 {
        let lms = Lms::new();
        let a = lms.run_bytes("pw.csv", "username;firstname;lastname;password\nalice;A;A;\n", &[]);
        let b = lms.run_bytes("pw.csv", "username;firstname;lastname;password\nbob;B;B;\n", &[]);
        assert_eq!((a.code, b.code), (0, 0), "{a:?} {b:?}");
        let name = |r: &Ran| r.report().unwrap().file_name().unwrap().to_str().unwrap()[..13].to_string();
        if name(&a) != name(&b) {
            continue;
        }
        let all: String = list(&lms.reports())
            .iter()
            .filter(|n| n.contains("_passwords_"))
            .map(|n| fs::read_to_string(lms.reports().join(n)).unwrap())
            .collect();
        assert!(all.contains("alice;"), "{all}");
        assert!(all.contains("bob;"), "bob's generated password is written somewhere: {all}");
        return;
    }
    panic!("could not get two runs into the same minute");
}

#[test]
fn usernames_are_lower_cased_and_values_trimmed() {
    let lms = Lms::new();
    let r = lms.run_bytes(
        "t.csv",
        "username;firstname;lastname;email;country\n  John.DOE ;  John ; Doe ; J@X.org ; gb \n",
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let u = lms.user("john.doe");
    assert_eq!(u["firstname"], "John");
    assert_eq!(u["lastname"], "Doe");
    assert_eq!(u["email"], "J@X.org");
    assert_eq!(u["country"], "GB");
    let r = lms.run_bytes("t2.csv", "username;firstname;lastname\nJOHN.DOE;John;Doe\n", &[]);
    assert_eq!(r.count("unchanged"), 1, "{r:?}");
    // E-mail collisions ignore case.
    let r = lms.run_bytes("t3.csv", "username;firstname;lastname;email\nother;O;O;j@x.ORG\n", &[]);
    assert_eq!(line(&lms.json_report(r.run_id()), 2)["code"], "user.email_taken");
}

#[test]
fn built_in_accounts_cannot_be_deleted() {
    let lms = Lms::new();
    let r = lms.run_bytes("d.csv", "username;firstname;lastname;deleted\nadmin;;;1\nguest;;;1\n", &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = lms.json_report(r.run_id());
    for n in [2, 3] {
        assert_eq!(line(&report, n)["code"], "user.protected_account", "{report:#}");
    }
    assert!(lms.export().iter().all(|u| u["deleted"] == 0));
}

#[test]

fn dates_are_read_in_the_configured_timezone() {
    let lms = Lms::new().with("LMSYNC_TIMEZONE", "Europe/Paris");
    assert_eq!(lms.exec(&["profile-fields", "add", "born", "--type", "datetime"]).code, 0);
    let r = lms.run_bytes(
        "tz.csv",
        "username;firstname;lastname;profile_field_born\nalice;A;A;2024-01-31\nbob;B;B;31/12/2023 10:00\n",
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // Midnight and 10:00 in Paris (UTC+1 in winter).
    assert_eq!(lms.user("alice")["profile_field_born"], "1706655600");
    assert_eq!(lms.user("bob")["profile_field_born"], "1704013200");
}

#[test]
fn idnumber_identity_never_merges_or_renames_accounts_silently() {
    let lms = Lms::new();
    lms.run_bytes("a.csv", "username;idnumber;firstname;lastname\nalice;E1;A;A\nbob;E2;B;B\n", &[]);
    let before = lms.export();
    let r =
        lms.run_bytes("b.csv", "username;idnumber;firstname;lastname\nalice;E9;A;A\ncarl;E2;C;C\nbob;E1;B;B\n", &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = lms.json_report(r.run_id());
    assert_eq!(line(&report, 2)["code"], "user.username_taken", "a new idnumber on a taken username");
    assert_eq!(line(&report, 3)["code"], "user.rename_not_allowed", "E2 is bob's");
    assert_eq!(line(&report, 4)["code"], "user.rename_not_allowed", "E1 is alice's");
    assert!(line(&report, 3)["message"].as_str().unwrap().contains("bob"));
    assert_same_export(&before, &lms.export(), "refused lines");
}
