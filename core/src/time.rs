//! ISO 8601 rendering of datetimes, shared by every text format so they agree exactly.
//!
//! `YYYY-MM-DDTHH:MM:SS` plus a fraction only when it is not zero, in groups of three digits
//! (`.500`, `.000001`, `.000000001`), the way numpy and pandas print them. Units of a day or
//! coarser print only the date (`2020-01-01`), month (`2020-01`) or year (`2020`).
//! Years outside 0..=9999 are printed with a sign and at least four digits (`+10000-01-01`).
//!
//! ```
//! use tessera_core::{time::write_datetime, TimeUnit};
//! let mut s = Vec::new();
//! write_datetime(&mut s, 1_577_836_800_500, TimeUnit::Millisecond);
//! assert_eq!(s, b"2020-01-01T00:00:00.500");
//! ```

use crate::dtype::TimeUnit;

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
/// Howard Hinnant's `civil_from_days`, valid for the whole `i64` day range we can reach.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // i128 throughout: day counts near i64::MAX (datetime64[D] or [W] of any bit pattern)
    // must not overflow.
    let z = i128::from(z) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    // |y| <= i64::MAX / 365 + 1, so it fits.
    ((if m <= 2 { y + 1 } else { y }) as i64, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn push2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

fn push_year(out: &mut Vec<u8>, y: i128) {
    if (0..=9999).contains(&y) {
        let y = y as u32;
        push2(out, y / 100);
        push2(out, y % 100);
    } else {
        out.push(if y < 0 { b'-' } else { b'+' });
        let mut buf = itoa::Buffer::new();
        let s = buf.format(y.unsigned_abs());
        for _ in s.len()..4 {
            out.push(b'0');
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// Writes the date part `YYYY-MM-DD` of a day count.
pub fn write_date(out: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil_from_days(days);
    push_year(out, i128::from(y));
    out.push(b'-');
    push2(out, m);
    out.push(b'-');
    push2(out, d);
}

/// Writes `value` (a count of `unit` since the epoch) as ISO 8601 without a zone.
pub fn write_datetime(out: &mut Vec<u8>, value: i64, unit: TimeUnit) {
    match unit {
        TimeUnit::Year => return push_year(out, 1970 + i128::from(value)),
        TimeUnit::Month => {
            let y = 1970 + i128::from(value.div_euclid(12));
            push_year(out, y);
            out.push(b'-');
            push2(out, value.rem_euclid(12) as u32 + 1);
            return;
        }
        TimeUnit::Week => return write_date(out, value.saturating_mul(7)),
        TimeUnit::Day => return write_date(out, value),
        _ => {}
    }
    // Split into whole seconds and a sub-second count without overflow.
    let per_sec: i64 = match unit {
        TimeUnit::Hour | TimeUnit::Minute | TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        _ => 1_000_000_000,
    };
    let (secs, frac) = match unit {
        TimeUnit::Hour => (i128::from(value) * 3600, 0),
        TimeUnit::Minute => (i128::from(value) * 60, 0),
        _ => (i128::from(value.div_euclid(per_sec)), value.rem_euclid(per_sec)),
    };
    let days = secs.div_euclid(86_400) as i64;
    let sod = secs.rem_euclid(86_400) as u32;
    write_date(out, days);
    out.push(b'T');
    push2(out, sod / 3600);
    out.push(b':');
    push2(out, sod / 60 % 60);
    out.push(b':');
    push2(out, sod % 60);
    if frac != 0 {
        // Scale to nanoseconds, then print 3, 6 or 9 digits: as few as keep the value exact.
        let nanos = frac * (1_000_000_000 / per_sec);
        let digits = if nanos % 1_000_000 == 0 {
            3
        } else if nanos % 1_000 == 0 {
            6
        } else {
            9
        };
        let mut v = nanos / 10i64.pow(9 - digits);
        let start = out.len();
        out.push(b'.');
        out.resize(start + 1 + digits as usize, b'0');
        let mut i = out.len();
        while v > 0 {
            i -= 1;
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: i64, u: TimeUnit) -> String {
        let mut out = Vec::new();
        write_datetime(&mut out, v, u);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_units() {
        assert_eq!(s(0, TimeUnit::Second), "1970-01-01T00:00:00");
        assert_eq!(s(1_577_836_801, TimeUnit::Second), "2020-01-01T00:00:01");
        assert_eq!(s(1_577_836_800_000_001, TimeUnit::Microsecond), "2020-01-01T00:00:00.000001");
        assert_eq!(s(1, TimeUnit::Nanosecond), "1970-01-01T00:00:00.000000001");
        assert_eq!(s(-1, TimeUnit::Second), "1969-12-31T23:59:59");
        assert_eq!(s(-1, TimeUnit::Millisecond), "1969-12-31T23:59:59.999");
        assert_eq!(s(18_262, TimeUnit::Day), "2020-01-01");
        assert_eq!(s(601, TimeUnit::Month), "2020-02");
        assert_eq!(s(50, TimeUnit::Year), "2020");
        assert_eq!(s(25, TimeUnit::Hour), "1970-01-02T01:00:00");
        assert_eq!(s(i64::MAX, TimeUnit::Second).len() > 19, true);
        assert_eq!(s(i64::MIN + 1, TimeUnit::Nanosecond), "1677-09-21T00:12:43.145224193");
    }

    #[test]
    fn civil_round_trips() {
        for d in [-1_000_000i64, -719_468, -1, 0, 1, 18_262, 2_932_896, 1_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        // Extremes found by fuzzing: no overflow, a well-formed date.
        for d in [i64::MAX, i64::MIN, i64::MAX - 719_468] {
            let mut out = Vec::new();
            write_date(&mut out, d);
            write_datetime(&mut out, d, TimeUnit::Week);
            write_datetime(&mut out, d, TimeUnit::Month);
            write_datetime(&mut out, d, TimeUnit::Year);
            assert!(!out.is_empty());
        }
        for d in [0i64] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
