//! Timestamps as Sacred records them: naive UTC, ISO 8601 with microseconds.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time, in UTC, with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Microseconds since the Unix epoch.
    micros: i64,
}

impl Timestamp {
    /// Now.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// From microseconds since the Unix epoch.
    pub fn from_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// Microseconds since the Unix epoch.
    pub fn as_micros(self) -> i64 {
        self.micros
    }

    /// Milliseconds since the Unix epoch (BSON dates), truncated as pymongo does.
    pub fn as_millis(self) -> i64 {
        self.micros.div_euclid(1000)
    }

    /// The time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(u64::try_from(self.micros - earlier.micros).unwrap_or(0))
    }

    /// Parses a time as Sacred's records hold it: `2026-11-27T22:05:29.077128` (naive UTC,
    /// as file storage writes it), with a `Z` or `+00:00` (as MongoDB dates read back), with
    /// any number of fraction digits or none, or a date alone (`2026-11-27`, midnight). A
    /// space may stand for the `T`. `None` for anything else.
    ///
    /// ```
    /// use sacred_core::time::Timestamp;
    ///
    /// let t = Timestamp::parse("2026-11-27T22:05:29.077128").unwrap();
    /// assert_eq!(t.to_string(), "2026-11-27T22:05:29.077128");
    /// assert_eq!(Timestamp::parse("2026-11-27T22:05:29.077Z").unwrap().as_millis(), t.as_millis());
    /// assert!(Timestamp::parse("yesterday").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text
            .strip_suffix('Z')
            .or_else(|| text.strip_suffix("+00:00"))
            .unwrap_or(text);
        let (date, time) = match text.split_once(['T', ' ']) {
            Some((date, time)) => (date, Some(time)),
            None => (text, None),
        };
        let mut parts = date.splitn(3, '-');
        let year: i64 = digits(parts.next()?)?;
        let month: u32 = digits(parts.next()?)?;
        let day: u32 = digits(parts.next()?)?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut micros = 0_i64;
        if let Some(time) = time {
            let (hms, fraction) = match time.split_once('.') {
                Some((hms, fraction)) => (hms, Some(fraction)),
                None => (time, None),
            };
            let mut fields = hms.splitn(3, ':');
            let hours: i64 = digits(fields.next()?)?;
            let minutes: i64 = digits(fields.next()?)?;
            let seconds: i64 = fields.next().map_or(Some(0), digits)?;
            if hours > 23 || minutes > 59 || seconds > 60 {
                return None;
            }
            micros = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000;
            if let Some(fraction) = fraction {
                let kept: String = fraction.chars().take(6).collect();
                let value: i64 = digits(&kept)?;
                let scale = 10_i64.pow(u32::try_from(6 - kept.len()).ok()?);
                micros += value * scale;
            }
        }
        let days = days_from_civil(year, month, day);
        Some(Self::from_micros(days * 86_400_000_000 + micros))
    }
}

/// A field of digits only (no sign, no spaces), as a number.
fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The day count since 1970-01-01 of a date (proleptic Gregorian calendar): the inverse of
/// [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        let micros = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
        };
        Self { micros }
    }
}

/// `2026-11-27T22:05:29.077128`, as Python's `datetime.isoformat()` writes a naive UTC time.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.micros.div_euclid(1_000_000);
        let micros = self.micros.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_formats() {
        for micros in [
            0,
            1,
            1_795_817_129_077_128,
            951_782_400_000_000,
            -86_400_000_000,
        ] {
            let t = Timestamp::from_micros(micros);
            assert_eq!(Timestamp::parse(&t.to_string()), Some(t), "{t}");
        }
        assert_eq!(
            Timestamp::parse("2026-11-27"),
            Timestamp::parse("2026-11-27T00:00:00")
        );
        assert_eq!(
            Timestamp::parse("2026-11-27 22:05"),
            Timestamp::parse("2026-11-27T22:05:00.000Z")
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-11-27T25:00",
            "2026-11-27T1a:00",
            "-1-1-1",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_like_python_isoformat() {
        assert_eq!(
            Timestamp::from_micros(0).to_string(),
            "1970-01-01T00:00:00.000000"
        );
        // 2026-11-27T22:05:29.077128 UTC
        assert_eq!(
            Timestamp::from_micros(1_795_817_129_077_128).to_string(),
            "2026-11-27T22:05:29.077128"
        );
        assert_eq!(
            Timestamp::from_micros(951_782_400_000_001).to_string(),
            "2000-02-29T00:00:00.000001"
        );
        assert_eq!(
            Timestamp::from_micros(1_795_817_129_077_128).as_millis(),
            1_795_817_129_077
        );
    }
}
