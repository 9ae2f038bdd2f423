//! Reading a body's sampling fields into [`RequestParams`]: each field's type, its engine
//! conventions (`top_k = -1`, `seed = -1`, string token ids, `logprobs` as a flag or a count),
//! then the stages' own validation.

use super::value::Value;
use super::RequestParams;
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
use crate::float::Float as _;
use crate::{Preset, SamplingParams, Window};
use alloc::format;
use alloc::string::ToString;
use alloc::{string::String, vec::Vec};

/// The fields read, as the engines name them; every other key of a body is ignored.
pub(crate) const FIELDS: [&str; 32] = [
    "temperature",
    "top_k",
    "top_p",
    "min_p",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
    "repeat_penalty",
    "repeat_last_n",
    "logit_bias",
    "min_keep",
    "min_tokens_to_keep",
    "typical_p",
    "top_n_sigma",
    "xtc_probability",
    "xtc_threshold",
    "epsilon_cutoff",
    "eta_cutoff",
    "top_h",
    "dynatemp_range",
    "dynatemp_exponent",
    "mirostat",
    "mirostat_tau",
    "mirostat_eta",
    "dry_multiplier",
    "dry_base",
    "dry_allowed_length",
    "dry_penalty_last_n",
    "dry_sequence_breakers",
    "logprobs",
    "top_logprobs",
];

/// A number, as f64.
fn number(name: &str, v: &Value) -> Result<f64, String> {
    match *v {
        Value::Int(i) => Ok(i as f64),
        Value::UInt(u) => Ok(u as f64),
        Value::Float(f) => Ok(f),
        _ => Err(format!("{name} must be a number, got {}", v.kind())),
    }
}

/// A number within the f32 range (then rounded to the nearest f32).
fn float(name: &str, v: &Value) -> Result<f32, String> {
    let f = number(name, v)?;
    if f.is_finite() && f.abs() > f32::MAX as f64 {
        return Err(format!(
            "{name} = {f:e} is outside the range of an f32 (about ±3.4e38)"
        ));
    }
    Ok(f as f32)
}

/// An integer (an integral float such as `40.0` counts), as i128.
fn integer(name: &str, v: &Value) -> Result<i128, String> {
    match *v {
        Value::Int(i) => Ok(i128::from(i)),
        Value::UInt(u) => Ok(i128::from(u)),
        Value::Float(f) if f.is_finite() && f.floor() == f && f.abs() < 1.8e19 => Ok(f as i128),
        Value::Float(f) if f.is_finite() && f.floor() == f => Err(format!(
            "{name} = {f:e} is outside the range of a 64-bit integer"
        )),
        _ => Err(format!("{name} must be an integer, got {}", v.kind())),
    }
}

/// A count: an integer `>= 0`.
fn count(name: &str, v: &Value) -> Result<usize, String> {
    let i = integer(name, v)?;
    usize::try_from(i).map_err(|_| format!("{name} must be an integer >= 0, got {i}"))
}

/// A window of accepted tokens: `-1` every one (llama.cpp's "the context"), `n >= 0` the last
/// `n` (`0` none).
fn window(name: &str, v: &Value) -> Result<Window, String> {
    match integer(name, v)? {
        -1 => Ok(Window::All),
        i => usize::try_from(i)
            .map(Window::Last)
            .map_err(|_| format!("{name} must be -1 (every token) or an integer >= 0, got {i}")),
    }
}

/// `logit_bias`: an object from token ids, as strings (`{"50256": -100}`), to biases; a bias
/// of `false` bans the token (llama.cpp's `-inf`).
fn logit_bias(v: &Value) -> Result<Vec<(u32, f32)>, String> {
    let Value::Map(entries) = v else {
        return Err(format!(
            "logit_bias must be an object from token ids to biases, got {}",
            v.kind()
        ));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, bias) in entries {
        let token: u32 = key.trim().parse().map_err(|_| {
            format!("logit_bias key {key:?} is not a token id (an integer in [0, 4294967295])")
        })?;
        let bias = match bias {
            Value::Bool(false) => f32::NEG_INFINITY,
            b => float(&format!("logit_bias[{key:?}]"), b)?,
        };
        out.push((token, bias));
    }
    out.sort_by_key(|&(token, _)| token);
    if let Some(w) = out.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("logit_bias gives token {} twice", w[0].0));
    }
    Ok(out)
}

/// `dry_sequence_breakers`: an array of strings (llama.cpp's form, kept as text for the
/// caller's tokenizer) or of token id arrays.
fn breakers(v: &Value, texts: &mut Vec<String>, tokens: &mut Vec<Vec<u32>>) -> Result<(), String> {
    let name = "dry_sequence_breakers";
    let Value::Seq(items) = v else {
        return Err(format!(
            "{name} must be an array of strings or of token id arrays, got {}",
            v.kind()
        ));
    };
    for item in items {
        match item {
            Value::Str(s) => texts.push(s.clone()),
            Value::Seq(ids) => {
                let ids = ids
                    .iter()
                    .map(|id| {
                        u32::try_from(integer(name, id)?)
                            .map_err(|_| format!("{name}: {} is not a token id", id.kind()))
                    })
                    .collect::<Result<Vec<u32>, String>>()?;
                tokens.push(ids);
            }
            other => {
                return Err(format!(
                    "{name} items must be strings or token id arrays, got {}",
                    other.kind()
                ))
            }
        }
    }
    Ok(())
}

/// The reporting fields: `logprobs` as OpenAI chat's flag or as a count (OpenAI legacy
/// completions, vLLM; `-1` every token), `top_logprobs` with the flag.
fn logprobs(
    logprobs: Option<&Value>,
    top_logprobs: Option<&Value>,
    out: &mut RequestParams,
) -> Result<(), String> {
    let mut counted = false;
    match logprobs {
        None => {}
        Some(Value::Bool(b)) => out.logprobs = *b,
        Some(v) => {
            out.logprobs = true;
            counted = true;
            out.top_logprobs = match integer("logprobs", v).map_err(|_| {
                format!(
                    "logprobs must be true, false or a count of top tokens, got {}",
                    v.kind()
                )
            })? {
                -1 => usize::MAX,
                i => usize::try_from(i).map_err(|_| {
                    format!("logprobs must be -1 (every token) or a count >= 0, got {i}")
                })?,
            };
        }
    }
    if let Some(v) = top_logprobs {
        if counted {
            return Err(
                "top_logprobs is given with logprobs as a count: give the count in one of them"
                    .into(),
            );
        }
        out.top_logprobs = count("top_logprobs", v)?;
        if out.top_logprobs > 0 && !out.logprobs {
            return Err(format!(
                "top_logprobs = {} needs logprobs = true",
                out.top_logprobs
            ));
        }
    }
    Ok(())
}

/// The fields of a body (names from [`FIELDS`], each at most once, `null` already left out),
/// read and validated.
pub(crate) fn read(entries: &[(&'static str, Value)]) -> Result<RequestParams, String> {
    let get = |name: &str| entries.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    let one_of = |a: &'static str, b: &'static str| match (get(a), get(b)) {
        (Some(_), Some(_)) => Err(format!("{a} and {b} are one field: give one of them")),
        (Some(v), None) => Ok(Some((a, v))),
        (None, Some(v)) => Ok(Some((b, v))),
        (None, None) => Ok(None),
    };
    let mut s = SamplingParams::default();
    let mut r = RequestParams::new(SamplingParams::default());
    r.has_seed = false;
    let floats: [(&str, &mut f32); 18] = [
        ("temperature", &mut s.temperature),
        ("top_p", &mut s.top_p),
        ("min_p", &mut s.min_p),
        ("presence_penalty", &mut s.presence_penalty),
        ("frequency_penalty", &mut s.frequency_penalty),
        ("typical_p", &mut s.typical_p),
        ("top_n_sigma", &mut s.top_n_sigma),
        ("xtc_probability", &mut s.xtc_probability),
        ("xtc_threshold", &mut s.xtc_threshold),
        ("epsilon_cutoff", &mut s.epsilon_cutoff),
        ("eta_cutoff", &mut s.eta_cutoff),
        ("top_h", &mut s.top_h),
        ("dynatemp_range", &mut s.dynatemp_range),
        ("dynatemp_exponent", &mut s.dynatemp_exponent),
        ("mirostat_tau", &mut s.mirostat_tau),
        ("mirostat_eta", &mut s.mirostat_eta),
        ("dry_multiplier", &mut s.dry_multiplier),
        ("dry_base", &mut s.dry_base),
    ];
    for (name, field) in floats {
        if let Some(v) = get(name) {
            *field = float(name, v)?;
        }
    }
    // llama.cpp's default `top_n_sigma` is -1, its "off" (as `top_k = -1` is vLLM's).
    if s.top_n_sigma == -1.0 {
        s.top_n_sigma = 0.0;
    }
    if let Some((name, v)) = one_of("repetition_penalty", "repeat_penalty")? {
        s.repetition_penalty = float(name, v)?;
    }
    if let Some((name, v)) = one_of("min_keep", "min_tokens_to_keep")? {
        s.min_keep = count(name, v)?;
    }
    if let Some(v) = get("top_k") {
        s.top_k = match integer("top_k", v)? {
            -1 | 0 => 0,
            k => usize::try_from(k)
                .map_err(|_| format!("top_k must be -1 or 0 (off) or an integer >= 1, got {k}"))?,
        };
    }
    if let Some(v) = get("seed") {
        match integer("seed", v)? {
            -1 => {}
            i => {
                s.seed = u64::try_from(i).map_err(|_| {
                    format!("seed must be -1 (none) or an integer in [0, 2^64), got {i}")
                })?;
                r.has_seed = true;
            }
        }
    }
    if let Some(v) = get("repeat_last_n") {
        s.penalty_window = window("repeat_last_n", v)?;
    }
    if let Some(v) = get("logit_bias") {
        s.logit_bias = logit_bias(v)?;
    }
    if let Some(v) = get("mirostat") {
        let m = integer("mirostat", v)?;
        s.mirostat = u8::try_from(m)
            .ok()
            .filter(|&m| m <= 2)
            .ok_or_else(|| format!("mirostat must be 0 (off), 1 or 2, got {m}"))?;
    }
    if let Some(v) = get("dry_allowed_length") {
        s.dry_allowed_length = count("dry_allowed_length", v)?;
    }
    if let Some(v) = get("dry_penalty_last_n") {
        s.dry_penalty_last_n = window("dry_penalty_last_n", v)?;
    }
    if let Some(v) = get("dry_sequence_breakers") {
        breakers(
            v,
            &mut r.dry_sequence_breaker_texts,
            &mut s.dry_sequence_breakers,
        )?;
    }
    logprobs(get("logprobs"), get("top_logprobs"), &mut r)?;
    // The stages' own ranges, every field whether its stage is on or not.
    Preset::Standard.chain(&s).map_err(|e| e.to_string())?;
    r.sampling = s;
    Ok(r)
}
