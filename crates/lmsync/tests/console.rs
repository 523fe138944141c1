//! The console through HTTP: pages need a session; login checks the form's CSRF token, the
//! password, and throttles failures; the session cookie is HttpOnly and SameSite=Strict; every
//! response carries strict security headers; logout needs the session's CSRF token.

mod common;

use common::console::*;
use common::*;
use std::process::{Command, Stdio};

#[test]
fn pages_need_a_session_and_carry_security_headers() {
    let (_lms, c) = site();
    let home = c.get("/", "");
    assert_eq!(home.0, 303);
    assert_eq!(header(&home, "location"), ["/login"]);
    let login = c.get("/login", "");
    assert_eq!(login.0, 200);
    for (name, value) in
        [("x-frame-options", "DENY"), ("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer")]
    {
        assert_eq!(header(&login, name), [value], "{name}");
    }
    assert!(header(&login, "content-security-policy")[0].contains("frame-ancestors 'none'"));
    let forged = c.get("/", "lmsync_session=lms_forged");
    assert_eq!(forged.0, 303);
}

#[test]
fn logging_in_opens_a_session_shown_on_the_dashboard_and_logging_out_closes_it() {
    let (lms, c) = site();
    lms.run_bytes("u.csv", "username;firstname;lastname\nann;A;A\n", &[]);
    let done = log_in(&c, "ops", "correct horse battery");
    assert_eq!(done.0, 303, "{}", done.2);
    let cookie_line =
        header(&done, "set-cookie").into_iter().find(|h| h.starts_with("lmsync_session=")).unwrap().to_string();
    assert!(cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"), "{cookie_line}");
    let session = set_cookie(&done, "lmsync_session");
    let home = c.get("/", &session);
    assert_eq!(home.0, 200);
    assert!(home.2.contains("ops (operator)"), "{}", home.2);
    assert!(home.2.contains("Recent runs") && home.2.contains("u.csv"), "{}", home.2);
    assert!(home.2.contains("cohorts"), "every task is listed");
    let csrf = form_csrf(&home.2);
    assert_eq!(c.post("/logout", &session, &[("csrf", "wrong")]).0, 403);
    assert_eq!(c.get("/", &session).0, 200, "a forged logout changes nothing");
    assert_eq!(c.post("/logout", &session, &[("csrf", &csrf)]).0, 303);
    assert_eq!(c.get("/", &session).0, 303, "the session is closed");
}

#[test]
fn logins_check_the_form_token_the_password_and_throttle_failures() {
    let (_lms, c) = site();
    let page = c.get("/login", "");
    let cookie = set_cookie(&page, "lmsync_login_csrf");
    let stale =
        c.post("/login", &cookie, &[("username", "ops"), ("password", "correct horse battery"), ("csrf", "other")]);
    assert_eq!(stale.0, 403, "a form without its token is refused");
    let no_cookie = c.post(
        "/login",
        "",
        &[("username", "ops"), ("password", "correct horse battery"), ("csrf", &form_csrf(&page.2))],
    );
    assert_eq!(no_cookie.0, 403);
    for _ in 0..5 {
        let wrong = log_in(&c, "ops", "guess");
        assert_eq!(wrong.0, 401);
        assert!(wrong.2.contains("wrong password"), "{}", wrong.2);
    }
    let locked = log_in(&c, "ops", "correct horse battery");
    assert_eq!(locked.0, 429, "locked out after 5 failures, even with the right password");
}

#[test]
fn an_operator_runs_a_tool_from_the_dashboard_and_reads_its_lines_and_tryback() {
    let (lms, c) = site();
    std::fs::write(
        lms.files().join("userimport.csv"),
        "username;firstname;lastname;email\nann;A;A;ann@example.org\nbad;B;B;nope\n",
    )
    .unwrap();
    let session = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    let home = c.get("/", &session);
    assert!(home.2.contains("Run now"), "operators see run buttons");
    let csrf = form_csrf(&home.2);
    assert_eq!(c.post("/runs", &session, &[("csrf", "x"), ("tool", "users"), ("dry_run", "false")]).0, 403);
    let started = c.post("/runs", &session, &[("csrf", &csrf), ("tool", "users"), ("dry_run", "false")]);
    assert_eq!(started.0, 303, "{}", started.2);
    let page_url = header(&started, "location")[0].to_string();
    assert!(page_url.starts_with("/runs/"), "{page_url}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let page = c.get(&page_url, &session);
        assert_eq!(page.0, 200, "{}", page.2);
        if !page.2.contains("Status: running") {
            break page;
        }
        assert!(page.2.contains("http-equiv=\"refresh\""), "a running run's page refreshes");
        assert!(std::time::Instant::now() < deadline, "the run did not finish");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        page.2.contains("Status: failed") && page.2.contains("created 1") && page.2.contains("failed 1"),
        "{}",
        page.2
    );
    assert!(page.2.contains("ann") && page.2.contains("user.invalid_email"), "{}", page.2);
    let failed = c.get(&format!("{page_url}?failed=1"), &session);
    let table = &failed.2[failed.2.find("id=\"lines\"").expect("the lines")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("user.invalid_email") && !table.contains(">ann<"), "{table}");
    let tryback = c.get(&format!("{page_url}/tryback"), &session);
    assert_eq!(tryback.0, 200);
    assert_eq!(tryback.2, "username;firstname;lastname;email\nbad;B;B;nope\n");
    assert_eq!(c.get(&format!("{page_url}/tryback"), "").0, 303, "downloads need a session");
}

#[test]
fn a_viewer_sees_no_run_buttons_and_cannot_start_a_run() {
    let (lms, c) = site();
    let r = lms.exec(&["accounts", "set", "eve", "--role", "viewer", "--password-env", "CONSOLE_PW"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let session = set_cookie(&log_in(&c, "eve", "correct horse battery"), "lmsync_session");
    let home = c.get("/", &session);
    assert_eq!(home.0, 200);
    assert!(!home.2.contains("Run now"), "{}", home.2);
    let csrf = form_csrf(&home.2);
    let refused = c.post("/runs", &session, &[("csrf", &csrf), ("tool", "users"), ("dry_run", "true")]);
    assert_eq!(refused.0, 403);
    assert!(lms.rows("SELECT CAST(count(*) AS TEXT) FROM sync_runs") == ["0"]);
}

#[test]
fn the_run_history_filters_by_tool_and_status() {
    let (lms, c) = site();
    let mut lms = lms;
    lms.set("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    lms.run_bytes("ok.csv", "username;firstname;lastname\nann;A;A\n", &[]);
    lms.run_bytes("bad.csv", "username;firstname;lastname;email\nbob;B;B;nope\n", &[]);
    lms.cohorts_file("members", "c.csv", "cname;cidnumber\nStaff;ST\n", &[]);
    let session = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    let all = c.get("/runs", &session);
    assert_eq!(all.0, 200);
    for input in ["ok.csv", "bad.csv", "c.csv"] {
        assert!(all.2.contains(input), "{input}");
    }
    let users = c.get("/runs?tool=users&status=", &session);
    assert!(users.2.contains("ok.csv") && users.2.contains("bad.csv") && !users.2.contains("c.csv"));
    let failed = c.get("/runs?tool=users&status=failed", &session);
    assert!(failed.2.contains("bad.csv") && !failed.2.contains("ok.csv"), "{}", failed.2);
    assert_eq!(c.get("/runs", "").0, 303);
}

#[test]
fn the_file_manager_lists_uploads_downloads_and_deletes_inside_the_area_only() {
    let (lms, c) = site();
    std::fs::create_dir_all(lms.files().join("in")).unwrap();
    std::fs::write(lms.files().join("in/enrols & more.csv"), "cmd;cid;uid\n").unwrap();
    std::fs::write(lms.data.join("secret.txt"), "outside").unwrap();
    let session = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    let root = c.get("/files", &session);
    assert_eq!(root.0, 200);
    assert!(root.2.contains(">in/<") && root.2.contains(">archives/<"), "{}", root.2);
    let sub = c.get("/files?dir=in", &session);
    assert!(sub.2.contains("enrols &#38; more.csv"), "{}", sub.2);
    let got = c.get("/files/download?path=in%2Fenrols%20%26%20more.csv", &session);
    assert_eq!((got.0, got.2.as_str()), (200, "cmd;cid;uid\n"));
    assert!(header(&got, "content-disposition")[0].starts_with("attachment"));
    for escape in ["../secret.txt", "/etc/passwd", "in/../../secret.txt", ".hidden"] {
        let tried = c.get(&format!("/files/download?path={escape}"), &session);
        assert!(tried.0 == 400 || tried.0 == 404, "{escape}: {}", tried.0);
        assert!(!tried.2.contains("outside"));
    }
    // Upload (multipart, with the session's CSRF token), then delete.
    let csrf = form_csrf(&root.2);
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"groups.csv\"\r\nContent-Type: text/csv\r\n\r\ngroupid;name\r\n--{boundary}--\r\n"
    );
    let mut r = c
        .agent
        .post(format!("{}/files/upload", c.base))
        .header("Cookie", &session)
        .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
        .send(body.as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.body_mut().read_to_string().unwrap_or_default());
    assert_eq!(std::fs::read_to_string(lms.files().join("groups.csv")).unwrap(), "groupid;name");
    assert_eq!(c.post("/files/delete", &session, &[("csrf", "nope"), ("path", "groups.csv")]).0, 403);
    assert_eq!(c.post("/files/delete", &session, &[("csrf", &csrf), ("path", "groups.csv")]).0, 303);
    assert!(!lms.files().join("groups.csv").exists());
    assert_eq!(c.post("/files/delete", &session, &[("csrf", &csrf), ("path", "../secret.txt")]).0, 400);
    assert!(lms.data.join("secret.txt").exists());
}

#[test]
fn only_admins_manage_accounts_and_tokens_whose_secrets_show_once() {
    let (lms, c) = site();
    let r = lms.exec(&["accounts", "set", "root", "--role", "admin", "--password-env", "CONSOLE_PW"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let operator = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    assert_eq!(c.get("/admin/access", &operator).0, 403, "operators cannot reach it");
    let admin = set_cookie(&log_in(&c, "root", "correct horse battery"), "lmsync_session");
    let page = c.get("/admin/access", &admin);
    assert_eq!(page.0, 200);
    assert!(page.2.contains(">ops<") && page.2.contains(">root<"), "{}", page.2);
    let csrf = form_csrf(&page.2);
    assert_eq!(c.post("/admin/tokens", &admin, &[("csrf", "x"), ("name", "erp"), ("role", "operator")]).0, 403);
    let made = c.post("/admin/tokens", &admin, &[("csrf", &csrf), ("name", "erp"), ("role", "operator")]);
    assert_eq!(made.0, 200);
    let at = made.2.find("<code>").expect("the token is shown") + "<code>".len();
    let token = made.2[at..].split('<').next().unwrap().to_string();
    assert!(token.starts_with("lms_"));
    assert!(!c.get("/admin/access", &admin).2.contains(&token), "shown once");
    // The token works on the API with its role.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let status = |t: &str| {
        agent
            .get(format!("{}/api/v1/runs", c.base))
            .header("Authorization", &format!("Bearer {t}"))
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status(&token), 200);
    let revoked = c.post("/admin/tokens/revoke", &admin, &[("csrf", &csrf), ("name", "erp")]);
    assert!(revoked.2.contains("token erp revoked"), "{}", revoked.2);
    assert_eq!(status(&token), 401);
    // An account created here logs in with the password shown once.
    let made = c.post("/admin/accounts", &admin, &[("csrf", &csrf), ("name", "viewer1"), ("role", "viewer")]);
    let at = made.2.find("<code>").unwrap() + "<code>".len();
    let password = made.2[at..].split('<').next().unwrap().to_string();
    assert_eq!(log_in(&c, "viewer1", &password).0, 303);
    let bad = c.post("/admin/accounts", &admin, &[("csrf", &csrf), ("name", "bad name!"), ("role", "viewer")]);
    assert!(bad.2.contains("use letters, digits"), "{}", bad.2);
}

#[test]
fn the_data_browser_pages_and_filters_every_export() {
    let (lms, c) = site();
    let mut file = String::from("username;firstname;lastname\n");
    let mut members = String::from("cname;cidnumber;userid\n");
    for i in 0..150 {
        file.push_str(&format!("m{i:03};M;M\n"));
        members.push_str(&format!("Big;BIG;m{i:03}\n"));
    }
    let mut lms = lms;
    lms.set("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    assert_eq!(lms.run_bytes("u.csv", file, &[]).code, 0);
    assert_eq!(lms.cohorts_file("members", "c.csv", members, &[]).code, 0);
    let session = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    let index = c.get("/data", &session);
    assert!(index.2.contains("/data/cohort-members"));
    let first = c.get("/data/cohort-members", &session);
    assert_eq!(first.0, 200);
    assert!(first.2.contains(">m000<") && first.2.contains(">m099<") && !first.2.contains(">m100<"), "100 rows a page");
    assert!(first.2.contains("offset=100") && first.2.contains(">Next<"));
    let second = c.get("/data/cohort-members?column=&value=&offset=100", &session);
    assert!(second.2.contains(">m149<") && !second.2.contains(">Next<"), "{}", second.2);
    let one = c.get("/data/cohort-members?column=username&value=m042", &session);
    assert!(one.2.contains(">m042<") && !one.2.contains(">m043<"));
    assert_eq!(c.get("/data/secrets", &session).0, 404);
    assert_eq!(c.get("/data/cohorts", "").0, 303);
}

#[test]
fn admins_change_settings_and_send_a_test_e_mail() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let maildir = tmp.path().join("maildir");
    let mut smtp = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let lms = Lms::new()
        .with("LMSYNC_WEB__LISTEN", "127.0.0.1:0")
        .with("CONSOLE_PW", "correct horse battery")
        .with("LMSYNC_SMTP__HOST", "127.0.0.1")
        .with("LMSYNC_SMTP__PORT", &port.to_string())
        .with("LMSYNC_SMTP__TLS", "none")
        .with("LMSYNC_SMTP__FROM", "lmsync@example.org")
        .with("LMSYNC_SMTP__ADMINS", "[\"ops@example.org\"]");
    assert_eq!(lms.exec(&["accounts", "set", "root", "--role", "admin", "--password-env", "CONSOLE_PW"]).code, 0);
    assert_eq!(lms.exec(&["accounts", "set", "ops", "--role", "operator", "--password-env", "CONSOLE_PW"]).code, 0);
    let c = Console::start(&lms);
    let operator = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    assert_eq!(c.get("/admin/settings", &operator).0, 403);
    let admin = set_cookie(&log_in(&c, "root", "correct horse battery"), "lmsync_session");
    let page = c.get("/admin/settings", &admin);
    assert!(page.2.contains("users.allow_rename") && page.2.contains("false"), "{}", page.2);
    let csrf = form_csrf(&page.2);
    let set = c.post("/admin/settings", &admin, &[("csrf", &csrf), ("name", "users.allow_rename"), ("value", "true")]);
    let set = c.follow(&set, &admin);
    assert!(set.2.contains("users.allow_rename set"), "{}", set.2);
    assert!(std::fs::read_to_string(lms.data.join("lmsync.toml")).unwrap().contains("allow_rename = true"));
    let refused =
        c.post("/admin/settings", &admin, &[("csrf", &csrf), ("name", "users.password_cost"), ("value", "99")]);
    assert!(c.follow(&refused, &admin).2.contains("users.password_cost refused"), "{}", refused.2);
    let sent = c.follow(&c.post("/admin/smtp-test", &admin, &[("csrf", &csrf)]), &admin);
    assert!(sent.2.contains("test e-mail sent to ops@example.org"), "{}", sent.2);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let received = loop {
        let n = std::fs::read_dir(maildir.join("new")).map(|d| d.count()).unwrap_or(0);
        if n > 0 || std::time::Instant::now() > deadline {
            break n;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert_eq!(received, 1);
}

#[test]
fn the_audit_lists_what_runs_changed_an_account_or_a_cohort() {
    let (lms, c) = site();
    let mut lms = lms;
    lms.set("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    assert_eq!(lms.run_bytes("u.csv", "username;firstname;lastname\nann;A;A\nann_x;X;X\n", &[]).code, 0);
    assert_eq!(lms.run_bytes("u2.csv", "username;firstname;lastname;city\nann;A;A;Lyon\n", &[]).code, 0);
    assert_eq!(lms.cohorts_file("members", "c.csv", "cname;cidnumber;userid\nStaff;ST;ann\n", &[]).code, 0);
    let session = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    let page = c.get("/audit?key=ann", &session);
    assert_eq!(page.0, 200);
    let rows = page.2.matches("<tr><td>").count();
    assert_eq!(rows, 3, "created, updated, joined ST: {}", page.2);
    assert!(page.2.contains("ann@ST") && page.2.contains("Lyon"), "{}", page.2);
    assert!(!page.2.contains("ann_x"), "another key that merely starts alike is not ann");
    let cohort = c.get("/audit?key=ST", &session);
    assert!(cohort.2.contains("ann@ST"), "{}", cohort.2);
    assert!(c.get("/audit?key=nobody", &session).2.contains("No run changed nobody"));
}

#[test]
fn the_dashboard_charts_the_last_runs_of_each_tool() {
    let (lms, c) = site();
    let mut lms = lms;
    lms.set("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    lms.run_bytes("a.csv", "username;firstname;lastname\nann;A;A\nbob;B;B\n", &[]);
    lms.run_bytes("b.csv", "username;firstname;lastname;email\ncy;C;C;nope\n", &[]);
    let session = set_cookie(&log_in(&c, "ops", "correct horse battery"), "lmsync_session");
    let home = c.get("/", &session);
    assert!(home.2.contains("Last 30 runs per tool") && home.2.contains("<svg"), "{}", home.2);
    assert!(home.2.contains("<title>run 1: succeeded, 2 lines</title>"), "{}", home.2);
    assert!(home.2.contains("<title>run 2: failed, 1 lines</title>"), "{}", home.2);
}
