//! Instants, durations, clock times and time zones.
//!
//! The engine never reads a clock: every instant is an argument. Instants are milliseconds
//! since the Unix epoch (UTC); civil-time questions (the next 09:00 in New York, quiet hours)
//! go through jiff, which handles DST gaps and folds.

use std::fmt;

use jiff::{Timestamp, Zoned, civil, tz::TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// An instant that may be absent, in the eight bytes of an instant: `Option<Millis>` takes
/// sixteen, and every user holds a few per journey they are in (B3 in docs/benchmarks.md).
/// Absent is `Millis::MIN`; the engine records only instants of its clock, which events
/// and timers set (SPEC §2 bounds event times), so no recorded instant is that one. It is
/// encoded as `Option<Millis>`, which checkpoints already held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Option<Millis>", into = "Option<Millis>")]
pub struct OptionalMillis(Millis);

impl OptionalMillis {
    /// No instant.
    pub const NONE: Self = Self(Millis::MIN);

    /// The instant, if there is one.
    pub fn get(self) -> Option<Millis> {
        (self != Self::NONE).then_some(self.0)
    }
}

impl Default for OptionalMillis {
    fn default() -> Self {
        Self::NONE
    }
}

impl From<Option<Millis>> for OptionalMillis {
    fn from(at: Option<Millis>) -> Self {
        // The one instant that cannot be told from absence is kept a millisecond later.
        at.map_or(Self::NONE, |at| Self(at.max(Millis::MIN + 1)))
    }
}

impl From<OptionalMillis> for Option<Millis> {
    fn from(at: OptionalMillis) -> Self {
        at.get()
    }
}

/// Parses an RFC 3339 / ISO-8601 instant (`2026-01-05T12:00:00Z`, any offset, any fraction)
/// or a plain date (`2026-01-05`, read as midnight UTC).
pub fn parse_instant(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    if text.len() == 10
        && let Ok(date) = text.parse::<civil::Date>()
    {
        return date
            .to_zoned(TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_millisecond());
    }
    None
}

/// Formats an instant as RFC 3339 in UTC (`2026-01-05T12:00:00Z`, fraction only when non-zero).
pub fn format_instant(at: Millis) -> String {
    match Timestamp::from_millisecond(at) {
        Ok(ts) => ts.to_string(),
        Err(_) => at.to_string(),
    }
}

/// A length of time written `<n>s`, `<n>m`, `<n>h`, `<n>d` or `<n>w` (a day is 24 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    millis: i64,
}

/// Why a duration, clock time, day or time zone did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeSyntaxError {
    /// Not `<n><unit>` with unit one of s, m, h, d, w.
    #[error(
        "`{0}` is not a duration: write <n>s, <n>m, <n>h, <n>d or <n>w with n a positive whole number"
    )]
    Duration(String),
    /// Not `HH:MM` on a 24-hour clock.
    #[error("`{0}` is not a clock time: write HH:MM on a 24-hour clock, e.g. 09:00")]
    ClockTime(String),
    /// Not a day of the week.
    #[error("`{0}` is not a day: write mon, tue, wed, thu, fri, sat or sun")]
    Day(String),
    /// Not an IANA time zone.
    #[error("`{0}` is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)")]
    TimeZone(String),
    /// Not an RFC 3339 instant.
    #[error("`{0}` is not a time: write RFC 3339, e.g. 2026-01-05T12:00:00Z")]
    Instant(String),
}

/// The longest duration accepted: 100 years, far beyond any journey.
const MAX_DURATION_MILLIS: i64 = 100 * 365 * 86_400_000;

impl Duration {
    /// A duration of this many milliseconds.
    pub const fn from_millis(millis: i64) -> Self {
        Self { millis }
    }

    /// The duration in milliseconds.
    pub const fn millis(self) -> i64 {
        self.millis
    }

    /// Parses `<n><unit>`; `n` is a positive whole number.
    pub fn parse(text: &str) -> Result<Self, TimeSyntaxError> {
        let bad = || TimeSyntaxError::Duration(text.to_string());
        let Some(unit_at) = text.char_indices().last().map(|(i, _)| i) else {
            return Err(bad());
        };
        let (digits, unit) = text.split_at(unit_at);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        let unit_millis = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            _ => return Err(bad()),
        };
        let millis = n.checked_mul(unit_millis).ok_or_else(bad)?;
        if n == 0 || millis > MAX_DURATION_MILLIS {
            return Err(bad());
        }
        Ok(Self { millis })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, &str); 5] = [
            (7 * 86_400_000, "w"),
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
        ];
        for (size, unit) in UNITS {
            if self.millis % size == 0 {
                return write!(f, "{}{unit}", self.millis / size);
            }
        }
        write!(f, "{}ms", self.millis)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(de::Error::custom)
    }
}

/// Written as the text it is read from (`3d`).
impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A duration that may point backwards: a [`Duration`] with an optional leading `-`
/// (`"-3d"`: three days before), for offsets such as "remind three days before renewal".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedDuration {
    millis: i64,
}

impl SignedDuration {
    /// The offset in milliseconds (negative: earlier).
    pub const fn millis(self) -> i64 {
        self.millis
    }

    /// Parses `[-]<n><unit>`.
    pub fn parse(text: &str) -> Result<Self, TimeSyntaxError> {
        let (sign, magnitude) = match text.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, text),
        };
        let d = Duration::parse(magnitude).map_err(|_| TimeSyntaxError::Duration(text.into()))?;
        Ok(Self {
            millis: sign * d.millis(),
        })
    }
}

impl fmt::Display for SignedDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = Duration::from_millis(self.millis.abs());
        if self.millis < 0 {
            write!(f, "-{magnitude}")
        } else {
            write!(f, "{magnitude}")
        }
    }
}

impl<'de> Deserialize<'de> for SignedDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(de::Error::custom)
    }
}

/// Written as the text it is read from (`-3d`).
impl Serialize for SignedDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A time of day, `HH:MM`, on a 24-hour clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime {
    /// Hour, 0–23.
    pub hour: i8,
    /// Minute, 0–59.
    pub minute: i8,
}

impl ClockTime {
    /// Parses `HH:MM` (two digits each).
    pub fn parse(text: &str) -> Result<Self, TimeSyntaxError> {
        let bad = || TimeSyntaxError::ClockTime(text.to_string());
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(bad());
        }
        let hour: i8 = h.parse().map_err(|_| bad())?;
        let minute: i8 = m.parse().map_err(|_| bad())?;
        if hour > 23 || minute > 59 {
            return Err(bad());
        }
        Ok(Self { hour, minute })
    }

    fn as_civil(self) -> civil::Time {
        civil::time(self.hour, self.minute, 0, 0)
    }

    fn minutes_of_day(self) -> i32 {
        i32::from(self.hour) * 60 + i32::from(self.minute)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(de::Error::custom)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// Written as the text it is read from (`HH:MM`).
impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A day of the week, written `mon` … `sun` (or in full, `monday` … `sunday`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Day(civil::Weekday);

impl Day {
    /// Parses a day name, case-insensitively.
    pub fn parse(text: &str) -> Result<Self, TimeSyntaxError> {
        use civil::Weekday::*;
        let day = match text.to_ascii_lowercase().as_str() {
            "mon" | "monday" => Monday,
            "tue" | "tuesday" => Tuesday,
            "wed" | "wednesday" => Wednesday,
            "thu" | "thursday" => Thursday,
            "fri" | "friday" => Friday,
            "sat" | "saturday" => Saturday,
            "sun" | "sunday" => Sunday,
            _ => return Err(TimeSyntaxError::Day(text.to_string())),
        };
        Ok(Self(day))
    }

    fn bit(self) -> u8 {
        1 << self.0.to_monday_zero_offset()
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(de::Error::custom)
    }
}

/// Written as its three-letter name, which [`Day::parse`] reads.
impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use civil::Weekday::*;
        s.serialize_str(match self.0 {
            Monday => "mon",
            Tuesday => "tue",
            Wednesday => "wed",
            Thursday => "thu",
            Friday => "fri",
            Saturday => "sat",
            Sunday => "sun",
        })
    }
}

/// A set of weekdays as a bit mask (bit 0 = Monday); empty means every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct DaySet(u8);

impl DaySet {
    /// The set holding these days (every day when the list is empty).
    pub fn of(days: &[Day]) -> Self {
        Self(days.iter().fold(0, |mask, d| mask | d.bit()))
    }

    fn allows(self, day: civil::Weekday) -> bool {
        self.0 == 0 || self.0 & Day(day).bit() != 0
    }
}

/// Looks up an IANA time zone by name in the bundled database.
pub fn parse_time_zone(name: &str) -> Result<TimeZone, TimeSyntaxError> {
    TimeZone::get(name).map_err(|_| TimeSyntaxError::TimeZone(name.to_string()))
}

/// The instant in `tz` of `day` at `clock`, resolving a DST gap forward and a fold to the
/// earlier of the two instants.
fn local_instant(day: civil::Date, clock: ClockTime, tz: &TimeZone) -> Option<Millis> {
    let zoned: Zoned = day
        .to_datetime(clock.as_civil())
        .to_zoned(tz.clone())
        .ok()?;
    Some(zoned.timestamp().as_millisecond())
}

/// The first instant at or after `from` whose local time in `tz` is `clock` on one of `days`.
///
/// On a day where `clock` falls in a DST gap the wait ends at the first valid instant after
/// the gap (02:30 on a spring-forward night is 03:30); in a fold, at the first of the two.
pub fn next_local_time(from: Millis, clock: ClockTime, days: DaySet, tz: &TimeZone) -> Millis {
    let Ok(start) = Timestamp::from_millisecond(from) else {
        return from;
    };
    let today = start.to_zoned(tz.clone()).date();
    // Eight days always contain the next occurrence on an allowed weekday.
    for offset in 0..8 {
        let Ok(day) = today.checked_add(jiff::Span::new().days(offset)) else {
            break;
        };
        if !days.allows(day.weekday()) {
            continue;
        }
        if let Some(at) = local_instant(day, clock, tz)
            && at >= from
        {
            return at;
        }
    }
    from
}

/// A daily local-time window such as quiet hours `21:00`–`08:00` (it may wrap midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyWindow {
    /// Local time the window opens (inclusive).
    pub start: ClockTime,
    /// Local time the window closes (exclusive).
    pub end: ClockTime,
}

impl DailyWindow {
    /// When `at` lies inside the window in `tz`, the instant the window closes; else `None`.
    pub fn closes_after(&self, at: Millis, tz: &TimeZone) -> Option<Millis> {
        let ts = Timestamp::from_millisecond(at).ok()?;
        let local = ts.to_zoned(tz.clone());
        let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
        let (start, end) = (self.start.minutes_of_day(), self.end.minutes_of_day());
        let inside = if start <= end {
            start <= minute && minute < end
        } else {
            minute >= start || minute < end
        };
        inside.then(|| next_local_time(at, self.end, DaySet::default(), tz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Millis {
        parse_instant(text).unwrap()
    }

    #[test]
    fn durations_parse_every_unit_and_reject_the_rest() {
        assert_eq!(Duration::parse("90s").unwrap().millis(), 90_000);
        assert_eq!(Duration::parse("5m").unwrap().millis(), 300_000);
        assert_eq!(Duration::parse("2h").unwrap().millis(), 7_200_000);
        assert_eq!(Duration::parse("1d").unwrap().millis(), 86_400_000);
        assert_eq!(Duration::parse("2w").unwrap().millis(), 14 * 86_400_000);
        for bad in [
            "",
            "d",
            "1",
            "1y",
            "-1d",
            "1.5h",
            " 1d",
            "0s",
            "1D",
            "99999999999999w",
            "1Ჽ",
            "Ჽ",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(Duration::parse("36h").unwrap().to_string(), "36h");
        assert_eq!(Duration::parse("14d").unwrap().to_string(), "2w");
    }

    #[test]
    fn clock_times_and_days() {
        assert_eq!(
            ClockTime::parse("09:05").unwrap(),
            ClockTime { hour: 9, minute: 5 }
        );
        for bad in ["9:00", "24:00", "12:60", "0900", "ab:cd", "12:0"] {
            assert!(ClockTime::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Day::parse("Mon").is_ok());
        assert!(Day::parse("sunday").is_ok());
        assert!(Day::parse("mo").is_err());
    }

    #[test]
    fn signed_durations_point_either_way() {
        assert_eq!(
            SignedDuration::parse("-3d").unwrap().millis(),
            -3 * 86_400_000
        );
        assert_eq!(SignedDuration::parse("2h").unwrap().millis(), 7_200_000);
        for bad in ["-", "--3d", "-0d", "+3d", "- 3d", "-3"] {
            assert!(SignedDuration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_parse_with_offsets_and_dates() {
        assert_eq!(
            at("2026-01-05T12:00:00Z"),
            at("2026-01-05T13:00:00.000+01:00")
        );
        assert_eq!(at("2026-01-05"), at("2026-01-05T00:00:00Z"));
        assert!(parse_instant("yesterday").is_none());
        assert_eq!(
            format_instant(at("2026-01-05T12:00:00Z")),
            "2026-01-05T12:00:00Z"
        );
        assert_eq!(
            format_instant(at("2026-01-05T12:00:00.5Z")),
            "2026-01-05T12:00:00.5Z"
        );
    }

    #[test]
    fn next_local_time_in_new_york() {
        let ny = parse_time_zone("America/New_York").unwrap();
        let nine = ClockTime::parse("09:00").unwrap();
        // 20:00Z is 15:00 in New York: the next 09:00 is tomorrow 14:00Z.
        assert_eq!(
            next_local_time(at("2026-01-05T20:00:00Z"), nine, DaySet::default(), &ny),
            at("2026-01-06T14:00:00Z")
        );
        // Exactly at 09:00 local passes at once.
        assert_eq!(
            next_local_time(at("2026-01-06T14:00:00Z"), nine, DaySet::default(), &ny),
            at("2026-01-06T14:00:00Z")
        );
    }

    #[test]
    fn next_local_time_honours_days() {
        let utc = TimeZone::UTC;
        let nine = ClockTime::parse("09:00").unwrap();
        // 2026-01-05 is a Monday; only Fridays allowed: 2026-01-09.
        let fri = DaySet::of(&[Day::parse("fri").unwrap()]);
        assert_eq!(
            next_local_time(at("2026-01-05T10:00:00Z"), nine, fri, &utc),
            at("2026-01-09T09:00:00Z")
        );
        // Monday after 09:00 with only Mondays: next week.
        let mon = DaySet::of(&[Day::parse("mon").unwrap()]);
        assert_eq!(
            next_local_time(at("2026-01-05T10:00:00Z"), nine, mon, &utc),
            at("2026-01-12T09:00:00Z")
        );
    }

    #[test]
    fn dst_gap_and_fold() {
        let ny = parse_time_zone("America/New_York").unwrap();
        // 2026-03-08: clocks jump 02:00 -> 03:00. 02:30 does not exist: 03:30 EDT = 07:30Z.
        let half_two = ClockTime::parse("02:30").unwrap();
        assert_eq!(
            next_local_time(at("2026-03-08T05:00:00Z"), half_two, DaySet::default(), &ny),
            at("2026-03-08T07:30:00Z")
        );
        // 2026-11-01: clocks fall back 02:00 -> 01:00. 01:30 happens twice: the first is EDT.
        let half_one = ClockTime::parse("01:30").unwrap();
        assert_eq!(
            next_local_time(at("2026-11-01T04:00:00Z"), half_one, DaySet::default(), &ny),
            at("2026-11-01T05:30:00Z")
        );
        // 09:00 the day after spring-forward is 13:00Z, not 14:00Z.
        let nine = ClockTime::parse("09:00").unwrap();
        assert_eq!(
            next_local_time(at("2026-03-08T12:00:00Z"), nine, DaySet::default(), &ny),
            at("2026-03-08T13:00:00Z")
        );
    }

    #[test]
    fn quiet_window_wraps_midnight() {
        let window = DailyWindow {
            start: ClockTime::parse("21:00").unwrap(),
            end: ClockTime::parse("08:00").unwrap(),
        };
        let utc = TimeZone::UTC;
        assert_eq!(
            window.closes_after(at("2026-01-05T22:00:00Z"), &utc),
            Some(at("2026-01-06T08:00:00Z"))
        );
        assert_eq!(
            window.closes_after(at("2026-01-06T07:59:00Z"), &utc),
            Some(at("2026-01-06T08:00:00Z"))
        );
        assert_eq!(window.closes_after(at("2026-01-06T08:00:00Z"), &utc), None);
        assert_eq!(window.closes_after(at("2026-01-05T12:00:00Z"), &utc), None);
        assert!(
            window
                .closes_after(at("2026-01-05T21:00:00Z"), &utc)
                .is_some()
        );
    }
}
