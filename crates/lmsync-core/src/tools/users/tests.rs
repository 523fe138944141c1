//! Table-driven tests of the users planner: each case is a set of existing accounts, settings,
//! one file line, and the outcome, code and change expected.

use lmsync_model::{ChangeKind, FieldValue, Outcome, User, UserField};

use super::index::UserIndex;
use super::line::{UserColumns, parse};
use super::plan::{Draft, PasswordWork, Planner};
use super::seen::Seen;
use crate::clock::Clock;
use crate::settings::{Identity, UserSettings};

const HEADER: &[&str] = &[
    "username",
    "firstname",
    "lastname",
    "idnumber",
    "email",
    "city",
    "suspended",
    "deleted",
    "password",
    "oldusername",
];

fn columns(_: &UserSettings) -> UserColumns {
    let mut c = UserColumns {
        username: 0,
        suspended: Some(6),
        deleted: Some(7),
        password: Some(8),
        oldusername: Some(9),
        ..Default::default()
    };
    for (i, name) in HEADER.iter().enumerate().take(6) {
        c.attrs.push((UserField::from_name(name).unwrap(), i));
    }
    c
}

fn user(id: i64, username: &str, idnumber: &str, email: &str) -> User {
    User {
        id,
        username: username.into(),
        idnumber: idnumber.into(),
        email: email.into(),
        firstname: "F".into(),
        lastname: "L".into(),
        auth: "manual".into(),
        lang: "en".into(),
        timezone: "99".into(),
        maildisplay: 1,
        mailformat: 1,
        autosubscribe: 1,
        ..Default::default()
    }
}

fn existing() -> Vec<User> {
    let mut gone = user(12, "gone", "G1", "gone@x.fr");
    gone.deleted = true;
    vec![
        user(10, "ann", "A1", "ann@x.fr"),
        user(11, "bob", "", "bob@x.fr"),
        gone,
        user(13, "dup1", "D", "d1@x.fr"),
        user(14, "dup2", "D", "d2@x.fr"),
        user(2, "admin", "", ""),
    ]
}

/// Plans `line` (values in HEADER order; missing trailing values are empty) against `existing()`.
fn plan_with(s: &UserSettings, line: &[&str]) -> Draft {
    let mut fields: Vec<String> = line.iter().map(|v| v.to_string()).collect();
    fields.resize(HEADER.len(), String::new());
    let parsed = parse(5, &fields, &columns(s), s, &utc()).expect("the test line is valid");
    Planner { settings: s, index: UserIndex::new(existing()), now: 1000, seen: &mut Seen::default() }.plan(&parsed)
}

fn utc() -> Clock {
    Clock::new("UTC").unwrap()
}

fn settings(identity: Identity) -> UserSettings {
    UserSettings { primary_identity: identity, ..Default::default() }
}

/// Name, settings, line values, expected outcome and error code.
type Case<'a> = (&'a str, &'a UserSettings, Vec<&'a str>, Outcome, Option<&'a str>);

#[test]
fn outcomes_and_codes() {
    let idn = settings(Identity::Idnumber);
    let uname = settings(Identity::Username);
    let no_protect = UserSettings { protect_emails: false, ..settings(Identity::Username) };
    let rename = UserSettings { allow_rename: true, ..settings(Identity::Idnumber) };
    let rename_u = UserSettings { allow_rename: true, ..settings(Identity::Username) };
    let dup_ok = UserSettings { allow_duplicate_emails: true, ..settings(Identity::Username) };
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("new account", &idn, vec!["carl", "C", "L", "C1", "carl@x.fr"], Outcome::Created, None),
        ("same values", &idn, vec!["ann", "F", "L", "A1", "ann@x.fr"], Outcome::Unchanged, None),
        ("e-mail case is a change of the stored value", &no_protect, vec!["ann", "F", "L", "A1", "ANN@x.fr"], Outcome::Updated, None),
        ("changed city", &idn, vec!["ann", "F", "L", "A1", "ann@x.fr", "Lyon"], Outcome::Updated, None),
        ("e-mail protected: kept, nothing else changes", &uname, vec!["ann", "F", "L", "A1", "new@x.fr"], Outcome::Unchanged, None),
        ("e-mail change when not protected", &no_protect, vec!["ann", "F", "L", "A1", "new@x.fr"], Outcome::Updated, None),
        ("e-mail of another account", &no_protect, vec!["ann", "F", "L", "A1", "bob@x.fr"], Outcome::Failed, Some("user.email_taken")),
        ("e-mail of another account, case-insensitive", &uname, vec!["carl", "C", "L", "", "BOB@X.FR"], Outcome::Failed, Some("user.email_taken")),
        ("shared e-mails allowed", &dup_ok, vec!["carl", "C", "L", "", "bob@x.fr"], Outcome::Created, None),
        ("e-mail of a deleted account is free", &uname, vec!["carl", "C", "L", "", "gone@x.fr"], Outcome::Created, None),
        ("idnumber of another account", &uname, vec!["carl", "C", "L", "A1"], Outcome::Failed, Some("user.idnumber_taken")),
        ("username of another account", &idn, vec!["ann", "C", "L", "C9"], Outcome::Failed, Some("user.username_taken")),
        ("account without idnumber adopted by username", &idn, vec!["bob", "F", "L", "B1", "bob@x.fr"], Outcome::Updated, None),
        ("ambiguous idnumber", &idn, vec!["dup1", "F", "L", "D"], Outcome::Failed, Some("user.ambiguous")),
        ("new username through identity refused", &idn, vec!["annie", "F", "L", "A1"], Outcome::Failed, Some("user.rename_not_allowed")),
        ("new username through identity allowed", &rename, vec!["annie", "F", "L", "A1"], Outcome::Updated, None),
        ("rename through oldusername", &rename_u, vec!["annie", "F", "L", "", "", "", "", "", "", "ann"], Outcome::Updated, None),
        ("rename onto a taken name", &rename_u, vec!["bob", "F", "L", "", "", "", "", "", "", "ann"], Outcome::Failed, Some("user.rename_target_exists")),
        ("rename source missing", &rename_u, vec!["zed", "F", "L", "", "", "", "", "", "", "nobody"], Outcome::Failed, Some("user.rename_source_missing")),
        ("oldusername without allow_rename", &uname, vec!["annie", "F", "L", "", "", "", "", "", "", "ann"], Outcome::Failed, Some("user.rename_not_allowed")),
        ("already renamed: plain update", &rename_u, vec!["ann", "F", "L", "A1", "ann@x.fr", "", "", "", "", "an"], Outcome::Unchanged, None),
        ("suspend", &uname, vec!["ann", "F", "L", "A1", "ann@x.fr", "", "1"], Outcome::Updated, None),
        ("delete", &uname, vec!["ann", "", "", "", "", "", "", "yes"], Outcome::Deleted, None),
        ("delete a missing account", &uname, vec!["zed", "", "", "", "", "", "", "1"], Outcome::Failed, Some("user.delete_not_found")),
        ("delete an already deleted account", &uname, vec!["gone", "", "", "", "", "", "", "1"], Outcome::Unchanged, None),
        ("the admin account is never deleted", &uname, vec!["admin", "", "", "", "", "", "", "1"], Outcome::Failed, Some("user.protected_account")),
        ("deleted=0 is not a deletion", &uname, vec!["ann", "F", "L", "A1", "ann@x.fr", "", "", "0"], Outcome::Unchanged, None),
        ("a deleted account reappearing is revived", &uname, vec!["gone", "F", "L"], Outcome::Updated, None),
    ];
    for (name, s, line, outcome, code) in cases {
        let d = plan_with(s, &line);
        assert_eq!((d.outcome, d.code), (outcome, code), "{name}: {}", d.message);
        assert_eq!(
            d.change.is_some(),
            matches!(outcome, Outcome::Created | Outcome::Updated | Outcome::Deleted),
            "{name}"
        );
    }
}

#[test]
fn an_update_changes_only_present_columns_and_defaults_apply_on_creation_only() {
    let s = UserSettings { default_country: "FR".into(), default_city: "Paris".into(), ..settings(Identity::Username) };
    let d = plan_with(&s, &["ann", "F", "L", "A1", "", "Lyon"]);
    let Some(ChangeKind::UpdateUser(u)) = d.change else { panic!("an update") };
    let changed: Vec<UserField> = u.fields.iter().map(|(f, _, _)| *f).collect();
    assert_eq!(changed, vec![UserField::City], "the empty e-mail column of a protected account is kept");
    let d = plan_with(&s, &["carl", "C", "L", "", "", ""]);
    let Some(ChangeKind::CreateUser { user, .. }) = d.change else { panic!("a creation") };
    assert_eq!((user.country.as_str(), user.city.as_str()), ("FR", ""), "an explicit empty city is kept empty");
    // Without a city column the default applies.
    let mut cols = columns(&s);
    cols.attrs.retain(|(f, _)| *f != UserField::City);
    let fields: Vec<String> =
        ["dan", "D", "L", "", "", "ignored", "", "", "", ""].iter().map(|v| v.to_string()).collect();
    let parsed = parse(5, &fields, &cols, &s, &utc()).unwrap();
    let d =
        Planner { settings: &s, index: UserIndex::new(existing()), now: 0, seen: &mut Seen::default() }.plan(&parsed);
    let Some(ChangeKind::CreateUser { user, .. }) = d.change else { panic!("a creation") };
    assert_eq!(user.city, "Paris");
}

#[test]
fn revival_clears_the_deleted_flag_and_says_so() {
    let d = plan_with(&settings(Identity::Username), &["gone", "F", "L"]);
    let Some(ChangeKind::UpdateUser(u)) = d.change else { panic!("an update") };
    assert!(u.fields.contains(&(UserField::Deleted, FieldValue::Bool(true), FieldValue::Bool(false))));
    assert!(d.message.contains("revived"), "{}", d.message);
}

#[test]
fn password_values_become_password_work() {
    let s = settings(Identity::Username);
    assert_eq!(
        plan_with(&s, &["carl", "C", "L", "", "", "", "", "", "s3cret"]).password,
        PasswordWork::Hash("s3cret".into())
    );
    assert_eq!(plan_with(&s, &["carl", "C", "L", "", "", "", "", "", ""]).password, PasswordWork::Generate);
    let d = plan_with(&s, &["carl", "C", "L", "", "", "", "", "", "*NOPASS*"]);
    let Some(ChangeKind::CreateUser { user, .. }) = d.change else { panic!("a creation") };
    assert_eq!(user.password.as_deref(), Some("*NOPASS*"));
    // An empty value never replaces the password of an existing account.
    assert_eq!(plan_with(&s, &["ann", "F", "L", "", "", "", "", "", ""]).password, PasswordWork::None);
    let generating = UserSettings { create_passwords: true, ..settings(Identity::Username) };
    let mut fields: Vec<String> = ["dan", "D", "L"].iter().map(|v| v.to_string()).collect();
    fields.resize(HEADER.len(), String::new());
    let mut cols = columns(&generating);
    cols.password = None;
    let parsed = parse(5, &fields, &cols, &generating, &utc()).unwrap();
    let d = Planner { settings: &generating, index: UserIndex::new(existing()), now: 0, seen: &mut Seen::default() }
        .plan(&parsed);
    assert_eq!(d.password, PasswordWork::Generate, "create_passwords covers files without a password column");
}

#[test]
fn later_lines_see_earlier_lines_of_the_same_chunk() {
    let s = settings(Identity::Username);
    let mut seen = Seen::default();
    let mut planner = Planner { settings: &s, index: UserIndex::new(existing()), now: 0, seen: &mut seen };
    let line = |values: &[&str]| {
        let mut f: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        f.resize(HEADER.len(), String::new());
        parse(7, &f, &columns(&s), &s, &utc()).unwrap()
    };
    assert_eq!(planner.plan(&line(&["carl", "C", "L", "", "c@x.fr"])).outcome, Outcome::Created);
    let second = planner.plan(&line(&["dora", "D", "L", "", "c@x.fr"]));
    assert_eq!(second.code, Some("user.email_taken"));
    assert!(second.message.contains("line 7"), "{}", second.message);
    assert_eq!(planner.plan(&line(&["carl", "C", "L"])).code, Some("user.duplicate_line"));
    // The same existing account through two different keys.
    assert_eq!(planner.plan(&line(&["bob", "B", "L", "B7"])).outcome, Outcome::Updated);
    assert_eq!(planner.plan(&line(&["bob", "B", "L"])).code, Some("user.duplicate_line"));
}
