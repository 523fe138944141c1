//! Meta links on Moodle (spec §2.11): added and removed with `enrol_meta_add_instances` /
//! `enrol_meta_delete_instances` (4.0+), whose per-link `status` says whether anything changed.
//! Older sites have no such functions: each line fails naming the release needed. Links are
//! journalled with the site's address, the only record of them lmsync can read back
//! (`lookups::courses::meta_links`).

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind};
use lmsync_moodle::{Param, Params};
use std::collections::HashSet;

use crate::MoodleTarget;
use crate::apply::{Entry, Work};
use crate::calls::write;
use crate::json::flag;

fn instances(items: &[(usize, (i64, i64))]) -> Params {
    Params::new().with(
        "instances",
        Param::list(items.iter().map(|(_, (master, meta))| {
            Param::obj([("metacourseid", Param::from(*meta)), ("courseid", Param::from(master.to_string()))])
        })),
    )
}

pub(crate) fn apply(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    let links: Vec<(usize, (i64, i64), bool)> = w
        .each()
        .filter_map(|(i, c)| match c.kind {
            ChangeKind::MetaLink { master, meta, add } => Some((i, (master, meta), add)),
            _ => None,
        })
        .collect();
    if links.is_empty() {
        return Ok(());
    }
    if !t.site.has_meta_link_functions() {
        for (i, _, _) in links {
            w.fail(
                i,
                ChangeError::new(
                    "moodle.unsupported",
                    format!(
                        "this site runs Moodle {}, whose web services cannot add or remove meta links (enrol_meta_add_instances and enrol_meta_delete_instances come with Moodle 4.0); link the courses in the meta course's Participants > Enrolment methods page, or upgrade the site to 4.0 or later",
                        t.site.release
                    ),
                ),
            );
        }
        return Ok(());
    }
    let adds: Vec<(usize, (i64, i64))> = links.iter().filter(|l| l.2).map(|(i, pair, _)| (*i, *pair)).collect();
    let removals: Vec<(usize, (i64, i64))> = links.iter().filter(|l| !l.2).map(|(i, pair, _)| (*i, *pair)).collect();
    // A meta course with no enabled meta instance has no link to remove: nothing is sent
    // (a disabled instance is invisible to the web services and stays).
    let removals = if removals.is_empty() {
        removals
    } else {
        let metas: Vec<i64> = removals.iter().map(|(_, (_, meta))| *meta).collect();
        let linked: HashSet<i64> = crate::lookups::courses::having_method(t, &metas, "meta")?;
        removals.into_iter().filter(|(_, (_, meta))| linked.contains(meta)).collect()
    };
    let site = t.site_key().to_string();
    for (function, items, add) in
        [("enrol_meta_add_instances", &adds, true), ("enrol_meta_delete_instances", &removals, false)]
    {
        let answers = write(&t.client, function, items, instances, &mut w.failures)?;
        for ((i, (master, meta)), answer) in items.iter().zip(&answers) {
            // `status` false: the link was already there (add) or was not (remove).
            if answer.as_ref().is_some_and(|a| flag(a, "status")) {
                let link = Some(serde_json::json!({ "site": site, "master": master, "meta": meta }).to_string());
                let (action, before, after) = if add { ("create", None, link) } else { ("delete", link, None) };
                w.journal(*i, Entry { entity: "meta_link", id: *meta, action, before, after });
            } else if answer.is_some() {
                // No id: the run reports a planned creation that gave none as unchanged.
                w.ids[*i] = 0;
            }
        }
    }
    Ok(())
}
