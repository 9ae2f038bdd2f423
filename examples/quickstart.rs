//! Samples the next word of "The cat sat on the ..." at several temperatures and shows how the
//! distribution, its entropy and the drawn tokens change.
//!
//! Run: `cargo run --release --example quickstart`

use logits::{entropy_of_logits, softmax_with_temperature, Sampler, SamplingParams};

const WORDS: [&str; 8] = [
    "mat", "floor", "sofa", "roof", "keyboard", "moon", "piano", "idea",
];
const LOGITS: [f32; 8] = [4.0, 3.1, 2.6, 1.2, 0.9, -0.5, -1.3, -2.0];
const SEED: u64 = 42;
const DRAWS: usize = 1000;

fn main() -> Result<(), logits::Error> {
    println!("The cat sat on the ...   (seed {SEED}, {DRAWS} draws per row)\n");
    print!("{:>5} {:>8} |", "T", "H (nats)");
    for w in WORDS {
        print!("{w:>9}");
    }
    println!(" | first 12 draws");

    for t in [0.0, 0.3, 0.7, 1.0, 1.5, 2.0] {
        let p = softmax_with_temperature(&LOGITS, t)?;
        let h = entropy_of_logits(&LOGITS, t)?;
        let params = SamplingParams::default().temperature(t).seed(SEED);
        let mut sampler = Sampler::new(params)?;
        let mut counts = [0usize; 8];
        let mut first = Vec::new();
        for i in 0..DRAWS {
            let token = sampler.sample(&LOGITS)?.token as usize;
            counts[token] += 1;
            if i < 12 {
                first.push(WORDS[token]);
            }
        }
        print!("{t:>5.1} {h:>8.3} |");
        for pi in &p {
            print!("{pi:>9.3}");
        }
        println!(" | {}", first.join(" "));
        print!("{:>14} |", "drawn");
        for c in counts {
            print!("{:>9.3}", c as f64 / DRAWS as f64);
        }
        println!(" |");
    }
    println!(
        "\nH grows with T, from 0 (greedy, always \"mat\") towards ln 8 = {:.3} (uniform).",
        8f64.ln()
    );

    let params = SamplingParams::default()
        .temperature(1.0)
        .top_p(0.9)
        .min_p(0.05)
        .seed(SEED);
    let mut sampler = Sampler::new(params)?;
    println!("\nWith top_p = 0.9 and min_p = 0.05 at T = 1, the candidates are:");
    for (id, p) in sampler.distribution(&LOGITS)?.iter() {
        println!("  {:>9} {p:.3}", WORDS[id as usize]);
    }
    Ok(())
}
