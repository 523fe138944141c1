//! A small blocking REST client for the fake's tests (real HTTP through ureq).
#![allow(dead_code)]

use lmsync_moodle_fake::FakeMoodle;
use serde_json::Value;

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// POSTs raw form fields; returns (status, body).
pub fn post(fake: &FakeMoodle, fields: &[(&str, &str)]) -> (u16, String) {
    let mut resp = agent().post(&fake.rest_url()).send_form(fields.iter().copied()).expect("request");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// Calls `function` with the default token and `json`; returns the parsed answer.
pub fn call(fake: &FakeMoodle, function: &str, params: &[(&str, &str)]) -> Value {
    let token = fake.token();
    let mut fields = vec![("wstoken", token.as_str()), ("wsfunction", function), ("moodlewsrestformat", "json")];
    fields.extend_from_slice(params);
    let (status, body) = post(fake, &fields);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The error code of an exception answer, or "" for a success.
pub fn code(v: &Value) -> &str {
    v.get("errorcode").and_then(Value::as_str).unwrap_or("")
}

pub fn debuginfo(v: &Value) -> &str {
    v.get("debuginfo").and_then(Value::as_str).unwrap_or("")
}

pub fn fake() -> FakeMoodle {
    FakeMoodle::start(lmsync_moodle_fake::Config::default()).expect("start")
}

/// Creates a user (password set) and returns its id.
pub fn user(fake: &FakeMoodle, username: &str) -> i64 {
    let email = format!("{username}@example.org");
    let v = call(
        fake,
        "core_user_create_users",
        &[
            ("users[0][username]", username),
            ("users[0][firstname]", "F"),
            ("users[0][lastname]", "L"),
            ("users[0][email]", &email),
            ("users[0][password]", "Secret-123"),
        ],
    );
    v[0]["id"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

/// POSTs one file to `upload.php` as multipart; returns the parsed answer.
pub fn upload(fake: &FakeMoodle, token: &str, filename: &str, bytes: &[u8]) -> Value {
    let b = "XfakeBoundary42";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{token}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file_1\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let mut resp = agent()
        .post(&format!("{}/webservice/upload.php", fake.url()))
        .header("Content-Type", &format!("multipart/form-data; boundary={b}"))
        .send(&body[..])
        .expect("upload");
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}
