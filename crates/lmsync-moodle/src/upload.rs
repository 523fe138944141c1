//! Uploading a file to the token user's draft area through `webservice/upload.php` (spec
//! §1.7), for user pictures. The multipart body is built here: one file and three fields do
//! not justify ureq's unversioned multipart API and its extra dependencies.

use crate::client::MoodleClient;
use crate::error::{AccessProblem, Exception, WsError, classify};
use crate::response::{HttpReply, lenient_i64, snippet};
use serde_json::Value;

const ENDPOINT: &str = "webservice/upload.php";

impl MoodleClient {
    /// Uploads `content` as `filename` into a fresh draft area and returns its item id (to pass
    /// to `core_user_update_picture`).
    pub fn upload_file(&self, filename: &str, content: &[u8]) -> Result<i64, WsError> {
        let boundary = format!("lmsync-{:032x}", rand::random::<u128>());
        let body = multipart(&boundary, self.token().expose(), filename, content);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let url = self.upload_url();
        let timeout = self.options().timeout;
        // A retried upload at worst leaves an unused draft area, which Moodle's cron removes.
        self.with_retries(ENDPOINT, true, |t| t.post_body(&url, &content_type, &body, timeout), read_upload)
    }
}

/// The multipart body: the token, `itemid=0` (a new draft area), `filepath=/`, the file.
fn multipart(boundary: &str, token: &str, filename: &str, content: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(content.len() + 512);
    for (name, value) in [("token", token), ("itemid", "0"), ("filepath", "/")] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let safe_name: String = filename.chars().map(|c| if c == '"' || c.is_control() { '_' } else { c }).collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file_1\"; filename=\"{safe_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Reads upload.php's answer: a list of stored files, a per-file error, or the AJAX-style
/// fatal error `{error, errorcode, …}`.
fn read_upload(function: &str, reply: &HttpReply) -> Result<i64, WsError> {
    let value = crate::response::parse_reply(function, reply)?;
    let bad = |detail: String| WsError::BadResponse { function: function.into(), detail };
    if let Some(code) = value.get("errorcode").and_then(Value::as_str) {
        let e = Exception {
            exception: "upload".into(),
            errorcode: Some(code.into()),
            message: value.get("error").and_then(Value::as_str).unwrap_or_default().into(),
            debuginfo: value.get("debuginfo").and_then(Value::as_str).map(Into::into),
        };
        if code == "accessexception" && e.debuginfo.is_none() {
            // Without debug text the likeliest refusal of a working token is the upload flag.
            return Err(WsError::Access {
                function: function.into(),
                problem: AccessProblem::UploadDisabled,
                exception: e,
            });
        }
        return Err(classify(function, e));
    }
    let first = value.as_array().and_then(|files| files.first()).ok_or_else(|| bad(snippet(&value.to_string())))?;
    if let Some(kind) = first.get("errortype").and_then(Value::as_str) {
        let e = Exception {
            exception: "file_exception".into(),
            errorcode: Some(kind.into()),
            message: first.get("error").and_then(Value::as_str).unwrap_or_default().into(),
            debuginfo: None,
        };
        return Err(WsError::Item { function: function.into(), exception: e });
    }
    first
        .get("itemid")
        .and_then(lenient_i64)
        .ok_or_else(|| bad(format!("no itemid in {}", snippet(&first.to_string()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientOptions;
    use crate::testing::{FnTransport, json};
    use std::sync::Arc;

    const TOKEN: &str = "feedfacefeedfacefeedfacefeedface";

    fn client(answer: &'static str) -> (MoodleClient, Arc<FnTransport>) {
        let t = Arc::new(FnTransport::new(move |_| json(answer)));
        (MoodleClient::with_transport("https://m", TOKEN, ClientOptions::default(), t.clone()).unwrap(), t)
    }

    #[test]
    fn an_upload_sends_a_multipart_body_and_returns_the_draft_itemid() {
        let (c, t) = client(
            r#"[{"component":"user","contextid":5,"userid":"2","filearea":"draft","filename":"p.jpg","filepath":"\/","itemid":880413555,"filesize":3}]"#,
        );
        assert_eq!(c.upload_file("p.jpg", b"\xff\xd8\xff"), Ok(880413555));
        let r = &t.requests()[0];
        assert_eq!(r.url, "https://m/webservice/upload.php");
        let body = String::from_utf8_lossy(&r.body);
        assert!(body.contains(&format!("name=\"token\"\r\n\r\n{TOKEN}\r\n")));
        assert!(body.contains("name=\"itemid\"\r\n\r\n0\r\n"));
        assert!(body.contains("name=\"file_1\"; filename=\"p.jpg\""));
    }

    #[test]
    fn upload_errors_are_classified() {
        let (c, _) = client(r#"[{"filename":"p.jpg","errortype":"fileoversized","error":"too big"}]"#);
        assert!(c.upload_file("p.jpg", b"x").unwrap_err().is_item_level());
        let (c, _) = client(
            r#"{"error":"Access control exception","errorcode":"accessexception","stacktrace":null,"debuginfo":null,"reproductionlink":null}"#,
        );
        let err = c.upload_file("p.jpg", b"x").unwrap_err();
        assert!(matches!(err, WsError::Access { problem: AccessProblem::UploadDisabled, .. }), "{err:?}");
        assert!(err.to_string().contains("can upload files"));
        let (c, _) = client(r#"{"error":"Invalid token","errorcode":"invalidtoken","debuginfo":null}"#);
        assert!(matches!(c.upload_file("p", b"x"), Err(WsError::Access { problem: AccessProblem::InvalidToken, .. })));
    }

    #[test]
    fn file_names_cannot_break_the_body() {
        let body = String::from_utf8(multipart("b", "t", "a\"b\r\n.jpg", b"x")).unwrap();
        assert!(body.contains("filename=\"a_b__.jpg\""));
    }
}
