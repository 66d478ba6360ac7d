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
