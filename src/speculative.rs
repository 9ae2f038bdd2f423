//! Speculative decoding: accepting or replacing a draft model's tokens so that the output is
//! distributed exactly as sampling from the target.
//!
//! A small draft model proposes `k` tokens `x_0 .. x_{k-1}`, each drawn from its distribution
//! `q_i`; the target model scores the prefix and the drafts in one pass, giving its
//! distributions `p_0 .. p_k`. The verification (Leviathan, Kalman & Matias, "Fast Inference
//! from Transformers via Speculative Decoding", ICML 2023, arXiv:2211.17192; Chen et al.,
//! "Accelerating Large Language Model Decoding with Speculative Sampling", arXiv:2302.01318):
//!
//! ```text
//! for i in 0..k:
//!     accept x_i with probability min(1, p_i(x_i) / q_i(x_i))
//!     on rejection: emit y ~ r_i,  r_i(y) ∝ max(0, p_i(y) - q_i(y)),  and stop
//! all k accepted: emit a bonus token y ~ p_k
//! ```
//!
//! Each emitted token is distributed as `p_i` (`q(x) min(1, p/q) + (1 - Σ min(p, q)) r = p`),
//! and a draft is accepted with probability `Σ_y min(p_i(y), q_i(y))`. `p_i` and `q_i` are the
//! *processed* distributions: what each side's [`Chain`](crate::Chain) makes of its logits
//! (penalties, temperature, truncation), renormalized, as a [`Distribution`] holds them.
//!
//! Two entry points: [`verify`], one position on two distributions the caller built; and
//! [`Sampler::verify_drafts_in`](crate::Sampler::verify_drafts_in), the loop over `k` drafts,
//! which recomputes both sides' distributions row by row from their logits and chains. The loop
//! takes logits rows and the draft's [`Sampler`] rather than distributions: a
//! [`Distribution`] borrows a vocabulary-sized [`Workspace`], so `k` of them
//! at once would need `k` workspaces, while one row at a time needs two; and the chains'
//! stateful stages (penalties) must see each accepted draft before the next position, which
//! only the loop can arrange. Each chain observes every emitted token
//! ([`Stage::observe`](crate::Stage::observe)) with its probability in that chain's
//! distribution at its position (the draft chain's is 0 for a replacement outside its
//! support, and it observes nothing for the bonus token, where it has no row), then accepts it.
//!
//! # Edge cases
//!
//! | case | verdict |
//! |---|---|
//! | `q(x) = 0` (not a draft candidate, or a mass below the resolution) | [`Error::ImpossibleDraft`]: the draft cannot have drawn `x` |
//! | `x` outside the vocabulary | [`Error::TokenOutOfRange`] |
//! | `p = q` | always accepted |
//! | `p(x) >= q(x)` | accepted, whatever the words |
//! | `p(x) = 0` (`x` filtered out by the target) | rejected, whatever the accept word; the replacement comes from `max(0, p - q)` |
//! | disjoint supports | every draft rejected; the residual is `p` itself, so the replacement is a draw from `p` |
//! | greedy target (`T = 0`) | accepted iff `x` is the target's argmax, else replaced by the argmax: no randomness involved |
//! | greedy draft | `q` is one-hot at the draft's argmax, so `x` must be it; accepted with probability `p(x)` |
//! | `k = 0` | the bonus draw alone: a token from `p_0` |
//! | rows of different lengths, wrong row counts | [`Error::DraftMismatch`] |
//!
//! A drafter without a distribution (n-gram or prompt lookup) is a greedy draft: a draft row
//! that masks every token but the proposed one ([`Logits::with_mask`](crate::Logits::with_mask)
//! or `-inf` logits) makes `q` one-hot, as vLLM does when it has no draft probabilities.
//!
//! # Precision
//!
//! Both distributions are integer masses ([`Distribution`]: `p(y) = P_y / P`, `q(y) = Q_y / Q`,
//! `P, Q < 2^60`), and the rule is evaluated on them in exact integer arithmetic:
//!
//! - **acceptance**: `p(x) / q(x) = a / b` with `a = P_x · Q`, `b = Q_x · P` (below `2^120`,
//!   in `u128`). If `a >= b` the draft is accepted; otherwise it is accepted iff
//!   `accept_word < ceil(2^64 · a / b)` (a 64-step long division), so with a uniform word the
//!   acceptance probability is `ceil(2^64 · a / b) / 2^64`: at least `a / b` and less than
//!   `2^-64` above it.
//! - **residual**: the masses `R_y = max(0, P_y · Q - Q_y · P)` are exact in `u128` (their sum
//!   is at most `P · Q < 2^120`); `t = floor(draw_word · Σ R / 2^64)` and the token is the first,
//!   in ascending id order, whose cumulative residual mass exceeds `t`. Each token's probability
//!   is within `2^-64` of `R_y / Σ R`, as for [`Distribution::draw`].
//!
//! So each emitted token's probability is within `3 · 2^-64` (below `2^-62`) of `p_i` as the
//! target's masses define it, the distribution [`Sampler::sample`](crate::Sampler::sample)
//! draws from. The same words give the same verdict on every platform and
//! [`SimdPath`](crate::SimdPath).
//!
//! # Random words
//!
//! Position `i` of a round that starts at the target's step `s` uses [`Words::at`]`(seed, s +
//! i)`: the acceptance word [`rng::stream_word`]`(seed, `[`ACCEPT_STREAM`]`, s + i)` and the draw
//! word [`rng::stream_word`]`(seed, `[`DRAW_STREAM`]`, s + i)` (the residual draw at a rejection,
//! the bonus draw after `k` acceptances), `seed` the target's. Both streams are apart from the
//! main draw's (stream 0, [`rng::word`]) and every stage's (stream `stage + 1 <= 2^32`), so a
//! draft sampler with the same seed, drawing its drafts on stream 0, shares no word with the
//! verification: its tokens stay independent of the words that judge them.
//!
//! # Other engines
//!
//! - **vLLM** (`vllm/v1/sample/rejection_sampler.py`): the same rule in f32 probabilities,
//!   `u` a float64 uniform, accepting when `p / q >= u`; a draft probability of 0 is rejected
//!   (here it is an error); the residual is drawn by an exponential race over
//!   `max(0, p - q)`, unnormalized; a greedy request accepts iff the draft is the target's
//!   argmax; without draft probabilities (n-gram, EAGLE) `q` is taken one-hot. Its target
//!   processing is its own (penalties, temperature, top-k, top-p); its draft probabilities are
//!   whatever the proposer computed.
//! - **llama.cpp**, server and `speculative-simple` (`common_sampler_sample_and_accept_n`): the
//!   target's sampler draws its own token at each position and a draft is accepted iff it is
//!   that token; the first disagreement emits the target's token. Every token is a target
//!   sample, so the output is exact, but the draft distribution is unused and a draft is
//!   accepted with probability `p(x)`, not `min(1, p(x) / q(x))`: fewer acceptances (e.g.
//!   `p = q` uniform over two tokens: 1/2 there, 1 here). Its drafts are the draft model's top
//!   tokens, drafting stopping when their probability falls below `p_min`.
//! - **llama.cpp**, `examples/speculative` (`temp > 0`): `r <= p_tgt / p_dft` with an f32
//!   uniform; the residual subtracts the two candidate arrays index by index after sorting each
//!   by id (right only when both hold the same tokens, i.e. untruncated chains), renormalizes in
//!   f32 and draws with `std::discrete_distribution`; at `temp = 0` the target's own token must
//!   match.
//!
//! ```
//! use logits::speculative::{verify, Verdict, Words};
//! use logits::{Chain, Context, Temperature, TopK, Workspace};
//! let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
//! let target = Chain::new().then(TopK::new(2)).distribution(&[2.0, 1.0, 0.0], &mut tw, &Context::default())?;
//! let draft = Chain::new().distribution(&[0.0, 0.0, 3.0], &mut dw, &Context::default())?;
//! // Token 2 is outside the target's top 2: always rejected, replaced by a draw from p.
//! match verify(&target, &draft, 2, Words::at(7, 0))? {
//!     Verdict::Rejected { token } => assert!(token < 2),
//!     Verdict::Accepted => unreachable!(),
//! }
//! // A greedy target accepts its argmax and replaces anything else by it.
//! let greedy = Chain::new().then(Temperature::new(0.0)?).distribution(&[2.0, 1.0, 0.0], &mut tw, &Context::default())?;
//! assert_eq!(verify(&greedy, &draft, 0, Words::at(7, 0))?, Verdict::Accepted);
//! assert_eq!(verify(&greedy, &draft, 1, Words::at(7, 0))?, Verdict::Rejected { token: 0 });
//! # Ok::<(), logits::Error>(())
//! ```

use crate::{rng, Distribution, Error, Logits, Sample, Sampler, Workspace};

/// The stream of the acceptance words: above every stage's stream (`stage + 1 <= 2^32`).
///
/// ```
/// assert!(logits::speculative::ACCEPT_STREAM > 1 << 32);
/// ```
pub const ACCEPT_STREAM: u64 = 1 << 40;

/// The stream of the residual and bonus draws' words.
///
/// ```
/// use logits::speculative::{ACCEPT_STREAM, DRAW_STREAM};
/// assert_ne!(DRAW_STREAM, ACCEPT_STREAM);
/// ```
pub const DRAW_STREAM: u64 = (1 << 40) + 1;

/// The two random words of one position.
///
/// ```
/// use logits::speculative::{Words, ACCEPT_STREAM, DRAW_STREAM};
/// use logits::rng::stream_word;
/// let w = Words::at(42, 3);
/// assert_eq!((w.accept, w.draw), (stream_word(42, ACCEPT_STREAM, 3), stream_word(42, DRAW_STREAM, 3)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Words {
    /// Decides acceptance: uniform `u = accept / 2^64`, accepted iff `u < p(x) / q(x)`.
    pub accept: u64,
    /// Draws the replacement from the residual, or the bonus token.
    pub draw: u64,
}

impl Words {
    /// The words of target step `step` of a sequence seeded with `seed` (see the
    /// [module docs](self#random-words)).
    ///
    /// ```
    /// use logits::speculative::Words;
    /// assert_ne!(Words::at(1, 0), Words::at(1, 1));
    /// ```
    pub fn at(seed: u64, step: u64) -> Self {
        Words {
            accept: rng::stream_word(seed, ACCEPT_STREAM, step),
            draw: rng::stream_word(seed, DRAW_STREAM, step),
        }
    }
}

/// The outcome of one position.
///
/// ```
/// use logits::speculative::Verdict;
/// assert_ne!(Verdict::Accepted, Verdict::Rejected { token: 3 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The draft token stands.
    Accepted,
    /// The draft token is replaced by `token`, drawn from the residual; the round stops.
    Rejected {
        /// The replacement.
        token: u32,
    },
}

/// The outcome of a round of `k` drafts: the tokens emitted are the first `accepted` drafts,
/// then `token`.
///
/// ```
/// use logits::{Sampler, SamplingParams};
/// let mut target = Sampler::new(SamplingParams::default())?;
/// let mut draft = Sampler::new(SamplingParams::default())?;
/// let row: &[f32] = &[0.0, 5.0];
/// let v = target.verify_drafts::<&[f32], &[f32]>(&[row], &mut draft, &[], &[])?; // k = 0
/// assert_eq!(v.accepted, 0);
/// assert!(v.is_bonus(0) && v.emitted() == 1);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Verification {
    /// The number of draft tokens accepted, `0..=k`.
    pub accepted: usize,
    /// The last token emitted: the replacement of draft `accepted` if `accepted < k`, else the
    /// bonus token.
    pub token: u32,
}

impl Verification {
    /// The number of tokens emitted, `accepted + 1`.
    ///
    /// ```
    /// # use logits::{Sampler, SamplingParams};
    /// # let mut t = Sampler::new(SamplingParams::default())?;
    /// # let mut d = Sampler::new(SamplingParams::default())?;
    /// let row: &[f32] = &[0.0];
    /// assert_eq!(t.verify_drafts::<&[f32], &[f32]>(&[row], &mut d, &[], &[])?.emitted(), 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn emitted(&self) -> usize {
        self.accepted + 1
    }

    /// Whether `token` is the bonus token, for a round of `k` drafts (every draft accepted).
    ///
    /// ```
    /// # use logits::{Sampler, SamplingParams};
    /// # let mut t = Sampler::new(SamplingParams::default())?;
    /// # let mut d = Sampler::new(SamplingParams::default())?;
    /// let row: &[f32] = &[0.0];
    /// assert!(t.verify_drafts::<&[f32], &[f32]>(&[row], &mut d, &[], &[])?.is_bonus(0));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_bonus(&self, k: usize) -> bool {
        self.accepted == k
    }
}

/// Verifies one draft token: accepted with probability `min(1, p(x) / q(x))`, else replaced by
/// a token from the residual `max(0, p - q)`, `p` = `target`, `q` = `draft` (see the
/// [module docs](self) for the rule, the edge cases and the precision). Uses `words.accept`
/// only when `0 < p(x) < q(x)`, and `words.draw` only on a rejection. O(1) when accepted; a
/// rejection walks the target's candidates twice.
///
/// Errors: [`Error::DraftMismatch`] if the two distributions have different vocabulary sizes,
/// [`Error::TokenOutOfRange`] if `draft_token` is outside the vocabulary,
/// [`Error::ImpossibleDraft`] (with position 0) if `q(draft_token) = 0`.
///
/// ```
/// use logits::speculative::{verify, Verdict, Words};
/// use logits::{Chain, Context, Workspace};
/// let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
/// let p = Chain::new().distribution(&[0.0, 0.0], &mut tw, &Context::default())?;
/// let q = Chain::new().distribution(&[0.0, 0.0], &mut dw, &Context::default())?;
/// for step in 0..10 {
///     assert_eq!(verify(&p, &q, 1, Words::at(3, step))?, Verdict::Accepted); // p = q
/// }
/// let masked = Chain::new().distribution(&[0.0, f32::NEG_INFINITY], &mut dw, &Context::default())?;
/// assert_eq!(verify(&p, &masked, 1, Words::at(3, 0)), Err(logits::Error::ImpossibleDraft { position: 0, token: 1 }));
/// # Ok::<(), logits::Error>(())
/// ```
pub fn verify(
    target: &Distribution,
    draft: &Distribution,
    draft_token: u32,
    words: Words,
) -> Result<Verdict, Error> {
    let n = target.vocab_len();
    if draft.vocab_len() != n {
        return Err(Error::DraftMismatch {
            what: "draft vocabulary",
            expected: n,
            found: draft.vocab_len(),
        });
    }
    if draft_token as usize >= n {
        return Err(Error::TokenOutOfRange {
            token: draft_token,
            len: n,
        });
    }
    let q_x = draft.mass(draft_token);
    if q_x == 0 {
        return Err(Error::ImpossibleDraft {
            position: 0,
            token: draft_token,
        });
    }
    let (p_total, q_total) = (target.total_mass(), draft.total_mass());
    // p(x) / q(x) = a / b, both below 2^120.
    let a = u128::from(target.mass(draft_token)) * u128::from(q_total);
    let b = u128::from(q_x) * u128::from(p_total);
    if accepts(a, b, words.accept) {
        return Ok(Verdict::Accepted);
    }
    Ok(Verdict::Rejected {
        token: residual_draw(target, draft, words.draw),
    })
}

/// Whether a uniform `u = word / 2^64` falls below `a / b`: always if `a >= b`, never if
/// `a = 0`, else iff `word < ceil(2^64 · a / b)`. `b < 2^127`.
#[inline]
pub(crate) fn accepts(a: u128, b: u128, word: u64) -> bool {
    if a >= b {
        return true;
    }
    if a == 0 {
        return false;
    }
    // Long division of `a · 2^64` by `b`, one quotient bit at a time: `r < b` throughout, so
    // `2r < 2^128`.
    let (mut r, mut f) = (a, 0u64);
    for _ in 0..64 {
        r <<= 1;
        f <<= 1;
        if r >= b {
            r -= b;
            f |= 1;
        }
    }
    // f = floor(2^64 · a / b) < 2^64, remainder r: the ceiling is f + (r > 0).
    u128::from(word) < u128::from(f) + u128::from(r != 0)
}

/// `floor(word · n / 2^64)` for `n < 2^127`: a uniform integer below `n` from a 64-bit word, in
/// 192-bit arithmetic done as two products.
#[inline]
pub(crate) fn scale_word(word: u64, n: u128) -> u128 {
    let (hi, lo) = ((n >> 64) as u64, n as u64);
    // word · n = word · hi · 2^64 + word · lo: the first term is a whole multiple of 2^64.
    u128::from(word) * u128::from(hi) + ((u128::from(word) * u128::from(lo)) >> 64)
}

/// A token from the residual `max(0, P_y · Q - Q_y · P)` over the target's candidates (the
/// residual is 0 elsewhere, as `P_y = 0` there).
fn residual_draw(target: &Distribution, draft: &Distribution, word: u64) -> u32 {
    let (p_total, q_total) = (
        u128::from(target.total_mass()),
        u128::from(draft.total_mass()),
    );
    let residual = |id: u32, p: u64| {
        (u128::from(p) * q_total).saturating_sub(u128::from(draft.mass(id)) * p_total)
    };
    // At most Σ P_y · Q = P · Q < 2^120.
    let total: u128 = target.masses().map(|(id, p)| residual(id, p)).sum();
    let t = scale_word(word, total);
    let mut cum = 0u128;
    // `None` only if every residual is 0, which a rejection rules out: the signed residuals
    // `P_y · Q - Q_y · P` over the target's candidates sum to `P · (Q - Q_c) >= 0`, `Q_c` the
    // draft's mass on them; a rejected `x` either is a candidate with a negative one, or holds
    // draft mass off the candidates (`Q_c < Q`), so one of them is positive.
    target
        .masses()
        .find(|&(id, p)| {
            cum += residual(id, p);
            cum > t
        })
        .map_or(target.top(), |(id, _)| id)
}

/// The loop of [`Sampler::verify_drafts_in`](crate::Sampler::verify_drafts_in).
pub(crate) fn verify_drafts<'t, 'd, T, D>(
    target: &mut Sampler,
    target_logits: &[T],
    draft: &mut Sampler,
    draft_logits: &[D],
    draft_tokens: &[u32],
    target_workspace: &mut Workspace,
    draft_workspace: &mut Workspace,
) -> Result<Verification, Error>
where
    T: Into<Logits<'t>> + Copy,
    D: Into<Logits<'d>> + Copy,
{
    let k = draft_tokens.len();
    if target_logits.len() != k + 1 {
        return Err(Error::DraftMismatch {
            what: "target rows",
            expected: k + 1,
            found: target_logits.len(),
        });
    }
    if draft_logits.len() != k {
        return Err(Error::DraftMismatch {
            what: "draft rows",
            expected: k,
            found: draft_logits.len(),
        });
    }
    let len_t = |row: T| Into::<Logits<'t>>::into(row).values().len();
    let len_d = |row: D| Into::<Logits<'d>>::into(row).values().len();
    let n = len_t(target_logits[0]);
    if n == 0 {
        return Err(Error::EmptyLogits);
    }
    for &row in target_logits {
        let found = len_t(row);
        if found != n {
            return Err(Error::DraftMismatch {
                what: "target vocabulary",
                expected: n,
                found,
            });
        }
    }
    for &row in draft_logits {
        let found = len_d(row);
        if found != n {
            return Err(Error::DraftMismatch {
                what: "draft vocabulary",
                expected: n,
                found,
            });
        }
    }
    if let Some(&token) = draft_tokens.iter().find(|&&t| t as usize >= n) {
        return Err(Error::TokenOutOfRange { token, len: n });
    }

    let (target_step, draft_step) = (target.step(), draft.step());
    let seed = target.seed();
    for (i, &x) in draft_tokens.iter().enumerate() {
        let position = |e: Error| match e {
            Error::ImpossibleDraft { token, .. } => Error::ImpossibleDraft { position: i, token },
            e => e,
        };
        let step = target_step.wrapping_add(i as u64);
        let verdict = (|| {
            let p = target.distribution_at(target_logits[i].into(), target_workspace, step)?;
            let q = draft.distribution_at(
                draft_logits[i].into(),
                draft_workspace,
                draft_step.wrapping_add(i as u64),
            )?;
            let verdict = verify(&p, &q, x, Words::at(seed, step))?;
            let token = match verdict {
                Verdict::Accepted => x,
                Verdict::Rejected { token } => token,
            };
            // What each chain's adaptive stages observe: the token's probability there.
            let seen = (p.probability(token), q.probability(token));
            Ok((verdict, seen))
        })();
        let (verdict, (p_token, q_token)) = match verdict {
            Ok(v) => v,
            Err(e) => {
                // The drafts before `i` stand.
                target.advance(i as u64);
                draft.advance(i as u64);
                return Err(position(e));
            }
        };
        let token = match verdict {
            Verdict::Accepted => x,
            Verdict::Rejected { token } => token,
        };
        target.learn(&Sample::new(token, p_token));
        draft.learn(&Sample::new(token, q_token));
        if let Verdict::Rejected { token } = verdict {
            target.advance(i as u64 + 1);
            draft.advance(i as u64 + 1);
            return Ok(Verification { accepted: i, token });
        }
    }
    let step = target_step.wrapping_add(k as u64);
    let bonus = target
        .distribution_at(target_logits[k].into(), target_workspace, step)
        .map(|p| p.draw(Words::at(seed, step).draw));
    let sample = match bonus {
        Ok(sample) => sample,
        Err(e) => {
            target.advance(k as u64);
            draft.advance(k as u64);
            return Err(e);
        }
    };
    let token = sample.token;
    target.learn(&sample);
    draft.accept(token);
    target.advance(k as u64 + 1);
    draft.advance(k as u64 + 1);
    Ok(Verification { accepted: k, token })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `word < 2^64 · a / b`, decided in 256-bit arithmetic by comparing `word · b` with
    /// `a · 2^64` limb by limb (32-bit limbs), independent of `accepts`'s long division.
    fn below_ratio(word: u64, a: u128, b: u128) -> bool {
        let limbs = |v: u128| {
            [
                v as u32,
                (v >> 32) as u32,
                (v >> 64) as u32,
                (v >> 96) as u32,
            ]
        };
        // word · b in 32-bit limbs.
        let (w, bl) = ([word as u32, (word >> 32) as u32], limbs(b));
        let mut prod = [0u64; 8];
        for (i, &wi) in w.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &bj) in bl.iter().enumerate() {
                let t = prod[i + j] + u64::from(wi) * u64::from(bj) + carry;
                prod[i + j] = t & 0xFFFF_FFFF;
                carry = t >> 32;
            }
            let mut k = i + 4;
            while carry > 0 {
                let t = prod[k] + carry;
                prod[k] = t & 0xFFFF_FFFF;
                carry = t >> 32;
                k += 1;
            }
        }
        // a · 2^64 in 32-bit limbs.
        let al = limbs(a);
        let shifted = [0, 0, al[0], al[1], al[2], al[3], 0, 0].map(u64::from);
        prod.iter().rev().cmp(shifted.iter().rev()) == core::cmp::Ordering::Less
    }

    #[test]
    fn acceptance_is_exact_at_the_threshold() {
        let mut state = 0x5EED_u64;
        let mut next = || {
            state = crate::rng::mix64(state.wrapping_add(crate::rng::GOLDEN_GAMMA));
            state
        };
        for round in 0..20_000 {
            // Ratios of every scale, up to the 2^120 the masses allow.
            let bits = 1 + round % 120;
            let b = (u128::from(next()) << 64 | u128::from(next())) >> (128 - bits);
            let b = b.max(1);
            let a = (u128::from(next()) << 64 | u128::from(next())) % (b + 1);
            // The first rejected word: ceil(2^64 · a / b), by binary search on the oracle.
            let (mut lo, mut hi) = (0u128, 1u128 << 64);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if mid < 1 << 64 && below_ratio(mid as u64, a, b) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            for word in [lo.wrapping_sub(1), lo, lo + 1, 0, u64::MAX as u128] {
                if word >= 1 << 64 {
                    continue;
                }
                let word = word as u64;
                assert_eq!(
                    accepts(a, b, word),
                    a >= b || below_ratio(word, a, b),
                    "a {a} b {b} word {word}"
                );
            }
            let word = next();
            assert_eq!(accepts(a, b, word), a >= b || below_ratio(word, a, b));
        }
        // The extremes: a = 0 never, a = b always, a = b - 1 all but the last words.
        assert!(!accepts(0, 5, 0));
        assert!(accepts(5, 5, u64::MAX));
        assert!(accepts(1, 2, (1 << 63) - 1) && !accepts(1, 2, 1 << 63));
    }

    #[test]
    fn scaled_words_are_floors() {
        let cases: [(u64, u128); 6] = [
            (0, 1 << 119),
            (u64::MAX, 1),
            (u64::MAX, (1 << 120) - 1),
            (1 << 63, 10),
            (1 << 63, (1 << 100) + 3),
            (12_345, 1 << 64),
        ];
        for (word, n) in cases {
            // floor(word · n / 2^64), with n split as n = h · 2^64 + l by hand.
            let expected = if n >= 1 << 64 {
                u128::from(word) * (n >> 64)
                    + ((u128::from(word) * (n & u128::from(u64::MAX))) >> 64)
            } else {
                (u128::from(word) * n) >> 64
            };
            assert_eq!(scale_word(word, n), expected, "{word} {n}");
            assert!(scale_word(word, n) < n);
        }
        assert_eq!(scale_word(1 << 63, 10), 5);
        assert_eq!(scale_word(u64::MAX, 1 << 100), (1 << 100) - (1 << 36));
    }
}
