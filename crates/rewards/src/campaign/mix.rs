//! A fixed, versionless 64-bit mixer (SplitMix64's finaliser) and weighted bucket picking.
//!
//! Stable across Rust versions and platforms (unlike `std`'s `DefaultHasher`), so an A/B
//! assignment or a replayed lottery draw never changes after an upgrade.

/// SplitMix64's finaliser: a bijection on `u64` with good avalanche.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Folds 128-bit values into one well-mixed `u64`, order-sensitive.
pub(crate) fn mix_u128s(parts: &[u128]) -> u64 {
    let mut h = 0x6361_7264_6C69_6665_u64; // "cardlife"
    for &p in parts {
        // Truncation is intended: the two halves of p.
        #[allow(clippy::cast_possible_truncation)]
        let (hi, lo) = ((p >> 64) as u64, p as u64);
        h = mix64(h ^ hi);
        h = mix64(h ^ lo);
    }
    h
}

/// Maps a uniform `u64` onto `0..total` by multiply-shift (Lemire), bias below 2⁻³².
pub(crate) fn scale(roll: u64, total: u64) -> u64 {
    let wide = u128::from(roll) * u128::from(total);
    // The high half of a 64×64 product is < total ≤ u64::MAX.
    #[allow(clippy::cast_possible_truncation)]
    let bucket = (wide >> 64) as u64;
    bucket
}

/// The index of the weighted bucket that `point` (in `0..Σweights`) falls in.
pub(crate) fn bucket<I: IntoIterator<Item = u32>>(weights: I, point: u64) -> Option<usize> {
    let mut upper = 0_u64;
    for (i, w) in weights.into_iter().enumerate() {
        upper += u64::from(w);
        if point < upper {
            return Some(i);
        }
    }
    None
}
