//! Patterns in a resource's or an account's incident history: how often,
//! whether more or less often than before, and what kind of history it is.
//!
//! # Thresholds
//!
//! Rates are incidents per day over the last 7, 30 and 90 days and over
//! the whole retention (from the oldest record to now, and at least 90
//! days).
//! An incident stamped after "now" (clock skew) counts as now.
//!
//! The **trend** compares the last 7 days with the 83 days before them
//! (days 8 to 90):
//! - `INCREASING`: at least [`TREND_MIN_COUNT`] (2) incidents in the last 7
//!   days, at a rate at least [`TREND_FACTOR`] (1.5) times the earlier one;
//! - `DECREASING`: the earlier 83 days averaged at least
//!   [`DECREASING_MIN_PER_WEEK`] (1) incident a week, and the recent rate
//!   is at most 1 / 1.5 of theirs (fewer than that, and a quiet week says
//!   nothing);
//! - `STABLE` otherwise.
//!
//! The **class** is the first of these that holds:
//! 1. `ISOLATED_INCIDENT`: at most one incident in the whole retention;
//! 2. `FREQUENT_RECENT`: at least [`FREQUENT_RECENT_COUNT`] (3) in the last
//!    7 days;
//! 3. `BASELINE_DEGRADATION`: the trend is `INCREASING` over an established
//!    baseline, at least [`BASELINE_COUNT`] (3) incidents in days 8 to 90;
//! 4. `RECURRING_PATTERN`: at least [`RECURRING_COUNT`] (3) incidents in the
//!    last 90 days, in at least 3 different weeks;
//! 5. `RARE_OCCURRENCE`: anything else (a few incidents, far apart).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use soar_core::ports::EventRecord;
use soar_core::Timestamp;

const DAY: i64 = 86_400;

/// Recent incidents needed for an `INCREASING` trend.
pub const TREND_MIN_COUNT: usize = 2;
/// How many times the earlier rate the recent one must be (or the reverse)
/// for a trend other than `STABLE`.
pub const TREND_FACTOR: f64 = 1.5;
/// The weekly rate the earlier 83 days must have had for a `DECREASING`
/// trend.
pub const DECREASING_MIN_PER_WEEK: f64 = 1.0;
/// Incidents in the last 7 days that make a history `FREQUENT_RECENT`.
pub const FREQUENT_RECENT_COUNT: usize = 3;
/// Incidents in days 8 to 90 that make an established baseline.
pub const BASELINE_COUNT: usize = 3;
/// Incidents in the last 90 days, in as many different weeks, that make a
/// `RECURRING_PATTERN`.
pub const RECURRING_COUNT: usize = 3;

/// Incidents over one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// The window's length in days.
    pub days: i64,
    /// Incidents in it.
    pub count: usize,
    /// Incidents per day.
    pub rate_per_day: f64,
}

/// Whether incidents come more or less often than before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trend {
    /// More often in the last 7 days.
    Increasing,
    /// About as often.
    Stable,
    /// Less often in the last 7 days.
    Decreasing,
}

/// What kind of history it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PatternClass {
    /// A few incidents, far apart.
    RareOccurrence,
    /// Several in the last week.
    FrequentRecent,
    /// Coming back week after week.
    RecurringPattern,
    /// The first, or the only other one.
    IsolatedIncident,
    /// Rising over an established baseline.
    BaselineDegradation,
}

/// The pattern of an incident history at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistoryPattern {
    /// The last 7 days.
    pub last_7_days: Window,
    /// The last 30 days.
    pub last_30_days: Window,
    /// The last 90 days.
    pub last_90_days: Window,
    /// Everything kept.
    pub retention: Window,
    /// More or less often than before.
    pub trend: Trend,
    /// What kind of history.
    pub class: PatternClass,
}

fn window(ages: &[i64], days: i64) -> Window {
    let count = ages.iter().filter(|age| **age < days * DAY).count();
    Window {
        days,
        count,
        rate_per_day: count as f64 / days as f64,
    }
}

/// The pattern of incidents that happened at `times`, seen at `now`.
///
/// ```
/// use soar_core::Timestamp;
/// use soar_incident::{history_pattern, PatternClass, Trend};
///
/// let now = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
/// let days_ago = |d: i64| Timestamp(now.0 - d * 86_400);
/// let pattern = history_pattern([days_ago(1), days_ago(2), days_ago(3)], now);
/// assert_eq!(pattern.class, PatternClass::FrequentRecent);
/// assert_eq!(pattern.trend, Trend::Increasing);
/// assert!(pattern.last_7_days.rate_per_day > 0.4);
/// assert_eq!(history_pattern([], now).class, PatternClass::IsolatedIncident);
/// ```
pub fn history_pattern(
    times: impl IntoIterator<Item = Timestamp>,
    now: Timestamp,
) -> HistoryPattern {
    let ages: Vec<i64> = times.into_iter().map(|t| (now.0 - t.0).max(0)).collect();
    let oldest = ages.iter().copied().max().unwrap_or(0);
    // Whole days, rounded up, and never shorter than the 90-day window: a
    // new incident then never shortens it (which would lower its rate).
    let retention_days = ((oldest + DAY - 1) / DAY).max(90);
    let last_7_days = window(&ages, 7);
    let last_30_days = window(&ages, 30);
    let last_90_days = window(&ages, 90);
    let retention = Window {
        days: retention_days,
        count: ages.len(),
        rate_per_day: ages.len() as f64 / retention_days as f64,
    };
    let earlier = last_90_days.count - last_7_days.count;
    let earlier_rate = earlier as f64 / 83.0;
    let recent_rate = last_7_days.rate_per_day;
    let trend =
        if last_7_days.count >= TREND_MIN_COUNT && recent_rate >= TREND_FACTOR * earlier_rate {
            Trend::Increasing
        } else if earlier_rate * 7.0 >= DECREASING_MIN_PER_WEEK
            && recent_rate * TREND_FACTOR <= earlier_rate
        {
            Trend::Decreasing
        } else {
            Trend::Stable
        };
    let weeks: BTreeSet<i64> = ages
        .iter()
        .filter(|age| **age < 90 * DAY)
        .map(|age| age / (7 * DAY))
        .collect();
    let class = if retention.count <= 1 {
        PatternClass::IsolatedIncident
    } else if last_7_days.count >= FREQUENT_RECENT_COUNT {
        PatternClass::FrequentRecent
    } else if trend == Trend::Increasing && earlier >= BASELINE_COUNT {
        PatternClass::BaselineDegradation
    } else if last_90_days.count >= RECURRING_COUNT && weeks.len() >= RECURRING_COUNT {
        PatternClass::RecurringPattern
    } else {
        PatternClass::RareOccurrence
    };
    HistoryPattern {
        last_7_days,
        last_30_days,
        last_90_days,
        retention,
        trend,
        class,
    }
}

/// [`history_pattern`] of the incident records of one kind (the GuardDuty
/// type, say) in one account.
pub fn history_of(
    records: &[EventRecord],
    kind: &str,
    account_id: &str,
    now: Timestamp,
) -> HistoryPattern {
    history_pattern(
        records
            .iter()
            .filter(|r| r.kind == kind && r.account_id == account_id)
            .map(|r| Timestamp(r.at)),
        now,
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const NOW: Timestamp = Timestamp(1_796_083_200); // 2026-12-01

    fn days_ago(days: &[i64]) -> Vec<Timestamp> {
        days.iter().map(|d| Timestamp(NOW.0 - d * DAY)).collect()
    }

    #[test]
    fn each_class_from_a_history_that_shows_it() {
        let cases: [(&[i64], PatternClass, Trend); 6] = [
            (&[], PatternClass::IsolatedIncident, Trend::Stable),
            (&[200], PatternClass::IsolatedIncident, Trend::Stable),
            (&[1, 2, 5], PatternClass::FrequentRecent, Trend::Increasing),
            (
                &[1, 3, 20, 40, 60],
                PatternClass::BaselineDegradation,
                Trend::Increasing,
            ),
            (
                &[10, 24, 45, 70],
                PatternClass::RecurringPattern,
                Trend::Stable,
            ),
            (&[30, 200], PatternClass::RareOccurrence, Trend::Stable),
        ];
        for (days, class, trend) in cases {
            let pattern = history_pattern(days_ago(days), NOW);
            assert_eq!((pattern.class, pattern.trend), (class, trend), "{days:?}");
        }
        // Fifteen in days 8 to 50, none in the last week: decreasing.
        let busy_then: Vec<i64> = (0..15).map(|n| 8 + n * 3).collect();
        assert_eq!(
            history_pattern(days_ago(&busy_then), NOW).trend,
            Trend::Decreasing
        );
        // Five in days 10 to 40: too few for a quiet week to mean anything.
        assert_eq!(
            history_pattern(days_ago(&[10, 12, 20, 30, 40]), NOW).trend,
            Trend::Stable
        );
    }

    #[test]
    fn rates_are_per_day_over_each_window() {
        let pattern = history_pattern(days_ago(&[0, 6, 29, 89, 364]), NOW);
        assert_eq!(
            [
                pattern.last_7_days.count,
                pattern.last_30_days.count,
                pattern.last_90_days.count,
                pattern.retention.count
            ],
            [2, 3, 4, 5]
        );
        assert!((pattern.last_7_days.rate_per_day - 2.0 / 7.0).abs() < 1e-12);
        assert_eq!(pattern.retention.days, 364);
        // Later than now (clock skew): counted as now.
        let skewed = history_pattern([Timestamp(NOW.0 + 3_600)], NOW);
        assert_eq!(skewed.last_7_days.count, 1);
    }

    #[test]
    fn records_of_other_kinds_and_accounts_are_left_out() {
        let record = |kind: &str, account: &str, days: i64| EventRecord {
            finding_id: "f".to_owned(),
            account_id: account.to_owned(),
            kind: kind.to_owned(),
            outcome: "contained".to_owned(),
            penalty_score: None,
            at: NOW.0 - days * DAY,
            expires_at: NOW.0 + 365 * DAY,
            severity: None,
        };
        let records = [
            record("Backdoor:EC2/C&CActivity.B", "111111111111", 1),
            record("Backdoor:EC2/C&CActivity.B", "111111111111", 2),
            record("Backdoor:EC2/C&CActivity.B", "222222222222", 1),
            record("Recon:EC2/Portscan", "111111111111", 1),
        ];
        let pattern = history_of(&records, "Backdoor:EC2/C&CActivity.B", "111111111111", NOW);
        assert_eq!(pattern.retention.count, 2);
    }

    proptest! {
        #[test]
        fn invariants(ages in proptest::collection::vec(0i64..400 * DAY, 0..40), recent in 0i64..7 * DAY) {
            let times: Vec<Timestamp> = ages.iter().map(|a| Timestamp(NOW.0 - a)).collect();
            let before = history_pattern(times.clone(), NOW);
            // Windows nest, and rates are finite and not negative.
            prop_assert!(before.last_7_days.count <= before.last_30_days.count);
            prop_assert!(before.last_30_days.count <= before.last_90_days.count);
            prop_assert!(before.last_90_days.count <= before.retention.count);
            prop_assert_eq!(before.retention.count, times.len());
            for w in [before.last_7_days, before.last_30_days, before.last_90_days, before.retention] {
                prop_assert!(w.rate_per_day.is_finite() && w.rate_per_day >= 0.0);
            }
            if times.len() <= 1 {
                prop_assert_eq!(before.class, PatternClass::IsolatedIncident);
            }
            // A recent incident more never lowers a rate.
            let mut more = times;
            more.push(Timestamp(NOW.0 - recent));
            let after = history_pattern(more, NOW);
            prop_assert!(after.last_7_days.rate_per_day >= before.last_7_days.rate_per_day);
            prop_assert!(after.last_30_days.rate_per_day >= before.last_30_days.rate_per_day);
            prop_assert!(after.last_90_days.rate_per_day >= before.last_90_days.rate_per_day);
            prop_assert!(after.retention.rate_per_day >= before.retention.rate_per_day);
        }
    }

    #[test]
    fn an_empty_history_is_isolated_with_no_rate() {
        let pattern = history_pattern([], NOW);
        assert_eq!(pattern.class, PatternClass::IsolatedIncident);
        assert_eq!(pattern.retention.rate_per_day, 0.0);
    }
}
