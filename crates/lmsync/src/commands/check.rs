//! `lmsync check [--repair]`: the target's health. For the embedded store, its consistency
//! check (derived data is kept in step by the store itself; this finds and repairs drift left
//! by hand edits or partial restores); for a Moodle site, the connection and what its token
//! allows, tool by tool.

use anyhow::Result;
use lmsync_core::settings::{TargetKind, TargetSettings};
use lmsync_moodle::{Availability, Missing, MoodleClient, SiteInfo, ToolAvailability};

use crate::app::App;

/// Exit code 0 when nothing drifted, 1 when something did (repaired or not).
pub fn check(app: &App, repair: bool) -> Result<i32> {
    if app.settings.target.kind == TargetKind::Moodle {
        return check_moodle(&app.settings.target);
    }
    let store = app.store()?;
    let found = store.cohort_drift(repair)?;
    if found.is_empty() {
        println!("cohort bindings: consistent");
        return Ok(0);
    }
    for d in &found {
        println!("cohort bindings: {} {}{}", d.rows, d.what, if repair { " (repaired)" } else { "" });
    }
    if !repair {
        println!("run `lmsync check --repair` to repair");
    }
    Ok(1)
}

/// A client for the `[target]` of kind `moodle`.
fn moodle_client(target: &TargetSettings) -> Result<MoodleClient> {
    Ok(MoodleClient::new(&target.url, &target.token, lmsync_moodle_target::client_options(target))?)
}

/// Exit code 0 when every tool can do everything core Moodle allows (what no Moodle web service
/// can do is listed, not held against the site), 1 otherwise.
fn check_moodle(target: &TargetSettings) -> Result<i32> {
    let client = moodle_client(target)?;
    let site = match client.site_info() {
        Ok(site) => site,
        Err(e) => {
            println!("moodle {}: {e}", target.url);
            return Ok(1);
        }
    };
    let tools = lmsync_moodle::availability(&site);
    print!("{}", moodle_summary(&site, &tools));
    let fixable = |t: &ToolAvailability| match &t.availability {
        Availability::Full => false,
        Availability::Partial(gaps) => gaps.iter().any(|(_, m)| !matches!(m, Missing::Unsupported(_))),
        Availability::None(_) => true,
    };
    Ok(if tools.iter().any(fixable) { 1 } else { 0 })
}

/// What `check` prints about a Moodle site: who and what it is, then one line per tool and one
/// per operation it cannot do, with what would make it possible.
fn moodle_summary(site: &SiteInfo, tools: &[ToolAvailability]) -> String {
    let mut out = format!(
        "moodle {} ({}): release {}, version {}\nconnected as {}; the token may call {} functions{}\n",
        site.sitename,
        site.siteurl,
        site.release,
        site.version,
        site.username,
        site.functions.len(),
        if site.uploadfiles { ", and upload files" } else { "" }
    );
    for t in tools {
        let (state, gaps) = match &t.availability {
            Availability::Full => ("available", &[][..]),
            Availability::Partial(gaps) => ("partly available", &gaps[..]),
            Availability::None(gaps) => ("not available", &gaps[..]),
        };
        out.push_str(&format!("{}: {state}\n", t.tool));
        for (operation, missing) in gaps {
            out.push_str(&format!("  {operation}: {missing}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_summary_names_the_site_and_what_each_tool_lacks() {
        let site = SiteInfo::from_json(&json!({
            "sitename": "Campus", "siteurl": "https://lms.example.edu", "username": "lmsync",
            "userid": 3, "release": "4.5.2 (Build: 20250210)", "version": "2024100702",
            "functions": [
                {"name": "core_webservice_get_site_info", "version": "2024100702"},
                {"name": "core_user_get_users_by_field", "version": "2024100702"},
                {"name": "core_user_create_users", "version": "2024100702"}
            ],
            "uploadfiles": 0
        }))
        .unwrap();
        let tools = lmsync_moodle::availability(&site);
        let text = moodle_summary(&site, &tools);
        assert!(text.starts_with("moodle Campus (https://lms.example.edu): release 4.5.2"), "{text}");
        assert!(text.contains("the token may call 3 functions\n"), "{text}");
        assert!(text.contains("\nusers: partly available\n"), "{text}");
        assert!(text.contains("add to the lmsync service: core_user_update_users"), "{text}");
        assert!(text.contains("\nenrols: not available\n"), "{text}");
    }
}
