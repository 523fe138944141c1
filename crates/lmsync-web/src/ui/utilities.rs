//! Course utilities: build a delete or reset file from courses picked in a list, check
//! whether courses exist, and clean empty categories (previewed before anything is deleted).

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

use super::{Console, Nav, Page, back, call, cell, filters, html, require, require_form, t, tf};

/// Courses a selection lists at most.
const MAX_LISTED: usize = 2000;

struct CourseRow {
    id: i64,
    shortname: String,
    fullname: String,
    idnumber: String,
    category: String,
}

#[derive(Template)]
#[template(path = "utilities.html")]
struct UtilitiesPage {
    nav: Nav,
    notice: Option<String>,
    category: String,
    pattern: String,
    searched: bool,
    courses: Vec<CourseRow>,
    more: usize,
    categories: Vec<String>,
    /// The empty categories found by a preview, and from where.
    empty: Option<(String, Vec<String>)>,
}

#[derive(Deserialize)]
pub struct UtilitiesQuery {
    category: Option<String>,
    pattern: Option<String>,
    notice: Option<String>,
    /// Preview the empty categories under this path ("" = all).
    empty_from: Option<String>,
}

pub async fn utilities_page(State(c): State<Console>, headers: HeaderMap, Query(q): Query<UtilitiesQuery>) -> Page {
    let s = require(&c, &headers, Role::Operator)?;
    let (category, pattern) = (q.category.unwrap_or_default(), q.pattern.unwrap_or_default());
    let searched = !category.is_empty() || !pattern.is_empty();
    let (cat, pat, from) = (category.clone(), pattern.clone(), q.empty_from.clone());
    let (found, categories, empty) = call(&c, move |s| {
        let found = if searched { s.select_courses(&cat, &pat)? } else { Value::Array(Vec::new()) };
        let categories = s.browse("categories", "", None, 0, 0)?;
        let empty = match from {
            Some(f) => Some((f.clone(), s.clean_categories(&f, false)?)),
            None => None,
        };
        Ok((found, categories, empty))
    })
    .await?;
    let all: Vec<&Value> = found.as_array().into_iter().flatten().collect();
    let courses = all
        .iter()
        .take(MAX_LISTED)
        .map(|r| CourseRow {
            id: r["id"].as_i64().unwrap_or(0),
            shortname: cell(&r["shortname"]),
            fullname: cell(&r["fullname"]),
            idnumber: cell(&r["idnumber"]),
            category: cell(&r["category_path"]),
        })
        .collect();
    html(UtilitiesPage {
        nav: Nav::of(&s),
        notice: q.notice,
        category,
        pattern,
        searched,
        more: all.len().saturating_sub(MAX_LISTED),
        courses,
        categories: categories.as_array().into_iter().flatten().map(|c| cell(&c["path"])).collect(),
        empty: empty.map(|(from, v)| (from, v["empty"].as_array().into_iter().flatten().map(cell).collect())),
    })
}

/// Writes the delete or reset file listing the ticked courses. The form sends `csrf`, `kind`,
/// `replace` when ticked and one `course` per ticked course.
pub async fn make_file(State(c): State<Console>, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Page {
    let value = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    require_form(&c, &headers, Role::Operator, &value("csrf").unwrap_or_default())?;
    let replace = value("replace").is_some();
    let kind = value("kind").unwrap_or_default();
    let ids: Vec<i64> = form.iter().filter(|(k, _)| k == "course").filter_map(|(_, v)| v.parse().ok()).collect();
    let k = kind.clone();
    let notice = match call(&c, move |s| Ok(s.make_course_file(&k, &ids, replace))).await? {
        Ok(v) => tf("utilities.written", &[("file", &cell(&v["file"])), ("count", &v["courses"]), ("kind", &kind)]),
        Err(e) => tf("utilities.not_written", &[("message", &e.message)]),
    };
    Ok(back("/utilities", &notice))
}

#[derive(Deserialize)]
pub struct CheckForm {
    csrf: String,
    /// Course identifiers, one per line.
    identifiers: String,
}

/// Checks whether courses exist: the identifiers run as a check file, whose run page says,
/// line by line, which course each names.
pub async fn check_courses(State(c): State<Console>, headers: HeaderMap, Form(form): Form<CheckForm>) -> Page {
    let by = Some(format!("console:{}", require_form(&c, &headers, Role::Operator, &form.csrf)?.username));
    let identifiers: Vec<&str> = form.identifiers.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if identifiers.is_empty() {
        return Ok(back("/utilities", t("utilities.nothing_to_check")));
    }
    // A check file has no header: one identifier per line.
    let text = identifiers.join("\n") + "\n";
    let name = format!("checkcourses_{}.csv", chrono::Utc::now().format("%Y%m%d%H%M%S%f"));
    let run = call(&c, move |s| {
        let file = s.upload(&name, text.as_bytes())?["file"].as_str().unwrap_or_default().to_string();
        s.start_run(crate::RunBody {
            tool: "courses".into(),
            op: Some("check".into()),
            file: Some(file),
            dry_run: false,
            wait: false,
            by,
        })
    })
    .await?;
    Ok(Redirect::to(&format!("/runs/{}", run["id"].as_i64().unwrap_or(0))).into_response())
}

#[derive(Deserialize)]
pub struct CleanForm {
    csrf: String,
    from: String,
}

/// Deletes the empty categories under a path (the preview showed them first).
pub async fn clean_categories(State(c): State<Console>, headers: HeaderMap, Form(form): Form<CleanForm>) -> Page {
    require_form(&c, &headers, Role::Operator, &form.csrf)?;
    let from = form.from.clone();
    let notice = match call(&c, move |s| Ok(s.clean_categories(&from, true))).await? {
        Ok(v) if v["run"].is_null() => t("utilities.nothing_to_clean").to_string(),
        Ok(v) => tf("utilities.cleaned", &[("run", &v["run"]), ("deleted", &v["deleted"]), ("failed", &v["failed"])]),
        Err(e) => tf("utilities.not_cleaned", &[("message", &e.message)]),
    };
    Ok(back("/utilities", &notice))
}
