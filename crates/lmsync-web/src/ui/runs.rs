//! Runs in the console: starting one, its page (live progress while it runs, then its lines
//! with a "failed only" filter, and its tryback), and the history with filters.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

use super::changes::{CHANGES_PAGE, ChangeRow, change_row};
use super::{Console, Nav, Page, attachment, call, cell, filters, html, require, require_form, tf, when};

/// Lines shown on a run's page; the whole report stays available as JSON.
const MAX_LINES: usize = 2000;
pub const TOOLS: [&str; 6] = ["users", "courses", "enrols", "groups", "cohorts", "userpictures"];
const COUNTS: [&str; 6] = ["created", "updated", "deleted", "unchanged", "skipped", "failed"];

pub struct RunRow {
    pub trigger: String,
    pub id: i64,
    pub tool: String,
    pub status: String,
    pub input: String,
    pub counts: String,
    pub started: String,
}

/// A run of the API's JSON as a table row.
pub fn run_row(r: &Value) -> RunRow {
    RunRow {
        trigger: cell(&r["trigger"]).split(' ').next().unwrap_or("").to_string(),
        id: r["id"].as_i64().unwrap_or(0),
        tool: format!("{} {}", cell(&r["tool"]), cell(&r["operation"])).trim().to_string(),
        status: cell(&r["status"]),
        input: cell(&r["input"]).rsplit('/').next().unwrap_or("").to_string(),
        counts: COUNTS
            .iter()
            .filter_map(|k| r["counts"][k].as_u64().filter(|n| *n > 0).map(|n| format!("{k} {n}")))
            .collect::<Vec<_>>()
            .join(", "),
        started: when(r["started_at"].as_i64()),
    }
}

/// Lines a run handled, all outcomes together.
pub fn lines_handled(r: &Value) -> u64 {
    COUNTS.iter().map(|k| r["counts"][k].as_u64().unwrap_or(0)).sum()
}

#[derive(Deserialize)]
pub struct RunForm {
    csrf: String,
    tool: String,
    op: Option<String>,
    dry_run: bool,
}

pub async fn start_run(State(c): State<Console>, headers: HeaderMap, Form(form): Form<RunForm>) -> Page {
    let s = require_form(&c, &headers, Role::Operator, &form.csrf)?;
    let op = form.op.filter(|o| !o.is_empty());
    let by = Some(format!("console:{}", s.username));
    let body = crate::RunBody { tool: form.tool, op, file: None, dry_run: form.dry_run, wait: false, by };
    let run = call(&c, move |s| s.start_run(body)).await?;
    Ok(Redirect::to(&format!("/runs/{}", run["id"].as_i64().unwrap_or(0))).into_response())
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
    nav: Nav,
    id: i64,
    tool: String,
    input: String,
    trigger: String,
    dry_run: bool,
    started: String,
    status: String,
    running: bool,
    last_line: u64,
    /// Lines of the input, for the progress bar (0 when unknown).
    total: u64,
    /// "of N lines, R lines/s, about S s left" while running.
    progress: String,
    counts: String,
    message: String,
    has_tryback: bool,
    failed_only: bool,
    truncated: bool,
    lines: Vec<LineRow>,
    /// What the run changed (a page of its journal), and the whole journal's size.
    changes: Vec<ChangeRow>,
    changes_total: u64,
    changes_offset: usize,
    /// The offsets of the previous and next pages of changes, when there are.
    changes_prev: Option<usize>,
    changes_next: Option<usize>,
}

#[derive(Deserialize)]
pub struct RunQuery {
    failed: Option<String>,
    changes: Option<usize>,
}

pub async fn run_page(
    State(c): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<RunQuery>,
) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let changes_offset = q.changes.unwrap_or(0);
    let (run, report, journal) =
        call(&c, move |s| Ok((s.run(id)?, s.report(id).ok(), s.changes(id, CHANGES_PAGE, changes_offset)?))).await?;
    let changes_total = journal["total"].as_u64().unwrap_or(0);
    let failed_only = q.failed.is_some();
    let chosen: Vec<&Value> = report
        .as_ref()
        .and_then(|r| r["lines"].as_array())
        .map(|a| a.iter().filter(|l| !failed_only || l["outcome"] == "failed").collect())
        .unwrap_or_default();
    let lines = chosen
        .iter()
        .take(MAX_LINES)
        .map(|l| LineRow {
            line: l["line"].as_u64().unwrap_or(0),
            outcome: cell(&l["outcome"]),
            key: cell(&l["key"]),
            message: cell(&l["message"]),
            code: cell(&l["code"]),
        })
        .collect();
    let status = cell(&run["status"]);
    let p = &run["progress"];
    let mut progress = Vec::new();
    if let Some(t) = p["lines_total"].as_u64() {
        progress.push(tf("run.progress_total", &[("total", &t)]));
    }
    if let Some(r) = p["lines_per_second"].as_u64().filter(|r| *r > 0) {
        progress.push(tf("run.progress_rate", &[("rate", &r)]));
    }
    if let Some(s) = p["seconds_left"].as_u64() {
        progress.push(tf("run.progress_left", &[("seconds", &s)]));
    }
    html(RunPage {
        nav: Nav::of(&s),
        id,
        tool: format!("{} {}", cell(&run["tool"]), cell(&run["operation"])).trim().to_string(),
        input: cell(&run["input"]).rsplit('/').next().unwrap_or("").to_string(),
        trigger: cell(&run["trigger"]),
        dry_run: run["dry_run"].as_bool().unwrap_or(false),
        started: when(run["started_at"].as_i64()),
        running: status == "running",
        status,
        last_line: run["last_line"].as_u64().unwrap_or(0),
        total: p["lines_total"].as_u64().unwrap_or(0),
        progress: progress.join(", "),
        counts: COUNTS
            .iter()
            .map(|k| format!("{k} {}", run["counts"][k].as_u64().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", "),
        message: cell(&run["message"]),
        has_tryback: !run["tryback"].is_null(),
        failed_only,
        truncated: chosen.len() > MAX_LINES,
        lines,
        changes: journal["changes"].as_array().map(|a| a.iter().map(change_row).collect()).unwrap_or_default(),
        changes_total,
        changes_offset,
        changes_prev: changes_offset.checked_sub(CHANGES_PAGE).or((changes_offset > 0).then_some(0)),
        changes_next: Some(changes_offset + CHANGES_PAGE).filter(|n| (*n as u64) < changes_total),
    })
}

pub async fn tryback(State(c): State<Console>, headers: HeaderMap, Path(id): Path<i64>) -> Page {
    require(&c, &headers, Role::Viewer)?;
    let (name, bytes) = call(&c, move |s| s.tryback(id)).await?;
    Ok(attachment(&name, bytes))
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    nav: Nav,
    tools: Vec<&'static str>,
    statuses: Vec<&'static str>,
    tool: String,
    status: String,
    runs: Vec<RunRow>,
}

#[derive(Deserialize)]
pub struct RunsQuery {
    tool: Option<String>,
    status: Option<String>,
}

pub async fn runs_page(State(c): State<Console>, headers: HeaderMap, Query(q): Query<RunsQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let all = call(&c, |s| s.runs(1000)).await?;
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
        nav: Nav::of(&s),
        tools: TOOLS.to_vec(),
        statuses: vec!["running", "succeeded", "failed", "aborted", "interrupted", "cancelled"],
        tool,
        status,
        runs,
    })
}
