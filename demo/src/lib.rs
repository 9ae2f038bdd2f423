//! A chat page with a temperature slider, over the trigram model of Genesis that
//! `examples/generate` uses, sampled by the `logits` crate.
//!
//! - `GET /`: the page (prompt box, temperature slider from 0 to 2, a chart of the next-token
//!   distribution, the reply).
//! - `POST /chat`: a JSON body with OpenAI's field names — `prompt` or `messages` (the last
//!   `user` message is the prompt), `temperature` (0 to 2, default 1), `top_p` (default 1),
//!   `top_k` (default 0, off), `min_p` (default 0, off), `seed` (default: from the clock, and
//!   reported), `max_tokens` (default 60, at most 400). Unknown fields are ignored. The answer
//!   holds the text, the parameters used, each token with its probability and its top
//!   alternatives (log-probabilities of the processed distribution, as probabilities), and the
//!   distribution of the first token (what the page's chart shows).
//! - A body that is not JSON, or parameters the crate refuses (`Sampler::new`'s [`logits::Error`]),
//!   get status 400 and `{"error": "<message>"}`.

#[path = "../../examples/generate/ngram.rs"]
pub mod ngram;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use logits::{LogprobSource, Logprobs, Sampler, SamplingParams};
use ngram::Model;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The page served at `/`.
pub const PAGE: &str = include_str!("page.html");
/// `max_tokens` when the request has none.
pub const DEFAULT_MAX_TOKENS: usize = 60;
/// The largest `max_tokens` accepted.
pub const MAX_TOKENS: usize = 400;
/// The largest temperature accepted: OpenAI's bound (the crate accepts any finite `T >= 0`).
pub const MAX_TEMPERATURE: f32 = 2.0;
/// Alternatives reported per token, and tokens in the first token's distribution.
pub const TOP_N: usize = 10;
/// The reply ends at the first full stop after this many tokens (or at `max_tokens`).
const MIN_TOKENS_BEFORE_STOP: usize = 20;
/// The longest prompt accepted, in bytes.
const MAX_PROMPT: usize = 10_000;

/// One message of a chat request.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// The body of `POST /chat`.
#[derive(Debug, Default, Deserialize)]
pub struct ChatRequest {
    /// The text to continue (or give `messages`).
    pub prompt: Option<String>,
    /// A conversation; its last `user` message is the prompt.
    pub messages: Option<Vec<Message>>,
    /// Sampling temperature, `[0, 2]`; default 1.
    pub temperature: Option<f32>,
    /// Nucleus mass, `[0, 1]`; default 1 (off).
    pub top_p: Option<f32>,
    /// Top-k; default 0 (off).
    pub top_k: Option<usize>,
    /// Min-p, `[0, 1]`; default 0 (off).
    pub min_p: Option<f32>,
    /// Seed of the sampler; default from the clock.
    pub seed: Option<u64>,
    /// The most tokens generated; default [`DEFAULT_MAX_TOKENS`].
    pub max_tokens: Option<usize>,
}

/// The parameters a reply was generated with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Parameters {
    /// Temperature.
    pub temperature: f32,
    /// Top-p.
    pub top_p: f32,
    /// Top-k.
    pub top_k: usize,
    /// Min-p.
    pub min_p: f32,
    /// Seed.
    pub seed: u64,
    /// Token limit.
    pub max_tokens: usize,
}

/// A token and its probability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Alternative {
    /// The token's text.
    pub token: String,
    /// Its probability.
    pub probability: f32,
}

/// One generated token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Token {
    /// The token's text.
    pub token: String,
    /// Its probability in the distribution it was drawn from.
    pub probability: f32,
    /// The most probable tokens of that distribution (at `T = 0`: of the model's own
    /// distribution, as OpenAI reports greedy log-probabilities).
    pub top: Vec<Alternative>,
}

/// The answer of `POST /chat`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatResponse {
    /// The prompt's words that the model knows, then the generated text.
    pub text: String,
    /// The generated text alone.
    pub completion: String,
    /// The prompt's words outside the model's vocabulary (left out of its context).
    pub unknown_words: Vec<String>,
    /// The parameters used.
    pub parameters: Parameters,
    /// The generated tokens.
    pub tokens: Vec<Token>,
    /// The distribution the first token was drawn from: its most probable tokens.
    pub next_token: Vec<Alternative>,
    /// `stop` (a full stop ended the reply) or `length` (`max_tokens` did).
    pub finish_reason: String,
}

/// A refused request: status 400 and its message.
#[derive(Debug, PartialEq)]
pub struct BadRequest(pub String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.0 });
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }
}

impl From<logits::Error> for BadRequest {
    fn from(e: logits::Error) -> Self {
        BadRequest(e.to_string())
    }
}

/// The prompt of a request: `prompt`, or the last `user` message.
fn prompt_of(request: &ChatRequest) -> Result<&str, BadRequest> {
    let prompt = match (&request.prompt, &request.messages) {
        (Some(p), _) => p.as_str(),
        (None, Some(messages)) => messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| m.content.as_str())
            .ok_or_else(|| BadRequest("messages has no message with role \"user\"".into()))?,
        (None, None) => return Err(BadRequest("the request needs a prompt or messages".into())),
    };
    if prompt.len() > MAX_PROMPT {
        return Err(BadRequest(format!(
            "the prompt has {} bytes, more than {MAX_PROMPT}",
            prompt.len()
        )));
    }
    Ok(prompt)
}

/// The most probable `(id, p)` pairs of `pairs`, ties by lower id, as named alternatives.
fn top_of(model: &Model, mut pairs: Vec<(u32, f32)>) -> Vec<Alternative> {
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    pairs.truncate(TOP_N);
    pairs
        .into_iter()
        .map(|(id, probability)| Alternative {
            token: model.word(id).to_string(),
            probability,
        })
        .collect()
}

/// Generates the reply to `request`, or says why the request is refused.
pub fn chat(model: &Model, request: &ChatRequest) -> Result<ChatResponse, BadRequest> {
    let prompt = prompt_of(request)?;
    let temperature = request.temperature.unwrap_or(1.0);
    let max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if max_tokens > MAX_TOKENS {
        return Err(BadRequest(format!(
            "max_tokens must be at most {MAX_TOKENS}, got {max_tokens}"
        )));
    }
    let seed = request.seed.unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map_or(0, |d| d.as_nanos() as u64)
    });
    let parameters = Parameters {
        temperature,
        top_p: request.top_p.unwrap_or(1.0),
        top_k: request.top_k.unwrap_or(0),
        min_p: request.min_p.unwrap_or(0.0),
        seed,
        max_tokens,
    };
    let mut sampler = Sampler::new(
        SamplingParams::default()
            .temperature(parameters.temperature)
            .top_p(parameters.top_p)
            .top_k(parameters.top_k)
            .min_p(parameters.min_p)
            .seed(seed),
    )?;
    // The crate accepts any finite T >= 0 (its message for the others, above); the API's
    // upper bound is the application's to enforce.
    if temperature > MAX_TEMPERATURE {
        return Err(BadRequest(format!(
            "temperature must be at most {MAX_TEMPERATURE} here (OpenAI's range), got {temperature}"
        )));
    }

    let (mut context, unknown) = model.encode(prompt);
    let known: Vec<&str> = ngram::tokenize(prompt)
        .into_iter()
        .filter(|w| !unknown.contains(w))
        .collect();
    let (mut tokens, mut ids, mut x) = (Vec::new(), Vec::new(), Vec::new());
    let mut next_token = Vec::new();
    let mut logprobs = Logprobs::new();
    let mut finish_reason = "length";
    // The first step's distribution is reported even when no token is asked for.
    for step in 0..max_tokens.max(1) {
        model.logits_into(&context, &mut x);
        if step == 0 {
            next_token = top_of(model, sampler.distribution(&x)?.iter().collect());
            if max_tokens == 0 {
                break;
            }
        }
        let sample =
            sampler.sample_with_logprobs(&x, TOP_N, LogprobSource::Processed, &mut logprobs)?;
        let top = logprobs
            .top()
            .iter()
            .map(|&(id, l)| (id, l.exp()))
            .collect();
        tokens.push(Token {
            token: model.word(sample.token).to_string(),
            probability: sample.probability,
            top: top_of(model, top),
        });
        ids.push(sample.token);
        context.push(sample.token);
        if tokens.len() >= MIN_TOKENS_BEFORE_STOP && model.word(sample.token) == "." {
            finish_reason = "stop";
            break;
        }
    }
    let completion = ngram::detokenize(ids.iter().map(|&id| model.word(id)));
    let text = ngram::detokenize(
        known
            .iter()
            .copied()
            .chain(ids.iter().map(|&id| model.word(id))),
    );
    Ok(ChatResponse {
        text,
        completion,
        unknown_words: unknown.iter().map(|w| w.to_string()).collect(),
        parameters,
        tokens,
        next_token,
        finish_reason: finish_reason.to_string(),
    })
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn chat_handler(State(model): State<Arc<Model>>, body: Bytes) -> Response {
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return BadRequest(format!("the body is not a valid request: {e}")).into_response()
        }
    };
    match chat(&model, &request) {
        Ok(reply) => Json(reply).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn not_found() -> Response {
    let body = serde_json::json!({ "error": "not found: the routes are GET / and POST /chat" });
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// The routes, over one model shared by every request.
pub fn app(model: Arc<Model>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/chat", axum::routing::post(chat_handler))
        .fallback(not_found)
        .with_state(model)
}

/// Serves [`app`] with the model of Genesis on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let model = Arc::new(Model::genesis());
    axum::serve(listener, app(model))
        .with_graceful_shutdown(shutdown)
        .await
}
