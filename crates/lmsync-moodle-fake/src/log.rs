//! The request log: one entry per REST call, for tests that count calls and batch sizes.

use std::time::SystemTime;

use crate::wire::Param;

/// How a logged call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The function ran and answered.
    Ok,
    /// A Moodle exception with this error code.
    Exception(String),
    /// An injected transport fault, or REST disabled (empty body).
    Fault,
}

/// One REST call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `wsfunction` ("" when absent).
    pub function: String,
    /// Whether the function writes (unknown functions count as reads).
    pub write: bool,
    /// Form fields received (after `max_input_vars` truncation).
    pub fields: usize,
    /// Decoded parameters (without reserved fields).
    pub params: Vec<(String, Param)>,
    pub at: SystemTime,
    pub outcome: Outcome,
}
