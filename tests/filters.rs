//! Each filter keeps exactly the set its definition names: compared as sets with the
//! sort-based oracle at every length 1..=300 and at real vocabulary sizes, plus hand-computed
//! boundary cases and the monotonicity of each filter in its parameter.

mod common;

use logits::{min_p, reference, top_k, top_p, Error};
use proptest::prelude::*;

fn shapes(n: usize, seed: u64) -> [Vec<f32>; 4] {
    [
        common::lm_like(n, seed),
        common::flat(n, seed),
        common::ties(n, seed),
        common::raw_bits(n, seed),
    ]
}

#[test]
fn every_length_against_the_oracle() {
    for n in 1..=300usize {
        for x in shapes(n, n as u64) {
            for k in [0, 1, 2, 7, n.saturating_sub(1), n, n + 5] {
                assert_eq!(
                    top_k(&x, k).unwrap(),
                    reference::top_k(&x, k).unwrap(),
                    "n {n} k {k}"
                );
            }
            for t in [0.5f32, 1.0, 1.7] {
                for p in [0.0f32, 0.1, 0.5, 0.9, 0.95, 0.999, 1.0] {
                    assert_eq!(
                        top_p(&x, t, p).unwrap(),
                        reference::top_p(&x, t, p).unwrap(),
                        "n {n} T {t} p {p}"
                    );
                }
                for m in [0.0f32, 0.01, 0.05, 0.5, 1.0] {
                    assert_eq!(
                        min_p(&x, t, m).unwrap(),
                        reference::min_p(&x, t, m).unwrap(),
                        "n {n} T {t} min_p {m}"
                    );
                }
            }
        }
    }
}

#[test]
fn vocabulary_sizes_against_the_oracle() {
    for &n in &[32_000usize, 50_257, 128_256, 151_936, 262_144] {
        for x in [common::lm_like(n, 1), common::flat(n, 2)] {
            for k in [1, 40, 1000] {
                assert_eq!(
                    top_k(&x, k).unwrap(),
                    reference::top_k(&x, k).unwrap(),
                    "n {n}"
                );
            }
            for (t, p) in [(0.8f32, 0.95f32), (1.0, 0.5), (1.5, 0.9)] {
                assert_eq!(
                    top_p(&x, t, p).unwrap(),
                    reference::top_p(&x, t, p).unwrap(),
                    "n {n}"
                );
            }
            for (t, m) in [(0.8f32, 0.05f32), (1.0, 0.1), (2.0, 0.01)] {
                assert_eq!(
                    min_p(&x, t, m).unwrap(),
                    reference::min_p(&x, t, m).unwrap(),
                    "n {n}"
                );
            }
        }
    }
}

/// A wide nucleus is kept as "every token ranked at or before the boundary" instead of a list;
/// a filter applied after it, in any order, still keeps the set the definitions name, on every
/// path. The oracle: top-k and top-p keep prefixes of the ranking, so the survivors of both are
/// the shorter prefix; top-p then min-p is the reference chain.
#[test]
fn filters_after_a_wide_nucleus() {
    use logits::{Candidates, MinP, SamplingParams, SimdPath, Temperature, TopK, TopP, Workspace};
    for &n in &[50_257usize, 262_144] {
        let x = common::flat(n, 5);
        let (t, p) = (0.8f32, 0.95f32);
        let nucleus = reference::top_p(&x, t, p).unwrap();
        assert!(
            nucleus.len() > 10_000,
            "the nucleus must be wide: {}",
            nucleus.len()
        );
        for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
            let mut workspace = Workspace::new();
            let temperature = Temperature::new(t).unwrap();
            let top_p = TopP::new(p).unwrap();

            let mut c = Candidates::with_path(&x, &mut workspace, path).unwrap();
            c.apply(&temperature);
            c.apply(&top_p);
            assert_eq!(c.len(), nucleus.len(), "{path:?}");
            assert_eq!(c.ids().collect::<Vec<_>>(), nucleus, "{path:?}");

            for k in [1, 40, 20_000] {
                let mut c = Candidates::with_path(&x, &mut workspace, path).unwrap();
                c.apply(&temperature);
                c.apply(&top_p);
                c.apply(&TopK::new(k));
                let top_k = reference::top_k(&x, k).unwrap();
                let want: Vec<u32> = nucleus
                    .iter()
                    .copied()
                    .filter(|i| top_k.binary_search(i).is_ok())
                    .collect();
                assert_eq!(c.ids().collect::<Vec<_>>(), want, "{path:?} k {k}");
            }

            for m in [0.01f32, 0.3] {
                let mut c = Candidates::with_path(&x, &mut workspace, path).unwrap();
                c.apply(&temperature);
                c.apply(&top_p);
                c.apply(&MinP::new(m).unwrap());
                let params = SamplingParams::default().temperature(t).top_p(p).min_p(m);
                let want = reference::masses_of_params(&x, &params).unwrap();
                let got: Vec<u32> = c.ids().collect();
                assert_eq!(got.len(), want.len(), "{path:?} min_p {m}");
                assert!(
                    got.iter().zip(&want).all(|(a, (b, _))| a == b),
                    "{path:?} min_p {m}"
                );
            }
        }
    }
}

#[test]
fn top_k_by_definition() {
    // Ties broken by the lower id.
    assert_eq!(top_k(&[1.0, 1.0, 1.0], 2).unwrap(), vec![0, 1]);
    assert_eq!(top_k(&[0.0, 2.0, 1.0, 2.0, 2.0], 2).unwrap(), vec![1, 3]);
    // k = 0 keeps every unmasked token; k never returns a masked one.
    let x = [0.0, f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY];
    assert_eq!(top_k(&x, 0).unwrap(), vec![0, 2]);
    assert_eq!(top_k(&x, 3).unwrap(), vec![0, 2]);
    assert_eq!(top_k(&x, 1).unwrap(), vec![2]);
    // Exactly min(k, n_unmasked), for many k, on data with masks and ties.
    let x = common::ties(1000, 5);
    let unmasked = x.iter().filter(|&&v| v != f32::NEG_INFINITY).count();
    for k in [1, 2, 3, 10, 100, 500, 999, 1000, 5000] {
        let kept = top_k(&x, k).unwrap();
        assert_eq!(kept.len(), k.min(unmasked));
        assert!(kept.iter().all(|&i| x[i as usize] != f32::NEG_INFINITY));
    }
}

#[test]
fn top_p_by_definition() {
    // probabilities 0.4, 0.3, 0.2, 0.1: the crossing token is kept.
    let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
    assert_eq!(top_p(&x, 1.0, 0.0).unwrap(), vec![0]); // p = 0 keeps the top token
    assert_eq!(top_p(&x, 1.0, 0.3).unwrap(), vec![0]);
    assert_eq!(top_p(&x, 1.0, 0.4).unwrap(), vec![0]); // 0.4 reaches 0.4
    assert_eq!(top_p(&x, 1.0, 0.41).unwrap(), vec![0, 1]);
    assert_eq!(top_p(&x, 1.0, 0.7).unwrap(), vec![0, 1]); // 0.4 + 0.3 reaches 0.7 exactly
    assert_eq!(top_p(&x, 1.0, 0.71).unwrap(), vec![0, 1, 2]);
    assert_eq!(top_p(&x, 1.0, 0.9).unwrap(), vec![0, 1, 2]);
    assert_eq!(top_p(&x, 1.0, 0.91).unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(top_p(&x, 1.0, 1.0).unwrap(), vec![0, 1, 2, 3]);
    // Hugging Face's boundary case [0.5, 0.3, 0.1, 0.1], p = 0.8: 0.5 + 0.3 reaches it.
    let x = [0.5f32.ln(), 0.3f32.ln(), 0.1f32.ln(), 0.1f32.ln()];
    assert_eq!(top_p(&x, 1.0, 0.8).unwrap(), vec![0, 1]);
    // Ties at the crossing: the lower id first. Four equal tokens, p = 0.5 → two, ids 0 and 1.
    assert_eq!(top_p(&[0.0; 4], 1.0, 0.5).unwrap(), vec![0, 1]);
    assert_eq!(top_p(&[0.0; 4], 1.0, 0.51).unwrap(), vec![0, 1, 2]);
    // Temperature first: at T = 0.5 the probabilities are ∝ 0.16, 0.09, 0.04, 0.01 (sum 0.3):
    // 0.16/0.3 = 0.533 reaches 0.5.
    let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
    assert_eq!(top_p(&x, 0.5, 0.5).unwrap(), vec![0]);
    assert_eq!(top_p(&x, 0.5, 0.54).unwrap(), vec![0, 1]);
}

#[test]
fn min_p_by_definition() {
    // probabilities 0.1, 0.2, 0.3, 0.4; thresholds chosen away from boundaries.
    let x = [0.1f32.ln(), 0.2f32.ln(), 0.3f32.ln(), 0.4f32.ln()];
    assert_eq!(min_p(&x, 1.0, 0.0).unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(min_p(&x, 1.0, 0.24).unwrap(), vec![0, 1, 2, 3]); // 0.096 <= 0.1
    assert_eq!(min_p(&x, 1.0, 0.26).unwrap(), vec![1, 2, 3]); // 0.104 > 0.1
    assert_eq!(min_p(&x, 1.0, 0.51).unwrap(), vec![2, 3]);
    assert_eq!(min_p(&x, 1.0, 0.76).unwrap(), vec![3]);
    // Inclusive: a token exactly min_p times the top is kept. Only equal logits give an exact
    // ratio (w = 1 = min_p · w_top with min_p = 1); other ratios are not exact in f32.
    assert_eq!(min_p(&[2.0, 2.0, 1.0], 1.0, 1.0).unwrap(), vec![0, 1]);
    // Temperature first: at T = 0.5 the ratios are squared: 0.3/0.4 -> 0.5625.
    assert_eq!(min_p(&x, 0.5, 0.55).unwrap(), vec![2, 3]);
    assert_eq!(min_p(&x, 0.5, 0.57).unwrap(), vec![3]);
    assert_eq!(
        min_p(&[0.0], 1.0, 1.5),
        Err(Error::InvalidMinP { value: 1.5 })
    );
    assert!(matches!(
        top_p(&[0.0], 1.0, f32::NAN),
        Err(Error::InvalidTopP { .. })
    ));
    assert!(matches!(
        top_p(&[0.0], 1.0, -0.1),
        Err(Error::InvalidTopP { .. })
    ));
}

proptest! {
    #![proptest_config(common::config(300))]

    #[test]
    fn sets_match_the_oracle(x in common::realistic_logits(300), k in 0usize..320,
                             t in 0.05f32..3.0, p in 0.0f32..=1.0, m in 0.0f32..=1.0) {
        prop_assert_eq!(top_k(&x, k).unwrap(), reference::top_k(&x, k).unwrap());
        prop_assert_eq!(top_p(&x, t, p).unwrap(), reference::top_p(&x, t, p).unwrap());
        prop_assert_eq!(min_p(&x, t, m).unwrap(), reference::min_p(&x, t, m).unwrap());
    }

    #[test]
    fn sets_match_the_oracle_raw_bits(x in common::raw_logits(300), k in 0usize..320,
                                      p in 0.0f32..=1.0, m in 0.0f32..=1.0) {
        prop_assert_eq!(top_k(&x, k).unwrap(), reference::top_k(&x, k).unwrap());
        prop_assert_eq!(top_p(&x, 1.0, p).unwrap(), reference::top_p(&x, 1.0, p).unwrap());
        prop_assert_eq!(min_p(&x, 1.0, m).unwrap(), reference::min_p(&x, 1.0, m).unwrap());
    }

    #[test]
    fn monotone_in_the_parameter(x in common::realistic_logits(200), k in 0usize..200,
                                 p1 in 0.0f32..=1.0, p2 in 0.0f32..=1.0,
                                 m1 in 0.0f32..=1.0, m2 in 0.0f32..=1.0) {
        let subset = |a: &[u32], b: &[u32]| a.iter().all(|i| b.binary_search(i).is_ok());
        if k > 0 {
            prop_assert!(subset(&top_k(&x, k).unwrap(), &top_k(&x, k + 1).unwrap()));
        }
        let (plo, phi) = (p1.min(p2), p1.max(p2));
        prop_assert!(subset(&top_p(&x, 0.8, plo).unwrap(), &top_p(&x, 0.8, phi).unwrap()));
        let (mlo, mhi) = (m1.min(m2), m1.max(m2));
        prop_assert!(subset(&min_p(&x, 0.8, mhi).unwrap(), &min_p(&x, 0.8, mlo).unwrap()));
    }
}

/// Logits where ties are most of the vocabulary (every token equal; 16 levels; a plateau of
/// near-equal tokens; small integers with `-inf` among them), with and without a token bitmask:
/// top-k under both tie rules, top-p and min-p keep the oracle's set, at real vocabulary sizes.
#[test]
fn tie_heavy_vocabularies_against_the_oracle() {
    use logits::{Candidates, Logits, TopK, Workspace};
    let mut workspace = Workspace::new();
    for &n in &[32_000usize, 128_256] {
        let quantized: Vec<f32> = common::flat(n, 3).iter().map(|v| v.round()).collect();
        let mut plateau: Vec<f32> = common::flat(n, 4).iter().map(|v| v - 12.0).collect();
        for (i, v) in plateau.iter_mut().enumerate().step_by(97) {
            *v = (i % 3) as f32 * 1e-6;
        }
        let shapes = [vec![0.5f32; n], quantized, plateau, common::ties(n, 5)];
        let mut d = common::Data::new(6);
        let mask: Vec<u32> = (0..n.div_ceil(32)).map(|_| d.u64() as u32).collect();
        for x in &shapes {
            for masked in [false, true] {
                // The oracle sees a masked token as `-inf`.
                let seen: Vec<f32> = (0..n)
                    .map(|i| match masked && mask[i / 32] >> (i % 32) & 1 == 0 {
                        true => f32::NEG_INFINITY,
                        false => x[i],
                    })
                    .collect();
                let input = match masked {
                    true => Logits::new(x).with_mask(&mask),
                    false => Logits::new(x),
                };
                for k in [1usize, 2, 40, 1000, n / 2] {
                    let want = reference::top_k(&seen, k).unwrap();
                    let mut c = Candidates::new(input, &mut workspace).unwrap();
                    c.apply(&TopK::new(k));
                    assert_eq!(c.ids().collect::<Vec<_>>(), want, "n {n} k {k}");
                    // Hugging Face's rule: every token tied with the k-th as well.
                    let kth = want
                        .iter()
                        .map(|&i| seen[i as usize])
                        .fold(f32::INFINITY, f32::min);
                    let want: Vec<u32> = (0..n as u32)
                        .filter(|&i| {
                            seen[i as usize] >= kth && seen[i as usize] > f32::NEG_INFINITY
                        })
                        .collect();
                    let mut c = Candidates::new(input, &mut workspace).unwrap();
                    c.apply(&TopK::new(k).keep_ties());
                    assert_eq!(c.ids().collect::<Vec<_>>(), want, "n {n} k {k} ties");
                }
                for p in [0.1f32, 0.95] {
                    assert_eq!(
                        top_p(&seen, 1.0, p).unwrap(),
                        reference::top_p(&seen, 1.0, p).unwrap(),
                        "n {n} p {p}"
                    );
                }
                for m in [0.05f32, 0.9] {
                    assert_eq!(
                        min_p(&seen, 1.0, m).unwrap(),
                        reference::min_p(&seen, 1.0, m).unwrap(),
                        "n {n} min_p {m}"
                    );
                }
            }
        }
    }
}

/// A wide nucleus whose crossing weight bucket holds two close logits (weights 0.6065 and
/// 0.6005, one bucket), interleaved by id or in runs, or one logit with a few others in its
/// bucket: ranked by logit first, not by id, so top-p keeps the oracle's set only if it tells
/// a bucket of one logit from these.
#[test]
fn crossing_bucket_of_close_logits_against_the_oracle() {
    for &n in &[32_000usize, 128_256] {
        let interleaved: Vec<f32> = (0..n).map(|i| [-0.5, -0.51][i % 2]).collect();
        let runs: Vec<f32> = (0..n).map(|i| [-0.5, -0.51][(i / 700) % 2]).collect();
        let mut few: Vec<f32> = vec![-0.5; n];
        for i in (5..n).step_by(4093) {
            few[i] = -0.505;
        }
        for mut x in [interleaved, runs, few] {
            x[n / 3] = 0.0;
            for p in [0.3f32, 0.7, 0.95, 0.999] {
                assert_eq!(
                    top_p(&x, 1.0, p).unwrap(),
                    reference::top_p(&x, 1.0, p).unwrap(),
                    "n {n} p {p}"
                );
            }
        }
    }
}

/// Nuclei of tens to thousands of tokens (Zipf-shaped logits `-s ln r`, shuffled, with a little
/// noise and some masked tokens): top-p keeps the oracle's set, whichever of its searches finds
/// the boundary.
#[test]
fn mid_sized_nuclei_against_the_oracle() {
    let mut sizes = Vec::new();
    for &n in &[50_257usize, 131_072] {
        for (i, s) in [0.9f32, 1.05, 1.2, 1.5, 2.0].into_iter().enumerate() {
            let mut d = common::Data::new(i as u64 + 40);
            let mut x: Vec<f32> = (1..=n)
                .map(|r| -s * (r as f32).ln() + 0.02 * d.uniform(-1.0, 1.0))
                .collect();
            for j in (1..n).rev() {
                x.swap(j, d.below(j + 1));
            }
            for _ in 0..n / 100 {
                x[d.below(n)] = f32::NEG_INFINITY;
            }
            for t in [0.7f32, 1.0, 1.3] {
                for p in [0.9f32, 0.95, 0.99] {
                    let want = reference::top_p(&x, t, p).unwrap();
                    assert_eq!(top_p(&x, t, p).unwrap(), want, "n {n} s {s} T {t} p {p}");
                    sizes.push(want.len());
                }
            }
        }
    }
    // The sweep covers every regime: a handful of tokens, hundreds, thousands, tens of thousands.
    for (lo, hi) in [(1, 20), (100, 1000), (1000, 5000), (10_000, 200_000)] {
        assert!(
            sizes.iter().any(|&k| (lo..hi).contains(&k)),
            "no nucleus in {lo}..{hi}: {sizes:?}"
        );
    }
}

/// A wide nucleus is drawn from through per-chunk kept masses (never a list): the words whose
/// draw lands on a token's first and last unit of mass, for tokens spread over the nucleus,
/// land on exactly that token, as the oracle's masses say. Flat logits, Zipf-shaped ones with
/// nuclei of thousands, and near-equal pairs that put the boundary inside one weight bucket.
#[test]
fn wide_nucleus_draws_land_on_the_oracle_tokens() {
    use logits::{Sampler, SamplingParams};
    let n = 128_256;
    let mut d = common::Data::new(7);
    let zipf: Vec<f32> = (1..=n)
        .map(|r| -0.9 * (r as f32).ln() + 0.02 * d.uniform(-1.0, 1.0))
        .collect();
    let runs: Vec<f32> = (0..n).map(|i| [-0.5, -0.5001][(i / 700) % 2]).collect();
    for x in [common::flat(n, 3), zipf, runs] {
        for p in [0.5f32, 0.95, 0.999] {
            let params = SamplingParams::default().temperature(1.0).top_p(p);
            let oracle = reference::masses_of_params(&x, &params).unwrap();
            let mut s = Sampler::new(params).unwrap();
            let dist = s.distribution(&x[..]).unwrap();
            common::assert_draws_at_mass_ends(
                |w| dist.draw(w).token,
                &oracle,
                200,
                &format!("p {p}"),
            );
        }
    }
}
