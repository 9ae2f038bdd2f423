//! Generates a paragraph from a prompt with a small trigram model of the Book of Genesis
//! (`ngram.rs`, built at start-up from `examples/data/genesis.txt`), at `T = 0`, `0.7` and `1.2`
//! and with top-p and min-p, printing each token with the entropy of the distribution it was
//! drawn from. The same seed gives the same text.
//!
//! ```sh
//! cargo run --release --example generate
//! cargo run --release --example generate -- "And Joseph said" 7   # a prompt and a seed
//! ```

mod ngram;

use logits::{Sampler, SamplingParams};
use ngram::{detokenize, Model};

/// The paragraph stops at the first full stop after this many tokens, or at `MAX_TOKENS`.
const MIN_TOKENS: usize = 40;
const MAX_TOKENS: usize = 80;

/// One generated token and the entropy (nats) of the distribution it was drawn from.
struct Step {
    id: u32,
    entropy: f64,
}

fn generate(
    model: &Model,
    prompt: &[u32],
    params: SamplingParams,
) -> Result<Vec<Step>, logits::Error> {
    let mut sampler = Sampler::new(params)?;
    let mut context = prompt.to_vec();
    let (mut steps, mut x) = (Vec::new(), Vec::new());
    while steps.len() < MAX_TOKENS {
        model.logits_into(&context, &mut x);
        // The distribution after temperature, top-p and min-p: what the draw uses.
        let entropy: f64 = sampler
            .distribution(&x)?
            .iter()
            .filter(|&(_, p)| p > 0.0)
            .map(|(_, p)| -(p as f64) * (p as f64).ln())
            .sum::<f64>()
            .max(0.0); // one token left: -0.0
        let id = sampler.sample(&x)?.token;
        steps.push(Step { id, entropy });
        context.push(id);
        if steps.len() >= MIN_TOKENS && model.word(id) == "." {
            break;
        }
    }
    Ok(steps)
}

/// Prints `text` wrapped at `width` columns, each line indented by `indent`.
fn print_wrapped(indent: &str, text: &str, width: usize) {
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            println!("{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        println!("{indent}{line}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let prompt = args.next().unwrap_or_else(|| "And God said".to_string());
    let seed: u64 = match args.next() {
        Some(s) => s.parse().map_err(|e| format!("seed {s:?}: {e}"))?,
        None => 42,
    };
    let model = Model::genesis();
    let (ids, unknown) = model.encode(&prompt);
    if !unknown.is_empty() {
        println!("(not in the vocabulary, left out of the context: {unknown:?})");
    }
    println!(
        "A trigram model of Genesis (KJV): {} distinct tokens. Prompt {prompt:?}, seed {seed}.",
        model.vocab_len()
    );
    println!("Each token is followed by the entropy (nats) of the distribution it was drawn from:");
    println!("0 when one token is left (T = 0 always takes the most probable one, and loops).");

    let base = SamplingParams::default().seed(seed);
    let runs = [
        ("T = 0 (greedy)", base.clone().temperature(0.0)),
        ("T = 0.7", base.clone().temperature(0.7)),
        ("T = 1.2", base.clone().temperature(1.2)),
        (
            "T = 1.2, top_p = 0.9",
            base.clone().temperature(1.2).top_p(0.9),
        ),
        (
            "T = 1.2, min_p = 0.1",
            base.clone().temperature(1.2).min_p(0.1),
        ),
    ];
    for (name, params) in runs {
        let steps = generate(&model, &ids, params)?;
        let words = steps.iter().map(|s| model.word(s.id));
        let text = detokenize(ngram::tokenize(&prompt).into_iter().chain(words));
        let mean = steps.iter().map(|s| s.entropy).sum::<f64>() / steps.len() as f64;
        println!(
            "\n{name}: mean entropy {mean:.2} nats over {} tokens",
            steps.len()
        );
        print_wrapped("  ", &text, 96);
        let annotated: Vec<String> = steps
            .iter()
            .map(|s| format!("{}({:.1})", model.word(s.id), s.entropy))
            .collect();
        print_wrapped("    ", &annotated.join(" "), 96);
    }

    let again = |seed| -> Result<Vec<u32>, logits::Error> {
        let params = SamplingParams::default().temperature(0.7).seed(seed);
        Ok(generate(&model, &ids, params)?
            .iter()
            .map(|s| s.id)
            .collect())
    };
    let (first, second, other) = (again(seed)?, again(seed)?, again(seed + 1)?);
    println!(
        "\nT = 0.7 again with seed {seed}: {}; with seed {}: {}.",
        if first == second {
            "the same text"
        } else {
            "A DIFFERENT TEXT"
        },
        seed + 1,
        if first == other {
            "the same text"
        } else {
            "another text"
        },
    );
    if first != second {
        return Err("the same seed gave two texts".into());
    }
    Ok(())
}
