//! Reading one HTTP answer of `server.php` (spec §1.4–1.5): a JSON value (possibly `null`),
//! Moodle's exception object, or something that is not a web service answer at all.

use crate::error::{Exception, Unavailable, WsError, classify};
use serde_json::Value;

/// One raw HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// One entry of a `warnings` array (§1.4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Warning {
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default, deserialize_with = "lenient_id")]
    pub itemid: Option<i64>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub warningcode: String,
    #[serde(default)]
    pub message: String,
}

/// The first characters of a page, on one line, for messages.
pub(crate) fn snippet(body: &str) -> String {
    let text: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// Classifies an answer of a call to `function`.
pub fn parse_reply(function: &str, reply: &HttpReply) -> Result<Value, WsError> {
    let unavailable = |reason| WsError::Unavailable { function: function.to_string(), reason };
    if reply.status != 200 {
        return Err(unavailable(Unavailable::Status { status: reply.status, snippet: snippet(&reply.body) }));
    }
    let body = reply.body.trim();
    if body.is_empty() {
        return Err(unavailable(Unavailable::EmptyBody));
    }
    let value: Value =
        serde_json::from_str(body).map_err(|_| unavailable(Unavailable::NotJson { snippet: snippet(body) }))?;
    match exception_of(&value) {
        Some(e) => Err(classify(function, e)),
        None => Ok(value),
    }
}

/// The exception object, if `value` is one (an object with a string `exception` and
/// `message`; a function's own data never has that shape).
pub fn exception_of(value: &Value) -> Option<Exception> {
    let obj = value.as_object()?;
    if !obj.get("exception").is_some_and(Value::is_string) {
        return None;
    }
    serde_json::from_value(value.clone()).ok()
}

/// The `warnings` array of a response, empty when absent (or the response is `null`).
pub fn warnings(value: &Value) -> Vec<Warning> {
    value
        .get("warnings")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|w| serde_json::from_value(w.clone()).ok()).collect())
        .unwrap_or_default()
}

/// Numbers arrive as numbers or as strings (upload.php does no return cleaning).
pub fn lenient_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn lenient_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v: Option<Value> = serde::Deserialize::deserialize(d)?;
    Ok(v.as_ref().and_then(lenient_i64))
}

fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v: Value = serde::Deserialize::deserialize(d)?;
    Ok(match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
