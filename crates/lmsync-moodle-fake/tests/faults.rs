//! Knobs against the fake: injected transport faults, failing item values, latency, the
//! request log (write counts), version gates and the expiry of injected rules.

mod common;

use std::time::{Duration, Instant};

use common::{call, code, fake, post, user};
use lmsync_moodle_fake::{Config, FakeMoodle, Fault, FaultRule, Outcome, WsError};

fn site_info(f: &FakeMoodle) -> (u16, String) {
    post(f, &[("wstoken", &f.token()), ("wsfunction", "core_webservice_get_site_info"), ("moodlewsrestformat", "json")])
}

#[test]
fn the_next_calls_fail_then_the_site_recovers() {
    let f = fake();
    f.fail_next(1, Fault::Maintenance503);
    f.fail_next(1, Fault::InvalidJson);
    let (status, body) = site_info(&f);
    assert_eq!(status, 503);
    assert!(body.contains("maintenance"));
    let (status, body) = site_info(&f);
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    f.fail_next(1, Fault::EmptyBody);
    assert_eq!(site_info(&f), (200, String::new()));
    f.fail_next(1, Fault::Html500);
    assert_eq!(site_info(&f).0, 500);
    assert!(site_info(&f).1.contains("\"siteid\":1"));
    assert_eq!(f.calls().iter().filter(|c| c.outcome == Outcome::Fault).count(), 4);
}

#[test]
fn timeout_holds_the_connection() {
    let f = fake();
    f.config().hang = Duration::from_millis(300);
    f.fail_next(1, Fault::Timeout);
    let t = Instant::now();
    assert_eq!(site_info(&f).0, 504);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn commit_then_timeout_keeps_the_write() {
    let f = fake();
    f.config().hang = Duration::from_millis(50);
    f.inject(FaultRule {
        fault: Fault::CommitThenTimeout,
        function: Some("core_user_create_users".into()),
        item_value: None,
        remaining: 1,
    });
    let (status, _) = post(
        &f,
        &[
            ("wstoken", &f.token()),
            ("wsfunction", "core_user_create_users"),
            ("moodlewsrestformat", "json"),
            ("users[0][username]", "late"),
            ("users[0][firstname]", "L"),
            ("users[0][lastname]", "T"),
            ("users[0][email]", "late@x.org"),
            ("users[0][password]", "p"),
        ],
    );
    assert_eq!(status, 504);
    assert!(f.state().users.values().any(|u| u.username == "late"));
}

#[test]
fn a_failing_item_value_fails_every_call_that_carries_it() {
    let f = fake();
    f.fail_item("bad@x.org", WsError::invalid_param("Injected: bad@x.org"));
    user(&f, "good");
    let v = call(
        &f,
        "core_user_create_users",
        &[
            ("users[0][username]", "u1"),
            ("users[0][firstname]", "A"),
            ("users[0][lastname]", "B"),
            ("users[0][email]", "bad@x.org"),
            ("users[0][password]", "p"),
        ],
    );
    assert_eq!(common::debuginfo(&v), "Injected: bad@x.org");
    assert!(!f.state().users.values().any(|u| u.username == "u1"));
}

#[test]
fn latency_is_added_to_every_call() {
    let f = fake();
    f.config().latency = Duration::from_millis(120);
    let t = Instant::now();
    site_info(&f);
    assert!(t.elapsed() >= Duration::from_millis(120));
}

#[test]
fn the_log_counts_calls_and_writes() {
    let f = fake();
    user(&f, "a");
    call(&f, "core_user_get_users_by_field", &[("field", "username"), ("values[0]", "a")]);
    assert_eq!(f.count("core_user_create_users"), 1);
    assert_eq!(f.write_count(), 1);
    let last = f.calls().pop().unwrap();
    assert_eq!((last.function.as_str(), last.fields, last.write), ("core_user_get_users_by_field", 5, false));
    f.clear_log();
    assert_eq!(f.calls().len(), 0);
}

#[test]
fn version_knob_drives_site_info_and_gates() {
    let f = FakeMoodle::start(Config::default().with_release(3, 11)).unwrap();
    let v = call(&f, "core_webservice_get_site_info", &[]);
    assert!(v["release"].as_str().unwrap().starts_with("3.11"));
    assert_eq!(v["version"], "2021051701.00");
    let names = v["functions"].to_string();
    assert!(!names.contains("enrol_meta_add_instances"));
    assert_eq!(code(&call(&f, "enrol_meta_add_instances", &[])), "invalidrecord");
}

#[test]
fn reset_cuts_the_connection() {
    let f = fake();
    f.fail_next(1, Fault::Reset);
    let url = format!(
        "{}?wstoken={}&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json",
        f.rest_url(),
        f.token()
    );
    let got = common::agent().get(&url).call().and_then(|mut r| r.body_mut().read_to_string());
    assert!(got.is_err(), "{got:?}");
    assert!(site_info(&f).1.contains("\"siteid\":1"));
}

#[test]
fn a_body_over_post_max_size_is_dropped() {
    let f = fake();
    f.config().post_max_size = 10;
    // Every field is lost, `moodlewsrestformat` too: the answer is not even JSON.
    let (status, body) = site_info(&f);
    assert_eq!(status, 200);
    assert!(body.starts_with("<?xml"), "{body}");
    assert_eq!(f.calls().last().unwrap().fields, 0);
}
