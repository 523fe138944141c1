//! User functions against the fake: create checks in order, atomicity, update warnings and
//! the 3.11 gate, delete rules, look-ups, pictures through upload.php.

mod common;

use common::{call, code, debuginfo, fake, user};
use lmsync_moodle_fake::{Config, FakeMoodle, PasswordPolicy};

fn create(f: &FakeMoodle, rows: &[(&str, &str)]) -> serde_json::Value {
    let mut fields = Vec::new();
    for (i, (username, email)) in rows.iter().enumerate() {
        for (k, val) in
            [("username", *username), ("firstname", "F"), ("lastname", "L"), ("email", *email), ("password", "x")]
        {
            fields.push((format!("users[{i}][{k}]"), val.to_string()));
        }
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    call(f, "core_user_create_users", &refs)
}

#[test]
fn create_is_atomic_and_names_the_duplicate() {
    let f = fake();
    user(&f, "taken");
    let v = create(&f, &[("new1", "n1@x.org"), ("taken", "t2@x.org")]);
    assert_eq!(code(&v), "invalidparameter");
    assert_eq!(debuginfo(&v), "Username already exists: taken");
    let v = call(&f, "core_user_get_users_by_field", &[("field", "username"), ("values[0]", "new1")]);
    assert_eq!(v.as_array().unwrap().len(), 0, "rolled back");
    let v = create(&f, &[("new1", "n1@x.org"), ("new2", "n2@x.org")]);
    assert_eq!(v[1]["username"], "new2");
}

#[test]
fn create_checks_email_and_password_policy() {
    let f = fake();
    assert_eq!(debuginfo(&create(&f, &[("a", "not-an-email")])), "Email address is invalid: not-an-email");
    user(&f, "b");
    assert_eq!(debuginfo(&create(&f, &[("c", "B@example.org")])), "Email address already exists: B@example.org");
    f.config().password_policy = Some(PasswordPolicy { min_length: 8 });
    let v = create(&f, &[("d", "d@x.org")]);
    assert_eq!(code(&v), "<div>Passwords must be at least 8 characters long.</div>");
    assert_eq!(v["message"], "error/<div>Passwords must be at least 8 characters long.</div>");
}

#[test]
fn lookups_refuse_uncleaned_values() {
    let f = fake();
    let v = call(&f, "core_user_get_users_by_field", &[("field", "username"), ("values[0]", "JDoe")]);
    assert_eq!(debuginfo(&v), "The field 'username' value is invalid: JDoe(cleaned value: jdoe)");
}

#[test]
fn update_reports_warnings_per_user_from_4_0() {
    let f = fake();
    let a = user(&f, "ua").to_string();
    let b = user(&f, "ub").to_string();
    let v = call(
        &f,
        "core_user_update_users",
        &[("users[0][id]", &a), ("users[0][email]", "bad"), ("users[1][id]", &b), ("users[1][city]", "Paris")],
    );
    assert_eq!(v["warnings"][0]["warningcode"], "useremailinvalid");
    assert_eq!(v["warnings"][0]["itemid"], a.parse::<i64>().unwrap());
    assert_eq!(f.state().users[&b.parse().unwrap()].extra["city"], "Paris");
}

#[test]
fn update_is_atomic_below_4_0_and_policy_breaks_the_response() {
    let f = FakeMoodle::start(Config::default().with_release(3, 11)).unwrap();
    let a = user(&f, "ua").to_string();
    let v =
        call(&f, "core_user_update_users", &[("users[0][id]", &a), ("users[0][city]", "X"), ("users[1][id]", "999")]);
    assert_eq!(code(&v), "invalidrecord");
    assert!(!f.state().users[&a.parse().unwrap()].extra.contains_key("city"));
    let f = fake();
    let a = user(&f, "ua").to_string();
    let b = user(&f, "ub").to_string();
    f.config().password_policy = Some(PasswordPolicy { min_length: 8 });
    let v = call(
        &f,
        "core_user_update_users",
        &[("users[0][id]", &a), ("users[0][password]", "short"), ("users[1][id]", &b), ("users[1][city]", "Y")],
    );
    assert_eq!(v["exception"], "invalid_response_exception");
    assert_eq!(f.state().users[&b.parse().unwrap()].extra["city"], "Y", "the other user was updated");
}

#[test]
fn delete_refuses_admin_and_rewrites_the_record() {
    let f = fake();
    assert_eq!(code(&call(&f, "core_user_delete_users", &[("userids[0]", "2")])), "useradminodelete");
    assert_eq!(code(&call(&f, "core_user_delete_users", &[("userids[0]", "99")])), "invalidrecord");
    let id = user(&f, "gone");
    call(&f, "core_user_delete_users", &[("userids[0]", &id.to_string())]);
    let v = call(&f, "core_user_get_users_by_field", &[("field", "username"), ("values[0]", "gone")]);
    assert_eq!(v.as_array().unwrap().len(), 0);
    let st = f.state();
    assert!(st.users[&id].deleted && st.users[&id].username.starts_with("gone@example.org."));
}

#[test]
fn picture_upload_then_update_picture() {
    let f = fake();
    let id = user(&f, "pic").to_string();
    let files = common::upload(&f, &f.token(), "p.png", b"\x89PNG....");
    assert_eq!(files[0]["userid"], "2");
    let item = files[0]["itemid"].as_i64().unwrap().to_string();
    let v = call(&f, "core_user_update_picture", &[("draftitemid", &item), ("userid", &id)]);
    assert_eq!(v["success"], true);
    assert!(v["profileimageurl"].as_str().unwrap().contains("/user/icon/"));
    let v = call(&f, "core_user_update_picture", &[("draftitemid", "12345"), ("userid", &id)]);
    assert_eq!(v["success"], false);
    f.config().services[0].uploadfiles = false;
    let v = common::upload(&f, &f.token(), "p.png", b"x");
    assert_eq!(v["errorcode"], "accessexception");
    assert!(v["stacktrace"].is_null());
}

#[test]
fn get_users_ands_criteria_and_warns_on_unknown_keys() {
    let f = fake();
    user(&f, "alice");
    user(&f, "alan");
    let v = call(
        &f,
        "core_user_get_users",
        &[
            ("criteria[0][key]", "email"),
            ("criteria[0][value]", "al%@example.org"),
            ("criteria[1][key]", "city"),
            ("criteria[1][value]", "x"),
        ],
    );
    assert_eq!(v["users"].as_array().unwrap().len(), 2);
    assert_eq!(v["warnings"][0]["warningcode"], "invalidfieldparameter");
    let v = call(
        &f,
        "core_user_get_users",
        &[
            ("criteria[0][key]", "auth"),
            ("criteria[0][value]", "manual"),
            ("criteria[1][key]", "auth"),
            ("criteria[1][value]", "x"),
        ],
    );
    assert_eq!(code(&v), "keyalreadyset");
}

#[test]
fn a_missing_capability_is_nopermissions_before_or_after_validation() {
    let f = fake();
    f.config().denied_capabilities.insert("moodle/user:create".into());
    let v = call(&f, "core_user_create_users", &[("users[0][username]", "BAD")]);
    assert_eq!(code(&v), "nopermissions", "create_users checks before validating");
    assert_eq!(v["message"], "Sorry, but you do not currently have permissions to do that (moodle/user:create).");
    f.config().denied_capabilities.insert("moodle/user:delete".into());
    let v = call(&f, "core_user_delete_users", &[("userids[0]", "x")]);
    assert_eq!(code(&v), "invalidparameter", "delete_users validates first");
}
