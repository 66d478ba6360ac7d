//! Displacement: civilians flee recent violence and hunger towards safer cells and camps, move on with the
//! Flee model's move chances, and go home when it is safe again.

use crate::conflict::Conflict;
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::grid::{Grid, Position};
use peacesim_scenario::conflict::Displacement;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Candidate cells looked at per flight.
const CANDIDATES: usize = 8;

/// How unattractive a cell is to someone fleeing: its recent violence, its district's food insecurity
/// (`insecurity` per district, empty without a food model) and the pull of the nearest camp (distance to it
/// in units of the flight radius).
#[inline]
fn refuge_score(conflict: &Conflict, rules: &Displacement, insecurity: &[f64], index: usize) -> f64 {
    let camp = f64::from(conflict.camp_distance[index].min(4096)) / f64::from(rules.flee_radius.max(1));
    let d = conflict.district_of_cell[index];
    let hunger = if d == u16::MAX { 0.0 } else { insecurity.get(d as usize).copied().unwrap_or(0.0) };
    f64::from(conflict.heat[index]) + hunger + rules.camp_pull * camp
}

/// The best of a few random empty cells within the flight radius of `from`, if it is better than `from`
/// (or, when `forced`, the best of them regardless).
#[allow(clippy::too_many_arguments)]
pub(crate) fn choose_refuge(
    grid: &Grid,
    conflict: &Conflict,
    rules: &Displacement,
    shape: &crate::grid::Neighbourhood,
    insecurity: &[f64],
    rng: &mut ChaCha8Rng,
    from: Position,
    forced: bool,
) -> Option<Position> {
    let score = |index: usize| refuge_score(conflict, rules, insecurity, index);
    let mut best = if forced { None } else { Some((score(grid.index(from)), from)) };
    // Look at a few uniformly random cells of the neighbourhood and keep the empty ones: cheap, and where
    // nearly everything is full, people mostly stay put, as they would.
    for _ in 0..CANDIDATES {
        let Some(p) = grid.sample_in(from, shape, rng) else { continue };
        if !grid.is_empty(p) {
            continue;
        }
        let s = score(grid.index(p));
        if best.is_none_or(|(b, _)| s < b) {
            best = Some((s, p));
        }
    }
    best.map(|(_, p)| p).filter(|&p| p != from)
}

/// Everything a displacement step reads besides the citizen.
pub(crate) struct DisplacementContext<'a> {
    /// The rules.
    pub rules: &'a Displacement,
    /// Flight neighbourhood (Moore, `flee_radius`).
    pub shape: &'a crate::grid::Neighbourhood,
    /// Food insecurity per district.
    pub food: &'a FoodState,
    /// Whether there is a food model (hunger can drive flight).
    pub hunger: bool,
    /// The tick.
    pub tick: u64,
}

/// One citizen's displacement decision for this tick. Returns whether it handled the citizen's movement
/// (so that the ordinary random move is skipped): it fled, moved on, went home, or is displaced and
/// stayed put.
#[allow(clippy::too_many_arguments)]
pub(crate) fn displacement_step(
    cx: &DisplacementContext<'_>,
    grid: &mut Grid,
    conflict: &mut Conflict,
    rng: &mut ChaCha8Rng,
    log: &mut EventLog,
    actor: impl Fn() -> Option<u32>,
    pos: &mut Position,
    displaced: &mut bool,
    origin: &mut Position,
) -> bool {
    let rules = cx.rules;
    let here = grid.index(*pos);
    let heat = f64::from(conflict.heat[here]);
    let insecurity = |index: usize| -> f64 {
        let d = conflict.district_of_cell[index];
        if !cx.hunger || d == u16::MAX { 0.0 } else { cx.food.insecurity.get(d as usize).copied().unwrap_or(0.0) }
    };
    let in_conflict = heat >= rules.flee_violence;
    let insecurity_of: &[f64] = if cx.hunger { &cx.food.insecurity } else { &[] };
    let event = |kind, at: Position, value| Event {
        tick: cx.tick,
        kind,
        x: Some(at.x),
        y: Some(at.y),
        actor: actor(),
        target: None,
        value,
        detail: String::new(),
    };
    if !*displaced {
        let p = if in_conflict {
            rules.conflict_move
        } else if insecurity(here) >= rules.flee_hunger {
            rules.other_move
        } else {
            return false;
        };
        if p <= 0.0 || !rng.random_bool(p) {
            return false;
        }
        let Some(to) = choose_refuge(grid, conflict, rules, cx.shape, insecurity_of, rng, *pos, false) else {
            return false;
        };
        *origin = *pos;
        *displaced = true;
        grid.relocate(*pos, to);
        *pos = to;
        conflict.tally.flights += 1;
        log.push(event(EventKind::Flee, to, heat));
        return true;
    }
    // Displaced: go home when it is safe there, else move on with the Flee model's chances.
    let origin_index = grid.index(*origin);
    if f64::from(conflict.heat[origin_index]) < rules.return_violence
        && insecurity(origin_index) < rules.flee_hunger
        && rules.return_rate > 0.0
        && rng.random_bool(rules.return_rate)
    {
        let home = if grid.is_empty(*origin) { Some(*origin) } else { grid.random_empty_in(*origin, cx.shape, rng) };
        if let Some(home) = home {
            grid.relocate(*pos, home);
            *pos = home;
            *displaced = false;
            conflict.tally.returns += 1;
            log.push(event(EventKind::Return, home, 0.0));
            return true;
        }
    }
    let p = if in_conflict {
        rules.conflict_move
    } else if conflict.camp[here] {
        rules.camp_move
    } else {
        rules.other_move
    };
    if p > 0.0
        && rng.random_bool(p)
        && let Some(to) = choose_refuge(grid, conflict, rules, cx.shape, insecurity_of, rng, *pos, false)
    {
        grid.relocate(*pos, to);
        *pos = to;
    }
    true
}
