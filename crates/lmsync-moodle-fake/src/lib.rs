//! A fake Moodle Web Services server for tests of lmsync's `moodle` target: the REST wire
//! protocol, access checks, parameter validation, Moodle's state rules and fault injection
//! (spec `moodle-ws.md` §4). Start it with [`FakeMoodle::start`]; it stops on drop.
//!
//! ```
//! use lmsync_moodle_fake::{Config, FakeMoodle};
//!
//! let fake = FakeMoodle::start(Config::default().with_release(4, 5)).unwrap();
//! let url = fake.rest_url(); // POST wstoken=fake.token()&wsfunction=…&moodlewsrestformat=json
//! assert!(url.ends_with("/webservice/rest/server.php"));
//! fake.config().max_input_vars = 500; // knobs apply to the next call
//! assert_eq!(fake.write_count(), 0); // the request log, for assertions
//! assert_eq!(fake.state().users[&2].username, "admin"); // the site's data
//! ```

pub mod config;
pub mod error;
pub mod faults;
pub mod functions;
pub mod log;
mod server;
pub mod state;
mod upload;
pub mod validate;
pub mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub use config::{Config, DEFAULT_TOKEN, DebugLevel, PasswordPolicy, Service, Token};
pub use error::WsError;
pub use faults::{Fault, FaultRule};
pub use log::{Call, Outcome};
pub use state::State;

/// What the server threads share with the test.
pub(crate) struct Shared {
    pub config: Mutex<Config>,
    pub state: Mutex<State>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub log: Mutex<Vec<Call>>,
    pub wwwroot: String,
}

/// A running fake site on `127.0.0.1:<random port>`.
pub struct FakeMoodle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FakeMoodle {
    /// Starts a fresh install with `config` on `127.0.0.1:<random port>`, on its own
    /// thread and runtime (usable from synchronous tests).
    pub fn start(config: Config) -> std::io::Result<FakeMoodle> {
        Self::start_on(([127, 0, 0, 1], 0).into(), config)
    }

    /// Starts on a given address (port 0 = any free port).
    pub fn start_on(addr: SocketAddr, config: Config) -> std::io::Result<FakeMoodle> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            state: Mutex::new(State::install()),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            wwwroot: format!("http://{addr}"),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let app = server::router(shared.clone());
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                let _ = stopped.await;
            });
            rt.shutdown_background();
        });
        Ok(FakeMoodle { shared, addr, stop: Some(stop), thread: Some(thread) })
    }

    /// Base URL (`wwwroot`), without a trailing slash.
    pub fn url(&self) -> String {
        self.shared.wwwroot.clone()
    }

    /// The REST endpoint.
    pub fn rest_url(&self) -> String {
        format!("{}/webservice/rest/server.php", self.shared.wwwroot)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first configured token.
    pub fn token(&self) -> String {
        lock(&self.shared.config).tokens.first().map(|t| t.token.clone()).unwrap_or_default()
    }

    /// The site's data, for seeding and assertions (hold the guard briefly).
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// The knobs; changes apply to the next call.
    pub fn config(&self) -> MutexGuard<'_, Config> {
        lock(&self.shared.config)
    }

    /// Adds a fault rule.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared.faults).push(rule);
    }

    /// Fails the next `n` calls (any function) with `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.inject(FaultRule { fault, function: None, item_value: None, remaining: n });
    }

    /// Fails every call whose parameters contain `value` with `error` (until cleared).
    pub fn fail_item(&self, value: &str, error: WsError) {
        self.inject(FaultRule {
            fault: Fault::Exception(error),
            function: None,
            item_value: Some(value.to_string()),
            remaining: usize::MAX,
        });
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.log).clone()
    }

    /// How many calls of `function` were received.
    pub fn count(&self, function: &str) -> usize {
        lock(&self.shared.log).iter().filter(|c| c.function == function).count()
    }

    /// How many calls of write functions were received.
    pub fn write_count(&self) -> usize {
        lock(&self.shared.log).iter().filter(|c| c.write).count()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }
}

impl Drop for FakeMoodle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
