//! Chains in any order equal the oracle: every permutation of temperature, top-k, top-p and
//! min-p, repeated and greedy temperatures, logit processors (bias, bans, allowed lists,
//! penalties, DRY) anywhere in a chain, and stages written against the public `Stage` trait (a
//! listed subset, a threshold on logits), at every length 1..=300 and at real vocabulary sizes,
//! on every code path: the same kept set, the same probabilities bit for bit, the same
//! tokens for the same words.

mod common;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;

use fuzz_checks::{Listed, LogitFloor};
use logits::{
    reference, AllowedTokens, BannedTokens, Candidates, Chain, Context, Dry, DynamicTemperature,
    Epsilon, Eta, LogitBias, Logits, MinP, Mirostat, MirostatV2, Penalties, Sample, Stage,
    Temperature, TopH, TopK, TopNSigma, TopP, Typical, TypicalRule, Window, Workspace, Xtc,
};

fn paths() -> impl Iterator<Item = logits::SimdPath> {
    logits::SimdPath::ALL
        .into_iter()
        .filter(|p| p.is_available())
}

/// The chain's distribution on every path equals the oracle's.
fn check<'a>(x: impl Into<Logits<'a>>, chain: &Chain, what: &str) {
    let x: Logits = x.into();
    let context = Context::new(5, 9);
    let oracle = reference::masses_of_chain(x, chain, &context);
    let mut workspace = Workspace::new();
    for path in paths() {
        let d = Candidates::with_path(x, &mut workspace, path).and_then(|mut c| {
            chain.apply(&mut c, &context);
            c.into_distribution()
        });
        let (d, oracle) = match (d, &oracle) {
            (Err(e), Err(o)) => {
                assert_eq!(e, *o, "{what}");
                continue;
            }
            (Ok(d), Ok(o)) => (d, o),
            (d, o) => panic!("{what}: {:?} vs {o:?}", d.map(|d| d.len())),
        };
        let total: u64 = oracle.iter().map(|&(_, q)| q).sum();
        let ids: Vec<u32> = d.ids().collect();
        let want: Vec<u32> = oracle.iter().map(|&(id, _)| id).collect();
        assert_eq!(ids, want, "{what}, n {}, {path:?}", x.len());
        for ((id, p), &(_, q)) in d.iter().zip(oracle) {
            let want = (q as f64 / total as f64) as f32;
            assert_eq!(p.to_bits(), want.to_bits(), "{what}: p({id}), {path:?}");
        }
        for word in [0, 1 << 62, 0x9E37_79B9_7F4A_7C15, u64::MAX] {
            assert_eq!(d.draw(word).token, reference::draw(oracle, word), "{what}");
        }
        // The walk over per-chunk and per-block sums lands on exactly the oracle's tokens.
        let what = format!("{what}, {path:?}");
        common::assert_draws_at_mass_ends(|w| d.draw(w).token, oracle, 64, &what);
    }
}

/// The four built-in stages with one set of parameters.
fn stages(t: f32, k: usize, p: f32, m: f32) -> [Box<dyn Stage>; 4] {
    [
        Box::new(Temperature::new(t).unwrap()),
        Box::new(TopK::new(k)),
        Box::new(TopP::new(p).unwrap()),
        Box::new(MinP::new(m).unwrap()),
    ]
}

/// Every permutation of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for first in 0..n {
        for rest in permutations(n - 1) {
            let mut p = vec![first];
            p.extend(rest.into_iter().map(|i| if i >= first { i + 1 } else { i }));
            out.push(p);
        }
    }
    out
}

fn chain_of(stages: &[Box<dyn Stage>], order: &[usize]) -> Chain {
    let mut chain = Chain::new();
    for &i in order {
        chain.push(stages[i].clone());
    }
    chain
}

const PARAMS: [(f32, usize, f32, f32); 4] = [
    (0.8, 40, 0.95, 0.05),
    (1.7, 5, 0.5, 0.2),
    (0.3, 300, 0.9, 0.0),
    (0.0, 10, 0.8, 0.1),
];

#[test]
fn every_order_at_every_length() {
    let orders = permutations(4);
    assert_eq!(orders.len(), 24);
    for n in 1..=300usize {
        let shapes = [
            common::lm_like(n, n as u64),
            common::flat(n, n as u64),
            common::ties(n, n as u64),
            common::raw_bits(n, n as u64),
        ];
        for (s, x) in shapes.iter().enumerate() {
            // Each length runs one parameter set, so that all of them meet every shape.
            let (t, k, p, m) = PARAMS[(n + s) % PARAMS.len()];
            let stages = stages(t, k, p, m);
            for order in &orders {
                let what = format!("order {order:?}, T {t} k {k} p {p} m {m}, shape {s}");
                check(x, &chain_of(&stages, order), &what);
            }
        }
    }
}

#[test]
fn engine_orders_at_vocabulary_sizes() {
    // Hugging Face (T, k, p, m), llama.cpp (k, p, m, T), vLLM (T, m, k, p), and reversed.
    let orders = [[0, 1, 2, 3], [1, 2, 3, 0], [0, 3, 1, 2], [3, 2, 1, 0]];
    for &n in &[32_000usize, 50_257, 128_256, 262_144] {
        for x in [common::lm_like(n, 3), common::flat(n, 4)] {
            for (t, k, p, m) in [
                (0.8, 40, 0.95, 0.05),
                (1.0, 0, 0.9, 0.0),
                (0.7, 2000, 0.6, 0.01),
            ] {
                let stages = stages(t, k, p, m);
                for order in &orders {
                    check(
                        x.as_slice(),
                        &chain_of(&stages, order),
                        &format!("{order:?} n {n}"),
                    );
                }
            }
        }
    }
}

#[test]
fn temperature_anywhere_and_repeated() {
    let t = |v: f32| -> Box<dyn Stage> { Box::new(Temperature::new(v).unwrap()) };
    for n in [1usize, 2, 3, 17, 255, 256, 257, 1000, 5000] {
        for x in [
            common::lm_like(n, 7),
            common::flat(n, 8),
            common::ties(n, 9),
        ] {
            let chains = [
                vec![t(0.5), t(2.0)],                                      // the identity
                vec![t(0.5), Box::new(TopP::new(0.8).unwrap()), t(3.0)],   // before and after
                vec![Box::new(TopP::new(0.9).unwrap()), t(0.0), t(5.0)],   // greedy in the middle
                vec![t(1e-30), t(1e-30)],                                  // the product clamps
                vec![t(1e30), t(1e30), Box::new(MinP::new(0.5).unwrap())], // and at the top
                vec![
                    Box::new(MinP::new(0.3).unwrap()),
                    t(0.2),
                    Box::new(TopK::new(3)),
                ],
            ];
            for stages in chains {
                let mut chain = Chain::new();
                for s in stages {
                    chain.push(s);
                }
                check(&x, &chain, &format!("{chain:?}"));
            }
        }
    }
}

/// Stages written against the public trait: a listed subset (which may drop the top token, so
/// the weights are taken relative to a new top) and a threshold on logits.
#[test]
fn user_stages_against_the_oracle() {
    for n in [1usize, 2, 5, 64, 300, 2000, 50_257] {
        for x in [
            common::lm_like(n, 11),
            common::flat(n, 12),
            common::ties(n, 13),
        ] {
            let mut d = common::Data::new(n as u64);
            let listed: Vec<u32> = (0..20).map(|_| d.below(n) as u32).collect();
            let chains = [
                Chain::new().then(Listed(listed.clone())),
                Chain::new()
                    .then(Temperature::new(0.7).unwrap())
                    .then(Listed(listed.clone()))
                    .then(TopP::new(0.9).unwrap()),
                Chain::new()
                    .then(TopK::new(50))
                    .then(Listed(listed.clone()))
                    .then(MinP::new(0.2).unwrap()),
                Chain::new()
                    .then(LogitFloor(-1.0))
                    .then(TopP::new(0.7).unwrap()),
                Chain::new()
                    .then(TopP::new(0.99).unwrap())
                    .then(LogitFloor(0.5))
                    .then(Temperature::new(2.0).unwrap()),
                // Nothing listed is a candidate, and an id outside the vocabulary: errors.
                Chain::new().then(Listed(vec![])),
                Chain::new().then(Listed(vec![n as u32])),
            ];
            for chain in &chains {
                check(&x, chain, &format!("{chain:?}"));
            }
        }
    }
}

/// A bias on `k` tokens of `0..n` (the top token among them), with bans and values that make a
/// low token the top.
fn bias(n: usize, seed: u64, top: u32) -> LogitBias {
    let mut d = common::Data::new(seed);
    let mut entries: Vec<(u32, f32)> = (0..8)
        .map(|i| {
            let b = match i % 4 {
                0 => f32::NEG_INFINITY,
                1 => d.uniform(-20.0, 20.0),
                2 => 40.0,
                _ => -0.5,
            };
            (d.below(n) as u32, b)
        })
        .collect();
    entries.push((top, d.uniform(-3.0, 1.0)));
    LogitBias::new(entries).unwrap()
}

/// Penalties after a history drawn from `0..n` that includes the top token.
fn penalties(n: usize, seed: u64, top: u32, r: f32, f: f32, p: f32) -> Penalties {
    let mut d = common::Data::new(seed);
    let mut pen = Penalties::new(r, f, p, Window::Last(32)).unwrap();
    for i in 0..48 {
        pen.accept(if i % 5 == 0 { top } else { d.below(n) as u32 });
    }
    pen
}

/// Logit processors (bias, bans, allowed lists, penalties) before, between and after the
/// truncation stages, against the oracle on every path.
#[test]
fn processors_against_the_oracle() {
    for n in (1..=300usize).chain([1000, 5000, 50_257, 262_144]) {
        let shapes = [
            common::lm_like(n, n as u64 + 1),
            common::flat(n, n as u64 + 2),
            common::ties(n, n as u64 + 3),
        ];
        for (s, x) in shapes.iter().enumerate() {
            let top = logits::argmax(x).unwrap() as u32;
            let seed = (n * 3 + s) as u64;
            let mut d = common::Data::new(seed);
            let listed: Vec<u32> = (0..30).map(|_| d.below(n) as u32).collect();
            let chains = [
                Chain::new().then(bias(n, seed, top)),
                Chain::new()
                    .then(bias(n, seed, top))
                    .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                    .then(Temperature::new(0.8).unwrap())
                    .then(TopK::new(40))
                    .then(TopP::new(0.95).unwrap())
                    .then(MinP::new(0.05).unwrap()),
                Chain::new()
                    .then(penalties(n, seed, top, 0.7, -0.3, -0.5))
                    .then(TopP::new(0.9).unwrap()),
                Chain::new()
                    .then(BannedTokens::new([top]))
                    .then(penalties(n, seed, top, 2.0, 0.0, 0.0))
                    .then(MinP::new(0.1).unwrap())
                    .then(Temperature::new(1.5).unwrap()),
                Chain::new()
                    .then(TopK::new(60))
                    .then(bias(n, seed, top))
                    .then(TopP::new(0.8).unwrap()),
                Chain::new()
                    .then(AllowedTokens::new(listed.clone()))
                    .then(bias(n, seed, top))
                    .then(Temperature::new(0.0).unwrap()),
                Chain::new()
                    .then(TopP::new(0.99).unwrap())
                    .then(BannedTokens::new(listed.iter().copied().take(5)))
                    .then(Temperature::new(0.6).unwrap()),
            ];
            for chain in &chains {
                check(x, chain, &format!("n {n} shape {s}: {chain:?}"));
            }
        }
    }
}

/// Quantized logits (small integers, so that most tokens tie) with a bias of whole units on
/// many tokens, which moves some onto each level and others off it, and a few bans: top-p's
/// crossing level is counted with its edited tokens, against the oracle on every path.
#[test]
fn edited_ties_against_the_oracle() {
    for n in [32_000usize, 128_256] {
        let x: Vec<f32> = common::flat(n, 7).iter().map(|v| v.round()).collect();
        let mut d = common::Data::new(n as u64);
        let entries: Vec<(u32, f32)> = (0..600)
            .map(|i| {
                let b = [-2.0, -1.0, 1.0, 2.0, f32::NEG_INFINITY][i % 5];
                (d.below(n) as u32, b)
            })
            .collect();
        for p in [0.3f32, 0.95] {
            let chain = Chain::new()
                .then(LogitBias::new(entries.clone()).unwrap())
                .then(TopP::new(p).unwrap());
            check(&x, &chain, &format!("n {n} p {p}"));
        }
    }
}

/// A tied level below the top (one token above it in every block, so that top-p cuts the tied
/// weight bucket by count), with top-p set so that the boundary is the last tied token of a
/// chunk of 1,024 tokens, or the first of the next; and the same with two tokens of the level
/// moved by `±1e-30` (the same weight, a different rank: the bucket is not one logit, which the
/// count must prove before cutting it by id): against the oracle on every path.
#[test]
fn tied_boundary_at_a_chunk_edge() {
    use logits::{
        top_p::nucleus_target,
        weight::{mass, Scaling},
    };
    let n = 32_768usize;
    let x: Vec<f32> = (0..n)
        .map(|i| match (i % 256, i % 2) {
            (0, _) => 1.0,
            (_, 0) => 0.0,
            _ => -40.0, // mass 0
        })
        .collect();
    let s = Scaling::new(1.0, 1.0);
    let (top, tied) = (mass(s.weight(1.0)), mass(s.weight(0.0)));
    let above = (n / 256) as u64 * top;
    let total = above + (n / 2 - n / 256) as u64 * tied;
    let per_chunk = (1024 / 2 - 1024 / 256) as u64;
    let needed = |p: f32| {
        nucleus_target(p, total)
            .saturating_sub(above)
            .div_ceil(tied)
    };
    for k in [1u64, 2, 7] {
        for need in [per_chunk * k, per_chunk * k + 1] {
            // The smallest `p` whose target takes `need` tied tokens.
            let mut p = ((above + (need - 2) * tied) as f64 / total as f64) as f32;
            while needed(p) < need {
                p = p.next_up();
            }
            assert_eq!(needed(p), need);
            let chain = Chain::new().then(TopP::new(p).unwrap());
            check(&x, &chain, &format!("need {need}, p {p}"));
            let mut moved = x.clone();
            (moved[30_002], moved[30_004]) = (1e-30, -1e-30);
            assert_eq!(mass(s.weight(1e-30)), tied);
            check(&moved, &chain, &format!("moved, need {need}, p {p}"));
        }
    }
}

/// A bitmask over `n` tokens: `kind` 0 allows all, 1 none but a few, 2 about half, 3 whole
/// blocks of 256 allowed or not, 4 all but a few; one word more than needed, with its bits set.
fn mask(n: usize, kind: usize, seed: u64) -> Vec<u32> {
    let mut d = common::Data::new(seed);
    let words = n.div_ceil(32) + 1;
    let mut m = vec![0u32; words];
    for i in 0..n {
        let allow = match kind {
            0 => true,
            1 => d.below(50) == 0,
            2 => d.u64() & 1 == 1,
            3 => (i / 256) % 3 != 1,
            _ => d.below(50) != 0,
        };
        if allow {
            m[i / 32] |= 1 << (i % 32);
        }
    }
    m[words - 1] = u32::MAX;
    m
}

/// Chains under a token bitmask (applied inside the passes that read the logits) equal the
/// oracle, which writes `-inf` into its copy of the logits.
#[test]
fn bitmasks_against_the_oracle() {
    for n in (1..=300usize)
        .step_by(7)
        .chain([256, 257, 1000, 5000, 50_257, 128_256])
    {
        let shapes = [
            common::lm_like(n, n as u64 + 5),
            common::flat(n, n as u64 + 6),
        ];
        for (s, x) in shapes.iter().enumerate() {
            let top = logits::argmax(x).unwrap() as u32;
            let seed = (n * 7 + s) as u64;
            let chains = [
                Chain::new(),
                Chain::new()
                    .then(Temperature::new(0.8).unwrap())
                    .then(TopK::new(40))
                    .then(TopP::new(0.95).unwrap())
                    .then(MinP::new(0.05).unwrap()),
                Chain::new().then(TopP::new(0.9).unwrap()),
                Chain::new()
                    .then(bias(n, seed, top))
                    .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                    .then(MinP::new(0.1).unwrap())
                    .then(Temperature::new(0.7).unwrap()),
                Chain::new().then(Temperature::new(0.0).unwrap()),
                Chain::new().then(LogitFloor(-2.0)),
                Chain::new().then(TopK::new(3000)),
            ];
            for kind in 0..5 {
                let m = mask(n, kind, seed);
                for chain in &chains {
                    let what = format!("n {n} shape {s} mask {kind}: {chain:?}");
                    check(Logits::new(x).with_mask(&m), chain, &what);
                }
            }
        }
    }
}

/// The mask's contract: too short is an error; a NaN or `+inf` under it is ignored, an allowed
/// one is not; a mask that allows no candidate leaves nothing to draw.
#[test]
fn bitmask_contract() {
    let mut w = Workspace::new();
    let x = vec![0.0f32; 70];
    let mut s = logits::Sampler::new(logits::SamplingParams::default()).unwrap();
    let short = [u32::MAX; 2];
    assert_eq!(
        s.sample_in(Logits::new(&x).with_mask(&short), &mut w),
        Err(logits::Error::LengthMismatch {
            expected: 3,
            found: 2
        })
    );
    let mut y = x.clone();
    y[5] = f32::NAN;
    y[40] = f32::INFINITY;
    let hide = [!(1u32 << 5), !(1u32 << 8), u32::MAX];
    assert!(s
        .sample_in(Logits::new(&y).with_mask(&hide), &mut w)
        .is_ok());
    let show_nan = [u32::MAX, !(1u32 << 8), u32::MAX];
    assert_eq!(
        s.sample_in(Logits::new(&y).with_mask(&show_nan), &mut w),
        Err(logits::Error::NanLogit { index: 5 })
    );
    let show_inf = [!(1u32 << 5), u32::MAX, u32::MAX];
    assert_eq!(
        s.sample_in(Logits::new(&y).with_mask(&show_inf), &mut w),
        Err(logits::Error::PositiveInfiniteLogit { index: 40 })
    );
    assert_eq!(
        s.sample_in(Logits::new(&x).with_mask(&[0, 0, 0]), &mut w),
        Err(logits::Error::AllMasked)
    );
    // Masked tokens are never drawn, whatever the word.
    let only = [1u32 << 7, 0, 1 << 3];
    for step in 0..200 {
        s.set_step(step);
        let t = s
            .sample_in(Logits::new(&x).with_mask(&only), &mut w)
            .unwrap()
            .token;
        assert!(t == 7 || t == 67, "{t}");
    }
}

/// `min_keep` on every truncation stage and top-k's tie rule, in chains, against the oracle;
/// on `ties` logits most boundaries fall inside a run of equal logits.
#[test]
fn min_keep_and_ties_against_the_oracle() {
    for n in (1..=300usize).chain([1000, 5000, 50_257]) {
        let shapes = [
            common::lm_like(n, n as u64 + 9),
            common::flat(n, n as u64 + 10),
            common::ties(n, n as u64 + 11),
        ];
        for (s, x) in shapes.iter().enumerate() {
            for m in [2usize, 5, 50] {
                let chains = [
                    Chain::new().then(TopK::new(3).keep_ties()),
                    Chain::new().then(TopK::new(1).min_keep(m).keep_ties()),
                    Chain::new()
                        .then(Temperature::new(0.7).unwrap())
                        .then(TopK::new(40).keep_ties())
                        .then(TopP::new(0.3).unwrap().min_keep(m))
                        .then(MinP::new(0.6).unwrap().min_keep(m)),
                    Chain::new()
                        .then(TopP::new(0.0).unwrap().min_keep(m))
                        .then(Temperature::new(2.0).unwrap()),
                    Chain::new()
                        .then(MinP::new(1.0).unwrap().min_keep(m))
                        .then(TopK::new(2).min_keep(m)),
                    Chain::new()
                        .then(TopK::new(10))
                        .then(TopP::new(0.5).unwrap().min_keep(m)),
                ];
                for chain in &chains {
                    check(x, chain, &format!("n {n} shape {s}: {chain:?}"));
                }
            }
        }
    }
}

/// The chains `chains_of(n, seed, top)` builds, against the oracle on every path, at every
/// length 1..=300 (LM-like, flat, tied and raw-bit logits) and at 32,000 to 262,144 tokens
/// (LM-like and flat, the first five chains), each also under a bitmask.
fn against_the_oracle(chains_of: impl Fn(usize, u64, u32) -> Vec<Chain>) {
    for n in (1..=300usize).chain([1000, 32_000, 50_257, 128_256, 262_144]) {
        let big = n > 1000;
        let shapes = [
            common::lm_like(n, n as u64 + 11),
            common::flat(n, n as u64 + 12),
            common::ties(n, n as u64 + 13),
            common::raw_bits(n, n as u64 + 14),
        ];
        for (s, x) in shapes.iter().enumerate() {
            if big && s >= 2 {
                continue;
            }
            let top = logits::argmax(x).unwrap() as u32;
            let seed = (n * 5 + s) as u64;
            for (c, chain) in chains_of(n, seed, top).iter().enumerate() {
                if big && c > 4 {
                    continue;
                }
                check(x, chain, &format!("n {n} shape {s}: {chain:?}"));
                let m = mask(n, c % 5, seed);
                let what = format!("n {n} shape {s} mask {}: {chain:?}", c % 5);
                check(Logits::new(x).with_mask(&m), chain, &what);
            }
        }
    }
}

/// Top-n-sigma alone, with temperature before or after it (the same set), after edits and
/// truncations (its moments are then the candidates', summed in the same order), and under a
/// bitmask: the same kept set as the oracle's plain loop, bit for bit, on every path.
#[test]
fn top_n_sigma_against_the_oracle() {
    let sigma = |n: f32| TopNSigma::new(n).unwrap();
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(sigma(1.0)),
            Chain::new()
                .then(sigma(0.5))
                .then(Temperature::new(0.7).unwrap()),
            Chain::new()
                .then(Temperature::new(1.6).unwrap())
                .then(sigma(2.5)),
            Chain::new().then(sigma(3.0)).then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(sigma(1.0)),
            Chain::new().then(TopK::new(40)).then(sigma(0.3)),
            Chain::new().then(TopP::new(0.95).unwrap()).then(sigma(1.5)),
            Chain::new().then(sigma(0.0)),
        ]
    });
}

/// Epsilon at several temperatures and cutoffs, with `min_keep`, after edits and truncations,
/// and before top-p: the same kept set as the oracle, on every path.
#[test]
fn epsilon_against_the_oracle() {
    let eps = |e: f32| Epsilon::new(e).unwrap();
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(eps(3e-4)),
            Chain::new()
                .then(Temperature::new(0.7).unwrap())
                .then(eps(0.01)),
            Chain::new()
                .then(Temperature::new(1.8).unwrap())
                .then(eps(1e-3).min_keep(5)),
            Chain::new().then(eps(0.05)).then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(eps(1e-3)),
            Chain::new().then(TopK::new(40)).then(eps(0.02)),
            Chain::new()
                .then(TopP::new(0.95).unwrap())
                .then(eps(0.1).min_keep(2)),
            Chain::new().then(eps(0.0)),
        ]
    });
}

/// Eta at several temperatures and cutoffs (its entropy, in one fixed order of sums, then the
/// epsilon rule), with `min_keep`, after edits and truncations: the same kept set as the oracle,
/// on every path.
#[test]
fn eta_against_the_oracle() {
    let eta = |e: f32| Eta::new(e).unwrap();
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(eta(3e-4)),
            Chain::new()
                .then(Temperature::new(0.7).unwrap())
                .then(eta(2e-3)),
            Chain::new()
                .then(Temperature::new(1.8).unwrap())
                .then(eta(0.02).min_keep(5)),
            Chain::new().then(eta(0.2)).then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(eta(1e-3)),
            Chain::new().then(TopK::new(40)).then(eta(0.05)),
            Chain::new()
                .then(TopP::new(0.95).unwrap())
                .then(eta(0.1).min_keep(2)),
            Chain::new().then(eta(0.0)),
        ]
    });
}

/// Dynamic temperature (its count and entropy, then a temperature) alone, around truncations,
/// after edits and twice: the same set and probabilities as the oracle, on every path.
#[test]
fn dynamic_temperature_against_the_oracle() {
    let dyn_t = |t: f32, d: f32, e: f32| DynamicTemperature::new(t, d, e).unwrap();
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(dyn_t(1.0, 0.5, 1.0)),
            Chain::new().then(TopK::new(40)).then(dyn_t(0.8, 0.6, 2.0)),
            Chain::new()
                .then(dyn_t(0.3, 0.5, 0.5))
                .then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(MinP::new(0.05).unwrap())
                .then(dyn_t(0.7, 0.7, 1.0)),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(dyn_t(1.2, 0.4, 1.0)),
            Chain::new()
                .then(dyn_t(1.0, 0.5, 1.0))
                .then(dyn_t(0.5, 0.5, 3.0)),
            Chain::new().then(dyn_t(0.0, 0.0, 1.0)),
            Chain::new().then(dyn_t(0.9, 0.0, 1.0)),
        ]
    });
}

/// Typical sampling with both rules, at several temperatures and masses, with `min_keep`,
/// after edits and truncations (its top token may go, so the weights change their reference):
/// the same set as the oracle, on every path.
#[test]
fn typical_against_the_oracle() {
    let typ = |p: f32| Typical::new(p).unwrap();
    let hf = |p: f32| Typical::new(p).unwrap().rule(TypicalRule::HuggingFace);
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(typ(0.9)),
            Chain::new()
                .then(Temperature::new(0.7).unwrap())
                .then(hf(0.5)),
            Chain::new()
                .then(Temperature::new(1.5).unwrap())
                .then(typ(0.2).min_keep(5)),
            Chain::new().then(hf(0.95)).then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(typ(0.5)),
            Chain::new().then(TopK::new(40)).then(hf(0.3).min_keep(2)),
            Chain::new()
                .then(TopP::new(0.95).unwrap())
                .then(typ(0.6))
                .then(MinP::new(0.1).unwrap()),
            Chain::new().then(typ(0.0)),
            Chain::new().then(hf(1.0)),
        ]
    });
}

/// XTC (always firing, and at 0.5 with its own word deciding the same way on both sides) at
/// several thresholds and temperatures, with `min_keep`, after edits and truncations, and
/// before other stages (which then see a new top): the same set as the oracle, on every path.
#[test]
fn xtc_against_the_oracle() {
    let xtc = |p: f32, t: f32| Xtc::new(p, t).unwrap();
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(xtc(1.0, 0.1)),
            Chain::new()
                .then(Temperature::new(0.6).unwrap())
                .then(xtc(1.0, 0.05)),
            Chain::new()
                .then(xtc(1.0, 0.002).min_keep(3))
                .then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(MinP::new(0.02).unwrap())
                .then(xtc(0.5, 0.1))
                .then(Temperature::new(0.8).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(xtc(1.0, 0.01)),
            Chain::new().then(TopK::new(40)).then(xtc(1.0, 0.0)),
            Chain::new()
                .then(xtc(1.0, 0.1))
                .then(xtc(1.0, 0.1))
                .then(TopK::new(5)),
            Chain::new().then(xtc(1.0, 0.6)),
        ]
    });
}

/// Mirostat v1 and v2 with their state moved by observed draws (high and low surprises), after
/// temperature, edits and truncations: the same set as the oracle, on every path.
#[test]
fn mirostat_against_the_oracle() {
    // A state moved by a few observed draws of probability `p`.
    let v2 = |tau: f32, p: f32| {
        let mut m = MirostatV2::new(tau, 0.5).unwrap();
        for _ in 0..3 {
            m.observe(&Sample::new(0, p));
        }
        m
    };
    let v1 = |tau: f32, p: f32| {
        let mut m = Mirostat::new(tau, 0.5).unwrap();
        for _ in 0..3 {
            m.observe(&Sample::new(0, p));
        }
        m
    };
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(v2(5.0, 0.5)),
            // μ ≈ 27.8: a bound of about 2^-28, which most blocks reach (a wide prefix).
            Chain::new().then(v2(8.0, 0.9)),
            Chain::new()
                .then(Temperature::new(0.8).unwrap())
                .then(v1(5.0, 0.01)),
            Chain::new()
                .then(Temperature::new(1.5).unwrap())
                .then(v2(2.0, 0.001)),
            Chain::new()
                .then(TopP::new(0.9).unwrap())
                .then(v1(3.0, 0.3).m(20).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(v2(4.0, 0.1)),
            Chain::new().then(TopK::new(40)).then(v1(8.0, 0.9)),
            Chain::new()
                .then(MinP::new(0.01).unwrap())
                .then(v1(1.0, 1e-6)),
            Chain::new().then(v2(0.5, 1e-9)),
        ]
    });
}

/// DRY after a history drawn from `0..n` full of repeats: a phrase holding `top` said three
/// times between random tokens, then its start again, so that `top` (and the phrase's other
/// tokens) continue repeats of several lengths; every fifth history also ends on a breaker.
fn dry(n: usize, seed: u64, top: u32, m: f32, b: f32, a: usize, window: Window) -> Dry {
    let mut d = common::Data::new(seed);
    let phrase: Vec<u32> = (0..9)
        .map(|i| if i == 4 { top } else { d.below(n) as u32 })
        .collect();
    let breaker = d.below(n) as u32;
    let mut dry = Dry::new(m, b, a, window)
        .unwrap()
        .sequence_breakers([vec![breaker], vec![phrase[6], phrase[7]]]);
    let mut accept = |t: u32| dry.accept(t);
    for round in 0..3 {
        for _ in 0..d.below(12) {
            accept(d.below(n) as u32);
        }
        for (i, &t) in phrase.iter().enumerate() {
            if round > 0 || i != 2 {
                accept(t);
            }
        }
    }
    for &t in &phrase[..4] {
        accept(t);
    }
    if seed.is_multiple_of(5) {
        accept(breaker);
    }
    dry
}

/// DRY alone (with and without breakers, clamped exponents, penalties that overflow to `-inf`,
/// a history id outside the vocabulary) and inside chains with temperature, top-k, top-p, min-p
/// and penalties, against the oracle on every path.
#[test]
fn dry_against_the_oracle() {
    against_the_oracle(|n, seed, top| {
        let mut outside = Dry::new(1.0, 1.75, 2, Window::Last(8)).unwrap();
        for t in [0, 0, n as u32, 0, 0] {
            outside.accept(t);
        }
        vec![
            Chain::new().then(dry(n, seed, top, 0.8, 1.75, 2, Window::All)),
            Chain::new()
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(dry(n, seed, top, 1.5, 1.1, 2, Window::Last(24)))
                .then(TopK::new(40))
                .then(TopP::new(0.95).unwrap())
                .then(MinP::new(0.05).unwrap())
                .then(Temperature::new(0.8).unwrap()),
            Chain::new()
                .then(Temperature::new(0.7).unwrap())
                .then(dry(n, seed, top, 3.0, 2.0, 1, Window::All))
                .then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(TopK::new(40))
                .then(dry(n, seed, top, 0.5, 1.0, 0, Window::Last(64)))
                .then(MinP::new(0.1).unwrap()),
            Chain::new()
                .then(dry(n, seed, top, 1e30, 10.0, 2, Window::All))
                .then(Temperature::new(1.5).unwrap()),
            Chain::new().then(outside),
            Chain::new()
                .then(bias(n, seed, top))
                .then(dry(n, seed, top, 0.8, 1.75, 3, Window::Last(12)))
                .then(Temperature::new(0.0).unwrap()),
            Chain::new().then(dry(n, seed, top, 0.0, 1.75, 2, Window::All)),
        ]
    });
}

/// Top-h at several budgets and temperatures, with `min_keep`, after edits and truncations:
/// the same set as the oracle, on every path.
#[test]
fn top_h_against_the_oracle() {
    let top_h = |a: f32| TopH::new(a).unwrap();
    against_the_oracle(|n, seed, top| {
        vec![
            Chain::new().then(top_h(0.9)),
            Chain::new()
                .then(Temperature::new(0.7).unwrap())
                .then(top_h(0.5)),
            Chain::new()
                .then(Temperature::new(1.6).unwrap())
                .then(top_h(0.2).min_keep(4)),
            Chain::new().then(top_h(1.0)).then(TopP::new(0.9).unwrap()),
            Chain::new()
                .then(bias(n, seed, top))
                .then(penalties(n, seed, top, 1.3, 0.2, 0.1))
                .then(top_h(0.6)),
            Chain::new().then(TopK::new(40)).then(top_h(0.3)),
            Chain::new().then(MinP::new(0.05).unwrap()).then(top_h(0.8)),
        ]
    });
}
