//! The JSON API of `lmsync serve` through HTTP: tokens and roles on every route, uploads, runs
//! started and followed, reports and trybacks, errors with stable codes.

mod common;

use common::api::{Api, setup, token};
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn every_route_checks_the_token_and_its_role() {
    let (_lms, api, [viewer, operator, admin]) = setup();
    for (method, route, needed) in lmsync_web::ROUTES {
        let path = route.trim_start_matches("/api/v1").replace("{id}", "999").replace("{name}", "probe.csv");
        let path = path.replace("{cohort}", "probe").replace("{course}", "probe");
        let body: Option<&[u8]> = if *method == "GET" { None } else { Some(b"{}") };
        let (status, err) = api.call(method, &path, None, body);
        assert_eq!((status, err["error"]["code"].as_str()), (401, Some("auth.missing")), "{method} {route}");
        let (status, err) = api.call(method, &path, Some("lms_forged"), body);
        assert_eq!((status, err["error"]["code"].as_str()), (401, Some("auth.invalid")), "{method} {route}");
        for (token, role) in [(&viewer, "viewer"), (&operator, "operator"), (&admin, "admin")] {
            let (status, err) = api.call(method, &path, Some(token), body);
            let allowed = lmsync_core::access::Role::parse(role).unwrap().allows(*needed);
            if allowed {
                assert_ne!(status, 403, "{role} may {method} {route}: {err}");
                assert!(status != 401, "{method} {route}");
            } else {
                assert_eq!(
                    (status, err["error"]["code"].as_str()),
                    (403, Some("auth.forbidden")),
                    "{role} {method} {route}"
                );
            }
        }
    }
    let (status, doc) = api.call("GET", "/openapi.json", None, None);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
}

#[test]
fn a_file_is_uploaded_run_followed_and_its_report_and_tryback_fetched() {
    let (lms, api, [viewer, operator, _]) = setup();
    let file = b"username;firstname;lastname;email\nann;Ann;A;ann@example.org\nbad;B;B;not-an-email\n";
    let (status, up) = api.call("PUT", "/files/api-users.csv", Some(&operator), Some(file));
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["bytes"], file.len());
    let (status, run) = api.call("POST", "/runs", Some(&operator), Some(br#"{"tool":"users","file":"api-users.csv"}"#));
    assert_eq!(status, 200, "{run}");
    let id = run["id"].as_i64().unwrap();
    assert!(run["trigger"].as_str().unwrap().starts_with("api"), "{run}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let finished = loop {
        let (_, r) = api.call("GET", &format!("/runs/{id}"), Some(&viewer), None);
        if r["status"] != "running" {
            break r;
        }
        assert!(Instant::now() < deadline, "the run did not finish");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(finished["status"], "failed", "{finished}");
    assert_eq!((finished["counts"]["created"].as_u64(), finished["counts"]["failed"].as_u64()), (Some(1), Some(1)));
    let (status, report) = api.call("GET", &format!("/runs/{id}/report"), Some(&viewer), None);
    assert_eq!(status, 200);
    assert_eq!(report["lines"][1]["code"], "user.invalid_email", "{report}");
    let (status, tryback) = api.call("GET", &format!("/runs/{id}/tryback"), Some(&viewer), None);
    assert_eq!(status, 200);
    assert_eq!(tryback.as_str().unwrap(), "username;firstname;lastname;email\nbad;B;B;not-an-email\n");
    assert!(lms.users().contains_key("ann"));
    let (_, list) = api.call("GET", "/runs?limit=5", Some(&viewer), None);
    assert_eq!(list[0]["id"], id);
    let (_, status_doc) = api.call("GET", "/status", Some(&viewer), None);
    assert!(status_doc["tasks"].as_array().unwrap().iter().any(|t| t["task"] == "cohorts"), "{status_doc}");

    // With wait, the answer is the finished run.
    api.call("PUT", "/files/api-users.csv", Some(&operator), Some(file));
    let (status, done) = api.call(
        "POST",
        "/runs",
        Some(&operator),
        Some(br#"{"tool":"users","file":"api-users.csv","dry_run":true,"wait":true}"#),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!((done["status"].as_str(), done["dry_run"].as_bool()), (Some("failed"), Some(true)), "{done}");
    assert_eq!(done["counts"]["unchanged"], 1, "{done}");
}

/// Method, path, body, expected status and error code.
type Case = (&'static str, &'static str, Option<&'static [u8]>, u16, &'static str);

#[test]
fn bad_requests_get_a_stable_code() {
    let (_lms, api, [viewer, operator, _]) = setup();
    let cases: [Case; 7] = [
        ("POST", "/runs", Some(br#"{"tool":"grades"}"#), 400, "run.bad_tool"),
        ("POST", "/runs", Some(b"not json"), 400, "api.bad_body"),
        ("POST", "/runs", Some(br#"{"tool":"users","file":"../lms.db"}"#), 400, "file.bad_name"),
        ("POST", "/runs", Some(br#"{"tool":"users","file":"missing.csv"}"#), 404, "file.not_found"),
        ("PUT", "/files/.hidden", Some(b"x"), 400, "file.bad_name"),
        ("GET", "/runs/424242", None, 404, "run.not_found"),
        ("GET", "/nothing/here", None, 404, "api.no_route"),
    ];
    for (method, path, body, status, code) in cases {
        let token = if method == "GET" { &viewer } else { &operator };
        let (got, err) = api.call(method, path, Some(token), body);
        assert_eq!((got, err["error"]["code"].as_str()), (status, Some(code)), "{method} {path}: {err}");
        assert!(!err["error"]["message"].as_str().unwrap_or("").is_empty());
    }
}

#[test]
fn uploads_over_the_limit_are_refused() {
    let lms = Lms::new().with("LMSYNC_WEB__LISTEN", "127.0.0.1:0").with("LMSYNC_WEB__MAX_UPLOAD_BYTES", "100");
    let operator = token(&lms, "o", "operator");
    let api = Api::start(&lms);
    let (status, _) = api.call("PUT", "/files/big.csv", Some(&operator), Some(&[b'x'; 500]));
    assert_eq!(status, 413);
    assert!(!lms.files().join("big.csv").exists());
}

#[test]
fn the_first_start_creates_an_admin_whose_password_is_shown_once() {
    let lms = Lms::new().with("LMSYNC_WEB__LISTEN", "");
    let mut child = lms.command().arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut text = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("next run at");
        text.push(line);
        if done {
            break;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let text = text.join("\n");
    assert!(text.contains("console account \"admin\" created, password (shown once):"), "{text}");
    let accounts = lms.exec(&["accounts", "list"]);
    assert!(accounts.stdout.starts_with("admin") && accounts.stdout.contains("admin "), "{}", accounts.stdout);
    // Not again.
    let mut child = lms.command().arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut again = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("next run at");
        again.push(line);
        if done {
            break;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    assert!(!again.join("\n").contains("password"), "{again:?}");
}

#[test]
fn exports_are_paged_rows() {
    let (lms, api, [viewer, _, _]) = setup();
    let r = lms.run_bytes("u.csv", "username;firstname;lastname\na1;A;A\na2;B;B\na3;C;C\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r =
        lms.cohorts_file("members", "c.csv", "cname;cidnumber;userid\nStaff;ST;a1\nStaff;ST;a2\nStaff;ST;a3\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let (status, page) = api.call("GET", "/exports/cohort-members?limit=2&offset=1", Some(&viewer), None);
    assert_eq!(status, 200, "{page}");
    let names: Vec<&str> = page["rows"].as_array().unwrap().iter().map(|r| r["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["a2", "a3"]);
    assert_eq!(page["rows"][0]["cohort_idnumber"], "ST");
    let (status, err) = api.call("GET", "/exports/secrets", Some(&viewer), None);
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("export.unknown")));
    // Filters on the export's columns: one cohort's members, one cohort (an export with a CTE).
    let (_, page) = api.call("GET", "/exports/cohort-members?cohort_idnumber=ST&username=a3", Some(&viewer), None);
    assert_eq!(page["rows"].as_array().unwrap().len(), 1, "{page}");
    let (_, page) = api.call("GET", "/exports/cohorts?idnumber=ST", Some(&viewer), None);
    assert_eq!(page["rows"][0]["context"], "system", "{page}");
    let (_, page) = api.call("GET", "/exports/cohort-members?cohort_idnumber=NONE", Some(&viewer), None);
    assert!(page["rows"].as_array().unwrap().is_empty());
    let (status, err) = api.call("GET", "/exports/cohorts?password=x", Some(&viewer), None);
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("export.bad_filter")));
}

#[test]
fn lines_sent_as_json_run_as_a_command_file_of_their_tool() {
    let (lms, api, [viewer, operator, _]) = setup();
    let r = lms.run_bytes("u.csv", "username;firstname;lastname\nann;A;A\nbob;B;B\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let body = serde_json::json!({
        "tool": "cohorts", "op": "members",
        "columns": ["cname", "cidnumber", "userid"],
        "lines": [["Staff; all", "ST", "ann"], ["Staff; all", "ST", "bob"], ["Staff; all", "ST", "ghost"]],
    });
    let (status, run) = api.call("POST", "/lines", Some(&operator), Some(body.to_string().as_bytes()));
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!((run["counts"]["created"].as_u64(), run["counts"]["updated"].as_u64()), (Some(1), Some(1)), "{run}");
    assert_eq!(run["report"]["lines"][2]["code"], "cohort.user_not_found", "{run}");
    assert_eq!(lms.cohort_members(), ["ST ann", "ST bob"]);
    assert_eq!(lms.cohort_names(), ["ST Staff; all"], "values with the delimiter are quoted");
    let (status, err) = api.call("POST", "/lines", Some(&viewer), Some(body.to_string().as_bytes()));
    assert_eq!(status, 403, "{err}");
    let ragged = serde_json::json!({ "tool": "users", "columns": ["username", "firstname"], "lines": [["x"]] });
    let (status, err) = api.call("POST", "/lines", Some(&operator), Some(ragged.to_string().as_bytes()));
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("lines.width")));
}

#[test]
fn admins_read_and_set_settings_in_the_file_keeping_its_comments() {
    let (lms, api, [_, operator, admin]) = setup();
    let (status, s) = api.call("GET", "/settings", Some(&admin), None);
    assert_eq!(status, 200);
    assert_eq!(s["users"]["allow_rename"], false);
    let (status, _) = api.call("PUT", "/settings/users.allow_rename", Some(&operator), Some(br#"{"value": true}"#));
    assert_eq!(status, 403);
    let (status, done) = api.call("PUT", "/settings/users.allow_rename", Some(&admin), Some(br#"{"value": true}"#));
    assert_eq!(status, 200, "{done}");
    let (status, _) =
        api.call("PUT", "/settings/smtp.admins", Some(&admin), Some(br#"{"value": ["ops@example.org"]}"#));
    assert_eq!(status, 200);
    let (_, s) = api.call("GET", "/settings", Some(&admin), None);
    assert_eq!(
        (s["users"]["allow_rename"].as_bool(), s["smtp"]["admins"][0].as_str()),
        (Some(true), Some("ops@example.org"))
    );
    let text = std::fs::read_to_string(lms.data.join("lmsync.toml")).unwrap();
    assert!(text.contains("allow_rename = true") && text.contains("# Allow renames"), "comments kept");
    for (name, body) in [
        ("users.nope", r#"{"value": 1}"#),
        ("users.password_cost", r#"{"value": 99}"#),
        ("schedule.users", r#"{"value": "every day"}"#),
        // A secret as the settings show it, saved back, would replace the real one.
        ("smtp.password", r#"{"value": "(hidden)"}"#),
        ("target.token", r#"{"value": "(hidden)"}"#),
    ] {
        let (status, err) = api.call("PUT", &format!("/settings/{name}"), Some(&admin), Some(body.as_bytes()));
        assert_eq!((status, err["error"]["code"].as_str()), (400, Some("setting.refused")), "{name}: {err}");
    }
    assert!(std::fs::read_to_string(lms.data.join("lmsync.toml")).unwrap() == text, "refused values change nothing");
}

#[test]
fn a_running_run_reports_its_progress() {
    let (lms, api, [viewer, operator, _]) = setup();
    let mut big = String::from("username;firstname;lastname\n");
    for i in 0..60_000 {
        big.push_str(&format!("p{i};F;L\n"));
    }
    std::fs::write(lms.files().join("big.csv"), &big).unwrap();
    let (status, run) = api.call("POST", "/runs", Some(&operator), Some(br#"{"tool":"users","file":"big.csv"}"#));
    assert_eq!(status, 200, "{run}");
    let id = run["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = None;
    loop {
        let (_, r) = api.call("GET", &format!("/runs/{id}"), Some(&viewer), None);
        if r["status"] != "running" {
            break;
        }
        // (The input may be archived between the status and the count: the total is then unknown.)
        if r["progress"]["lines_done"].as_u64().is_some_and(|d| d > 0) && !r["progress"]["lines_total"].is_null() {
            seen = Some(r["progress"].clone());
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    let p = seen.expect("progress was seen while the run went on");
    assert_eq!(p["lines_total"], 60_001, "{p}");
    assert!(p["lines_per_second"].as_u64().unwrap() > 0, "{p}");
}

#[test]
fn a_runs_changes_are_read_from_its_journal_page_by_page() {
    let (lms, api, [viewer, operator, _]) = setup();
    let first = serde_json::json!({
        "tool": "users", "columns": ["username", "firstname", "lastname", "city"],
        "lines": [["ann", "Ann", "A", "Paris"], ["bob", "Bob", "B", "Lyon"], ["bad", "", "", ""]],
    });
    let (status, run) = api.call("POST", "/lines", Some(&operator), Some(first.to_string().as_bytes()));
    assert_eq!(status, 200, "{run}");
    let id = run["id"].as_i64().unwrap();
    let (status, page) = api.call("GET", &format!("/runs/{id}/changes"), Some(&viewer), None);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 2, "the failed line changed nothing: {page}");
    let created = &page["changes"][0];
    assert_eq!((created["line"].as_u64(), created["key"].as_str()), (Some(2), Some("ann")), "{page}");
    assert_eq!((created["action"].as_str(), &created["before"]), (Some("create"), &serde_json::Value::Null), "{page}");
    assert_eq!(created["after"]["city"], "Paris", "{page}");
    let (_, second) = api.call("GET", &format!("/runs/{id}/changes?limit=1&offset=1"), Some(&viewer), None);
    assert_eq!(second["changes"].as_array().map(Vec::len), Some(1), "{second}");
    assert_eq!(second["changes"][0]["key"], "bob", "{second}");

    // An update journals the values before and after.
    let moved = serde_json::json!({
        "tool": "users", "columns": ["username", "firstname", "lastname", "city"], "lines": [["ann", "Ann", "A", "Nantes"]],
    });
    let (_, run) = api.call("POST", "/lines", Some(&operator), Some(moved.to_string().as_bytes()));
    let (_, page) = api.call("GET", &format!("/runs/{}/changes", run["id"]), Some(&viewer), None);
    let update = &page["changes"][0];
    assert_eq!((update["action"].as_str(), update["before"]["city"].as_str()), (Some("update"), Some("Paris")));
    assert_eq!(update["after"]["city"], "Nantes");
    assert_eq!(lms.user("ann")["city"], "Nantes");

    let (status, err) = api.call("GET", "/runs/999/changes", Some(&viewer), None);
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("run.not_found")), "{err}");
    assert_eq!(api.call("GET", &format!("/runs/{id}/changes"), None, None).0, 401);
}
