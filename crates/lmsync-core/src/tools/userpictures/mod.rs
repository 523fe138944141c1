//! The user pictures tool (spec/users.md §10, DECISIONS §5): a zip archive of images, each named
//! after its account (`userpictures.user_field`), becomes the accounts' pictures. The MD5 of
//! each original is kept in the `userpicturehash` profile field, so an unchanged picture is
//! skipped (`unchanged`) and a sender can send only pictures that changed.

mod entry;
pub mod render;

use lmsync_csv::{ColumnRules, Columns};
use lmsync_model::{Change, ChangeKind, LineOutcome, Outcome, Picture, User};
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use crate::settings::{PictureSettings, PictureUserField};
use crate::target::{LmsTarget, TargetError, UserKeys};
use crate::tools::{Planned, Row, Tool, ToolContext, ToolError};
use entry::{Entry, Verdict};

pub static RULES: ColumnRules = ColumnRules { required: &[], optional: &["name"], patterns: &[] };

/// Pictures read, rendered and applied together: they are held decoded in memory.
const CHUNK: usize = 64;

pub struct PicturesTool {
    s: PictureSettings,
    archive: Option<zip::ZipArchive<File>>,
    /// Accounts given a picture earlier in the archive, with the entry that did it.
    seen: HashMap<i64, String>,
}

type Refusal = (&'static str, String);

impl PicturesTool {
    pub fn new(settings: PictureSettings) -> Self {
        PicturesTool { s: settings, archive: None, seen: HashMap::new() }
    }

    /// Whether `name` (a file name in the file area) is a picture archive of this prefix. A
    /// tryback of failed pictures, or an archive set aside after a crash, is not: rename it to
    /// process it again.
    pub fn matches(prefix: &str, name: &str) -> bool {
        name.starts_with(prefix)
            && name.len() >= prefix.len() + 4
            && name.to_ascii_lowercase().ends_with(".zip")
            && !name.contains("_tryback_")
            && !name.contains("-tryback-failed")
    }

    fn user_keys(&self, values: &[&str]) -> UserKeys {
        let mut keys = UserKeys::default();
        for v in values {
            match self.s.user_field {
                PictureUserField::Id => keys.ids.extend(v.parse::<i64>().ok()),
                PictureUserField::Idnumber => keys.idnumbers.push(v.to_string()),
                PictureUserField::Username => keys.usernames.push(v.to_lowercase()),
                PictureUserField::Email => keys.emails.push(v.to_string()),
                PictureUserField::Hostedusername => {
                    if let Some((u, _)) = v.rsplit_once('@') {
                        keys.usernames.push(u.to_lowercase());
                    }
                }
            }
        }
        keys
    }

    /// The account a picture's name designates.
    fn account<'u>(&self, value: &str, users: &'u [User]) -> Result<&'u User, Refusal> {
        let field = self.s.user_field.as_str();
        let (wanted, host) = match self.s.user_field {
            PictureUserField::Hostedusername => match value.rsplit_once('@') {
                Some((u, h)) => (u.to_lowercase(), h),
                None => return Err(("picture.bad_name", format!("\"{value}\" is not username@mnethostid"))),
            },
            PictureUserField::Username | PictureUserField::Email => (value.to_lowercase(), "1"),
            _ => (value.to_string(), "1"),
        };
        if host != "1" {
            return Err((
                "picture.user_not_found",
                format!("\"{value}\" names host {host}; only local accounts (host 1) have pictures here"),
            ));
        }
        let found: Vec<&User> = users
            .iter()
            .filter(|u| !u.deleted)
            .filter(|u| match self.s.user_field {
                PictureUserField::Id => u.id.to_string() == wanted,
                PictureUserField::Idnumber => !u.idnumber.is_empty() && u.idnumber == wanted,
                PictureUserField::Username | PictureUserField::Hostedusername => u.username == wanted,
                PictureUserField::Email => !u.email.is_empty() && u.email.to_lowercase() == wanted,
            })
            .collect();
        match found.as_slice() {
            [] => Err(("picture.user_not_found", format!("no account has {field} \"{value}\""))),
            [u] => Ok(u),
            many => {
                let names: Vec<&str> = many.iter().map(|u| u.username.as_str()).collect();
                Err((
                    "picture.user_ambiguous",
                    format!("{field} \"{value}\" matches several accounts: {}", names.join(", ")),
                ))
            }
        }
    }
}

impl Tool for PicturesTool {
    fn name(&self) -> &'static str {
        "userpictures"
    }

    fn rules(&self) -> &'static ColumnRules {
        &RULES
    }

    fn chunk_rows(&self) -> usize {
        CHUNK
    }

    fn deletes_input(&self) -> bool {
        self.s.force_deletion
    }

    fn items(&mut self, input: &Path) -> Option<Result<Vec<(u64, String)>, String>> {
        Some(entry::list(input, &self.s).map(|(archive, items)| {
            self.archive = Some(archive);
            items
        }))
    }

    fn start(&mut self, _: &Columns, _: &ToolContext, _: &mut dyn LmsTarget) -> Result<Vec<String>, ToolError> {
        Ok(vec![format!(
            "pictures are matched to accounts by {}; a picture an account already has is {}",
            self.s.user_field.as_str(),
            if self.s.overwrite { "replaced when it changed" } else { "kept (userpictures.overwrite = false)" }
        )])
    }

    fn plan(&mut self, rows: &[Row], target: &mut dyn LmsTarget) -> Result<Vec<Planned>, TargetError> {
        let Some(archive) = self.archive.as_mut() else {
            return Err(TargetError::Unavailable("the archive is not open".into()));
        };
        let entries: Vec<Entry> = rows.iter().map(|r| entry::read(archive, r, &self.s)).collect();
        let values: Vec<&str> = entries
            .iter()
            .filter_map(|e| if let Verdict::Picture { value, .. } = &e.verdict { Some(value.as_str()) } else { None })
            .collect();
        let keys = self.user_keys(&values);
        let users = if keys.is_empty() { Vec::new() } else { target.users(&keys)? };
        // Decide per entry, then render the pictures to store on all cores.
        let mut outcomes: Vec<Result<(Outcome, String), Refusal>> = Vec::with_capacity(entries.len());
        let mut to_render: Vec<(usize, &User, &[u8], String)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            outcomes.push(match &e.verdict {
                Verdict::Skip(why) => Ok((Outcome::Skipped, why.clone())),
                Verdict::Refuse(code, why) => Err((code, why.clone())),
                Verdict::Picture { value, bytes, md5 } => match self.account(value, &users) {
                    Err(r) => Err(r),
                    Ok(u) => {
                        let stored = u.profile.get("userpicturehash").map(String::as_str).unwrap_or("");
                        if let Some(other) = self.seen.get(&u.id) {
                            Err((
                                "picture.duplicate",
                                format!(
                                    "{other} in this archive is also for {}; keep one picture per account",
                                    u.username
                                ),
                            ))
                        } else if u.picture != 0 && stored == md5 {
                            self.seen.insert(u.id, e.name.clone());
                            Ok((Outcome::Unchanged, format!("picture of {} unchanged", u.username)))
                        } else if u.picture != 0 && !self.s.overwrite {
                            self.seen.insert(u.id, e.name.clone());
                            Ok((
                                Outcome::Skipped,
                                format!("{} already has a picture (userpictures.overwrite = false)", u.username),
                            ))
                        } else {
                            self.seen.insert(u.id, e.name.clone());
                            to_render.push((i, u, bytes, md5.clone()));
                            Ok((if u.picture != 0 { Outcome::Updated } else { Outcome::Created }, String::new()))
                        }
                    }
                },
            });
        }
        let images: Vec<&[u8]> = to_render.iter().map(|(_, _, b, _)| *b).collect();
        let rendered = render::render_all(&images, self.s.max_pixels);
        let mut changes: HashMap<usize, Change> = HashMap::new();
        for ((i, u, _, md5), r) in to_render.iter().zip(rendered) {
            match r {
                Ok(r) => {
                    if let Ok((_, message)) = &mut outcomes[*i] {
                        *message =
                            format!("picture of {} stored (from a {}×{} {})", u.username, r.size.0, r.size.1, r.format);
                    }
                    let picture = Picture { user: u.id, f1: r.f1, f2: r.f2, f3: r.f3, hash: md5.clone() };
                    changes.insert(
                        *i,
                        Change {
                            line: rows[*i].line,
                            key: entries[*i].name.clone(),
                            kind: ChangeKind::SetPicture(Box::new(picture)),
                        },
                    );
                }
                Err(e) => {
                    // Another entry for the account may still give it a picture.
                    self.seen.remove(&u.id);
                    outcomes[*i] = match e {
                        render::RenderError::NotAnImage => Ok((Outcome::Skipped, e.to_string())),
                        render::RenderError::TooLarge(..) => Err(("picture.too_large", e.to_string())),
                        render::RenderError::Corrupt(_) => Err(("picture.corrupt", e.to_string())),
                    };
                }
            }
        }
        Ok(outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let (line, key) = (rows[i].line, entries[i].name.clone());
                match o {
                    Ok((outcome, message)) => {
                        Planned { outcome: LineOutcome::new(line, outcome, key, message), change: changes.remove(&i) }
                    }
                    Err((code, message)) => {
                        Planned { outcome: LineOutcome::failed(line, key, code, message), change: None }
                    }
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_match_the_prefix_and_a_zip_extension_in_any_case() {
        let m = |n| PicturesTool::matches("userpictures_", n);
        assert!(m("userpictures_2026.zip"));
        assert!(m("userpictures_b.ZIP"));
        assert!(m("userpictures_.zip"));
        assert!(!m("userpictures_a.zip.bak"), "the extension is at the end");
        assert!(!m("old_userpictures_a.zip"), "the prefix is at the start");
        assert!(!m("userpictures_a_tryback_20261122-0300.zip"));
        assert!(!m("userpictures_a-tryback-failed.zip"));
        assert!(PicturesTool::matches("", "photos.zip"));
    }
}
