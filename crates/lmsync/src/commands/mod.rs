//! One module per command; `dispatch` maps the parsed command line to it.

mod check;
pub mod courses;
mod export;
pub mod files;
mod profile_fields;
mod run;
mod runs;
mod serve;
pub use serve::schedules as serve_schedules;
mod access;
mod status;
mod userpictures;

use anyhow::Result;

use crate::app::App;
use crate::cli::{Cli, Command};

/// Runs the command; returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    let app = App::open(&cli.data_dir)?;
    match cli.command {
        Command::Serve => serve::serve(&app),
        Command::Run(args) => run::run(&app, args),
        Command::Export(args) => export::export(&app, args),
        Command::Runs(args) => runs::runs(&app, args),
        Command::ProfileFields(cmd) => profile_fields::profile_fields(&app, cmd),
        Command::Courses(cmd) => courses::courses_command(&app, cmd),
        Command::Check { repair } => check::check(&app, repair),
        Command::Userpictures(cmd) => userpictures::command(&app, cmd),
        Command::Files(cmd) => files::command(&app, cmd),
        Command::Status => status::status(&app),
        Command::Accounts(cmd) => access::accounts(&app, cmd),
        Command::Tokens(cmd) => access::tokens(&app, cmd),
    }
}
