//! The presets: each engine's order, tie rule and greedy threshold, shown on cases where the
//! engines' published rules give different sets (expected values worked out from those rules,
//! `shared/research/engine-semantics.md`), and every preset's chain against the oracle.

mod common;

use logits::{reference, Chain, Context, Preset, Sampler, SamplingParams, Window, Workspace};

fn names(preset: Preset, p: &SamplingParams) -> Vec<&'static str> {
    preset
        .chain(p)
        .unwrap()
        .stages()
        .iter()
        .map(|s| s.name())
        .collect()
}

/// The kept ids of a preset's chain.
fn kept(preset: Preset, p: &SamplingParams, x: &[f32]) -> Vec<u32> {
    let chain = preset.chain(p).unwrap();
    let mut w = Workspace::new();
    let d = chain.distribution(x, &mut w, &Context::default()).unwrap();
    d.ids().collect()
}

fn ln(probs: &[f32]) -> Vec<f32> {
    probs.iter().map(|p| p.ln()).collect()
}

#[test]
fn orders() {
    let p = SamplingParams::default()
        .temperature(0.8)
        .top_k(40)
        .top_p(0.95)
        .min_p(0.05)
        .repetition_penalty(1.1)
        .logit_bias([(3, 1.0)]);
    let all = ["temperature", "top_k", "top_p", "min_p"];
    assert_eq!(
        names(Preset::Standard, &p),
        [&["logit_bias", "penalties"][..], &all].concat()
    );
    assert_eq!(
        names(Preset::LlamaCpp, &p),
        [
            "logit_bias",
            "penalties",
            "top_k",
            "top_p",
            "min_p",
            "temperature"
        ]
    );
    assert_eq!(
        names(Preset::HuggingFace, &p),
        [&["penalties", "logit_bias"][..], &all].concat()
    );
    assert_eq!(
        names(Preset::Vllm, &p),
        [
            "logit_bias",
            "penalties",
            "temperature",
            "min_p",
            "top_k",
            "top_p"
        ]
    );
    // Disabled stages are left out; the standard preset is `Chain::from_params`.
    let plain = SamplingParams::default();
    for preset in [
        Preset::Standard,
        Preset::LlamaCpp,
        Preset::HuggingFace,
        Preset::Vllm,
    ] {
        assert_eq!(names(preset, &plain), ["temperature"]);
    }
    let from_params: Vec<&str> = Chain::from_params(&p)
        .unwrap()
        .stages()
        .iter()
        .map(|s| s.name())
        .collect();
    assert_eq!(from_params, names(Preset::Standard, &p));
}

/// llama.cpp applies temperature after truncation: top-p sees `T = 1`.
#[test]
fn llama_cpp_truncates_before_temperature() {
    // p = 0.5, 0.3, 0.2 at T = 1; at T = 0.5 they become 0.658, 0.237, 0.105.
    let x = ln(&[0.5, 0.3, 0.2]);
    let p = SamplingParams::default().temperature(0.5).top_p(0.75);
    assert_eq!(kept(Preset::LlamaCpp, &p, &x), [0, 1]); // 0.5 + 0.3 reaches 0.75
    assert_eq!(kept(Preset::Standard, &p, &x), [0, 1]); // 0.658 + 0.237 too
    let p = p.top_p(0.6);
    assert_eq!(kept(Preset::LlamaCpp, &p, &x), [0, 1]); // 0.5 < 0.6
    assert_eq!(kept(Preset::Standard, &p, &x), [0]); // 0.658 reaches 0.6
}

/// Hugging Face and vLLM keep the tokens tied with the k-th; llama.cpp and the standard chain
/// keep exactly k. Hugging Face's `min_tokens_to_keep` raises k.
#[test]
fn top_k_ties_and_min_keep() {
    let x = [2.0, 1.0, 1.0, 1.0, 0.0];
    let p = SamplingParams::default().top_k(2);
    assert_eq!(kept(Preset::Standard, &p, &x), [0, 1]);
    assert_eq!(kept(Preset::LlamaCpp, &p, &x), [0, 1]);
    assert_eq!(kept(Preset::HuggingFace, &p, &x), [0, 1, 2, 3]);
    assert_eq!(kept(Preset::Vllm, &p, &x), [0, 1, 2, 3]);
    let p = SamplingParams::default().top_k(1).min_keep(2);
    assert_eq!(kept(Preset::HuggingFace, &p, &[3.0, 2.0, 1.0]), [0, 1]);
    assert_eq!(kept(Preset::LlamaCpp, &p, &[3.0, 2.0, 1.0]), [0]);
    // Hugging Face's top-p with min_tokens_to_keep = 2: probabilities 0.5, 0.3, 0.2 at
    // top_p 0.3 remove the ascending prefix with cumulative mass <= 0.7 (0.2 and 0.3), then
    // force-keep the top 2.
    let p = SamplingParams::default().top_p(0.3).min_keep(2);
    assert_eq!(kept(Preset::HuggingFace, &p, &ln(&[0.5, 0.3, 0.2])), [0, 1]);
}

/// vLLM applies min-p before top-p: top-p then sees the renormalized min-p set.
#[test]
fn vllm_min_p_before_top_p() {
    // 0.4, 0.3, 0.2, 0.1; min-p 0.3 keeps p >= 0.12 (0, 1, 2), renormalized 0.444, 0.333,
    // 0.222, where top-p 0.75 stops at 0.777 (0, 1). Hugging Face's order: top-p 0.75 of the
    // whole needs 0.4 + 0.3 + 0.2 (0, 1, 2), and min-p keeps them.
    let x = ln(&[0.4, 0.3, 0.2, 0.1]);
    let p = SamplingParams::default().top_p(0.75).min_p(0.3);
    assert_eq!(kept(Preset::Vllm, &p, &x), [0, 1]);
    assert_eq!(kept(Preset::HuggingFace, &p, &x), [0, 1, 2]);
}

/// vLLM samples greedily below `T = 1e-5`; the others only at 0.
#[test]
fn vllm_greedy_threshold() {
    let x = [1.0, 1.0 - 1e-6, -3.0];
    let p = SamplingParams::default().temperature(5e-6);
    assert_eq!(kept(Preset::Vllm, &p, &x), [0]);
    // The standard chain keeps every token; the third has probability 0 (`z = -8e5`).
    let chain = Preset::Standard.chain(&p).unwrap();
    let mut w = Workspace::new();
    let d = chain.distribution(&x, &mut w, &Context::default()).unwrap();
    assert!(d.probability(1) > 0.3 && d.probability(2) == 0.0);
    let mut s = Sampler::from_chain(Preset::Vllm.chain(&p).unwrap(), 3);
    for _ in 0..20 {
        assert_eq!(s.sample(&x).unwrap().token, 0);
    }
}

/// Every preset's chain, with processors, equals the oracle at several sizes.
#[test]
fn presets_against_the_oracle() {
    let p = SamplingParams::default()
        .temperature(0.9)
        .top_k(40)
        .top_p(0.9)
        .min_p(0.02)
        .min_keep(3)
        .repetition_penalty(1.3)
        .frequency_penalty(0.2)
        .presence_penalty(0.1)
        .penalty_window(Window::Last(16))
        .logit_bias([(0, 2.0), (7, f32::NEG_INFINITY)]);
    for n in [8usize, 100, 300, 5000, 50_257] {
        for x in [
            common::lm_like(n, 1),
            common::flat(n, 2),
            common::ties(n, 3),
        ] {
            for preset in [
                Preset::Standard,
                Preset::LlamaCpp,
                Preset::HuggingFace,
                Preset::Vllm,
            ] {
                let mut chain = preset.chain(&p).unwrap();
                for t in [1u32, 2, 3, 1, 5] {
                    chain.accept(t % n as u32);
                }
                let context = Context::new(1, 2);
                let oracle = reference::masses_of_chain(&x, &chain, &context).unwrap();
                let mut w = Workspace::new();
                let d = chain.distribution(&x, &mut w, &context).unwrap();
                let ids: Vec<u32> = d.ids().collect();
                let want: Vec<u32> = oracle.iter().map(|&(id, _)| id).collect();
                assert_eq!(ids, want, "{preset:?} n {n}");
            }
        }
    }
}
