//! Typed settings of `lmsync.toml`, named as in DECISIONS §8. Loading, environment overrides and
//! the commented default file live in the binary; tools only see these structs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Shown in report headers and e-mail subjects.
    pub site_name: String,
    /// IANA time zone for report/archive stamps and dates without an offset; empty = machine zone.
    pub timezone: String,
    pub csv: CsvSettings,
    pub files: FileSettings,
    pub smtp: SmtpSettings,
    pub drop: DropSettings,
    pub web: WebSettings,
    pub target: TargetSettings,
    pub schedule: ScheduleSettings,
    pub users: UserSettings,
    pub courses: CourseSettings,
    pub enrols: EnrolSettings,
    pub groups: GroupSettings,
    pub cohorts: CohortSettings,
    pub userpictures: PictureSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            site_name: "lmsync".into(),
            timezone: String::new(),
            csv: CsvSettings::default(),
            files: FileSettings::default(),
            smtp: SmtpSettings::default(),
            drop: DropSettings::default(),
            web: WebSettings::default(),
            target: TargetSettings::default(),
            schedule: ScheduleSettings::default(),
            users: UserSettings::default(),
            courses: CourseSettings::default(),
            enrols: EnrolSettings::default(),
            groups: GroupSettings::default(),
            cohorts: CohortSettings::default(),
            userpictures: PictureSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsvSettings {
    /// `;`, `,`, `tab`, `|` or `auto`.
    pub delimiter: String,
    /// `utf-8`, `iso-8859-1`, `windows-1252` or `auto`.
    pub encoding: String,
    pub legacy_comments: bool,
    pub allow_unknown_columns: bool,
    /// Largest accepted record; a longer one fails its line.
    pub max_record_bytes: usize,
}

impl Default for CsvSettings {
    fn default() -> Self {
        CsvSettings {
            delimiter: ";".into(),
            encoding: "utf-8".into(),
            legacy_comments: true,
            allow_unknown_columns: false,
            max_record_bytes: 1 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSettings {
    pub reports: bool,
    pub archives: bool,
    pub trybacks: bool,
    /// Delete processed inputs instead of archiving them.
    pub cleanup: bool,
    /// Rename the input of a run interrupted by a crash to `<name>-tryback-failed.<ext>`.
    pub discard_on_failure: bool,
    /// The cleanup task deletes archives, reports and trybacks older than this many days
    /// (0 = never).
    pub cleanup_days: u32,
    /// A tool location that is an `http(s)://` URL is downloaded first: at most this many bytes…
    pub download_max_bytes: u64,
    /// …within this many seconds.
    pub download_timeout_seconds: u64,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings {
            reports: true,
            archives: true,
            trybacks: true,
            cleanup: false,
            discard_on_failure: true,
            cleanup_days: 90,
            download_max_bytes: 500 * 1024 * 1024,
            download_timeout_seconds: 120,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// Address the API listens on while `serve` runs (`host:port`); empty = no API.
    pub listen: String,
    /// Largest file an upload may send.
    pub max_upload_bytes: u64,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings { listen: "127.0.0.1:8480".into(), max_upload_bytes: 500 * 1024 * 1024 }
    }
}

/// Settings whose value is a secret: never printed, logged or shown by the console and the API.
pub const SECRETS: &[&str] = &["smtp.password", "target.token"];

/// What is shown instead of a secret that is set.
pub const HIDDEN: &str = "(hidden)";

/// The LMS the tools write to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// The embedded store in the data directory.
    #[default]
    Sqlite,
    /// A live Moodle site, through its Web Services (REST).
    Moodle,
}

#[derive(Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TargetSettings {
    pub kind: TargetKind,
    /// The Moodle site's address (`https://moodle.example.edu`), for `kind = "moodle"`.
    pub url: String,
    /// The web service token (secret; `LMSYNC_TARGET_TOKEN` sets it from the environment).
    pub token: String,
    /// Seconds one call may take (course duplication and import get ten times as long).
    pub timeout_seconds: u64,
    /// Calls in flight at once.
    pub concurrency: u32,
    /// Moodle role ids by shortname (core Moodle has no function that lists roles); the
    /// standard ones are known already.
    pub roles: std::collections::BTreeMap<String, i64>,
    /// Shortnames of the site's custom user profile fields a file may set (core Moodle has no
    /// function that lists them).
    pub profile_fields: Vec<String>,
    /// Form fields one call may carry at most: keep it below the site's PHP `max_input_vars`.
    pub max_fields: usize,
}

impl Default for TargetSettings {
    fn default() -> Self {
        TargetSettings {
            kind: TargetKind::Sqlite,
            url: String::new(),
            token: String::new(),
            timeout_seconds: 60,
            concurrency: 4,
            roles: std::collections::BTreeMap::new(),
            profile_fields: Vec::new(),
            max_fields: 4000,
        }
    }
}

/// Moodle's standard roles and their ids on a fresh site.
pub const STANDARD_ROLES: &[(&str, i64)] = &[
    ("manager", 1),
    ("coursecreator", 2),
    ("editingteacher", 3),
    ("teacher", 4),
    ("student", 5),
    ("guest", 6),
    ("user", 7),
    ("frontpage", 8),
];

impl TargetSettings {
    /// A role's id on the site: the `roles` map, else Moodle's standard id.
    pub fn role_id(&self, shortname: &str) -> Option<i64> {
        self.roles
            .get(shortname)
            .copied()
            .or_else(|| STANDARD_ROLES.iter().find(|(name, _)| *name == shortname).map(|(_, id)| *id))
    }
}

impl std::fmt::Debug for TargetSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetSettings")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("token", &if self.token.is_empty() { "" } else { HIDDEN })
            .field("timeout_seconds", &self.timeout_seconds)
            .field("concurrency", &self.concurrency)
            .field("roles", &self.roles)
            .field("profile_fields", &self.profile_fields)
            .field("max_fields", &self.max_fields)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DropSettings {
    /// Where a feeder drops command files; empty = `sync/` in the data directory.
    pub dir: String,
    /// A file modified less than this many seconds ago is still being written: it waits.
    pub settle_seconds: u64,
    /// A lock (`alock.txt`, `lock.txt`) older than this raises an alarm, once per lock.
    pub stale_lock_hours: u64,
    /// While `serve` runs, the drop folder is also rescanned this often (seconds), besides
    /// reacting to file-system events.
    pub scan_seconds: u64,
}

impl Default for DropSettings {
    fn default() -> Self {
        DropSettings { dir: String::new(), settle_seconds: 2, stale_lock_hours: 3, scan_seconds: 10 }
    }
}

/// Outgoing mail (generated passwords now; alarms later).
#[derive(Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// Mail server; empty = no e-mail is sent.
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: String,
    pub username: String,
    /// Secret: never printed or logged.
    pub password: String,
    pub from: String,
    /// Administrators who receive alarms.
    pub admins: Vec<String>,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: String::new(),
            port: 587,
            tls: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: String::new(),
            admins: Vec::new(),
        }
    }
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &if self.password.is_empty() { "" } else { HIDDEN })
            .field("from", &self.from)
            .field("admins", &self.admins)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// A tool runs as soon as the drop folder delivers its configured file.
    pub run_on_arrival: bool,
    /// Cron expression (minute hour day-of-month month day-of-week); empty = off.
    pub users: String,
    /// Courses: delete, then create, then meta links.
    pub courses: String,
    pub enrols: String,
    /// Groups: the groups file, then the members file.
    pub groups: String,
    /// Cohorts: the members file, then the bindings file.
    pub cohorts: String,
    /// User pictures: every matching archive, in name order.
    pub userpictures: String,
    /// File area cleanup: archives, reports and trybacks older than `files.cleanup_days`.
    pub cleanup: String,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            run_on_arrival: true,
            users: "0 */6 * * *".into(),
            courses: "0 */12 * * *".into(),
            enrols: "30 */6 * * *".into(),
            groups: "45 */6 * * *".into(),
            cohorts: "15 */12 * * *".into(),
            userpictures: "0 */12 * * *".into(),
            cleanup: "0 1 * * *".into(),
        }
    }
}

/// The account field that identifies a line's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    Id,
    Idnumber,
    Username,
    Email,
}

impl Identity {
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::Id => "id",
            Identity::Idnumber => "idnumber",
            Identity::Username => "username",
            Identity::Email => "email",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserSettings {
    /// Command file inside the file area.
    pub file: String,
    pub primary_identity: Identity,
    /// Enables the `oldusername` column.
    pub allow_rename: bool,
    /// Never change a stored e-mail on update (an empty one is still filled).
    pub protect_emails: bool,
    /// Generate a password for new accounts that get none.
    pub create_passwords: bool,
    /// E-mail generated passwords to their users (needs [smtp]).
    pub send_passwords: bool,
    pub allow_duplicate_emails: bool,
    /// bcrypt cost for stored password hashes (Moodle uses 10).
    pub password_cost: u32,
    /// Authentication methods accepted in the `auth` column.
    pub auth_methods: Vec<String>,
    pub default_city: String,
    /// ISO 3166-1 alpha-2 code given to new accounts without a `country` value; may be empty.
    pub default_country: String,
    pub default_lang: String,
    pub default_timezone: String,
    /// A run that would delete more than this share of existing accounts…
    pub delete_threshold_percent: u32,
    /// …and more than this many, stops before writing unless confirmed.
    pub delete_threshold_count: u64,
}

impl Default for UserSettings {
    fn default() -> Self {
        UserSettings {
            file: "userimport.csv".into(),
            primary_identity: Identity::Idnumber,
            allow_rename: false,
            protect_emails: true,
            create_passwords: false,
            send_passwords: false,
            allow_duplicate_emails: false,
            password_cost: 10,
            auth_methods: [
                "manual",
                "nologin",
                "email",
                "ldap",
                "cas",
                "shibboleth",
                "oauth2",
                "saml2",
                "db",
                "lti",
                "mnet",
                "webservice",
                "none",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            default_city: String::new(),
            default_country: String::new(),
            default_lang: "en".into(),
            default_timezone: "99".into(),
            delete_threshold_percent: 10,
            delete_threshold_count: 20,
        }
    }
}

/// The course field that identifies a line's course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CourseIdentity {
    Id,
    Idnumber,
    Shortname,
}

impl CourseIdentity {
    pub fn as_str(self) -> &'static str {
        match self {
            CourseIdentity::Id => "id",
            CourseIdentity::Idnumber => "idnumber",
            CourseIdentity::Shortname => "shortname",
        }
    }
}

/// How the `category` column names a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CategoryIdentity {
    /// A numeric category id, or a `Parent/Child` path of names created as needed.
    Idname,
    /// A category idnumber.
    Idnumber,
}

/// What a template does to an existing course being updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateMode {
    /// Templates apply to new courses only.
    None,
    /// Add the template's sections and activities to the course.
    Add,
    /// Replace the course's sections and activities with the template's.
    Replace,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CourseSettings {
    /// The course field the users file's courseN columns name.
    pub primary_identity: CourseIdentity,
    /// Create/update file inside the file area.
    pub upload_file: String,
    pub delete_file: String,
    pub check_file: String,
    pub metas_file: String,
    pub reset_file: String,
    pub upload_identifier: CourseIdentity,
    pub delete_identifier: CourseIdentity,
    pub check_identifier: CourseIdentity,
    pub metas_identifier: CourseIdentity,
    pub reset_identifier: CourseIdentity,
    pub category_identifier: CategoryIdentity,
    pub new_categories_visible: bool,
    /// Never move an existing course to another category.
    pub protect_category: bool,
    /// Update courses that already exist (otherwise lines for them are skipped).
    pub force_update: bool,
    pub template_mode: TemplateMode,
    /// Sections (after section 0) of a new course whose file has no topicN column.
    pub default_sections: u32,
    pub delete_threshold_percent: u32,
    pub delete_threshold_count: u64,
}

impl Default for CourseSettings {
    fn default() -> Self {
        CourseSettings {
            primary_identity: CourseIdentity::Shortname,
            upload_file: "uploadcourses.csv".into(),
            delete_file: "deletecourses.csv".into(),
            check_file: "courses.csv".into(),
            metas_file: "metacourses.csv".into(),
            reset_file: "resetcourses.csv".into(),
            upload_identifier: CourseIdentity::Shortname,
            delete_identifier: CourseIdentity::Shortname,
            check_identifier: CourseIdentity::Shortname,
            metas_identifier: CourseIdentity::Shortname,
            reset_identifier: CourseIdentity::Shortname,
            category_identifier: CategoryIdentity::Idname,
            new_categories_visible: true,
            protect_category: false,
            force_update: false,
            template_mode: TemplateMode::None,
            default_sections: 4,
            delete_threshold_percent: 10,
            delete_threshold_count: 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrolSettings {
    /// The enrolment command file inside the file area.
    pub file: String,
    pub course_identifier: CourseIdentity,
    pub user_identifier: Identity,
    /// Group memberships made by the file are owned by lmsync (component `tool_sync`): teachers
    /// cannot remove them, and replace/delete commands touch only them.
    pub protect_groups: bool,
    /// Also enrol through disabled instances of the named method.
    pub enrol_on_disabled: bool,
    /// Command of lines without one: add, del or shift.
    pub default_cmd: String,
    /// Lines without an enrol value are recorded under the automated `sync` method (else manual).
    pub sync_method_enabled: bool,
}

impl Default for EnrolSettings {
    fn default() -> Self {
        EnrolSettings {
            file: "enrols.csv".into(),
            course_identifier: CourseIdentity::Shortname,
            user_identifier: Identity::Idnumber,
            protect_groups: false,
            enrol_on_disabled: false,
            default_cmd: "add".into(),
            sync_method_enabled: true,
        }
    }
}

/// How groups and groupings are named in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupIdentity {
    Id,
    Idnumber,
    Name,
}

impl GroupIdentity {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupIdentity::Id => "id",
            GroupIdentity::Idnumber => "idnumber",
            GroupIdentity::Name => "name",
        }
    }
}

/// What a members run removes when it is over, in the courses it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PurgeEmpty {
    None,
    /// Groups without members.
    Groups,
    /// Groups without members, then groupings without groups.
    Groupings,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupSettings {
    pub groups_file: String,
    pub members_file: String,
    pub course_identifier: CourseIdentity,
    pub user_identifier: Identity,
    pub group_identifier: GroupIdentity,
    pub grouping_identifier: GroupIdentity,
    /// Every group line without a selfgrouping value gets a grouping of its name.
    pub autogrouping: bool,
    pub purge_empty: PurgeEmpty,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            groups_file: "groups.csv".into(),
            members_file: "groupmembers.csv".into(),
            course_identifier: CourseIdentity::Shortname,
            user_identifier: Identity::Username,
            group_identifier: GroupIdentity::Idnumber,
            grouping_identifier: GroupIdentity::Idnumber,
            autogrouping: false,
            purge_empty: PurgeEmpty::None,
        }
    }
}

/// How cohorts are named in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CohortIdentity {
    Id,
    Idnumber,
    Name,
}

impl CohortIdentity {
    pub fn as_str(self) -> &'static str {
        match self {
            CohortIdentity::Id => "id",
            CohortIdentity::Idnumber => "idnumber",
            CohortIdentity::Name => "name",
        }
    }
}

/// How roles are named in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleIdentity {
    Id,
    Shortname,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CohortSettings {
    /// The members file (cohorts, members) inside the file area.
    pub file: String,
    /// The bindings file (cohorts bound to courses) inside the file area.
    pub bindings_file: String,
    /// Field the key column of the members file and the cohort column of the bindings file name.
    pub cohort_identifier: CohortIdentity,
    pub user_identifier: Identity,
    pub course_identifier: CourseIdentity,
    pub role_identifier: RoleIdentity,
    /// A members line naming an unknown cohort creates it (needs its name in `cname`).
    pub autocreate: bool,
    /// A run that would end more than this share of existing memberships (bindings file:
    /// of existing bindings)…
    pub delete_threshold_percent: u32,
    /// …and more than this many, stops before writing unless confirmed.
    pub delete_threshold_count: u64,
}

impl Default for CohortSettings {
    fn default() -> Self {
        CohortSettings {
            file: "cohorts.csv".into(),
            bindings_file: "cohortscourses.csv".into(),
            cohort_identifier: CohortIdentity::Idnumber,
            user_identifier: Identity::Username,
            course_identifier: CourseIdentity::Shortname,
            role_identifier: RoleIdentity::Shortname,
            autocreate: true,
            delete_threshold_percent: 10,
            delete_threshold_count: 20,
        }
    }
}

/// The account field a picture's file name (without extension) is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PictureUserField {
    Id,
    Idnumber,
    Username,
    Email,
    /// `username@mnethostid` (split on the last `@`).
    Hostedusername,
}

impl PictureUserField {
    pub fn as_str(self) -> &'static str {
        match self {
            PictureUserField::Id => "id",
            PictureUserField::Idnumber => "idnumber",
            PictureUserField::Username => "username",
            PictureUserField::Email => "email",
            PictureUserField::Hostedusername => "hostedusername",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PictureSettings {
    /// Archives whose name starts with this and ends with `.zip` are processed.
    pub file_prefix: String,
    pub user_field: PictureUserField,
    /// Replace a picture an account already has (an identical one is always skipped).
    pub overwrite: bool,
    /// Delete each processed archive instead of moving it to archives/.
    pub force_deletion: bool,
    /// Largest archive, and largest picture in it, in bytes.
    pub max_bytes: u64,
    /// Most entries in one archive.
    pub max_files: u64,
    /// Largest picture in pixels (width × height): bigger ones are refused before decoding.
    pub max_pixels: u64,
}

impl Default for PictureSettings {
    fn default() -> Self {
        PictureSettings {
            file_prefix: "userpictures_".into(),
            user_field: PictureUserField::Username,
            overwrite: true,
            force_deletion: false,
            max_bytes: 500 * 1024 * 1024,
            max_files: 50_000,
            max_pixels: 40_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_id_comes_from_the_map_else_from_moodles_standard_roles() {
        let mut target = TargetSettings::default();
        assert_eq!((target.role_id("student"), target.role_id("editingteacher")), (Some(5), Some(3)));
        assert_eq!(target.role_id("tutor"), None);
        target.roles.insert("student".into(), 11);
        target.roles.insert("tutor".into(), 12);
        assert_eq!((target.role_id("student"), target.role_id("tutor")), (Some(11), Some(12)));
    }

    #[test]
    fn the_target_token_never_shows_in_debug_output() {
        let target = TargetSettings { token: "s3cr3t-token".into(), ..TargetSettings::default() };
        let shown = format!("{:?}", Settings { target, ..Settings::default() });
        assert!(!shown.contains("s3cr3t-token") && shown.contains("(hidden)"), "{shown}");
    }
}
