//! The one error type of the crate.

use core::fmt;

/// Why a call refused its input or its parameters.
///
/// Every public function that reads user data returns this instead of panicking. Parameter
/// errors are returned by constructors ([`Temperature::new`](crate::Temperature::new),
/// [`Sampler::new`](crate::Sampler::new), ...), input errors by the calls that read logits.
///
/// ```
/// use logits::{softmax, Error};
/// assert_eq!(softmax(&[0.0, f32::NAN]), Err(Error::NanLogit { index: 1 }));
/// assert_eq!(Error::NanLogit { index: 1 }.to_string(), "logit at index 1 is NaN");
/// ```
///
/// Two errors are equal when they are the same variant with the same fields, floats compared by
/// their bits: an error that holds a NaN parameter equals itself, so a caller can match on it or
/// compare it with `==` as on any other.
///
/// ```
/// use logits::{Error, Temperature};
/// let e = Temperature::new(f32::NAN).unwrap_err();
/// assert_eq!(e, e);
/// assert_eq!(e, Error::InvalidTemperature { value: f32::NAN });
/// assert_ne!(e, Error::InvalidTemperature { value: -1.0 });
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The logits slice is empty.
    EmptyLogits,
    /// A logit is NaN; `index` is the first one.
    NanLogit {
        /// Index of the first NaN.
        index: usize,
    },
    /// A logit is `+inf`; `index` is the first one. (`-inf` is a mask and is allowed.)
    PositiveInfiniteLogit {
        /// Index of the first `+inf`.
        index: usize,
    },
    /// Every logit is `-inf`: no token can be sampled.
    AllMasked,
    /// More than [`MAX_LOGITS`](crate::MAX_LOGITS) logits.
    TooManyLogits {
        /// The length given.
        len: usize,
    },
    /// An output buffer's length differs from the input's.
    LengthMismatch {
        /// The length the call needed.
        expected: usize,
        /// The length it was given.
        found: usize,
    },
    /// A probability given to [`entropy`](crate::entropy()) is negative, NaN or infinite.
    InvalidProbability {
        /// Index of the first bad value.
        index: usize,
    },
    /// Probabilities given to [`entropy`](crate::entropy()), or masses given to
    /// [`reference::verify`](crate::reference::verify), sum to zero.
    ZeroMass,
    /// `temperature` is NaN, negative or infinite.
    InvalidTemperature {
        /// The value given.
        value: f32,
    },
    /// `top_p` is NaN or outside `[0, 1]`.
    InvalidTopP {
        /// The value given.
        value: f32,
    },
    /// `min_p` is NaN or outside `[0, 1]`.
    InvalidMinP {
        /// The value given.
        value: f32,
    },
    /// A stage's parameter is outside its range.
    InvalidParameter {
        /// The parameter, as engines name it (`"repetition_penalty"`).
        name: &'static str,
        /// The value given.
        value: f32,
        /// The accepted range, in words (`"a finite number > 0"`).
        expected: &'static str,
    },
    /// A token id given to a stage (an allowed list, a bias, ...) is not below the vocabulary
    /// size.
    TokenOutOfRange {
        /// The id given.
        token: u32,
        /// The vocabulary size (the number of logits).
        len: usize,
    },
    /// A [`SimdPath`](crate::SimdPath) was requested that this CPU cannot run.
    SimdPathUnavailable {
        /// The path requested.
        path: crate::SimdPath,
    },
    /// The inputs of a [speculative](crate::speculative) verification do not fit together: the
    /// number of target or draft logits rows for the number of draft tokens, or a row's
    /// vocabulary size.
    DraftMismatch {
        /// What was counted (`"target rows"`, `"draft rows"`, `"draft vocabulary"`, ...).
        what: &'static str,
        /// The count the call needed.
        expected: usize,
        /// The count it was given.
        found: usize,
    },
    /// A draft token has probability 0 under the draft distribution recomputed for its
    /// position, so the draft cannot have drawn it: the draft tokens, logits or chain are not
    /// the ones the draft used ([speculative](crate::speculative) verification).
    ImpossibleDraft {
        /// The position of the draft token among the drafts, from 0.
        position: usize,
        /// The draft token.
        token: u32,
    },
    /// A parameter switches on a sampler that the [`Preset`](crate::Preset)'s engine does not
    /// have (`typical_p` for vLLM, ...): refused rather than silently ignored.
    UnsupportedParameter {
        /// The parameter, as engines name it (`"typical_p"`).
        name: &'static str,
        /// The preset's engine (`"vLLM"`).
        preset: &'static str,
    },
    /// A request gave as text what only token ids can express here (DRY's sequence breakers
    /// as strings): the caller must tokenize it first; this crate has no tokenizer.
    UntokenizedText {
        /// The field (`"dry_sequence_breakers"`).
        name: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyLogits => f.write_str("logits are empty"),
            Error::NanLogit { index } => write!(f, "logit at index {index} is NaN"),
            Error::PositiveInfiniteLogit { index } => {
                write!(
                    f,
                    "logit at index {index} is +inf (only -inf, a mask, is allowed)"
                )
            }
            Error::AllMasked => f.write_str("every logit is -inf: no token can be sampled"),
            Error::TooManyLogits { len } => {
                write!(
                    f,
                    "{len} logits: at most {} are accepted",
                    crate::MAX_LOGITS
                )
            }
            Error::LengthMismatch { expected, found } => {
                write!(f, "output has length {found}, expected {expected}")
            }
            Error::InvalidProbability { index } => write!(
                f,
                "probability at index {index} is negative, NaN or infinite"
            ),
            Error::ZeroMass => f.write_str("probabilities sum to zero"),
            Error::InvalidTemperature { value } => write!(
                f,
                "temperature must be a finite number >= 0 (0 = greedy), got {value}"
            ),
            Error::InvalidTopP { value } => write!(f, "top_p must be in [0, 1], got {value}"),
            Error::InvalidMinP { value } => write!(f, "min_p must be in [0, 1], got {value}"),
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(f, "{name} must be {expected}, got {value}"),
            Error::TokenOutOfRange { token, len } => write!(
                f,
                "token id {token} is outside the vocabulary of {len} tokens"
            ),
            Error::SimdPathUnavailable { path } => {
                write!(f, "this CPU cannot run the {path:?} code path")
            }
            Error::DraftMismatch {
                what,
                expected,
                found,
            } => write!(f, "speculative verification: {found} {what}, expected {expected}"),
            Error::ImpossibleDraft { position, token } => write!(
                f,
                "draft token {token} at position {position} has probability 0 under the draft distribution"
            ),
            Error::UnsupportedParameter { name, preset } => write!(
                f,
                "{name} is not supported by the {preset} preset (the engine has no such sampler): leave it at its default"
            ),
            Error::UntokenizedText { name } => write!(
                f,
                "{name} holds strings, which must be tokenized into token id sequences first (this crate has no tokenizer)"
            ),
        }
    }
}

impl Error {
    /// The variant and its fields as integers (floats by their bits) and strings, for `==` and
    /// hashing.
    fn key(&self) -> (u8, u64, u64, &'static str, &'static str) {
        let f = |v: f32| u64::from(v.to_bits());
        let (variant, a, b) = match *self {
            Error::EmptyLogits => (0, 0, 0),
            Error::NanLogit { index } => (1, index as u64, 0),
            Error::PositiveInfiniteLogit { index } => (2, index as u64, 0),
            Error::AllMasked => (3, 0, 0),
            Error::TooManyLogits { len } => (4, len as u64, 0),
            Error::LengthMismatch { expected, found } => (5, expected as u64, found as u64),
            Error::InvalidProbability { index } => (6, index as u64, 0),
            Error::ZeroMass => (7, 0, 0),
            Error::InvalidTemperature { value } => (8, f(value), 0),
            Error::InvalidTopP { value } => (9, f(value), 0),
            Error::InvalidMinP { value } => (10, f(value), 0),
            Error::SimdPathUnavailable { path } => (11, path as u64, 0),
            Error::TokenOutOfRange { token, len } => (12, u64::from(token), len as u64),
            Error::InvalidParameter { value, .. } => (13, f(value), 0),
            Error::DraftMismatch {
                expected, found, ..
            } => (14, expected as u64, found as u64),
            Error::ImpossibleDraft { position, token } => (15, position as u64, u64::from(token)),
            Error::UnsupportedParameter { .. } => (16, 0, 0),
            Error::UntokenizedText { .. } => (17, 0, 0),
        };
        match *self {
            Error::InvalidParameter { name, expected, .. } => (variant, a, b, name, expected),
            Error::DraftMismatch { what, .. } => (variant, a, b, what, ""),
            Error::UnsupportedParameter { name, preset } => (variant, a, b, name, preset),
            Error::UntokenizedText { name } => (variant, a, b, name, ""),
            _ => (variant, a, b, "", ""),
        }
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Error {}

impl core::hash::Hash for Error {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl core::error::Error for Error {}
