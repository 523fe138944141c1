//! The console's working pages through HTTP: a tool's page (its settings edited in place by
//! admins only, a run of an uploaded file), the course utilities (delete and reset files from a
//! selection, the course check, empty categories), the data browser per entity, and the file
//! manager's previews, moves and folders.

mod common;

use common::console::*;
use common::*;

/// The run page a run form redirected to, once the run has finished.
fn finished(c: &Console, started: &Answer, cookies: &str) -> Answer {
    assert_eq!(started.0, 303, "{}", started.2);
    let url = header(started, "location")[0].to_string();
    assert!(url.starts_with("/runs/"), "{url}");
    c.finished_run(&url, cookies)
}

#[test]
fn a_tool_page_runs_an_uploaded_file_and_lets_only_admins_edit_its_settings() {
    let (lms, c) = console_of(Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username"));
    let (viewer, operator, admin) = (session(&c, "eve"), session(&c, "ops"), session(&c, "root"));
    let seen = c.get("/tools/users", &viewer);
    assert_eq!(seen.0, 200);
    assert!(seen.2.contains("allow_rename") && !seen.2.contains("action=\"/tools/users/run\""), "{}", seen.2);
    assert!(seen.2.contains("Administrators edit these here"));
    assert_eq!(c.get("/tools/nothing", &viewer).0, 404);

    let page = c.get("/tools/users", &operator);
    assert!(page.2.contains("action=\"/tools/users/run\"") && !page.2.contains("aria-label=\"allow_rename\""));
    let csrf = form_csrf(&page.2);
    let file = b"username;firstname;lastname;email\nann;Ann;A;ann@example.org\nbad;B;B;nope\n";
    let refused =
        c.post_multipart("/tools/users/run", &operator, &[("csrf", None, b"forged"), ("file", Some("feed.csv"), file)]);
    assert_eq!(refused.0, 403);
    assert_eq!(lms.rows("SELECT CAST(count(*) AS TEXT) FROM sync_runs"), ["0"], "a forged form runs nothing");
    assert!(!lms.files().join("feed.csv").exists(), "nor stores its file");
    let dry = c.post_multipart(
        "/tools/users/run",
        &operator,
        &[("csrf", None, csrf.as_bytes()), ("dry_run", None, b"true"), ("file", Some("feed.csv"), file)],
    );
    let dry = finished(&c, &dry, &operator);
    assert!(dry.2.contains("dry run: nothing written") && dry.2.contains("created 1"), "{}", dry.2);
    assert!(!lms.users().contains_key("ann"), "a dry run writes nothing");
    let ran = c.post_multipart(
        "/tools/users/run",
        &operator,
        &[("csrf", None, csrf.as_bytes()), ("file", Some("feed.csv"), file)],
    );
    let ran = finished(&c, &ran, &operator);
    assert!(ran.2.contains("created 1") && ran.2.contains("failed 1") && ran.2.contains("user.invalid_email"));
    assert!(ran.2.contains("console:ops"), "the run says who started it");
    assert!(lms.users().contains_key("ann"));
    // The run's page says what it changed, from the journal; the dry run's changed nothing.
    assert!(!dry.2.contains("What it changed"), "{}", dry.2);
    let changes = &ran.2[ran.2.find("id=\"changes\"").expect("a changes section")..];
    assert!(changes.contains("Journal entries: 1."), "{changes}");
    assert!(changes.contains("<td>user</td><td><a href=\"/audit?key=ann\">ann</a></td><td>create</td>"), "{changes}");
    assert!(changes.contains("email = &#34;ann@example.org&#34;") && !changes.contains("bad"), "{changes}");
    // With no file, the configured file runs: there is none, which the answer says.
    let configured =
        c.post_multipart("/tools/users/run", &operator, &[("csrf", None, csrf.as_bytes()), ("file", Some(""), b"")]);
    assert_eq!(configured.0, 404);
    assert!(configured.2.contains("userimport.csv does not exist"), "{}", configured.2);

    // Settings: operators may not change them; admins change them from the tool's page.
    let form = [("csrf", csrf.as_str()), ("name", "allow_rename"), ("value", "true")];
    assert_eq!(c.post("/tools/users", &operator, &form).0, 403);
    let page = c.get("/tools/users", &admin);
    assert!(page.2.contains("aria-label=\"allow_rename\""), "{}", page.2);
    let admin_csrf = form_csrf(&page.2);
    let set = c.post("/tools/users", &admin, &[("csrf", &admin_csrf), ("name", "allow_rename"), ("value", "true")]);
    assert!(c.follow(&set, &admin).2.contains("users.allow_rename set"));
    let toml = std::fs::read_to_string(lms.data.join("lmsync.toml")).unwrap();
    assert!(toml.contains("allow_rename = true"), "{toml}");
    let bad = c.post("/tools/users", &admin, &[("csrf", &admin_csrf), ("name", "password_cost"), ("value", "99")]);
    assert!(c.follow(&bad, &admin).2.contains("users.password_cost refused"));
}

#[test]
fn the_dashboard_has_a_card_per_tool_with_its_waiting_file_and_last_run() {
    let (lms, c) = console_of(Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username"));
    std::fs::create_dir_all(lms.files()).unwrap();
    std::fs::write(lms.files().join("userimport.csv"), "username;firstname;lastname\nann;A;A\n").unwrap();
    let ran = lms.run_bytes("first.csv", "username;firstname;lastname\nbob;B;B\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let operator = session(&c, "ops");
    let home = c.get("/", &operator);
    for tool in ["users", "courses", "cohorts", "enrols", "groups", "userpictures"] {
        assert!(home.2.contains(&format!("id=\"tool-{tool}\"")), "{tool}: {}", home.2);
    }
    let card = &home.2[home.2.find("id=\"tool-users\"").unwrap()..];
    let card = &card[..card.find("</section>").unwrap()];
    assert!(card.contains("waiting: userimport.csv"), "{card}");
    assert!(card.contains(&format!("/runs/{}", ran.run_id())) && card.contains("created 1"), "{card}");
    assert!(card.contains("Upload &#38; run") && card.contains("Run now"), "{card}");
}

#[test]
fn course_utilities_write_delete_and_reset_files_check_courses_and_clean_categories() {
    let (lms, c) = console_of(Lms::with_sample_site());
    let (viewer, operator) = (session(&c, "eve"), session(&c, "ops"));
    assert_eq!(c.get("/utilities", &viewer).0, 403, "utilities are for operators");
    let found = c.get("/utilities?category=Miscellaneous%2FTests&pattern=META*", &operator);
    assert_eq!(found.0, 200);
    for meta in ["META10", "META11", "META20", "META21"] {
        assert!(found.2.contains(&format!(">{meta}<")), "{meta}: {}", found.2);
    }
    assert!(!found.2.contains(">MASTER1<"), "the pattern narrows the list");
    let ids = lms.rows("SELECT CAST(id AS TEXT) FROM course WHERE shortname IN ('META10', 'META20') ORDER BY id");
    let csrf = form_csrf(&found.2);
    let form = |kind: &'static str| {
        vec![("csrf", csrf.clone()), ("kind", kind.to_string()), ("course", ids[0].clone()), ("course", ids[1].clone())]
    };
    let pairs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post = |f: Vec<(&'static str, String)>| {
        let p = pairs(&f);
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.follow(&c.post("/utilities/make-file", &operator, &refs), &operator)
    };
    let made = post(form("delete"));
    assert!(made.2.contains("deletecourses.csv written with 2 courses"), "{}", made.2);
    assert_eq!(std::fs::read_to_string(lms.files().join("deletecourses.csv")).unwrap(), "META10\nMETA20\n");
    let again = post(form("delete"));
    assert!(again.2.contains("no file written") && again.2.contains("exists"), "{}", again.2);
    let mut replace = form("delete");
    replace.truncate(3);
    replace.push(("replace", "1".into()));
    assert!(post(replace).2.contains("written with 1 courses"));
    assert_eq!(std::fs::read_to_string(lms.files().join("deletecourses.csv")).unwrap(), "META10\n");
    assert!(post(form("reset")).2.contains("resetcourses.csv written with 2 courses"));
    let reset = std::fs::read_to_string(lms.files().join("resetcourses.csv")).unwrap();
    assert!(reset.starts_with("shortname;events;") && reset.contains("\nMETA20;yes;"), "{reset}");
    // The reset file as written passes the reset tool's header check: the preview says so.
    let preview = c.get("/files/view?path=resetcourses.csv", &operator);
    assert!(preview.2.contains("The header fits: courses reset"), "{}", preview.2);

    // The check runs the identifiers as a check file and shows the run.
    let checked =
        c.post("/utilities/check", &operator, &[("csrf", &csrf), ("identifiers", "TESTCOURSE1\nNOSUCHCOURSE\n")]);
    let checked = finished(&c, &checked, &operator);
    assert!(checked.2.contains("TESTCOURSE1") && checked.2.contains("NOSUCHCOURSE"), "{}", checked.2);
    assert!(checked.2.contains("failed 1"), "{}", checked.2);

    // Empty categories: previewed, then deleted as a recorded run.
    let r = lms.courses_file("create", "c.csv", "shortname;category;fullname\nX1;Faculty/Empty/Deeper;X\n", &[]);
    assert!(r.code <= 1, "{}", r.all());
    assert_eq!(lms.courses_file("delete", "d.csv", "X1\n", &[]).code, 0);
    let preview = c.get("/utilities?empty_from=", &operator);
    assert!(
        preview.2.contains("<li>Faculty/Empty/Deeper</li>") && preview.2.contains("<li>Faculty</li>"),
        "{}",
        preview.2
    );
    assert!(!preview.2.contains("<li>Miscellaneous/Tests</li>"), "a category holding courses is not empty");
    assert!(
        lms.rows("SELECT name FROM course_categories WHERE name = 'Deeper'") == ["Deeper"],
        "a preview deletes nothing"
    );
    let cleaned =
        c.follow(&c.post("/utilities/clean-categories", &operator, &[("csrf", &csrf), ("from", "")]), &operator);
    assert!(cleaned.2.contains("3 empty categories deleted, 0 failed"), "{}", cleaned.2);
    assert!(lms.rows("SELECT name FROM course_categories WHERE name IN ('Faculty', 'Empty', 'Deeper')").is_empty());
}

#[test]
fn the_browser_shows_a_course_a_user_and_a_cohort_with_what_hangs_off_them() {
    let lms = Lms::with_grouped_students();
    let r = lms.cohorts_file(
        "members",
        "cohorts.csv",
        "cname;cidnumber;userid\nStudents;STU;ugr1\nStudents;STU;ugr2\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = lms.cohorts_file("bindings", "cohortscourses.csv", "cohort;course;role\nSTU;TESTCOURSE2;student\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let (_lms, c) = console_of(lms);
    let viewer = session(&c, "eve");

    let search = c.get("/browse/categories?kind=users&q=UGR10", &viewer);
    assert!(search.2.contains("/browse/user?key=ugr10\""), "case-insensitive: {}", search.2);
    assert!(!search.2.contains("key=ugr1\""), "{}", search.2);
    let by_mail = c.get("/browse/categories?kind=users&q=ugr1%40foo", &viewer);
    assert!(by_mail.2.contains("key=ugr1\"") && by_mail.2.contains("key=ugr4\""), "e-mails match: {}", by_mail.2);
    assert!(c.get("/browse/categories", &viewer).2.contains("Tests"), "the category tree");

    let course = c.get("/browse/course?key=TESTCOURSE1", &viewer);
    assert_eq!(course.0, 200);
    assert!(course.2.contains("<td>manual</td><td>enabled</td><td>5</td>"), "{}", course.2);
    assert!(course.2.contains("role=student\">student</a></td><td>5</td>"), "{}", course.2);
    for u in ["ugr1", "ugr2", "ugr3", "ugr4", "ugr10"] {
        assert!(course.2.contains(&format!(">{u}</a>")), "{u}");
    }
    let teachers = c.get("/browse/course?key=TESTCOURSE1&role=editingteacher", &viewer);
    assert!(!teachers.2.contains(">ugr1</a>"), "{}", teachers.2);
    let bound = c.get("/browse/course?key=TESTCOURSE2", &viewer);
    assert!(
        bound.2.contains(">Students</a>") && bound.2.contains("<td>cohort</td><td>enabled</td><td>2</td>"),
        "{}",
        bound.2
    );
    assert_eq!(c.get("/browse/course?key=NOPE", &viewer).0, 404);

    let user = c.get("/browse/user?key=ugr1", &viewer);
    assert!(user.2.contains(">TESTCOURSE1</a>") && user.2.contains(">TESTCOURSE2</a>"), "{}", user.2);
    assert!(user.2.contains(">Students</a>") && user.2.contains("No picture."), "{}", user.2);
    assert_eq!(c.get("/browse/user/picture?key=ugr1", &viewer).0, 404);

    let cohort = c.get("/browse/cohort?key=STU", &viewer);
    assert!(cohort.2.contains(">TESTCOURSE2</a>") && cohort.2.contains(">ugr1</a>") && cohort.2.contains(">ugr2</a>"));
    assert_eq!(c.get("/browse/cohort?key=STU", "").0, 303, "the browser needs a session");
}

#[test]
fn the_file_manager_previews_moves_and_makes_folders_inside_the_area_only() {
    let (lms, c) = console_of(Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username"));
    std::fs::create_dir_all(lms.files()).unwrap();
    std::fs::write(lms.files().join("feed.csv"), "username;firstname;lastname\nann;A;A\n").unwrap();
    std::fs::write(lms.files().join("odd.csv"), "username;firstname;shoesize\nann;A;42\n").unwrap();
    let (viewer, operator) = (session(&c, "eve"), session(&c, "ops"));
    let preview = c.get("/files/view?path=feed.csv", &viewer);
    assert!(preview.2.contains("The header fits: users") && preview.2.contains("<td>ann</td>"), "{}", preview.2);
    let odd = c.get("/files/view?path=odd.csv", &viewer);
    assert!(odd.2.contains("The header fits no tool"), "{}", odd.2);
    let ran = lms.run_bytes("u.csv", "username;firstname;lastname\nbob;B;B\n", &[]);
    let report = ran.report().unwrap();
    let rel = report.strip_prefix(lms.files()).unwrap().to_string_lossy().into_owned();
    let shown = c.get(&format!("/files/view?path={rel}"), &viewer);
    assert!(shown.2.contains("<pre") && shown.2.contains("bob"), "{}", shown.2);

    let page = c.get("/files", &operator);
    let csrf = form_csrf(&page.2);
    assert_eq!(c.post("/files/folder", &viewer, &[("csrf", &csrf), ("path", ""), ("to", "x")]).0, 403);
    assert_eq!(c.post("/files/folder", &operator, &[("csrf", &csrf), ("path", ""), ("to", "incoming")]).0, 303);
    assert!(lms.files().join("incoming").is_dir());
    let moved =
        c.post("/files/rename", &operator, &[("csrf", &csrf), ("path", "feed.csv"), ("to", "incoming/feed.csv")]);
    assert!(c.follow(&moved, &operator).2.contains("feed.csv is now incoming/feed.csv"));
    assert!(lms.files().join("incoming/feed.csv").is_file() && !lms.files().join("feed.csv").exists());
    let renamed =
        c.post("/files/rename", &operator, &[("csrf", &csrf), ("path", "incoming/feed.csv"), ("to", "users.csv")]);
    assert_eq!(renamed.0, 303, "a bare name renames in place");
    assert!(lms.files().join("incoming/users.csv").is_file());
    for escape in ["../outside.csv", "incoming/../../outside.csv", ".hidden"] {
        let tried = c.post("/files/rename", &operator, &[("csrf", &csrf), ("path", "odd.csv"), ("to", escape)]);
        assert_eq!(tried.0, 400, "{escape}: {}", tried.2);
    }
    assert!(lms.files().join("odd.csv").is_file() && !lms.data.join("outside.csv").exists());
    let clash =
        c.post("/files/rename", &operator, &[("csrf", &csrf), ("path", "odd.csv"), ("to", "incoming/users.csv")]);
    assert_eq!(clash.0, 409, "nothing is overwritten");
    // Uploads land in the folder shown.
    let up = c.post_multipart(
        "/files/upload",
        &operator,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("dir", None, b"incoming"),
            ("file", Some("a.csv"), b"x"),
            ("file", Some("b.csv"), b"y"),
        ],
    );
    assert_eq!(up.0, 303, "{}", up.2);
    assert_eq!(std::fs::read_to_string(lms.files().join("incoming/b.csv")).unwrap(), "y");
}

#[test]
fn console_uploads_may_be_as_large_as_web_max_upload_bytes_and_no_larger() {
    let (lms, c) = console_of(Lms::new().with("LMSYNC_WEB__MAX_UPLOAD_BYTES", "4000000"));
    let operator = session(&c, "ops");
    let csrf = form_csrf(&c.get("/files", &operator).2);
    // 3 MB: more than a web framework's usual default, less than the setting.
    let big = "username;firstname;lastname;email\n".to_string() + &"u;F;L;u@example.org\n".repeat(150_000);
    assert!(big.len() > 3_000_000 && big.len() < 4_000_000);
    let up = c.post_multipart(
        "/files/upload",
        &operator,
        &[("csrf", None, csrf.as_bytes()), ("file", Some("big.csv"), big.as_bytes())],
    );
    assert_eq!(up.0, 303, "{}", up.2);
    assert_eq!(std::fs::read(lms.files().join("big.csv")).unwrap().len(), big.len());
    let over = big.repeat(2);
    for path in ["/files/upload", "/tools/users/run"] {
        let refused = c.send_multipart(
            path,
            &operator,
            &[("csrf", None, csrf.as_bytes()), ("file", Some("over.csv"), over.as_bytes())],
        );
        // The server answers 413 and may hang up before the client has sent everything.
        match refused {
            Ok(a) => assert_eq!(a.0, 413, "{path}: {}", a.2),
            Err(ureq::Error::Io(e)) => assert!(
                matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset),
                "{path}: {e}"
            ),
            Err(e) => panic!("{path}: {e}"),
        }
    }
    assert!(!lms.files().join("over.csv").exists());
    assert_eq!(lms.rows("SELECT CAST(count(*) AS TEXT) FROM sync_runs"), ["0"]);
}
