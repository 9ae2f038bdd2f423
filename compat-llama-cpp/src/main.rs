//! Records the tokens llama.cpp itself draws, to check `logits::Sampler::llama_cpp` against.
//!
//! ```sh
//! # needs cmake and libclang (Debian: cmake libclang-dev); builds llama.cpp through llama-cpp-2
//! cd compat-llama-cpp && cargo run --release          # writes ../tests/data/llama_cpp_tokens.json
//! cd compat-llama-cpp && cargo run --release -- FILE  # or FILE
//! ```
//!
//! For each case (a vocabulary size, a sampler chain as llama.cpp's `common_sampler` builds it
//! from top-k, top-p, min-p and temperature, and a seed), llama.cpp's chain samples 16 steps;
//! step `s` has the logits `step_logits(n, case_seed, s)` (`step_logits.rs`, which
//! `tests/llama_cpp_stream.rs` includes).

use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;
use serde_json::json;

mod step_logits;
use step_logits::step_logits;

/// llama.cpp's chain for the parameters, as `common_sampler_init` orders it.
fn chain(top_k: i32, top_p: f32, min_p: f32, temperature: f32, seed: u32) -> LlamaSampler {
    let mut samplers = Vec::new();
    if top_k > 0 {
        samplers.push(LlamaSampler::top_k(top_k));
    }
    if top_p < 1.0 {
        samplers.push(LlamaSampler::top_p(top_p, 0));
    }
    if min_p > 0.0 {
        samplers.push(LlamaSampler::min_p(min_p, 0));
    }
    samplers.push(LlamaSampler::temp(temperature));
    samplers.push(LlamaSampler::dist(seed));
    LlamaSampler::chain_simple(samplers)
}

fn main() {
    // (top_k, top_p, min_p, temperature)
    let chains: [(i32, f32, f32, f32); 7] = [
        (40, 0.95, 0.05, 0.8), // llama.cpp's defaults
        (0, 1.0, 0.0, 1.0),    // the plain draw (id order)
        (10, 1.0, 0.0, 0.7),
        (0, 0.9, 0.0, 1.3),
        (0, 1.0, 0.1, 0.9), // min-p alone: llama.cpp's unsorted path
        (40, 0.95, 0.05, 0.0),
        (100, 0.99, 0.0, 1.5),
    ];
    let mut cases = Vec::new();
    for n in [64usize, 1000, 32_000] {
        for (c, &(top_k, top_p, min_p, temperature)) in chains.iter().enumerate() {
            for seed in [1u32, 42, 20_260_101] {
                let case_seed = (n as u64) << 32 | (c as u64) << 8 | u64::from(seed % 256);
                let mut sampler = chain(top_k, top_p, min_p, temperature, seed);
                let mut tokens = Vec::new();
                for step in 0..16u64 {
                    let x = step_logits(n, case_seed, step);
                    let data = x
                        .iter()
                        .enumerate()
                        .map(|(i, &l)| LlamaTokenData::new(LlamaToken(i as i32), l, 0.0));
                    let mut array = LlamaTokenDataArray::from_iter(data, false);
                    sampler.apply(&mut array);
                    let token = array.selected_token().expect("dist selects a token");
                    tokens.push(token.0);
                }
                cases.push(json!({
                    "n": n, "case_seed": case_seed, "seed": seed,
                    "top_k": top_k, "top_p": top_p, "min_p": min_p, "temperature": temperature,
                    "tokens": tokens,
                }));
            }
        }
    }
    let out = json!({
        "about": "Tokens drawn by llama.cpp's own sampler chain (llama-cpp-2 0.1.160, llama.cpp bundled in llama-cpp-sys-2 0.1.161, built with g++ on Linux x86-64), recorded by compat-llama-cpp; step s of a case samples step_logits(n, case_seed, s).",
        "cases": cases,
    });
    let default = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/llama_cpp_tokens.json"
    );
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| default.to_string());
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap() + "\n").unwrap();
    println!(
        "wrote {} cases to {path}",
        out["cases"].as_array().unwrap().len()
    );
}
