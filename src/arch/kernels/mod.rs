//! The loops that touch every logit, written once as plain lane-array code.
//!
//! Each kernel is `#[inline(always)]` and generic over nothing but the data: the dispatch layer
//! (`arch`) compiles the same source under different `#[target_feature]`s and
//! LLVM vectorizes it for SSE2, AVX2 or AVX-512. Every decision they feed is either exact
//! (comparisons, integer sums) or computed per element by the same IEEE operations in the same
//! order (the weight), so every instruction set gives bit-identical results.
//!
//! The hottest loops (the block maxima of the validating pass, the weights pass, the listing of
//! the tokens at or above a bound) also have an AVX-512 body in explicit 512-bit vectors,
//! `zmm.rs` and its submodules, which keeps its width under any LLVM tuning. A kernel that uses them takes a `const ZMM: bool`, which the dispatch layer sets on
//! the AVX-512 path only.
//!
//! The logits are cut into blocks of [`BLOCK`] tokens. One validating pass records each block's
//! maximum; later passes skip every block whose maximum shows it cannot hold a wanted token.

use crate::element::{sealed::Sealed, Element};
use crate::exp::exp_of_nonpositive;
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::weight::{mass_from_parts, mass_parts, mass_parts_biased, unbias, with_z, Scaling};
use alloc::vec::Vec;

/// Tokens per block: the unit of the block maxima that later passes skip by. Each block ends in
/// a horizontal reduction, so fewer, longer blocks cost the validating pass less.
pub(crate) const BLOCK: usize = 256;
/// Lanes of the max pass: two AVX-512 or four AVX2 vectors, reduced by a pairwise tree (with
/// fewer lanes LLVM scalarizes much of the AVX-512 build). Also the bits of a mask word.
const MAX_LANES: usize = 32;
/// Above this many passing lanes, `collect` reads the whole block in order instead of the
/// passing lanes then a sort.
const DENSE_LANES: u32 = 8;
/// A block whose largest scaled logit is below this has mass 0 everywhere:
/// `e^-29 · (1 + 2^-23) < 2^-41`, and masses round `w · 2^40` to an integer.
pub(crate) const ZERO_MASS_BELOW: f32 = -29.0;
/// Tokens per chunk of the weights pass's and the band passes' partial sums: four blocks.
pub(crate) const MASS_CHUNK: usize = 4 * BLOCK;

/// `xs` as f32s (`Sealed::widen` of the element module), through `buf`.
#[inline(always)]
fn widen<'b, E: Element>(xs: &'b [E], buf: &'b mut [f32]) -> &'b [f32] {
    E::widen(xs, buf)
}

/// An array of `xs` as f32s, through `buf`.
#[inline(always)]
fn widen_block<'b, E: Element, const N: usize>(
    xs: &'b [E; N],
    buf: &'b mut [f32; N],
) -> &'b [f32; N] {
    E::widen_array(xs, buf)
}

/// Runs `$body` with `$b` bound to the array `$xs` of `E`s as it is, when `E` widens in
/// registers (f32, f64, bf16), or else widened into `$buf` first (f16, which widens fastest in a
/// pass of its own). `$body` reads elements through `Element::to_f32`.
macro_rules! read_array {
    ($E:ident, $xs:expr, $buf:expr, |$b:ident| $body:expr) => {
        if <$E as Sealed>::IN_REGISTERS {
            let $b = $xs;
            $body
        } else {
            let $b = widen_block($xs, $buf);
            $body
        }
    };
}

/// [`read_array!`] of a slice.
macro_rules! read_slice {
    ($E:ident, $xs:expr, $buf:expr, |$b:ident| $body:expr) => {
        if <$E as Sealed>::IN_REGISTERS {
            let $b = $xs;
            $body
        } else {
            let $b = widen($xs, $buf);
            $body
        }
    };
}

mod log_softmax;
mod max16;
mod sample;
mod select;
mod stored_prefix;
mod sums;
mod weight_bands;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod zmm;

pub(crate) use log_softmax::*;
pub(crate) use sample::*;
pub(crate) use select::*;
pub(crate) use stored_prefix::*;
pub(crate) use sums::*;
pub(crate) use weight_bands::*;

/// Result of [`scan`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScanOut {
    /// The largest logit (NaN ignored); `-inf` if all are `-inf` or NaN.
    pub max: f32,
    /// Whether a logit may be NaN (if `false`, none is; if `true`, check exactly).
    pub maybe_nan: bool,
}

/// Max of one full block; adds its logits into `sums`, whose lanes become NaN if any is NaN.
#[inline(always)]
fn full_block_max<E: Element>(block: &[E; BLOCK], sums: &mut [f32; MAX_LANES]) -> f32 {
    let mut m = [f32::NEG_INFINITY; MAX_LANES];
    for c in block.as_chunks::<MAX_LANES>().0 {
        for l in 0..MAX_LANES {
            let x = c[l].to_f32();
            m[l] = if x > m[l] { x } else { m[l] };
            sums[l] += x;
        }
    }
    tree_max(m)
}

/// [`full_block_max`] of a block read through `buf`.
#[inline(always)]
fn block_max<E: Element>(
    block: &[E; BLOCK],
    buf: &mut [f32; BLOCK],
    sums: &mut [f32; MAX_LANES],
) -> f32 {
    read_array!(E, block, buf, |b| full_block_max(b, sums))
}

/// The maximum of the lanes by a pairwise tree, which vectorizes (a left-to-right fold does
/// not). Every order gives the same maximum: NaN never wins a `>` and the values are otherwise
/// totally ordered (0 and -0 compare equal, and everything downstream treats them alike).
#[inline(always)]
fn tree_max(mut m: [f32; MAX_LANES]) -> f32 {
    let mut width = MAX_LANES / 2;
    while width > 0 {
        for l in 0..width {
            m[l] = if m[l + width] > m[l] {
                m[l + width]
            } else {
                m[l]
            };
        }
        width /= 2;
    }
    m[0]
}

/// Max of a partial block (the tail), with the same NaN bookkeeping.
fn tail_max<E: Element>(tail: &[E], sums: &mut [f32; MAX_LANES]) -> f32 {
    let (chunks, rest) = tail.as_chunks::<MAX_LANES>();
    let mut m = [f32::NEG_INFINITY; MAX_LANES];
    let mut lane = |l: usize, x: f32| {
        m[l] = if x > m[l] { x } else { m[l] };
        sums[l] += x;
    };
    for c in chunks.iter().map(|c| &c[..]).chain([rest]) {
        for (l, x) in c.iter().enumerate() {
            lane(l, x.to_f32());
        }
    }
    tree_max(m)
}

/// A NaN among the inputs makes its lane's sum NaN. The converse does not hold (`+inf` plus
/// `-inf`, or an overflow to `+inf` plus a `-inf` mask, also give NaN): a `true` here only asks
/// the caller for the exact check.
fn maybe_nan(sums: &[f32; MAX_LANES]) -> bool {
    sums.iter().any(|s| s.is_nan())
}

/// One pass: the maximum, a NaN flag, and the maximum of every block (written to
/// `block_max_out`, resized to `ceil(n / BLOCK)`). 16-bit logits are read as integer keys
/// (`max16`) unless one is NaN.
#[inline(always)]
pub(crate) fn scan<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max_out: &mut Vec<f32>,
) -> ScanOut {
    if let Some(out) = E::bits16(logits).and_then(|b| max16::max16::<E>(b, Some(block_max_out))) {
        return out;
    }
    block_max_out.clear();
    block_max_out.resize(logits.len().div_ceil(BLOCK), f32::NEG_INFINITY);
    let mut sums = [0.0f32; MAX_LANES];
    let mut max = f32::NEG_INFINITY;
    let mut buf = [0.0f32; BLOCK];
    let (blocks, tail) = logits.as_chunks::<BLOCK>();
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        max = unsafe { zmm::block_maxima(blocks, None, block_max_out, &mut sums) };
    }
    if !ZMM {
        for (out, block) in block_max_out.iter_mut().zip(blocks) {
            let m = block_max::<E>(block, &mut buf, &mut sums);
            *out = m;
            max = if m > max { m } else { max };
        }
    }
    if !tail.is_empty() {
        let m = read_slice!(E, tail, &mut buf, |t| tail_max(t, &mut sums));
        block_max_out[blocks.len()] = m;
        max = if m > max { m } else { max };
    }
    ScanOut {
        max,
        maybe_nan: maybe_nan(&sums),
    }
}

/// [`scan`] of the tokens a bitmask allows (bit `i % 32` of `mask[i / 32]`, which must cover every
/// logit): the others count as `-inf`, and a block of 256 disallowed tokens is not read at all.
/// The NaN flag may also be raised by a NaN under the mask (the caller's exact check skips it).
#[inline(always)]
pub(crate) fn scan_masked<E: Element, const ZMM: bool>(
    logits: &[E],
    mask: &[u32],
    block_max_out: &mut Vec<f32>,
) -> ScanOut {
    block_max_out.clear();
    block_max_out.resize(logits.len().div_ceil(BLOCK), f32::NEG_INFINITY);
    let mut sums = [0.0f32; MAX_LANES];
    let mut max = f32::NEG_INFINITY;
    let mut buf = [0.0f32; BLOCK];
    const WORDS: usize = BLOCK / 32;
    let (blocks, tail) = logits.as_chunks::<BLOCK>();
    let words = &mask.as_chunks::<WORDS>().0[..blocks.len()];
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        max = unsafe { zmm::block_maxima(blocks, Some(words), block_max_out, &mut sums) };
    }
    if !ZMM {
        for ((out, block), words) in block_max_out.iter_mut().zip(blocks).zip(words) {
            let m = if words.iter().all(|&w| w == 0) {
                continue;
            } else if words.iter().all(|&w| w == u32::MAX) {
                block_max::<E>(block, &mut buf, &mut sums)
            } else {
                masked_block_max::<E>(block, &mut buf, words, &mut sums)
            };
            *out = m;
            max = if m > max { m } else { max };
        }
    }
    if !tail.is_empty() {
        let start = blocks.len() * BLOCK;
        let mut m = f32::NEG_INFINITY;
        for (i, &x) in widen(tail, &mut buf).iter().enumerate() {
            let id = start + i;
            if (mask[id / 32] >> (id % 32)) & 1 != 0 {
                m = if x > m { x } else { m };
                sums[i % MAX_LANES] += x;
            }
        }
        block_max_out[blocks.len()] = m;
        max = if m > max { m } else { max };
    }
    ScanOut {
        max,
        maybe_nan: maybe_nan(&sums),
    }
}

/// [`masked_block_max_of`] of a block read through `buf`.
#[inline(always)]
fn masked_block_max<E: Element>(
    block: &[E; BLOCK],
    buf: &mut [f32; BLOCK],
    words: &[u32; BLOCK / 32],
    sums: &mut [f32; MAX_LANES],
) -> f32 {
    read_array!(E, block, buf, |b| masked_block_max_of(b, words, sums))
}

/// [`full_block_max`] of the allowed tokens of a block, one mask word to each 32 logits.
#[inline(always)]
fn masked_block_max_of<E: Element>(
    block: &[E; BLOCK],
    words: &[u32; BLOCK / 32],
    sums: &mut [f32; MAX_LANES],
) -> f32 {
    let mut m = [f32::NEG_INFINITY; MAX_LANES];
    for (c, &word) in block.as_chunks::<MAX_LANES>().0.iter().zip(words) {
        // The word's bits as whole-lane masks (integer shifts by constant vectors); a
        // disallowed logit reads as `-inf` for the max. The NaN screen sums every lane: a NaN
        // under the mask only sends the caller to the exact check, which skips it.
        let x: [f32; MAX_LANES] = core::array::from_fn(|l| c[l].to_f32());
        let mut top = [0.0f32; MAX_LANES];
        for l in 0..MAX_LANES {
            let lane = lane_mask(word, l);
            let bits = x[l].to_bits();
            top[l] = f32::from_bits((bits & lane) | (f32::NEG_INFINITY.to_bits() & !lane));
        }
        for l in 0..MAX_LANES {
            m[l] = if top[l] > m[l] { top[l] } else { m[l] };
            sums[l] += x[l];
        }
    }
    tree_max(m)
}

/// [`block_max_unedited`] of every block listed in `blocks`, into `block_max` (one entry to each
/// block of the logits).
#[inline(always)]
pub(crate) fn blocks_max_unedited<E: Element, const ZMM: bool>(
    logits: &[E],
    edited: &[u64],
    mask: &[u32],
    blocks: &[u32],
    block_max: &mut [f32],
) {
    for &b in blocks {
        block_max[b as usize] =
            block_max_unedited::<E, ZMM>(logits, edited, mask, b as usize * BLOCK);
    }
}

/// The largest logit of the block starting at token `start` (a multiple of the block size) among
/// the tokens neither edited (bit `i % 64` of `edited[i / 64]`) nor disallowed by `mask` (bit
/// `i % 32` of `mask[i / 32]`; empty: every token allowed); `-inf` if none. Both cover the
/// logits.
#[inline(always)]
fn block_max_unedited<E: Element, const ZMM: bool>(
    logits: &[E],
    edited: &[u64],
    mask: &[u32],
    start: usize,
) -> f32 {
    let end = (start + BLOCK).min(logits.len());
    let mut buf = [0.0f32; BLOCK];
    let xs = widen(&logits[start..end], &mut buf);
    // The kept lanes of the 32 tokens from `t`: allowed and not edited.
    let word = |t: usize| {
        let allowed = if mask.is_empty() {
            u32::MAX
        } else {
            mask[t / 32]
        };
        allowed & !((edited[t / 64] >> (t % 64)) as u32)
    };
    let keep = |x: f32, word: u32, l: usize| {
        let k = lane_mask(word, l);
        f32::from_bits((x.to_bits() & k) | (f32::NEG_INFINITY.to_bits() & !k))
    };
    let Ok(block) = <&[f32; BLOCK]>::try_from(xs) else {
        // The last, partial block: token by token.
        let mut m = f32::NEG_INFINITY;
        for (i, &x) in xs.iter().enumerate() {
            let t = start + i;
            let x = keep(x, word(t - t % 32), t % 32);
            m = if x > m { x } else { m };
        }
        return m;
    };
    // A whole block, as `full_block_max` reads one (so that `m` stays in registers).
    let words: [u32; BLOCK / MAX_LANES] = core::array::from_fn(|c| word(start + c * MAX_LANES));
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { zmm::masked_block_max(block, &words) };
    }
    let mut m = [f32::NEG_INFINITY; MAX_LANES];
    for (x, &w) in block.as_chunks::<MAX_LANES>().0.iter().zip(&words) {
        for l in 0..MAX_LANES {
            let x = keep(x[l], w, l);
            m[l] = if x > m[l] { x } else { m[l] };
        }
    }
    tree_max(m)
}

/// Bit `l` of `word` as a whole lane: all ones if set, else zero (shifts, which vectorize with
/// constant shift vectors, unlike a test-and-select).
#[inline(always)]
pub(super) fn lane_mask(word: u32, l: usize) -> u32 {
    ((word << (31 - l)) as i32 >> 31) as u32
}

/// One pass: the maximum and a NaN flag, without block maxima (16-bit logits as in [`scan`]).
#[inline(always)]
pub(crate) fn max<E: Element, const ZMM: bool>(logits: &[E]) -> ScanOut {
    if let Some(out) = E::bits16(logits).and_then(|b| max16::max16::<E>(b, None)) {
        return out;
    }
    let mut sums = [0.0f32; MAX_LANES];
    let mut max = f32::NEG_INFINITY;
    let mut buf = [0.0f32; BLOCK];
    let (blocks, tail) = logits.as_chunks::<BLOCK>();
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        max = unsafe { zmm::max(blocks, &mut sums) };
    }
    if !ZMM {
        for block in blocks {
            let m = block_max::<E>(block, &mut buf, &mut sums);
            max = if m > max { m } else { max };
        }
    }
    let m = read_slice!(E, tail, &mut buf, |t| tail_max(t, &mut sums));
    max = if m > max { m } else { max };
    ScanOut {
        max,
        maybe_nan: maybe_nan(&sums),
    }
}

/// Writes the weight of every logit into `w` and the total mass of every [`MASS_CHUNK`] tokens
/// into `chunk_mass` (both resized); returns the total mass. In a chunk whose largest scaled logit
/// shows every mass is 0, `w` is written as 0 without evaluating `exp`: only masses are ever read
/// from `w`. With `clamp`, a logit above the maximum weighs 1.
#[inline(always)]
pub(crate) fn weights<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max: &[f32],
    s: Scaling,
    clamp: bool,
    mask: &[u32],
    w: &mut Vec<f32>,
    chunk_mass: &mut Vec<u64>,
) -> u64 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        let mut buf = [0.0f32; MASS_CHUNK];
        return with_z!(s, |z| weights_of_scaled(
            logits,
            block_max,
            mask,
            w,
            chunk_mass,
            z,
            // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once
            // `SimdPath::is_available` has checked that this CPU has the features `zmm` is
            // compiled for.
            |xs, ws, words| unsafe {
                zmm::chunk_weights(E::widen(xs, &mut buf), ws, words, s, clamp)
            }
        ));
    }
    // The portable chunk weights, through `buf` for logits that widen in a pass of their own.
    #[inline(always)]
    fn portable<E: Element>(
        logits: &[E],
        block_max: &[f32],
        mask: &[u32],
        w: &mut Vec<f32>,
        chunk_mass: &mut Vec<u64>,
        z: impl Fn(f32) -> f32 + Copy,
    ) -> u64 {
        let mut buf = [0.0f32; MASS_CHUNK];
        weights_of_scaled(
            logits,
            block_max,
            mask,
            w,
            chunk_mass,
            z,
            |xs, ws, words| read_slice!(E, xs, &mut buf, |x| chunk_weights(x, ws, words, &z)),
        )
    }
    if clamp {
        // Some logits may lie above the maximum (edited ones, whose raw values the caller
        // replaces afterwards): clamp `z` at 0, so that each weight is at most 1.
        with_z!(s, |z| {
            let z = move |x| {
                let v = z(x);
                if v > 0.0 {
                    0.0
                } else {
                    v
                }
            };
            portable(logits, block_max, mask, w, chunk_mass, z)
        })
    } else {
        with_z!(s, |z| portable(logits, block_max, mask, w, chunk_mass, z))
    }
}

/// [`weights`] with the scaled logit `z(x) = (x - max) / T` given as a closure, and the weights
/// of a chunk (logits, weights, mask words) as another.
#[inline(always)]
fn weights_of_scaled<E: Element>(
    logits: &[E],
    block_max: &[f32],
    mask: &[u32],
    w: &mut Vec<f32>,
    chunk_mass: &mut Vec<u64>,
    z: impl Fn(f32) -> f32,
    mut chunk: impl FnMut(&[E], &mut [f32], &[u32]) -> u64,
) -> u64 {
    // Every element is written below; resizing (not clearing) avoids zero-filling them first.
    w.resize(logits.len(), 0.0);
    chunk_mass.resize(logits.len().div_ceil(MASS_CHUNK), 0);
    let mut total = 0u64;
    for (c, (((xs, ws), cm), bmax)) in logits
        .chunks(MASS_CHUNK)
        .zip(w.chunks_mut(MASS_CHUNK))
        .zip(chunk_mass.iter_mut())
        .zip(block_max.chunks(MASS_CHUNK / BLOCK))
        .enumerate()
    {
        let cmax = bmax
            .iter()
            .fold(f32::NEG_INFINITY, |m, &b| if b > m { b } else { m });
        if z(cmax) < ZERO_MASS_BELOW {
            ws.fill(0.0);
            *cm = 0;
            continue;
        }
        let words = if mask.is_empty() {
            &[][..]
        } else {
            &mask[c * (MASS_CHUNK / 32)..]
        };
        *cm = chunk(xs, ws, words);
        total += *cm;
    }
    total
}

/// The weights of one chunk of logits `xs` into `ws`, and their total mass; with mask `words`
/// (32 tokens to a word; empty: every token allowed), a disallowed token weighs 0.
#[inline(always)]
fn chunk_weights<E: Element>(
    xs: &[E],
    ws: &mut [f32],
    words: &[u32],
    z: &impl Fn(f32) -> f32,
) -> u64 {
    // Integer sums are exact in any order: the vectorizer may split them as it likes. A chunk's
    // parts stay inside the `i32` range (|hi| <= 1024 · 2^20 = 2^30, |lo| <= 2^29), and summing a
    // chunk rather than a block reduces the vector accumulators a quarter as often.
    let (mut hi, mut lo) = (0i32, 0i32);
    if !words.is_empty() {
        for ((os, xs), &word) in ws.chunks_mut(32).zip(xs.chunks(32)).zip(words) {
            for (l, (o, x)) in os.iter_mut().zip(xs).enumerate() {
                let v = exp_of_nonpositive(z(x.to_f32()));
                let v = f32::from_bits(v.to_bits() & lane_mask(word, l));
                *o = v;
                let (h, l) = mass_parts_biased(v);
                hi = hi.wrapping_add(h);
                lo = lo.wrapping_add(l);
            }
        }
    } else {
        for (o, x) in ws.iter_mut().zip(xs) {
            let v = exp_of_nonpositive(z(x.to_f32()));
            *o = v;
            let (h, l) = mass_parts_biased(v);
            hi = hi.wrapping_add(h);
            lo = lo.wrapping_add(l);
        }
    }
    let (hi, lo) = (unbias(hi, xs.len()), unbias(lo, xs.len()));
    mass_from_parts(hi as i64, lo as i64)
}

/// The mass of the weights `ws`.
#[inline(always)]
fn mass_sum(ws: &[f32]) -> u64 {
    let (mut hi, mut lo) = (0i32, 0i32);
    for &v in ws {
        let (h, l) = mass_parts_biased(v);
        hi = hi.wrapping_add(h);
        lo = lo.wrapping_add(l);
    }
    mass_from_parts(unbias(hi, ws.len()) as i64, unbias(lo, ws.len()) as i64)
}

/// Walks the blocks `blocks` of the weights in id order, adding up their masses, and stops at
/// the first block where the sum exceeds `t`. Returns that block (`blocks.end`, capped at the
/// number of blocks, if none) and the mass of the walked blocks before it.
#[inline(always)]
pub(crate) fn block_walk(w: &[f32], blocks: core::ops::Range<usize>, t: u64) -> (usize, u64) {
    let end = blocks.end.min(w.len().div_ceil(BLOCK));
    let mut cum = 0u64;
    for b in blocks.start..end {
        let m = mass_sum(&w[b * BLOCK..((b + 1) * BLOCK).min(w.len())]);
        if cum + m > t {
            return (b, cum);
        }
        cum += m;
    }
    (end, cum)
}

/// Appends to `out`, in ascending order, `base + i` for every `block[i]` satisfying `keep`: one
/// flag byte per value (a vectorized compare), then, by how many pass: every id at once (all
/// pass), every id written to a stack array with the write position advanced by its flag (a
/// quarter or more: no branch per id), or the flags packed into one bit each and the set bits
/// walked (fewer: a branch per id, none per value).
#[inline(always)]
pub(super) fn push_flagged(
    block: &[f32; BLOCK],
    base: u32,
    out: &mut Vec<u32>,
    keep: impl Fn(f32) -> bool,
) {
    let mut flags = [0u8; BLOCK];
    for (f, &v) in flags.iter_mut().zip(block) {
        *f = keep(v) as u8;
    }
    // Bit `i % 64` of `bits[i / 64]` is flag `i`: each eight flags (bytes of 0 or 1, little
    // endian) times `PACK` carry flag `j` to bit `56 + j` with no carry between them.
    const PACK: u64 = 0x0102_0408_1020_4080;
    let mut bits = [0u64; BLOCK / 64];
    for (b, group) in bits.iter_mut().zip(flags.as_chunks::<64>().0) {
        let mut m = 0u64;
        for (j, word) in group.as_chunks::<8>().0.iter().enumerate() {
            m |= (u64::from_le_bytes(*word).wrapping_mul(PACK) >> 56) << (8 * j);
        }
        *b = m;
    }
    let passing: usize = bits.iter().map(|w| w.count_ones() as usize).sum();
    if passing == BLOCK {
        out.extend(base..base + BLOCK as u32);
    } else if passing >= BLOCK / 4 {
        let mut ids = [0u32; BLOCK];
        let mut k = 0;
        for (i, &f) in flags.iter().enumerate() {
            // `k <= i < BLOCK`: the mask only spares the bounds check.
            ids[k & (BLOCK - 1)] = base + i as u32;
            k += f as usize;
        }
        out.extend_from_slice(&ids[..k]);
    } else {
        out.reserve(passing);
        for (q, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                out.push(base + (q * 64) as u32 + word.trailing_zeros());
                word &= word - 1;
            }
        }
    }
}

/// Appends, in ascending order, the ids of the tokens satisfying `keep`, reading only the
/// blocks whose maximum satisfies it. `keep` must be monotone (if `keep(x)` and `y >= x` then
/// `keep(y)`), so that a block whose maximum fails holds no token that passes.
#[inline(always)]
fn collect<E: Element>(
    logits: &[E],
    block_max: &[f32],
    out: &mut Vec<u32>,
    keep: impl Fn(f32) -> bool + Copy,
) {
    let mut buf = [0.0f32; BLOCK];
    let (blocks, _) = logits.as_chunks::<BLOCK>();
    for (b, (block, &bmax)) in blocks.iter().zip(block_max).enumerate() {
        if !keep(bmax) {
            continue;
        }
        let block = widen_block(block, &mut buf);
        // Hits are few: take the maximum of each of the block's `MAX_LANES` lanes (lane `l`: the
        // logits at offsets `l`, `l + MAX_LANES`, ...; the loop of the max pass, which
        // vectorizes), then read only the lanes whose maximum passes.
        let mut lanes = [f32::NEG_INFINITY; MAX_LANES];
        for c in block.as_chunks::<MAX_LANES>().0 {
            for l in 0..MAX_LANES {
                lanes[l] = if c[l] > lanes[l] { c[l] } else { lanes[l] };
            }
        }
        let mut hit = [0u8; MAX_LANES];
        for (h, &lane_max) in hit.iter_mut().zip(&lanes) {
            *h = keep(lane_max) as u8;
        }
        // Flags eight at a time (each byte is 0 or 1, so a word's popcount counts its lanes).
        let words: [u64; MAX_LANES / 8] =
            core::array::from_fn(|g| u64::from_ne_bytes(hit.as_chunks::<8>().0[g]));
        if words.iter().map(|w| w.count_ones()).sum::<u32>() > DENSE_LANES {
            // Many hits (a low threshold): in id order through flag bytes, rather than a sort.
            push_flagged(block, (b * BLOCK) as u32, out, keep);
            continue;
        }
        let start = out.len();
        for (g, (&word, group)) in words.iter().zip(hit.as_chunks::<8>().0).enumerate() {
            if word == 0 {
                continue;
            }
            for (j, &h) in group.iter().enumerate() {
                if h != 0 {
                    for i in (g * 8 + j..BLOCK).step_by(MAX_LANES) {
                        if keep(block[i]) {
                            out.push((b * BLOCK + i) as u32);
                        }
                    }
                }
            }
        }
        // Lanes are strided, so the block's hits come out of id order.
        out[start..].sort_unstable();
    }
    collect_tail(logits, out, keep);
}

/// [`collect`] of the last, partial block.
#[inline(always)]
fn collect_tail<E: Element>(logits: &[E], out: &mut Vec<u32>, keep: impl Fn(f32) -> bool) {
    let mut buf = [0.0f32; BLOCK];
    let (blocks, tail) = logits.as_chunks::<BLOCK>();
    let start = blocks.len() * BLOCK;
    for (i, &x) in widen(tail, &mut buf).iter().enumerate() {
        if keep(x) {
            out.push((start + i) as u32);
        }
    }
}

/// Appends, in ascending order, the ids of unmasked logits `>= threshold`.
#[inline(always)]
pub(crate) fn collect_at_least<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max: &[f32],
    threshold: f32,
    out: &mut Vec<u32>,
) {
    // `-inf` is never collected: with the threshold at least `f32::MIN`, `x >= threshold`
    // says it alone, in one comparison that vectorizes.
    let threshold = if threshold < f32::MIN {
        f32::MIN
    } else {
        threshold
    };
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        let blocks = logits.as_chunks::<BLOCK>().0;
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        unsafe { zmm::collect_at_least(blocks, block_max, threshold, out) };
        return collect_tail(logits, out, |x| x >= threshold);
    }
    collect(logits, block_max, out, |x| x >= threshold);
}

/// Appends, in ascending order, the ids whose scaled logit [`Scaling::z`] is `>= z_min`
/// (monotone in `x`: each of its steps rounds monotonically).
#[inline(always)]
pub(crate) fn collect_scaled_at_least<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max: &[f32],
    s: Scaling,
    z_min: f32,
    out: &mut Vec<u32>,
) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        let blocks = logits.as_chunks::<BLOCK>().0;
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        unsafe { zmm::collect_scaled_at_least(blocks, block_max, s, z_min, out) };
        return with_z!(s, |z| collect_tail(logits, out, move |x| z(x) >= z_min));
    }
    with_z!(s, |z| collect(logits, block_max, out, move |x| z(x)
        >= z_min));
}

/// One weight of a logit `x <= max`, compiled for the caller's path: on x86-64 without `fma`
/// enabled at compile time, the exp's fused multiply-adds would otherwise be calls into the C
/// library.
#[inline(always)]
pub(crate) fn weight_of(x: f32, s: Scaling) -> f32 {
    s.weight_below_max(x)
}

/// Replaces every logit of `x` (each `<= max`) by its weight: [`weight_of`] of each.
#[inline(always)]
pub(crate) fn weights_in_place(x: &mut [f32], s: Scaling) {
    with_z!(s, |z| for v in x.iter_mut() {
        *v = exp_of_nonpositive(z(*v));
    });
}

/// Appends the mass of every logit of `x` (each `<= max`) to `out`.
#[inline(always)]
pub(crate) fn masses_of(x: &[f32], s: Scaling, out: &mut Vec<u64>) {
    with_z!(s, |z| out.extend(
        x.iter()
            .map(|&v| crate::weight::mass(exp_of_nonpositive(z(v))))
    ));
}

/// The mass of the weights `ws` whose logits `xs` satisfy `keep`.
#[inline(always)]
fn kept_mass(xs: &[f32], ws: &[f32], keep: impl Fn(f32) -> bool) -> u64 {
    let (mut hi, mut lo) = (0i32, 0i32);
    for (&x, &v) in xs.iter().zip(ws) {
        let (h, l) = mass_parts(v);
        let k = keep(x);
        hi += if k { h } else { 0 };
        lo += if k { l } else { 0 };
    }
    mass_from_parts(hi as i64, lo as i64)
}

/// For the set of tokens ranked at or before `boundary` (a logit above `xb = logits[boundary]`,
/// or equal to it with an id no higher): walks the blocks `blocks` in id order, adding up
/// the masses of the kept tokens, and stops at the first block where the sum exceeds `t`.
/// Returns that block (`blocks.end`, capped at the number of blocks, if none) and the kept mass
/// of the walked blocks before it.
#[inline(always)]
pub(crate) fn prefix_block_walk<E: Element>(
    logits: &[E],
    w: &[f32],
    block_max: &[f32],
    boundary: u32,
    t: u64,
    blocks: core::ops::Range<usize>,
) -> (usize, u64) {
    let boundary = boundary as usize;
    let xb = logits[boundary].to_f32();
    let boundary_block = boundary / BLOCK;
    let end = blocks.end.min(block_max.len());
    let mut cum = 0u64;
    let mut buf = [0.0f32; BLOCK];
    for (b, &bmax) in block_max.iter().enumerate().take(end).skip(blocks.start) {
        let range = b * BLOCK..((b + 1) * BLOCK).min(logits.len());
        if bmax < xb {
            continue; // no token of the block reaches the boundary's logit
        }
        let (xs, ws) = (widen(&logits[range.clone()], &mut buf), &w[range]);
        // Ties with the boundary's logit are kept below its id and dropped above it.
        let m = match b.cmp(&boundary_block) {
            core::cmp::Ordering::Less => kept_mass(xs, ws, |x| x >= xb),
            core::cmp::Ordering::Greater => kept_mass(xs, ws, |x| x > xb),
            core::cmp::Ordering::Equal => {
                let start = b * BLOCK;
                let mut m = 0u64;
                for (j, (&x, &v)) in xs.iter().zip(ws).enumerate() {
                    if x > xb || (x == xb && start + j <= boundary) {
                        m += crate::weight::mass(v);
                    }
                }
                m
            }
        };
        if cum + m > t {
            return (b, cum);
        }
        cum += m;
    }
    (end, cum)
}

/// The number of tokens ranked before `(x, id)` by their raw logits (a higher logit, or an
/// equal one and a lower id) among those of the blocks whose maximum is at least `x` (every
/// block if `block_max` is empty) that `mask` allows (every token if it is empty).
#[inline(always)]
pub(crate) fn count_ranked_before<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max: &[f32],
    mask: &[u32],
    x: f32,
    id: u32,
) -> u64 {
    // Below `id`, an equal logit ranks before; above it, only a higher one.
    count_where::<E, ZMM>(
        logits,
        block_max,
        mask,
        x,
        id,
        Compare::AtLeast,
        Compare::Above,
    )
}

/// The number of tokens whose raw logit is exactly `x`, among those [`count_ranked_before`]
/// looks at.
#[inline(always)]
pub(crate) fn count_equal<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max: &[f32],
    mask: &[u32],
    x: f32,
) -> u64 {
    count_where::<E, ZMM>(
        logits,
        block_max,
        mask,
        x,
        0,
        Compare::Equal,
        Compare::Equal,
    )
}

/// How a logit `v` is compared with a bound `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Compare {
    /// `v >= x`.
    AtLeast,
    /// `v > x`.
    Above,
    /// `v == x`.
    Equal,
}

impl Compare {
    #[inline(always)]
    fn test(self, v: f32, x: f32) -> bool {
        match self {
            Compare::AtLeast => v >= x,
            Compare::Above => v > x,
            Compare::Equal => v == x,
        }
    }
}

/// The number of tokens that pass `below` (those before `id`) or `above` (the others) against
/// `x`, among those of the blocks whose maximum is at least `x` (every block if `block_max` is
/// empty) that `mask` allows (every token if it is empty).
#[inline(always)]
fn count_where<E: Element, const ZMM: bool>(
    logits: &[E],
    block_max: &[f32],
    mask: &[u32],
    x: f32,
    id: u32,
    below: Compare,
    above: Compare,
) -> u64 {
    let id = id as usize;
    let mut count = 0u64;
    let mut buf = [0.0f32; BLOCK];
    for (b, block) in logits.chunks(BLOCK).enumerate() {
        if !block_max.is_empty() && block_max[b] < x {
            continue;
        }
        let block = widen(block, &mut buf);
        for (c, chunk) in block.chunks(MAX_LANES).enumerate() {
            let start = b * BLOCK + c * MAX_LANES;
            let word = if mask.is_empty() {
                u32::MAX
            } else {
                mask[start / 32]
            };
            let bits = match <&[f32; MAX_LANES]>::try_from(chunk) {
                Ok(full) if start + MAX_LANES <= id => passing::<ZMM>(full, below, x),
                Ok(full) if start >= id => passing::<ZMM>(full, above, x),
                _ => chunk.iter().enumerate().fold(0, |bits, (l, &v)| {
                    let pass = if start + l < id { below } else { above };
                    bits | (pass.test(v, x) as u32) << l
                }),
            };
            count += u64::from((word & bits).count_ones());
        }
    }
    count
}

/// Bit `l` set for each lane `l` of a full chunk that passes `compare` against `x`.
#[inline(always)]
fn passing<const ZMM: bool>(chunk: &[f32; MAX_LANES], compare: Compare, x: f32) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { zmm::passing(chunk, compare, x) };
    }
    let mut bits = 0u32;
    for (l, &v) in chunk.iter().enumerate() {
        bits |= (compare.test(v, x) as u32) << l;
    }
    bits
}

/// The first index holding exactly `value` (`logits.len()` if none), checking 64 at a time.
#[inline(always)]
pub(crate) fn first_equal<E: Element>(logits: &[E], value: f32) -> usize {
    let mut buf = [0.0f32; 64];
    for (c, chunk) in logits.chunks(64).enumerate() {
        let chunk = widen(chunk, &mut buf);
        let mut any = false;
        for &x in chunk {
            any |= x == value;
        }
        if any {
            if let Some(i) = chunk.iter().position(|&x| x == value) {
                return c * 64 + i;
            }
        }
    }
    logits.len()
}

#[cfg(test)]
mod tests;
