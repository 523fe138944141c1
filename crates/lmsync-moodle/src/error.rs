//! What can go wrong in a web service call, classified the way the target must react (spec
//! §1.5, §1.6, §3.3): stop the run and keep the file, fail one item, or fix the site setup.
//! Every message says what is wrong and what the administrator should do.

use std::fmt;

/// Moodle's exception object, as answered with HTTP 200 (§1.5).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Exception {
    pub exception: String,
    #[serde(default)]
    pub errorcode: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub debuginfo: Option<String>,
}

impl Exception {
    pub fn code(&self) -> &str {
        self.errorcode.as_deref().unwrap_or("")
    }

    /// `code: message (debuginfo)`, for messages.
    fn summary(&self) -> String {
        let mut s = format!("{}: {}", self.code_or_class(), self.message);
        if let Some(d) = self.debuginfo.as_deref().filter(|d| !d.is_empty()) {
            s.push_str(&format!(" ({d})"));
        }
        s
    }

    fn code_or_class(&self) -> &str {
        self.errorcode.as_deref().unwrap_or(&self.exception)
    }
}

/// Why Moodle could not be reached or did not answer as a web service (the run stops, the
/// input file is kept for the next run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The connection could not be made (refused, DNS, TLS): the request was not sent.
    Connect(String),
    /// No complete answer in time; the call may have run on the server.
    Timeout(String),
    /// The connection broke after the request was sent; the call may have run.
    Io(String),
    /// An HTTP status other than 200.
    Status { status: u16, snippet: String },
    /// HTTP 200 with an empty body: web services or the REST protocol are disabled (§1.1).
    EmptyBody,
    /// A body that is not JSON (an HTML error or maintenance page, a proxy page).
    NotJson { snippet: String },
    /// The site is in maintenance mode (`sitemaintenance`).
    Maintenance(Exception),
}

impl Unavailable {
    /// Worth retrying after a pause (a disabled REST protocol is not).
    pub fn is_transient(&self) -> bool {
        !matches!(self, Unavailable::EmptyBody)
    }

    /// The server may have executed the call, so a non-idempotent call must not be resent
    /// blindly (re-read first, §3.2 rule 6).
    pub fn may_have_run(&self) -> bool {
        match self {
            Unavailable::Connect(_) | Unavailable::EmptyBody | Unavailable::Maintenance(_) => false,
            Unavailable::Status { status, .. } => !matches!(status, 503 | 429 | 401 | 403 | 404),
            Unavailable::Timeout(_) | Unavailable::Io(_) | Unavailable::NotJson { .. } => true,
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Connect(e) => write!(
                f,
                "cannot connect to the site ({e}); check the url in the moodle settings and that the site is up"
            ),
            Unavailable::Timeout(e) => write!(
                f,
                "no answer in time ({e}); the call may still complete on the site, the next run will re-read and continue"
            ),
            Unavailable::Io(e) => write!(f, "the connection broke ({e}); the next run will retry"),
            Unavailable::Status { status, snippet } => {
                write!(f, "the site answered http {status}")?;
                match status {
                    300..=399 => write!(
                        f,
                        "; the site redirects elsewhere: set the url to the site's address as in config.php's wwwroot (https?)"
                    ),
                    404 => write!(f, "; check the url: it must be the site root, without /webservice/…"),
                    503 => write!(f, " (maintenance or upgrade pending?); the next run will retry"),
                    _ => write!(f, "; the next run will retry"),
                }?;
                if !snippet.is_empty() {
                    write!(f, " — the page said: {snippet}")?;
                }
                Ok(())
            }
            Unavailable::EmptyBody => write!(
                f,
                "the site answered with an empty page: enable web services (site administration › advanced features) and the rest protocol (server › web services › manage protocols)"
            ),
            Unavailable::NotJson { snippet } => write!(
                f,
                "the site answered with a page instead of json (maintenance, upgrade, php error or a proxy?): {snippet}"
            ),
            Unavailable::Maintenance(e) => {
                write!(f, "the site is in maintenance mode ({}); the next run will retry", e.message)
            }
        }
    }
}

/// Why the token or the service refuse a call: the site setup must change (§1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessProblem {
    /// `invalidtoken`.
    InvalidToken,
    /// `accessexception` about an expired token.
    TokenExpired,
    /// `accessexception` about the token's IP restriction.
    IpRestricted,
    /// `accessexception`: the token user lacks `webservice/rest:use`.
    RestCapabilityMissing,
    /// `accessexception`: the function is not in the token's service (or the service is off).
    FunctionNotInService,
    /// `invalidrecord` on `external_functions`: this Moodle does not have the function.
    FunctionUnknown,
    /// The token user cannot log in (deleted, suspended, unconfirmed, `nologin`, expired).
    TokenUserUnusable,
    /// `webservice/upload.php` refused: the service lacks "can upload files".
    UploadDisabled,
    /// Any other access refusal.
    Other,
}

/// The classified error of one call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// Moodle is not reachable or not answering as a web service: stop, keep the file.
    #[error("moodle target unavailable while calling {function}: {reason}")]
    Unavailable { function: String, reason: Unavailable },
    /// The token, its user or its service refuse the call: stop, fix the setup.
    #[error("moodle refused {function}: {}", access_advice(.function, .problem, .exception))]
    Access { function: String, problem: AccessProblem, exception: Exception },
    /// `invalidparameter`: the parameters (or one item of a batch) were rejected.
    #[error("moodle rejected the parameters of {function}: {}", invalid_parameter_advice(.exception))]
    InvalidParameter { function: String, exception: Exception },
    /// A business-rule failure that concerns the items sent (duplicate, missing record,
    /// permission in one course…): fail the item(s), go on with the rest.
    #[error("moodle refused {function}: {}{}", .exception.summary(), item_advice(.exception))]
    Item { function: String, exception: Exception },
    /// An error that retrying or bisecting will not fix (a coding error on either side, an
    /// invalid response): stop and report.
    #[error("moodle failed in {function}: {}", .exception.summary())]
    Permanent { function: String, exception: Exception },
    /// A JSON answer in a shape this client does not understand.
    #[error("unexpected answer of moodle to {function}: {detail}")]
    BadResponse { function: String, detail: String },
    /// The request was not sent: the client found it invalid (too many fields, bad url…).
    #[error("request to moodle not sent ({function}): {detail}")]
    Request { function: String, detail: String },
}

impl WsError {
    /// The run must stop here and keep its input for the next run.
    pub fn stops_run(&self) -> bool {
        matches!(
            self,
            WsError::Unavailable { .. }
                | WsError::Access { .. }
                | WsError::Permanent { .. }
                | WsError::BadResponse { .. }
        )
    }

    /// The failure concerns the items sent; bisecting an atomic batch isolates the bad ones.
    pub fn is_item_level(&self) -> bool {
        matches!(self, WsError::InvalidParameter { .. } | WsError::Item { .. } | WsError::Request { .. })
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, WsError::Unavailable { .. })
    }

    /// Moodle's exception, when there is one.
    pub fn exception(&self) -> Option<&Exception> {
        match self {
            WsError::Access { exception, .. }
            | WsError::InvalidParameter { exception, .. }
            | WsError::Item { exception, .. }
            | WsError::Permanent { exception, .. } => Some(exception),
            WsError::Unavailable { reason: Unavailable::Maintenance(e), .. } => Some(e),
            _ => None,
        }
    }

    /// `invalidparameter` without `debuginfo`: the site's debug level hides the reasons
    /// (warn the operator once, §1.5).
    pub fn debuginfo_hidden(&self) -> bool {
        matches!(self, WsError::InvalidParameter { exception, .. } if exception.debuginfo.is_none())
    }
}

fn access_advice(function: &str, problem: &AccessProblem, e: &Exception) -> String {
    let why = e.debuginfo.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
    match problem {
        AccessProblem::InvalidToken => {
            "the token is not known to the site; create a token for the lmsync service and put it in the moodle settings".into()
        }
        AccessProblem::TokenExpired => {
            "the token has expired (moodle deleted it); create a new token, without expiry or with one you rotate".into()
        }
        AccessProblem::IpRestricted => format!(
            "the token does not allow this machine's ip address{why}; widen the token's ip restriction"
        ),
        AccessProblem::RestCapabilityMissing => {
            "the web service user lacks the capability webservice/rest:use; grant it in a system role (or make the user a site administrator)".into()
        }
        AccessProblem::FunctionNotInService => format!(
            "the function {function} is not in the token's service (or the service is disabled); add {function} to the lmsync service (site administration › server › web services › external services › functions)"
        ),
        AccessProblem::FunctionUnknown => format!(
            "this moodle has no function {function}; upgrade moodle or leave out the operation that needs it"
        ),
        AccessProblem::TokenUserUnusable => format!(
            "the web service user cannot log in ({}: {}); it must be confirmed, not suspended, with auth manual and a password that has not expired",
            e.code_or_class(),
            e.message
        ),
        AccessProblem::UploadDisabled => {
            "the service may not upload files; tick \"can upload files\" in the lmsync service settings".into()
        }
        AccessProblem::Other if e.debuginfo.is_none() => format!(
            "access refused ({}) and the site's debug level hides why; check that {function} is in the lmsync service, that the service is enabled and the user authorised, that the token has not expired and allows this ip, and that the user has webservice/rest:use (or set debug messages to NORMAL to see the reason)",
            e.summary()
        ),
        AccessProblem::Other => format!("access refused: {}", e.summary()),
    }
}

fn invalid_parameter_advice(e: &Exception) -> String {
    match e.debuginfo.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => d.to_string(),
        None => format!(
            "{} (moodle gives no reason at this debug level; set site administration › development › debugging › debug messages to NORMAL, with display debug messages off, to see why)",
            e.message
        ),
    }
}

fn item_advice(e: &Exception) -> &'static str {
    match e.code() {
        "nopermissions" => {
            "; grant that capability to the web service user's role (in the course or category concerned)"
        }
        "errorcoursecontextnotvalid" | "errorcatcontextnotvalid" => {
            "; the web service user cannot act in that context: give it a role there or make it a site administrator"
        }
        "wsnoinstance" => "; add and enable the manual enrolment method in that course",
        "wsusercannotassign" => "; allow the web service user's role to assign that role",
        _ => "",
    }
}

/// Classifies Moodle's exception for a call to `function`.
pub fn classify(function: &str, e: Exception) -> WsError {
    let function = function.to_string();
    let code = e.code().to_string();
    let debug = e.debuginfo.clone().unwrap_or_default();
    let access = |problem| WsError::Access { function: function.clone(), problem, exception: e.clone() };
    match code.as_str() {
        "invalidtoken" => access(AccessProblem::InvalidToken),
        "accessexception" | "servicerequireslogin" | "servicenotavailable" => {
            let problem = if debug.contains("token expired") {
                AccessProblem::TokenExpired
            } else if debug.contains("IP:") {
                AccessProblem::IpRestricted
            } else if debug.contains("webservice/rest:use") {
                AccessProblem::RestCapabilityMissing
            } else if debug.contains("upload must be enabled") {
                AccessProblem::UploadDisabled
            } else if debug.contains("Access to the function") || code != "accessexception" {
                AccessProblem::FunctionNotInService
            } else {
                AccessProblem::Other
            };
            access(problem)
        }
        "sitemaintenance" => WsError::Unavailable { function, reason: Unavailable::Maintenance(e) },
        c if c.starts_with("wsaccessuser") || matches!(c, "usernotconfirmed" | "passwordisexpired") => {
            access(AccessProblem::TokenUserUnusable)
        }
        "invalidrecord" if e.message.contains("external_functions") || debug.contains("external_functions") => {
            access(AccessProblem::FunctionUnknown)
        }
        "invalidparameter" => WsError::InvalidParameter { function, exception: e },
        "codingerror" => WsError::Permanent { function, exception: e },
        _ if e.exception == "invalid_response_exception" => WsError::Permanent { function, exception: e },
        // Not a Moodle exception (a PHP error): nothing the items can fix.
        _ if e.errorcode.is_none() => WsError::Permanent { function, exception: e },
        // The item class of §3.3 (`shortnametaken`, `nopermissions`, `wsnoinstance`, …) and
        // codes not known here (password policies use their text as code): the items are the
        // likeliest cause; bisection will tell.
        _ => WsError::Item { function, exception: e },
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
