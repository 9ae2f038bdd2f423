//! The floor every row is measured against (one max pass over the logits) and the exp pass, each
//! compiled for the best instruction set, like the crate's own kernels.

/// The floor: every logit read once, as a fair loop with 32 independent accumulators.
#[inline(always)]
fn max_pass_portable(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 32];
    let mut chunks = x.chunks_exact(32);
    for c in &mut chunks {
        for l in 0..32 {
            acc[l] = if c[l] > acc[l] { c[l] } else { acc[l] };
        }
    }
    for &v in chunks.remainder() {
        acc[0] = if v > acc[0] { v } else { acc[0] };
    }
    acc.iter()
        .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a })
}

/// Not a floor but the reason for most of the distance to it: the crate's `exp` evaluated once
/// per logit into a buffer (what any sampler that needs the normalizer must at least do).
#[inline(always)]
fn exp_pass_portable(x: &[f32], max: f32, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = logits::exp::exp_nonpositive((v - max) * 1.25);
    }
}

/// The exp pass compiled for the best instruction set.
#[allow(dead_code)] // the shapes bench has no exp row
pub fn exp_pass(x: &[f32], max: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
        fn avx512(x: &[f32], max: f32, out: &mut [f32]) {
            exp_pass_portable(x, max, out)
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2(x: &[f32], max: f32, out: &mut [f32]) {
            exp_pass_portable(x, max, out)
        }
        if has_avx512() {
            // SAFETY: the CPU supports the features `avx512` is compiled for (checked just now).
            return unsafe { avx512(x, max, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just now).
            return unsafe { avx2(x, max, out) };
        }
    }
    exp_pass_portable(x, max, out)
}

#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// The floor compiled for the best instruction set, like the crate's own kernels.
pub fn max_pass(x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
        fn avx512(x: &[f32]) -> f32 {
            max_pass_portable(x)
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2(x: &[f32]) -> f32 {
            max_pass_portable(x)
        }
        if has_avx512() {
            // SAFETY: the CPU supports the features `avx512` is compiled for (checked above).
            return unsafe { avx512(x) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { avx2(x) };
        }
    }
    max_pass_portable(x)
}
