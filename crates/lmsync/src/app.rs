//! What every command needs: the data directory, the settings, the store, and an engine
//! wired to them.

use anyhow::{Context, Result, bail};
use lmsync_core::area::FileArea;
use lmsync_core::clock::Clock;
use lmsync_core::drop::{AlarmLog, DropFolder, Import, READER_LOCK};
use lmsync_core::lock::ToolLock;
use lmsync_core::mail::Mailer;
use lmsync_core::recovery;
use lmsync_core::run::{Engine, RunRequest, RunSummary};
use lmsync_core::target::Backend;
use lmsync_core::tools::Tool;
use lmsync_core::tools::cohorts::{BindingsTool, CohortMembersTool};
use lmsync_core::tools::courses::{CheckTool, DeleteTool, MetasTool, ResetTool, UploadTool};
use lmsync_core::tools::enrols::EnrolTool;
use lmsync_core::tools::groups::{GroupsTool, MembersTool};
use lmsync_core::tools::userpictures::PicturesTool;
use lmsync_core::tools::users::{PasswordMail, UsersTool};
use lmsync_core::{RunError, Settings};
use lmsync_moodle_target::MoodleTarget;
use lmsync_sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use crate::config::{self, DataDir};
use crate::mail::SmtpMailer;

pub struct App {
    pub data: DataDir,
    pub settings: Settings,
    pub clock: Clock,
}

impl App {
    pub fn open(root: &Path) -> Result<Self> {
        let data = DataDir::ensure(root)?;
        let settings = config::load(&data.config(), std::env::vars())?;
        let clock = Clock::new(&settings.timezone)?;
        Ok(App { data, settings, clock })
    }

    pub fn store(&self) -> Result<SqliteStore> {
        SqliteStore::open(&self.data.db()).with_context(|| "cannot open the embedded store")
    }

    /// What the tools write to: the embedded store, or the Moodle site of `[target]` (reached
    /// now: a site that cannot be used refuses the run before anything is read or moved), with
    /// the runs and their journal kept in the embedded store either way.
    pub fn target_store(&self) -> Result<Box<dyn Backend>> {
        let local = self.store()?;
        if self.settings.target.kind == lmsync_core::settings::TargetKind::Moodle {
            let target = MoodleTarget::connect(&self.settings.target, local).with_context(|| {
                format!("cannot use the Moodle site {}; nothing was written", self.settings.target.url)
            })?;
            return Ok(Box::new(target));
        }
        Ok(Box::new(local))
    }

    /// The embedded store when it is the target: what works on its tables directly (cleaning
    /// empty categories) is refused for a Moodle target.
    pub fn embedded_target(&self) -> Result<SqliteStore> {
        if self.settings.target.kind == lmsync_core::settings::TargetKind::Moodle {
            anyhow::bail!(
                "target.kind = \"moodle\": this works on the embedded store only; do it on the Moodle site itself. Nothing was written."
            );
        }
        self.store()
    }

    pub fn area(&self) -> FileArea {
        FileArea::new(self.data.files())
    }

    /// The tool for one job.
    pub(crate) fn tool(&self, job: Job) -> Result<Box<dyn Tool>> {
        let c = &self.settings.courses;
        Ok(match job {
            Job::Users => {
                let mut users = UsersTool::new(self.settings.users.clone(), self.clock.clone())
                    .with_enrolments(self.settings.courses.primary_identity, self.settings.enrols.clone());
                if self.settings.users.send_passwords
                    && let Some(mailer) = SmtpMailer::from_settings(&self.settings.smtp)?
                {
                    users = users.with_mail(PasswordMail::new(Box::new(mailer), self.settings.site_name.clone()));
                }
                Box::new(users)
            }
            Job::CourseCheck => Box::new(CheckTool::new(c)),
            Job::CourseCreate => Box::new(UploadTool::new(c.clone(), self.clock.clone())),
            Job::CourseDelete => Box::new(DeleteTool::new(c)),
            Job::CourseMetas => Box::new(MetasTool::new(c)),
            Job::CourseReset => Box::new(ResetTool::new(c)),
            Job::Groups => Box::new(GroupsTool::new(self.settings.groups.clone())),
            Job::GroupMembers => Box::new(MembersTool::new(self.settings.groups.clone())),
            Job::CohortMembers => Box::new(CohortMembersTool::new(self.settings.cohorts.clone())),
            Job::CohortBindings => Box::new(BindingsTool::new(self.settings.cohorts.clone(), self.clock.clone())),
            Job::UserPictures => Box::new(PicturesTool::new(self.settings.userpictures.clone())),
            Job::Enrols => Box::new(EnrolTool::new(self.settings.enrols.clone(), self.clock.clone())),
        })
    }

    /// The drop folder of `[drop]`.
    pub fn drop_folder(&self) -> DropFolder {
        let dir = match self.settings.drop.dir.trim() {
            "" => self.data.drop_dir(),
            d => self.data.root.join(d),
        };
        DropFolder {
            dir,
            settle: Duration::from_secs(self.settings.drop.settle_seconds),
            stale_after: Duration::from_secs(self.settings.drop.stale_lock_hours.saturating_mul(3600)),
        }
    }

    /// Moves what the drop folder holds into the file area, and e-mails the administrators
    /// about locks held too long (once per lock). Problems are logged, never fatal: a run goes
    /// on with what the area holds.
    pub fn import_drop(&self) -> Import {
        let drop = self.drop_folder();
        let area = self.area();
        let import = match area.ensure().and_then(|_| drop.import(&area, &self.data.locks(), SystemTime::now())) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!("drop folder {}: cannot import: {e}", drop.dir.display());
                return Import::default();
            }
        };
        if !import.imported.is_empty() {
            tracing::info!("imported from the drop folder: {}", import.imported.join(", "));
        }
        if import.recovered_lock {
            tracing::warn!("removed {} left by an interrupted import", drop.dir.join(READER_LOCK).display());
        }
        for e in &import.errors {
            tracing::error!("drop folder: {e}; the file stays there for the next pass");
        }
        if !import.stale.is_empty() {
            self.alarm(&import);
        }
        import
    }

    fn alarm(&self, import: &Import) {
        let fresh = match AlarmLog::new(&self.data.locks()).fresh(&import.stale) {
            Ok(f) => f,
            Err(e) => return tracing::error!("cannot record lock alarms: {e}"),
        };
        for lock in &fresh {
            let subject = lock.subject(&self.settings.site_name);
            tracing::warn!("{subject}: {}", lock.body());
            let mailer = match SmtpMailer::from_settings(&self.settings.smtp) {
                Ok(Some(m)) => m,
                Ok(None) => {
                    tracing::warn!("no [smtp] host: the alarm \"{subject}\" is only logged");
                    continue;
                }
                Err(e) => {
                    tracing::error!("cannot send the alarm \"{subject}\": {e:#}");
                    continue;
                }
            };
            if self.settings.smtp.admins.is_empty() {
                tracing::warn!("smtp.admins is empty: the alarm \"{subject}\" is only logged");
            }
            for admin in &self.settings.smtp.admins {
                if let Err(e) = mailer.send(admin, &subject, &lock.body()) {
                    tracing::error!("cannot e-mail the alarm \"{subject}\" to {admin}: {e}");
                }
            }
        }
    }

    /// The jobs whose input is the file `name` of the area root (a configured file, or a
    /// picture archive): what a file arriving through the drop folder starts.
    pub fn jobs_for_arrival(&self, name: &str) -> Vec<Job> {
        let area = self.area();
        Job::ALL
            .iter()
            .copied()
            .filter(|job| match job {
                Job::UserPictures => PicturesTool::matches(&self.settings.userpictures.file_prefix, name),
                Job::CourseCheck | Job::CourseReset => false,
                _ => {
                    let (location, default_name) = self.location(*job);
                    location.split(',').map(str::trim).filter(|l| !l.is_empty() || location.trim().is_empty()).any(
                        |l| {
                            let l = if l.is_empty() { default_name } else { l.trim_start_matches('/') };
                            if l.contains('*') {
                                !l.contains('/') && wildcard(l, name)
                            } else {
                                area.root().join(l) == area.root().join(name)
                            }
                        },
                    )
                }
            })
            .collect()
    }

    /// Recovers the runs a crash or kill interrupted, for every tool not running now (what the
    /// next run of each tool would do first): reports closed, inputs set aside. Returns what
    /// was done, one note per run.
    pub fn recover_crashed(&self) -> Result<Vec<String>> {
        let mut store = self.store()?;
        let area = self.area();
        area.ensure()?;
        let mut notes = Vec::new();
        for tool in ["users", "courses", "enrols", "groups", "cohorts", "userpictures"] {
            let Ok(_lock) = ToolLock::acquire(&self.data.locks(), tool) else { continue };
            notes.extend(recovery::recover(tool, &mut store, &area, &self.settings, &self.clock)?);
        }
        Ok(notes)
    }

    /// The picture archives waiting in the file area, in path order.
    pub fn picture_archives(&self) -> Result<Vec<PathBuf>> {
        let prefix = self.settings.userpictures.file_prefix.clone();
        let area = self.area();
        area.ensure()?;
        Ok(area.files_matching(&|name| PicturesTool::matches(&prefix, name))?)
    }

    /// The inputs of one run of `job`: the file given; every picture archive waiting; every
    /// file matching a `*` location, oldest name first; or the job's configured file (`None`).
    pub fn inputs(&self, job: Job, file: Option<PathBuf>) -> Result<Vec<Option<PathBuf>>> {
        if let Some(f) = file {
            return Ok(vec![Some(f)]);
        }
        if job == Job::UserPictures {
            return Ok(self.picture_archives()?.into_iter().map(Some).collect());
        }
        let (location, _) = self.location(job);
        let lower = location.trim().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(self.download(job, location.trim())?.into_iter().map(Some).collect());
        }
        let location = location.trim().trim_start_matches('/');
        if !location.contains('*') || location.contains(',') {
            return Ok(vec![None]);
        }
        let (folder, pattern) = location.rsplit_once('/').unwrap_or(("", location));
        if folder.contains('*') || folder.split('/').any(|p| p == "..") {
            bail!("{job:?}: location {location:?}: a * pattern may only name files, in a folder of the file area");
        }
        let dir = self.area().root().join(folder);
        let mut found: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    !name.starts_with('.')
                        && wildcard(pattern, &name)
                        && !name.contains("_tryback_")
                        && !name.contains("-tryback-failed")
                })
                .map(|e| e.path())
                .collect(),
            Err(_) => Vec::new(),
        };
        found.sort();
        Ok(found.into_iter().map(Some).collect())
    }

    /// Downloads a URL location into the area root (under the URL's last path segment): the
    /// file, or nothing when the server has none (404: nothing to do).
    fn download(&self, job: Job, url: &str) -> Result<Option<PathBuf>> {
        let files = &self.settings.files;
        let name = url
            .split(['?', '#'])
            .next()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| !n.is_empty() && !n.starts_with('.'))
            .map(str::to_string)
            .unwrap_or_else(|| self.location(job).1.to_string());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(files.download_timeout_seconds)))
            .build()
            .into();
        let mut response = match agent.get(url).call() {
            Ok(r) => r,
            Err(ureq::Error::StatusCode(404)) => {
                tracing::info!("{job:?}: {url} has no file (404); nothing to do");
                return Ok(None);
            }
            Err(e) => bail!("{job:?}: cannot download {url}: {e}"),
        };
        let body = match response.body_mut().with_config().limit(files.download_max_bytes).read_to_vec() {
            Ok(b) => b,
            Err(e) => bail!(
                "{job:?}: cannot download {url}: {e} (files.download_max_bytes = {}, files.download_timeout_seconds = {})",
                files.download_max_bytes,
                files.download_timeout_seconds
            ),
        };
        let area = self.area();
        area.ensure()?;
        let tmp = area.root().join(format!(".{name}.downloading"));
        std::fs::write(&tmp, &body)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        let target = area.root().join(&name);
        std::fs::rename(&tmp, &target)?;
        tracing::info!("{job:?}: downloaded {url} ({} bytes) as {name}", body.len());
        Ok(Some(target))
    }

    /// A job's configured location and its default file name.
    pub fn location(&self, job: Job) -> (String, &'static str) {
        let c = &self.settings.courses;
        match job {
            Job::Users => (self.settings.users.file.clone(), "userimport.csv"),
            Job::CourseCheck => (c.check_file.clone(), "courses.csv"),
            Job::CourseCreate => (c.upload_file.clone(), "uploadcourses.csv"),
            Job::CourseDelete => (c.delete_file.clone(), "deletecourses.csv"),
            Job::CourseMetas => (c.metas_file.clone(), "metacourses.csv"),
            Job::CourseReset => (c.reset_file.clone(), "resetcourses.csv"),
            Job::Groups => (self.settings.groups.groups_file.clone(), "groups.csv"),
            Job::GroupMembers => (self.settings.groups.members_file.clone(), "groupmembers.csv"),
            Job::CohortMembers => (self.settings.cohorts.file.clone(), "cohorts.csv"),
            Job::CohortBindings => (self.settings.cohorts.bindings_file.clone(), "cohortscourses.csv"),
            Job::UserPictures => (String::new(), ""),
            Job::Enrols => (self.settings.enrols.file.clone(), "enrols.csv"),
        }
    }

    /// Runs one job on its configured file or on `file`.
    pub fn run_tool(
        &self,
        job: Job,
        file: Option<PathBuf>,
        dry_run: bool,
        confirm_deletes: bool,
        trigger: &str,
        cancel: Arc<AtomicBool>,
    ) -> Result<Result<RunSummary, RunError>> {
        let mut store = self.target_store()?;
        let tool = self.tool(job)?;
        let (location, default_name) = self.location(job);
        let mut engine = Engine {
            settings: &self.settings,
            area: self.area(),
            locks_dir: self.data.locks(),
            backend: store.as_mut(),
            clock: self.clock.clone(),
            cancel,
        };
        Ok(engine.run(RunRequest {
            tool,
            file,
            location,
            default_name,
            dry_run,
            trigger: trigger.into(),
            confirm_deletes,
        }))
    }
}

/// One run: a tool, or one operation of a multi-operation tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Users,
    CourseCheck,
    CourseCreate,
    CourseDelete,
    CourseMetas,
    CourseReset,
    Enrols,
    Groups,
    GroupMembers,
    CohortMembers,
    CohortBindings,
    UserPictures,
}

impl Job {
    pub const ALL: [Job; 12] = [
        Job::Users,
        Job::CourseCheck,
        Job::CourseCreate,
        Job::CourseDelete,
        Job::CourseMetas,
        Job::CourseReset,
        Job::Enrols,
        Job::Groups,
        Job::GroupMembers,
        Job::CohortMembers,
        Job::CohortBindings,
        Job::UserPictures,
    ];
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters and `?` for one.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}
