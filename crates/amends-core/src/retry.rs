//! When a failed job is tried again.

/// The wait before attempt `attempts + 1`, after `attempts` failed: 5 s doubling each time, at
/// most one hour, so a flapping mail server is not hammered and a long outage is still retried.
pub fn retry_delay_millis(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    5_000i64.saturating_mul(1i64 << doublings).min(3_600_000)
}
