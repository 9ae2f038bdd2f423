//! Logit bias: add a value to the logits of listed tokens.
//!
//! **Definition.** `x_i ← x_i + b_i` for each listed token `i`; every other logit is unchanged.
//! A bias of `-inf` bans the token (it can never be drawn); a sum that overflows is taken as
//! `f32::MAX`. The edit is sparse: its cost grows with the number of listed tokens, not with the
//! vocabulary, and the caller's logits are neither written nor copied.
//!
//! **Ranges.** Any finite bias, or `-inf`. OpenAI documents `[-100, 100]` (where `-100` and
//! `100` act as a ban and a forced choice); vLLM clamps to `[-100, 100]`; llama.cpp accepts any
//! value (and `false` for `-inf`). An API's own limits are the engine's to apply. A token id
//! outside the vocabulary is an error when the logits are seen
//! ([`Error::TokenOutOfRange`]): vLLM rejects it too, llama.cpp skips it.
//!
//! **Order.** Engines apply it first, before penalties and truncation (llama.cpp, vLLM).

use crate::{reference, samplers::Context, Candidates, Error, Stage};
use alloc::vec::Vec;

/// A sparse additive bias, validated once.
///
/// ```
/// use logits::{Chain, Context, LogitBias, Workspace};
/// let bias = LogitBias::new([(0, -100.0), (2, 5.0), (3, f32::NEG_INFINITY)])?;
/// let mut workspace = Workspace::new();
/// let d = Chain::new().then(bias).distribution(&[3.0, 1.0, 0.0, 9.0], &mut workspace, &Context::default())?;
/// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0, 1, 2]); // 3 is banned
/// assert!(d.probability(2) > 0.97); // 0 + 5 leads
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LogitBias {
    /// `(token, bias)`, one entry per token, ascending ids.
    entries: Vec<(u32, f32)>,
}

impl LogitBias {
    /// A bias from `(token, bias)` pairs; several entries for one token add up.
    ///
    /// Errors: [`Error::InvalidParameter`] for a NaN or `+inf` bias.
    ///
    /// ```
    /// use logits::{Error, LogitBias};
    /// assert_eq!(LogitBias::new([(7, 1.0), (7, 2.0)])?.entries(), &[(7, 3.0)]);
    /// assert!(matches!(LogitBias::new([(1, f32::NAN)]), Err(Error::InvalidParameter { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(entries: impl IntoIterator<Item = (u32, f32)>) -> Result<Self, Error> {
        let mut e: Vec<(u32, f32)> = Vec::new();
        for (token, bias) in entries {
            if bias.is_nan() || bias == f32::INFINITY {
                return Err(Error::InvalidParameter {
                    name: "logit_bias",
                    value: bias,
                    expected: "a finite number or -inf",
                });
            }
            e.push((token, bias));
        }
        e.sort_by_key(|&(token, _)| token);
        let mut merged: Vec<(u32, f32)> = Vec::with_capacity(e.len());
        for (token, bias) in e {
            match merged.last_mut() {
                Some(last) if last.0 == token => last.1 += bias,
                _ => merged.push((token, bias)),
            }
        }
        Ok(LogitBias { entries: merged })
    }

    /// The `(token, bias)` entries, one per token, ascending ids.
    ///
    /// ```
    /// assert_eq!(logits::LogitBias::new([(2, 1.0), (1, -1.0)])?.entries(), &[(1, -1.0), (2, 1.0)]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn entries(&self) -> &[(u32, f32)] {
        &self.entries
    }
}

impl Stage for LogitBias {
    fn name(&self) -> &'static str {
        "logit_bias"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        candidates.update_logits(&self.entries, |x, bias| x + bias);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        candidates.update_logits(&self.entries, |x, bias| x + bias);
    }
}
