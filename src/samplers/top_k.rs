//! Top-k: keep the `k` most probable tokens.
//!
//! **Definition.** Exactly `min(k, n)` tokens, where `n` is the number of unmasked tokens: the
//! highest logits, exact ties broken by the lower token id (so `[1, 1, 1]` with `k = 2` keeps
//! ids 0 and 1). `k = 0` disables the filter. Top-k is independent of temperature (which does
//! not reorder logits), so it never needs an `exp`.
//!
//! Engines: llama.cpp keeps exactly `k` (ties in whatever order `std::partial_sort` leaves);
//! Hugging Face and vLLM keep every token tied with the k-th (`k = 0`, and vLLM's `-1`, disable).

use crate::{reference, samplers::Context, Candidates, Error, Stage, Workspace};

/// A top-k parameter. Every `k` is valid; `0` disables the filter.
///
/// ```
/// assert!(logits::TopK::new(0).is_disabled());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TopK(usize);

impl TopK {
    /// `k` tokens; `0` = disabled.
    ///
    /// ```
    /// assert_eq!(logits::TopK::new(40).get(), 40);
    /// ```
    pub fn new(k: usize) -> Self {
        TopK(k)
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(logits::TopK::new(40).get(), 40);
    /// ```
    pub fn get(self) -> usize {
        self.0
    }

    /// `k == 0`.
    ///
    /// ```
    /// assert!(logits::TopK::default().is_disabled() && !logits::TopK::new(5).is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.0 == 0
    }
}

impl Stage for TopK {
    fn name(&self) -> &'static str {
        "top_k"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        candidates.keep_top(self.0);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        candidates.keep_top(self.0);
    }
}

/// The ids kept by top-k, ascending. Allocating convenience over [`Candidates::keep_top`].
///
/// ```
/// assert_eq!(logits::top_k(&[0.5, 2.0, 2.0, 1.0], 2)?, vec![1, 2]);
/// assert_eq!(logits::top_k(&[1.0, 1.0, 1.0], 2)?, vec![0, 1]); // ties: lower id
/// # Ok::<(), logits::Error>(())
/// ```
pub fn top_k(logits: &[f32], k: usize) -> Result<Vec<u32>, Error> {
    let mut workspace = Workspace::new();
    let mut c = Candidates::new(logits, &mut workspace)?;
    c.keep_top(k);
    Ok(c.ids().collect())
}
