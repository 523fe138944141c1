//! A tool's own page: what it reads and when, its runs, a run with the configured or an
//! uploaded file (dry run or not), and, for administrators, its settings edited in place
//! (written back to `lmsync.toml` with its comments kept).

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

use super::dashboard::{Card, cards};
use super::runs::{RunRow, TOOLS, run_row};
use super::{Console, Nav, Page, Refusal, back, call, filters, html, require, require_form, t, tf};
use crate::ApiError;

#[derive(Template)]
#[template(path = "tool.html")]
struct ToolPage {
    nav: Nav,
    card: Card,
    /// The operations a run may choose (empty: the tool has one).
    ops: Vec<String>,
    settings: Vec<(String, String)>,
    runs: Vec<RunRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn known(tool: &str) -> Result<(), Refusal> {
    if TOOLS.contains(&tool) {
        Ok(())
    } else {
        let tools = TOOLS.join(", ");
        Err(ApiError::not_found(
            "tool.unknown",
            tf("tool.unknown", &[("tool", &format!("{tool:?}")), ("tools", &tools)]),
        )
        .into())
    }
}

pub async fn tool_page(
    State(c): State<Console>,
    headers: HeaderMap,
    Path(tool): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    known(&tool)?;
    let (tools, history) = call(&c, |s| Ok((s.tools()?, s.runs(1000)?))).await?;
    let entry = tools.as_array().into_iter().flatten().find(|t| t["tool"] == tool.as_str()).cloned();
    let entry = entry.unwrap_or(Value::Null);
    let card = cards(&Value::Array(vec![entry.clone()])).pop().ok_or_else(|| ApiError::internal(t("tool.no_card")))?;
    let ops: Vec<String> = card.operations.iter().map(|o| o.0.clone()).filter(|o| !o.is_empty()).collect();
    let settings = entry["settings"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), setting_text(v))).collect())
        .unwrap_or_default();
    let runs =
        history.as_array().into_iter().flatten().filter(|r| r["tool"] == tool.as_str()).take(20).map(run_row).collect();
    html(ToolPage { nav: Nav::of(&s), card, ops, settings, runs, notice: q.notice })
}

/// A setting as a form shows it: text as is, anything else as JSON.
fn setting_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value typed in a form: a JSON literal (number, true/false, list) when it is one, else text.
pub fn typed(value: &str) -> Value {
    match serde_json::from_str::<Value>(value.trim()) {
        Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::Array(_))) => v,
        _ => Value::String(value.to_string()),
    }
}

#[derive(Deserialize)]
pub struct SettingForm {
    csrf: String,
    name: String,
    value: String,
}

/// Sets one of the tool's settings (`<tool>.<name>`).
pub async fn set_tool_setting(
    State(c): State<Console>,
    headers: HeaderMap,
    Path(tool): Path<String>,
    Form(form): Form<SettingForm>,
) -> Page {
    require_form(&c, &headers, Role::Admin, &form.csrf)?;
    known(&tool)?;
    let name = format!("{tool}.{}", form.name);
    let (n, value) = (name.clone(), typed(&form.value));
    let notice = match call(&c, move |s| Ok(s.set_setting(&n, value))).await? {
        Ok(_) => tf("settings.set", &[("name", &name)]),
        Err(e) => tf("settings.refused", &[("name", &name), ("message", &e.message)]),
    };
    Ok(back(&format!("/tools/{tool}"), &notice))
}

/// Runs the tool (an operation of it) on an uploaded file, or on its configured file when
/// none is sent; then shows the run's page, which follows it live.
pub async fn run_with_upload(
    State(c): State<Console>,
    headers: HeaderMap,
    Path(tool): Path<String>,
    mut form: Multipart,
) -> Page {
    let s = require(&c, &headers, Role::Operator)?;
    known(&tool)?;
    let (mut csrf, mut op, mut dry_run, mut upload) = (String::new(), None, false, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request("upload.broken", tf("upload.form_broken", &[("error", &e)])))?
    {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "op" => op = Some(field.text().await.unwrap_or_default()).filter(|o| !o.is_empty()),
            "dry_run" => dry_run = field.text().await.is_ok_and(|v| v == "true" || v == "on"),
            "file" if csrf == s.csrf => {
                let name = field.file_name().unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::new(413, "upload.too_large", tf("upload.too_large", &[("error", &e)])))?;
                if !name.is_empty() {
                    upload = Some((name, bytes));
                }
            }
            _ => {}
        }
    }
    let by = Some(format!("console:{}", require_form(&c, &headers, Role::Operator, &csrf)?.username));
    let run = call(&c, move |s| {
        let file = match upload {
            Some((name, bytes)) => Some(s.upload(&name, &bytes)?["file"].as_str().unwrap_or_default().to_string()),
            None => None,
        };
        s.start_run(crate::RunBody { tool, op, file, dry_run, wait: false, by })
    })
    .await?;
    Ok(Redirect::to(&format!("/runs/{}", run["id"].as_i64().unwrap_or(0))).into_response())
}
