//! lmsync's client of Moodle Web Services (REST): what the `moodle` target is built on.
//! The wire protocol is described in `spec/moodle-ws.md` of the shared folder.

pub mod params;

pub use params::{Param, Params};
