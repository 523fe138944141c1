//! Moodle's exceptions as a type: what a call fails with, rendered in the REST shape of
//! spec §1.5 (or the AJAX shape of `upload.php`, §1.7) according to the debug level.

use crate::config::DebugLevel;
use crate::wire::Out;

/// One Moodle exception: class, error code, message, debug text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{exception}/{errorcode}: {message}")]
pub struct WsError {
    pub exception: String,
    pub errorcode: String,
    pub message: String,
    pub debuginfo: Option<String>,
}

impl WsError {
    pub fn new(exception: &str, errorcode: &str, message: impl Into<String>) -> Self {
        WsError { exception: exception.into(), errorcode: errorcode.into(), message: message.into(), debuginfo: None }
    }

    pub fn with_debug(mut self, debuginfo: impl Into<String>) -> Self {
        self.debuginfo = Some(debuginfo.into());
        self
    }

    /// `invalid_parameter_exception` with its reason in debuginfo.
    pub fn invalid_param(debuginfo: impl Into<String>) -> Self {
        Self::new("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected")
            .with_debug(debuginfo)
    }

    /// `invalid_response_exception` raised by return-value cleaning.
    pub fn invalid_response(debuginfo: impl Into<String>) -> Self {
        Self::new("invalid_response_exception", "invalidresponse", "Invalid response value detected")
            .with_debug(debuginfo)
    }

    /// A plain `moodle_exception`.
    pub fn moodle(errorcode: &str, message: impl Into<String>) -> Self {
        Self::new("moodle_exception", errorcode, message)
    }

    /// `dml_missing_record_exception` for a table.
    pub fn missing_record(table: &str) -> Self {
        Self::new(
            "dml_missing_record_exception",
            "invalidrecord",
            format!("Can't find data record in database table {table}."),
        )
        .with_debug(format!("SELECT * FROM {{{table}}} WHERE id = ?"))
    }

    /// `webservice_access_exception` with its reason.
    pub fn access(debuginfo: impl Into<String>) -> Self {
        Self::new("webservice_access_exception", "accessexception", "Access control exception").with_debug(debuginfo)
    }

    fn shown_message(&self, debug: DebugLevel) -> String {
        match (&self.debuginfo, debug) {
            (Some(d), DebugLevel::Developer) => format!("{} ({})", self.message, d),
            _ => self.message.clone(),
        }
    }

    /// The REST error object, keys in Moodle's order.
    pub fn to_rest(&self, debug: DebugLevel) -> Out {
        let mut o = vec![
            ("exception".to_string(), Out::Str(self.exception.clone())),
            ("errorcode".to_string(), Out::Str(self.errorcode.clone())),
            ("message".to_string(), Out::Str(self.shown_message(debug))),
        ];
        if let (Some(d), true) = (&self.debuginfo, debug >= DebugLevel::Normal) {
            o.push(("debuginfo".to_string(), Out::Str(d.clone())));
        }
        Out::Obj(o)
    }

    /// The AJAX error object of `upload.php`.
    pub fn to_ajax(&self, debug: DebugLevel) -> Out {
        let dev = debug == DebugLevel::Developer;
        let debuginfo = match (&self.debuginfo, dev) {
            (Some(d), true) => Out::Str(d.clone()),
            _ => Out::Null,
        };
        Out::Obj(vec![
            ("error".into(), Out::Str(self.message.clone())),
            ("errorcode".into(), Out::Str(self.errorcode.clone())),
            ("stacktrace".into(), Out::Null),
            ("debuginfo".into(), debuginfo),
            ("reproductionlink".into(), Out::Null),
        ])
    }
}
