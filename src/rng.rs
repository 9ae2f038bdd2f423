//! The crate's randomness: SplitMix64 in counter form, and words to uniform integers.
//!
//! A [`Sampler`](crate::Sampler) with seed `s` uses, for its call number `k` (from 0), the word
//!
//! ```text
//! word(s, k) = mix64(s + (k + 1) · 0x9E3779B97F4A7C15)      (wrapping u64 arithmetic)
//! ```
//!
//! which is exactly the `k`-th output of SplitMix64 (Steele, Lea & Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014) seeded with `s`. It is a pure function of
//! `(seed, step)`: no hidden state, the same on every platform, and a later batched or
//! multi-threaded sampler can compute any sequence's word without replaying the others. The
//! uniform is built from the raw bits here ([`below`]), not by `rand`'s distributions, whose
//! output may change between versions.

use core::convert::Infallible;

use rand_core::TryRng;

/// The golden-ratio increment of SplitMix64.
///
/// ```
/// use logits::rng::{mix64, word, GOLDEN_GAMMA};
/// assert_eq!(word(0, 0), mix64(GOLDEN_GAMMA));
/// ```
pub const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (a variant of the MurmurHash3 finalizer).
///
/// ```
/// assert_eq!(logits::rng::mix64(0), 0);
/// ```
#[inline]
pub fn mix64(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random word for call `step` of a sampler seeded with `seed`.
///
/// ```
/// use logits::rng::{word, SplitMix64};
/// use rand_core::Rng;
/// let mut g = SplitMix64::new(7);
/// assert_eq!(g.next_u64(), word(7, 0));
/// assert_eq!(g.next_u64(), word(7, 1));
/// ```
#[inline]
pub fn word(seed: u64, step: u64) -> u64 {
    mix64(seed.wrapping_add(GOLDEN_GAMMA.wrapping_mul(step.wrapping_add(1))))
}

/// The word for call `step` of stream `stream` of a sequence seeded with `seed`:
/// `word(seed ^ mix64(stream · GOLDEN_GAMMA), step)`. Stream 0 is the final draw's
/// (`stream_word(seed, 0, step) = word(seed, step)`, as `mix64(0) = 0`); a stage that draws
/// randomness of its own uses another, so that it never shifts the draw's words.
///
/// ```
/// use logits::rng::{stream_word, word};
/// assert_eq!(stream_word(7, 0, 3), word(7, 3));
/// assert_ne!(stream_word(7, 1, 3), word(7, 3));
/// ```
#[inline]
pub fn stream_word(seed: u64, stream: u64, step: u64) -> u64 {
    word(seed ^ mix64(stream.wrapping_mul(GOLDEN_GAMMA)), step)
}

/// A uniform integer in `[0, n)` from a uniform 64-bit word: `(word · n) >> 64`.
///
/// Each value of `[0, n)` is hit by `floor` or `ceil` of `2^64 / n` words; the draw of a token,
/// a run of consecutive values, is off its exact probability by less than `2^-64`. `n = 0`
/// gives 0.
///
/// ```
/// use logits::rng::below;
/// assert_eq!(below(0, 10), 0);
/// assert_eq!(below(u64::MAX, 10), 9);
/// assert_eq!(below(1 << 63, 10), 5);
/// ```
#[inline]
pub fn below(word: u64, n: u64) -> u64 {
    ((word as u128 * n as u128) >> 64) as u64
}

/// SplitMix64 as a [`rand_core::Rng`]: the stream `word(seed, 0), word(seed, 1), ...`.
///
/// Value-stable: changing its output is a breaking change.
///
/// ```
/// use rand_core::Rng;
/// let mut g = logits::rng::SplitMix64::new(42);
/// let first = g.next_u64();
/// assert_eq!(first, logits::rng::word(42, 0));
/// assert_eq!(g.step(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    seed: u64,
    step: u64,
}

impl SplitMix64 {
    /// A generator at the start of `seed`'s stream.
    ///
    /// ```
    /// use rand_core::Rng;
    /// let mut g = logits::rng::SplitMix64::new(1_234_567);
    /// assert_eq!(g.next_u64(), 6_457_827_717_110_365_317); // the reference splitmix64.c
    /// ```
    pub fn new(seed: u64) -> Self {
        SplitMix64 { seed, step: 0 }
    }

    /// How many words it has produced.
    ///
    /// ```
    /// assert_eq!(logits::rng::SplitMix64::new(1).step(), 0);
    /// ```
    pub fn step(&self) -> u64 {
        self.step
    }
}

impl TryRng for SplitMix64 {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|w| (w >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let w = word(self.seed, self.step);
        self.step = self.step.wrapping_add(1);
        Ok(w)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// The 32-bit Mersenne Twister (`std::mt19937`, Matsumoto & Nishimura 1998), seeded as the C++
/// standard seeds it from one `u32`: the generator llama.cpp's samplers draw from.
///
/// Value-stable: it is the standard algorithm, checked against the standard's required output
/// (the 10,000th output of the default seed 5489 is 4,123,659,995).
///
/// ```
/// let mut mt = logits::rng::Mt19937::new(5489);
/// let tenth_thousandth = (0..10_000).map(|_| mt.next_u32()).last();
/// assert_eq!(tenth_thousandth, Some(4_123_659_995));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    /// The generator `std::mt19937(seed)` builds.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    /// The next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            for i in 0..624 {
                let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % 624] & 0x7FFF_FFFF);
                let mut v = self.state[(i + 397) % 624] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_B0DF;
                }
                self.state[i] = v;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^ (y >> 18)
    }

    /// A double in `[0, 1)` as libstdc++'s `std::uniform_real_distribution<double>(0, 1)` makes
    /// one from this generator (`std::generate_canonical<double, 53>`): two outputs, the first
    /// the low half, `(lo + hi · 2^32) / 2^64` with the sum rounded to the nearest double, and a
    /// result of 1 replaced by the largest double below 1.
    ///
    /// ```
    /// let mut mt = logits::rng::Mt19937::new(42);
    /// assert_eq!(mt.next_canonical_f64(), 0.79654298428784598);
    /// assert_eq!(mt.next_canonical_f64(), 0.18343478789336848);
    /// ```
    pub fn next_canonical_f64(&mut self) -> f64 {
        let lo = self.next_u32() as f64;
        let hi = self.next_u32() as f64;
        let r = (lo + hi * 4_294_967_296.0) / 18_446_744_073_709_551_616.0;
        if r >= 1.0 {
            f64::from_bits(0x3FEF_FFFF_FFFF_FFFF)
        } else {
            r
        }
    }
}
