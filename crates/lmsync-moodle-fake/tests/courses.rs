//! Categories, courses, enrolments and roles against the fake: uniqueness errors,
//! atomic vs per-item batches, default manual instance, last-unenrol cleanup.

mod common;

use common::{call, code, debuginfo, fake, user};
use lmsync_moodle_fake::FakeMoodle;

fn course(f: &FakeMoodle, shortname: &str) -> i64 {
    let v = call(
        f,
        "core_course_create_courses",
        &[
            ("courses[0][fullname]", "Maths & Co"),
            ("courses[0][shortname]", shortname),
            ("courses[0][categoryid]", "1"),
        ],
    );
    v[0]["id"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

#[test]
fn categories_tree_and_idnumber_rules() {
    let f = fake();
    let v = call(
        &f,
        "core_course_create_categories",
        &[("categories[0][name]", "A & B"), ("categories[0][idnumber]", "a")],
    );
    let a = v[0]["id"].as_i64().unwrap().to_string();
    let v =
        call(&f, "core_course_create_categories", &[("categories[0][name]", "Child"), ("categories[0][parent]", &a)]);
    let child = v[0]["id"].as_i64().unwrap();
    let v =
        call(&f, "core_course_create_categories", &[("categories[0][name]", "X"), ("categories[0][idnumber]", "a")]);
    assert_eq!(code(&v), "categoryidnumbertaken");
    let v = call(&f, "core_course_create_categories", &[("categories[0][name]", "X"), ("categories[0][parent]", "99")]);
    assert_eq!(code(&v), "unknowcategory");
    let v = call(&f, "core_course_get_categories", &[("criteria[0][key]", "id"), ("criteria[0][value]", &a)]);
    assert_eq!(v.as_array().unwrap().len(), 2, "with descendants");
    assert_eq!(v[0]["name"], "A &amp; B");
    assert_eq!(v[1]["path"], format!("/{a}/{child}"));
    let v = call(
        &f,
        "core_course_get_categories",
        &[
            ("criteria[0][key]", "id"),
            ("criteria[0][value]", &a),
            ("addsubcategories", "0"),
            ("moodlewssettingraw", "1"),
        ],
    );
    assert_eq!(v[0]["name"], "A & B");
    let v = call(
        &f,
        "core_course_update_categories",
        &[("categories[0][id]", &a), ("categories[0][parent]", &child.to_string())],
    );
    assert_eq!(code(&v), "movecategoryparentconflict");
    let v = call(&f, "core_course_delete_categories", &[("categories[0][id]", &a)]);
    assert_eq!(code(&v), "movecatcontentstoroot");
}

#[test]
fn courses_unique_keys_and_default_manual_instance() {
    let f = fake();
    let id = course(&f, "M1");
    let v = call(&f, "core_course_get_courses_by_field", &[("field", "shortname"), ("value", "M1")]);
    assert_eq!(v["courses"][0]["id"], id);
    assert_eq!(v["courses"][0]["enrollmentmethods"], serde_json::json!(["manual"]));
    let v = call(
        &f,
        "core_course_create_courses",
        &[("courses[0][fullname]", "x"), ("courses[0][shortname]", "M1"), ("courses[0][categoryid]", "1")],
    );
    assert_eq!(
        (code(&v), v["message"].as_str().unwrap()),
        ("shortnametaken", "Short name is already used for another course (M1)")
    );
    let v = call(
        &f,
        "core_course_create_courses",
        &[("courses[0][fullname]", "<b>x</b>"), ("courses[0][shortname]", "M2"), ("courses[0][categoryid]", "1")],
    );
    assert_eq!(code(&v), "invalidparameter");
    let v = call(&f, "core_course_get_contents", &[("courseid", &id.to_string())]);
    assert_eq!(v.as_array().unwrap().len(), 5, "sections 0..=4");
}

#[test]
fn update_and_delete_courses_are_per_item() {
    let f = fake();
    let a = course(&f, "A").to_string();
    let b = course(&f, "B").to_string();
    let v = call(
        &f,
        "core_course_update_courses",
        &[
            ("courses[0][id]", &a),
            ("courses[0][shortname]", "B"),
            ("courses[1][id]", &b),
            ("courses[1][fullname]", "New"),
        ],
    );
    assert_eq!(v["warnings"][0]["warningcode"], "shortnametaken");
    assert_eq!(f.state().courses[&b.parse().unwrap()].fullname, "New");
    let v = call(&f, "core_course_delete_courses", &[("courseids[0]", "999"), ("courseids[1]", &a)]);
    assert_eq!(v["warnings"][0]["warningcode"], "unknowncourseidnumber");
    assert!(!f.state().courses.contains_key(&a.parse().unwrap()));
}

#[test]
fn enrol_assign_and_unenrol_cleanup() {
    let f = fake();
    let c = course(&f, "E").to_string();
    let u = user(&f, "stud").to_string();
    let enrol = [
        ("enrolments[0][roleid]", "5"),
        ("enrolments[0][userid]", u.as_str()),
        ("enrolments[0][courseid]", c.as_str()),
    ];
    assert!(call(&f, "enrol_manual_enrol_users", &enrol).is_null());
    let v = call(
        &f,
        "core_enrol_get_enrolled_users",
        &[("courseid", &c), ("options[0][name]", "userfields"), ("options[0][value]", "roles,username")],
    );
    assert_eq!(v[0]["roles"][0]["shortname"], "student");
    let v = call(
        &f,
        "core_role_assign_roles",
        &[
            ("assignments[0][roleid]", "4"),
            ("assignments[0][userid]", &u),
            ("assignments[0][contextlevel]", "course"),
            ("assignments[0][instanceid]", &c),
        ],
    );
    assert!(v.is_null(), "{v}");
    let v = call(
        &f,
        "core_role_assign_roles",
        &[
            ("assignments[0][roleid]", "5"),
            ("assignments[0][userid]", &u),
            ("assignments[0][contextlevel]", "coursecat"),
            ("assignments[0][instanceid]", "1"),
        ],
    );
    assert!(debuginfo(&v).starts_with("Can not assign roleid=5 in contextid="));
    let v = call(
        &f,
        "enrol_manual_enrol_users",
        &[("enrolments[0][roleid]", "5"), ("enrolments[0][userid]", &u), ("enrolments[0][courseid]", "999")],
    );
    assert_eq!(debuginfo(&v), "Context does not exist");
    call(&f, "enrol_manual_unenrol_users", &[("enrolments[0][userid]", &u), ("enrolments[0][courseid]", &c)]);
    let st = f.state();
    assert!(st.user_enrolments.is_empty());
    assert!(st.role_assignments.is_empty(), "course roles removed with the last enrolment");
}

#[test]
fn enrol_without_manual_instance_fails_whole_call() {
    let f = fake();
    let c = course(&f, "N");
    let u = user(&f, "s1").to_string();
    f.state()
        .enrol_instances
        .values_mut()
        .filter(|i| i.courseid == c && i.plugin == "manual")
        .for_each(|i| i.status = 1);
    let c = c.to_string();
    let v = call(
        &f,
        "enrol_manual_enrol_users",
        &[("enrolments[0][roleid]", "5"), ("enrolments[0][userid]", &u), ("enrolments[0][courseid]", &c)],
    );
    assert_eq!(code(&v), "wsnoinstance");
}

#[test]
fn duplicate_and_import_copy_sections() {
    let f = fake();
    let t = course(&f, "T");
    f.state().courses.get_mut(&t).unwrap().sections[1].name = "Intro".into();
    let t = t.to_string();
    let v = call(
        &f,
        "core_course_duplicate_course",
        &[
            ("courseid", &t),
            ("fullname", "Copy"),
            ("shortname", "C"),
            ("categoryid", "1"),
            ("options[0][name]", "users"),
            ("options[0][value]", "0"),
        ],
    );
    let copy = v["id"].as_i64().unwrap();
    assert_eq!(f.state().courses[&copy].sections[1].name, "Intro");
    let v = call(
        &f,
        "core_course_duplicate_course",
        &[("courseid", &t), ("fullname", "x"), ("shortname", "C"), ("categoryid", "1")],
    );
    assert_eq!(code(&v), "shortnametaken");
    let target = course(&f, "TG");
    let v = call(
        &f,
        "core_course_import_course",
        &[("importfrom", &t), ("importto", &target.to_string()), ("deletecontent", "2")],
    );
    assert_eq!(code(&v), "invalidextparam");
    call(&f, "core_course_import_course", &[("importfrom", &t), ("importto", &target.to_string())]);
    assert_eq!(f.state().courses[&target].sections[1].name, "Intro");
}
