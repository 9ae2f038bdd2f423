//! Batched logit edits (`Candidates::update_logits`) against the same edits made one by one
//! (`update_logit`): the same logits, candidates, top and errors, whatever the ids (repeated,
//! masked, removed, outside the vocabulary), the values (bans, NaN) and the set before them;
//! and the count of candidates before and after edits.

mod common;

use common::{config, raw_logits, realistic_logits};
use logits::{Candidates, Logits, TopK, Workspace};
use proptest::prelude::*;

/// An edit: a token (possibly outside the vocabulary) and what `f` does to its logit.
#[derive(Clone, Copy, Debug)]
enum Op {
    Add(f32),
    Scale(f32),
    Ban,
    Nan,
}

fn apply(x: f32, op: Op) -> f32 {
    match op {
        Op::Add(b) => x + b,
        Op::Scale(r) => x * r,
        Op::Ban => f32::NEG_INFINITY,
        Op::Nan => f32::NAN,
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (-8.0f32..8.0).prop_map(Op::Add),
        3 => (0.1f32..3.0).prop_map(Op::Scale),
        1 => Just(Op::Ban),
        1 => Just(Op::Nan),
    ]
}

/// What a candidate set shows after the edits: each logit's bits, the ids, the top, and the
/// distribution's probabilities or error.
fn seen(mut c: Candidates<'_>, n: usize) -> (Vec<u32>, Vec<u32>, u32, Result<Vec<u32>, String>) {
    let logits = (0..n as u32).map(|i| c.logit(i).to_bits()).collect();
    let ids = c.ids().collect();
    let top = c.top();
    let d = c
        .into_distribution()
        .map(|d| d.iter().map(|(_, p)| p.to_bits()).collect())
        .map_err(|e| e.to_string());
    (logits, ids, top, d)
}

/// Edits `x` (under `mask`, after top-k `k` when given) in one batch and one by one.
fn both_ways(x: &[f32], mask: Option<&[u32]>, k: Option<usize>, edits: &[(u32, Op)]) {
    let n = x.len();
    let input = match mask {
        Some(m) => Logits::new(x).with_mask(m),
        None => Logits::new(x),
    };
    let mut ws_batch = Workspace::new();
    let mut ws_single = Workspace::new();
    let (Ok(mut batch), Ok(mut single)) = (
        Candidates::new(input, &mut ws_batch),
        Candidates::new(input, &mut ws_single),
    ) else {
        return;
    };
    if let Some(k) = k {
        batch.apply(&TopK::new(k));
        single.apply(&TopK::new(k));
    }
    batch.update_logits(edits, apply);
    for &(id, op) in edits {
        single.update_logit(id, |x| apply(x, op));
    }
    let (b, s) = (seen(batch, n), seen(single, n));
    for i in 0..n {
        assert_eq!(b.0[i], s.0[i], "logit {i} after {edits:?}");
    }
    assert_eq!((&b.1, b.2, &b.3), (&s.1, s.2, &s.3), "edits {edits:?}");
}

fn edits(n: usize) -> impl Strategy<Value = Vec<(u32, Op)>> {
    prop::collection::vec((0..n as u32 + 3, op()), 0..200)
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn batched_edits_equal_edits_one_by_one(
        (x, e, mask_seed, k) in realistic_logits(300)
            .prop_flat_map(|x| { let n = x.len(); (Just(x), edits(n), any::<u64>(), 0..4usize) })
    ) {
        let mask: Vec<u32> = (0..x.len().div_ceil(32))
            .map(|i| (mask_seed.rotate_left(i as u32 * 7) as u32) | 1)
            .collect();
        let k = [None, Some(1), Some(5), Some(40)][k];
        both_ways(&x, None, k, &e);
        both_ways(&x, Some(&mask), k, &e);
    }

    #[test]
    fn batched_edits_on_raw_bits(
        (x, e) in raw_logits(300).prop_flat_map(|x| { let n = x.len(); (Just(x), edits(n)) })
    ) {
        both_ways(&x, None, None, &e);
        both_ways(&x, None, Some(3), &e);
    }
}

/// A whole vocabulary with hundreds of edits, many in the same blocks, repeated.
#[test]
fn batched_edits_at_vocabulary_size() {
    for (n, seed) in [(32_000, 1), (128_256, 2)] {
        let x = common::lm_like(n, seed);
        let mut d = common::Data::new(seed);
        let edits: Vec<(u32, Op)> = (0..600)
            .map(|i| {
                let id = if i % 3 == 0 { d.below(512) } else { d.below(n) } as u32;
                let op = match i % 4 {
                    0 => Op::Add(d.uniform(-5.0, 5.0)),
                    1 => Op::Scale(d.uniform(0.5, 1.5)),
                    2 => Op::Add(-0.25),
                    _ => Op::Scale(1.0 / 1.1),
                };
                (id, op)
            })
            .collect();
        both_ways(&x, None, None, &edits);
        both_ways(&x, None, Some(40), &edits);
    }
}

/// `len` over a whole vocabulary counts the tokens the mask allows whose logit is above `-inf`
/// (`f32::MIN` and `-0.0` included), less those an edit banned; an edit to a token that is
/// not a candidate leaves it out.
#[test]
fn len_counts_the_candidates() {
    let mut state = 5u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    for n in (1..=70usize).chain([255, 256, 257, 1000, 4097]) {
        let x: Vec<f32> = (0..n)
            .map(|_| match next() % 8 {
                0 => f32::NEG_INFINITY,
                1 => f32::MIN,
                2 => -0.0,
                3 => f32::MAX,
                _ => (next() % 2000) as f32 / 100.0 - 10.0,
            })
            .collect();
        let mask: Vec<u32> = (0..n.div_ceil(32)).map(|_| next() as u32).collect();
        let banned: Vec<u32> = (0..n as u32).filter(|_| next() % 5 == 0).collect();
        let raised: Vec<u32> = (0..n as u32).filter(|_| next() % 7 == 0).collect();
        for masked in [false, true] {
            let allowed = |i: usize| !masked || (mask[i / 32] >> (i % 32)) & 1 == 1;
            let candidate = |i: usize| allowed(i) && x[i] != f32::NEG_INFINITY;
            let mut workspace = Workspace::new();
            let input = match masked {
                true => Logits::new(&x).with_mask(&mask),
                false => Logits::new(&x),
            };
            let Ok(mut c) = Candidates::new(input, &mut workspace) else {
                assert!((0..n).all(|i| !candidate(i)), "n {n}");
                continue;
            };
            let want = (0..n).filter(|&i| candidate(i)).count();
            assert_eq!(c.len(), want, "n {n}, masked {masked}");
            for &id in &raised {
                c.edit_logit(id, 1.0);
            }
            for &id in &banned {
                c.edit_logit(id, f32::NEG_INFINITY);
            }
            let want = (0..n)
                .filter(|&i| candidate(i) && !banned.contains(&(i as u32)))
                .count();
            assert_eq!(c.len(), want, "n {n}, masked {masked}, after edits");
        }
    }
}
