//! Large per-agent and per-cell arrays on huge pages.
//!
//! The activation pass visits agents in a random order, so on a large world nearly every turn reads an agent
//! record and a cell that are far from the previous turn's. With 4 KiB pages each of those reads also misses
//! the processor's address translation cache (a million-agent world's records alone span ten thousand
//! pages), and the page walks queue behind one another. On Linux the arrays below ask for transparent huge
//! pages (2 MiB), which the kernel grants where it can when the pages are first touched; the results are the
//! same either way, only the time changes.

/// The size of a transparent huge page on x86-64 and most 64-bit Linux ports.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the whole 2 MiB stretches of `v`'s allocation (its capacity, touched or not) with
/// huge pages. Only pages not yet touched are affected at once (the kernel may merge the others later), so
/// call it right after allocating. A hint: errors are ignored, and it does nothing on other systems or for
/// allocations smaller than two huge pages.
pub(crate) fn advise_huge_pages<T>(v: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        let bytes = v.capacity() * size_of::<T>();
        if bytes < 2 * HUGE_PAGE {
            return;
        }
        let start = v.as_ptr() as usize;
        let (first, end) = (start.next_multiple_of(HUGE_PAGE), (start + bytes) / HUGE_PAGE * HUGE_PAGE);
        if end > first {
            // SAFETY: madvise(MADV_HUGEPAGE) changes only how the kernel backs the pages of [first, end), which
            // lie inside this vector's own allocation (rounded inwards to whole huge pages); it changes no
            // contents and no mapping's permissions. Its result is ignored: the advice is a hint.
            #[allow(unsafe_code)]
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// `vec![value; n]` whose allocation is advised onto huge pages before it is filled (see
/// [`advise_huge_pages`]).
pub(crate) fn huge_vec<T: Clone>(n: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    advise_huge_pages(&v);
    v.resize(n, value);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advised_vectors_hold_what_plain_ones_do() {
        // Below the two-huge-page threshold, and well above it (16 MiB, where the advice is given): the same
        // contents as `vec!`, and the vector stays usable (written, grown, read back).
        for n in [0usize, 1, 1000, 2 << 20] {
            let mut v = huge_vec(n, 7u64);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 7));
            for (i, x) in v.iter_mut().enumerate().step_by(4099) {
                *x = i as u64;
            }
            v.push(9);
            assert_eq!(v.iter().enumerate().step_by(4099).filter(|&(i, &x)| i < n && x != i as u64).count(), 0);
            assert_eq!(v.last(), Some(&9));
            let mut w = Vec::<u32>::with_capacity(n);
            advise_huge_pages(&w);
            w.extend((0..n as u32).rev());
            assert_eq!(w.first().copied(), n.checked_sub(1).map(|m| m as u32));
        }
    }
}
