//! Where a draw's random value comes from: injected, so production uses the operating system's
//! CSPRNG and tests a seeded sequence that replays exactly.

use crate::campaign::mix;

/// A source of uniform `u64` values.
pub trait RandomSource: Send {
    /// The next value.
    fn next_u64(&mut self) -> u64;
}

/// A deterministic sequence (SplitMix64) from a seed: for tests and simulations only.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// The sequence starting at `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl RandomSource for SeededRandom {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix::mix64(self.state)
    }
}

/// A source backed by a function the caller supplies (the app passes the operating system's
/// CSPRNG; this crate does no I/O).
pub struct OsRandom<F: FnMut() -> u64 + Send>(pub F);

impl<F: FnMut() -> u64 + Send> std::fmt::Debug for OsRandom<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OsRandom")
    }
}

impl<F: FnMut() -> u64 + Send> RandomSource for OsRandom<F> {
    fn next_u64(&mut self) -> u64 {
        (self.0)()
    }
}
