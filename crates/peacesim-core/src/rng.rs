//! Random number streams: one ChaCha8 stream per concern, all keyed by the run's seed, so that adding an
//! inject or a new mechanism does not shift the draws of every other concern.

use bevy_ecs::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The concerns that draw random numbers. The numeric value is the ChaCha stream id and is part of the
/// determinism contract: never renumber, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u64)]
pub enum Stream {
    /// Initial placement and attributes.
    Setup = 0,
    /// The activation order within a tick.
    Order = 1,
    /// Citizens' movement, the cell a released citizen returns to, and Model II attacks.
    Civilians = 2,
    /// Security forces' movement, arrests and jail terms.
    Forces = 3,
    /// Births and initial ages.
    Demography = 4,
    /// Scheduled changes (which members leave when a force shrinks, where new ones arrive).
    Schedule = 5,
    /// The stochastic drought hazard.
    Climate = 6,
    /// Fighters: order, desertion, combat, attacks on civilians, recruitment, movement; initial placement.
    Conflict = 7,
    /// Civilians fleeing and returning.
    Displacement = 8,
    /// Scheduled events (earthquake victims, which fighters split off, where reinforcements arrive).
    Events = 9,
    /// Political instability: shocks, defections, splits, ceasefires breaking.
    Politics = 10,
    /// Peacekeeping: unit placement and patrols, reports, detection, interposition, fighters disengaging near
    /// soldiers, attacks on and by peacekeepers, police arrests, drawdowns.
    Peacekeeping = 11,
    /// Humanitarian aid: convoys stopped, looted, aid workers killed.
    Aid = 12,
    /// Events injected on top of a run (what-if forks): their draws never shift another concern's.
    Inject = 13,
}

/// Number of streams.
pub(crate) const STREAMS: usize = 14;

/// All streams of one run.
#[derive(Resource, Debug, Clone)]
pub struct RngStreams {
    pub(crate) streams: [ChaCha8Rng; STREAMS],
}

impl RngStreams {
    /// Streams for `seed`: the same ChaCha key, distinct stream ids.
    pub fn new(seed: u64) -> Self {
        let make = |id: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(id);
            rng
        };
        RngStreams { streams: std::array::from_fn(|i| make(i as u64)) }
    }

    /// How far each stream has been drawn (its word position), in stream id order: for checking which
    /// concerns consumed random numbers, e.g. that an injected event drew only from [`Stream::Inject`].
    pub fn positions(&self) -> Vec<u128> {
        self.streams.iter().map(|r| r.get_word_pos()).collect()
    }

    /// The stream for `concern`.
    #[inline]
    pub fn get(&mut self, concern: Stream) -> &mut ChaCha8Rng {
        &mut self.streams[concern as usize]
    }

    /// Two different streams at once.
    ///
    /// # Panics
    /// If `a` and `b` are the same stream.
    pub fn pair(&mut self, a: Stream, b: Stream) -> (&mut ChaCha8Rng, &mut ChaCha8Rng) {
        let (i, j) = (a as usize, b as usize);
        assert_ne!(i, j, "two different streams");
        if i < j {
            let (low, high) = self.streams.split_at_mut(j);
            (&mut low[i], &mut high[0])
        } else {
            let (low, high) = self.streams.split_at_mut(i);
            (&mut high[0], &mut low[j])
        }
    }
}

/// Shuffles `items` uniformly at random: the permutation, and the draws from `rng`, of rand 0.10's
/// `SliceRandom::shuffle` (Durstenfeld's Fisher-Yates with rand's increasing-uniform batching: one 32-bit
/// draw covers several swaps, each taking a quotient and remainder from it).
///
/// Ours so that the activation order is part of this crate's determinism contract rather than of a
/// dependency's (a unit test checks it against rand's on every length up to 300 and on long slices), and so
/// that the agents' passes inline it: every tick shuffles every agent.
#[inline]
pub fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    use rand::RngExt;
    let len = items.len();
    if len <= 1 {
        return;
    }
    assert!(len < u32::MAX as usize, "shuffle: {len} items is more than 32-bit indices reach");
    // Position 0 swaps with itself without a draw; then position i takes an index uniform in 0..=i. A draw
    // uniform in 0..(n+1)(n+2)..(n+k) gives the next k indices as mixed-radix digits.
    let (mut chunk, mut remaining) = (0u32, 0u8);
    for i in 1..len {
        let next = i as u32 + 1;
        if remaining == 0 {
            let (bound, count) = chunk_bound(next);
            chunk = rng.random_range(..bound);
            remaining = count;
        }
        remaining -= 1;
        let index = if remaining == 0 {
            chunk
        } else {
            let r = chunk % next;
            chunk /= next;
            r
        };
        items.swap(i, index as usize);
    }
}

/// The largest product `m (m + 1) .. (m + k - 1)` that fits in 32 bits, and `k`.
#[inline]
fn chunk_bound(m: u32) -> (u32, u8) {
    let (mut product, mut next) = (m, m + 1);
    while let Some(p) = product.checked_mul(next) {
        product = p;
        next += 1;
    }
    (product, (next - m) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;

    #[test]
    fn shuffle_matches_rands_permutation_and_draws() {
        let lengths = (0..=300usize).chain([1000, 4097, 70_000]);
        for (seed, len) in lengths.enumerate() {
            let mut ours: Vec<u32> = (0..len as u32).collect();
            let mut theirs = ours.clone();
            let mut a = ChaCha8Rng::seed_from_u64(seed as u64);
            let mut b = a.clone();
            shuffle(&mut ours, &mut a);
            theirs.shuffle(&mut b);
            assert_eq!(ours, theirs, "length {len}");
            assert_eq!(a.get_word_pos(), b.get_word_pos(), "length {len}");
        }
    }

    #[test]
    fn chunk_bounds_are_the_largest_products_that_fit() {
        assert_eq!(chunk_bound(2), (2 * 3 * 4 * 5 * 6 * 7 * 8 * 9 * 10 * 11 * 12, 11));
        assert_eq!(chunk_bound(1000), (1000 * 1001 * 1002, 3));
        assert_eq!(chunk_bound(70_000), (70_000, 1));
    }
}
