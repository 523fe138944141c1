-- Cohort bindings (enrol = 'cohort', customint1 = the cohort, roleid = the role its members get,
-- customint2 = a course group they are put in): enrolments, roles and group memberships derived
-- from cohort membership, kept in step by these triggers whatever changes a membership or a
-- binding (the cohort tool, the users file's cohort column, a user deleted, the API).
--
-- While a binding is enabled (status 0) every member of its cohort holds an active enrolment
-- through it (timestart / timeend = the binding's enrolstartdate / enrolenddate), the binding's
-- role (component 'enrol_cohort', itemid = the binding) and, if the binding names a group of its
-- course, a membership of that group (same component and itemid). Disabling a binding suspends
-- its enrolments and withdraws its roles; enabling it again restores them and enrols whoever
-- joined meanwhile. A member removed from the cohort is unenrolled; a binding deleted (directly
-- or with its cohort) takes its enrolments, roles and group memberships with it. Enrolments,
-- roles and memberships held through any other instance are never touched.

-- What an enrolment through a binding brings while it is active: the role and the group.
CREATE TRIGGER user_enrolments_cohort_grant AFTER INSERT ON user_enrolments
WHEN NEW.status = 0 AND (SELECT enrol FROM enrol WHERE id = NEW.enrolid) = 'cohort'
BEGIN
    INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified)
        SELECT e.roleid, e.course, NEW.userid, 'enrol_cohort', e.id, strftime('%s', 'now')
        FROM enrol e WHERE e.id = NEW.enrolid AND e.roleid IS NOT NULL
        ON CONFLICT DO NOTHING;
    INSERT INTO groups_members (groupid, userid, component, itemid, timeadded)
        SELECT g.id, NEW.userid, 'enrol_cohort', e.id, strftime('%s', 'now')
        FROM enrol e JOIN groups g ON g.id = e.customint2 AND g.courseid = e.course
        WHERE e.id = NEW.enrolid
        ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER user_enrolments_cohort_activate AFTER UPDATE OF status ON user_enrolments
WHEN NEW.status = 0 AND OLD.status <> 0 AND (SELECT enrol FROM enrol WHERE id = NEW.enrolid) = 'cohort'
BEGIN
    INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified)
        SELECT e.roleid, e.course, NEW.userid, 'enrol_cohort', e.id, strftime('%s', 'now')
        FROM enrol e WHERE e.id = NEW.enrolid AND e.roleid IS NOT NULL
        ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER user_enrolments_cohort_suspend AFTER UPDATE OF status ON user_enrolments
WHEN NEW.status <> 0 AND OLD.status = 0 AND (SELECT enrol FROM enrol WHERE id = NEW.enrolid) = 'cohort'
BEGIN
    DELETE FROM role_assignments WHERE component = 'enrol_cohort' AND itemid = NEW.enrolid AND userid = NEW.userid;
END;

CREATE TRIGGER user_enrolments_cohort_revoke AFTER DELETE ON user_enrolments
BEGIN
    DELETE FROM role_assignments WHERE component = 'enrol_cohort' AND itemid = OLD.enrolid AND userid = OLD.userid;
    DELETE FROM groups_members WHERE component = 'enrol_cohort' AND itemid = OLD.enrolid AND userid = OLD.userid;
END;

-- Membership changes: enrolled through every enabled binding of the cohort, unenrolled from all.
CREATE TRIGGER cohort_members_enrol AFTER INSERT ON cohort_members
BEGIN
    INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified)
        SELECT e.id, NEW.userid, 0, e.enrolstartdate, e.enrolenddate, strftime('%s', 'now'), strftime('%s', 'now')
        FROM enrol e WHERE e.enrol = 'cohort' AND e.customint1 = NEW.cohortid AND e.status = 0
        ON CONFLICT (enrolid, userid) DO NOTHING;
END;

CREATE TRIGGER cohort_members_unenrol AFTER DELETE ON cohort_members
BEGIN
    DELETE FROM user_enrolments
        WHERE userid = OLD.userid
          AND enrolid IN (SELECT id FROM enrol WHERE enrol = 'cohort' AND customint1 = OLD.cohortid);
END;

-- Binding lifecycle.
CREATE TRIGGER enrol_cohort_bind AFTER INSERT ON enrol
WHEN NEW.enrol = 'cohort' AND NEW.status = 0
BEGIN
    INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified)
        SELECT NEW.id, m.userid, 0, NEW.enrolstartdate, NEW.enrolenddate, strftime('%s', 'now'), strftime('%s', 'now')
        FROM cohort_members m WHERE m.cohortid = NEW.customint1
        ON CONFLICT (enrolid, userid) DO NOTHING;
END;

CREATE TRIGGER enrol_cohort_disable AFTER UPDATE OF status ON enrol
WHEN NEW.enrol = 'cohort' AND NEW.status <> 0 AND OLD.status = 0
BEGIN
    UPDATE user_enrolments SET status = 1, timemodified = strftime('%s', 'now') WHERE enrolid = NEW.id AND status = 0;
END;

CREATE TRIGGER enrol_cohort_enable AFTER UPDATE OF status ON enrol
WHEN NEW.enrol = 'cohort' AND NEW.status = 0 AND OLD.status <> 0
BEGIN
    UPDATE user_enrolments SET status = 0, timemodified = strftime('%s', 'now')
        WHERE enrolid = NEW.id AND status <> 0
          AND userid IN (SELECT userid FROM cohort_members WHERE cohortid = NEW.customint1);
    DELETE FROM user_enrolments
        WHERE enrolid = NEW.id AND userid NOT IN (SELECT userid FROM cohort_members WHERE cohortid = NEW.customint1);
    INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified)
        SELECT NEW.id, m.userid, 0, NEW.enrolstartdate, NEW.enrolenddate, strftime('%s', 'now'), strftime('%s', 'now')
        FROM cohort_members m WHERE m.cohortid = NEW.customint1
        ON CONFLICT (enrolid, userid) DO NOTHING;
END;

-- A binding given another group moves its members' derived memberships there.
CREATE TRIGGER enrol_cohort_regroup AFTER UPDATE OF customint2 ON enrol
WHEN NEW.enrol = 'cohort' AND NEW.customint2 IS NOT OLD.customint2
BEGIN
    DELETE FROM groups_members WHERE component = 'enrol_cohort' AND itemid = NEW.id;
    INSERT INTO groups_members (groupid, userid, component, itemid, timeadded)
        SELECT g.id, ue.userid, 'enrol_cohort', NEW.id, strftime('%s', 'now')
        FROM user_enrolments ue JOIN groups g ON g.id = NEW.customint2 AND g.courseid = NEW.course
        WHERE ue.enrolid = NEW.id
        ON CONFLICT DO NOTHING;
END;

-- A binding's role changed: its active members hold the new one instead.
CREATE TRIGGER enrol_cohort_rerole AFTER UPDATE OF roleid ON enrol
WHEN NEW.enrol = 'cohort' AND NEW.roleid IS NOT OLD.roleid
BEGIN
    DELETE FROM role_assignments WHERE component = 'enrol_cohort' AND itemid = NEW.id;
    INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified)
        SELECT NEW.roleid, NEW.course, ue.userid, 'enrol_cohort', NEW.id, strftime('%s', 'now')
        FROM user_enrolments ue WHERE ue.enrolid = NEW.id AND ue.status = 0 AND NEW.roleid IS NOT NULL
        ON CONFLICT DO NOTHING;
END;

-- The enrolments of a deleted instance go first (migration 003's trigger); its derived roles and
-- group memberships go with them, and any left by an earlier drift go here.
CREATE TRIGGER enrol_cohort_unbind BEFORE DELETE ON enrol
WHEN OLD.enrol = 'cohort'
BEGIN
    DELETE FROM role_assignments WHERE component = 'enrol_cohort' AND itemid = OLD.id;
    DELETE FROM groups_members WHERE component = 'enrol_cohort' AND itemid = OLD.id;
END;

-- A cohort deleted takes its bindings (and so their enrolments) with it: no orphans.
CREATE TRIGGER cohort_delete_bindings BEFORE DELETE ON cohort
BEGIN
    DELETE FROM enrol WHERE enrol = 'cohort' AND customint1 = OLD.id;
END;
