//! Repetition, frequency and presence penalties over the tokens seen so far.
//!
//! **Definition.** For each token `i` that occurs `c_i > 0` times in the window of accepted
//! tokens, in this order:
//!
//! ```text
//! x_i ← x_i / r   if x_i > 0,   x_i · r   otherwise          (repetition penalty r)
//! x_i ← x_i − c_i · f − p                                     (frequency f, presence p)
//! ```
//!
//! Tokens that do not occur are unchanged. The repetition penalty is multiplicative with the
//! sign rule (a positive logit is divided, a negative one multiplied, so `r > 1` always makes
//! the token less likely), as in llama.cpp, Hugging Face and vLLM; frequency and presence are
//! OpenAI's additive formula. `r = 1`, `f = 0`, `p = 0` disable their terms.
//!
//! **Window.** [`Window::Last`]`(n)`: the last `n` accepted tokens (llama.cpp's
//! `penalty_last_n`, 64 by default; `0` disables). [`Window::All`]: every accepted token.
//! [`Sampler`](crate::Sampler) accepts each token it samples; accept the prompt's tokens too
//! ([`Sampler::accept`](crate::Sampler::accept)) where the engine counts them: Hugging Face and
//! vLLM count the prompt for the repetition penalty, vLLM counts only generated tokens for
//! frequency and presence (two stages, then), llama.cpp counts whatever its window holds.
//!
//! **Cost.** Each step edits one logit per distinct token in the window: it grows with the
//! history, not with the vocabulary. The state is a ring of the window's tokens and their
//! counts, allocated in [`Penalties::new`] for a `Last(n)` window (an `All` window grows with
//! the number of distinct tokens seen).
//!
//! **Ranges.** `r` finite and `> 0` (vLLM: `> 0`; Hugging Face: `> 0`); `f`, `p` finite
//! (OpenAI and vLLM accept `[-2, 2]`; negative values encourage repetition).

use crate::{reference, samplers::Context, Candidates, Error, Stage};
use alloc::vec::Vec;

/// Which accepted tokens the penalties count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// The last `n` accepted tokens; `0` counts none.
    Last(usize),
    /// Every accepted token.
    All,
}

/// Repetition, frequency and presence penalties, with the window's state.
///
/// ```
/// use logits::{Chain, Context, Penalties, Sampler, Stage, Window, Workspace};
/// let penalties = Penalties::new(1.5, 0.0, 0.0, Window::Last(64))?;
/// let mut s = Sampler::from_chain(Chain::new().then(penalties).then(logits::Temperature::new(0.0)?), 0);
/// let x = [2.0, 1.9, 0.0];
/// assert_eq!(s.sample(&x)?.token, 0); // nothing seen yet
/// assert_eq!(s.sample(&x)?.token, 1); // 2.0 / 1.5 < 1.9 now
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Penalties {
    repetition: f32,
    frequency: f32,
    presence: f32,
    window: Window,
    /// For `Last(n)`, the window's tokens, oldest first from `head` (a ring of capacity `n`);
    /// `All` needs only the counts.
    history: Vec<u32>,
    head: usize,
    /// `(token, count)` of the tokens in the window, ascending tokens, counts `> 0`.
    counts: Vec<(u32, u32)>,
}

impl Penalties {
    /// Validates the penalties: `repetition` finite and `> 0`, `frequency` and `presence`
    /// finite.
    ///
    /// Errors: [`Error::InvalidParameter`], naming `repetition_penalty`, `frequency_penalty` or
    /// `presence_penalty`.
    ///
    /// ```
    /// use logits::{Error, Penalties, Window};
    /// assert!(Penalties::new(1.1, 0.5, 0.5, Window::All).is_ok());
    /// let e = Penalties::new(0.0, 0.0, 0.0, Window::All).unwrap_err();
    /// assert_eq!(e.to_string(), "repetition_penalty must be a finite number > 0, got 0");
    /// ```
    pub fn new(
        repetition: f32,
        frequency: f32,
        presence: f32,
        window: Window,
    ) -> Result<Self, Error> {
        if !(repetition.is_finite() && repetition > 0.0) {
            return Err(Error::InvalidParameter {
                name: "repetition_penalty",
                value: repetition,
                expected: "a finite number > 0",
            });
        }
        for (name, value) in [
            ("frequency_penalty", frequency),
            ("presence_penalty", presence),
        ] {
            if !value.is_finite() {
                return Err(Error::InvalidParameter {
                    name,
                    value,
                    expected: "a finite number",
                });
            }
        }
        let capacity = match window {
            Window::Last(n) => n.min(PREALLOCATED),
            Window::All => 0,
        };
        Ok(Penalties {
            repetition,
            frequency,
            presence,
            window,
            history: Vec::with_capacity(capacity),
            head: 0,
            counts: Vec::with_capacity(capacity),
        })
    }

    /// Whether it changes nothing whatever the history (`r = 1`, `f = p = 0`, or an empty
    /// window).
    ///
    /// ```
    /// use logits::{Penalties, Window};
    /// assert!(Penalties::new(1.0, 0.0, 0.0, Window::All)?.is_disabled());
    /// assert!(Penalties::new(1.3, 0.0, 0.0, Window::Last(0))?.is_disabled());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_disabled(&self) -> bool {
        (self.repetition == 1.0 && self.frequency == 0.0 && self.presence == 0.0)
            || self.window == Window::Last(0)
    }

    /// The `(token, count)` pairs of the window, ascending tokens.
    ///
    /// ```
    /// use logits::{Penalties, Stage, Window};
    /// let mut p = Penalties::new(1.1, 0.0, 0.0, Window::Last(2))?;
    /// for t in [5, 3, 5] {
    ///     p.accept(t);
    /// }
    /// assert_eq!(p.counts(), &[(3, 1), (5, 1)]); // the first 5 left the window
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn counts(&self) -> &[(u32, u32)] {
        &self.counts
    }

    /// The penalized logit of a token seen `count > 0` times.
    fn penalize(&self, x: f32, count: u32) -> f32 {
        let x = if x > 0.0 {
            x / self.repetition
        } else {
            x * self.repetition
        };
        x - (count as f32 * self.frequency + self.presence)
    }

    fn add(&mut self, token: u32, delta: i32) {
        match self.counts.binary_search_by_key(&token, |&(t, _)| t) {
            Ok(k) => {
                let c = self.counts[k].1 as i64 + delta as i64;
                if c <= 0 {
                    self.counts.remove(k);
                } else {
                    self.counts[k].1 = c as u32;
                }
            }
            Err(k) if delta > 0 => self.counts.insert(k, (token, delta as u32)),
            Err(_) => {}
        }
    }
}

impl Stage for Penalties {
    fn name(&self) -> &'static str {
        "penalties"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.is_disabled() {
            return;
        }
        candidates.update_logits(&self.counts, |x, count| self.penalize(x, count));
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.is_disabled() {
            return;
        }
        candidates.update_logits(&self.counts, |x, count| self.penalize(x, count));
    }

    fn accept(&mut self, token: u32) {
        match self.window {
            Window::Last(0) => return,
            Window::Last(n) if self.history.len() == n => {
                let oldest = core::mem::replace(&mut self.history[self.head], token);
                self.head = (self.head + 1) % n;
                self.add(oldest, -1);
            }
            Window::Last(_) => self.history.push(token),
            Window::All => {}
        }
        self.add(token, 1);
    }

    fn reset(&mut self) {
        self.history.clear();
        self.head = 0;
        self.counts.clear();
    }

    /// A `Last(n)` window holds at most `n` tokens and counts (the first `min(n, 2^17)`
    /// allocated by [`new`](Penalties::new)); an `All` window keeps no history, and one count
    /// per distinct token accepted, at most `tokens` of them.
    fn reserve(&mut self, tokens: usize) {
        let n = match self.window {
            Window::Last(n) => {
                grow_to(&mut self.history, tokens.min(n));
                tokens.min(n)
            }
            Window::All => tokens,
        };
        grow_to(&mut self.counts, n);
    }
}
/// The largest window for which [`Penalties::new`] allocates the history up front.
const PREALLOCATED: usize = 1 << 17;

/// Grows `v`'s capacity to at least `n` elements.
pub(crate) fn grow_to<T>(v: &mut Vec<T>, n: usize) {
    if v.capacity() < n {
        v.reserve_exact(n - v.len());
    }
}
