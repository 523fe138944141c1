//! `lmsync userpictures get|rehash`: fetch a stored picture; backfill picture hashes.

use anyhow::{Context, Result, bail};
use lmsync_sqlite::PictureSize;
use std::io::Write;

use crate::app::App;
use crate::cli::PicturesCommand;

pub fn command(app: &App, cmd: PicturesCommand) -> Result<i32> {
    match cmd {
        PicturesCommand::Get { username, size, output } => {
            let size = match size.as_str() {
                "f2" => PictureSize::F2,
                "f3" => PictureSize::F3,
                _ => PictureSize::F1,
            };
            let Some(png) = app.store()?.picture(&username.to_lowercase(), size)? else {
                bail!("{username} has no stored picture (or no such account)");
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, &png).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => std::io::stdout().lock().write_all(&png)?,
            }
            Ok(0)
        }
        PicturesCommand::Rehash => {
            let n = app.store()?.rehash_pictures()?;
            println!(
                "{n} stored pictures had no hash: each now has the MD5 of its stored 100×100 image (the original is not kept, so the next archive sending that picture replaces it once and stores the original's hash)"
            );
            Ok(0)
        }
    }
}
