//! The seam between tools and the LMS: what a target must answer (lookups) and do (apply
//! changes, journal them, keep run records). The embedded SQLite store implements it; a remote
//! Moodle site will too.

use lmsync_model::{
    Activity, Applied, Binding, Category, Change, ChangeError, Cohort, Course, CourseGroups, EnrolState, OutcomeCounts,
    ProfileField, Section, User,
};

/// The target cannot serve: the run stops and its input file is kept for the next run.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("the target is unavailable: {0}")]
    Unavailable(String),
}

/// Keys of the accounts a chunk of lines refers to.
#[derive(Debug, Default, Clone)]
pub struct UserKeys {
    pub ids: Vec<i64>,
    pub usernames: Vec<String>,
    pub idnumbers: Vec<String>,
    pub emails: Vec<String>,
}

impl UserKeys {
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.usernames.is_empty() && self.idnumbers.is_empty() && self.emails.is_empty()
    }
}

/// Keys of the courses a chunk of lines refers to.
#[derive(Debug, Default, Clone)]
pub struct CourseKeys {
    pub ids: Vec<i64>,
    pub shortnames: Vec<String>,
    pub idnumbers: Vec<String>,
}

/// Keys of the cohorts a chunk of lines refers to.
#[derive(Debug, Default, Clone)]
pub struct CohortKeys {
    pub ids: Vec<i64>,
    pub idnumbers: Vec<String>,
    pub names: Vec<String>,
}

/// Sizes of the cohort data, for change thresholds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CohortTotals {
    pub cohorts: u64,
    pub memberships: u64,
    pub bindings: u64,
}

pub type ApplyResult = Vec<Result<Applied, ChangeError>>;

/// Enrolment instances (method, enabled) and manual role assignments (user, role) of a course.
pub type EnrolmentState = (Vec<(String, bool)>, Vec<(i64, i64)>);

/// An LMS that tools write to. Calls are batch-shaped so a remote target can batch requests.
pub trait LmsTarget {
    /// One line saying what this target is (kind and location).
    fn describe(&self) -> String;
    /// Every account matching any key, deleted accounts included, with profile values.
    fn users(&mut self, keys: &UserKeys) -> Result<Vec<User>, TargetError>;
    /// Number of accounts not flagged deleted.
    fn active_user_count(&mut self) -> Result<u64, TargetError>;
    fn profile_fields(&mut self) -> Result<Vec<ProfileField>, TargetError>;
    /// Every course matching any key.
    fn courses(&mut self, keys: &CourseKeys) -> Result<Vec<Course>, TargetError>;
    fn course_count(&mut self) -> Result<u64, TargetError>;
    /// Every category (category trees are small).
    fn categories(&mut self) -> Result<Vec<Category>, TargetError>;
    /// Sections and activities of a course (to copy it as a template).
    fn course_content(&mut self, course: i64) -> Result<(Vec<Section>, Vec<Activity>), TargetError>;
    /// A course's enrolment instances (method, enabled) in their order, and its manual role
    /// assignments (user id, role id).
    fn course_enrolment_state(&mut self, course: i64) -> Result<EnrolmentState, TargetError>;
    /// A course's enrolment instances (method, enabled) in their order.
    fn course_instances(&mut self, course: i64) -> Result<Vec<(String, bool)>, TargetError>;
    /// What each (course, user) pair holds: enrolments, roles, group memberships.
    fn enrol_states(&mut self, pairs: &[(i64, i64)]) -> Result<Vec<EnrolState>, TargetError>;
    /// A course's groups, groupings and bindings.
    fn course_groups(&mut self, course: i64) -> Result<CourseGroups, TargetError>;
    /// Members per group name of a course.
    fn group_member_counts(&mut self, course: i64) -> Result<std::collections::HashMap<String, usize>, TargetError>;
    /// Names of a course's groups.
    fn group_names(&mut self, course: i64) -> Result<Vec<String>, TargetError>;
    /// Meta links: master course id, meta course id, whether the link is enabled.
    fn meta_links(&mut self) -> Result<Vec<(i64, i64, bool)>, TargetError>;
    /// Every cohort matching any key.
    fn cohorts(&mut self, keys: &CohortKeys) -> Result<Vec<Cohort>, TargetError>;
    /// Number of members of each cohort.
    fn cohort_member_counts(&mut self, cohorts: &[i64]) -> Result<Vec<u64>, TargetError>;
    /// Whether each (cohort, user) pair is a membership.
    fn cohort_memberships(&mut self, pairs: &[(i64, i64)]) -> Result<Vec<bool>, TargetError>;
    fn cohort_totals(&mut self) -> Result<CohortTotals, TargetError>;
    /// The cohort bindings (enrolment instances of method `cohort`) of these courses.
    fn cohort_bindings(&mut self, courses: &[i64]) -> Result<Vec<Binding>, TargetError>;
    /// Roles: id and shortname.
    fn roles(&mut self) -> Result<Vec<(i64, String)>, TargetError>;
    /// Applies a chunk of changes for run `run`, each in isolation (one refused change does not
    /// undo the others), and journals every applied one. Nothing is durable until
    /// [`LmsTarget::commit`]; a process that dies in between leaves no trace of the chunk.
    fn apply(&mut self, run: i64, changes: &[Change]) -> Result<ApplyResult, TargetError>;
    /// Makes the chunk durable together with the run's progress (`progress_line`, the last input
    /// line handled) — unless a rehearsal is open, in which case it is discarded by
    /// [`LmsTarget::end_rehearsal`].
    fn commit(&mut self, run: i64, progress_line: u64) -> Result<(), TargetError>;
    /// Starts a dry run: later `apply` calls are visible to later lookups but never kept.
    fn begin_rehearsal(&mut self) -> Result<(), TargetError>;
    /// Discards everything applied since `begin_rehearsal`.
    fn end_rehearsal(&mut self) -> Result<(), TargetError>;
    /// Run-level notes the target has for the report since the last call (how it carried out
    /// something it cannot do as asked).
    fn notices(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Lifecycle state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    /// Every line succeeded.
    Succeeded,
    /// Finished, some lines failed.
    Failed,
    /// Could not run (bad header, missing file, target unavailable, threshold).
    Aborted,
    /// The process died during the run; detected afterwards.
    Interrupted,
    /// Stopped on request between two chunks.
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Aborted => "aborted",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "aborted" => RunStatus::Aborted,
            "interrupted" => RunStatus::Interrupted,
            "cancelled" => RunStatus::Cancelled,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RunStart {
    pub tool: String,
    pub operation: Option<String>,
    /// Path of the input file inside the data dir's file area.
    pub input: String,
    pub dry_run: bool,
    /// `cli`, `schedule`, `api`, …
    pub trigger: String,
    pub pid: u32,
    /// Where the report files are being written while the run goes on.
    pub partial_report: String,
}

#[derive(Debug, Clone, Default)]
pub struct RunEnd {
    pub counts: OutcomeCounts,
    pub report: Option<String>,
    pub json_report: Option<String>,
    pub tryback: Option<String>,
    pub archive: Option<String>,
    pub message: String,
}

/// A stored run record.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub id: i64,
    pub tool: String,
    pub operation: Option<String>,
    pub input: String,
    pub dry_run: bool,
    pub trigger: String,
    pub status: RunStatus,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub pid: u32,
    pub last_line: u64,
    pub counts: OutcomeCounts,
    pub partial_report: String,
    pub report: Option<String>,
    pub tryback: Option<String>,
    pub archive: Option<String>,
    pub message: String,
}

/// Where runs and their journal are recorded.
pub trait RunStore {
    fn start_run(&mut self, start: &RunStart) -> Result<i64, TargetError>;
    fn end_run(&mut self, id: i64, status: RunStatus, end: &RunEnd) -> Result<(), TargetError>;
    /// Runs of `tool` still marked running.
    fn running_runs(&mut self, tool: &str) -> Result<Vec<RunInfo>, TargetError>;
    /// Number of journalled changes of a run.
    fn journal_count(&mut self, run: i64) -> Result<u64, TargetError>;
    /// The journalled changes of a run after input line `after`: line, key and action
    /// (`create`, `update`, `delete`), in line order.
    fn journal_lines(&mut self, run: i64, after: u64) -> Result<Vec<(u64, String, String)>, TargetError>;
    /// Most recent runs first.
    fn recent_runs(&mut self, limit: usize) -> Result<Vec<RunInfo>, TargetError>;
    fn run(&mut self, id: i64) -> Result<Option<RunInfo>, TargetError>;
}

/// A target that also keeps the run records (the embedded store does both in one database).
pub trait Backend: LmsTarget + RunStore {}
impl<T: LmsTarget + RunStore> Backend for T {}
