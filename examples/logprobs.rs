//! Generates a few tokens from a toy model and prints, for each, the OpenAI-shaped `logprobs`
//! object an engine would return (`logprobs: true, top_logprobs: 3`): the chosen token's
//! log-probability, its bytes, and the three most probable alternatives.
//!
//! ```sh
//! cargo run --release --example logprobs
//! ```

use logits::{LogprobSource, Logprobs, Sampler, SamplingParams, Workspace};
use serde_json::{json, Value};

const VOCAB: [&str; 12] = [
    " the", " cat", " sat", " on", " mat", ".", " a", " dog", " ran", " away", " and", "<eos>",
];

/// A toy next-token model: each token prefers a few successors.
fn next_logits(previous: usize) -> Vec<f32> {
    let mut x = vec![-4.0f32; VOCAB.len()];
    let likely: &[(usize, f32)] = match previous {
        0 | 6 => &[(1, 2.0), (4, 1.6), (7, 1.2)],
        1 | 7 => &[(2, 2.2), (8, 1.9), (10, 0.4)],
        2 => &[(3, 2.5), (5, 0.8)],
        3 => &[(0, 2.4), (6, 1.4)],
        8 => &[(9, 2.0), (5, 1.0)],
        _ => &[(5, 1.0), (11, 1.5), (10, 0.5)],
    };
    for &(id, l) in likely {
        x[id] = l;
    }
    x
}

fn entry(id: u32, logprob: f32) -> Value {
    let token = VOCAB[id as usize];
    json!({ "token": token, "logprob": logprob, "bytes": token.as_bytes() })
}

fn main() -> Result<(), logits::Error> {
    let params = SamplingParams::default().temperature(0.7).seed(7);
    let mut sampler = Sampler::new(params)?;
    let (mut workspace, mut lp) = (Workspace::new(), Logprobs::new());
    let (mut previous, mut content) = (0usize, Vec::new());
    for _ in 0..6 {
        let x = next_logits(previous);
        // vLLM's default: log-probabilities of the model's own distribution (raw logits).
        let sample =
            sampler.sample_in_with_logprobs(&x, 3, LogprobSource::Raw, &mut workspace, &mut lp)?;
        let mut e = entry(sample.token, lp.logprob());
        let top: Vec<Value> = lp.top().iter().map(|&(id, l)| entry(id, l)).collect();
        e["top_logprobs"] = Value::Array(top);
        content.push(e);
        previous = sample.token as usize;
    }
    let logprobs = json!({ "content": content });
    println!("{}", serde_json::to_string_pretty(&logprobs).unwrap());
    Ok(())
}
