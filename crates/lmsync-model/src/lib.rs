//! The vocabulary shared by every lmsync layer: entities of the LMS, the changes a tool plans,
//! and the outcome of each input line. Pure data, no I/O.

pub mod change;
pub mod cohort;
pub mod course;
pub mod enrol;
pub mod group;
pub mod outcome;
pub mod user;

pub use change::{Applied, Change, ChangeError, ChangeKind, CourseWrite, Picture, UserUpdate};
pub use cohort::{Binding, BindingOp, Cohort, CohortJoin, CohortOp, CohortRef};
pub use course::{Activity, Category, CategoryRef, Course, InstanceState, ResetOptions, Section, Teacher};
pub use enrol::{EnrolOp, EnrolState};
pub use group::{CourseGroups, Group, GroupOp};
pub use outcome::{LineOutcome, Outcome, OutcomeCounts};
pub use user::{ClearPassword, FieldValue, ProfileField, ProfileFieldType, User, UserField};
