//! After the first call at a vocabulary size, sampling allocates nothing: a counting global
//! allocator watches 100 further calls of every chain, and sequences sharing one workspace. And
//! the guarantee: in a workspace sized up front (`Workspace::with_vocabulary`), with the
//! sequence's state and the reports sized (`Sampler::reserve`, `Logprobs::with_capacity`),
//! nothing allocates from the very first call, over every stage, shape of logits, report,
//! verification and batch. (The allocator is process-wide: it counts only the allocations of
//! the thread that asked.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use logits::{Candidates, Dry, LogitBias, Sampler, SamplingParams, Stage, Window, Workspace};

struct Counting;

thread_local! {
    /// Whether this thread's allocations are being counted (a `const` thread-local of a `Cell`
    /// needs no allocation to read).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
    }
}

/// The number of allocations `f` makes on this thread.
fn allocations_of(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator; we only count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn lm_like(n: usize) -> Vec<f32> {
    // Zipf-shaped by rank, permuted by a multiplicative step coprime with n.
    let mut x = vec![0.0f32; n];
    for r in 0..n {
        x[(r * 7919) % n] = -1.5 * ((r + 1) as f32).ln();
    }
    x
}

fn flat(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 2_654_435_761) % 1000) as f32 / 125.0 - 4.0)
        .collect()
}

#[test]
fn no_allocation_after_warm_up() {
    let chains = [
        SamplingParams::default().temperature(0.8),
        SamplingParams::default().temperature(0.8).top_k(40),
        SamplingParams::default().temperature(0.8).top_p(0.95),
        SamplingParams::default().temperature(0.8).min_p(0.05),
        SamplingParams::default()
            .temperature(0.8)
            .top_k(40)
            .top_p(0.95)
            .min_p(0.05)
            .seed(1),
        SamplingParams::default().temperature(0.0),
    ];
    for n in [32_000usize, 262_144] {
        for x in [lm_like(n), flat(n)] {
            for params in chains.clone() {
                let mut s = Sampler::new(params.clone()).unwrap();
                s.sample(&x).unwrap(); // warm-up: workspace grows to this size
                let mut acc = 0u64;
                let count = allocations_of(|| {
                    for _ in 0..100 {
                        acc += s.sample(&x).unwrap().token as u64;
                        let d = s.distribution(&x).unwrap();
                        acc += d.iter().map(|(id, _)| id as u64).sum::<u64>();
                    }
                });
                assert_eq!(
                    count, 0,
                    "n {n}, {params:?}: {count} allocations (acc {acc})"
                );
            }
        }
    }
}

/// One workspace shared by many sequences (as an engine's thread holds it): once every kind of
/// call has run in it, sampling any sequence allocates nothing, whatever the order.
#[test]
fn no_allocation_with_a_shared_workspace() {
    let n = 50_257;
    let inputs = [lm_like(n), flat(n)];
    let mut sequences: Vec<Sampler> = (0..8u64)
        .map(|seed| {
            let p = SamplingParams::default()
                .temperature(0.5 + seed as f32 * 0.1)
                .top_k([0, 40][seed as usize % 2])
                .top_p([1.0, 0.95, 0.5][seed as usize % 3])
                .min_p([0.0, 0.05][seed as usize / 4])
                .seed(seed);
            Sampler::new(p).unwrap()
        })
        .collect();
    let mut workspace = Workspace::new();
    for x in &inputs {
        for s in &mut sequences {
            s.sample_in(x, &mut workspace).unwrap(); // warm-up
        }
    }
    let mut acc = 0u64;
    let count = allocations_of(|| {
        for round in 0..20 {
            for (i, s) in sequences.iter_mut().enumerate() {
                let x = &inputs[(round + i) % 2];
                acc += s.sample_in(x, &mut workspace).unwrap().token as u64;
            }
        }
    });
    assert_eq!(count, 0, "{count} allocations (acc {acc})");
}

/// Verifying 4 drafts (the loop on `Sampler`, target and draft chains recomputed row by row)
/// allocates nothing once both workspaces have grown, whether the drafts are accepted or not.
#[test]
fn no_allocation_verifying_drafts() {
    let n = 32_000;
    let rows: Vec<Vec<f32>> = (0..5)
        .map(|i| {
            let x = lm_like(n);
            // Rotate, so that each row has another argmax.
            let mut y = x.clone();
            y.rotate_left(i * 7);
            y
        })
        .collect();
    let refs: Vec<&[f32]> = rows.iter().map(|r| &r[..]).collect();
    for params in [
        SamplingParams::default().temperature(0.8).top_k(40),
        SamplingParams::default(),
        SamplingParams::default().temperature(0.7).top_p(0.9),
    ] {
        let mut target = Sampler::new(params.clone().seed(1)).unwrap();
        let mut draft = Sampler::new(params.clone().seed(2)).unwrap();
        // The draft's own rows are the target's, shifted by one position; its tokens their
        // argmaxes (possible under any of these chains).
        let drafts: Vec<u32> = refs[1..]
            .iter()
            .map(|r| logits::argmax(r).unwrap() as u32)
            .collect();
        let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
        // Warm-up: the caller's workspaces and the samplers' own grow to this size.
        target
            .verify_drafts_in(&refs, &mut draft, &refs[1..], &drafts, &mut tw, &mut dw)
            .unwrap();
        target
            .verify_drafts(&refs, &mut draft, &refs[1..], &drafts)
            .unwrap();
        let (mut acc, mut rejected) = (0u64, 0);
        let count = allocations_of(|| {
            for round in 0..50 {
                target.set_step(round);
                draft.set_step(round);
                let v = target
                    .verify_drafts_in(&refs, &mut draft, &refs[1..], &drafts, &mut tw, &mut dw)
                    .unwrap();
                acc += u64::from(v.token);
                rejected += usize::from(v.accepted < drafts.len());
                let v = target
                    .verify_drafts(&refs, &mut draft, &refs[1..], &drafts)
                    .unwrap();
                acc += u64::from(v.token);
            }
        });
        assert!(rejected > 0, "{params:?}: the residual draw ran");
        assert_eq!(count, 0, "{params:?}: {count} allocations (acc {acc})");
    }
}

/// DRY over a `Last(n)` window: its window and working buffers are allocated by `Dry::new`, so
/// applying it (in a workspace that has held more edits than a step makes) and accepting tokens
/// (sliding the window) allocate nothing, whatever the repeats.
#[test]
fn dry_allocates_nothing_per_token() {
    let n = 32_000;
    let x = lm_like(n);
    let mut dry = Dry::new(0.8, 1.75, 2, Window::Last(512))
        .unwrap()
        .sequence_breakers([[13], [25]]);
    let mut workspace = Workspace::new();
    // Warm-up: the workspace grows to this size and to 3000 edits (a step makes at most 511).
    let bias = LogitBias::new((0..3000u32).map(|i| (i, -1.0))).unwrap();
    let mut c = Candidates::new(&x, &mut workspace).unwrap();
    c.apply(&bias);
    assert!(c.into_distribution().is_ok());
    let (mut acc, mut count, mut penalized) = (0u64, 0, 0);
    for i in 0..2000u32 {
        // Repeats of every length: a cycle of 37 tokens, then of 5, then random tokens.
        let t = match i {
            0..=799 => i % 37,
            800..=1399 => i % 5,
            _ => (i.wrapping_mul(2_654_435_761) >> 7) % 4000,
        };
        count += allocations_of(|| dry.accept(t));
        let mut c = Candidates::new(&x, &mut workspace).unwrap();
        count += allocations_of(|| c.apply(&dry));
        penalized += !dry.penalties().is_empty() as usize;
        acc += c.into_distribution().unwrap().len() as u64;
    }
    assert_eq!(count, 0, "{count} allocations (acc {acc})");
    assert!(penalized > 1000, "{penalized}");
}

// ---------------------------------------------------------------------------------------------
// The guarantee: sized up front, nothing allocates from the very first call.

use logits::batch::{sample_batch, sample_batch_with_logprobs, LogprobRequest, Rows};
use logits::{
    AllowedTokens, BannedTokens, Chain, DynamicTemperature, Epsilon, Error, Eta, Logits,
    LogprobSource, Logprobs, MinP, Mirostat, MirostatV2, Penalties, Preset, Temperature, TopH,
    TopK, TopNSigma, TopP, Typical, TypicalRule, Xtc,
};

/// Accepted tokens the stages' state is reserved for (more than any test sequence accepts).
const TOKENS: usize = 4096;

/// The shapes of one vocabulary size: `(name, logits, mask)`.
type Shape = (&'static str, Vec<f32>, Option<Vec<u32>>);

fn zipf(n: usize, s: f32) -> Vec<f32> {
    let mut x = vec![0.0f32; n];
    for r in 0..n {
        x[(r * 7919) % n] = -s * ((r + 1) as f32).ln();
    }
    x
}

/// A mask allowing the tokens for which `allow` holds.
fn mask(n: usize, allow: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut m = vec![0u32; n.div_ceil(32)];
    for i in (0..n).filter(|&i| allow(i)) {
        m[i / 32] |= 1 << (i % 32);
    }
    m
}

/// Peaked, flat (a nucleus of most of the vocabulary), mid-sized nuclei (Zipf exponents from 1
/// down to 0.6), heavy ties (16 levels), bf16-rounded, `-inf` entries, and masks allowing 1%,
/// 50% and a single token.
fn shapes(n: usize) -> Vec<Shape> {
    let bf16 = |x: Vec<f32>| -> Vec<f32> {
        x.into_iter()
            .map(|v| f32::from_bits(v.to_bits() & 0xFFFF_0000))
            .collect()
    };
    let ties: Vec<f32> = (0..n)
        .map(|i| ((i * 2_654_435_761) % 16) as f32 * 0.5)
        .collect();
    let mut holes = zipf(n, 1.0);
    for v in holes.iter_mut().step_by(3) {
        *v = f32::NEG_INFINITY;
    }
    if n % 3 == 1 || n == 1 {
        holes[n - 1] = 0.0; // at least one finite logit
    }
    vec![
        ("peaked", zipf(n, 1.5), None),
        ("flat", flat(n), None),
        ("zipf 1.0", zipf(n, 1.0), None),
        ("zipf 0.8", zipf(n, 0.8), None),
        ("zipf 0.6", zipf(n, 0.6), None),
        ("ties", ties, None),
        ("bf16", bf16(zipf(n, 0.9)), None),
        ("-inf holes", holes, None),
        ("mask 1%", flat(n), Some(mask(n, |i| i % 100 == 7 % n))),
        ("mask 50%", zipf(n, 1.0), Some(mask(n, |i| i % 2 == 0))),
        ("one allowed", zipf(n, 1.2), Some(mask(n, |i| i == n / 2))),
    ]
}

fn logits_of(shape: &Shape) -> Logits<'_> {
    match &shape.2 {
        Some(m) => Logits::new(&shape.1).with_mask(m),
        None => Logits::new(&shape.1),
    }
}

/// Every stage alone, processors, chains, presets and llama.cpp's sampler, for `n` tokens.
fn every_sampler(n: usize) -> Vec<(String, Sampler)> {
    let n32 = n as u32;
    let listed: Vec<u32> = (0..n32).step_by(7).collect();
    let bias: Vec<(u32, f32)> = (0..n32)
        .step_by(97)
        .map(|i| (i, if i % 2 == 0 { 2.5 } else { f32::NEG_INFINITY }))
        .collect();
    let stages: Vec<(&str, Chain)> = vec![
        (
            "temperature",
            Chain::new().then(Temperature::new(0.7).unwrap()),
        ),
        ("greedy", Chain::new().then(Temperature::new(0.0).unwrap())),
        ("top-k 40", Chain::new().then(TopK::new(40))),
        ("top-k 5000", Chain::new().then(TopK::new(5000))),
        ("top-p 0.95", Chain::new().then(TopP::new(0.95).unwrap())),
        ("top-p 0.5", Chain::new().then(TopP::new(0.5).unwrap())),
        ("min-p", Chain::new().then(MinP::new(0.05).unwrap())),
        ("typical", Chain::new().then(Typical::new(0.9).unwrap())),
        (
            "typical hf",
            Chain::new().then(Typical::new(0.5).unwrap().rule(TypicalRule::HuggingFace)),
        ),
        ("xtc", Chain::new().then(Xtc::new(1.0, 0.01).unwrap())),
        (
            "top-n-sigma",
            Chain::new().then(TopNSigma::new(1.0).unwrap()),
        ),
        ("epsilon", Chain::new().then(Epsilon::new(3e-4).unwrap())),
        ("eta", Chain::new().then(Eta::new(3e-4).unwrap())),
        ("top-h", Chain::new().then(TopH::new(0.4).unwrap())),
        (
            "dynamic temperature",
            Chain::new().then(DynamicTemperature::new(0.8, 0.5, 1.0).unwrap()),
        ),
        (
            "mirostat",
            Chain::new().then(Mirostat::new(3.0, 0.1).unwrap()),
        ),
        (
            "mirostat v2",
            Chain::new().then(MirostatV2::new(3.0, 0.1).unwrap()),
        ),
        (
            "bias",
            Chain::new().then(LogitBias::new(bias.clone()).unwrap()),
        ),
        (
            "penalties last 64",
            Chain::new().then(Penalties::new(1.3, 0.5, 0.5, Window::Last(64)).unwrap()),
        ),
        (
            "penalties all",
            Chain::new().then(Penalties::new(1.3, 0.5, 0.5, Window::All).unwrap()),
        ),
        (
            "allowed",
            Chain::new().then(AllowedTokens::new(listed.clone())),
        ),
        (
            "banned",
            Chain::new().then(BannedTokens::new(listed.clone())),
        ),
        (
            "dry last 256",
            Chain::new().then(Dry::new(0.8, 1.75, 2, Window::Last(256)).unwrap()),
        ),
        (
            "dry all",
            Chain::new().then(
                Dry::new(0.8, 1.75, 1, Window::All)
                    .unwrap()
                    .sequence_breakers([[0u32]]),
            ),
        ),
        (
            "everything",
            Chain::new()
                .then(LogitBias::new(bias.clone()).unwrap())
                .then(Penalties::new(1.1, 0.2, 0.2, Window::All).unwrap())
                .then(Dry::new(0.8, 1.75, 2, Window::All).unwrap())
                .then(BannedTokens::new(
                    [1, 2, 3].into_iter().filter(|&t| t < n32),
                ))
                .then(TopK::new(400))
                .then(Typical::new(0.95).unwrap())
                .then(TopP::new(0.9).unwrap())
                .then(MinP::new(0.02).unwrap())
                .then(Xtc::new(0.5, 0.1).unwrap())
                .then(Temperature::new(0.8).unwrap()),
        ),
    ];
    let mut all: Vec<(String, Sampler)> = stages
        .into_iter()
        .enumerate()
        .map(|(i, (name, chain))| (name.to_string(), Sampler::from_chain(chain, i as u64)))
        .collect();
    let params = SamplingParams::default()
        .temperature(0.8)
        .top_k(40)
        .top_p(0.95)
        .min_p(0.05)
        .repetition_penalty(1.1)
        .frequency_penalty(0.1)
        .logit_bias(bias)
        .min_keep(3)
        .seed(77);
    for preset in [
        Preset::Standard,
        Preset::LlamaCpp,
        Preset::HuggingFace,
        Preset::Vllm,
    ] {
        let chain = preset.chain(&params).unwrap();
        all.push((format!("{preset:?}"), Sampler::from_chain(chain, 5)));
    }
    all.push((
        "llama.cpp sampler".into(),
        Sampler::llama_cpp(&params).unwrap(),
    ));
    all.push((
        "llama.cpp sampler, T only".into(),
        Sampler::llama_cpp(&SamplingParams::default().temperature(0.9)).unwrap(),
    ));
    all
}

/// Every sampler, every shape, every kind of call, from the first call on: zero allocations.
#[test]
fn nothing_allocates_from_the_first_call_once_sized() {
    let requests = [
        (20, LogprobSource::Raw),
        (20, LogprobSource::Processed),
        (usize::MAX, LogprobSource::Raw),
        (usize::MAX, LogprobSource::Processed),
    ];
    for n in [1usize, 7, 300, 32_000, 128_256] {
        let shapes = shapes(n);
        let mut workspace = Workspace::with_vocabulary(n);
        let mut lp20 = Logprobs::with_capacity(20);
        let mut lp_all = Logprobs::with_capacity(n);
        let mut log_probs = vec![0.0f32; n];
        for (i, (name, mut s)) in every_sampler(n).into_iter().enumerate() {
            s.reserve(n, TOKENS);
            // Whole-vocabulary reports sort every token: at 128,256 tokens, for every fourth
            // sampler only, to keep the test quick.
            let whole = n < 100_000 || i % 4 == 0;
            let (mut acc, mut ok) = (0u64, 0usize);
            let count = allocations_of(|| {
                for shape in &shapes {
                    let x = logits_of(shape);
                    let mut results = [Err(Error::EmptyLogits); 5];
                    results[0] = s.sample_in(x, &mut workspace);
                    if let Ok(d) = s.distribution_in(x, &mut workspace) {
                        acc += d.iter().map(|(id, _)| u64::from(id)).sum::<u64>();
                    }
                    for (k, (top_n, source)) in requests.into_iter().enumerate() {
                        if top_n == usize::MAX && !whole {
                            continue;
                        }
                        let lp = if top_n == 20 { &mut lp20 } else { &mut lp_all };
                        results[k + 1] =
                            s.sample_in_with_logprobs(x, top_n, source, &mut workspace, lp);
                    }
                    for t in results.into_iter().flatten() {
                        acc += u64::from(t.token);
                        ok += 1;
                    }
                    if logits::log_softmax_into(&shape.1, &mut log_probs).is_ok() {
                        acc += log_probs[0].to_bits() as u64;
                    }
                }
            });
            assert_eq!(count, 0, "n {n}, {name}: {count} allocations (acc {acc})");
            // (At 1 token, banning it leaves nothing.)
            assert!(ok > 0 || n == 1, "n {n}, {name}: some calls succeed");
        }
    }
}

/// A sampler sized with `Sampler::reserve` samples in its own workspace without allocating.
#[test]
fn a_sized_sampler_allocates_nothing_in_its_own_workspace() {
    let n = 32_000;
    let shapes = shapes(n);
    for (name, mut s) in every_sampler(n) {
        s.reserve(n, TOKENS);
        s.reserve_workspace(n);
        let mut lp = Logprobs::with_capacity(5);
        let count = allocations_of(|| {
            for shape in &shapes {
                let _ = s.sample(logits_of(shape));
                let _ =
                    s.sample_with_logprobs(logits_of(shape), 5, LogprobSource::Processed, &mut lp);
                let _ = s.distribution(logits_of(shape)).map(|d| d.len());
            }
        });
        assert_eq!(count, 0, "{name}: {count} allocations");
    }
}

/// Speculative verification and the batch API, in sized workspaces, from the first call.
#[test]
fn verification_and_batches_allocate_nothing_once_sized() {
    for n in [7usize, 32_000, 128_256] {
        let shapes = shapes(n);
        let rows: Vec<&[f32]> = shapes[..5].iter().map(|s| &s.1[..]).collect();
        let drafts: Vec<u32> = rows[1..]
            .iter()
            .map(|r| logits::argmax(r).unwrap() as u32)
            .collect();
        let (mut tw, mut dw) = (Workspace::with_vocabulary(n), Workspace::with_vocabulary(n));
        let batch_values: Vec<f32> = shapes.iter().flat_map(|s| s.1.iter().copied()).collect();
        let batch_masks: Vec<u32> = shapes
            .iter()
            .flat_map(|s| s.2.clone().unwrap_or_else(|| mask(n, |_| true)))
            .collect();
        let mut batch: Vec<Sampler> = every_sampler(n)
            .into_iter()
            .map(|(_, s)| s)
            .cycle()
            .take(shapes.len())
            .collect();
        for s in &mut batch {
            s.reserve(n, TOKENS);
        }
        let mut out = vec![Err(Error::EmptyLogits); shapes.len()];
        let mut reports: Vec<Logprobs> = (0..shapes.len())
            .map(|_| Logprobs::with_capacity(20))
            .collect();
        let mut workspace = Workspace::with_vocabulary(n);
        for params in [
            SamplingParams::default().temperature(0.8).top_k(40),
            SamplingParams::default()
                .temperature(0.7)
                .top_p(0.9)
                .min_p(0.05),
        ] {
            let mut target = Sampler::new(params.clone().seed(1)).unwrap();
            let mut draft = Sampler::new(params.seed(2)).unwrap();
            let count = allocations_of(|| {
                for round in 0..5 {
                    target.set_step(round);
                    draft.set_step(round);
                    let _ = target.verify_drafts_in(
                        &rows,
                        &mut draft,
                        &rows[1..],
                        &drafts,
                        &mut tw,
                        &mut dw,
                    );
                }
            });
            assert_eq!(count, 0, "n {n}: verification, {count} allocations");
        }
        let request = LogprobRequest {
            top_n: 20,
            source: LogprobSource::Processed,
        };
        let count = allocations_of(|| {
            for _ in 0..3 {
                let plain = Rows::new(&batch_values, n).unwrap();
                sample_batch(&mut batch, plain, &mut workspace, &mut out).unwrap();
                let masked = plain.with_masks(&batch_masks).unwrap();
                sample_batch(&mut batch, masked, &mut workspace, &mut out).unwrap();
                sample_batch_with_logprobs(
                    &mut batch,
                    masked,
                    request,
                    &mut workspace,
                    &mut reports,
                    &mut out,
                )
                .unwrap();
            }
        });
        assert_eq!(count, 0, "n {n}: batches, {count} allocations");
        assert!(out.iter().any(|r| r.is_ok()));
    }
}

/// A window as long as `usize::MAX` is accepted (only its first `2^17` tokens are allocated up
/// front), samples, and reserves for the tokens asked, not for the window.
#[test]
fn an_unbounded_last_window_is_built_and_reserved_lazily() {
    let p = Penalties::new(1.3, 0.0, 0.0, Window::Last(usize::MAX)).unwrap();
    let d = Dry::new(0.8, 1.75, 2, Window::Last(usize::MAX)).unwrap();
    let mut s = Sampler::from_chain(Chain::new().then(p).then(d), 1);
    s.reserve(300, 64);
    let mut workspace = Workspace::with_vocabulary(300);
    let x = zipf(300, 1.0);
    let count = allocations_of(|| {
        for _ in 0..64 {
            assert!(s.sample_in(&x, &mut workspace).unwrap().token < 300);
        }
    });
    assert_eq!(count, 0);
}

/// Logits of every element type (f64; f16 and bf16 with the feature `half`) are read without a
/// copy: once sized, every sampler and logprobs request over every shape allocates nothing.
#[test]
fn other_element_types_allocate_nothing_once_sized() {
    for n in [300usize, 32_000] {
        let shapes = shapes(n);
        let f64s: Vec<Vec<f64>> = shapes
            .iter()
            .map(|s| s.1.iter().map(|&x| f64::from(x)).collect())
            .collect();
        #[cfg(feature = "half")]
        let f16s: Vec<Vec<half::f16>> = shapes
            .iter()
            .map(|s| s.1.iter().map(|&x| half::f16::from_f32(x)).collect())
            .collect();
        #[cfg(feature = "half")]
        let bf16s: Vec<Vec<half::bf16>> = shapes
            .iter()
            .map(|s| s.1.iter().map(|&x| half::bf16::from_f32(x)).collect())
            .collect();
        let rows: Vec<Vec<Logits>> = vec![
            f64s.iter().map(|x| Logits::new(x)).collect(),
            #[cfg(feature = "half")]
            f16s.iter().map(|x| Logits::new(x)).collect(),
            #[cfg(feature = "half")]
            bf16s.iter().map(|x| Logits::new(x)).collect(),
        ];
        let mut workspace = Workspace::with_vocabulary(n);
        let mut lp = Logprobs::with_capacity(20);
        for (name, mut s) in every_sampler(n) {
            s.reserve(n, TOKENS);
            for row in &rows {
                let mut ok = 0usize;
                let count = allocations_of(|| {
                    for (x, shape) in row.iter().zip(&shapes) {
                        let x = match &shape.2 {
                            Some(m) => x.with_mask(m),
                            None => *x,
                        };
                        ok += usize::from(s.sample_in(x, &mut workspace).is_ok());
                        for source in [LogprobSource::Raw, LogprobSource::Processed] {
                            let r =
                                s.sample_in_with_logprobs(x, 20, source, &mut workspace, &mut lp);
                            ok += usize::from(r.is_ok());
                        }
                    }
                });
                assert_eq!(count, 0, "n {n}, {name}: {count} allocations");
                assert!(ok > 0, "n {n}, {name}: some calls succeed");
            }
        }
    }
}
