//! Tests of answer parsing: success bodies, `null`, warnings, exceptions, non-answers.

use super::*;
use crate::error::AccessProblem;

fn ok(body: &str) -> HttpReply {
    HttpReply { status: 200, content_type: Some("application/json".into()), body: body.into() }
}

#[test]
fn success_bodies_parse_including_null() {
    assert_eq!(parse_reply("f", &ok("null")), Ok(Value::Null));
    let v = parse_reply("f", &ok(r#"[{"id":5,"username":"jdoe","url":"http:\/\/x\/\u00e9"}]"#)).unwrap();
    assert_eq!(v[0]["id"], 5);
    assert_eq!(v[0]["url"], "http://x/é");
}

#[test]
fn warnings_are_read_leniently() {
    let v = parse_reply(
        "core_user_update_users",
        &ok(r#"{"warnings":[{"item":"user","itemid":"7","warningcode":"invaliduser","message":"bad"},{"warningcode":3,"message":"m"}]}"#),
    )
    .unwrap();
    let w = warnings(&v);
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].itemid, Some(7));
    assert_eq!(w[0].item.as_deref(), Some("user"));
    assert_eq!(w[1].warningcode, "3");
    assert!(warnings(&Value::Null).is_empty());
}

#[test]
fn exceptions_are_classified() {
    let body = r#"{"exception":"invalid_parameter_exception","errorcode":"invalidparameter","message":"Invalid parameter value detected","debuginfo":"Username already exists: jdoe"}"#;
    let err = parse_reply("core_user_create_users", &ok(body)).unwrap_err();
    assert!(matches!(err, WsError::InvalidParameter { .. }));
    assert!(err.is_item_level() && !err.stops_run());
    assert!(err.to_string().contains("Username already exists: jdoe"));

    let body =
        r#"{"exception":"moodle_exception","errorcode":"invalidtoken","message":"Invalid token - token not found"}"#;
    let err = parse_reply("f", &ok(body)).unwrap_err();
    assert!(matches!(err, WsError::Access { problem: AccessProblem::InvalidToken, .. }));
    assert!(err.stops_run());
}

#[test]
fn non_answers_mean_the_target_is_unavailable() {
    let cases = [
        HttpReply { status: 503, content_type: Some("text/html".into()), body: "<html>Upgrade</html>".into() },
        ok(""),
        ok("<!DOCTYPE html><html><body>Fatal error</body></html>"),
        HttpReply { status: 502, content_type: None, body: String::new() },
    ];
    for reply in cases {
        let err = parse_reply("f", &reply).unwrap_err();
        assert!(err.is_unavailable(), "{reply:?} gave {err:?}");
        assert!(err.stops_run());
    }
}

#[test]
fn data_with_an_exception_key_that_is_not_a_string_is_data() {
    let v = parse_reply("f", &ok(r#"{"exception":1}"#)).unwrap();
    assert_eq!(v["exception"], 1);
}

#[test]
fn snippets_are_short_and_on_one_line() {
    let s = snippet(&format!("<p>\n{}</p>", "x".repeat(500)));
    assert!(!s.contains('\n'));
    assert!(s.chars().count() <= 201);
}
