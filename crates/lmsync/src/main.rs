//! `lmsync`: the command-line entry point. Parses arguments, opens the data directory and
//! dispatches to one command; exit codes are 0 (all good), 1 (some lines failed), 2 (could not run).

mod app;
mod cli;
mod commands;
mod config;
mod console;
mod mail;
mod web;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::Serve) {
        restore_sigpipe();
    }
    let default_level = if matches!(cli.command, cli::Command::Serve) { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LMSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        cli::LogFormat::Json => logs.json().init(),
        cli::LogFormat::Text => logs.init(),
    }
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

/// A command piped into `head` should end quietly when the pipe closes, as command-line tools
/// do, instead of panicking on the write. (The daemon keeps Rust's default: a closed socket
/// must never kill it.)
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
