//! Cohorts and their members on Moodle (spec §2.10). The steps of a chunk are first walked in
//! order, each cohort named by id, or (created earlier in the chunk) by idnumber or name; then
//! they go out in batched calls: creations (so a new cohort has its id before its members are
//! added), updates, memberships in file order, deletions. Moodle's per-member warnings say
//! which members were there already: those lines changed nothing.

use lmsync_core::target::TargetError;
use lmsync_model::{ChangeError, ChangeKind, Cohort, CohortOp, CohortRef};
use lmsync_moodle::{Param, Params};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

use super::groups::{Handle, Waves, offered, resolve, wrote};
use super::{Entry, Work};
use crate::MoodleTarget;
use crate::calls::write;
use crate::json::{int, list, text};
use crate::lookups::cohorts as lookup;
use crate::stop;

/// A cohort as the walk knows it. `category`: its context when known (`Some(None)` = the
/// system); Moodle does not list a cohort's context, so it is known only for cohorts the chunk
/// creates or moves.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    handle: Handle,
    name: String,
    idnumber: String,
    category: Option<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Create {
    name: String,
    idnumber: String,
    description: String,
    category: Option<i64>,
}

/// An update: Moodle requires the context, name and idnumber every time (the current ones
/// when unchanged). `category: None`: the context is unknown and must be asked before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Update {
    cohort: Handle,
    name: String,
    idnumber: String,
    description: Option<String>,
    category: Option<Option<i64>>,
}

#[derive(Debug, Default)]
struct Plan {
    creates: Vec<(usize, Create)>,
    updates: Vec<(usize, Update)>,
    waves: Waves<(Handle, i64)>,
    deletes: Vec<(usize, Handle)>,
    /// The cohort each change is about.
    subjects: Vec<(usize, Handle)>,
    refused: Vec<(usize, ChangeError)>,
}

/// What the walk starts from: the site's cohorts and the members of those a step empties.
#[derive(Debug, Default)]
struct Site {
    cohorts: Vec<Known>,
    members: BTreeSet<(Handle, i64)>,
}

fn describe(c: &CohortRef) -> String {
    if c.id > 0 {
        format!("id {}", c.id)
    } else if !c.idnumber.is_empty() {
        format!("idnumber \"{}\"", c.idnumber)
    } else {
        format!("named \"{}\"", c.name)
    }
}

/// The cohort a change names: by id, else the one created earlier in the chunk, else the
/// site's, by idnumber when it has one, else by name.
fn find(known: &[Known], c: &CohortRef) -> Option<usize> {
    if c.id > 0 {
        return known.iter().position(|k| k.handle == Handle::Site(c.id));
    }
    let matches = |k: &Known| {
        if c.idnumber.is_empty() { k.name == c.name } else { k.idnumber == c.idnumber }
    };
    let new = known.iter().position(|k| matches!(k.handle, Handle::New(_)) && matches(k));
    new.or_else(|| known.iter().position(|k| matches!(k.handle, Handle::Site(_)) && matches(k)))
}

fn walk_one(
    plan: &mut Plan,
    site: &mut Site,
    change: usize,
    c: &CohortRef,
    ops: &[CohortOp],
) -> Result<(), ChangeError> {
    let mut at = find(&site.cohorts, c);
    for op in ops {
        if let CohortOp::Create { description, category, .. } = op {
            if let Some(k) = at.map(|at| &site.cohorts[at]) {
                return Err(ChangeError::new(
                    "cohort.exists",
                    format!(
                        "cohort {} exists already (\"{}\"); add members to it instead of creating it",
                        describe(c),
                        k.name
                    ),
                ));
            }
            if c.idnumber.is_empty()
                && let Some(other) = site.cohorts.iter().find(|k| k.idnumber.is_empty())
            {
                return Err(ChangeError::new(
                    "moodle.cohort_idnumber_required",
                    format!(
                        "cohort \"{}\" has no idnumber, and Moodle's web services create no second cohort without one (cohort \"{}\" has none): give it an idnumber in the cidnumber column",
                        c.name, other.name
                    ),
                ));
            }
            let handle = Handle::New(plan.creates.len());
            let create = Create {
                name: c.name.clone(),
                idnumber: c.idnumber.clone(),
                description: description.clone(),
                category: *category,
            };
            plan.creates.push((change, create));
            site.cohorts.push(Known {
                handle,
                name: c.name.clone(),
                idnumber: c.idnumber.clone(),
                category: Some(*category),
            });
            at = Some(site.cohorts.len() - 1);
            continue;
        }
        let k = at.map(|at| &mut site.cohorts[at]).ok_or_else(|| {
            ChangeError::new(
                "cohort.target_missing",
                format!("cohort {} no longer exists on the site; run the file again", describe(c)),
            )
        })?;
        let h = k.handle;
        match op {
            CohortOp::Create { .. } => {}
            CohortOp::Update { description, category } => {
                if category.is_some() {
                    k.category = *category;
                }
                let update = Update {
                    cohort: h,
                    name: k.name.clone(),
                    idnumber: k.idnumber.clone(),
                    description: description.clone(),
                    category: k.category,
                };
                plan.updates.push((change, update));
            }
            CohortOp::AddMember { user } => {
                site.members.insert((h, *user));
                plan.waves.add(change, (h, *user));
            }
            CohortOp::RemoveMember { user } => {
                site.members.remove(&(h, *user));
                plan.waves.remove(change, (h, *user));
            }
            CohortOp::Empty => {
                let all: Vec<(Handle, i64)> = site.members.iter().filter(|(c, _)| *c == h).copied().collect();
                for pair in all {
                    site.members.remove(&pair);
                    plan.waves.remove(change, pair);
                }
            }
            CohortOp::Delete => {
                site.members.retain(|(c, _)| *c != h);
                if let Some(at) = at.take() {
                    site.cohorts.remove(at);
                }
                plan.deletes.push((change, h));
            }
        }
    }
    if let Some(at) = at {
        plan.subjects.push((change, site.cohorts[at].handle));
    } else if let Some((_, h)) = plan.deletes.iter().rev().find(|(i, _)| *i == change) {
        plan.subjects.push((change, *h));
    }
    Ok(())
}

fn walk(changes: &[(usize, &CohortRef, &[CohortOp])], site: &mut Site) -> Plan {
    let mut plan = Plan::default();
    for (change, c, ops) in changes {
        if let Err(e) = walk_one(&mut plan, site, *change, c, ops) {
            plan.refused.push((*change, e));
        }
    }
    plan
}

fn categorytype(category: Option<i64>) -> Param {
    match category {
        None => Param::obj([("type", Param::from("system")), ("value", Param::from(""))]),
        Some(c) => Param::obj([("type", Param::from("id")), ("value", Param::from(c.to_string()))]),
    }
}

/// Whether a site cohort sits in the system context (`core_cohort_search_cohorts` lists the
/// system's own cohorts; Moodle says nothing else of a cohort's context).
fn in_system(t: &MoodleTarget, id: i64, query: &str) -> Result<bool, TargetError> {
    let context = Param::obj([("contextlevel", Param::from("system")), ("instanceid", Param::from(0i64))]);
    let params = Params::new()
        .with("query", query)
        .with("context", context)
        .with("includes", "self")
        .with("limitfrom", 0i64)
        .with("limitnum", 0i64);
    let answer = t.client.call_raw("core_cohort_search_cohorts", &params).map_err(stop)?;
    Ok(list(&answer, Some("cohorts")).iter().any(|c| int(c, "id") == id))
}

/// The context an update keeps when its line names none: asked of the site.
fn keep_context(t: &MoodleTarget, id: i64, u: &Update) -> Result<Result<Option<i64>, ChangeError>, TargetError> {
    const SEARCH: &str = "core_cohort_search_cohorts";
    if !t.site.has_function(SEARCH) {
        return Ok(Err(ChangeError::new(
            "moodle.function_missing",
            format!(
                "changing cohort \"{}\" needs its context, which only {SEARCH} tells: add that function to the site's web service for lmsync, or name the cohort's category (or 0 for the system) in the file",
                u.name
            ),
        )));
    }
    let query = if u.idnumber.is_empty() { &u.name } else { &u.idnumber };
    if in_system(t, id, query)? {
        return Ok(Ok(None));
    }
    Ok(Err(ChangeError::new(
        "moodle.cohort_context_unknown",
        format!(
            "cohort \"{}\" belongs to a category, and Moodle's web services do not say which: name its category in the file (ccatcontext), so the change keeps it there",
            u.name
        ),
    )))
}

/// What a member's warning of `core_cohort_add_cohort_members` says of it: `Some(None)` = it
/// was a member already, `Some(Some(e))` = refused, `None` = added. Moodle's warnings carry no
/// item: the message names the cohort and user ("record already exists: cohortid=3 userid=7",
/// "cohort id=3 not exists", "user id=7 not exists").
fn member_warning(answer: &Value, cohort: i64, user: i64) -> Option<Option<ChangeError>> {
    for w in list(answer, Some("warnings")) {
        let (code, message) = (text(w, "warningcode"), text(w, "message"));
        let ours = message.ends_with(&format!(" cohortid={cohort} userid={user}"))
            || message.starts_with(&format!("cohort id={cohort} "))
            || message.starts_with(&format!("user id={user} "));
        if !ours {
            continue;
        }
        if code == "3" {
            return Some(None);
        }
        return Some(Some(ChangeError::new(
            &format!("moodle.cohort_member_{code}"),
            format!(
                "moodle refused user id {user} in cohort id {cohort}: {message}; check that both still exist, then run the line again"
            ),
        )));
    }
    None
}

/// The ids of what the chunk created, once it is created.
fn created_id(ids: &[Option<i64>], creates: &[(usize, Create)], h: Handle) -> Result<i64, ChangeError> {
    match h {
        Handle::Site(id) => Ok(id),
        Handle::New(k) => ids.get(k).copied().flatten().ok_or_else(|| {
            ChangeError::new(
                "cohort.not_created",
                format!(
                    "cohort \"{}\" could not be created (see the failure of the line creating it), so this step was not sent; fix that line and run the file again",
                    creates[k].1.name
                ),
            )
        }),
    }
}

/// Sends the plan; returns the journal action of each change that wrote something.
fn send(t: &mut MoodleTarget, w: &mut Work<'_>, plan: &Plan) -> Result<HashMap<usize, &'static str>, TargetError> {
    let mut actions: HashMap<usize, &'static str> = HashMap::new();
    let mut done = HashSet::new();
    let mut ids: Vec<Option<i64>> = vec![None; plan.creates.len()];

    const CREATE: &str = "core_cohort_create_cohorts";
    let creates: Vec<(usize, (usize, Create))> = plan
        .creates
        .iter()
        .enumerate()
        .filter(|(_, (i, _))| w.alive(*i))
        .map(|(k, (i, c))| (*i, (k, c.clone())))
        .collect();
    let creates = offered(t, w, CREATE, creates);
    let answers = write(
        &t.client,
        CREATE,
        &creates,
        |items| {
            Params::new().with(
                "cohorts",
                Param::list(items.iter().map(|(_, (_, c))| {
                    Param::obj([
                        ("categorytype", categorytype(c.category)),
                        ("name", Param::from(c.name.as_str())),
                        // Required by Moodle (an empty one only while no other cohort has none).
                        ("idnumber", Param::from(c.idnumber.as_str())),
                        ("description", Param::from(c.description.as_str())),
                    ])
                })),
            )
        },
        &mut w.failures,
    )?;
    for ((i, (k, _)), answer) in creates.iter().zip(&answers) {
        if let Some(a) = answer {
            ids[*k] = Some(int(a, "id")).filter(|id| *id > 0);
            actions.insert(*i, "create");
        }
    }
    let id_of = |h: Handle| created_id(&ids, &plan.creates, h);

    const UPDATE: &str = "core_cohort_update_cohorts";
    let mut updates = Vec::new();
    for (i, (id, u)) in resolve(w, &plan.updates, |u| Ok((id_of(u.cohort)?, u.clone()))) {
        let category = match u.category {
            Some(c) => c,
            None => match keep_context(t, id, &u)? {
                Ok(c) => c,
                Err(e) => {
                    w.fail(i, e);
                    continue;
                }
            },
        };
        updates.push((i, (id, category, u)));
    }
    let updates = offered(t, w, UPDATE, updates);
    let answers = write(
        &t.client,
        UPDATE,
        &updates,
        |items| {
            Params::new().with(
                "cohorts",
                Param::list(items.iter().map(|(_, (id, category, u))| {
                    let mut s: Vec<(String, Param)> = vec![
                        ("id".into(), (*id).into()),
                        ("categorytype".into(), categorytype(*category)),
                        ("name".into(), u.name.as_str().into()),
                        ("idnumber".into(), u.idnumber.as_str().into()),
                    ];
                    if let Some(d) = &u.description {
                        s.push(("description".into(), d.as_str().into()));
                    }
                    Param::Struct(s)
                })),
            )
        },
        &mut w.failures,
    )?;
    wrote(&mut done, &updates, &answers);

    for wave in &plan.waves.0 {
        const ADD: &str = "core_cohort_add_cohort_members";
        let adds = resolve(w, &wave.add, |(c, user)| Ok((id_of(*c)?, *user)));
        let adds = offered(t, w, ADD, adds);
        let typed =
            |kind: &str, id: i64| Param::obj([("type", Param::from(kind)), ("value", Param::from(id.to_string()))]);
        let answers = write(
            &t.client,
            ADD,
            &adds,
            |items| {
                Params::new().with(
                    "members",
                    Param::list(items.iter().map(|(_, (c, u))| {
                        Param::obj([("cohorttype", typed("id", *c)), ("usertype", typed("id", *u))])
                    })),
                )
            },
            &mut w.failures,
        )?;
        for ((i, (c, u)), answer) in adds.iter().zip(&answers) {
            let Some(answer) = answer else { continue };
            match member_warning(answer, *c, *u) {
                None => {
                    done.insert(*i);
                }
                Some(None) => {}
                Some(Some(e)) => w.fail(*i, e),
            }
        }
        const REMOVE: &str = "core_cohort_delete_cohort_members";
        let removes = resolve(w, &wave.remove, |(c, user)| Ok((id_of(*c)?, *user)));
        let removes = offered(t, w, REMOVE, removes);
        let answers =
            write(
                &t.client,
                REMOVE,
                &removes,
                |items| {
                    Params::new().with(
                        "members",
                        Param::list(items.iter().map(|(_, (c, u))| {
                            Param::obj([("cohortid", Param::from(*c)), ("userid", Param::from(*u))])
                        })),
                    )
                },
                &mut w.failures,
            )?;
        wrote(&mut done, &removes, &answers);
    }

    const DELETE: &str = "core_cohort_delete_cohorts";
    let deletes = resolve(w, &plan.deletes, |h| id_of(*h));
    let deletes = offered(t, w, DELETE, deletes);
    let answers = write(
        &t.client,
        DELETE,
        &deletes,
        |items| Params::new().with("cohortids", Param::list(items.iter().map(|(_, id)| *id))),
        &mut w.failures,
    )?;
    for ((i, _), answer) in deletes.iter().zip(&answers) {
        if answer.is_some() {
            actions.insert(*i, "delete");
        }
    }
    for i in done {
        actions.entry(i).or_insert("update");
    }
    for (i, h) in &plan.subjects {
        if let Ok(id) = id_of(*h) {
            w.ids[*i] = id;
        }
    }
    Ok(actions)
}

fn known(c: &Cohort) -> Known {
    Known { handle: Handle::Site(c.id), name: c.name.clone(), idnumber: c.idnumber.clone(), category: None }
}

pub(super) fn apply(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    run(t, w, false)
}

/// A dry run's checks: the steps are resolved (lines Moodle would refuse fail), nothing is sent.
pub(super) fn rehearse(t: &mut MoodleTarget, w: &mut Work<'_>) -> Result<(), TargetError> {
    run(t, w, true)
}

fn run(t: &mut MoodleTarget, w: &mut Work<'_>, dry: bool) -> Result<(), TargetError> {
    let changes: Vec<(usize, &CohortRef, &[CohortOp])> = w
        .each()
        .filter_map(|(i, c)| match &c.kind {
            ChangeKind::Cohort { cohort, ops } if !ops.is_empty() => Some((i, cohort, ops.as_slice())),
            _ => None,
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let mut site = Site { cohorts: lookup::all(t)?.iter().map(known).collect(), ..Site::default() };
    // The members of the cohorts a step empties (by id: a cohort the chunk creates has none).
    let emptied: Vec<i64> = changes
        .iter()
        .filter(|(_, _, ops)| ops.contains(&CohortOp::Empty))
        .filter_map(|(_, c, _)| find(&site.cohorts, c).map(|at| site.cohorts[at].handle))
        .filter_map(|h| match h {
            Handle::Site(id) => Some(id),
            Handle::New(_) => None,
        })
        .collect();
    if !emptied.is_empty() {
        for (cohort, users) in lookup::members(t, &emptied)? {
            site.members.extend(users.into_iter().map(|u| (Handle::Site(cohort), u)));
        }
    }
    if changes.iter().any(|(_, _, ops)| {
        ops.iter().any(|op| matches!(op, CohortOp::Create { component, .. } if !component.is_empty()))
    }) {
        t.notice_once(
            "cohort_component",
            "cohort component: Moodle's web services cannot set the component of a cohort; cohorts are created without one".into(),
        );
    }
    let plan = walk(&changes, &mut site);
    for (i, e) in &plan.refused {
        w.fail(*i, e.clone());
    }
    if dry {
        return Ok(());
    }
    let actions = send(t, w, &plan)?;
    for (i, cohort, ops) in &changes {
        if let Some(action) = actions.get(i) {
            let after = serde_json::json!({ "cohort": cohort, "ops": ops }).to_string();
            let id = w.ids[*i];
            w.journal(*i, Entry { entity: "cohort", id, action, before: None, after: Some(after) });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn site(cohorts: &[(i64, &str, &str)]) -> Site {
        Site {
            cohorts: cohorts
                .iter()
                .map(|(id, name, idn)| Known {
                    handle: Handle::Site(*id),
                    name: name.to_string(),
                    idnumber: idn.to_string(),
                    category: None,
                })
                .collect(),
            members: BTreeSet::new(),
        }
    }

    fn cref(id: i64, idnumber: &str, name: &str) -> CohortRef {
        CohortRef { id, idnumber: idnumber.into(), name: name.into() }
    }

    fn create() -> CohortOp {
        CohortOp::Create { description: "d".into(), category: None, component: String::new() }
    }

    #[test]
    fn a_cohort_created_in_the_chunk_is_what_later_lines_name() {
        let mut s = site(&[(3, "Old", "OLD")]);
        let first = [create(), CohortOp::AddMember { user: 5 }];
        let second = [CohortOp::AddMember { user: 6 }];
        let (a, b) = (cref(0, "COH1", "One"), cref(0, "COH1", "One"));
        let plan = walk(&[(0, &a, &first), (1, &b, &second)], &mut s);
        assert!(plan.refused.is_empty(), "{:?}", plan.refused);
        assert_eq!(plan.creates.len(), 1);
        assert_eq!(plan.waves.0[0].add, vec![(0, (Handle::New(0), 5)), (1, (Handle::New(0), 6))]);
        assert_eq!(plan.subjects, vec![(0, Handle::New(0)), (1, Handle::New(0))]);
    }

    #[test]
    fn a_second_cohort_without_idnumber_is_refused_before_anything_is_sent() {
        let mut s = site(&[(3, "Old", "")]);
        let ops = [create()];
        let c = cref(0, "", "New");
        let plan = walk(&[(0, &c, &ops)], &mut s);
        assert_eq!(plan.refused[0].1.code, "moodle.cohort_idnumber_required");
        assert!(plan.refused[0].1.message.contains("cidnumber"));
        assert!(plan.creates.is_empty());
    }

    #[test]
    fn updates_keep_the_name_and_idnumber_and_know_the_context_only_when_told() {
        let mut s = site(&[(3, "Old", "OLD")]);
        let keep = [CohortOp::Update { description: Some("x".into()), category: None }];
        let moved = [CohortOp::Update { description: None, category: Some(Some(4)) }];
        let c = cref(3, "OLD", "Old");
        let plan = walk(&[(0, &c, &keep), (1, &c, &moved)], &mut s);
        assert_eq!(plan.updates[0].1.category, None, "unknown: asked before sending");
        assert_eq!(plan.updates[0].1.name, "Old");
        assert_eq!(plan.updates[1].1.category, Some(Some(4)));
    }

    #[test]
    fn emptying_removes_the_listed_members_and_those_added_in_the_chunk() {
        let mut s = site(&[(3, "Old", "OLD")]);
        s.members.insert((Handle::Site(3), 8));
        let add = [CohortOp::AddMember { user: 9 }];
        let empty = [CohortOp::Empty];
        let c = cref(3, "OLD", "Old");
        let plan = walk(&[(0, &c, &add), (1, &c, &empty)], &mut s);
        let removed: Vec<i64> = plan.waves.0.iter().flat_map(|w| w.remove.iter().map(|(_, (_, u))| *u)).collect();
        assert_eq!(removed, vec![8, 9]);
        assert_eq!(plan.waves.0.len(), 2, "the removal of a member added in the chunk waits for the addition");
    }

    #[test]
    fn deleted_cohorts_are_no_longer_found() {
        let mut s = site(&[(3, "Old", "OLD")]);
        let c = cref(3, "OLD", "Old");
        let plan = walk(&[(0, &c, &[CohortOp::Delete]), (1, &c, &[CohortOp::AddMember { user: 1 }])], &mut s);
        assert_eq!(plan.deletes, vec![(0, Handle::Site(3))]);
        assert_eq!(plan.subjects, vec![(0, Handle::Site(3))]);
        assert_eq!(plan.refused[0].0, 1);
    }

    #[test]
    fn member_warnings_are_read_from_their_message() {
        let answer = json!({"warnings": [
            {"warningcode": "3", "message": "record already exists: cohortid=3 userid=7"},
            {"warningcode": "2", "message": "user id=9 not exists"},
        ]});
        assert_eq!(member_warning(&answer, 3, 7), Some(None));
        assert_eq!(member_warning(&answer, 3, 8), None);
        assert_eq!(
            member_warning(
                &json!({"warnings": [{"warningcode": "3", "message": "record already exists: cohortid=3 userid=77"}]}),
                3,
                7
            ),
            None,
            "userid=77 is not userid=7"
        );
        let e = member_warning(&answer, 4, 9).unwrap().unwrap();
        assert!(e.message.contains("user id=9 not exists"), "{}", e.message);
    }
}
