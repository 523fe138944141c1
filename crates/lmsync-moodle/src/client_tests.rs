//! Tests of the client over a scripted transport: retries, redaction, setup checks.

use super::*;
use crate::testing::{FnTransport, exception, json};
use std::sync::atomic::{AtomicUsize, Ordering};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn fast() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy { attempts: 3, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) },
        ..ClientOptions::default()
    }
}

fn client(t: Arc<FnTransport>) -> MoodleClient {
    MoodleClient::with_transport("https://m.example/", TOKEN, fast(), t).unwrap()
}

#[test]
fn a_call_posts_the_form_to_server_php() {
    let t = Arc::new(FnTransport::new(|_| json("null")));
    let c = client(t.clone());
    let out = c.call("enrol_manual_enrol_users", &Params::new().with("x", 1i64)).unwrap();
    assert_eq!(out, Value::Null);
    let r = &t.requests()[0];
    assert_eq!(r.url, "https://m.example/webservice/rest/server.php");
    assert_eq!(r.field("wstoken"), Some(TOKEN));
    assert_eq!(r.field("wsfunction"), Some("enrol_manual_enrol_users"));
    assert_eq!(r.field("moodlewsrestformat"), Some("json"));
    assert_eq!(r.field("x"), Some("1"));
    assert_eq!(r.field("moodlewssettingraw"), None);
    c.call_raw("core_course_get_categories", &Params::new()).unwrap();
    assert_eq!(t.requests()[1].field("moodlewssettingraw"), Some("1"));
}

#[test]
fn transient_failures_are_retried_a_bounded_number_of_times() {
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    let t = Arc::new(FnTransport::new(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < 2 {
            Ok(HttpReply { status: 503, content_type: None, body: "<h1>upgrade</h1>".into() })
        } else {
            json("[]")
        }
    }));
    assert_eq!(client(t.clone()).call("core_cohort_get_cohorts", &Params::new()), Ok(serde_json::json!([])));
    assert_eq!(t.requests().len(), 3);

    let t = Arc::new(FnTransport::new(|_| Err(Unavailable::Connect("refused".into()))));
    let err = client(t.clone()).call("core_user_create_users", &Params::new()).unwrap_err();
    assert!(err.is_unavailable());
    assert_eq!(t.requests().len(), 3, "attempts are bounded");
}

#[test]
fn a_create_that_may_have_run_is_not_resent_and_item_errors_are_never_retried() {
    let t = Arc::new(FnTransport::new(|_| Err(Unavailable::Timeout("read".into()))));
    assert!(client(t.clone()).call("core_user_create_users", &Params::new()).is_err());
    assert_eq!(t.requests().len(), 1);

    let t = Arc::new(FnTransport::new(|_| exception("moodle_exception", "shortnametaken", "taken", None)));
    let err = client(t.clone()).call("core_course_get_courses_by_field", &Params::new()).unwrap_err();
    assert!(err.is_item_level());
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn the_token_is_in_no_debug_output_and_no_error() {
    let t = Arc::new(FnTransport::new(|r| {
        Err(Unavailable::Io(format!("broken while sending wstoken={}", r.field("wstoken").unwrap_or(""))))
    }));
    let c = client(t.clone());
    let debug = format!("{c:?} {:?}", c.token());
    assert!(!debug.contains(TOKEN) && debug.contains("[redacted]"), "{debug}");
    let err = c.call("core_cohort_get_cohorts", &Params::new()).unwrap_err();
    assert!(!err.to_string().contains(TOKEN) && !format!("{err:?}").contains(TOKEN), "{err}");

    let t = Arc::new(FnTransport::new(|r| {
        exception("moodle_exception", "x", &format!("echo {}", r.field("wstoken").unwrap_or("")), None)
    }));
    let err = client(t).call("f", &Params::new()).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[test]
fn site_info_is_parsed() {
    let t = Arc::new(FnTransport::new(|_| {
        json(
            r#"{"release":"4.1.3 (Build: 20230424)","version":"2022112803","functions":[{"name":"core_webservice_get_site_info","version":"1"}],"uploadfiles":0,"userissiteadmin":false}"#,
        )
    }));
    let info = client(t).site_info().unwrap();
    assert!(info.at_least(4, 1) && !info.at_least(4, 2));
    assert!(info.has_function("core_webservice_get_site_info"));
    let t = Arc::new(FnTransport::new(|_| json("[1]")));
    assert!(matches!(client(t).site_info(), Err(WsError::BadResponse { .. })));
}

#[test]
fn bad_settings_are_refused_with_advice() {
    let t: Arc<dyn Transport> = Arc::new(FnTransport::new(|_| json("null")));
    let make = |url: &str, token: &str, o: ClientOptions| MoodleClient::with_transport(url, token, o, t.clone());
    assert_eq!(make("m.example", TOKEN, fast()).unwrap_err(), SetupError::NotHttp("m.example".into()));
    assert!(matches!(make("https://m/webservice/rest/server.php", TOKEN, fast()), Err(SetupError::Endpoint(_))));
    assert_eq!(make("https://m", "a b", fast()).unwrap_err(), SetupError::BadToken);
    let zero = ClientOptions { concurrency: 0, ..fast() };
    assert_eq!(make("https://m", TOKEN, zero).unwrap_err(), SetupError::NoConcurrency);
}

#[test]
fn calls_in_flight_are_bounded_by_the_concurrency() {
    let current = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (c2, p2) = (current.clone(), peak.clone());
    let t = Arc::new(FnTransport::new(move |_| {
        let now = c2.fetch_add(1, Ordering::SeqCst) + 1;
        p2.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(5));
        c2.fetch_sub(1, Ordering::SeqCst);
        json("null")
    }));
    let opts = ClientOptions { concurrency: 2, ..fast() };
    let c = MoodleClient::with_transport("https://m", TOKEN, opts, t).unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let c = c.clone();
            s.spawn(move || c.call("f", &Params::new()).unwrap());
        }
    });
    assert!(peak.load(Ordering::SeqCst) <= 2);
}

#[test]
fn a_hidden_debuginfo_is_reported_once() {
    let t = Arc::new(FnTransport::new(|_| {
        exception("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", None)
    }));
    let c = client(t);
    assert_eq!(c.debug_level_warning(), None);
    assert!(c.call("core_user_create_users", &Params::new()).is_err());
    assert!(c.debug_level_warning().is_some_and(|w| w.contains("NORMAL")));
    assert!(c.call("core_user_create_users", &Params::new()).is_err());
    assert_eq!(c.debug_level_warning(), None);
}
