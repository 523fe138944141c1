//! lmsync's client of Moodle Web Services (REST): what the `moodle` target is built on.
//! The wire protocol is described in `spec/moodle-ws.md` of the shared folder.

pub mod error;
pub mod params;
pub mod response;

pub use error::{AccessProblem, Exception, Unavailable, WsError};
pub use params::{Param, Params};
pub use response::{HttpReply, Warning, warnings};
