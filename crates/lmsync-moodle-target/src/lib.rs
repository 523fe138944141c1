//! lmsync's `moodle` target: the tools' lookups and changes carried out on a live Moodle site
//! through its Web Services (spec `moodle-ws.md` §2–3). The runs, their journal and what
//! Moodle cannot be asked back (enrolment dates, password and picture hashes) stay in the local
//! store beside it.

mod apply;
mod calls;
mod json;
mod lookups;
mod records;

use lmsync_core::settings::TargetSettings;
use lmsync_core::target::{
    ApplyResult, CohortKeys, CohortTotals, CourseKeys, EnrolmentState, LmsTarget, RunEnd, RunInfo, RunStart, RunStatus,
    RunStore, TargetError, UserKeys,
};
use lmsync_model::{
    Activity, Binding, Category, Change, Cohort, Course, CourseGroups, EnrolState, ProfileField, Section, User,
};
use lmsync_moodle::{ClientOptions, MoodleClient, SiteInfo, WsError};
use lmsync_sqlite::SqliteStore;
use std::collections::HashMap;
use std::time::Duration;

pub use lookups::enrols::Roster;

/// The Moodle site could not be used: the run does not start and its input stays in place.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("moodle target: {0}")]
    Setup(#[from] lmsync_moodle::SetupError),
    #[error("{0}")]
    Site(Box<WsError>),
}

/// A Moodle site as the target of the tools, with the local store keeping the run records.
pub struct MoodleTarget {
    client: MoodleClient,
    site: SiteInfo,
    settings: TargetSettings,
    local: SqliteStore,
    rehearsal: bool,
    /// Who is enrolled in each course looked at, with roles and groups (dropped when written).
    rosters: HashMap<i64, Roster>,
    /// Groups of each course looked at: id, name (dropped when written).
    groups: HashMap<i64, Vec<lookups::groups::GroupRow>>,
    /// Courses found by shortname or idnumber (dropped when courses are written).
    course_keys: HashMap<(&'static str, String), Vec<Course>>,
    /// The enrolment methods of each course looked at (dropped when courses are written).
    instances: HashMap<i64, Vec<(String, bool)>>,
    /// The category of each cohort (None: the system), once asked (dropped when cohorts are
    /// written).
    cohort_categories: Option<HashMap<i64, Option<i64>>>,
    /// Run-level notes waiting to reach the report.
    notices: Vec<String>,
    /// Notices already given by this target, which serves one run (each is said once a run).
    said: std::collections::HashSet<&'static str>,
}

impl std::fmt::Debug for MoodleTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoodleTarget").field("client", &self.client).field("rehearsal", &self.rehearsal).finish()
    }
}

/// The client options of `[target]`.
pub fn client_options(target: &TargetSettings) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(target.timeout_seconds),
        long_timeout: Duration::from_secs(target.timeout_seconds * 10),
        concurrency: (target.concurrency as usize).max(1),
        max_fields: target.max_fields.max(10),
        ..ClientOptions::default()
    }
}

impl MoodleTarget {
    /// Reaches the site named in `[target]` (its site info: release, functions) and keeps the
    /// runs in `local`.
    pub fn connect(target: &TargetSettings, local: SqliteStore) -> Result<Self, ConnectError> {
        let client = MoodleClient::new(&target.url, &target.token, client_options(target))?;
        Self::with_client(client, target.clone(), local)
    }

    /// Same, over a client built by the caller (tests use other transports).
    pub fn with_client(
        client: MoodleClient,
        settings: TargetSettings,
        local: SqliteStore,
    ) -> Result<Self, ConnectError> {
        let site = client.site_info().map_err(|e| ConnectError::Site(Box::new(e)))?;
        Ok(MoodleTarget {
            client,
            site,
            settings,
            local,
            rehearsal: false,
            rosters: HashMap::new(),
            groups: HashMap::new(),
            cohort_categories: None,
            instances: HashMap::new(),
            course_keys: HashMap::new(),
            notices: Vec::new(),
            said: Default::default(),
        })
    }

    /// What the site said of itself when the target connected (release, functions).
    pub fn site(&self) -> &SiteInfo {
        &self.site
    }

    /// The key under which this site's records are kept locally (its address).
    fn site_key(&self) -> &str {
        self.client.site()
    }

    /// Says `text` once per process in the run's report.
    fn notice_once(&mut self, key: &'static str, text: String) {
        if self.said.insert(key) {
            self.notices.push(text);
        }
    }
}

/// A call failure as a lookup's: every lookup failure stops the run (the file is kept).
pub(crate) fn stop(e: impl std::fmt::Display) -> TargetError {
    TargetError::Unavailable(e.to_string())
}

pub(crate) fn local_failure(e: impl std::fmt::Display) -> TargetError {
    TargetError::Unavailable(format!("local store: {e}"))
}

impl LmsTarget for MoodleTarget {
    fn describe(&self) -> String {
        format!("moodle {} ({}, release {})", self.client.site(), self.site.sitename, self.site.release)
    }

    fn users(&mut self, keys: &UserKeys) -> Result<Vec<User>, TargetError> {
        lookups::users::users(self, keys)
    }

    fn active_user_count(&mut self) -> Result<u64, TargetError> {
        lookups::users::active_count(self)
    }

    fn profile_fields(&mut self) -> Result<Vec<ProfileField>, TargetError> {
        Ok(lookups::users::profile_fields(&self.settings))
    }

    fn courses(&mut self, keys: &CourseKeys) -> Result<Vec<Course>, TargetError> {
        lookups::courses::courses(self, keys)
    }

    fn course_count(&mut self) -> Result<u64, TargetError> {
        lookups::courses::course_count(self)
    }

    fn categories(&mut self) -> Result<Vec<Category>, TargetError> {
        lookups::courses::categories(self)
    }

    fn course_content(&mut self, course: i64) -> Result<(Vec<Section>, Vec<Activity>), TargetError> {
        lookups::courses::content(self, course)
    }

    fn course_enrolment_state(&mut self, course: i64) -> Result<EnrolmentState, TargetError> {
        let instances = lookups::enrols::instances(self, course)?;
        let roster = lookups::enrols::roster(self, course)?;
        let mut roles: Vec<(i64, i64)> =
            roster.members.iter().flat_map(|(user, m)| m.roles.iter().map(move |r| (*user, *r))).collect();
        roles.sort_unstable();
        Ok((instances, roles))
    }

    fn course_instances(&mut self, course: i64) -> Result<Vec<(String, bool)>, TargetError> {
        lookups::enrols::instances(self, course)
    }

    fn enrol_states(&mut self, pairs: &[(i64, i64)]) -> Result<Vec<EnrolState>, TargetError> {
        lookups::enrols::states(self, pairs)
    }

    fn course_groups(&mut self, course: i64) -> Result<CourseGroups, TargetError> {
        lookups::groups::course_groups(self, course)
    }

    fn group_member_counts(&mut self, course: i64) -> Result<HashMap<String, usize>, TargetError> {
        lookups::groups::member_counts(self, course)
    }

    fn group_names(&mut self, course: i64) -> Result<Vec<String>, TargetError> {
        Ok(lookups::groups::groups(self, course)?.into_iter().map(|g| g.name).collect())
    }

    fn meta_links(&mut self) -> Result<Vec<(i64, i64, bool)>, TargetError> {
        lookups::courses::meta_links(self)
    }

    fn cohorts(&mut self, keys: &CohortKeys) -> Result<Vec<Cohort>, TargetError> {
        lookups::cohorts::cohorts(self, keys)
    }

    fn cohort_member_counts(&mut self, cohorts: &[i64]) -> Result<Vec<u64>, TargetError> {
        lookups::cohorts::member_counts(self, cohorts)
    }

    fn cohort_memberships(&mut self, pairs: &[(i64, i64)]) -> Result<Vec<bool>, TargetError> {
        lookups::cohorts::memberships(self, pairs)
    }

    fn cohort_totals(&mut self) -> Result<CohortTotals, TargetError> {
        lookups::cohorts::totals(self)
    }

    fn cohort_bindings(&mut self, _courses: &[i64]) -> Result<Vec<Binding>, TargetError> {
        // No web service lists cohort-sync instances (spec §2.11): none can be known.
        Ok(Vec::new())
    }

    fn roles(&mut self) -> Result<Vec<(i64, String)>, TargetError> {
        Ok(lookups::roles(&self.settings))
    }

    fn apply(&mut self, run: i64, changes: &[Change]) -> Result<ApplyResult, TargetError> {
        apply::apply(self, run, changes)
    }

    fn commit(&mut self, run: i64, progress_line: u64) -> Result<(), TargetError> {
        if self.rehearsal {
            return Ok(());
        }
        self.local.record_progress(run, progress_line).map_err(local_failure)
    }

    fn begin_rehearsal(&mut self) -> Result<(), TargetError> {
        self.rehearsal = true;
        Ok(())
    }

    fn end_rehearsal(&mut self) -> Result<(), TargetError> {
        self.rehearsal = false;
        self.rosters.clear();
        self.groups.clear();
        self.cohort_categories = None;
        self.instances.clear();
        self.course_keys.clear();
        Ok(())
    }

    fn notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

impl RunStore for MoodleTarget {
    fn start_run(&mut self, start: &RunStart) -> Result<i64, TargetError> {
        self.local.start_run(start)
    }

    fn end_run(&mut self, id: i64, status: RunStatus, end: &RunEnd) -> Result<(), TargetError> {
        self.local.end_run(id, status, end)
    }

    fn running_runs(&mut self, tool: &str) -> Result<Vec<RunInfo>, TargetError> {
        self.local.running_runs(tool)
    }

    fn journal_count(&mut self, run: i64) -> Result<u64, TargetError> {
        self.local.journal_count(run)
    }

    fn journal_lines(&mut self, run: i64, after: u64) -> Result<Vec<(u64, String, String)>, TargetError> {
        self.local.journal_lines(run, after)
    }

    fn recent_runs(&mut self, limit: usize) -> Result<Vec<RunInfo>, TargetError> {
        self.local.recent_runs(limit)
    }

    fn run(&mut self, id: i64) -> Result<Option<RunInfo>, TargetError> {
        self.local.run(id)
    }
}
