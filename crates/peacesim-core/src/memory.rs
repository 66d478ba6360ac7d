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
