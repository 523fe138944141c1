//! `courses --op create` (`uploadcourses.csv`): creates courses — their category path, sections
//! (`topicN`), self/guest instances and teachers, optionally from a template course — and, with
//! `courses.force_update`, updates existing ones (absent columns unchanged).

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::course::TemplateRef;
use lmsync_model::{Change, ChangeKind, Course, CourseWrite, InstanceState, LineOutcome, Outcome, Section, Teacher};
use std::collections::{BTreeMap, HashSet};

use super::categories::Categories;
use super::index::CourseIndex;
use super::line::{self, Value};
use super::templates::{self, Template};
use super::{describe, keys};
use crate::clock::Clock;
use crate::settings::{CourseIdentity, CourseSettings, TemplateMode};
use crate::target::{LmsTarget, TargetError, UserKeys};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};

const OPTIONAL: &[&str] = &[
    "id",
    "category",
    "idnumber",
    "summary",
    "format",
    "showgrades",
    "newsitems",
    "startdate",
    "enddate",
    "marker",
    "maxbytes",
    "legacyfiles",
    "showreports",
    "visible",
    "coursedisplay",
    "groupmode",
    "enablecompletion",
    "groupmodeforce",
    "defaultgroupingid",
    "lang",
    "theme",
    "timecreated",
    "self",
    "guest",
    "template",
    "sortorder",
    "visibleold",
    "timemodified",
];

pub static RULES: ColumnRules = ColumnRules {
    required: &["shortname", "fullname"],
    optional: OPTIONAL,
    patterns: &[("topicN (0-52), teacherN_account, teacherN_role", line::is_pattern)],
};

#[derive(Debug, Default)]
struct Cols {
    fields: Vec<(&'static str, usize)>,
    id: Option<usize>,
    category: Option<usize>,
    template: Option<usize>,
    self_enrol: Option<usize>,
    guest: Option<usize>,
    topics: Vec<(u32, usize)>,
    /// N → (account column, role column).
    teachers: BTreeMap<u32, (Option<usize>, Option<usize>)>,
}

pub struct UploadTool {
    s: CourseSettings,
    /// Where `.mbz` templates and course backups are looked for.
    area_root: std::path::PathBuf,
    clock: Clock,
    cols: Cols,
    /// Shortnames earlier lines of the file named: one line per course.
    seen: HashSet<String>,
    roles: Vec<(i64, String)>,
}

/// What one line asks for, validated.
struct Wanted {
    values: Vec<(&'static str, Value)>,
    shortname: String,
    idnumber: Option<String>,
    id: Option<i64>,
    category: Option<String>,
    template: Option<String>,
    self_enrol: Option<InstanceState>,
    guest: Option<InstanceState>,
    topics: Vec<(u32, String, String)>,
    teachers: Vec<(String, String)>,
}

type Refusal = (&'static str, String);

impl UploadTool {
    pub fn new(settings: CourseSettings, clock: Clock) -> Self {
        UploadTool {
            s: settings,
            area_root: std::path::PathBuf::new(),
            clock,
            cols: Cols::default(),
            seen: HashSet::new(),
            roles: Vec::new(),
        }
    }

    fn wanted(&self, row: &Row) -> Result<Wanted, Refusal> {
        let get = |i: usize| row.fields.get(i).map(String::as_str).unwrap_or("");
        let mut values = Vec::new();
        for (field, i) in &self.cols.fields {
            if let Some(v) = line::field_value(field, get(*i), &self.clock).map_err(|m| ("course.invalid_value", m))? {
                values.push((*field, v));
            }
        }
        let text = |f: &str| {
            values
                .iter()
                .find(|(n, _)| *n == f)
                .and_then(|(_, v)| if let Value::Text(t) = v { Some(t.clone()) } else { None })
        };
        let instance = |i: Option<usize>, col: &str| -> Result<Option<InstanceState>, Refusal> {
            match i.map(get).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => match crate::values::parse_bool(v) {
                    Some(true) => Ok(Some(InstanceState::Enabled)),
                    Some(false) => Ok(Some(InstanceState::Disabled)),
                    None => Err(("course.invalid_value", format!("column \"{col}\" has value \"{v}\"; use 1 or 0"))),
                },
            }
        };
        let id =
            match self.cols.id.map(get).filter(|v| !v.is_empty()) {
                None => None,
                Some(v) => Some(v.parse::<i64>().map_err(|_| {
                    ("course.invalid_value", format!("column \"id\" has value \"{v}\"; use a course id"))
                })?),
            };
        let mut teachers = Vec::new();
        for (n, (account, role)) in &self.cols.teachers {
            let account = account.map(get).unwrap_or("");
            let role = role.map(get).filter(|r| !r.is_empty()).unwrap_or("editingteacher");
            if account.is_empty() {
                if role != "editingteacher" {
                    return Err((
                        "course.teacher_account_missing",
                        format!("teacher{n} has a role but no teacher{n}_account"),
                    ));
                }
                continue;
            }
            if !self.roles.iter().any(|(_, r)| r == role) {
                return Err((
                    "course.unknown_role",
                    format!(
                        "error -5: teacher{n}_role \"{role}\" is not a role; use one of {}",
                        self.roles.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            teachers.push((account.to_string(), role.to_string()));
        }
        Ok(Wanted {
            shortname: text("shortname").unwrap_or_default(),
            idnumber: text("idnumber"),
            id,
            category: self.cols.category.map(|i| get(i).to_string()),
            template: self.cols.template.map(|i| get(i).trim().to_string()).filter(|t| !t.is_empty()),
            self_enrol: instance(self.cols.self_enrol, "self")?,
            guest: instance(self.cols.guest, "guest")?,
            topics: self
                .cols
                .topics
                .iter()
                .map(|(n, i)| {
                    let (name, summary) = line::topic_value(get(*i));
                    (*n, name, summary)
                })
                .collect(),
            teachers,
            values,
        })
    }
}

/// Sections 0…max of the given topics (gaps filled with unnamed sections), each topic setting
/// its section's name and summary, laid over `base` (a template's or the course's sections).
fn merge_sections(base: &[Section], topics: &[(u32, String, String)], minimum: u32) -> Vec<Section> {
    let top = topics.iter().map(|(n, _, _)| *n).chain(base.iter().map(|s| s.number)).max().unwrap_or(0).max(minimum);
    (0..=top)
        .map(|n| {
            let mut s = base.iter().find(|s| s.number == n).cloned().unwrap_or(Section {
                number: n,
                name: None,
                summary: String::new(),
                visible: true,
            });
            if let Some((_, name, summary)) = topics.iter().find(|(t, _, _)| *t == n) {
                s.name = (!name.is_empty()).then(|| name.clone());
                s.summary = summary.clone();
            }
            s
        })
        .collect()
}

fn new_course(now: i64) -> Course {
    Course {
        format: "topics".into(),
        visible: true,
        showgrades: true,
        newsitems: 5,
        startdate: now,
        timecreated: now,
        timemodified: now,
        ..Default::default()
    }
}

struct ChunkData {
    index: CourseIndex,
    categories: Categories,
    users: Vec<lmsync_model::User>,
}

impl UploadTool {
    fn teacher(&self, account: &str, role: &str, users: &[lmsync_model::User]) -> Result<Teacher, Refusal> {
        // The built-in guest account can never teach.
        let live = users.iter().filter(|u| !u.deleted && u.username != "guest");
        let matches: Vec<&lmsync_model::User> = match account.parse::<i64>() {
            Ok(id) => live.filter(|u| u.id == id).collect(),
            Err(_) => {
                live.filter(|u| u.username == account.to_lowercase() || u.email.eq_ignore_ascii_case(account)).collect()
            }
        };
        let roleid = self.roles.iter().find(|(_, r)| r == role).map(|(id, _)| *id).unwrap_or_default();
        match matches.as_slice() {
            [u] => Ok(Teacher { userid: u.id, username: u.username.clone(), roleid, role: role.to_string() }),
            [] => Err((
                "course.teacher_not_found",
                format!("no account matches teacher \"{account}\" (give a user id, username or e-mail)"),
            )),
            many => Err((
                "course.teacher_ambiguous",
                format!(
                    "teacher \"{account}\" matches several accounts: {}",
                    many.iter().map(|u| u.username.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    fn template(&self, name: &str, data: &ChunkData, target: &mut dyn LmsTarget) -> Result<Template, Refusal> {
        if name.contains(".mbz") {
            return templates::read(&templates::area_path(&self.area_root, name)?, name);
        }
        let course = match data.index.by_shortname(name) {
            Some(c) if c.id > 0 => c,
            Some(_) => {
                return Err((
                    "course.template_not_found",
                    format!(
                        "error -7: the template course {name} is created by an earlier line of this file; it can serve as a template from the next run"
                    ),
                ));
            }
            None => {
                return Err((
                    "course.template_not_found",
                    format!("error -7: the template course {name} does not exist"),
                ));
            }
        };
        let source = TemplateRef::Course { id: course.id, shortname: course.shortname.clone() };
        if let Some(backup) = templates::newest_backup(&self.area_root, course.id) {
            // The course's own backup stands for it; the course remains the source to copy from.
            return templates::read(&backup, name).map(|t| Template { source, ..t });
        }
        let (sections, activities) =
            target.course_content(course.id).map_err(|e| ("target.unavailable", e.to_string()))?;
        Ok(Template { settings: templates::settings_of(course), sections, activities, source })
    }

    fn plan_line(&mut self, row: &Row, data: &mut ChunkData, target: &mut dyn LmsTarget) -> Result<Planned, Refusal> {
        let w = self.wanted(row)?;
        if !self.seen.insert(w.shortname.clone()) {
            return Err((
                "course.duplicate_line",
                format!(
                    "course {} already appears on an earlier line of this file; give each course one line",
                    w.shortname
                ),
            ));
        }
        let lookup = match self.s.upload_identifier {
            CourseIdentity::Shortname => Some(w.shortname.clone()),
            CourseIdentity::Idnumber => w.idnumber.clone().filter(|v| !v.is_empty()),
            CourseIdentity::Id => w.id.map(|id| id.to_string()),
        };
        let existing = match &lookup {
            Some(v) => data.index.find(self.s.upload_identifier, v).cloned(),
            None => data.index.by_shortname(&w.shortname).cloned(),
        };
        if let Some(other) =
            data.index.by_shortname(&w.shortname).filter(|c| Some(c.id) != existing.as_ref().map(|e| e.id))
        {
            return Err((
                "course.shortname_taken",
                format!("shortname {} already belongs to {}", w.shortname, describe(other)),
            ));
        }
        if let Some(idn) = w.idnumber.as_deref().filter(|v| !v.is_empty())
            && let Some(other) = data.index.by_idnumber(idn).filter(|c| Some(c.id) != existing.as_ref().map(|e| e.id))
        {
            return Err(("course.idnumber_taken", format!("idnumber {idn} already belongs to {}", describe(other))));
        }
        let teachers =
            w.teachers.iter().map(|(a, r)| self.teacher(a, r, &data.users)).collect::<Result<Vec<_>, _>>()?;
        match existing {
            None => self.plan_create(row, w, teachers, data, target),
            Some(c) => self.plan_existing(row, w, teachers, c, data, target),
        }
    }

    fn plan_create(
        &mut self,
        row: &Row,
        w: Wanted,
        teachers: Vec<Teacher>,
        data: &mut ChunkData,
        target: &mut dyn LmsTarget,
    ) -> Result<Planned, Refusal> {
        if self.s.upload_identifier == CourseIdentity::Id && w.id.is_some() {
            return Err((
                "course.not_found",
                "no course has this id; courses cannot be created with a chosen id".into(),
            ));
        }
        let category = data
            .categories
            .resolve(self.s.category_identifier, w.category.as_deref().unwrap_or(""), self.s.new_categories_visible)
            .map_err(|m| ("course.unknown_category", m))?;
        let template = match &w.template {
            Some(t) => Some(self.template(t, data, target)?),
            None => None,
        };
        let mut course = new_course(self.clock.now());
        let source = template.as_ref().map(|t| t.source.clone());
        let (base_sections, activities) = match template {
            Some(t) => {
                // The template's settings first; the line's own values win.
                let s = t.settings;
                (course.format, course.summary, course.showgrades, course.newsitems) =
                    (s.format, s.summary, s.showgrades, s.newsitems);
                (course.groupmode, course.groupmodeforce, course.enablecompletion, course.lang) =
                    (s.groupmode, s.groupmodeforce, s.enablecompletion, s.lang);
                (t.sections, t.activities)
            }
            None => (Vec::new(), Vec::new()),
        };
        let minimum = if w.topics.is_empty() && base_sections.is_empty() { self.s.default_sections } else { 0 };
        for (f, v) in &w.values {
            line::set(&mut course, f, v);
        }
        let sections = merge_sections(&base_sections, &w.topics, minimum);
        data.index.add_planned(course.clone());
        let message = format!(
            "new course in {}{}",
            match &category {
                lmsync_model::CategoryRef::Existing(id) => data.categories.path(*id),
                lmsync_model::CategoryRef::Path { names, .. } => names.join("/"),
            },
            w.template.as_ref().map(|t| format!(", from template {t}")).unwrap_or_default()
        );
        let write = CourseWrite {
            course,
            before: None,
            category: Some(category),
            sections,
            activities,
            replace_content: false,
            template: source,
            self_enrol: w.self_enrol,
            guest: w.guest,
            teachers,
            changed: Vec::new(),
        };
        Ok(Planned {
            outcome: LineOutcome::new(row.line, Outcome::Created, &w.shortname, message),
            change: Some(Change { line: row.line, key: w.shortname, kind: ChangeKind::WriteCourse(Box::new(write)) }),
        })
    }

    /// What the line's self, guest and teacher columns would change in an existing course.
    fn enrolment_differences(
        &self,
        w: &Wanted,
        teachers: &[Teacher],
        course: i64,
        target: &mut dyn LmsTarget,
    ) -> Result<Vec<String>, Refusal> {
        if w.self_enrol.is_none() && w.guest.is_none() && teachers.is_empty() {
            return Ok(Vec::new());
        }
        let (instances, roles) =
            target.course_enrolment_state(course).map_err(|e| ("target.unavailable", e.to_string()))?;
        let mut diff = Vec::new();
        for (method, wanted) in [("self", w.self_enrol), ("guest", w.guest)] {
            let current = instances.iter().find(|(m, _)| m == method).map(|(_, enabled)| *enabled);
            let differs = match wanted {
                Some(InstanceState::Enabled) => current != Some(true),
                Some(InstanceState::Disabled) => current == Some(true),
                None => false,
            };
            if differs {
                diff.push(method.to_string());
            }
        }
        for t in teachers {
            if !roles.contains(&(t.userid, t.roleid)) {
                diff.push(format!("teacher {} ({})", t.username, t.role));
            }
        }
        Ok(diff)
    }

    fn plan_existing(
        &mut self,
        row: &Row,
        w: Wanted,
        teachers: Vec<Teacher>,
        c: Course,
        data: &mut ChunkData,
        target: &mut dyn LmsTarget,
    ) -> Result<Planned, Refusal> {
        let mut after = c.clone();
        let mut changed: Vec<&'static str> = Vec::new();
        for (f, v) in &w.values {
            if line::get(&c, f) != *v {
                line::set(&mut after, f, v);
                changed.push(f);
            }
        }
        let category = match (&w.category, self.s.protect_category) {
            (Some(value), false) if !value.trim().is_empty() => {
                let r = data
                    .categories
                    .resolve(self.s.category_identifier, value, self.s.new_categories_visible)
                    .map_err(|m| ("course.unknown_category", m))?;
                (r != lmsync_model::CategoryRef::Existing(c.category)).then_some(r)
            }
            _ => None,
        };
        if category.is_some() {
            changed.push("category");
        }
        let template = match (&w.template, self.s.template_mode) {
            (Some(t), TemplateMode::Add | TemplateMode::Replace) => {
                let t = self.template(t, data, target)?;
                Some((t.sections, t.activities, t.source))
            }
            _ => None,
        };
        let (current, current_activities) = if w.topics.is_empty() && template.is_none() {
            (Vec::new(), Vec::new())
        } else {
            target.course_content(c.id).map_err(|e| ("target.unavailable", e.to_string()))?
        };
        let mut replace = self.s.template_mode == TemplateMode::Replace && template.is_some();
        let source = template.as_ref().map(|(_, _, s)| s.clone());
        let (sections, activities) = match template {
            Some((t_sections, t_activities, _)) if replace => {
                let sections = merge_sections(&t_sections, &w.topics, 0);
                if sections == current && t_activities == current_activities {
                    // The course already is the template: replacing it again changes nothing.
                    replace = false;
                    (Vec::new(), Vec::new())
                } else {
                    (sections, t_activities)
                }
            }
            Some((t_sections, t_activities, _)) => {
                let mut base = current.clone();
                base.extend(t_sections.into_iter().filter(|s| !current.iter().any(|c| c.number == s.number)));
                // Adding a template adds what the course does not have yet, so a re-run adds nothing.
                let missing = t_activities.into_iter().filter(|a| !current_activities.contains(a)).collect();
                (merge_sections(&base, &w.topics, 0), missing)
            }
            None if w.topics.is_empty() => (Vec::new(), Vec::new()),
            None => (merge_sections(&current, &w.topics, 0), Vec::new()),
        };
        let sections: Vec<Section> = sections.into_iter().filter(|s| replace || !current.contains(s)).collect();
        if !sections.is_empty() || !activities.is_empty() || replace {
            changed.push("sections");
        }
        let enrolments = self.enrolment_differences(&w, &teachers, c.id, target)?;
        if !self.s.force_update {
            return Ok(Planned {
                outcome: if changed.is_empty() {
                    if enrolments.is_empty() {
                        LineOutcome::new(
                            row.line,
                            Outcome::Unchanged,
                            &w.shortname,
                            format!("exists: {}", describe(&c)),
                        )
                    } else {
                        LineOutcome::new(
                            row.line,
                            Outcome::Skipped,
                            &w.shortname,
                            format!(
                                "exists and differs in {}; set courses.force_update = true to update it",
                                enrolments.join(", ")
                            ),
                        )
                    }
                } else {
                    LineOutcome::new(
                        row.line,
                        Outcome::Skipped,
                        &w.shortname,
                        format!(
                            "exists and differs in {}; set courses.force_update = true to update it",
                            changed
                                .iter()
                                .copied()
                                .chain(enrolments.iter().map(String::as_str))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                },
                change: None,
            });
        }
        if changed.is_empty() && enrolments.is_empty() {
            return Ok(Planned {
                outcome: LineOutcome::new(row.line, Outcome::Unchanged, &w.shortname, "no change"),
                change: None,
            });
        }
        data.index.replace(after.clone());
        let message = format!(
            "changed {}",
            changed.iter().copied().chain(enrolments.iter().map(String::as_str)).collect::<Vec<_>>().join(", ")
        );
        let write = CourseWrite {
            course: after,
            before: Some(c),
            category,
            sections,
            template: source.filter(|_| replace || !activities.is_empty()),
            activities,
            replace_content: replace,
            self_enrol: w.self_enrol,
            guest: w.guest,
            teachers,
            changed,
        };
        Ok(Planned {
            outcome: LineOutcome::new(row.line, Outcome::Updated, &w.shortname, message),
            change: Some(Change { line: row.line, key: w.shortname, kind: ChangeKind::WriteCourse(Box::new(write)) }),
        })
    }
}

impl Tool for UploadTool {
    fn name(&self) -> &'static str {
        "courses"
    }

    fn operation(&self) -> Option<&'static str> {
        Some("create")
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    fn start(
        &mut self,
        columns: &Columns,
        ctx: &ToolContext,
        target: &mut dyn LmsTarget,
    ) -> Result<Vec<String>, ToolError> {
        self.area_root = ctx.area_root.clone();
        self.roles = target.roles().map_err(|e| ToolError { code: "target.unavailable", message: e.to_string() })?;
        let mut notes = vec![format!(
            "courses are matched by {}; existing courses are {}",
            self.s.upload_identifier.as_str(),
            if self.s.force_update { "updated" } else { "left as they are (courses.force_update = false)" }
        )];
        let mut cols = Cols::default();
        for (i, name) in columns.names().iter().enumerate() {
            match name.as_str() {
                "id" => cols.id = Some(i),
                "category" => cols.category = Some(i),
                "template" => cols.template = Some(i),
                "self" => cols.self_enrol = Some(i),
                "guest" => cols.guest = Some(i),
                n if line::PLATFORM_COLUMNS.contains(&n) => {
                    notes.push(format!("column {n} is set by the platform and ignored"))
                }
                n => {
                    if let Some(t) = line::topic_number(n) {
                        cols.topics.push((t, i));
                    } else if let Some((t, role)) = line::teacher_column(n) {
                        let e = cols.teachers.entry(t).or_default();
                        if role { e.1 = Some(i) } else { e.0 = Some(i) }
                    } else if let Some(f) =
                        OPTIONAL.iter().chain(["shortname", "fullname"].iter()).find(|f| **f == n && line::is_field(f))
                    {
                        cols.fields.push((f, i));
                    } else {
                        notes.push(format!("column {n} is not used by the courses tool and is ignored"));
                    }
                }
            }
        }
        self.cols = cols;
        Ok(notes)
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let get = |r: &Row, i: Option<usize>| {
            i.and_then(|i| r.fields.get(i)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
        };
        let col = |name: &str| self.cols.fields.iter().find(|(f, _)| *f == name).map(|(_, i)| *i);
        let (shortname_col, idnumber_col) = (col("shortname"), col("idnumber"));
        let mut values: Vec<String> = Vec::new();
        for r in rows {
            values.extend(get(r, shortname_col));
            values.extend(get(r, self.cols.template));
        }
        let mut course_keys = keys(CourseIdentity::Shortname, values.iter().map(String::as_str));
        course_keys.idnumbers = rows.iter().filter_map(|r| get(r, idnumber_col)).collect();
        course_keys.ids = rows.iter().filter_map(|r| get(r, self.cols.id)).filter_map(|v| v.parse().ok()).collect();
        let mut user_keys = UserKeys::default();
        for r in rows {
            for (account, _) in self.cols.teachers.values() {
                if let Some(v) = get(r, *account) {
                    match v.parse::<i64>() {
                        Ok(id) => user_keys.ids.push(id),
                        Err(_) => {
                            user_keys.usernames.push(v.to_lowercase());
                            user_keys.emails.push(v);
                        }
                    }
                }
            }
        }
        let users = if user_keys.is_empty() { Vec::new() } else { target.users(&user_keys)? };
        let mut data = ChunkData {
            index: CourseIndex::new(target.courses(&course_keys)?),
            categories: Categories::new(target.categories()?),
            users,
        };
        let mut planned = Vec::with_capacity(rows.len());
        for row in rows {
            let key = get(row, shortname_col).unwrap_or_default();
            planned.push(match self.plan_line(row, &mut data, target) {
                Ok(p) => p,
                Err((code, message)) => {
                    Planned { outcome: LineOutcome::failed(row.line, key, code, message), change: None }
                }
            });
        }
        Ok(planned)
    }
}
