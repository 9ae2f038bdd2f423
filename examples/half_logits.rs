//! f16 and bf16 logits, as models emit them, sampled without an f32 copy.
//!
//! `cargo run --release --example half_logits --features half`
//!
//! Every call that reads logits takes a slice of `f32`, `f64`, `half::f16` or `half::bf16`. The
//! kernels widen each element to f32 as they read it, exactly, so the tokens and every reported
//! number are those of the same logits converted to f32 first.

use half::{bf16, f16};
use logits::{LogprobSource, Logprobs, Sampler, SamplingParams};

fn main() -> Result<(), logits::Error> {
    // A Zipf-like row of 50,257 logits, as a model's bf16 output would hold it.
    let n = 50_257;
    let row: Vec<f32> = (0..n)
        .map(|i| -1.5 * (((i * 7919) % n + 1) as f32).ln())
        .collect();
    let as_bf16: Vec<bf16> = row.iter().map(|&x| bf16::from_f32(x)).collect();
    let as_f16: Vec<f16> = row.iter().map(|&x| f16::from_f32(x)).collect();

    let params = SamplingParams::default()
        .temperature(0.8)
        .top_k(40)
        .top_p(0.95)
        .seed(7);
    let mut logprobs = Logprobs::new();
    for (name, tokens) in [
        ("bf16", sample_five(&params, &as_bf16, &mut logprobs)?),
        ("f16", sample_five(&params, &as_f16, &mut logprobs)?),
    ] {
        println!("{name:>5}: tokens {tokens:?}");
    }

    // The same as converting first: bf16 -> f32 is exact.
    let widened: Vec<f32> = as_bf16.iter().map(|&x| x.to_f32()).collect();
    assert_eq!(
        sample_five(&params, &as_bf16, &mut logprobs)?,
        sample_five(&params, &widened, &mut logprobs)?
    );
    println!("bf16 read directly = bf16 widened to f32 first: same tokens");

    // The slice math takes them too: the worked example in bf16 (0.1 is 0.10009765625 there).
    let x = [2.0f32, 1.0, 0.1].map(bf16::from_f32);
    let p = logits::softmax(&x)?;
    println!("softmax of [2.0, 1.0, 0.1] in bf16: {p:.4?}");
    Ok(())
}

/// Five tokens with their log-probabilities, from a fresh sampler.
fn sample_five<E: logits::Element>(
    params: &SamplingParams,
    row: &[E],
    logprobs: &mut Logprobs,
) -> Result<Vec<(u32, f32)>, logits::Error> {
    let mut s = Sampler::new(params.clone())?;
    (0..5)
        .map(|_| {
            let t = s.sample_with_logprobs(row, 0, LogprobSource::Processed, logprobs)?;
            Ok((t.token, logprobs.logprob()))
        })
        .collect()
}
