//! Fault injection (spec §4.2): transport failures for the next N calls, and item values
//! that make any call carrying them fail, so tests can drive the client's error paths.

use crate::error::WsError;

/// What an injected failure looks like on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 503 with Moodle's HTML maintenance page.
    Maintenance503,
    /// HTTP 500 with a PHP fatal-error HTML page.
    Html500,
    /// HTTP 200 with an empty body (REST disabled).
    EmptyBody,
    /// HTTP 200 with a truncated, invalid JSON body.
    InvalidJson,
    /// The connection is cut after the headers (the body fails mid-way).
    Reset,
    /// Hold the connection for `Config::hang`, then answer 504 (proxy timeout).
    Timeout,
    /// Run the call (its writes are committed), then behave like `Timeout`.
    CommitThenTimeout,
    /// A well-formed Moodle exception instead of running the function.
    Exception(WsError),
}

/// One injection rule.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub fault: Fault,
    /// Only calls of this function (all calls when `None`).
    pub function: Option<String>,
    /// Only calls whose parameters contain this exact leaf value.
    pub item_value: Option<String>,
    /// How many more calls the rule hits.
    pub remaining: usize,
}

impl FaultRule {
    pub fn matches(&self, function: &str, leaves: &[&str]) -> bool {
        self.remaining > 0
            && self.function.as_deref().is_none_or(|f| f == function)
            && self.item_value.as_deref().is_none_or(|v| leaves.contains(&v))
    }
}

/// The HTML Moodle's CLI maintenance mode serves.
pub const MAINTENANCE_HTML: &str = "<!DOCTYPE html><html><head><title>Site maintenance</title></head><body><div>This site is undergoing maintenance. Please try again later.</div></body></html>";

/// A PHP fatal error page.
pub const FATAL_HTML: &str = "<html><body><b>Fatal error</b>: Allowed memory size exhausted in <b>/var/www/moodle/lib/dml/moodle_database.php</b></body></html>";

/// A response body that fails at once, so the server drops the connection.
pub(crate) struct ResetBody;

impl http_body::Body for ResetBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let cut = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset");
        std::task::Poll::Ready(Some(Err(cut)))
    }
}
