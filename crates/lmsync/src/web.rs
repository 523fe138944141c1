//! What the API does (`lmsync_web::Service`): each call opens the data directory afresh (settings
//! read again, the store opened for the call), like a scheduled pass.

use lmsync_core::RunStore;
use lmsync_core::access::Role;
use lmsync_core::settings::{HIDDEN, SECRETS};
use lmsync_core::target::RunInfo;
use lmsync_web::{ApiError, LinesBody, RunBody, Service};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::app::{App, Job};

pub struct WebService {
    root: PathBuf,
    /// The line count of each running run's input, counted once (a console page asks for a
    /// run's progress every 2 s; a big input is not read again each time).
    line_counts: std::sync::Mutex<std::collections::HashMap<i64, Option<u64>>>,
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

/// A journal entry as the API and the console show it (`before` / `after` as objects).
fn journal_json(e: &lmsync_sqlite::JournalEntry) -> Value {
    let values = |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
    json!({ "run_id": e.run_id, "line": e.line, "entity": e.entity, "key": e.key, "action": e.action,
            "before": values(&e.before), "after": values(&e.after), "at": e.at })
}

fn no_run(id: i64) -> ApiError {
    ApiError::not_found("run.not_found", format!("no run {id}"))
}

impl WebService {
    pub fn new(root: PathBuf) -> Self {
        WebService { root, line_counts: Default::default() }
    }

    /// The lines of a running run's input, counted on first asking.
    fn lines_of(&self, r: &RunInfo) -> Option<u64> {
        if let Some(n) = self.line_counts.lock().ok().and_then(|m| m.get(&r.id).copied()) {
            return n;
        }
        let n = count_lines(Path::new(&r.input));
        if let Ok(mut m) = self.line_counts.lock() {
            // Only running runs are asked about: the map stays small; bound it anyway.
            if m.len() >= 1000 {
                m.clear();
            }
            m.insert(r.id, n);
        }
        n
    }

    pub(crate) fn app(&self) -> Result<App, ApiError> {
        App::open(&self.root).map_err(|e| internal(format!("{e:#}")))
    }

    /// A path of the file area: relative, no `..`, no hidden part, and still inside the area
    /// once symbolic links are resolved.
    pub(crate) fn inside(&self, rel: &str) -> Result<PathBuf, ApiError> {
        let bad = || ApiError::bad_request("file.bad_name", format!("{rel:?} is not a path of the file area"));
        let rel = rel.trim_matches('/');
        if rel.split('/').any(|p| p == ".." || p.starts_with('.') || p.contains(['\\', '\0'])) {
            return Err(bad());
        }
        let area = self.app()?.area();
        let root = area.root().canonicalize().map_err(internal)?;
        let path = root.join(rel);
        match path.canonicalize() {
            Ok(real) if real.starts_with(&root) => Ok(real),
            Ok(_) => Err(bad()),
            Err(_) => Err(ApiError::not_found("file.not_found", format!("the file area has no {rel}"))),
        }
    }
}

/// A run as the API shows it.
pub fn run_json(r: &RunInfo) -> Value {
    json!({
        "id": r.id, "tool": r.tool, "operation": r.operation, "input": r.input, "dry_run": r.dry_run,
        "trigger": r.trigger, "status": r.status.as_str(), "started_at": r.started_at,
        "finished_at": r.finished_at, "last_line": r.last_line,
        "counts": {
            "created": r.counts.created, "updated": r.counts.updated, "deleted": r.counts.deleted,
            "unchanged": r.counts.unchanged, "skipped": r.counts.skipped, "failed": r.counts.failed,
        },
        "report": r.report, "tryback": r.tryback, "archive": r.archive, "message": r.message,
    })
}

/// The physical lines of a file, if it can be read.
pub fn count_lines(path: &Path) -> Option<u64> {
    std::fs::File::open(path).ok().map(|f| {
        use std::io::BufRead;
        std::io::BufReader::with_capacity(1 << 16, f).split(b'\n').count() as u64
    })
}

/// How far a running run is: lines handled, lines of its input (`total`), lines per second so
/// far and the seconds left at that rate.
pub fn progress(r: &RunInfo, total: Option<u64>) -> Value {
    let elapsed = (chrono::Utc::now().timestamp() - r.started_at).max(1) as f64;
    let rate = r.last_line as f64 / elapsed;
    let eta = match total {
        Some(t) if rate > 0.0 && t > r.last_line => Some(((t - r.last_line) as f64 / rate).round() as u64),
        _ => None,
    };
    json!({ "lines_done": r.last_line, "lines_total": total, "lines_per_second": rate.round() as u64, "seconds_left": eta })
}

/// The jobs of a tool and operation named in a request.
fn jobs(tool: &str, op: Option<&str>) -> Result<Vec<Job>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "run.bad_tool",
            format!(
                "unknown tool or operation {tool}{}: tools are users, courses (check, create, delete, metas, reset), enrols, groups (groups, members), cohorts (members, bindings), userpictures",
                op.map(|o| format!(" --op {o}")).unwrap_or_default()
            ),
        )
    };
    Ok(match (tool, op.unwrap_or("all")) {
        ("users", _) => vec![Job::Users],
        ("enrols", _) => vec![Job::Enrols],
        ("userpictures", _) => vec![Job::UserPictures],
        ("courses", "check") => vec![Job::CourseCheck],
        ("courses", "create") => vec![Job::CourseCreate],
        ("courses", "delete") => vec![Job::CourseDelete],
        ("courses", "metas") => vec![Job::CourseMetas],
        ("courses", "reset") => vec![Job::CourseReset],
        ("courses", "all") => vec![Job::CourseDelete, Job::CourseCreate, Job::CourseMetas],
        ("groups", "groups") => vec![Job::Groups],
        ("groups", "members") => vec![Job::GroupMembers],
        ("groups", "all") => vec![Job::Groups, Job::GroupMembers],
        ("cohorts", "members") => vec![Job::CohortMembers],
        ("cohorts", "bindings") => vec![Job::CohortBindings],
        ("cohorts", "all") => vec![Job::CohortMembers, Job::CohortBindings],
        _ => return Err(bad()),
    })
}

/// An account or token name: letters, digits and `._@-`.
fn grant_name(name: &str) -> Result<&str, ApiError> {
    let ok =
        !name.is_empty() && name.len() <= 100 && name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::bad_request("access.bad_name", format!("{name:?}: use letters, digits and . _ @ -")))
    }
}

/// A file name for the area root: no folder, nothing hidden.
fn safe_name(name: &str) -> Result<&str, ApiError> {
    let ok = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0']) && name.len() <= 200;
    if ok {
        Ok(name)
    } else {
        Err(ApiError::bad_request("file.bad_name", format!("{name:?} is not a file name (no folder, not hidden)")))
    }
}

impl Service for WebService {
    fn authorize(&self, token: &str) -> Result<Option<Role>, ApiError> {
        self.app()?.store().map_err(internal)?.token_role(token).map_err(internal)
    }

    fn login(&self, username: &str, password: &str) -> Result<Option<Role>, ApiError> {
        self.app()?.store().map_err(internal)?.login(username, password).map_err(internal)
    }

    fn status(&self) -> Result<Value, ApiError> {
        let app = self.app()?;
        let now = chrono::Utc::now();
        let tasks: Vec<Value> = crate::commands::serve_schedules(&app)
            .map_err(internal)?
            .iter()
            .map(|(name, sch)| json!({ "task": name, "schedule": sch.expr, "next_run": app.clock.next_fire(sch, now).map(|t| t.timestamp()) }))
            .collect();
        let drop = app.drop_folder();
        let waiting: Vec<String> = lmsync_core::drop::candidates(&drop.dir)
            .map_err(internal)?
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let locks: Vec<&str> = [lmsync_core::drop::WRITER_LOCK, lmsync_core::drop::READER_LOCK]
            .into_iter()
            .filter(|l| drop.dir.join(l).exists())
            .collect();
        let mut store = app.store().map_err(internal)?;
        let last: Vec<Value> = store.recent_runs(20).map_err(internal)?.iter().map(run_json).collect();
        Ok(
            json!({ "version": env!("CARGO_PKG_VERSION"), "tasks": tasks, "drop": { "waiting": waiting, "locks": locks }, "recent_runs": last }),
        )
    }

    fn runs(&self, limit: usize) -> Result<Value, ApiError> {
        let mut store = self.app()?.store().map_err(internal)?;
        Ok(Value::Array(store.recent_runs(limit).map_err(internal)?.iter().map(run_json).collect()))
    }

    fn run(&self, id: i64) -> Result<Value, ApiError> {
        let mut store = self.app()?.store().map_err(internal)?;
        match store.run(id).map_err(internal)? {
            Some(r) => {
                let mut v = run_json(&r);
                if r.status == lmsync_core::target::RunStatus::Running {
                    v["progress"] = progress(&r, self.lines_of(&r));
                }
                Ok(v)
            }
            None => Err(no_run(id)),
        }
    }

    fn report(&self, id: i64) -> Result<Value, ApiError> {
        let mut store = self.app()?.store().map_err(internal)?;
        let r = store.run(id).map_err(internal)?.ok_or_else(|| no_run(id))?;
        let text = r
            .report
            .as_ref()
            .map(|p| json_report_of(Path::new(p)))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .ok_or_else(|| ApiError::not_found("run.no_report", format!("run {id} has no report (yet)")))?;
        serde_json::from_str(&text).map_err(internal)
    }

    fn tryback(&self, id: i64) -> Result<(String, Vec<u8>), ApiError> {
        let mut store = self.app()?.store().map_err(internal)?;
        let r = store.run(id).map_err(internal)?.ok_or_else(|| no_run(id))?;
        let path = r
            .tryback
            .map(PathBuf::from)
            .ok_or_else(|| ApiError::not_found("run.no_tryback", format!("run {id} has no tryback")))?;
        let bytes = std::fs::read(&path)
            .map_err(|e| ApiError::not_found("run.no_tryback", format!("the tryback of run {id} is gone: {e}")))?;
        Ok((path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes))
    }

    fn upload(&self, name: &str, bytes: &[u8]) -> Result<Value, ApiError> {
        self.upload_into("", name, bytes)
    }

    fn list_files(&self, folder: &str) -> Result<Value, ApiError> {
        let dir = self.inside(folder)?;
        let mut entries = Vec::new();
        for e in std::fs::read_dir(&dir).map_err(|e| ApiError::not_found("file.not_found", format!("{folder}: {e}")))? {
            let e = e.map_err(internal)?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let meta = e.metadata().map_err(internal)?;
            let modified =
                meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs());
            entries.push(json!({ "name": name, "folder": meta.is_dir(), "bytes": meta.len(), "modified": modified }));
        }
        entries.sort_by(|a, b| {
            (b["folder"].as_bool(), a["name"].as_str()).cmp(&(a["folder"].as_bool(), b["name"].as_str()))
        });
        Ok(json!({ "folder": folder, "entries": entries }))
    }

    fn read_file(&self, path: &str) -> Result<(String, Vec<u8>), ApiError> {
        let file = self.inside(path)?;
        let bytes = std::fs::read(&file).map_err(|e| ApiError::not_found("file.not_found", format!("{path}: {e}")))?;
        Ok((file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes))
    }

    fn delete_file(&self, path: &str) -> Result<(), ApiError> {
        let file = self.inside(path)?;
        if !file.is_file() {
            return Err(ApiError::not_found("file.not_found", format!("{path} is not a file of the area")));
        }
        std::fs::remove_file(&file).map_err(internal)?;
        tracing::info!("{path} deleted from the file area through the console");
        Ok(())
    }

    fn access(&self) -> Result<Value, ApiError> {
        let store = self.app()?.store().map_err(internal)?;
        let list = |grants: Vec<lmsync_sqlite::Grant>| -> Vec<Value> {
            grants.iter().map(|g| json!({ "name": g.name, "role": g.role.as_str(), "created": g.created })).collect()
        };
        Ok(
            json!({ "accounts": list(store.accounts().map_err(internal)?), "tokens": list(store.tokens().map_err(internal)?) }),
        )
    }

    fn set_account(&self, name: &str, role: Role) -> Result<String, ApiError> {
        let name = grant_name(name)?;
        let password = lmsync_core::access::new_password();
        self.app()?.store().map_err(internal)?.set_account(name, &password, role).map_err(internal)?;
        tracing::info!("console account {name} set ({}) through the console", role.as_str());
        Ok(password)
    }

    fn remove_account(&self, name: &str) -> Result<(), ApiError> {
        if self.app()?.store().map_err(internal)?.remove_account(name).map_err(internal)? {
            Ok(())
        } else {
            Err(ApiError::not_found("account.not_found", format!("no account {name}")))
        }
    }

    fn create_token(&self, name: &str, role: Role) -> Result<String, ApiError> {
        let name = grant_name(name)?;
        self.app()?
            .store()
            .map_err(internal)?
            .create_token(name, role)
            .map_err(|e| ApiError::bad_request("token.refused", e.to_string()))
    }

    fn revoke_token(&self, name: &str) -> Result<(), ApiError> {
        if self.app()?.store().map_err(internal)?.revoke_token(name).map_err(internal)? {
            Ok(())
        } else {
            Err(ApiError::not_found("token.not_found", format!("no token {name}")))
        }
    }

    fn audit(&self, key: &str) -> Result<Value, ApiError> {
        let store = self.app()?.store().map_err(internal)?;
        let entries = store.journal_for(key, 500).map_err(internal)?;
        Ok(Value::Array(entries.iter().map(journal_json).collect()))
    }

    fn changes(&self, run_id: i64, limit: usize, offset: usize) -> Result<Value, ApiError> {
        let mut store = self.app()?.store().map_err(internal)?;
        store.run(run_id).map_err(internal)?.ok_or_else(|| no_run(run_id))?;
        let (total, entries) = store.journal_of_run(run_id, limit, offset).map_err(internal)?;
        let changes: Vec<Value> = entries.iter().map(journal_json).collect();
        Ok(json!({ "run_id": run_id, "total": total, "offset": offset, "changes": changes }))
    }

    fn send_test_mail(&self) -> Result<String, ApiError> {
        use lmsync_core::mail::Mailer;
        let app = self.app()?;
        let smtp = &app.settings.smtp;
        let mailer = crate::mail::SmtpMailer::from_settings(smtp)
            .map_err(|e| ApiError::bad_request("smtp.refused", format!("{e:#}")))?
            .ok_or_else(|| ApiError::bad_request("smtp.off", "smtp.host is empty: no e-mail can be sent"))?;
        if smtp.admins.is_empty() {
            return Err(ApiError::bad_request("smtp.no_admins", "smtp.admins is empty: nobody to send to"));
        }
        for to in &smtp.admins {
            mailer
                .send(to, &format!("{} : test e-mail", app.settings.site_name), "lmsync can send you alarms.")
                .map_err(|e| ApiError::bad_request("smtp.failed", format!("sending to {to} failed: {e}")))?;
        }
        Ok(smtp.admins.join(", "))
    }

    fn export(&self, what: &str, filters: &[(String, String)], limit: usize, offset: usize) -> Result<Value, ApiError> {
        self.export_page(what, filters, limit, offset)
    }

    fn settings(&self) -> Result<Value, ApiError> {
        let app = self.app()?;
        let mut v = serde_json::to_value(&app.settings).map_err(internal)?;
        for secret in SECRETS {
            let pointer = format!("/{}", secret.replace('.', "/"));
            if let Some(p) = v.pointer_mut(&pointer).filter(|p| p.as_str().is_some_and(|s| !s.is_empty())) {
                *p = Value::String(HIDDEN.into());
            }
        }
        Ok(v)
    }

    fn set_setting(&self, name: &str, value: Value) -> Result<Value, ApiError> {
        let refused = |m: String| ApiError::bad_request("setting.refused", m);
        // The settings page shows a secret as HIDDEN: saving that back would replace it.
        if SECRETS.contains(&name) && value.as_str() == Some(HIDDEN) {
            return Err(refused(format!("{name} is a secret shown as {HIDDEN}: type the new value")));
        }
        let toml_value: toml_edit::Value = match &value {
            Value::String(s) => s.as_str().into(),
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => match n.as_i64() {
                Some(i) => i.into(),
                None => n.as_f64().unwrap_or_default().into(),
            },
            Value::Array(items) => {
                let mut a = toml_edit::Array::new();
                for item in items {
                    match item.as_str() {
                        Some(s) => a.push(s),
                        None => return Err(refused(format!("{name}: only lists of text are settings"))),
                    }
                }
                toml_edit::Value::Array(a)
            }
            _ => return Err(refused(format!("{name}: a setting is text, a number, true/false or a list of text"))),
        };
        if name.contains(['[', ']', '"']) || name.split('.').count() > 2 {
            return Err(refused(format!("{name:?} is not a setting name (section.key)")));
        }
        let app = self.app()?;
        crate::config::set(&app.data.config(), name, toml_value).map_err(|e| refused(format!("{e:#}")))?;
        tracing::info!("setting {name} changed through the API");
        Ok(json!({ "setting": name, "value": if SECRETS.contains(&name) { json!(HIDDEN) } else { value } }))
    }

    fn run_lines(&self, body: LinesBody) -> Result<Value, ApiError> {
        let app = self.app()?;
        jobs(&body.tool, body.op.as_deref())?;
        if body.columns.is_empty() || body.lines.is_empty() {
            return Err(ApiError::bad_request("lines.empty", "send columns (the header) and at least one line"));
        }
        if let Some((i, _)) = body.lines.iter().enumerate().find(|(_, l)| l.len() != body.columns.len()) {
            return Err(ApiError::bad_request(
                "lines.width",
                format!("line {} has {} values for {} columns", i + 1, body.lines[i].len(), body.columns.len()),
            ));
        }
        let bytes = command_file(&app, &body)?;
        let name = format!("api_{}_{}.csv", body.tool, lmsync_core::access::new_password().to_lowercase());
        let area = app.area();
        area.ensure().map_err(internal)?;
        let tmp = area.root().join(format!(".{name}.writing"));
        std::fs::write(&tmp, &bytes).map_err(internal)?;
        let written = area.root().join(&name);
        std::fs::rename(&tmp, &written).map_err(internal)?;
        let run = self.start_run(RunBody {
            tool: body.tool.clone(),
            op: body.op.clone(),
            file: Some(name),
            dry_run: body.dry_run,
            wait: true,
            by: None,
        });
        // A real run archives its input; a dry run, a check (which keeps its list) or a refused
        // run leaves it at the area root, where nothing would ever read it again.
        if written.is_file() && !run.as_ref().is_ok_and(|r| r["status"] == "cancelled") {
            std::fs::remove_file(&written).map_err(internal)?;
        }
        let mut run = run?;
        let id = run["id"].as_i64().unwrap_or(0);
        run["report"] = self.report(id).unwrap_or(Value::Null);
        Ok(run)
    }

    fn start_run(&self, body: RunBody) -> Result<Value, ApiError> {
        let app = self.app()?;
        let jobs = jobs(&body.tool, body.op.as_deref())?;
        let file = match &body.file {
            Some(f) => {
                let rel = f.trim_start_matches('/');
                if rel.split(['/', '\\']).any(|p| p == ".." || p.is_empty()) {
                    return Err(ApiError::bad_request(
                        "file.bad_name",
                        format!("{f:?} is not a path of the file area"),
                    ));
                }
                let path = app.area().root().join(rel);
                if !path.is_file() {
                    return Err(ApiError::not_found(
                        "file.not_found",
                        format!("the file area has no {rel}; upload it first (PUT /files/{{name}})"),
                    ));
                }
                Some(path)
            }
            None => None,
        };
        // The trigger names this request, so its run is found as soon as it is recorded.
        let trigger = format!("{} {}", body.by.as_deref().unwrap_or("api"), lmsync_core::access::new_password());
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let root = self.root.clone();
        let (dry_run, t) = (body.dry_run, trigger.clone());
        std::thread::spawn(move || {
            let result = (|| -> Result<Vec<i64>, ApiError> {
                let app = App::open(&root).map_err(|e| internal(format!("{e:#}")))?;
                let mut ids = Vec::new();
                for job in jobs {
                    for input in app.inputs(job, file.clone()).map_err(|e| internal(format!("{e:#}")))? {
                        match app.run_tool(job, input, dry_run, false, &t, Arc::new(AtomicBool::new(false))) {
                            Ok(Ok(summary)) => ids.push(summary.run_id),
                            Ok(Err(lmsync_core::RunError::Lock(e))) => {
                                return Err(ApiError::new(409, "run.busy", e.to_string()));
                            }
                            Ok(Err(lmsync_core::RunError::Area(lmsync_core::area::AreaError::NotFound(p))))
                                if ids.is_empty() =>
                            {
                                return Err(ApiError::not_found(
                                    "file.not_found",
                                    format!("nothing to run: {p} does not exist"),
                                ));
                            }
                            Ok(Err(e)) => return Err(ApiError::bad_request("run.refused", e.to_string())),
                            Err(e) => return Err(internal(format!("{e:#}"))),
                        }
                    }
                }
                Ok(ids)
            })();
            let _ = done_tx.send(result);
        });
        let mut store = app.store().map_err(internal)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(result) = done_rx.try_recv() {
                let ids = result?;
                let first = *ids.first().ok_or_else(|| ApiError::not_found("file.not_found", "nothing to run"))?;
                return self.run(first).map(|mut v| {
                    v["runs"] = json!(ids);
                    v
                });
            }
            if !body.wait {
                let started = store.recent_runs(20).map_err(internal)?.into_iter().find(|r| r.trigger == trigger);
                if let Some(r) = started {
                    return Ok(run_json(&r));
                }
                if Instant::now() > deadline {
                    return Err(internal("the run did not start within 30 s"));
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn tools(&self) -> Result<Value, ApiError> {
        crate::console::tools(self)
    }

    fn browse(
        &self,
        what: &str,
        key: &str,
        filter: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<Value, ApiError> {
        crate::console::browse(self, what, key, filter, limit, offset)
    }

    fn picture(&self, username: &str) -> Result<Option<Vec<u8>>, ApiError> {
        let store = self.app()?.store().map_err(internal)?;
        store.picture(username, lmsync_sqlite::PictureSize::F1).map_err(internal)
    }

    fn select_courses(&self, category: &str, pattern: &str) -> Result<Value, ApiError> {
        crate::console::select_courses(self, category, pattern)
    }

    fn make_course_file(&self, kind: &str, ids: &[i64], replace: bool) -> Result<Value, ApiError> {
        crate::console::make_course_file(self, kind, ids, replace)
    }

    fn clean_categories(&self, from: &str, confirm: bool) -> Result<Value, ApiError> {
        crate::console::clean_categories(self, from, confirm)
    }

    fn preview_file(&self, path: &str) -> Result<Value, ApiError> {
        crate::console::preview_file(self, path)
    }

    fn upload_into(&self, folder: &str, name: &str, bytes: &[u8]) -> Result<Value, ApiError> {
        let name = safe_name(name)?;
        let dir = self.inside(folder)?;
        if !dir.is_dir() {
            return Err(ApiError::not_found("file.not_found", format!("{folder} is not a folder of the area")));
        }
        let tmp = dir.join(format!(".{name}.uploading"));
        std::fs::write(&tmp, bytes).and_then(|_| std::fs::File::open(&tmp)?.sync_all()).map_err(internal)?;
        std::fs::rename(&tmp, dir.join(name)).map_err(internal)?;
        let file = if folder.trim_matches('/').is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", folder.trim_matches('/'))
        };
        Ok(json!({ "file": file, "bytes": bytes.len() }))
    }

    fn rename_file(&self, from: &str, to: &str) -> Result<(), ApiError> {
        let source = self.inside(from)?;
        let (folder, name) = to.trim_matches('/').rsplit_once('/').unwrap_or(("", to.trim_matches('/')));
        let name = safe_name(name)?;
        let dir = self.inside(folder)?;
        let target = dir.join(name);
        if source == self.app()?.area().root().canonicalize().map_err(internal)? {
            return Err(ApiError::bad_request("file.bad_name", "the file area itself cannot move"));
        }
        if target.exists() {
            return Err(ApiError::new(409, "file.exists", format!("{to} exists: delete or rename it first")));
        }
        if target.starts_with(&source) {
            return Err(ApiError::bad_request("file.bad_name", format!("{from} cannot move into itself")));
        }
        std::fs::rename(&source, &target).map_err(internal)?;
        tracing::info!("{from} moved to {to} in the file area through the console");
        Ok(())
    }

    fn create_folder(&self, path: &str) -> Result<(), ApiError> {
        let (parent, name) = path.trim_matches('/').rsplit_once('/').unwrap_or(("", path.trim_matches('/')));
        let name = safe_name(name)?;
        let dir = self.inside(parent)?;
        std::fs::create_dir(dir.join(name)).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ApiError::new(409, "file.exists", format!("{path} exists")),
            _ => internal(e),
        })
    }
}

impl WebService {
    fn export_page(
        &self,
        what: &str,
        filters: &[(String, String)],
        limit: usize,
        offset: usize,
    ) -> Result<Value, ApiError> {
        let (columns, sql) = lmsync_sqlite::export_query(what).ok_or_else(|| {
            ApiError::not_found(
                "export.unknown",
                format!("no export {what:?}: categories, courses, sections, course-links, enrolments, groups, groupings, group-members, cohorts, cohort-members, cohort-bindings, pictures"),
            )
        })?;
        // Filters compare a column of the export (checked against its names) with a value,
        // always as a bound parameter.
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        for (column, value) in filters {
            let Some(i) = columns.iter().position(|c| c == column) else {
                return Err(ApiError::bad_request(
                    "export.bad_filter",
                    format!("{what} has no column {column:?}; its columns: {}", columns.join(", ")),
                ));
            };
            conditions.push(format!("CAST(column{} AS TEXT) = ?", i + 1));
            params.push(value.clone());
        }
        let where_ = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let names: Vec<String> = (1..=columns.len()).map(|i| format!("column{i}")).collect();
        let store = self.app()?.store().map_err(internal)?;
        let mut rows = Vec::new();
        store
            .each_row_with(
                &format!(
                    "WITH export({}) AS ({sql}) SELECT * FROM export {where_} LIMIT {limit} OFFSET {offset}",
                    names.join(", ")
                ),
                &params,
                |values| {
                    let row: serde_json::Map<String, Value> =
                        columns.iter().map(|c| c.to_string()).zip(values.iter().cloned()).collect();
                    rows.push(Value::Object(row));
                    Ok(())
                },
            )
            .map_err(internal)?;
        Ok(json!({ "export": what, "columns": columns, "offset": offset, "limit": limit, "rows": rows }))
    }
}

/// The lines as a command file in the configured dialect: delimiter (`;` when `auto`), quoting
/// where needed, and encoding (UTF-8 unless the files are read as ISO-8859-1 / Windows-1252).
fn command_file(app: &App, body: &LinesBody) -> Result<Vec<u8>, ApiError> {
    let delimiter = match app.settings.csv.delimiter.as_str() {
        "," => b',',
        "tab" => b'\t',
        "|" => b'|',
        _ => b';',
    };
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    w.write_record(&body.columns).map_err(internal)?;
    for line in &body.lines {
        w.write_record(line).map_err(internal)?;
    }
    let text = String::from_utf8(w.into_inner().map_err(internal)?).map_err(internal)?;
    match app.settings.csv.encoding.as_str() {
        "iso-8859-1" | "windows-1252" => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
            if unmappable {
                return Err(ApiError::bad_request(
                    "lines.encoding",
                    "a value cannot be written in csv.encoding (Windows-1252); use characters of that set",
                ));
            }
            Ok(bytes.into_owned())
        }
        _ => Ok(text.into_bytes()),
    }
}

/// The JSON report beside a text report (`…_report_<name>` → `…_report_<base>.json`).
fn json_report_of(text: &Path) -> PathBuf {
    let name = text.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let base = lmsync_core::area::split_ext(&name).0.to_string();
    text.with_file_name(format!("{base}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_take_plain_names_only() {
        assert!(safe_name("users.csv").is_ok());
        for bad in ["", ".hidden", "a/b.csv", "..", "x\\y", "../etc/passwd"] {
            assert_eq!(safe_name(bad).unwrap_err().code, "file.bad_name", "{bad}");
        }
    }

    #[test]
    fn tools_and_operations_map_to_jobs() {
        assert_eq!(jobs("cohorts", Some("bindings")).unwrap(), [Job::CohortBindings]);
        assert_eq!(jobs("courses", None).unwrap().len(), 3);
        assert_eq!(jobs("grades", None).unwrap_err().code, "run.bad_tool");
        assert_eq!(jobs("courses", Some("explode")).unwrap_err().code, "run.bad_tool");
    }

    #[test]
    fn a_running_runs_input_is_counted_once_and_its_progress_follows_its_lines() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("big.csv");
        std::fs::write(&input, "h\n1\n2\n3\n").unwrap();
        let service = WebService::new(dir.path().to_path_buf());
        let run = RunInfo {
            id: 7,
            tool: "users".into(),
            operation: None,
            input: input.to_string_lossy().into_owned(),
            dry_run: false,
            trigger: "test".into(),
            status: lmsync_core::target::RunStatus::Running,
            started_at: chrono::Utc::now().timestamp() - 10,
            finished_at: None,
            pid: 1,
            last_line: 2,
            counts: Default::default(),
            partial_report: String::new(),
            report: None,
            tryback: None,
            archive: None,
            message: String::new(),
        };
        assert_eq!(service.lines_of(&run), Some(4));
        std::fs::write(&input, "h\n1\n2\n3\n4\n5\n").unwrap();
        assert_eq!(service.lines_of(&run), Some(4), "counted once per run");
        let p = progress(&run, service.lines_of(&run));
        assert_eq!((p["lines_done"].as_u64(), p["lines_total"].as_u64()), (Some(2), Some(4)));
        assert!(p["seconds_left"].as_u64().is_some());
    }
}
