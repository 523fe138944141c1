//! The enrolment tool on the upstream samples (spec/enrolments-groups.md §10.1–10.2): the final
//! state, re-runs, the `sync` method, dry runs, and meta courses following the file's enrolments.

mod common;

use common::{Lms, line, lines, list_files, outcomes, strs};

/// Intended state after enrol_sample.csv (spec §10.1 (b)): manual enrolments with plain roles.
const SAMPLE_ENROLMENTS: [&str; 10] = [
    "TESTCOURSE1 ggrass manual active student",
    "TESTCOURSE1 jack.duf manual active student",
    "TESTCOURSE1 john.doe manual active editingteacher",
    "TESTCOURSE1 yyang manual active student",
    "TESTCOURSE2 ggrass manual active student",
    "TESTCOURSE2 jack.duf manual active student",
    "TESTCOURSE2 john.doe manual active editingteacher",
    "TESTCOURSE3 amelie.dupont manual active editingteacher",
    "TESTCOURSE3 jack.duf manual active student",
    "TESTCOURSE3 yyang manual active student",
];

/// Its groups → members, protected groups (component tool_sync).
const SAMPLE_MEMBERSHIPS: [&str; 9] = [
    "TESTCOURSE1 GROUP1A ggrass tool_sync",
    "TESTCOURSE1 GROUP1A jack.duf tool_sync",
    "TESTCOURSE1 GROUP1A john.doe tool_sync",
    "TESTCOURSE1 GROUP1A yyang tool_sync",
    "TESTCOURSE1 GROUP1B john.doe tool_sync",
    "TESTCOURSE2 GROUP2A jack.duf tool_sync",
    "TESTCOURSE2 GROUP2A john.doe tool_sync",
    "TESTCOURSE2 GROUP2B john.doe tool_sync",
    "TESTCOURSE3 GROUP3B jack.duf tool_sync",
];

fn protected() -> Lms {
    Lms::with_enrol_samples().with("LMSYNC_ENROLS__PROTECT_GROUPS", "true")
}

fn msg(report: &serde_json::Value, n: u64) -> String {
    line(report, n)["message"].as_str().unwrap_or("").to_string()
}

#[test]
fn enrol_sample_gives_the_intended_state_without_tryback() {
    let lms = protected();
    let ran = lms.run_enrols(&lms.fixture("enrol_sample.csv"), &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!((ran.count("created"), ran.count("updated"), ran.count("failed")), (10, 1, 0), "{}", ran.all());
    assert_eq!(ran.tryback(), None, "no line of the sample fails: {}", ran.all());
    assert_eq!(lms.enrolments(), strs(&SAMPLE_ENROLMENTS));
    assert!(lms.role_rows().iter().all(|r| r.split(' ').count() == 3), "manual roles are plain: {:?}", lms.role_rows());
    let groups = ["GROUP1A", "GROUP1B", "GROUP2A", "GROUP2B", "GROUP3A", "GROUP3B"];
    let expected: Vec<String> = groups.iter().map(|g| format!("TESTCOURSE{} {g}", &g[5..6])).collect();
    assert_eq!(lms.group_names(), expected, "failed groups are never created, GROUP3A stays (empty)");
    assert_eq!(lms.memberships(), strs(&SAMPLE_MEMBERSHIPS));

    let report = lms.json_report(ran.run_id());
    assert_eq!(lines(&report).len(), 11, "line 13 is empty: {report:#}");
    assert_eq!(line(&report, 7)["outcome"], "created", "the short line 7 works: {}", line(&report, 7));
    assert!(msg(&report, 4).contains("group GROUP3FAILEDCREATE does not exist in the course"), "{}", msg(&report, 4));
    assert!(msg(&report, 6).contains("group GROUP2A does not exist in the course"), "{}", msg(&report, 6));
    assert!(msg(&report, 9).contains("was not a member of group GROUP2A"), "{}", msg(&report, 9));
    assert!(msg(&report, 9).contains("GROUP2BFAILED does not exist"), "{}", msg(&report, 9));
    assert!(msg(&report, 12).contains("GROUP3A") && msg(&report, 12).contains("GROUP3B"), "{}", msg(&report, 12));
    assert_eq!(line(&report, 12)["outcome"], "updated", "jack.duf was enrolled by line 11");
}

#[test]
fn a_rerun_of_enrol_sample_changes_only_the_two_contradicting_lines() {
    let lms = protected();
    assert_eq!(lms.run_enrols(&lms.fixture("enrol_sample.csv"), &[]).code, 0);
    let before = lms.enrol_state();
    let again = lms.run_enrols(&lms.fixture("enrol_sample.csv"), &[]);
    assert_eq!(again.code, 0, "{}", again.all());
    let report = lms.json_report(again.run_id());
    let mut expected: Vec<(u64, String)> = (2..=10).map(|n| (n, "unchanged".to_string())).collect();
    expected.extend([(11, "updated".to_string()), (12, "updated".to_string())]);
    assert_eq!(outcomes(&report), expected, "lines 11-12 move jack.duf GROUP3A → GROUP3B → …: {report:#}");
    assert!(msg(&report, 11).contains("added to group GROUP3A"), "{}", msg(&report, 11));
    for (table, rows) in lms.enrol_state() {
        assert_eq!(before[table], rows, "the re-run changed table {table}");
    }
}

#[test]
fn enrol_sample_on_sync_method_enrols_through_one_sync_instance_per_course() {
    let lms = Lms::with_enrol_samples();
    let file = lms.fixture("enrol_sample_on_sync_method.csv");
    let ran = lms.run_enrols(&file, &[]);
    assert_eq!((ran.code, ran.count("created"), ran.tryback()), (0, 9, None), "{}", ran.all());
    // The same enrolments as enrol_sample.csv through sync, but jack.duf in TESTCOURSE3.
    let expected: Vec<String> = SAMPLE_ENROLMENTS
        .iter()
        .map(|e| e.replace(" manual ", " sync "))
        .filter(|e| e != "TESTCOURSE3 jack.duf sync active student")
        .collect();
    assert_eq!(lms.enrolments(), expected);
    assert_eq!(
        lms.rows("SELECT c.shortname || ' ' || e.status FROM enrol e JOIN course c ON c.id = e.course WHERE e.enrol = 'sync' ORDER BY 1"),
        strs(&["TESTCOURSE1 0", "TESTCOURSE2 0", "TESTCOURSE3 0"]),
        "one enabled sync instance per course"
    );
    let roles = lms.role_rows();
    assert_eq!(roles.len(), 9, "{roles:?}");
    assert!(roles.iter().all(|r| r.ends_with(" enrol_sync:sync")), "roles owned by the sync instance: {roles:?}");

    let before = lms.enrol_state();
    let again = lms.run_enrols(&lms.fixture("enrol_sample_on_sync_method.csv"), &[]);
    assert_eq!((again.code, again.count("unchanged")), (0, 9), "{}", again.all());
    assert_eq!(lms.journalled(again.run_id()), 0);
    assert_eq!(lms.enrol_state(), before);
}

#[test]
fn empty_enrol_values_use_sync_unless_the_setting_disables_it_and_explicit_values_win() {
    let file = "cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;U0001;student;\nadd;TESTCOURSE1;U0002;student;sync\nadd;TESTCOURSE1;U0003;student;manual\n";
    let lms = Lms::with_enrol_samples();
    assert_eq!(lms.enrols_file("on.csv", file, &[]).code, 0);
    assert_eq!(
        lms.enrolments(),
        strs(&[
            "TESTCOURSE1 amelie.dupont sync active student",
            "TESTCOURSE1 jack.duf manual active student",
            "TESTCOURSE1 john.doe sync active student",
        ])
    );

    let lms = Lms::with_enrol_samples().with("LMSYNC_ENROLS__SYNC_METHOD_ENABLED", "false");
    let ran = lms.enrols_file("off.csv", file, &[]);
    assert_eq!((ran.code, ran.count("created")), (0, 3), "{}", ran.all());
    assert_eq!(
        lms.enrolments(),
        strs(&[
            "TESTCOURSE1 amelie.dupont sync active student",
            "TESTCOURSE1 jack.duf manual active student",
            "TESTCOURSE1 john.doe manual active student",
        ]),
        "an empty enrol value means manual when the sync method is disabled; an explicit sync still wins"
    );
    assert!(lms.role_rows().contains(&"TESTCOURSE1 john.doe student".to_string()), "{:?}", lms.role_rows());
}

#[test]
fn a_dry_run_writes_nothing_and_reports_what_a_real_run_does() {
    let lms = protected();
    let before = lms.enrol_state();
    for sample in ["enrol_sample.csv", "enrol_sample_on_sync_method.csv"] {
        let input = lms.fixture(sample);
        let dry = lms.run_enrols(&input, &["--dry-run"]);
        assert_eq!(dry.code, 0, "{}", dry.all());
        assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
        assert_eq!(dry.archive(), None);
        assert!(input.exists());
        assert_eq!(lms.journalled(dry.run_id()), 0);
        assert_eq!(lms.enrol_state(), before, "{sample}: the dry run wrote to the store");
    }
    assert!(
        list_files(&lms.archives()).iter().all(|n| !n.contains("enrol_sample")),
        "{:?}",
        list_files(&lms.archives())
    );

    let dry = lms.json_report(lms.run_enrols(&lms.fixture("enrol_sample.csv"), &["--dry-run"]).run_id());
    let real = lms.json_report(lms.run_enrols(&lms.fixture("enrol_sample.csv"), &[]).run_id());
    assert_eq!(dry["counts"], real["counts"]);
    for (d, r) in lines(&dry).iter().zip(lines(&real)) {
        assert_eq!((&d["outcome"], &d["message"]), (&r["outcome"], &r["message"]), "line {}", d["line"]);
    }
}

#[test]
fn a_meta_course_follows_enrolments_made_by_the_file() {
    let lms = Lms::with_enrol_samples();
    let link = lms.courses_file("metas", "metas.csv", "master;meta\nMASTER1;META10\n", &[]);
    assert_eq!(link.code, 0, "{}", link.all());
    let ran = lms.enrols_file(
        "e.csv",
        "cmd;cid;uid;rolename;enrol\nadd;MASTER1;U0001;student;manual\nadd;MASTER1;U0002;editingteacher;sync\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(
        lms.enrolments(),
        strs(&[
            "MASTER1 amelie.dupont sync active editingteacher",
            "MASTER1 john.doe manual active student",
            "META10 amelie.dupont meta active editingteacher",
            "META10 john.doe meta active student",
        ])
    );
    assert!(lms.role_rows().contains(&"META10 john.doe student enrol_meta:meta".to_string()), "{:?}", lms.role_rows());

    let ran = lms.enrols_file(
        "e2.csv",
        "cmd;cid;uid;rolename;enrol\ndel;MASTER1;U0001;;manual\nshift;MASTER1;U0002;teacher;sync\n",
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(
        lms.enrolments(),
        strs(&["MASTER1 amelie.dupont sync active teacher", "META10 amelie.dupont meta active teacher"]),
        "unenrolled from the master: gone from the meta; shifted: the meta role follows"
    );
}
