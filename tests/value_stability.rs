//! The value-stability contract. The random stream is SplitMix64 (checked against the
//! reference implementation's published outputs and an independent implementation), and the
//! tokens drawn for fixed logits and seeds are pinned below.
//!
//! **Changing any pinned token is a breaking change**: it must be recorded in CHANGELOG.md under
//! "Value-breaking" with a version bump. Each pinned token is also recomputed here by the oracle
//! (`reference::draw` over `reference::masses_of_chain`) with the independent SplitMix64, so
//! the table records what the definitions give, not merely what the fast path happened to do.

use logits::{
    reference, rng, Chain, Context, Dry, DynamicTemperature, Epsilon, Eta, MinP, Mirostat,
    MirostatV2, Preset, Sample, Sampler, SamplingParams, Temperature, TopH, TopK, TopNSigma,
    Typical, Window, Xtc,
};

/// Sebastiano Vigna's splitmix64.c, written out independently of the crate.
struct Reference(u64);

impl Reference {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[test]
fn splitmix64_published_outputs() {
    // Outputs of the reference splitmix64.c seeded with 1234567.
    let published = [
        6_457_827_717_110_365_317u64,
        3_203_168_211_198_807_973,
        9_817_491_932_198_370_423,
        4_593_380_528_125_082_431,
        16_408_922_859_458_223_821,
    ];
    for (k, &want) in published.iter().enumerate() {
        assert_eq!(rng::word(1_234_567, k as u64), want);
    }
}

#[test]
fn splitmix64_matches_the_reference_algorithm() {
    for seed in [0u64, 1, 42, 1_234_567, u64::MAX, 0xDEAD_BEEF] {
        let mut r = Reference(seed);
        for step in 0..1000 {
            assert_eq!(rng::word(seed, step), r.next(), "seed {seed} step {step}");
        }
    }
}

/// The three pinned inputs: (name, logits, params without seed).
fn inputs() -> Vec<(&'static str, Vec<f32>, Chain)> {
    // 1000 LM-like logits from a closed form: Zipf by rank, ranks permuted by i -> 7919 i mod n.
    let n = 1000;
    let mut lm = vec![0.0f32; n];
    for r in 0..n {
        lm[(r * 7919) % n] = -1.5 * ((r + 1) as f32).ln();
    }
    let standard = |p: SamplingParams| Preset::Standard.chain(&p).unwrap();
    vec![
        (
            "[2, 1, 0.1] at T 1",
            vec![2.0, 1.0, 0.1],
            standard(SamplingParams::default()),
        ),
        (
            "8 tokens, T 0.9, top-p 0.9",
            vec![4.0, 3.1, 2.6, 1.2, 0.9, -0.5, -1.3, -2.0],
            standard(SamplingParams::default().temperature(0.9).top_p(0.9)),
        ),
        (
            "1000 LM-like, T 0.8, top-k 40, top-p 0.95, min-p 0.05",
            lm.clone(),
            standard(
                SamplingParams::default()
                    .temperature(0.8)
                    .top_k(40)
                    .top_p(0.95)
                    .min_p(0.05),
            ),
        ),
        (
            "1000 LM-like, top-n-sigma 1",
            lm.clone(),
            Chain::new().then(TopNSigma::new(1.0).unwrap()),
        ),
        (
            "1000 LM-like, T 1.5, epsilon 3e-3",
            lm.clone(),
            Chain::new()
                .then(Temperature::new(1.5).unwrap())
                .then(Epsilon::new(3e-3).unwrap()),
        ),
        (
            "1000 LM-like, T 1.2, eta 2e-3",
            lm.clone(),
            Chain::new()
                .then(Temperature::new(1.2).unwrap())
                .then(Eta::new(2e-3).unwrap()),
        ),
        (
            "1000 LM-like, T 0.9, typical 0.9",
            lm.clone(),
            Chain::new()
                .then(Temperature::new(0.9).unwrap())
                .then(Typical::new(0.9).unwrap()),
        ),
        (
            "1000 LM-like, min-p 0.02, XTC 0.5 / 0.1, T 0.8",
            lm.clone(),
            Chain::new()
                .then(MinP::new(0.02).unwrap())
                .then(Xtc::new(0.5, 0.1).unwrap())
                .then(Temperature::new(0.8).unwrap()),
        ),
        (
            "1000 LM-like, dynamic temperature 1 ± 0.5, exponent 1",
            lm.clone(),
            Chain::new().then(DynamicTemperature::new(1.0, 0.5, 1.0).unwrap()),
        ),
        (
            "1000 LM-like, T 0.8, mirostat v2 τ 5 η 0.1",
            lm.clone(),
            Chain::new()
                .then(Temperature::new(0.8).unwrap())
                .then(MirostatV2::new(5.0, 0.1).unwrap()),
        ),
        (
            "1000 LM-like, mirostat v1 τ 5 η 0.1",
            lm.clone(),
            Chain::new().then(Mirostat::new(5.0, 0.1).unwrap()),
        ),
        (
            "1000 LM-like, DRY 0.8 / 1.75 / 2 over the last 64, top-k 40",
            lm.clone(),
            Chain::new()
                .then(Dry::new(0.8, 1.75, 2, Window::Last(64)).unwrap())
                .then(TopK::new(40)),
        ),
        (
            "1000 LM-like, top-h 0.6",
            lm,
            Chain::new().then(TopH::new(0.6).unwrap()),
        ),
    ]
}

/// The oracle's first 20 tokens for `chain` and `seed`: its masses at each step, drawn with the
/// independent SplitMix64; stateful stages then observe the draw (the token and its probability
/// `mass / total`) and accept the token, as `Sampler` has them do.
fn oracle_tokens(x: &[f32], chain: &Chain, seed: u64) -> Vec<u32> {
    let mut independent = Reference(seed);
    let mut chain = chain.clone();
    (0..20)
        .map(|step| {
            let masses = reference::masses_of_chain(x, &chain, &Context::new(seed, step)).unwrap();
            let token = reference::draw(&masses, independent.next());
            let total: u64 = masses.iter().map(|&(_, q)| q).sum();
            let q = masses.iter().find(|&&(id, _)| id == token).unwrap().1;
            chain.observe(&Sample::new(token, (q as f64 / total as f64) as f32));
            chain.accept(token);
            token
        })
        .collect()
}

const SEEDS: [u64; 3] = [0, 42, u64::MAX];

/// PINNED: the first 20 tokens for each input (rows) and seed (0, 42, 2^64 - 1).
const PINNED: [[[u32; 20]; 3]; 13] = include!("data/pinned_tokens.in");

#[test]
fn pinned_tokens() {
    for (i, (name, x, chain)) in inputs().into_iter().enumerate() {
        for (j, &seed) in SEEDS.iter().enumerate() {
            let oracle = oracle_tokens(&x, &chain, seed);
            let mut s = Sampler::from_chain(chain.clone(), seed);
            let sampled: Vec<u32> = (0..20).map(|_| s.sample(&x).unwrap().token).collect();
            assert_eq!(
                oracle, sampled,
                "{name}, seed {seed}: sampler differs from the oracle"
            );
            assert_eq!(
                PINNED[i][j].to_vec(),
                oracle,
                "{name}, seed {seed}: VALUE-BREAKING CHANGE"
            );
        }
    }
}

/// `Sampler::new(params)` samples the pinned tokens too (it runs the standard preset's chain).
#[test]
fn params_give_the_pinned_tokens() {
    let x = [4.0f32, 3.1, 2.6, 1.2, 0.9, -0.5, -1.3, -2.0];
    let p = SamplingParams::default().temperature(0.9).top_p(0.9);
    for (j, &seed) in SEEDS.iter().enumerate() {
        let mut s = Sampler::new(p.clone().seed(seed)).unwrap();
        let sampled: Vec<u32> = (0..20).map(|_| s.sample(&x).unwrap().token).collect();
        assert_eq!(sampled, PINNED[1][j], "seed {seed}");
    }
}

/// Prints the table in the form `data/pinned_tokens.in` holds (run with `--ignored --nocapture`
/// only when a value-breaking change is intended and recorded in CHANGELOG.md).
#[test]
#[ignore = "regenerates the pinned table"]
fn print_pinned_table() {
    println!("[");
    for (_, x, chain) in inputs() {
        println!("    [");
        for &seed in &SEEDS {
            let row: Vec<String> = oracle_tokens(&x, &chain, seed)
                .iter()
                .map(u32::to_string)
                .collect();
            println!("        [{}],", row.join(", "));
        }
        println!("    ],");
    }
    println!("]");
}

/// A speculative round's outcome: the drafts accepted and the token after them.
type Round = (usize, u32);

/// Speculative rounds: three drafts per round over fixed rows, five rounds per seed, the draft
/// sampler seeded `seed ^ 1`. Each `(accepted, token)` is recomputed by the oracle
/// (`reference::verify` on `masses_of_chain`, the bonus by `reference::draw`, with the words of
/// `speculative::Words::at`) and pinned.
fn speculative_rounds(seed: u64) -> (Vec<Round>, Vec<Round>) {
    use logits::speculative::{Verdict, Words};
    let n = 1000;
    let row = |shift: usize, scale: f32| -> Vec<f32> {
        let mut x = vec![0.0f32; n];
        for r in 0..n {
            x[(r * 7919 + shift * 131) % n] = -scale * ((r + 1) as f32).ln();
        }
        x
    };
    let t: Vec<Vec<f32>> = (0..4).map(|i| row(i, 1.5)).collect();
    let d: Vec<Vec<f32>> = (0..3).map(|i| row(i, 1.2)).collect();
    let (t, d): (Vec<&[f32]>, Vec<&[f32]>) = (
        t.iter().map(|r| &r[..]).collect(),
        d.iter().map(|r| &r[..]).collect(),
    );
    let params = SamplingParams::default().temperature(0.9).top_k(50);
    let chain = Preset::Standard.chain(&params).unwrap();
    let mut target = Sampler::from_chain(chain.clone(), seed);
    let mut draft = Sampler::from_chain(chain.clone(), seed ^ 1);
    let (mut sampled, mut oracle) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (t_step, d_step) = (target.step(), draft.step());
        let mut drafter = draft.clone();
        let drafts: Vec<u32> = d
            .iter()
            .map(|r| drafter.sample(*r).unwrap().token)
            .collect();
        let v = target.verify_drafts(&t, &mut draft, &d, &drafts).unwrap();
        sampled.push((v.accepted, v.token));
        // The oracle's round.
        let masses = |x: &[f32], s: u64, step: u64| {
            reference::masses_of_chain(x, &chain, &Context::new(s, step)).unwrap()
        };
        let mut round = None;
        for (i, &x) in drafts.iter().enumerate() {
            let step = t_step + i as u64;
            let p = masses(t[i], seed, step);
            let q = masses(d[i], seed ^ 1, d_step + i as u64);
            if let Verdict::Rejected { token } =
                reference::verify(&p, &q, x, Words::at(seed, step)).unwrap()
            {
                round = Some((i, token));
                break;
            }
        }
        oracle.push(round.unwrap_or_else(|| {
            let step = t_step + 3;
            let p = masses(t[3], seed, step);
            (3, reference::draw(&p, Words::at(seed, step).draw))
        }));
    }
    (sampled, oracle)
}

/// SPECULATIVE: `(accepted, token)` of the five rounds of [`speculative_rounds`] per seed.
const SPECULATIVE: [[(usize, u32); 5]; 3] = [
    [(0, 0), (3, 907), (3, 393), (3, 826), (2, 262)],
    [(3, 150), (2, 262), (3, 393), (1, 131), (2, 262)],
    [(3, 393), (3, 393), (2, 181), (1, 131), (3, 231)],
];

#[test]
fn speculative_rounds_are_pinned() {
    for (j, &seed) in SEEDS.iter().enumerate() {
        let (sampled, oracle) = speculative_rounds(seed);
        assert_eq!(
            sampled, oracle,
            "seed {seed}: verify_drafts differs from the oracle"
        );
        assert_eq!(
            sampled, SPECULATIVE[j],
            "seed {seed}: VALUE-BREAKING CHANGE"
        );
    }
}

/// Prints [`SPECULATIVE`] (with `--ignored --nocapture`, only for an intended and recorded
/// value-breaking change).
#[test]
#[ignore = "regenerates the pinned speculative rounds"]
fn print_speculative_table() {
    println!("[");
    for &seed in &SEEDS {
        let rounds: Vec<String> = speculative_rounds(seed)
            .1
            .iter()
            .map(|(a, t)| format!("({a}, {t})"))
            .collect();
        println!("    [{}],", rounds.join(", "));
    }
    println!("]");
}
