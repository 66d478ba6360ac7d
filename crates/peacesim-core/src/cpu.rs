//! Code compiled for the processor the run is on.
//!
//! A default build targets the x86-64 baseline, which has no POPCNT instruction, so `count_ones` compiles to
//! a dozen shifts, masks and a multiply. The neighbourhood counts are popcounts of bit-plane words and most of
//! a turn's work on a small world, so the passes that count run through [`with_popcnt`], which compiles them
//! a second time with POPCNT enabled and picks that copy when the processor has it (every x86-64 processor of
//! the last fifteen years). The same results either way.

/// Runs `f`, compiled with the POPCNT instruction where the processor has it.
///
/// `f` is inlined into a copy of this function compiled for POPCNT (LLVM inlines a callee into a caller
/// with more target features), along with whatever `f` inlines, so the counts inside it use the
/// instruction. Calls that `f` leaves out of line keep the baseline code. Public for loops outside this
/// crate that count the same way (the hand-written reference loop of the benchmarks).
#[inline(always)]
pub fn with_popcnt<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        #[target_feature(enable = "popcnt")]
        fn popcnt<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: `popcnt` only needs the POPCNT instruction, which this processor has (checked just above).
        #[allow(unsafe_code)]
        return unsafe { popcnt(f) };
    }
    f()
}

/// Popcounts of masked bit-plane rows, eight rows to an instruction where the processor has AVX-512's vector
/// popcount (VPOPCNTQ) and a run has eight rows or more (`VECTOR_ROWS`), else one row at a time: the same
/// sums either way.
///
/// A count over a neighbourhood of radius 7 reads 15 rows of two planes: with POPCNT alone that is 30 masked
/// popcounts and their additions, the largest single piece of a citizen's turn (counting twice took 8% more
/// time at 40x40 and 13% at 400x400); the vector loop reads the rows eight at a time.
pub(crate) mod rows {
    /// The fewest rows worth a call to the vector loops (which are not inlined into the pass): fewer are
    /// counted one at a time.
    const VECTOR_ROWS: usize = 8;

    /// Whether this processor has what the vector loops need (checked once; the answer is cached).
    #[inline(always)]
    fn vector() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// `Σ popcount(a[i] & m[i])` and `Σ popcount(b[i] & m[i])` over the rows `i < m.len()`.
    #[inline(always)]
    pub(crate) fn masked(a: &[u64], b: &[u64], m: &[u64]) -> (u32, u32) {
        let (a, b) = (&a[..m.len()], &b[..m.len()]);
        #[cfg(target_arch = "x86_64")]
        if m.len() >= VECTOR_ROWS && vector() {
            // SAFETY: the processor has AVX-512F and VPOPCNTDQ (checked just above).
            #[allow(unsafe_code)]
            return unsafe { x86::masked(a, b, m) };
        }
        scalar_masked(a, b, m)
    }

    /// [`masked`] one row at a time.
    #[inline(always)]
    fn scalar_masked(a: &[u64], b: &[u64], m: &[u64]) -> (u32, u32) {
        let (mut x, mut y) = (0, 0);
        for ((a, b), m) in a.iter().zip(b).zip(m) {
            x += (a & m).count_ones();
            y += (b & m).count_ones();
        }
        (x, y)
    }

    /// [`masked`] over the 64-bit windows of rows that straddle two words: row `i` of `a` is
    /// `a_lo[i] >> shift | a_hi[i] << (64 - shift)` (`a_lo[i]` alone if `shift` is 0), and the same for `b`.
    #[inline(always)]
    pub(crate) fn windows(a_lo: &[u64], a_hi: &[u64], b_lo: &[u64], b_hi: &[u64], m: &[u64], shift: u32) -> (u32, u32) {
        let n = m.len();
        let (a_lo, a_hi, b_lo, b_hi) = (&a_lo[..n], &a_hi[..n], &b_lo[..n], &b_hi[..n]);
        #[cfg(target_arch = "x86_64")]
        if n >= VECTOR_ROWS && vector() {
            // SAFETY: as in `masked`.
            #[allow(unsafe_code)]
            return unsafe { x86::windows(a_lo, a_hi, b_lo, b_hi, m, shift) };
        }
        scalar_windows(a_lo, a_hi, b_lo, b_hi, m, shift)
    }

    /// [`windows`] one row at a time.
    #[inline(always)]
    fn scalar_windows(a_lo: &[u64], a_hi: &[u64], b_lo: &[u64], b_hi: &[u64], m: &[u64], shift: u32) -> (u32, u32) {
        let (mut x, mut y) = (0, 0);
        for i in 0..m.len() {
            x += (window(a_lo[i], a_hi[i], shift) & m[i]).count_ones();
            y += (window(b_lo[i], b_hi[i], shift) & m[i]).count_ones();
        }
        (x, y)
    }

    /// The 64 bits of a row from bit `shift` of its word `low` on, the row's next word `high` above them.
    #[inline(always)]
    pub(crate) fn window(low: u64, high: u64, shift: u32) -> u64 {
        // One double-word shift (SHRD on x86-64).
        ((u128::from(high) << 64 | u128::from(low)) >> shift) as u64
    }

    #[cfg(target_arch = "x86_64")]
    mod x86 {
        use std::arch::x86_64::*;

        /// The lanes of rows `i..min(i + 8, n)`.
        #[inline(always)]
        fn lanes(i: usize, n: usize) -> __mmask8 {
            if n - i >= 8 { 0xff } else { (1 << (n - i)) - 1 }
        }

        /// The two sums packed in one vector of 64-bit lanes (`a`'s in the low half of each lane, `b`'s in the
        /// high half: a lane's sums stay far below 2^32), taken out with one reduction.
        #[target_feature(enable = "avx512f")]
        #[inline]
        fn split(sums: __m512i) -> (u32, u32) {
            let total = _mm512_reduce_add_epi64(sums) as u64;
            (total as u32, (total >> 32) as u32)
        }

        /// The vector loop of [`super::masked`]: all three slices `m.len()` long.
        #[target_feature(enable = "avx512f,avx512vpopcntdq")]
        pub(super) fn masked(a: &[u64], b: &[u64], m: &[u64]) -> (u32, u32) {
            let n = m.len();
            assert!(a.len() == n && b.len() == n);
            let mut sums = _mm512_setzero_si512();
            let mut i = 0;
            while i < n {
                let lanes = lanes(i, n);
                // SAFETY: the loads read only the lanes that `lanes` enables, rows `i..min(i + 8, n)` of slices
                // `n` long; the others are neither read nor able to fault.
                #[allow(unsafe_code)]
                let (a, b, m) = unsafe {
                    (
                        _mm512_maskz_loadu_epi64(lanes, a.as_ptr().add(i).cast()),
                        _mm512_maskz_loadu_epi64(lanes, b.as_ptr().add(i).cast()),
                        _mm512_maskz_loadu_epi64(lanes, m.as_ptr().add(i).cast()),
                    )
                };
                let (x, y) = (_mm512_popcnt_epi64(_mm512_and_si512(a, m)), _mm512_popcnt_epi64(_mm512_and_si512(b, m)));
                sums = _mm512_add_epi64(sums, _mm512_add_epi64(x, _mm512_slli_epi64::<32>(y)));
                i += 8;
            }
            split(sums)
        }

        /// The vector loop of [`super::windows`]: all five slices `m.len()` long, `shift < 64`.
        #[target_feature(enable = "avx512f,avx512vpopcntdq")]
        pub(super) fn windows(
            a_lo: &[u64],
            a_hi: &[u64],
            b_lo: &[u64],
            b_hi: &[u64],
            m: &[u64],
            shift: u32,
        ) -> (u32, u32) {
            let n = m.len();
            assert!(a_lo.len() == n && a_hi.len() == n && b_lo.len() == n && b_hi.len() == n && shift < 64);
            // A shift by 64 or more gives 0: with `shift` 0 the high words drop out.
            let (right, left) = (_mm_set_epi64x(0, i64::from(shift)), _mm_set_epi64x(0, 64 - i64::from(shift)));
            let mut sums = _mm512_setzero_si512();
            let mut i = 0;
            while i < n {
                let lanes = lanes(i, n);
                // SAFETY: the loads read only the lanes that `lanes` enables, rows `i..min(i + 8, n)` of slices
                // `n` long; the others are neither read nor able to fault.
                #[allow(unsafe_code)]
                let (al, ah, bl, bh, mm) = unsafe {
                    (
                        _mm512_maskz_loadu_epi64(lanes, a_lo.as_ptr().add(i).cast()),
                        _mm512_maskz_loadu_epi64(lanes, a_hi.as_ptr().add(i).cast()),
                        _mm512_maskz_loadu_epi64(lanes, b_lo.as_ptr().add(i).cast()),
                        _mm512_maskz_loadu_epi64(lanes, b_hi.as_ptr().add(i).cast()),
                        _mm512_maskz_loadu_epi64(lanes, m.as_ptr().add(i).cast()),
                    )
                };
                let a = _mm512_or_si512(_mm512_srl_epi64(al, right), _mm512_sll_epi64(ah, left));
                let b = _mm512_or_si512(_mm512_srl_epi64(bl, right), _mm512_sll_epi64(bh, left));
                let (x, y) =
                    (_mm512_popcnt_epi64(_mm512_and_si512(a, mm)), _mm512_popcnt_epi64(_mm512_and_si512(b, mm)));
                sums = _mm512_add_epi64(sums, _mm512_add_epi64(x, _mm512_slli_epi64::<32>(y)));
                i += 8;
            }
            split(sums)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use rand::{RngExt, SeedableRng};
        use rand_chacha::ChaCha8Rng;

        /// The vector loops give the sums of the row-at-a-time ones, on every length up to five vectors, every
        /// shift, and rows of random bits with random masks (on a processor without the vector popcount the
        /// dispatching functions are the row-at-a-time ones, and this checks them against a plain count).
        #[test]
        fn vector_and_row_at_a_time_counts_agree() {
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let mut words = |n: usize| (0..n).map(|_| rng.random::<u64>() & rng.random::<u64>()).collect::<Vec<u64>>();
            for n in 0..=40 {
                let (a_lo, a_hi, b_lo, b_hi, m) = (words(n), words(n), words(n), words(n), words(n));
                let plain = |lo: &[u64], hi: &[u64], shift: u32| -> u32 {
                    (0..n)
                        .map(|i| {
                            let row = if shift == 0 { lo[i] } else { lo[i] >> shift | hi[i] << (64 - shift) };
                            (row & m[i]).count_ones()
                        })
                        .sum()
                };
                let both = (plain(&a_lo, &a_hi, 0), plain(&b_lo, &b_hi, 0));
                assert_eq!(scalar_masked(&a_lo, &b_lo, &m), both, "{n} rows");
                assert_eq!(masked(&a_lo, &b_lo, &m), both, "{n} rows");
                #[cfg(target_arch = "x86_64")]
                if vector() {
                    // SAFETY: the processor has the features (checked just above).
                    #[allow(unsafe_code)]
                    let v = unsafe { x86::masked(&a_lo, &b_lo, &m) };
                    assert_eq!(v, both, "{n} rows");
                }
                for shift in 0..64 {
                    let both = (plain(&a_lo, &a_hi, shift), plain(&b_lo, &b_hi, shift));
                    assert_eq!(scalar_windows(&a_lo, &a_hi, &b_lo, &b_hi, &m, shift), both, "{n} rows, shift {shift}");
                    assert_eq!(windows(&a_lo, &a_hi, &b_lo, &b_hi, &m, shift), both, "{n} rows, shift {shift}");
                    #[cfg(target_arch = "x86_64")]
                    if vector() {
                        // SAFETY: as above.
                        #[allow(unsafe_code)]
                        let v = unsafe { x86::windows(&a_lo, &a_hi, &b_lo, &b_hi, &m, shift) };
                        assert_eq!(v, both, "{n} rows, shift {shift}");
                    }
                }
            }
        }
    }
}
