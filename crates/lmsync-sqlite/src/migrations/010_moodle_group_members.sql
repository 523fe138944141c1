-- Group memberships lmsync made on a Moodle site for a component (`tool_sync` when enrolment
-- lines protect their groups): Moodle records no owner for memberships made through its web
-- services, so lmsync keeps which ones are its own, and `greplace`/`gdel` touch only those.
CREATE TABLE moodle_group_members (
    site TEXT NOT NULL,
    course INTEGER NOT NULL,
    user INTEGER NOT NULL,
    groupname TEXT NOT NULL,
    component TEXT NOT NULL,
    PRIMARY KEY (site, course, user, groupname)
);
