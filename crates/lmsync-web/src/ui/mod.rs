//! The console: server-rendered pages (no JavaScript build) over the same [`Service`] as the
//! API. Every page needs a session; every form carries a CSRF token (the session's, or, on the
//! login form, one also set as a cookie); the role a page needs is checked on every route.

mod admin;
mod audit;
mod changes;
mod dashboard;
mod data;
mod entities;
mod files;
mod login;
mod runs;
mod session;
mod text;
mod tools;
mod utilities;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

use crate::{ApiError, Service};
pub use session::Sessions;
use session::{COOKIE, Session, cookie};
use text::{filters, t, tf};

#[derive(Clone)]
pub struct Console {
    pub service: Arc<dyn Service>,
    pub sessions: Arc<Sessions>,
}

/// The console's pages; an upload (a file or an upload & run) may be `max_upload_bytes` long,
/// as through the API.
pub fn routes(console: Console, max_upload_bytes: usize) -> Router {
    let upload = DefaultBodyLimit::max(max_upload_bytes);
    Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/logout", post(login::logout))
        .route("/runs", get(runs::runs_page).post(runs::start_run))
        .route("/runs/{id}", get(runs::run_page))
        .route("/runs/{id}/tryback", get(runs::tryback))
        .route("/tools/{tool}", get(tools::tool_page).post(tools::set_tool_setting))
        .route("/tools/{tool}/run", post(tools::run_with_upload).layer(upload))
        .route("/utilities", get(utilities::utilities_page))
        .route("/utilities/make-file", post(utilities::make_file))
        .route("/utilities/check", post(utilities::check_courses))
        .route("/utilities/clean-categories", post(utilities::clean_categories))
        .route("/admin/access", get(admin::access_page))
        .route("/admin/accounts", post(admin::set_account))
        .route("/admin/accounts/remove", post(admin::remove_account))
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/tokens/revoke", post(admin::revoke_token))
        .route("/admin/settings", get(admin::settings_page).post(admin::set_setting))
        .route("/admin/smtp-test", post(admin::smtp_test))
        .route("/audit", get(audit::audit_page))
        .route("/data", get(data::data_index))
        .route("/data/{what}", get(data::data_page))
        .route("/browse/categories", get(entities::categories))
        .route("/browse/course", get(entities::course))
        .route("/browse/user", get(entities::user))
        .route("/browse/user/picture", get(entities::picture))
        .route("/browse/cohort", get(entities::cohort))
        .route("/files", get(files::files_page))
        .route("/files/download", get(files::download))
        .route("/files/view", get(files::view))
        .route("/files/upload", post(files::upload).layer(upload))
        .route("/files/delete", post(files::delete))
        .route("/files/rename", post(files::rename))
        .route("/files/folder", post(files::new_folder))
        .route_layer(axum::middleware::from_fn_with_state(console.clone(), signed_in))
        .route("/login", get(login::login_page).post(login::login))
        .with_state(console)
}

/// Anyone without a session goes to the login page before a form or an upload is even read:
/// a stranger learns nothing from how a request is malformed, and sends no large body for
/// nothing.
async fn signed_in(
    axum::extract::State(c): axum::extract::State<Console>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if session_of(&c, request.headers()).is_none() {
        return Redirect::to("/login").into_response();
    }
    next.run(request).await
}

/// What every page's header shows: who is logged in, and the links their role opens.
pub struct Nav {
    pub username: String,
    pub role: &'static str,
    pub csrf: String,
    pub may_run: bool,
    pub is_admin: bool,
}

impl Nav {
    fn of(s: &Session) -> Nav {
        Nav {
            username: s.username.clone(),
            role: s.role.as_str(),
            csrf: s.csrf.clone(),
            may_run: s.role.allows(Role::Operator),
            is_admin: s.role.allows(Role::Admin),
        }
    }
}

/// A request the console turns away: the response saying why (the login page, a missing role,
/// an expired form, or the service's own error).
pub struct Refusal(Box<Response>);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::page(StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), &e.message)
    }
}

/// The page saying why a request was turned away, with a way back.
#[derive(Template)]
#[template(path = "refused.html")]
struct RefusedPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl Refusal {
    fn forbidden(message: &str) -> Self {
        Refusal::page(StatusCode::FORBIDDEN, message)
    }

    fn page(status: StatusCode, message: &str) -> Self {
        let title = match status {
            StatusCode::FORBIDDEN => t("refused.forbidden"),
            StatusCode::NOT_FOUND => t("refused.not_found"),
            StatusCode::CONFLICT => t("refused.conflict"),
            s if s.is_server_error() => t("refused.failed"),
            _ => t("refused.refused"),
        };
        let body = RefusedPage { title, message }.render().unwrap_or_else(|_| message.to_string());
        Refusal(Box::new((status, Html(body)).into_response()))
    }
}

/// What a console handler answers.
type Page = Result<Response, Refusal>;

fn html(page: impl Template) -> Page {
    match page.render() {
        Ok(body) => Ok(Html(body).into_response()),
        Err(e) => Err(ApiError::internal(tf("refused.page_broken", &[("error", &e)])).into()),
    }
}

/// `Secure` when the console is reached through TLS (directly or behind a proxy that says so).
fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    if https { "; Secure" } else { "" }
}

fn session_of(c: &Console, headers: &HeaderMap) -> Option<(String, Session)> {
    let id = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|h| cookie(h, COOKIE))?.to_string();
    let s = c.sessions.get(&id)?;
    Some((id, s))
}

/// The session of someone with at least `role`: no session goes to the login page, a lesser
/// role is refused.
fn require(c: &Console, headers: &HeaderMap, role: Role) -> Result<Session, Refusal> {
    match session_of(c, headers) {
        None => Err(Refusal(Box::new(Redirect::to("/login").into_response()))),
        Some((_, s)) if s.role.allows(role) => Ok(s),
        Some(_) => Err(Refusal::forbidden(match role {
            Role::Admin => t("refused.admins_only"),
            _ => t("refused.operators_only"),
        })),
    }
}

/// As [`require`], for a form: its CSRF token must be the session's.
fn require_form(c: &Console, headers: &HeaderMap, role: Role, csrf: &str) -> Result<Session, Refusal> {
    let s = require(c, headers, role)?;
    if csrf.is_empty() || s.csrf != csrf {
        return Err(Refusal::forbidden(t("refused.form_expired")));
    }
    Ok(s)
}

/// Runs a service call on the blocking pool (it opens the store).
async fn call<T: Send + 'static>(
    c: &Console,
    f: impl FnOnce(&dyn Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, Refusal> {
    let service = c.service.clone();
    match tokio::task::spawn_blocking(move || f(service.as_ref())).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(ApiError::internal(tf("refused.call_failed", &[("error", &e)])).into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

fn when(ts: Option<i64>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(|| "—".to_string(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A JSON value as the text of a table cell.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A download: bytes as an attachment (never rendered by the browser).
fn attachment(name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    let mut r = bytes.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Percent-encodes a query or path value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Back to a page with a notice (after a form that changed something: reloading it then does
/// not send the form again).
fn back(to: &str, notice: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}notice={}", encode(notice))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_paths_readable_and_escapes_the_rest() {
        assert_eq!(encode("in/a b&c.csv"), "in/a%20b%26c.csv");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn back_adds_the_notice_to_any_query() {
        let r = back("/files?dir=in", "done & dusted");
        assert_eq!(r.headers()[header::LOCATION], "/files?dir=in&notice=done%20%26%20dusted");
        assert_eq!(back("/x", "y").headers()[header::LOCATION], "/x?notice=y");
    }
}
