//! `Sampler::llama_cpp` draws the tokens llama.cpp draws: its `std::mt19937` stream, the double
//! libstdc++ makes from it, and its `dist` scan, over the llama.cpp preset's chain. The tokens
//! in `data/llama_cpp_tokens.json` were recorded from llama.cpp itself (`compat-llama-cpp/`).

use logits::{rng::Mt19937, Sampler, SamplingParams};
use serde_json::Value;

#[path = "../compat-llama-cpp/src/step_logits.rs"]
mod step_logits;
use step_logits::step_logits;

/// `std::mt19937` and `std::uniform_real_distribution<double>` as g++ 12 / libstdc++ build them
/// (values printed by a C++ program compiled here with g++ 12.2.0).
#[test]
#[allow(clippy::excessive_precision)] // the values as the C++ program printed them
fn mt19937_and_the_libstdcxx_double() {
    let mut mt = Mt19937::new(5489);
    assert_eq!(
        (0..10_000).map(|_| mt.next_u32()).last(),
        Some(4_123_659_995)
    );
    let mut mt = Mt19937::new(0);
    assert_eq!(
        (mt.next_u32(), mt.next_u32()),
        (2_357_136_044, 2_546_248_239)
    );
    let cases: [(u32, &[f64]); 3] = [
        (0, &[0.59284461651668263]),
        (
            42,
            &[
                0.79654298428784598,
                0.18343478789336848,
                0.77969099761266125,
            ],
        ),
        (1234, &[0.49766366630595166]),
    ];
    for (seed, want) in cases {
        let mut mt = Mt19937::new(seed);
        for &w in want {
            assert_eq!(mt.next_canonical_f64(), w, "seed {seed}");
        }
    }
}

#[test]
fn tokens_recorded_from_llama_cpp() {
    let data: Value =
        serde_json::from_str(include_str!("data/llama_cpp_tokens.json")).expect("valid JSON");
    let (mut same, mut steps) = (0, 0);
    for case in data["cases"].as_array().unwrap() {
        let f = |k: &str| case[k].as_f64().unwrap() as f32;
        let n = case["n"].as_u64().unwrap() as usize;
        let case_seed = case["case_seed"].as_u64().unwrap();
        let params = SamplingParams::default()
            .top_k(case["top_k"].as_i64().unwrap().max(0) as usize)
            .top_p(f("top_p"))
            .min_p(f("min_p"))
            .temperature(f("temperature"))
            .seed(case["seed"].as_u64().unwrap());
        let mut sampler = Sampler::llama_cpp(&params).unwrap();
        for (step, want) in case["tokens"].as_array().unwrap().iter().enumerate() {
            let x = step_logits(n, case_seed, step as u64);
            let got = sampler.sample(&x).unwrap().token;
            let want = want.as_u64().unwrap() as u32;
            steps += 1;
            if got == want {
                same += 1;
            } else {
                eprintln!("n {n}, {params:?}, step {step}: llama.cpp {want}, ours {got}");
            }
        }
    }
    assert_eq!(
        same, steps,
        "{same} of {steps} tokens as llama.cpp draws them"
    );
}
