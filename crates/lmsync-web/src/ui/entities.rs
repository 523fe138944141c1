//! The data browser's pages per entity: the category tree with a search, a course (sections,
//! enrolments by role and method, groups, meta links, cohorts, its users page by page), a user
//! (profile, picture, enrolments, cohorts) and a cohort (bindings, its members page by page).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

use super::{Console, Nav, Page, call, cell, filters, html, require, t, tf, when};
use crate::ApiError;

/// Rows of a list per page.
const PAGE: usize = 100;

/// A list of objects as table rows, in the order of `columns`.
fn rows(v: &Value, columns: &[&str]) -> Vec<Vec<String>> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|r| columns.iter().map(|c| if c.starts_with("time") { stamp(&r[*c]) } else { cell(&r[*c]) }).collect())
        .collect()
}

/// A Unix time as a date; 0 (no date) stays empty.
fn stamp(v: &Value) -> String {
    match v.as_i64() {
        Some(0) | None => String::new(),
        t => when(t),
    }
}

#[derive(Deserialize)]
pub struct BrowseQuery {
    #[serde(default)]
    key: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    role: Option<String>,
    #[serde(default)]
    offset: usize,
}

#[derive(Template)]
#[template(path = "browse_index.html")]
struct IndexPage {
    nav: Nav,
    /// Each category: indentation, path, name, idnumber, courses, cohorts.
    categories: Vec<(usize, String, String, String, String, String)>,
    q: String,
    kind: String,
    /// What a search finds: its value and its label.
    kinds: [(&'static str, &'static str); 3],
    /// Search hits: link, label, detail.
    hits: Vec<(String, String, String)>,
}

pub async fn categories(State(c): State<Console>, headers: HeaderMap, Query(q): Query<BrowseQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let kind =
        if ["courses", "users", "cohorts"].contains(&q.kind.as_str()) { q.kind.clone() } else { "courses".into() };
    let (text, k) = (q.q.trim().to_string(), kind.clone());
    let (tree, found) = call(&c, move |s| {
        let found = if text.is_empty() { Value::Null } else { s.browse(&format!("search-{k}"), &text, None, PAGE, 0)? };
        Ok((s.browse("categories", "", None, 0, 0)?, found))
    })
    .await?;
    let categories = tree
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let depth = c["depth"].as_u64().unwrap_or(0) as usize;
            (
                depth * 2,
                cell(&c["path"]),
                cell(&c["name"]),
                cell(&c["idnumber"]),
                cell(&c["courses"]),
                cell(&c["cohorts"]),
            )
        })
        .collect();
    let hits = found
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| match kind.as_str() {
            "users" => (
                format!("/browse/user?key={}", super::encode(&cell(&h["username"]))),
                cell(&h["username"]),
                format!("{} {}", cell(&h["name"]), cell(&h["email"])),
            ),
            "cohorts" => (
                format!("/browse/cohort?key={}", super::encode(&cell(&h["key"]))),
                cell(&h["name"]),
                cell(&h["idnumber"]),
            ),
            _ => (
                format!("/browse/course?key={}", super::encode(&cell(&h["shortname"]))),
                cell(&h["shortname"]),
                format!("{} {}", cell(&h["fullname"]), cell(&h["idnumber"])),
            ),
        })
        .collect();
    let kinds = [
        ("courses", t("browse.find_courses")),
        ("users", t("browse.find_users")),
        ("cohorts", t("browse.find_cohorts")),
    ];
    html(IndexPage { nav: Nav::of(&s), categories, q: q.q, kind, kinds, hits })
}

#[derive(Template)]
#[template(path = "browse_course.html")]
struct CoursePage {
    nav: Nav,
    key: String,
    key_q: String,
    fields: Vec<(&'static str, String)>,
    sections: Vec<Vec<String>>,
    by_method: Vec<Vec<String>>,
    by_role: Vec<Vec<String>>,
    groups: Vec<Vec<String>>,
    metas_from: Vec<Vec<String>>,
    metas_to: Vec<Vec<String>>,
    cohorts: Vec<Vec<String>>,
    role: String,
    users: Vec<Vec<String>>,
    offset: usize,
    previous: usize,
    next: usize,
    more: bool,
}

pub async fn course(State(c): State<Console>, headers: HeaderMap, Query(q): Query<BrowseQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let (key, role, offset) = (q.key.clone(), q.role.clone().filter(|r| !r.is_empty()), q.offset);
    let (course, users) = call(&c, move |s| {
        let course = s.browse("course", &key, None, 0, 0)?;
        Ok((course, s.browse("course-users", &key, role.as_deref(), PAGE + 1, offset)?))
    })
    .await?;
    let more = users.as_array().is_some_and(|a| a.len() > PAGE);
    let users = Value::Array(users.as_array().into_iter().flatten().take(PAGE).cloned().collect());
    let field = |k: &str| match k {
        "visible" => yes_no(&course[k]),
        _ if k.ends_with("date") => stamp(&course[k]),
        _ => cell(&course[k]),
    };
    html(CoursePage {
        nav: Nav::of(&s),
        key_q: super::encode(&q.key),
        key: q.key,
        fields: ["fullname", "idnumber", "category", "format", "visible", "startdate", "enddate"]
            .into_iter()
            .map(|k| (k, field(k)))
            .collect(),
        sections: rows(&course["sections"], &["section", "name", "visible"]),
        by_method: rows(&course["by_method"], &["method", "status", "users"]),
        by_role: rows(&course["by_role"], &["role", "users"]),
        groups: rows(&course["groups"], &["name", "idnumber", "members"]),
        metas_from: rows(&course["metas_from"], &["shortname"]),
        metas_to: rows(&course["metas_to"], &["shortname"]),
        cohorts: rows(&course["cohorts"], &["name", "idnumber", "role", "status"]),
        role: q.role.unwrap_or_default(),
        users: rows(&users, &["username", "name", "method", "status", "timestart", "timeend", "roles"]),
        offset,
        previous: offset.saturating_sub(PAGE),
        next: offset + PAGE,
        more,
    })
}

#[derive(Template)]
#[template(path = "browse_user.html")]
struct UserPage {
    nav: Nav,
    key: String,
    key_q: String,
    picture: bool,
    fields: Vec<(String, String)>,
    enrolments: Vec<Vec<String>>,
    cohorts: Vec<Vec<String>>,
}

pub async fn user(State(c): State<Console>, headers: HeaderMap, Query(q): Query<BrowseQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let key = q.key.clone();
    let user = call(&c, move |s| s.browse("user", &key, None, 0, 0)).await?;
    let mut fields: Vec<(String, String)> = [
        "firstname",
        "lastname",
        "email",
        "idnumber",
        "auth",
        "institution",
        "department",
        "city",
        "country",
        "lang",
        "suspended",
        "deleted",
    ]
    .into_iter()
    .map(|k| (k.to_string(), cell(&user[k])))
    .collect();
    fields.extend(
        user["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| (format!("profile_field_{}", cell(&f["field"])), cell(&f["value"]))),
    );
    html(UserPage {
        nav: Nav::of(&s),
        key_q: super::encode(&q.key),
        key: q.key,
        picture: user["picture"].as_i64() == Some(1) || user["picture"] == true,
        fields,
        enrolments: rows(&user["enrolments"], &["course", "fullname", "method", "status", "roles"]),
        cohorts: rows(&user["cohorts"], &["name", "idnumber"]),
    })
}

/// A user's picture (100 px PNG).
pub async fn picture(State(c): State<Console>, headers: HeaderMap, Query(q): Query<BrowseQuery>) -> Page {
    require(&c, &headers, Role::Viewer)?;
    let key = q.key.clone();
    let png = call(&c, move |s| s.picture(&key))
        .await?
        .ok_or_else(|| ApiError::not_found("picture.none", tf("browse.no_picture_of", &[("key", &q.key)])))?;
    let mut r = png.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    Ok(r)
}

#[derive(Template)]
#[template(path = "browse_cohort.html")]
struct CohortPage {
    nav: Nav,
    key: String,
    key_q: String,
    fields: Vec<(&'static str, String)>,
    bindings: Vec<Vec<String>>,
    members: Vec<Vec<String>>,
    offset: usize,
    previous: usize,
    next: usize,
    more: bool,
}

pub async fn cohort(State(c): State<Console>, headers: HeaderMap, Query(q): Query<BrowseQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let (key, offset) = (q.key.clone(), q.offset);
    let (cohort, members) = call(&c, move |s| {
        Ok((s.browse("cohort", &key, None, 0, 0)?, s.browse("cohort-members", &key, None, PAGE + 1, offset)?))
    })
    .await?;
    let more = members.as_array().is_some_and(|a| a.len() > PAGE);
    let members = Value::Array(members.as_array().into_iter().flatten().take(PAGE).cloned().collect());
    html(CohortPage {
        nav: Nav::of(&s),
        key_q: super::encode(&q.key),
        key: q.key,
        fields: ["name", "idnumber", "description", "context", "visible", "members"]
            .into_iter()
            .map(|k| (k, if k == "visible" { yes_no(&cohort[k]) } else { cell(&cohort[k]) }))
            .collect(),
        bindings: rows(&cohort["bindings"], &["course", "role", "status", "enrolled"]),
        members: rows(&members, &["username", "name", "timeadded"]),
        offset,
        previous: offset.saturating_sub(PAGE),
        next: offset + PAGE,
        more,
    })
}

/// A flag as people read it (Moodle stores 0 / 1).
fn yes_no(v: &Value) -> String {
    match v {
        Value::Bool(b) => if *b { t("common.yes") } else { t("common.no") }.to_string(),
        Value::Number(n) => if n.as_i64() == Some(0) { t("common.no") } else { t("common.yes") }.to_string(),
        other => cell(other),
    }
}
