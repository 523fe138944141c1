//! The file manager of the file area: folders, several files uploaded at once (dropped on the
//! picker), download, preview (a command file as a table with its header checked against the
//! tools, a report as text), rename or move, new folder and delete. Every path is checked by
//! the service to stay inside the area.

use askama::Template;
use axum::extract::{Form, Multipart, Query, State};
use axum::http::HeaderMap;
use lmsync_core::access::Role;
use serde::Deserialize;
use serde_json::Value;

use super::{
    Console, Nav, Page, attachment, back, call, cell, encode, filters, html, require, require_form, t, tf, when,
};
use crate::ApiError;

struct FileRow {
    name: String,
    path: String,
    /// `path` percent-encoded, for links.
    query: String,
    folder: bool,
    bytes: u64,
    modified: String,
}

#[derive(Template)]
#[template(path = "files.html")]
struct FilesPage {
    nav: Nav,
    folder: String,
    parent: String,
    notice: Option<String>,
    entries: Vec<FileRow>,
}

#[derive(Deserialize)]
pub struct DirQuery {
    dir: Option<String>,
    notice: Option<String>,
}

/// The folder part of a path of the area (`""` at its root).
fn folder_of(path: &str) -> String {
    path.trim_matches('/').rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default()
}

fn files_url(folder: &str) -> String {
    format!("/files?dir={}", encode(folder))
}

pub async fn files_page(State(c): State<Console>, headers: HeaderMap, Query(q): Query<DirQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let folder = q.dir.unwrap_or_default().trim_matches('/').to_string();
    let f = folder.clone();
    let listing = call(&c, move |s| s.list_files(&f)).await?;
    let entries = listing["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let name = cell(&e["name"]);
            let path = if folder.is_empty() { name.clone() } else { format!("{folder}/{name}") };
            FileRow {
                query: encode(&path),
                path,
                name,
                folder: e["folder"].as_bool().unwrap_or(false),
                bytes: e["bytes"].as_u64().unwrap_or(0),
                modified: when(e["modified"].as_i64()),
            }
        })
        .collect();
    html(FilesPage { nav: Nav::of(&s), parent: encode(&folder_of(&folder)), folder, notice: q.notice, entries })
}

#[derive(Deserialize)]
pub struct PathQuery {
    path: String,
}

pub async fn download(State(c): State<Console>, headers: HeaderMap, Query(q): Query<PathQuery>) -> Page {
    require(&c, &headers, Role::Viewer)?;
    let (name, bytes) = call(&c, move |s| s.read_file(&q.path)).await?;
    Ok(attachment(&name, bytes))
}

#[derive(Template)]
#[template(path = "file_view.html")]
struct ViewPage {
    nav: Nav,
    path: String,
    path_q: String,
    folder_q: String,
    kind: String,
    text: String,
    truncated: bool,
    columns: Vec<String>,
    /// Each row: its line, its values, or why it cannot be read.
    rows: Vec<(String, Vec<String>, String)>,
    more: bool,
    fits: Vec<String>,
    problems: Vec<String>,
    error: String,
}

/// A preview: a command file's first rows as a table, with the tools whose header it fits; a
/// report or log as text.
pub async fn view(State(c): State<Console>, headers: HeaderMap, Query(q): Query<PathQuery>) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let p = q.path.clone();
    let v = call(&c, move |s| s.preview_file(&p)).await?;
    let list = |v: &Value| v.as_array().into_iter().flatten().map(cell).collect::<Vec<_>>();
    html(ViewPage {
        nav: Nav::of(&s),
        path_q: encode(&q.path),
        folder_q: encode(&folder_of(&q.path)),
        path: q.path,
        kind: cell(&v["kind"]),
        text: cell(&v["text"]),
        truncated: v["truncated"].as_bool().unwrap_or(false),
        columns: list(&v["columns"]),
        rows: v["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| (cell(&r["line"]), list(&r["fields"]), cell(&r["error"])))
            .collect(),
        more: v["more"].as_bool().unwrap_or(false),
        fits: list(&v["fits"]),
        problems: list(&v["problems"]),
        error: cell(&v["error"]),
    })
}

/// Stores the uploaded files in the folder the form names (the area root by default).
pub async fn upload(State(c): State<Console>, headers: HeaderMap, mut form: Multipart) -> Page {
    let s = require(&c, &headers, Role::Operator)?;
    let (mut csrf_ok, mut folder, mut stored) = (false, String::new(), Vec::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request("upload.broken", tf("upload.broken", &[("error", &e)])))?
    {
        match field.name() {
            Some("csrf") => csrf_ok = field.text().await.is_ok_and(|t| t == s.csrf),
            Some("dir") if csrf_ok => folder = field.text().await.unwrap_or_default(),
            Some("file") if csrf_ok => {
                let name = field.file_name().unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::new(413, "upload.too_large", tf("upload.too_large", &[("error", &e)])))?;
                if name.is_empty() {
                    continue;
                }
                let (d, n) = (folder.clone(), name.clone());
                call(&c, move |s| s.upload_into(&d, &n, &bytes)).await?;
                stored.push(name);
            }
            _ if !csrf_ok => return Err(super::Refusal::forbidden(t("refused.form_expired"))),
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(super::Refusal::forbidden(t("refused.form_expired")));
    }
    Ok(back(&files_url(&folder), &tf("files.uploaded", &[("files", &stored.join(", "))])))
}

#[derive(Deserialize)]
pub struct PathForm {
    csrf: String,
    path: String,
    /// The new path (rename or move), or the new folder's name.
    to: Option<String>,
}

pub async fn delete(State(c): State<Console>, headers: HeaderMap, Form(form): Form<PathForm>) -> Page {
    require_form(&c, &headers, Role::Operator, &form.csrf)?;
    let path = form.path.clone();
    call(&c, move |s| s.delete_file(&path)).await?;
    Ok(back(&files_url(&folder_of(&form.path)), &tf("files.deleted", &[("path", &form.path)])))
}

/// Renames or moves a file or folder: `to` is its new path in the area (a bare name keeps it
/// in its folder).
pub async fn rename(State(c): State<Console>, headers: HeaderMap, Form(form): Form<PathForm>) -> Page {
    require_form(&c, &headers, Role::Operator, &form.csrf)?;
    let to = form.to.clone().unwrap_or_default();
    let to = if to.contains('/') {
        to.trim_matches('/').to_string()
    } else {
        let folder = folder_of(&form.path);
        if folder.is_empty() { to } else { format!("{folder}/{to}") }
    };
    let (from, t) = (form.path.clone(), to.clone());
    call(&c, move |s| s.rename_file(&from, &t)).await?;
    Ok(back(&files_url(&folder_of(&to)), &tf("files.moved", &[("from", &form.path), ("to", &to)])))
}

/// Creates a folder named `to` inside the folder `path`.
pub async fn new_folder(State(c): State<Console>, headers: HeaderMap, Form(form): Form<PathForm>) -> Page {
    require_form(&c, &headers, Role::Operator, &form.csrf)?;
    let parent = form.path.trim_matches('/').to_string();
    let name = form.to.clone().unwrap_or_default();
    let path = if parent.is_empty() { name } else { format!("{parent}/{name}") };
    let p = path.clone();
    call(&c, move |s| s.create_folder(&p)).await?;
    Ok(back(&files_url(&parent), &tf("files.folder_created", &[("path", &path)])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_paths() {
        assert_eq!(folder_of("a/b/c.csv"), "a/b");
        assert_eq!(folder_of("c.csv"), "");
        assert_eq!(folder_of("/a/"), "");
    }
}
