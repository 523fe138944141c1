//! `cohorts --op members` beyond the samples: autocreate off, name and idnumber conflicts,
//! updates that never rename, category contexts, unknown users (C12), bad commands and keys,
//! dry run, idempotence, the deletion threshold, and the enrolments bindings derive as members
//! come and go.

mod common;

use common::{Lms, Ran, coded_outcomes, line, pick_lines, show, strs};
use serde_json::Value;

/// The report record of line `n` of `ran`.
fn report_line(lms: &Lms, ran: &Ran, n: u64) -> Value {
    line(&lms.json_report(ran.run_id()), n).clone()
}

/// The message of line `n` of `ran`.
fn message(lms: &Lms, ran: &Ran, n: u64) -> String {
    report_line(lms, ran, n)["message"].as_str().unwrap_or("").to_string()
}

/// Runs a members file and asserts its exit code.
fn members(lms: &Lms, name: &str, bytes: &str, extra: &[&str], code: i32) -> Ran {
    let ran = lms.cohorts_file("members", name, bytes, extra);
    assert_eq!(ran.code, code, "{name}: {}", ran.all());
    ran
}

/// Runs a bindings file and asserts it succeeded.
fn bind(lms: &Lms, bytes: &str) -> Ran {
    let ran = lms.cohorts_file("bindings", "bind.csv", bytes, &[]);
    assert_eq!(ran.code, 0, "bindings: {}", ran.all());
    ran
}

/// `idnumber | description | context` of every cohort, from `export cohorts`.
fn cohort_rows(lms: &Lms) -> Vec<String> {
    let mut v: Vec<String> = lms
        .export_json("cohorts")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            format!("{} | {} | {}", s("idnumber"), s("description"), s("context"))
        })
        .collect();
    v.sort();
    v
}

/// Every row (timestamps included) of the cohort tables, and the enrolment-side tables.
fn snapshot(lms: &Lms) -> Vec<String> {
    let mut v = lms.rows(
        "SELECT 'cohort ' || id || '|' || name || '|' || idnumber || '|' || description || '|' || coalesce(categoryid, '-') || '|' || component || '|' || timecreated || '|' || timemodified FROM cohort ORDER BY id",
    );
    v.extend(lms.rows(
        "SELECT 'member ' || cohortid || '|' || userid || '|' || timeadded FROM cohort_members ORDER BY cohortid, userid",
    ));
    for (table, rows) in lms.enrol_state() {
        v.extend(rows.into_iter().map(|r| format!("{table} {r}")));
    }
    v
}

/// Cohort-method enrolments (`course username method status roles`).
fn cohort_enrolments(lms: &Lms) -> Vec<String> {
    lms.enrolments().into_iter().filter(|e| e.split(' ').nth(2) == Some("cohort")).collect()
}

/// The site with cohort_create_only.csv applied: COH001–COH004 and COHGRP, empty.
fn with_five_cohorts() -> Lms {
    let lms = Lms::with_cohort_site();
    let ran = lms.run_cohorts("members", &lms.fixture("cohort_create_only.csv"), &[]);
    assert_eq!((ran.code, ran.count("created")), (0, 5), "{}", ran.all());
    lms
}

#[test]
fn with_autocreate_off_unknown_cohorts_fail_and_known_ones_still_get_members() {
    let lms = with_five_cohorts().with("LMSYNC_COHORTS__AUTOCREATE", "false");
    let ran = members(
        &lms,
        "off.csv",
        "cidnumber;cname;userid\nNEW1;New cohort;U0001\nCOH001;COHORT1;U0002\nNEW1;New cohort;\n",
        &[],
        1,
    );
    assert_eq!(
        coded_outcomes(&lms, &ran),
        strs(&["2 failed cohort.not_found", "3 updated", "4 failed cohort.not_found"])
    );
    assert!(message(&lms, &ran, 2).contains("NEW1"), "{}", message(&lms, &ran, 2));
    assert!(!lms.cohort_names().iter().any(|c| c.contains("NEW1")), "{:?}", lms.cohort_names());
    assert_eq!(lms.cohort_members(), strs(&["COH001 amelie.dupont"]));
}

#[test]
fn creating_fails_on_a_taken_name_or_idnumber_or_without_a_name() {
    let mut lms = with_five_cohorts();
    // idnumber mode: COHX is new but its name is COHORT1's.
    let ran = members(&lms, "taken.csv", "cidnumber;cname;userid\nCOHX;COHORT1;U0001\nCOHY;;U0001\n", &[], 1);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 failed cohort.name_taken", "3 failed cohort.missing_name"]));
    let m = message(&lms, &ran, 2);
    assert!(m.contains("COHORT1") && m.contains("COH001"), "names the existing cohort: {m}");

    // name mode: NEWNAME is new but its idnumber is COHORT2's.
    lms.set("LMSYNC_COHORTS__COHORT_IDENTIFIER", "name");
    let ran = members(&lms, "taken2.csv", "cname;cidnumber;userid\nNEWNAME;COH002;U0001\n", &[], 1);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 failed cohort.idnumber_taken"]));
    let m = message(&lms, &ran, 2);
    assert!(m.contains("COHORT2") && m.contains("COH002"), "names the existing cohort: {m}");

    // name mode, keyed by name alone: the key value is the name, the idnumber empty.
    let ran = members(&lms, "fresh.csv", "cname;userid\nFresh;U0003\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 created"]));

    assert_eq!(
        lms.cohort_names(),
        strs(&[
            "- Fresh",
            "COH001 COHORT1",
            "COH002 COHORT2",
            "COH003 COHORT3",
            "COH004 COHORT4",
            "COHGRP GROUPEDUSERS"
        ])
    );
    assert_eq!(lms.rows("SELECT c.name || ' ' || u.username FROM cohort_members m JOIN cohort c ON c.id = m.cohortid JOIN user u ON u.id = m.userid"), strs(&["Fresh jack.duf"]), "failed lines add no member");
}

#[test]
fn a_found_cohort_gets_a_new_description_but_is_never_renamed() {
    let mut lms = with_five_cohorts();
    let ran = members(
        &lms,
        "update.csv",
        "cidnumber;cname;cdescription\nCOH001;Renamed;New words\nCOH002;COHORT2;\nCOH003;COHORT3;Student Cohort 3\n",
        &[],
        0,
    );
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated", "3 unchanged", "4 unchanged"]));
    let m = message(&lms, &ran, 2);
    assert!(m.contains("description updated"), "{m}");
    assert!(m.contains("warning") && m.contains("Renamed"), "warns the name differs: {m}");
    assert_eq!(
        lms.rows("SELECT idnumber || ' ' || name || ' | ' || description FROM cohort WHERE idnumber IN ('COH001', 'COH002', 'COH003') ORDER BY 1"),
        strs(&["COH001 COHORT1 | New words", "COH002 COHORT2 | Student Cohort 2", "COH003 COHORT3 | Student Cohort 3"])
    );

    // name mode: a different cidnumber is warned about, not written.
    lms.set("LMSYNC_COHORTS__COHORT_IDENTIFIER", "name");
    let ran = members(&lms, "update2.csv", "cname;cidnumber\nCOHORT4;OTHER\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 unchanged"]));
    let m = message(&lms, &ran, 2);
    assert!(m.contains("warning") && m.contains("OTHER"), "{m}");
    assert!(lms.cohort_names().contains(&"COH004 COHORT4".to_string()), "{:?}", lms.cohort_names());
}

#[test]
fn category_contexts_place_and_move_cohorts_and_zero_moves_back_to_the_system() {
    let lms = with_five_cohorts();
    lms.db_write().execute("INSERT INTO course_categories (name, idnumber) VALUES ('Cohort home', 'CH')", []).unwrap();
    let cat = lms.rows("SELECT CAST(id AS TEXT) FROM course_categories WHERE idnumber = 'CH'").remove(0);

    let file = format!(
        "cidnumber;cname;ccatcontext;ccatcontextidnumber\nCAT1;Cat one;{cat};\nCAT2;Cat two;;CH\nCOH001;COHORT1;;CH\nCOH002;COHORT2;{cat};\nCAT3;Cat three;99999;\nCAT4;Cat four;;NOPE\nCOH003;COHORT3;abc;\n"
    );
    let ran = members(&lms, "ctx.csv", &file, &[], 1);
    assert_eq!(
        coded_outcomes(&lms, &ran),
        strs(&[
            "2 created",
            "3 created",
            "4 updated",
            "5 updated",
            "6 failed cohort.bad_context",
            "7 failed cohort.bad_context",
            "8 failed cohort.bad_context",
        ])
    );
    assert!(message(&lms, &ran, 6).contains("99999"), "{}", message(&lms, &ran, 6));
    assert!(message(&lms, &ran, 7).contains("NOPE"), "{}", message(&lms, &ran, 7));
    let home = "category:Cohort home";
    assert_eq!(
        cohort_rows(&lms),
        strs(&[
            &format!("CAT1 |  | {home}"),
            &format!("CAT2 |  | {home}"),
            &format!("COH001 | Teacher Cohort 1 | {home}"),
            &format!("COH002 | Student Cohort 2 | {home}"),
            "COH003 | Student Cohort 3 | system",
            "COH004 | Student Cohort 4 | system",
            "COHGRP | Grouped users | system",
        ]),
        "CAT3 and CAT4 not created; COH003 not moved"
    );

    // Same contexts again: unchanged. ccatcontext 0: back to the system context.
    let again = members(&lms, "ctx2.csv", &format!("cidnumber;ccatcontext\nCOH002;{cat}\nCOH001;0\n"), &[], 0);
    assert_eq!(coded_outcomes(&lms, &again), strs(&["2 unchanged", "3 updated"]));
    assert!(message(&lms, &again, 3).contains("system"), "{}", message(&lms, &again, 3));
    let rows = cohort_rows(&lms);
    assert!(rows.contains(&"COH001 | Teacher Cohort 1 | system".to_string()), "{rows:?}");
    assert!(rows.contains(&format!("COH002 | Student Cohort 2 | {home}")), "{rows:?}");
}

#[test]
fn del_with_an_unknown_user_fails_keeps_the_cohort_and_goes_to_the_tryback() {
    let lms = Lms::with_cohort_site();
    let ran = lms.run_cohorts("members", &lms.fixture("cohort_create_sample.csv"), &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let before = lms.cohort_members();

    let file = "cmd;cidnumber;cname;userid\ndel;COH001;;U0001\ndel;COH001;;NOPE\nadd;NEWC;New cohort;NOPE\nadd;COH002;;U0005\n";
    let ran = members(&lms, "c12.csv", file, &[], 1);
    assert_eq!(
        coded_outcomes(&lms, &ran),
        strs(&["2 deleted", "3 failed cohort.user_not_found", "4 failed cohort.user_not_found", "5 updated"])
    );
    assert!(message(&lms, &ran, 3).contains("NOPE"), "{}", message(&lms, &ran, 3));
    assert!(lms.cohort_names().contains(&"COH001 COHORT1".to_string()), "C12: the cohort stays");
    assert!(!lms.cohort_names().iter().any(|c| c.contains("NEWC")), "nothing of a failed line is applied");
    let mut expected: Vec<String> = before.into_iter().filter(|m| m != "COH001 john.doe").collect();
    expected.push("COH002 yyang".into());
    expected.sort();
    assert_eq!(lms.cohort_members(), expected, "amelie.dupont still in COH001");

    let tryback = ran.tryback().expect("failed lines give a tryback");
    let got = std::fs::read(&tryback).unwrap();
    assert_eq!(show(&got), show(&pick_lines(file.as_bytes(), &[1, 3, 4])), "header and the failed lines");
}

#[test]
fn bad_commands_missing_keys_and_unknown_cohorts_in_del_and_free() {
    let lms = with_five_cohorts();
    let file = "cmd;cidnumber;cname;userid\nbogus;COH001;;U0001\nadd;;;U0001\ndel;NOPE;;\nfree;NOPE;;\ndel;NOPE;;U0001\nadd;COH001;;U0003\ndel;COH002;;U0003\nfree;COH003;;\nADD;COH004;;U0004\n";
    let ran = members(&lms, "bad.csv", file, &[], 1);
    assert_eq!(
        coded_outcomes(&lms, &ran),
        strs(&[
            "2 failed cohort.bad_command",
            "3 failed cohort.missing_key",
            "4 skipped",
            "5 skipped",
            "6 skipped",
            "7 updated",
            "8 unchanged",
            "9 unchanged",
            "10 updated",
        ])
    );
    assert!(message(&lms, &ran, 2).contains("bogus"), "{}", message(&lms, &ran, 2));
    assert!(message(&lms, &ran, 8).contains("not a member"), "{}", message(&lms, &ran, 8));
    assert!(message(&lms, &ran, 9).contains("already empty"), "{}", message(&lms, &ran, 9));
    assert_eq!(lms.cohort_members(), strs(&["COH001 jack.duf", "COH004 ggrass"]), "the bad command added no member");
    assert_eq!(lms.cohort_names().len(), 5);
    let tryback = std::fs::read(ran.tryback().expect("tryback")).unwrap();
    assert_eq!(show(&tryback), show(&pick_lines(file.as_bytes(), &[1, 2, 3])));
}

#[test]
fn a_file_without_any_cohort_column_cannot_run() {
    let lms = with_five_cohorts();
    let ran = members(&lms, "nokey.csv", "cmd;userid;cdescription\nadd;U0001;x\n", &[], 2);
    assert!(ran.all().contains("cohort.no_key_column"), "{}", ran.all());
    let report = lms.json_report(ran.run_id());
    assert_eq!(report["status"], "aborted", "{report:#}");
    assert!(report["message"].as_str().unwrap().contains("cohort.no_key_column"), "{report:#}");
    assert!(lms.cohort_members().is_empty());
    assert_eq!(lms.journalled(ran.run_id()), 0);
}

#[test]
fn a_dry_run_reports_each_line_and_writes_nothing() {
    let lms = with_five_cohorts();
    // COH001 exists (updated), NEW1 does not (created, then updated by its second line).
    let file = "cmd;cidnumber;cname;userid;cdescription\nadd;NEW1;New one;U0001;Fresh\nadd;NEW1;;U0002;\nadd;COH001;;U0003;Other words\nfree;COHGRP;;;\ndel;COH004;;;\n";
    let before = snapshot(&lms);
    let names = lms.cohort_names();
    let dry = members(&lms, "dry.csv", file, &["--dry-run"], 0);
    assert!(dry.stdout.contains("dry run: nothing was written"), "{}", dry.stdout);
    assert_eq!(
        coded_outcomes(&lms, &dry),
        strs(&["2 created", "3 updated", "4 updated", "5 unchanged", "6 deleted"]),
        "as it would happen"
    );
    assert_eq!(lms.json_report(dry.run_id())["dry_run"], true);
    assert!(message(&lms, &dry, 2).contains("New one"), "{}", message(&lms, &dry, 2));
    assert_eq!(lms.cohort_names(), names);
    assert!(lms.cohort_members().is_empty());
    assert_eq!(snapshot(&lms), before, "a dry run writes nothing");
    assert_eq!(lms.journalled(dry.run_id()), 0);

    // The real run does what the dry run said.
    let real = members(&lms, "dry.csv", file, &[], 0);
    assert_eq!(coded_outcomes(&lms, &real), coded_outcomes(&lms, &dry));
    assert_eq!(lms.cohort_members(), strs(&["COH001 jack.duf", "NEW1 amelie.dupont", "NEW1 john.doe"]));
    assert!(!lms.cohort_names().iter().any(|c| c.starts_with("COH004")));
}

#[test]
fn the_same_file_twice_changes_nothing_the_second_time() {
    let lms = Lms::with_cohort_site();
    let file = "cmd;cidnumber;cname;userid;cdescription\nadd;A1;Alpha;U0001;First\nadd;A1;;U0002;First\nadd;B1;Beta;;Second\ndel;A1;;U0003;\nfree;B1;;;\n";
    let first = members(&lms, "twice.csv", file, &[], 0);
    assert_eq!(
        coded_outcomes(&lms, &first),
        strs(&["2 created", "3 updated", "4 created", "5 unchanged", "6 unchanged"])
    );
    assert!(lms.journalled(first.run_id()) > 0, "the first run journals its changes");
    let db = lms.db_write();
    db.execute("UPDATE cohort SET timecreated = timecreated - 1000, timemodified = timemodified - 1000", []).unwrap();
    db.execute("UPDATE cohort_members SET timeadded = timeadded - 1000", []).unwrap();
    drop(db);
    let before = snapshot(&lms);

    let second = members(&lms, "twice.csv", file, &[], 0);
    assert_eq!(
        coded_outcomes(&lms, &second),
        strs(&["2 unchanged", "3 unchanged", "4 unchanged", "5 unchanged", "6 unchanged"])
    );
    assert_eq!(lms.journalled(second.run_id()), 0);
    assert_eq!(snapshot(&lms), before, "nothing rewritten");
}

#[test]
fn freeing_a_big_cohort_needs_confirm_deletes() {
    let lms = Lms::new().with("LMSYNC_COHORTS__USER_IDENTIFIER", "username");
    let mut users = String::from("username;firstname;lastname\n");
    let mut adds = String::from("cidnumber;cname;userid\n");
    for i in 1..=30 {
        users.push_str(&format!("member{i:02};M;{i}\n"));
        adds.push_str(&format!("BIG;Big cohort;member{i:02}\n"));
    }
    let ran = lms.run_bytes("users.csv", users, &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let ran = members(&lms, "big.csv", &adds, &[], 0);
    assert_eq!((ran.count("created"), ran.count("updated")), (1, 29));
    assert_eq!(lms.cohort_members().len(), 30);

    let free = "cmd;cidnumber\nfree;BIG\n";
    let before = snapshot(&lms);
    let refused = members(&lms, "free.csv", free, &[], 2);
    assert!(refused.all().contains("--confirm-deletes"), "says how to confirm: {}", refused.all());
    assert!(refused.all().contains("30"), "says how many: {}", refused.all());
    assert_eq!(snapshot(&lms), before, "nothing written");
    assert_eq!(lms.cohort_members().len(), 30);

    let confirmed = members(&lms, "free.csv", free, &["--confirm-deletes"], 0);
    assert_eq!(coded_outcomes(&lms, &confirmed), strs(&["2 updated"]));
    assert!(message(&lms, &confirmed, 2).contains("30 members removed"), "{}", message(&lms, &confirmed, 2));
    assert!(lms.cohort_members().is_empty());
    assert_eq!(lms.cohort_names(), strs(&["BIG Big cohort"]));
}

#[test]
fn members_of_a_bound_cohort_are_enrolled_and_unenrolled_as_they_come_and_go() {
    let lms = Lms::with_cohort_site();
    members(&lms, "c.csv", "cidnumber;cname;userid\nCOHA;Cohort A;U0001\n", &[], 0);
    bind(&lms, "course;cohort\nTESTCOURSE1;COHA\n");
    assert_eq!(cohort_enrolments(&lms), strs(&["TESTCOURSE1 john.doe cohort active student"]));

    members(&lms, "c.csv", "cidnumber;userid\nCOHA;U0002\n", &[], 0);
    assert_eq!(
        cohort_enrolments(&lms),
        strs(&["TESTCOURSE1 amelie.dupont cohort active student", "TESTCOURSE1 john.doe cohort active student"]),
        "a new member is enrolled at once"
    );
    assert!(lms.role_rows().contains(&"TESTCOURSE1 amelie.dupont student enrol_cohort:cohort".to_string()));

    members(&lms, "c.csv", "cmd;cidnumber;userid\ndel;COHA;U0002\n", &[], 0);
    assert_eq!(
        cohort_enrolments(&lms),
        strs(&["TESTCOURSE1 john.doe cohort active student"]),
        "a removed one unenrolled"
    );
    assert!(!lms.role_rows().iter().any(|r| r.contains("amelie.dupont")), "{:?}", lms.role_rows());

    // Freeing it unenrols everyone; members back, enrolled again.
    members(&lms, "c.csv", "cmd;cidnumber\nfree;COHA\n", &[], 0);
    assert!(cohort_enrolments(&lms).is_empty(), "{:?}", lms.enrolments());
    assert!(lms.role_rows().is_empty(), "{:?}", lms.role_rows());
    assert_eq!(lms.export_json("cohort-bindings").len(), 1, "freeing keeps the binding");
    members(&lms, "c.csv", "cidnumber;userid\nCOHA;U0001\n", &[], 0);
    assert_eq!(cohort_enrolments(&lms), strs(&["TESTCOURSE1 john.doe cohort active student"]));

    // Deleting the cohort takes its binding and everything it gave.
    let ran = members(&lms, "c.csv", "cmd;cidnumber;userid\ndel;COHA;\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 deleted"]));
    assert!(lms.cohort_names().is_empty());
    assert!(lms.export_json("cohort-bindings").is_empty(), "{:?}", lms.export_json("cohort-bindings"));
    assert!(cohort_enrolments(&lms).is_empty(), "{:?}", lms.enrolments());
    assert!(lms.role_rows().is_empty(), "{:?}", lms.role_rows());
    assert!(lms.rows("SELECT CAST(id AS TEXT) FROM enrol WHERE enrol = 'cohort'").is_empty());
}

#[test]
fn a_manual_enrolment_survives_leaving_the_cohort_and_its_deletion() {
    let lms = Lms::with_cohort_site().with("LMSYNC_ENROLS__USER_IDENTIFIER", "username");
    let ran =
        lms.enrols_file("enrol.csv", "cmd;cid;uid;rolename;enrol\nadd;TESTCOURSE1;john.doe;student;manual\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    members(&lms, "c.csv", "cidnumber;cname;userid\nCOHA;Cohort A;U0001\nCOHA;Cohort A;U0002\n", &[], 0);
    bind(&lms, "course;cohort\nTESTCOURSE1;COHA\n");
    let enrolled = lms.enrolments();
    assert!(enrolled.contains(&"TESTCOURSE1 john.doe manual active student".to_string()), "{enrolled:?}");
    assert!(enrolled.contains(&"TESTCOURSE1 john.doe cohort active student".to_string()), "{enrolled:?}");

    members(&lms, "c.csv", "cmd;cidnumber;userid\ndel;COHA;U0001\n", &[], 0);
    let enrolled = lms.enrolments();
    assert!(enrolled.contains(&"TESTCOURSE1 john.doe manual active student".to_string()), "{enrolled:?}");
    assert!(!enrolled.iter().any(|e| e.starts_with("TESTCOURSE1 john.doe cohort")), "{enrolled:?}");
    let roles = lms.role_rows();
    assert!(
        roles.iter().any(|r| r.starts_with("TESTCOURSE1 john.doe student") && !r.contains("enrol_cohort")),
        "{roles:?}"
    );
    assert!(!roles.iter().any(|r| r.starts_with("TESTCOURSE1 john.doe") && r.contains("enrol_cohort")), "{roles:?}");

    // Back in the cohort, then the cohort deleted: the manual enrolment is still there.
    members(&lms, "c.csv", "cidnumber;userid\nCOHA;U0001\n", &[], 0);
    assert!(lms.enrolments().contains(&"TESTCOURSE1 john.doe cohort active student".to_string()));
    members(&lms, "c.csv", "cmd;cidnumber\ndel;COHA\n", &[], 0);
    let enrolled = lms.enrolments();
    assert_eq!(
        enrolled.iter().filter(|e| e.starts_with("TESTCOURSE1 ")).cloned().collect::<Vec<_>>(),
        strs(&["TESTCOURSE1 john.doe manual active student"]),
        "only the manual enrolment remains"
    );
    assert!(lms.role_rows().iter().any(|r| r.starts_with("TESTCOURSE1 john.doe student")), "{:?}", lms.role_rows());
}

#[test]
fn cid_is_the_id_when_numeric_else_an_idnumber_then_a_name_and_other_key_columns_back_up_the_configured_one() {
    let mut lms = with_five_cohorts();
    let id3 = lms.rows("SELECT CAST(id AS TEXT) FROM cohort WHERE idnumber = 'COH003'").remove(0);
    let file = format!("cid;userid\n{id3};U0001\nCOH001;U0002\nCOHORT2;U0003\nNOSUCH;U0004\n");
    let ran = members(&lms, "cid.csv", &file, &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated", "3 updated", "4 updated", "5 created"]));
    for n in 3..=5 {
        let m = message(&lms, &ran, n);
        assert!(m.contains("warning") && m.contains("not a cohort id"), "line {n}: {m}");
    }
    assert!(!message(&lms, &ran, 2).contains("warning"), "{}", message(&lms, &ran, 2));
    assert_eq!(
        lms.cohort_members(),
        strs(&[" ggrass", "COH001 amelie.dupont", "COH002 jack.duf", "COH003 john.doe"]),
        "NOSUCH is created under that name, without idnumber"
    );
    assert!(lms.cohort_names().contains(&"- NOSUCH".to_string()), "{:?}", lms.cohort_names());

    // name mode, empty cname: the cidnumber finds the cohort.
    lms.set("LMSYNC_COHORTS__COHORT_IDENTIFIER", "name");
    let ran = members(&lms, "backup.csv", "cname;cidnumber;userid\n;COH004;U0005\n", &[], 0);
    assert_eq!(coded_outcomes(&lms, &ran), strs(&["2 updated"]));
    assert!(lms.cohort_members().contains(&"COH004 yyang".to_string()), "{:?}", lms.cohort_members());
    assert_eq!(lms.cohort_names().len(), 6);
}
