//! Security forces: Epstein's cops (peacekeepers in Model II): jail terms, and keeping each force at the
//! size the schedule asks for.

use crate::civilians::LIFE_SENTENCE;
use crate::events::{Event, EventKind, EventLog};
use crate::grid::{FORCE, Grid, Position};
use crate::rng::{RngStreams, Stream};
use crate::world::{AgentId, Clock, Params, Roster};
use bevy_ecs::prelude::*;
use peacesim_scenario::{JailDistribution, JailTerm};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A member of a security force.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForceMember {
    /// Index of its force, in the scenario's sorted force order.
    pub force: u8,
}

/// Draws a jail term.
pub fn draw_jail_term(term: &JailTerm, rng: &mut ChaCha8Rng) -> u32 {
    match (term.distribution, term.max) {
        (JailDistribution::Uniform, Some(max)) => rng.random_range(0..=max),
        (JailDistribution::Fixed, Some(max)) => max,
        (JailDistribution::Uniform | JailDistribution::Fixed, None) => 0,
        (JailDistribution::Infinite, _) => LIFE_SENTENCE,
    }
}

/// Forces whose size the schedule changed this tick, to be reconciled.
#[derive(Resource, Debug, Default, Clone)]
pub struct ForceResize {
    /// Force indices to bring to their target size, in order.
    pub pending: Vec<u8>,
}

/// Brings each resized force to its target size: new members arrive on random empty cells, surplus
/// members (chosen uniformly) leave.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reconcile_forces(
    mut commands: Commands,
    members: Query<(&ForceMember, &Position, &AgentId)>,
    mut resize: ResMut<ForceResize>,
    mut grid: ResMut<Grid>,
    mut roster: ResMut<Roster>,
    mut rngs: ResMut<RngStreams>,
    mut log: ResMut<EventLog>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    let pending = std::mem::take(&mut resize.pending);
    for &force in &pending {
        let name = &params.forces[force as usize];
        let target = params.scenario.forces.get(name).map_or(0, |f| f.target_count(params.cells)) as usize;
        let current: Vec<Entity> = roster
            .members
            .iter()
            .copied()
            .filter(|&e| members.get(e).is_ok_and(|(m, _, _)| m.force == force))
            .collect();
        let rng = rngs.get(Stream::Schedule);
        if current.len() > target {
            let leaving = current.len() - target;
            let mut pool = current;
            for _ in 0..leaving {
                let e = pool.swap_remove(rng.random_range(0..pool.len()));
                if let Ok((_, pos, _)) = members.get(e) {
                    grid.clear(*pos);
                }
                commands.entity(e).despawn();
                roster.members.retain(|&m| m != e);
            }
            log.push(Event::global(clock.tick, EventKind::Withdraw, leaving as f64, name.clone()));
        } else if current.len() < target {
            let mut arrived = 0;
            for _ in current.len()..target {
                let Some(cell) = grid.random_empty(rng) else { break };
                let id = roster.allocate_id();
                let e = commands.spawn((id, cell, ForceMember { force })).id();
                grid.place(cell, e, FORCE);
                roster.members.push(e);
                arrived += 1;
            }
            log.push(Event::global(clock.tick, EventKind::Deploy, f64::from(arrived), name.clone()));
        }
    }
    resize.pending = pending;
    resize.pending.clear();
}
