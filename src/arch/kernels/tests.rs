//! The kernels against their scalar definitions, on every path: the validating pass's block
//! maxima, the listings at or above a bound, the counts of ranked and tied tokens and the
//! selection of the block maxima's keys, and top-p's passes over its sample of the weights.

use super::BLOCK;
use crate::arch::{self, SimdPath};
use alloc::vec::Vec;

/// Logits with NaN, infinities and zeros of both signs among ordinary values; a mask with
/// blocks of every kind (none allowed, all allowed, mixed, one token allowed).
fn data(n: usize, state: &mut u64) -> (Vec<f32>, Vec<u32>) {
    let mut next = || {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    };
    let x = (0..n)
        .map(|_| match next() % 64 {
            0 => f32::NAN,
            1 => f32::NEG_INFINITY,
            2 => f32::INFINITY,
            3 => -0.0,
            4 => 0.0,
            _ => (next() % 20_000) as f32 / 100.0 - 100.0,
        })
        .collect();
    let mut mask: Vec<u32> = (0..n.div_ceil(32)).map(|_| next() as u32).collect();
    for (b, words) in mask.chunks_mut(BLOCK / 32).enumerate() {
        match b % 4 {
            0 => words.fill(0),
            1 => words.fill(u32::MAX),
            2 => {
                words.fill(0);
                words[0] = 1 << (b % 32);
            }
            _ => {}
        }
    }
    (x, mask)
}

/// The definition: the largest allowed non-NaN logit of each block (`-inf` if none).
fn block_maxima(x: &[f32], kept: impl Fn(usize) -> bool) -> Vec<f32> {
    (0..x.len().div_ceil(BLOCK))
        .map(|b| {
            (b * BLOCK..x.len().min((b + 1) * BLOCK))
                .filter(|&i| kept(i))
                .fold(f32::NEG_INFINITY, |m, i| if x[i] > m { x[i] } else { m })
        })
        .collect()
}

/// Values compared with `==` (every order of the maxima gives the same value, of either
/// sign when it is zero).
fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[test]
fn block_maxima_follow_their_definition_on_every_path() {
    let mut state = 9u64;
    let sizes = (0..=40).chain([
        255,
        256,
        257,
        4095,
        4096,
        4097,
        16 * BLOCK * 3 + 5 * BLOCK + 3,
    ]);
    for n in sizes {
        let (mut x, mask) = data(n, &mut state);
        for nan in [true, false] {
            if !nan {
                x.iter_mut().filter(|v| v.is_nan()).for_each(|v| *v = 1.5);
            }
            let allowed = |i: usize| (mask[i / 32] >> (i % 32)) & 1 == 1;
            let plain = block_maxima(&x, |i| !x[i].is_nan());
            let masked = block_maxima(&x, |i| !x[i].is_nan() && allowed(i));
            let top = |m: &[f32]| m.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let any_nan = x.iter().any(|v| v.is_nan());
            let nan_allowed = (0..n).any(|i| x[i].is_nan() && allowed(i));
            let mut edited = alloc::vec![0u64; n.div_ceil(64)];
            for i in (0..n).step_by(3) {
                edited[i / 64] |= 1 << (i % 64);
            }
            for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                let what = alloc::format!("n {n}, NaN {nan}, {path:?}");
                if !nan {
                    // A single NaN, wherever it is, raises the flag.
                    for at in (0..n).step_by(7).chain(n.checked_sub(1)) {
                        let mut y = x.clone();
                        y[at] = f32::NAN;
                        let all = alloc::vec![u32::MAX; mask.len()];
                        let mut got = Vec::new();
                        assert!(arch::scan(path, &y[..], &mut got).maybe_nan, "{what} {at}");
                        let masked = arch::scan_masked(path, &y[..], &all, &mut got);
                        assert!(masked.maybe_nan, "{what} {at}, masked");
                        assert!(arch::max(path, &y[..]).maybe_nan, "{what} {at}, max");
                    }
                }
                let mut got = Vec::new();
                let out = arch::scan(path, &x[..], &mut got);
                assert!(same(&got, &plain), "{what}");
                assert_eq!(out.max, top(&plain), "{what}");
                assert!(out.maybe_nan || !any_nan, "{what}");
                let out = arch::scan_masked(path, &x[..], &mask, &mut got);
                assert!(same(&got, &masked), "{what}, masked");
                assert_eq!(out.max, top(&masked), "{what}, masked");
                assert!(out.maybe_nan || !nan_allowed, "{what}, masked");
                let out = arch::max(path, &x[..]);
                assert_eq!(out.max, top(&plain), "{what}, max");
                assert!(out.maybe_nan || !any_nan, "{what}, max");
                for m in [&[][..], &mask[..]] {
                    let want = block_maxima(&x, |i| {
                        !x[i].is_nan()
                            && (m.is_empty() || allowed(i))
                            && (edited[i / 64] >> (i % 64)) & 1 == 0
                    });
                    // Every block, then every other one (the rest left as they were).
                    let all: Vec<u32> = (0..want.len() as u32).collect();
                    let odd: Vec<u32> = all.iter().copied().filter(|b| b % 2 == 1).collect();
                    for blocks in [&all, &odd] {
                        let mut got = vec![f32::NAN; want.len()];
                        arch::blocks_max_unedited(path, &x[..], &edited, m, blocks, &mut got);
                        for (b, (&g, &w)) in got.iter().zip(&want).enumerate() {
                            let listed = blocks.contains(&(b as u32));
                            let ok = if listed { g == w } else { g.is_nan() };
                            assert!(ok, "{what}, unedited block {b}: {g} against {w}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn listings_follow_their_definition_on_every_path() {
    let mut state = 11u64;
    for n in (0..=40).chain([255, 256, 257, 4095, 4097, 16 * BLOCK * 3 + 5 * BLOCK + 3]) {
        let (mut x, _) = data(n, &mut state);
        x.iter_mut().filter(|v| v.is_nan()).for_each(|v| *v = 2.5);
        let mut block_max = Vec::new();
        arch::scan(SimdPath::Portable, &x[..], &mut block_max);
        // Bounds equal to logits present (ties at the bound), and the extremes.
        let bounds = x
            .iter()
            .step_by(97)
            .copied()
            .chain([f32::NEG_INFINITY, f32::MIN, 0.0]);
        for t in bounds.collect::<Vec<_>>() {
            let want: Vec<u32> = (0..n as u32)
                .filter(|&i| x[i as usize] >= t.max(f32::MIN))
                .collect();
            let s = crate::weight::Scaling::new(100.0, 0.7);
            let z_min = s.z(t);
            let scaled: Vec<u32> = (0..n as u32)
                .filter(|&i| s.z(x[i as usize]) >= z_min)
                .collect();
            for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                let mut got = Vec::new();
                arch::collect_at_least(path, &x[..], &block_max, t, &mut got);
                assert_eq!(got, want, "n {n}, t {t}, {path:?}");
                got.clear();
                arch::collect_scaled_at_least(path, &x[..], &block_max, s, z_min, &mut got);
                assert_eq!(got, scaled, "n {n}, z_min {z_min}, {path:?}");
            }
        }
    }
}

#[test]
fn counts_follow_their_definition_on_every_path() {
    let mut state = 17u64;
    for n in (0..=40).chain([255, 256, 257, 4097, 16 * BLOCK * 3 + 5 * BLOCK + 3]) {
        let (x, words) = data(n, &mut state);
        // Few values, so that many tokens tie; no NaN (the kernels' callers have none).
        let x: Vec<f32> = x
            .iter()
            .map(|&v| if v.is_nan() { 1.0 } else { (v / 40.0).round() })
            .collect();
        let mut block_max = Vec::new();
        arch::scan_masked(SimdPath::Portable, &x[..], &words, &mut block_max);
        let masks: [&[u32]; 2] = [&[], &words];
        for (mask, block_max) in masks.into_iter().zip([&[][..], &block_max[..]]) {
            let allowed = |i: usize| mask.is_empty() || (mask[i / 32] >> (i % 32)) & 1 != 0;
            let values = x
                .iter()
                .step_by(31)
                .copied()
                .chain([f32::NEG_INFINITY, 0.0, -0.0]);
            for v in values.collect::<Vec<_>>() {
                let equal = (0..n).filter(|&i| allowed(i) && x[i] == v).count() as u64;
                for id in [0, 1, n / 2, n.saturating_sub(1), n] {
                    let before = (0..n)
                        .filter(|&i| allowed(i) && (x[i] > v || (x[i] == v && i < id)))
                        .count() as u64;
                    for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                        let what = format!("n {n}, x {v}, id {id}, mask {}, {path:?}", mask.len());
                        let got =
                            arch::count_ranked_before(path, &x[..], block_max, mask, v, id as u32);
                        assert_eq!(got, before, "{what}");
                        assert_eq!(
                            arch::count_equal(path, &x[..], block_max, mask, v),
                            equal,
                            "{what}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn weight_listings_follow_their_definition_on_every_path() {
    let mut state = 13u64;
    for n in (0..=40).chain([255, 256, 257, 4095, 4097, 16 * BLOCK * 3 + 5 * BLOCK + 3]) {
        let (x, _) = data(n, &mut state);
        // Weights in [0, 1], many equal (the bounds below are weights present).
        let w: Vec<f32> = x
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    0.5
                } else {
                    (v.abs() / 200.0).min(1.0)
                }
            })
            .collect();
        // Block tops: the true maximum, a larger bound, or one below every weight of the block
        // (which must then be skipped), and for some lengths two entries short (those blocks read).
        let blocks = n.div_ceil(BLOCK);
        let tops: Vec<f32> = (0..blocks)
            .map(|b| {
                let m = w[b * BLOCK..n.min((b + 1) * BLOCK)]
                    .iter()
                    .fold(0.0f32, |a, &v| a.max(v));
                match b % 3 {
                    0 => m,
                    1 => m + 0.25,
                    _ => -1.0,
                }
            })
            .take(if n % 2 == 1 {
                blocks.saturating_sub(2)
            } else {
                blocks
            })
            .collect();
        let bounds = w
            .iter()
            .step_by(89)
            .copied()
            .chain([0.0, 1.0])
            .collect::<Vec<_>>();
        for (&lo, &hi) in bounds.iter().zip(bounds.iter().skip(1).chain([&2.0])) {
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            let within = |i: usize| w[i] >= lo && w[i] < hi;
            let want: Vec<u32> = (0..n).filter(|&i| within(i)).map(|i| i as u32).collect();
            let read = |i: usize| tops.get(i / BLOCK).is_none_or(|&t| t >= lo);
            let below: Vec<u32> = (0..n)
                .filter(|&i| within(i) && read(i))
                .map(|i| i as u32)
                .collect();
            for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                let (l, h) = (lo.to_bits(), hi.to_bits());
                let mut got = Vec::new();
                arch::collect_weight_bits(path, &w, l, h, &mut got);
                assert_eq!(got, want, "n {n}, [{lo}, {hi}), {path:?}");
                got.clear();
                arch::collect_weight_bits_below_top(path, &w, &tops, l, h, &mut got);
                assert_eq!(got, below, "n {n}, [{lo}, {hi}) below tops, {path:?}");
            }
        }
    }
}

/// The selection returns the `k`-th smallest key and leaves the `k + 1` smallest first, on
/// every path: random keys, few distinct keys, all equal, both sorted orders, and an organ pipe
/// (which the median of three splits badly), at lengths around the vector width and the small
/// cutoff, and every `k` or a spread of them.
#[test]
fn selection_follows_its_definition_on_every_path() {
    let mut state = 23u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let mut tmp = Vec::new();
    for n in (1..=70).chain([125, 197, 501, 1024, 4097]) {
        let inputs: [Vec<u32>; 6] = [
            (0..n).map(|_| next()).collect(),
            (0..n).map(|_| next() % 5).collect(),
            alloc::vec![7; n],
            (0..n as u32).collect(),
            (0..n as u32).rev().collect(),
            (0..n as u32).map(|i| i.min(n as u32 - 1 - i)).collect(),
        ];
        for keys in inputs {
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            let ks: Vec<usize> = if n <= 70 {
                (0..n).collect()
            } else {
                (0..n).step_by(n / 17).chain([n - 1]).collect()
            };
            for k in ks {
                for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                    let mut got = keys.clone();
                    let kth = arch::kth_smallest(path, &mut got, &mut tmp, k);
                    assert_eq!(kth, sorted[k], "n {n}, k {k}, {path:?}");
                    let mut first = got[..=k].to_vec();
                    first.sort_unstable();
                    assert_eq!(first, sorted[..=k], "n {n}, k {k}, {path:?}");
                }
            }
        }
    }
}

/// Top-p's sample passes: the count at or above an edge is exact, and the sum below it is the
/// f64 sum to within the f32 lanes' rounding, with the same bits on every path.
#[test]
fn sample_passes_follow_their_definition_on_every_path() {
    let mut state = 29u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    for n in (0..=130).chain([1000, 8192, 8193]) {
        // Every seventh weight is one of the edges, which the comparisons must place right.
        let sample: Vec<f32> = (0..n)
            .map(|i| match i % 7 {
                0 => [0.1, 0.25, 0.5, 1.0][i / 7 % 4],
                _ => next() * next(),
            })
            .collect();
        for edge in [0.0, 1e-3, 0.1, 0.25, 0.5, 0.99, 1.0, 2.0] {
            let count = sample.iter().filter(|&&v| v >= edge).count();
            let sum: f64 = sample
                .iter()
                .filter(|&&v| v < edge)
                .map(|&v| f64::from(v))
                .sum();
            let portable = arch::sample_sum_below(SimdPath::Portable, &sample, edge);
            assert!((portable - sum).abs() <= 1e-5 * sum, "n {n}, edge {edge}");
            for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                let what = format!("n {n}, edge {edge}, {path:?}");
                assert_eq!(
                    arch::sample_count_at_least(path, &sample, edge),
                    count,
                    "{what}"
                );
                let got = arch::sample_sum_below(path, &sample, edge);
                assert_eq!(got.to_bits(), portable.to_bits(), "{what}");
            }
        }
    }
}
