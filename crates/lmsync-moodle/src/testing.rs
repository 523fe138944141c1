//! An in-memory transport for tests of this crate and of the target built on it: a function
//! answers each request, and every request is recorded, so no server is needed.

use crate::error::Unavailable;
use crate::response::HttpReply;
use crate::transport::Transport;
use std::sync::Mutex;
use std::time::Duration;

/// One request as the transport saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub url: String,
    /// The form fields (empty for raw bodies).
    pub form: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The value of a form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

type Answer = dyn Fn(&Recorded) -> Result<HttpReply, Unavailable> + Send + Sync;

/// A transport whose answers come from a function.
pub struct FnTransport {
    answer: Box<Answer>,
    log: Mutex<Vec<Recorded>>,
}

impl FnTransport {
    pub fn new(answer: impl Fn(&Recorded) -> Result<HttpReply, Unavailable> + Send + Sync + 'static) -> Self {
        Self { answer: Box::new(answer), log: Mutex::new(Vec::new()) }
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn handle(&self, request: Recorded) -> Result<HttpReply, Unavailable> {
        let answer = (self.answer)(&request);
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push(request);
        answer
    }
}

impl Transport for FnTransport {
    fn post_form(&self, url: &str, form: &[(String, String)], _: Duration) -> Result<HttpReply, Unavailable> {
        self.handle(Recorded { url: url.into(), form: form.to_vec(), body: Vec::new() })
    }

    fn post_body(&self, url: &str, _: &str, body: &[u8], _: Duration) -> Result<HttpReply, Unavailable> {
        self.handle(Recorded { url: url.into(), form: Vec::new(), body: body.to_vec() })
    }
}

/// A JSON answer with HTTP 200.
pub fn json(body: &str) -> Result<HttpReply, Unavailable> {
    Ok(HttpReply { status: 200, content_type: Some("application/json".into()), body: body.into() })
}

/// Moodle's exception answer.
pub fn exception(class: &str, code: &str, message: &str, debuginfo: Option<&str>) -> Result<HttpReply, Unavailable> {
    let mut v = serde_json::json!({"exception": class, "errorcode": code, "message": message});
    if let Some(d) = debuginfo {
        v["debuginfo"] = d.into();
    }
    json(&v.to_string())
}
