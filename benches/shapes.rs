//! The shape sweep: each workload on logits of many shapes (`data::SHAPES`) at four vocabulary
//! sizes, next to the floor (one max pass over the same logits) and the plain T = 1 draw of the
//! same logits, so that no shape hides a slow call.
//!
//! `cargo bench --bench shapes`, then `python3 benches/shapes_report.py` prints each workload's
//! ratios per shape and its worst case against its target.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use logits::{Logits, Sampler, SamplingParams};

mod data;
mod floor;

use floor::max_pass;

/// The vocabulary sizes swept (GPT-2 / Llama 2, GPT-2, Llama 3, Gemma 3).
const SIZES: [usize; 4] = [32_000, 50_257, 128_256, 262_144];

/// The workloads, by name: each a row of every (shape, size) group.
fn workloads() -> Vec<(&'static str, SamplingParams)> {
    let t1 = SamplingParams::default().temperature(1.0).seed(7);
    vec![
        ("t1.0", t1.clone()),
        ("topp0.95", t1.clone().top_p(0.95)),
        (
            "t0.8_topk40_topp0.95",
            t1.clone().temperature(0.8).top_k(40).top_p(0.95),
        ),
        ("minp0.05", t1.clone().min_p(0.05)),
        ("topk40", t1.clone().top_k(40)),
        ("greedy", t1.temperature(0.0)),
    ]
}

fn bench(c: &mut Criterion) {
    eprintln!("nucleus of top-p 0.95 at T = 1, tokens:");
    for shape in data::SHAPES {
        for &n in &SIZES {
            let (x, mask) = data::shape(shape, n);
            let nucleus = data::nucleus_size(&x, mask.as_deref());
            eprintln!("  {shape} n{n}: {nucleus}");
            let input = match &mask {
                Some(m) => Logits::new(&x).with_mask(m),
                None => Logits::new(&x),
            };
            let mut g = c.benchmark_group(format!("shapes_{shape}_n{n}"));
            g.warm_up_time(Duration::from_millis(300));
            g.measurement_time(Duration::from_secs(1));
            g.sample_size(20);
            g.bench_function("floor_max_pass", |b| b.iter(|| max_pass(black_box(&x))));
            for (name, params) in workloads() {
                let mut s = Sampler::new(params).unwrap();
                // A benchmark that samples garbage is no benchmark: check the token first.
                let t = s.sample(input).unwrap();
                assert!(
                    input.allows(t.token) && t.probability > 0.0,
                    "{shape} n{n} {name}: {t:?}"
                );
                g.bench_function(BenchmarkId::from_parameter(name), |b| {
                    b.iter(|| s.sample(black_box(input)).unwrap())
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
