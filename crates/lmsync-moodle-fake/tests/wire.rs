//! The wire protocol through real HTTP: bracket notation, GET, exception shape, access
//! check order, debug levels, PHP escaping, `max_input_vars`, XML refusal.

mod common;

use common::{call, code, debuginfo, fake, post};
use lmsync_moodle_fake::DebugLevel;

#[test]
fn site_info_lists_the_service_functions_and_version() {
    let f = fake();
    let v = call(&f, "core_webservice_get_site_info", &[]);
    assert_eq!(v["userid"], 2);
    assert_eq!(v["version"], "2024100702.00");
    assert_eq!(v["userissiteadmin"], true);
    let names: Vec<&str> = v["functions"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"core_user_create_users"));
}

#[test]
fn get_query_and_body_are_merged() {
    let f = fake();
    let url = format!(
        "{}?wstoken={}&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json",
        f.rest_url(),
        f.token()
    );
    let mut resp = common::agent().get(&url).call().unwrap();
    let body = resp.body_mut().read_to_string().unwrap();
    assert!(body.contains("\"siteid\":1"), "{body}");
}

#[test]
fn exception_shape_is_moodles_with_keys_in_order() {
    let f = fake();
    let (status, body) = post(&f, &[("wstoken", "nope"), ("wsfunction", "x"), ("moodlewsrestformat", "json")]);
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"exception":"moodle_exception","errorcode":"invalidtoken","message":"Invalid token - token not found"}"#
    );
}

#[test]
fn access_checks_come_in_moodles_order() {
    let f = fake();
    f.config().services[0].functions = Some(["core_webservice_get_site_info".to_string()].into());
    let missing = call(&f, "", &[]);
    assert_eq!(debuginfo(&missing), "Missing function name");
    let unknown = call(&f, "core_course_reset_course", &[]);
    assert_eq!(code(&unknown), "invalidrecord");
    assert!(unknown["message"].as_str().unwrap().contains("external_functions"));
    let denied = call(&f, "core_user_create_users", &[]);
    assert_eq!(code(&denied), "accessexception");
    assert!(debuginfo(&denied).starts_with("Access to the function core_user_create_users() is not allowed."));
    f.config().tokens[0].can_use_rest = false;
    let v = call(&f, "core_user_create_users", &[]);
    assert!(debuginfo(&v).contains("webservice/rest:use"));
    f.state().users.get_mut(&2).unwrap().suspended = true;
    assert_eq!(code(&call(&f, "core_webservice_get_site_info", &[])), "wsaccessusersuspended");
    f.config().tokens[0].validuntil = Some(1);
    assert_eq!(code(&call(&f, "core_webservice_get_site_info", &[])), "accessexception");
    // The expired token was deleted.
    assert_eq!(code(&call(&f, "core_webservice_get_site_info", &[])), "invalidtoken");
}

#[test]
fn debug_level_controls_debuginfo() {
    let f = fake();
    let args = [("users[0][username]", "jdoe")];
    let v = call(&f, "core_user_create_users", &args);
    assert_eq!(
        debuginfo(&v),
        "users => Invalid parameter value detected: Missing required key in single structure: firstname"
    );
    f.config().debug = DebugLevel::None;
    let v = call(&f, "core_user_create_users", &args);
    assert!(v.get("debuginfo").is_none());
    assert_eq!(v["message"], "Invalid parameter value detected");
    f.config().debug = DebugLevel::Developer;
    let v = call(&f, "core_user_create_users", &args);
    assert!(v["message"].as_str().unwrap().starts_with("Invalid parameter value detected (users => "));
}

#[test]
fn type_errors_name_the_path_but_not_the_index() {
    let f = fake();
    let v = call(
        &f,
        "core_user_create_users",
        &[
            ("users[3][username]", "JDoe"),
            ("users[3][firstname]", "J"),
            ("users[3][lastname]", "D"),
            ("users[3][email]", "j@x.org"),
        ],
    );
    assert_eq!(
        debuginfo(&v),
        "users => Invalid parameter value detected: username => Invalid parameter value detected: Invalid external api parameter: the value is \"JDoe\", the server was expecting \"username\" type"
    );
    let v = call(&f, "core_user_delete_users", &[("userids", "5")]);
    assert_eq!(
        debuginfo(&v),
        "userids => Invalid parameter value detected: Only arrays accepted. The bad value is: '5'"
    );
    let v = call(&f, "core_user_delete_users", &[("userids[0][x]", "5")]);
    assert!(debuginfo(&v).ends_with("Scalar type expected, array or object received."));
    let v = call(&f, "core_user_delete_users", &[("userids[0]", "007")]);
    assert!(debuginfo(&v).contains("the value is \"007\", the server was expecting \"int\" type"));
    let v = call(&f, "core_user_delete_users", &[("userids[0]", "3"), ("extra", "1")]);
    assert_eq!(debuginfo(&v), "Unexpected keys (extra) detected in parameter array.");
}

#[test]
fn answers_use_php_escaping_and_void_is_null() {
    let f = fake();
    let id = common::user(&f, "esc");
    let (_, body) = post(
        &f,
        &[
            ("wstoken", &f.token()),
            ("wsfunction", "core_user_get_users_by_field"),
            ("moodlewsrestformat", "json"),
            ("field", "id"),
            ("values[0]", &id.to_string()),
        ],
    );
    assert!(body.contains("\\/theme\\/image.php"), "{body}");
    let (_, body) = post(
        &f,
        &[
            ("wstoken", &f.token()),
            ("wsfunction", "core_user_delete_users"),
            ("moodlewsrestformat", "json"),
            ("userids[0]", &id.to_string()),
        ],
    );
    assert_eq!(body, "null");
}

#[test]
fn fields_beyond_max_input_vars_are_dropped() {
    let f = fake();
    f.config().max_input_vars = 6;
    // 3 reserved fields + 3 of the 4 user keys: the e-mail is dropped.
    let v = call(
        &f,
        "core_user_create_users",
        &[
            ("users[0][username]", "a"),
            ("users[0][firstname]", "A"),
            ("users[0][lastname]", "B"),
            ("users[0][email]", "a@x.org"),
        ],
    );
    assert!(debuginfo(&v).ends_with("Missing required key in single structure: email"));
    assert_eq!(f.calls().last().unwrap().fields, 6);
}

#[test]
fn non_json_format_is_refused_with_xml() {
    let f = fake();
    let (_, body) = post(&f, &[("wstoken", &f.token()), ("wsfunction", "core_webservice_get_site_info")]);
    assert!(body.starts_with("<?xml"));
}

#[test]
fn rest_disabled_answers_an_empty_body() {
    let f = fake();
    f.config().rest_enabled = false;
    let (status, body) = post(&f, &[("wstoken", &f.token())]);
    assert_eq!((status, body.as_str()), (200, ""));
}

#[test]
fn multipart_bodies_are_decoded_like_forms() {
    let f = fake();
    let b = "B0undary";
    let mut body = String::new();
    for (name, value) in [
        ("wstoken", f.token()),
        ("wsfunction", "core_user_get_users_by_field".to_string()),
        ("moodlewsrestformat", "json".to_string()),
        ("field", "username".to_string()),
        ("values[0]", "admin".to_string()),
    ] {
        body.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{b}--\r\n"));
    let mut resp = common::agent()
        .post(&f.rest_url())
        .header("Content-Type", &format!("multipart/form-data; boundary={b}"))
        .send(body.as_bytes())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v[0]["id"], 2);
}
