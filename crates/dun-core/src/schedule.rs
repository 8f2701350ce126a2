//! Billing schedules: when a recurring invoice is issued or a statement is
//! sent (the 1st of every month, every 2 weeks, quarterly, yearly), and
//! what the daily run owes on a given day.
//!
//! ## The missed-day rule
//! The daily run performs a schedule's occurrences that fell on or before
//! its date and were not done yet. When the run did not happen for a while
//! (the machine was off), it does **not** replay every missed occurrence:
//! like the collections run, it performs only the **latest** one, once,
//! and reports the earlier ones as *missed* so a person can decide about
//! them (the store turns them into a task and a timeline entry). A run
//! one day late therefore still issues that month's invoice, once; a run
//! three months late issues this month's, not three at a time.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::{days_in_month, Date};

/// Longest gap of a weekly schedule, in weeks.
pub const WEEKS_MAX: u32 = 52;
/// Most missed occurrences [`Due::missed`] lists (the latest ones); all
/// are counted in [`Due::missed_count`].
pub const MISSED_LISTED_MAX: usize = 12;

const ACCEPTED: &str = "monthly:1 (day 1-31 of every month; 31 or 'last' = the last day), \
weekly:2 (every 2 weeks from the start date, or weekly:2:2026-11-02), \
quarterly:1 (day 1 of Jan, Apr, Jul, Oct; quarterly:1:2 for Feb, May, Aug, Nov), \
yearly:01-15 (every 15 January)";

/// When something recurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Schedule {
    /// Day `day` (1–31) of every month; a day a month does not have is its
    /// last day (31 is always the last day).
    Monthly { day: u32 },
    /// Every `weeks` weeks, on `anchor` and every `7 × weeks` days before
    /// and after it.
    Weekly { weeks: u32, anchor: Date },
    /// Day `day` of every third month, the first of which is month
    /// `first_month` (1–3) of the year: 1 = Jan, Apr, Jul, Oct.
    Quarterly { day: u32, first_month: u32 },
    /// Every year on `month`-`day` (29 February is 28 February in other years).
    Yearly { month: u32, day: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a schedule: {reason}; accepted: {ACCEPTED}")]
pub struct ScheduleError {
    pub value: String,
    pub reason: String,
}

/// What a schedule owes on one day: see [`Schedule::due`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Due {
    /// The occurrence to perform now: the latest one from the stored next
    /// date through the day (and through the end date), if any.
    pub occurrence: Option<Date>,
    /// How many earlier occurrences were missed and are not performed.
    pub missed_count: usize,
    /// The latest of them, at most [`MISSED_LISTED_MAX`], oldest first.
    pub missed: Vec<Date>,
    /// The next occurrence after the day; None when it would fall after
    /// the end date (the schedule has ended).
    pub next: Option<Date>,
}

impl Schedule {
    /// Parses the canonical form ([`Schedule`]'s `Display`). A weekly
    /// schedule must name its first date (`weekly:2:2026-11-02`).
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        Schedule::parse_from(text, None)
    }

    /// Parses what a person types; a weekly schedule without a date
    /// (`weekly:2`) counts its weeks from `anchor` (the start date).
    pub fn parse_with_anchor(text: &str, anchor: Date) -> Result<Schedule, ScheduleError> {
        Schedule::parse_from(text, Some(anchor))
    }

    fn parse_from(text: &str, anchor: Option<Date>) -> Result<Schedule, ScheduleError> {
        let error = |reason: &str| ScheduleError {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim().to_ascii_lowercase();
        let (kind, rest) = t.split_once(':').unwrap_or((t.as_str(), ""));
        let day_of_month = |s: &str| -> Result<u32, ScheduleError> {
            if s == "last" {
                return Ok(31);
            }
            match s.parse::<u32>() {
                Ok(day) if (1..=31).contains(&day) => Ok(day),
                _ => Err(error(&format!(
                    "the day of the month '{s}' must be 1 to 31 (or 'last')"
                ))),
            }
        };
        match kind {
            "monthly" => {
                if rest.is_empty() {
                    return Err(error("name the day of the month, e.g. monthly:1"));
                }
                Ok(Schedule::Monthly {
                    day: day_of_month(rest)?,
                })
            }
            "weekly" => {
                let (weeks, date) = rest.split_once(':').unwrap_or((rest, ""));
                let weeks = match weeks {
                    "" => 1,
                    w => match w.parse::<u32>() {
                        Ok(n) if (1..=WEEKS_MAX).contains(&n) => n,
                        _ => {
                            return Err(error(&format!(
                                "the number of weeks '{w}' must be 1 to {WEEKS_MAX}"
                            )))
                        }
                    },
                };
                let anchor = match (date, anchor) {
                    ("", Some(anchor)) => anchor,
                    ("", None) => {
                        return Err(error(
                            "a weekly schedule needs its first date, e.g. weekly:2:2026-11-02",
                        ))
                    }
                    (date, _) => Date::parse(date).map_err(|e| error(&e.to_string()))?,
                };
                Ok(Schedule::Weekly { weeks, anchor })
            }
            "quarterly" => {
                let (day, first) = rest.split_once(':').unwrap_or((rest, "1"));
                if day.is_empty() {
                    return Err(error("name the day of the month, e.g. quarterly:1"));
                }
                let first_month = match first.parse::<u32>() {
                    Ok(m) if (1..=3).contains(&m) => m,
                    _ => {
                        return Err(error(&format!(
                        "the first month '{first}' must be 1, 2 or 3 (January, February or March)"
                    )))
                    }
                };
                Ok(Schedule::Quarterly {
                    day: day_of_month(day)?,
                    first_month,
                })
            }
            "yearly" | "annually" => {
                let bad = || error("write the month and day as MM-DD, e.g. yearly:01-15");
                let (m, d) = rest.split_once('-').ok_or_else(bad)?;
                let (month, day) = (
                    m.parse::<u32>().map_err(|_| bad())?,
                    d.parse::<u32>().map_err(|_| bad())?,
                );
                // 2000 is a leap year: 02-29 is a date, 02-30 is not.
                if !(1..=12).contains(&month) || day == 0 || day > days_in_month(2000, month) {
                    return Err(error(&format!("{m}-{d} is not a day of the year")));
                }
                Ok(Schedule::Yearly { month, day })
            }
            _ => Err(error(
                "it must start with monthly, weekly, quarterly or yearly",
            )),
        }
    }

    /// The schedule in words: "day 1 of every month".
    pub fn describe(&self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let day = |d: u32| {
            if d == 31 {
                "the last day".to_string()
            } else if d >= 29 {
                format!("day {d} (or the last day)")
            } else {
                format!("day {d}")
            }
        };
        match *self {
            Schedule::Monthly { day: d } => format!("{} of every month", day(d)),
            Schedule::Weekly { weeks: 1, anchor } => format!("every week from {anchor}"),
            Schedule::Weekly { weeks, anchor } => format!("every {weeks} weeks from {anchor}"),
            Schedule::Quarterly {
                day: d,
                first_month,
            } => {
                let months: Vec<&str> = (0..4)
                    .map(|q| MONTHS[(first_month - 1 + 3 * q) as usize])
                    .collect();
                format!("{} of {}", day(d), months.join(", "))
            }
            Schedule::Yearly { month, day } => {
                format!("every year on {day} {}", MONTHS[(month - 1) as usize])
            }
        }
    }

    /// Months between occurrences, the first month (0-based) of the cycle,
    /// and the day, for the month-based schedules.
    fn in_months(&self) -> Option<(i32, i32, u32)> {
        match *self {
            Schedule::Monthly { day } => Some((1, 0, day)),
            Schedule::Quarterly { day, first_month } => Some((3, first_month as i32 - 1, day)),
            Schedule::Yearly { month, day } => Some((12, month as i32 - 1, day)),
            Schedule::Weekly { .. } => None,
        }
    }

    /// The first occurrence on or after `date`.
    pub fn next_on_or_after(&self, date: Date) -> Date {
        match self.in_months() {
            Some((period, phase, day)) => {
                let here = month_index(date);
                let aligned = here + (phase - here).rem_euclid(period);
                let candidate = occurrence_in(date, aligned, day);
                if candidate >= date {
                    candidate
                } else {
                    occurrence_in(date, aligned + period, day)
                }
            }
            None => {
                let (step, anchor) = self.weekly_step();
                let steps = (date.days_since(anchor) + step - 1).div_euclid(step);
                anchor.add_days(steps * step)
            }
        }
    }

    /// The last occurrence strictly before `date`.
    pub fn last_before(&self, date: Date) -> Date {
        match self.in_months() {
            Some((period, phase, day)) => {
                let here = month_index(date);
                let aligned = here - (here - phase).rem_euclid(period);
                let candidate = occurrence_in(date, aligned, day);
                if candidate < date {
                    candidate
                } else {
                    occurrence_in(date, aligned - period, day)
                }
            }
            None => {
                let (step, anchor) = self.weekly_step();
                let steps = (date.days_since(anchor) - 1).div_euclid(step);
                anchor.add_days(steps * step)
            }
        }
    }

    /// Whether `date` is an occurrence.
    pub fn falls_on(&self, date: Date) -> bool {
        self.next_on_or_after(date) == date
    }

    fn weekly_step(&self) -> (i32, Date) {
        match *self {
            Schedule::Weekly { weeks, anchor } => (7 * weeks as i32, anchor),
            _ => unreachable!("only weekly schedules count in days"),
        }
    }

    /// What is owed on `as_of`, given `next_date`, the first occurrence not
    /// done yet, and the last date occurrences may fall on (`ends_on`).
    /// The missed-day rule (module docs): only the latest occurrence from
    /// `next_date` through `as_of` is performed; the earlier ones are
    /// missed. Performing it and storing [`Due::next`] as the new
    /// `next_date` makes a second call the same day owe nothing.
    pub fn due(&self, next_date: Date, as_of: Date, ends_on: Option<Date>) -> Due {
        let through = ends_on.map_or(as_of, |end| end.min(as_of));
        let mut owed: Vec<Date> = Vec::new();
        let mut missed_count: usize = 0;
        let mut day = self.next_on_or_after(next_date);
        while day <= through {
            if owed.len() > MISSED_LISTED_MAX {
                owed.remove(0);
            }
            owed.push(day);
            missed_count += 1;
            day = self.next_on_or_after(day.add_days(1));
        }
        let occurrence = owed.pop();
        let missed_count = missed_count.saturating_sub(1);
        let next = self.next_on_or_after(as_of.add_days(1).max(next_date));
        Due {
            occurrence,
            missed_count,
            missed: owed,
            next: match ends_on {
                Some(end) if next > end => None,
                _ => Some(next),
            },
        }
    }
}

/// Months since year 0 of `date`'s month.
fn month_index(date: Date) -> i32 {
    let (year, month, _) = date.ymd();
    year * 12 + month as i32 - 1
}

/// Day `day` (clamped to the month's last day) of the month `index`,
/// reached from `near` by month arithmetic (so no year bound applies).
fn occurrence_in(near: Date, index: i32, day: u32) -> Date {
    let (_, _, near_day) = near.ymd();
    let first = near
        .add_days(1 - near_day as i32)
        .add_months(index - month_index(near));
    let (year, month, _) = first.ymd();
    first.add_days(day.min(days_in_month(year, month)) as i32 - 1)
}

impl fmt::Display for Schedule {
    /// The canonical form, which [`Schedule::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Schedule::Monthly { day } => write!(f, "monthly:{day}"),
            Schedule::Weekly { weeks, anchor } => write!(f, "weekly:{weeks}:{anchor}"),
            Schedule::Quarterly { day, first_month } => write!(f, "quarterly:{day}:{first_month}"),
            Schedule::Yearly { month, day } => write!(f, "yearly:{month:02}-{day:02}"),
        }
    }
}

impl TryFrom<String> for Schedule {
    type Error = ScheduleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Schedule::parse(&value)
    }
}

impl From<Schedule> for String {
    fn from(value: Schedule) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn s(text: &str) -> Schedule {
        Schedule::parse(text).unwrap()
    }

    #[test]
    fn monthly_on_day_31_is_the_last_day_of_every_month() {
        let end = s("monthly:31");
        let days: Vec<String> = (0..4)
            .scan(d("2026-01-01"), |at, _| {
                let next = end.next_on_or_after(*at);
                *at = next.add_days(1);
                Some(next.to_string())
            })
            .collect();
        assert_eq!(
            days,
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
        );
        assert_eq!(
            s("monthly:30").next_on_or_after(d("2024-02-01")),
            d("2024-02-29")
        );
        assert_eq!(s("monthly:last"), end);
    }

    #[test]
    fn monthly_on_the_first() {
        let first = s("monthly:1");
        assert_eq!(first.next_on_or_after(d("2026-11-01")), d("2026-11-01"));
        assert_eq!(first.next_on_or_after(d("2026-11-02")), d("2026-12-01"));
        assert_eq!(first.next_on_or_after(d("2026-12-31")), d("2027-01-01"));
        assert_eq!(first.last_before(d("2026-11-01")), d("2026-10-01"));
        assert_eq!(first.last_before(d("2026-11-02")), d("2026-11-01"));
    }

    #[test]
    fn weekly_counts_from_its_anchor() {
        let fortnight = Schedule::parse_with_anchor("weekly:2", d("2026-11-02")).unwrap();
        assert_eq!(fortnight.to_string(), "weekly:2:2026-11-02");
        assert_eq!(fortnight.next_on_or_after(d("2026-11-03")), d("2026-11-16"));
        assert_eq!(fortnight.next_on_or_after(d("2026-11-16")), d("2026-11-16"));
        assert_eq!(fortnight.last_before(d("2026-11-16")), d("2026-11-02"));
        assert_eq!(fortnight.next_on_or_after(d("2026-10-30")), d("2026-11-02"));
        assert_eq!(fortnight.last_before(d("2026-11-02")), d("2026-10-19"));
    }

    #[test]
    fn quarterly_and_yearly() {
        let q = s("quarterly:1");
        assert_eq!(q.next_on_or_after(d("2026-11-24")), d("2027-01-01"));
        assert_eq!(q.next_on_or_after(d("2026-04-01")), d("2026-04-01"));
        assert_eq!(q.last_before(d("2026-04-01")), d("2026-01-01"));
        let q2 = s("quarterly:31:2");
        assert_eq!(q2.next_on_or_after(d("2026-03-01")), d("2026-05-31"));
        assert_eq!(q2.next_on_or_after(d("2026-01-01")), d("2026-02-28"));
        assert_eq!(q2.last_before(d("2026-02-28")), d("2025-11-30"));
        let y = s("yearly:02-29");
        assert_eq!(y.next_on_or_after(d("2026-03-01")), d("2027-02-28"));
        assert_eq!(y.next_on_or_after(d("2027-03-01")), d("2028-02-29"));
        assert_eq!(
            s("yearly:01-15").describe(),
            "every year on 15 Jan".to_string()
        );
        assert_eq!(q.describe(), "day 1 of Jan, Apr, Jul, Oct");
    }

    #[test]
    fn a_run_one_day_late_still_issues_the_occurrence_once() {
        let first = s("monthly:1");
        let due = first.due(d("2026-12-01"), d("2026-12-02"), None);
        assert_eq!(due.occurrence, Some(d("2026-12-01")));
        assert_eq!(due.missed_count, 0);
        assert_eq!(due.next, Some(d("2027-01-01")));
        // Stored, the same day owes nothing.
        let again = first.due(due.next.unwrap(), d("2026-12-02"), None);
        assert_eq!(again.occurrence, None);
        assert_eq!(again.next, Some(d("2027-01-01")));
    }

    #[test]
    fn a_long_outage_performs_only_the_latest_occurrence() {
        let weekly = s("weekly:1:2026-11-02");
        let due = weekly.due(d("2026-11-02"), d("2026-11-24"), None);
        assert_eq!(due.occurrence, Some(d("2026-11-23")));
        assert_eq!(
            due.missed,
            [d("2026-11-02"), d("2026-11-09"), d("2026-11-16")]
        );
        assert_eq!(due.missed_count, 3);
        assert_eq!(due.next, Some(d("2026-11-30")));
        let daily_for_years = s("weekly:1:2000-01-03");
        let due = daily_for_years.due(d("2000-01-03"), d("2026-11-24"), None);
        assert_eq!(due.missed.len(), MISSED_LISTED_MAX);
        assert_eq!(due.missed.last(), Some(&d("2026-11-16")));
        assert!(due.missed_count > 1000);
    }

    #[test]
    fn nothing_is_owed_after_the_end_date_and_the_schedule_ends() {
        let first = s("monthly:1");
        let due = first.due(d("2026-12-01"), d("2027-02-10"), Some(d("2026-12-31")));
        assert_eq!(due.occurrence, Some(d("2026-12-01")));
        assert_eq!(due.missed_count, 0);
        assert_eq!(due.next, None);
        let before = first.due(d("2026-12-01"), d("2026-11-24"), Some(d("2026-12-31")));
        assert_eq!(before.occurrence, None);
        assert_eq!(before.next, Some(d("2026-12-01")));
    }

    #[test]
    fn errors_name_the_value_and_what_is_accepted() {
        for (text, words) in [
            ("monthly:32", "1 to 31"),
            ("monthly", "name the day"),
            ("weekly:0", "1 to 52"),
            ("weekly:2", "needs its first date"),
            ("weekly:2:2026-02-30", "does not exist"),
            ("quarterly:1:4", "1, 2 or 3"),
            ("yearly:02-30", "not a day of the year"),
            ("yearly:1/15", "MM-DD"),
            ("daily", "monthly, weekly, quarterly or yearly"),
        ] {
            let message = Schedule::parse(text).unwrap_err().to_string();
            assert!(message.contains(text), "{message}");
            assert!(message.contains(words), "{message}");
            assert!(message.contains("accepted: monthly:1"), "{message}");
        }
    }

    fn schedules() -> impl Strategy<Value = Schedule> {
        prop_oneof![
            (1u32..=31).prop_map(|day| Schedule::Monthly { day }),
            (1u32..=WEEKS_MAX, 0i32..40_000).prop_map(|(weeks, n)| Schedule::Weekly {
                weeks,
                anchor: Date::from_day_number(n),
            }),
            (1u32..=31, 1u32..=3)
                .prop_map(|(day, first_month)| Schedule::Quarterly { day, first_month }),
            (1u32..=12, 1u32..=31).prop_map(|(month, day)| Schedule::Yearly {
                month,
                day: day.min(days_in_month(2000, month)),
            }),
        ]
    }

    fn dates() -> impl Strategy<Value = Date> {
        // 1975 to 2080.
        (1_900i32..40_000).prop_map(Date::from_day_number)
    }

    /// Every occurrence in `[from, to)` by trying each day.
    fn brute(schedule: &Schedule, from: Date, to: Date) -> Vec<Date> {
        let mut days = Vec::new();
        let mut day = from;
        while day < to {
            let (year, month, dom) = day.ymd();
            let hit = match *schedule {
                Schedule::Weekly { weeks, anchor } => {
                    day.days_since(anchor).rem_euclid(7 * weeks as i32) == 0
                }
                _ => {
                    let (period, phase, want) = schedule.in_months().unwrap();
                    let index = year * 12 + month as i32 - 1;
                    (index - phase).rem_euclid(period) == 0
                        && dom == want.min(days_in_month(year, month))
                }
            };
            if hit {
                days.push(day);
            }
            day = day.add_days(1);
        }
        days
    }

    proptest! {
        #[test]
        fn next_and_last_agree_with_trying_every_day(schedule in schedules(), date in dates()) {
            let next = schedule.next_on_or_after(date);
            let last = schedule.last_before(date);
            prop_assert!(last < date && date <= next);
            prop_assert!(next.days_since(last) <= 366 + 1);
            let found = brute(&schedule, last, next.add_days(1));
            prop_assert_eq!(found, vec![last, next]);
            prop_assert!(schedule.falls_on(next) && schedule.falls_on(last));
        }

        #[test]
        fn the_canonical_text_reads_back(schedule in schedules()) {
            prop_assert_eq!(Schedule::parse(&schedule.to_string()), Ok(schedule));
            let json = serde_json::to_string(&schedule).unwrap();
            prop_assert_eq!(serde_json::from_str::<Schedule>(&json).unwrap(), schedule);
        }

        #[test]
        fn due_performs_the_latest_occurrence_once(
            schedule in schedules(),
            start in dates(),
            late_days in 0i32..800,
            end_after in proptest::option::of(0i32..800),
        ) {
            let next_date = schedule.next_on_or_after(start);
            let as_of = next_date.add_days(late_days);
            let ends_on = end_after.map(|n| next_date.add_days(n));
            let due = schedule.due(next_date, as_of, ends_on);
            let through = ends_on.map_or(as_of, |e| e.min(as_of));
            let owed = brute(&schedule, next_date, through.add_days(1));
            prop_assert_eq!(due.occurrence, owed.last().copied());
            prop_assert_eq!(due.missed_count, owed.len().saturating_sub(1));
            let listed_from = owed.len().saturating_sub(1).saturating_sub(MISSED_LISTED_MAX);
            prop_assert_eq!(&due.missed[..], &owed[listed_from..owed.len().saturating_sub(1)]);
            let after = schedule.next_on_or_after(as_of.add_days(1));
            prop_assert_eq!(due.next, (ends_on.is_none_or(|e| after <= e)).then_some(after));
            // Stored, the same day (and any day before the next) owes nothing.
            if let Some(next) = due.next {
                let again = schedule.due(next, as_of, ends_on);
                prop_assert_eq!(again.occurrence, None);
                prop_assert_eq!(again.next, Some(next));
                let before_next = schedule.due(next, next.add_days(-1), ends_on);
                prop_assert_eq!(before_next.occurrence, None);
            }
        }
    }
}
