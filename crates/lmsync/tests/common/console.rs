//! The console reached over HTTP by the end-to-end tests: `lmsync serve` started on a free
//! port, a client that keeps cookies out of its way (tests pass them), and form helpers.

use super::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Console {
    pub child: Child,
    pub base: String,
    pub agent: ureq::Agent,
}

/// Status, headers (lower-case names) and body of a response.
pub type Answer = (u16, Vec<(String, String)>, String);

impl Console {
    pub fn start(lms: &Lms) -> Console {
        let mut child = lms.command().arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(url) = line.trim().strip_prefix("API:") {
                base = url.split_whitespace().next().map(|u| u.trim_end_matches("/api/v1").to_string());
            }
            if line.contains("next run at") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
        Console { child, base: base.expect("serve printed its address"), agent }
    }

    pub fn get(&self, path: &str, cookies: &str) -> Answer {
        let mut r = self.agent.get(format!("{}{path}", self.base));
        if !cookies.is_empty() {
            r = r.header("Cookie", cookies);
        }
        answer(r.call().unwrap())
    }

    /// The page a redirect leads to.
    pub fn follow(&self, a: &Answer, cookies: &str) -> Answer {
        assert_eq!(a.0, 303, "a redirect: {}", a.2);
        self.get(header(a, "location")[0], cookies)
    }

    pub fn post(&self, path: &str, cookies: &str, form: &[(&str, &str)]) -> Answer {
        let mut r = self.agent.post(format!("{}{path}", self.base));
        if !cookies.is_empty() {
            r = r.header("Cookie", cookies);
        }
        answer(r.send_form(form.iter().copied()).unwrap())
    }
}

pub fn answer(mut r: ureq::http::Response<ureq::Body>) -> Answer {
    let status = r.status().as_u16();
    let headers =
        r.headers().iter().map(|(k, v)| (k.as_str().to_lowercase(), v.to_str().unwrap_or("").to_string())).collect();
    (status, headers, r.body_mut().read_to_string().unwrap_or_default())
}

pub fn header<'a>(a: &'a Answer, name: &str) -> Vec<&'a str> {
    a.1.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

/// The `name=value` part of the Set-Cookie for `name`.
pub fn set_cookie(a: &Answer, name: &str) -> String {
    header(a, "set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no cookie {name} in {:?}", a.1))
        .to_string()
}

pub fn form_csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    body[at..].split('"').next().unwrap().to_string()
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

pub fn site() -> (Lms, Console) {
    let lms = Lms::new().with("LMSYNC_WEB__LISTEN", "127.0.0.1:0").with("CONSOLE_PW", "correct horse battery");
    let r = lms.exec(&["accounts", "set", "ops", "--role", "operator", "--password-env", "CONSOLE_PW"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let console = Console::start(&lms);
    (lms, console)
}

pub fn log_in(c: &Console, user: &str, password: &str) -> Answer {
    let page = c.get("/login", "");
    let csrf = form_csrf(&page.2);
    let cookie = set_cookie(&page, "lmsync_login_csrf");
    c.post("/login", &cookie, &[("username", user), ("password", password), ("csrf", &csrf)])
}

impl Console {
    /// A multipart form: `(name, file name, value)`, a file part when it has a file name.
    pub fn post_multipart(&self, path: &str, cookies: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Answer {
        self.send_multipart(path, cookies, parts).unwrap()
    }

    /// As [`Console::post_multipart`], also when the server hangs up before the whole body is
    /// sent (as it may when it refuses a body too large).
    pub fn send_multipart(
        &self,
        path: &str,
        cookies: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> Result<Answer, ureq::Error> {
        let boundary = "lmsyncTestBoundary7MA4YWxk";
        let mut body = Vec::new();
        for (name, file, value) in parts {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(f) = file {
                body.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: text/csv").as_bytes());
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", cookies)
            .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..])?;
        Ok(answer(r))
    }

    /// Follows a run's page until the run has finished; returns the page.
    pub fn finished_run(&self, page_url: &str, cookies: &str) -> Answer {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let page = self.get(page_url, cookies);
            assert_eq!(page.0, 200, "{}", page.2);
            if !page.2.contains("http-equiv=\"refresh\"") {
                return page;
            }
            assert!(std::time::Instant::now() < deadline, "the run did not finish");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

/// The console of `lms`, with three accounts of password `correct horse battery`: `root`
/// (admin), `ops` (operator) and `eve` (viewer).
pub fn console_of(lms: Lms) -> (Lms, Console) {
    let lms = lms.with("LMSYNC_WEB__LISTEN", "127.0.0.1:0").with("CONSOLE_PW", "correct horse battery");
    for (name, role) in [("root", "admin"), ("ops", "operator"), ("eve", "viewer")] {
        let r = lms.exec(&["accounts", "set", name, "--role", role, "--password-env", "CONSOLE_PW"]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let console = Console::start(&lms);
    (lms, console)
}

/// The session cookie of a logged-in account of [`console_of`].
pub fn session(c: &Console, user: &str) -> String {
    set_cookie(&log_in(c, user, "correct horse battery"), "lmsync_session")
}
