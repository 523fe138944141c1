//! What every command needs: the data directory, the settings, the store, and an engine
//! wired to them.

use anyhow::{Context, Result};
use lmsync_core::area::FileArea;
use lmsync_core::clock::Clock;
use lmsync_core::run::{Engine, RunRequest, RunSummary};
use lmsync_core::tools::Tool;
use lmsync_core::tools::cohorts::{BindingsTool, CohortMembersTool};
use lmsync_core::tools::courses::{CheckTool, DeleteTool, MetasTool, ResetTool, UploadTool};
use lmsync_core::tools::enrols::EnrolTool;
use lmsync_core::tools::groups::{GroupsTool, MembersTool};
use lmsync_core::tools::userpictures::PicturesTool;
use lmsync_core::tools::users::{PasswordMail, UsersTool};
use lmsync_core::{RunError, Settings};
use lmsync_sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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

    pub fn area(&self) -> FileArea {
        FileArea::new(self.data.files())
    }

    /// The tool for one job, with its configured location and default file name.
    fn tool(&self, job: Job) -> Result<(Box<dyn Tool>, String, &'static str)> {
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
                (Box::new(users), self.settings.users.file.clone(), "userimport.csv")
            }
            Job::CourseCheck => (Box::new(CheckTool::new(c)), c.check_file.clone(), "courses.csv"),
            Job::CourseCreate => {
                (Box::new(UploadTool::new(c.clone(), self.clock.clone())), c.upload_file.clone(), "uploadcourses.csv")
            }
            Job::CourseDelete => (Box::new(DeleteTool::new(c)), c.delete_file.clone(), "deletecourses.csv"),
            Job::CourseMetas => (Box::new(MetasTool::new(c)), c.metas_file.clone(), "metacourses.csv"),
            Job::CourseReset => (Box::new(ResetTool::new(c)), c.reset_file.clone(), "resetcourses.csv"),
            Job::Groups => {
                let g = &self.settings.groups;
                (Box::new(GroupsTool::new(g.clone())), g.groups_file.clone(), "groups.csv")
            }
            Job::GroupMembers => {
                let g = &self.settings.groups;
                (Box::new(MembersTool::new(g.clone())), g.members_file.clone(), "groupmembers.csv")
            }
            Job::CohortMembers => {
                let k = &self.settings.cohorts;
                (Box::new(CohortMembersTool::new(k.clone())), k.file.clone(), "cohorts.csv")
            }
            Job::CohortBindings => {
                let k = &self.settings.cohorts;
                (
                    Box::new(BindingsTool::new(k.clone(), self.clock.clone())),
                    k.bindings_file.clone(),
                    "cohortscourses.csv",
                )
            }
            Job::UserPictures => (Box::new(PicturesTool::new(self.settings.userpictures.clone())), String::new(), ""),
            Job::Enrols => {
                let e = &self.settings.enrols;
                (Box::new(EnrolTool::new(e.clone(), self.clock.clone())), e.file.clone(), "enrols.csv")
            }
        })
    }

    /// The picture archives waiting in the file area, in path order.
    pub fn picture_archives(&self) -> Result<Vec<PathBuf>> {
        let prefix = self.settings.userpictures.file_prefix.clone();
        let area = self.area();
        area.ensure()?;
        Ok(area.files_matching(&|name| PicturesTool::matches(&prefix, name))?)
    }

    /// The inputs of one run of `job`: the file given, or every picture archive waiting, or the
    /// job's configured file (`None`).
    pub fn inputs(&self, job: Job, file: Option<PathBuf>) -> Result<Vec<Option<PathBuf>>> {
        Ok(match (job, file) {
            (_, Some(f)) => vec![Some(f)],
            (Job::UserPictures, None) => self.picture_archives()?.into_iter().map(Some).collect(),
            (_, None) => vec![None],
        })
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
        let mut store = self.store()?;
        let (tool, location, default_name) = self.tool(job)?;
        let mut engine = Engine {
            settings: &self.settings,
            area: self.area(),
            locks_dir: self.data.locks(),
            backend: &mut store,
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
