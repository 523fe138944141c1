//! Applying many items with one function (spec §3.2–3.3): chunks sized by the form-field
//! budget and adapted to a time budget; an all-or-nothing chunk that fails on an item is
//! bisected until each bad item fails alone and the others are applied. A site that becomes
//! unavailable stops everything: the caller keeps its input for the next run.

use crate::client::MoodleClient;
use crate::error::WsError;
use crate::functions::{self, Batch};
use crate::params::{Params, RESERVED_FIELDS};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How to cut the items into calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkOptions {
    /// Form fields per request at most, reserved fields included (below `max_input_vars`).
    pub field_limit: usize,
    /// Items per call to start with.
    pub initial: usize,
    /// Items per call at most.
    pub max_items: usize,
    /// A call slower than this halves the next chunk; one under a quarter of it doubles it.
    pub time_budget: Duration,
    /// All-or-nothing calls are bisected on item errors; others fail as a whole.
    pub atomic: bool,
}

impl ChunkOptions {
    /// The defaults of the function table for `function` (4000 fields, 20 s).
    pub fn for_function(function: &str) -> Self {
        let (chunk, atomic) = functions::function(function).map_or((1, true), |f| (f.chunk, f.batch == Batch::Atomic));
        Self { field_limit: 4000, initial: chunk, max_items: chunk * 4, time_budget: Duration::from_secs(20), atomic }
    }
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    /// Applied; its part of the answer (the n-th element when the answer is a list as long as
    /// the chunk, else the whole answer, often `null`).
    Applied(Value),
    Failed(WsError),
    /// Not sent: the run stopped before (see `ChunkReport::stopped`).
    NotSent,
}

/// The result of `apply_in_chunks`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkReport {
    /// One outcome per item, in input order.
    pub outcomes: Vec<ItemOutcome>,
    /// Why the run stopped (target unavailable, access refused…), if it did.
    pub stopped: Option<WsError>,
    /// Calls made.
    pub calls: usize,
}

/// Anything that can make a call (the client; a stub in tests).
pub trait Caller {
    fn call(&self, function: &str, params: &Params) -> Result<Value, WsError>;
}

impl Caller for MoodleClient {
    fn call(&self, function: &str, params: &Params) -> Result<Value, WsError> {
        MoodleClient::call(self, function, params)
    }
}

struct Run<'a, T, C, B, K> {
    caller: &'a C,
    function: &'a str,
    items: &'a [T],
    build: B,
    culprit: K,
    outcomes: Vec<ItemOutcome>,
    calls: usize,
}

/// Applies `items` with `function`, `build` turning a slice of items into the call's
/// parameters.
pub fn apply_in_chunks<T, C: Caller>(
    caller: &C,
    function: &str,
    items: &[T],
    build: impl Fn(&[T]) -> Params,
    options: &ChunkOptions,
) -> ChunkReport {
    apply_in_chunks_naming(caller, function, items, build, options, |_, _| None)
}

/// Same, with `culprit` reading an item-level error of a chunk and naming the bad item by its
/// index in the chunk when it can ("Username already exists: jdoe", spec §3.3): that item
/// fails at once and the others are resent without bisecting.
pub fn apply_in_chunks_naming<T, C: Caller>(
    caller: &C,
    function: &str,
    items: &[T],
    build: impl Fn(&[T]) -> Params,
    options: &ChunkOptions,
    culprit: impl Fn(&WsError, &[T]) -> Option<usize>,
) -> ChunkReport {
    let outcomes = vec![ItemOutcome::NotSent; items.len()];
    let mut run = Run { caller, function, items, build, culprit, outcomes, calls: 0 };
    let mut size = options.initial.clamp(1, options.max_items.max(1));
    let mut start = 0;
    while start < items.len() {
        let len = run.fit(start, size.min(items.len() - start), options.field_limit);
        if len == 0 {
            let fields = (run.build)(&items[start..=start]).field_count();
            let detail = format!("one item needs {fields} form fields, more than the limit of {}", options.field_limit);
            run.outcomes[start] = ItemOutcome::Failed(WsError::Request { function: function.into(), detail });
            start += 1;
            continue;
        }
        let began = Instant::now();
        if let Err(stop) = run.apply(start, len, options.atomic) {
            return ChunkReport { outcomes: run.outcomes, stopped: Some(stop), calls: run.calls };
        }
        let took = began.elapsed();
        if took > options.time_budget {
            size = (size / 2).max(1);
        } else if took < options.time_budget / 4 {
            size = (size * 2).min(options.max_items.max(1));
        }
        start += len;
    }
    ChunkReport { outcomes: run.outcomes, stopped: None, calls: run.calls }
}

impl<T, C, B, K> Run<'_, T, C, B, K>
where
    C: Caller,
    B: Fn(&[T]) -> Params,
    K: Fn(&WsError, &[T]) -> Option<usize>,
{
    /// The longest chunk from `start`, at most `len` items, within the field limit (0 when a
    /// single item is already too large).
    fn fit(&self, start: usize, mut len: usize, limit: usize) -> usize {
        while len > 0 {
            let fields = (self.build)(&self.items[start..start + len]).field_count() + RESERVED_FIELDS;
            if fields <= limit {
                return len;
            }
            // Shrink in proportion, at least by one item.
            len = (len * limit / fields).min(len - 1);
        }
        0
    }

    /// Sends items `start..start+len`; on an item error of an atomic call, bisects. `Err` =
    /// the run must stop.
    fn apply(&mut self, start: usize, len: usize, atomic: bool) -> Result<(), WsError> {
        let params = (self.build)(&self.items[start..start + len]);
        self.calls += 1;
        match self.caller.call(self.function, &params) {
            Ok(value) => {
                let parts = match &value {
                    Value::Array(list) if list.len() == len => list.clone(),
                    other => vec![other.clone(); len],
                };
                for (i, part) in parts.into_iter().enumerate() {
                    self.outcomes[start + i] = ItemOutcome::Applied(part);
                }
                Ok(())
            }
            Err(err) if err.stops_run() => Err(err),
            Err(err) if len == 1 || !atomic || !err.is_item_level() => {
                for i in start..start + len {
                    self.outcomes[i] = ItemOutcome::Failed(err.clone());
                }
                Ok(())
            }
            Err(err) => {
                if let Some(bad) = (self.culprit)(&err, &self.items[start..start + len]).filter(|&i| i < len) {
                    self.outcomes[start + bad] = ItemOutcome::Failed(err);
                    if bad > 0 {
                        self.apply(start, bad, atomic)?;
                    }
                    if bad + 1 < len {
                        self.apply(start + bad + 1, len - bad - 1, atomic)?;
                    }
                    return Ok(());
                }
                let half = len / 2;
                self.apply(start, half, atomic)?;
                self.apply(start + half, len - half, atomic)
            }
        }
    }
}

#[cfg(test)]
#[path = "chunks_tests.rs"]
mod tests;
