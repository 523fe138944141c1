//! Every route of the API, with the role it needs. Service calls may block (SQLite, runs):
//! they run on the blocking pool.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

use crate::{ApiError, LinesBody, OPENAPI, RunBody, Service};

pub(crate) type Shared = Arc<dyn Service>;

/// Routes and the role each needs (the OpenAPI document lists the same).
pub const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/api/v1/status", Role::Viewer),
    ("GET", "/api/v1/runs", Role::Viewer),
    ("POST", "/api/v1/runs", Role::Operator),
    ("GET", "/api/v1/runs/{id}", Role::Viewer),
    ("GET", "/api/v1/runs/{id}/report", Role::Viewer),
    ("GET", "/api/v1/runs/{id}/tryback", Role::Viewer),
    ("GET", "/api/v1/runs/{id}/changes", Role::Viewer),
    ("PUT", "/api/v1/files/{name}", Role::Operator),
    ("GET", "/api/v1/exports/{what}", Role::Viewer),
    ("POST", "/api/v1/lines", Role::Operator),
    ("GET", "/api/v1/cohorts", Role::Viewer),
    ("GET", "/api/v1/cohorts/{cohort}/members", Role::Viewer),
    ("POST", "/api/v1/cohorts/{cohort}/members", Role::Operator),
    ("POST", "/api/v1/cohorts/{cohort}/bindings", Role::Operator),
    ("POST", "/api/v1/courses", Role::Operator),
    ("POST", "/api/v1/courses/{course}/check", Role::Operator),
    ("GET", "/api/v1/courses/{course}/users", Role::Viewer),
    ("POST", "/api/v1/enrolments", Role::Operator),
    ("GET", "/api/v1/settings", Role::Admin),
    ("PUT", "/api/v1/settings/{name}", Role::Admin),
];

/// The API and console router; uploads are limited to `max_upload_bytes`.
pub fn router(service: Arc<dyn Service>, max_upload_bytes: usize) -> Router {
    let console = crate::ui::Console { service: service.clone(), sessions: Arc::new(crate::ui::Sessions::default()) };
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/status", get(status))
        .route("/api/v1/runs", get(runs).post(start_run))
        .route("/api/v1/runs/{id}", get(run))
        .route("/api/v1/runs/{id}/report", get(report))
        .route("/api/v1/runs/{id}/tryback", get(tryback))
        .route("/api/v1/runs/{id}/changes", get(changes))
        .route("/api/v1/exports/{what}", get(export))
        .route("/api/v1/lines", post(run_lines))
        .route("/api/v1/settings", get(settings))
        .route("/api/v1/settings/{name}", put(set_setting))
        .route("/api/v1/files/{name}", put(upload).layer(DefaultBodyLimit::max(max_upload_bytes)))
        .merge(crate::entity_routes::routes())
        .fallback(|| async { ApiError::not_found("api.no_route", "no such API route; see /api/v1/openapi.json") })
        .with_state(service)
        .merge(crate::ui::routes(console, max_upload_bytes))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Strict security headers on every response.
async fn security_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("cache-control", "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Runs a blocking service call.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("the call failed: {e}")))?
}

/// The caller's role, when it is at least `needed`.
pub(crate) async fn authorized(service: &Shared, headers: &HeaderMap, needed: Role) -> Result<Role, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                401,
                "auth.missing",
                "send an API token: Authorization: Bearer <token> (lmsync tokens create)",
            )
        })?
        .to_string();
    let s = service.clone();
    let role = blocking(move || s.authorize(&token))
        .await?
        .ok_or_else(|| ApiError::new(401, "auth.invalid", "this token is unknown or revoked"))?;
    if !role.allows(needed) {
        return Err(ApiError::new(
            403,
            "auth.forbidden",
            format!("this needs the {} role; the token has {}", needed.as_str(), role.as_str()),
        ));
    }
    Ok(role)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], OPENAPI).into_response()
}

async fn status(State(s): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    Ok(Json(blocking(move || s.status()).await?))
}

/// `limit` (default `default`, at least 1) and `offset` (default 0) of a query.
pub(crate) fn paging(q: &[(String, String)], default: usize) -> Result<(usize, usize), ApiError> {
    let number = |key: &str, default: usize| -> Result<usize, ApiError> {
        q.iter().find(|(k, _)| k == key).map_or(Ok(default), |(_, v)| {
            v.parse().map_err(|_| ApiError::bad_request("api.bad_query", format!("{key}={v} is not a number")))
        })
    };
    Ok((number("limit", default)?.max(1), number("offset", 0)?))
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<usize>,
}

async fn export(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(what): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    let (limit, offset) = paging(&q, 1000)?;
    let limit = limit.min(10_000);
    let filters: Vec<(String, String)> = q.into_iter().filter(|(k, _)| k != "limit" && k != "offset").collect();
    Ok(Json(blocking(move || s.export(&what, &filters, limit, offset)).await?))
}

async fn runs(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<Limit>) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    Ok(Json(blocking(move || s.runs(limit)).await?))
}

async fn run(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    Ok(Json(blocking(move || s.run(id)).await?))
}

async fn report(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    Ok(Json(blocking(move || s.report(id)).await?))
}

#[derive(Deserialize)]
struct Window {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn changes(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<Window>,
) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    let (limit, offset) = (q.limit.unwrap_or(1000).clamp(1, 10_000), q.offset.unwrap_or(0));
    Ok(Json(blocking(move || s.changes(id, limit, offset)).await?))
}

async fn tryback(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Result<Response, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    let (name, bytes) = blocking(move || s.tryback(id)).await?;
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn upload(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Operator).await?;
    Ok(Json(blocking(move || s.upload(&name, &body)).await?))
}

async fn start_run(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Operator).await?;
    let body: RunBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("api.bad_body", format!("the body is not a run request: {e}")))?;
    Ok(Json(blocking(move || s.start_run(body)).await?))
}

async fn run_lines(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Operator).await?;
    let body: LinesBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("api.bad_body", format!("the body is not a lines request: {e}")))?;
    Ok(Json(blocking(move || s.run_lines(body)).await?))
}

async fn settings(State(s): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Admin).await?;
    Ok(Json(blocking(move || s.settings()).await?))
}

async fn set_setting(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Admin).await?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("api.bad_body", format!("send {{\"value\": …}}: {e}")))?;
    let value =
        body.get("value").cloned().ok_or_else(|| ApiError::bad_request("api.bad_body", "send {\"value\": …}"))?;
    Ok(Json(blocking(move || s.set_setting(&name, value)).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_lists_every_route() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        for (method, path, _) in ROUTES {
            let item = &doc["paths"][path.trim_start_matches("/api/v1")];
            assert!(item[method.to_lowercase()].is_object(), "{method} {path} is missing from openapi.json");
        }
    }
}
