//! DRY ("Don't Repeat Yourself"): penalize the tokens that would extend a sequence the text has
//! already produced.
//!
//! **Definition** (p-e-w's DRY, koboldcpp PR 982 by pi6am, ported to llama.cpp as
//! `llama_sampler_dry_apply`; this follows llama.cpp). Let `w_0 … w_{m-1}` be the window of
//! accepted tokens, oldest first, multiplier `M`, base `b`, allowed length `a`.
//!
//! 1. *Breaker limit.* A sequence breaker is a token sequence. Scanning start positions `s`
//!    from the newest token back, the first `s` where some breaker lies wholly in the window
//!    (`w_s … w_{s+len-1}` equals it) fixes `λ = m - s - len` (the longest breaker starting at
//!    that `s`): the number of tokens after it. No breaker in the window: `λ = m`.
//! 2. *Match lengths.* For each position `j < m - 1`, `n_j` is the length of the longest common
//!    suffix of `w_0 … w_j` and of the whole window (the two occurrences may overlap), and
//!    `L_j = min(n_j, λ)`.
//! 3. *Continuations.* Emitting `w_{j+1}` would extend the repeat ending at `j`. Each token `t`
//!    gets `L(t) = max { L_j : w_{j+1} = t, L_j >= a }`; tokens with no such `j` are unchanged.
//! 4. *Penalty.* Unless `t` alone is a breaker (a one-token breaker `[t]` is never penalized),
//!
//! ```text
//! x_t ← x_t − fl32(M · b^e),     e = min(L(t) − a, E)
//! ```
//!
//! where `E`, the exponent clamp, is the largest integer with `b^E <= f32::MAX` when
//! `b > 1.000001` (so `b^e` never overflows), and unbounded otherwise. `b^e` is computed in f64
//! by binary powering (exact IEEE operations, the same on every platform), the product with `M`
//! in f64, then rounded to f32; the subtraction is in f32. A penalty that reaches `-inf`
//! (`M · b^E` above the f32 range) removes the candidate, as every `-inf` does here.
//!
//! Consequences: a window of `m <= a` tokens changes nothing (every `n_j <= j + 1 <= m - 1`);
//! a breaker that starts among the last `a` tokens changes nothing (`λ < a`); the same token
//! after two repeats takes the longer one. As in llama.cpp, the breaker that starts last
//! decides `λ`, even where a longer one that starts earlier ends later. Example, `a = 2`, window `0 1 2 0 1`: the suffix `0 1` also
//! ends at `j = 1` (`n_1 = 2`), so token `2` loses `M · b^0 = M`.
//!
//! **Sequence breakers.** Given here as token sequences; the crate has no tokenizer. llama.cpp
//! (`llama_sampler_init_dry`, after koboldcpp's `GetOverlappingTokenSequences`) maps each
//! breaker *string* (cut to 40 bytes; its defaults are `"\n"`, `":"`, `"\""`, `"*"`) over the
//! whole vocabulary: a token whose text contains the string is a one-token breaker; a token
//! whose text ends with a proper prefix of the string is the head of a breaker whose tail is the
//! tokenization of the rest of the string (at most 20 tokens). The engine, which has the
//! tokenizer, does that mapping and passes the sequences to
//! [`sequence_breakers`](Dry::sequence_breakers). An empty sequence breaks nothing and is
//! ignored (llama.cpp skips it too); ids outside the vocabulary are allowed and never match.
//!
//! **Window.** [`Window::Last`]`(n)`: the last `n` accepted tokens (llama.cpp's
//! `dry_penalty_last_n`; `0` disables). [`Window::All`]: every accepted token since the last
//! [`reset`](Stage::reset) (llama.cpp's `-1` means the model's training context length, a ring
//! of that size). Accept the prompt's tokens too ([`Sampler::accept`](crate::Sampler::accept))
//! where the engine does: llama.cpp's DRY sees whatever its sampler was given.
//!
//! **Cost.** Each step computes every `n_j` at once with the Z-algorithm on the reversed window
//! (linear in `m`), sorts the continuations (at most `m`) and edits one logit per penalized
//! token: it grows with the history and the matches, never with the vocabulary. The window and
//! the working buffers are allocated in [`Dry::new`] for a `Last(n)` window (up to `2^17`
//! tokens; a longer window and an `All` window grow them as the history grows), so a step
//! allocates nothing.
//!
//! **History ids.** Every id of the window must be below the vocabulary size: otherwise the
//! distribution is [`Error::TokenOutOfRange`] for the largest one, as for the
//! [penalties](crate::Penalties)' history, whether or not it is penalized (a disabled stage
//! reads nothing). llama.cpp ignores such ids.
//!
//! **Ranges.** `M` finite and `>= 0` (`0` disables); `b` finite and `>= 1`; `a >= 0` (any
//! `usize`; `a = 0` penalizes every token of the window after the first, by at least `M`).
//!
//! **Engines.** Where llama.cpp differs: it disables DRY silently for `b < 1` (its server
//! replaces such a base by 1.75), which is an error here; it computes `E` as
//! `(int)(88.7228391f / logf(b))` and the power with the C library's `pow`, which give the same
//! numbers except where a rounding decides; a penalized token keeps its `-inf` logit as a
//! candidate of probability 0; `Window::All` is unbounded here. koboldcpp (`sample_dry`) also
//! penalizes one-token breakers, accepts any `b > 0` and treats a range `<= 0` as the whole
//! context, and always reads the whole context (prompt included). Hugging Face and vLLM have no
//! DRY. llama.cpp's default chain runs DRY after the penalties and before top-k.

use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use crate::{reference, samplers::penalties::Window, samplers::Context, Candidates, Error, Stage};

/// The largest window for which [`Dry::new`] allocates the buffers up front.
const PREALLOCATED: usize = 1 << 17;

/// The DRY repetition penalty, with its window of accepted tokens.
///
/// ```
/// use logits::{Chain, Dry, Sampler, Window};
/// let dry = Dry::new(0.8, 1.75, 2, Window::Last(1024))?.sequence_breakers([[9]]);
/// let mut s = Sampler::from_chain(Chain::new().then(dry), 0);
/// for t in [1, 2, 3, 4, 1, 2, 3] {
///     s.accept(t);
/// }
/// // `1 2 3` repeats: 4 would extend it to length 4, so it loses 0.8 · 1.75^(3 − 2) = 1.4.
/// let x = [0.0f32; 10];
/// let d = s.distribution(&x)?;
/// let want = (-1.4f32).exp() / (9.0 + (-1.4f32).exp());
/// assert!((d.probability(4) - want).abs() < 1e-6);
/// # Ok::<(), logits::Error>(())
/// ```
pub struct Dry {
    multiplier: f32,
    base: f32,
    allowed_length: usize,
    window: Window,
    /// `E`: the largest exponent used; `None` when `b <= 1.000001`.
    max_exponent: Option<usize>,
    /// The sequence breakers, non-empty, ascending (lexicographic) and without repeats.
    breakers: Vec<Vec<u32>>,
    /// The window's tokens, oldest first from `head` (a ring of capacity `n` once full for
    /// `Last(n)`; a plain list for `All`).
    history: Vec<u32>,
    head: usize,
    /// Working buffers of `apply` (which takes `&self`).
    scratch: RefCell<Scratch>,
}

/// The buffers one step works in.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// The window, newest first.
    newest_first: Vec<u32>,
    /// `z[k]`: the longest common prefix of `newest_first` and `newest_first[k..]`.
    z: Vec<usize>,
    /// `(token, L)` of the continuations, then one per token with its largest `L`.
    found: Vec<(u32, usize)>,
}

impl Scratch {
    fn with_capacity(n: usize) -> Self {
        Scratch {
            newest_first: Vec::with_capacity(n),
            z: Vec::with_capacity(n),
            found: Vec::with_capacity(n),
        }
    }
}

impl Dry {
    /// Validates the parameters: `multiplier` finite and `>= 0` (`0` disables), `base` finite
    /// and `>= 1`; `allowed_length` is any length. No sequence breakers; see
    /// [`sequence_breakers`](Self::sequence_breakers).
    ///
    /// Errors: [`Error::InvalidParameter`], naming `dry_multiplier` or `dry_base`.
    ///
    /// ```
    /// use logits::{Dry, Window};
    /// assert!(Dry::new(0.8, 1.75, 2, Window::All).is_ok());
    /// let e = Dry::new(0.8, 0.9, 2, Window::All).unwrap_err();
    /// assert_eq!(e.to_string(), "dry_base must be a finite number >= 1, got 0.9");
    /// ```
    pub fn new(
        multiplier: f32,
        base: f32,
        allowed_length: usize,
        window: Window,
    ) -> Result<Self, Error> {
        if !(multiplier.is_finite() && multiplier >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "dry_multiplier",
                value: multiplier,
                expected: "a finite number >= 0 (0 = off)",
            });
        }
        if !(base.is_finite() && base >= 1.0) {
            return Err(Error::InvalidParameter {
                name: "dry_base",
                value: base,
                expected: "a finite number >= 1",
            });
        }
        let capacity = match window {
            Window::Last(n) => n.min(PREALLOCATED),
            Window::All => 0,
        };
        Ok(Dry {
            multiplier,
            base,
            allowed_length,
            window,
            max_exponent: max_exponent(base),
            breakers: Vec::new(),
            history: Vec::with_capacity(capacity),
            head: 0,
            scratch: RefCell::new(Scratch::with_capacity(capacity)),
        })
    }

    /// The same stage with these sequence breakers (replacing any given before), each a token
    /// sequence; empty ones are ignored.
    ///
    /// ```
    /// use logits::{Dry, Stage, Window};
    /// // 13 is a newline token; 25 26 spells ":\n" split in two.
    /// let breakers = vec![vec![13], vec![25, 26], vec![]];
    /// let mut dry = Dry::new(1.0, 1.75, 2, Window::Last(64))?.sequence_breakers(breakers);
    /// for t in [1, 2, 13, 1, 2] {
    ///     dry.accept(t);
    /// }
    /// assert_eq!(dry.penalties(), vec![]); // 13 is a breaker alone: never penalized
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sequence_breakers<I, S>(mut self, breakers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u32]>,
    {
        self.breakers = breakers
            .into_iter()
            .map(|b| b.as_ref().to_vec())
            .filter(|b| !b.is_empty())
            .collect();
        self.breakers.sort_unstable();
        self.breakers.dedup();
        self
    }

    /// Whether it changes nothing whatever the history (`multiplier = 0` or an empty window);
    /// a disabled stage keeps no history.
    ///
    /// ```
    /// use logits::{Dry, Window};
    /// assert!(Dry::new(0.0, 1.75, 2, Window::All)?.is_disabled());
    /// assert!(Dry::new(0.8, 1.75, 2, Window::Last(0))?.is_disabled());
    /// assert!(!Dry::new(0.8, 1.75, 2, Window::Last(1))?.is_disabled());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_disabled(&self) -> bool {
        self.multiplier == 0.0 || self.window == Window::Last(0)
    }

    /// The window's tokens, oldest first.
    ///
    /// ```
    /// use logits::{Dry, Stage, Window};
    /// let mut dry = Dry::new(0.8, 1.75, 2, Window::Last(3))?;
    /// for t in [5, 6, 7, 8] {
    ///     dry.accept(t);
    /// }
    /// assert_eq!(dry.history().collect::<Vec<_>>(), vec![6, 7, 8]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn history(&self) -> impl Iterator<Item = u32> + '_ {
        let (newer, older) = self.history.split_at(self.head);
        older.iter().chain(newer).copied()
    }

    /// The exponent clamp `E`: the largest integer with `b^E <= f32::MAX` (binary powering in
    /// f64), or `None` (no clamp) when `b <= 1.000001`.
    ///
    /// ```
    /// use logits::{Dry, Window};
    /// // ln(f32::MAX) / ln(1.75) ≈ 158.54
    /// assert_eq!(Dry::new(1.0, 1.75, 2, Window::All)?.max_exponent(), Some(158));
    /// assert_eq!(Dry::new(1.0, 1.0, 2, Window::All)?.max_exponent(), None);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn max_exponent(&self) -> Option<usize> {
        self.max_exponent
    }

    /// The penalty of a token that would extend a repeat of `len >= allowed_length` tokens:
    /// `fl32(M · b^min(len − a, E))` (`0` for a shorter `len`).
    ///
    /// ```
    /// use logits::{Dry, Window};
    /// let dry = Dry::new(2.0, 1.1, 2, Window::All)?;
    /// assert_eq!(dry.penalty(2), 2.0);
    /// assert_eq!(dry.penalty(4), (2.0 * (1.1f32 as f64 * 1.1f32 as f64)) as f32);
    /// assert_eq!(dry.penalty(1), 0.0);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn penalty(&self, len: usize) -> f32 {
        if len < self.allowed_length {
            return 0.0;
        }
        let mut e = len - self.allowed_length;
        if let Some(max) = self.max_exponent {
            e = e.min(max);
        }
        (self.multiplier as f64 * power(self.base as f64, e)) as f32
    }

    /// The tokens it penalizes at this step and by how much, ascending ids: what
    /// [`apply`](Stage::apply) subtracts from their logits.
    ///
    /// ```
    /// use logits::{Dry, Stage, Window};
    /// let mut dry = Dry::new(1.0, 2.0, 2, Window::Last(64))?;
    /// for t in [7, 1, 2, 3, 9, 1, 2, 3] {
    ///     dry.accept(t);
    /// }
    /// // `1 2 3` ends at position 3 too: 9 would make it a repeat of 4, 2^(3 − 2) = 2.
    /// assert_eq!(dry.penalties(), vec![(9, 2.0)]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn penalties(&self) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        self.with_scratch(|dry, s| {
            dry.continuations(s);
            out.extend(s.found.iter().map(|&(t, len)| (t, dry.penalty(len))));
        });
        out
    }

    /// Runs `f` on the stage's buffers (or on new ones in the impossible case that they are in
    /// use).
    fn with_scratch(&self, f: impl FnOnce(&Self, &mut Scratch)) {
        match self.scratch.try_borrow_mut() {
            Ok(mut s) => f(self, &mut s),
            Err(_) => f(self, &mut Scratch::default()),
        }
    }

    /// Fills `s.found` with the penalized tokens and their `L`, ascending ids, one each, the
    /// one-token breakers left out; `s.newest_first` holds the window.
    fn continuations(&self, s: &mut Scratch) {
        s.found.clear();
        s.newest_first.clear();
        s.newest_first.extend(self.history());
        s.newest_first.reverse();
        let r = &s.newest_first;
        let m = r.len();
        let a = self.allowed_length;
        if self.is_disabled() || m <= a {
            return;
        }
        let limit = self.breaker_limit(r);
        if limit < a {
            return;
        }
        z_function(r, &mut s.z);
        // Position k of the reversed window is j = m - 1 - k: its continuation w_{j+1} is
        // r[k - 1], and z[k] = n_j.
        for k in 1..m {
            let len = s.z[k].min(limit);
            if len >= a {
                s.found.push((r[k - 1], len));
            }
        }
        // One entry per token, with its largest length: the last of each run once sorted.
        s.found.sort_unstable();
        let mut kept = 0;
        for i in 0..s.found.len() {
            let (t, len) = s.found[i];
            if i + 1 < s.found.len() && s.found[i + 1].0 == t {
                continue;
            }
            if !self.is_single_breaker(t) {
                s.found[kept] = (t, len);
                kept += 1;
            }
        }
        s.found.truncate(kept);
    }

    /// `λ` for the window `r`, newest first: the tokens after the breaker that starts nearest
    /// the end (the longest of those starting there), or `m` without one.
    fn breaker_limit(&self, r: &[u32]) -> usize {
        if self.breakers.is_empty() {
            return r.len();
        }
        for (i, &head) in r.iter().enumerate() {
            // Breakers are sorted, so those starting with `head` are one run; r[i - 1 - o] is
            // the token `o + 1` places after the head.
            let from = self.breakers.partition_point(|b| b[0] < head);
            let longest = self.breakers[from..]
                .iter()
                .take_while(|b| b[0] == head)
                .filter(|b| {
                    b.len() <= i + 1 && b[1..].iter().enumerate().all(|(o, &t)| r[i - 1 - o] == t)
                })
                .map(|b| b.len())
                .max();
            if let Some(len) = longest {
                return i + 1 - len;
            }
        }
        r.len()
    }

    fn is_single_breaker(&self, t: u32) -> bool {
        self.breakers
            .binary_search_by(|b| b.as_slice().cmp(&[t]))
            .is_ok()
    }
}

/// `b^e` by binary powering in f64.
fn power(b: f64, mut e: usize) -> f64 {
    let (mut result, mut square) = (1.0, b);
    while e > 0 {
        if e & 1 == 1 {
            result *= square;
        }
        e >>= 1;
        if e > 0 {
            square *= square;
        }
    }
    result
}

/// `E` for the base `b >= 1`: `None` for `b <= 1.000001` (llama.cpp's cut), else the largest
/// `e` with `power(b, e) <= f32::MAX`, by doubling then bisection.
fn max_exponent(b: f32) -> Option<usize> {
    if b <= 1.000001 {
        return None;
    }
    let (b, max) = (b as f64, f32::MAX as f64);
    let fits = |e: usize| power(b, e) <= max;
    // fits(lo) and !fits(hi) throughout; b > 1.000001 gives hi <= 2^27.
    let (mut lo, mut hi) = (0usize, 1usize);
    while fits(hi) {
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// The Z-array of `r`: `z[k]` is the length of the longest common prefix of `r` and `r[k..]`
/// (`z[0] = len`), in linear time. `[left, right)` is the rightmost window found so far that
/// equals a prefix of `r`: inside it, `z[k]` starts from the value at the matching place of
/// the prefix, and the comparisons only ever move `right` forward.
fn z_function(r: &[u32], z: &mut Vec<usize>) {
    let m = r.len();
    z.clear();
    z.resize(m, 0);
    if m == 0 {
        return;
    }
    z[0] = m;
    let (mut left, mut right) = (0usize, 0usize);
    for k in 1..m {
        let mut len = if k < right {
            z[k - left].min(right - k)
        } else {
            0
        };
        while k + len < m && r[len] == r[k + len] {
            len += 1;
        }
        z[k] = len;
        if k + len > right {
            left = k;
            right = k + len;
        }
    }
}

impl Clone for Dry {
    /// A copy of the parameters and the window, with buffers of its own.
    fn clone(&self) -> Self {
        let capacity = self.scratch.try_borrow().map_or(0, |s| s.z.capacity());
        Dry {
            breakers: self.breakers.clone(),
            history: self.history.clone(),
            scratch: RefCell::new(Scratch::with_capacity(capacity)),
            ..*self
        }
    }
}

impl fmt::Debug for Dry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dry")
            .field("multiplier", &self.multiplier)
            .field("base", &self.base)
            .field("allowed_length", &self.allowed_length)
            .field("window", &self.window)
            .field("breakers", &self.breakers)
            .field("history_len", &self.history.len())
            .finish()
    }
}

impl PartialEq for Dry {
    /// The same parameters, breakers and window contents (the working buffers aside).
    fn eq(&self, other: &Self) -> bool {
        self.multiplier == other.multiplier
            && self.base == other.base
            && self.allowed_length == other.allowed_length
            && self.window == other.window
            && self.breakers == other.breakers
            && self.history().eq(other.history())
    }
}

impl Stage for Dry {
    fn name(&self) -> &'static str {
        "dry"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.is_disabled() {
            return;
        }
        // An id outside the vocabulary is an error of the edit (a no-op edit otherwise).
        if let Some(largest) = self.history().max() {
            candidates.update_logit(largest, |x| x);
        }
        self.with_scratch(|dry, s| {
            dry.continuations(s);
            for &(t, len) in &s.found {
                let p = dry.penalty(len);
                candidates.update_logit(t, |x| x - p);
            }
        });
    }

    /// The definition read literally: for every position, count the matching tokens backwards
    /// from it and from the end of the window; breakers are found by comparing every breaker
    /// at every start.
    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.is_disabled() {
            return;
        }
        let w: Vec<u32> = self.history().collect();
        if let Some(&largest) = w.iter().max() {
            candidates.update_logit(largest, |x| x);
        }
        let m = w.len();
        // λ: the tokens after the breaker with the latest start (the longest one there).
        let mut limit = m;
        for s in (0..m).rev() {
            let longest = self
                .breakers
                .iter()
                .filter(|b| w[s..].starts_with(b))
                .map(|b| b.len())
                .max();
            if let Some(len) = longest {
                limit = m - s - len;
                break;
            }
        }
        let mut best = alloc::collections::BTreeMap::<u32, usize>::new();
        for j in 0..m.saturating_sub(1) {
            // n_j: w[j - k] == w[m - 1 - k] for every k < n_j.
            let mut n = 0;
            while n <= j && w[j - n] == w[m - 1 - n] {
                n += 1;
            }
            let len = n.min(limit);
            if len >= self.allowed_length {
                let e = best.entry(w[j + 1]).or_insert(len);
                *e = (*e).max(len);
            }
        }
        for (t, len) in best {
            if self.breakers.iter().any(|b| b[..] == [t]) {
                continue;
            }
            candidates.update_logit(t, |x| x - self.penalty(len));
        }
    }

    fn accept(&mut self, token: u32) {
        if self.is_disabled() {
            return;
        }
        match self.window {
            Window::Last(n) if self.history.len() == n => {
                self.history[self.head] = token;
                self.head = (self.head + 1) % n;
            }
            _ => self.history.push(token),
        }
    }

    fn reset(&mut self) {
        self.history.clear();
        self.head = 0;
    }

    /// The history, and the buffers that read it, hold at most `min(tokens, n)` tokens for a
    /// `Last(n)` window (the first `min(n, 2^17)` allocated by [`new`](Dry::new)), and every
    /// accepted token, `tokens`, for `All`.
    fn reserve(&mut self, tokens: usize) {
        use crate::samplers::penalties::grow_to;
        let n = match self.window {
            Window::Last(n) => tokens.min(n),
            Window::All => tokens,
        };
        grow_to(&mut self.history, n);
        let s = self.scratch.get_mut();
        grow_to(&mut s.newest_first, n);
        grow_to(&mut s.z, n);
        grow_to(&mut s.found, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workspace;

    fn dry(m: f32, b: f32, a: usize, window: Window, history: &[u32]) -> Dry {
        let mut d = Dry::new(m, b, a, window).unwrap();
        for &t in history {
            d.accept(t);
        }
        d
    }

    /// The logits after the stage, fast path and reference (which must agree).
    fn after(x: &[f32], d: &Dry) -> Result<Vec<f32>, Error> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(d);
        let fast: Vec<f32> = (0..x.len() as u32).map(|i| c.logit(i)).collect();
        let fast = c.into_distribution().map(|_| fast);
        let mut r = reference::Candidates::new(x).unwrap();
        d.apply_reference(&mut r, &Context::default());
        let slow = r
            .masses()
            .map(|_| (0..x.len() as u32).map(|i| r.logit(i)).collect::<Vec<_>>());
        match (&fast, &slow) {
            (Ok(f), Ok(s)) => {
                let f: Vec<u32> = f.iter().map(|v| v.to_bits()).collect();
                let s: Vec<u32> = s.iter().map(|v| v.to_bits()).collect();
                assert_eq!(f, s, "fast vs reference");
            }
            _ => assert_eq!(fast, slow),
        }
        fast
    }

    #[test]
    fn hand_computed() {
        // Window 0 1 2 0 1, a = 2: n_1 = 2 ("0 1"), so 2 loses 1.0 · 1.1^0.
        let d = dry(1.0, 1.1, 2, Window::Last(5), &[0, 1, 2, 0, 1]);
        assert_eq!(d.penalties(), vec![(2, 1.0)]);
        assert_eq!(after(&[0.0; 4], &d).unwrap(), vec![0.0, 0.0, -1.0, 0.0]);
        // a b c c b c y a b c (the llama.cpp comment's example), a = 1: c extends "a b c" (3),
        // b extends "c" (1), y extends "b c" (2); repeat lengths 3, 1, 2 → exponents 2, 0, 1.
        let (a, b, c, y) = (0, 1, 2, 3);
        let d = dry(0.5, 2.0, 1, Window::All, &[a, b, c, c, b, c, y, a, b, c]);
        assert_eq!(d.penalties(), vec![(b, 0.5), (c, 2.0), (y, 1.0)]);
        // With a = 2 only c (3 → 2^1) and y (2 → 2^0) remain.
        let d = dry(0.5, 2.0, 2, Window::All, &[a, b, c, c, b, c, y, a, b, c]);
        assert_eq!(d.penalties(), vec![(c, 1.0), (y, 0.5)]);
        assert_eq!(
            after(&[1.0, 2.0, 3.0, 4.0], &d).unwrap(),
            vec![1.0, 2.0, 2.0, 3.5]
        );
    }

    #[test]
    fn nothing_without_a_long_enough_window() {
        let x = [0.5, 0.25, -1.0, 2.0];
        // Empty history, a window of a tokens or fewer, a multiplier of 0, Last(0).
        for d in [
            dry(1.0, 1.75, 2, Window::All, &[]),
            dry(1.0, 1.75, 2, Window::Last(2), &[1, 1, 1, 1, 1]),
            dry(1.0, 1.75, 3, Window::Last(8), &[1, 1, 1]),
            dry(0.0, 1.75, 0, Window::All, &[1, 1, 1, 1]),
            dry(1.0, 1.75, 0, Window::Last(0), &[1, 1, 1, 1]),
        ] {
            assert_eq!(d.penalties(), vec![], "{d:?}");
            assert_eq!(after(&x, &d).unwrap(), x.to_vec(), "{d:?}");
        }
        // Repeats shorter than a: "0 1" (2) < 4.
        let d = dry(1.0, 1.1, 4, Window::Last(7), &[0, 1, 2, 3, 0, 0, 1]);
        assert_eq!(d.penalties(), vec![]);
        // A disabled stage keeps nothing.
        assert_eq!(dry(0.0, 1.5, 2, Window::All, &[1, 2]).history().count(), 0);
    }

    #[test]
    fn the_window_slides() {
        // Last(4) of 0 1 2 0 1: 1 2 0 1, where "1" repeats (n = 1 < 2): nothing.
        let d = dry(1.0, 1.1, 2, Window::Last(4), &[0, 1, 2, 0, 1]);
        assert_eq!(d.history().collect::<Vec<_>>(), vec![1, 2, 0, 1]);
        assert_eq!(d.penalties(), vec![]);
        // Last(6) keeps the repeat: 2 gets M · b^0.
        let d = dry(1.0, 1.1, 2, Window::Last(6), &[0, 1, 2, 0, 1]);
        assert_eq!(d.penalties(), vec![(2, 1.0)]);
        let mut d = dry(1.0, 1.1, 2, Window::Last(3), &[9, 8, 7, 6, 5]);
        assert_eq!(d.history().collect::<Vec<_>>(), vec![7, 6, 5]);
        d.reset();
        assert_eq!(d.history().count(), 0);
        d.accept(4);
        assert_eq!(d.history().collect::<Vec<_>>(), vec![4]);
    }

    #[test]
    fn a_repeated_single_token() {
        // Five 7s, a = 2: n_j = j + 1 for j < 4, so 7 continues a repeat of 4: b^(4 − 2).
        let d = dry(1.0, 3.0, 2, Window::All, &[7; 5]);
        assert_eq!(d.penalties(), vec![(7, 9.0)]);
        let mut x = vec![0.0f32; 8];
        x[7] = 10.0;
        let y = after(&x, &d).unwrap();
        assert_eq!(y[7], 1.0);
        assert_eq!(y[..7], [0.0; 7]);
    }

    #[test]
    fn breakers_cap_the_match() {
        // 0 1 3 4 0 1 with the breaker [3]: λ = 3 ("4 0 1"), "0 1" still has length 2, but its
        // continuation 3 is a one-token breaker: nothing.
        let d = dry(1.0, 1.1, 2, Window::Last(6), &[0, 1, 3, 4, 0, 1]).sequence_breakers([[3]]);
        assert_eq!(d.penalties(), vec![]);
        // Without the breaker, 3 loses 1.
        let d = dry(1.0, 1.1, 2, Window::Last(6), &[0, 1, 3, 4, 0, 1]);
        assert_eq!(d.penalties(), vec![(3, 1.0)]);
        // 5 6 7 8 | 9 | 5 6 7 8 with the breaker [9] in the middle: λ = 4, n = 4 → 9 is a
        // breaker; 5 6 7 8 5 6 7 8 without it: the continuation 5 has n = 4.
        let h = [5, 6, 7, 8, 9, 5, 6, 7, 8];
        let d = dry(1.0, 2.0, 2, Window::All, &h).sequence_breakers([[9]]);
        assert_eq!(d.penalties(), vec![]);
        // A breaker among the last tokens: 1 2 3 1 2 9 1 2 → λ = 2, "1 2" (n = 2) still counts.
        let h = [1, 2, 3, 1, 2, 9, 1, 2];
        let d = dry(1.0, 2.0, 2, Window::All, &h).sequence_breakers([[9]]);
        assert_eq!(d.penalties(), vec![(3, 1.0)]);
        // λ = 1 < a: nothing, even though "1 2" repeats.
        let h = [1, 2, 3, 9, 2];
        let d = dry(1.0, 2.0, 2, Window::All, &h).sequence_breakers([[9]]);
        assert_eq!(d.penalties(), vec![]);
        // A multi-token breaker [4, 5]: the match 4 5 1 2 3 | 4 5 1 2 3 is cut to the 3 tokens
        // after the last "4 5"; the head 4 alone is not a breaker, so 4 can still be penalized.
        let h = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3];
        let plain = dry(1.0, 2.0, 2, Window::All, &h);
        assert_eq!(plain.penalties(), vec![(4, 2f32.powi(8 - 2))]);
        let cut = plain.clone().sequence_breakers([[4, 5]]);
        assert_eq!(cut.penalties(), vec![(4, 2.0)]); // min(8, 3) − 2 = 1
                                                     // A partial breaker at the very end (the head only) does not count.
        let h = [1, 2, 3, 1, 2, 3, 4];
        let d = dry(1.0, 2.0, 2, Window::All, &h).sequence_breakers([[4, 5]]);
        assert_eq!(d.penalties(), vec![]); // "3 4" does not repeat anyway
        let h = [7, 1, 2, 4, 7, 1, 2, 4];
        let d = dry(1.0, 2.0, 2, Window::All, &h).sequence_breakers([[4, 5]]);
        assert_eq!(d.penalties(), vec![(7, 4.0)]); // n = 4, no complete breaker
                                                   // Empty breakers are ignored; duplicates count once.
        let d = dry(1.0, 1.1, 2, Window::All, &[0, 1, 2, 0, 1]).sequence_breakers([
            vec![],
            vec![8],
            vec![8],
        ]);
        assert_eq!(d.breakers, vec![vec![8]]);
        assert_eq!(d.penalties(), vec![(2, 1.0)]);
    }

    #[test]
    fn the_longest_repeat_wins() {
        // Window 1 3 2 1 3 5 2 1, a = 1: the suffix "2 1" also ends at j = 3 (continuation 3,
        // n = 2) and "1" at j = 0 (continuation 3 again, n = 1): 3 takes 2, so 2^(2 − 1).
        let d = dry(1.0, 2.0, 1, Window::All, &[1, 3, 2, 1, 3, 5, 2, 1]);
        assert_eq!(d.penalties(), vec![(3, 2.0)]);
    }

    #[test]
    fn long_matches_and_the_exponent_clamp() {
        // A phrase of 40 tokens said twice, then its first 30 again. The window's suffix also
        // ends at j = 69 (one phrase earlier), matching back to the start: n = 70, and at
        // j = 29 (n = 30); both continue with phrase[30] = 130, which takes 70: 2^(70 − 2).
        let phrase: Vec<u32> = (100..140).collect();
        let mut h = phrase.clone();
        h.extend(&phrase);
        h.extend(&phrase[..30]);
        let d = dry(1.0, 2.0, 2, Window::All, &h);
        let two_to_68 = f32::from_bits((127 + 68) << 23);
        assert_eq!(d.penalties(), vec![(130, two_to_68)]);
        // A base of 10: E = 38 (10^38 <= 3.4e38 < 10^39); 70 − 2 = 68 is clamped.
        let d = dry(1.0, 10.0, 2, Window::All, &h);
        assert_eq!(d.max_exponent(), Some(38));
        assert_eq!(d.penalties(), vec![(130, 1e38)]);
        // With M = 10 the clamped penalty overflows f32: the candidate is removed.
        let d = dry(10.0, 10.0, 2, Window::All, &h);
        assert_eq!(d.penalties(), vec![(130, f32::INFINITY)]);
        let x = vec![0.0f32; 200];
        let y = after(&x, &d).unwrap();
        assert_eq!(y[130], f32::NEG_INFINITY);
        assert_eq!(y.iter().filter(|&&v| v == 0.0).count(), 199);
        // ... and if it was the only candidate, nothing is left.
        let mut only = vec![f32::NEG_INFINITY; 200];
        only[130] = 5.0;
        assert_eq!(after(&only, &d), Err(Error::AllMasked));
        // b = 1: every repeat costs M, however long; no clamp.
        let d = dry(0.25, 1.0, 2, Window::All, &h);
        assert_eq!((d.max_exponent(), d.penalties()), (None, vec![(130, 0.25)]));
    }

    #[test]
    fn the_clamp_follows_ln_f32_max_over_ln_b() {
        let ln_max = (f32::MAX as f64).ln();
        for b in [
            1.0001f32,
            1.01,
            1.1,
            1.5,
            1.75,
            2.0,
            3.0,
            10.0,
            1e10,
            1e30,
            f32::MAX,
        ] {
            let want = ln_max / (b as f64).ln();
            let e = Dry::new(1.0, b, 0, Window::All).unwrap().max_exponent();
            assert_eq!(e, Some(want.floor() as usize), "b {b}: {want}");
        }
        assert_eq!(max_exponent(1.000001), None);
        assert_eq!(max_exponent(1.0), None);
    }

    #[test]
    fn allowed_length_zero_penalizes_every_later_token() {
        // a = 0: every token after the first is a continuation of at least the empty repeat.
        // Window 4 5 6: n_0 = 0 (4 ≠ 6), n_1 = 0; so 5 and 6 lose M · b^0 = M.
        let d = dry(0.5, 2.0, 0, Window::All, &[4, 5, 6]);
        assert_eq!(d.penalties(), vec![(5, 0.5), (6, 0.5)]);
    }

    #[test]
    fn history_ids_outside_the_vocabulary() {
        // Id 9 in a vocabulary of 4: an error, as for the penalties, penalized or not.
        let d = dry(1.0, 1.1, 2, Window::All, &[0, 9, 1]);
        let out = Err(Error::TokenOutOfRange { token: 9, len: 4 });
        assert_eq!(after(&[0.0; 4], &d), out);
        let d = dry(1.0, 1.1, 2, Window::All, &[0, 1, 9, 0, 1, 12]);
        assert_eq!(
            after(&[0.0; 4], &d),
            Err(Error::TokenOutOfRange { token: 12, len: 4 })
        );
        // A disabled stage reads nothing.
        let d = dry(0.0, 1.1, 2, Window::All, &[0, 9]);
        assert_eq!(after(&[0.0; 4], &d).unwrap(), vec![0.0; 4]);
        // Breaker ids outside the vocabulary are allowed.
        let d = dry(1.0, 1.1, 2, Window::All, &[0, 1, 2, 0, 1]).sequence_breakers([[99]]);
        assert_eq!(after(&[0.0; 4], &d).unwrap(), vec![0.0, 0.0, -1.0, 0.0]);
    }

    #[test]
    fn bad_parameters() {
        let name = |r: Result<Dry, Error>| match r {
            Err(Error::InvalidParameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        for m in [-1e-30f32, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert_eq!(name(Dry::new(m, 1.75, 2, Window::All)), "dry_multiplier");
        }
        for b in [0.0f32, 0.999_999_94, -2.0, f32::NAN, f32::INFINITY] {
            assert_eq!(name(Dry::new(0.8, b, 2, Window::All)), "dry_base");
        }
        assert_eq!(
            alloc::string::ToString::to_string(&Dry::new(-1.0, 1.75, 2, Window::All).unwrap_err()),
            "dry_multiplier must be a finite number >= 0 (0 = off), got -1"
        );
        for (m, b) in [(0.0, 1.0), (f32::MAX, f32::MAX), (1e-45, 1.0)] {
            assert!(Dry::new(m, b, usize::MAX, Window::Last(usize::MAX)).is_ok());
        }
    }

    #[test]
    fn z_function_matches_its_definition() {
        let mut state = 5u64;
        let mut z = Vec::new();
        for len in 0..120usize {
            for alphabet in [1u64, 2, 3, 7] {
                let r: Vec<u32> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((state >> 33) % alphabet) as u32
                    })
                    .collect();
                z_function(&r, &mut z);
                for k in 0..len {
                    let want = r[k..].iter().zip(&r).take_while(|(a, b)| a == b).count();
                    assert_eq!(z[k], want, "{r:?} at {k}");
                }
            }
        }
    }

    #[test]
    fn fast_equals_reference_on_random_histories() {
        let mut state = 11u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for round in 0..400 {
            let vocab = 1 + next(12) as usize;
            let len = next(60) as usize;
            let history: Vec<u32> = (0..len).map(|_| next(vocab as u64) as u32).collect();
            let breakers: Vec<Vec<u32>> = (0..next(3))
                .map(|_| {
                    (0..1 + next(3))
                        .map(|_| next(vocab as u64) as u32)
                        .collect()
                })
                .collect();
            let window = match round % 3 {
                0 => Window::All,
                _ => Window::Last(1 + next(40) as usize),
            };
            let d = dry(0.7, 1.3, next(4) as usize, window, &history).sequence_breakers(&breakers);
            let x: Vec<f32> = (0..vocab).map(|i| i as f32 * 0.1).collect();
            after(&x, &d).unwrap();
        }
    }
}
