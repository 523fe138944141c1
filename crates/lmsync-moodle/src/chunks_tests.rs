//! Tests of chunking and bisection over a scripted transport that plays Moodle's
//! all-or-nothing `core_user_create_users`.

use super::*;
use crate::client::ClientOptions;
use crate::error::Unavailable;
use crate::params::Param;
use crate::response::HttpReply;
use crate::retry::RetryPolicy;
use crate::testing::{FnTransport, Recorded, exception, json};
use std::sync::Arc;

const F: &str = "core_user_create_users";

fn usernames(r: &Recorded) -> Vec<String> {
    r.form.iter().filter(|(k, _)| k.ends_with("[username]")).map(|(_, v)| v.clone()).collect()
}

/// Fails the whole call if any username starts with "bad", else answers `[{id, username}]`.
fn moodle(r: &Recorded) -> Result<HttpReply, Unavailable> {
    let names = usernames(r);
    if names.iter().any(|n| n.starts_with("bad")) {
        return exception("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", None);
    }
    let list: Vec<_> = names.iter().enumerate().map(|(i, n)| serde_json::json!({"id": i, "username": n})).collect();
    json(&serde_json::Value::from(list).to_string())
}

fn client(t: Arc<FnTransport>) -> MoodleClient {
    let options =
        ClientOptions { retry: RetryPolicy { attempts: 1, ..RetryPolicy::default() }, ..ClientOptions::default() };
    MoodleClient::with_transport("https://m", "tok", options, t).unwrap()
}

fn build(users: &[String]) -> Params {
    let list = users.iter().map(|u| Param::obj([("username", u.as_str()), ("firstname", "F"), ("lastname", "L")]));
    Params::new().with("users", Param::list(list))
}

fn names(n: usize, bad: &[usize]) -> Vec<String> {
    (0..n).map(|i| if bad.contains(&i) { format!("bad{i}") } else { format!("u{i}") }).collect()
}

fn opts(initial: usize) -> ChunkOptions {
    ChunkOptions { initial, max_items: 400, ..ChunkOptions::for_function(F) }
}

#[test]
fn one_bad_item_in_a_hundred_fails_alone_in_logarithmic_calls() {
    let t = Arc::new(FnTransport::new(moodle));
    let items = names(100, &[37]);
    let report = apply_in_chunks(&client(t.clone()), F, &items, build, &opts(100));
    let applied = report.outcomes.iter().filter(|o| matches!(o, ItemOutcome::Applied(_))).count();
    assert_eq!(applied, 99);
    assert!(matches!(&report.outcomes[37], ItemOutcome::Failed(WsError::InvalidParameter { .. })));
    assert!(report.stopped.is_none());
    assert!(report.calls <= 1 + 2 * 7, "{} calls", report.calls);
    assert_eq!(report.calls, t.requests().len());
    let ItemOutcome::Applied(part) = &report.outcomes[38] else { panic!() };
    assert_eq!(part["username"], "u38");
}

#[test]
fn all_bad_items_all_fail() {
    let t = Arc::new(FnTransport::new(moodle));
    let items: Vec<String> = (0..8).map(|i| format!("bad{i}")).collect();
    let report = apply_in_chunks(&client(t), F, &items, build, &opts(8));
    assert!(report.outcomes.iter().all(|o| matches!(o, ItemOutcome::Failed(_))));
    assert_eq!(report.calls, 15, "a full binary tree over 8 leaves");
}

#[test]
fn an_unavailable_site_stops_the_run_without_bisecting() {
    let t = Arc::new(FnTransport::new(|r: &Recorded| {
        if usernames(r).iter().any(|n| n == "u5") { Err(Unavailable::Connect("refused".into())) } else { moodle(r) }
    }));
    let options = ChunkOptions { max_items: 2, ..opts(2) };
    let report = apply_in_chunks(&client(t), F, &names(10, &[]), build, &options);
    assert!(report.stopped.as_ref().is_some_and(WsError::is_unavailable));
    assert!(report.outcomes[..4].iter().all(|o| matches!(o, ItemOutcome::Applied(_))));
    assert!(report.outcomes[4..].iter().all(|o| *o == ItemOutcome::NotSent));
    assert_eq!(report.calls, 3);
}

#[test]
fn chunks_respect_the_field_limit() {
    let t = Arc::new(FnTransport::new(moodle));
    let options = ChunkOptions { field_limit: 35, ..opts(100) };
    let report = apply_in_chunks(&client(t.clone()), F, &names(50, &[]), build, &options);
    assert!(report.outcomes.iter().all(|o| matches!(o, ItemOutcome::Applied(_))));
    for r in t.requests() {
        assert!(r.form.len() <= 35, "{} fields", r.form.len());
    }
    assert_eq!(report.calls, 50usize.div_ceil(10));
}

#[test]
fn an_item_larger_than_the_limit_fails_without_a_call() {
    let t = Arc::new(FnTransport::new(moodle));
    let options = ChunkOptions { field_limit: 5, ..opts(10) };
    let report = apply_in_chunks(&client(t.clone()), F, &names(2, &[]), build, &options);
    assert!(report.outcomes.iter().all(|o| matches!(o, ItemOutcome::Failed(WsError::Request { .. }))));
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn a_per_item_function_is_not_bisected() {
    let t = Arc::new(FnTransport::new(moodle));
    let options = ChunkOptions { atomic: false, ..opts(10) };
    let report = apply_in_chunks(&client(t), "core_user_update_users", &names(10, &[3]), build, &options);
    assert_eq!(report.calls, 1);
    assert!(report.outcomes.iter().all(|o| matches!(o, ItemOutcome::Failed(_))));
}

#[test]
fn null_answers_are_shared_by_every_item() {
    let t = Arc::new(FnTransport::new(|_: &Recorded| json("null")));
    let report = apply_in_chunks(&client(t), "enrol_manual_enrol_users", &names(3, &[]), build, &opts(3));
    assert!(report.outcomes.iter().all(|o| *o == ItemOutcome::Applied(serde_json::Value::Null)));
}

#[test]
fn a_culprit_named_by_the_debuginfo_fails_without_bisection() {
    let t = Arc::new(FnTransport::new(|r: &Recorded| match usernames(r).iter().find(|n| n.starts_with("bad")) {
        Some(n) => exception(
            "invalid_parameter_exception",
            "invalidparameter",
            "Invalid parameter value detected",
            Some(&format!("Username already exists: {n}")),
        ),
        None => moodle(r),
    }));
    let culprit = |err: &WsError, chunk: &[String]| {
        let name = err.exception()?.debuginfo.as_deref()?.strip_prefix("Username already exists: ")?;
        chunk.iter().position(|u| u == name)
    };
    let items = names(100, &[37]);
    let report = apply_in_chunks_naming(&client(t), F, &items, build, &opts(100), culprit);
    assert_eq!(report.calls, 3, "the failed call, then the items before and after the culprit");
    assert!(matches!(report.outcomes[37], ItemOutcome::Failed(_)));
    assert_eq!(report.outcomes.iter().filter(|o| matches!(o, ItemOutcome::Applied(_))).count(), 99);
}
