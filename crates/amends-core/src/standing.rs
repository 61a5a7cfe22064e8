//! What a customer costs against what they bring, and the patterns worth a second look.
//!
//! These flags are shown to people, never acted on automatically: a customer who is "too
//! expensive to keep" is a conversation for a manager, not a rule for the desk.

use time::{Date, Month, OffsetDateTime};

use crate::{Customer, Timestamp};

const DAY_MILLIS: i64 = 86_400_000;

/// The thresholds behind the flags; configurable per desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandingPolicy {
    /// Compensation above this share of revenue, in percent, flags the customer as too
    /// expensive to keep.
    pub expensive_share_percent: i64,
    /// A complaint this many days or fewer before a billing or invoice date is near billing.
    pub billing_window_days: i64,
    /// This many complaints near billing flag the pattern.
    pub billing_complaints: usize,
    /// This many complaints within `repeat_window_days` flag a repeat complainer.
    pub repeat_complaints: usize,
    /// The window for repeat complaints, in days.
    pub repeat_window_days: i64,
}

impl Default for StandingPolicy {
    fn default() -> Self {
        StandingPolicy {
            expensive_share_percent: 20,
            billing_window_days: 3,
            billing_complaints: 2,
            repeat_complaints: 3,
            repeat_window_days: 90,
        }
    }
}

/// A pattern worth a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StandingFlag {
    /// Compensation to date above the policy's share of revenue to date.
    TooExpensiveToKeep,
    /// Complaints cluster in the days before their bills.
    ComplainsNearBilling,
    /// Many complaints in a short time.
    RepeatComplainer,
}

impl StandingFlag {
    /// Its name, such as `repeat_complainer`.
    pub fn as_str(self) -> &'static str {
        match self {
            StandingFlag::TooExpensiveToKeep => "too_expensive_to_keep",
            StandingFlag::ComplainsNearBilling => "complains_near_billing",
            StandingFlag::RepeatComplainer => "repeat_complainer",
        }
    }
}

/// A customer's cost against their value, with the flags that apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// What they have paid to date, in minor units.
    pub revenue_to_date_minor: i64,
    /// Compensation granted to them to date, in minor units.
    pub compensation_to_date_minor: i64,
    /// Compensation as a share of revenue, in percent; `None` with no revenue recorded.
    pub compensation_share_percent: Option<i64>,
    /// Complaints (cases) to date.
    pub complaints: usize,
    /// Complaints opened within the billing window before a bill.
    pub complaints_near_billing: usize,
    /// The flags that apply.
    pub flags: Vec<StandingFlag>,
}

/// The standing of `customer`, given the compensation granted to them and when each of their
/// cases was opened, at `now`.
pub fn standing(
    customer: &Customer,
    compensation_to_date_minor: i64,
    complaints_opened: &[Timestamp],
    policy: &StandingPolicy,
    now: Timestamp,
) -> Standing {
    let revenue = customer.revenue_to_date_minor;
    let share = (revenue > 0).then(|| compensation_to_date_minor.saturating_mul(100) / revenue);
    let mut flags = Vec::new();
    let too_expensive = if revenue > 0 {
        compensation_to_date_minor.saturating_mul(100)
            > revenue.saturating_mul(policy.expensive_share_percent)
    } else {
        compensation_to_date_minor > 0
    };
    if too_expensive {
        flags.push(StandingFlag::TooExpensiveToKeep);
    }
    let near_billing = complaints_opened
        .iter()
        .filter(|at| near_billing(customer, **at, policy.billing_window_days))
        .count();
    if policy.billing_complaints > 0 && near_billing >= policy.billing_complaints {
        flags.push(StandingFlag::ComplainsNearBilling);
    }
    let since = now.plus_millis(-policy.repeat_window_days.saturating_mul(DAY_MILLIS));
    let recent = complaints_opened.iter().filter(|at| **at >= since).count();
    if policy.repeat_complaints > 0 && recent >= policy.repeat_complaints {
        flags.push(StandingFlag::RepeatComplainer);
    }
    Standing {
        revenue_to_date_minor: revenue,
        compensation_to_date_minor,
        compensation_share_percent: share,
        complaints: complaints_opened.len(),
        complaints_near_billing: near_billing,
        flags,
    }
}

/// Whether a complaint at `at` came within `window_days` before one of the customer's bills: an
/// invoice date, or the end of their monthly billing day (moved to the month's last day in
/// short months).
pub fn near_billing(customer: &Customer, at: Timestamp, window_days: i64) -> bool {
    let window = window_days.max(0).saturating_mul(DAY_MILLIS);
    let before = |bill: Timestamp| {
        let lead = bill.millis() - at.millis();
        (0..=window).contains(&lead)
    };
    if customer.invoice_dates.iter().any(|bill| before(*bill)) {
        return true;
    }
    let Some(day) = customer.billing_day else {
        return false;
    };
    let Ok(when) = OffsetDateTime::from_unix_timestamp(at.millis().div_euclid(1000)) else {
        return false;
    };
    // The next bill falls this month or next; both are checked so a complaint on the 30th
    // is near a bill on the 1st.
    let this_month = billing_date(when.year(), when.month(), day);
    let next = when.month().next();
    let next_year = if next == Month::January {
        when.year() + 1
    } else {
        when.year()
    };
    let next_month = billing_date(next_year, next, day);
    [this_month, next_month].into_iter().flatten().any(before)
}

fn billing_date(year: i32, month: Month, day: u8) -> Option<Timestamp> {
    let last = month.length(year);
    let date = Date::from_calendar_date(year, month, day.min(last)).ok()?;
    // The end of the billing day, so a complaint on the day itself counts.
    let midnight = date.midnight().assume_utc();
    Some(Timestamp(midnight.unix_timestamp() * 1000 + DAY_MILLIS - 1))
}
