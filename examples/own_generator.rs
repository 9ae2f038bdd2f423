//! Driving the draw with your own random words: an engine's generator, or rand 0.8 / 0.9.
//!
//! `cargo run --release --example own_generator`
//!
//! The sampler needs one uniformly random `u64` per token (none when one token holds all the
//! mass). `Sampler::sample_with_word` takes that word from wherever you like:
//!
//! ```text
//! // rand 0.8 or 0.9 (`use rand::RngCore;`):  sampler.sample_with_word(&logits, rng.next_u64())?
//! // rand_core 0.10 generators directly:       sampler.sample_with_rng(&logits, &mut rng)?
//! // the crate's own counter-based stream:     sampler.sample(&logits)?  (word(seed, step))
//! ```
//!
//! The token for a given (logits, chain, word) is value-stable, as for `sample`; which words
//! come is your generator's business. This example uses a small generator of its own (PCG-XSH-RR
//! 64/32, two outputs to a word), as an engine might.

use logits::{Sampler, SamplingParams};

/// PCG-XSH-RR with 64-bit state and 32-bit output (O'Neill 2014): the engine's own generator.
struct Pcg32 {
    state: u64,
}

impl Pcg32 {
    const MULTIPLIER: u64 = 6364136223846793005;
    const INCREMENT: u64 = 1442695040888963407;

    fn new(seed: u64) -> Self {
        let mut g = Pcg32 { state: 0 };
        g.next_u32();
        g.state = g.state.wrapping_add(seed);
        g.next_u32();
        g
    }

    fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old
            .wrapping_mul(Self::MULTIPLIER)
            .wrapping_add(Self::INCREMENT);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }

    /// A 64-bit word from two outputs, high half first.
    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }
}

fn main() -> Result<(), logits::Error> {
    let logits = [1.5f32, 3.2, 0.3, -1.0, 3.0, 2.2];
    let params = SamplingParams::default().temperature(0.8).top_p(0.95);

    let mut rng = Pcg32::new(2024);
    let mut sampler = Sampler::new(params.clone())?;
    let tokens: Vec<u32> = (0..12)
        .map(|_| {
            sampler
                .sample_with_word(&logits, rng.next_u64())
                .map(|s| s.token)
        })
        .collect::<Result<_, _>>()?;
    println!("PCG32 seed 2024:           {tokens:?}");

    // The same generator and seed give the same tokens again.
    let mut rng = Pcg32::new(2024);
    let mut again = Sampler::new(params.clone())?;
    let repeat: Vec<u32> = (0..12)
        .map(|_| {
            again
                .sample_with_word(&logits, rng.next_u64())
                .map(|s| s.token)
        })
        .collect::<Result<_, _>>()?;
    assert_eq!(tokens, repeat);

    // The word decides the token: the lowest word takes the first candidate in id order, the
    // highest the last.
    let mut s = Sampler::new(params.clone())?;
    let d: Vec<(u32, f32)> = s.distribution(&logits)?.iter().collect();
    println!("distribution after T 0.8, top-p 0.95: {d:?}");
    let lowest = s.sample_with_word(&logits, 0)?.token;
    let highest = s.sample_with_word(&logits, u64::MAX)?.token;
    println!("word 0 -> token {lowest}, word u64::MAX -> token {highest}");
    assert_eq!((lowest, highest), (d[0].0, d[d.len() - 1].0));

    // The crate's own stream, for comparison: word(seed, step), the same on every platform.
    let mut own = Sampler::new(params.seed(2024))?;
    let own_tokens: Vec<u32> = (0..12)
        .map(|_| own.sample(&logits).map(|s| s.token))
        .collect::<Result<_, _>>()?;
    println!("the crate's stream, seed 2024: {own_tokens:?}");
    Ok(())
}
