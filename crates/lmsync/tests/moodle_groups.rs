//! The groups tool against a Moodle site (the fake one, over real HTTP): the upstream group
//! samples create, bind, rename and fill groups and groupings there, a member who is not
//! enrolled fails alone, the purge removes empty groups, and a second run sends no write.

mod common;

use common::*;
use lmsync_core::target::{LmsTarget, RunStart, RunStore};
use lmsync_model::{Change, ChangeKind, GroupOp};
use lmsync_moodle::{ClientOptions, MoodleClient};
use lmsync_moodle_fake::{Config, FakeMoodle};

fn client(fake: &FakeMoodle) -> MoodleClient {
    MoodleClient::new(&fake.url(), &fake.token(), ClientOptions::default()).unwrap()
}

/// Accounts ugr1–4, ugr10 and ugr20, courses TESTCOURSE1–2, and ugr1–4 and ugr10 students of
/// TESTCOURSE1 (the group samples' starting point).
fn site() -> (FakeMoodle, Lms) {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    let lms = on_moodle(&fake).with("LMSYNC_ENROLS__USER_IDENTIFIER", "username");
    moodle_courses(&fake, &["TESTCOURSE1", "TESTCOURSE2"]);
    let mut users = String::from("username;firstname;lastname;email\n");
    let mut enrols = String::from("cmd;cid;uid;rolename;enrol\n");
    for u in ["ugr1", "ugr2", "ugr3", "ugr4", "ugr10", "ugr20"] {
        users.push_str(&format!("{u};User;{u};{u}@foo.com\n"));
        if u != "ugr20" {
            enrols.push_str(&format!("add;TESTCOURSE1;{u};student;manual\n"));
        }
    }
    let r = lms.exec(&["run", "users", "--file", lms.write("users.csv", users).to_str().unwrap()]);
    assert_eq!(r.code, 0, "users: {}", r.all());
    let r = lms.exec(&["run", "enrols", "--file", lms.write("enrols.csv", enrols).to_str().unwrap()]);
    assert_eq!(r.code, 0, "enrolments: {}", r.all());
    (fake, lms)
}

fn run(lms: &Lms, op: &str, name: &str, bytes: impl AsRef<[u8]>) -> Ran {
    let path = lms.write(name, bytes);
    let mut r = lms.exec(&["run", "groups", "--op", op, "--file", path.to_str().unwrap()]);
    // The report's lines go with the output, so a failed assertion shows why each line failed.
    if let Some(report) = r.report() {
        r.stdout.push_str(&std::fs::read_to_string(report).unwrap_or_default());
    }
    r
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(Lms::new().fixture(name)).unwrap()
}

fn course_id(fake: &FakeMoodle, shortname: &str) -> i64 {
    fake.state().courses.values().find(|c| c.shortname == shortname).unwrap().id
}

fn user_id(fake: &FakeMoodle, username: &str) -> i64 {
    fake.state().users.values().find(|u| u.username == username).unwrap().id
}

/// `course | name | idnumber | description` of every group (or grouping) on the site.
fn listed(fake: &FakeMoodle, groupings: bool) -> Vec<String> {
    let st = fake.state();
    let short = |c: i64| st.courses.get(&c).map(|c| c.shortname.clone()).unwrap_or_default();
    let mut out: Vec<String> = if groupings {
        st.groupings
            .values()
            .map(|g| format!("{} | {} | {} | {}", short(g.courseid), g.name, g.idnumber, g.description))
            .collect()
    } else {
        st.groups
            .values()
            .map(|g| format!("{} | {} | {} | {}", short(g.courseid), g.name, g.idnumber, g.description))
            .collect()
    };
    out.sort();
    out
}

/// `grouping > group` of every binding.
fn bindings(fake: &FakeMoodle) -> Vec<String> {
    let st = fake.state();
    let mut out: Vec<String> =
        st.grouping_groups.iter().map(|(gp, g)| format!("{} > {}", st.groupings[gp].name, st.groups[g].name)).collect();
    out.sort();
    out
}

/// `group: user` of every membership.
fn members(fake: &FakeMoodle) -> Vec<String> {
    let st = fake.state();
    let mut out: Vec<String> = st
        .group_members
        .iter()
        .map(|m| format!("{}: {}", st.groups[&m.groupid].name, st.users[&m.userid].username))
        .collect();
    out.sort();
    out
}

#[test]
fn the_group_samples_create_bind_and_rename_on_the_site_and_a_rerun_sends_no_write() {
    let (fake, lms) = site();
    let r = run(&lms, "groups", "groups.csv", sample("groups.csv"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 10, "{}", r.all());
    assert_eq!(
        listed(&fake, false),
        [
            "TESTCOURSE1 | Group 1 | TC1_GR1 | Test group for creation 1",
            "TESTCOURSE1 | Group 2 | TC1_GR2 | Test group for creation 2",
            "TESTCOURSE1 | Group 3 | TC1_GR3 | Test group for creation 3",
            "TESTCOURSE1 | Group 4 | TC1_GR4 | Test group for creation 4",
            "TESTCOURSE2 | Group 1B | TC2_GR1 | Test group for creation 1",
            "TESTCOURSE2 | Group 2B | TC2_GR2 | Test group for creation 2",
            "TESTCOURSE2 | Group 3B | TC2_GR3 | Test group for creation 3",
            "TESTCOURSE2 | Group 4B | TC2_GR4 | Test group for creation 4",
        ]
    );
    let groupings = listed(&fake, true);
    assert!(groupings.contains(&"TESTCOURSE1 | Grouping A | GRPA | Test grouping for creation A".to_string()));
    assert!(groupings.contains(&"TESTCOURSE2 | Group 1B | TC2_GR1 | Test group for creation 1".to_string()));
    assert_eq!(groupings.len(), 6, "{groupings:?}");
    let b = bindings(&fake);
    for pair in ["Grouping A > Group 1", "Grouping A > Group 2", "Grouping B > Group 4", "Group 3B > Group 3B"] {
        assert!(b.contains(&pair.to_string()), "{pair}: {b:?}");
    }
    assert_eq!(b.len(), 8, "{b:?}");
    assert!(lms.journalled(r.run_id()) >= 10, "each line is journalled locally");

    let writes = fake.write_count();
    let r = run(&lms, "groups", "groups.csv", sample("groups.csv"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("unchanged"), 10, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");

    // Groupings renamed and described anew (Moodle needs the name and description sent).
    let r = run(&lms, "groups", "groupings_update.csv", sample("groupings_update.csv"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("updated"), 2, "{}", r.all());
    let groupings = listed(&fake, true);
    assert!(
        groupings.contains(
            &"TESTCOURSE1 | Grouping A Updated | GRPA | Test grouping for creation A has been updated".into()
        ),
        "{groupings:?}"
    );
    assert!(bindings(&fake).contains(&"Grouping B Updated > Group 3".to_string()), "bindings stay");
    let r = run(&lms, "groups", "groups_update.csv", sample("groups_update.csv"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("updated"), 8, "{}", r.all());
    assert!(
        listed(&fake, false)
            .contains(&"TESTCOURSE2 | Group 4 Updated | TC2_GR4 | Test group for creation 4 Updated".into())
    );

    let writes = fake.write_count();
    let r = run(&lms, "groups", "groupings_update.csv", sample("groupings_update.csv"));
    assert_eq!(r.count("unchanged"), 2, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");
}

#[test]
fn members_join_their_groups_a_course_without_the_group_fails_and_a_rerun_sends_no_write() {
    let (fake, lms) = site();
    assert_eq!(run(&lms, "groups", "groups.csv", sample("groups.csv")).code, 0);
    let file = format!("{}\nTESTCOURSE1;TC1_GR1;ugr20\n", sample("group_members.csv").trim_end());
    let r = run(&lms, "members", "group_members.csv", &file);
    // The TESTCOURSE2 lines name TESTCOURSE1's groups: refused by the planner; ugr20 is not
    // enrolled: skipped, saying so.
    assert_eq!(r.count("created"), 8, "{}", r.all());
    assert_eq!(r.count("failed"), 4, "{}", r.all());
    assert_eq!(r.count("skipped"), 1, "{}", r.all());
    assert_eq!(
        members(&fake),
        [
            "Group 1: ugr1",
            "Group 1: ugr10",
            "Group 2: ugr10",
            "Group 2: ugr2",
            "Group 3: ugr10",
            "Group 3: ugr3",
            "Group 4: ugr10",
            "Group 4: ugr4",
        ]
    );
    assert_eq!(fake.count("core_group_add_group_members"), 1, "one batched call");

    let writes = fake.write_count();
    let r = run(&lms, "members", "group_members.csv", &file);
    assert_eq!(r.count("unchanged"), 8, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");
}

#[test]
fn the_purge_removes_the_empty_groups_of_the_courses_a_run_touched() {
    let (fake, mut lms) = site();
    let groups = "courseid;name;idnumber\nTESTCOURSE1;Full;G1\nTESTCOURSE1;Empty;G2\nTESTCOURSE2;Elsewhere;G3\n";
    assert_eq!(run(&lms, "groups", "groups.csv", groups).code, 0);
    lms.set("LMSYNC_GROUPS__PURGE_EMPTY", "groups");
    let r = run(&lms, "members", "members.csv", "courseid;groupid;userid\nTESTCOURSE1;G1;ugr1\n");
    assert_eq!(r.code, 0, "{}", r.all());
    let names: Vec<String> = listed(&fake, false);
    assert_eq!(
        names,
        ["TESTCOURSE1 | Full | G1 | ", "TESTCOURSE2 | Elsewhere | G3 | "],
        "untouched courses keep theirs"
    );
    assert_eq!(fake.count("core_group_delete_groups"), 1);
}

/// The target itself refuses to put someone not enrolled in a group (the planner normally
/// skips that line; an enrolment removed between planning and applying reaches the target).
#[test]
fn a_member_who_is_not_enrolled_fails_alone() {
    let (fake, lms) = site();
    assert_eq!(run(&lms, "groups", "groups.csv", sample("groups.csv")).code, 0);
    let course = course_id(&fake, "TESTCOURSE1");
    let (stranger, student) = (user_id(&fake, "ugr20"), user_id(&fake, "ugr1"));
    let dir = tempfile::tempdir().unwrap();
    let local = lmsync_sqlite::SqliteStore::open(&dir.path().join("lms.db")).unwrap();
    let settings = lmsync_core::settings::TargetSettings { url: fake.url(), ..Default::default() };
    let mut target = lmsync_moodle_target::MoodleTarget::with_client(client(&fake), settings, local).unwrap();
    let run = target
        .start_run(&RunStart {
            tool: "groups".into(),
            operation: Some("members".into()),
            input: "members.csv".into(),
            dry_run: false,
            trigger: "cli".into(),
            pid: std::process::id(),
            partial_report: String::new(),
        })
        .unwrap();
    let join = |line: u64, user: i64| Change {
        line,
        key: format!("{user}@TC1_GR1"),
        kind: ChangeKind::Groups { course, ops: vec![GroupOp::AddMember { group: "Group 1".into(), user }] },
    };
    let results = target.apply(run, &[join(2, stranger), join(3, student)]).unwrap();
    let e = results[0].as_ref().unwrap_err();
    assert_eq!(e.code, "group.not_enrolled");
    assert!(e.message.contains("not enrolled") && e.message.contains("enrol them first"), "{}", e.message);
    assert!(results[1].as_ref().unwrap().changed);
    assert_eq!(members(&fake), ["Group 1: ugr1"]);
    assert_eq!(target.journal_count(run).unwrap(), 1, "only the applied line is journalled");
}
