//! The client of one Moodle site: one call = one POST to `server.php`, retried when the site
//! is briefly unavailable, with a bound on calls in flight across threads. The token is a
//! secret: it is never logged, never Debug-printed and removed from every error text.

use crate::error::{Unavailable, WsError};
use crate::functions;
use crate::params::{Params, request_form};
use crate::response::{HttpReply, parse_reply};
use crate::retry::RetryPolicy;
use crate::site_info::SiteInfo;
use crate::transport::{Transport, UreqTransport};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How the client talks to the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Per call (spec §1.8: keep calls well under a proxy's 60 s).
    pub timeout: Duration,
    /// For backup/restore-based calls (duplicate, import, course deletion).
    pub long_timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
    /// Calls in flight at once, across all threads sharing this client (spec §3.2: 4).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// Form fields one request may carry at most (below the site's PHP `max_input_vars`,
    /// which silently drops the excess, spec §1.8).
    pub max_fields: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            long_timeout: Duration::from_secs(30 * 60),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("lmsync/", env!("CARGO_PKG_VERSION")).to_string(),
            concurrency: 4,
            retry: RetryPolicy::default(),
            max_fields: 4000,
        }
    }
}

/// A web service token: shown as `[redacted]` by Debug.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }

    /// The secret itself, for the request body only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() { text.to_string() } else { text.replace(&self.0, "[redacted]") }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Why a client cannot be made from the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("the moodle url {0:?} must start with https:// (or http:// for a local test site)")]
    NotHttp(String),
    #[error("the moodle url {0:?} must be the site root (as in config.php's wwwroot), not a web service endpoint")]
    Endpoint(String),
    #[error(
        "the moodle token is empty or contains spaces; copy it from site administration › server › web services › manage tokens"
    )]
    BadToken,
    #[error("the moodle concurrency must be at least 1")]
    NoConcurrency,
}

/// A counting semaphore: bounds the calls in flight.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

struct SlotGuard<'a>(&'a Slots);

impl Slots {
    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

struct Inner {
    site: String,
    token: Token,
    options: ClientOptions,
    transport: Arc<dyn Transport>,
    slots: Slots,
    /// An `invalidparameter` came without `debuginfo` (the site's debug level hides reasons).
    debuginfo_hidden: AtomicBool,
    /// The operator was told so.
    debuginfo_warned: AtomicBool,
}

/// The client of one site. Cheap to clone; share it between threads.
#[derive(Clone)]
pub struct MoodleClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MoodleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoodleClient")
            .field("site", &self.inner.site)
            .field("token", &self.inner.token)
            .field("options", &self.inner.options)
            .finish()
    }
}

impl MoodleClient {
    /// A client over HTTPS (certificates verified against the bundled web PKI roots).
    pub fn new(url: &str, token: &str, options: ClientOptions) -> Result<Self, SetupError> {
        let transport = Arc::new(UreqTransport::new(&options.user_agent, options.connect_timeout));
        Self::with_transport(url, token, options, transport)
    }

    /// A client over any transport (tests script one).
    pub fn with_transport(
        url: &str,
        token: &str,
        options: ClientOptions,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, SetupError> {
        let site = url.trim().trim_end_matches('/').to_string();
        if !(site.starts_with("https://") || site.starts_with("http://")) {
            return Err(SetupError::NotHttp(site));
        }
        if site.contains("/webservice/") || site.ends_with(".php") {
            return Err(SetupError::Endpoint(site));
        }
        if token.is_empty() || token.chars().any(char::is_whitespace) {
            return Err(SetupError::BadToken);
        }
        if options.concurrency == 0 {
            return Err(SetupError::NoConcurrency);
        }
        let slots = Slots { free: Mutex::new(options.concurrency), freed: Condvar::new() };
        let inner = Inner {
            site,
            token: Token::new(token),
            options,
            transport,
            slots,
            debuginfo_hidden: AtomicBool::new(false),
            debuginfo_warned: AtomicBool::new(false),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The site root.
    pub fn site(&self) -> &str {
        &self.inner.site
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Calls `function` with `params`; the answer is the function's JSON (`Null` for the
    /// functions that return nothing).
    pub fn call(&self, function: &str, params: &Params) -> Result<Value, WsError> {
        self.call_with(function, params, false)
    }

    /// Same, asking for names and texts exactly as stored (no filters, no escaping, file
    /// placeholders kept): for lookups that are compared with the input.
    pub fn call_raw(&self, function: &str, params: &Params) -> Result<Value, WsError> {
        self.call_with(function, params, true)
    }

    fn call_with(&self, function: &str, params: &Params, raw: bool) -> Result<Value, WsError> {
        let url = format!("{}/webservice/rest/server.php", self.inner.site);
        let form = request_form(self.inner.token.expose(), function, params, raw);
        let timeout = self.timeout_for(function);
        self.with_retries(
            function,
            functions::is_idempotent(function),
            |transport| transport.post_form(&url, &form, timeout),
            parse_reply,
        )
    }

    /// The site's release, functions and upload flag (spec §1.9): the health check.
    pub fn site_info(&self) -> Result<SiteInfo, WsError> {
        const F: &str = "core_webservice_get_site_info";
        let value = self.call(F, &Params::new())?;
        SiteInfo::from_json(&value).map_err(|detail| WsError::BadResponse { function: F.into(), detail })
    }

    /// Once per client, after an `invalidparameter` without `debuginfo`: the advice to raise
    /// the site's debug level so Moodle says why it rejects parameters (spec §1.5).
    pub fn debug_level_warning(&self) -> Option<&'static str> {
        let inner = &self.inner;
        (inner.debuginfo_hidden.load(Ordering::Relaxed) && !inner.debuginfo_warned.swap(true, Ordering::Relaxed)).then_some(
            "moodle hides why it rejects parameters: set site administration › development › debugging › debug messages to NORMAL, with display debug messages off",
        )
    }

    pub(crate) fn timeout_for(&self, function: &str) -> Duration {
        let o = &self.inner.options;
        if functions::is_slow(function) { o.long_timeout } else { o.timeout }
    }

    pub(crate) fn upload_url(&self) -> String {
        format!("{}/webservice/upload.php", self.inner.site)
    }

    pub(crate) fn token(&self) -> &Token {
        &self.inner.token
    }

    /// Sends with `send`, reads with `read`, resending on transient unavailability as the
    /// retry policy allows; at most `concurrency` sends are in flight.
    pub(crate) fn with_retries<T>(
        &self,
        function: &str,
        idempotent: bool,
        send: impl Fn(&dyn Transport) -> Result<HttpReply, Unavailable>,
        read: impl Fn(&str, &HttpReply) -> Result<T, WsError>,
    ) -> Result<T, WsError> {
        let policy = &self.inner.options.retry;
        let mut attempt = 1;
        loop {
            let sent = {
                let _slot = self.inner.slots.acquire();
                send(self.inner.transport.as_ref())
            };
            let result = match sent {
                Ok(mut reply) => {
                    reply.body = self.inner.token.redact(&reply.body);
                    read(function, &reply)
                }
                Err(reason) => Err(WsError::Unavailable {
                    function: function.to_string(),
                    reason: redact_unavailable(&self.inner.token, reason),
                }),
            };
            if let Err(err) = &result
                && err.debuginfo_hidden()
            {
                self.inner.debuginfo_hidden.store(true, Ordering::Relaxed);
            }
            match result {
                Err(err) if policy.should_retry(&err, attempt, idempotent) => {
                    std::thread::sleep(policy.delay(attempt - 1));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

fn redact_unavailable(token: &Token, reason: Unavailable) -> Unavailable {
    match reason {
        Unavailable::Connect(t) => Unavailable::Connect(token.redact(&t)),
        Unavailable::Timeout(t) => Unavailable::Timeout(token.redact(&t)),
        Unavailable::Io(t) => Unavailable::Io(token.redact(&t)),
        other => other,
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
