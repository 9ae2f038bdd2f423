//! Allowed and banned token lists.
//!
//! **Definitions.** [`AllowedTokens`] keeps the candidates whose id is listed (vLLM's
//! `allowed_token_ids`); [`BannedTokens`] removes the listed ones (a bias of `-inf`: llama.cpp's
//! `logit_bias` with `false`, a single-token `bad_words` in vLLM). Both cost what their list
//! costs, not the vocabulary: an allowed list makes the candidate set that list, a banned one
//! edits a few logits. Ids outside the vocabulary are an error when the logits are seen
//! ([`Error::TokenOutOfRange`](crate::Error::TokenOutOfRange)); if no allowed token is a candidate,
//! [`Error::AllMasked`](crate::Error::AllMasked).

use crate::{reference, samplers::Context, Candidates, Stage};
use alloc::vec::Vec;

/// Keeps only the listed tokens.
///
/// ```
/// use logits::{AllowedTokens, Chain, Context, Workspace};
/// let mut workspace = Workspace::new();
/// let chain = Chain::new().then(AllowedTokens::new([1, 3]));
/// let d = chain.distribution(&[5.0, 0.0, 9.0, 0.0], &mut workspace, &Context::default())?;
/// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(1, 0.5), (3, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedTokens {
    ids: Vec<u32>,
}

impl AllowedTokens {
    /// The allowed ids, in any order (repeats are ignored).
    pub fn new(ids: impl IntoIterator<Item = u32>) -> Self {
        let mut ids: Vec<u32> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        AllowedTokens { ids }
    }
}

impl Stage for AllowedTokens {
    fn name(&self) -> &'static str {
        "allowed_tokens"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        candidates.keep_listed(&self.ids);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        candidates.keep_listed(&self.ids);
    }
}

/// Removes the listed tokens.
///
/// ```
/// use logits::{BannedTokens, Chain, Context, Workspace};
/// let mut workspace = Workspace::new();
/// let chain = Chain::new().then(BannedTokens::new([2]));
/// let d = chain.distribution(&[0.0, 0.0, 9.0], &mut workspace, &Context::default())?;
/// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0, 0.5), (1, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannedTokens {
    ids: Vec<u32>,
}

impl BannedTokens {
    /// The banned ids, in any order (repeats are ignored).
    pub fn new(ids: impl IntoIterator<Item = u32>) -> Self {
        let mut ids: Vec<u32> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        BannedTokens { ids }
    }
}

impl Stage for BannedTokens {
    fn name(&self) -> &'static str {
        "banned_tokens"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        for &id in &self.ids {
            candidates.edit_logit(id, f32::NEG_INFINITY);
        }
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        for &id in &self.ids {
            candidates.edit_logit(id, f32::NEG_INFINITY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chain, Error, Workspace};

    #[test]
    fn out_of_range_ids_are_errors() {
        let mut w = Workspace::new();
        let x = [0.0f32, 1.0];
        let c = Context::default();
        let allowed = Chain::new().then(AllowedTokens::new([0, 2]));
        let out = Error::TokenOutOfRange { token: 2, len: 2 };
        assert_eq!(allowed.distribution(&x, &mut w, &c).err(), Some(out));
        let banned = Chain::new().then(BannedTokens::new([5]));
        let out = Error::TokenOutOfRange { token: 5, len: 2 };
        assert_eq!(banned.distribution(&x, &mut w, &c).err(), Some(out));
        let none = Chain::new().then(BannedTokens::new([0, 1]));
        assert_eq!(
            none.distribution(&x, &mut w, &c).err(),
            Some(Error::AllMasked)
        );
    }
}
