//! Demography (Epstein's Model II): ageing, death at the maximum age, and cloning onto empty cells; and
//! removal of the dead from the world.

use crate::civilians::{Citizen, CitizenState, Civilian};
use crate::events::{Event, EventKind, EventLog};
use crate::grid::{Grid, citizen_flags};
use crate::rng::{RngStreams, Stream};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::prelude::*;
use rand::RngExt;

/// Despawns citizens that died last tick and drops them from the roster (run first in a tick, so that
/// metrics and state hashes of the tick they died in still see them as dead).
pub(crate) fn remove_dead(mut commands: Commands, mut roster: ResMut<Roster>, tally: Res<Tally>) {
    if !tally.any_died {
        return;
    }
    roster.retain_citizens(
        |c| !c.state.is_gone(),
        |e| {
            commands.entity(e).despawn();
        },
    );
}

/// Ages every citizen; the old die, and free citizens clone with the scenario's probability.
#[allow(clippy::too_many_arguments)]
pub(crate) fn age_and_reproduce(
    mut commands: Commands,
    ids: Query<&AgentId, With<Civilian>>,
    mut grid: ResMut<Grid>,
    mut rngs: ResMut<RngStreams>,
    mut roster: ResMut<Roster>,
    mut log: ResMut<EventLog>,
    mut tally: ResMut<Tally>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    let Some(demography) = &params.scenario.demography else { return };
    let keep_cell = params.scenario.rules.jailed_keep_cell;
    let existing = roster.citizens.len();
    for i in 0..existing {
        let entity = roster.citizens[i];
        let Ok(id) = ids.get(entity) else { continue };
        let r = &mut *roster;
        let (c, age) = (&mut r.records[i], &mut r.ages[i]);
        let pos = c.home;
        if c.state.is_gone() {
            continue;
        }
        *age += 1;
        if *age >= demography.max_age {
            if c.state != CitizenState::Jailed || keep_cell {
                grid.clear(pos);
            }
            c.state = CitizenState::Dead;
            tally.deaths += 1;
            log.push(Event {
                tick: clock.tick,
                kind: EventKind::Death,
                x: Some(pos.x),
                y: Some(pos.y),
                actor: Some(id.0),
                target: None,
                value: f64::from(*age),
                detail: String::new(),
            });
            continue;
        }
        if c.state == CitizenState::Jailed {
            continue;
        }
        let rng = rngs.get(Stream::Demography);
        if !rng.random_bool(demography.clone_probability) {
            continue;
        }
        let shape = &params.citizen_vision[c.group as usize];
        let Some(cell) = grid.random_empty_in(pos, shape, rng) else { continue };
        let child = Citizen::new(c.group, c.hardship, c.risk_aversion, cell);
        let child_id = roster.allocate_id();
        let e = commands.spawn((child_id, Civilian)).id();
        grid.place(cell, e, citizen_flags(child.group, false));
        roster.push_citizen(e, child, 0);
        tally.births += 1;
        log.push(Event {
            tick: clock.tick,
            kind: EventKind::Birth,
            x: Some(cell.x),
            y: Some(cell.y),
            actor: Some(id.0),
            target: Some(child_id.0),
            value: 0.0,
            detail: String::new(),
        });
    }
}
