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
