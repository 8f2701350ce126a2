//! The date layouts bank exports use.

use dun_core::Date;

/// One way of writing a date in a CSV export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// `yyyy-mm-dd`
    Iso,
    /// `dd.mm.yyyy`
    DayMonthYearDots,
    /// `dd.mm.yy`, years 2000 to 2099
    DayMonthShortYearDots,
    /// `mm/dd/yyyy`
    MonthDayYearSlashes,
    /// `dd/mm/yyyy`
    DayMonthYearSlashes,
}

impl DateFormat {
    pub const ALL: [DateFormat; 5] = [
        DateFormat::Iso,
        DateFormat::DayMonthYearDots,
        DateFormat::DayMonthShortYearDots,
        DateFormat::MonthDayYearSlashes,
        DateFormat::DayMonthYearSlashes,
    ];

    /// How a mapping names it.
    pub fn name(self) -> &'static str {
        match self {
            DateFormat::Iso => "yyyy-mm-dd",
            DateFormat::DayMonthYearDots => "dd.mm.yyyy",
            DateFormat::DayMonthShortYearDots => "dd.mm.yy",
            DateFormat::MonthDayYearSlashes => "mm/dd/yyyy",
            DateFormat::DayMonthYearSlashes => "dd/mm/yyyy",
        }
    }

    pub fn from_name(name: &str) -> Option<DateFormat> {
        DateFormat::ALL
            .into_iter()
            .find(|f| f.name() == name.trim())
    }

    /// Reads `text` in this layout; day and month may have one digit.
    pub fn parse(self, text: &str) -> Option<Date> {
        let (separator, year_digits) = match self {
            DateFormat::Iso => ('-', 4),
            DateFormat::DayMonthYearDots => ('.', 4),
            DateFormat::DayMonthShortYearDots => ('.', 2),
            DateFormat::MonthDayYearSlashes | DateFormat::DayMonthYearSlashes => ('/', 4),
        };
        let parts: Vec<&str> = text.trim().split(separator).collect();
        let [a, b, c] = parts[..] else {
            return None;
        };
        let (year, month, day) = match self {
            DateFormat::Iso => (a, b, c),
            DateFormat::MonthDayYearSlashes => (c, a, b),
            _ => (c, b, a),
        };
        let number = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
            (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let year = number(year, year_digits..=year_digits)?;
        let year = if year_digits == 2 { 2000 + year } else { year };
        Date::from_ymd(year as i32, number(month, 1..=2)?, number(day, 1..=2)?)
    }
}

/// The first of `formats` that reads `text`.
pub fn parse_any(formats: &[DateFormat], text: &str) -> Option<Date> {
    formats.iter().find_map(|f| f.parse(text))
}

/// `a or b or c`, for a refusal.
pub fn names(formats: &[DateFormat]) -> String {
    formats
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        Date::from_ymd(y, m, d)
    }

    #[test]
    fn each_layout_reads_its_own_dates() {
        assert_eq!(DateFormat::Iso.parse("2026-03-02"), ymd(2026, 3, 2));
        assert_eq!(
            DateFormat::DayMonthYearDots.parse("02.03.2026"),
            ymd(2026, 3, 2)
        );
        assert_eq!(
            DateFormat::DayMonthShortYearDots.parse("2.3.26"),
            ymd(2026, 3, 2)
        );
        assert_eq!(
            DateFormat::MonthDayYearSlashes.parse("03/02/2026"),
            ymd(2026, 3, 2)
        );
        assert_eq!(
            DateFormat::DayMonthYearSlashes.parse("02/03/2026"),
            ymd(2026, 3, 2)
        );
    }

    #[test]
    fn other_layouts_and_impossible_days_are_refused() {
        assert_eq!(DateFormat::DayMonthShortYearDots.parse("02.03.2026"), None);
        assert_eq!(DateFormat::DayMonthYearDots.parse("02.03.26"), None);
        assert_eq!(DateFormat::Iso.parse("2026-02-30"), None);
        assert_eq!(DateFormat::MonthDayYearSlashes.parse("13/01/2026"), None);
        assert_eq!(DateFormat::Iso.parse("2026-3-+2"), None);
        assert_eq!(DateFormat::Iso.parse(""), None);
        let both = [
            DateFormat::DayMonthShortYearDots,
            DateFormat::DayMonthYearDots,
        ];
        assert_eq!(parse_any(&both, "02.03.2026"), ymd(2026, 3, 2));
        assert_eq!(parse_any(&both, "02.03.26"), ymd(2026, 3, 2));
        assert_eq!(names(&both), "dd.mm.yy or dd.mm.yyyy");
    }

    #[test]
    fn names_round_trip() {
        for f in DateFormat::ALL {
            assert_eq!(DateFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(DateFormat::from_name("yyyy/mm/dd"), None);
    }
}
