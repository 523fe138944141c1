//! Calls as the target makes them: reads spread over the client's concurrent slots, and
//! writes cut into chunks (field budget, bisection of an all-or-nothing call) whose failed
//! items fail only their own change.

use lmsync_core::target::TargetError;
use lmsync_model::ChangeError;
use lmsync_moodle::{ChunkOptions, ItemOutcome, MoodleClient, Params, WsError, apply_in_chunks_naming};
use serde_json::Value;
use std::sync::Mutex;

use crate::stop;

/// Makes every read call, several at once (at most the client's concurrency), answers in order.
pub(crate) fn read_all(client: &MoodleClient, function: &str, calls: Vec<Params>) -> Result<Vec<Value>, Box<WsError>> {
    if calls.len() <= 1 {
        return calls.iter().map(|p| client.call_raw(function, p).map_err(Box::new)).collect();
    }
    let threads = client.options().concurrency.clamp(1, calls.len());
    let next = Mutex::new(0usize);
    let answers: Vec<Mutex<Option<Result<Value, WsError>>>> = calls.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = {
                        let Ok(mut n) = next.lock() else { return };
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(params) = calls.get(i) else { return };
                    let answer = client.call_raw(function, params);
                    let failed = answer.is_err();
                    if let Ok(mut slot) = answers[i].lock() {
                        *slot = Some(answer);
                    }
                    if failed {
                        return;
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(calls.len());
    for slot in answers {
        match slot.into_inner().ok().flatten() {
            Some(answer) => out.push(answer.map_err(Box::new)?),
            // A thread stopped at an earlier failure; that failure is returned first.
            None => {
                return Err(Box::new(WsError::Request { function: function.into(), detail: "call not made".into() }));
            }
        }
    }
    Ok(out)
}

/// The failure of one change from a call's failure: Moodle's error code and the client's
/// explanation (which says what to do).
pub(crate) fn refusal(e: &WsError) -> ChangeError {
    let code = e.exception().map(|x| x.code().to_string()).unwrap_or_else(|| "request".into());
    let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
    ChangeError::new(&format!("moodle.{code}"), e.to_string())
}

/// Applies `items` (each tagged with the change it belongs to) with `function`. Returns each
/// item's answer (`None` when it failed: its change is failed in `failures`). A site that stops
/// answering stops the chunk: `Err`, the run ends and keeps its file.
pub(crate) fn write<T>(
    client: &MoodleClient,
    function: &str,
    items: &[(usize, T)],
    build: impl Fn(&[(usize, T)]) -> Params,
    failures: &mut [Option<ChangeError>],
) -> Result<Vec<Option<Value>>, TargetError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let options = ChunkOptions { field_limit: client.options().max_fields, ..ChunkOptions::for_function(function) };
    let report = apply_in_chunks_naming(client, function, items, build, &options, |_, _| None);
    if let Some(e) = report.stopped {
        return Err(stop(e));
    }
    let mut out = Vec::with_capacity(items.len());
    for ((change, _), outcome) in items.iter().zip(report.outcomes) {
        match outcome {
            ItemOutcome::Applied(v) => out.push(Some(v)),
            ItemOutcome::Failed(e) => {
                if failures[*change].is_none() {
                    failures[*change] = Some(refusal(&e));
                }
                out.push(None);
            }
            ItemOutcome::NotSent => {
                return Err(TargetError::Unavailable(format!("{function}: items were left unsent")));
            }
        }
    }
    Ok(out)
}
