//! A wrapper that keeps a sensitive value out of logs, debug output and JSON.

use std::fmt;

use serde::Deserialize;

/// A sensitive value: `Debug` prints `Secret(***)`, `Display` prints `***`, and there is
/// deliberately no `Serialize`, so it cannot leak into a response or a log line by accident.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The wrapped value; every call site is a place where the secret is used on purpose.
    pub const fn expose_secret(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secret_exposes_the_value_only_on_request() {
        let s = Secret::new(String::from("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }

    #[test]
    fn secret_deserialises_from_the_plain_value() {
        let s: Secret<String> = serde_json::from_str("\"123456\"").unwrap();
        assert_eq!(s.expose_secret(), "123456");
    }

    #[test]
    fn secret_stays_masked_inside_other_debug_output() {
        let text = format!("{:?}", Some(vec![Secret::new("hunter2")]));
        assert_eq!(text, "Some([Secret(***)])");
    }

    proptest! {
        #[test]
        fn secret_never_shows_the_value_in_debug_or_display(value in ".*") {
            let s = Secret::new(value);
            prop_assert_eq!(format!("{s:?}"), "Secret(***)");
            prop_assert_eq!(format!("{s:#?}"), "Secret(***)");
            prop_assert_eq!(format!("{s}"), "***");
        }
    }
}
