//! The HTTP side of `lmsync serve`: the JSON API (`/api/v1`, bearer tokens carrying a role,
//! DECISIONS §7, errors as JSON with a stable code) and the console (server-rendered pages,
//! session login). What they do is the binary's: it implements [`Service`], so this crate knows
//! HTTP and nothing of the store or the tools.

mod entity_lines;
mod entity_routes;
mod error;
mod routes;
mod ui;

pub use error::ApiError;
pub use routes::{ROUTES, router};
pub use ui::{Console, Sessions};

use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

/// The OpenAPI document of the API, kept in the repository beside the code.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// A run asked for through the API.
#[derive(Debug, Clone, Deserialize)]
pub struct RunBody {
    /// `users`, `courses`, `enrols`, `groups`, `cohorts`, `userpictures`.
    pub tool: String,
    /// The operation of a multi-operation tool (courses: check, create, delete, metas, reset;
    /// groups: groups, members; cohorts: members, bindings).
    pub op: Option<String>,
    /// A file of the file area (its path there); default: the tool's configured file.
    pub file: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
    /// Answer when the run has finished (its summary), not as soon as it has started.
    #[serde(default)]
    pub wait: bool,
    /// Who asked, as the run's trigger names it: `console:<account>` for the console; an API
    /// request cannot set it (its runs say `api`).
    #[serde(skip)]
    pub by: Option<String>,
}

/// Lines sent as JSON instead of a file: written as a command file of the tool (header =
/// `columns`), then run like one, so they get the same checks, report, tryback and journal.
#[derive(Debug, Clone, Deserialize)]
pub struct LinesBody {
    pub tool: String,
    pub op: Option<String>,
    pub columns: Vec<String>,
    pub lines: Vec<Vec<String>>,
    #[serde(default)]
    pub dry_run: bool,
}

/// What the API can do; every call may block (the binary opens the store for it).
pub trait Service: Send + Sync + 'static {
    /// The role a bearer token grants.
    fn authorize(&self, token: &str) -> Result<Option<Role>, ApiError>;
    /// The role of a console account whose password matches.
    fn login(&self, username: &str, password: &str) -> Result<Option<Role>, ApiError>;
    fn status(&self) -> Result<Value, ApiError>;
    fn runs(&self, limit: usize) -> Result<Value, ApiError>;
    fn run(&self, id: i64) -> Result<Value, ApiError>;
    /// A run's JSON report.
    fn report(&self, id: i64) -> Result<Value, ApiError>;
    /// A run's tryback file: its name and bytes.
    fn tryback(&self, id: i64) -> Result<(String, Vec<u8>), ApiError>;
    /// Stores a file at the area root; returns its path in the area.
    fn upload(&self, name: &str, bytes: &[u8]) -> Result<Value, ApiError>;
    /// The entries of a folder of the file area (`""` = its root): name, folder or not, size,
    /// modification time.
    fn list_files(&self, folder: &str) -> Result<Value, ApiError>;
    /// A file of the area: its name and bytes.
    fn read_file(&self, path: &str) -> Result<(String, Vec<u8>), ApiError>;
    fn delete_file(&self, path: &str) -> Result<(), ApiError>;
    /// Console accounts and API tokens: `{accounts: [{name, role, created}], tokens: [...]}`.
    fn access(&self) -> Result<Value, ApiError>;
    /// Creates an account or resets its password and role; returns the new password.
    fn set_account(&self, name: &str, role: Role) -> Result<String, ApiError>;
    fn remove_account(&self, name: &str) -> Result<(), ApiError>;
    /// Creates a token; returns it (it is shown once).
    fn create_token(&self, name: &str, role: Role) -> Result<String, ApiError>;
    fn revoke_token(&self, name: &str) -> Result<(), ApiError>;
    /// What runs changed an entity (by its key: username, shortname, cohort idnumber…), newest
    /// first: `[{run_id, line, entity, key, action, after, at}]`.
    fn audit(&self, key: &str) -> Result<Value, ApiError>;
    /// What a run changed, from its journal, in line order: `{total, changes: [{line, entity,
    /// key, action, before, after, at}]}` (`before` / `after` are objects of column values).
    fn changes(&self, run_id: i64, limit: usize, offset: usize) -> Result<Value, ApiError>;
    /// Sends a test e-mail through `[smtp]` to `smtp.admins`; says to whom.
    fn send_test_mail(&self) -> Result<String, ApiError>;
    /// Starts a run: its id as soon as it is recorded, or its summary with `wait`.
    fn start_run(&self, body: RunBody) -> Result<Value, ApiError>;
    /// Runs lines sent as JSON (see [`LinesBody`]) and answers with the finished run and its
    /// report.
    fn run_lines(&self, body: LinesBody) -> Result<Value, ApiError>;
    /// The settings in effect (secrets hidden).
    fn settings(&self) -> Result<Value, ApiError>;
    /// Sets one setting (`section.key` or a top-level key) in `lmsync.toml`.
    fn set_setting(&self, name: &str, value: Value) -> Result<Value, ApiError>;
    /// A page of an export (`lmsync export <what>`): rows as objects, in the export's order,
    /// only those whose columns equal the `filters` given (column, value).
    fn export(&self, what: &str, filters: &[(String, String)], limit: usize, offset: usize) -> Result<Value, ApiError>;

    /// Every tool: `[{tool, schedule, next_run, operations: [{op, location, waiting}], settings,
    /// last_run}]`, where `waiting` lists the files a run would read now.
    fn tools(&self) -> Result<Value, ApiError>;
    /// The data browser: `categories`; `course`, `user`, `cohort` by key; the windows
    /// `course-users` (filter: a role), `cohort-members` and `cohorts` (key: text their name or
    /// idnumber contains, `""` for all); `search-courses`, `search-users`, `search-cohorts`
    /// (key: the text sought).
    fn browse(
        &self,
        what: &str,
        key: &str,
        filter: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<Value, ApiError>;
    /// A user's stored picture (PNG, 100 px), if any.
    fn picture(&self, username: &str) -> Result<Option<Vec<u8>>, ApiError>;
    /// Courses in a category path (and below) whose shortname matches a `*`/`?` pattern (both
    /// optional): `[{id, shortname, fullname, idnumber, category_path}]`.
    fn select_courses(&self, category: &str, pattern: &str) -> Result<Value, ApiError>;
    /// Writes the courses' `delete` or `reset` command file listing these course ids; refuses
    /// to replace a waiting file unless `replace`. Says where and how many.
    fn make_course_file(&self, kind: &str, ids: &[i64], replace: bool) -> Result<Value, ApiError>;
    /// The empty categories under the category path `from` ("" = every category), deleted
    /// (as a recorded run) when `confirm`: `{empty: [paths], run, deleted, failed}`.
    fn clean_categories(&self, from: &str, confirm: bool) -> Result<Value, ApiError>;
    /// A file of the area as the file manager previews it: a command file's first rows and
    /// the tool whose header it fits (or why none), or the text of a report.
    fn preview_file(&self, path: &str) -> Result<Value, ApiError>;
    /// Stores a file in a folder of the area (`""` = its root).
    fn upload_into(&self, folder: &str, name: &str, bytes: &[u8]) -> Result<Value, ApiError>;
    /// Renames or moves a file or folder within the area.
    fn rename_file(&self, from: &str, to: &str) -> Result<(), ApiError>;
    /// Creates a folder in the area.
    fn create_folder(&self, path: &str) -> Result<(), ApiError>;
}
