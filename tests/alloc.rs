//! After the first call at a vocabulary size, sampling allocates nothing: a counting global
//! allocator watches 100 further calls of every chain. (Alone in its binary: the allocator is
//! process-wide.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use logits::{Sampler, SamplingParams};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; we only count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
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
                ALLOCATIONS.store(0, Ordering::SeqCst);
                COUNTING.store(true, Ordering::SeqCst);
                let mut acc = 0u64;
                for _ in 0..100 {
                    acc += s.sample(&x).unwrap().token as u64;
                    let d = s.distribution(&x).unwrap();
                    acc += d.iter().map(|(id, _)| id as u64).sum::<u64>();
                }
                COUNTING.store(false, Ordering::SeqCst);
                let count = ALLOCATIONS.load(Ordering::SeqCst);
                assert_eq!(
                    count, 0,
                    "n {n}, {params:?}: {count} allocations (acc {acc})"
                );
            }
        }
    }
}
