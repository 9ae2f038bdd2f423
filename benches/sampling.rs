//! Per-token cost of each workload, next to the floor: one max pass over the same logits.
//!
//! `cargo bench --bench sampling`, then `python3 benches/report.py` prints the README table
//! (medians, and each as a ratio to the floor of its vocabulary size from the same run).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use logits::{
    Chain, Dry, DynamicTemperature, Epsilon, Eta, Logits, LogprobSource, Logprobs, Mirostat,
    MirostatV2, Preset, Sampler, SamplingParams, TopH, TopNSigma, Typical, Window, Xtc,
};

mod data;
mod floor;

use floor::{exp_pass, max_pass};

fn workloads() -> Vec<(&'static str, bool, SamplingParams)> {
    let p = |temperature, top_k, top_p, min_p| {
        SamplingParams::default()
            .temperature(temperature)
            .top_k(top_k)
            .top_p(top_p)
            .min_p(min_p)
            .seed(7)
    };
    vec![
        ("greedy", false, p(0.0, 0, 1.0, 0.0)),
        ("t0.8_topk40_topp0.95", false, p(0.8, 40, 0.95, 0.0)),
        ("t0.8_topp0.95_lm", false, p(0.8, 0, 0.95, 0.0)),
        ("t0.8_topp0.95_flat", true, p(0.8, 0, 0.95, 0.0)),
        ("t0.8_minp0.05", false, p(0.8, 0, 1.0, 0.05)),
        ("t1.0", false, p(1.0, 0, 1.0, 0.0)),
    ]
}

fn bench(c: &mut Criterion) {
    for &n in &data::SIZES {
        let lm = data::lm_like(n, 1);
        let flat = data::flat(n, 2);
        let mut g = c.benchmark_group(format!("n{n}"));
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(40);

        g.bench_function("floor_max_pass", |b| b.iter(|| max_pass(black_box(&lm))));

        let mut out = vec![0.0f32; n];
        let max = max_pass(&lm);
        g.bench_function("exp_pass", |b| {
            b.iter(|| exp_pass(black_box(&lm), max, &mut out))
        });
        g.bench_function("softmax_into", |b| {
            b.iter(|| logits::softmax_into(black_box(&lm), &mut out).unwrap())
        });
        g.bench_function("logsumexp", |b| {
            b.iter(|| logits::logsumexp(black_box(&lm)).unwrap())
        });
        g.bench_function("log_softmax_into", |b| {
            b.iter(|| logits::log_softmax_into(black_box(&lm), &mut out).unwrap())
        });
        // Checked outside the timed closure, which a filter may skip.
        logits::softmax_into(&lm, &mut out).unwrap();
        assert!((out.iter().map(|&p| p as f64).sum::<f64>() - 1.0).abs() < 1e-5);

        for (name, is_flat, params) in workloads() {
            let x = if is_flat { &flat } else { &lm };
            let mut s = Sampler::new(params.clone()).unwrap();
            // A benchmark that samples garbage is no benchmark: check the token first.
            let t = s.sample(x).unwrap();
            assert!(
                (t.token as usize) < n && t.probability > 0.0,
                "{name}: {t:?}"
            );
            g.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| s.sample(black_box(x)).unwrap())
            });
        }
        // Stages that no `SamplingParams` field selects, alone before the draw.
        let stages: Vec<(&str, Chain)> = vec![
            (
                "top_n_sigma1",
                Chain::new().then(TopNSigma::new(1.0).unwrap()),
            ),
            (
                "epsilon3e-4",
                Chain::new().then(Epsilon::new(3e-4).unwrap()),
            ),
            ("eta2e-3", Chain::new().then(Eta::new(2e-3).unwrap())),
            ("typical0.9", Chain::new().then(Typical::new(0.9).unwrap())),
            ("xtc1_0.1", Chain::new().then(Xtc::new(1.0, 0.1).unwrap())),
            (
                "dynamic_t1_0.5",
                Chain::new().then(DynamicTemperature::new(1.0, 0.5, 1.0).unwrap()),
            ),
            (
                "mirostat_v2_5",
                Chain::new().then(MirostatV2::new(5.0, 0.1).unwrap()),
            ),
            (
                "mirostat_v1_5",
                Chain::new().then(Mirostat::new(5.0, 0.1).unwrap()),
            ),
            ("top_h0.9", Chain::new().then(TopH::new(0.9).unwrap())),
        ];
        for (name, chain) in stages {
            let mut s = Sampler::from_chain(chain, 7);
            let t = s.sample(&lm).unwrap();
            assert!(t.probability > 0.0, "{name}: {t:?}");
            // Mirostat's μ moves with every draw (here, upwards without end): each iteration
            // starts from its initial state, so the row measures one state, not a drift.
            let stateful = name.starts_with("mirostat");
            g.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    if stateful {
                        s.reset();
                    }
                    s.sample(black_box(&lm)).unwrap()
                })
            });
        }
        if n == 128_256 {
            chain_rows(&mut g, &lm);
            #[cfg(feature = "half")]
            half_rows(&mut g, &lm);
        }
        g.finish();
    }
}

/// f16 and bf16 logits (`--features half`): three workloads on the LM-like logits rounded to
/// each type, read as they are (`_bf16`, `_f16`) and widened to f32 first (`_bf16_as_f32`,
/// `_f16_as_f32`: the same values, so the same tokens).
#[cfg(feature = "half")]
fn half_rows(g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>, lm: &[f32]) {
    use half::{bf16, f16};
    let bf: Vec<bf16> = lm.iter().map(|&x| bf16::from_f32(x)).collect();
    let hf: Vec<f16> = lm.iter().map(|&x| f16::from_f32(x)).collect();
    let bf_wide: Vec<f32> = bf.iter().map(|&x| x.to_f32()).collect();
    let hf_wide: Vec<f32> = hf.iter().map(|&x| x.to_f32()).collect();
    let workloads: Vec<_> = workloads()
        .into_iter()
        .filter(|(name, ..)| ["greedy", "t0.8_topk40_topp0.95", "t1.0"].contains(name))
        .collect();
    for (name, _, params) in workloads {
        let rows: [(&str, Logits); 4] = [
            ("bf16", Logits::new(&bf)),
            ("bf16_as_f32", Logits::new(&bf_wide)),
            ("f16", Logits::new(&hf)),
            ("f16_as_f32", Logits::new(&hf_wide)),
        ];
        for (kind, x) in rows {
            let mut s = Sampler::new(params.clone()).unwrap();
            let t = s.sample(x).unwrap();
            assert!(t.probability > 0.0, "{name} {kind}: {t:?}");
            let row = format!("{name}_{kind}");
            g.bench_function(BenchmarkId::from_parameter(row), |b| {
                b.iter(|| s.sample(black_box(x)).unwrap())
            });
        }
    }
}

/// The chain rows at one size: the top-k 40 chain with a 200-token logit bias and penalties over
/// a 256-token history, the same under a token bitmask (half the tokens allowed, at random, so
/// that every block is mixed; and all but 1 %), DRY before it over a 256- and a 1024-token
/// window full of repeats, and a preset against the same stages in the standard order.
fn chain_rows(g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>, lm: &[f32]) {
    let n = lm.len();
    let mut rng = logits::rng::SplitMix64::new(11);
    let mut next = || {
        use rand::Rng;
        rng.next_u64()
    };
    let topk = SamplingParams::default()
        .temperature(0.8)
        .top_k(40)
        .top_p(0.95)
        .seed(7);
    let bias: Vec<(u32, f32)> = (0..200)
        .map(|i| ((next() % n as u64) as u32, (i % 11) as f32 - 5.0))
        .collect();
    let processed = topk
        .clone()
        .logit_bias(bias)
        .repetition_penalty(1.1)
        .frequency_penalty(0.1)
        .presence_penalty(0.1)
        .penalty_window(Window::Last(256));
    // A history of the likeliest tokens (what a model repeats) and some others.
    let mut by_logit: Vec<u32> = (0..n as u32).collect();
    by_logit.sort_by(|&a, &b| lm[b as usize].total_cmp(&lm[a as usize]));
    let mut with_history = Sampler::new(processed).unwrap();
    for i in 0..256 {
        let t = if i % 2 == 0 {
            by_logit[(next() % 100) as usize]
        } else {
            (next() % n as u64) as u32
        };
        with_history.accept(t);
    }
    let half: Vec<u32> = (0..n.div_ceil(32)).map(|_| next() as u32).collect();
    let most: Vec<u32> = (0..n.div_ceil(32))
        .map(|_| !((next() & next() & next() & next() & next()) as u32 & 0x0101_0101))
        .collect();
    let mut plain = Sampler::new(topk.clone()).unwrap();
    let rows: [(&str, &mut Sampler, Option<&[u32]>); 4] = [
        ("chain_topk40", &mut plain, None),
        ("chain_topk40_bias200_penalties256", &mut with_history, None),
        (
            "chain_topk40_mask_half",
            &mut Sampler::new(topk.clone()).unwrap(),
            Some(&half),
        ),
        (
            "chain_topk40_mask_most",
            &mut Sampler::new(topk.clone()).unwrap(),
            Some(&most),
        ),
    ];
    for (name, s, mask) in rows {
        let input = match mask {
            Some(m) => Logits::new(lm).with_mask(m),
            None => Logits::new(lm),
        };
        let t = s.sample(input).unwrap();
        assert!(
            input.allows(t.token) && t.probability > 0.0,
            "{name}: {t:?}"
        );
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| s.sample(black_box(input)).unwrap())
        });
    }
    // DRY (llama.cpp's usual 0.8, 1.75, 2, one breaker) before the same chain, its window full of
    // a 16-token phrase of likely tokens said over and over, one token in 50 random (so repeats
    // run up to 49 tokens).
    let phrase: Vec<u32> = (0..16).map(|_| by_logit[(next() % 100) as usize]).collect();
    for window in [256usize, 1024] {
        let mut dry = Dry::new(0.8, 1.75, 2, Window::Last(window))
            .unwrap()
            .sequence_breakers([[(next() % n as u64) as u32]]);
        for i in 0..window {
            let t = if i % 50 == 49 {
                (next() % n as u64) as u32
            } else {
                phrase[i % 16]
            };
            logits::Stage::accept(&mut dry, t);
        }
        assert!(!dry.penalties().is_empty(), "dry{window}: no repeat");
        let mut chain = Chain::new().then(dry);
        for stage in Chain::from_params(&topk).unwrap().stages() {
            chain.push(stage.clone());
        }
        let mut s = Sampler::from_chain(chain, 7);
        let t = s.sample(lm).unwrap();
        assert!(t.probability > 0.0, "dry{window}: {t:?}");
        g.bench_function(
            BenchmarkId::from_parameter(format!("chain_topk40_dry{window}")),
            |b| b.iter(|| s.sample(black_box(lm)).unwrap()),
        );
    }
    // Sampling with the 20 most probable tokens' log-probabilities, against sampling alone.
    let mut lp = Logprobs::new();
    for (name, params, source) in [
        (
            "logprobs20_processed_topk40",
            topk.clone(),
            LogprobSource::Processed,
        ),
        ("logprobs20_raw_topk40", topk.clone(), LogprobSource::Raw),
        (
            "logprobs20_processed_t1",
            SamplingParams::default().seed(7),
            LogprobSource::Processed,
        ),
        (
            "logprobs20_raw_t1",
            SamplingParams::default().seed(7),
            LogprobSource::Raw,
        ),
    ] {
        let kept = match source {
            LogprobSource::Raw => lm.len(),
            LogprobSource::Processed => Sampler::new(params.clone())
                .unwrap()
                .distribution(lm)
                .unwrap()
                .len(),
        };
        let mut s = Sampler::new(params).unwrap();
        let t = s.sample_with_logprobs(lm, 20, source, &mut lp).unwrap();
        assert!(
            lp.token() == t.token && lp.top().len() == kept.min(20),
            "{name}"
        );
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                s.sample_with_logprobs(black_box(lm), 20, source, &mut lp)
                    .unwrap()
            })
        });
    }
    // Speculative verification of 4 drafts: the target's 5 rows and the draft's 4 (the target's
    // next rows, lightly perturbed, so that drafts are often but not always accepted), each
    // side's chain recomputed row by row; the same round every iteration (steps reset).
    let target_rows: Vec<Vec<f32>> = (0..5).map(|i| data::lm_like(n, 20 + i)).collect();
    let draft_rows: Vec<Vec<f32>> = target_rows[..4]
        .iter()
        .map(|row| {
            row.iter()
                .map(|&x| x + ((next() % 1000) as f32 / 1000.0 - 0.5))
                .collect()
        })
        .collect();
    let t_refs: Vec<&[f32]> = target_rows.iter().map(|r| &r[..]).collect();
    let d_refs: Vec<&[f32]> = draft_rows.iter().map(|r| &r[..]).collect();
    for (name, params) in [
        ("speculative4_default", SamplingParams::default().seed(7)),
        ("speculative4_topk40", topk.clone()),
    ] {
        let mut target = Sampler::new(params.clone()).unwrap();
        let mut draft = Sampler::new(params.seed(8)).unwrap();
        let mut drafter = draft.clone();
        let drafts: Vec<u32> = d_refs
            .iter()
            .map(|r| drafter.sample(*r).unwrap().token)
            .collect();
        let v = target
            .verify_drafts(&t_refs, &mut draft, &d_refs, &drafts)
            .unwrap();
        assert!(v.accepted <= 4 && (v.token as usize) < n, "{name}: {v:?}");
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                target.set_step(0);
                draft.set_step(0);
                target
                    .verify_drafts(black_box(&t_refs), &mut draft, &d_refs, &drafts)
                    .unwrap()
            })
        });
    }
    // The same four stages (top-k 40, top-p 0.95, min-p 0.05, T 0.8) as each preset orders them.
    let stages = topk.clone().min_p(0.05);
    for (name, preset) in [
        ("preset_standard", Preset::Standard),
        ("preset_llama_cpp", Preset::LlamaCpp),
        ("preset_hugging_face", Preset::HuggingFace),
        ("preset_vllm", Preset::Vllm),
    ] {
        let chain = preset.chain(&stages).unwrap();
        assert_eq!(chain.stages().len(), 4, "{name}");
        let mut s = Sampler::from_chain(chain, 7);
        let t = s.sample(lm).unwrap();
        assert!(t.probability > 0.0, "{name}");
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| s.sample(black_box(lm)).unwrap())
        });
    }
}

/// Batches: 64 rows of 128,256 LM-like logits (one contiguous slice, as an engine holds them),
/// each row its own sequence with the default chain (`SamplingParams::default()`, T 1.0, a
/// draw) and its own seed, sampled one after another in one workspace (`batch64_sequential`),
/// and with `par_sample_batch` on a 2-thread rayon pool (`batch64_rayon2`); report.py prints
/// their ratio. These rows need the `rayon` feature:
///
/// `cargo bench --bench sampling --features rayon -- batch/`
fn bench_batch(c: &mut Criterion) {
    #[cfg(feature = "rayon")]
    {
        use logits::batch::{par_sample_batch, sample_batch, Rows};
        use logits::{Error, Workspace};
        let (rows, n) = (64, 128_256);
        let values: Vec<f32> = (0..rows)
            .flat_map(|r| data::lm_like(n, 100 + r as u64))
            .collect();
        let samplers = |offset: u64| -> Vec<Sampler> {
            (0..rows as u64)
                .map(|r| Sampler::new(SamplingParams::default().seed(offset + r)).unwrap())
                .collect()
        };
        let batch = Rows::new(&values, n).unwrap();
        let mut g = c.benchmark_group("batch");
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(3));
        g.sample_size(20);
        let mut out = vec![Err(Error::EmptyLogits); rows];
        // The sequential and the parallel batch draw the same tokens (checked once here).
        let (mut a, mut b) = (samplers(7), samplers(7));
        let mut workspace = Workspace::with_vocabulary(n);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.broadcast(|_| logits::batch::reserve_thread_workspace(n));
        let mut out_b = out.clone();
        sample_batch(&mut a, batch, &mut workspace, &mut out).unwrap();
        pool.install(|| par_sample_batch(&mut b, batch, &mut out_b))
            .unwrap();
        assert!(out == out_b && out.iter().all(|r| r.is_ok()));
        g.bench_function("batch64_sequential", |bench| {
            bench.iter(|| sample_batch(&mut a, black_box(batch), &mut workspace, &mut out).unwrap())
        });
        g.bench_function("batch64_rayon2", |bench| {
            bench.iter(|| {
                pool.install(|| par_sample_batch(&mut b, black_box(batch), &mut out_b))
                    .unwrap()
            })
        });
        g.finish();
    }
    #[cfg(not(feature = "rayon"))]
    let _ = c;
}

criterion_group!(benches, bench, bench_batch);
criterion_main!(benches);
