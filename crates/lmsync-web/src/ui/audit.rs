//! The audit: what runs changed an account, course or cohort, from the journal.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use lmsync_core::access::Role;
use serde::Deserialize;

use super::{Console, Nav, Page, call, cell, filters, html, require, when};

struct AuditRow {
    at: String,
    run_id: i64,
    line: u64,
    entity: String,
    action: String,
    key: String,
    /// What changed (see [`super::changes::detail`]).
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    key: String,
    rows: Vec<AuditRow>,
}

#[derive(Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
}

pub async fn audit_page(State(c): State<Console>, headers: HeaderMap, Query(q): Query<KeyQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let key = q.key.unwrap_or_default().trim().to_string();
    if key.is_empty() {
        return html(AuditPage { nav: Nav::of(&s), key, rows: Vec::new() });
    }
    let k = key.clone();
    let entries = call(&c, move |s| s.audit(&k)).await?;
    let rows = entries
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| AuditRow {
            at: when(e["at"].as_i64()),
            run_id: e["run_id"].as_i64().unwrap_or(0),
            line: e["line"].as_u64().unwrap_or(0),
            entity: cell(&e["entity"]),
            action: cell(&e["action"]),
            key: cell(&e["key"]),
            detail: super::changes::detail(&e["before"], &e["after"]),
        })
        .collect();
    html(AuditPage { nav: Nav::of(&s), key, rows })
}
