//! Speculative verification: the fast path against the reference twin, the edge cases, the
//! loop on `Sampler` against positions done by hand, and the statistical property.
//!
//! **Statistics.** For each `(p, q)` pair, `DRAWS = 200,000` independent rounds (draft token
//! `x ~ q` and the verification's words from a fixed-seed SplitMix64 stream of the test's own)
//! must give a first emitted token distributed as `p`: Pearson's chi-square over bins with
//! expected count >= 5 (smaller pooled), rejected at significance 0.001 (Wilson–Hilferty
//! critical value, as in `tests/chi_square.rs`). The acceptance rate must equal
//! `Σ min(p, q)` within `3.29` binomial standard deviations (two-sided 0.001). A negative
//! control (emitting every draft, i.e. sampling from `q`) must be rejected by the same test.
//! Fixed seeds: every run checks the same draws.

mod common;

use common::Data;
use logits::speculative::{verify, Verdict, Verification, Words};
use logits::{
    reference, AllowedTokens, Chain, Context, Error, MinP, Penalties, Sampler, SamplingParams,
    Temperature, TopK, TopP, Window, Workspace,
};

const DRAWS: usize = 200_000;
/// Upper 0.001 quantile of the standard normal.
const Z_999: f64 = 3.090_232;
/// Two-sided 0.001 quantile of the standard normal.
const Z_TWO_SIDED_999: f64 = 3.290_527;

/// Chi-square critical value at significance 0.001 (Wilson–Hilferty; see `tests/chi_square.rs`,
/// which checks it against published quantiles).
fn critical(df: usize) -> f64 {
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + Z_999 * a.sqrt()).powi(3)
}

/// Pearson statistic of `counts` (indexed by token id) against `probs`, over bins with expected
/// count >= 5 (smaller ones pooled), and its degrees of freedom.
fn chi_square(counts: &[usize], probs: &[f64], draws: usize) -> (f64, usize) {
    let mut bins: Vec<(f64, f64)> = Vec::new();
    let mut pooled = (0.0, 0.0);
    for (id, &p) in probs.iter().enumerate() {
        let (o, e) = (counts[id] as f64, p * draws as f64);
        if e >= 5.0 {
            bins.push((o, e));
        } else {
            pooled.0 += o;
            pooled.1 += e;
        }
    }
    if pooled.1 > 0.0 || pooled.0 > 0.0 {
        // An observation where the expected count is 0 makes the statistic infinite.
        bins.push(pooled);
    }
    let stat = bins
        .iter()
        .map(|&(o, e)| {
            if e == 0.0 {
                if o > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                }
            } else {
                (o - e) * (o - e) / e
            }
        })
        .sum();
    (stat, bins.len().saturating_sub(1))
}

/// Probabilities over `0..n` from `(id, mass)` pairs, in f64.
fn probabilities(masses: &[(u32, u64)], n: usize) -> Vec<f64> {
    let total: u64 = masses.iter().map(|&(_, m)| m).sum();
    let mut p = vec![0.0; n];
    for &(id, m) in masses {
        p[id as usize] = m as f64 / total as f64;
    }
    p
}

fn masses(x: &[f32], chain: &Chain) -> Vec<(u32, u64)> {
    reference::masses_of_chain(x, chain, &Context::default()).unwrap()
}

/// Logits with probabilities proportional to `w` (0 = masked).
fn from_weights(w: &[f64]) -> Vec<f32> {
    w.iter()
        .map(|&w| {
            if w > 0.0 {
                w.ln() as f32
            } else {
                f32::NEG_INFINITY
            }
        })
        .collect()
}

/// The `(p, q)` pairs of the statistical test: name, target logits and chain, draft logits and
/// chain.
#[allow(clippy::type_complexity)]
fn pairs() -> Vec<(&'static str, Vec<f32>, Chain, Vec<f32>, Chain)> {
    let lm_a = common::lm_like(1000, 11);
    let lm_b = common::lm_like(1000, 12);
    vec![
        (
            "q uniform, p skewed",
            from_weights(&[0.1, 0.2, 0.3, 0.4]),
            Chain::new(),
            vec![0.0; 4],
            Chain::new(),
        ),
        (
            "truncated chains on 1000 tokens",
            lm_a.clone(),
            Chain::new()
                .then(Temperature::new(0.8).unwrap())
                .then(TopP::new(0.9).unwrap())
                .then(MinP::new(0.02).unwrap()),
            lm_b,
            Chain::new()
                .then(Temperature::new(1.2).unwrap())
                .then(TopK::new(20)),
        ),
        (
            "disjoint supports",
            from_weights(&[0.5, 0.25, 0.125, 0.125, 0.0, 0.0, 0.0]),
            Chain::new(),
            from_weights(&[0.0, 0.0, 0.0, 0.0, 0.3, 0.3, 0.4]),
            Chain::new(),
        ),
        (
            "p = q, top-k 30",
            lm_a.clone(),
            Chain::new().then(TopK::new(30)),
            lm_a.clone(),
            Chain::new().then(TopK::new(30)),
        ),
        (
            "q concentrated where p is not",
            from_weights(&[0.05, 0.3, 0.3, 0.2, 0.15]),
            Chain::new(),
            from_weights(&[0.9, 0.025, 0.025, 0.025, 0.025]),
            Chain::new(),
        ),
        (
            "greedy draft (q one-hot)",
            from_weights(&[0.2, 0.3, 0.1, 0.4]),
            Chain::new(),
            from_weights(&[0.1, 0.5, 0.2, 0.2]),
            Chain::new().then(Temperature::new(0.0).unwrap()),
        ),
        (
            "draft allowed list, target top-k",
            lm_a.clone(),
            Chain::new().then(TopK::new(8)),
            lm_a,
            Chain::new().then(AllowedTokens::new((0..1000).step_by(3))),
        ),
    ]
}

/// `DRAWS` rounds of one position: the emitted token's counts and the number accepted.
fn run_position(
    tx: &[f32],
    tc: &Chain,
    dx: &[f32],
    dc: &Chain,
    seed: u64,
    emit_draft: bool,
) -> (Vec<usize>, usize) {
    let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
    let p = tc.distribution(tx, &mut tw, &Context::default()).unwrap();
    let q = dc.distribution(dx, &mut dw, &Context::default()).unwrap();
    let qm = masses(dx, dc);
    let mut data = Data::new(seed);
    let (mut counts, mut accepted) = (vec![0usize; tx.len()], 0);
    for _ in 0..DRAWS {
        let x = reference::draw(&qm, data.u64());
        let words = Words {
            accept: data.u64(),
            draw: data.u64(),
        };
        let y = match verify(&p, &q, x, words).unwrap() {
            Verdict::Accepted => {
                accepted += 1;
                x
            }
            Verdict::Rejected { token } => token,
        };
        counts[if emit_draft { x } else { y } as usize] += 1;
    }
    (counts, accepted)
}

#[test]
fn emitted_tokens_are_distributed_as_the_target() {
    for (i, (name, tx, tc, dx, dc)) in pairs().into_iter().enumerate() {
        let (pm, qm) = (masses(&tx, &tc), masses(&dx, &dc));
        let p = probabilities(&pm, tx.len());
        let q = probabilities(&qm, dx.len());
        let (counts, accepted) = run_position(&tx, &tc, &dx, &dc, 1000 + i as u64, false);
        let (stat, df) = chi_square(&counts, &p, DRAWS);
        assert!(
            df >= 1 || p.iter().filter(|&&p| p > 0.0).count() == 1,
            "{name}"
        );
        assert!(
            stat < critical(df.max(1)),
            "{name}: chi2 {stat:.1} >= {:.1} (df {df})",
            critical(df.max(1))
        );
        // The acceptance rate is Σ min(p, q).
        let beta: f64 = p.iter().zip(&q).map(|(a, b)| a.min(*b)).sum();
        let rate = accepted as f64 / DRAWS as f64;
        let sigma = (beta * (1.0 - beta) / DRAWS as f64).sqrt();
        assert!(
            (rate - beta).abs() <= Z_TWO_SIDED_999 * sigma + 1e-12,
            "{name}: acceptance {rate:.5} vs Σ min(p, q) = {beta:.5}"
        );
        match name {
            "p = q, top-k 30" => assert_eq!(accepted, DRAWS, "{name}"),
            "disjoint supports" => assert_eq!(accepted, 0, "{name}"),
            _ => assert!(accepted > 0 && accepted < DRAWS, "{name}"),
        }
    }
}

#[test]
fn negative_control_rejects_the_draft_distribution() {
    // Emitting every draft samples from q: the chi-square against p must reject it.
    for (i, (name, tx, tc, dx, dc)) in pairs().into_iter().enumerate() {
        if name.starts_with("p = q") {
            continue;
        }
        let p = probabilities(&masses(&tx, &tc), tx.len());
        let (counts, _) = run_position(&tx, &tc, &dx, &dc, 2000 + i as u64, true);
        let (stat, df) = chi_square(&counts, &p, DRAWS);
        assert!(
            stat > critical(df.max(1)),
            "{name}: chi2 {stat:.1} (df {df}) did not reject"
        );
    }
}

/// Through the loop on `Sampler` (k = 2, stateless chains, a fresh step each round for fresh
/// words): the first emitted token is distributed as `p_0`, and when the first draft is
/// accepted the second emitted token as `p_1`.
#[test]
fn the_loop_emits_target_samples() {
    let t0 = from_weights(&[0.1, 0.2, 0.3, 0.15, 0.25]);
    let t1 = from_weights(&[0.4, 0.1, 0.1, 0.1, 0.3]);
    let t2 = from_weights(&[0.2; 5]);
    let d0 = from_weights(&[0.3, 0.3, 0.1, 0.2, 0.1]);
    let d1 = from_weights(&[0.1, 0.1, 0.6, 0.1, 0.1]);
    let tchain = Chain::new().then(TopK::new(4));
    let dchain = Chain::new().then(Temperature::new(1.3).unwrap());
    let (q0, q1) = (masses(&d0, &dchain), masses(&d1, &dchain));
    let mut target = Sampler::from_chain(tchain.clone(), 5);
    let mut draft = Sampler::from_chain(dchain.clone(), 5); // the same seed: no shared words
    let mut data = Data::new(77);
    let draws = 100_000;
    let (mut first, mut second, mut first_accepted) = (vec![0usize; 5], vec![0usize; 5], 0);
    for round in 0..draws as u64 {
        target.set_step(3 * round);
        draft.set_step(3 * round);
        let tokens = [
            reference::draw(&q0, data.u64()),
            reference::draw(&q1, data.u64()),
        ];
        let v: Verification = target
            .verify_drafts(&[&t0[..], &t1, &t2], &mut draft, &[&d0[..], &d1], &tokens)
            .unwrap();
        assert_eq!(target.step(), 3 * round + v.emitted() as u64);
        let emitted: Vec<u32> = tokens[..v.accepted]
            .iter()
            .copied()
            .chain([v.token])
            .collect();
        first[emitted[0] as usize] += 1;
        if v.accepted >= 1 {
            first_accepted += 1;
            second[emitted[1] as usize] += 1;
        }
    }
    let p0 = probabilities(&masses(&t0, &tchain), 5);
    let p1 = probabilities(&masses(&t1, &tchain), 5);
    let (stat, df) = chi_square(&first, &p0, draws);
    assert!(stat < critical(df), "first: chi2 {stat:.1} (df {df})");
    let (stat, df) = chi_square(&second, &p1, first_accepted);
    assert!(stat < critical(df), "second: chi2 {stat:.1} (df {df})");
    assert!(first_accepted > draws / 3);
}

/// Distributions over random logits and chains, each side its own.
fn random_chain(d: &mut Data) -> Chain {
    let mut c = Chain::new();
    match d.below(6) {
        0 => {}
        1 => c = c.then(Temperature::new(d.uniform(0.3, 2.0)).unwrap()),
        2 => c = c.then(TopK::new(1 + d.below(20))),
        3 => {
            c = c
                .then(Temperature::new(d.uniform(0.5, 1.5)).unwrap())
                .then(TopP::new(d.uniform(0.3, 1.0)).unwrap())
        }
        4 => c = c.then(MinP::new(d.uniform(0.0, 0.3)).unwrap()),
        _ => c = c.then(Temperature::new(0.0).unwrap()),
    }
    c
}

#[test]
fn matches_the_reference_on_many_inputs() {
    let mut d = Data::new(4242);
    let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..600 {
        // Small vocabularies mostly; a few large ones for the wide-set paths.
        let n = if case % 50 == 0 {
            20_000
        } else {
            1 + d.below(80)
        };
        let gen = |d: &mut Data| match d.below(3) {
            0 => common::lm_like(n, d.u64()),
            1 => common::flat(n, d.u64()),
            _ => common::ties(n, d.u64()),
        };
        let (tx, dx) = if d.below(4) == 0 {
            let x = gen(&mut d);
            (x.clone(), x)
        } else {
            (gen(&mut d), gen(&mut d))
        };
        let (tc, dc) = (random_chain(&mut d), random_chain(&mut d));
        let (pm, qm) = (masses(&tx, &tc), masses(&dx, &dc));
        let p = tc.distribution(&tx, &mut tw, &Context::default()).unwrap();
        let q = dc.distribution(&dx, &mut dw, &Context::default()).unwrap();
        for _ in 0..20 {
            // Mostly draws from q; sometimes any token (maybe impossible).
            let x = if d.below(5) == 0 {
                d.below(n) as u32
            } else {
                reference::draw(&qm, d.u64())
            };
            let words = Words {
                accept: d.u64(),
                draw: d.u64(),
            };
            let fast = verify(&p, &q, x, words);
            let oracle = reference::verify(&pm, &qm, x, words);
            assert_eq!(fast, oracle, "case {case}: n {n}, x {x}, {tc:?} / {dc:?}");
            match fast {
                Ok(Verdict::Accepted) => accepted += 1,
                Ok(Verdict::Rejected { .. }) => rejected += 1,
                Err(_) => {}
            }
        }
    }
    assert!(
        accepted > 1000 && rejected > 1000,
        "{accepted} / {rejected}"
    );
}

#[test]
fn degenerate_cases_need_no_randomness() {
    let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
    let x = [1.0, 3.0, 2.0, 0.5];
    let greedy = Chain::new().then(Temperature::new(0.0).unwrap());
    let p = greedy
        .distribution(&x, &mut tw, &Context::default())
        .unwrap();
    let q = Chain::new()
        .distribution(&[0.0; 4], &mut dw, &Context::default())
        .unwrap();
    let mut d = Data::new(9);
    for _ in 0..1000 {
        let words = Words {
            accept: d.u64(),
            draw: d.u64(),
        };
        // Greedy target: its argmax stands, anything else becomes the argmax.
        assert_eq!(verify(&p, &q, 1, words), Ok(Verdict::Accepted));
        for other in [0, 2, 3] {
            assert_eq!(
                verify(&p, &q, other, words),
                Ok(Verdict::Rejected { token: 1 })
            );
        }
    }
    // p = q: accepted for the extreme words too.
    let p = Chain::new()
        .distribution(&x, &mut tw, &Context::default())
        .unwrap();
    let q = Chain::new()
        .distribution(&x, &mut dw, &Context::default())
        .unwrap();
    for accept in [0, 1 << 63, u64::MAX] {
        for token in 0..4 {
            let w = Words { accept, draw: 0 };
            assert_eq!(verify(&p, &q, token, w), Ok(Verdict::Accepted));
        }
    }
}

#[test]
fn errors_for_inputs_that_do_not_fit() {
    let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
    let p = Chain::new()
        .distribution(&[0.0, 1.0, 2.0], &mut tw, &Context::default())
        .unwrap();
    let q = Chain::new()
        .distribution(&[0.0, 1.0], &mut dw, &Context::default())
        .unwrap();
    let w = Words::at(1, 0);
    assert_eq!(
        verify(&p, &q, 0, w),
        Err(Error::DraftMismatch {
            what: "draft vocabulary",
            expected: 3,
            found: 2
        })
    );
    let q = Chain::new()
        .then(TopK::new(1))
        .distribution(&[0.0, 1.0, 2.0], &mut dw, &Context::default())
        .unwrap();
    assert_eq!(
        verify(&p, &q, 3, w),
        Err(Error::TokenOutOfRange { token: 3, len: 3 })
    );
    assert_eq!(
        verify(&p, &q, 0, w),
        Err(Error::ImpossibleDraft {
            position: 0,
            token: 0
        })
    );
}

#[test]
fn the_loop_checks_its_inputs_before_changing_anything() {
    let params = SamplingParams::default().seed(3);
    let mut target = Sampler::new(params.clone()).unwrap();
    let mut draft = Sampler::new(params).unwrap();
    let r: &[f32] = &[0.0, 1.0, 2.0];
    let short: &[f32] = &[0.0, 1.0];
    type Case<'a> = (Vec<&'a [f32]>, Vec<&'a [f32]>, Vec<u32>, Error);
    let cases: [Case; 6] = [
        (
            vec![r],
            vec![r],
            vec![0],
            Error::DraftMismatch {
                what: "target rows",
                expected: 2,
                found: 1,
            },
        ),
        (
            vec![r, r],
            vec![],
            vec![0],
            Error::DraftMismatch {
                what: "draft rows",
                expected: 1,
                found: 0,
            },
        ),
        (
            vec![r, short],
            vec![r],
            vec![0],
            Error::DraftMismatch {
                what: "target vocabulary",
                expected: 3,
                found: 2,
            },
        ),
        (
            vec![r, r],
            vec![short],
            vec![0],
            Error::DraftMismatch {
                what: "draft vocabulary",
                expected: 3,
                found: 2,
            },
        ),
        (
            vec![r, r],
            vec![r],
            vec![3],
            Error::TokenOutOfRange { token: 3, len: 3 },
        ),
        (vec![&[], &[]], vec![&[]], vec![0], Error::EmptyLogits),
    ];
    for (t, d, tokens, e) in cases {
        assert_eq!(target.verify_drafts(&t, &mut draft, &d, &tokens), Err(e));
        assert_eq!((target.step(), draft.step()), (0, 0));
    }
    // An impossible draft at position 1: position 0 stands, both steps moved on by 1.
    let masked: &[f32] = &[0.0, f32::NEG_INFINITY, 2.0];
    let e = target.verify_drafts(&[r, r, r], &mut draft, &[r, masked], &[2, 1]);
    match e {
        Err(Error::ImpossibleDraft {
            position: 1,
            token: 1,
        }) => {
            assert_eq!((target.step(), draft.step()), (1, 1));
        }
        // Position 0 may reject draft 2 (p = q there, so it is always accepted): not reached.
        other => panic!("{other:?}"),
    }
    // A NaN in a later row: the same.
    let nan: &[f32] = &[0.0, f32::NAN, 1.0];
    target.set_step(0);
    draft.set_step(0);
    let e = target.verify_drafts(&[r, nan], &mut draft, &[r], &[1]);
    assert_eq!(e, Err(Error::NanLogit { index: 1 }));
    assert_eq!((target.step(), draft.step()), (1, 1));
}

#[test]
fn k_zero_is_a_draw_with_the_draw_word() {
    let params = SamplingParams::default().temperature(0.9).top_k(5);
    let x = common::lm_like(200, 1);
    let chain = Chain::from_params(&params).unwrap();
    let pm = masses(&x, &chain);
    for seed in 0..200u64 {
        let mut target = Sampler::new(params.clone().seed(seed)).unwrap();
        let mut draft = Sampler::new(params.clone().seed(seed + 1)).unwrap();
        target.set_step(seed);
        let v = target
            .verify_drafts::<&[f32], &[f32]>(&[&x], &mut draft, &[], &[])
            .unwrap();
        assert_eq!(v.accepted, 0);
        assert_eq!(v.token, reference::draw(&pm, Words::at(seed, seed).draw));
        assert_eq!((target.step(), draft.step()), (seed + 1, 1));
    }
}

/// The loop against positions done by hand with the reference: the target chain has penalties,
/// so each position must see the drafts accepted before it.
#[test]
fn the_loop_matches_the_reference_position_by_position() {
    let mut d = Data::new(31);
    let n = 60;
    let (mut accepted_some, mut bonuses) = (0, 0);
    for case in 0..300u64 {
        let k = d.below(5);
        let tchain = Chain::new()
            .then(Penalties::new(1.3, 0.4, 0.3, Window::All).unwrap())
            .then(Temperature::new(0.9).unwrap())
            .then(TopK::new(12));
        let dchain = Chain::new()
            .then(Penalties::new(1.1, 0.2, 0.0, Window::Last(3)).unwrap())
            .then(Temperature::new(1.1).unwrap());
        let (tseed, dseed) = (d.u64(), d.u64());
        let mut target = Sampler::from_chain(tchain.clone(), tseed);
        let mut draft = Sampler::from_chain(dchain.clone(), dseed);
        // Some history, the same on both sides.
        let start = d.below(10) as u64;
        for _ in 0..start {
            let t = d.below(n) as u32;
            target.accept(t);
            draft.accept(t);
        }
        target.set_step(start);
        draft.set_step(start);
        let (mut tc, mut dc) = (target.chain().clone(), draft.chain().clone());
        let trows: Vec<Vec<f32>> = (0..=k).map(|_| common::lm_like(n, d.u64())).collect();
        // A draft model that roughly agrees with the target: its logits, perturbed.
        let drows: Vec<Vec<f32>> = trows[..k]
            .iter()
            .map(|row| row.iter().map(|&x| x + d.uniform(-0.7, 0.7)).collect())
            .collect();
        // Draft tokens drawn as a draft copy would: its chain learning each one.
        let mut drafter = draft.clone();
        let tokens: Vec<u32> = drows
            .iter()
            .map(|row| drafter.sample(row).unwrap().token)
            .collect();

        // By hand.
        let mut expected = None;
        for i in 0..=k {
            let step = start + i as u64;
            let pm =
                reference::masses_of_chain(&trows[i][..], &tc, &Context::new(tseed, step)).unwrap();
            if i == k {
                expected = Some((k, reference::draw(&pm, Words::at(tseed, step).draw)));
                break;
            }
            let qm =
                reference::masses_of_chain(&drows[i][..], &dc, &Context::new(dseed, step)).unwrap();
            match reference::verify(&pm, &qm, tokens[i], Words::at(tseed, step)).unwrap() {
                Verdict::Accepted => {
                    tc.accept(tokens[i]);
                    dc.accept(tokens[i]);
                }
                Verdict::Rejected { token } => {
                    expected = Some((i, token));
                    break;
                }
            }
        }
        let expected = expected.unwrap();

        let trefs: Vec<&[f32]> = trows.iter().map(|r| &r[..]).collect();
        let drefs: Vec<&[f32]> = drows.iter().map(|r| &r[..]).collect();
        let v = target
            .verify_drafts(&trefs, &mut draft, &drefs, &tokens)
            .unwrap();
        assert_eq!((v.accepted, v.token), expected, "case {case}, k {k}");
        assert_eq!(target.step(), start + v.emitted() as u64);
        assert_eq!(draft.step(), target.step());
        accepted_some += usize::from(v.accepted > 0);
        bonuses += usize::from(v.is_bonus(k) && k > 0);
        // Both chains learned every emitted token: their next distributions are the
        // reference's after the same acceptances (the penalties change the kept set).
        tc.accept(v.token);
        dc.accept(v.token);
        let probe = common::lm_like(n, 5);
        let mut w = Workspace::new();
        for (sampler, chain, seed) in [(&target, &tc, tseed), (&draft, &dc, dseed)] {
            let got: Vec<(u32, u64)> = sampler
                .distribution_in(&probe, &mut w)
                .unwrap()
                .iter()
                .map(|(id, p)| (id, p.to_bits() as u64))
                .collect();
            let want =
                reference::masses_of_chain(&probe[..], chain, &Context::new(seed, sampler.step()))
                    .unwrap();
            let ids = |v: &[(u32, u64)]| v.iter().map(|&(id, _)| id).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "case {case}");
            let total: u64 = want.iter().map(|&(_, m)| m).sum();
            for (&(_, bits), &(_, m)) in got.iter().zip(&want) {
                let p = f32::from_bits(bits as u32) as f64;
                assert!((p - m as f64 / total as f64).abs() < 1e-6, "case {case}");
            }
        }
    }
    assert!(
        accepted_some > 30 && bonuses > 10,
        "{accepted_some} {bonuses}"
    );
}

/// The position-level rule against the reference at every vocabulary length 1..=300 and at
/// 32,000 to 262,144 tokens, on LM-like, flat and raw-bit logits (the target and the draft each
/// their own shape and chain): the same verdict for the same words.
#[test]
fn matches_the_reference_at_every_length() {
    let mut d = Data::new(77);
    let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
    for n in (1..=300usize).chain([32_000, 50_257, 128_256, 262_144]) {
        let shape = |d: &mut Data| match d.below(3) {
            0 => common::lm_like(n, d.u64()),
            1 => common::flat(n, d.u64()),
            _ => common::raw_bits(n, d.u64()),
        };
        let (tx, dx) = (shape(&mut d), shape(&mut d));
        let (tc, dc) = (random_chain(&mut d), random_chain(&mut d));
        let (pm, qm) = (masses(&tx, &tc), masses(&dx, &dc));
        let p = tc.distribution(&tx, &mut tw, &Context::default()).unwrap();
        let q = dc.distribution(&dx, &mut dw, &Context::default()).unwrap();
        for _ in 0..4 {
            let x = reference::draw(&qm, d.u64());
            let words = Words {
                accept: d.u64(),
                draw: d.u64(),
            };
            let fast = verify(&p, &q, x, words);
            assert_eq!(fast, reference::verify(&pm, &qm, x, words), "n {n}, x {x}");
        }
    }
}
