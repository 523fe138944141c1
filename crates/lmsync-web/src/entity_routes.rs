//! Routes named after what they change — cohorts and their members and bindings, courses, and
//! enrolments — for clients that would otherwise have to know the command files' columns. Reads
//! are the data browser's views; every write is the lines of a command file run through
//! `Service::run_lines`, so it is a recorded run with its report, tryback and journal.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use lmsync_core::access::Role;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::entity_lines::{BindingsBody, EnrolmentsBody, MembersBody, check_lines, course_lines};
use crate::routes::{Shared, authorized, blocking, paging};
use crate::{ApiError, LinesBody};

/// Rows a page of these routes holds unless `limit` says otherwise.
const PAGE: usize = 100;
/// The most rows a page holds (the data browser's own bound).
const MAX_PAGE: usize = 500;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/cohorts", get(cohorts))
        .route("/api/v1/cohorts/{cohort}/members", window_route(&COHORT_MEMBERS).post(change_members))
        .route("/api/v1/cohorts/{cohort}/bindings", post(change_bindings))
        .route("/api/v1/courses", post(create_course))
        .route("/api/v1/courses/{course}/check", post(check_course))
        .route("/api/v1/courses/{course}/users", window_route(&COURSE_USERS))
        .route("/api/v1/enrolments", post(enrolments))
}

type Q = Query<Vec<(String, String)>>;

fn text<'q>(q: &'q [(String, String)], key: &str) -> Option<&'q str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn page(q: &[(String, String)]) -> Result<(usize, usize), ApiError> {
    paging(q, PAGE).map(|(limit, offset)| (limit.min(MAX_PAGE), offset))
}

fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("api.bad_body", format!("the body is not {what}: {e}")))
}

/// A browse view, its "not found" given the entity's own code.
async fn browse(
    s: &Shared,
    what: &'static str,
    key: String,
    filter: Option<String>,
    (limit, offset): (usize, usize),
) -> Result<Value, ApiError> {
    let s = s.clone();
    blocking(move || s.browse(what, &key, filter.as_deref(), limit, offset)).await.map_err(|e| match e.code {
        "browse.not_found" if what.starts_with("cohort") => ApiError::not_found("cohort.not_found", e.message),
        "browse.not_found" => ApiError::not_found("course.not_found", e.message),
        _ => e,
    })
}

/// Runs the lines and answers with the finished run and each item's outcome (`item`: its place
/// in the request, in the order the body lists them). A run that could not run its lines at all
/// (aborted: a column the tool does not take, a change threshold) is a 400 naming the run.
async fn run(s: &Shared, lines: LinesBody) -> Result<Value, ApiError> {
    let s = s.clone();
    let mut run = blocking(move || s.run_lines(lines)).await?;
    let report = run.as_object_mut().and_then(|r| r.remove("report")).unwrap_or(Value::Null);
    // Line 1 is the header; the items follow one line each (values never hold line breaks).
    let lines: Vec<Value> = report["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let item = l["line"].as_u64()?.checked_sub(2)?;
            let mut l = l.clone();
            l["item"] = json!(item);
            Some(l)
        })
        .collect();
    if run["status"] == "aborted" {
        return Err(ApiError::bad_request(
            "lines.refused",
            format!("run {} refused the lines: {}", run["id"], run["message"].as_str().unwrap_or_default()),
        ));
    }
    run["lines"] = lines.into();
    run["notes"] = report.get("notes").cloned().unwrap_or_else(|| json!([]));
    Ok(run)
}

async fn cohorts(State(s): State<Shared>, headers: HeaderMap, Query(q): Q) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    let (limit, offset) = page(&q)?;
    let search = text(&q, "q").unwrap_or_default().to_string();
    let rows = browse(&s, "cohorts", search.clone(), None, (limit, offset)).await?;
    Ok(Json(json!({ "q": search, "limit": limit, "offset": offset, "cohorts": rows })))
}

/// An entity's browse view and a window of one of its lists, as `{<entity>: {fields}, <filter>,
/// limit, offset, <list>: rows}`.
struct Window {
    entity: &'static str,
    fields: &'static [&'static str],
    list: &'static str,
    name: &'static str,
    filter: Option<&'static str>,
}

const COHORT_MEMBERS: Window = Window {
    entity: "cohort",
    fields: &["id", "name", "idnumber", "members"],
    list: "cohort-members",
    name: "members",
    filter: None,
};

const COURSE_USERS: Window = Window {
    entity: "course",
    fields: &["id", "shortname", "fullname"],
    list: "course-users",
    name: "users",
    filter: Some("role"),
};

/// The handler of a window's route.
fn window_route(w: &'static Window) -> MethodRouter<Shared> {
    get(move |State(s): State<Shared>, headers: HeaderMap, Path(key): Path<String>, Query(q): Q| {
        window(s, headers, key, q, w)
    })
}

async fn window(
    s: Shared,
    headers: HeaderMap,
    key: String,
    q: Vec<(String, String)>,
    w: &Window,
) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Viewer).await?;
    let (limit, offset) = page(&q)?;
    let filter = w.filter.and_then(|f| text(&q, f)).filter(|v| !v.is_empty()).map(str::to_string);
    let found = browse(&s, w.entity, key.clone(), None, (0, 0)).await?;
    let rows = browse(&s, w.list, key, filter.clone(), (limit, offset)).await?;
    let entity: Map<String, Value> = w.fields.iter().map(|f| (f.to_string(), found[*f].clone())).collect();
    let mut out = json!({ w.entity: entity, "limit": limit, "offset": offset, w.name: rows });
    if let Some(f) = w.filter {
        out[f] = json!(filter);
    }
    Ok(Json(out))
}

/// An operator's write on a cohort: the body, and the cohort it names (404 when none).
async fn cohort_write<T: DeserializeOwned>(
    s: &Shared,
    headers: &HeaderMap,
    cohort: String,
    body: &[u8],
    what: &str,
) -> Result<(T, Value), ApiError> {
    authorized(s, headers, Role::Operator).await?;
    let body = parse(body, what)?;
    Ok((body, browse(s, "cohort", cohort, None, (0, 0)).await?))
}

async fn change_members(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(cohort): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let what = "{\"add\": [users], \"remove\": [users]}";
    let (body, found): (MembersBody, _) = cohort_write(&s, &headers, cohort, &body, what).await?;
    let id = found["id"].as_i64().ok_or_else(|| ApiError::internal("the cohort has no id"))?;
    Ok(Json(run(&s, body.lines(id)?).await?))
}

async fn change_bindings(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(cohort): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let what = "{\"bind\": […], \"unbind\": […], \"suspend\": […], \"restore\": […]}";
    let (body, found): (BindingsBody, _) = cohort_write(&s, &headers, cohort.clone(), &body, what).await?;
    // The bindings file names a cohort only by `cohorts.cohort_identifier`.
    let settings = {
        let s = s.clone();
        blocking(move || s.settings()).await?
    };
    let identifier = settings["cohorts"]["cohort_identifier"].as_str().unwrap_or("idnumber").to_string();
    let named = match found[identifier.as_str()].clone() {
        Value::Number(n) => n.to_string(),
        Value::String(t) if !t.is_empty() => t,
        _ => {
            return Err(ApiError::new(
                409,
                "cohort.no_identifier",
                format!(
                    "cohort {cohort:?} has no {identifier}, by which cohorts.cohort_identifier names cohorts in bindings"
                ),
            ));
        }
    };
    Ok(Json(run(&s, body.lines(&named)?).await?))
}

async fn create_course(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Operator).await?;
    let body: Map<String, Value> = parse(&body, "a course (an object of the create file's columns)")?;
    let shortname = body.get("shortname").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut done = run(&s, course_lines(body)?).await?;
    let course = browse(&s, "course", shortname, None, (0, 0)).await.ok();
    done["course"] = course.unwrap_or(Value::Null);
    Ok(Json(done))
}

async fn check_course(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(course): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Operator).await?;
    let mut done = run(&s, check_lines(&course)?).await?;
    let exists = done["lines"].as_array().and_then(|l| l.first()).map(|l| l["outcome"] == "unchanged");
    done["exists"] = json!(exists.unwrap_or(false));
    Ok(Json(done))
}

async fn enrolments(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    authorized(&s, &headers, Role::Operator).await?;
    let body: EnrolmentsBody = parse(&body, "{\"lines\": [{\"action\", \"user\", \"course\", \"role\", …}]}")?;
    Ok(Json(run(&s, body.lines()?).await?))
}
