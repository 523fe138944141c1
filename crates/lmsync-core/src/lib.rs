//! lmsync's engine: the tools (one per kind of command file), the run lifecycle (reports,
//! trybacks, archives, crash recovery), the file area, settings, and the `LmsTarget` trait that
//! storage back-ends implement. No database, HTTP or async runtime here.

pub mod access;
pub mod archive;
pub mod area;
pub mod clock;
pub mod drop;
pub mod lock;
pub mod mail;
pub mod partial_report;
pub mod recovery;
pub mod report;
pub mod run;
pub mod schedule;
pub mod settings;
pub mod target;
pub mod tools;
pub mod values;

pub use run::{Engine, RunError, RunRequest, RunSummary};
pub use settings::Settings;
pub use target::{Backend, LmsTarget, RunStore, TargetError};
