//! Timezone-aware `datetime` as yaql's `date_time` module has it.
//!
//! A [`DateTime`] is an instant (microseconds since the Unix epoch, UTC) plus a fixed
//! UTC offset in seconds (yaql only ever attaches fixed offsets: `tzutc()`,
//! `tzoffset`). Local fields are computed on demand with Howard Hinnant's civil-date
//! algorithms. Timedeltas are plain microsecond counts in [`crate::Value::TimeDelta`].

use std::fmt::Write;

use crate::error::{Error, Result};

/// Microseconds per day.
pub const DAY_US: i64 = 86_400_000_000;

/// An aware datetime: an instant and the UTC offset it is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// Microseconds since 1970-01-01T00:00:00Z.
    pub utc_micros: i64,
    /// The zone offset in seconds east of UTC.
    pub offset_secs: i32,
}

/// Broken-down local fields of a datetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    /// Year (1..=9999).
    pub year: i64,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Microsecond.
    pub microsecond: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Number of days in a month.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl DateTime {
    /// Builds from local fields and an offset, validating like Python's `datetime()`.
    pub fn from_fields(f: Fields, offset_secs: i32) -> Result<DateTime> {
        if !(1..=9999).contains(&f.year) {
            return Err(Error::value_error(format!(
                "year {} is out of range",
                f.year
            )));
        }
        if !(1..=12).contains(&f.month) {
            return Err(Error::value_error("month must be in 1..12"));
        }
        if f.day < 1 || f.day > days_in_month(f.year, f.month) {
            return Err(Error::value_error("day is out of range for month"));
        }
        if f.hour > 23 {
            return Err(Error::value_error("hour must be in 0..23"));
        }
        if f.minute > 59 {
            return Err(Error::value_error("minute must be in 0..59"));
        }
        if f.second > 59 {
            return Err(Error::value_error("second must be in 0..59"));
        }
        if f.microsecond > 999_999 {
            return Err(Error::value_error("microsecond must be in 0..999999"));
        }
        let days = days_from_civil(f.year, f.month, f.day);
        let local = days * DAY_US
            + (f.hour as i64 * 3600 + f.minute as i64 * 60 + f.second as i64) * 1_000_000
            + f.microsecond as i64;
        Ok(DateTime {
            utc_micros: local - offset_secs as i64 * 1_000_000,
            offset_secs,
        })
    }

    /// Local wall-clock microseconds since the epoch.
    pub fn local_micros(&self) -> i64 {
        self.utc_micros + self.offset_secs as i64 * 1_000_000
    }

    /// Local broken-down fields.
    pub fn fields(&self) -> Fields {
        let lm = self.local_micros();
        let days = lm.div_euclid(DAY_US);
        let rem = lm.rem_euclid(DAY_US);
        let (year, month, day) = civil_from_days(days);
        let secs = rem / 1_000_000;
        Fields {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: ((secs / 60) % 60) as u32,
            second: (secs % 60) as u32,
            microsecond: (rem % 1_000_000) as u32,
        }
    }

    /// Monday = 0.
    pub fn weekday(&self) -> u32 {
        let days = self.local_micros().div_euclid(DAY_US);
        ((days + 3).rem_euclid(7)) as u32
    }

    /// Checks the year stays within Python's range after arithmetic.
    pub fn checked(self) -> Result<DateTime> {
        let y = self.fields().year;
        if (1..=9999).contains(&y) {
            Ok(self)
        } else {
            Err(Error::new(
                crate::error::ErrorKind::OverflowError,
                "date value out of range",
            ))
        }
    }

    fn offset_text(&self, colon: bool) -> String {
        let o = self.offset_secs;
        let sign = if o < 0 { '-' } else { '+' };
        let a = o.unsigned_abs();
        let (h, m, s) = (a / 3600, (a / 60) % 60, a % 60);
        let mut t = if colon {
            format!("{sign}{h:02}:{m:02}")
        } else {
            format!("{sign}{h:02}{m:02}")
        };
        if s != 0 {
            if colon {
                let _ = write!(t, ":{s:02}");
            } else {
                let _ = write!(t, "{s:02}");
            }
        }
        t
    }

    /// Python `str(datetime)`: `2020-01-02 00:00:00[.ffffff]+00:00`.
    pub fn to_py_str(&self) -> String {
        self.iso(' ', true)
    }

    /// `isoformat(sep)`, with or without the zone.
    pub fn iso(&self, sep: char, zone: bool) -> String {
        let f = self.fields();
        let mut s = format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            f.year, f.month, f.day, f.hour, f.minute, f.second
        );
        if f.microsecond != 0 {
            let _ = write!(s, ".{:06}", f.microsecond);
        }
        if zone {
            s.push_str(&self.offset_text(true));
        }
        s
    }

    /// Python `repr(datetime)` (dateutil zones spelt as `datetime.timezone`).
    pub fn repr(&self) -> String {
        let f = self.fields();
        let mut parts = vec![
            f.year.to_string(),
            f.month.to_string(),
            f.day.to_string(),
            f.hour.to_string(),
            f.minute.to_string(),
        ];
        if f.second != 0 || f.microsecond != 0 {
            parts.push(f.second.to_string());
        }
        if f.microsecond != 0 {
            parts.push(f.microsecond.to_string());
        }
        let tz = if self.offset_secs == 0 {
            "tzutc()".to_string()
        } else {
            format!("tzoffset(None, {})", self.offset_secs)
        };
        format!("datetime.datetime({}, tzinfo={tz})", parts.join(", "))
    }

    /// Python `strftime` for the C89 directives plus `%f`, `%z`, `%Z`.
    pub fn strftime(&self, fmt: &str) -> String {
        let f = self.fields();
        let mut out = String::new();
        let mut chars = fmt.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let Some(d) = chars.next() else {
                out.push('%');
                break;
            };
            match d {
                'Y' => {
                    let _ = write!(out, "{}", f.year);
                }
                'y' => {
                    let _ = write!(out, "{:02}", f.year % 100);
                }
                'm' => {
                    let _ = write!(out, "{:02}", f.month);
                }
                'd' => {
                    let _ = write!(out, "{:02}", f.day);
                }
                'H' => {
                    let _ = write!(out, "{:02}", f.hour);
                }
                'I' => {
                    let h = f.hour % 12;
                    let _ = write!(out, "{:02}", if h == 0 { 12 } else { h });
                }
                'M' => {
                    let _ = write!(out, "{:02}", f.minute);
                }
                'S' => {
                    let _ = write!(out, "{:02}", f.second);
                }
                'f' => {
                    let _ = write!(out, "{:06}", f.microsecond);
                }
                'p' => out.push_str(if f.hour < 12 { "AM" } else { "PM" }),
                'B' => out.push_str(MONTHS[(f.month - 1) as usize]),
                'b' | 'h' => out.push_str(&MONTHS[(f.month - 1) as usize][..3]),
                'A' => out.push_str(WEEKDAYS[self.weekday() as usize]),
                'a' => out.push_str(&WEEKDAYS[self.weekday() as usize][..3]),
                'w' => {
                    let _ = write!(out, "{}", (self.weekday() + 1) % 7);
                }
                'j' => {
                    let doy =
                        days_from_civil(f.year, f.month, f.day) - days_from_civil(f.year, 1, 1) + 1;
                    let _ = write!(out, "{doy:03}");
                }
                'z' => out.push_str(&self.offset_text(false)),
                'Z' => {
                    if self.offset_secs == 0 {
                        out.push_str("UTC")
                    }
                }
                'F' => {
                    let _ = write!(out, "{:04}-{:02}-{:02}", f.year, f.month, f.day);
                }
                'T' => {
                    let _ = write!(out, "{:02}:{:02}:{:02}", f.hour, f.minute, f.second);
                }
                '%' => out.push('%'),
                other => {
                    out.push('%');
                    out.push(other);
                }
            }
        }
        out
    }

    /// Parses the common dateutil forms: ISO 8601 dates and date-times with optional
    /// fraction and zone (`Z`, `+hh:mm`, `+hhmm`), with `T` or space separator. A naive
    /// result gets UTC.
    pub fn parse(text: &str) -> Result<DateTime> {
        let bad = || Error::value_error(format!("Unknown string format: {text}"));
        let t = text.trim();
        let b = t.as_bytes();
        let num = |s: usize, n: usize| -> Option<u32> {
            let part = t.get(s..s + n)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = num(0, 4).ok_or_else(bad)? as i64;
        let (month, day, mut pos) = if b.get(4) == Some(&b'-') {
            // dateutil accepts 1- or 2-digit month and day (`2015-8-29`).
            let run = |s: usize| -> Option<(u32, usize)> {
                let mut e = s;
                while e < b.len() && e - s < 2 && b[e].is_ascii_digit() {
                    e += 1;
                }
                Some((t.get(s..e)?.parse().ok()?, e))
            };
            let (m, e1) = run(5).ok_or_else(bad)?;
            if b.get(e1) != Some(&b'-') {
                return Err(bad());
            }
            let (d, e2) = run(e1 + 1).ok_or_else(bad)?;
            (m, d, e2)
        } else {
            (num(4, 2).ok_or_else(bad)?, num(6, 2).ok_or_else(bad)?, 8)
        };
        let mut f = Fields {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            microsecond: 0,
        };
        let mut offset = 0i32;
        if pos < b.len() && (b[pos] == b'T' || b[pos] == b' ' || b[pos] == b't') {
            pos += 1;
            f.hour = num(pos, 2).ok_or_else(bad)?;
            pos += 2;
            if b.get(pos) == Some(&b':') {
                pos += 1;
            }
            f.minute = num(pos, 2).ok_or_else(bad)?;
            pos += 2;
            if b.get(pos) == Some(&b':') {
                pos += 1;
                f.second = num(pos, 2).ok_or_else(bad)?;
                pos += 2;
            } else if pos < b.len() && b[pos].is_ascii_digit() {
                f.second = num(pos, 2).ok_or_else(bad)?;
                pos += 2;
            }
            if b.get(pos) == Some(&b'.') || b.get(pos) == Some(&b',') {
                pos += 1;
                let start = pos;
                while pos < b.len() && b[pos].is_ascii_digit() {
                    pos += 1;
                }
                let frac = &t[start..pos];
                let mut us = 0u32;
                for (i, c) in frac.bytes().take(6).enumerate() {
                    us += (c - b'0') as u32 * 10u32.pow(5 - i as u32);
                }
                f.microsecond = us;
            }
            while b.get(pos) == Some(&b' ') {
                pos += 1;
            }
            if pos < b.len() {
                let rest = &t[pos..];
                if rest == "Z" || rest == "z" || rest == "UTC" {
                    pos = b.len();
                } else if rest.starts_with('+') || rest.starts_with('-') {
                    let sign = if rest.starts_with('-') { -1 } else { 1 };
                    let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
                    if digits.len() != 4 && digits.len() != 2 {
                        return Err(bad());
                    }
                    let h: i32 = digits[..2].parse().map_err(|_| bad())?;
                    let m: i32 = if digits.len() == 4 {
                        digits[2..].parse().map_err(|_| bad())?
                    } else {
                        0
                    };
                    offset = sign * (h * 3600 + m * 60);
                    pos = b.len();
                }
            }
        }
        if pos != b.len() {
            return Err(bad());
        }
        DateTime::from_fields(f, offset)
    }

    /// Python `strptime` for the numeric directives (`%Y %m %d %H %M %S %f %y %z %%`)
    /// and `%b`/`%B` month names.
    pub fn strptime(text: &str, fmt: &str) -> Result<DateTime> {
        let bad =
            || Error::value_error(format!("time data '{text}' does not match format '{fmt}'"));
        let mut f = Fields {
            year: 1900,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            microsecond: 0,
        };
        let mut offset = 0i32;
        // `%I` with `%p`: Python applies AM/PM to a 12-hour clock only.
        let (mut twelve, mut pm) = (false, None::<bool>);
        let tb = text.as_bytes();
        let mut pos = 0usize;
        let mut fc = fmt.chars();
        let take_num = |pos: &mut usize, max: usize| -> Option<u32> {
            let start = *pos;
            while *pos < tb.len() && *pos - start < max && tb[*pos].is_ascii_digit() {
                *pos += 1;
            }
            if *pos == start {
                None
            } else {
                text[start..*pos].parse().ok()
            }
        };
        while let Some(c) = fc.next() {
            if c != '%' {
                if text[pos..].starts_with(c) {
                    pos += c.len_utf8();
                    continue;
                }
                return Err(bad());
            }
            match fc.next().ok_or_else(bad)? {
                'Y' => f.year = take_num(&mut pos, 4).ok_or_else(bad)? as i64,
                'y' => {
                    let y = take_num(&mut pos, 2).ok_or_else(bad)? as i64;
                    f.year = if y < 69 { 2000 + y } else { 1900 + y };
                }
                'm' => f.month = take_num(&mut pos, 2).ok_or_else(bad)?,
                'd' => f.day = take_num(&mut pos, 2).ok_or_else(bad)?,
                'H' => f.hour = take_num(&mut pos, 2).ok_or_else(bad)?,
                'M' => f.minute = take_num(&mut pos, 2).ok_or_else(bad)?,
                'S' => f.second = take_num(&mut pos, 2).ok_or_else(bad)?,
                'f' => {
                    let start = pos;
                    let v = take_num(&mut pos, 6).ok_or_else(bad)?;
                    f.microsecond = v * 10u32.pow(6 - (pos - start) as u32);
                }
                'z' => {
                    let rest = &text[pos..];
                    let sign = if rest.starts_with('-') {
                        -1
                    } else if rest.starts_with('+') {
                        1
                    } else {
                        return Err(bad());
                    };
                    pos += 1;
                    let h = take_num(&mut pos, 2).ok_or_else(bad)? as i32;
                    if text[pos..].starts_with(':') {
                        pos += 1;
                    }
                    let m = take_num(&mut pos, 2).ok_or_else(bad)? as i32;
                    offset = sign * (h * 3600 + m * 60);
                }
                'b' | 'B' => {
                    let rest = text[pos..].to_ascii_lowercase();
                    let mut found = false;
                    for (i, name) in MONTHS.iter().enumerate() {
                        let lname = name.to_ascii_lowercase();
                        if rest.starts_with(&lname) {
                            pos += lname.len();
                        } else if rest.starts_with(&lname[..3]) {
                            pos += 3;
                        } else {
                            continue;
                        }
                        f.month = i as u32 + 1;
                        found = true;
                        break;
                    }
                    if !found {
                        return Err(bad());
                    }
                }
                'A' | 'a' => {
                    let rest = text[pos..].to_ascii_lowercase();
                    let names = [
                        "monday",
                        "tuesday",
                        "wednesday",
                        "thursday",
                        "friday",
                        "saturday",
                        "sunday",
                    ];
                    let n = names
                        .iter()
                        .find_map(|d| {
                            if rest.starts_with(d) {
                                Some(d.len())
                            } else if rest.starts_with(&d[..3]) {
                                Some(3)
                            } else {
                                None
                            }
                        })
                        .ok_or_else(bad)?;
                    pos += n;
                }
                'I' => {
                    twelve = true;
                    f.hour = take_num(&mut pos, 2).ok_or_else(bad)?;
                }
                'p' => {
                    let rest = text[pos..].to_ascii_lowercase();
                    pm = Some(if rest.starts_with("pm") {
                        true
                    } else if rest.starts_with("am") {
                        false
                    } else {
                        return Err(bad());
                    });
                    pos += 2;
                }
                '%' if text[pos..].starts_with('%') => pos += 1,
                _ => return Err(bad()),
            }
        }
        if pos != tb.len() {
            return Err(Error::value_error(format!(
                "unconverted data remains: {}",
                &text[pos..]
            )));
        }
        if twelve {
            match pm {
                Some(true) if f.hour != 12 => f.hour += 12,
                Some(false) if f.hour == 12 => f.hour = 0,
                _ => {}
            }
        }
        DateTime::from_fields(f, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for d in [-1_000_000i64, -1, 0, 1, 18_000, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn text_forms() {
        let dt = DateTime::parse("2020-01-02T03:04:05.5+02:00").unwrap();
        assert_eq!(dt.to_py_str(), "2020-01-02 03:04:05.500000+02:00");
        assert_eq!(dt.strftime("%Y/%m/%d %H-%M %z"), "2020/01/02 03-04 +0200");
        assert_eq!(dt.weekday(), 3);
        let p = DateTime::strptime("2021-05-06", "%Y-%m-%d").unwrap();
        assert_eq!(p.to_py_str(), "2021-05-06 00:00:00+00:00");
        assert!(DateTime::parse("not a date").is_err());
    }
}
