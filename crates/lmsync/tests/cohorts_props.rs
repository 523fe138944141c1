//! Properties of the cohorts members file applied twice. A line that succeeded the first time
//! never changes anything the second time when the file only adds; when no line failed (a
//! failed line may succeed once a later line created what it needed), the second run leaves
//! the cohorts and their members exactly as the first run did.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::sample::select;

#[derive(Debug, Clone)]
struct Line {
    cmd: &'static str,
    cidnumber: &'static str,
    cname: &'static str,
    userid: &'static str,
    cdescription: &'static str,
}

fn line(adds_only: bool) -> impl Strategy<Value = Line> {
    let cmds: &'static [&'static str] =
        if adds_only { &["add", "", "ADD"] } else { &["add", "", "add", "del", "free"] };
    const IDNUMBERS: [&str; 3] = ["C1", "C2", "C3"];
    const NAMES: [&str; 3] = ["Year 1", "Year 2", "Staff"];
    (
        select(cmds),
        0..3usize,
        // Mostly a cohort's idnumber and name together; sometimes one of them only, or a name
        // that belongs to another cohort (a conflict).
        0..10u8,
        select(&["U0001", "U0002", "U0003", "UGR1", "U0004", "", "U0001", "U0002", "U0003", "ghost"][..]),
        // One description for every cohort: lines giving a cohort two descriptions would flip
        // it at every run.
        select(&["", "", "Everyone; really"][..]),
    )
        .prop_map(|(cmd, k, variant, userid, cdescription)| {
            let (cidnumber, cname) = match variant {
                0 => ("", NAMES[k]),
                1 => (IDNUMBERS[k], ""),
                2 => (IDNUMBERS[k], NAMES[(k + 1) % 3]),
                _ => (IDNUMBERS[k], NAMES[k]),
            };
            Line { cmd, cidnumber, cname, userid, cdescription }
        })
}

fn csv(lines: &[Line]) -> String {
    let mut s = String::from("cmd;cidnumber;cname;userid;cdescription\n");
    for l in lines {
        let d = if l.cdescription.contains(';') { format!("\"{}\"", l.cdescription) } else { l.cdescription.into() };
        s.push_str(&format!("{};{};{};{};{d}\n", l.cmd, l.cidnumber, l.cname, l.userid));
    }
    s
}

/// Cohorts (idnumber, name, description) and memberships, ids left out.
fn state(lms: &Lms) -> (Vec<String>, Vec<String>) {
    (
        lms.rows("SELECT idnumber || '|' || name || '|' || description FROM cohort ORDER BY 1"),
        lms.rows(
            "SELECT c.idnumber || '|' || c.name || '|' || u.username FROM cohort_members m JOIN cohort c ON c.id = m.cohortid JOIN user u ON u.id = m.userid ORDER BY 1",
        ),
    )
}

fn applied_twice(lms: &Lms, lines: &[Line], adds_only: bool) -> Result<(), TestCaseError> {
    let text = csv(lines);
    let first = lms.cohorts_file("members", "random.csv", &text, &["--confirm-deletes"]);
    prop_assert!(first.code <= 1, "{}\n{}", first.all(), text);
    let report1 = lms.json_report(first.run_id());
    prop_assert_eq!(common::lines(&report1).len(), lines.len(), "one report line per data line:\n{}", text);
    let after_first = state(lms);
    let clean = first.count("failed") == 0;
    let second = lms.cohorts_file("members", "random.csv", &text, &["--confirm-deletes"]);
    prop_assert!(second.code <= 1, "{}\n{}", second.all(), text);
    if clean {
        prop_assert_eq!(&after_first, &state(lms), "the second run changed the cohorts; file:\n{}", text);
    }
    if adds_only {
        let report2 = lms.json_report(second.run_id());
        if clean {
            prop_assert_eq!(lms.journalled(second.run_id()), 0, "second run journalled changes:\n{}", text);
        }
        for (a, b) in common::lines(&report1).iter().zip(common::lines(&report2)) {
            if a["outcome"] != "failed" {
                prop_assert_eq!(
                    &b["outcome"],
                    "unchanged",
                    "line {} of\n{}\nfirst {}\nsecond {}",
                    a["line"],
                    text,
                    a,
                    b
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_file_of_adds_applied_twice_changes_nothing_the_second_time(lines in prop::collection::vec(line(true), 1..16)) {
        applied_twice(&Lms::with_cohort_site(), &lines, true)?;
    }

    #[test]
    fn any_members_file_applied_twice_leaves_the_cohorts_as_the_first_run_did(lines in prop::collection::vec(line(false), 1..16)) {
        applied_twice(&Lms::with_cohort_site(), &lines, false)?;
    }
}
