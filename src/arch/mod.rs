//! Instruction-set dispatch: with the F16C widening in `f16c.rs` and the AVX-512 loops in
//! `kernels/zmm.rs`, the only `unsafe` in the crate.
//!
//! The kernels in `kernels/` are compiled three times on x86-64 — for the baseline (SSE2),
//! under `#[target_feature(enable = "avx2,fma,f16c")]` and under AVX-512 — and the best [`SimdPath`]
//! the CPU supports is detected once. On AArch64 NEON (with FMA) is part of the baseline, so the
//! portable path is already vectorized with it. An x86-64 target without SSE2 (a soft-float
//! kernel target such as `x86_64-unknown-none`) has the portable path only. Fused multiply-adds
//! are written out ([`f32::mul_add`]) where the kernels want them and nowhere else (Rust never
//! contracts `a*b+c`); the portable x86-64 build, which may run on a CPU without FMA, gets them
//! from the C library's correctly rounded `fmaf`. Every reduction has a fixed layout, so all
//! paths give bit-identical results; the tests check that on every path this CPU has.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, Ordering};

use crate::{
    element::{each_values, Element, Values},
    weight::Scaling,
    Error,
};

use kernels::ScanOut;

pub(crate) mod kernels;

/// A code path for the per-logit loops.
///
/// ```
/// use logits::SimdPath;
/// let best = SimdPath::detect();
/// assert!(best.is_available());
/// assert!(SimdPath::Portable.is_available());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SimdPath {
    /// Plain Rust for the target's baseline (SSE2 on x86-64, NEON on AArch64).
    Portable,
    /// x86-64 with AVX2, FMA and F16C (every AVX2 CPU from Intel and AMD has all three).
    Avx2,
    /// x86-64 with AVX-512 (F, BW, DQ, VL), FMA, F16C and POPCNT.
    Avx512,
}

/// Whether this CPU has the x86-64 feature `$f`: detected at run time with `std`, else whether
/// the build enables it (`-C target-feature` or `-C target-cpu`).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2", feature = "std"))]
macro_rules! has {
    ($f:tt) => {
        std::arch::is_x86_feature_detected!($f)
    };
}
#[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(feature = "std")))]
macro_rules! has {
    ($f:tt) => {
        cfg!(target_feature = $f)
    };
}

#[cfg(feature = "half")]
mod f16c;
#[cfg(feature = "half")]
pub(crate) use f16c::widen_f16;

/// The path the environment variable `LOGITS_SIMD_PATH` names, if any (never without `std`).
fn named_by_environment() -> Option<SimdPath> {
    #[cfg(feature = "std")]
    {
        std::env::var("LOGITS_SIMD_PATH")
            .ok()
            .and_then(|name| SimdPath::from_name(&name))
    }
    #[cfg(not(feature = "std"))]
    {
        None
    }
}

const UNKNOWN: u8 = u8::MAX;
static DETECTED: AtomicU8 = AtomicU8::new(UNKNOWN);

impl SimdPath {
    /// Every path, best last.
    ///
    /// ```
    /// assert_eq!(logits::SimdPath::ALL[0], logits::SimdPath::Portable);
    /// ```
    pub const ALL: [SimdPath; 3] = [SimdPath::Portable, SimdPath::Avx2, SimdPath::Avx512];

    /// The path every call uses unless told otherwise, chosen on first call and cached: the best
    /// this CPU supports, or the one named by the environment variable `LOGITS_SIMD_PATH`
    /// (`portable`, `avx2` or `avx512`) if set and available. Results are the same on every path;
    /// the variable exists so that tests and benchmarks can run the whole crate on each one.
    ///
    /// ```
    /// let path = logits::SimdPath::detect();
    /// assert!(path.is_available());
    /// ```
    pub fn detect() -> SimdPath {
        match DETECTED.load(Ordering::Relaxed) {
            0 => SimdPath::Portable,
            1 => SimdPath::Avx2,
            2 => SimdPath::Avx512,
            _ => {
                let best = SimdPath::ALL
                    .into_iter()
                    .rev()
                    .find(|p| p.is_available())
                    .unwrap_or(SimdPath::Portable);
                let chosen = named_by_environment()
                    .filter(|p| p.is_available())
                    .unwrap_or(best);
                DETECTED.store(chosen as u8, Ordering::Relaxed);
                chosen
            }
        }
    }

    /// The path named `portable`, `avx2` or `avx512` (ASCII case-insensitive).
    ///
    /// ```
    /// use logits::SimdPath;
    /// assert_eq!(SimdPath::from_name("AVX2"), Some(SimdPath::Avx2));
    /// assert_eq!(SimdPath::from_name("sse9"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<SimdPath> {
        SimdPath::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// `"portable"`, `"avx2"` or `"avx512"`.
    ///
    /// ```
    /// assert_eq!(logits::SimdPath::Avx512.name(), "avx512");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Portable => "portable",
            SimdPath::Avx2 => "avx2",
            SimdPath::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the path.
    ///
    /// ```
    /// let available: Vec<_> = logits::SimdPath::ALL.into_iter().filter(|p| p.is_available()).collect();
    /// assert!(available.contains(&logits::SimdPath::Portable));
    /// ```
    // Without `std`, `has!` is a constant: some expressions fold.
    #[cfg_attr(
        not(feature = "std"),
        allow(
            clippy::nonminimal_bool,
            clippy::overly_complex_bool_expr,
            clippy::eq_op
        )
    )]
    pub fn is_available(self) -> bool {
        match self {
            SimdPath::Portable => true,
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            SimdPath::Avx2 => has!("avx2") && has!("fma") && has!("f16c"),
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            SimdPath::Avx512 => {
                has!("avx512f")
                    && has!("avx512bw")
                    && has!("avx512dq")
                    && has!("avx512vl")
                    && has!("fma")
                    && has!("f16c")
                    && has!("popcnt")
            }
            #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
            _ => false,
        }
    }

    /// `Ok(self)` if available, else [`Error::SimdPathUnavailable`].
    ///
    /// ```
    /// assert!(logits::SimdPath::Portable.checked().is_ok());
    /// ```
    pub fn checked(self) -> Result<SimdPath, Error> {
        if self.is_available() {
            Ok(self)
        } else {
            Err(Error::SimdPathUnavailable { path: self })
        }
    }
}

/// Defines `pub(crate) fn $name(path, args) -> ret` that runs `kernels::$name` compiled for
/// `path`. A path the CPU lacks falls back to the portable build (same results, slower).
///
/// A kernel written with a leading `logits` argument reads logits of any [`Element`] type: its
/// `$name` takes them as [`Values`] (or anything that converts into them, such as `&[f32]`)
/// and runs the kernel monomorphized for their element type. Declared as `fn name<E, ZMM>` (or
/// `fn name<ZMM>` without logits), the kernel also takes `const ZMM: bool`, `true` on the
/// AVX-512 path only (`kernels/zmm.rs`).
macro_rules! dispatch {
    ($(fn $name:ident$(<$zmm:ident>)?($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        #[inline]
        #[allow(clippy::too_many_arguments)] // the kernel's arguments, and the path
        pub(crate) fn $name(path: SimdPath, $($arg: $ty),*) -> $ret {
            dispatch!(@body path, $name[][$($zmm)?]($($arg: $ty),*) -> $ret)
        }
    )*};
    ($(fn $name:ident<E $(, $zmm:ident)?>(logits $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {$(
        #[inline]
        #[allow(clippy::too_many_arguments)] // the kernel's arguments, and the path
        pub(crate) fn $name<'v>(
            path: SimdPath,
            logits: impl Into<Values<'v>>,
            $($arg: $ty),*
        ) -> $ret {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn typed<E: Element>(path: SimdPath, logits: &[E], $($arg: $ty),*) -> $ret {
                dispatch!(@body path, $name[E][$($zmm)?](logits: &[E] $(, $arg: $ty)*) -> $ret)
            }
            let values: Values<'v> = logits.into();
            #[cfg(all(feature = "half", target_arch = "x86_64", target_feature = "sse2"))]
            if let Values::F16(x) = values {
                if let Some(x) = f16c::in_registers(path, x) {
                    return typed(path, x, $($arg),*);
                }
            }
            each_values!(values, x => typed(path, x, $($arg),*))
        }
    )*};
    (@body $path:ident, $name:ident [$($g:ident)?] [$($zmm:ident)?] ($($arg:ident: $ty:ty),*) -> $ret:ty) => {{
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        {
            #[target_feature(enable = "avx2,fma,f16c")]
            fn avx2$(<$g: Element>)?($($arg: $ty),*) -> $ret {
                $(const $zmm: bool = false;)?
                kernels::$name::<$($g,)? $($zmm)?>($($arg),*)
            }
            #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,popcnt")]
            fn avx512$(<$g: Element>)?($($arg: $ty),*) -> $ret {
                $(const $zmm: bool = true;)?
                kernels::$name::<$($g,)? $($zmm)?>($($arg),*)
            }
            match $path {
                SimdPath::Avx512 if $path.is_available() => {
                    // SAFETY: `is_available` has just checked that this CPU supports
                    // AVX-512 F/BW/DQ/VL, FMA, F16C and POPCNT (AVX-512 F implies AVX2), the features
                    // `avx512` is compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                SimdPath::Avx2 if $path.is_available() => {
                    // SAFETY: `is_available` has just checked that this CPU supports AVX2, FMA
                    // and F16C, the features `avx2` is compiled for.
                    return unsafe { avx2($($arg),*) };
                }
                _ => {}
            }
        }
        let _ = $path;
        $(const $zmm: bool = false;)?
        kernels::$name::<$($g,)? $($zmm)?>($($arg),*)
    }};
}

dispatch! {
    fn scan<E, ZMM>(logits, block_max: &mut Vec<f32>) -> ScanOut;
    fn scan_masked<E, ZMM>(logits, mask: &[u32], block_max: &mut Vec<f32>) -> ScanOut;
    fn blocks_max_unedited<E, ZMM>(logits, edited: &[u64], mask: &[u32], blocks: &[u32], block_max: &mut [f32]) -> ();
    fn stored_weight_prefix<E, ZMM>(logits, w: &[f32], ratio: f32, top: u32, chunk_masses: &mut Vec<u64>) -> (u64, u32);
    fn max<E, ZMM>(logits) -> ScanOut;
    fn first_equal<E>(logits, value: f32) -> usize;
    fn weights<E, ZMM>(logits, block_max: &[f32], s: Scaling, clamp: bool, mask: &[u32], w: &mut Vec<f32>, chunk_mass: &mut Vec<u64>) -> u64;
    fn collect_at_least<E, ZMM>(logits, block_max: &[f32], threshold: f32, out: &mut Vec<u32>) -> ();
    fn collect_scaled_at_least<E, ZMM>(logits, block_max: &[f32], s: Scaling, z_min: f32, out: &mut Vec<u32>) -> ();
    fn weight_f64_sum<E, ZMM>(logits, s: Scaling) -> f64;
    fn count_ranked_before<E, ZMM>(logits, block_max: &[f32], mask: &[u32], x: f32, id: u32) -> u64;
    fn count_equal<E, ZMM>(logits, block_max: &[f32], mask: &[u32], x: f32) -> u64;
    fn log_softmax_write<E>(logits, max: f32, log_sum: f64, out: &mut [f32]) -> ();
    fn centered_weights_f64_sum<E, ZMM>(logits, max: f32, out: &mut [f32]) -> f64;
    fn moment_sums<E, ZMM>(logits, mask: &[u32], shift: f64) -> (u64, f64, f64);
    fn entropy_sums<E, ZMM>(logits, mask: &[u32], s: Scaling) -> (f64, f64);
    fn weights_f64_sum<E, ZMM>(logits, s: Scaling, out: &mut [f32]) -> f64;
    fn prefix_block_walk<E>(logits, w: &[f32], block_max: &[f32], boundary: u32, t: u64, blocks: core::ops::Range<usize>) -> (usize, u64);
}

dispatch! {
    fn block_walk(w: &[f32], blocks: core::ops::Range<usize>, t: u64) -> (usize, u64);
    fn weight_of(x: f32, s: Scaling) -> f32;
    fn masses_of(x: &[f32], s: Scaling, out: &mut Vec<u64>) -> ();
    fn weights_in_place(x: &mut [f32], s: Scaling) -> ();
    fn subtract(out: &mut [f32], l: f32) -> ();
    fn weights_sum<ZMM>(w: &[f32]) -> f64;
    fn sample_sum_below(sample: &[f32], edge: f32) -> f64;
    fn sample_count_at_least(sample: &[f32], edge: f32) -> usize;
    fn kth_smallest<ZMM>(keys: &mut [u32], tmp: &mut Vec<u32>, k: usize) -> u32;
    fn scale(out: &mut [f32], scale: f64) -> ();
    fn mass_histogram(w: &[f32], chunk_mass: &[u64], buckets: &mut [u64]) -> ();
    fn masses_at_or_above_one<ZMM>(w: &[f32], edges: &[f32; 1], chunk_masses: &mut Vec<u64>) -> [u64; 1];
    fn masses_at_or_above_two<ZMM>(w: &[f32], edges: &[f32; 2], chunk_masses: &mut Vec<u64>) -> [u64; 2];
    fn masses_at_or_above_wide<ZMM>(w: &[f32], edges: &[f32; kernels::WIDE_EDGES], chunk_masses: &mut Vec<u64>) -> [u64; kernels::WIDE_EDGES];
    fn collect_weight_bits<ZMM>(w: &[f32], lo: u32, hi: u32, out: &mut Vec<u32>) -> ();
    fn collect_weight_bits_below_top<ZMM>(w: &[f32], block_top: &[f32], lo: u32, hi: u32, out: &mut Vec<u32>) -> ();
}
