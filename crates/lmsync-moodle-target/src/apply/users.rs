//! Accounts on Moodle (spec §2.1): created in all-or-nothing batches (a bad account is
//! isolated by bisection), updated with only the keys that change (per account since 4.0),
//! passwords sent in calls of their own (a policy refusal spoils a whole answer), deleted.
//! Then each account's enrolment steps and the cohort it joins.

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind, FieldValue, User, UserField, UserUpdate};
use lmsync_moodle::{ChunkOptions, Param, Params, apply_in_chunks};
use rand::Rng;
use serde_json::Value;

use super::enrols::Steps;
use super::{Entry, Work};
use crate::calls::{refusal, write};
use crate::json::{int, list, text};
use crate::records::{self, Hashes};
use crate::{MoodleTarget, local_failure, stop};

/// The user keys `core_user_update_users` accepts, by field (the others it refuses).
fn update_key(field: UserField) -> Option<&'static str> {
    Some(match field {
        UserField::Username => "username",
        UserField::Auth => "auth",
        UserField::Suspended => "suspended",
        UserField::Idnumber => "idnumber",
        UserField::Firstname => "firstname",
        UserField::Lastname => "lastname",
        UserField::Email => "email",
        UserField::Phone1 => "phone1",
        UserField::Phone2 => "phone2",
        UserField::Institution => "institution",
        UserField::Department => "department",
        UserField::Address => "address",
        UserField::City => "city",
        UserField::Country => "country",
        UserField::Lang => "lang",
        UserField::Timezone => "timezone",
        UserField::Description => "description",
        UserField::Maildisplay => "maildisplay",
        UserField::Mailformat => "mailformat",
        UserField::Deleted
        | UserField::Icq
        | UserField::Url
        | UserField::Maildigest
        | UserField::Autosubscribe
        | UserField::Trackforums => return None,
    })
}

fn value(v: &FieldValue) -> Param {
    match v {
        FieldValue::Text(s) => Param::from(s.as_str()),
        FieldValue::Int(i) => Param::from(*i),
        FieldValue::Bool(b) => Param::from(*b),
    }
}

/// A password nobody knows, meeting Moodle's default policy: for accounts created without one
/// (Moodle requires a password for its own authentication methods).
fn unknown_password() -> String {
    let mut rng = rand::rng();
    let alphabet = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut p: String = (0..24).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect();
    p.push_str("aZ9#");
    p
}

fn pairs(list: &[(String, String)], key: &str) -> Param {
    Param::list(
        list.iter().map(|(k, v)| Param::obj([("type", Param::from(k.as_str())), (key, Param::from(v.as_str()))])),
    )
}

/// The create structure of an account: its non-empty fields only (an empty `lang` or
/// `timezone` would be refused as invalid).
fn create_item(u: &User, preferences: &[(String, String)]) -> Param {
    let mut s: Vec<(String, Param)> = vec![
        ("username".into(), u.username.to_lowercase().into()),
        ("auth".into(), if u.auth.is_empty() { "manual" } else { u.auth.as_str() }.into()),
        ("password".into(), u.password_clear.as_ref().map_or_else(unknown_password, |p| p.0.clone()).into()),
        ("firstname".into(), u.firstname.as_str().into()),
        ("lastname".into(), u.lastname.as_str().into()),
        ("email".into(), u.email.trim().into()),
    ];
    for (key, v) in [
        ("idnumber", &u.idnumber),
        ("city", &u.city),
        ("country", &u.country),
        ("timezone", &u.timezone),
        ("description", &u.description),
        ("institution", &u.institution),
        ("department", &u.department),
        ("address", &u.address),
        ("phone1", &u.phone1),
        ("phone2", &u.phone2),
        ("lang", &u.lang),
    ] {
        if !v.is_empty() {
            s.push((key.into(), v.as_str().into()));
        }
    }
    s.push(("maildisplay".into(), u.maildisplay.into()));
    s.push(("mailformat".into(), u.mailformat.into()));
    let custom: Vec<(String, String)> = u.profile.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if !custom.is_empty() {
        s.push(("customfields".into(), pairs(&custom, "value")));
    }
    if !preferences.is_empty() {
        s.push(("preferences".into(), pairs(preferences, "value")));
    }
    Param::Struct(s)
}

/// Why an account's `field` cannot be written: core Moodle's user functions have no such key.
fn cannot_take(field: UserField) -> ChangeError {
    ChangeError::new(
        "moodle.unsupported",
        format!("Moodle's web services cannot set an account's {}; leave that column out", field.name()),
    )
}

/// A text field a new account may not have on Moodle: `core_user_create_users` has no key for
/// it, so it would be dropped unseen and every later run would fail to change it.
fn untakeable(u: &User) -> Option<UserField> {
    [(UserField::Url, &u.url), (UserField::Icq, &u.icq)].into_iter().find(|(_, v)| !v.is_empty()).map(|(f, _)| f)
}

/// The update structure of an account's changed keys (password apart), or why Moodle cannot
/// take them.
fn update_item(u: &UserUpdate) -> Result<Option<Param>, ChangeError> {
    let mut s: Vec<(String, Param)> = vec![("id".into(), u.id.into())];
    for (field, _, new) in &u.fields {
        match update_key(*field) {
            Some(key) => s.push((key.into(), value(new))),
            None => return Err(cannot_take(*field)),
        }
    }
    let custom: Vec<(String, String)> = u.profile.iter().map(|(k, _, v)| (k.clone(), v.clone())).collect();
    if !custom.is_empty() {
        s.push(("customfields".into(), pairs(&custom, "value")));
    }
    if !u.preferences.is_empty() {
        s.push(("preferences".into(), pairs(&u.preferences, "value")));
    }
    Ok((s.len() > 1).then_some(Param::Struct(s)))
}

/// The answer to a password change was spoilt by a policy refusal (an invalid response).
fn policy_refusal(e: &lmsync_moodle::WsError) -> bool {
    e.exception().is_some_and(|x| x.exception == "invalid_response_exception")
}

fn password_refused(e: &lmsync_moodle::WsError) -> ChangeError {
    ChangeError::new(
        "moodle.password_policy",
        format!("the site's password policy refused the new password; give one that meets it ({e})"),
    )
}

/// A dry run's checks: fields Moodle cannot set fail their line.
pub(super) fn rehearse(w: &mut Work<'_>) {
    let refused: Vec<(usize, ChangeError)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::CreateUser { user, .. } => untakeable(user).map(|f| (i, cannot_take(f))),
            ChangeKind::UpdateUser(u) => update_item(u).err().map(|e| (i, e)),
            _ => None,
        })
        .collect();
    for (i, e) in refused {
        w.fail(i, e);
    }
}

/// Fails the changes a per-account warning of `core_user_update_users` names.
fn warned(answer: &Value, w: &mut Work<'_>, items: &[(usize, (i64, Param))]) {
    for warning in list(answer, Some("warnings")) {
        let id = int(warning, "itemid");
        if let Some((i, _)) = items.iter().find(|(_, (user, _))| *user == id) {
            let code = text(warning, "warningcode");
            w.fail(
                *i,
                ChangeError::new(
                    &format!("moodle.{code}"),
                    format!("moodle refused the account: {}", text(warning, "message")),
                ),
            );
        }
    }
}

pub(crate) fn apply(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let site = t.site_key().to_string();
    // Creations.
    let refused: Vec<(usize, UserField)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::CreateUser { user, .. } => untakeable(user).map(|f| (i, f)),
            _ => None,
        })
        .collect();
    for (i, field) in refused {
        w.fail(i, cannot_take(field));
    }
    let creates: Vec<(usize, Param)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::CreateUser { user, preferences, .. } => Some((i, create_item(user, preferences))),
            _ => None,
        })
        .collect();
    let created = write(
        &t.client,
        "core_user_create_users",
        &creates,
        |items| Params::new().with("users", Param::list(items.iter().map(|(_, p)| p.clone()))),
        &mut w.failures,
    )?;
    for ((i, _), answer) in creates.iter().zip(&created) {
        let Some(answer) = answer else { continue };
        let id = int(answer, "id");
        w.ids[*i] = id;
        if let ChangeKind::CreateUser { user, .. } = &w.changes[*i].kind {
            if let Some(hash) = &user.password {
                records::set_hash(t.local.connection(), Hashes::Passwords, &site, id, hash).map_err(local_failure)?;
            }
            let after = Some(user.to_json().to_string());
            w.journal(*i, Entry { entity: "user", id, action: "create", before: None, after });
        }
    }

    // Updates: changed keys in batches, passwords one account a call.
    let mut updates: Vec<(usize, (i64, Param))> = Vec::new();
    let mut passwords: Vec<(usize, (i64, Param))> = Vec::new();
    let live: Vec<(usize, &UserUpdate)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::UpdateUser(u) => Some((i, u.as_ref())),
            _ => None,
        })
        .collect();
    for (i, u) in &live {
        match update_item(u) {
            Ok(Some(p)) => updates.push((*i, (u.id, p))),
            Ok(None) => {}
            Err(e) => w.fail(*i, e),
        }
        if let Some(clear) = &u.password_clear {
            passwords.push((
                *i,
                (u.id, Param::obj([("id", Param::from(u.id)), ("password", Param::from(clear.0.as_str()))])),
            ));
        }
    }
    let updates: Vec<_> = updates.into_iter().filter(|(i, _)| w.alive(*i)).collect();
    let build = |items: &[(usize, (i64, Param))]| {
        Params::new().with("users", Param::list(items.iter().map(|(_, (_, p))| p.clone())))
    };
    let answers = write(&t.client, "core_user_update_users", &updates, build, &mut w.failures)?;
    for a in answers.iter().flatten() {
        warned(a, w, &updates);
    }
    let passwords: Vec<_> = passwords.into_iter().filter(|(i, _)| w.alive(*i)).collect();
    let one = ChunkOptions {
        initial: 1,
        max_items: 1,
        field_limit: t.client.options().max_fields,
        ..ChunkOptions::for_function("core_user_update_users")
    };
    // One account a call: a password the site's policy refuses makes Moodle put the policy
    // text where a warning code goes, which spoils the whole answer (spec §2.1.3) — it then
    // concerns this one account only.
    for item in &passwords {
        let report = apply_in_chunks(&t.client, "core_user_update_users", std::slice::from_ref(item), build, &one);
        match (report.stopped, report.outcomes.into_iter().next()) {
            (Some(e), _) if policy_refusal(&e) => w.fail(item.0, password_refused(&e)),
            (Some(e), _) => return Err(stop(e)),
            (None, Some(lmsync_moodle::ItemOutcome::Applied(a))) => warned(&a, w, std::slice::from_ref(item)),
            (None, Some(lmsync_moodle::ItemOutcome::Failed(e))) => w.fail(item.0, refusal(&e)),
            (None, _) => {}
        }
    }
    for (i, u) in &live {
        if !w.alive(*i) {
            continue;
        }
        if let Some(hash) = u.password.as_ref().filter(|_| u.password_clear.is_some()) {
            records::set_hash(t.local.connection(), Hashes::Passwords, &site, u.id, hash).map_err(local_failure)?;
        }
        let (before, after) = u.journal();
        if !u.fields.is_empty() || !u.profile.is_empty() || u.password.is_some() || !u.preferences.is_empty() {
            let (before, after) = (Some(before.to_string()), Some(after.to_string()));
            w.journal(*i, Entry { entity: "user", id: u.id, action: "update", before, after });
        }
    }

    // Deletions.
    let deletes: Vec<(usize, i64)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::DeleteUser { id } => Some((i, *id)),
            _ => None,
        })
        .collect();
    let done = write(
        &t.client,
        "core_user_delete_users",
        &deletes,
        |items| Params::new().with("userids", Param::list(items.iter().map(|(_, id)| *id))),
        &mut w.failures,
    )?;
    for ((i, id), ok) in deletes.iter().zip(&done) {
        if ok.is_some() {
            // A deleted account loses every enrolment with it.
            for r in t.rosters.values_mut() {
                r.members.remove(id);
            }
            let before = Some(serde_json::json!({ "id": id }).to_string());
            let after = Some(r#"{"deleted":true}"#.to_string());
            w.journal(*i, Entry { entity: "user", id: *id, action: "delete", before, after });
        }
    }

    // Enrolments of the accounts' lines (courseN columns), then the cohorts they join.
    let ids = w.ids.clone();
    let steps: Vec<Steps<'_>> = w
        .each()
        .flat_map(|(i, c)| {
            let enrolments: &[(i64, Vec<lmsync_model::EnrolOp>)] = match &c.kind {
                ChangeKind::CreateUser { enrolments, .. } => enrolments,
                ChangeKind::UpdateUser(u) => &u.enrolments,
                _ => &[],
            };
            let user = ids[i];
            enrolments.iter().map(move |(course, ops)| Steps { change: i, course: *course, user, ops })
        })
        .collect();
    super::enrols::apply(t, w, &steps)?;
    join_cohorts(t, w)
}

/// The cohort column: the account joins the cohort (by idnumber, else by name).
fn join_cohorts(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let joins: Vec<(usize, (lmsync_model::CohortJoin, i64))> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::CreateUser { cohort: Some(j), .. } => Some((i, (j.clone(), w.ids[i]))),
            ChangeKind::UpdateUser(u) => u.cohort.clone().map(|j| (i, (j, u.id))),
            _ => None,
        })
        .collect();
    if joins.is_empty() {
        return Ok(());
    }
    let keys = lmsync_core::target::CohortKeys {
        ids: Vec::new(),
        idnumbers: joins.iter().map(|(_, (j, _))| j.idnumber.clone()).filter(|s| !s.is_empty()).collect(),
        names: joins.iter().map(|(_, (j, _))| j.name.clone()).collect(),
    };
    let mut cohorts = crate::lookups::cohorts::cohorts(t, &keys)?;
    cohorts.sort_by_key(|c| c.id);
    // As in the embedded store: the cohort of that name (the oldest), made when there is none,
    // with the line's idnumber when no other cohort has it.
    let mut missing: Vec<(usize, lmsync_model::CohortJoin)> = Vec::new();
    for (i, (join, _)) in &joins {
        if !cohorts.iter().any(|c| c.name == join.name) && !missing.iter().any(|(_, m)| m.name == join.name) {
            missing.push((*i, join.clone()));
        }
    }
    let created = write(
        &t.client,
        "core_cohort_create_cohorts",
        &missing,
        |items| {
            Params::new().with(
                "cohorts",
                Param::list(items.iter().map(|(_, j)| {
                    let taken = cohorts.iter().any(|c| c.idnumber == j.idnumber);
                    Param::obj([
                        ("categorytype", Param::obj([("type", Param::from("system")), ("value", Param::from(""))])),
                        ("name", Param::from(j.name.as_str())),
                        ("idnumber", Param::from(if taken { "" } else { j.idnumber.as_str() })),
                    ])
                })),
            )
        },
        &mut w.failures,
    )?;
    for ((i, join), answer) in missing.iter().zip(&created) {
        if let Some(a) = answer {
            let id = int(a, "id");
            cohorts.push(lmsync_model::Cohort { id, name: join.name.clone(), ..Default::default() });
            let after = Some(serde_json::json!({ "name": join.name, "idnumber": text(a, "idnumber") }).to_string());
            w.journal(*i, Entry { entity: "cohort", id, action: "create", before: None, after });
        }
    }
    let mut items = Vec::new();
    for (i, (join, user)) in joins {
        match cohorts.iter().find(|c| c.name == join.name) {
            Some(c) if w.alive(i) => items.push((i, (c.id, user))),
            Some(_) => {}
            None => w.fail(
                i,
                ChangeError::new("cohort.not_found", format!("cohort \"{}\" could not be made on the site", join.name)),
            ),
        }
    }
    let answers = write(
        &t.client,
        "core_cohort_add_cohort_members",
        &items,
        |items| {
            Params::new().with(
                "members",
                Param::list(items.iter().map(|(_, (cohort, user))| {
                    Param::obj([
                        (
                            "cohorttype",
                            Param::obj([("type", Param::from("id")), ("value", Param::from(cohort.to_string()))]),
                        ),
                        (
                            "usertype",
                            Param::obj([("type", Param::from("id")), ("value", Param::from(user.to_string()))]),
                        ),
                    ])
                })),
            )
        },
        &mut w.failures,
    )?;
    for ((i, (cohort, user)), answer) in items.iter().zip(&answers) {
        if answer.is_some() {
            let after = Some(serde_json::json!({ "cohort": cohort, "member": user }).to_string());
            w.journal(*i, Entry { entity: "cohort", id: *cohort, action: "update", before: None, after });
        }
    }
    Ok(())
}
