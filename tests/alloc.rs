//! After the first call at a vocabulary size, sampling allocates nothing: a counting global
//! allocator watches 100 further calls of every chain, and sequences sharing one workspace.
//! (The allocator is process-wide: it counts only the allocations of the thread that asked.)

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
