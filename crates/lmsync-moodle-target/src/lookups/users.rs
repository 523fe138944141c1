//! Accounts by id, username, idnumber or e-mail (`core_user_get_users_by_field`, 500 values
//! a call), with the password hash lmsync last set beside them.

use lmsync_core::settings::TargetSettings;
use lmsync_core::target::{TargetError, UserKeys};
use lmsync_model::{ProfileField, ProfileFieldType, User};
use lmsync_moodle::{Param, Params};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::calls::read_all;
use crate::json::{flag, int, list, text};
use crate::records::{self, Hashes};
use crate::{MoodleTarget, local_failure, stop};

const LOOKUP: &str = "core_user_get_users_by_field";
const PER_CALL: usize = 500;

/// Every account matching any key. Moodle rewrites a deleted account's username, e-mail and
/// idnumber, so deleted accounts are found only by id (and then not at all).
pub(crate) fn users(t: &mut MoodleTarget, keys: &UserKeys) -> Result<Vec<User>, TargetError> {
    let mut calls = Vec::new();
    let mut add = |field: &str, values: Vec<String>| {
        for chunk in values.chunks(PER_CALL) {
            calls.push(Params::new().with("field", field).with("values", Param::list(chunk.iter().cloned())));
        }
    };
    add("id", keys.ids.iter().map(i64::to_string).collect());
    // Moodle cleans usernames to lower case and refuses the call when a value changes.
    add("username", keys.usernames.iter().map(|u| u.trim().to_lowercase()).filter(|u| !u.is_empty()).collect());
    add("idnumber", keys.idnumbers.iter().filter(|v| !v.is_empty()).cloned().collect());
    add("email", keys.emails.iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect());
    let answers = match read_all(&t.client, LOOKUP, calls.clone()) {
        Ok(a) => a,
        // One value Moodle refuses fails its whole call: ask value by value, a refused value
        // finds nobody.
        Err(e) if e.is_item_level() => one_by_one(t, &calls)?,
        Err(e) => return Err(stop(e)),
    };
    let mut seen = std::collections::HashSet::new();
    let mut users = Vec::new();
    for answer in &answers {
        for v in list(answer, None) {
            let user = user_from(v);
            if seen.insert(user.id) {
                users.push(user);
            }
        }
    }
    let site = t.site_key().to_string();
    let conn = t.local.connection();
    for u in &mut users {
        u.password = records::hash(conn, Hashes::Passwords, &site, u.id).map_err(local_failure)?;
        // The pictures tool compares the MD5 of the picture lmsync last sent (Moodle keeps none).
        if let Some(md5) = records::hash(conn, Hashes::Pictures, &site, u.id).map_err(local_failure)? {
            u.profile.entry("userpicturehash".into()).or_insert(md5);
        }
    }
    Ok(users)
}

fn one_by_one(t: &MoodleTarget, calls: &[Params]) -> Result<Vec<Value>, TargetError> {
    let mut answers = Vec::new();
    for call in calls {
        let (field, values) = (&call.0[0].1, &call.0[1].1);
        let Param::List(values) = values else { continue };
        for value in values {
            let one = Params::new().with("field", field.clone()).with("values", Param::List(vec![value.clone()]));
            match t.client.call_raw(LOOKUP, &one) {
                Ok(a) => answers.push(a),
                Err(e) if e.is_item_level() => {}
                Err(e) => return Err(stop(e)),
            }
        }
    }
    Ok(answers)
}

/// An account from Moodle's user structure (keys the token may not see stay empty).
pub(crate) fn user_from(v: &Value) -> User {
    let profile: BTreeMap<String, String> =
        list(v, Some("customfields")).iter().map(|f| (text(f, "shortname"), text(f, "value"))).collect();
    User {
        id: int(v, "id"),
        auth: text(v, "auth"),
        confirmed: v.get("confirmed").is_none_or(|_| flag(v, "confirmed")),
        deleted: false,
        suspended: flag(v, "suspended"),
        username: text(v, "username"),
        password: None,
        idnumber: text(v, "idnumber"),
        firstname: text(v, "firstname"),
        lastname: text(v, "lastname"),
        email: text(v, "email"),
        phone1: text(v, "phone1"),
        phone2: text(v, "phone2"),
        institution: text(v, "institution"),
        department: text(v, "department"),
        address: text(v, "address"),
        city: text(v, "city"),
        country: text(v, "country"),
        lang: text(v, "lang"),
        timezone: text(v, "timezone"),
        description: text(v, "description"),
        mailformat: int(v, "mailformat"),
        picture: i64::from(has_picture(v)),
        trackforums: int(v, "trackforums"),
        profile,
        ..User::default()
    }
}

/// Whether the account has a picture of its own: Moodle's picture address then points to the
/// account's icon file; the default picture is served by the theme.
fn has_picture(v: &Value) -> bool {
    text(v, "profileimageurl").contains("/user/icon/")
}

/// Accounts not deleted: all of Moodle's (`core_user_get_users` matching any e-mail), for
/// the delete thresholds.
pub(crate) fn active_count(t: &mut MoodleTarget) -> Result<u64, TargetError> {
    let criteria = Param::list([Param::obj([("key", "email"), ("value", "%")])]);
    let answer = t.client.call_raw("core_user_get_users", &Params::new().with("criteria", criteria)).map_err(stop)?;
    Ok(list(&answer, Some("users")).len() as u64)
}

/// Custom profile fields: core Moodle cannot list them (spec §2.13), so they are the ones
/// named in `[target] profile_fields`, taken as text.
pub(crate) fn profile_fields(settings: &TargetSettings) -> Vec<ProfileField> {
    settings
        .profile_fields
        .iter()
        .enumerate()
        .map(|(i, name)| ProfileField {
            id: i as i64 + 1,
            shortname: name.clone(),
            name: name.clone(),
            datatype: ProfileFieldType::Text,
            locked: false,
            visible: true,
            options: Vec::new(),
        })
        .collect()
}
