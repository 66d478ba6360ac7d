//! Civilians: Epstein's grievance, net risk and activation rule, and the citizen's turn in a tick.

use bevy_ecs::prelude::*;
use peacesim_scenario::ArrestRatioRule;
use serde::{Deserialize, Serialize};

/// What a citizen is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CitizenState {
    /// Not rebelling.
    Quiescent,
    /// Openly rebelling (Model I) or attacking the other group (Model II).
    Active,
    /// In jail; see [`Citizen::jail_left`].
    Jailed,
    /// Killed or dead of age; removed from the world at the start of the next tick.
    Dead,
    /// Left the civilian population to fight for a faction (the person lives on as a fighter with the same
    /// id); removed at the start of the next tick.
    Recruited,
}

impl CitizenState {
    /// A small stable code, for state hashes.
    pub fn code(self) -> u8 {
        match self {
            CitizenState::Quiescent => 0,
            CitizenState::Active => 1,
            CitizenState::Jailed => 2,
            CitizenState::Dead => 3,
            CitizenState::Recruited => 4,
        }
    }

    /// Whether the citizen is no longer part of the civilian population (dead or recruited).
    #[inline]
    pub fn is_gone(self) -> bool {
        matches!(self, CitizenState::Dead | CitizenState::Recruited)
    }
}

/// Jail term meaning "never released".
pub const LIFE_SENTENCE: u32 = u32::MAX;

/// Marks a civilian agent's entity (which also holds its [`AgentId`](crate::AgentId), and no
/// [`Position`](crate::Position)); its state, its cell included, is a [`Citizen`] in the
/// [`Roster`](crate::world::Roster).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Civilian;

/// A civilian agent's state (Epstein's "agent"; a household or block of people in later scenarios), kept in
/// the [`Roster`](crate::world::Roster) in id order beside the agent's entity. Its age (Model II demography)
/// is kept beside it in the roster ([`Roster::citizen_ages`](crate::world::Roster::citizen_ages)).
///
/// 32 bytes, aligned to 32: a cache line holds two whole records and none straddles two lines, so a turn
/// on a world larger than the cache fetches one line for its citizen (docs/performance.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[repr(align(32))]
pub struct Citizen {
    /// Index of its population (ethnic group), in the scenario's sorted population order.
    pub group: u8,
    /// Hardship H in [0, 1].
    pub hardship: f64,
    /// Risk aversion R in [0, 1].
    pub risk_aversion: f64,
    /// Current state.
    pub state: CitizenState,
    /// Activations left in jail; [`LIFE_SENTENCE`] for never. A jailed citizen whose count is 0 is
    /// released at its next activation (Mesa's semantics, which Epstein's paper leaves open).
    pub jail_left: u32,
    /// The cell it holds: the only record of where the citizen is (citizens have no `Position` component).
    /// While it is off the grid in jail, the last cell it held.
    pub home: crate::grid::Position,
    /// Whether it has fled its home (see [`Citizen::origin`]).
    pub displaced: bool,
    /// The cell it fled from, while displaced.
    pub origin: crate::grid::Position,
}

impl Citizen {
    /// A quiescent citizen, free, at home on `at` and not displaced: as one is created (at setup, born, or
    /// a deserter returning to civilian life).
    pub fn new(group: u8, hardship: f64, risk_aversion: f64, at: crate::grid::Position) -> Citizen {
        Citizen {
            group,
            hardship,
            risk_aversion,
            state: CitizenState::Quiescent,
            jail_left: 0,
            home: at,
            displaced: false,
            origin: at,
        }
    }
}

const _: () = assert!(size_of::<Citizen>() == 32, "a citizen's record is half a cache line");

/// Grievance G = H (1 - L).
#[inline]
pub fn grievance(hardship: f64, legitimacy: f64) -> f64 {
    hardship * (1.0 - legitimacy)
}

/// The ratio of security forces to actives under `rule`; `actives` counts the agent itself, so it is at
/// least 1.
#[inline]
pub fn arrest_ratio(rule: ArrestRatioRule, forces: u32, actives: u32) -> f64 {
    let actives = actives.max(1);
    match rule {
        ArrestRatioRule::Literal => f64::from(forces) / f64::from(actives),
        ArrestRatioRule::Floor => f64::from(forces / actives),
        ArrestRatioRule::RoundHalfEven => {
            // Exact integer arithmetic: q = floor(C/A), remainder r; round up when 2r > A, or when 2r == A
            // and q is odd (ties to even, as Python's round()).
            let (q, r) = (forces / actives, forces % actives);
            let up = 2 * r > actives || (2 * r == actives && q % 2 == 1);
            f64::from(q + u32::from(up))
        }
    }
}

/// Estimated arrest probability P = 1 - exp(-k * ratio).
#[inline]
pub fn arrest_probability(k: f64, ratio: f64) -> f64 {
    // libm's pure-Rust exp gives the same bits on every platform; the system math library may not.
    1.0 - libm::exp(-k * ratio)
}

/// Net risk N = R P.
#[inline]
pub fn net_risk(risk_aversion: f64, probability: f64) -> f64 {
    risk_aversion * probability
}

/// Epstein's activation rule: active iff G - N > T.
#[inline]
pub fn is_active(grievance: f64, net_risk: f64, threshold: f64) -> bool {
    grievance - net_risk > threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrest_probability_at_one_cop_one_active_is_0_8997() {
        let p = arrest_probability(2.3, arrest_ratio(ArrestRatioRule::Literal, 1, 1));
        assert!((p - (1.0 - (-2.3f64).exp())).abs() < 1e-15);
        assert!((p - 0.8997).abs() < 5e-5, "{p}");
        assert_eq!(arrest_probability(2.3, 0.0), 0.0);
    }

    #[test]
    fn grievance_and_net_risk() {
        assert!((grievance(0.5, 0.8) - 0.1).abs() < 1e-12);
        assert_eq!(grievance(1.0, 1.0), 0.0);
        assert!((net_risk(0.5, 0.9) - 0.45).abs() < 1e-12);
        // G - N = 0.4 - 0.2 = 0.2 > 0.1: active. Exactly at the threshold is not active (strict >).
        assert!(is_active(0.4, 0.2, 0.1));
        assert!(!is_active(0.3, 0.2, 0.1 + 1e-12));
        assert!(!is_active(0.1, 0.0, 0.1));
    }

    #[test]
    fn ratio_rules_on_hand_made_cases() {
        use ArrestRatioRule::*;
        // 3 cops, 2 actives: literal 1.5, floor 1, round-half-even 2 (1.5 rounds to the even 2).
        assert_eq!(arrest_ratio(Literal, 3, 2), 1.5);
        assert_eq!(arrest_ratio(Floor, 3, 2), 1.0);
        assert_eq!(arrest_ratio(RoundHalfEven, 3, 2), 2.0);
        // 1 cop, 2 actives: a tie at 0.5 that round-half-to-even resolves downwards to 0.
        assert_eq!(arrest_ratio(Literal, 1, 2), 0.5);
        assert_eq!(arrest_ratio(Floor, 1, 2), 0.0);
        assert_eq!(arrest_ratio(RoundHalfEven, 1, 2), 0.0);
        // 5 cops, 2 actives: 2.5 ties downwards to 2; 7 cops, 2 actives: 3.5 ties upwards to 4.
        assert_eq!(arrest_ratio(RoundHalfEven, 5, 2), 2.0);
        assert_eq!(arrest_ratio(RoundHalfEven, 7, 2), 4.0);
        // 2 cops, 3 actives: 0.667 rounds up to 1; floor gives 0.
        assert_eq!(arrest_ratio(RoundHalfEven, 2, 3), 1.0);
        assert_eq!(arrest_ratio(Floor, 2, 3), 0.0);
        // No cops: every rule gives 0, so P = 0.
        for rule in [Literal, Floor, RoundHalfEven] {
            assert_eq!(arrest_ratio(rule, 0, 7), 0.0);
        }
    }

    #[test]
    fn round_half_even_matches_python_round_over_a_table() {
        // Python: [round(c / a) for a in range(1, 9) for c in range(0, 25)], computed independently here by
        // f64 rounding with ties to even, which is exact for these small ratios' halves.
        for a in 1..9u32 {
            for c in 0..25u32 {
                let x = f64::from(c) / f64::from(a);
                let expected = x.round_ties_even();
                assert_eq!(arrest_ratio(ArrestRatioRule::RoundHalfEven, c, a), expected, "{c}/{a}");
            }
        }
    }
}
