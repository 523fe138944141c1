//! Command-line interface: every command and option, as clap types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "lmsync",
    version,
    about = "Keeps an LMS in sync with CSV command files from an ERP or student system."
)]
pub struct Cli {
    /// Data directory: lmsync.toml, lms.db, the drop folder and the file area.
    #[arg(long, global = true, env = "LMSYNC_DATA_DIR", default_value = "./lmsync-data")]
    pub data_dir: PathBuf,
    /// Log lines (standard error) as text, or as one JSON object per line for log collectors.
    #[arg(long, global = true, value_enum, default_value = "text", env = "LMSYNC_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the integration service: scheduled tool runs until Ctrl-C.
    Serve,
    /// Process a command file now.
    Run(RunArgs),
    /// Write the current state of the LMS as CSV or JSON.
    Export(ExportArgs),
    /// List recent runs, or show one.
    Runs(RunsArgs),
    /// List or define custom user profile fields (the `profile_field_<name>` columns).
    #[command(subcommand)]
    ProfileFields(ProfileFieldsCommand),
    /// Course utilities: build delete or reset files, clean empty categories.
    #[command(subcommand)]
    Courses(CoursesCommand),
    /// The target's health. The embedded store: find what cohort bindings derive (enrolments,
    /// roles, group memberships) that has drifted from cohort membership. A Moodle site: its
    /// version, the functions the token may call and, per tool, what it can do. Exit code 1 when
    /// something is wrong.
    Check {
        /// Repair what was found, in one transaction.
        #[arg(long)]
        repair: bool,
    },
    /// What the service is doing: next run of each task, last runs, drop folder and locks.
    Status,
    /// Console accounts (admin, operator, viewer).
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// API tokens (bearer tokens with a role).
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// File area utilities.
    #[command(subcommand)]
    Files(FilesCommand),
    /// User picture utilities: fetch a stored picture, backfill picture hashes.
    #[command(subcommand)]
    Userpictures(PicturesCommand),
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    List,
    /// Create an account, or give an existing one a new password and role. Without --password,
    /// one is generated and printed once.
    Set {
        username: String,
        #[arg(long, value_parser = ["admin", "operator", "viewer"], default_value = "viewer")]
        role: String,
        /// Read the password from this environment variable instead of generating one.
        #[arg(long)]
        password_env: Option<String>,
    },
    Remove {
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    List,
    /// Create a token (printed once: store it in the client's secrets).
    Create {
        name: String,
        #[arg(long, value_parser = ["admin", "operator", "viewer"], default_value = "viewer")]
        role: String,
    },
    Revoke {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Delete old archives, reports and trybacks (never command files). Without a kind, all
    /// three; without --before, older than files.cleanup_days.
    Cleanup {
        #[arg(long)]
        archives: bool,
        #[arg(long)]
        reports: bool,
        #[arg(long)]
        trybacks: bool,
        /// Files last modified before this date (2026-09-01, or with a time).
        #[arg(long)]
        before: Option<String>,
        /// List what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import what the drop folder holds into the file area now.
    Import,
}

#[derive(Debug, Subcommand)]
pub enum PicturesCommand {
    /// Write a user's stored picture (PNG) to a file, or to standard output.
    Get {
        username: String,
        /// f1 = 100×100, f2 = 35×35, f3 = 512×512.
        #[arg(long, value_parser = ["f1", "f2", "f3"], default_value = "f1")]
        size: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Give every stored picture without a hash the MD5 of its stored 100×100 image.
    Rehash,
}

/// Which courses a utility works on (all given filters apply).
#[derive(Debug, Args)]
pub struct Selection {
    /// Courses in this category path (`Faculty/Department`) or below it.
    #[arg(long)]
    pub category: Option<String>,
    /// Shortnames matching this pattern (`*` and `?` wildcards).
    #[arg(long)]
    pub pattern: Option<String>,
    /// Courses with this idnumber (repeat for several).
    #[arg(long)]
    pub idnumber: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CoursesCommand {
    /// Write courses.delete_file listing the selected courses.
    MakeDeleteFile {
        #[command(flatten)]
        selection: Selection,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Write courses.reset_file resetting the selected courses (review its values before running it).
    MakeResetFile {
        #[command(flatten)]
        selection: Selection,
        #[arg(long)]
        force: bool,
    },
    /// Write a Moodle backup (.mbz) of a course into its backup folder (files/backups/course_<id>/),
    /// where templates naming the course find it.
    Backup { shortname: String },
    /// List categories with no course, cohort or non-empty subcategory; delete them with --confirm.
    CleanCategories {
        /// Only below this category path.
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        confirm: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ToolName {
    Users,
    Courses,
    Enrols,
    Groups,
    Cohorts,
    /// Zip archives of pictures (`userpictures_*.zip` in the file area, or --file).
    Userpictures,
}

/// Operations of the courses tool.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CourseOp {
    Check,
    Create,
    Delete,
    Metas,
    /// Remove course user data (never part of `all`).
    Reset,
    /// Groups tool: groups and groupings file.
    Groups,
    /// Groups tool: group members file; cohorts tool: cohorts and members file.
    Members,
    /// Cohorts tool: cohort to course bindings file.
    Bindings,
    /// Every operation in the scheduled order (courses: delete, create, metas; groups: groups,
    /// members; cohorts: members, bindings), each with its configured file.
    All,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    pub tool: ToolName,
    /// Operation of the courses, groups or cohorts tool.
    #[arg(long, value_enum, default_value = "all")]
    pub op: CourseOp,
    /// The command file (default: the tool's configured file in the file area). A file outside
    /// the file area is copied into it first.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Say line by line what would happen, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the file even if it deletes more than the configured change thresholds allow.
    #[arg(long)]
    pub confirm_deletes: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportWhat {
    Users,
    Categories,
    Courses,
    Sections,
    CourseLinks,
    Enrolments,
    Groups,
    Groupings,
    GroupMembers,
    Cohorts,
    CohortMembers,
    CohortBindings,
    Pictures,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub what: ExportWhat,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// CSV delimiter (default: csv.delimiter, or `;` when that is `auto`).
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Write text values as they are in CSV. By default a value starting with = + - @ or a tab
    /// gets a leading ' so a spreadsheet never runs it as a formula.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Show this run in full.
    pub id: Option<i64>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum ProfileFieldsCommand {
    List,
    Add {
        shortname: String,
        /// Display name (default: the shortname).
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "type", default_value = "text", value_parser = ["text", "textarea", "checkbox", "menu", "datetime"])]
        datatype: String,
        /// A menu option (repeat for each).
        #[arg(long = "option")]
        options: Vec<String>,
        #[arg(long)]
        locked: bool,
    },
}
