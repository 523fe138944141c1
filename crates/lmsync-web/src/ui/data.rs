//! The data tables: every export of the store, paged and filtered by one column.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use lmsync_core::access::Role;
use serde::Deserialize;

use super::{Console, Nav, Page, call, cell, encode, filters, html, require};

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
    nav: Nav,
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

pub async fn data_index(State(c): State<Console>, headers: HeaderMap) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    html(DataPage {
        nav: Nav::of(&s),
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
pub struct DataQuery {
    column: Option<String>,
    value: Option<String>,
    offset: Option<usize>,
}

pub async fn data_page(
    State(c): State<Console>,
    headers: HeaderMap,
    Path(what): Path<String>,
    Query(q): Query<DataQuery>,
) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let (column, value, offset) = (q.column.unwrap_or_default(), q.value.unwrap_or_default(), q.offset.unwrap_or(0));
    let filters: Vec<(String, String)> =
        if value.is_empty() || column.is_empty() { Vec::new() } else { vec![(column.clone(), value.clone())] };
    let w = what.clone();
    // One row more than a page tells whether there is a next page.
    let page = call(&c, move |s| s.export(&w, &filters, PAGE + 1, offset)).await?;
    let rows_json = page["rows"].as_array().cloned().unwrap_or_default();
    let columns: Vec<String> = page["columns"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let more = rows_json.len() > PAGE;
    let rows = rows_json.iter().take(PAGE).map(|r| columns.iter().map(|c| cell(&r[c])).collect()).collect();
    html(DataPage {
        nav: Nav::of(&s),
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
