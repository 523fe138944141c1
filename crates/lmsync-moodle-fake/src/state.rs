//! The fake site's data (spec §4.4): Moodle's tables as maps keyed by id, with per-table
//! id counters and the install defaults (guest 1, admin 2, site course 1, "Category 1").

use std::collections::BTreeMap;

/// Context levels, as Moodle numbers them.
pub const CONTEXT_SYSTEM: i64 = 10;
pub const CONTEXT_USER: i64 = 30;
pub const CONTEXT_COURSECAT: i64 = 40;
pub const CONTEXT_COURSE: i64 = 50;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub auth: String,
    pub password: Option<String>,
    pub confirmed: bool,
    pub suspended: bool,
    pub deleted: bool,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub idnumber: String,
    pub lang: String,
    pub timezone: String,
    /// Picture file id; 0 = none. Every new picture gets a new id.
    pub picture: i64,
    /// Other profile keys (city, country, institution, description, …) as sent.
    pub extra: BTreeMap<String, String>,
    pub customfields: BTreeMap<String, String>,
    pub preferences: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub idnumber: String,
    pub parent: i64,
    pub description: String,
    pub descriptionformat: i64,
    pub visible: bool,
    pub sortorder: i64,
    pub theme: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub id: i64,
    pub section: i64,
    pub name: String,
    pub summary: String,
    pub visible: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Course {
    pub id: i64,
    pub shortname: String,
    pub fullname: String,
    pub idnumber: String,
    pub categoryid: i64,
    pub format: String,
    pub visible: bool,
    pub startdate: i64,
    pub enddate: i64,
    pub summary: String,
    pub summaryformat: i64,
    pub lang: String,
    pub customfields: BTreeMap<String, String>,
    pub sections: Vec<Section>,
    /// The integer settings (`showgrades`, `newsitems`, `groupmode`, …) set by a call; the
    /// others have the site's defaults (`COURSE_SETTINGS` of the course functions).
    pub settings: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnrolInstance {
    pub id: i64,
    pub courseid: i64,
    /// `manual`, `self`, `cohort`, `meta`, …
    pub plugin: String,
    /// 0 = enabled, 1 = disabled.
    pub status: i64,
    /// Linked course (meta) or cohort (cohort) id.
    pub customint1: i64,
    pub roleid: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserEnrolment {
    pub id: i64,
    pub instanceid: i64,
    pub userid: i64,
    pub timestart: i64,
    pub timeend: i64,
    /// 0 = active, 1 = suspended.
    pub status: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    pub id: i64,
    pub userid: i64,
    pub roleid: i64,
    pub contextid: i64,
    /// "" for manual assignments, else the owning plugin (`enrol_meta`, …).
    pub component: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: i64,
    pub shortname: String,
    pub name: String,
    /// Context levels where the role can be assigned.
    pub levels: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub id: i64,
    pub courseid: i64,
    pub name: String,
    pub idnumber: String,
    pub description: String,
    pub descriptionformat: i64,
    pub enrolmentkey: String,
    pub visibility: i64,
    pub participation: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grouping {
    pub id: i64,
    pub courseid: i64,
    pub name: String,
    pub idnumber: String,
    pub description: String,
    pub descriptionformat: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupMember {
    pub groupid: i64,
    pub userid: i64,
    pub component: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cohort {
    pub id: i64,
    pub contextid: i64,
    pub name: String,
    pub idnumber: String,
    pub description: String,
    pub descriptionformat: i64,
    pub visible: bool,
    pub theme: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub id: i64,
    pub level: i64,
    pub instanceid: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DraftFile {
    pub filename: String,
    pub filepath: String,
    pub bytes: Vec<u8>,
}

/// Everything the fake site stores. Cloned to snapshot an atomic call.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub users: BTreeMap<i64, User>,
    pub categories: BTreeMap<i64, Category>,
    pub courses: BTreeMap<i64, Course>,
    pub enrol_instances: BTreeMap<i64, EnrolInstance>,
    pub user_enrolments: BTreeMap<i64, UserEnrolment>,
    pub role_assignments: BTreeMap<i64, RoleAssignment>,
    pub roles: BTreeMap<i64, Role>,
    pub groups: BTreeMap<i64, Group>,
    pub groupings: BTreeMap<i64, Grouping>,
    /// (groupingid, groupid)
    pub grouping_groups: Vec<(i64, i64)>,
    pub group_members: Vec<GroupMember>,
    pub cohorts: BTreeMap<i64, Cohort>,
    /// (cohortid, userid)
    pub cohort_members: Vec<(i64, i64)>,
    pub contexts: BTreeMap<i64, Context>,
    /// Draft areas: item id → files.
    pub drafts: BTreeMap<i64, Vec<DraftFile>>,
    /// Site admins (user ids).
    pub admins: Vec<i64>,
    counters: BTreeMap<&'static str, i64>,
}

fn role(id: i64, shortname: &str, name: &str, levels: &[i64]) -> Role {
    Role { id, shortname: shortname.into(), name: name.into(), levels: levels.to_vec() }
}

impl State {
    /// A fresh install: guest, admin, site course, "Category 1", default roles.
    pub fn install() -> State {
        let mut st = State::default();
        st.new_context(CONTEXT_SYSTEM, 0);
        for (username, first, last) in [("guest", "Guest user", " "), ("admin", "Admin", "User")] {
            let id = st.next_id("user");
            st.users.insert(
                id,
                User {
                    id,
                    username: username.into(),
                    auth: "manual".into(),
                    confirmed: true,
                    firstname: first.into(),
                    lastname: last.into(),
                    email: format!("{username}@example.com"),
                    lang: "en".into(),
                    timezone: "99".into(),
                    ..User::default()
                },
            );
            st.new_context(CONTEXT_USER, id);
        }
        st.admins.push(2);
        let site = st.next_id("course");
        st.courses.insert(
            site,
            Course {
                id: site,
                shortname: "fake".into(),
                fullname: "Fake Moodle".into(),
                format: "site".into(),
                visible: true,
                ..Course::default()
            },
        );
        st.new_context(CONTEXT_COURSE, site);
        let cat = st.next_id("course_categories");
        st.categories.insert(
            cat,
            Category {
                id: cat,
                name: "Category 1".into(),
                visible: true,
                descriptionformat: 1,
                sortorder: 10000,
                ..Category::default()
            },
        );
        st.new_context(CONTEXT_COURSECAT, cat);
        let (sys, cc, c) = (CONTEXT_SYSTEM, CONTEXT_COURSECAT, CONTEXT_COURSE);
        for r in [
            role(1, "manager", "Manager", &[sys, cc, c]),
            role(2, "coursecreator", "Course creator", &[sys, cc]),
            role(3, "editingteacher", "Teacher", &[c]),
            role(4, "teacher", "Non-editing teacher", &[c]),
            role(5, "student", "Student", &[c]),
            role(6, "guest", "Guest", &[]),
            role(7, "user", "Authenticated user", &[]),
            role(8, "frontpage", "Authenticated user on site home", &[]),
        ] {
            st.roles.insert(r.id, r);
        }
        st.counters.insert("role", 8);
        st
    }

    /// The next id of a table (ids are never reused).
    pub fn next_id(&mut self, table: &'static str) -> i64 {
        let c = self.counters.entry(table).or_insert(0);
        *c += 1;
        *c
    }

    pub fn new_context(&mut self, level: i64, instanceid: i64) -> i64 {
        let id = self.next_id("context");
        self.contexts.insert(id, Context { id, level, instanceid });
        id
    }

    /// The context id of an instance, if it exists.
    pub fn context_id(&self, level: i64, instanceid: i64) -> Option<i64> {
        self.contexts
            .values()
            .find(|c| c.level == level && (level == CONTEXT_SYSTEM || c.instanceid == instanceid))
            .map(|c| c.id)
    }

    pub fn course_context(&self, courseid: i64) -> Option<i64> {
        self.context_id(CONTEXT_COURSE, courseid)
    }

    /// A live (not deleted) user.
    pub fn live_user(&self, id: i64) -> Option<&User> {
        self.users.get(&id).filter(|u| !u.deleted)
    }

    /// The user's enrolments in a course (any method).
    pub fn enrolments_in(&self, userid: i64, courseid: i64) -> Vec<&UserEnrolment> {
        self.user_enrolments
            .values()
            .filter(|ue| {
                ue.userid == userid && self.enrol_instances.get(&ue.instanceid).is_some_and(|i| i.courseid == courseid)
            })
            .collect()
    }

    pub fn is_enrolled(&self, userid: i64, courseid: i64) -> bool {
        !self.enrolments_in(userid, courseid).is_empty()
    }

    /// Assigns a role (idempotent).
    pub fn assign_role(&mut self, userid: i64, roleid: i64, contextid: i64, component: &str) {
        let exists = self.role_assignments.values().any(|ra| {
            ra.userid == userid && ra.roleid == roleid && ra.contextid == contextid && ra.component == component
        });
        if !exists {
            let id = self.next_id("role_assignments");
            let ra = RoleAssignment { id, userid, roleid, contextid, component: component.into() };
            self.role_assignments.insert(id, ra);
        }
    }

    /// Removes a user's last traces in a course once no enrolment is left.
    pub fn cleanup_after_unenrol(&mut self, userid: i64, courseid: i64) {
        if self.is_enrolled(userid, courseid) {
            return;
        }
        if let Some(ctx) = self.course_context(courseid) {
            self.role_assignments.retain(|_, ra| !(ra.userid == userid && ra.contextid == ctx));
        }
        let groups: Vec<i64> = self.groups.values().filter(|g| g.courseid == courseid).map(|g| g.id).collect();
        self.group_members.retain(|m| !(m.userid == userid && groups.contains(&m.groupid)));
    }

    /// The course's first enabled instance of `plugin`.
    pub fn enabled_instance(&self, courseid: i64, plugin: &str) -> Option<&EnrolInstance> {
        self.enrol_instances.values().find(|i| i.courseid == courseid && i.plugin == plugin && i.status == 0)
    }

    /// Adds an enrolment instance to a course.
    pub fn add_instance(&mut self, courseid: i64, plugin: &str, customint1: i64, roleid: i64) -> i64 {
        let id = self.next_id("enrol");
        let inst = EnrolInstance { id, courseid, plugin: plugin.into(), status: 0, customint1, roleid };
        self.enrol_instances.insert(id, inst);
        id
    }

    /// Category path like "/1/5/9".
    pub fn category_path(&self, id: i64) -> Vec<i64> {
        let mut path = Vec::new();
        let mut cur = id;
        while let Some(c) = self.categories.get(&cur) {
            path.insert(0, c.id);
            if c.parent == 0 || path.len() > 64 {
                break;
            }
            cur = c.parent;
        }
        path
    }

    /// Brings every meta-link instance in step with its linked course: each user with an
    /// active enrolment there (by another method) is enrolled through the meta instance and
    /// holds the same course roles (component `enrol_meta`); the others lose theirs.
    pub fn sync_meta(&mut self) {
        let metas: Vec<(i64, i64, i64)> = self
            .enrol_instances
            .values()
            .filter(|i| i.plugin == "meta")
            .map(|i| (i.id, i.courseid, i.customint1))
            .collect();
        for (inst, meta, child) in metas {
            let (Some(mctx), Some(cctx)) = (self.course_context(meta), self.course_context(child)) else { continue };
            let wanted: Vec<i64> = self
                .user_enrolments
                .values()
                .filter(|ue| {
                    ue.status == 0
                        && self
                            .enrol_instances
                            .get(&ue.instanceid)
                            .is_some_and(|i| i.courseid == child && i.status == 0 && i.plugin != "meta")
                })
                .map(|ue| ue.userid)
                .collect();
            self.user_enrolments.retain(|_, ue| ue.instanceid != inst || wanted.contains(&ue.userid));
            for u in &wanted {
                if !self.user_enrolments.values().any(|ue| ue.instanceid == inst && ue.userid == *u) {
                    let id = self.next_id("user_enrolments");
                    let ue = UserEnrolment { id, instanceid: inst, userid: *u, timestart: 0, timeend: 0, status: 0 };
                    self.user_enrolments.insert(id, ue);
                }
            }
            let roles: Vec<(i64, i64)> = self
                .role_assignments
                .values()
                .filter(|ra| ra.contextid == cctx && wanted.contains(&ra.userid))
                .map(|ra| (ra.userid, ra.roleid))
                .collect();
            self.role_assignments.retain(|_, ra| {
                !(ra.contextid == mctx && ra.component == "enrol_meta" && !roles.contains(&(ra.userid, ra.roleid)))
            });
            for (u, r) in roles {
                self.assign_role(u, r, mctx, "enrol_meta");
            }
        }
    }
}
