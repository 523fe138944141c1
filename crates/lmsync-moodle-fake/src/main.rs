//! `lmsync-moodle-fake`: runs the fake Moodle by hand (e.g. to try the `moodle` target
//! against it) and prints its URL and token.

use std::time::Duration;

use lmsync_moodle_fake::{Config, DebugLevel, FakeMoodle};

const USAGE: &str =
    "usage: lmsync-moodle-fake [--port N] [--release MAJOR.MINOR] [--debug none|normal|developer] [--latency-ms N]";

fn main() {
    let mut config = Config::default();
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--port" => port = value.parse().unwrap_or_else(|_| exit(USAGE)),
            "--release" => {
                let (major, minor) = value.split_once('.').unwrap_or_else(|| exit(USAGE));
                let parse = |s: &str| s.parse().unwrap_or_else(|_| exit(USAGE));
                config = config.with_release(parse(major), parse(minor));
            }
            // Added to every answer, as a network and a busy site would (benchmarks).
            "--latency-ms" => config.latency = Duration::from_millis(value.parse().unwrap_or_else(|_| exit(USAGE))),
            "--debug" => {
                config.debug = match value.as_str() {
                    "none" => DebugLevel::None,
                    "normal" => DebugLevel::Normal,
                    "developer" => DebugLevel::Developer,
                    _ => exit(USAGE),
                }
            }
            _ => exit(USAGE),
        }
    }
    let fake = FakeMoodle::start_on(([127, 0, 0, 1], port).into(), config).unwrap_or_else(|e| exit(&e.to_string()));
    println!("url:   {}", fake.url());
    println!("token: {}", fake.token());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn exit(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}
