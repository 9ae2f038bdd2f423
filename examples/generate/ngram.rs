//! A word-level trigram language model, built in a fraction of a second from the Book of
//! Genesis (King James Version, public domain: `examples/data/README.md`).
//!
//! Tokens are words (letters, digits, `'` and `-`) and the punctuation marks `, ; : . ? !`.
//! The probability of the next token `w` after `u v` interpolates the trigram, bigram and
//! unigram frequencies with a little uniform mass, so that every token of the vocabulary has a
//! finite logit:
//!
//! ```text
//! p(w | u v) = l3·c(u v w)/c(u v) + l2·c(v w)/c(v) + l1·c(w)/N + l0/V
//! ```
//!
//! with the weights of the orders whose context was never seen given to the lower orders.
//! The logits are `ln p`, so `T = 1` samples the model as it was estimated, `T < 1` sharpens it
//! towards its favourite continuations and `T > 1` flattens it towards the uniform tail.
//! Everything is a pure function of the text: token ids are numbered in order of first
//! appearance and each logit is one fixed formula, so a seed gives the same text everywhere.
//!
//! Shared by `examples/generate` and the chat demo (`demo/`, through `#[path]`).

#![allow(dead_code)]

use std::collections::HashMap;

/// The corpus: Genesis, one verse per line, each chapter under a `Chapter N` line.
pub const GENESIS: &str = include_str!("../data/genesis.txt");

/// Interpolation weights of the trigram, bigram, unigram and uniform terms.
const WEIGHTS: [f64; 4] = [0.6, 0.3, 0.09, 0.01];

/// Successors of one context: how often each token followed it, and the total.
#[derive(Default)]
struct Followers {
    total: u32,
    next: Vec<(u32, u32)>,
}

impl Followers {
    fn add(&mut self, token: u32) {
        self.total += 1;
        match self.next.iter_mut().find(|(t, _)| *t == token) {
            Some((_, c)) => *c += 1,
            None => self.next.push((token, 1)),
        }
    }
}

/// The model: vocabulary, counts, and the interpolated probabilities they give.
pub struct Model {
    words: Vec<String>,
    ids: HashMap<String, u32>,
    unigram: Vec<u32>,
    tokens: usize,
    bigrams: HashMap<u32, Followers>,
    trigrams: HashMap<(u32, u32), Followers>,
}

/// Splits text into word and punctuation tokens (see the module documentation).
pub fn tokenize(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || c == '\'' || c == '-';
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
        if matches!(c, ',' | ';' | ':' | '.' | '?' | '!') {
            out.push(&text[i..i + 1]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Joins tokens into text: a space before each word, none before punctuation.
pub fn detokenize<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = String::new();
    for t in tokens {
        let punctuation = t.len() == 1 && t.starts_with([',', ';', ':', '.', '?', '!']);
        if !s.is_empty() && !punctuation {
            s.push(' ');
        }
        s.push_str(t);
    }
    s
}

impl Model {
    /// The model of [`GENESIS`].
    pub fn genesis() -> Model {
        Model::from_corpus(GENESIS)
    }

    /// Builds the model from verses in the format of [`GENESIS`]: `Chapter N` lines are
    /// skipped, and so is the verse number that starts every other line.
    pub fn from_corpus(corpus: &str) -> Model {
        let mut model = Model {
            words: Vec::new(),
            ids: HashMap::new(),
            unigram: Vec::new(),
            tokens: 0,
            bigrams: HashMap::new(),
            trigrams: HashMap::new(),
        };
        let mut stream = Vec::new();
        for line in corpus.lines() {
            if line.is_empty() || line.starts_with("Chapter ") {
                continue;
            }
            let verse = line.split_once(' ').map_or(line, |(_, rest)| rest);
            for word in tokenize(verse) {
                let id = match model.ids.get(word) {
                    Some(&id) => id,
                    None => {
                        let id = model.words.len() as u32;
                        model.words.push(word.to_string());
                        model.ids.insert(word.to_string(), id);
                        model.unigram.push(0);
                        id
                    }
                };
                stream.push(id);
            }
        }
        for (i, &w) in stream.iter().enumerate() {
            model.unigram[w as usize] += 1;
            if i >= 1 {
                model.bigrams.entry(stream[i - 1]).or_default().add(w);
            }
            if i >= 2 {
                let context = (stream[i - 2], stream[i - 1]);
                model.trigrams.entry(context).or_default().add(w);
            }
        }
        model.tokens = stream.len();
        model
    }

    /// The number of distinct tokens.
    pub fn vocab_len(&self) -> usize {
        self.words.len()
    }

    /// The text of token `id`.
    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    /// The ids of the tokens of `text` that are in the vocabulary, and the words that are not.
    pub fn encode<'t>(&self, text: &'t str) -> (Vec<u32>, Vec<&'t str>) {
        let (mut ids, mut unknown) = (Vec::new(), Vec::new());
        for t in tokenize(text) {
            match self.ids.get(t) {
                Some(&id) => ids.push(id),
                None => unknown.push(t),
            }
        }
        (ids, unknown)
    }

    /// Writes the logits of the next token after `context` (its last two tokens count) into
    /// `out`, one per vocabulary entry.
    pub fn logits_into(&self, context: &[u32], out: &mut Vec<f32>) {
        let v = self.words.len();
        let [l3, l2, l1, l0] = WEIGHTS;
        let tri = match context {
            [.., u, w] => self.trigrams.get(&(*u, *w)),
            _ => None,
        };
        let bi = context.last().and_then(|w| self.bigrams.get(w));
        // The weights of unseen contexts go to the orders below them.
        let (w3, w2, w1, w0) = match (tri.is_some(), bi.is_some()) {
            (true, _) => (l3, l2, l1, l0),
            (false, true) => (0.0, l3 + l2, l1, l0),
            (false, false) => (0.0, 0.0, l3 + l2 + l1, l0),
        };
        let mut p: Vec<f64> = self
            .unigram
            .iter()
            .map(|&c| w1 * c as f64 / self.tokens as f64 + w0 / v as f64)
            .collect();
        for (f, weight) in [(bi, w2), (tri, w3)] {
            if let Some(f) = f {
                for &(t, c) in &f.next {
                    p[t as usize] += weight * c as f64 / f.total as f64;
                }
            }
        }
        out.clear();
        out.extend(p.iter().map(|p| p.ln() as f32));
    }

    /// The logits of the next token after `context`.
    pub fn logits(&self, context: &[u32]) -> Vec<f32> {
        let mut out = Vec::new();
        self.logits_into(context, &mut out);
        out
    }
}
