//! Batches: every row of a batch is exactly its own sampler's `sample` on that row, whatever the
//! order of the rows, however the batch is split or merged and (feature `rayon`) whatever the
//! number of threads; state (steps, penalties' counts, mirostat's mu, DRY's history) advances
//! as it does row by row. Bad rows give their own error and leave the others alone; a batch of
//! the wrong shape is refused before any row is sampled.

use logits::batch::{sample_batch, sample_batch_with_logprobs, LogprobRequest, Rows};
use logits::{
    Chain, Dry, Error, LogprobSource, Logprobs, MinP, MirostatV2, Penalties, Sample, Sampler,
    SamplingParams, Temperature, TopK, TopP, Typical, Window, Workspace, Xtc,
};

const V: usize = 3000;
const B: usize = 10;

/// Ten sequences with different parameters, seeds and stateful stages.
fn samplers() -> Vec<Sampler> {
    let p = SamplingParams::default;
    let s = vec![
        Sampler::new(
            p().temperature(0.8)
                .top_k(40)
                .top_p(0.95)
                .min_p(0.05)
                .seed(1),
        )
        .unwrap(),
        Sampler::new(p().temperature(0.0)).unwrap(),
        Sampler::new(
            p().temperature(1.2)
                .repetition_penalty(1.3)
                .frequency_penalty(0.4)
                .presence_penalty(0.2)
                .penalty_window(Window::Last(8))
                .seed(3),
        )
        .unwrap(),
        Sampler::new(
            p().repetition_penalty(1.5)
                .penalty_window(Window::All)
                .seed(4),
        )
        .unwrap(),
        Sampler::from_chain(Chain::new().then(MirostatV2::new(3.0, 0.1).unwrap()), 5),
        Sampler::from_chain(
            Chain::new()
                .then(Dry::new(0.8, 1.75, 2, Window::Last(64)).unwrap())
                .then(Temperature::new(1.5).unwrap()),
            6,
        ),
        Sampler::from_chain(
            Chain::new()
                .then(Typical::new(0.9).unwrap())
                .then(Xtc::new(0.5, 0.05).unwrap()),
            7,
        ),
        Sampler::from_chain(
            Chain::new()
                .then(TopK::new(300))
                .then(TopP::new(0.5).unwrap())
                .then(MinP::new(0.1).unwrap()),
            8,
        ),
        Sampler::llama_cpp(&p().temperature(0.7).top_k(40).top_p(0.9).seed(9)).unwrap(),
        Sampler::new(p().temperature(2.0).seed(10)).unwrap(),
    ];
    assert_eq!(s.len(), B);
    s
}

/// The logits of step `step`: row `r` Zipf-like over a permutation that depends on both, with
/// few enough strong tokens that stateful stages see repeats.
fn logits(step: usize) -> Vec<f32> {
    let mut x = vec![0.0f32; B * V];
    for (r, row) in x.chunks_mut(V).enumerate() {
        for rank in 0..V {
            let id = (rank * 7919 + 13 * r + (step % 3) * 101) % V;
            row[id] = -1.1 * ((rank + 1) as f32).ln() + 0.05 * ((rank * r) % 7) as f32;
        }
    }
    x
}

fn unset() -> Vec<Result<Sample, Error>> {
    vec![Err(Error::EmptyLogits); B]
}

/// Row by row, each sampler in its own workspace: the definition of a batch.
fn by_rows(samplers: &mut [Sampler], x: &[f32]) -> Vec<Result<Sample, Error>> {
    samplers
        .iter_mut()
        .zip(x.chunks(V))
        .map(|(s, row)| s.sample(row))
        .collect()
}

/// What later steps can tell about a sampler: its step, and the next tokens it samples from a
/// fixed row (which depend on every stage's state).
fn fingerprint(s: &Sampler) -> (u64, Vec<u32>) {
    let mut s = s.clone();
    let x = logits(99);
    let tokens = (0..3).map(|_| s.sample(&x[..V]).unwrap().token).collect();
    (s.step(), tokens)
}

#[test]
fn a_batch_equals_its_rows_sampled_one_by_one() {
    let (mut batch, mut rows) = (samplers(), samplers());
    let mut workspace = Workspace::new();
    let mut out = unset();
    for step in 0..12 {
        let x = logits(step);
        sample_batch(
            &mut batch,
            Rows::new(&x, V).unwrap(),
            &mut workspace,
            &mut out,
        )
        .unwrap();
        let want = by_rows(&mut rows, &x);
        assert_eq!(out, want, "step {step}");
        assert!(out.iter().all(|r| r.is_ok()));
    }
    for (a, b) in batch.iter().zip(&rows) {
        assert_eq!(a.step(), 12);
        assert_eq!(fingerprint(a), fingerprint(b));
    }
}

/// The state of the stateful rows is what the tokens accepted make it: checked through the
/// stages' own accessors on a chain that learns the same tokens.
#[test]
fn state_advances_with_the_accepted_tokens() {
    let penalties = || Penalties::new(1.3, 0.5, 0.0, Window::All).unwrap();
    let mirostat = || MirostatV2::new(3.0, 0.2).unwrap();
    let dry = || Dry::new(0.8, 1.75, 2, Window::Last(32)).unwrap();
    let mut batch = vec![
        Sampler::from_chain(Chain::new().then(penalties()), 1),
        Sampler::from_chain(Chain::new().then(mirostat()), 2),
        Sampler::from_chain(Chain::new().then(dry()), 3),
    ];
    let (mut p, mut m, mut d) = (penalties(), mirostat(), dry());
    let mut workspace = Workspace::new();
    let mut out = vec![Err(Error::EmptyLogits); 3];
    let mut tokens: Vec<Vec<u32>> = vec![Vec::new(); 3];
    for step in 0..20 {
        let mut x = logits(step);
        // DRY's row: three likely tokens, so that repeats come soon.
        x[2 * V..3 * V].fill(-20.0);
        x[2 * V + 10..2 * V + 13].fill(0.0);
        let x = &x[..3 * V];
        sample_batch(
            &mut batch,
            Rows::new(x, V).unwrap(),
            &mut workspace,
            &mut out,
        )
        .unwrap();
        for (r, o) in out.iter().enumerate() {
            tokens[r].push(o.unwrap().token);
        }
        // Mirostat learns from the draw's surprise: replay it on its own copy.
        use logits::Stage;
        let s1 = out[1].unwrap();
        m.observe(&s1);
        m.accept(s1.token);
        p.accept(out[0].unwrap().token);
        d.accept(out[2].unwrap().token);
    }
    // Penalties over an `All` window count every accepted token.
    let mut counts: Vec<(u32, u32)> = Vec::new();
    for &t in &tokens[0] {
        match counts.binary_search_by_key(&t, |&(id, _)| id) {
            Ok(k) => counts[k].1 += 1,
            Err(k) => counts.insert(k, (t, 1)),
        }
    }
    assert_eq!(p.counts(), &counts[..]);
    assert_eq!(d.history().collect::<Vec<_>>(), tokens[2]);
    assert_ne!(m.mu(), 6.0, "mu moved from its start, 2 tau");
    assert!(!d.penalties().is_empty(), "DRY sees repeats");
    // The batch's samplers carry the same state as the replayed stages: the same next tokens
    // as samplers built from them.
    let replayed = [
        Sampler::from_chain(Chain::new().then(p), 1),
        Sampler::from_chain(Chain::new().then(m), 2),
        Sampler::from_chain(Chain::new().then(d), 3),
    ];
    for (a, mut b) in batch.iter().zip(replayed) {
        b.set_step(20);
        assert_eq!(fingerprint(a), fingerprint(&b));
    }
}

#[test]
fn permuted_rows_give_permuted_results() {
    let perm = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5];
    let (mut plain, original) = (samplers(), samplers());
    let mut permuted: Vec<Sampler> = perm.iter().map(|&i| original[i].clone()).collect();
    let mut workspace = Workspace::new();
    let (mut a, mut b) = (unset(), unset());
    for step in 0..8 {
        let x = logits(step);
        let y: Vec<f32> = perm
            .iter()
            .flat_map(|&i| x[i * V..(i + 1) * V].iter().copied())
            .collect();
        sample_batch(
            &mut plain,
            Rows::new(&x, V).unwrap(),
            &mut workspace,
            &mut a,
        )
        .unwrap();
        sample_batch(
            &mut permuted,
            Rows::new(&y, V).unwrap(),
            &mut workspace,
            &mut b,
        )
        .unwrap();
        for (k, &i) in perm.iter().enumerate() {
            assert_eq!(b[k], a[i], "step {step}, row {i}");
        }
    }
    for (k, &i) in perm.iter().enumerate() {
        assert_eq!(fingerprint(&permuted[k]), fingerprint(&plain[i]));
    }
}

#[test]
fn split_and_merged_batches_agree() {
    let (mut whole, mut parts) = (samplers(), samplers());
    let mut workspace = Workspace::new();
    let mut out = unset();
    for step in 0..10 {
        let x = logits(step);
        sample_batch(
            &mut whole,
            Rows::new(&x, V).unwrap(),
            &mut workspace,
            &mut out,
        )
        .unwrap();
        // Another split each step, including the empty batch and single rows.
        let cut = step % (B + 1);
        let (s0, s1) = parts.split_at_mut(cut);
        let (x0, x1) = x.split_at(cut * V);
        let mut out0 = vec![Err(Error::EmptyLogits); cut];
        let mut out1 = vec![Err(Error::EmptyLogits); B - cut];
        // The second part first, in a workspace of its own.
        sample_batch(
            s1,
            Rows::new(x1, V).unwrap(),
            &mut Workspace::new(),
            &mut out1,
        )
        .unwrap();
        sample_batch(s0, Rows::new(x0, V).unwrap(), &mut workspace, &mut out0).unwrap();
        out0.extend(out1);
        assert_eq!(out0, out, "step {step}, cut {cut}");
    }
    for (a, b) in whole.iter().zip(&parts) {
        assert_eq!(fingerprint(a), fingerprint(b));
    }
}

#[test]
fn a_bad_row_fails_alone() {
    let mut batch = samplers();
    let mut rows = samplers();
    let mut x = logits(0);
    x[2 * V + 17] = f32::NAN;
    x[4 * V + 5] = f32::INFINITY;
    x[6 * V..7 * V].fill(f32::NEG_INFINITY);
    let mut out = unset();
    sample_batch(
        &mut batch,
        Rows::new(&x, V).unwrap(),
        &mut Workspace::new(),
        &mut out,
    )
    .unwrap();
    assert_eq!(out[2], Err(Error::NanLogit { index: 17 }));
    assert_eq!(out[4], Err(Error::PositiveInfiniteLogit { index: 5 }));
    assert_eq!(out[6], Err(Error::AllMasked));
    assert_eq!(out, by_rows(&mut rows, &x));
    for (i, s) in batch.iter().enumerate() {
        let failed = [2, 4, 6].contains(&i);
        assert_eq!(s.step(), u64::from(!failed), "row {i}");
    }
}

#[test]
fn a_batch_of_the_wrong_shape_is_refused_up_front() {
    let x = logits(0);
    assert_eq!(
        Rows::new(&x[..V + 1], V),
        Err(Error::LengthMismatch {
            expected: 2 * V,
            found: V + 1
        })
    );
    assert_eq!(Rows::new(&x, 0), Err(Error::EmptyLogits));
    let rows = Rows::new(&x, V).unwrap();
    assert_eq!(
        rows.with_masks(&[0; 3]),
        Err(Error::LengthMismatch {
            expected: B * V.div_ceil(32),
            found: 3
        })
    );
    let mut batch = samplers();
    let mut workspace = Workspace::new();
    let wrong = [(B - 1, B, B - 1), (B, B + 1, B + 1)];
    for (n_samplers, n_out, found) in wrong {
        let mut out = vec![Err(Error::EmptyLogits); n_out];
        let r = sample_batch(&mut batch[..n_samplers], rows, &mut workspace, &mut out);
        assert_eq!(r, Err(Error::LengthMismatch { expected: B, found }));
        assert!(out.iter().all(|o| *o == Err(Error::EmptyLogits)));
    }
    let mut logprobs = vec![Logprobs::new(); B - 2];
    let mut out = unset();
    let request = LogprobRequest {
        top_n: 3,
        source: LogprobSource::Raw,
    };
    let r = sample_batch_with_logprobs(
        &mut batch,
        rows,
        request,
        &mut workspace,
        &mut logprobs,
        &mut out,
    );
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            expected: B,
            found: B - 2
        })
    );
    assert!(batch.iter().all(|s| s.step() == 0), "nothing was sampled");
}

#[test]
fn masked_rows_equal_masked_logits() {
    let words = V.div_ceil(32);
    // Row r allows the tokens whose id is a multiple of r + 2 (and row 0 a single token).
    let mut masks = vec![0u32; B * words];
    for r in 0..B {
        for id in (0..V).filter(|&id| {
            if r == 0 {
                id == 1234
            } else {
                id.is_multiple_of(r + 2)
            }
        }) {
            masks[r * words + id / 32] |= 1 << (id % 32);
        }
    }
    let (mut batch, mut rows) = (samplers(), samplers());
    let mut out = unset();
    for step in 0..5 {
        let x = logits(step);
        let batch_rows = Rows::new(&x, V).unwrap().with_masks(&masks).unwrap();
        sample_batch(&mut batch, batch_rows, &mut Workspace::new(), &mut out).unwrap();
        for (r, s) in rows.iter_mut().enumerate() {
            let mask = &masks[r * words..(r + 1) * words];
            let want = s.sample(logits::Logits::new(&x[r * V..(r + 1) * V]).with_mask(mask));
            assert_eq!(out[r], want, "step {step}, row {r}");
            let t = want.unwrap().token as usize;
            assert!(if r == 0 {
                t == 1234
            } else {
                t.is_multiple_of(r + 2)
            });
        }
    }
}

#[test]
fn batch_logprobs_equal_per_row_logprobs() {
    for (top_n, source) in [
        (5, LogprobSource::Raw),
        (20, LogprobSource::Processed),
        (usize::MAX, LogprobSource::Processed),
    ] {
        let request = LogprobRequest { top_n, source };
        let (mut batch, mut rows) = (samplers(), samplers());
        let mut logprobs = vec![Logprobs::new(); B];
        let mut want = Logprobs::new();
        let mut out = unset();
        let mut workspace = Workspace::new();
        for step in 0..4 {
            let x = logits(step);
            let r = Rows::new(&x, V).unwrap();
            sample_batch_with_logprobs(
                &mut batch,
                r,
                request,
                &mut workspace,
                &mut logprobs,
                &mut out,
            )
            .unwrap();
            for (i, s) in rows.iter_mut().enumerate() {
                let t = s.sample_with_logprobs(&x[i * V..(i + 1) * V], top_n, source, &mut want);
                assert_eq!(out[i], t);
                assert_eq!(logprobs[i], want, "{request:?}, step {step}, row {i}");
            }
        }
    }
}

#[cfg(feature = "rayon")]
mod parallel {
    use super::*;
    use logits::batch::{par_sample_batch, par_sample_batch_with_logprobs};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    #[test]
    fn the_thread_count_changes_nothing() {
        let mut reference = samplers();
        let mut by_threads: Vec<(rayon::ThreadPool, Vec<Sampler>)> =
            [1, 2, 3, 4].map(|t| (pool(t), samplers())).into();
        let mut workspace = Workspace::new();
        let mut want = unset();
        for step in 0..8 {
            let x = logits(step);
            let rows = Rows::new(&x, V).unwrap();
            sample_batch(&mut reference, rows, &mut workspace, &mut want).unwrap();
            for (pool, s) in &mut by_threads {
                let mut out = unset();
                pool.install(|| par_sample_batch(s, rows, &mut out))
                    .unwrap();
                assert_eq!(
                    out,
                    want,
                    "{} threads, step {step}",
                    pool.current_num_threads()
                );
            }
        }
        for (pool, s) in &by_threads {
            for (a, b) in s.iter().zip(&reference) {
                assert_eq!(
                    fingerprint(a),
                    fingerprint(b),
                    "{} threads",
                    pool.current_num_threads()
                );
            }
        }
    }

    /// Rows permuted and the batch split in two, on pools of different sizes: still the rows'
    /// own results.
    #[test]
    fn permuted_and_split_parallel_batches_agree() {
        let perm = [3, 8, 1, 6, 0, 9, 5, 2, 7, 4];
        let mut reference = samplers();
        let original = samplers();
        let mut permuted: Vec<Sampler> = perm.iter().map(|&i| original[i].clone()).collect();
        let (p2, p3) = (pool(2), pool(3));
        let mut workspace = Workspace::new();
        let mut want = unset();
        for step in 0..8 {
            let x = logits(step);
            sample_batch(
                &mut reference,
                Rows::new(&x, V).unwrap(),
                &mut workspace,
                &mut want,
            )
            .unwrap();
            let y: Vec<f32> = perm
                .iter()
                .flat_map(|&i| x[i * V..(i + 1) * V].iter().copied())
                .collect();
            let cut = 1 + step % (B - 1);
            let (s0, s1) = permuted.split_at_mut(cut);
            let (y0, y1) = y.split_at(cut * V);
            let mut out0 = vec![Err(Error::EmptyLogits); cut];
            let mut out1 = vec![Err(Error::EmptyLogits); B - cut];
            p3.install(|| par_sample_batch(s1, Rows::new(y1, V).unwrap(), &mut out1))
                .unwrap();
            p2.install(|| par_sample_batch(s0, Rows::new(y0, V).unwrap(), &mut out0))
                .unwrap();
            out0.extend(out1);
            for (k, &i) in perm.iter().enumerate() {
                assert_eq!(out0[k], want[i], "step {step}, row {i}");
            }
        }
    }

    #[test]
    fn parallel_errors_and_logprobs_equal_sequential() {
        let request = LogprobRequest {
            top_n: 8,
            source: LogprobSource::Processed,
        };
        let (mut seq, mut par) = (samplers(), samplers());
        let (mut lp_seq, mut lp_par) = (vec![Logprobs::new(); B], vec![Logprobs::new(); B]);
        let (mut out_seq, mut out_par) = (unset(), unset());
        let mut workspace = Workspace::new();
        let p = pool(3);
        for step in 0..5 {
            let mut x = logits(step);
            x[(step % B) * V + step] = f32::NAN;
            let rows = Rows::new(&x, V).unwrap();
            sample_batch_with_logprobs(
                &mut seq,
                rows,
                request,
                &mut workspace,
                &mut lp_seq,
                &mut out_seq,
            )
            .unwrap();
            p.install(|| {
                par_sample_batch_with_logprobs(&mut par, rows, request, &mut lp_par, &mut out_par)
            })
            .unwrap();
            assert_eq!(out_par, out_seq);
            assert_eq!(out_par[step % B], Err(Error::NanLogit { index: step }));
            assert_eq!(lp_par, lp_seq);
        }
        let mut short = vec![Err(Error::EmptyLogits); B - 1];
        let x = logits(0);
        let r = p.install(|| par_sample_batch(&mut par, Rows::new(&x, V).unwrap(), &mut short));
        assert_eq!(
            r,
            Err(Error::LengthMismatch {
                expected: B,
                found: B - 1
            })
        );
    }
}
