//! The retry policy of the official SDKs, as pure functions so it can be tested without a server.
//!
//! Retry 408, 409, 429 and every 5xx (529 "overloaded" included) and connection failures; the
//! server's `x-should-retry` header overrides the status rule. Wait what `retry-after-ms` or
//! `retry-after` asks when that is more than 0 and at most 60 s, otherwise `min(base·2^n, 8 s)`
//! shortened by up to 25 % of jitter so parallel conversations do not retry in lockstep.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// Longest server-requested delay we honour; a longer (or zero) one falls back to backoff, as in
/// the SDKs, so a confused server cannot park a run for an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Cap of the exponential backoff (the SDKs' 8 s).
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Largest share of a backoff delay removed at random.
const JITTER: f64 = 0.25;

/// Whether a response with this status is worth sending again, absent `x-should-retry`.
pub fn status_is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The `request-id` header.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "request-id").map(str::to_owned)
}

/// The `x-should-retry` header, when it is `true` or `false`.
pub fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match header_str(headers, "x-should-retry")?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The delay the server asks for: `retry-after-ms` (milliseconds), else `retry-after` (seconds,
/// or an HTTP date). Unfiltered: see [`delay`] for which values are honoured.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = header_str(headers, "retry-after-ms").and_then(parse_seconds) {
        return Some(ms / 1000);
    }
    let value = header_str(headers, "retry-after")?;
    parse_seconds(value).or_else(|| {
        let at = parse_http_date(value)?;
        Some(
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    })
}

/// How long to wait before retry number `retry + 1` (`retry` counts from 0).
pub fn delay(retry_after: Option<Duration>, retry: u32, backoff_base: Duration) -> Duration {
    if let Some(asked) = retry_after.filter(|d| !d.is_zero() && *d <= MAX_RETRY_AFTER) {
        return asked;
    }
    let backoff = backoff_base
        .saturating_mul(2u32.saturating_pow(retry))
        .min(MAX_BACKOFF);
    backoff.mul_f64(1.0 - JITTER * fastrand::f64())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// A non-negative decimal number of units ("2", "0.5").
fn parse_seconds(value: &str) -> Option<Duration> {
    let n: f64 = value.trim().parse().ok()?;
    Duration::try_from_secs_f64(n).ok()
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only date format HTTP/1.1 senders use.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_weekday, rest) = value.trim().split_once(", ")?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    let [day, month, year, time, "GMT"] = fields.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day)
        || !(0..24).contains(h)
        || !(0..60).contains(m)
        || !(0..61).contains(s)
    {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(status_is_retryable(s), "{s}");
        }
        for s in [200, 400, 401, 402, 403, 404, 413, 422] {
            assert!(!status_is_retryable(s), "{s}");
        }
    }

    #[test]
    fn retry_after_headers() {
        let ms = headers(&[("retry-after-ms", "10"), ("retry-after", "5")]);
        assert_eq!(retry_after(&ms), Some(Duration::from_millis(10)));
        let secs = headers(&[("retry-after", "2")]);
        assert_eq!(retry_after(&secs), Some(Duration::from_secs(2)));
        let frac = headers(&[("retry-after", " 0.5 ")]);
        assert_eq!(retry_after(&frac), Some(Duration::from_millis(500)));
        let past = headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        for bad in ["-1", "soon", "NaN"] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", bad)])),
                None,
                "{bad}"
            );
        }
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_481_599))
        );
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn should_retry_header() {
        assert_eq!(
            should_retry(&headers(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry(&headers(&[("x-should-retry", "false")])),
            Some(false)
        );
        assert_eq!(should_retry(&headers(&[("x-should-retry", "maybe")])), None);
    }

    #[test]
    fn delay_honours_retry_after_within_bounds_else_backs_off() {
        let base = Duration::from_millis(500);
        assert_eq!(
            delay(Some(Duration::from_secs(3)), 0, base),
            Duration::from_secs(3)
        );
        assert_eq!(delay(Some(MAX_RETRY_AFTER), 5, base), MAX_RETRY_AFTER);
        for (asked, retry, nominal) in [
            (None, 0, 500),
            (Some(Duration::ZERO), 1, 1000),
            (Some(Duration::from_secs(61)), 2, 2000),
            (None, 4, 8000),
            (None, 40, 8000),
        ] {
            let d = delay(asked, retry, base);
            let nominal = Duration::from_millis(nominal);
            assert!(d <= nominal && d >= nominal.mul_f64(0.75), "{retry}: {d:?}");
        }
    }
}
