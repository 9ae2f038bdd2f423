//! A batch of sequences sampled in parallel: `cargo run --release --example batch --features rayon`.
//!
//! Eight sequences, each with its own parameters and seed, share one contiguous buffer of
//! logits per step, as an engine holds them; the rows are sampled on a rayon pool, one workspace
//! per worker thread. The tokens are the same on any number of threads.

use logits::batch::{par_sample_batch, sample_batch, Rows};
use logits::{Error, Sampler, SamplingParams, Window, Workspace};

fn main() -> Result<(), Error> {
    let (batch, vocabulary) = (8, 32_000);
    let params = |i: usize| {
        SamplingParams::default()
            .temperature(0.6 + 0.1 * i as f32)
            .top_p(0.9)
            .min_p(0.05)
            .repetition_penalty(1.1)
            .penalty_window(Window::Last(64))
            .seed(i as u64)
    };
    let samplers: Vec<Sampler> = (0..batch)
        .map(|i| Sampler::new(params(i)))
        .collect::<Result<_, _>>()?;
    let (mut parallel, mut sequential) = (samplers.clone(), samplers);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool");
    pool.broadcast(|_| logits::batch::reserve_thread_workspace(vocabulary));
    let mut workspace = Workspace::with_vocabulary(vocabulary);
    let mut logits = vec![0.0f32; batch * vocabulary];
    let (mut out_p, mut out_s) = (
        vec![Err(Error::EmptyLogits); batch],
        vec![Err(Error::EmptyLogits); batch],
    );
    for step in 0..5 {
        // A stand-in for the model: Zipf-like logits, shuffled differently per row and step.
        for (r, row) in logits.chunks_mut(vocabulary).enumerate() {
            for (rank, x) in (0..vocabulary).map(|k| (k, -1.2 * ((k + 1) as f32).ln())) {
                row[(rank * 7919 + 31 * (r + step)) % vocabulary] = x;
            }
        }
        let rows = Rows::new(&logits, vocabulary)?;
        pool.install(|| par_sample_batch(&mut parallel, rows, &mut out_p))?;
        sample_batch(&mut sequential, rows, &mut workspace, &mut out_s)?;
        assert_eq!(out_p, out_s);
        let tokens: Vec<u32> = out_p
            .iter()
            .map(|r| r.map_or(u32::MAX, |s| s.token))
            .collect();
        println!("step {step}: {tokens:?}");
    }
    Ok(())
}
