//! The `time` attribute: written as RFC 3339 in UTC with microseconds; read in that form directly
//! (checked without building the date), any other RFC 3339 form through chrono.

use crate::envelope::{invalid, EnvelopeError};

/// `time` as herald writes it, in binary and structured mode alike.
pub(crate) fn format(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `ce_time` as RFC 3339. The form publishers write (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, at most
/// nine fraction digits, no leap second) is read directly; anything else goes to chrono's parser,
/// which accepts and refuses exactly what it always did.
pub(crate) fn parse_time(t: &str) -> Result<chrono::DateTime<chrono::Utc>, EnvelopeError> {
    if let Some(time) = parse_utc_fast(t.as_bytes()) {
        return Ok(time);
    }
    Ok(chrono::DateTime::parse_from_rfc3339(t)
        .map_err(|e| invalid(super::headers::TIME, format!("`{t}` is not RFC 3339: {e}")))?
        .with_timezone(&chrono::Utc))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or `None` for anything else (including out-of-range fields).
pub(crate) fn parse_utc_fast(b: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let f = utc_fields(b)?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(f.year).ok()?, f.month, f.day)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(f.hour, f.minute, f.second, f.nanos)?;
    Some(chrono::NaiveDateTime::new(date, time).and_utc())
}

/// Whether `b` is `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` and a valid date and time (no leap second),
/// what [`utc_fields`] reads, checked without reading the year (but for a 29 February) or the
/// fraction's value.
pub(crate) fn utc_valid(b: &[u8]) -> bool {
    let Some((head, _)) = utc_parts(b) else {
        return false;
    };
    let (month, day) = (two_digits(head, 5), two_digits(head, 8));
    let day_ok = match day {
        1..=28 => (1..=12).contains(&month),
        // The rest of the calendar, read as the full reading reads it.
        _ => utc_fields(b).is_some(),
    };
    day_ok && clock_ok(head)
}

/// The nineteen bytes before the fraction and the fraction's digits (none, or one to nine) of
/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, when it has that shape.
fn utc_parts(b: &[u8]) -> Option<(&[u8; 19], &[u8])> {
    let (head, rest) = b.split_first_chunk::<19>()?;
    let (&b'Z', fraction) = rest.split_last()? else {
        return None;
    };
    let digits = match fraction {
        [] => fraction,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) => digits,
        _ => return None,
    };
    utc_shape(head).then_some((head, digits))
}

/// The two digits at `i` of a head [`utc_shape`] accepted.
fn two_digits(head: &[u8; 19], i: usize) -> u32 {
    let digit = |i: usize| head.get(i).map_or(0, |c| u32::from(c.wrapping_sub(b'0')));
    digit(i) * 10 + digit(i + 1)
}

/// Whether the hour, minute and second are a time of day; a leap second (60) is left to chrono's
/// parser, which knows how to read it.
fn clock_ok(head: &[u8; 19]) -> bool {
    two_digits(head, 11) < 24 && two_digits(head, 14) < 60 && two_digits(head, 17) < 60
}

/// Whether the nineteen bytes before the fraction are `YYYY-MM-DDTHH:MM:SS` in shape (digits and
/// separators): three overlapping words, each checked in a few operations.
fn utc_shape(head: &[u8; 19]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let word = |at: usize| {
        head.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let (Some(w0), Some(w1), Some(w2)) = (word(0), word(8), word(11)) else {
        return false;
    };
    // Digits are the bytes whose mask byte is 0xff; the others must equal the separators.
    let fits = |w: u64, digits: u64, separators: u64| {
        let x = w ^ (ONES * 0x30);
        // A digit byte is below 10 after the xor: adding 0x76 leaves its high bit clear.
        let not_digit = (x.wrapping_add(ONES * 0x76) | x) & (ONES * 0x80) & digits;
        not_digit == 0 && w & !digits == separators
    };
    // "YYYY-MM-", "DDTHH:MM", "HH:MM:SS" (bytes 0, 8 and 11 on).
    fits(w0, 0x00ff_ff00_ffff_ffff, 0x2d00_002d_0000_0000)
        && fits(w1, 0xffff_00ff_ff00_ffff, 0x0000_3a00_0054_0000)
        && fits(w2, 0xffff_00ff_ff00_ffff, 0x0000_3a00_003a_0000)
}

/// The fields of a time in the form [`parse_utc_fast`] reads.
struct UtcFields {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

/// The fields of `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` when it is a valid date and time (no leap
/// second), checked without building it.
fn utc_fields(b: &[u8]) -> Option<UtcFields> {
    const SCALE: [u32; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let (head, digits) = utc_parts(b)?;
    let two = |i: usize| two_digits(head, i);
    let year = two(0) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let fraction = digits.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let nanos = fraction * SCALE.get(9 - digits.len()).copied().unwrap_or(1);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1..=days).contains(&day) && clock_ok(head)).then_some(UtcFields {
        year,
        month,
        day,
        hour: two(11),
        minute: two(14),
        second: two(17),
        nanos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_check_agrees_with_building_the_time() {
        for year in [0, 1, 4, 100, 400, 1900, 2000, 2023, 2024, 9999] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (hour, minute, second) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (0, 60, 0), (0, 0, 60)] {
                        let t = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.5Z");
                        let built = chrono::NaiveDate::from_ymd_opt(year, month, day)
                            .and_then(|d| d.and_hms_nano_opt(hour, minute, second, 500_000_000))
                            .map(|t| t.and_utc());
                        let checked = (second < 60).then_some(built).flatten();
                        assert_eq!(utc_fields(t.as_bytes()).is_some(), checked.is_some(), "{t}");
                        assert_eq!(utc_valid(t.as_bytes()), checked.is_some(), "{t}");
                        assert_eq!(parse_utc_fast(t.as_bytes()), checked, "{t}");
                    }
                }
            }
        }
    }
}
