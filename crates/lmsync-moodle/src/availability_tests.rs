//! Tests of the availability report and of the generated function list.

use super::*;
use crate::functions::function;

fn site(release: &str, functions: &[&str], upload: bool) -> SiteInfo {
    let value = serde_json::json!({
        "release": release,
        "version": "",
        "uploadfiles": if upload { 1 } else { 0 },
        "functions": functions.iter().map(|f| serde_json::json!({"name": f, "version": ""})).collect::<Vec<_>>(),
    });
    SiteInfo::from_json(&value).unwrap()
}

fn all_functions() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|f| f.name).collect()
}

fn of<'a>(report: &'a [ToolAvailability], tool: &str) -> &'a Availability {
    &report.iter().find(|t| t.tool == tool).unwrap().availability
}

#[test]
fn a_complete_service_on_a_recent_site_serves_every_tool_but_the_unsupported_operations() {
    let report = availability(&site("4.5.2", &all_functions(), true));
    assert_eq!(tools().len(), report.len());
    for t in &report {
        match &t.availability {
            Availability::Full => {}
            Availability::Partial(gaps) => {
                assert!(gaps.iter().all(|(_, m)| matches!(m, Missing::Unsupported(_))), "{t:?}")
            }
            Availability::None(_) => panic!("{t:?}"),
        }
    }
    assert_eq!(of(&report, "users"), &Availability::Full);
}

#[test]
fn missing_functions_versions_and_uploads_are_named() {
    let mut functions = all_functions();
    functions.retain(|f| *f != "core_user_delete_users");
    let report = availability(&site("3.11.2", &functions, false));
    assert_eq!(
        of(&report, "users"),
        &Availability::Partial(vec![("delete users", Missing::Functions(vec!["core_user_delete_users"]))])
    );
    assert_eq!(of(&report, "userpictures"), &Availability::None(vec![("set user pictures", Missing::UploadDisabled)]));
    let Availability::Partial(gaps) = of(&report, "courses") else { panic!() };
    assert!(gaps.contains(&("add and remove meta links", Missing::Version { needs: (4, 0) })));
    let text = Missing::Functions(vec!["core_user_delete_users"]).to_string();
    assert!(text.contains("add to the lmsync service: core_user_delete_users"));
}

#[test]
fn alternatives_cover_a_need_and_no_health_check_means_nothing_works() {
    let mut functions = all_functions();
    functions.retain(|f| *f != "core_courseformat_update_course");
    let report = availability(&site("4.5", &functions, true));
    let Availability::Partial(gaps) = of(&report, "courses") else { panic!() };
    assert!(!gaps.iter().any(|(op, _)| op.contains("sections")), "{gaps:?}");

    let report = availability(&site("4.5", &["core_user_create_users"], true));
    assert!(report.iter().all(|t| matches!(t.availability, Availability::None(_))));
}

#[test]
fn the_markdown_lists_every_function_of_the_table() {
    let md = functions_markdown();
    for f in FUNCTIONS {
        assert!(md.contains(&format!("`{}`", f.name)), "{} missing", f.name);
    }
    for op in OPERATIONS {
        assert!(md.contains(op.name), "{} missing", op.name);
    }
}

#[test]
fn every_function_an_operation_needs_is_in_the_table_and_names_are_unique() {
    for op in OPERATIONS {
        for f in op.needs.iter().flat_map(|alts| alts.iter()) {
            assert!(function(f).is_some(), "{f} of {} not in FUNCTIONS", op.name);
        }
    }
    for f in ALWAYS {
        assert!(function(f).is_some());
    }
    let mut names = all_functions();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), FUNCTIONS.len());
}
