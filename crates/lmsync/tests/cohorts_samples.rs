//! The cohort tool on the upstream samples (spec/cohorts.md §13): the sequence of upstream's unit
//! test (create, delete by name, create by name, delete by idnumber, create with members, free,
//! add members, delete members, bind courses), then the two samples it does not run
//! (create_sample_by_name, delete_sample).

mod common;

use common::{Lms, Ran, coded_outcomes, line, strs};

/// Runs an upstream sample through `cohorts --op <op>` and asserts the exit code.
fn sample(lms: &Lms, op: &str, name: &str, code: i32) -> Ran {
    let ran = lms.run_cohorts(op, &lms.fixture(name), &[]);
    assert_eq!(ran.code, code, "{name}: {}", ran.all());
    ran
}

/// `line outcome` for each line of `range`.
fn numbered(range: std::ops::RangeInclusive<u64>, outcome: &str) -> Vec<String> {
    range.map(|n| format!("{n} {outcome}")).collect()
}

/// Outcomes of `lines` in the order given (`(line, outcome)`).
fn expect(items: &[(u64, &str)]) -> Vec<String> {
    items.iter().map(|(n, o)| format!("{n} {o}")).collect()
}

/// Memberships as `cohort name username`, sorted (works for cohorts without idnumber).
fn members_by_name(lms: &Lms) -> Vec<String> {
    lms.rows(
        "SELECT c.name || ' ' || u.username FROM cohort_members m JOIN cohort c ON c.id = m.cohortid JOIN user u ON u.id = m.userid ORDER BY 1",
    )
}

/// `idnumber | name | description` of every cohort.
fn cohort_details(lms: &Lms) -> Vec<String> {
    lms.rows("SELECT idnumber || ' | ' || name || ' | ' || description FROM cohort ORDER BY name")
}

/// The five cohorts of cohort_create_only.csv / cohort_create_sample.csv.
const FIVE: [&str; 5] = ["COH001 COHORT1", "COH002 COHORT2", "COH003 COHORT3", "COH004 COHORT4", "COHGRP GROUPEDUSERS"];

/// The eight members of GROUPEDUSERS.
const GROUPED: [&str; 8] = ["ugr1", "ugr10", "ugr2", "ugr20", "ugr3", "ugr30", "ugr4", "ugr40"];

/// Memberships after cohort_create_sample.csv (spec §13.4), as `cohort_members` lists them.
fn sample_members() -> Vec<String> {
    let mut v = strs(&[
        "COH001 amelie.dupont",
        "COH001 john.doe",
        "COH002 ggrass",
        "COH002 jack.duf",
        "COH003 ggrass",
        "COH003 yyang",
        "COH004 ggrass",
        "COH004 john.doe",
    ]);
    v.extend(GROUPED.iter().map(|u| format!("COHGRP {u}")));
    v.sort();
    v
}

/// Memberships of the COHGRP cohort only.
fn grouped_members() -> Vec<String> {
    let mut v: Vec<String> = GROUPED.iter().map(|u| format!("COHGRP {u}")).collect();
    v.sort();
    v
}

/// Cohort-method enrolments (`course username method status roles`).
fn cohort_enrolments(lms: &Lms) -> Vec<String> {
    let mut v: Vec<String> = lms.enrolments().into_iter().filter(|e| e.split(' ').nth(2) == Some("cohort")).collect();
    v.sort();
    v
}

/// `course cohort_idnumber role method status` of every binding, sorted.
fn bindings(lms: &Lms) -> Vec<String> {
    let mut v: Vec<String> = lms
        .export_json("cohort-bindings")
        .iter()
        .map(|b| {
            let s = |k: &str| b[k].as_str().unwrap_or("").to_string();
            format!("{} {} {} {} {}", s("course_shortname"), s("cohort_idnumber"), s("role"), s("method"), s("status"))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn upstream_unit_test_sequence_from_create_only_to_bind_courses() {
    let mut lms = Lms::with_cohort_site();

    // 13.1 create_only, idnumber mode: five empty cohorts with their descriptions.
    let ran = sample(&lms, "members", "cohort_create_only.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=6, "created"));
    assert_eq!(ran.count("created"), 5);
    assert_eq!(lms.cohort_names(), strs(&FIVE));
    assert_eq!(
        cohort_details(&lms),
        strs(&[
            "COH001 | COHORT1 | Teacher Cohort 1",
            "COH002 | COHORT2 | Student Cohort 2",
            "COH003 | COHORT3 | Student Cohort 3",
            "COH004 | COHORT4 | Student Cohort 4",
            "COHGRP | GROUPEDUSERS | Grouped users",
        ])
    );
    assert!(lms.cohort_members().is_empty(), "no userid column: no members");

    // 13.2 delete_only_by_name, name mode: every cohort deleted.
    lms.set("LMSYNC_COHORTS__COHORT_IDENTIFIER", "name");
    let ran = sample(&lms, "members", "cohort_delete_only_by_name.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=6, "deleted"));
    assert!(lms.cohort_names().is_empty(), "{:?}", lms.cohort_names());

    // 13.1 again, identifier still name: the same five cohorts.
    let ran = sample(&lms, "members", "cohort_create_only.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=6, "created"));
    assert_eq!(lms.cohort_names(), strs(&FIVE), "same idnumbers and names in name mode");

    // 13.3 delete_only_by_idnumber, back to idnumber (last line without newline).
    lms.unset("LMSYNC_COHORTS__COHORT_IDENTIFIER");
    let ran = sample(&lms, "members", "cohort_delete_only_by_idnumber.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=6, "deleted"));
    assert!(lms.cohort_names().is_empty(), "{:?}", lms.cohort_names());

    // 13.4 create_sample: five cohorts, the memberships of the spec.
    let ran = sample(&lms, "members", "cohort_create_sample.csv", 0);
    let created = [2, 4, 6, 8, 10];
    let expected: Vec<String> =
        (2..=17).map(|n| format!("{n} {}", if created.contains(&n) { "created" } else { "updated" })).collect();
    assert_eq!(coded_outcomes(&lms, &ran), expected);
    assert_eq!((ran.count("created"), ran.count("updated")), (5, 11));
    assert_eq!(lms.cohort_names(), strs(&FIVE));
    assert_eq!(lms.cohort_members(), sample_members(), "spec §13.4 result");
    assert_eq!(
        cohort_details(&lms),
        strs(&[
            "COH001 | COHORT1 | Teacher Cohort 1",
            "COH002 | COHORT2 | Generated Cohort 2",
            "COH003 | COHORT3 | Generated Cohort 3",
            "COH004 | COHORT4 | ",
            "COHGRP | GROUPEDUSERS | ",
        ]),
        "an empty cdescription leaves the description"
    );
    let report = lms.json_report(ran.run_id());
    let m = line(&report, 2)["message"].as_str().unwrap();
    assert!(m.contains("COHORT1") && m.contains("john.doe"), "line 2 names cohort and member: {m}");

    // Re-run: every line unchanged, nothing journalled.
    let again = sample(&lms, "members", "cohort_create_sample.csv", 0);
    assert_eq!(coded_outcomes(&lms, &again), numbered(2..=17, "unchanged"));
    assert_eq!(lms.journalled(again.run_id()), 0);
    let report = lms.json_report(again.run_id());
    let m = line(&report, 3)["message"].as_str().unwrap();
    assert!(m.contains("amelie.dupont") && m.contains("already a member"), "{m}");
    assert_eq!(lms.cohort_members(), sample_members());

    // 13.8 free: every cohort emptied, the message says how many went.
    let ran = sample(&lms, "members", "cohort_free_cohorts_by_idnumber.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=6, "updated"));
    assert!(lms.cohort_members().is_empty(), "{:?}", lms.cohort_members());
    assert_eq!(lms.cohort_names(), strs(&FIVE), "freeing keeps the cohorts");
    let report = lms.json_report(ran.run_id());
    let m = line(&report, 6)["message"].as_str().unwrap();
    assert!(m.contains("8 members removed"), "line 6 frees COHGRP's 8: {m}");
    let m = line(&report, 2)["message"].as_str().unwrap();
    assert!(m.contains("2 members removed"), "line 2 frees COH001's 2: {m}");

    // 13.7 add_members_by_idnumber (no cmd column = add): the same memberships as 13.4.
    let ran = sample(&lms, "members", "cohort_add_members_by_idnumber.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=17, "updated"));
    assert_eq!(lms.cohort_members(), sample_members());

    // 13.9 delete_members: COH001–COH004 emptied, COHGRP keeps its 8.
    let ran = sample(&lms, "members", "cohort_delete_members_by_idnumber.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(2..=9, "deleted"));
    assert_eq!(lms.cohort_members(), grouped_members());
    assert_eq!(lms.cohort_names(), strs(&FIVE), "removing members deletes no cohort");

    // 13.10 bind_courses_sample: six bindings (comment lines skipped), only COHGRP's members enrolled.
    let ran = sample(&lms, "bindings", "cohort_bind_courses_sample.csv", 0);
    assert_eq!(coded_outcomes(&lms, &ran), numbered(4..=9, "created"));
    assert_eq!(
        bindings(&lms),
        strs(&[
            "TESTCOURSE1 COH001 teacher cohort enabled",
            "TESTCOURSE1 COHGRP student cohort enabled",
            "TESTCOURSE2 COH003 student cohort enabled",
            "TESTCOURSE2 COHGRP student cohort enabled",
            "TESTCOURSE3 COH002 student cohort enabled",
            "TESTCOURSE3 COHGRP student cohort enabled",
        ])
    );
    let mut expected: Vec<String> = ["TESTCOURSE1", "TESTCOURSE2", "TESTCOURSE3"]
        .iter()
        .flat_map(|c| GROUPED.iter().map(move |u| format!("{c} {u} cohort active student")))
        .collect();
    expected.sort();
    assert_eq!(cohort_enrolments(&lms), expected, "the 8 COHGRP users, students of the three courses");
    for u in ["john.doe", "amelie.dupont", "jack.duf", "ggrass", "yyang"] {
        assert!(
            !lms.enrolments().iter().any(|e| e.split(' ').nth(1) == Some(u)),
            "{u} left COH001–COH004 before the binding: not enrolled"
        );
    }
    let roles: Vec<String> = lms.role_rows();
    assert_eq!(roles.len(), 24, "one student role per derived enrolment: {roles:?}");
    assert!(roles.iter().all(|r| r.ends_with(" student enrol_cohort:cohort")), "{roles:?}");

    // Re-running the bindings changes nothing.
    let again = sample(&lms, "bindings", "cohort_bind_courses_sample.csv", 0);
    assert_eq!(coded_outcomes(&lms, &again), numbered(4..=9, "unchanged"));
    assert_eq!(lms.journalled(again.run_id()), 0);
    assert_eq!(cohort_enrolments(&lms), expected);
}

/// Memberships of cohort_create_sample_by_name.csv (spec §13.5), by cohort name.
fn by_name_members() -> Vec<String> {
    strs(&[
        "COHORT1 amelie.dupont",
        "COHORT1 john.doe",
        "COHORT2 ggrass",
        "COHORT2 jack.duf",
        "COHORT3 ggrass",
        "COHORT3 yyang",
        "COHORT4 ggrass",
        "COHORT4 john.doe",
    ])
}

#[test]
fn create_sample_by_name_in_name_mode_makes_four_cohorts_the_fourth_without_idnumber() {
    let lms = Lms::with_cohort_site().with("LMSYNC_COHORTS__COHORT_IDENTIFIER", "name");
    let ran = sample(&lms, "members", "cohort_create_sample_by_name.csv", 0);
    assert_eq!(
        coded_outcomes(&lms, &ran),
        expect(&[
            (2, "created"),
            (3, "updated"),
            (4, "created"),
            (5, "updated"),
            (6, "created"),
            (7, "updated"),
            (8, "created"),
            (9, "updated"),
        ])
    );
    assert_eq!(lms.cohort_names(), strs(&["- COHORT4", "COH001 COHORT1", "COH002 COHORT2", "COH003 COHORT3"]));
    assert_eq!(members_by_name(&lms), by_name_members(), "spec §13.5");
    assert_eq!(
        cohort_details(&lms),
        strs(&[
            "COH001 | COHORT1 | Teacher Cohort 1",
            "COH002 | COHORT2 | Generated Cohort 2",
            "COH003 | COHORT3 | Generated Cohort 3",
            " | COHORT4 | ",
        ])
    );

    let again = sample(&lms, "members", "cohort_create_sample_by_name.csv", 0);
    assert_eq!(coded_outcomes(&lms, &again), numbered(2..=9, "unchanged"));
    assert_eq!(lms.cohort_names().len(), 4, "no second COHORT4: {:?}", lms.cohort_names());
}

#[test]
fn create_sample_by_name_in_idnumber_mode_finds_lines_without_cidnumber_by_cname() {
    let lms = Lms::with_cohort_site();
    let ran = sample(&lms, "members", "cohort_create_sample_by_name.csv", 0);
    // Lines 3, 5, 9 have no cidnumber: COHORT1, 2, 4 are found by cname; line 8 creates COHORT4 by name.
    assert_eq!(
        coded_outcomes(&lms, &ran),
        expect(&[
            (2, "created"),
            (3, "updated"),
            (4, "created"),
            (5, "updated"),
            (6, "created"),
            (7, "updated"),
            (8, "created"),
            (9, "updated"),
        ])
    );
    assert_eq!(lms.cohort_names(), strs(&["- COHORT4", "COH001 COHORT1", "COH002 COHORT2", "COH003 COHORT3"]));
    assert_eq!(members_by_name(&lms), by_name_members());
    let report = lms.json_report(ran.run_id());
    for n in [3, 5, 9] {
        assert_eq!(line(&report, n).get("code"), None, "line {n}: {}", line(&report, n));
    }
}

#[test]
fn delete_sample_looks_names_up_through_cid_removes_three_members_and_deletes_two_cohorts() {
    let lms = Lms::with_cohort_site();
    sample(&lms, "members", "cohort_create_sample.csv", 0);
    let ran = sample(&lms, "members", "cohort_delete_sample.csv", 0);
    assert_eq!(
        coded_outcomes(&lms, &ran),
        expect(&[(2, "deleted"), (3, "deleted"), (4, "deleted"), (5, "deleted"), (6, "deleted")])
    );
    let report = lms.json_report(ran.run_id());
    for n in 2..=6 {
        let m = line(&report, n)["message"].as_str().unwrap();
        assert!(m.contains("warning") && m.contains("not a cohort id"), "line {n} warns about the cid value: {m}");
    }
    let m = line(&report, 2)["message"].as_str().unwrap();
    assert!(m.contains("john.doe"), "{m}");
    assert_eq!(lms.cohort_names(), strs(&["COH001 COHORT1", "COH002 COHORT2", "COHGRP GROUPEDUSERS"]));
    let mut expected = strs(&["COH002 ggrass"]);
    expected.extend(grouped_members());
    assert_eq!(lms.cohort_members(), expected, "COHORT1 emptied, jack.duf out of COHORT2, COHORT3/4 gone");

    // Again: the members are gone (unchanged), the cohorts are gone (skipped).
    let again = sample(&lms, "members", "cohort_delete_sample.csv", 0);
    assert_eq!(
        coded_outcomes(&lms, &again),
        expect(&[(2, "unchanged"), (3, "unchanged"), (4, "unchanged"), (5, "skipped"), (6, "skipped")])
    );
    assert_eq!(lms.cohort_members(), expected);
}
