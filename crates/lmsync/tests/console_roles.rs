//! Every console route, for every role: no session goes to the login page, a role below the
//! route's refuses it (with a valid form token, so the role alone decides), the route's role and
//! above reach it. The table is checked against the routes the console declares, so a new route
//! cannot be added without saying who may use it.

mod common;

use common::console::*;
use common::*;

const VIEWER: u8 = 0;
const OPERATOR: u8 = 1;
const ADMIN: u8 = 2;

/// (method, path as declared, path as requested, the least role that may use it)
const ROUTES: &[(&str, &str, &str, u8)] = &[
    ("GET", "/", "/", VIEWER),
    ("POST", "/logout", "/logout", VIEWER),
    ("GET", "/runs", "/runs", VIEWER),
    ("POST", "/runs", "/runs", OPERATOR),
    ("GET", "/runs/{id}", "/runs/1", VIEWER),
    ("GET", "/runs/{id}/tryback", "/runs/1/tryback", VIEWER),
    ("GET", "/tools/{tool}", "/tools/users", VIEWER),
    ("POST", "/tools/{tool}", "/tools/users", ADMIN),
    ("POST", "/tools/{tool}/run", "/tools/users/run", OPERATOR),
    ("GET", "/utilities", "/utilities", OPERATOR),
    ("POST", "/utilities/make-file", "/utilities/make-file", OPERATOR),
    ("POST", "/utilities/check", "/utilities/check", OPERATOR),
    ("POST", "/utilities/clean-categories", "/utilities/clean-categories", OPERATOR),
    ("GET", "/admin/access", "/admin/access", ADMIN),
    ("POST", "/admin/accounts", "/admin/accounts", ADMIN),
    ("POST", "/admin/accounts/remove", "/admin/accounts/remove", ADMIN),
    ("POST", "/admin/tokens", "/admin/tokens", ADMIN),
    ("POST", "/admin/tokens/revoke", "/admin/tokens/revoke", ADMIN),
    ("GET", "/admin/settings", "/admin/settings", ADMIN),
    ("POST", "/admin/settings", "/admin/settings", ADMIN),
    ("POST", "/admin/smtp-test", "/admin/smtp-test", ADMIN),
    ("GET", "/audit", "/audit", VIEWER),
    ("GET", "/data", "/data", VIEWER),
    ("GET", "/data/{what}", "/data/enrolments", VIEWER),
    ("GET", "/browse/categories", "/browse/categories", VIEWER),
    ("GET", "/browse/course", "/browse/course?key=C1", VIEWER),
    ("GET", "/browse/user", "/browse/user?key=ann", VIEWER),
    ("GET", "/browse/user/picture", "/browse/user/picture?key=ann", VIEWER),
    ("GET", "/browse/cohort", "/browse/cohort?key=K1", VIEWER),
    ("GET", "/files", "/files", VIEWER),
    ("GET", "/files/download", "/files/download?path=a.csv", VIEWER),
    ("GET", "/files/view", "/files/view?path=a.csv", VIEWER),
    ("POST", "/files/upload", "/files/upload", OPERATOR),
    ("POST", "/files/delete", "/files/delete", OPERATOR),
    ("POST", "/files/rename", "/files/rename", OPERATOR),
    ("POST", "/files/folder", "/files/folder", OPERATOR),
];

/// Routes anyone may use: the login form itself.
const OPEN: &[(&str, &str)] = &[("GET", "/login"), ("POST", "/login")];

/// A whole, harmless form for a POST route (its fields parse, so the role alone decides).
fn form(path: &str) -> &'static [(&'static str, &'static str)] {
    match path {
        "/runs" => &[("tool", "users"), ("dry_run", "true")],
        "/tools/users" => &[("name", "allow_rename"), ("value", "false")],
        "/utilities/make-file" => &[("kind", "delete")],
        "/utilities/check" => &[("identifiers", "")],
        "/utilities/clean-categories" => &[("from", "")],
        "/admin/accounts" | "/admin/tokens" => &[("name", "probe"), ("role", "viewer")],
        "/admin/accounts/remove" | "/admin/tokens/revoke" => &[("name", "nobody")],
        "/admin/settings" => &[("name", "users.allow_rename"), ("value", "false")],
        "/files/delete" => &[("path", "nothing.csv")],
        "/files/rename" => &[("path", "nothing.csv"), ("to", "other.csv")],
        "/files/folder" => &[("path", "probe")],
        _ => &[],
    }
}

/// The (method, path) pairs the console declares in its router.
fn declared() -> Vec<(String, String)> {
    let source = include_str!("../../lmsync-web/src/ui/mod.rs");
    let mut routes = Vec::new();
    for part in source.split(".route(\"").skip(1) {
        let (path, rest) = part.split_once('"').unwrap();
        let handlers = &rest[..rest.find("))\n").unwrap_or(rest.len())];
        for (method, call) in [("GET", "get("), ("POST", "post(")] {
            if handlers.contains(call) {
                routes.push((method.to_string(), path.to_string()));
            }
        }
    }
    routes
}

#[test]
fn the_table_covers_every_route_the_console_declares() {
    let declared = declared();
    assert!(declared.len() > 30, "the router was read: {declared:?}");
    for (method, path) in &declared {
        let known = ROUTES.iter().any(|(m, p, _, _)| m == method && p == path)
            || OPEN.iter().any(|(m, p)| m == method && p == path);
        assert!(known, "{method} {path} is not in this test's table: say which role may use it");
    }
    for (method, path, _, _) in ROUTES {
        assert!(declared.iter().any(|(m, p)| m == method && p == path), "{method} {path} is no longer declared");
    }
}

#[test]
fn every_route_checks_the_session_and_its_role() {
    let (lms, c) = console_of(Lms::new());
    // Sessions opened with the form token each page carries for its session.
    let people: Vec<(u8, String, String)> = [(VIEWER, "eve"), (OPERATOR, "ops"), (ADMIN, "root")]
        .into_iter()
        .map(|(role, name)| {
            let cookie = session(&c, name);
            let csrf = form_csrf(&c.get("/", &cookie).2);
            (role, cookie, csrf)
        })
        .collect();
    let before = lms.rows("SELECT CAST(count(*) AS TEXT) FROM sync_runs");
    for (method, _, path, least) in ROUTES {
        // No session: the login page.
        let send = |cookie: &str, csrf: &str| match *method {
            "GET" => c.get(path, cookie),
            _ if path.ends_with("/run") || path.ends_with("/upload") => {
                c.post_multipart(path, cookie, &[("csrf", None, csrf.as_bytes())])
            }
            _ => c.post(path, cookie, &[&[("csrf", csrf)][..], form(path)].concat()),
        };
        let anonymous = send("", "x");
        assert_eq!(anonymous.0, 303, "{method} {path} without a session");
        assert_eq!(header(&anonymous, "location"), ["/login"], "{method} {path} without a session");
        // Even with a form that would not parse: the session is checked first.
        if *method == "POST" {
            let garbled = c.post(path, "", &[("nonsense", "1")]);
            assert_eq!((garbled.0, header(&garbled, "location")), (303, vec!["/login"]), "{method} {path}");
        }
        for (role, cookie, csrf) in &people {
            if *path == "/logout" {
                continue; // it would end the session the next routes use; tested in console.rs
            }
            let answer = send(cookie, csrf);
            if role < least {
                assert_eq!(answer.0, 403, "{method} {path} is refused to role {role}: {}", answer.2);
            } else {
                assert_ne!(answer.0, 403, "{method} {path} is open to role {role}: {}", answer.2);
                let to_login = answer.0 == 303 && header(&answer, "location") == ["/login"];
                assert!(!to_login, "{method} {path}: role {role} keeps its session");
            }
        }
    }
    assert_eq!(lms.rows("SELECT CAST(count(*) AS TEXT) FROM sync_runs"), before, "empty forms run nothing");
}
