//! Schedules: when each tool runs next, from its cron expression (pure; the daemon sleeps).

use chrono::{DateTime, Utc};
use croner::Cron;

#[derive(Debug, thiserror::Error)]
#[error(
    "schedule.{task} = {expr:?} is not a valid cron expression (minute hour day-of-month month day-of-week, like \"0 */6 * * *\"): {reason}"
)]
pub struct BadSchedule {
    pub task: String,
    pub expr: String,
    pub reason: String,
}

/// A task and its cron expression; an empty expression means the task is off.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub task: String,
    /// The expression as configured (trimmed; empty = off).
    pub expr: String,
    cron: Option<Cron>,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.task == other.task && self.expr == other.expr
    }
}

impl Schedule {
    pub fn parse(task: &str, expr: &str) -> Result<Self, BadSchedule> {
        let expr = expr.trim();
        if expr.is_empty() {
            return Ok(Schedule { task: task.into(), expr: String::new(), cron: None });
        }
        let cron = expr.parse::<Cron>().map_err(|e| BadSchedule {
            task: task.into(),
            expr: expr.into(),
            reason: e.to_string(),
        })?;
        Ok(Schedule { task: task.into(), expr: expr.into(), cron: Some(cron) })
    }

    /// Next time strictly after `after`, in the given zone; `None` when off.
    pub fn next_after<Tz: chrono::TimeZone>(&self, after: &DateTime<Tz>) -> Option<DateTime<Utc>> {
        let cron = self.cron.as_ref()?;
        cron.find_next_occurrence(after, false).ok().map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn next_fire_times_follow_the_expression_in_its_zone() {
        let s = Schedule::parse("users", "0 */6 * * *").unwrap();
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        let at = paris.with_ymd_and_hms(2026, 1, 10, 7, 30, 0).unwrap();
        let next = s.next_after(&at).unwrap();
        assert_eq!(next, paris.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap().with_timezone(&Utc));
        assert!(Schedule::parse("users", "").unwrap().next_after(&at).is_none());
        assert!(Schedule::parse("users", "61 * * * *").is_err());
    }
}
