-- A cohort binding's dates changed: the enrolments it derives follow (timestart / timeend are
-- the binding's enrolstartdate / enrolenddate, as when they were made).
CREATE TRIGGER enrol_cohort_redate AFTER UPDATE OF enrolstartdate, enrolenddate ON enrol
WHEN NEW.enrol = 'cohort'
  AND (NEW.enrolstartdate IS NOT OLD.enrolstartdate OR NEW.enrolenddate IS NOT OLD.enrolenddate)
BEGIN
    UPDATE user_enrolments
        SET timestart = NEW.enrolstartdate, timeend = NEW.enrolenddate, timemodified = strftime('%s', 'now')
        WHERE enrolid = NEW.id;
END;

-- Ids of deleted cohorts are never given again either: files and bindings name cohorts by id.
INSERT INTO id_watermark (tbl, last) SELECT 'cohort', coalesce(max(id), 0) FROM cohort;

CREATE TRIGGER cohort_id_watermark AFTER INSERT ON cohort
BEGIN
    UPDATE id_watermark SET last = max(last, NEW.id) WHERE tbl = 'cohort';
END;
