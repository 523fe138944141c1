//! The API's entity routes through HTTP: cohorts and their members and bindings, courses created
//! and checked, a course's users, bulk enrolments — each role's access, bad bodies and unknown
//! keys refused with a stable code, the effect in the store, every write a recorded run, and the
//! same request twice changing nothing the second time.

mod common;

use common::api::{Api, serve};
use common::*;
use serde_json::{Value, json};

/// The cohort site (users matched by idnumber: U0001 john.doe, U0002 amelie.dupont, U0003
/// jack.duf…) with cohorts ST "Staff" (john.doe, amelie.dupont), Y1 "Year one" (jack.duf),
/// Y2 "Year two" and "Loose" (no idnumber), served.
fn site() -> (Lms, Api, [String; 3]) {
    let lms = Lms::with_cohort_site();
    let r = lms.cohorts_file(
        "members",
        "c.csv",
        "cname;cidnumber;userid\nStaff;ST;U0001\nStaff;ST;U0002\nYear one;Y1;U0003\nYear two;Y2;\nLoose;;\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    serve(lms)
}

fn post(api: &Api, path: &str, token: &str, body: Value) -> (u16, Value) {
    api.call("POST", path, Some(token), Some(body.to_string().as_bytes()))
}

/// (status, error code) of an answer.
fn refusal(answer: (u16, Value)) -> (u16, String) {
    (answer.0, answer.1["error"]["code"].as_str().unwrap_or_default().to_string())
}

/// `item outcome [code]` of each line of a write's answer.
fn items(run: &Value) -> Vec<String> {
    run["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines: {run}"))
        .iter()
        .map(|l| {
            let code = l["code"].as_str().map(|c| format!(" {c}")).unwrap_or_default();
            format!("{} {}{code}", l["item"], l["outcome"].as_str().unwrap())
        })
        .collect()
}

/// The command files the API wrote and left at the file area's root (trybacks, kept beside
/// their input as for any run, are not).
fn api_files(lms: &Lms) -> Vec<String> {
    list(&lms.files()).into_iter().filter(|n| n.starts_with("api_") && !n.contains("_tryback_")).collect()
}

#[test]
fn cohorts_are_listed_searched_and_paged() {
    let (_lms, api, [viewer, ..]) = site();
    let (status, page) = api.call("GET", "/cohorts", Some(&viewer), None);
    assert_eq!(status, 200, "{page}");
    let names = |page: &Value| -> Vec<String> {
        page["cohorts"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&page), ["Loose", "Staff", "Year one", "Year two"]);
    assert_eq!(
        (page["cohorts"][1]["members"].as_i64(), page["cohorts"][1]["context"].as_str()),
        (Some(2), Some("system"))
    );
    let (_, page) = api.call("GET", "/cohorts?q=YEAR", Some(&viewer), None);
    assert_eq!(names(&page), ["Year one", "Year two"], "searched in names, case-insensitive");
    let (_, page) = api.call("GET", "/cohorts?q=y2", Some(&viewer), None);
    assert_eq!(names(&page), ["Year two"], "and in idnumbers");
    let (_, page) = api.call("GET", "/cohorts?limit=2&offset=1", Some(&viewer), None);
    assert_eq!(names(&page), ["Staff", "Year one"]);
    assert_eq!(refusal(api.call("GET", "/cohorts?limit=many", Some(&viewer), None)), (400, "api.bad_query".into()));
    assert_eq!(refusal(api.call("GET", "/cohorts", None, None)), (401, "auth.missing".into()));

    let (status, page) = api.call("GET", "/cohorts/ST/members?limit=1&offset=1", Some(&viewer), None);
    assert_eq!(status, 200, "{page}");
    assert_eq!((page["cohort"]["members"].as_i64(), page["cohort"]["name"].as_str()), (Some(2), Some("Staff")));
    assert_eq!(page["members"].as_array().unwrap().len(), 1);
    assert_eq!(page["members"][0]["username"], "john.doe", "amelie.dupont comes first by username");
    let (_, by_name) = api.call("GET", "/cohorts/Year%20one/members", Some(&viewer), None);
    assert_eq!(by_name["members"][0]["username"], "jack.duf", "a cohort is also found by its name");
    assert_eq!(
        refusal(api.call("GET", "/cohorts/NOPE/members", Some(&viewer), None)),
        (404, "cohort.not_found".into())
    );
    assert_eq!(refusal(api.call("GET", "/cohorts/ST/members", None, None)), (401, "auth.missing".into()));
}

#[test]
fn members_are_added_and_removed_as_recorded_runs() {
    let (lms, api, [viewer, operator, admin]) = site();
    let body = json!({"add": ["U0003", "U0004", "GHOST"], "remove": ["U0001"]});
    assert_eq!(refusal(post(&api, "/cohorts/ST/members", &viewer, body.clone())), (403, "auth.forbidden".into()));
    assert_eq!(refusal(api.call("POST", "/cohorts/ST/members", None, Some(b"{}"))), (401, "auth.missing".into()));
    assert_eq!(
        lms.cohort_members(),
        ["ST amelie.dupont", "ST john.doe", "Y1 jack.duf"],
        "refused calls change nothing"
    );

    let (status, run) = post(&api, "/cohorts/ST/members", &operator, body.clone());
    assert_eq!(status, 200, "{run}");
    assert_eq!((run["tool"].as_str(), run["operation"].as_str()), (Some("cohorts"), Some("members")));
    // Adding a member updates its cohort.
    assert_eq!(items(&run), ["0 updated", "1 updated", "2 failed cohort.user_not_found", "3 deleted"]);
    assert_eq!((run["counts"]["updated"].as_u64(), run["status"].as_str()), (Some(2), Some("failed")));
    assert_eq!(lms.cohort_members(), ["ST amelie.dupont", "ST ggrass", "ST jack.duf", "Y1 jack.duf"]);
    assert!(lms.journalled(run["id"].as_i64().unwrap()) >= 3, "the changes are journalled");
    let (status, report) = api.call("GET", &format!("/runs/{}/report", run["id"]), Some(&viewer), None);
    assert_eq!((status, report["lines"].as_array().map(Vec::len)), (200, Some(4)), "{report}");

    // The same request again changes nothing; an admin may do what an operator may.
    let before = lms.table_rows(&[("cohort_members", "cohortid, userid")]);
    let (_, again) = post(&api, "/cohorts/ST/members", &admin, body);
    assert_eq!(items(&again), ["0 unchanged", "1 unchanged", "2 failed cohort.user_not_found", "3 unchanged"]);
    assert_eq!(lms.table_rows(&[("cohort_members", "cohortid, userid")]), before);

    // A dry run says what would happen and writes nothing, and no generated file is left over.
    let (_, dry) = post(&api, "/cohorts/Y1/members", &operator, json!({"add": ["U0005"], "dry_run": true}));
    assert_eq!((items(&dry), dry["dry_run"].as_bool()), (vec!["0 updated".to_string()], Some(true)));
    assert_eq!(lms.table_rows(&[("cohort_members", "cohortid, userid")]), before);
    assert!(api_files(&lms).is_empty(), "{:?}", api_files(&lms));

    for (body, code) in [
        (json!({}), "members.empty"),
        (json!({"remove": [" "]}), "members.blank_user"),
        (json!({"add": ["U0005\nU0001"]}), "api.bad_value"),
        (json!({"add": "U0005"}), "api.bad_body"),
        (json!({"add": ["U0005"], "purge": true}), "api.bad_body"),
    ] {
        assert_eq!(refusal(post(&api, "/cohorts/ST/members", &operator, body.clone())), (400, code.into()), "{body}");
    }
    assert_eq!(
        refusal(post(&api, "/cohorts/NOPE/members", &operator, json!({"add": ["U0005"]}))),
        (404, "cohort.not_found".into())
    );
    assert_eq!(lms.table_rows(&[("cohort_members", "cohortid, userid")]), before, "no refused body wrote anything");
}

#[test]
fn bindings_are_made_suspended_restored_and_removed() {
    let (lms, api, [viewer, operator, _]) = site();
    let bind = json!({"bind": [{"course": "TESTCOURSE1"}, {"course": "TESTCOURSE2", "role": "teacher", "group": true}, {"course": "NOCOURSE"}]});
    assert_eq!(refusal(post(&api, "/cohorts/ST/bindings", &viewer, bind.clone())), (403, "auth.forbidden".into()));
    let (status, run) = post(&api, "/cohorts/ST/bindings", &operator, bind.clone());
    assert_eq!(status, 200, "{run}");
    assert_eq!(items(&run)[..2], ["0 created", "1 created"]);
    assert!(items(&run)[2].starts_with("2 failed"), "{run}");
    let enrolled =
        |lms: &Lms| -> Vec<String> { lms.enrolments().into_iter().filter(|e| e.contains(" cohort ")).collect() };
    assert_eq!(
        enrolled(&lms),
        [
            "TESTCOURSE1 amelie.dupont cohort active student",
            "TESTCOURSE1 john.doe cohort active student",
            "TESTCOURSE2 amelie.dupont cohort active teacher",
            "TESTCOURSE2 john.doe cohort active teacher",
        ]
    );
    let in_group = lms.memberships().into_iter().filter(|m| m.starts_with("TESTCOURSE2 Staff ")).count();
    assert_eq!(in_group, 2, "with group, the members join a group named after the cohort: {:?}", lms.memberships());

    let before = lms.enrol_state();
    let (_, again) = post(&api, "/cohorts/ST/bindings", &operator, bind);
    assert_eq!(items(&again)[..2], ["0 unchanged", "1 unchanged"]);
    assert_eq!(lms.enrol_state(), before, "the same bindings again change nothing");

    let (_, run) = post(&api, "/cohorts/ST/bindings", &operator, json!({"suspend": [{"course": "TESTCOURSE1"}]}));
    assert_eq!(items(&run), ["0 updated"], "{run}");
    assert_eq!(
        enrolled(&lms)[..2],
        ["TESTCOURSE1 amelie.dupont cohort disabled", "TESTCOURSE1 john.doe cohort disabled"],
        "enrolments inactive, roles withdrawn"
    );
    let (_, run) = post(
        &api,
        "/cohorts/ST/bindings",
        &operator,
        json!({"restore": [{"course": "TESTCOURSE1", "role": "student"}]}),
    );
    assert_eq!(items(&run), ["0 updated"], "{run}");
    let (_, run) = post(&api, "/cohorts/ST/bindings", &operator, json!({"unbind": [{"course": "TESTCOURSE2"}]}));
    assert_eq!(items(&run), ["0 deleted"], "{run}");
    assert_eq!(
        enrolled(&lms),
        ["TESTCOURSE1 amelie.dupont cohort active student", "TESTCOURSE1 john.doe cohort active student"]
    );
    let (_, run) = post(&api, "/cohorts/ST/bindings", &operator, json!({"unbind": [{"course": "TESTCOURSE2"}]}));
    assert_eq!(items(&run), ["0 skipped"], "a binding already gone is skipped");

    // The course's users, through the same data as the console's browser.
    let (status, page) = api.call("GET", "/courses/TESTCOURSE1/users?role=student&limit=1", Some(&viewer), None);
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (page["users"][0]["username"].as_str(), page["users"].as_array().map(Vec::len)),
        (Some("amelie.dupont"), Some(1))
    );
    let (_, page) = api.call("GET", "/courses/TESTCOURSE1/users?role=editingteacher", Some(&viewer), None);
    assert!(page["users"].as_array().unwrap().is_empty(), "{page}");
    assert_eq!(refusal(api.call("GET", "/courses/NOPE/users", Some(&viewer), None)), (404, "course.not_found".into()));
    assert_eq!(refusal(api.call("GET", "/courses/TESTCOURSE1/users", None, None)), (401, "auth.missing".into()));

    for (body, code) in [
        (json!({}), "bindings.empty"),
        (json!({"bind": [{"course": ""}]}), "bindings.blank_course"),
        (json!({"unbind": [{"course": "TESTCOURSE1", "start": "2026-01-01"}]}), "api.bad_body"),
        (json!({"bind": [{"role": "student"}]}), "api.bad_body"),
    ] {
        assert_eq!(refusal(post(&api, "/cohorts/ST/bindings", &operator, body.clone())), (400, code.into()), "{body}");
    }
    assert_eq!(
        refusal(post(&api, "/cohorts/NOPE/bindings", &operator, json!({"bind": [{"course": "TESTCOURSE1"}]}))),
        (404, "cohort.not_found".into())
    );
    // The bindings file names cohorts by idnumber here: one without cannot be bound.
    assert_eq!(
        refusal(post(&api, "/cohorts/Loose/bindings", &operator, json!({"bind": [{"course": "TESTCOURSE1"}]}))),
        (409, "cohort.no_identifier".into())
    );
    assert!(api_files(&lms).is_empty());
}

#[test]
fn courses_are_created_from_a_template_and_checked() {
    let (lms, api, [viewer, operator, _]) = site();
    let body = json!({"shortname": "NEW1", "fullname": "New course", "category": "Miscellaneous/Tests", "template": "TESTCOURSE2"});
    assert_eq!(refusal(post(&api, "/courses", &viewer, body.clone())), (403, "auth.forbidden".into()));
    let (status, run) = post(&api, "/courses", &operator, body.clone());
    assert_eq!(status, 200, "{run}");
    assert_eq!(items(&run), ["0 created"], "{run}");
    assert_eq!(
        (run["course"]["shortname"].as_str(), run["course"]["format"].as_str()),
        (Some("NEW1"), Some("weeks")),
        "the template's format"
    );
    let before = lms.course_state();
    let (_, again) = post(&api, "/courses", &operator, body);
    assert_eq!(items(&again), ["0 unchanged"], "{again}");
    assert_eq!(lms.course_state(), before);

    let (_, dry) = post(
        &api,
        "/courses",
        &operator,
        json!({"shortname": "NEW2", "fullname": "Two", "visible": false, "dry_run": true}),
    );
    assert_eq!((items(&dry), dry["course"].clone()), (vec!["0 created".to_string()], Value::Null), "{dry}");
    assert_eq!(lms.course_state(), before, "a dry run creates nothing");
    for (body, code) in [
        (json!({"shortname": "NEW3"}), "course.missing_field"),
        (json!({"shortname": "NEW3", "fullname": "Three", "topic1": {"name": "x"}}), "course.bad_value"),
        (json!({"shortname": "NEW3", "fullname": "Three", "colour": "red"}), "lines.refused"),
        (json!(["NEW3"]), "api.bad_body"),
    ] {
        assert_eq!(refusal(post(&api, "/courses", &operator, body.clone())), (400, code.into()), "{body}");
    }
    assert_eq!(lms.course_state(), before, "refused courses are not created");

    assert_eq!(refusal(api.call("POST", "/courses/NEW1/check", Some(&viewer), None)), (403, "auth.forbidden".into()));
    let (status, check) = api.call("POST", "/courses/NEW1/check", Some(&operator), None);
    assert_eq!(status, 200, "{check}");
    assert_eq!((check["exists"].as_bool(), items(&check)), (Some(true), vec!["0 unchanged".to_string()]));
    let (_, check) = api.call("POST", "/courses/NOPE/check", Some(&operator), None);
    assert_eq!(
        (check["exists"].as_bool(), items(&check)),
        (Some(false), vec!["0 failed course.not_found".to_string()])
    );
    assert_eq!(lms.course_state(), before, "checks change nothing");
    assert!(api_files(&lms).is_empty(), "checks keep their list, but the API's is removed: {:?}", api_files(&lms));
}

#[test]
fn enrolments_and_roles_are_changed_in_bulk() {
    let (lms, api, [viewer, operator, _]) = site();
    let body = json!({"lines": [
        {"action": "add", "user": "U0001", "course": "TESTCOURSE3", "role": "student", "method": "manual", "start": "2026-09-01", "group_action": "gaddcreate", "groups": ["G1"]},
        {"action": "add", "user": "U0002", "course": "TESTCOURSE3", "role": "student", "method": "manual"},
        {"action": "add", "user": "GHOST", "course": "TESTCOURSE3", "role": "student", "method": "manual"},
    ]});
    assert_eq!(refusal(post(&api, "/enrolments", &viewer, body.clone())), (403, "auth.forbidden".into()));
    let (status, run) = post(&api, "/enrolments", &operator, body.clone());
    assert_eq!(status, 200, "{run}");
    assert_eq!(items(&run), ["0 created", "1 created", "2 failed enrol.user_not_found"]);
    let manual =
        |lms: &Lms| -> Vec<String> { lms.enrolments().into_iter().filter(|e| e.starts_with("TESTCOURSE3")).collect() };
    assert_eq!(
        manual(&lms),
        ["TESTCOURSE3 amelie.dupont manual active student", "TESTCOURSE3 john.doe manual active student"]
    );
    assert!(lms.memberships().iter().any(|m| m.starts_with("TESTCOURSE3 G1 john.doe")), "{:?}", lms.memberships());
    let before = lms.enrol_state();
    let (_, again) = post(&api, "/enrolments", &operator, body);
    assert_eq!(items(&again), ["0 unchanged", "1 unchanged", "2 failed enrol.user_not_found"]);
    assert_eq!(lms.enrol_state(), before, "the same enrolments again change nothing");

    // Roles only: a role given and taken without touching the enrolment.
    let teacher = json!({"roles_only": true, "lines": [{"action": "add", "user": "U0002", "course": "TESTCOURSE3", "role": "teacher"}]});
    let (_, run) = post(&api, "/enrolments", &operator, teacher);
    assert_eq!(items(&run), ["0 created"], "{run}");
    assert!(lms.role_rows().contains(&"TESTCOURSE3 amelie.dupont teacher".to_string()), "{:?}", lms.role_rows());
    let (_, run) = post(
        &api,
        "/enrolments",
        &operator,
        json!({"roles_only": true, "lines": [{"action": "del", "user": "U0002", "course": "TESTCOURSE3", "role": "teacher"}]}),
    );
    assert_eq!(items(&run), ["0 deleted"], "{run}");
    assert_eq!(
        manual(&lms),
        ["TESTCOURSE3 amelie.dupont manual active student", "TESTCOURSE3 john.doe manual active student"]
    );

    // Unenrolled: the enrolment goes with its last role.
    let (_, run) = post(
        &api,
        "/enrolments",
        &operator,
        json!({"lines": [{"action": "del", "user": "U0002", "course": "TESTCOURSE3", "role": "student", "method": "manual"}]}),
    );
    assert_eq!(items(&run), ["0 deleted"], "{run}");
    assert_eq!(manual(&lms), ["TESTCOURSE3 john.doe manual active student"]);

    let state = lms.enrol_state();
    for (body, code) in [
        (json!({"lines": []}), "enrolments.empty"),
        (json!({"lines": [{"action": "enrol", "user": "U0003", "course": "TESTCOURSE3"}]}), "enrolments.bad_action"),
        (json!({"lines": [{"action": "add", "user": "U0003", "course": " "}]}), "enrolments.missing_course"),
        (
            json!({"lines": [{"action": "add", "user": "U0003", "course": "TESTCOURSE3", "groups": ["G1"]}]}),
            "enrolments.bad_groups",
        ),
        (
            json!({"roles_only": true, "lines": [{"action": "add", "user": "U0003", "course": "TESTCOURSE3", "method": "manual"}]}),
            "enrolments.method_roles_only",
        ),
        (json!({"lines": [{"action": "add", "course": "TESTCOURSE3"}]}), "api.bad_body"),
    ] {
        assert_eq!(refusal(post(&api, "/enrolments", &operator, body.clone())), (400, code.into()), "{body}");
    }
    assert_eq!(lms.enrol_state(), state, "refused bodies change nothing");
    assert!(api_files(&lms).is_empty());
}
