//! Tier codes: the short names of card tiers (`platinum`) and membership tiers (`gold`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A tier's code, e.g. `"platinum"`; compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TierCode(String);

impl TierCode {
    /// The code `text`.
    pub fn new(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
