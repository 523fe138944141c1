//! User pictures on Moodle (spec §2.2): the picture is uploaded to a fresh draft area of the
//! token's user (`webservice/upload.php`, spec §1.7), then made the account's picture with
//! `core_user_update_picture`. Moodle keeps no hash of a picture, so the MD5 of the original is
//! recorded locally once Moodle took it: the same picture sent again is not uploaded.
//!
//! The 512×512 PNG (`f3`) is what is sent: the original is not kept, and Moodle makes its own
//! 100×100, 35×35 and 512×512 sizes from the upload, so the largest rendering loses nothing it
//! would keep; it is a PNG, a type Moodle always accepts for pictures, and small enough for any
//! upload limit.

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind, Picture};
use lmsync_moodle::Params;
use serde_json::Value;

use super::groups::offered;
use super::{Entry, Work};
use crate::calls::refusal;
use crate::json::{flag, list, text};
use crate::records::{self, Hashes};
use crate::{MoodleTarget, local_failure, stop};

const UPDATE: &str = "core_user_update_picture";

fn upload_disabled() -> ChangeError {
    ChangeError::new(
        "moodle.upload_disabled",
        "the site's web service for lmsync may not upload files, and a picture must be uploaded before Moodle can use it: tick \"Can upload files\" in the service's settings (Site administration › Server › Web services › External services › Edit, Show more), then run the file again",
    )
}

/// Why Moodle answered `success=false` (with its warnings, if any).
fn not_taken(user: i64, answer: &Value) -> ChangeError {
    let warnings: Vec<String> = list(answer, Some("warnings")).iter().map(|w| text(w, "message")).collect();
    let said = if warnings.is_empty() { String::new() } else { format!(" ({})", warnings.join("; ")) };
    ChangeError::new(
        "moodle.picture_refused",
        format!(
            "moodle did not take the picture of user id {user}{said}: check that user pictures are enabled on the site (Site administration › Users › Permissions › User policies: \"Disable user profile images\" off) and that the account may have one, then run the line again"
        ),
    )
}

/// Uploads one picture and makes it the account's; `Ok(Err(_))` is the line's failure.
fn send(t: &MoodleTarget, p: &Picture) -> Result<Result<(), ChangeError>, TargetError> {
    let draft = match t.client.upload_file(&format!("user{}.png", p.user), &p.f3) {
        Ok(id) => id,
        Err(e) if e.is_item_level() => return Ok(Err(refusal(&e))),
        Err(e) => return Err(stop(e)),
    };
    let params = Params::new().with("draftitemid", draft).with("delete", false).with("userid", p.user);
    match t.client.call(UPDATE, &params) {
        Ok(answer) if flag(&answer, "success") => Ok(Ok(())),
        Ok(answer) => Ok(Err(not_taken(p.user, &answer))),
        Err(e) if e.is_item_level() => Ok(Err(refusal(&e))),
        Err(e) => Err(stop(e)),
    }
}

pub(super) fn apply(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let pictures: Vec<(usize, &Picture)> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::SetPicture(p) => Some((i, p.as_ref())),
            _ => None,
        })
        .collect();
    if pictures.is_empty() {
        return Ok(());
    }
    let site = t.site_key().to_string();
    let mut todo = Vec::new();
    for (i, p) in pictures {
        let recorded = records::hash(t.local.connection(), Hashes::Pictures, &site, p.user).map_err(local_failure)?;
        if recorded.as_deref() == Some(p.hash.as_str()) {
            // The same picture was sent already: nothing to write. No id either, so the line
            // reads as unchanged rather than as the creation the planner expected (Moodle
            // does not say whether an account has a picture lmsync gave it).
            w.ids[i] = 0;
            continue;
        }
        todo.push((i, (p, recorded.is_some())));
    }
    if !todo.is_empty() && !t.site.uploadfiles {
        for (i, _) in &todo {
            w.fail(*i, upload_disabled());
        }
        return Ok(());
    }
    for (i, (p, had)) in offered(t, w, UPDATE, todo) {
        match send(t, p)? {
            Ok(()) => {
                records::set_hash(t.local.connection(), Hashes::Pictures, &site, p.user, &p.hash)
                    .map_err(local_failure)?;
                let after = Some(serde_json::json!({ "hash": p.hash }).to_string());
                let action = if had { "update" } else { "create" };
                w.journal(i, Entry { entity: "picture", id: p.user, action, before: None, after });
            }
            Err(e) => w.fail(i, e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refused_picture_names_the_account_moodles_reason_and_what_to_check() {
        let e = not_taken(7, &json!({"success": false, "warnings": [{"message": "no image"}]}));
        assert!(e.message.contains("user id 7 (no image)"), "{}", e.message);
        assert!(e.message.contains("User policies"), "{}", e.message);
        assert!(upload_disabled().message.contains("Can upload files"));
    }
}
