//! Administrators' pages: console accounts and API tokens (secrets shown once), and the
//! settings (edited in place, a test e-mail through `[smtp]`).

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

use super::session::Session;
use super::tools::typed;
use super::{Console, CsrfForm, Nav, Page, back, call, cell, filters, html, require, require_form, tf, when};
use crate::{ApiError, Service};

struct GrantRow {
    name: String,
    role: String,
    created: String,
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    nav: Nav,
    accounts: Vec<GrantRow>,
    tokens: Vec<GrantRow>,
    /// What was just created and its secret, shown once.
    secret: Option<(String, String)>,
    notice: Option<String>,
}

async fn render_access(c: &Console, s: Session, secret: Option<(String, String)>, notice: Option<String>) -> Page {
    let all = call(c, |s| s.access()).await?;
    let rows = |v: &Value| -> Vec<GrantRow> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|g| GrantRow { name: cell(&g["name"]), role: cell(&g["role"]), created: when(g["created"].as_i64()) })
            .collect()
    };
    html(AccessPage {
        nav: Nav::of(&s),
        accounts: rows(&all["accounts"]),
        tokens: rows(&all["tokens"]),
        secret,
        notice,
    })
}

pub async fn access_page(State(c): State<Console>, headers: HeaderMap) -> Page {
    let s = require(&c, &headers, Role::Admin)?;
    render_access(&c, s, None, None).await
}

#[derive(Deserialize)]
pub struct GrantForm {
    csrf: String,
    name: String,
    role: Option<String>,
}

/// What an access form did: a secret to show once, and a notice.
type Done = (Option<(String, String)>, String);

/// Checks an admin form; runs `act` on the blocking pool; shows the page again with its result
/// (the page itself, not a redirect, so that a new secret is shown once and never stored).
async fn admin_action(
    c: Console,
    headers: HeaderMap,
    form: GrantForm,
    act: impl FnOnce(&dyn Service, String, Role) -> Result<Done, ApiError> + Send + 'static,
) -> Page {
    let s = require_form(&c, &headers, Role::Admin, &form.csrf)?;
    let role = Role::parse(form.role.as_deref().unwrap_or("viewer")).unwrap_or(Role::Viewer);
    match call(&c, move |s| Ok(act(s, form.name, role))).await? {
        Ok((secret, notice)) => render_access(&c, s, secret, Some(notice)).await,
        Err(e) => render_access(&c, s, None, Some(e.message)).await,
    }
}

pub async fn set_account(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Page {
    admin_action(c, headers, form, |s, name, role| {
        let password = s.set_account(&name, role)?;
        let what = tf("access.password_of", &[("name", &name)]);
        Ok((Some((what, password)), tf("access.account_set", &[("name", &name), ("role", &role.as_str())])))
    })
    .await
}

pub async fn remove_account(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Page {
    admin_action(c, headers, form, |s, name, _| {
        s.remove_account(&name)?;
        Ok((None, tf("access.account_removed", &[("name", &name)])))
    })
    .await
}

pub async fn create_token(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Page {
    admin_action(c, headers, form, |s, name, role| {
        let token = s.create_token(&name, role)?;
        let what = tf("access.token_of", &[("name", &name)]);
        Ok((Some((what, token)), tf("access.token_created", &[("name", &name), ("role", &role.as_str())])))
    })
    .await
}

pub async fn revoke_token(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Page {
    admin_action(c, headers, form, |s, name, _| {
        s.revoke_token(&name)?;
        Ok((None, tf("access.token_revoked", &[("name", &name)])))
    })
    .await
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Nav,
    notice: Option<String>,
    /// Per section (`""` for top-level settings): `section.key` and its value in effect.
    groups: Vec<(String, Vec<(String, String)>)>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn settings_page(State(c): State<Console>, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Page {
    let s = require(&c, &headers, Role::Admin)?;
    let all = call(&c, |s| s.settings()).await?;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut general = Vec::new();
    let mut groups = Vec::new();
    for (name, v) in all.as_object().into_iter().flatten() {
        match v.as_object() {
            Some(section) => {
                groups.push((name.clone(), section.iter().map(|(k, v)| (format!("{name}.{k}"), text(v))).collect()))
            }
            None => general.push((name.clone(), text(v))),
        }
    }
    if !general.is_empty() {
        groups.insert(0, (String::new(), general));
    }
    html(SettingsPage { nav: Nav::of(&s), notice: q.notice, groups })
}

#[derive(Deserialize)]
pub struct SettingForm {
    csrf: String,
    name: String,
    value: String,
}

pub async fn set_setting(State(c): State<Console>, headers: HeaderMap, Form(form): Form<SettingForm>) -> Page {
    require_form(&c, &headers, Role::Admin, &form.csrf)?;
    let (name, value) = (form.name.clone(), typed(&form.value));
    let notice = match call(&c, move |s| Ok(s.set_setting(&name, value))).await? {
        Ok(_) => tf("settings.set", &[("name", &form.name)]),
        Err(e) => tf("settings.refused", &[("name", &form.name), ("message", &e.message)]),
    };
    Ok(back("/admin/settings", &notice))
}

pub async fn smtp_test(State(c): State<Console>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Page {
    require_form(&c, &headers, Role::Admin, &form.csrf)?;
    let notice = match call(&c, |s| Ok(s.send_test_mail())).await? {
        Ok(to) => tf("settings.mail_sent", &[("to", &to)]),
        Err(e) => tf("settings.mail_failed", &[("message", &e.message)]),
    };
    Ok(back("/admin/settings", &notice))
}
