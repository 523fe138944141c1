//! What happened to one input line, and the per-run tallies reports are built from.

use serde::Serialize;

/// The fate of one data line. Stable names: they appear in reports and the JSON API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Deleted,
    Unchanged,
    Skipped,
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 6] =
        [Outcome::Created, Outcome::Updated, Outcome::Deleted, Outcome::Unchanged, Outcome::Skipped, Outcome::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Deleted => "deleted",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a report: physical line number, outcome, the entity key it concerns, a human
/// message and, for failures, a stable error code such as `user.email_taken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineOutcome {
    pub line: u64,
    pub outcome: Outcome,
    pub key: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl LineOutcome {
    pub fn new(line: u64, outcome: Outcome, key: impl Into<String>, message: impl Into<String>) -> Self {
        LineOutcome { line, outcome, key: key.into(), message: message.into(), code: None }
    }

    pub fn failed(line: u64, key: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        LineOutcome {
            line,
            outcome: Outcome::Failed,
            key: key.into(),
            message: message.into(),
            code: Some(code.to_string()),
        }
    }
}

/// Number of lines per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts {
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl OutcomeCounts {
    pub fn add(&mut self, outcome: Outcome) {
        *self.slot(outcome) += 1;
    }

    pub fn get(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Created => self.created,
            Outcome::Updated => self.updated,
            Outcome::Deleted => self.deleted,
            Outcome::Unchanged => self.unchanged,
            Outcome::Skipped => self.skipped,
            Outcome::Failed => self.failed,
        }
    }

    fn slot(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Created => &mut self.created,
            Outcome::Updated => &mut self.updated,
            Outcome::Deleted => &mut self.deleted,
            Outcome::Unchanged => &mut self.unchanged,
            Outcome::Skipped => &mut self.skipped,
            Outcome::Failed => &mut self.failed,
        }
    }

    pub fn total(&self) -> u64 {
        Outcome::ALL.iter().map(|o| self.get(*o)).sum()
    }

    /// `created 3, updated 0, …` in the fixed outcome order.
    pub fn summary(&self) -> String {
        Outcome::ALL.iter().map(|o| format!("{} {}", o.as_str(), self.get(*o))).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_outcome() {
        let mut c = OutcomeCounts::default();
        c.add(Outcome::Created);
        c.add(Outcome::Created);
        c.add(Outcome::Failed);
        assert_eq!(c.created, 2);
        assert_eq!(c.failed, 1);
        assert_eq!(c.total(), 3);
        assert_eq!(c.summary(), "created 2, updated 0, deleted 0, unchanged 0, skipped 0, failed 1");
    }
}
