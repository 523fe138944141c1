//! The console in a real browser: headless Chromium driven through chromedriver (WebDriver), as a
//! person would use it — the login form, an upload, a run watched until it finishes, its report
//! and tryback download, what each role may reach, a phone-width screen — and the screenshots
//! of docs/screenshots (written when `LMSYNC_SCREENSHOTS=<dir>` is set).
//!
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages, which
//! `.ci/run` installs: when they are missing these tests fail rather than pass unseen.

mod common;

use common::console::Console;
use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "correct horse battery";
/// The desktop window of every test and screenshot; the phone one is an iPhone 12/13/14's.
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);
/// Longest a page, a script or a condition may take: a hang fails the test instead of CI.
const PATIENCE: Duration = Duration::from_secs(30);

/// chromedriver on a port of its choosing, with the Chromium it starts. Both live in a process
/// group of their own, which dropping kills whole: a test that panics leaves no browser behind.
struct Driver {
    child: Child,
    url: String,
    /// Chromium's profile and the folder its downloads land in, both fresh.
    profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(program).is_file(),
                "{program} is missing: the browser tests need Debian's chromium and chromium-driver \
                 packages (.ci/run installs them: apt-get install chromium chromium-driver)"
            );
        }
        let mut child = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        // `--port=0` lets chromedriver pick a free port, which it prints once it listens.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.split("started successfully on port ").nth(1).map(|p| p.trim_end_matches('.').to_string()))
            .expect("chromedriver printed its port");
        std::thread::spawn(move || for _ in lines {});
        Driver { child, url: format!("http://127.0.0.1:{port}"), profile: tempfile::tempdir().unwrap() }
    }

    fn downloads(&self) -> PathBuf {
        self.profile.path().join("downloads")
    }

    /// A browser session with a window of `size`.
    async fn browser(&self, size: (u32, u32)) -> Client {
        let chrome = json!({
            "binary": CHROMIUM,
            // No sandbox (CI runs as root); no GPU; and nothing that reaches out to the network,
            // which is closed here and where Chromium's own connections would hang.
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                format!("--user-data-dir={}", self.profile.path().join("profile").display()),
                format!("--window-size={},{}", size.0, size.1),
            ],
            "prefs": {
                "download.default_directory": self.downloads().display().to_string(),
                "download.prompt_for_download": false,
            },
        });
        let ms = PATIENCE.as_millis() as u64;
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), chrome);
        caps.insert("timeouts".into(), json!({ "pageLoad": ms, "script": ms, "implicit": 0 }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("chromedriver opens a Chromium session");
        viewport(&client, size).await;
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Sizes the window so that the page itself gets `size`: headless Chromium still counts a
/// window frame around it, whose size is only known once measured.
async fn viewport(b: &Client, size: (u32, u32)) {
    let inner = || async {
        let v = b.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.unwrap();
        (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
    };
    let want = (i64::from(size.0), i64::from(size.1));
    b.set_window_size(size.0, size.1).await.unwrap();
    let got = inner().await;
    let outer = |w: i64, g: i64| u32::try_from(2 * w - g).unwrap();
    b.set_window_size(outer(want.0, got.0), outer(want.1, got.1)).await.unwrap();
    assert_eq!(inner().await, want, "the page's size");
}

/// Polls `probe` until it yields something, at most [`PATIENCE`]; `what` names the awaited state.
async fn until<T, F: Future<Output = Option<T>>>(what: &str, mut probe: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "still waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}")).text().await.unwrap()
}

/// The page's own text, to assert on what a person reads.
async fn body(b: &Client) -> String {
    text(b, "body").await
}

async fn url(b: &Client) -> String {
    b.current_url().await.unwrap().to_string()
}

async fn goto(b: &Client, c: &Console, path: &str) {
    b.goto(&format!("{}{path}", c.base)).await.unwrap();
}

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}")).click().await.unwrap();
}

/// Fills in the login form, as typed, and sends it.
async fn log_in(b: &Client, c: &Console, user: &str, password: &str) {
    goto(b, c, "/login").await;
    let form = b.form(Locator::Css("form[action='/login']")).await.unwrap();
    b.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
    b.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
    form.submit_with(Locator::Css("button[type=submit]")).await.unwrap();
}

async fn logged_in_as(b: &Client, c: &Console, user: &str) {
    log_in(b, c, user, PASSWORD).await;
    let who = b.wait().at_most(PATIENCE).for_element(Locator::Css("header .who")).await.expect("a logged-in page");
    assert!(who.text().await.unwrap().starts_with(&format!("{user} (")), "logged in as {user}");
}

async fn log_out(b: &Client) {
    click(b, "header form[action='/logout'] button").await;
    b.wait().at_most(PATIENCE).for_element(Locator::Css("input[name=username]")).await.expect("the login form");
}

/// The HTTP status of `path` fetched with the browser's session (WebDriver does not tell the
/// status of a page it shows).
async fn status_of(b: &Client, c: &Console, path: &str) -> u16 {
    let session = b.get_named_cookie("lmsync_session").await.expect("a session cookie");
    c.get(path, &format!("{}={}", session.name(), session.value())).0
}

/// Waits on a run page until its run has finished; returns the status it shows. The page
/// refreshes itself while the run goes on: the test only reads it.
async fn run_finished(b: &Client) -> String {
    until("the run to finish", || async {
        let status = b.find(Locator::Id("status")).await.ok()?.text().await.ok()?;
        let status = status.strip_prefix("Status: ")?.to_string();
        (status != "running").then_some(status)
    })
    .await
}

/// A finished file in the download folder (Chromium writes `*.crdownload` until it is whole).
async fn downloaded(d: &Driver) -> (String, Vec<u8>) {
    until("the download", || async {
        let entry = std::fs::read_dir(d.downloads()).ok()?.map_while(Result::ok).next()?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".crdownload") {
            return None;
        }
        Some((name, std::fs::read(entry.path()).ok()?))
    })
    .await
}

/// Runs a whole browser scenario with a bound on its time, so that a hang fails the test.
async fn bounded(scenario: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(100), scenario).await.expect("the scenario finished in time");
}

/// A user file whose line 3 has a bad e-mail (the tryback holds it), then `users` good lines.
fn user_file(users: usize) -> String {
    let mut file = String::from("username;firstname;lastname;email\n");
    file.push_str("ann;Ann;Archer;ann@example.org\nbad;Bad;Mail;not-an-address\n");
    for i in 0..users {
        file.push_str(&format!("u{i:05};First{i};Last{i};u{i:05}@example.org\n"));
    }
    file
}

#[tokio::test]
async fn an_operator_uploads_a_user_file_runs_it_reads_the_report_and_downloads_the_tryback() {
    let (lms, c) = common::console::console_of(Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username"));
    let d = Driver::start();
    let b = d.browser(DESKTOP).await;
    bounded(async {
        log_in(&b, &c, "ops", "not the password").await;
        let refused = b.wait().at_most(PATIENCE).for_element(Locator::Css("p.warn[role=alert]")).await;
        assert!(!refused.expect("a wrong password is said so").text().await.unwrap().is_empty());
        logged_in_as(&b, &c, "ops").await;

        // The file manager's upload form, with the file picked as a person would.
        let file = lms.write("userimport.csv", user_file(30_000));
        goto(&b, &c, "/files").await;
        let picker = b.find(Locator::Css("form[action='/files/upload'] input[type=file]")).await.unwrap();
        picker.send_keys(&file.display().to_string()).await.unwrap();
        click(&b, "form[action='/files/upload'] button[type=submit]").await;
        let notice = b.wait().at_most(PATIENCE).for_element(Locator::Css("p[role=status]")).await.unwrap();
        assert!(notice.text().await.unwrap().contains("userimport.csv"), "the upload is acknowledged");
        assert_eq!(std::fs::read(lms.files().join("userimport.csv")).unwrap(), std::fs::read(&file).unwrap());

        // Its preview says which tool it is for.
        click(&b, "a[href='/files/view?path=userimport.csv']").await;
        assert!(body(&b).await.contains("The header fits: users"), "{}", body(&b).await);

        // The dashboard's card sees it waiting; Run now runs it.
        goto(&b, &c, "/").await;
        assert!(text(&b, "#tool-users").await.contains("waiting: userimport.csv"));
        click(&b, "#tool-users button[name=dry_run][value=false]").await;
        until("the run page", || async { url(&b).await.contains("/runs/").then_some(()) }).await;
        // 30,000 lines take seconds (a few thousand would be done before the page is): the page
        // first shows the run going on, then reloads itself until it has finished. A mark left
        // in this page's script state is gone once it has reloaded.
        let progress = b.find(Locator::Css("progress")).await.expect("a running run shows its progress");
        // Lines are counted as the file numbers them, the header's included.
        assert_eq!(progress.attr("max").await.unwrap().as_deref(), Some("30003"), "of every line");
        assert!(b.find(Locator::Css("meta[http-equiv=refresh]")).await.is_ok(), "the page refreshes itself");
        b.execute("window.lmsyncMark = true", vec![]).await.unwrap();
        let status = run_finished(&b).await;
        let mark = b.execute("return window.lmsyncMark === true", vec![]).await.unwrap();
        assert_eq!(mark, json!(false), "the page reloaded itself");
        assert_eq!(status, "failed", "a run with a failed line says so");
        assert!(b.find(Locator::Css("progress")).await.is_err(), "a finished run has no progress bar");
        assert!(b.find(Locator::Css("meta[http-equiv=refresh]")).await.is_err(), "nor refreshes");
        let page = body(&b).await;
        assert!(page.contains("created 30001") && page.contains("failed 1"), "{page}");
        let users = lms.users();
        assert!(users.contains_key("ann") && users.contains_key("u29999") && !users.contains_key("bad"));

        // The report: every line, or the failed one only.
        click(&b, "#failed-only").await;
        let rows = until("the failed lines", || async {
            let rows = b.find_all(Locator::Css("#lines tbody tr")).await.ok()?;
            (rows.len() == 1).then_some(rows)
        })
        .await;
        let row = rows[0].text().await.unwrap();
        assert!(row.contains("bad") && row.contains("user.invalid_email"), "{row}");

        // The tryback, downloaded by its link: the header and the failed line as written.
        click(&b, "#tryback").await;
        let (name, bytes) = downloaded(&d).await;
        assert!(name.starts_with("userimport_tryback_") && name.ends_with(".csv"), "named after its input: {name}");
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "username;firstname;lastname;email\nbad;Bad;Mail;not-an-address\n"
        );
    })
    .await;
    b.close().await.unwrap();
}

#[tokio::test]
async fn only_administrators_reach_the_settings_and_accounts_pages() {
    let (_lms, c) = common::console::console_of(Lms::new());
    let d = Driver::start();
    let b = d.browser(DESKTOP).await;
    bounded(async {
        for (user, may_run) in [("eve", false), ("ops", true)] {
            logged_in_as(&b, &c, user).await;
            let nav = text(&b, "header nav").await;
            assert!(!nav.contains("Settings") && !nav.contains("Accounts"), "{user} is not offered them: {nav}");
            assert_eq!(nav.contains("Course utilities"), may_run, "{user}: {nav}");
            let run_buttons = b.find_all(Locator::Css("button[name=dry_run]")).await.unwrap();
            assert_eq!(run_buttons.is_empty(), !may_run, "{user} sees Run now only when they may run");
            for path in ["/admin/settings", "/admin/access"] {
                goto(&b, &c, path).await;
                assert_eq!(text(&b, "#refusal").await, "this page is for administrators", "{user} at {path}");
                assert!(b.find(Locator::LinkText("Back to the dashboard")).await.is_ok(), "a way back");
                assert_eq!(status_of(&b, &c, path).await, 403, "{user} at {path}");
            }
            goto(&b, &c, "/").await;
            log_out(&b).await;
        }
        logged_in_as(&b, &c, "root").await;
        click(&b, "header nav a[href='/admin/settings']").await;
        assert_eq!(text(&b, "main h1").await, "Settings");
        assert!(b.find(Locator::Css("section#users input[aria-label='users.allow_rename']")).await.is_ok(), "editable");
        assert_eq!(status_of(&b, &c, "/admin/settings").await, 200);
    })
    .await;
    b.close().await.unwrap();
}

/// The page's width in CSS pixels.
async fn inner_width(b: &Client) -> f64 {
    b.execute("return window.innerWidth", vec![]).await.unwrap().as_f64().unwrap()
}

/// Fails unless `css` matches shown elements that lie within the screen's width.
async fn shown_within_width(b: &Client, css: &str, at_least: usize) {
    let width = inner_width(b).await;
    let found = b.find_all(Locator::Css(css)).await.unwrap();
    assert!(found.len() >= at_least, "{} of {css}, at least {at_least} expected", found.len());
    for e in found {
        let (x, _, w, _) = e.rectangle().await.unwrap();
        let label = e.text().await.unwrap();
        assert!(e.is_displayed().await.unwrap(), "{css} {label:?} is hidden");
        assert!(x >= 0.0 && x + w <= width, "{css} {label:?} spans {x}..{} of a {width} px screen", x + w);
    }
}

#[tokio::test]
async fn on_a_phone_the_navigation_and_the_run_buttons_stay_usable() {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    std::fs::create_dir_all(lms.files()).unwrap();
    std::fs::write(lms.files().join("userimport.csv"), user_file(0)).unwrap();
    let (lms, c) = common::console::console_of(lms);
    let d = Driver::start();
    let b = d.browser(PHONE).await;
    bounded(async {
        logged_in_as(&b, &c, "ops").await;
        assert_eq!(inner_width(&b).await, f64::from(PHONE.0), "the window is a phone's");
        let sideways = b.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
        assert!(sideways.as_f64().unwrap() <= f64::from(PHONE.0), "the dashboard scrolls sideways: {sideways}");
        shown_within_width(&b, "header nav a", 7).await;
        shown_within_width(&b, "header form[action='/logout'] button", 1).await;
        shown_within_width(&b, ".cards section button[name=dry_run][value=false]", 6).await;

        // The navigation works by touch-sized clicks: each link leads to its page.
        click(&b, "header nav a[href='/files']").await;
        until("the file manager", || async { url(&b).await.ends_with("/files").then_some(()) }).await;
        click(&b, "header nav a[href='/']").await;
        click(&b, "#tool-users button[name=dry_run][value=false]").await;
        until("the run page", || async { url(&b).await.contains("/runs/").then_some(()) }).await;
        assert_eq!(run_finished(&b).await, "failed", "the run of the waiting file, with its bad line");
        assert!(lms.users().contains_key("ann"));
        shown_within_width(&b, "#tryback", 1).await;
    })
    .await;
    b.close().await.unwrap();
}

/// A page to picture: its file name, its address and what must be on it.
struct Shot {
    name: &'static str,
    path: String,
    shows: &'static str,
}

/// The pictures of docs/screenshots (its README says how to regenerate them): each page is
/// visited and pictured on every run, and written only when `LMSYNC_SCREENSHOTS` names a folder.
#[tokio::test]
async fn screenshots() {
    let out = std::env::var_os("LMSYNC_SCREENSHOTS").map(PathBuf::from);
    let lms = Lms::with_grouped_students().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    std::fs::create_dir_all(lms.files()).unwrap();
    let staff = "username;firstname;lastname;email;city\nclaire;Claire;Martin;claire.martin@example.edu;Lyon\n\
                 tomas;Tomas;Novak;tomas.novak@example.edu;Brno\nkim;Kim;Lee;kim.lee@example.edu;Paris\n";
    std::fs::write(lms.files().join("newstaff.csv"), staff).unwrap();
    let (lms, c) = common::console::console_of(lms);
    let d = Driver::start();
    let b = d.browser(DESKTOP).await;
    bounded(async {
        logged_in_as(&b, &c, "root").await;
        // A run with results, through the tool page's Upload & run form.
        goto(&b, &c, "/tools/users").await;
        let feed = lms.write("feed.csv", user_file(40));
        let form = "#upload form";
        b.find(Locator::Css(&format!("{form} input[type=file]")))
            .await
            .unwrap()
            .send_keys(&feed.display().to_string())
            .await
            .unwrap();
        click(&b, &format!("{form} button[type=submit]")).await;
        until("the run page", || async { url(&b).await.contains("/runs/").then_some(()) }).await;
        run_finished(&b).await;
        let run = url(&b).await;
        let run = run.strip_prefix(&c.base).unwrap().to_string();

        let shots = [
            Shot { name: "dashboard", path: "/".into(), shows: "#tool-users" },
            Shot { name: "tool", path: "/tools/users".into(), shows: "#upload input[type=file]" },
            Shot { name: "run", path: run, shows: "#tryback" },
            Shot { name: "files", path: "/files".into(), shows: "form[action='/files/upload']" },
            Shot { name: "preview", path: "/files/view?path=newstaff.csv".into(), shows: "p.succeeded" },
            Shot { name: "course", path: "/browse/course?key=TESTCOURSE1".into(), shows: "main .cards" },
            Shot { name: "runs", path: "/runs".into(), shows: "main table.wide tbody tr" },
            Shot { name: "audit", path: "/audit?key=ann".into(), shows: "main table tbody tr" },
            Shot { name: "settings", path: "/admin/settings".into(), shows: "section#users input" },
            Shot { name: "accounts", path: "/admin/access".into(), shows: "form[action='/admin/accounts']" },
        ];
        for shot in &shots {
            goto(&b, &c, &shot.path).await;
            assert!(b.find(Locator::Css(shot.shows)).await.is_ok(), "{} shows {}", shot.path, shot.shows);
            picture(&b, shot.name, DESKTOP, out.as_deref()).await;
        }
        viewport(&b, PHONE).await;
        goto(&b, &c, "/").await;
        picture(&b, "phone-dashboard", PHONE, out.as_deref()).await;
    })
    .await;
    b.close().await.unwrap();
}

/// Takes a screenshot, checks it is a picture of the whole window, and writes it as
/// `<out>/<name>.png` when screenshots are asked for.
async fn picture(b: &Client, name: &str, size: (u32, u32), out: Option<&Path>) {
    let png = b.screenshot().await.unwrap();
    let decoded = image::load_from_memory_with_format(&png, image::ImageFormat::Png).expect("a PNG");
    assert_eq!((decoded.width(), decoded.height()), size, "{name}");
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}
