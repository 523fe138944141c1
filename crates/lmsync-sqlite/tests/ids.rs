//! Ids of deleted courses and categories are never given again.

use lmsync_core::target::{LmsTarget, RunStart, RunStore};
use lmsync_model::{CategoryRef, Change, ChangeKind, Course, CourseWrite};
use lmsync_sqlite::SqliteStore;

fn write(shortname: &str) -> Change {
    let course = Course {
        shortname: shortname.into(),
        fullname: shortname.into(),
        format: "topics".into(),
        ..Default::default()
    };
    let w = CourseWrite {
        course,
        category: Some(CategoryRef::Path { names: vec![format!("Cat {shortname}")], visible: true }),
        ..Default::default()
    };
    Change { line: 1, key: shortname.into(), kind: ChangeKind::WriteCourse(Box::new(w)) }
}

#[test]
fn a_deleted_course_s_id_and_its_category_s_are_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
    let run = store
        .start_run(&RunStart {
            tool: "courses".into(),
            operation: None,
            input: "-".into(),
            dry_run: false,
            trigger: "test".into(),
            pid: 1,
            partial_report: String::new(),
        })
        .unwrap();
    let ids: Vec<i64> =
        store.apply(run, &[write("A"), write("B")]).unwrap().into_iter().map(|r| r.unwrap().id).collect();
    store.commit(run, 1).unwrap();
    assert_eq!(ids, vec![1, 2]);
    store.apply(run, &[Change { line: 2, key: "B".into(), kind: ChangeKind::DeleteCourse { id: 2 } }]).unwrap();
    store.commit(run, 2).unwrap();
    store.connection().execute("DELETE FROM course_categories WHERE name = 'Cat B'", []).unwrap();
    let c = store.apply(run, &[write("C")]).unwrap().remove(0).unwrap();
    store.commit(run, 3).unwrap();
    assert_eq!(c.id, 3, "course 2 was deleted: its id stays retired");
    let category: i64 = store
        .connection()
        .query_row("SELECT id FROM course_categories WHERE name = 'Cat C'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(category, 3);
}
