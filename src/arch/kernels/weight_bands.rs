//! Top-p's passes over the stored weights: the mass histogram by weight bucket, the mass at or
//! above a few edges (in all and per chunk), and the ids of one bucket.

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use super::zmm;
use super::{push_flagged, BLOCK, MASS_CHUNK};
use crate::weight::{mass_from_parts, mass_parts};
use alloc::vec::Vec;

/// Adds the mass of every weight to the bucket `bits(w) >> 19` (16 buckets per binade; higher
/// bucket, higher weight), skipping chunks of zero mass. `buckets` must have a bucket for every
/// weight in `[0, 1]` (`(1.0f32.to_bits() >> 19) + 1` of them).
#[inline(always)]
pub(crate) fn mass_histogram(w: &[f32], chunk_mass: &[u64], buckets: &mut [u64]) {
    let last = buckets.len() - 1;
    let mut index = [0usize; BLOCK];
    let mut masses = [0u64; BLOCK];
    let blocks = w
        .chunks(MASS_CHUNK)
        .zip(chunk_mass)
        .filter(|&(_, &cm)| cm != 0); // else all 0
    for ws in blocks.flat_map(|(chunk, _)| chunk.chunks(BLOCK)) {
        // Keys and masses vectorized, then a plain scatter.
        for ((i, q), &v) in index.iter_mut().zip(masses.iter_mut()).zip(ws) {
            // `min` is a no-op for weights in [0, 1]; it spares the scatter a bounds check.
            *i = ((v.to_bits() >> 19) as usize).min(last);
            let (hi, lo) = mass_parts(v);
            *q = mass_from_parts(hi as i64, lo as i64);
        }
        for (&i, &q) in index.iter().zip(&masses).take(ws.len()) {
            buckets[i] += q;
        }
    }
}

/// Edges of top-p's wide band (seven buckets), tried when the guess and its neighbours miss.
pub(crate) const WIDE_EDGES: usize = 8;

/// The mass of the weights at or above each edge, in one pass; also the same for every
/// [`MASS_CHUNK`] weights, chunk by chunk (`E` values a chunk), into `chunk_masses`.
/// In explicit 512-bit vectors when `ZMM` (see `zmm.rs`).
#[inline(always)]
pub(super) fn masses_at_or_above<const E: usize, const ZMM: bool>(
    w: &[f32],
    edges: &[f32; E],
    chunk_masses: &mut Vec<u64>,
) -> [u64; E] {
    let mut out = [0u64; E];
    chunk_masses.clear();
    // Sums of i32 parts stay below 2^30 over 1,024 weights (`|hi| <= 2^20`, `|lo| <= 2^19`),
    // and reducing the 16 vector accumulators once per 1,024 rather than per block halves the
    // cost of the pass.
    for ws in w.chunks(MASS_CHUNK) {
        let (hi, lo) = parts_at_or_above::<E, ZMM>(ws, edges);
        for e in 0..E {
            let m = mass_from_parts(hi[e] as i64, lo[e] as i64);
            chunk_masses.push(m);
            out[e] += m;
        }
    }
    out
}

/// The sums of the parts of the masses of the weights `ws` at or above each edge.
#[inline(always)]
fn parts_at_or_above<const E: usize, const ZMM: bool>(
    ws: &[f32],
    edges: &[f32; E],
) -> ([i32; E], [i32; E]) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { zmm::parts_at_or_above(ws, edges) };
    }
    let mut hi = [0i32; E];
    let mut lo = [0i32; E];
    for &v in ws {
        let (h, l) = mass_parts(v);
        for e in 0..E {
            let at_or_above = v >= edges[e];
            hi[e] += if at_or_above { h } else { 0 };
            lo[e] += if at_or_above { l } else { 0 };
        }
    }
    (hi, lo)
}

/// [`masses_at_or_above`] at one edge.
#[inline(always)]
pub(crate) fn masses_at_or_above_one<const ZMM: bool>(
    w: &[f32],
    edges: &[f32; 1],
    chunk_masses: &mut Vec<u64>,
) -> [u64; 1] {
    masses_at_or_above::<_, ZMM>(w, edges, chunk_masses)
}

/// [`masses_at_or_above`] at two edges (a bucket's).
#[inline(always)]
pub(crate) fn masses_at_or_above_two<const ZMM: bool>(
    w: &[f32],
    edges: &[f32; 2],
    chunk_masses: &mut Vec<u64>,
) -> [u64; 2] {
    masses_at_or_above::<_, ZMM>(w, edges, chunk_masses)
}

/// [`masses_at_or_above`] at the wide band's edges.
#[inline(always)]
pub(crate) fn masses_at_or_above_wide<const ZMM: bool>(
    w: &[f32],
    edges: &[f32; WIDE_EDGES],
    chunk_masses: &mut Vec<u64>,
) -> [u64; WIDE_EDGES] {
    masses_at_or_above::<_, ZMM>(w, edges, chunk_masses)
}

/// Appends, in ascending order, the ids of the weights whose bits lie in `lo..hi`.
#[inline(always)]
pub(crate) fn collect_weight_bits<const ZMM: bool>(
    w: &[f32],
    lo: u32,
    hi: u32,
    out: &mut Vec<u32>,
) {
    collect_weight_bits_of::<ZMM>(w, None, lo, hi, out);
}

/// [`collect_weight_bits`] reading only the blocks whose largest weight, `block_top[b]` (an
/// upper bound of the weights of block `b`), is at least `lo`: the others hold no weight in
/// `[lo, hi)`.
#[inline(always)]
pub(crate) fn collect_weight_bits_below_top<const ZMM: bool>(
    w: &[f32],
    block_top: &[f32],
    lo: u32,
    hi: u32,
    out: &mut Vec<u32>,
) {
    collect_weight_bits_of::<ZMM>(w, Some(block_top), lo, hi, out);
}

/// [`collect_weight_bits`], skipping the blocks whose `block_top` is below `lo` if given.
#[inline(always)]
fn collect_weight_bits_of<const ZMM: bool>(
    w: &[f32],
    block_top: Option<&[f32]>,
    lo: u32,
    hi: u32,
    out: &mut Vec<u32>,
) {
    let (blocks, tail) = w.as_chunks::<BLOCK>();
    // Weights are non-negative, so float order is bit order: float compares vectorize everywhere.
    let (lo, hi) = (f32::from_bits(lo), f32::from_bits(hi));
    let keep = |v: f32| v >= lo && v < hi;
    let read = |b: usize| block_top.is_none_or(|top| top.get(b).is_none_or(|&t| t >= lo));
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        unsafe { super::zmm::collect_weight_bits(blocks, block_top, lo, hi, out) };
    }
    if !ZMM {
        for (b, block) in blocks.iter().enumerate() {
            // A bucket holds few tokens, but they are spread over most blocks.
            if read(b) {
                push_flagged(block, (b * BLOCK) as u32, out, keep);
            }
        }
    }
    let start = blocks.len() * BLOCK;
    if read(blocks.len()) {
        for (i, &v) in tail.iter().enumerate() {
            if keep(v) {
                out.push((start + i) as u32);
            }
        }
    }
}
