//! `webservice/upload.php` (spec §1.7): multipart files into the token user's draft area,
//! answered as a JSON list of file records; fatal errors in the AJAX shape.

use std::sync::Arc;

use axum::extract::{Multipart, State as AxState};
use axum::response::Response;

use crate::error::WsError;
use crate::server::{check_token, json};
use crate::state::{CONTEXT_USER, DraftFile};
use crate::wire::Out;
use crate::{Shared, lock};

/// Draft item ids look like Moodle's random ones.
const DRAFT_BASE: i64 = 880_413_554;

pub(crate) async fn upload(AxState(shared): AxState<Arc<Shared>>, mut mp: Multipart) -> Response {
    let cfg = lock(&shared.config).clone();
    let (mut token, mut itemid, mut filepath) = (String::new(), 0i64, "/".to_string());
    let mut files = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(String::from) {
            Some(filename) => {
                let bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                files.push((filename, bytes));
            }
            None => {
                let text = field.text().await.unwrap_or_default();
                match name.as_str() {
                    "token" => token = text,
                    "itemid" => itemid = text.parse().unwrap_or(0),
                    "filepath" => filepath = text,
                    _ => {}
                }
            }
        }
    }
    match store(&shared, &cfg, &token, itemid, &filepath, files) {
        Ok(out) => json(&out),
        Err(e) => json(&e.to_ajax(cfg.debug)),
    }
}

fn store(
    shared: &Shared,
    cfg: &crate::Config,
    token: &str,
    itemid: i64,
    filepath: &str,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Out, WsError> {
    if token.is_empty() {
        return Err(WsError::moodle("missingparam", "A required parameter (token) was missing"));
    }
    let (userid, service) = check_token(shared, cfg, token)?;
    let can_upload = cfg.services.iter().any(|s| s.shortname == service && s.enabled && s.uploadfiles);
    if !can_upload {
        return Err(WsError::access("Web service file upload must be enabled in external service settings"));
    }
    let mut st = lock(&shared.state);
    let itemid = if itemid == 0 { DRAFT_BASE + st.next_id("draft") } else { itemid };
    let contextid = st.context_id(CONTEXT_USER, userid).unwrap_or(0);
    let author = st.users.get(&userid).map(|u| format!("{} {}", u.firstname, u.lastname)).unwrap_or_default();
    let mut out = Vec::new();
    for (filename, bytes) in files {
        let area = st.drafts.entry(itemid).or_default();
        if area.iter().any(|f| f.filename == filename && f.filepath == filepath) {
            out.push(Out::Obj(vec![
                ("filename".into(), Out::Str(filename.clone())),
                ("errortype".into(), Out::Str("filenameexist".into())),
                ("error".into(), Out::Str(format!("File exists: {filename}"))),
            ]));
            continue;
        }
        let size = bytes.len() as i64;
        area.push(DraftFile { filename: filename.clone(), filepath: filepath.into(), bytes });
        out.push(Out::Obj(vec![
            ("component".into(), Out::Str("user".into())),
            ("contextid".into(), Out::Int(contextid)),
            ("userid".into(), Out::Str(userid.to_string())),
            ("filearea".into(), Out::Str("draft".into())),
            ("filename".into(), Out::Str(filename)),
            ("filepath".into(), Out::Str(filepath.into())),
            ("itemid".into(), Out::Int(itemid)),
            ("license".into(), Out::Str("unknown".into())),
            ("author".into(), Out::Str(author.clone())),
            ("source".into(), Out::Str("O:8:\"stdClass\":1:{s:6:\"source\";s:0:\"\";}".into())),
            ("filesize".into(), Out::Int(size)),
        ]));
    }
    Ok(Out::List(out))
}
