//! Tests of the classification of Moodle's exceptions and of the administrator messages.

use super::*;

fn ex(class: &str, code: Option<&str>, message: &str, debug: Option<&str>) -> Exception {
    Exception {
        exception: class.into(),
        errorcode: code.map(Into::into),
        message: message.into(),
        debuginfo: debug.map(Into::into),
    }
}

fn access(debug: &str) -> Exception {
    ex("webservice_access_exception", Some("accessexception"), "Access control exception", Some(debug))
}

#[test]
fn access_problems_are_told_apart_and_say_what_to_do() {
    let f = "core_cohort_create_cohorts";
    let cases = [
        (
            access("Invalid token - token expired - check validuntil time for the token"),
            AccessProblem::TokenExpired,
            "new token",
        ),
        (
            access("Invalid service - IP:10.0.0.1 is not supported - check this allowed user"),
            AccessProblem::IpRestricted,
            "ip restriction",
        ),
        (
            access("You are not allowed to use the rest protocol (missing capability: webservice/rest:use)"),
            AccessProblem::RestCapabilityMissing,
            "webservice/rest:use",
        ),
        (
            access(
                "Access to the function core_cohort_create_cohorts() is not allowed. There could be multiple reasons",
            ),
            AccessProblem::FunctionNotInService,
            "add core_cohort_create_cohorts to the lmsync service",
        ),
        (
            ex(
                "dml_missing_record_exception",
                Some("invalidrecord"),
                "Can't find data record in database table external_functions.",
                None,
            ),
            AccessProblem::FunctionUnknown,
            "no function",
        ),
        (
            ex("moodle_exception", Some("wsaccessusersuspended"), "suspended", None),
            AccessProblem::TokenUserUnusable,
            "not suspended",
        ),
        (
            access("Web service file upload must be enabled in external service settings"),
            AccessProblem::UploadDisabled,
            "can upload files",
        ),
    ];
    for (e, problem, advice) in cases {
        let err = classify(f, e);
        assert!(matches!(&err, WsError::Access { problem: p, .. } if *p == problem), "{err:?}");
        assert!(err.stops_run());
        assert!(err.to_string().contains(advice), "{err}");
    }
}

#[test]
fn invalid_parameter_without_debuginfo_asks_for_the_debug_level() {
    let err = classify(
        "f",
        ex("invalid_parameter_exception", Some("invalidparameter"), "Invalid parameter value detected", None),
    );
    assert!(err.debuginfo_hidden());
    assert!(err.to_string().contains("debug messages to NORMAL"), "{err}");
}

#[test]
fn business_rule_failures_are_item_level_with_advice() {
    for code in
        ["shortnametaken", "nopermissions", "wsnoinstance", "invalidrecord", "Password must have at least 1 digit(s)"]
    {
        let err = classify("f", ex("moodle_exception", Some(code), "m", None));
        assert!(err.is_item_level() && !err.stops_run(), "{code}: {err:?}");
    }
    let err = classify("f", ex("required_capability_exception", Some("nopermissions"), "Sorry (Enrol users)", None));
    assert!(err.to_string().contains("grant that capability"), "{err}");
}

#[test]
fn maintenance_is_unavailable_and_coding_errors_are_permanent() {
    let err = classify("f", ex("moodle_exception", Some("sitemaintenance"), "Site is being upgraded", None));
    assert!(err.is_unavailable());
    let err = classify("f", ex("coding_exception", Some("codingerror"), "bug", None));
    assert!(matches!(err, WsError::Permanent { .. }) && err.stops_run());
    let err = classify("f", ex("invalid_response_exception", Some("invalidresponse"), "bad", None));
    assert!(matches!(err, WsError::Permanent { .. }));
    let err = classify("f", ex("Error", None, "PHP error", None));
    assert!(matches!(err, WsError::Permanent { .. }));
}

#[test]
fn an_access_refusal_without_reason_lists_what_to_check() {
    let e = ex("webservice_access_exception", Some("accessexception"), "Access control exception", None);
    let err = classify("core_user_create_users", e);
    assert!(matches!(&err, WsError::Access { problem: AccessProblem::Other, .. }));
    let text = err.to_string();
    assert!(text.contains("core_user_create_users is in the lmsync service") && text.contains("NORMAL"), "{text}");
}
