//! Min-p's pass over a vocabulary most of which passes: the survivors of a bound on the stored
//! weights are a prefix of the ranking, measured without listing them.

use super::weight_bands::masses_at_or_above;
use crate::element::Element;
use alloc::vec::Vec;

/// Lanes of the minimum.
const LANES: usize = 16;

/// The total mass of the weights `w >= ratio` (per `MASS_CHUNK` tokens into `chunk_masses` on
/// the way), and the last-ranked of their tokens: the lowest logit among them, the highest id
/// among its ties; `top` if none. Three vectorized passes: the masses, the lowest logit, and
/// from the end, the last token holding it.
#[inline(always)]
pub(crate) fn stored_weight_prefix<E: Element, const ZMM: bool>(
    logits: &[E],
    w: &[f32],
    ratio: f32,
    top: u32,
    chunk_masses: &mut Vec<u64>,
) -> (u64, u32) {
    let [total] = masses_at_or_above::<1, ZMM>(w, &[ratio], chunk_masses);
    let passing = |x: f32, v: f32| if v >= ratio { x } else { f32::INFINITY };
    let mut low = [f32::INFINITY; LANES];
    let (wc, wt) = w.as_chunks::<LANES>();
    let (xc, xt) = logits[..w.len()].as_chunks::<LANES>();
    for (ws, xs) in wc.iter().zip(xc) {
        for l in 0..LANES {
            let y = passing(xs[l].to_f32(), ws[l]);
            low[l] = if y < low[l] { y } else { low[l] };
        }
    }
    let mut low = low
        .iter()
        .fold(f32::INFINITY, |m, &y| if y < m { y } else { m });
    for (&v, x) in wt.iter().zip(xt) {
        let y = passing(x.to_f32(), v);
        low = if y < low { y } else { low };
    }
    if low == f32::INFINITY {
        return (total, top);
    }
    let holds = |x: &E, v: f32| v >= ratio && x.to_f32() == low;
    let tail = wc.len() * LANES;
    if let Some(i) = (0..wt.len()).rev().find(|&i| holds(&xt[i], wt[i])) {
        return (total, (tail + i) as u32);
    }
    for (c, (ws, xs)) in wc.iter().zip(xc).enumerate().rev() {
        let mut any = false;
        for l in 0..LANES {
            any |= holds(&xs[l], ws[l]);
        }
        if any {
            let l = (0..LANES)
                .rev()
                .find(|&l| holds(&xs[l], ws[l]))
                .unwrap_or(0);
            return (total, (c * LANES + l) as u32);
        }
    }
    (total, top)
}
