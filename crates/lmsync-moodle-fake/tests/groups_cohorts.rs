//! Groups, groupings and cohorts against the fake: duplicate names, enrolled-only members,
//! cohort warning codes, cohort-sync enrolments, the 4.2 gate on group keys.

mod common;

use common::{call, code, debuginfo, fake, user};
use lmsync_moodle_fake::state::EnrolInstance;
use lmsync_moodle_fake::{Config, FakeMoodle};

fn course(f: &FakeMoodle) -> String {
    let v = call(
        f,
        "core_course_create_courses",
        &[("courses[0][fullname]", "G"), ("courses[0][shortname]", "G"), ("courses[0][categoryid]", "1")],
    );
    v[0]["id"].to_string()
}

fn group(f: &FakeMoodle, c: &str, name: &str) -> serde_json::Value {
    call(
        f,
        "core_group_create_groups",
        &[("groups[0][courseid]", c), ("groups[0][name]", name), ("groups[0][description]", "")],
    )
}

#[test]
fn group_names_are_unique_and_members_must_be_enrolled() {
    let f = fake();
    let c = course(&f);
    let g = group(&f, &c, "G1")[0]["id"].to_string();
    assert_eq!(debuginfo(&group(&f, &c, "G1")), "Group with the same name already exists in the course");
    let u = user(&f, "m").to_string();
    let add = [("members[0][groupid]", g.as_str()), ("members[0][userid]", u.as_str())];
    assert_eq!(
        debuginfo(&call(&f, "core_group_add_group_members", &add)),
        "Only enrolled users may be members of groups"
    );
    call(
        &f,
        "enrol_manual_enrol_users",
        &[("enrolments[0][roleid]", "5"), ("enrolments[0][userid]", &u), ("enrolments[0][courseid]", &c)],
    );
    assert!(call(&f, "core_group_add_group_members", &add).is_null());
    assert!(call(&f, "core_group_add_group_members", &add).is_null(), "idempotent");
    let v = call(&f, "core_group_get_group_members", &[("groupids[0]", &g)]);
    assert_eq!(v[0]["userids"], serde_json::json!([u.parse::<i64>().unwrap()]));
    let v = call(&f, "core_group_get_group_members", &[("groupids[0]", "999")]);
    assert_eq!(code(&v), "invalidrecord");
    let gg = call(
        &f,
        "core_group_create_groupings",
        &[("groupings[0][courseid]", &c), ("groupings[0][name]", "GG"), ("groupings[0][description]", "")],
    )[0]["id"]
        .to_string();
    call(&f, "core_group_assign_grouping", &[("assignments[0][groupingid]", &gg), ("assignments[0][groupid]", &g)]);
    let v = call(&f, "core_group_get_groupings", &[("groupingids[0]", &gg), ("returngroups", "1")]);
    assert_eq!(v[0]["groups"][0]["name"], "G1");
    call(&f, "enrol_manual_unenrol_users", &[("enrolments[0][userid]", &u), ("enrolments[0][courseid]", &c)]);
    assert!(f.state().group_members.is_empty(), "membership removed with the last enrolment");
}

#[test]
fn group_visibility_keys_exist_from_4_2_only() {
    let f = FakeMoodle::start(Config::default().with_release(4, 1)).unwrap();
    let c = course(&f);
    let v = call(
        &f,
        "core_group_create_groups",
        &[
            ("groups[0][courseid]", &c),
            ("groups[0][name]", "x"),
            ("groups[0][description]", ""),
            ("groups[0][visibility]", "0"),
        ],
    );
    assert_eq!(
        debuginfo(&v),
        "groups => Invalid parameter value detected: Unexpected keys (visibility) detected in parameter array."
    );
}

#[test]
fn cohort_members_warn_per_item_and_sync_enrolments() {
    let f = fake();
    let v = call(
        &f,
        "core_cohort_create_cohorts",
        &[
            ("cohorts[0][categorytype][type]", "system"),
            ("cohorts[0][categorytype][value]", ""),
            ("cohorts[0][name]", "C"),
            ("cohorts[0][idnumber]", "c1"),
        ],
    );
    let cohort = v[0]["id"].as_i64().unwrap();
    let v = call(
        &f,
        "core_cohort_create_cohorts",
        &[
            ("cohorts[0][categorytype][type]", "system"),
            ("cohorts[0][categorytype][value]", ""),
            ("cohorts[0][name]", "D"),
            ("cohorts[0][idnumber]", "c1"),
        ],
    );
    assert_eq!(debuginfo(&v), "record already exists: idnumber=c1");
    let c: i64 = course(&f).parse().unwrap();
    {
        let mut st = f.state();
        let id = st.add_instance(c, "cohort", cohort, 5);
        assert_eq!(
            st.enrol_instances[&id],
            EnrolInstance { id, courseid: c, plugin: "cohort".into(), status: 0, customint1: cohort, roleid: 5 }
        );
    }
    user(&f, "cm");
    let member = |u: &str| {
        call(
            &f,
            "core_cohort_add_cohort_members",
            &[
                ("members[0][cohorttype][type]", "idnumber"),
                ("members[0][cohorttype][value]", "c1"),
                ("members[0][usertype][type]", "username"),
                ("members[0][usertype][value]", u),
            ],
        )
    };
    assert_eq!(member("cm")["warnings"], serde_json::json!([]));
    assert_eq!(member("cm")["warnings"][0]["warningcode"], "3");
    assert_eq!(member("nobody")["warnings"][0]["warningcode"], "2");
    let v = call(&f, "core_enrol_get_enrolled_users", &[("courseid", &c.to_string())]);
    assert_eq!(v[0]["username"], "cm");
    call(&f, "core_cohort_delete_cohorts", &[("cohortids[0]", &cohort.to_string())]);
    assert!(f.state().user_enrolments.is_empty());
}

#[test]
fn meta_links_derive_enrolments_and_are_idempotent() {
    let f = fake();
    let mk = |short: &str| {
        call(
            &f,
            "core_course_create_courses",
            &[("courses[0][fullname]", short), ("courses[0][shortname]", short), ("courses[0][categoryid]", "1")],
        )[0]["id"]
            .to_string()
    };
    let (meta, child) = (mk("META"), mk("CHILD"));
    let u = user(&f, "mu").to_string();
    call(
        &f,
        "enrol_manual_enrol_users",
        &[("enrolments[0][roleid]", "5"), ("enrolments[0][userid]", &u), ("enrolments[0][courseid]", &child)],
    );
    let link = [("instances[0][metacourseid]", meta.as_str()), ("instances[0][courseid]", child.as_str())];
    assert_eq!(call(&f, "enrol_meta_add_instances", &link)[0]["status"], true);
    assert_eq!(call(&f, "enrol_meta_add_instances", &link)[0]["status"], false);
    let v = call(&f, "core_enrol_get_enrolled_users", &[("courseid", &meta)]);
    assert_eq!(v[0]["roles"][0]["shortname"], "student");
    call(&f, "enrol_manual_unenrol_users", &[("enrolments[0][userid]", &u), ("enrolments[0][courseid]", &child)]);
    assert_eq!(call(&f, "core_enrol_get_enrolled_users", &[("courseid", &meta)]), serde_json::json!([]));
    assert_eq!(call(&f, "enrol_meta_delete_instances", &link)[0]["status"], true);
    assert_eq!(call(&f, "enrol_meta_delete_instances", &link)[0]["status"], false);
}
