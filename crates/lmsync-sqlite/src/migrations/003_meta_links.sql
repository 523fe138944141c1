-- Meta links (enrol = 'meta', customint1 = the master course): the meta course's enrolments and
-- roles are derived from the master's and kept in step by these triggers, whatever writes the
-- master's enrolments (any tool, any time). Connections enable recursive triggers, so a chain
-- of meta links propagates; cycles are refused when a link is made.
--
-- A user is enrolled through a meta instance while they hold any enrolment in the master course;
-- that enrolment is active (status 0) while one of their master enrolments is active through an
-- enabled instance, suspended (1) otherwise. They hold, through the instance, every role they
-- hold in the master course (component 'enrol_meta', itemid = the instance).

-- Deleting an instance removes its enrolments while the instance still exists, so the triggers
-- below can tell which course they belonged to.
CREATE TRIGGER enrol_delete_enrolments BEFORE DELETE ON enrol
BEGIN
    DELETE FROM user_enrolments WHERE enrolid = OLD.id;
    DELETE FROM role_assignments WHERE component = 'enrol_meta' AND itemid = OLD.id;
END;

-- Re-derives the meta enrolments of one user in the metas of one master course.
CREATE TRIGGER user_enrolments_meta_insert AFTER INSERT ON user_enrolments
WHEN EXISTS (SELECT 1 FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = NEW.enrolid)
BEGIN
    INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified)
        SELECT m.id, NEW.userid, 1, 0, 0, strftime('%s', 'now'), strftime('%s', 'now')
        FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course
        WHERE e.id = NEW.enrolid
        ON CONFLICT (enrolid, userid) DO NOTHING;
    UPDATE user_enrolments SET status = 0, timemodified = strftime('%s', 'now')
        WHERE userid = NEW.userid AND status <> 0
          AND enrolid IN (SELECT m.id FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = NEW.enrolid)
          AND EXISTS (SELECT 1 FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
                      WHERE pu.userid = NEW.userid AND pu.status = 0 AND pe.status = 0
                        AND pe.course = (SELECT course FROM enrol WHERE id = NEW.enrolid));
END;

CREATE TRIGGER user_enrolments_meta_update AFTER UPDATE OF status ON user_enrolments
WHEN EXISTS (SELECT 1 FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = NEW.enrolid)
BEGIN
    UPDATE user_enrolments
        SET status = CASE WHEN EXISTS (SELECT 1 FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
                                       WHERE pu.userid = NEW.userid AND pu.status = 0 AND pe.status = 0
                                         AND pe.course = (SELECT course FROM enrol WHERE id = NEW.enrolid)) THEN 0 ELSE 1 END,
            timemodified = strftime('%s', 'now')
        WHERE userid = NEW.userid
          AND enrolid IN (SELECT m.id FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = NEW.enrolid)
          AND status <> CASE WHEN EXISTS (SELECT 1 FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
                                       WHERE pu.userid = NEW.userid AND pu.status = 0 AND pe.status = 0
                                         AND pe.course = (SELECT course FROM enrol WHERE id = NEW.enrolid)) THEN 0 ELSE 1 END;
END;

CREATE TRIGGER user_enrolments_meta_delete AFTER DELETE ON user_enrolments
WHEN EXISTS (SELECT 1 FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = OLD.enrolid)
BEGIN
    -- No enrolment left in the master: gone from its metas.
    DELETE FROM user_enrolments
        WHERE userid = OLD.userid
          AND enrolid IN (SELECT m.id FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = OLD.enrolid)
          AND NOT EXISTS (SELECT 1 FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
                          WHERE pu.userid = OLD.userid AND pe.course = (SELECT course FROM enrol WHERE id = OLD.enrolid));
    -- Still enrolled otherwise: the meta enrolment follows the remaining ones' activity.
    UPDATE user_enrolments SET status = 1, timemodified = strftime('%s', 'now')
        WHERE userid = OLD.userid AND status = 0
          AND enrolid IN (SELECT m.id FROM enrol e JOIN enrol m ON m.enrol = 'meta' AND m.customint1 = e.course WHERE e.id = OLD.enrolid)
          AND NOT EXISTS (SELECT 1 FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
                          WHERE pu.userid = OLD.userid AND pu.status = 0 AND pe.status = 0
                            AND pe.course = (SELECT course FROM enrol WHERE id = OLD.enrolid));
END;

-- Through a meta instance, a user holds the roles they hold in the master course.
CREATE TRIGGER user_enrolments_meta_roles AFTER INSERT ON user_enrolments
WHEN (SELECT enrol FROM enrol WHERE id = NEW.enrolid) = 'meta'
BEGIN
    INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified)
        SELECT DISTINCT ra.roleid, m.course, NEW.userid, 'enrol_meta', m.id, strftime('%s', 'now')
        FROM enrol m JOIN role_assignments ra ON ra.courseid = m.customint1 AND ra.userid = NEW.userid
        WHERE m.id = NEW.enrolid
        ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER user_enrolments_meta_unroles AFTER DELETE ON user_enrolments
BEGIN
    DELETE FROM role_assignments WHERE component = 'enrol_meta' AND itemid = OLD.enrolid AND userid = OLD.userid;
END;

CREATE TRIGGER role_assignments_meta_insert AFTER INSERT ON role_assignments
WHEN EXISTS (SELECT 1 FROM enrol m WHERE m.enrol = 'meta' AND m.customint1 = NEW.courseid)
BEGIN
    INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified)
        SELECT NEW.roleid, m.course, NEW.userid, 'enrol_meta', m.id, strftime('%s', 'now')
        FROM enrol m JOIN user_enrolments mu ON mu.enrolid = m.id AND mu.userid = NEW.userid
        WHERE m.enrol = 'meta' AND m.customint1 = NEW.courseid
        ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER role_assignments_meta_delete AFTER DELETE ON role_assignments
WHEN EXISTS (SELECT 1 FROM enrol m WHERE m.enrol = 'meta' AND m.customint1 = OLD.courseid)
 AND NOT EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.courseid = OLD.courseid AND ra.userid = OLD.userid AND ra.roleid = OLD.roleid)
BEGIN
    DELETE FROM role_assignments
        WHERE component = 'enrol_meta' AND userid = OLD.userid AND roleid = OLD.roleid
          AND itemid IN (SELECT m.id FROM enrol m WHERE m.enrol = 'meta' AND m.customint1 = OLD.courseid);
END;

-- A new link enrols everyone the master has.
CREATE TRIGGER enrol_meta_link AFTER INSERT ON enrol
WHEN NEW.enrol = 'meta'
BEGIN
    INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified)
        SELECT NEW.id, pu.userid,
               CASE WHEN max(pu.status = 0 AND pe.status = 0) THEN 0 ELSE 1 END, 0, 0,
               strftime('%s', 'now'), strftime('%s', 'now')
        FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
        WHERE pe.course = NEW.customint1
        GROUP BY pu.userid
        ON CONFLICT (enrolid, userid) DO NOTHING;
END;

-- An instance of the master enabled or disabled changes which meta enrolments are active.
CREATE TRIGGER enrol_status_meta AFTER UPDATE OF status ON enrol
WHEN EXISTS (SELECT 1 FROM enrol m WHERE m.enrol = 'meta' AND m.customint1 = NEW.course)
BEGIN
    UPDATE user_enrolments
        SET status = CASE WHEN EXISTS (SELECT 1 FROM user_enrolments pu JOIN enrol pe ON pe.id = pu.enrolid
                                       WHERE pu.userid = user_enrolments.userid AND pu.status = 0 AND pe.status = 0
                                         AND pe.course = NEW.course) THEN 0 ELSE 1 END,
            timemodified = strftime('%s', 'now')
        WHERE enrolid IN (SELECT m.id FROM enrol m WHERE m.enrol = 'meta' AND m.customint1 = NEW.course);
END;
