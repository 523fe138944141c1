//! Users (spec §2.1, §2.2): look-up, create (atomic, the checks of §2.1.2 in order),
//! update (per-user warnings from 4.0, atomic below), delete (atomic), picture.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde_json::{Value, json};

use super::{Ctx, Function, boolean, copy_strs, int, items, opt_int, opt_str, str_of, warning, warnings_desc};
use crate::config::Config;
use crate::error::WsError;
use crate::state::{CONTEXT_USER, User};
use crate::validate::{Desc, Type, Type::*, clean_scalar, list, s, v};

/// Keys of a user record shared by create and update (all optional here).
const TEXT_KEYS: [(&str, Type); 17] = [
    ("maildisplay", Int),
    ("city", Text),
    ("country", Alpha),
    ("description", Raw),
    ("firstnamephonetic", NoTags),
    ("lastnamephonetic", NoTags),
    ("middlename", NoTags),
    ("alternatename", NoTags),
    ("interests", Text),
    ("institution", Text),
    ("department", Text),
    ("phone1", NoTags),
    ("phone2", NoTags),
    ("address", Text),
    ("calendartype", Plugin),
    ("theme", Theme),
    ("mailformat", Int),
];

fn type_value_list() -> Desc {
    list(s(vec![("type", v(AlphaNumExt)), ("value", v(Raw))])).opt()
}

fn create_desc(cfg: &Config) -> Vec<(&'static str, Desc)> {
    let mut keys = vec![
        ("createpassword", v(Bool).opt()),
        ("username", v(Username)),
        ("auth", v(Auth).def("manual")),
        ("password", v(Raw).opt()),
        ("firstname", v(NoTags)),
        ("lastname", v(NoTags)),
        ("email", v(RawTrimmed)),
        ("timezone", v(Timezone).opt()),
        ("idnumber", v(Raw).def("")),
        ("lang", v(Lang).def(cfg.default_lang.clone())),
    ];
    keys.extend(TEXT_KEYS.iter().map(|(k, t)| (*k, v(*t).opt())));
    keys.push(("customfields", type_value_list()));
    keys.push(("preferences", list(s(vec![("type", v(Raw)), ("value", v(Raw))])).opt()));
    keys
}

fn update_desc() -> Vec<(&'static str, Desc)> {
    let mut keys = vec![
        ("id", v(Int)),
        ("username", v(Username).opt()),
        ("auth", v(Auth).opt()),
        ("suspended", v(Bool).opt()),
        ("password", v(Raw).opt()),
        ("firstname", v(NoTags).opt()),
        ("lastname", v(NoTags).opt()),
        ("email", v(RawTrimmed).opt()),
        ("timezone", v(Timezone).opt()),
        ("idnumber", v(Raw).opt()),
        ("lang", v(Lang).opt()),
        ("userpicture", v(Int).opt()),
    ];
    keys.extend(TEXT_KEYS.iter().map(|(k, t)| (*k, v(*t).opt())));
    keys.push(("customfields", type_value_list()));
    keys.push(("preferences", list(s(vec![("type", v(Raw)), ("value", v(Raw))])).opt()));
    keys
}

pub(crate) fn user_return() -> Desc {
    let name_value = |k: &'static str| list(s(vec![(k, v(Raw)), ("value", v(Raw))])).opt();
    s(vec![
        ("id", v(Int)),
        ("username", v(Raw).opt()),
        ("firstname", v(NoTags).opt()),
        ("lastname", v(NoTags).opt()),
        ("fullname", v(NoTags)),
        ("email", v(Text).opt()),
        ("idnumber", v(Raw).opt()),
        ("auth", v(Plugin).opt()),
        ("suspended", v(Bool).opt()),
        ("confirmed", v(Bool).opt()),
        ("lang", v(SafeDir).opt()),
        ("timezone", v(Timezone).opt()),
        ("city", v(NoTags).opt()),
        ("country", v(Alpha).opt()),
        ("institution", v(Text).opt()),
        ("department", v(Text).opt()),
        ("description", v(Raw).opt()),
        ("profileimageurlsmall", v(Url)),
        ("profileimageurl", v(Url)),
        (
            "customfields",
            list(s(vec![("type", v(AlphaNumExt)), ("value", v(Raw)), ("name", v(Raw)), ("shortname", v(Raw))])).opt(),
        ),
        ("preferences", name_value("name")),
    ])
}

pub fn functions(cfg: &Config) -> Vec<Function> {
    let update = Function::write(
        "core_user_update_users",
        vec![("users", list(s(update_desc())))],
        Some(s(vec![("warnings", warnings_desc())])),
        update_users,
    )
    .cap("moodle/user:update");
    let update = if cfg.at_least(4, 0) { update.no_transaction() } else { Function { returns: None, ..update } };
    vec![
        Function::read(
            "core_user_get_users_by_field",
            vec![("field", v(Alpha)), ("values", list(v(Raw)))],
            list(user_return()),
            get_users_by_field,
        ),
        Function::read(
            "core_user_get_users",
            vec![("criteria", list(s(vec![("key", v(Alpha)), ("value", v(Raw))])))],
            s(vec![("users", list(user_return())), ("warnings", warnings_desc())]),
            get_users,
        ),
        Function::write(
            "core_user_create_users",
            vec![("users", list(s(create_desc(cfg))))],
            Some(list(s(vec![("id", v(Int)), ("username", v(Raw))]))),
            create_users,
        )
        .cap("moodle/user:create")
        .cap_first(),
        update,
        Function::write("core_user_delete_users", vec![("userids", list(v(Int)))], None, delete_users)
            .cap("moodle/user:delete"),
        Function::write(
            "core_user_update_picture",
            vec![("draftitemid", v(Int)), ("delete", v(Bool).def(false)), ("userid", v(Int).def(0))],
            Some(s(vec![("success", v(Bool)), ("profileimageurl", v(Url).opt()), ("warnings", warnings_desc())])),
            update_picture,
        )
        .cap("moodle/user:editprofile")
        .no_transaction(),
    ]
}

pub(crate) fn picture_url(ctx: &Ctx, u: &User) -> String {
    match (u.picture, ctx.st.context_id(CONTEXT_USER, u.id)) {
        (p, Some(c)) if p > 0 => format!("{}/pluginfile.php/{c}/user/icon/boost/f1?rev={p}", ctx.wwwroot),
        _ => format!("{}/theme/image.php/boost/core/1/u/f1", ctx.wwwroot),
    }
}

pub(crate) fn user_json(ctx: &Ctx, u: &User) -> Value {
    let mut o = json!({
        "id": u.id, "username": u.username, "firstname": u.firstname, "lastname": u.lastname,
        "fullname": format!("{} {}", u.firstname, u.lastname), "email": u.email,
        "idnumber": u.idnumber, "auth": u.auth, "suspended": u.suspended, "confirmed": u.confirmed,
        "lang": u.lang, "timezone": u.timezone,
        "profileimageurlsmall": picture_url(ctx, u).replace("/f1", "/f2"),
        "profileimageurl": picture_url(ctx, u),
        "customfields": u.customfields.iter()
            .map(|(k, val)| json!({"type": "text", "value": val, "name": k, "shortname": k}))
            .collect::<Vec<_>>(),
        "preferences": u.preferences.iter().map(|(k, val)| json!({"name": k, "value": val})).collect::<Vec<_>>(),
    });
    for (k, val) in &u.extra {
        o[k.as_str()] = Value::String(val.clone());
    }
    o
}

fn get_users_by_field(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let field = str_of(p, "field");
    let ty = match field {
        "id" => Int,
        "username" => Username,
        "email" => RawTrimmed,
        "idnumber" => Raw,
        _ => return Err(WsError::invalid_param("Field not allowed")),
    };
    let mut wanted = std::collections::HashSet::new();
    for value in items(p, "values") {
        let value = value.as_str().unwrap_or("");
        if clean_scalar(ty, value, ctx.cfg).is_none() {
            let cleaned = match ty {
                Int => value.trim().parse::<i64>().unwrap_or(0).to_string(),
                _ => value.trim().to_lowercase(),
            };
            return Err(WsError::invalid_param(format!(
                "The field '{field}' value is invalid: {value}(cleaned value: {cleaned})"
            )));
        }
        // E-mails match whatever their case, as in Moodle's query.
        wanted.insert(if field == "email" { value.to_lowercase() } else { value.to_string() });
    }
    // One pass over the accounts (an indexed query in Moodle), whatever the number of values.
    let mut found = Vec::new();
    for u in ctx.st.users.values().filter(|u| !u.deleted) {
        let hit = match field {
            "id" => wanted.contains(&u.id.to_string()),
            "username" => wanted.contains(&u.username),
            "email" => wanted.contains(&u.email.to_lowercase()),
            _ => wanted.contains(&u.idnumber),
        };
        if hit {
            found.push(u.id);
        }
    }
    found.sort();
    let st = &ctx.st;
    let users: Vec<User> = found.iter().filter_map(|id| st.users.get(id).cloned()).collect();
    Ok(Value::Array(users.iter().map(|u| user_json(ctx, u)).collect()))
}

/// `%` wildcards of `core_user_get_users` (case-insensitive LIKE).
fn like(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.to_lowercase(), value.to_lowercase());
    let parts: Vec<&str> = p.split('%').collect();
    if parts.len() == 1 {
        return p == v;
    }
    let mut rest = v.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else { return false };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

fn get_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut warnings = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut criteria = Vec::new();
    for c in items(p, "criteria") {
        let (key, value) = (str_of(c, "key"), str_of(c, "value"));
        if seen.contains(&key) {
            let why = format!("The key {key} can only be sent once");
            return Err(WsError::moodle("keyalreadyset", "error/keyalreadyset").with_debug(why));
        }
        seen.push(key);
        if ["id", "idnumber", "username", "email", "auth", "firstname", "lastname"].contains(&key) {
            criteria.push((key, value));
        } else {
            warnings.push(json!({"item": key, "warningcode": "invalidfieldparameter",
                "message": format!("The search key '{key}' is not supported, look at the web service documentation")}));
        }
    }
    let matches = |u: &User| {
        criteria.iter().all(|(k, val)| match *k {
            "id" => u.id.to_string() == *val,
            "idnumber" => u.idnumber == *val,
            "username" => u.username == *val,
            "auth" => u.auth == *val,
            "email" => like(val, &u.email),
            "firstname" => like(val, &u.firstname),
            _ => like(val, &u.lastname),
        })
    };
    let users: Vec<User> = if criteria.is_empty() {
        Vec::new()
    } else {
        ctx.st.users.values().filter(|u| !u.deleted && matches(u)).cloned().collect()
    };
    Ok(json!({"users": users.iter().map(|u| user_json(ctx, u)).collect::<Vec<_>>(), "warnings": warnings}))
}

/// Moodle's `validate_email`, in essence: local part, `@`, dotted domain labels.
pub(crate) fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let labels: Vec<&str> = domain.split('.').collect();
    local_ok
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn policy_error(cfg: &Config, password: &str) -> Option<String> {
    let policy = cfg.password_policy.as_ref()?;
    (password.chars().count() < policy.min_length)
        .then(|| format!("<div>Passwords must be at least {} characters long.</div>", policy.min_length))
}

fn policy_exception(text: String) -> WsError {
    WsError::moodle(&text, format!("error/{text}"))
}

fn email_taken(ctx: &Ctx, email: &str, except: i64) -> bool {
    !ctx.cfg.allowaccountssameemail
        && ctx.st.users.values().any(|u| !u.deleted && u.id != except && u.email.eq_ignore_ascii_case(email))
}

fn pairs(p: &Value, key: &str, name: &str) -> BTreeMap<String, String> {
    items(p, key).iter().map(|i| (str_of(i, name).to_string(), str_of(i, "value").to_string())).collect()
}

fn apply_common(u: &mut User, p: &Value) {
    for (k, _) in TEXT_KEYS {
        if let Some(val) = p.get(k) {
            let val = val.as_str().map_or_else(|| val.to_string(), String::from);
            u.extra.insert(k.to_string(), val);
        }
    }
    u.customfields.extend(pairs(p, "customfields", "type"));
    u.preferences.extend(pairs(p, "preferences", "type"));
}

fn create_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let mut created = Vec::new();
    for item in items(p, "users") {
        let bad = WsError::invalid_param;
        for key in ["username", "firstname", "lastname"] {
            if str_of(item, key).trim().is_empty() {
                return Err(bad(format!("The field {key} cannot be blank")));
            }
        }
        let username = str_of(item, "username");
        if ctx.st.users.values().any(|u| !u.deleted && u.username == username) {
            return Err(bad(format!("Username already exists: {username}")));
        }
        let auth = str_of(item, "auth");
        if auth == "mnet" || auth == "webservice" || !ctx.cfg.auths.iter().any(|a| a == auth) {
            return Err(bad(format!("Invalid authentication type: {auth}")));
        }
        let lang = str_of(item, "lang");
        if !ctx.cfg.langs.iter().any(|l| l == lang) {
            return Err(bad(format!("Invalid language code: {lang}")));
        }
        if let Some(theme) = opt_str(item, "theme").filter(|t| !ctx.cfg.themes.iter().any(|x| x == t)) {
            return Err(bad(format!("Invalid theme: {theme}")));
        }
        let internal = ["manual", "email", "nologin"].contains(&auth);
        let password = opt_str(item, "password");
        if internal && password.is_none() && !boolean(item, "createpassword") {
            return Err(bad("Invalid password: you must provide a password, or set createpassword.".into()));
        }
        let email = str_of(item, "email");
        if !valid_email(email) {
            return Err(bad(format!("Email address is invalid: {email}")));
        }
        if email_taken(ctx, email, 0) {
            return Err(bad(format!("Email address already exists: {email}")));
        }
        if let Some(text) = password.and_then(|pw| policy_error(ctx.cfg, pw)) {
            return Err(policy_exception(text));
        }
        let id = ctx.st.next_id("user");
        let mut u = User {
            id,
            username: username.into(),
            auth: auth.into(),
            password: password.map(String::from).or_else(|| Some("generated".into())),
            confirmed: true,
            firstname: str_of(item, "firstname").into(),
            lastname: str_of(item, "lastname").into(),
            email: email.into(),
            idnumber: str_of(item, "idnumber").into(),
            lang: lang.into(),
            timezone: opt_str(item, "timezone").unwrap_or("99").into(),
            ..User::default()
        };
        apply_common(&mut u, item);
        ctx.st.users.insert(id, u);
        ctx.st.new_context(CONTEXT_USER, id);
        created.push(json!({"id": id, "username": username}));
    }
    Ok(Value::Array(created))
}

/// A picture from a draft area: a new picture id when it holds exactly one image.
fn picture_from_draft(ctx: &mut Ctx, draftid: i64) -> Option<i64> {
    let files = ctx.st.drafts.get(&draftid)?;
    let image = |n: &str| {
        let n = n.to_lowercase();
        [".png", ".jpg", ".jpeg", ".gif", ".webp"].iter().any(|e| n.ends_with(e))
    };
    (files.len() == 1 && image(&files[0].filename)).then(|| ctx.st.next_id("files"))
}

/// Updates one user; `Err((code, message))` is its warning.
fn update_one(ctx: &mut Ctx, item: &Value) -> Result<(), (String, String)> {
    let w = |c: &str, m: &str| Err((c.to_string(), m.to_string()));
    let id = int(item, "id");
    let Some(existing) = ctx.st.users.get(&id).cloned() else { return w("invaliduserid", "Invalid user ID") };
    if existing.deleted {
        return w("usernotupdateddeleted", "error/usernotupdateddeleted");
    }
    if id == 1 {
        return w("usernotupdatedguest", "error/usernotupdatedguest");
    }
    if ctx.st.admins.contains(&id) && !ctx.st.admins.contains(&ctx.userid) {
        return w("usernotupdatedadmin", "Cannot update admin accounts");
    }
    let mut u = existing;
    if let Some(email) = opt_str(item, "email") {
        if !valid_email(email) {
            return w("useremailinvalid", "error/useremailinvalid");
        }
        if email_taken(ctx, email, id) {
            return w("useremailduplicate", "Duplicate address");
        }
        u.email = email.into();
    }
    if let Some(username) = opt_str(item, "username") {
        if ctx.st.users.values().any(|x| x.id != id && x.username == username) {
            return w("dmlwriteexception", "Error writing to database");
        }
        u.username = username.into();
    }
    copy_strs(
        item,
        [
            ("auth", &mut u.auth),
            ("firstname", &mut u.firstname),
            ("lastname", &mut u.lastname),
            ("idnumber", &mut u.idnumber),
            ("lang", &mut u.lang),
            ("timezone", &mut u.timezone),
        ],
    );
    if let Some(susp) = item.get("suspended").and_then(Value::as_bool) {
        u.suspended = susp;
    }
    match opt_int(item, "userpicture") {
        Some(0) => u.picture = 0,
        Some(draft) => u.picture = picture_from_draft(ctx, draft).unwrap_or(u.picture),
        None => {}
    }
    apply_common(&mut u, item);
    if let Some(pw) = opt_str(item, "password") {
        if let Some(text) = policy_error(ctx.cfg, pw) {
            return Err((text.clone(), text));
        }
        u.password = Some(pw.into());
    }
    ctx.st.users.insert(id, u);
    Ok(())
}

fn update_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let per_item = ctx.cfg.at_least(4, 0);
    let mut warnings = Vec::new();
    for item in items(p, "users") {
        let snapshot = ctx.st.clone();
        if let Err((code, message)) = update_one(ctx, item) {
            if !per_item {
                return Err(match code.as_str() {
                    "invaliduserid" => WsError::missing_record("user"),
                    _ => WsError::moodle(&code, message),
                });
            }
            *ctx.st = snapshot;
            warnings.push(warning("user", int(item, "id"), &code, &message));
        }
    }
    Ok(json!({"warnings": warnings}))
}

fn hash_hex(s: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    format!("{:016x}{:016x}", h.finish(), h.finish().rotate_left(17))
}

/// Deletes a user the way `delete_user()` does: memberships gone, record rewritten.
pub(crate) fn delete_user(ctx: &mut Ctx, id: i64) {
    let st = &mut *ctx.st;
    let ues: Vec<(i64, i64)> = st
        .user_enrolments
        .values()
        .filter(|ue| ue.userid == id)
        .map(|ue| (ue.id, st.enrol_instances.get(&ue.instanceid).map_or(0, |i| i.courseid)))
        .collect();
    for (ueid, _) in &ues {
        st.user_enrolments.remove(ueid);
    }
    st.role_assignments.retain(|_, ra| ra.userid != id);
    st.group_members.retain(|m| m.userid != id);
    st.cohort_members.retain(|(_, u)| *u != id);
    if let Some(u) = st.users.get_mut(&id) {
        let old = u.username.clone();
        u.username = format!("{}.{}", u.email, ctx.now);
        u.email = hash_hex(&old);
        u.idnumber.clear();
        u.picture = 0;
        u.deleted = true;
    }
}

fn delete_users(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    for id in items(p, "userids").iter().filter_map(Value::as_i64) {
        if ctx.st.live_user(id).is_none() {
            return Err(WsError::missing_record("user"));
        }
        if ctx.st.admins.contains(&id) {
            return Err(WsError::moodle("useradminodelete", "Administrator accounts cannot be deleted."));
        }
        if id == ctx.userid {
            return Err(WsError::moodle("usernotdeletederror", "User not deleted - error"));
        }
        delete_user(ctx, id);
    }
    Ok(Value::Null)
}

fn update_picture(ctx: &mut Ctx, p: &Value) -> Result<Value, WsError> {
    let userid = match int(p, "userid") {
        0 => ctx.userid,
        id => id,
    };
    let Some(user) = ctx.st.live_user(userid).cloned() else { return Err(WsError::missing_record("user")) };
    if userid == 1 {
        return Err(WsError::moodle("noguest", "Guests cannot do this"));
    }
    if ctx.st.admins.contains(&userid) && !ctx.st.admins.contains(&ctx.userid) {
        return Err(WsError::moodle("useradmineditadmin", "Only admins may edit other admins"));
    }
    let picture = if boolean(p, "delete") { Some(0) } else { picture_from_draft(ctx, int(p, "draftitemid")) };
    let Some(picture) = picture else { return Ok(json!({"success": false, "warnings": []})) };
    let mut user = user;
    user.picture = picture;
    let url = picture_url(ctx, &user);
    ctx.st.users.insert(userid, user);
    Ok(json!({"success": true, "profileimageurl": url, "warnings": []}))
}
