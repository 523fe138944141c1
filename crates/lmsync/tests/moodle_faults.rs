//! A Moodle site that misbehaves (spec §4.7): an unavailable site stops the run and keeps its
//! file, a create that committed before its answer was lost is not made twice, a bad account
//! hidden in a batch is found by bisection even when the site gives no reason, and a site that
//! takes fewer form fields still gets whole requests.

mod common;

use common::*;
use lmsync_moodle_fake::{Config, DebugLevel, FakeMoodle, Fault, FaultRule};
use std::time::Duration;

/// `n` accounts `user001…` (idnumber `U001…`).
fn users(n: usize) -> String {
    let mut s = String::from("username;firstname;lastname;email;idnumber\n");
    for i in 1..=n {
        s.push_str(&format!("user{i:03};First{i};Last{i};user{i:03}@example.org;U{i:03}\n"));
    }
    s
}

fn on_site(fake: &FakeMoodle, prefix: &str) -> usize {
    fake.state().users.values().filter(|u| u.username.starts_with(prefix)).count()
}

#[test]
fn a_site_in_maintenance_stops_the_run_keeps_the_file_and_the_next_run_finishes_it() {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    let lms = on_moodle(&fake);
    fake.inject(FaultRule {
        fault: Fault::Maintenance503,
        function: Some("core_user_create_users".into()),
        item_value: None,
        remaining: usize::MAX,
    });
    let file = lms.write("users.csv", users(5));
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.all().contains("unavailable") && r.all().contains("kept"), "{}", r.all());
    assert!(file.exists(), "the input stays for the next run");
    assert_eq!(r.count("created"), 0, "nothing is reported applied: {}", r.all());
    assert_eq!(on_site(&fake, "user"), 0);

    fake.clear_faults();
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 5, "{}", r.all());
    assert_eq!(on_site(&fake, "user"), 5);
}

#[test]
fn a_create_whose_answer_was_lost_is_not_made_twice() {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    fake.config().hang = Duration::from_millis(200);
    let lms = on_moodle(&fake);
    fake.inject(FaultRule {
        fault: Fault::CommitThenTimeout,
        function: Some("core_user_create_users".into()),
        item_value: None,
        remaining: 1,
    });
    let file = lms.write("users.csv", users(4));
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 2, "the outcome is unknown: the run stops: {}", r.all());
    assert!(file.exists());
    assert_eq!(fake.count("core_user_create_users"), 1, "a create that may have run is never resent blindly");
    assert_eq!(on_site(&fake, "user"), 4, "the site did create them");

    // The next run looks them up first and finds them: no duplicate, nothing to create.
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 0, "{}", r.all());
    assert_eq!(r.count("unchanged"), 4, "{}", r.all());
    assert_eq!(fake.count("core_user_create_users"), 1);
    assert_eq!(on_site(&fake, "user"), 4);
}

#[test]
fn a_refused_account_in_a_batch_of_a_hundred_is_isolated_without_the_sites_reasons() {
    let fake = FakeMoodle::start(Config { debug: DebugLevel::None, ..Config::default() }).unwrap();
    let lms = on_moodle(&fake);
    // The 37th account asks for a language the site does not have: Moodle refuses the whole
    // call, and with debugging off says only "Invalid parameter value detected".
    let mut file = String::from("username;firstname;lastname;email;idnumber;lang\n");
    for line in users(100).lines().skip(1) {
        file.push_str(&format!("{line};{}\n", if line.starts_with("user037;") { "xx" } else { "en" }));
    }
    let file = lms.write("users.csv", file);
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.count("created"), 99, "{}", r.all());
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    let tryback = std::fs::read_to_string(r.tryback().unwrap()).unwrap();
    assert!(tryback.contains("user037;"), "{tryback}");
    let calls = fake.count("core_user_create_users");
    assert!(calls <= 1 + 2 * 7, "bisection takes at most 1 + 2·log2(100) calls, took {calls}");
    let report = std::fs::read_to_string(r.report().unwrap()).unwrap();
    assert!(report.contains("debug"), "the advice about the site's debug level: {report}");
}

#[test]
fn requests_stay_within_the_field_budget_of_a_site_that_takes_fewer_fields() {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    fake.config().max_input_vars = 500;
    let lms = on_moodle(&fake).with("LMSYNC_TARGET__MAX_FIELDS", "400");
    let file = lms.write("users.csv", users(120));
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 120, "{}", r.all());
    assert!(fake.count("core_user_create_users") >= 2, "the accounts went in several calls");
    // A cut request arrives with exactly max_input_vars fields.
    assert!(fake.calls().iter().all(|c| c.fields < 500), "no request was cut by the site");
}

#[test]
fn a_password_the_sites_policy_refuses_fails_its_line_only() {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    let lms = on_moodle(&fake);
    let file = lms.write("users.csv", users(3));
    assert_eq!(lms.exec(&["run", "users", "--file", file.to_str().unwrap()]).code, 0);
    fake.config().password_policy = Some(lmsync_moodle_fake::PasswordPolicy { min_length: 8 });
    // Two accounts get a new password; one of them is too short for the site.
    let mut with_passwords = String::from("username;firstname;lastname;email;idnumber;password\n");
    for (i, line) in users(3).lines().skip(1).enumerate() {
        let password = ["Long#enough1", "short", ""][i];
        with_passwords.push_str(&format!("{line};{password}\n"));
    }
    let file = lms.write("users.csv", with_passwords);
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.count("updated"), 1, "{}", r.all());
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    let report = std::fs::read_to_string(r.report().unwrap()).unwrap();
    assert!(report.contains("user002") && report.contains("password policy"), "{report}");
}
