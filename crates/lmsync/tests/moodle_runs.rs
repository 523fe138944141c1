//! Runs against a Moodle site (the fake one, over real HTTP): the tools write there through the
//! web services, the report and journal stay local, and the same file run again sends no write.

mod common;

use common::*;
use lmsync_moodle_fake::{Config, FakeMoodle};

fn site() -> (FakeMoodle, Lms) {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    let lms = on_moodle(&fake);
    (fake, lms)
}

const USERS: &str = "username;firstname;lastname;email;idnumber;password;city\n\
    john.doe;John;Doe;johndoe@foo.com;U0001;Secret#2026;Paris\n\
    amelie.dupont;Amélie;Dupont;adupont@foo.com;U0002;;Lyon\n\
    jack.duf;Jack;Duff;jack.duff@foo.com;U0003;;\n";

#[test]
fn users_are_created_on_the_site_and_a_second_run_sends_no_write() {
    let (fake, lms) = site();
    let file = lms.write("users.csv", USERS);
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 3, "{}", r.all());
    {
        let st = fake.state();
        let john = st.users.values().find(|u| u.username == "john.doe").expect("john.doe is on the site");
        assert_eq!(john.idnumber, "U0001");
        assert_eq!(john.extra.get("city").map(String::as_str), Some("Paris"));
        assert!(st.users.values().any(|u| u.username == "amelie.dupont" && u.firstname == "Amélie"));
    }
    assert!(lms.journalled(r.run_id()) >= 3, "the journal of the run is local");

    let writes = fake.write_count();
    let file = lms.write("users.csv", USERS);
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("unchanged"), 3, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");

    // A changed city is sent, and only that.
    let file = lms.write("users.csv", USERS.replace("Paris", "Nantes"));
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.count("updated"), 1, "{}", r.all());
    assert_eq!(fake.write_count(), writes + 1);
    assert!(
        fake.state()
            .users
            .values()
            .any(|u| u.username == "john.doe" && u.extra.get("city").map(String::as_str) == Some("Nantes"))
    );
}

#[test]
fn one_refused_account_fails_its_line_and_the_others_are_created() {
    let (fake, lms) = site();
    // The admin's e-mail is taken: Moodle refuses that account, and only that one.
    let admin_email = fake.state().users.values().find(|u| u.username == "admin").unwrap().email.clone();
    let file = lms.write("users.csv", format!("{USERS}eve;Eve;E;{admin_email};U0004;;\n"));
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.count("created"), 3, "{}", r.all());
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    let tryback = std::fs::read_to_string(r.tryback().expect("a tryback")).unwrap();
    assert!(tryback.contains("eve;"), "{tryback}");
    assert!(!fake.state().users.values().any(|u| u.username == "eve"));
}

#[test]
fn enrolments_go_through_manual_enrolment_with_their_dates_and_a_rerun_sends_no_write() {
    let (fake, lms) = site();
    moodle_courses(&fake, &["TESTCOURSE1", "TESTCOURSE2"]);
    let file = lms.write("users.csv", USERS);
    assert_eq!(lms.exec(&["run", "users", "--file", file.to_str().unwrap()]).code, 0);
    let enrols = "cmd;cid;uid;rolename;enrol;starttime;endtime\n\
        add;TESTCOURSE1;U0001;editingteacher;manual;1767225600;1798761600\n\
        add;TESTCOURSE2;U0001;editingteacher;sync;;\n\
        add;TESTCOURSE1;U0003;student;manual;;\n\
        add;TESTCOURSE1;U0002;student;self;;\n";
    let file = lms.write("enrols.csv", enrols);
    let r = lms.exec(&["run", "enrols", "--file", file.to_str().unwrap()]);
    // The course has no self enrolment instance: in the embedded store that line would give
    // the role alone, which Moodle could never list back; the line fails saying so.
    assert_eq!(r.count("created"), 3, "{}", r.all());
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    let report = std::fs::read_to_string(r.report().unwrap()).unwrap();
    assert!(report.contains("role without an enrolment"), "{report}");
    {
        let st = fake.state();
        let john = st.users.values().find(|u| u.username == "john.doe").unwrap().id;
        let course = st.courses.values().find(|c| c.shortname == "TESTCOURSE1").unwrap().id;
        let e = st.enrolments_in(john, course);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].timestart, e[0].timeend), (1767225600, 1798761600), "dates are sent");
        let ctx = st.course_context(course).unwrap();
        assert!(st.role_assignments.values().any(|a| a.userid == john && a.contextid == ctx && a.roleid == 3));
    }
    assert!(report.contains("manual enrolment instance"), "the sync notice: {report}");

    let writes = fake.write_count();
    let file = lms.write("enrols.csv", enrols);
    let r = lms.exec(&["run", "enrols", "--file", file.to_str().unwrap()]);
    assert_eq!(r.count("unchanged"), 3, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");

    // A del removes the enrolment there.
    let file = lms.write("enrols.csv", "cmd;cid;uid;rolename;enrol\ndel;TESTCOURSE1;U0003;;manual\n");
    let r = lms.exec(&["run", "enrols", "--file", file.to_str().unwrap()]);
    assert_eq!(r.count("deleted"), 1, "{}", r.all());
    let st = fake.state();
    let jack = st.users.values().find(|u| u.username == "jack.duf").unwrap().id;
    let course = st.courses.values().find(|c| c.shortname == "TESTCOURSE1").unwrap().id;
    assert!(!st.is_enrolled(jack, course));
}

#[test]
fn an_unreachable_site_refuses_the_run_and_keeps_the_input() {
    let lms = Lms::new()
        .with("LMSYNC_TARGET__KIND", "moodle")
        .with("LMSYNC_TARGET__URL", "http://127.0.0.1:9")
        .with("LMSYNC_TARGET_TOKEN", "f00dfacecafe0123456789abcdef0123")
        .with("LMSYNC_TARGET__TIMEOUT_SECONDS", "2");
    let file = lms.write("users.csv", USERS);
    let r = lms.exec(&["run", "users", "--file", file.to_str().unwrap()]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("cannot use the Moodle site"), "{}", r.all());
    assert!(file.exists(), "the input stays");
}

#[test]
fn a_dry_run_sends_nothing_and_fails_the_lines_moodle_would_refuse() {
    let (fake, lms) = site();
    moodle_courses(&fake, &["TESTCOURSE1"]);
    let file = lms.write("users.csv", USERS);
    assert_eq!(lms.exec(&["run", "users", "--file", file.to_str().unwrap()]).code, 0);
    let writes = fake.write_count();

    // A new account with a web page (Moodle cannot set it), another without.
    let users = "username;firstname;lastname;email;idnumber;url\n\
        zoe;Zoé;Z;zoe@foo.com;U0010;https://zoe.example.org\n\
        yan;Yan;Y;yan@foo.com;U0011;\n";
    let file = lms.write("users.csv", users);
    let r = lms.exec(&["run", "users", "--dry-run", "--file", file.to_str().unwrap()]);
    assert_eq!(r.count("created"), 1, "{}", r.all());
    assert_eq!(r.count("failed"), 1, "{}", r.all());
    assert!(file.exists(), "a dry run leaves its input");

    // Enrolments through a method Moodle cannot use fail; the others would be made.
    let enrols = "cmd;cid;uid;rolename;enrol\n\
        add;TESTCOURSE1;U0001;student;manual\n\
        del;TESTCOURSE1;U0002;;self\n";
    let file = lms.write("enrols.csv", enrols);
    let r = lms.exec(&["run", "enrols", "--dry-run", "--file", file.to_str().unwrap()]);
    assert_eq!(r.count("created"), 1, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "a dry run writes nothing to the site");
    assert!(!fake.state().users.values().any(|u| u.username == "zoe" || u.username == "yan"));
}
