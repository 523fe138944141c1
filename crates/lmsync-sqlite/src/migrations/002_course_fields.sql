-- Course settings a course command file can set that 001 did not store yet.
ALTER TABLE course ADD COLUMN marker INTEGER NOT NULL DEFAULT 0;
ALTER TABLE course ADD COLUMN legacyfiles INTEGER NOT NULL DEFAULT 0;
ALTER TABLE course ADD COLUMN showreports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE course ADD COLUMN coursedisplay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE course ADD COLUMN defaultgroupingid INTEGER NOT NULL DEFAULT 0;
