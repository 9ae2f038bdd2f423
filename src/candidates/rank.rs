//! Rank order: logit descending, exact ties by the lower token id, and integer keys that sort in
//! that order.

use alloc::vec::Vec;
use core::cmp::Ordering;

use super::view::View;

/// Rank order: higher logit first, then lower id. (`-0.0` and `+0.0` are equal logits.)
#[inline]
pub(super) fn rank_cmp(logits: View, a: u32, b: u32) -> Ordering {
    let (xa, xb) = (logits.get(a), logits.get(b));
    if xa > xb {
        Ordering::Less
    } else if xa < xb {
        Ordering::Greater
    } else {
        a.cmp(&b)
    }
}

/// The rank of `id` as an integer: ascending keys are the order of [`rank_cmp`]. The high half
/// is the logit's bits mapped to an order-reversing integer (`-0.0` first made `+0.0`, so the
/// two zeros tie), the low half the id.
#[inline]
pub(super) fn rank_key(logits: View, id: u32) -> u64 {
    (u64::from(descending_key(logits.get(id) + 0.0)) << 32) | u64::from(id)
}

/// An integer whose ascending order is the descending order of non-NaN floats (`-0.0` after
/// `+0.0`, as [`f32::total_cmp`] has them); [`from_descending_key`] inverts it.
#[inline]
pub(super) fn descending_key(x: f32) -> u32 {
    // A negative float's bits all flip, a positive one's top bit sets: the ascending order as
    // an integer. No branch: the sign of a logit is not predictable.
    let bits = x.to_bits();
    let negative = ((bits as i32) >> 31) as u32;
    !(bits ^ (0x8000_0000 | negative))
}

/// The float of a [`descending_key`].
#[inline]
pub(super) fn from_descending_key(key: u32) -> f32 {
    let ascending = !key;
    // A set top bit (a positive float) clears it; else every bit flips. No branch: the sign
    // of a logit is not predictable.
    let negative = ((ascending as i32) >> 31) as u32 ^ u32::MAX;
    f32::from_bits(ascending ^ (0x8000_0000 | negative))
}

/// Sorts `ids` into rank order by sorting their integer keys (much cheaper comparisons than
/// [`rank_cmp`], which reads two logits), with `keys` as the work buffer.
pub(super) fn sort_by_rank(logits: View, ids: &mut [u32], keys: &mut Vec<u64>) {
    keys.clear();
    keys.extend(ids.iter().map(|&id| rank_key(logits, id)));
    keys.sort_unstable();
    for (id, &k) in ids.iter_mut().zip(keys.iter()) {
        *id = k as u32;
    }
}

/// Whether `i` ranks at or before `b`.
#[inline]
pub(super) fn rank_le(logits: View, i: u32, b: u32) -> bool {
    rank_cmp(logits, i, b) != Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Descending keys invert exactly and order floats as `total_cmp` does, reversed.
    #[test]
    fn descending_keys_invert_and_order() {
        let mut xs = vec![
            f32::NEG_INFINITY,
            f32::MIN,
            -1.0,
            -f32::MIN_POSITIVE,
            -1e-45,
            -0.0,
            0.0,
            1e-45,
            f32::MIN_POSITIVE,
            1.0,
            f32::MAX,
            f32::INFINITY,
        ];
        let mut state = 5u32;
        for _ in 0..1000 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = f32::from_bits(state);
            if !v.is_nan() {
                xs.push(v);
            }
        }
        for &x in &xs {
            assert_eq!(
                from_descending_key(descending_key(x)).to_bits(),
                x.to_bits()
            );
        }
        let mut by_key = xs.clone();
        by_key.sort_by_key(|&x| descending_key(x));
        let mut by_cmp = xs;
        by_cmp.sort_by(|a, b| b.total_cmp(a));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&by_cmp));
    }

    /// Sorting by integer keys gives exactly the order of `rank_cmp`, on logits with ties, both
    /// zeros, `-inf`, subnormals and values from raw bits.
    #[test]
    fn rank_keys_sort_like_rank_cmp() {
        let mut state = 99u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 32) as u32
        };
        for n in [1usize, 2, 3, 17, 256, 1000] {
            let logits: Vec<f32> = (0..n)
                .map(|i| match next() % 6 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f32::NEG_INFINITY,
                    3 => (next() % 5) as f32 - 2.0,
                    4 => f32::from_bits(next() % 8), // subnormals
                    _ => {
                        let v = f32::from_bits(next());
                        if v.is_nan() || v == f32::INFINITY {
                            i as f32
                        } else {
                            v
                        }
                    }
                })
                .collect();
            let mut want: Vec<u32> = (0..n as u32).collect();
            let edits = super::super::view::Edits::default();
            let view = View::new(logits[..].into(), &[], &edits);
            want.sort_by(|&a, &b| rank_cmp(view, a, b));
            let mut got: Vec<u32> = (0..n as u32).rev().collect();
            sort_by_rank(view, &mut got, &mut Vec::new());
            assert_eq!(got, want, "n {n}");
        }
    }
}
