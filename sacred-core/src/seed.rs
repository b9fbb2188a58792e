//! Seeds: the root seed of a run, the sub-seeds derived from it by name, and the portable
//! generators built from both.
//!
//! The contract, pinned by test vectors below and stable across versions and machines:
//!
//! * A root seed that is not given is drawn from the operating system's entropy, in
//!   `1 ..= min(MAX, 2^53 - 1)`, so it is exact in JSON and in JavaScript readers.
//! * `seed_for(root, name)` is the first eight bytes, read little-endian, of
//!   `SHA-256("sacred.seed_for.v1" 0x00 root_le64 name_utf8)`, masked to 53 bits.
//! * The generator for a seed `s` is ChaCha with 12 rounds (`rand_chacha::ChaCha12Rng`)
//!   keyed by `SHA-256("sacred.rng.v1" 0x00 s_le64)`, stream 0, from position 0.

use rand::SeedableRng;
use sha2::{Digest, Sha256};

/// The portable generator handed out by a run: ChaCha with 12 rounds.
pub type SeededRng = rand_chacha::ChaCha12Rng;

/// The largest seed that is exact in JSON readers that use IEEE doubles: 2^53 - 1.
pub const MAX_SAFE_SEED: u64 = (1 << 53) - 1;

/// The config key of the root seed.
pub const SEED_KEY: &str = "seed";

/// The doc shown for the seed by `print_config` and `--help`.
pub const SEED_DOC: &str = "the random seed for this experiment";

/// Draws a root seed from the operating system's entropy, in `1 ..= min(max, 2^53 - 1)`.
///
/// # Errors
/// When the operating system's entropy source fails.
pub fn draw_seed(max: u64) -> Result<u64, getrandom::Error> {
    let bound = max.clamp(1, MAX_SAFE_SEED);
    let raw = getrandom::u64()?;
    Ok(1 + raw % bound)
}

/// Derives the sub-seed called `name` from a root seed (see the module docs).
pub fn seed_for(root: u64, name: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(b"sacred.seed_for.v1\0")
        .chain_update(root.to_le_bytes())
        .chain_update(name.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) & MAX_SAFE_SEED
}

/// The generator for a seed (see the module docs).
pub fn rng_from_seed(seed: u64) -> SeededRng {
    let digest = Sha256::new()
        .chain_update(b"sacred.rng.v1\0")
        .chain_update(seed.to_le_bytes())
        .finalize();
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest);
    SeededRng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn drawn_seeds_stay_in_range() {
        for _ in 0..1000 {
            let s = draw_seed(u64::MAX).unwrap_or(0);
            assert!((1..=MAX_SAFE_SEED).contains(&s));
            let small = draw_seed(255).unwrap_or(0);
            assert!((1..=255).contains(&small));
        }
    }

    #[test]
    fn seed_for_is_stable() {
        // Test vectors: changing these values breaks every stored run's reproducibility.
        let got: Vec<u64> = [(42, "data"), (42, "model"), (0, ""), (7, "data")]
            .iter()
            .map(|&(root, name)| seed_for(root, name))
            .collect();
        assert_eq!(got, SEED_FOR_VECTORS);
        assert!(got.iter().all(|&s| s <= MAX_SAFE_SEED));
    }

    #[test]
    fn generator_is_stable() {
        let mut rng = rng_from_seed(42);
        let got = [rng.next_u64(), rng.next_u64(), rng.next_u64()];
        assert_eq!(got, RNG_VECTORS);
        let mut again = rng_from_seed(42);
        assert_eq!(again.next_u64(), RNG_VECTORS[0]);
        assert_ne!(rng_from_seed(43).next_u64(), RNG_VECTORS[0]);
    }

    // Cross-checked with Python's hashlib.
    const SEED_FOR_VECTORS: [u64; 4] = [
        7061124758305800,
        2003313887698411,
        3306163956512820,
        2800448846479229,
    ];
    const RNG_VECTORS: [u64; 3] = [
        7842494404365915120,
        10806754435724162832,
        10329396870357190768,
    ];
}
