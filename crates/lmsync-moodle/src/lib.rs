//! lmsync's client of Moodle Web Services (REST): what the `moodle` target is built on.
//! The wire protocol is described in `spec/moodle-ws.md` of the shared folder.

pub mod availability;
pub mod error;
pub mod functions;
pub mod params;
pub mod response;
pub mod site_info;

pub use availability::{Availability, Missing, ToolAvailability, availability, functions_markdown};
pub use error::{AccessProblem, Exception, Unavailable, WsError};
pub use params::{Param, Params};
pub use response::{HttpReply, Warning, warnings};
pub use site_info::{Release, SiteInfo};
