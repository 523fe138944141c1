-- Ids of deleted courses and categories are never given again (Moodle never reuses ids, and
-- files may name courses by id): the highest id ever used is kept per table.
CREATE TABLE id_watermark (
    tbl   TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_watermark (tbl, last) SELECT 'course', coalesce(max(id), 0) FROM course;
INSERT INTO id_watermark (tbl, last) SELECT 'course_categories', coalesce(max(id), 0) FROM course_categories;

CREATE TRIGGER course_id_watermark AFTER INSERT ON course
BEGIN
    UPDATE id_watermark SET last = max(last, NEW.id) WHERE tbl = 'course';
END;

CREATE TRIGGER course_categories_id_watermark AFTER INSERT ON course_categories
BEGIN
    UPDATE id_watermark SET last = max(last, NEW.id) WHERE tbl = 'course_categories';
END;
