-- What a Moodle site cannot be asked back, recorded by lmsync when it writes it there (the
-- `moodle` target), so a re-run of the same file finds nothing to change.

-- Enrolments lmsync made: the method named in the file (`sync` is applied as manual), the
-- status and the dates (no web service returns enrolment dates or methods).
CREATE TABLE moodle_enrolments (
    site TEXT NOT NULL,
    course INTEGER NOT NULL,
    user INTEGER NOT NULL,
    method TEXT NOT NULL,
    status INTEGER NOT NULL,
    timestart INTEGER NOT NULL,
    timeend INTEGER NOT NULL,
    PRIMARY KEY (site, course, user)
);

-- The hash of the last password lmsync set for an account (Moodle never returns it).
CREATE TABLE moodle_passwords (
    site TEXT NOT NULL,
    user INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (site, user)
);

-- The MD5 of the last picture lmsync set for an account (Moodle keeps no hash of it).
CREATE TABLE moodle_pictures (
    site TEXT NOT NULL,
    user INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (site, user)
);
