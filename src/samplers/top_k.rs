//! Top-k: keep the `k` most probable tokens.
//!
//! **Definition.** Exactly `min(k, n)` tokens, where `n` is the number of unmasked tokens: the
//! highest logits, exact ties broken by the lower token id (so `[1, 1, 1]` with `k = 2` keeps
//! ids 0 and 1). `k = 0` disables the filter. Top-k is independent of temperature (which does
//! not reorder logits), so it never needs an `exp`.
//!
//! **Ties.** [`TopK::keep_ties`] keeps, besides, every token whose logit equals the k-th's:
//! Hugging Face, vLLM and FlashInfer's rule (with bf16 logits a tie at the k-th is common).
//! **`min_keep`** ([`TopK::min_keep`]): `max(k, min_keep)` tokens, as llama.cpp and Hugging
//! Face's `min_tokens_to_keep` do.
//!
//! Engines: llama.cpp keeps exactly `k` (ties in whatever order `std::partial_sort` leaves);
//! Hugging Face and vLLM keep every token tied with the k-th (`k = 0`, and vLLM's `-1`, disable).

use crate::{reference, samplers::Context, Candidates, Error, Stage, Workspace};
use alloc::vec::Vec;

/// A top-k parameter. Every `k` is valid; `0` disables the filter.
///
/// ```
/// assert!(logits::TopK::new(0).is_disabled());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TopK {
    k: usize,
    min_keep: usize,
    keep_ties: bool,
}

impl TopK {
    /// `k` tokens, exactly (ties by lower id); `0` = disabled.
    ///
    /// ```
    /// assert_eq!(logits::TopK::new(40).get(), 40);
    /// ```
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            min_keep: 0,
            keep_ties: false,
        }
    }

    /// Also keeps every token tied with the k-th (Hugging Face, vLLM).
    ///
    /// ```
    /// use logits::{Candidates, TopK, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[2.0, 1.0, 1.0, 0.0], &mut workspace)?;
    /// c.apply(&TopK::new(2).keep_ties());
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_ties(self) -> Self {
        TopK {
            keep_ties: true,
            ..self
        }
    }

    /// Keeps at least `min_keep` tokens: `max(k, min_keep)` (when `k > 0`).
    ///
    /// ```
    /// use logits::{Candidates, TopK, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[2.0, 1.0, 0.0], &mut workspace)?;
    /// c.apply(&TopK::new(1).min_keep(2));
    /// assert_eq!(c.len(), 2);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        TopK { min_keep, ..self }
    }

    /// The value of `k`.
    ///
    /// ```
    /// assert_eq!(logits::TopK::new(40).get(), 40);
    /// ```
    pub fn get(self) -> usize {
        self.k
    }

    /// `k == 0`.
    ///
    /// ```
    /// assert!(logits::TopK::default().is_disabled() && !logits::TopK::new(5).is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.k == 0
    }

    /// The number of tokens it keeps (before ties): `max(k, min_keep)`, or 0 when disabled.
    fn n(self) -> usize {
        if self.k == 0 {
            0
        } else {
            self.k.max(self.min_keep)
        }
    }
}

impl Stage for TopK {
    fn name(&self) -> &'static str {
        "top_k"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.keep_ties {
            candidates.keep_top_with_ties(self.n());
        } else {
            candidates.keep_top(self.n());
        }
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.keep_ties {
            candidates.keep_top_with_ties(self.n());
        } else {
            candidates.keep_top(self.n());
        }
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
