//! Injected randomness. The crate never reaches for an OS random source itself; the caller hands in
//! a filler (in production a CSPRNG such as `getrandom`, in tests a deterministic sequence).

/// Fills buffers with cryptographically secure random bytes.
///
/// Any `FnMut(&mut [u8])` is an `Entropy`, so `&mut |buf: &mut [u8]| getrandom::fill(buf)...`
/// works at the call site.
pub trait Entropy {
    /// Overwrites every byte of `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> Entropy for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf);
    }
}

/// A deterministic, never-repeating byte stream for tests (xorshift64*; not secure).
#[cfg(test)]
pub(crate) fn test_entropy(seed: u64) -> impl FnMut(&mut [u8]) {
    let mut state = seed | 1;
    move |buf: &mut [u8]| {
        for byte in buf.iter_mut() {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            *byte = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_entropy_sources() {
        let mut filler = |buf: &mut [u8]| buf.fill(7);
        let mut buf = [0u8; 4];
        filler.fill(&mut buf);
        assert_eq!(buf, [7; 4]);
    }

    #[test]
    fn test_entropy_produces_different_bytes_on_each_call() {
        let mut e = test_entropy(1);
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        e.fill(&mut a);
        e.fill(&mut b);
        assert_ne!(a, b);
    }
}
