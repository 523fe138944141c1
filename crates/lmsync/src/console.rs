//! What the console asks of the site beyond the API: each tool's state for its card and page,
//! the data browser, the course utilities and the file manager's previews and moves. The
//! `Service` methods in `web.rs` call these.

use lmsync_core::RunStore;
use lmsync_web::ApiError;
use serde_json::{Value, json};
use std::path::Path;

use crate::app::{App, Job};
use crate::commands::courses::{self, CourseFile};
use crate::web::{WebService, internal, run_json};

/// A tool's operations: each one's name (`None` when the tool has one) and job.
type Operations = &'static [(Option<&'static str>, Job)];

/// Every tool and its operations, as the console offers them.
pub const TOOL_OPS: &[(&str, Operations)] = &[
    ("users", &[(None, Job::Users)]),
    (
        "courses",
        &[
            (Some("delete"), Job::CourseDelete),
            (Some("create"), Job::CourseCreate),
            (Some("metas"), Job::CourseMetas),
            (Some("check"), Job::CourseCheck),
            (Some("reset"), Job::CourseReset),
        ],
    ),
    ("cohorts", &[(Some("members"), Job::CohortMembers), (Some("bindings"), Job::CohortBindings)]),
    ("enrols", &[(None, Job::Enrols)]),
    ("groups", &[(Some("groups"), Job::Groups), (Some("members"), Job::GroupMembers)]),
    ("userpictures", &[(None, Job::UserPictures)]),
];

/// The files a run of `job` would read now, by their path in the area (a URL location is
/// named as such: it is only fetched by the run).
fn waiting(app: &App, job: Job) -> Result<Vec<String>, ApiError> {
    let root = app.area().root().to_path_buf();
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).to_string_lossy().into_owned();
    if job == Job::UserPictures {
        return Ok(app.picture_archives().map_err(internal)?.iter().map(|p| rel(p)).collect());
    }
    let (location, default_name) = app.location(job);
    let location = location.trim();
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(vec![format!("{location} (fetched when the tool runs)")]);
    }
    if location.contains('*') && !location.contains(',') {
        return Ok(app.inputs(job, None).map_err(internal)?.into_iter().flatten().map(|p| rel(&p)).collect());
    }
    let names: Vec<&str> =
        if location.is_empty() { vec![default_name] } else { location.split(',').map(str::trim).collect() };
    Ok(names
        .into_iter()
        .map(|n| n.trim_start_matches('/'))
        .filter(|n| !n.is_empty() && root.join(n).is_file())
        .map(str::to_string)
        .collect())
}

/// Every tool's card: schedule and next run, operations with their configured file and what
/// waits, the tool's settings and its last run.
pub fn tools(service: &WebService) -> Result<Value, ApiError> {
    let app = service.app()?;
    let now = chrono::Utc::now();
    let schedules = crate::commands::serve_schedules(&app).map_err(internal)?;
    let settings = serde_json::to_value(&app.settings).map_err(internal)?;
    let mut store = app.store().map_err(internal)?;
    let recent = store.recent_runs(500).map_err(internal)?;
    let mut out = Vec::new();
    for (tool, ops) in TOOL_OPS {
        let schedule = schedules.iter().find(|(n, _)| n == tool).map(|(_, s)| s);
        let mut operations = Vec::new();
        for (op, job) in ops.iter() {
            let (location, default_name) = app.location(*job);
            let location = if location.trim().is_empty() { default_name.to_string() } else { location };
            operations.push(json!({ "op": op, "location": location, "waiting": waiting(&app, *job)? }));
        }
        out.push(json!({
            "tool": tool,
            "schedule": schedule.map(|s| s.expr.clone()),
            "next_run": schedule.and_then(|s| app.clock.next_fire(s, now)).map(|t| t.timestamp()),
            "operations": operations,
            "settings": settings[tool],
            "last_run": recent.iter().find(|r| r.tool == *tool).map(run_json),
        }));
    }
    Ok(Value::Array(out))
}

/// The data browser's views (see `Service::browse`).
pub fn browse(
    service: &WebService,
    what: &str,
    key: &str,
    filter: Option<&str>,
    limit: usize,
    offset: usize,
) -> Result<Value, ApiError> {
    let store = service.app()?.store().map_err(internal)?;
    let window = lmsync_sqlite::Window { limit, offset };
    let missing = |kind: &str| ApiError::not_found("browse.not_found", format!("no {kind} {key:?}"));
    Ok(match what {
        "categories" => store.browse_categories().map_err(internal)?.into(),
        "course" => store.browse_course(key).map_err(internal)?.ok_or_else(|| missing("course"))?,
        "course-users" => store.browse_course_users(key, filter, window).map_err(internal)?.into(),
        "user" => store.browse_user(key).map_err(internal)?.ok_or_else(|| missing("user"))?,
        "cohorts" => store.browse_cohorts(key, window).map_err(internal)?.into(),
        "cohort" => store.browse_cohort(key).map_err(internal)?.ok_or_else(|| missing("cohort"))?,
        "cohort-members" => {
            let cohort = store.browse_cohort(key).map_err(internal)?.ok_or_else(|| missing("cohort"))?;
            let id = cohort["id"].as_i64().unwrap_or_default();
            store.browse_cohort_members(id, window).map_err(internal)?.into()
        }
        s if s.starts_with("search-") => {
            store.browse_search(&s["search-".len()..], key, limit).map_err(internal)?.into()
        }
        _ => return Err(ApiError::not_found("browse.unknown", format!("the data browser has no view {what:?}"))),
    })
}

/// Courses for the utilities' pickers.
pub fn select_courses(service: &WebService, category: &str, pattern: &str) -> Result<Value, ApiError> {
    let app = service.app()?;
    let all = courses::courses(&app).map_err(internal)?;
    let given = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    let chosen = courses::matching(all, given(category).as_deref(), given(pattern).as_deref(), &[]);
    Ok(chosen
        .iter()
        .map(|c| {
            json!({ "id": c.id, "shortname": c.shortname, "fullname": c.fullname, "idnumber": c.idnumber, "category_path": c.path })
        })
        .collect())
}

/// Writes the delete or reset file for the chosen course ids.
pub fn make_course_file(service: &WebService, kind: &str, ids: &[i64], replace: bool) -> Result<Value, ApiError> {
    let kind = match kind {
        "delete" => CourseFile::Delete,
        "reset" => CourseFile::Reset,
        other => {
            return Err(ApiError::bad_request(
                "utility.bad_kind",
                format!("{other:?}: write a delete or a reset file"),
            ));
        }
    };
    if ids.is_empty() {
        return Err(ApiError::bad_request("utility.no_course", "choose at least one course"));
    }
    let app = service.app()?;
    let chosen: Vec<courses::Listed> =
        courses::courses(&app).map_err(internal)?.into_iter().filter(|c| ids.contains(&c.id)).collect();
    let (name, text) = courses::course_file(&app, kind, &chosen);
    app.area().ensure().map_err(internal)?;
    let path = courses::write_file(&app, &name, &text, replace)
        .map_err(|e| ApiError::new(409, "utility.file_exists", format!("{e:#}")))?;
    let file = path.strip_prefix(app.area().root()).unwrap_or(&path).to_string_lossy().into_owned();
    Ok(json!({ "file": file, "courses": chosen.len() }))
}

/// Lists, and with `confirm` deletes, the empty categories under `from`.
pub fn clean_categories(service: &WebService, from: &str, confirm: bool) -> Result<Value, ApiError> {
    let app = service.app()?;
    let from = Some(from.trim()).filter(|f| !f.is_empty());
    let empty = courses::empty_categories(&app, from)
        .map_err(|e| ApiError::bad_request("utility.bad_category", format!("{e:#}")))?;
    let paths: Vec<&str> = empty.iter().map(|(_, p)| p.as_str()).collect();
    if !confirm || empty.is_empty() {
        return Ok(json!({ "empty": paths, "run": null, "deleted": 0, "failed": 0 }));
    }
    let (run, counts) = courses::delete_categories(&app, &empty, "console", "(console)").map_err(internal)?;
    Ok(json!({ "empty": paths, "run": run, "deleted": counts.deleted, "failed": counts.failed }))
}

/// Rows a CSV preview shows.
const PREVIEW_ROWS: usize = 200;
/// Bytes of a text file (a report) a preview shows.
const PREVIEW_BYTES: usize = 1 << 20;

/// A file as the file manager previews it: the text of a report or log; for a command file,
/// its first rows in the configured dialect and which tools' header it fits.
pub fn preview_file(service: &WebService, path: &str) -> Result<Value, ApiError> {
    let file = service.inside(path)?;
    if !file.is_file() {
        return Err(ApiError::not_found("file.not_found", format!("{path} is not a file of the area")));
    }
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    // Reports are text (or JSON) whatever their name; other `.csv` and `.txt` files are
    // command files.
    let report = path.trim_start_matches('/').starts_with("reports/");
    if !report && (lower.ends_with(".csv") || lower.ends_with(".txt")) {
        return csv_preview(service, &file, &name);
    }
    if report || [".txt", ".log", ".json", ".md", ".toml"].iter().any(|e| lower.ends_with(e)) {
        let bytes = std::fs::read(&file).map_err(internal)?;
        let shown = &bytes[..bytes.len().min(PREVIEW_BYTES)];
        let text = if lower.ends_with(".json") {
            serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| String::from_utf8_lossy(shown).into_owned())
        } else {
            String::from_utf8_lossy(shown).into_owned()
        };
        return Ok(json!({ "kind": "text", "name": name, "text": text, "truncated": bytes.len() > PREVIEW_BYTES }));
    }
    Ok(json!({ "kind": "binary", "name": name }))
}

fn csv_preview(service: &WebService, file: &Path, name: &str) -> Result<Value, ApiError> {
    let app = service.app()?;
    let dialect = lmsync_core::run::dialect(&app.settings).map_err(|e| internal(e.to_string()))?;
    let open = || std::fs::File::open(file).map(std::io::BufReader::new).map_err(internal);
    let mut reader = match lmsync_csv::CsvReader::open(open()?, &dialect) {
        Ok(r) => r,
        Err(e) => {
            return Ok(
                json!({ "kind": "csv", "name": name, "error": e.to_string(), "columns": [], "rows": [], "fits": [] }),
            );
        }
    };
    let header = reader.header().clone();
    let mut rows = Vec::new();
    let mut more = false;
    for record in reader.by_ref() {
        if rows.len() == PREVIEW_ROWS {
            more = true;
            break;
        }
        match record {
            Ok(r) => rows.push(json!({ "line": r.line, "fields": r.fields.as_ref().ok(), "error": r.fields.as_ref().err().map(|e| e.to_string()) })),
            Err(e) => {
                rows.push(json!({ "line": null, "fields": null, "error": e.to_string() }));
                break;
            }
        }
    }
    // The tools whose header rules this header passes, and for the file's own tool (the one
    // configured to read a file of this name) why it does not.
    let mut fits = Vec::new();
    let mut problems = Vec::new();
    for (tool, ops) in TOOL_OPS {
        for (op, job) in ops.iter() {
            if matches!(job, Job::UserPictures | Job::CourseCheck | Job::CourseDelete) {
                continue;
            }
            let Ok(t) = app.tool(*job) else { continue };
            let label = op.map_or_else(|| tool.to_string(), |o| format!("{tool} {o}"));
            match lmsync_csv::validate_header(&header, t.rules(), app.settings.csv.allow_unknown_columns, name) {
                Ok(_) => fits.push(label),
                Err(e) if app.jobs_for_arrival(name).contains(job) => problems.push(format!("{label}: {e}")),
                Err(_) => {}
            }
        }
    }
    Ok(json!({
        "kind": "csv", "name": name, "columns": header.names, "header_line": header.line,
        "rows": rows, "more": more, "fits": fits, "problems": problems,
    }))
}
