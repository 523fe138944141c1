//! When to resend a call that met an unavailable site, and how long to wait: exponential
//! backoff with jitter, a bounded number of attempts, never a blind resend of a
//! non-idempotent call that may already have run (spec §3.2 rule 6).

use crate::error::WsError;
use std::time::Duration;

/// How failed calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub attempts: u32,
    /// The pause before the first retry; it doubles at each further one.
    pub base_delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 4, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (0 = the first retry): the exponential step,
    /// with "equal jitter" (between half of it and all of it) so parallel callers spread out.
    pub fn delay(&self, retry: u32) -> Duration {
        let step = self.base_delay.saturating_mul(1u32 << retry.min(20)).min(self.max_delay);
        let half = step / 2;
        let jitter = rand::random_range(0..=half.as_micros().min(u128::from(u64::MAX)) as u64);
        half + Duration::from_micros(jitter)
    }

    /// Whether the call should be sent again after `err` at attempt `attempt` (1-based).
    pub fn should_retry(&self, err: &WsError, attempt: u32, idempotent: bool) -> bool {
        if attempt >= self.attempts {
            return false;
        }
        match err {
            WsError::Unavailable { reason, .. } => reason.is_transient() && (idempotent || !reason.may_have_run()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Unavailable;

    fn unavailable(reason: Unavailable) -> WsError {
        WsError::Unavailable { function: "f".into(), reason }
    }

    #[test]
    fn delays_grow_with_jitter_and_stay_bounded() {
        let p = RetryPolicy { attempts: 10, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        for retry in 0..8 {
            let step = Duration::from_millis(100 * (1 << retry)).min(Duration::from_secs(1));
            let d = p.delay(retry);
            assert!(d >= step / 2 && d <= step, "retry {retry}: {d:?}");
        }
        assert!(p.delay(40) <= Duration::from_secs(1));
    }

    #[test]
    fn only_unavailable_errors_are_retried_and_only_when_safe() {
        let p = RetryPolicy::default();
        let refused = unavailable(Unavailable::Connect("refused".into()));
        let timeout = unavailable(Unavailable::Timeout("slow".into()));
        assert!(p.should_retry(&refused, 1, false));
        assert!(p.should_retry(&timeout, 1, true));
        assert!(!p.should_retry(&timeout, 1, false), "a create that may have run is not resent");
        assert!(!p.should_retry(&refused, 4, true), "attempts are bounded");
        assert!(!p.should_retry(&unavailable(Unavailable::EmptyBody), 1, true));
        let item = WsError::Request { function: "f".into(), detail: "x".into() };
        assert!(!p.should_retry(&item, 1, true));
    }
}
