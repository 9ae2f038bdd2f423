//! Request bodies (feature `serde`): real bodies of OpenAI chat and completions, vLLM and the
//! llama.cpp server read into the parameters their documentation describes, every error path
//! with its message, the API policies, and the round trip through serialization.
#![cfg(feature = "serde")]

use logits::{Error, Policy, Preset, RequestParams, SamplingParams, Window};

fn parse(body: &str) -> RequestParams {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"))
}

/// The error message of a body, without `serde_json`'s position suffix.
fn error(body: &str) -> String {
    let e = serde_json::from_str::<RequestParams>(body).unwrap_err();
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Deserialize → serialize → deserialize gives the same value.
fn round_trip(r: &RequestParams) {
    let json = serde_json::to_string(r).unwrap();
    let back: RequestParams = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(&back, r, "{json}");
}

const OPENAI_CHAT: &str = r#"{
  "model": "gpt-4o-mini",
  "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
  "temperature": 0.7,
  "top_p": 0.9,
  "presence_penalty": 0.5,
  "frequency_penalty": 0.25,
  "logit_bias": {"50256": -100, "15043": 5},
  "logprobs": true,
  "top_logprobs": 5,
  "seed": 1234,
  "n": 1,
  "max_tokens": 64,
  "stream": false,
  "stop": null,
  "response_format": {"type": "text"},
  "user": "user-123"
}"#;

#[test]
fn openai_chat() {
    let r = parse(OPENAI_CHAT);
    let want = SamplingParams::default()
        .temperature(0.7)
        .top_p(0.9)
        .presence_penalty(0.5)
        .frequency_penalty(0.25)
        .logit_bias([(15043, 5.0), (50256, -100.0)])
        .seed(1234);
    assert_eq!(r.sampling, want);
    assert!(r.has_seed && r.logprobs);
    assert_eq!(r.top_logprobs, 5);
    assert!(r.dry_sequence_breaker_texts.is_empty());
    assert_eq!(r.clone().within(Policy::OpenAi), Ok(r.clone()));
    round_trip(&r);
}

const OPENAI_COMPLETIONS: &str = r#"{
  "model": "gpt-3.5-turbo-instruct",
  "prompt": "Say this is a test",
  "max_tokens": 7,
  "temperature": 0,
  "logprobs": 3,
  "echo": false,
  "best_of": 1,
  "stop": "\n"
}"#;

#[test]
fn openai_completions_with_integer_logprobs() {
    let r = parse(OPENAI_COMPLETIONS);
    assert_eq!(r.sampling, SamplingParams::default().temperature(0.0));
    // No seed: 0, and said so.
    assert!(!r.has_seed);
    assert_eq!(r.sampling.seed, 0);
    assert_eq!(r.clone().seed_if_absent(99).sampling.seed, 99);
    // `logprobs: 3` reports the chosen token and the top 3.
    assert!(r.logprobs);
    assert_eq!(r.top_logprobs, 3);
    round_trip(&r);
    // Greedy: the argmax, whatever the seed.
    let mut s = r.sampler(Preset::Standard).unwrap();
    assert_eq!(s.sample(&[0.5, 2.0, 1.0]).unwrap().token, 1);
}

const VLLM: &str = r#"{
  "model": "meta-llama/Llama-3.1-8B-Instruct",
  "prompt": "The capital of France is",
  "max_tokens": 16,
  "temperature": 0.8,
  "top_k": -1,
  "top_p": 0.95,
  "min_p": 0.05,
  "repetition_penalty": 1.1,
  "seed": -1,
  "logprobs": -1,
  "min_tokens": 4,
  "skip_special_tokens": true,
  "min_tokens_to_keep": 2
}"#;

#[test]
fn vllm() {
    let r = parse(VLLM);
    let want = SamplingParams::default()
        .temperature(0.8)
        .top_p(0.95)
        .min_p(0.05)
        .repetition_penalty(1.1)
        .min_keep(2);
    assert_eq!(r.sampling, want);
    assert_eq!(r.sampling.top_k, 0); // -1: off
    assert!(!r.has_seed); // -1: none
    assert!(r.logprobs);
    assert_eq!(r.top_logprobs, usize::MAX); // -1: every token
    round_trip(&r);
    // vLLM allows -1 logprobs only with max_logprobs = -1; its default is 20.
    assert_eq!(
        r.clone().within(Policy::Vllm).unwrap_err().to_string(),
        "top_logprobs must be at most 20 (vLLM's default max_logprobs), got -1"
    );
    let names: Vec<&str> = r
        .sampler(Preset::Vllm)
        .unwrap()
        .chain()
        .stages()
        .iter()
        .map(|s| s.name())
        .collect();
    assert_eq!(names, ["penalties", "temperature", "min_p", "top_p"]);
}

const LLAMA_CPP: &str = r#"{
  "prompt": "Building a website can be done in 10 simple steps:",
  "n_predict": 128,
  "temperature": 0.8,
  "dynatemp_range": 0.5,
  "dynatemp_exponent": 1.0,
  "top_k": 40,
  "top_p": 0.95,
  "min_p": 0.05,
  "typical_p": 1.0,
  "top_n_sigma": -1,
  "xtc_probability": 0.5,
  "xtc_threshold": 0.1,
  "repeat_penalty": 1.1,
  "repeat_last_n": 64,
  "presence_penalty": 0.0,
  "frequency_penalty": 0.0,
  "mirostat": 2,
  "mirostat_tau": 4.5,
  "mirostat_eta": 0.2,
  "dry_multiplier": 0.8,
  "dry_base": 1.75,
  "dry_allowed_length": 3,
  "dry_penalty_last_n": -1,
  "dry_sequence_breakers": ["\n", ":", "\"", "*"],
  "min_keep": 1,
  "seed": 42,
  "n_probs": 0,
  "cache_prompt": true,
  "samplers": ["dry", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"]
}"#;

#[test]
fn llama_cpp_server() {
    let r = parse(LLAMA_CPP);
    let want = SamplingParams::default()
        .temperature(0.8)
        .dynatemp(0.5, 1.0)
        .top_k(40)
        .top_p(0.95)
        .min_p(0.05)
        .xtc(0.5, 0.1)
        .repetition_penalty(1.1)
        .penalty_window(Window::Last(64))
        .mirostat(2, 4.5, 0.2)
        .dry(0.8, 1.75, 3, Window::All)
        .min_keep(1)
        .seed(42);
    assert_eq!(r.sampling, want);
    assert_eq!(r.sampling.top_n_sigma, 0.0); // llama.cpp's -1: off
    assert_eq!(r.dry_sequence_breaker_texts, ["\n", ":", "\"", "*"]);
    assert!(r.has_seed && !r.logprobs);
    round_trip(&r);
    // DRY is on and its breakers are text: the server must tokenize them first.
    let e = r.sampler(Preset::LlamaCpp).unwrap_err();
    assert_eq!(
        e,
        Error::UntokenizedText {
            name: "dry_sequence_breakers"
        }
    );
    assert_eq!(
        e.to_string(),
        "dry_sequence_breakers holds strings, which must be tokenized into token id sequences first (this crate has no tokenizer)"
    );
    let mut tokenized = r.clone();
    tokenized.dry_sequence_breaker_texts.clear();
    tokenized.sampling =
        tokenized
            .sampling
            .dry_sequence_breakers([vec![13], vec![25], vec![1], vec![9]]);
    round_trip(&tokenized);
    // llama.cpp with mirostat 2: bias, plain temperature, mirostat (everything else ignored).
    let s = tokenized.sampler(Preset::LlamaCpp).unwrap();
    let names: Vec<&str> = s.chain().stages().iter().map(|s| s.name()).collect();
    assert_eq!(names, ["temperature", "mirostat_v2"]);
    assert_eq!(s.seed(), 42);
    // vLLM has none of these samplers: the first one on (in the preset's list) is named.
    assert_eq!(
        tokenized.sampler(Preset::Vllm).unwrap_err(),
        Error::UnsupportedParameter {
            name: "xtc_probability",
            preset: "vLLM"
        }
    );
}

#[test]
fn wrong_types_name_the_field() {
    for (body, message) in [
        (
            r#"{"temperature": "hot"}"#,
            r#"temperature must be a number, got the string "hot""#,
        ),
        (
            r#"{"top_p": [0.9]}"#,
            "top_p must be a number, got an array",
        ),
        (r#"{"min_p": true}"#, "min_p must be a number, got true"),
        (r#"{"top_k": 1.5}"#, "top_k must be an integer, got 1.5"),
        (
            r#"{"top_k": "40"}"#,
            r#"top_k must be an integer, got the string "40""#,
        ),
        (r#"{"seed": 4.2}"#, "seed must be an integer, got 4.2"),
        (
            r#"{"mirostat": "2"}"#,
            r#"mirostat must be an integer, got the string "2""#,
        ),
        (
            r#"{"logit_bias": [[50256, -100]]}"#,
            "logit_bias must be an object from token ids to biases, got an array",
        ),
        (
            r#"{"logit_bias": {"50256": "-100"}}"#,
            r#"logit_bias["50256"] must be a number, got the string "-100""#,
        ),
        (
            r#"{"logprobs": "yes"}"#,
            r#"logprobs must be true, false or a count of top tokens, got the string "yes""#,
        ),
        (
            r#"{"logprobs": true, "top_logprobs": 2.5}"#,
            "top_logprobs must be an integer, got 2.5",
        ),
        (
            r#"{"dry_sequence_breakers": "\n"}"#,
            r#"dry_sequence_breakers must be an array of strings or of token id arrays, got the string "\n""#,
        ),
        (
            r#"{"dry_sequence_breakers": [1]}"#,
            "dry_sequence_breakers items must be strings or token id arrays, got 1",
        ),
        (
            r#"{"dry_sequence_breakers": [[-1]]}"#,
            "dry_sequence_breakers: -1 is not a token id",
        ),
        (
            r#"{"min_keep": -1}"#,
            "min_keep must be an integer >= 0, got -1",
        ),
    ] {
        assert_eq!(error(body), message, "{body}");
    }
    // Not an object at all: the format's own message.
    assert!(serde_json::from_str::<RequestParams>("[1, 2]").is_err());
}

#[test]
fn out_of_range_names_field_value_and_range() {
    for (body, message) in [
        (r#"{"top_p": 1.5}"#, "top_p must be in [0, 1], got 1.5"),
        (
            r#"{"temperature": -0.5}"#,
            "temperature must be a finite number >= 0 (0 = greedy), got -0.5",
        ),
        (r#"{"min_p": -0.1}"#, "min_p must be in [0, 1], got -0.1"),
        (
            r#"{"top_k": -2}"#,
            "top_k must be -1 or 0 (off) or an integer >= 1, got -2",
        ),
        (
            r#"{"seed": -2}"#,
            "seed must be -1 (none) or an integer in [0, 2^64), got -2",
        ),
        (
            r#"{"repetition_penalty": 0}"#,
            "repetition_penalty must be a finite number > 0, got 0",
        ),
        (
            r#"{"repeat_penalty": -1}"#,
            "repetition_penalty must be a finite number > 0, got -1",
        ),
        (
            r#"{"repeat_last_n": -2}"#,
            "repeat_last_n must be -1 (every token) or an integer >= 0, got -2",
        ),
        (
            r#"{"typical_p": 2}"#,
            "typical_p must be in [0, 1] (1 = off), got 2",
        ),
        (
            r#"{"top_n_sigma": -2}"#,
            "top_n_sigma must be a finite number >= 0 (0 = off), got -2",
        ),
        (
            r#"{"xtc_threshold": 1.5}"#,
            "xtc_threshold must be in [0, 1], got 1.5",
        ),
        (
            r#"{"epsilon_cutoff": 1}"#,
            "epsilon_cutoff must be in [0, 1) (0 = off), got 1",
        ),
        (
            r#"{"eta_cutoff": -0.001}"#,
            "eta_cutoff must be in [0, 1) (0 = off), got -0.001",
        ),
        (r#"{"top_h": 1.5}"#, "top_h must be in (0, 1], got 1.5"),
        (
            r#"{"dynatemp_exponent": -1}"#,
            "dynatemp_exponent must be a finite number >= 0, got -1",
        ),
        (
            r#"{"mirostat": 3}"#,
            "mirostat must be 0 (off), 1 or 2, got 3",
        ),
        (
            r#"{"mirostat": 1, "mirostat_eta": -0.1}"#,
            "mirostat_eta must be a finite number >= 0, got -0.1",
        ),
        (
            r#"{"dry_base": 0.5}"#,
            "dry_base must be a finite number >= 1, got 0.5",
        ),
        (
            r#"{"dry_multiplier": -1}"#,
            "dry_multiplier must be a finite number >= 0 (0 = off), got -1",
        ),
        (
            r#"{"dry_penalty_last_n": -5}"#,
            "dry_penalty_last_n must be -1 (every token) or an integer >= 0, got -5",
        ),
        (
            r#"{"top_logprobs": 3}"#,
            "top_logprobs = 3 needs logprobs = true",
        ),
        (
            r#"{"logprobs": false, "top_logprobs": 3}"#,
            "top_logprobs = 3 needs logprobs = true",
        ),
        (
            r#"{"logprobs": 2, "top_logprobs": 3}"#,
            "top_logprobs is given with logprobs as a count: give the count in one of them",
        ),
        (
            r#"{"logprobs": -2}"#,
            "logprobs must be -1 (every token) or a count >= 0, got -2",
        ),
        (r#"{"top_p": 0.5, "top_p": 0.6}"#, "top_p is given twice"),
        (
            r#"{"repeat_penalty": 1.1, "repetition_penalty": 1.2}"#,
            "repetition_penalty and repeat_penalty are one field: give one of them",
        ),
        (
            r#"{"min_keep": 1, "min_tokens_to_keep": 2}"#,
            "min_keep and min_tokens_to_keep are one field: give one of them",
        ),
    ] {
        assert_eq!(error(body), message, "{body}");
    }
}

#[test]
fn logit_bias_keys() {
    for (body, message) in [
        (
            r#"{"logit_bias": {"abc": 1}}"#,
            r#"logit_bias key "abc" is not a token id (an integer in [0, 4294967295])"#,
        ),
        (
            r#"{"logit_bias": {"-1": 1}}"#,
            r#"logit_bias key "-1" is not a token id (an integer in [0, 4294967295])"#,
        ),
        (
            r#"{"logit_bias": {"4294967296": 1}}"#,
            r#"logit_bias key "4294967296" is not a token id (an integer in [0, 4294967295])"#,
        ),
        (
            r#"{"logit_bias": {"1.5": 1}}"#,
            r#"logit_bias key "1.5" is not a token id (an integer in [0, 4294967295])"#,
        ),
        (
            r#"{"logit_bias": {"7": 1, "07": 2}}"#,
            "logit_bias gives token 7 twice",
        ),
    ] {
        assert_eq!(error(body), message, "{body}");
    }
    // The largest id, and llama.cpp's `false` (a ban, -inf).
    let r = parse(r#"{"logit_bias": {"4294967295": 2, "3": false}}"#);
    assert_eq!(
        r.sampling.logit_bias,
        [(3, f32::NEG_INFINITY), (4294967295, 2.0)]
    );
    round_trip(&r);
}

/// JSON has no NaN or infinity; the largest numbers are errors, not infinities.
#[test]
fn large_numbers_and_nan() {
    assert!(serde_json::from_str::<RequestParams>(r#"{"temperature": NaN}"#).is_err());
    assert!(serde_json::from_str::<RequestParams>(r#"{"temperature": Infinity}"#).is_err());
    for (body, message) in [
        (
            r#"{"temperature": 1e39}"#,
            "temperature = 1e39 is outside the range of an f32 (about ±3.4e38)",
        ),
        (
            r#"{"presence_penalty": -1e300}"#,
            "presence_penalty = -1e300 is outside the range of an f32 (about ±3.4e38)",
        ),
        (
            r#"{"logit_bias": {"1": 1e300}}"#,
            r#"logit_bias["1"] = 1e300 is outside the range of an f32 (about ±3.4e38)"#,
        ),
        (
            r#"{"seed": 18446744073709551616}"#,
            "seed = 1.8446744073709552e19 is outside the range of a 64-bit integer",
        ),
        (
            r#"{"top_k": 1e20}"#,
            "top_k = 1e20 is outside the range of a 64-bit integer",
        ),
        (
            r#"{"top_k": -9223372036854775809}"#,
            "top_k must be -1 or 0 (off) or an integer >= 1, got -9223372036854775808",
        ),
    ] {
        assert_eq!(error(body), message, "{body}");
    }
    // Within the f32 range, a large temperature is valid (the distribution tends to uniform).
    let r = parse(r#"{"temperature": 3e38, "seed": 18446744073709551615, "top_k": 1e3}"#);
    assert_eq!(r.sampling.temperature, 3e38);
    assert_eq!(r.sampling.seed, u64::MAX);
    assert_eq!(r.sampling.top_k, 1000);
    round_trip(&r);
}

#[test]
fn policies() {
    // The crate accepts what the math allows; a policy applies an API's limits.
    let r = parse(r#"{"temperature": 2.5, "presence_penalty": 3, "logit_bias": {"1": 150}}"#);
    assert_eq!(r.sampling.temperature, 2.5);
    assert_eq!(
        r.clone().within(Policy::OpenAi).unwrap_err().to_string(),
        "temperature must be in [0, 2] (OpenAI's limit), got 2.5"
    );
    for (body, policy, message) in [
        (
            r#"{"presence_penalty": 3}"#,
            Policy::OpenAi,
            "presence_penalty must be in [-2, 2] (OpenAI's limit), got 3",
        ),
        (
            r#"{"frequency_penalty": -2.5}"#,
            Policy::OpenAi,
            "frequency_penalty must be in [-2, 2] (OpenAI's limit), got -2.5",
        ),
        (
            r#"{"logit_bias": {"1": 150}}"#,
            Policy::OpenAi,
            "logit_bias must be in [-100, 100] (OpenAI's limit), got 150",
        ),
        (
            r#"{"logit_bias": {"1": false}}"#,
            Policy::OpenAi,
            "logit_bias must be in [-100, 100] (OpenAI's limit), got -inf",
        ),
        (
            r#"{"logprobs": true, "top_logprobs": 21}"#,
            Policy::OpenAi,
            "top_logprobs must be at most 20 (OpenAI's limit), got 21",
        ),
        (
            r#"{"temperature": 2.01}"#,
            Policy::Vllm,
            "temperature must be in [0, 2] (vLLM's limit), got 2.01",
        ),
        (
            r#"{"top_p": 0}"#,
            Policy::Vllm,
            "top_p must be in (0, 1] (vLLM's limit), got 0",
        ),
        (
            r#"{"presence_penalty": 2.5}"#,
            Policy::Vllm,
            "presence_penalty must be in [-2, 2] (vLLM's limit), got 2.5",
        ),
        (
            r#"{"logprobs": 21}"#,
            Policy::Vllm,
            "top_logprobs must be at most 20 (vLLM's default max_logprobs), got 21",
        ),
    ] {
        let e = parse(body).within(policy).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }));
        assert_eq!(e.to_string(), message, "{body}");
    }
    // At the limits: accepted.
    let edge = parse(
        r#"{"temperature": 2, "presence_penalty": -2, "frequency_penalty": 2,
            "logit_bias": {"1": -100, "2": 100}, "logprobs": true, "top_logprobs": 20}"#,
    );
    assert_eq!(edge.clone().within(Policy::OpenAi), Ok(edge.clone()));
    assert_eq!(edge.clone().within(Policy::Vllm), Ok(edge));
    // vLLM clamps logit bias instead of refusing it.
    let r = parse(r#"{"logit_bias": {"1": 150, "2": false, "3": -5}}"#)
        .within(Policy::Vllm)
        .unwrap();
    assert_eq!(r.sampling.logit_bias, [(1, 100.0), (2, -100.0), (3, -5.0)]);
}

#[test]
fn nulls_and_unknown_fields_are_absent() {
    let r = parse(
        r#"{"temperature": null, "top_p": null, "seed": null, "logprobs": null,
            "tools": [{"type": "function"}], "extra_body": {"top_k": 5}}"#,
    );
    assert_eq!(r.sampling, SamplingParams::default());
    assert!(!r.has_seed && !r.logprobs);
    assert_eq!(parse("{}"), r);
    round_trip(&r);
}

/// Every field set, serialized and read back.
#[test]
fn round_trip_of_every_field() {
    let body = r#"{
      "temperature": 0.9, "top_k": 50, "top_p": 0.92, "min_p": 0.03, "seed": 7,
      "presence_penalty": -0.5, "frequency_penalty": 0.75, "repetition_penalty": 1.15,
      "repeat_last_n": 0, "logit_bias": {"9": 1.25, "10": false}, "min_tokens_to_keep": 3,
      "typical_p": 0.95, "top_n_sigma": 1.5, "xtc_probability": 0.25, "xtc_threshold": 0.2,
      "epsilon_cutoff": 0.0003, "eta_cutoff": 0.002, "top_h": 0.8,
      "dynatemp_range": 0.3, "dynatemp_exponent": 2, "mirostat": 1, "mirostat_tau": 3,
      "mirostat_eta": 0.05, "dry_multiplier": 0.5, "dry_base": 2, "dry_allowed_length": 4,
      "dry_penalty_last_n": 128, "dry_sequence_breakers": ["\n", [13, 14]],
      "logprobs": true, "top_logprobs": 0
    }"#;
    let r = parse(body);
    assert_eq!(r.sampling.penalty_window, Window::Last(0));
    assert_eq!(r.sampling.dry_penalty_last_n, Window::Last(128));
    assert_eq!(r.sampling.dry_sequence_breakers, [vec![13, 14]]);
    assert_eq!(r.dry_sequence_breaker_texts, ["\n"]);
    assert_eq!(r.sampling.min_keep, 3);
    assert!(r.logprobs && r.top_logprobs == 0);
    round_trip(&r);
    // The names written are the documented ones.
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["min_keep"], 3);
    assert_eq!(json["repetition_penalty"], serde_json::json!(1.15f32));
    assert_eq!(json["logit_bias"]["10"], false);
    assert_eq!(json["repeat_last_n"], 0);
    assert_eq!(json["logprobs"], true);
    // Built by hand, with a window of every token and every logprob.
    let mut r = RequestParams::new(
        SamplingParams::default()
            .top_k(1)
            .penalty_window(Window::Last(3))
            .repetition_penalty(1.3)
            .dry(1.0, 1.5, 1, Window::Last(0)),
    );
    r.logprobs = true;
    r.top_logprobs = usize::MAX;
    round_trip(&r);
}
