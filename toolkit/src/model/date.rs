//! Calendar dates, for parity allowances that expire, and the one place that says what
//! day it is.

use std::fmt;

use crate::diagnostic::{Diagnostic, Location};

/// The environment variable that sets the day every command runs as, instead of the
/// system clock: to see today what `check` will say on a later day, and to pin tests.
pub const TODAY_VAR: &str = "XTASK_TODAY";

/// A day of the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The day commands run as: `XTASK_TODAY` when it is set, else today in UTC by the
    /// system clock. Read once per run; every command that needs the day is given it.
    pub fn today() -> anyhow::Result<Date> {
        match std::env::var(TODAY_VAR) {
            Ok(text) if !text.is_empty() => Date::parse(&text).map_err(|reason| {
                Diagnostic::new(
                    format!("{TODAY_VAR}=`{text}` is not a day: {reason}"),
                    Location::Nowhere,
                )
                .with_help(format!(
                    "set {TODAY_VAR} to a day such as 2027-03-01, or unset it to use the system clock"
                ))
                .into_error()
            }),
            _ => Ok(Date::from_clock()),
        }
    }

    /// Today in UTC, from the system clock.
    fn from_clock() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// A day written `YYYY-MM-DD`, as TOML writes it.
    pub fn parse(text: &str) -> Result<Date, String> {
        match text.parse::<toml_edit::Datetime>() {
            Ok(datetime) => Date::from_toml(&datetime),
            Err(_) => Err("write it as YYYY-MM-DD, such as 2027-03-01".to_owned()),
        }
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// The date of a TOML date (`2027-03-01`), or why it is not one.
    pub fn from_toml(datetime: &toml_edit::Datetime) -> Result<Date, String> {
        match (&datetime.date, &datetime.time) {
            (Some(date), None) => Ok(Date {
                year: i32::from(date.year),
                month: date.month,
                day: date.day,
            }),
            _ => Err(format!(
                "`{datetime}` is not a date: write a day such as 2027-03-01, without a time"
            )),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn days_since_the_epoch_become_calendar_dates() {
        let date = |y, m, d| Date {
            year: y,
            month: m,
            day: d,
        };
        assert_eq!(Date::from_days_since_epoch(0), date(1970, 1, 1));
        assert_eq!(Date::from_days_since_epoch(11_016), date(2000, 2, 29));
        assert_eq!(Date::from_days_since_epoch(20_784), date(2026, 11, 27));
        assert!(date(2026, 11, 27) < date(2027, 3, 1));
        assert_eq!(date(2027, 3, 1).to_string(), "2027-03-01");
    }

    #[test]
    fn a_day_is_read_as_toml_writes_it() {
        assert_eq!(Date::parse("2028-03-01").unwrap().to_string(), "2028-03-01");
        assert!(Date::parse("2028-02-30").is_err());
        assert!(
            Date::parse("1 March 2028")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(Date::parse("2028-03-01T10:00:00").is_err());
    }

    #[test]
    fn only_plain_dates_are_dates() {
        let parse = |s: &str| Date::from_toml(&s.parse::<toml_edit::Datetime>().unwrap());
        assert_eq!(parse("2027-03-01").unwrap().to_string(), "2027-03-01");
        assert!(
            parse("2027-03-01T10:00:00Z")
                .unwrap_err()
                .contains("not a date")
        );
    }
}
