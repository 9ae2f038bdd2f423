//! A server's view: parses the sampling fields of a request body, applies OpenAI's limits,
//! builds a sampler, samples a few tokens from fixed logits (reporting log-probabilities as
//! asked), and prints the parameters back under their request names. A bad body gives the
//! message a server returns with its 400.
//!
//! ```sh
//! cargo run --example request --features serde
//! ```

use logits::{LogprobSource, Logprobs, Policy, Preset, RequestParams};

const BODY: &str = r#"{
  "model": "my-model",
  "messages": [{"role": "user", "content": "Name a colour."}],
  "temperature": 0.8,
  "top_p": 0.95,
  "min_p": 0.05,
  "presence_penalty": 0.3,
  "logit_bias": {"4": -100},
  "seed": 42,
  "logprobs": true,
  "top_logprobs": 2
}"#;

const VOCAB: [&str; 6] = [" red", " green", " blue", " teal", "<eos>", " mauve"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The one line a server writes: parse (the math's ranges), then the API's limits.
    let request = serde_json::from_str::<RequestParams>(BODY)?.within(Policy::OpenAi)?;
    println!("parameters: {}", serde_json::to_string(&request)?);

    let mut sampler = request.sampler(Preset::Standard)?;
    let stages: Vec<&str> = sampler.chain().stages().iter().map(|s| s.name()).collect();
    println!("chain: {}", stages.join(" -> "));

    let logits = [2.0f32, 1.6, 1.5, 0.2, 3.0, -1.0];
    let mut report = Logprobs::new();
    for _ in 0..5 {
        let t = sampler.sample_with_logprobs(
            &logits,
            request.top_logprobs,
            LogprobSource::Processed,
            &mut report,
        )?;
        let top: Vec<String> = report
            .top()
            .iter()
            .map(|&(id, lp)| format!("{:?} {lp:.3}", VOCAB[id as usize]))
            .collect();
        println!(
            "token {:?} p {:.3} logprob {:.3}; top: {}",
            VOCAB[t.token as usize],
            t.probability,
            report.logprob(),
            top.join(", ")
        );
    }

    // What a client gets back for a body out of range.
    for bad in [
        r#"{"top_p": 1.5}"#,
        r#"{"logit_bias": {"red": 5}}"#,
        r#"{"temperature": "warm"}"#,
    ] {
        let e = serde_json::from_str::<RequestParams>(bad).unwrap_err();
        println!("400 for {bad}: {e}");
    }
    let hot = serde_json::from_str::<RequestParams>(r#"{"temperature": 3}"#)?;
    println!(
        "400 for temperature 3 under OpenAI's limits: {}",
        hot.within(Policy::OpenAi).unwrap_err()
    );
    Ok(())
}
