//! A small deterministic random number generator.
//!
//! The demo book must be the same for a seed on every machine and every
//! release, so the generator is written here (SplitMix64, public domain,
//! Steele, Lea and Flood 2014) rather than taken from a crate whose
//! algorithm may change between versions. It is not for anything secret.

/// Golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for one purpose (`stream`) of one seed. Separate streams
    /// keep the customers of a seed the same whatever number of invoices is
    /// asked for.
    pub(crate) fn new(seed: u64, stream: u64) -> Rng {
        let mut mixer = Rng {
            state: seed ^ stream.wrapping_mul(GAMMA),
        };
        Rng {
            state: mixer.next_u64(),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0). Multiply-shift: the bias is below
    /// 2^-32 for the sizes used here, which no demo can show.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub(crate) fn range(&mut self, low: i64, high: i64) -> i64 {
        debug_assert!(low <= high);
        low + self.below((high - low) as u64 + 1) as i64
    }

    /// True `percent` times in a hundred.
    pub(crate) fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A fraction in `[0, 1)` with 53 random bits. Only exactly rounded
    /// operations (+, −, ×, ÷, sqrt) may be applied to it, so results do not
    /// depend on the platform's maths library.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut ticket = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if ticket < u64::from(*w) {
                return i;
            }
            ticket -= u64::from(*w);
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // The reference implementation seeded with 1234567 (state before the
        // first increment) yields 6457827717110365317 first.
        let mut rng = Rng { state: 1_234_567 };
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn stays_in_range() {
        let mut rng = Rng::new(7, 1);
        for _ in 0..10_000 {
            let v = rng.range(-3, 5);
            assert!((-3..=5).contains(&v));
            assert!(rng.unit() < 1.0);
        }
        assert_eq!(rng.weighted(&[0, 5, 0]), 1);
    }
}
