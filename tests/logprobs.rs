//! Log-probabilities reported with a sampled token, against f64 evaluations of their
//! definitions: the raw log-softmax of the logits, and the log-softmax of the oracle's processed
//! candidates (its twin of the chain: the kept set, the edited logits, the temperature), at
//! every length 1..=300 and at real vocabulary sizes, with ties, `-inf` masks and raw bits.

mod common;

use logits::{
    reference, Chain, Context, LogitBias, LogprobSource, Logprobs, MinP, Sampler, SamplingParams,
    Temperature, TopK, TopP,
};

/// The reported bound: 1e-5 absolute (the normalizer sums f32 weights of f32-rounded scaled
/// logits) plus 2^-23 relative (the f32 result).
fn close(got: f32, want: f64) -> bool {
    if want < f32::MIN as f64 {
        return got == f32::MIN;
    }
    if want == f64::NEG_INFINITY {
        return got == f32::NEG_INFINITY;
    }
    (got as f64 - want).abs() <= 1e-5 + want.abs() * 2f64.powi(-23)
}

/// `(id, logprob)` of every finite logit, in rank order, by f64 log-softmax.
fn raw_truth(x: &[f32]) -> Vec<(u32, f64)> {
    let m = x.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
    let ln_s = x.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
    reference::rank(x)
        .unwrap()
        .into_iter()
        .map(|id| (id, x[id as usize] as f64 - m - ln_s))
        .collect()
}

/// `(id, logprob)` of the oracle's processed candidates, in rank order.
fn processed_truth(x: &[f32], chain: &Chain) -> Vec<(u32, f64)> {
    let mut c = reference::Candidates::new(x).unwrap();
    for (i, stage) in chain.stages().iter().enumerate() {
        stage.apply_reference(&mut c, &Context::new(9, 0).at_stage(i as u32));
    }
    let t = c.temperature() as f64;
    let top = c.logit(c.ids()[0]) as f64;
    let z: Vec<f64> = c
        .ids()
        .iter()
        .map(|&id| (c.logit(id) as f64 - top) / t)
        .collect();
    let ln_s = z.iter().map(|z| z.exp()).sum::<f64>().ln();
    c.ids()
        .iter()
        .zip(&z)
        .map(|(&id, z)| (id, z - ln_s))
        .collect()
}

/// The report agrees with `truth` (rank order): the token's logprob and rank, and the top.
fn check(lp: &Logprobs, truth: &[(u32, f64)], top_n: usize, what: &str) {
    let pos = truth.iter().position(|&(id, _)| id == lp.token());
    let pos = pos.unwrap_or_else(|| panic!("{what}: token {} not in the truth", lp.token()));
    assert_eq!(lp.rank(), pos as u64 + 1, "{what}: rank");
    assert!(
        close(lp.logprob(), truth[pos].1),
        "{what}: logprob {} vs {}",
        lp.logprob(),
        truth[pos].1
    );
    let want: Vec<u32> = truth.iter().take(top_n).map(|&(id, _)| id).collect();
    let got: Vec<u32> = lp.top().iter().map(|&(id, _)| id).collect();
    assert_eq!(got, want, "{what}: top ids");
    for (&(_, g), &(_, w)) in lp.top().iter().zip(truth) {
        assert!(close(g, w), "{what}: top logprob {g} vs {w}");
    }
}

fn chains() -> Vec<(Chain, bool)> {
    // (chain, whether it ends greedy)
    vec![
        (Chain::new(), false),
        (Chain::new().then(Temperature::new(0.7).unwrap()), false),
        (
            Chain::new()
                .then(Temperature::new(0.8).unwrap())
                .then(TopK::new(40))
                .then(TopP::new(0.95).unwrap())
                .then(MinP::new(0.05).unwrap()),
            false,
        ),
        (
            Chain::new()
                .then(LogitBias::new([(0, 3.0), (5, f32::NEG_INFINITY)]).unwrap())
                .then(TopP::new(0.9).unwrap())
                .then(Temperature::new(1.6).unwrap()),
            false,
        ),
        (Chain::new().then(Temperature::new(0.0).unwrap()), true),
    ]
}

fn run(x: &[f32], what: &str) {
    for (c, (chain, greedy)) in chains().into_iter().enumerate() {
        for top_n in [0usize, 1, 5, 20, x.len() + 3, usize::MAX] {
            for source in [LogprobSource::Raw, LogprobSource::Processed] {
                let mut plain = Sampler::from_chain(chain.clone(), 9);
                let mut s = Sampler::from_chain(chain.clone(), 9);
                let mut lp = Logprobs::new();
                let what = format!("{what}, chain {c}, top {top_n}, {source:?}");
                let Ok(t) = s.sample_with_logprobs(x, top_n, source, &mut lp) else {
                    assert!(plain.sample(x).is_err(), "{what}");
                    continue;
                };
                // The same token as a plain `sample`.
                assert_eq!(t, plain.sample(x).unwrap(), "{what}");
                assert_eq!(lp.token(), t.token);
                let raw = source == LogprobSource::Raw || greedy;
                let truth = if raw {
                    raw_truth(x)
                } else {
                    processed_truth(x, &chain)
                };
                assert_eq!(lp.source() == LogprobSource::Raw, raw, "{what}");
                check(&lp, &truth, top_n, &what);
                if raw {
                    // The values `log_softmax_into` writes, bit for bit.
                    let all = logits::log_softmax(x).unwrap();
                    let bits = |id: u32| all[id as usize].to_bits();
                    assert_eq!(lp.logprob().to_bits(), bits(lp.token()), "{what}");
                    for &(id, v) in lp.top() {
                        assert_eq!(v.to_bits(), bits(id), "{what}: {id}");
                    }
                }
            }
        }
    }
}

#[test]
fn every_length_against_f64() {
    for n in 1..=300usize {
        for (k, x) in [
            common::lm_like(n, n as u64),
            common::flat(n, n as u64),
            common::ties(n, n as u64),
            common::raw_bits(n, n as u64),
        ]
        .iter()
        .enumerate()
        {
            run(x, &format!("n {n} shape {k}"));
        }
    }
}

#[test]
fn vocabulary_sizes_against_f64() {
    for &n in &[32_000usize, 50_257, 128_256, 262_144] {
        for (k, x) in [common::lm_like(n, 5), common::ties(n, 6)]
            .iter()
            .enumerate()
        {
            run(x, &format!("n {n} shape {k}"));
        }
    }
}

/// Exact in the tail: `[0, -30, -40]` reports -30 and -40 (less the normalizer), where the
/// draw's masses give those tokens probability 0.
#[test]
fn the_tail_is_exact() {
    let x = [0.0f32, -30.0, -40.0];
    let ln_s = (1.0 + (-30f64).exp() + (-40f64).exp()).ln();
    for source in [LogprobSource::Raw, LogprobSource::Processed] {
        let mut s = Sampler::new(SamplingParams::default()).unwrap();
        let mut lp = Logprobs::new();
        s.sample_with_logprobs(&x, 3, source, &mut lp).unwrap();
        assert_eq!(lp.top()[1], (1, (-30.0 - ln_s) as f32));
        assert_eq!(lp.top()[2], (2, (-40.0 - ln_s) as f32));
        assert_eq!(s.distribution(&x).unwrap().probability(2), 0.0);
    }
}

/// At `T = 0` the processed report is the model's own (raw), as OpenAI reports it.
#[test]
fn greedy_reports_the_models_logprobs() {
    let x = [2.0f32, 1.0, 0.1];
    let mut s = Sampler::new(SamplingParams::default().temperature(0.0)).unwrap();
    let mut lp = Logprobs::new();
    s.sample_with_logprobs(&x, 2, LogprobSource::Processed, &mut lp)
        .unwrap();
    assert_eq!(lp.source(), LogprobSource::Raw);
    assert!((lp.logprob().exp() - 0.659).abs() < 5e-4); // softmax([2, 1, 0.1])[0]
    assert!((lp.top()[1].1.exp() - 0.242).abs() < 5e-4);
}

/// Every candidate's rank and log-probability, and the normalizer, of distributions whose
/// logits are edited (bias raising and lowering tokens, penalties on the most likely ones, which
/// lowers their blocks' maxima) and masked, against the oracle: the counting and summing passes
/// read the raw logits and correct for the edits and the mask.
#[test]
fn ranks_and_normalizers_under_edits_and_masks() {
    use logits::{Logits, Penalties, Window};
    let mut sizes: Vec<usize> = (1..=300).step_by(7).collect();
    sizes.extend([1_000, 32_000]);
    for n in sizes {
        for (k, x) in [common::lm_like(n, 3), common::ties(n, 4)]
            .iter()
            .enumerate()
        {
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.sort_by(|&a, &b| x[b as usize].total_cmp(&x[a as usize]).then(a.cmp(&b)));
            let bias: Vec<(u32, f32)> = (0..n as u32)
                .step_by(97)
                .map(|id| (id, if id % 2 == 0 { 2.5 } else { -4.0 }))
                .collect();
            let chains = [
                Chain::new().then(Temperature::new(1.3).unwrap()),
                Chain::new()
                    .then(LogitBias::new(bias.clone()).unwrap())
                    .then(Penalties::new(1.3, 0.5, 0.5, Window::All).unwrap())
                    .then(Temperature::new(0.9).unwrap()),
                Chain::new()
                    .then(Penalties::new(1.3, 0.5, 0.5, Window::All).unwrap())
                    .then(TopP::new(0.9).unwrap()),
                Chain::new()
                    .then(LogitBias::new(bias).unwrap())
                    .then(TopK::new(30)),
            ];
            let mask: Vec<u32> = (0..n.div_ceil(32) as u64)
                .map(|i| logits::rng::word(7, i) as u32 | 1)
                .collect();
            for (c, chain) in chains.into_iter().enumerate() {
                for masked in [false, true] {
                    let what = format!("n {n} shape {k} chain {c} masked {masked}");
                    let input = if masked {
                        Logits::new(x).with_mask(&mask)
                    } else {
                        Logits::new(x)
                    };
                    let mut s = Sampler::from_chain(chain.clone(), 1);
                    // The likeliest tokens were generated: the penalties lower them.
                    for &id in order.iter().take(12) {
                        s.accept(id);
                    }
                    let mut oracle = reference::Candidates::new(input).unwrap();
                    for (i, stage) in s.chain().stages().iter().enumerate() {
                        stage.apply_reference(&mut oracle, &Context::new(1, 0).at_stage(i as u32));
                    }
                    let Ok(d) = s.distribution(input) else {
                        assert!(oracle.ids().is_empty(), "{what}");
                        continue;
                    };
                    let t = oracle.temperature() as f64;
                    let top = oracle.logit(oracle.ids()[0]) as f64;
                    let z = |id: u32| (oracle.logit(id) as f64 - top) / t;
                    let ln_s = oracle.ids().iter().map(|&id| z(id).exp()).sum::<f64>().ln();
                    let got = d.log_normalizer();
                    assert!(
                        (got - ln_s).abs() <= 1e-6 * ln_s.max(1.0),
                        "{what}: ln S {got} vs {ln_s}"
                    );
                    // Every candidate's rank up to 300 of them, else the first and last 20
                    // and every 4,999th (each rank is a pass over the logits).
                    let len = oracle.ids().len();
                    let checked = (0..len)
                        .filter(|&p| len <= 300 || p < 20 || p + 20 >= len || p % 4_999 == 0);
                    for pos in checked {
                        let id = oracle.ids()[pos];
                        assert_eq!(d.rank(id), pos as u64 + 1, "{what}: rank of {id}");
                        let lp = d.logprob(id, got);
                        assert!(close(lp, z(id) - ln_s), "{what}: logprob of {id}: {lp}");
                    }
                }
            }
        }
    }
}

/// The raw report ignores the bitmask (it is the model's log-softmax): the same values as
/// `log_softmax` of the unmasked logits, with the sampled token among the allowed ones.
#[test]
fn raw_reports_ignore_the_mask() {
    use logits::Logits;
    for n in [1usize, 31, 32, 33, 300, 1000, 32_000] {
        let x = common::lm_like(n, 11);
        let mask: Vec<u32> = (0..n.div_ceil(32) as u64)
            .map(|i| logits::rng::word(5, i) as u32 | 1)
            .collect();
        let all = logits::log_softmax(&x).unwrap();
        let truth = raw_truth(&x);
        let mut s = Sampler::new(SamplingParams::default().seed(3)).unwrap();
        for _ in 0..5 {
            let mut lp = Logprobs::new();
            let t = s
                .sample_with_logprobs(
                    Logits::new(&x).with_mask(&mask),
                    20,
                    LogprobSource::Raw,
                    &mut lp,
                )
                .unwrap();
            assert!(
                mask[t.token as usize / 32] >> (t.token % 32) & 1 == 1,
                "n {n}"
            );
            check(&lp, &truth, 20, &format!("n {n}"));
            assert_eq!(lp.logprob().to_bits(), all[t.token as usize].to_bits());
        }
    }
}
