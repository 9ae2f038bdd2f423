//! Statistical test of the sampler: the frequencies of N = 200,000 seeded draws match the f64
//! probabilities (Pearson chi-square at significance 0.001), for four distributions; and a
//! negative control shows the test rejects a wrong distribution.

mod common;

use logits::{reference, Sampler, SamplingParams};

const DRAWS: usize = 200_000;
/// Upper 0.001 quantile of the standard normal.
const Z_999: f64 = 3.090_232;

/// Chi-square critical value at significance 0.001 by the Wilson–Hilferty approximation:
/// 1.7 % above the exact quantile at df 3, 0.6 % at df 10, 0.1 % at df 50 (checked below), so at
/// small df the effective significance is slightly below 0.001.
fn critical(df: usize) -> f64 {
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + Z_999 * a.sqrt()).powi(3)
}

/// Pearson statistic over bins with expected count >= 5 (smaller ones pooled) and its df.
fn chi_square(counts: &[(u32, usize)], probs: &[(u32, f64)]) -> (f64, usize) {
    let mut bins: Vec<(f64, f64)> = Vec::new(); // (observed, expected)
    let mut pooled = (0.0, 0.0);
    for &(id, p) in probs {
        let observed = counts.iter().find(|c| c.0 == id).map_or(0, |c| c.1) as f64;
        let expected = p * DRAWS as f64;
        if expected >= 5.0 {
            bins.push((observed, expected));
        } else {
            pooled.0 += observed;
            pooled.1 += expected;
        }
    }
    if pooled.1 > 0.0 {
        bins.push(pooled);
    }
    let stat = bins.iter().map(|&(o, e)| (o - e) * (o - e) / e).sum();
    (stat, bins.len() - 1)
}

fn draw_counts(x: &[f32], params: SamplingParams) -> Vec<(u32, usize)> {
    let mut s = Sampler::new(params.clone()).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..DRAWS {
        *counts.entry(s.sample(x).unwrap().token).or_insert(0usize) += 1;
    }
    counts.into_iter().collect()
}

/// The oracle's probabilities, cross-checked against the f64 softmax renormalized over the kept
/// set (masses are w · 2^40 rounded, w within 1 ulp of e^z: relative agreement ~1e-6).
fn expected(x: &[f32], params: &SamplingParams) -> Vec<(u32, f64)> {
    let d = reference::distribution(x, params).unwrap();
    let soft = reference::softmax(x, params.temperature).unwrap();
    let kept_mass: f64 = d.iter().map(|&(id, _)| soft[id as usize]).sum();
    for &(id, p) in &d {
        let q = soft[id as usize] / kept_mass;
        assert!((p - q).abs() <= 2e-6 * q + 1e-12, "id {id}: {p} vs {q}");
    }
    d
}

fn cases() -> Vec<(&'static str, Vec<f32>, SamplingParams)> {
    let zipf: Vec<f32> = (1..=50).map(|r| -1.2 * (r as f32).ln()).collect();
    let near_uniform: Vec<f32> = (0..256).map(|i| (i % 7) as f32 * 0.01).collect();
    vec![
        (
            "probs 0.1..0.4",
            vec![0.1f32.ln(), 0.2f32.ln(), 0.3f32.ln(), 0.4f32.ln()],
            SamplingParams::default().seed(1),
        ),
        (
            "zipf 50 at T 0.8",
            zipf,
            SamplingParams::default().temperature(0.8).seed(2),
        ),
        (
            "top-p 0.9 + min-p 0.05 on 1000",
            common::lm_like(1000, 3),
            SamplingParams::default()
                .temperature(1.0)
                .top_p(0.9)
                .min_p(0.05)
                .seed(3),
        ),
        (
            "near-uniform 256",
            near_uniform,
            SamplingParams::default().seed(4),
        ),
    ]
}

#[test]
fn frequencies_match_probabilities() {
    for (name, x, params) in cases() {
        let probs = expected(&x, &params);
        if name.starts_with("top-p") {
            assert!(
                (5..=30).contains(&probs.len()),
                "{name}: kept {}",
                probs.len()
            );
        }
        let (stat, df) = chi_square(&draw_counts(&x, params), &probs);
        assert!(df >= 3, "{name}");
        assert!(
            stat < critical(df),
            "{name}: chi2 {stat:.1} >= {:.1} (df {df})",
            critical(df)
        );
    }
}

#[test]
fn negative_control_rejects_a_wrong_distribution() {
    // Draw at T = 0.8 but test against the T = 1 probabilities: must be rejected.
    let x: Vec<f32> = (1..=50).map(|r| -1.2 * (r as f32).ln()).collect();
    let at_08 = SamplingParams::default().temperature(0.8).seed(5);
    let at_10 = SamplingParams::default().temperature(1.0);
    let (stat, df) = chi_square(&draw_counts(&x, at_08), &expected(&x, &at_10));
    assert!(
        stat > critical(df),
        "chi2 {stat:.1} (df {df}) did not reject"
    );
}

#[test]
fn wilson_hilferty_is_accurate() {
    // Published 0.999 quantiles of chi-square: df 3: 16.266, df 10: 29.588, df 50: 86.661.
    for (df, q, tol) in [(3, 16.266, 0.02), (10, 29.588, 0.007), (50, 86.661, 0.002)] {
        assert!(
            (critical(df) - q).abs() / q < tol,
            "df {df}: {}",
            critical(df)
        );
    }
}
