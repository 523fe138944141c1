//! Meta links through the CLI: the upstream sample, refused self-links and cycles, `del`, and
//! enrolments that stay derived from the master whatever changes it.

mod common;

use common::{Lms, line};

fn setup() -> Lms {
    let lms = Lms::new();
    let ran = lms.run_courses("create", &lms.fixture("course_create_sample.csv"), &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    lms
}

fn links(lms: &Lms) -> Vec<(String, String)> {
    lms.export_json("course-links")
        .iter()
        .map(|l| {
            (l["master_shortname"].as_str().unwrap().to_string(), l["meta_shortname"].as_str().unwrap().to_string())
        })
        .collect()
}

/// (course shortname, username, status) of every enrolment through a meta link.
fn derived(lms: &Lms) -> Vec<(String, String, i64)> {
    let db = lms.db();
    let mut s = db
        .prepare(
            "SELECT c.shortname, u.username, ue.status FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
             JOIN course c ON c.id = e.course JOIN user u ON u.id = ue.userid WHERE e.enrol = 'meta' ORDER BY 1, 2",
        )
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn the_upstream_sample_links_four_courses_and_refuses_missing_ones() {
    let lms = setup();
    let ran = lms.run_courses("metas", &lms.fixture("course_metabindings_sample.csv"), &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert_eq!((ran.count("created"), ran.count("failed")), (4, 3));
    let report = lms.json_report(ran.run_id());
    for n in [6, 7, 8] {
        assert_eq!(line(&report, n)["code"], "course.not_found", "{}", line(&report, n));
    }
    let expected: Vec<(String, String)> =
        [("MASTER1", "META10"), ("MASTER1", "META11"), ("MASTER2", "META20"), ("MASTER2", "META21")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    assert_eq!(links(&lms), expected);
    let tryback = std::fs::read_to_string(ran.tryback().unwrap()).unwrap();
    assert_eq!(tryback, "master;meta\nFAILED1;META10\nMASTER1;FAILED1\nFAILED1;FAILED2");

    // Again: nothing changes.
    let again = lms.courses_file("metas", "again.csv", "master;meta\nMASTER1;META10\nMASTER2;META21\n", &[]);
    assert_eq!((again.code, again.count("unchanged")), (0, 2), "{}", again.all());
    assert_eq!(lms.journalled(again.run_id()), 0);
}

#[test]
fn self_links_and_cycles_are_refused_and_del_removes_a_link() {
    let lms = setup();
    assert_eq!(lms.courses_file("metas", "a.csv", "master;meta\nMASTER1;META10\nMETA10;META11\n", &[]).code, 0);
    let ran = lms.courses_file("metas", "b.csv", "master;meta;cmd\nMETA11;MASTER1;add\nMETA20;META20;add\nMETA11;META10;\nMASTER1;META10;del\nMASTER2;META10;del\nMASTER1;META10;frob\n", &[]);
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["code"], "course.meta_cycle", "{}", line(&report, 2));
    assert_eq!(line(&report, 3)["code"], "course.meta_self");
    assert_eq!(
        line(&report, 4)["code"],
        "course.meta_cycle",
        "META10 already takes from MASTER1 and META11 from META10"
    );
    assert_eq!(line(&report, 5)["outcome"], "deleted");
    assert_eq!(line(&report, 6)["outcome"], "unchanged", "no such link");
    assert_eq!(line(&report, 7)["code"], "course.invalid_value");
    assert_eq!(links(&lms), vec![("META10".to_string(), "META11".to_string())]);
}

#[test]
fn enrolments_follow_the_master_through_a_chain_whatever_writes_them() {
    let mut lms = setup();
    lms.set("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let users = lms.write("u.csv", "username;firstname;lastname\nann;Ann;A\nbob;Bob;B\n");
    assert_eq!(lms.run_users(&users, &[]).code, 0);
    // MASTER1 → META10 → META11.
    assert_eq!(lms.courses_file("metas", "m.csv", "master;meta\nMASTER1;META10\nMETA10;META11\n", &[]).code, 0);
    // Teachers enrolled by a course file are enrolments of the master like any other.
    let ran = lms.courses_file(
        "create",
        "t.csv",
        "shortname;fullname;teacher1_account;teacher1_role\nMASTER1;x;ann;student\n",
        &["--dry-run"],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(derived(&lms).is_empty(), "a dry run derives nothing");
    lms.set("LMSYNC_COURSES__FORCE_UPDATE", "true");
    let ran = lms.courses_file("create", "t2.csv", "shortname;fullname;teacher1_account;teacher1_role\nMASTER1;Test course for metacourse mastering 1;ann;student\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(derived(&lms), vec![("META10".into(), "ann".into(), 0), ("META11".into(), "ann".into(), 0)]);
    let roles: i64 = lms
        .db()
        .query_row("SELECT count(*) FROM role_assignments WHERE component = 'enrol_meta' AND roleid = 5", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(roles, 2, "the student role comes along");

    // Deleting the account removes its enrolments everywhere, derived ones included.
    let gone = lms.write("d.csv", "username;firstname;lastname;deleted\nann;Ann;A;1\n");
    assert_eq!(lms.run_users(&gone, &[]).code, 0);
    assert!(derived(&lms).is_empty());

    // Deleting the master course removes the link and what it derived.
    assert_eq!(lms.courses_file("delete", "del.csv", "MASTER1\n", &[]).code, 0);
    assert_eq!(links(&lms), vec![("META10".to_string(), "META11".to_string())]);
}
