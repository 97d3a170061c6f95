//! The wall clock as the Kubernetes API writes it: RFC 3339 in UTC, whole seconds.

/// Now, as `2026-12-05T18:41:17Z` (seconds truncated, as the API server's own timestamps are).
pub fn now_rfc3339_seconds() -> String {
    rfc3339_seconds(jiff::Timestamp::now())
}

pub fn rfc3339_seconds(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_in_utc() {
        let t: jiff::Timestamp = "2026-12-05T18:41:17.999+02:00".parse().unwrap();
        assert_eq!(rfc3339_seconds(t), "2026-12-05T16:41:17Z");
    }
}
