-- The LMS data model (Moodle's tables and column names, minus the mdl_ prefix and what lmsync
-- never uses), plus lmsync's runs and change journal. Times are Unix seconds.

CREATE TABLE course_categories (
    id            INTEGER PRIMARY KEY,
    parent        INTEGER REFERENCES course_categories(id) ON DELETE RESTRICT,
    name          TEXT NOT NULL,
    idnumber      TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    visible       INTEGER NOT NULL DEFAULT 1,
    sortorder     INTEGER NOT NULL DEFAULT 0,
    depth         INTEGER NOT NULL DEFAULT 1,
    path          TEXT NOT NULL DEFAULT '',
    timemodified  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX course_categories_idnumber ON course_categories(idnumber) WHERE idnumber <> '';
CREATE INDEX course_categories_parent_name ON course_categories(parent, name);

CREATE TABLE course (
    id                INTEGER PRIMARY KEY,
    category          INTEGER NOT NULL REFERENCES course_categories(id) ON DELETE RESTRICT,
    shortname         TEXT NOT NULL UNIQUE,
    fullname          TEXT NOT NULL,
    idnumber          TEXT NOT NULL DEFAULT '',
    summary           TEXT NOT NULL DEFAULT '',
    format            TEXT NOT NULL DEFAULT 'topics',
    visible           INTEGER NOT NULL DEFAULT 1,
    startdate         INTEGER NOT NULL DEFAULT 0,
    enddate           INTEGER NOT NULL DEFAULT 0,
    lang              TEXT NOT NULL DEFAULT '',
    theme             TEXT NOT NULL DEFAULT '',
    groupmode         INTEGER NOT NULL DEFAULT 0,
    groupmodeforce    INTEGER NOT NULL DEFAULT 0,
    maxbytes          INTEGER NOT NULL DEFAULT 0,
    showgrades        INTEGER NOT NULL DEFAULT 1,
    newsitems         INTEGER NOT NULL DEFAULT 5,
    enablecompletion  INTEGER NOT NULL DEFAULT 0,
    timecreated       INTEGER NOT NULL DEFAULT 0,
    timemodified      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX course_idnumber ON course(idnumber) WHERE idnumber <> '';
CREATE INDEX course_category ON course(category);

CREATE TABLE course_sections (
    id            INTEGER PRIMARY KEY,
    course        INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    section       INTEGER NOT NULL,
    name          TEXT,
    summary       TEXT NOT NULL DEFAULT '',
    visible       INTEGER NOT NULL DEFAULT 1,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (course, section)
);

-- Activities of a course (enough of Moodle's course_modules + instance to copy a structure).
CREATE TABLE course_modules (
    id            INTEGER PRIMARY KEY,
    course        INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    section       INTEGER NOT NULL REFERENCES course_sections(id) ON DELETE CASCADE,
    modname       TEXT NOT NULL,
    name          TEXT NOT NULL,
    idnumber      TEXT NOT NULL DEFAULT '',
    visible       INTEGER NOT NULL DEFAULT 1,
    sortorder     INTEGER NOT NULL DEFAULT 0,
    settings      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX course_modules_course ON course_modules(course);

CREATE TABLE role (
    id           INTEGER PRIMARY KEY,
    shortname    TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    archetype    TEXT NOT NULL DEFAULT '',
    sortorder    INTEGER NOT NULL UNIQUE
);
INSERT INTO role (id, shortname, name, archetype, sortorder) VALUES
    (1, 'manager', 'Manager', 'manager', 1),
    (2, 'coursecreator', 'Course creator', 'coursecreator', 2),
    (3, 'editingteacher', 'Teacher', 'editingteacher', 3),
    (4, 'teacher', 'Non-editing teacher', 'teacher', 4),
    (5, 'student', 'Student', 'student', 5),
    (6, 'guest', 'Guest', 'guest', 6),
    (7, 'user', 'Authenticated user', 'user', 7);

CREATE TABLE user (
    id             INTEGER PRIMARY KEY,
    auth           TEXT NOT NULL DEFAULT 'manual',
    confirmed      INTEGER NOT NULL DEFAULT 0,
    deleted        INTEGER NOT NULL DEFAULT 0,
    suspended      INTEGER NOT NULL DEFAULT 0,
    mnethostid     INTEGER NOT NULL DEFAULT 1,
    username       TEXT NOT NULL,
    password       TEXT,
    idnumber       TEXT NOT NULL DEFAULT '',
    firstname      TEXT NOT NULL,
    lastname       TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    phone1         TEXT NOT NULL DEFAULT '',
    phone2         TEXT NOT NULL DEFAULT '',
    icq            TEXT NOT NULL DEFAULT '',
    institution    TEXT NOT NULL DEFAULT '',
    department     TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    city           TEXT NOT NULL DEFAULT '',
    country        TEXT NOT NULL DEFAULT '',
    lang           TEXT NOT NULL DEFAULT 'en',
    timezone       TEXT NOT NULL DEFAULT '99',
    description    TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    maildisplay    INTEGER NOT NULL DEFAULT 2,
    maildigest     INTEGER NOT NULL DEFAULT 0,
    mailformat     INTEGER NOT NULL DEFAULT 1,
    autosubscribe  INTEGER NOT NULL DEFAULT 1,
    trackforums    INTEGER NOT NULL DEFAULT 0,
    picture        INTEGER NOT NULL DEFAULT 0,
    timecreated    INTEGER NOT NULL DEFAULT 0,
    timemodified   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (mnethostid, username)
);
CREATE INDEX user_idnumber ON user(idnumber) WHERE idnumber <> '';
CREATE INDEX user_email ON user(lower(email)) WHERE email <> '';
-- The platform's two built-in accounts.
INSERT INTO user (id, auth, confirmed, username, firstname, lastname, password) VALUES
    (1, 'manual', 1, 'guest', 'Guest user', ' ', NULL),
    (2, 'manual', 1, 'admin', 'Admin', 'User', NULL);

CREATE TABLE user_preferences (
    userid  INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (userid, name)
) WITHOUT ROWID;

CREATE TABLE user_info_field (
    id           INTEGER PRIMARY KEY,
    shortname    TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    datatype     TEXT NOT NULL CHECK (datatype IN ('text', 'textarea', 'checkbox', 'menu', 'datetime')),
    description  TEXT NOT NULL DEFAULT '',
    required     INTEGER NOT NULL DEFAULT 0,
    locked       INTEGER NOT NULL DEFAULT 0,
    visible      INTEGER NOT NULL DEFAULT 2,
    param1       TEXT NOT NULL DEFAULT '',
    sortorder    INTEGER NOT NULL DEFAULT 0
);
-- Checksum of each user's original picture (differential picture sync), hidden and locked.
INSERT INTO user_info_field (shortname, name, datatype, locked, visible, sortorder)
    VALUES ('userpicturehash', 'User picture checksum (MD5)', 'textarea', 1, 0, 999);

CREATE TABLE user_info_data (
    userid   INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    fieldid  INTEGER NOT NULL REFERENCES user_info_field(id) ON DELETE CASCADE,
    data     TEXT NOT NULL,
    PRIMARY KEY (userid, fieldid)
) WITHOUT ROWID;

-- The three sizes of a user's picture (f1 100px, f2 35px, f3 512px), PNG.
CREATE TABLE user_pictures (
    userid        INTEGER PRIMARY KEY REFERENCES user(id) ON DELETE CASCADE,
    f1            BLOB NOT NULL,
    f2            BLOB NOT NULL,
    f3            BLOB NOT NULL,
    timemodified  INTEGER NOT NULL
);

CREATE TABLE enrol (
    id              INTEGER PRIMARY KEY,
    enrol           TEXT NOT NULL CHECK (enrol IN ('manual', 'sync', 'self', 'guest', 'cohort', 'meta')),
    course          INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    status          INTEGER NOT NULL DEFAULT 0,   -- 0 enabled, 1 disabled
    sortorder       INTEGER NOT NULL DEFAULT 0,
    name            TEXT,
    roleid          INTEGER REFERENCES role(id),
    enrolstartdate  INTEGER NOT NULL DEFAULT 0,
    enrolenddate    INTEGER NOT NULL DEFAULT 0,
    password        TEXT NOT NULL DEFAULT '',     -- self enrolment key
    customint1      INTEGER,                      -- cohort: cohort id; meta: parent course id
    customint2      INTEGER,                      -- cohort: group id kept in step with members
    timecreated     INTEGER NOT NULL DEFAULT 0,
    timemodified    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX enrol_course ON enrol(course, enrol);
CREATE INDEX enrol_customint1 ON enrol(enrol, customint1);

CREATE TABLE user_enrolments (
    id            INTEGER PRIMARY KEY,
    enrolid       INTEGER NOT NULL REFERENCES enrol(id) ON DELETE CASCADE,
    userid        INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    status        INTEGER NOT NULL DEFAULT 0,     -- 0 active, 1 suspended
    timestart     INTEGER NOT NULL DEFAULT 0,
    timeend       INTEGER NOT NULL DEFAULT 0,
    timecreated   INTEGER NOT NULL DEFAULT 0,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (enrolid, userid)
);
CREATE INDEX user_enrolments_user ON user_enrolments(userid);

-- Role assignments in a course; component/itemid name the enrolment instance that owns a
-- derived assignment (cohort sync, meta link), empty for manual ones.
CREATE TABLE role_assignments (
    id            INTEGER PRIMARY KEY,
    roleid        INTEGER NOT NULL REFERENCES role(id),
    courseid      INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    userid        INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    component     TEXT NOT NULL DEFAULT '',
    itemid        INTEGER NOT NULL DEFAULT 0,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (roleid, courseid, userid, component, itemid)
);
CREATE INDEX role_assignments_user ON role_assignments(userid);
CREATE INDEX role_assignments_course ON role_assignments(courseid, userid);

CREATE TABLE groups (
    id            INTEGER PRIMARY KEY,
    courseid      INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    idnumber      TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    enrolmentkey  TEXT NOT NULL DEFAULT '',
    timecreated   INTEGER NOT NULL DEFAULT 0,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (courseid, name)
);
CREATE INDEX groups_idnumber ON groups(idnumber) WHERE idnumber <> '';

CREATE TABLE groupings (
    id            INTEGER PRIMARY KEY,
    courseid      INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    idnumber      TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    timecreated   INTEGER NOT NULL DEFAULT 0,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (courseid, name)
);

CREATE TABLE groupings_groups (
    groupingid  INTEGER NOT NULL REFERENCES groupings(id) ON DELETE CASCADE,
    groupid     INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    timeadded   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (groupingid, groupid)
) WITHOUT ROWID;

CREATE TABLE groups_members (
    groupid    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    userid     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    component  TEXT NOT NULL DEFAULT '',
    itemid     INTEGER NOT NULL DEFAULT 0,
    timeadded  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (groupid, userid)
) WITHOUT ROWID;
CREATE INDEX groups_members_user ON groups_members(userid);

-- A cohort lives in the system context (categoryid NULL) or in a category's.
CREATE TABLE cohort (
    id            INTEGER PRIMARY KEY,
    categoryid    INTEGER REFERENCES course_categories(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    idnumber      TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    visible       INTEGER NOT NULL DEFAULT 1,
    component     TEXT NOT NULL DEFAULT '',
    timecreated   INTEGER NOT NULL DEFAULT 0,
    timemodified  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cohort_idnumber ON cohort(idnumber) WHERE idnumber <> '';
CREATE INDEX cohort_name ON cohort(name);

CREATE TABLE cohort_members (
    cohortid   INTEGER NOT NULL REFERENCES cohort(id) ON DELETE CASCADE,
    userid     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    timeadded  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cohortid, userid)
) WITHOUT ROWID;
CREATE INDEX cohort_members_user ON cohort_members(userid);

-- lmsync's own records: one row per run, and every change a run applied.
CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY,
    tool            TEXT NOT NULL,
    operation       TEXT,
    input           TEXT NOT NULL,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    trigger         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'aborted', 'interrupted', 'cancelled')),
    pid             INTEGER NOT NULL DEFAULT 0,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    last_line       INTEGER NOT NULL DEFAULT 0,
    created         INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    partial_report  TEXT NOT NULL DEFAULT '',
    report          TEXT,
    json_report     TEXT,
    tryback         TEXT,
    archive         TEXT,
    message         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_tool_status ON sync_runs(tool, status);

CREATE TABLE sync_journal (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES sync_runs(id),
    line      INTEGER NOT NULL,
    entity    TEXT NOT NULL,      -- user, course, enrolment, …
    entity_id INTEGER NOT NULL,
    key       TEXT NOT NULL,      -- the line's key for the entity (username, shortname, …)
    action    TEXT NOT NULL,      -- create, update, delete
    before    TEXT,               -- JSON of the values before (NULL for a creation)
    after     TEXT,               -- JSON of the values after (NULL for a removal)
    at        INTEGER NOT NULL
);
CREATE INDEX sync_journal_run ON sync_journal(run_id, line);
CREATE INDEX sync_journal_entity ON sync_journal(entity, entity_id);
