//! The HTTP API on 127.0.0.1: good requests, bad requests, and the same text for the same seed.

mod common;

use common::{post_chat, request, start};
use serde_json::Value;

#[test]
fn the_page_is_served_at_the_root() {
    let server = start();
    let reply = request(server.addr, "GET", "/", "");
    assert_eq!(reply.status, 200);
    for part in [
        r#"id="temperature""#,
        r#"type="range""#,
        r#"max="2""#,
        r#"id="chart""#,
    ] {
        assert!(reply.body.contains(part), "the page lacks {part}");
    }
}

#[test]
fn a_prompt_gets_text_parameters_and_alternatives() {
    let server = start();
    let body = r#"{"prompt": "And God said", "temperature": 0.9, "top_p": 0.95, "seed": 7}"#;
    let reply = post_chat(server.addr, body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    let text = json["text"].as_str().expect("text");
    assert!(text.starts_with("And God said"), "{text}");
    assert!(text.len() > "And God said".len());
    let p = &json["parameters"];
    assert_eq!(p["temperature"].as_f64(), Some(0.9));
    assert_eq!(p["top_p"].as_f64(), Some(0.95));
    assert_eq!(
        (p["seed"].as_u64(), p["max_tokens"].as_u64()),
        (Some(7), Some(60))
    );
    let tokens = json["tokens"].as_array().expect("tokens");
    assert!(!tokens.is_empty() && tokens.len() <= 60);
    for t in tokens {
        let chosen = t["token"].as_str().expect("token");
        let top = t["top"].as_array().expect("top");
        assert!(!top.is_empty() && top.len() <= 10);
        let probs: Vec<f64> = top
            .iter()
            .map(|a| a["probability"].as_f64().expect("p"))
            .collect();
        assert!(probs.windows(2).all(|w| w[0] >= w[1]), "sorted: {probs:?}");
        assert!(probs.iter().sum::<f64>() <= 1.0 + 1e-5);
        let p = t["probability"].as_f64().expect("probability");
        assert!(p > 0.0 && p <= 1.0);
        // The chosen token is among the alternatives unless it ranks below the tenth.
        if p >= probs[probs.len() - 1] + 1e-6 {
            assert!(
                top.iter().any(|a| a["token"] == chosen),
                "{chosen} in {top:?}"
            );
        }
    }
    // top_p = 0.95 leaves few candidates after "And God said": "unto", "," and "to".
    let next = json["next_token"].as_array().expect("next_token");
    assert!(!next.is_empty() && next.len() < 10, "{next:?}");
    let mass: f64 = next
        .iter()
        .map(|a| a["probability"].as_f64().expect("p"))
        .sum();
    assert!((mass - 1.0).abs() < 1e-5, "{mass}");
    assert!(["stop", "length"].contains(&json["finish_reason"].as_str().expect("finish_reason")));
}

#[test]
fn the_same_seed_gives_the_same_text_and_another_seed_another() {
    let server = start();
    let ask = |seed: u64| -> Value {
        let body =
            format!(r#"{{"prompt": "And Joseph said", "temperature": 1.0, "seed": {seed}}}"#);
        let reply = post_chat(server.addr, &body);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    let (a, b, c) = (ask(11), ask(11), ask(12));
    assert_eq!(a, b);
    assert_ne!(a["text"], c["text"]);
}

#[test]
fn temperature_zero_is_greedy_and_its_chart_has_one_token() {
    let server = start();
    let reply = post_chat(
        server.addr,
        r#"{"prompt": "And God said", "temperature": 0, "seed": 1}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    let next = json["next_token"].as_array().expect("next_token");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0]["probability"].as_f64(), Some(1.0));
    for t in json["tokens"].as_array().expect("tokens") {
        assert_eq!(t["probability"].as_f64(), Some(1.0));
    }
    let other = post_chat(
        server.addr,
        r#"{"prompt": "And God said", "temperature": 0, "seed": 2}"#,
    );
    assert_eq!(
        other.json()["text"],
        json["text"],
        "greedy ignores the seed"
    );
}

#[test]
fn messages_take_the_last_user_message_and_max_tokens_zero_gives_the_chart_alone() {
    let server = start();
    let body = r#"{"messages": [{"role": "system", "content": "Be brief."},
        {"role": "user", "content": "And Abraham said"}], "temperature": 0.5, "seed": 3,
        "max_tokens": 0, "stream_options": null, "n": 1}"#;
    let reply = post_chat(server.addr, body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["text"], "And Abraham said");
    assert_eq!(json["tokens"].as_array().map(Vec::len), Some(0));
    assert!(!json["next_token"]
        .as_array()
        .expect("next_token")
        .is_empty());
}

#[test]
fn words_outside_the_vocabulary_are_reported() {
    let server = start();
    let reply = post_chat(server.addr, r#"{"prompt": "And the spaceship", "seed": 1}"#);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["unknown_words"],
        serde_json::json!(["spaceship"])
    );
}

/// Each bad request gets 400 and `{"error": message}` containing `expected`.
#[test]
fn bad_requests_get_400_with_the_crates_message() {
    let server = start();
    let cases = [
        (
            r#"{"prompt": "And", "temperature": -1}"#,
            "temperature must be a finite number >= 0 (0 = greedy), got -1",
        ),
        (
            r#"{"prompt": "And", "temperature": 1e300}"#,
            "temperature must be a finite number >= 0 (0 = greedy), got inf",
        ),
        (
            r#"{"prompt": "And", "top_p": 1.5}"#,
            "top_p must be in [0, 1], got 1.5",
        ),
        (
            r#"{"prompt": "And", "min_p": -0.1}"#,
            "min_p must be in [0, 1], got -0.1",
        ),
        (
            r#"{"prompt": "And", "temperature": 2.5}"#,
            "temperature must be at most 2",
        ),
        (
            r#"{"prompt": "And", "max_tokens": 100000}"#,
            "max_tokens must be at most 400",
        ),
        (
            r#"{"prompt": "And", "temperature": NaN}"#,
            "the body is not a valid request",
        ),
        (
            r#"{"prompt": "And", "temperature": "hot"}"#,
            "invalid type: string \"hot\", expected f32",
        ),
        (
            r#"{"prompt": "And", "seed": -4}"#,
            "the body is not a valid request",
        ),
        (r#"{"prompt": "And""#, "the body is not a valid request"),
        ("", "the body is not a valid request"),
        ("[1, 2]", "the body is not a valid request"),
        (
            r#"{"temperature": 0.5}"#,
            "the request needs a prompt or messages",
        ),
        (
            r#"{"messages": [{"role": "system", "content": "hi"}]}"#,
            "no message with role \"user\"",
        ),
        (
            r#"{"messages": [{"role": "user"}]}"#,
            "missing field `content`",
        ),
    ];
    for (body, expected) in cases {
        let reply = post_chat(server.addr, body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        let message = reply.json()["error"].as_str().map(str::to_string);
        let message = message.unwrap_or_else(|| panic!("{body}: no error message: {}", reply.body));
        assert!(
            message.contains(expected),
            "{body}: {message:?} lacks {expected:?}"
        );
    }
    // The server is still up after all of them.
    assert_eq!(post_chat(server.addr, r#"{"prompt": "And"}"#).status, 200);
}

#[test]
fn other_routes_and_methods_are_refused() {
    let server = start();
    assert_eq!(request(server.addr, "GET", "/chat", "").status, 405);
    let reply = request(server.addr, "GET", "/nowhere", "");
    assert_eq!(reply.status, 404);
    assert!(reply.json()["error"].as_str().is_some());
}
