//! The courses tool against a Moodle site (the fake one, over real HTTP): courses created in
//! their category path, updated with only what differs, deleted; sections, templates, teachers;
//! meta links on 4.0+ and refused below; resets refused. A second run of the same file sends no
//! write.

mod common;

use common::*;
use lmsync_moodle_fake::{Config, FakeMoodle};

fn site_of(config: Config) -> (FakeMoodle, Lms) {
    let fake = FakeMoodle::start(config).unwrap();
    let lms = on_moodle(&fake);
    (fake, lms)
}

fn site() -> (FakeMoodle, Lms) {
    site_of(Config::default())
}

/// The id of the course `shortname` on the fake site.
fn course_id(fake: &FakeMoodle, shortname: &str) -> i64 {
    fake.state().courses.values().find(|c| c.shortname == shortname).unwrap_or_else(|| panic!("no {shortname}")).id
}

/// The id of category `name` under `parent` (0 = top level).
fn category_id(fake: &FakeMoodle, parent: i64, name: &str) -> Option<i64> {
    fake.state().categories.values().find(|c| c.parent == parent && c.name == name).map(|c| c.id)
}

/// The leaves of every call of `function`, call by call.
fn sent(fake: &FakeMoodle, function: &str) -> Vec<Vec<(String, String)>> {
    fn flat(prefix: &str, p: &lmsync_moodle_fake::wire::Param, out: &mut Vec<(String, String)>) {
        match p {
            lmsync_moodle_fake::wire::Param::Str(s) => out.push((prefix.to_string(), s.clone())),
            lmsync_moodle_fake::wire::Param::Arr(items) => {
                for (k, v) in items {
                    flat(&format!("{prefix}[{k}]"), v, out);
                }
            }
        }
    }
    fake.calls()
        .iter()
        .filter(|c| c.function == function)
        .map(|c| {
            let mut out = Vec::new();
            for (k, v) in &c.params {
                flat(k, v, &mut out);
            }
            out
        })
        .collect()
}

#[test]
fn the_upstream_sample_creates_its_courses_and_categories_and_a_rerun_sends_no_write() {
    let (fake, lms) = site();
    let path = lms.fixture("course_create_sample.csv");
    let r = lms.run_courses("create", &path, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.count("created"), 9, "{}", r.all());
    assert_eq!(r.count("failed"), 2, "the second TESTCOURSE3 and the missing template: {}", r.all());
    let misc = category_id(&fake, 0, "Miscellaneous").expect("the path's top level is created");
    let tests = category_id(&fake, misc, "Tests").expect("and its child");
    assert_eq!(fake.count("core_course_create_categories"), 2, "one call per level");
    {
        let st = fake.state();
        let c2 = st.courses.values().find(|c| c.shortname == "TESTCOURSE2").unwrap();
        assert_eq!((c2.categoryid, c2.format.as_str()), (tests, "weeks"));
        assert_eq!(c2.fullname, "Test course for creation 2");
        assert_eq!(st.courses.values().filter(|c| c.categoryid == tests).count(), 9);
    }
    let journal: i64 = lms
        .db()
        .query_row(
            "SELECT count(*) FROM sync_journal WHERE run_id = ?1 AND entity IN ('course', 'category') AND action = 'create'",
            [r.run_id()],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(journal, 11, "nine courses and two categories journalled");

    let writes = fake.write_count();
    let r = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    assert_eq!(r.count("unchanged"), 9, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");

    // New categories under an existing one: created once each, the existing level reused.
    let r = lms.run_courses("create", &lms.fixture("course_create_sample_newcats.csv"), &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 2, "{}", r.all());
    let new = category_id(&fake, misc, "TestsNew").expect("TestsNew under Miscellaneous");
    assert!(category_id(&fake, misc, "TestsNew1").is_some());
    let c10 = course_id(&fake, "TESTCOURSE10");
    assert_eq!(fake.state().courses[&c10].categoryid, new);
    assert_eq!(fake.state().categories.values().filter(|c| c.name == "Miscellaneous").count(), 1);
}

#[test]
fn namesake_categories_fail_the_line_instead_of_guessing() {
    let (fake, lms) = site();
    let r = lms.courses_file("create", "c.csv", "shortname;fullname;category\nA;A;Top/Sub\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let top = category_id(&fake, 0, "Top").unwrap();
    {
        let mut st = fake.state();
        let mut twin = st.categories[&top].clone();
        twin.id = st.next_id("course_categories");
        st.categories.insert(twin.id, twin);
    }
    let writes = fake.write_count();
    let r = lms.courses_file("create", "c.csv", "shortname;fullname;category\nB;B;Top/Sub\n", &[]);
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    let report = lms.json_report(r.run_id());
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("categories are named \"Top\""), "{report:#}");
    assert_eq!(fake.write_count(), writes, "nothing was sent for that line");
}

#[test]
fn an_update_sends_only_what_differs() {
    let (fake, lms) = site();
    let file =
        "shortname;fullname;idnumber;visible;category\nC1;Course one;ID1;1;Faculty\nC2;Course two;ID2;1;Faculty\n";
    assert_eq!(lms.courses_file("create", "c.csv", file, &[]).code, 0);
    let lms = lms.with("LMSYNC_COURSES__FORCE_UPDATE", "true");
    fake.clear_log();
    let changed = file.replace("Course one;ID1;1", "Course 1;ID1;0");
    let r = lms.courses_file("create", "c.csv", changed.as_str(), &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!((r.count("updated"), r.count("unchanged")), (1, 1), "{}", r.all());
    assert_eq!(fake.write_count(), 1, "one update call");
    let calls = sent(&fake, "core_course_update_courses");
    let id = course_id(&fake, "C1").to_string();
    let mut fields = calls[0].clone();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("courses[0][fullname]".to_string(), "Course 1".to_string()),
            ("courses[0][id]".to_string(), id),
            ("courses[0][visible]".to_string(), "0".to_string()),
        ]
    );
    let c1 = course_id(&fake, "C1");
    let c1 = fake.state().courses[&c1].clone();
    assert_eq!((c1.fullname.as_str(), c1.visible), ("Course 1", false));
    let writes = fake.write_count();
    let r = lms.courses_file("create", "c.csv", changed.as_str(), &[]);
    assert_eq!(r.count("unchanged"), 2, "{}", r.all());
    assert_eq!(fake.write_count(), writes);

    // A refused change fails its line only: Moodle's warning is mapped to it.
    let clash = changed.replace("C2;Course two;ID2", "C2;Course two;ID1");
    let r = lms.courses_file("create", "c.csv", clash.as_str(), &[]);
    assert_eq!(r.count("failed"), 1, "{}", r.all());
}

#[test]
fn courses_are_deleted_and_journalled_as_they_were() {
    let (fake, lms) = site();
    assert_eq!(lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]).code, 1);
    let ids: Vec<i64> = ["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3"].iter().map(|s| course_id(&fake, s)).collect();
    let r = lms.run_courses("delete", &lms.fixture("course_delete_sample.csv"), &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("deleted"), 3, "{}", r.all());
    assert!(ids.iter().all(|id| !fake.state().courses.contains_key(id)));
    assert_eq!(fake.count("core_course_delete_courses"), 1);
    let before: String = lms
        .db()
        .query_row(
            "SELECT before FROM sync_journal WHERE run_id = ?1 AND entity = 'course' AND action = 'delete' ORDER BY id",
            [r.run_id()],
            |row| row.get(0),
        )
        .unwrap();
    assert!(before.contains("\"shortname\":\"TESTCOURSE1\""), "{before}");
}

#[test]
fn sections_templates_teachers_and_what_moodle_cannot_set() {
    let (fake, lms) = site();
    let users = "username;firstname;lastname;email\nt.one;T;One;t1@example.org\n";
    assert_eq!(lms.exec(&["run", "users", "--file", lms.write("u.csv", users).to_str().unwrap()]).code, 0);
    let file = "shortname;fullname;category;topic1;topic2;teacher1_account;teacher1_role\n\
        TPL;Template;T;Intro;Week two;t.one;editingteacher\n";
    let r = lms.courses_file("create", "c.csv", file, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let tpl = course_id(&fake, "TPL");
    {
        let st = fake.state();
        let names: Vec<&str> = st.courses[&tpl].sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names[1..3], ["Intro", "Week two"], "{names:?}");
        let teacher = st.users.values().find(|u| u.username == "t.one").unwrap().id;
        assert!(st.is_enrolled(teacher, tpl));
        let ctx = st.course_context(tpl).unwrap();
        assert!(st.role_assignments.values().any(|a| a.userid == teacher && a.contextid == ctx && a.roleid == 3));
    }
    let writes = fake.write_count();
    let r = lms.courses_file("create", "c.csv", file, &[]);
    assert_eq!(r.count("unchanged"), 1, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "names and teacher are already there");

    // From the template: its content imported, the line's own section name set over it.
    let r =
        lms.courses_file("create", "c.csv", "shortname;fullname;category;template;topic2\nNEW;New;T;TPL;Second\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(fake.count("core_course_import_course"), 1);
    let new = course_id(&fake, "NEW");
    let names: Vec<String> = fake.state().courses[&new].sections.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names[1..3], ["Intro".to_string(), "Second".to_string()], "{names:?}");

    // Refused per line, nothing of the line sent: a section summary, a backup template, an
    // enrolment method state Moodle cannot change.
    let writes = fake.write_count();
    let area = lms.files();
    std::fs::create_dir_all(&area).unwrap();
    std::fs::write(area.join("t.mbz"), b"not read").unwrap();
    let r = lms.courses_file(
        "create",
        "c.csv",
        "shortname;fullname;category;topic1;template;self\nS1;S;T;Intro|Read this first;;\nS2;S;T;;t.mbz;\nS3;S;T;;;1\n",
        &[],
    );
    let report = lms.json_report(r.run_id());
    let message = |n: u64| line(&report, n)["message"].as_str().unwrap_or_default().to_string();
    assert!(message(2).contains("cannot set a section summary"), "{report:#}");
    assert_eq!(line(&report, 2)["outcome"], "failed");
    assert!(!fake.state().courses.values().any(|c| c.shortname == "S1"));
    assert_eq!(line(&report, 3)["outcome"], "failed", "{report:#}");
    assert_eq!(line(&report, 4)["outcome"], "failed", "{report:#}");
    assert!(message(4).contains("Enrolment methods"), "{report:#}");
    assert_eq!(fake.write_count(), writes + 1, "only S3 was created (then found without self enrolment)");
}

#[test]
fn meta_links_are_added_once_and_removed() {
    let (fake, lms) = site();
    assert_eq!(lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]).code, 1);
    let r = lms.run_courses("metas", &lms.fixture("course_metabindings_sample.csv"), &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.count("created"), 4, "{}", r.all());
    assert_eq!(r.count("failed"), 3, "the FAILED courses do not exist: {}", r.all());
    let (master1, meta10) = (course_id(&fake, "MASTER1"), course_id(&fake, "META10"));
    let linked = |fake: &FakeMoodle| {
        fake.state()
            .enrol_instances
            .values()
            .any(|i| i.plugin == "meta" && i.courseid == meta10 && i.customint1 == master1)
    };
    assert!(linked(&fake));

    let writes = fake.write_count();
    let r = lms.run_courses("metas", &lms.fixture("course_metabindings_sample.csv"), &[]);
    assert_eq!(r.count("unchanged"), 4, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "the journal knows the links: nothing sent");

    // A link made in Moodle itself is unknown to lmsync: adding it is answered "already there".
    lms.db_write().execute("DELETE FROM sync_journal WHERE entity = 'meta_link'", []).unwrap();
    let r = lms.courses_file("metas", "m.csv", "master;meta\nMASTER1;META10\n", &[]);
    assert_eq!(r.count("unchanged"), 1, "{}", r.all());
    assert_eq!(fake.write_count(), writes + 1);

    let del = "master;meta;cmd\nMASTER1;META10;del\n";
    let r = lms.courses_file("metas", "m.csv", del, &[]);
    assert_eq!(r.count("deleted"), 1, "{}", r.all());
    assert!(!linked(&fake));
    let writes = fake.write_count();
    let r = lms.courses_file("metas", "m.csv", del, &[]);
    assert_eq!(r.count("unchanged"), 1, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "META10 has no meta link left: nothing sent");
}

#[test]
fn meta_links_are_refused_per_line_before_moodle_4_0() {
    let (fake, lms) = site_of(Config::default().with_release(3, 11));
    assert_eq!(lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]).code, 1);
    let writes = fake.write_count();
    let r = lms.courses_file("metas", "m.csv", "master;meta\nMASTER1;META10\nMASTER2;META20\n", &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.count("failed"), 2, "{}", r.all());
    let report = lms.json_report(r.run_id());
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("Moodle 4.0"), "{report:#}");
    assert_eq!(fake.write_count(), writes);
}

#[test]
fn resets_are_refused_per_line() {
    let (fake, lms) = site();
    assert_eq!(lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]).code, 1);
    let writes = fake.write_count();
    let r = lms.run_courses("reset", &lms.fixture("course_reset_sample.csv"), &[]);
    assert_eq!(r.count("failed"), 3, "{}", r.all());
    let report = lms.json_report(r.run_id());
    assert!(line(&report, 2)["message"].as_str().unwrap().contains("cannot reset a course"), "{report:#}");
    assert_eq!(fake.write_count(), writes);
}

#[test]
fn course_settings_are_read_back_so_a_rerun_with_them_sends_no_write() {
    let (fake, lms) = site();
    let file = "shortname;fullname;category;groupmode;newsitems;showgrades\nS1;Settings one;Faculty;1;3;0\n";
    let r = lms.courses_file("create", "s.csv", file, &[]);
    assert_eq!(r.count("created"), 1, "{}", r.all());
    let id = course_id(&fake, "S1");
    let s1 = fake.state().courses[&id].settings.clone();
    assert_eq!((s1.get("groupmode"), s1.get("newsitems"), s1.get("showgrades")), (Some(&1), Some(&3), Some(&0)));
    let lms = lms.with("LMSYNC_COURSES__FORCE_UPDATE", "true");
    let writes = fake.write_count();
    let r = lms.courses_file("create", "s.csv", file, &[]);
    assert_eq!(r.count("unchanged"), 1, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");
    // A changed setting is sent.
    let r = lms.courses_file("create", "s.csv", file.replace(";1;3;0", ";2;3;0").as_str(), &[]);
    assert_eq!(r.count("updated"), 1, "{}", r.all());
    assert_eq!(fake.state().courses[&id].settings.get("groupmode"), Some(&2));
}
