//! The JSON API reached over HTTP by the end-to-end tests: `lmsync serve` started on a free
//! port, a client that answers every status (tests check them), and tokens of each role.

use super::console::Console;
use super::*;

/// The API of a `serve` started as the console's tests start it.
pub struct Api {
    server: Console,
}

impl Api {
    pub fn start(lms: &Lms) -> Api {
        Api { server: Console::start(lms) }
    }

    /// (status, body as JSON or as text)
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.server.base);
        let agent = &self.server.agent;
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut response = match (method, body) {
            ("GET", _) => {
                let mut r = agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call().unwrap()
            }
            (m, body) => {
                let mut r = if m == "PUT" { agent.put(&url) } else { agent.post(&url) };
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(body.unwrap_or_default()).unwrap()
            }
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// A new API token of `role`.
pub fn token(lms: &Lms, name: &str, role: &str) -> String {
    let r = lms.exec(&["tokens", "create", name, "--role", role]);
    assert_eq!(r.code, 0, "{}", r.all());
    r.stdout.lines().last().unwrap().trim().to_string()
}

/// `lms` serving on a free port, with a viewer, an operator and an admin token.
pub fn serve(lms: Lms) -> (Lms, Api, [String; 3]) {
    let lms = lms.with("LMSYNC_WEB__LISTEN", "127.0.0.1:0");
    let tokens = [token(&lms, "v", "viewer"), token(&lms, "o", "operator"), token(&lms, "a", "admin")];
    let api = Api::start(&lms);
    (lms, api, tokens)
}

/// A fresh installation matching users by username, serving (see `serve`).
pub fn setup() -> (Lms, Api, [String; 3]) {
    serve(Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username"))
}
