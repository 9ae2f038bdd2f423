//! llama.cpp's draw: its random stream and its inverse-CDF scan, for the llama.cpp preset.
//!
//! llama.cpp's `dist` sampler (`src/llama-sampler.cpp`) draws one `double` per token from a
//! `std::mt19937` seeded with the sampler's seed, through `std::uniform_real_distribution<double>`
//! (libstdc++: two outputs, see [`Mt19937::next_canonical_f64`]), also when a single candidate
//! is left. It weighs the candidates left in its array as `p_i = expf(l_i - l_max)` in f32,
//! where `l = logit / T` (llama.cpp's temperature divides each logit, in f32) and `l_max` is the
//! first candidate's if the array is sorted, else the largest; sums them in f64; and walks the
//! array in its order, picking the first candidate whose running f64 sum reaches
//! `sum · u` (`>=`). The array is sorted, by logit descending, once top-k (`k > 0`) or top-p
//! (`p < 1`) has run; otherwise it is in id order.
//!
//! [`LlamaCppDraw`] repeats that over the candidates this crate's chain kept; where the two can
//! still differ is said in [`Sampler::llama_cpp`](crate::Sampler::llama_cpp).
//!
//! [`Mt19937::next_canonical_f64`]: crate::rng::Mt19937::next_canonical_f64

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{rng::Mt19937, Distribution, Sample};
use alloc::{boxed::Box, vec::Vec};

/// llama.cpp's random stream and scan, with the scratch space the scan needs.
#[derive(Clone, Debug)]
pub(crate) struct LlamaCppDraw {
    seed: u32,
    mt: Box<Mt19937>,
    /// Whether llama.cpp's array is sorted by logit at the draw (top-k or top-p ran).
    sorted: bool,
    /// The candidates in llama.cpp's order, with their scaled logits.
    order: Vec<(u32, f32)>,
}

impl LlamaCppDraw {
    /// Grows the scan's list to `n` candidates.
    pub(crate) fn reserve(&mut self, n: usize) {
        if self.order.capacity() < n {
            self.order.reserve_exact(n - self.order.len());
        }
    }

    pub(crate) fn new(seed: u32, sorted: bool) -> Self {
        LlamaCppDraw {
            seed,
            mt: Box::new(Mt19937::new(seed)),
            sorted,
            order: Vec::new(),
        }
    }

    /// Back to the start of the stream.
    pub(crate) fn reset(&mut self) {
        *self.mt = Mt19937::new(self.seed);
    }

    /// The stream at `step` draws: restarted, then `step` draws taken.
    pub(crate) fn seek(&mut self, step: u64) {
        self.reset();
        for _ in 0..step {
            self.mt.next_canonical_f64();
        }
    }

    /// Takes `n` draws from the stream unused (the steps a speculative verification moved on).
    pub(crate) fn skip(&mut self, n: u64) {
        for _ in 0..n {
            self.mt.next_canonical_f64();
        }
    }

    /// Draws a token from `d` as llama.cpp's `dist` does, taking one `double` from the stream.
    pub(crate) fn draw(&mut self, d: &Distribution) -> Sample {
        let u = self.mt.next_canonical_f64();
        let t = d.temperature();
        self.order.clear();
        self.order.extend(d.ids().map(|id| (id, d.logit(id) / t)));
        if self.sorted {
            // Logit descending; exact ties by the lower id (llama.cpp leaves them unspecified).
            self.order
                .sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(core::cmp::Ordering::Equal));
        }
        let max = if self.sorted {
            self.order.first().map_or(0.0, |&(_, l)| l)
        } else {
            self.order
                .iter()
                .fold(f32::NEG_INFINITY, |m, &(_, l)| if l > m { l } else { m })
        };
        let weight = |l: f32| (l - max).exp();
        let total: f64 = self.order.iter().map(|&(_, l)| weight(l) as f64).sum();
        let target = total * u;
        let mut run = 0.0f64;
        let token = self
            .order
            .iter()
            .find(|&&(_, l)| {
                run += weight(l) as f64;
                run >= target
            })
            .or(self.order.last())
            .map_or(0, |&(id, _)| id);
        Sample {
            token,
            probability: d.probability(token),
        }
    }
}
