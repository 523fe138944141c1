//! Bad input to the groups tool (spec/enrolments-groups.md §4.2, §5.2): unknown course, group or
//! user, bad type or command, empty identifiers, bad headers and options fail clearly, the
//! failed lines go to the tryback byte for byte, and good lines of the same file still apply.

mod common;

use common::{Lms, Ran, line, list_files, pick_lines, show, strs};

/// Sample accounts (duplicate e-mails allowed), sample courses, ugr1–4 and ugr10 students in
/// TESTCOURSE1, and the groups of groups.csv.
fn site() -> Lms {
    let lms = Lms::with_grouped_students();
    let r = lms.exec(&["run", "groups", "--op", "groups", "--file", lms.fixture("groups.csv").to_str().unwrap()]);
    assert_eq!(r.code, 0, "groups.csv: {}", r.all());
    lms
}

/// Writes `in/<name>` and runs it through `groups --op <op>`.
fn run(lms: &Lms, op: &str, name: &str, text: &str) -> Ran {
    let path = lms.write(name, text);
    lms.exec(&["run", "groups", "--op", op, "--file", path.to_str().unwrap()])
}

/// `course name idnumber` of every group, then `grouping course name` of every grouping, then
/// the bindings and memberships.
fn state(lms: &Lms) -> Vec<String> {
    let mut s = lms.rows("SELECT c.shortname || ' ' || g.name || ' ' || g.idnumber FROM groups g JOIN course c ON c.id = g.courseid ORDER BY 1");
    s.extend(lms.rows("SELECT 'grouping ' || c.shortname || ' ' || g.name FROM groupings g JOIN course c ON c.id = g.courseid ORDER BY 1"));
    s.extend(lms.rows("SELECT 'binding ' || groupingid || ' ' || groupid FROM groupings_groups ORDER BY 1"));
    s.extend(lms.memberships());
    s
}

/// Asserts line `n` failed with `code` and a message naming each of `parts`.
fn fails(report: &serde_json::Value, n: u64, code: &str, parts: &[&str]) {
    let l = line(report, n);
    assert_eq!((l["outcome"].as_str(), l["code"].as_str()), (Some("failed"), Some(code)), "line {n}: {l}");
    let m = l["message"].as_str().unwrap();
    for p in parts {
        assert!(m.contains(p), "line {n} should name {p:?}: {m}");
    }
}

/// Asserts the tryback of `ran` holds exactly the given physical lines of `text`.
fn assert_tryback(ran: &Ran, text: &str, numbers: &[usize]) {
    let path = ran.tryback().unwrap_or_else(|| panic!("no tryback: {}", ran.all()));
    let got = std::fs::read(path).unwrap();
    let expected = pick_lines(text.as_bytes(), numbers);
    assert_eq!(show(&got), show(&expected), "header then the failed lines, as read");
}

const BAD_GROUPS: &str = "type;courseid;name;idnumber;grouping\n\
group;NOPE;G;X;\n\
group;;G;X;\n\
foo;TESTCOURSE1;G;X;\n\
group;TESTCOURSE1;Group 1;NEWID;\n\
group;TESTCOURSE1;;X;\n\
group;TESTCOURSE1;Fine;FINE;NOSUCH\n\
;TESTCOURSE1;Typeless;TL;\n";

#[test]
fn bad_groups_lines_fail_with_clear_codes_and_go_to_the_tryback() {
    let lms = site();
    let before = state(&lms);
    let ran = run(&lms, "groups", "bad_groups.csv", BAD_GROUPS);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert_eq!((ran.count("failed"), ran.count("created")), (5, 2), "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    fails(&r, 2, "group.course_not_found", &["NOPE"]);
    fails(&r, 3, "group.missing_course", &["courseid"]);
    fails(&r, 4, "group.bad_type", &["foo"]);
    fails(&r, 5, "group.name_taken", &["Group 1"]);
    fails(&r, 6, "group.missing_name", &["name"]);
    // An unknown grouping is said, the line does not fail, the group is not bound.
    let l = line(&r, 7);
    assert_eq!(l["outcome"], "created", "{l}");
    assert!(l["message"].as_str().unwrap().contains("NOSUCH"), "{l}");
    assert_eq!(line(&r, 8)["outcome"], "created", "an empty type is a group");
    assert_tryback(&ran, BAD_GROUPS, &[1, 2, 3, 4, 5, 6]);

    let mut expected = before;
    expected.insert(0, "TESTCOURSE1 Fine FINE".into());
    expected.insert(5, "TESTCOURSE1 Typeless TL".into());
    assert_eq!(state(&lms), expected, "only the two good lines changed anything");
}

const BAD_MEMBERS: &str = "cmd;courseid;groupid;userid\n\
add;NOPE;TC1_GR1;ugr1\n\
add;;TC1_GR1;ugr1\n\
add;TESTCOURSE1;NOPE;ugr1\n\
add;TESTCOURSE1;TC2_GR1;ugr1\n\
add;TESTCOURSE1;TC1_GR1;nobody\n\
move;TESTCOURSE1;TC1_GR1;ugr1\n\
add;TESTCOURSE1;;ugr1\n\
add;TESTCOURSE1;TC1_GR1;\n\
add;TESTCOURSE1;TC1_GR1;ugr1";

#[test]
fn bad_members_lines_fail_with_clear_codes_and_go_to_the_tryback() {
    let lms = site();
    let ran = run(&lms, "members", "bad_members.csv", BAD_MEMBERS);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert_eq!((ran.count("failed"), ran.count("created")), (8, 1), "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    fails(&r, 2, "group.course_not_found", &["NOPE"]);
    fails(&r, 3, "group.missing_course", &["courseid"]);
    fails(&r, 4, "group.not_found", &["NOPE", "TESTCOURSE1"]);
    fails(&r, 5, "group.not_found", &["TC2_GR1", "TESTCOURSE1"]);
    fails(&r, 6, "group.user_not_found", &["nobody"]);
    fails(&r, 7, "group.bad_command", &["move"]);
    fails(&r, 8, "group.missing_group", &["groupid"]);
    fails(&r, 9, "group.missing_user", &["userid"]);
    assert_eq!(line(&r, 10)["outcome"], "created");
    assert_tryback(&ran, BAD_MEMBERS, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(lms.memberships(), strs(&["TESTCOURSE1 Group 1 ugr1 tool_sync"]));
}

#[test]
fn a_members_file_without_a_courseid_column_fails_every_line() {
    let lms = site();
    let text = "groupid;userid\nTC1_GR1;ugr1\nTC1_GR2;ugr2\n";
    let ran = run(&lms, "members", "nocourse.csv", text);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let r = lms.json_report(ran.run_id());
    fails(&r, 2, "group.missing_course", &[]);
    fails(&r, 3, "group.missing_course", &[]);
    assert_tryback(&ran, text, &[1, 2, 3]);
    assert!(lms.memberships().is_empty());
}

#[test]
fn bad_headers_stop_the_run_before_any_change() {
    let lms = site();
    let before = state(&lms);
    for (op, text, what) in [
        ("groups", "courseid;name;colour\nTESTCOURSE1;G;red\n", "colour"),
        ("groups", "courseid;idnumber\nTESTCOURSE1;X\n", "name"),
        ("members", "courseid;groupid;userid;extra\nTESTCOURSE1;TC1_GR1;ugr1;x\n", "extra"),
        ("members", "courseid;groupid\nTESTCOURSE1;TC1_GR1\n", "userid"),
    ] {
        let ran = run(&lms, op, "header.csv", text);
        assert_eq!(ran.code, 2, "{op} {text:?}: {}", ran.all());
        assert_eq!(ran.status(), "aborted", "{}", ran.all());
        assert!(ran.all().contains(what), "the error names {what}: {}", ran.all());
        assert_eq!(ran.tryback(), None);
        assert_eq!(state(&lms), before);
    }
}

#[test]
fn op_all_with_a_file_and_an_op_of_another_tool_exit_2_without_running() {
    let lms = site();
    let reports = list_files(&lms.reports());
    let path = lms.write("g.csv", "courseid;name\nTESTCOURSE1;New\n");
    for op in ["all", "create"] {
        let ran = lms.exec(&["run", "groups", "--op", op, "--file", path.to_str().unwrap()]);
        assert_eq!(ran.code, 2, "--op {op}: {}", ran.all());
        assert!(!ran.stderr.trim().is_empty(), "says why: {ran:?}");
    }
    assert_eq!(list_files(&lms.reports()), reports, "no run happened");
    assert!(!lms.group_names().contains(&"TESTCOURSE1 New".to_string()));
}
