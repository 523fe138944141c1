//! Bad input for the enrolment tool (spec/enrolments-groups.md §3.6, §3.9, DECISIONS §2–3):
//! failed lines with clear codes, the tryback byte for byte, the rest applied; refused headers.

mod common;

use common::{Lms, failed_keys, line, pick_lines, show, strs};

/// Good lines 2, 7 and 12 around one bad line each; line 14 is a comment, 15 empty.
const FILE: &str = "cmd;cid;uid;rolename;enrol;starttime;gcmd;g1
add;TESTCOURSE1;U0001;student;manual;;gaddcreate;G
add;TESTCOURSE1;U0002;nosuchrole;manual;;gaddcreate;X
add;NOCOURSE;U0002;student;manual;;;
add;TESTCOURSE1;U9999;student;manual;;;
add;;U0002;student;manual;;;
add;TESTCOURSE2;U0002;student;manual;;;
add;TESTCOURSE1;U0002;student;manual;next monday;;
frob;TESTCOURSE1;U0002;student;manual;;;
add;TESTCOURSE1;U0002;student;manual;;gfrob;G
add;TESTCOURSE1;U0002;;manual;;;
add;TESTCOURSE3;U0003;student;manual;1788220800;gadd;G
shift;TESTCOURSE1;U0002;;manual;;;
# a comment

add;TESTCOURSE1;U0005;student;manual;;;
";

#[test]
fn bad_lines_fail_with_clear_codes_go_to_the_tryback_byte_for_byte_and_the_rest_applies() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file("bad.csv", FILE, &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert_eq!((ran.count("created"), ran.count("failed")), (4, 9), "{}", ran.all());
    let report = lms.json_report(ran.run_id());
    let codes: Vec<(u64, &str)> = [
        (3, "enrol.unknown_role"),
        (4, "enrol.course_not_found"),
        (5, "enrol.user_not_found"),
        (6, "enrol.missing_course"),
        (8, "enrol.bad_date"),
        (9, "enrol.bad_command"),
        (10, "enrol.bad_group_command"),
        (11, "enrol.unknown_role"),
        (13, "enrol.unknown_role"),
    ]
    .to_vec();
    for (n, code) in &codes {
        assert_eq!(line(&report, *n)["outcome"], "failed", "{}", line(&report, *n));
        assert_eq!(line(&report, *n)["code"], *code, "{}", line(&report, *n));
    }
    let says = |n: u64, what: &str| {
        let m = line(&report, n)["message"].as_str().unwrap().to_string();
        assert!(m.contains(what), "line {n} should name {what:?}: {m}");
    };
    says(3, "nosuchrole");
    says(4, "NOCOURSE");
    says(5, "U9999");
    says(8, "next monday");
    says(9, "frob");
    says(10, "gfrob");
    assert_eq!(failed_keys(&report).len(), 9);

    let tryback = std::fs::read(ran.tryback().expect("a tryback")).unwrap();
    let expected = pick_lines(FILE.as_bytes(), &[1, 3, 4, 5, 6, 8, 9, 10, 11, 13]);
    assert_eq!(show(&tryback), show(&expected), "header and failed lines, as read");

    assert_eq!(
        lms.enrolments(),
        strs(&[
            "TESTCOURSE1 john.doe manual active student",
            "TESTCOURSE1 yyang manual active student",
            "TESTCOURSE2 amelie.dupont manual active student",
            "TESTCOURSE3 jack.duf manual active student",
        ])
    );
    assert_eq!(lms.enrolment_dates("TESTCOURSE3", "jack.duf", "manual").0, 1788220800);
    assert_eq!(lms.group_names(), strs(&["TESTCOURSE1 G"]), "X of the failed line 3 is not created");
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE1 G john.doe -"]));

    // The tryback is a valid input: the same lines fail again.
    let again = lms.run_enrols(&ran.tryback().unwrap(), &[]);
    assert_eq!(again.count("failed"), 9, "same failures again: {}", again.all());
}

#[test]
fn deleted_and_ambiguous_accounts_fail_their_line() {
    let lms = Lms::with_enrol_samples();
    let del = lms.write("d.csv", "username;firstname;lastname;email;deleted\nyyang;Yum;Yang;yyang@foobar.com;1\n");
    let ran = lms.exec(&["run", "users", "--file", del.to_str().unwrap()]);
    assert_eq!(ran.count("deleted"), 1, "{}", ran.all());
    let ran = lms.enrols_file("e.csv", "cid;uid;rolename;enrol\nTESTCOURSE1;U0005;student;manual\n", &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let report = lms.json_report(ran.run_id());
    assert_eq!(line(&report, 2)["code"], "enrol.user_deleted", "{}", line(&report, 2));

    let db = lms.db_write();
    db.execute("UPDATE user SET email = 'johndoe@foobar.com' WHERE username = 'jack.duf'", []).unwrap();
    drop(db);
    let lms = lms.with("LMSYNC_ENROLS__USER_IDENTIFIER", "email");
    let ran = lms.enrols_file("e.csv", "cid;uid;rolename;enrol\nTESTCOURSE1;johndoe@foobar.com;student;manual\n", &[]);
    let report = lms.json_report(ran.run_id());
    let m = line(&report, 2)["message"].as_str().unwrap();
    assert_eq!(line(&report, 2)["outcome"], "failed", "{m}");
    assert!(m.contains("john.doe") && m.contains("jack.duf"), "the candidates are named: {m}");
    assert_eq!(lms.enrolments(), Vec::<String>::new());
}

#[test]
fn an_unknown_or_missing_column_refuses_the_whole_file() {
    let lms = Lms::with_enrol_samples();
    let before = lms.enrol_state();
    let ran = lms.enrols_file(
        "g10.csv",
        "cmd;cid;uid;rolename;enrol;gcmd;g1;g10\nadd;TESTCOURSE1;U0001;student;manual;gaddcreate;A;B\n",
        &[],
    );
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(ran.all().contains("\"g10\""), "names the column: {}", ran.all());
    assert!(ran.all().contains("g1 … g9"), "lists the accepted ones: {}", ran.all());
    let ran = lms.enrols_file("norole.csv", "cmd;cid;uid;enrol\nadd;TESTCOURSE1;U0001;manual\n", &[]);
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(ran.all().contains("rolename"), "{}", ran.all());
    assert_eq!(lms.enrol_state(), before, "nothing written");
}

#[test]
fn the_hidden_column_is_accepted_with_one_note_and_no_effect() {
    let lms = Lms::with_enrol_samples();
    let ran = lms.enrols_file(
        "h.csv",
        "cmd;cid;uid;rolename;enrol;hidden\nadd;TESTCOURSE1;U0001;student;manual;1\nadd;TESTCOURSE1;U0002;student;manual;0\n",
        &[],
    );
    assert_eq!((ran.code, ran.count("created")), (0, 2), "{}", ran.all());
    let notes: Vec<String> = ran.notes().into_iter().filter(|n| n.contains("hidden")).collect();
    assert_eq!(notes.len(), 1, "{:?}", ran.notes());
    assert_eq!(
        lms.enrolments(),
        strs(&["TESTCOURSE1 amelie.dupont manual active student", "TESTCOURSE1 john.doe manual active student"])
    );
}

#[test]
fn a_short_line_is_padded_and_a_long_one_fails() {
    let lms = Lms::with_enrol_samples();
    let file = "cmd;cid;uid;rolename;enrol;gcmd;g1;g2\nadd;TESTCOURSE1;U0001;student;manual;gaddcreate;A\nadd;TESTCOURSE1;U0002;student;manual\nadd;TESTCOURSE1;U0003;student;manual;;;;extra\n";
    let ran = lms.enrols_file("s.csv", file, &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let report = lms.json_report(ran.run_id());
    assert_eq!(
        (line(&report, 2)["outcome"].as_str(), line(&report, 3)["outcome"].as_str()),
        (Some("created"), Some("created"))
    );
    assert_eq!(line(&report, 4)["outcome"], "failed", "too many fields: {}", line(&report, 4));
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE1 A john.doe -"]));
    let tryback = std::fs::read(ran.tryback().unwrap()).unwrap();
    assert_eq!(show(&tryback), show(&pick_lines(file.as_bytes(), &[1, 4])));
}
