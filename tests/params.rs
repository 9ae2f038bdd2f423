//! Every `SamplingParams` field of the samplers beyond top-k / top-p / min-p, in every preset
//! that reads it: the chain built from the parameters equals the chain built by hand from the
//! stages in the preset's documented order (the same stage names, the same distribution bit for
//! bit and the same tokens over several steps and seeds, stateful stages included), and the
//! oracle (`logits::reference`) keeps the same set. Presets reject, naming the field, the
//! samplers their engine lacks; engine behaviour is shown where presets differ.

mod common;

use logits::{
    reference, Chain, Context, Dry, DynamicTemperature, Epsilon, Error, Eta, MinP, Mirostat,
    MirostatV2, Penalties, Preset, Sampler, SamplingParams, Stage, Temperature, TopH, TopK,
    TopNSigma, TopP, Typical, TypicalRule, Window, Workspace, Xtc,
};

fn names(chain: &Chain) -> Vec<&'static str> {
    chain.stages().iter().map(|s| s.name()).collect()
}

/// The logits of step `step`: LM-like over a small vocabulary, so that tokens repeat (DRY and
/// the penalties then act), and a larger one.
fn logits_at(n: usize, step: u64) -> Vec<f32> {
    if step.is_multiple_of(2) {
        common::lm_like(n, step + 1)
    } else {
        common::flat(n, step + 1)
    }
}

/// `preset`'s chain of `params` against `hand`: names, distributions, tokens and the oracle.
fn check(preset: Preset, params: &SamplingParams, hand: Chain, what: &str) {
    let built = preset.chain(params).unwrap();
    assert_eq!(names(&built), names(&hand), "{what}: {preset:?}");
    for n in [16usize, 1000] {
        for seed in [0u64, 7, 1 << 40] {
            let mut a = Sampler::from_chain(built.clone(), seed);
            let mut b = Sampler::from_chain(hand.clone(), seed);
            for step in 0..24u64 {
                let x = logits_at(n, step);
                // The oracle, with the chain's state at this step.
                let context = Context::new(seed, step);
                let oracle = reference::masses_of_chain(&x, a.chain(), &context).unwrap();
                let want: Vec<u32> = oracle.iter().map(|&(id, _)| id).collect();
                let da: Vec<(u32, u32)> = a
                    .distribution(&x)
                    .unwrap()
                    .iter()
                    .map(|(id, p)| (id, p.to_bits()))
                    .collect();
                let db: Vec<(u32, u32)> = b
                    .distribution(&x)
                    .unwrap()
                    .iter()
                    .map(|(id, p)| (id, p.to_bits()))
                    .collect();
                assert_eq!(da, db, "{what}: {preset:?} n {n} seed {seed} step {step}");
                let ids: Vec<u32> = da.iter().map(|&(id, _)| id).collect();
                assert_eq!(ids, want, "{what}: oracle, {preset:?} n {n} step {step}");
                assert_eq!(a.sample(&x).unwrap(), b.sample(&x).unwrap(), "{what}");
            }
        }
    }
    if preset == Preset::Standard {
        // `Sampler::new` is the standard preset.
        let mut a = Sampler::new(params.clone().seed(3)).unwrap();
        let mut b = Sampler::from_chain(hand, 3);
        for step in 0..8 {
            let x = logits_at(16, step);
            assert_eq!(a.sample(&x).unwrap(), b.sample(&x).unwrap(), "{what}");
        }
    }
}

fn chain(stages: Vec<Box<dyn Stage>>) -> Chain {
    let mut c = Chain::new();
    for s in stages {
        c.push(s);
    }
    c
}

fn t(value: f32) -> Box<dyn Stage> {
    Box::new(Temperature::new(value).unwrap())
}

#[test]
fn typical_p() {
    let p = SamplingParams::default()
        .temperature(0.9)
        .top_k(40)
        .top_p(0.95)
        .typical_p(0.8)
        .min_keep(2);
    let typ = |rule| Typical::new(0.8).unwrap().rule(rule).min_keep(2);
    let top_p = || TopP::new(0.95).unwrap().min_keep(2);
    check(
        Preset::Standard,
        &p,
        chain(vec![
            t(0.9),
            Box::new(TopK::new(40).min_keep(2)),
            Box::new(top_p()),
            Box::new(typ(TypicalRule::LlamaCpp)),
        ]),
        "typical_p",
    );
    check(
        Preset::LlamaCpp,
        &p,
        chain(vec![
            Box::new(TopK::new(40)),
            Box::new(typ(TypicalRule::LlamaCpp)),
            Box::new(top_p()),
            t(0.9),
        ]),
        "typical_p",
    );
    check(
        Preset::HuggingFace,
        &p,
        chain(vec![
            t(0.9),
            Box::new(TopK::new(40).min_keep(2).keep_ties()),
            Box::new(top_p()),
            Box::new(typ(TypicalRule::HuggingFace)),
        ]),
        "typical_p",
    );
}

#[test]
fn top_n_sigma() {
    let p = SamplingParams::default()
        .temperature(1.3)
        .top_k(50)
        .top_n_sigma(1.0);
    let s = || Box::new(TopNSigma::new(1.0).unwrap());
    check(
        Preset::Standard,
        &p,
        chain(vec![s(), t(1.3), Box::new(TopK::new(50))]),
        "top_n_sigma",
    );
    check(
        Preset::LlamaCpp,
        &p,
        chain(vec![s(), Box::new(TopK::new(50)), t(1.3)]),
        "top_n_sigma",
    );
}

#[test]
fn xtc() {
    let p = SamplingParams::default()
        .temperature(0.8)
        .min_p(0.02)
        .xtc(0.5, 0.1)
        .min_keep(3);
    let x = || Box::new(Xtc::new(0.5, 0.1).unwrap().min_keep(3));
    let min_p = || Box::new(MinP::new(0.02).unwrap().min_keep(3));
    check(
        Preset::Standard,
        &p,
        chain(vec![t(0.8), min_p(), x()]),
        "xtc",
    );
    check(
        Preset::LlamaCpp,
        &p,
        chain(vec![min_p(), x(), t(0.8)]),
        "xtc",
    );
}

#[test]
fn epsilon_and_eta_cutoff() {
    let p = SamplingParams::default()
        .temperature(1.1)
        .top_p(0.98)
        .epsilon_cutoff(3e-3)
        .eta_cutoff(2e-3);
    let hand = || {
        chain(vec![
            t(1.1),
            Box::new(TopP::new(0.98).unwrap()),
            Box::new(Epsilon::new(3e-3).unwrap()),
            Box::new(Eta::new(2e-3).unwrap()),
        ])
    };
    check(Preset::Standard, &p, hand(), "epsilon/eta");
    check(Preset::HuggingFace, &p, hand(), "epsilon/eta");
}

#[test]
fn top_h() {
    let p = SamplingParams::default()
        .temperature(0.7)
        .top_k(20)
        .top_h(0.6)
        .min_keep(2);
    let hand = |top_k: TopK| {
        chain(vec![
            t(0.7),
            Box::new(TopH::new(0.6).unwrap().min_keep(2)),
            Box::new(top_k),
        ])
    };
    check(
        Preset::Standard,
        &p,
        hand(TopK::new(20).min_keep(2)),
        "top_h",
    );
    check(
        Preset::HuggingFace,
        &p,
        hand(TopK::new(20).min_keep(2).keep_ties()),
        "top_h",
    );
}

#[test]
fn dynamic_temperature() {
    let p = SamplingParams::default()
        .temperature(0.8)
        .top_k(40)
        .dynatemp(0.5, 1.5);
    let d = || Box::new(DynamicTemperature::new(0.8, 0.5, 1.5).unwrap());
    check(
        Preset::Standard,
        &p,
        chain(vec![d(), Box::new(TopK::new(40))]),
        "dynatemp",
    );
    check(
        Preset::LlamaCpp,
        &p,
        chain(vec![Box::new(TopK::new(40)), d()]),
        "dynatemp",
    );
    // A range of 0 is plain temperature (llama.cpp's `temp_ext` with `delta <= 0`).
    let plain = p.clone().dynatemp(0.0, 1.5);
    check(
        Preset::LlamaCpp,
        &plain,
        chain(vec![Box::new(TopK::new(40)), t(0.8)]),
        "dynatemp 0",
    );
}

#[test]
fn mirostat() {
    let base = SamplingParams::default()
        .temperature(0.9)
        .top_k(40)
        .top_p(0.9)
        .repetition_penalty(1.2)
        .dynatemp(0.3, 1.0);
    for (version, stage) in [
        (
            1u8,
            Box::new(Mirostat::new(4.0, 0.2).unwrap()) as Box<dyn Stage>,
        ),
        (2, Box::new(MirostatV2::new(4.0, 0.2).unwrap())),
    ] {
        let p = base.clone().mirostat(version, 4.0, 0.2);
        // The standard chain: mirostat after everything else.
        check(
            Preset::Standard,
            &p,
            chain(vec![
                Box::new(Penalties::new(1.2, 0.0, 0.0, Window::All).unwrap()),
                Box::new(DynamicTemperature::new(0.9, 0.3, 1.0).unwrap()),
                Box::new(TopK::new(40)),
                Box::new(TopP::new(0.9).unwrap()),
                stage.clone(),
            ]),
            "mirostat",
        );
        // llama.cpp: bias, plain temperature, mirostat; penalties, top-k, top-p and the
        // dynamic range are not in its mirostat chains.
        check(Preset::LlamaCpp, &p, chain(vec![t(0.9), stage]), "mirostat");
    }
}

#[test]
fn dry() {
    let breakers = vec![vec![3u32], vec![5, 6]];
    let p = SamplingParams::default()
        .temperature(0.9)
        .repetition_penalty(1.1)
        .penalty_window(Window::Last(64))
        .dry(0.8, 1.75, 2, Window::Last(32))
        .dry_sequence_breakers(&breakers);
    // Both orders put DRY after the penalties and before temperature.
    let hand = || {
        let penalties = Box::new(Penalties::new(1.1, 0.0, 0.0, Window::Last(64)).unwrap());
        let dry = Box::new(
            Dry::new(0.8, 1.75, 2, Window::Last(32))
                .unwrap()
                .sequence_breakers(&breakers),
        );
        chain(vec![penalties, dry, t(0.9)])
    };
    check(Preset::Standard, &p, hand(), "dry");
    check(Preset::LlamaCpp, &p, hand(), "dry");
    // DRY's window 0 (llama.cpp's `dry_penalty_last_n = 0`) is off.
    let off = p.clone().dry(0.8, 1.75, 2, Window::Last(0));
    assert_eq!(
        names(&Preset::LlamaCpp.chain(&off).unwrap()),
        ["penalties", "temperature"]
    );
}

/// Everything on at once, in each preset's documented order.
#[test]
fn full_orders() {
    let p = SamplingParams::default()
        .temperature(0.8)
        .top_k(40)
        .top_p(0.95)
        .min_p(0.05)
        .repetition_penalty(1.1)
        .logit_bias([(1, 0.5)])
        .typical_p(0.9)
        .top_n_sigma(2.0)
        .xtc(0.3, 0.1)
        .epsilon_cutoff(1e-4)
        .eta_cutoff(1e-4)
        .top_h(0.9)
        .dynatemp(0.2, 1.0)
        .mirostat(2, 5.0, 0.1)
        .dry(0.8, 1.75, 2, Window::All);
    assert_eq!(
        names(&Preset::Standard.chain(&p).unwrap()),
        [
            "logit_bias",
            "penalties",
            "dry",
            "top_n_sigma",
            "dynamic_temperature",
            "top_h",
            "top_k",
            "top_p",
            "min_p",
            "typical",
            "epsilon",
            "eta",
            "xtc",
            "mirostat_v2"
        ]
    );
    let llama = p.clone().epsilon_cutoff(0.0).eta_cutoff(0.0).top_h(0.0);
    assert_eq!(
        names(
            &Preset::LlamaCpp
                .chain(&llama.clone().mirostat(0, 5.0, 0.1))
                .unwrap()
        ),
        [
            "logit_bias",
            "penalties",
            "dry",
            "top_n_sigma",
            "top_k",
            "typical",
            "top_p",
            "min_p",
            "xtc",
            "dynamic_temperature"
        ]
    );
    assert_eq!(
        names(&Preset::LlamaCpp.chain(&llama).unwrap()),
        ["logit_bias", "temperature", "mirostat_v2"]
    );
    let hf = p
        .clone()
        .top_n_sigma(0.0)
        .xtc(0.0, 0.1)
        .dynatemp(0.0, 1.0)
        .mirostat(0, 5.0, 0.1)
        .dry(0.0, 1.75, 2, Window::All);
    assert_eq!(
        names(&Preset::HuggingFace.chain(&hf).unwrap()),
        [
            "penalties",
            "logit_bias",
            "temperature",
            "top_h",
            "top_k",
            "top_p",
            "min_p",
            "typical",
            "epsilon",
            "eta"
        ]
    );
}

/// A field that switches on a sampler the engine lacks is an error naming it; at its default it
/// is accepted.
#[test]
fn presets_reject_what_their_engine_lacks() {
    let cases: [(&str, SamplingParams); 9] = [
        ("typical_p", SamplingParams::default().typical_p(0.9)),
        ("top_n_sigma", SamplingParams::default().top_n_sigma(1.0)),
        ("xtc_probability", SamplingParams::default().xtc(0.5, 0.1)),
        (
            "epsilon_cutoff",
            SamplingParams::default().epsilon_cutoff(1e-3),
        ),
        ("eta_cutoff", SamplingParams::default().eta_cutoff(1e-3)),
        ("top_h", SamplingParams::default().top_h(0.5)),
        (
            "dynatemp_range",
            SamplingParams::default().dynatemp(0.5, 1.0),
        ),
        ("mirostat", SamplingParams::default().mirostat(1, 5.0, 0.1)),
        (
            "dry_multiplier",
            SamplingParams::default().dry(0.8, 1.75, 2, Window::All),
        ),
    ];
    let lacks = |preset: Preset, name: &str| match preset {
        Preset::Vllm => true,
        Preset::HuggingFace => [
            "top_n_sigma",
            "xtc_probability",
            "dynatemp_range",
            "mirostat",
            "dry_multiplier",
        ]
        .contains(&name),
        Preset::LlamaCpp => ["epsilon_cutoff", "eta_cutoff", "top_h"].contains(&name),
        _ => false,
    };
    for (name, p) in &cases {
        for (preset, engine) in [
            (Preset::Standard, ""),
            (Preset::LlamaCpp, "llama.cpp"),
            (Preset::HuggingFace, "Hugging Face"),
            (Preset::Vllm, "vLLM"),
        ] {
            let got = preset.chain(p);
            if lacks(preset, name) {
                let e = got.unwrap_err();
                assert_eq!(
                    e,
                    Error::UnsupportedParameter {
                        name,
                        preset: engine
                    }
                );
                assert!(e
                    .to_string()
                    .starts_with(&format!("{name} is not supported by the {engine} preset")));
            } else {
                assert!(got.is_ok(), "{name} {preset:?}");
            }
        }
    }
    // XTC with a threshold above 0.5 never acts: not an XTC request, so vLLM accepts it.
    assert!(Preset::Vllm
        .chain(&SamplingParams::default().xtc(0.5, 0.6))
        .is_ok());
}

/// Every new field is validated by its stage, whether the stage is on or not, with the
/// stage's message.
#[test]
fn validation_names_the_field() {
    let cases: [(SamplingParams, &str); 12] = [
        (
            SamplingParams::default().typical_p(1.5),
            "typical_p must be in [0, 1] (1 = off), got 1.5",
        ),
        (
            SamplingParams::default().top_n_sigma(-1.0),
            "top_n_sigma must be a finite number >= 0 (0 = off), got -1",
        ),
        (
            SamplingParams::default().xtc(1.5, 0.1),
            "xtc_probability must be in [0, 1], got 1.5",
        ),
        (
            SamplingParams::default().xtc(0.0, -0.1),
            "xtc_threshold must be in [0, 1], got -0.1",
        ),
        (
            SamplingParams::default().epsilon_cutoff(1.0),
            "epsilon_cutoff must be in [0, 1) (0 = off), got 1",
        ),
        (
            SamplingParams::default().eta_cutoff(f32::NAN),
            "eta_cutoff must be in [0, 1) (0 = off), got NaN",
        ),
        (
            SamplingParams::default().top_h(1.5),
            "top_h must be in (0, 1], got 1.5",
        ),
        (
            SamplingParams::default().dynatemp(-0.5, 1.0),
            "dynatemp_range must be a finite number >= 0, got -0.5",
        ),
        (
            SamplingParams::default().mirostat(3, 5.0, 0.1),
            "mirostat must be 0 (off), 1 or 2, got 3",
        ),
        (
            SamplingParams::default().mirostat(0, -5.0, 0.1),
            "mirostat_tau must be a finite number >= 0, got -5",
        ),
        (
            SamplingParams::default().dry(0.8, 0.5, 2, Window::All),
            "dry_base must be a finite number >= 1, got 0.5",
        ),
        (
            SamplingParams::default().dry(-1.0, 1.75, 2, Window::All),
            "dry_multiplier must be a finite number >= 0 (0 = off), got -1",
        ),
    ];
    for (p, message) in cases {
        for preset in [
            Preset::Standard,
            Preset::LlamaCpp,
            Preset::HuggingFace,
            Preset::Vllm,
        ] {
            let e = preset.chain(&p).unwrap_err();
            assert_eq!(e.to_string(), message, "{preset:?}");
        }
        assert_eq!(Sampler::new(p).unwrap_err().to_string(), message);
    }
}

/// Engine behaviour where presets differ, from the engines' published rules.
#[test]
fn typical_rule_per_engine() {
    // p = 0.4, 0.3, 0.2, 0.1: H = 1.2799 nats; distances |−ln p − H| = 0.364, 0.076, 0.330,
    // 1.023, so typical order 1 (0.3), 2 (0.2), 0 (0.4), 3. Mass 0.5 is reached exactly by
    // 0.3 + 0.2: Hugging Face stops there (cumulative >= 0.5), llama.cpp needs > 0.5 and takes
    // the 0.4 too.
    let x: Vec<f32> = [0.4f32, 0.3, 0.2, 0.1].iter().map(|p| p.ln()).collect();
    let p = SamplingParams::default().typical_p(0.5);
    let kept = |preset: Preset| {
        let c = preset.chain(&p).unwrap();
        let mut w = Workspace::new();
        let d = c.distribution(&x, &mut w, &Context::default()).unwrap();
        d.ids().collect::<Vec<u32>>()
    };
    assert_eq!(kept(Preset::HuggingFace), [1, 2]);
    assert_eq!(kept(Preset::LlamaCpp), [0, 1, 2]);
    assert_eq!(kept(Preset::Standard), [0, 1, 2]);
}

/// Every preset with all the samplers it reads switched on, at real vocabulary sizes, after a
/// history of accepted tokens: the chain's kept set equals the oracle's.
#[test]
fn all_fields_against_the_oracle_at_vocabulary_sizes() {
    let all = SamplingParams::default()
        .temperature(0.9)
        .top_k(200)
        .top_p(0.97)
        .min_p(0.01)
        .min_keep(2)
        .repetition_penalty(1.2)
        .frequency_penalty(0.1)
        .penalty_window(Window::Last(32))
        .logit_bias([(0, 3.0), (5, f32::NEG_INFINITY)])
        .typical_p(0.95)
        .top_n_sigma(3.0)
        .xtc(1.0, 0.05)
        .epsilon_cutoff(1e-5)
        .eta_cutoff(1e-5)
        .top_h(0.95)
        .dynatemp(0.4, 1.0)
        .dry(0.8, 1.75, 2, Window::Last(64))
        .dry_sequence_breakers([vec![7u32]]);
    let llama = all.clone().epsilon_cutoff(0.0).eta_cutoff(0.0).top_h(0.0);
    let hf = all
        .clone()
        .top_n_sigma(0.0)
        .xtc(0.0, 0.1)
        .dynatemp(0.0, 1.0)
        .dry(0.0, 1.75, 2, Window::All);
    let cases = [
        (Preset::Standard, all.clone()),
        (Preset::Standard, all.clone().mirostat(1, 5.0, 0.1)),
        (Preset::LlamaCpp, llama.clone()),
        (Preset::LlamaCpp, llama.mirostat(2, 5.0, 0.1)),
        (Preset::HuggingFace, hf),
    ];
    for n in [300usize, 5000, 50_257] {
        for x in [
            common::lm_like(n, 11),
            common::flat(n, 12),
            common::ties(n, 13),
        ] {
            for (preset, p) in &cases {
                let mut chain = preset.chain(p).unwrap();
                // A history with a repeat, so that the penalties and DRY act.
                for t in [1u32, 2, 3, 4, 1, 2, 3] {
                    chain.accept(t);
                }
                let context = Context::new(4, 9);
                let oracle = reference::masses_of_chain(&x, &chain, &context).unwrap();
                let mut w = Workspace::new();
                let d = chain.distribution(&x, &mut w, &context).unwrap();
                let ids: Vec<u32> = d.ids().collect();
                let want: Vec<u32> = oracle.iter().map(|&(id, _)| id).collect();
                assert_eq!(ids, want, "{preset:?} n {n}: {:?}", names(&chain));
            }
        }
    }
}
