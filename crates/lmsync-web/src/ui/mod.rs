//! The console (server-rendered pages, no JavaScript build): log in, the dashboard, log out.
//! Every page needs a session; every form carries a CSRF token (the session's, or, on the login
//! form, one also set as a cookie); responses carry strict security headers.

mod session;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lmsync_core::access::{Role, new_token};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

use crate::Service;
pub use session::Sessions;
use session::{COOKIE, Session, cookie};

const LOGIN_CSRF: &str = "lmsync_login_csrf";

#[derive(Clone)]
pub struct Console {
    pub service: Arc<dyn Service>,
    pub sessions: Arc<Sessions>,
}

pub fn routes(console: Console) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/runs", get(runs_page).post(start_run))
        .route("/runs/{id}", get(run_page))
        .route("/runs/{id}/tryback", get(tryback))
        .route("/admin/access", get(access_page))
        .route("/admin/accounts", post(set_account))
        .route("/admin/accounts/remove", post(remove_account))
        .route("/admin/tokens", post(create_token))
        .route("/admin/tokens/revoke", post(revoke_token))
        .route("/admin/settings", get(settings_page).post(set_setting))
        .route("/admin/smtp-test", post(smtp_test))
        .route("/audit", get(audit_page))
        .route("/data", get(data_index))
        .route("/data/{what}", get(data_page))
        .route("/files", get(files_page))
        .route("/files/download", get(download))
        .route("/files/upload", post(upload))
        .route("/files/delete", post(delete))
        .with_state(console)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    error: Option<&'a str>,
}

struct TaskRow {
    name: String,
    schedule: String,
    next: String,
}

struct RunRow {
    trigger: String,
    id: i64,
    tool: String,
    status: String,
    input: String,
    counts: String,
    started: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    version: String,
    username: String,
    role: &'static str,
    csrf: String,
    may_run: bool,
    is_admin: bool,
    tasks: Vec<TaskRow>,
    runs: Vec<RunRow>,
    /// Per tool, an SVG of its last 30 runs.
    charts: Vec<(String, String)>,
    waiting: Vec<String>,
    locks: Vec<String>,
}

fn html(page: impl Template) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("the page cannot be shown: {e}")).into_response(),
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

fn when(ts: Option<i64>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(|| "—".to_string(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

async fn login_page(headers: HeaderMap) -> Response {
    let (csrf, _) = new_token();
    let mut response = html(LoginPage { csrf: &csrf, error: None });
    let cookie = format!("{LOGIN_CSRF}={csrf}; HttpOnly; SameSite=Strict; Path=/login{}", secure(&headers));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

async fn login(State(c): State<Console>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let expected = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|h| cookie(h, LOGIN_CSRF));
    let refuse = |status: StatusCode, message: &str| {
        let (csrf, _) = new_token();
        let mut r = html(LoginPage { csrf: &csrf, error: Some(message) });
        *r.status_mut() = status;
        let cookie = format!("{LOGIN_CSRF}={csrf}; HttpOnly; SameSite=Strict; Path=/login{}", secure(&headers));
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        r
    };
    if expected != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return refuse(StatusCode::FORBIDDEN, "The form expired: log in again.");
    }
    if !c.sessions.may_try(&form.username) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "Too many failed attempts: wait 15 minutes.");
    }
    let service = c.service.clone();
    let (username, password) = (form.username.clone(), form.password.clone());
    let role = tokio::task::spawn_blocking(move || service.login(&username, &password)).await;
    match role {
        Ok(Ok(Some(role))) => {
            c.sessions.succeeded(&form.username);
            let id = c.sessions.open(&form.username, role);
            let mut r = Redirect::to("/").into_response();
            let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{}", secure(&headers));
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Ok(Ok(None)) => {
            c.sessions.failed(&form.username);
            refuse(StatusCode::UNAUTHORIZED, "Unknown account or wrong password.")
        }
        _ => refuse(StatusCode::INTERNAL_SERVER_ERROR, "The store cannot be read: see the service's log."),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(c): State<Console>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let Some((id, s)) = session_of(&c, &headers) else { return Redirect::to("/login").into_response() };
    if s.csrf != form.csrf {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    c.sessions.close(&id);
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn dashboard(State(c): State<Console>, headers: HeaderMap) -> Response {
    let Some((_, s)) = session_of(&c, &headers) else { return Redirect::to("/login").into_response() };
    if !s.role.allows(Role::Viewer) {
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    let service = c.service.clone();
    let status = match tokio::task::spawn_blocking(move || service.status()).await {
        Ok(Ok(v)) => v,
        _ => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "the status cannot be read: see the service's log")
                .into_response();
        }
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let list = |v: &Value| v.as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default();
    let tasks = status["tasks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| TaskRow {
                    name: text(&t["task"]),
                    schedule: if text(&t["schedule"]).is_empty() { "off".into() } else { text(&t["schedule"]) },
                    next: when(t["next_run"].as_i64()),
                })
                .collect()
        })
        .unwrap_or_default();
    let runs = status["recent_runs"].as_array().map(|a| a.iter().map(run_row).collect()).unwrap_or_default();
    let service = c.service.clone();
    let history = tokio::task::spawn_blocking(move || service.runs(1000)).await.ok().and_then(Result::ok);
    html(DashboardPage {
        charts: history.map(|h| charts(&h)).unwrap_or_default(),
        version: text(&status["version"]),
        username: s.username,
        role: s.role.as_str(),
        may_run: s.role.allows(Role::Operator),
        is_admin: s.role.allows(Role::Admin),
        csrf: s.csrf,
        tasks,
        runs,
        waiting: list(&status["drop"]["waiting"]),
        locks: list(&status["drop"]["locks"]),
    })
}

struct LineRow {
    line: u64,
    outcome: String,
    key: String,
    message: String,
    code: String,
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    id: i64,
    tool: String,
    input: String,
    dry_run: bool,
    started: String,
    status: String,
    running: bool,
    last_line: u64,
    /// "of N lines, R lines/s, about S s left" while running.
    progress: String,
    counts: String,
    message: String,
    has_tryback: bool,
    failed_only: bool,
    lines: Vec<LineRow>,
}

#[derive(Deserialize)]
struct RunForm {
    csrf: String,
    tool: String,
    dry_run: bool,
}

async fn start_run(State(c): State<Console>, headers: HeaderMap, Form(form): Form<RunForm>) -> Response {
    let Some((_, s)) = session_of(&c, &headers) else { return Redirect::to("/login").into_response() };
    if s.csrf != form.csrf {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    if !s.role.allows(Role::Operator) {
        return (StatusCode::FORBIDDEN, "running a tool needs the operator role").into_response();
    }
    let service = c.service.clone();
    let body = crate::RunBody { tool: form.tool, op: None, file: None, dry_run: form.dry_run, wait: false };
    match tokio::task::spawn_blocking(move || service.start_run(body)).await {
        Ok(Ok(run)) => Redirect::to(&format!("/runs/{}", run["id"].as_i64().unwrap_or(0))).into_response(),
        Ok(Err(e)) => (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.message).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the run could not start").into_response(),
    }
}

#[derive(Deserialize)]
struct RunQuery {
    failed: Option<String>,
}

async fn run_page(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::extract::Query(q): axum::extract::Query<RunQuery>,
) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    let service = c.service.clone();
    let (run, report) = match tokio::task::spawn_blocking(move || (service.run(id), service.report(id))).await {
        Ok((Ok(run), report)) => (run, report.ok()),
        Ok((Err(e), _)) => {
            return (StatusCode::from_u16(e.status).unwrap_or(StatusCode::NOT_FOUND), e.message).into_response();
        }
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "the run cannot be read").into_response(),
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let failed_only = q.failed.is_some();
    let lines = report
        .as_ref()
        .and_then(|r| r["lines"].as_array())
        .map(|a| {
            a.iter()
                .filter(|l| !failed_only || l["outcome"] == "failed")
                .map(|l| LineRow {
                    line: l["line"].as_u64().unwrap_or(0),
                    outcome: text(&l["outcome"]),
                    key: text(&l["key"]),
                    message: text(&l["message"]),
                    code: text(&l["code"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let status = text(&run["status"]);
    html(RunPage {
        id,
        tool: format!("{} {}", text(&run["tool"]), text(&run["operation"])).trim().to_string(),
        input: text(&run["input"]).rsplit('/').next().unwrap_or("").to_string(),
        dry_run: run["dry_run"].as_bool().unwrap_or(false),
        started: when(run["started_at"].as_i64()),
        running: status == "running",
        status,
        last_line: run["last_line"].as_u64().unwrap_or(0),
        progress: {
            let p = &run["progress"];
            let mut parts = Vec::new();
            if let Some(t) = p["lines_total"].as_u64() {
                parts.push(format!("of {t}"));
            }
            if let Some(r) = p["lines_per_second"].as_u64().filter(|r| *r > 0) {
                parts.push(format!("{r} lines/s"));
            }
            if let Some(s) = p["seconds_left"].as_u64() {
                parts.push(format!("about {s} s left"));
            }
            parts.join(", ")
        },
        counts: ["created", "updated", "deleted", "unchanged", "skipped", "failed"]
            .iter()
            .map(|k| format!("{k} {}", run["counts"][k].as_u64().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", "),
        message: text(&run["message"]),
        has_tryback: !run["tryback"].is_null(),
        failed_only,
        lines,
    })
}

async fn tryback(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    let service = c.service.clone();
    match tokio::task::spawn_blocking(move || service.tryback(id)).await {
        Ok(Ok((name, bytes))) => {
            let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
            let mut r = bytes.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Ok(Err(e)) => (StatusCode::from_u16(e.status).unwrap_or(StatusCode::NOT_FOUND), e.message).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the tryback cannot be read").into_response(),
    }
}

/// A run of the API's JSON as a table row.
fn run_row(r: &Value) -> RunRow {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    RunRow {
        trigger: text(&r["trigger"]).split(' ').next().unwrap_or("").to_string(),
        id: r["id"].as_i64().unwrap_or(0),
        tool: format!("{} {}", text(&r["tool"]), text(&r["operation"])).trim().to_string(),
        status: text(&r["status"]),
        input: text(&r["input"]).rsplit('/').next().unwrap_or("").to_string(),
        counts: ["created", "updated", "deleted", "unchanged", "skipped", "failed"]
            .iter()
            .filter_map(|k| r["counts"][k].as_u64().filter(|n| *n > 0).map(|n| format!("{k} {n}")))
            .collect::<Vec<_>>()
            .join(", "),
        started: when(r["started_at"].as_i64()),
    }
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    tools: Vec<&'static str>,
    statuses: Vec<&'static str>,
    tool: String,
    status: String,
    runs: Vec<RunRow>,
}

#[derive(Deserialize)]
struct RunsQuery {
    tool: Option<String>,
    status: Option<String>,
}

async fn runs_page(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<RunsQuery>,
) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    let service = c.service.clone();
    let all = match tokio::task::spawn_blocking(move || service.runs(1000)).await {
        Ok(Ok(v)) => v,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "the runs cannot be read").into_response(),
    };
    let (tool, status) = (q.tool.unwrap_or_default(), q.status.unwrap_or_default());
    let runs = all
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| tool.is_empty() || r["tool"] == tool.as_str())
                .filter(|r| status.is_empty() || r["status"] == status.as_str())
                .map(run_row)
                .collect()
        })
        .unwrap_or_default();
    html(RunsPage {
        tools: vec!["users", "courses", "enrols", "groups", "cohorts", "userpictures"],
        statuses: vec!["running", "succeeded", "failed", "aborted", "interrupted", "cancelled"],
        tool,
        status,
        runs,
    })
}

struct FileRow {
    name: String,
    path: String,
    /// `path` percent-encoded, for links.
    query: String,
    folder: bool,
    bytes: u64,
    modified: String,
}

#[derive(Template)]
#[template(path = "files.html")]
struct FilesPage {
    folder: String,
    parent: String,
    notice: Option<String>,
    entries: Vec<FileRow>,
    may_write: bool,
    csrf: String,
}

#[derive(Deserialize)]
struct DirQuery {
    dir: Option<String>,
    notice: Option<String>,
}

async fn files_page(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<DirQuery>,
) -> Response {
    let Some((_, s)) = session_of(&c, &headers) else { return Redirect::to("/login").into_response() };
    let folder = q.dir.unwrap_or_default().trim_matches('/').to_string();
    let service = c.service.clone();
    let f = folder.clone();
    let listing = match tokio::task::spawn_blocking(move || service.list_files(&f)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.message).into_response();
        }
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "the folder cannot be read").into_response(),
    };
    let entries = listing["entries"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let name = e["name"].as_str().unwrap_or("").to_string();
                    let path = if folder.is_empty() { name.clone() } else { format!("{folder}/{name}") };
                    FileRow {
                        query: encode(&path),
                        path,
                        name,
                        folder: e["folder"].as_bool().unwrap_or(false),
                        bytes: e["bytes"].as_u64().unwrap_or(0),
                        modified: when(e["modified"].as_i64()),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    html(FilesPage {
        parent: encode(&folder.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default()),
        folder,
        notice: q.notice,
        entries,
        may_write: s.role.allows(Role::Operator),
        csrf: s.csrf,
    })
}

#[derive(Deserialize)]
struct PathQuery {
    path: String,
}

async fn download(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PathQuery>,
) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    let service = c.service.clone();
    match tokio::task::spawn_blocking(move || service.read_file(&q.path)).await {
        Ok(Ok((name, bytes))) => attachment(&name, bytes),
        Ok(Err(e)) => (StatusCode::from_u16(e.status).unwrap_or(StatusCode::NOT_FOUND), e.message).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the file cannot be read").into_response(),
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

async fn upload(State(c): State<Console>, headers: HeaderMap, mut form: axum::extract::Multipart) -> Response {
    let Some((_, s)) = session_of(&c, &headers) else { return Redirect::to("/login").into_response() };
    if !s.role.allows(Role::Operator) {
        return (StatusCode::FORBIDDEN, "uploading needs the operator role").into_response();
    }
    let mut csrf_ok = false;
    let mut stored = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("the upload is broken: {e}")).into_response(),
        };
        match field.name() {
            Some("csrf") => csrf_ok = field.text().await.is_ok_and(|t| t == s.csrf),
            Some("file") if csrf_ok => {
                let name = field.file_name().unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("").to_string();
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        return (StatusCode::PAYLOAD_TOO_LARGE, format!("the upload is too large or broken: {e}"))
                            .into_response();
                    }
                };
                let service = c.service.clone();
                let n = name.clone();
                match tokio::task::spawn_blocking(move || service.upload(&n, &bytes)).await {
                    Ok(Ok(_)) => stored.push(name),
                    Ok(Err(e)) => {
                        return (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.message)
                            .into_response();
                    }
                    Err(_) => {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "the file could not be stored").into_response();
                    }
                }
            }
            _ if !csrf_ok => return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response(),
            _ => {}
        }
    }
    if !csrf_ok {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    let notice = format!("uploaded: {}", stored.join(", "));
    Redirect::to(&format!("/files?notice={}", encode(&notice))).into_response()
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: String,
    path: String,
}

async fn delete(State(c): State<Console>, headers: HeaderMap, Form(form): Form<DeleteForm>) -> Response {
    let Some((_, s)) = session_of(&c, &headers) else { return Redirect::to("/login").into_response() };
    if s.csrf != form.csrf {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    if !s.role.allows(Role::Operator) {
        return (StatusCode::FORBIDDEN, "deleting needs the operator role").into_response();
    }
    let service = c.service.clone();
    let path = form.path.clone();
    match tokio::task::spawn_blocking(move || service.delete_file(&path)).await {
        Ok(Ok(())) => {
            let dir = form.path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
            Redirect::to(&format!("/files?dir={}&notice={}", encode(&dir), encode(&format!("deleted {}", form.path))))
                .into_response()
        }
        Ok(Err(e)) => (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.message).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the file could not be deleted").into_response(),
    }
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct GrantRow {
    name: String,
    role: String,
    created: String,
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    csrf: String,
    accounts: Vec<GrantRow>,
    tokens: Vec<GrantRow>,
    /// What was just created and its secret, shown once.
    secret: Option<(String, String)>,
    notice: Option<String>,
}

/// The session of an admin, or the response refusing the request.
fn admin(c: &Console, headers: &HeaderMap) -> Result<Session, Box<Response>> {
    match session_of(c, headers) {
        None => Err(Box::new(Redirect::to("/login").into_response())),
        Some((_, s)) if s.role.allows(Role::Admin) => Ok(s),
        Some(_) => Err(Box::new((StatusCode::FORBIDDEN, "this page is for administrators").into_response())),
    }
}

async fn render_access(c: &Console, s: Session, secret: Option<(String, String)>, notice: Option<String>) -> Response {
    let service = c.service.clone();
    let all = match tokio::task::spawn_blocking(move || service.access()).await {
        Ok(Ok(v)) => v,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "accounts cannot be read").into_response(),
    };
    let rows = |v: &Value| -> Vec<GrantRow> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|g| GrantRow {
                        name: g["name"].as_str().unwrap_or("").to_string(),
                        role: g["role"].as_str().unwrap_or("").to_string(),
                        created: when(g["created"].as_i64()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    html(AccessPage { csrf: s.csrf, accounts: rows(&all["accounts"]), tokens: rows(&all["tokens"]), secret, notice })
}

async fn access_page(State(c): State<Console>, headers: HeaderMap) -> Response {
    match admin(&c, &headers) {
        Ok(s) => render_access(&c, s, None, None).await,
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
struct GrantForm {
    csrf: String,
    name: String,
    role: Option<String>,
}

/// Checks an admin form; runs `act` on the blocking pool; shows the page again with its result.
async fn admin_action(
    c: Console,
    headers: HeaderMap,
    form: GrantForm,
    act: impl FnOnce(Arc<dyn Service>, String, Role) -> Result<(Option<(String, String)>, String), crate::ApiError>
    + Send
    + 'static,
) -> Response {
    let s = match admin(&c, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if s.csrf != form.csrf {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    let role = Role::parse(form.role.as_deref().unwrap_or("viewer")).unwrap_or(Role::Viewer);
    let service = c.service.clone();
    match tokio::task::spawn_blocking(move || act(service, form.name, role)).await {
        Ok(Ok((secret, notice))) => render_access(&c, s, secret, Some(notice)).await,
        Ok(Err(e)) => render_access(&c, s, None, Some(e.message)).await,
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the change failed").into_response(),
    }
}

async fn set_account(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Response {
    admin_action(c, headers, form, |s, name, role| {
        let password = s.set_account(&name, role)?;
        Ok((Some((format!("Password of {name}"), password)), format!("account {name} set ({})", role.as_str())))
    })
    .await
}

async fn remove_account(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Response {
    admin_action(c, headers, form, |s, name, _| {
        s.remove_account(&name)?;
        Ok((None, format!("account {name} removed")))
    })
    .await
}

async fn create_token(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Response {
    admin_action(c, headers, form, |s, name, role| {
        let token = s.create_token(&name, role)?;
        Ok((Some((format!("Token {name}"), token)), format!("token {name} created ({})", role.as_str())))
    })
    .await
}

async fn revoke_token(State(c): State<Console>, headers: HeaderMap, Form(form): Form<GrantForm>) -> Response {
    admin_action(c, headers, form, |s, name, _| {
        s.revoke_token(&name)?;
        Ok((None, format!("token {name} revoked")))
    })
    .await
}

const KINDS: [&str; 12] = [
    "categories",
    "courses",
    "sections",
    "course-links",
    "enrolments",
    "groups",
    "groupings",
    "group-members",
    "cohorts",
    "cohort-members",
    "cohort-bindings",
    "pictures",
];
const PAGE: usize = 100;

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage {
    kinds: Vec<&'static str>,
    what: String,
    columns: Vec<String>,
    column: String,
    value: String,
    column_q: String,
    value_q: String,
    rows: Vec<Vec<String>>,
    offset: usize,
    previous: usize,
    next: usize,
    more: bool,
}

async fn data_index(State(c): State<Console>, headers: HeaderMap) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    html(DataPage {
        kinds: KINDS.to_vec(),
        what: String::new(),
        columns: Vec::new(),
        column: String::new(),
        value: String::new(),
        column_q: String::new(),
        value_q: String::new(),
        rows: Vec::new(),
        offset: 0,
        previous: 0,
        next: 0,
        more: false,
    })
}

#[derive(Deserialize)]
struct DataQuery {
    column: Option<String>,
    value: Option<String>,
    offset: Option<usize>,
}

async fn data_page(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Path(what): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<DataQuery>,
) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    let (column, value, offset) = (q.column.unwrap_or_default(), q.value.unwrap_or_default(), q.offset.unwrap_or(0));
    let filters: Vec<(String, String)> =
        if value.is_empty() || column.is_empty() { Vec::new() } else { vec![(column.clone(), value.clone())] };
    let service = c.service.clone();
    let w = what.clone();
    // One row more than a page tells whether there is a next page.
    let page = match tokio::task::spawn_blocking(move || service.export(&w, &filters, PAGE + 1, offset)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.message).into_response();
        }
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "the data cannot be read").into_response(),
    };
    let rows_json = page["rows"].as_array().cloned().unwrap_or_default();
    let columns: Vec<String> = page["columns"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let more = rows_json.len() > PAGE;
    let rows = rows_json
        .iter()
        .take(PAGE)
        .map(|r| {
            columns
                .iter()
                .map(|c| match &r[c] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    html(DataPage {
        kinds: KINDS.to_vec(),
        what,
        column_q: encode(&column),
        value_q: encode(&value),
        columns,
        column,
        value,
        rows,
        offset,
        previous: offset.saturating_sub(PAGE),
        next: offset + PAGE,
        more,
    })
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    csrf: String,
    notice: Option<String>,
    /// `section.key` and its value in effect.
    rows: Vec<(String, String)>,
}

async fn render_settings(c: &Console, s: Session, notice: Option<String>) -> Response {
    let service = c.service.clone();
    let all = match tokio::task::spawn_blocking(move || service.settings()).await {
        Ok(Ok(v)) => v,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "the settings cannot be read").into_response(),
    };
    let mut rows = Vec::new();
    if let Some(top) = all.as_object() {
        for (name, v) in top {
            match v.as_object() {
                Some(section) => rows.extend(section.iter().map(|(k, v)| (format!("{name}.{k}"), v.to_string()))),
                None => rows.push((name.clone(), v.to_string())),
            }
        }
    }
    html(SettingsPage { csrf: s.csrf, notice, rows })
}

async fn settings_page(State(c): State<Console>, headers: HeaderMap) -> Response {
    match admin(&c, &headers) {
        Ok(s) => render_settings(&c, s, None).await,
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
struct SettingForm {
    csrf: String,
    name: String,
    value: String,
}

/// A value typed in a form: a JSON literal (number, true/false, list) when it is one, else text.
fn typed(value: &str) -> Value {
    match serde_json::from_str::<Value>(value.trim()) {
        Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::Array(_))) => v,
        _ => Value::String(value.to_string()),
    }
}

async fn set_setting(State(c): State<Console>, headers: HeaderMap, Form(form): Form<SettingForm>) -> Response {
    let s = match admin(&c, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if s.csrf != form.csrf {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    let service = c.service.clone();
    let (name, value) = (form.name.clone(), typed(&form.value));
    let notice = match tokio::task::spawn_blocking(move || service.set_setting(&name, value)).await {
        Ok(Ok(_)) => format!("{} set", form.name),
        Ok(Err(e)) => format!("{} refused: {}", form.name, e.message),
        Err(_) => "the setting could not be written".into(),
    };
    render_settings(&c, s, Some(notice)).await
}

async fn smtp_test(State(c): State<Console>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let s = match admin(&c, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if s.csrf != form.csrf {
        return (StatusCode::FORBIDDEN, "the form expired: reload the page").into_response();
    }
    let service = c.service.clone();
    let notice = match tokio::task::spawn_blocking(move || service.send_test_mail()).await {
        Ok(Ok(to)) => format!("test e-mail sent to {to}"),
        Ok(Err(e)) => format!("no test e-mail: {}", e.message),
        Err(_) => "the test e-mail failed".into(),
    };
    render_settings(&c, s, Some(notice)).await
}

struct AuditRow {
    at: String,
    run_id: i64,
    line: u64,
    entity: String,
    action: String,
    key: String,
    after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    key: String,
    rows: Vec<AuditRow>,
}

#[derive(Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

async fn audit_page(
    State(c): State<Console>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<KeyQuery>,
) -> Response {
    if session_of(&c, &headers).is_none() {
        return Redirect::to("/login").into_response();
    }
    let key = q.key.unwrap_or_default().trim().to_string();
    if key.is_empty() {
        return html(AuditPage { key, rows: Vec::new() });
    }
    let service = c.service.clone();
    let k = key.clone();
    let entries = match tokio::task::spawn_blocking(move || service.audit(&k)).await {
        Ok(Ok(v)) => v,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "the journal cannot be read").into_response(),
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let rows = entries
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| AuditRow {
                    at: when(e["at"].as_i64()),
                    run_id: e["run_id"].as_i64().unwrap_or(0),
                    line: e["line"].as_u64().unwrap_or(0),
                    entity: text(&e["entity"]),
                    action: text(&e["action"]),
                    key: text(&e["key"]),
                    after: text(&e["after"]).chars().take(300).collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    html(AuditPage { key, rows })
}

/// For each tool, an SVG bar chart of its last 30 runs (oldest left): height = lines handled,
/// colour = how the run ended, a tooltip per bar.
fn charts(runs: &Value) -> Vec<(String, String)> {
    let mut by_tool: Vec<(String, Vec<&Value>)> = Vec::new();
    for r in runs.as_array().into_iter().flatten() {
        let tool = r["tool"].as_str().unwrap_or("").to_string();
        match by_tool.iter_mut().find(|(t, _)| *t == tool) {
            Some((_, list)) if list.len() < 30 => list.push(r),
            Some(_) => {}
            None => by_tool.push((tool, vec![r])),
        }
    }
    by_tool.sort_by(|a, b| a.0.cmp(&b.0));
    let lines = |r: &Value| {
        ["created", "updated", "deleted", "unchanged", "skipped", "failed"]
            .iter()
            .map(|k| r["counts"][k].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    by_tool
        .into_iter()
        .map(|(tool, mut list)| {
            list.reverse();
            let max = list.iter().map(|r| lines(r)).max().unwrap_or(1).max(1);
            let mut svg = format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="40" role="img" aria-label="last runs of {tool}">"#, 30 * 8);
            for (i, r) in list.iter().enumerate() {
                let n = lines(r);
                let h = (n * 38 / max).max(2);
                let status = r["status"].as_str().unwrap_or("");
                let fill = match status {
                    "succeeded" => "#1e7d32",
                    "failed" | "aborted" | "interrupted" => "#b3261e",
                    _ => "#8a8f98",
                };
                svg.push_str(&format!(
                    r#"<rect x="{}" y="{}" width="6" height="{h}" fill="{fill}"><title>run {}: {status}, {n} lines</title></rect>"#,
                    i * 8,
                    40 - h,
                    r["id"].as_i64().unwrap_or(0)
                ));
            }
            svg.push_str("</svg>");
            (tool, svg)
        })
        .collect()
}
