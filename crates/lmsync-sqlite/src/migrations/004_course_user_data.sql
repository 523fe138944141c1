-- The per-course user data a course reset removes (Moodle's reset_course_userdata): calendar
-- events, logs, notes and blog links, completion, comments, role overrides, the gradebook, and
-- activity user data (one generic table for every module type). Contexts are simplified to the
-- course (or course module) itself. Every row goes with its course, its user or its activity,
-- so deleting any of them leaves no orphan.

-- Calendar events; courseid NULL = a site or user event.
CREATE TABLE event (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    courseid      INTEGER REFERENCES course(id) ON DELETE CASCADE,
    userid        INTEGER REFERENCES user(id) ON DELETE CASCADE,
    eventtype     TEXT NOT NULL DEFAULT 'course',
    timestart     INTEGER NOT NULL DEFAULT 0,
    timeduration  INTEGER NOT NULL DEFAULT 0,
    timemodified  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX event_course ON event(courseid);
CREATE INDEX event_user ON event(userid);

-- The standard log; courseid or userid NULL = a site-level or anonymous event.
CREATE TABLE logstore_standard_log (
    id           INTEGER PRIMARY KEY,
    eventname    TEXT NOT NULL,
    component    TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL DEFAULT '',
    courseid     INTEGER REFERENCES course(id) ON DELETE CASCADE,
    userid       INTEGER REFERENCES user(id) ON DELETE CASCADE,
    timecreated  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX logstore_standard_log_course ON logstore_standard_log(courseid);
CREATE INDEX logstore_standard_log_user ON logstore_standard_log(userid);

-- Notes (module 'notes': about userid, in courseid) and blog entries (module 'blog', by userid,
-- courseid NULL; linked to courses through blog_association).
CREATE TABLE post (
    id            INTEGER PRIMARY KEY,
    module        TEXT NOT NULL CHECK (module IN ('notes', 'blog')),
    userid        INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    courseid      INTEGER REFERENCES course(id) ON DELETE CASCADE,
    subject       TEXT NOT NULL DEFAULT '',
    content       TEXT NOT NULL DEFAULT '',
    publishstate  TEXT NOT NULL DEFAULT 'draft',
    created       INTEGER NOT NULL DEFAULT 0,
    lastmodified  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX post_course ON post(courseid, module);
CREATE INDEX post_user ON post(userid);

CREATE TABLE blog_association (
    id        INTEGER PRIMARY KEY,
    blogid    INTEGER NOT NULL REFERENCES post(id) ON DELETE CASCADE,
    courseid  INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    UNIQUE (blogid, courseid)
);
CREATE INDEX blog_association_course ON blog_association(courseid);

CREATE TABLE course_completions (
    id             INTEGER PRIMARY KEY,
    userid         INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    course         INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    timeenrolled   INTEGER NOT NULL DEFAULT 0,
    timestarted    INTEGER NOT NULL DEFAULT 0,
    timecompleted  INTEGER,
    UNIQUE (userid, course)
);
CREATE INDEX course_completions_course ON course_completions(course);

CREATE TABLE course_modules_completion (
    id               INTEGER PRIMARY KEY,
    coursemoduleid   INTEGER NOT NULL REFERENCES course_modules(id) ON DELETE CASCADE,
    userid           INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    completionstate  INTEGER NOT NULL DEFAULT 0,
    timemodified     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (coursemoduleid, userid)
);
CREATE INDEX course_modules_completion_user ON course_modules_completion(userid);

-- Comments made in a course (its page or its activities).
CREATE TABLE comments (
    id           INTEGER PRIMARY KEY,
    courseid     INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    userid       INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    content      TEXT NOT NULL,
    timecreated  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX comments_course ON comments(courseid);
CREATE INDEX comments_user ON comments(userid);

-- Role overrides in a course (permission: 1 allow, -1 prevent, -1000 prohibit).
CREATE TABLE role_capabilities (
    id            INTEGER PRIMARY KEY,
    roleid        INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
    courseid      INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    capability    TEXT NOT NULL,
    permission    INTEGER NOT NULL,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (roleid, courseid, capability)
);
CREATE INDEX role_capabilities_course ON role_capabilities(courseid);

-- Gradebook items; a 'mod' item belongs to an activity (coursemoduleid) and goes with it.
CREATE TABLE grade_items (
    id              INTEGER PRIMARY KEY,
    courseid        INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
    itemname        TEXT,
    itemtype        TEXT NOT NULL CHECK (itemtype IN ('course', 'category', 'mod', 'manual')),
    coursemoduleid  INTEGER REFERENCES course_modules(id) ON DELETE CASCADE,
    grademax        REAL NOT NULL DEFAULT 100,
    sortorder       INTEGER NOT NULL DEFAULT 0,
    timemodified    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX grade_items_course ON grade_items(courseid);
CREATE INDEX grade_items_module ON grade_items(coursemoduleid) WHERE coursemoduleid IS NOT NULL;

CREATE TABLE grade_grades (
    id            INTEGER PRIMARY KEY,
    itemid        INTEGER NOT NULL REFERENCES grade_items(id) ON DELETE CASCADE,
    userid        INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    finalgrade    REAL,
    feedback      TEXT,
    timemodified  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (itemid, userid)
);
CREATE INDEX grade_grades_user ON grade_grades(userid);

-- User data of activities, every module type in one table: kind names what the row is for its
-- module ('post', 'subscription', 'entry', 'attempt', 'submission', 'answer', 'slot',
-- 'appointment', 'track', 'message', 'record', …), data its content (JSON). modname repeats the
-- activity's type (checked below) so rows read on their own; userid NULL = no owner.
CREATE TABLE activity_user_data (
    id              INTEGER PRIMARY KEY,
    coursemoduleid  INTEGER NOT NULL REFERENCES course_modules(id) ON DELETE CASCADE,
    modname         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind <> ''),
    userid          INTEGER REFERENCES user(id) ON DELETE CASCADE,
    data            TEXT NOT NULL DEFAULT '{}',
    timemodified    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX activity_user_data_module ON activity_user_data(coursemoduleid, kind);
CREATE INDEX activity_user_data_user ON activity_user_data(userid);

CREATE TRIGGER activity_user_data_modname_insert BEFORE INSERT ON activity_user_data
WHEN NEW.modname IS NOT (SELECT modname FROM course_modules WHERE id = NEW.coursemoduleid)
BEGIN
    SELECT RAISE(ABORT, 'activity_user_data.modname differs from its course module''s modname');
END;

CREATE TRIGGER activity_user_data_modname_update BEFORE UPDATE OF coursemoduleid, modname ON activity_user_data
WHEN NEW.modname IS NOT (SELECT modname FROM course_modules WHERE id = NEW.coursemoduleid)
BEGIN
    SELECT RAISE(ABORT, 'activity_user_data.modname differs from its course module''s modname');
END;
