//! `logits` next to the other Rust samplers, same logits and parameters, one criterion run.
//!
//! Every peer's call is timed from the `&[f32]` an engine holds: building the peer's container
//! (candle's `Tensor`, llm-samplers' `Logits`, token-sampling's mutable copy) is part of its
//! call. A plain copy of the logits is timed in the same group for reference. Before timing,
//! 50 tokens from each crate are checked to be valid for the workload.
//!
//! Run: `cargo bench` in this folder, then `python3 report.py`.

use std::hint::black_box;
use std::time::Duration;

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use criterion::{criterion_group, criterion_main, Criterion};
use llm_samplers::prelude::{
    Logits, SampleRandDistrib, SampleTemperature, SampleTopK, SampleTopP, SamplerChain,
    SimpleSamplerResources,
};
use rand08::SeedableRng;

#[path = "../../benches/data.rs"]
#[allow(dead_code)]
mod data;

const T: f32 = 0.8;

#[derive(Clone, Copy)]
enum Work {
    /// Temperature 0.8, draw from the whole distribution.
    All,
    /// Temperature 0.8, top-p 0.95, draw.
    TopP,
    /// Temperature 0.8, top-k 40, then top-p 0.95, draw.
    TopKTopP,
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::All => "t0.8",
            Work::TopP => "t0.8_topp0.95",
            Work::TopKTopP => "t0.8_topk40_topp0.95",
        }
    }
    fn params(self) -> logits::SamplingParams {
        let (top_k, top_p) = match self {
            Work::All => (0, 1.0),
            Work::TopP => (0, 0.95),
            Work::TopKTopP => (40, 0.95),
        };
        logits::SamplingParams::default()
            .temperature(T)
            .top_k(top_k)
            .top_p(top_p)
            .seed(7)
    }
    fn candle(self) -> Sampling {
        let temperature = T as f64;
        match self {
            Work::All => Sampling::All { temperature },
            Work::TopP => Sampling::TopP {
                p: 0.95,
                temperature,
            },
            Work::TopKTopP => Sampling::TopKThenTopP {
                k: 40,
                p: 0.95,
                temperature,
            },
        }
    }
    fn llm_samplers(self) -> SamplerChain {
        let mut chain = SamplerChain::new();
        chain.push_sampler(SampleTemperature::new(T));
        if let Work::TopKTopP = self {
            chain.push_sampler(SampleTopK::new(40, 1));
        }
        if !matches!(self, Work::All) {
            chain.push_sampler(SampleTopP::new(0.95, 1));
        }
        chain.push_sampler(SampleRandDistrib::new());
        chain
    }
    fn token_sampling(self) -> token_sampling::SamplerChain {
        // Temperature first, as in the other three.
        let mut chain =
            token_sampling::SamplerChain::new().push(token_sampling::Temperature { t: T });
        if let Work::TopKTopP = self {
            chain = chain.push(token_sampling::TopK { k: 40 });
        }
        if !matches!(self, Work::All) {
            chain = chain.push(token_sampling::TopP {
                p: 0.95,
                min_keep: 1,
            });
        }
        chain.push(token_sampling::Dist)
    }
    /// The tokens a correct sampler may return: the top-40 for the top-k chain; for top-p, the
    /// nucleus of mass 0.999 at T = 0.8 (a superset of every engine's 0.95 nucleus, whatever its
    /// boundary rule); any unmasked token otherwise.
    fn allowed(self, x: &[f32]) -> Vec<u32> {
        match self {
            Work::All => (0..x.len() as u32).collect(),
            Work::TopP => logits::top_p(x, T, 0.999).unwrap(),
            Work::TopKTopP => logits::top_k(x, 40).unwrap(),
        }
    }
}

fn bench(c: &mut Criterion) {
    for n in [50_257usize, 262_144] {
        let x = data::lm_like(n, 1);
        for work in [Work::All, Work::TopP, Work::TopKTopP] {
            let allowed = work.allowed(&x);
            let ok = |t: u32| allowed.binary_search(&t).is_ok();

            let mut ours = logits::Sampler::new(work.params()).unwrap();
            let mut candle = LogitsProcessor::from_sampling(7, work.candle());
            let mut llm_chain = work.llm_samplers();
            let mut llm_res = SimpleSamplerResources::new(
                Some(Box::new(rand08::rngs::StdRng::seed_from_u64(7))),
                None,
            );
            let mut ts_chain = work.token_sampling();
            let mut ts_rng = token_sampling::SplitMix64::new(7);
            let mut buf = x.clone();

            let mut run_ours = || ours.sample(&x).unwrap().token;
            let mut run_candle = || {
                let t = Tensor::new(x.as_slice(), &Device::Cpu).unwrap();
                candle.sample(&t).unwrap()
            };
            let mut run_llm = || {
                let mut l = Logits::try_from_iter(x.iter().copied()).unwrap();
                l.sample_token(&mut llm_res, &mut llm_chain)
                    .unwrap()
                    .unwrap()
            };
            let mut run_ts = || {
                buf.copy_from_slice(&x);
                ts_chain.sample(&mut buf, &[], &mut ts_rng).unwrap()
            };
            for _ in 0..50 {
                assert!(ok(run_ours()), "logits: invalid token");
                assert!(ok(run_candle()), "candle: invalid token");
                assert!(ok(run_llm()), "llm-samplers: invalid token");
                assert!(ok(run_ts()), "token-sampling: invalid token");
            }

            let mut g = c.benchmark_group(format!("n{n}_{}", work.name()));
            g.sample_size(10);
            g.warm_up_time(Duration::from_millis(500));
            g.measurement_time(Duration::from_secs(2));
            let mut copy = x.clone();
            g.bench_function("copy", |b| b.iter(|| copy.copy_from_slice(black_box(&x))));
            g.bench_function("logits", |b| b.iter(&mut run_ours));
            g.bench_function("candle", |b| b.iter(&mut run_candle));
            g.bench_function("llm-samplers", |b| b.iter(&mut run_llm));
            g.bench_function("token-sampling", |b| b.iter(&mut run_ts));
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
