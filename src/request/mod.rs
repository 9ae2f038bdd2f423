//! Request bodies (feature `serde`): the sampling fields of an OpenAI, vLLM or llama.cpp server
//! request, read into validated [`SamplingParams`] plus the reporting fields.
//!
//! [`RequestParams`] deserializes from any self-describing format (JSON through `serde_json`,
//! ...) and serializes back under the same names. A body carries much else (`model`,
//! `messages`, `prompt`, `n`, `max_tokens`, `stream`...): every key not listed below is
//! ignored, and `null` is the same as an absent field. Absent fields keep
//! [`SamplingParams::default`] (off), not an engine's defaults.
//!
//! | field | JSON | meaning | range here | engines |
//! |---|---|---|---|---|
//! | `temperature` | number | softmax temperature, `0` = greedy | `>= 0` | OpenAI, vLLM `[0, 2]`; llama.cpp, HF |
//! | `top_k` | integer | keep the `k` most probable; `0` and `-1` off | `>= -1` | vLLM (`-1`), llama.cpp, HF |
//! | `top_p` | number | nucleus mass; `1` off | `[0, 1]` | all (vLLM `(0, 1]`) |
//! | `min_p` | number | keep `p >= min_p · p_max`; `0` off | `[0, 1]` | vLLM, llama.cpp, HF |
//! | `seed` | integer | the random stream; absent or `-1`: none given (see below) | `[0, 2^64)` or `-1` | all |
//! | `presence_penalty`, `frequency_penalty` | number | OpenAI's additive penalties | finite | OpenAI, vLLM `[-2, 2]`; llama.cpp |
//! | `repetition_penalty` (or `repeat_penalty`) | number | multiplicative penalty; `1` off | `> 0` | vLLM, HF; llama.cpp's name in parentheses |
//! | `repeat_last_n` | integer | the penalties' window: last `n`, `-1` all | `>= -1` | llama.cpp |
//! | `logit_bias` | object, string token ids → number (or `false`, a ban) | added to the logits | finite or `false` | OpenAI, vLLM `[-100, 100]`; llama.cpp |
//! | `min_keep` (or `min_tokens_to_keep`) | integer | the fewest tokens truncation keeps | `>= 0` | llama.cpp (HF) |
//! | `typical_p` | number | locally typical mass; `1` off | `[0, 1]` | llama.cpp, HF |
//! | `top_n_sigma` | number | keep logits within `n·σ` of the top; `0` and `-1` off | `>= 0` or `-1` | llama.cpp (default `-1`) |
//! | `xtc_probability`, `xtc_threshold` | number | exclude top choices | `[0, 1]` | llama.cpp |
//! | `epsilon_cutoff`, `eta_cutoff` | number | truncation sampling; `0` off | `[0, 1)` | HF |
//! | `top_h` | number | entropy budget; `0` off | `(0, 1]` or `0` | HF |
//! | `dynatemp_range`, `dynatemp_exponent` | number | dynamic temperature; range `0` off | `>= 0` | llama.cpp |
//! | `mirostat`, `mirostat_tau`, `mirostat_eta` | integer, numbers | mirostat version (`0` off), target surprise, learning rate | `0..=2`, `>= 0` | llama.cpp |
//! | `dry_multiplier`, `dry_base`, `dry_allowed_length` | numbers, integer | DRY; multiplier `0` off | `>= 0`, `>= 1`, `>= 0` | llama.cpp |
//! | `dry_penalty_last_n` | integer | DRY's window: last `n`, `-1` all | `>= -1` | llama.cpp |
//! | `dry_sequence_breakers` | array of strings or of token id arrays | sequences that end a repeat | | llama.cpp (strings) |
//! | `logprobs` | `true`/`false`, or an integer | report log-probabilities; an integer `n` also reports the top `n` (`-1` every token) | `>= -1` | OpenAI chat (flag); OpenAI completions, vLLM (count) |
//! | `top_logprobs` | integer | with `logprobs: true`, report the top `n` | `>= 0` | OpenAI chat |
//!
//! A number outside the f32 range is an error; an integer given as `40.0` is accepted. Every
//! value is then validated by its stage's constructor (as [`Preset::Standard`] builds it),
//! whether the stage is on or not. Errors name the field, the value and the accepted range —
//! the text a server returns as its 400 message (through the format's error, which may add a
//! position: `serde_json` appends "at line 1 column 42").
//!
//! The crate accepts what is mathematically valid; an API's own limits are an opt-in
//! [`Policy`] ([`RequestParams::within`]). Which samplers run, in which order, is the
//! [`Preset`]'s ([`RequestParams::sampler`]); a preset whose engine lacks a sampler that the
//! request switches on refuses it ([`Error::UnsupportedParameter`]).
//!
//! **Seed.** A body without a seed (or with `-1`, vLLM's and llama.cpp's "none") leaves
//! `sampling.seed` at 0 and [`has_seed`](RequestParams::has_seed) false: two such requests
//! would draw the same tokens. A server that wants fresh randomness per request puts its own
//! seed in ([`RequestParams::seed_if_absent`]).
//!
//! **DRY's sequence breakers.** llama.cpp takes strings and maps them over its vocabulary; this
//! crate has no tokenizer. Strings are kept in
//! [`dry_sequence_breaker_texts`](RequestParams::dry_sequence_breaker_texts) for the server to
//! tokenize into `sampling.dry_sequence_breakers`; arrays of token ids go there directly.
//! [`RequestParams::sampler`] refuses to run DRY with strings left untokenized.
//!
//! ```
//! use logits::{Policy, Preset, RequestParams};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let body = r#"{"model": "gpt-4o", "messages": [], "temperature": 0.7, "top_p": 0.9,
//!                "seed": 42, "logit_bias": {"2": -100}, "logprobs": true, "top_logprobs": 2}"#;
//! let request = serde_json::from_str::<RequestParams>(body)?.within(Policy::OpenAi)?;
//! assert_eq!((request.sampling.temperature, request.top_logprobs), (0.7, 2));
//! let mut sampler = request.sampler(Preset::Vllm)?;
//! assert_ne!(sampler.sample(&[1.0, 0.5, 3.0])?.token, 2); // banned by the bias
//!
//! let e = serde_json::from_str::<RequestParams>(r#"{"top_p": 1.5}"#).unwrap_err();
//! assert!(e.to_string().starts_with("top_p must be in [0, 1], got 1.5"));
//! # Ok(())
//! # }
//! ```

use alloc::format;
use alloc::string::ToString;
use alloc::{string::String, vec::Vec};
mod fields;
mod value;

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use self::value::Value;
use crate::{Error, Preset, Sampler, SamplingParams, Window};

/// The sampling and reporting fields of one request, validated (see the [module
/// docs](self) for the fields and their conventions).
///
/// ```
/// use logits::{RequestParams, SamplingParams};
/// let r = RequestParams::new(SamplingParams::default().temperature(0.5).seed(7));
/// assert!(r.has_seed && !r.logprobs);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RequestParams {
    /// The sampling parameters.
    pub sampling: SamplingParams,
    /// Whether the request gave a seed; if not, `sampling.seed` is 0.
    pub has_seed: bool,
    /// Report the chosen token's log-probability.
    pub logprobs: bool,
    /// Also report the `top_logprobs` most probable tokens' (`usize::MAX`: every token, vLLM's
    /// `logprobs: -1`); `0` when `logprobs` is false.
    pub top_logprobs: usize,
    /// DRY's sequence breakers given as strings, for the caller to tokenize.
    pub dry_sequence_breaker_texts: Vec<String>,
}

/// An API's own limits, narrower than the mathematical ranges: see [`RequestParams::within`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// OpenAI's documented limits: `temperature` in `[0, 2]`, `presence_penalty` and
    /// `frequency_penalty` in `[-2, 2]`, `logit_bias` values in `[-100, 100]` (so no `false`
    /// ban), at most 20 top log-probabilities (chat's `top_logprobs`; the legacy completions'
    /// own limit of 5 on an integer `logprobs` is not applied, as the two forms are one field
    /// once read).
    OpenAi,
    /// vLLM's `SamplingParams` checks: `temperature` in `[0, 2]`, `presence_penalty` and
    /// `frequency_penalty` in `[-2, 2]`, `top_p` in `(0, 1]`, at most 20 logprobs (its default
    /// `max_logprobs`); `logit_bias` values are clamped to `[-100, 100]`, as vLLM does.
    Vllm,
}

impl RequestParams {
    /// `sampling`, with its seed (`has_seed`), no log-probabilities and no text breakers.
    ///
    /// ```
    /// let r = logits::RequestParams::new(Default::default());
    /// assert_eq!(r.top_logprobs, 0);
    /// ```
    pub fn new(sampling: SamplingParams) -> Self {
        RequestParams {
            sampling,
            has_seed: true,
            logprobs: false,
            top_logprobs: 0,
            dry_sequence_breaker_texts: Vec::new(),
        }
    }

    /// `seed` as the seed, if the request gave none.
    ///
    /// ```
    /// let r = logits::RequestParams::new(Default::default());
    /// assert_eq!(r.seed_if_absent(9).sampling.seed, 0); // `new` has a seed: 0
    /// ```
    pub fn seed_if_absent(mut self, seed: u64) -> Self {
        if !self.has_seed {
            self.sampling.seed = seed;
            self.has_seed = true;
        }
        self
    }

    /// The request within `policy`'s limits: itself, or the first field outside them
    /// ([`Error::InvalidParameter`], naming the field and the limit). [`Policy::Vllm`] clamps
    /// `logit_bias` values as vLLM does.
    ///
    /// ```
    /// use logits::{Policy, RequestParams, SamplingParams};
    /// let hot = RequestParams::new(SamplingParams::default().temperature(2.5));
    /// let e = hot.within(Policy::OpenAi).unwrap_err();
    /// assert_eq!(e.to_string(), "temperature must be in [0, 2] (OpenAI's limit), got 2.5");
    /// ```
    pub fn within(mut self, policy: Policy) -> Result<Self, Error> {
        let (temperature, penalty, bias, top_p_zero, top) = match policy {
            Policy::OpenAi => (
                "in [0, 2] (OpenAI's limit)",
                "in [-2, 2] (OpenAI's limit)",
                Some("in [-100, 100] (OpenAI's limit)"),
                None,
                "at most 20 (OpenAI's limit)",
            ),
            Policy::Vllm => (
                "in [0, 2] (vLLM's limit)",
                "in [-2, 2] (vLLM's limit)",
                None,
                Some("in (0, 1] (vLLM's limit)"),
                "at most 20 (vLLM's default max_logprobs)",
            ),
        };
        let s = &mut self.sampling;
        let check = |name, value: f32, ok: bool, expected| {
            if ok {
                Ok(())
            } else {
                Err(Error::InvalidParameter {
                    name,
                    value,
                    expected,
                })
            }
        };
        check(
            "temperature",
            s.temperature,
            s.temperature <= 2.0,
            temperature,
        )?;
        if let Some(expected) = top_p_zero {
            check("top_p", s.top_p, s.top_p > 0.0, expected)?;
        }
        check(
            "presence_penalty",
            s.presence_penalty,
            s.presence_penalty.abs() <= 2.0,
            penalty,
        )?;
        check(
            "frequency_penalty",
            s.frequency_penalty,
            s.frequency_penalty.abs() <= 2.0,
            penalty,
        )?;
        for (_, b) in &mut s.logit_bias {
            match bias {
                Some(expected) => check("logit_bias", *b, b.abs() <= 100.0, expected)?,
                None => *b = b.clamp(-100.0, 100.0),
            }
        }
        if self.top_logprobs > 20 {
            let value = match self.top_logprobs {
                usize::MAX => -1.0,
                n => n as f32,
            };
            check("top_logprobs", value, false, top)?;
        }
        Ok(self)
    }

    /// A sampler for the request: `preset`'s chain of [`sampling`](Self::sampling) with its
    /// seed ([`Sampler::from_chain`]). For llama.cpp's own draw, use
    /// [`Sampler::llama_cpp`]`(&request.sampling)`.
    ///
    /// Errors: the preset's ([`Preset::chain`]), and [`Error::UntokenizedText`] when DRY is
    /// on and sequence breakers are left as strings.
    ///
    /// ```
    /// use logits::{Preset, RequestParams, SamplingParams};
    /// let r = RequestParams::new(SamplingParams::default().temperature(0.0));
    /// assert_eq!(r.sampler(Preset::Vllm)?.sample(&[0.0, 1.0])?.token, 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sampler(&self, preset: Preset) -> Result<Sampler, Error> {
        if self.sampling.dry_multiplier > 0.0 && !self.dry_sequence_breaker_texts.is_empty() {
            return Err(Error::UntokenizedText {
                name: "dry_sequence_breakers",
            });
        }
        let chain = preset.chain(&self.sampling)?;
        Ok(Sampler::from_chain(chain, self.sampling.seed))
    }
}

struct RequestVisitor;

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = RequestParams;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a request body (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RequestParams, A::Error> {
        let mut seen: Vec<&'static str> = Vec::new();
        let mut entries: Vec<(&'static str, Value)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match fields::FIELDS.iter().find(|f| **f == key) {
                Some(&name) => {
                    if seen.contains(&name) {
                        return Err(de::Error::custom(format!("{name} is given twice")));
                    }
                    seen.push(name);
                    let v: Value = map.next_value()?;
                    if v != Value::Null {
                        entries.push((name, v));
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        fields::read(&entries).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for RequestParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RequestVisitor)
    }
}

/// `logit_bias` as an object with string keys; `-inf` as `false`.
struct Bias<'a>(&'a [(u32, f32)]);

/// One bias: a number, or `false` for `-inf`.
struct BiasValue(f32);

impl Serialize for BiasValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == f32::NEG_INFINITY {
            s.serialize_bool(false)
        } else {
            s.serialize_f32(self.0)
        }
    }
}

impl Serialize for Bias<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for &(token, bias) in self.0 {
            m.serialize_entry(&token.to_string(), &BiasValue(bias))?;
        }
        m.end()
    }
}

/// `dry_sequence_breakers`: the strings, then the token sequences.
struct Breakers<'a>(&'a [String], &'a [Vec<u32>]);

impl Serialize for Breakers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len() + self.1.len()))?;
        for text in self.0 {
            seq.serialize_element(text)?;
        }
        for tokens in self.1 {
            seq.serialize_element(tokens)?;
        }
        seq.end()
    }
}

/// A window as llama.cpp writes it: `-1` for every token.
fn window_value(w: Window) -> i64 {
    match w {
        Window::All => -1,
        Window::Last(n) => n as i64,
    }
}

impl Serialize for RequestParams {
    /// The fields that differ from the defaults, under the names the module docs list
    /// (`repetition_penalty`, `min_keep`, `logprobs` as a flag with `top_logprobs`, or `-1`
    /// for every token), so that deserializing the output gives the same value back.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (s, d) = (&self.sampling, SamplingParams::default());
        let mut m = serializer.serialize_map(None)?;
        let floats = [
            ("temperature", s.temperature, d.temperature),
            ("top_p", s.top_p, d.top_p),
            ("min_p", s.min_p, d.min_p),
            ("presence_penalty", s.presence_penalty, d.presence_penalty),
            (
                "frequency_penalty",
                s.frequency_penalty,
                d.frequency_penalty,
            ),
            (
                "repetition_penalty",
                s.repetition_penalty,
                d.repetition_penalty,
            ),
            ("typical_p", s.typical_p, d.typical_p),
            ("top_n_sigma", s.top_n_sigma, d.top_n_sigma),
            ("xtc_probability", s.xtc_probability, d.xtc_probability),
            ("xtc_threshold", s.xtc_threshold, d.xtc_threshold),
            ("epsilon_cutoff", s.epsilon_cutoff, d.epsilon_cutoff),
            ("eta_cutoff", s.eta_cutoff, d.eta_cutoff),
            ("top_h", s.top_h, d.top_h),
            ("dynatemp_range", s.dynatemp_range, d.dynatemp_range),
            (
                "dynatemp_exponent",
                s.dynatemp_exponent,
                d.dynatemp_exponent,
            ),
            ("mirostat_tau", s.mirostat_tau, d.mirostat_tau),
            ("mirostat_eta", s.mirostat_eta, d.mirostat_eta),
            ("dry_multiplier", s.dry_multiplier, d.dry_multiplier),
            ("dry_base", s.dry_base, d.dry_base),
        ];
        for (name, value, default) in floats {
            if value.to_bits() != default.to_bits() {
                m.serialize_entry(name, &value)?;
            }
        }
        if s.top_k != 0 {
            m.serialize_entry("top_k", &(s.top_k as u64))?;
        }
        if self.has_seed {
            m.serialize_entry("seed", &s.seed)?;
        }
        if s.penalty_window != d.penalty_window {
            m.serialize_entry("repeat_last_n", &window_value(s.penalty_window))?;
        }
        if !s.logit_bias.is_empty() {
            m.serialize_entry("logit_bias", &Bias(&s.logit_bias))?;
        }
        if s.min_keep != 0 {
            m.serialize_entry("min_keep", &(s.min_keep as u64))?;
        }
        if s.mirostat != 0 {
            m.serialize_entry("mirostat", &s.mirostat)?;
        }
        if s.dry_allowed_length != d.dry_allowed_length {
            m.serialize_entry("dry_allowed_length", &(s.dry_allowed_length as u64))?;
        }
        if s.dry_penalty_last_n != d.dry_penalty_last_n {
            m.serialize_entry("dry_penalty_last_n", &window_value(s.dry_penalty_last_n))?;
        }
        if !self.dry_sequence_breaker_texts.is_empty() || !s.dry_sequence_breakers.is_empty() {
            m.serialize_entry(
                "dry_sequence_breakers",
                &Breakers(&self.dry_sequence_breaker_texts, &s.dry_sequence_breakers),
            )?;
        }
        if self.logprobs {
            if self.top_logprobs == usize::MAX {
                m.serialize_entry("logprobs", &-1i64)?;
            } else {
                m.serialize_entry("logprobs", &true)?;
                if self.top_logprobs > 0 {
                    m.serialize_entry("top_logprobs", &(self.top_logprobs as u64))?;
                }
            }
        }
        m.end()
    }
}
