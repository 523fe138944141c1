//! Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, the account's role, a
//! CSRF token every form carries, an idle expiry; and login throttling (after 5 failures an
//! account is refused for 15 minutes).

use lmsync_core::access::{Role, new_token};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "lmsync_session";
const IDLE: Duration = Duration::from_secs(8 * 3600);
const MAX_FAILURES: u32 = 5;
const LOCKOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone)]
pub struct Session {
    pub username: String,
    pub role: Role,
    pub csrf: String,
    seen: Instant,
}

#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Sessions {
    /// Opens a session; returns its id (the cookie value).
    pub fn open(&self, username: &str, role: Role) -> String {
        let (id, _) = new_token();
        let (csrf, _) = new_token();
        let session = Session { username: username.to_string(), role, csrf, seen: Instant::now() };
        if let Ok(mut live) = self.live.lock() {
            live.retain(|_, s| s.seen.elapsed() < IDLE);
            live.insert(id.clone(), session);
        }
        id
    }

    /// The live session of a cookie value (its idle timer restarts).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock().ok()?;
        match live.get_mut(id) {
            Some(s) if s.seen.elapsed() < IDLE => {
                s.seen = Instant::now();
                Some(s.clone())
            }
            Some(_) => {
                live.remove(id);
                None
            }
            None => None,
        }
    }

    pub fn close(&self, id: &str) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(id);
        }
    }

    /// Whether `username` may try to log in now.
    pub fn may_try(&self, username: &str) -> bool {
        let Ok(failures) = self.failures.lock() else { return false };
        !matches!(failures.get(username), Some((n, at)) if *n >= MAX_FAILURES && at.elapsed() < LOCKOUT)
    }

    pub fn failed(&self, username: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            let entry = failures.entry(username.to_string()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= LOCKOUT {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
            entry.1 = Instant::now();
        }
    }

    pub fn succeeded(&self, username: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(username);
        }
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_live_until_closed_and_failures_lock_an_account_out() {
        let s = Sessions::default();
        let id = s.open("ann", Role::Operator);
        let got = s.get(&id).unwrap();
        assert_eq!((got.username.as_str(), got.role), ("ann", Role::Operator));
        assert!(s.get("forged").is_none());
        s.close(&id);
        assert!(s.get(&id).is_none());
        for _ in 0..MAX_FAILURES {
            assert!(s.may_try("bob"));
            s.failed("bob");
        }
        assert!(!s.may_try("bob"), "locked out after 5 failures");
        assert!(s.may_try("ann"), "others are not");
    }

    #[test]
    fn cookies_are_found_by_name() {
        assert_eq!(cookie("a=1; lmsync_session=xyz; b=2", COOKIE), Some("xyz"));
        assert_eq!(cookie("a=1", COOKIE), None);
    }
}
