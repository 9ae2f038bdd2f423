//! The `k`-th smallest of a few integer keys (the block maxima's rank keys, one per 256
//! tokens), and the `k + 1` smallest first.

use alloc::vec::Vec;

/// The room [`kth_smallest`] uses in its `tmp` for `len` keys: two work areas, each with a
/// whole vector to spare.
pub(crate) const fn select_room(len: usize) -> usize {
    2 * (len + 16)
}

/// Returns the `k`-th smallest of `keys` (from 0; `k < keys.len()`) and leaves the `k + 1`
/// smallest first in `keys`, in no order; the keys after them are left unspecified.
#[inline(always)]
pub(crate) fn kth_smallest<const ZMM: bool>(keys: &mut [u32], tmp: &mut Vec<u32>, k: usize) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { super::zmm::kth_smallest(keys, tmp, k) };
    }
    let _ = tmp;
    *keys.select_nth_unstable(k).1
}
