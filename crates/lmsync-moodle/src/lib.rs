//! lmsync's client of Moodle Web Services (REST): what the `moodle` target is built on.
//! The wire protocol is described in `spec/moodle-ws.md` of the shared folder.

pub mod availability;
pub mod chunks;
pub mod client;
pub mod error;
pub mod functions;
pub mod params;
pub mod response;
pub mod retry;
pub mod site_info;
pub mod testing;
pub mod transport;
mod upload;

pub use availability::{Availability, Missing, ToolAvailability, availability, functions_markdown};
pub use chunks::{Caller, ChunkOptions, ChunkReport, ItemOutcome, apply_in_chunks, apply_in_chunks_naming};
pub use client::{ClientOptions, MoodleClient, SetupError, Token};
pub use error::{AccessProblem, Exception, Unavailable, WsError};
pub use params::{Param, Params};
pub use response::{HttpReply, Warning, warnings};
pub use retry::RetryPolicy;
pub use site_info::{Release, SiteInfo};
pub use transport::{Transport, UreqTransport};
