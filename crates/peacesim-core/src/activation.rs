//! Random sequential activation of the civil-violence layer: every citizen and force member acts once per
//! tick, in an order shuffled from the run's order stream, each seeing what those before it did.

use crate::civilians::{Citizen, CitizenState, LIFE_SENTENCE, arrest_ratio, grievance, is_active, net_risk};
use crate::conflict::Conflict;
use crate::displacement::{DisplacementContext, displacement_step};
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::forces::{ForceMember, draw_jail_term};
use crate::grid::{
    FORCE, GROUP_MASK, GROUP_SHIFT, Grid, JAILED, Neighbourhood, OCCUPIED, Position, WATER, citizen_flags,
};
use crate::peacekeeping::Peacekeeping;
use crate::rng::{RngStreams, Stream};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::prelude::*;
use bevy_ecs::query::QueryFilter;
use peacesim_scenario::{ActivationOrder, MovementTiming, Rules};
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

type CitizenQuery<'w, 's> = Query<'w, 's, (&'static mut Position, &'static mut Citizen), Without<ForceMember>>;
type MemberQuery<'w, 's> = Query<'w, 's, (&'static mut Position, &'static ForceMember), Without<Citizen>>;

/// Everything an agent's turn may touch besides the agent queries.
struct Turn<'a, 'w, 's> {
    grid: &'a mut Grid,
    rngs: &'a mut RngStreams,
    params: &'a Params,
    log: &'a mut EventLog,
    tally: &'a mut Tally,
    tick: u64,
    /// Food insecurity per district, which raises hardship.
    food: &'a FoodState,
    /// Recent violence, crowding and district legitimacy; displacement.
    conflict: &'a mut Conflict,
    /// Stable ids, read only when an event names an agent (kept out of the hot queries).
    ids: &'a Query<'w, 's, &'static AgentId>,
    /// Police of peacekeeping missions, counted as cops.
    peacekeeping: &'a Peacekeeping,
}

impl Turn<'_, '_, '_> {
    /// The stable id of an agent, for an event.
    fn id(&self, entity: Entity) -> Option<u32> {
        // With events off nobody reads the id: skip the lookup (a cache miss on large worlds).
        if !self.log.enabled {
            return None;
        }
        self.ids.get(entity).ok().map(|id| id.0)
    }
}

/// The activation system: builds the order, then runs each agent's turn.
#[allow(clippy::too_many_arguments)]
pub(crate) fn activate_agents(
    mut citizens: CitizenQuery,
    mut members: MemberQuery,
    ids: Query<&'static AgentId>,
    food: Res<FoodState>,
    mut conflict: ResMut<Conflict>,
    mut grid: ResMut<Grid>,
    mut rngs: ResMut<RngStreams>,
    mut roster: ResMut<Roster>,
    mut log: ResMut<EventLog>,
    mut tally: ResMut<Tally>,
    peacekeeping: Res<Peacekeeping>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    let mut order = std::mem::take(&mut roster.order);
    order.clear();
    order.extend(roster.citizens.iter().map(|&e| (e, false)));
    let rng = rngs.get(Stream::Order);
    match params.scenario.rules.activation_order {
        ActivationOrder::CitizensThenForces => {
            order.shuffle(rng);
            let split = order.len();
            order.extend(roster.members.iter().map(|&e| (e, true)));
            order[split..].shuffle(rng);
        }
        ActivationOrder::ShuffledAll => {
            order.extend(roster.members.iter().map(|&e| (e, true)));
            order.shuffle(rng);
        }
    }
    let mut turn = Turn {
        grid: &mut grid,
        rngs: &mut rngs,
        params: &params,
        log: &mut log,
        tally: &mut tally,
        tick: clock.tick,
        ids: &ids,
        food: &food,
        conflict: &mut conflict,
        peacekeeping: &peacekeeping,
    };
    for &(entity, is_member) in &order {
        if is_member {
            member_turn(entity, &mut turn, &mut citizens, &mut members);
        } else {
            citizen_turn(entity, &mut turn, &mut citizens);
        }
    }
    roster.order = order;
}

/// Moves the occupant of `pos` to a random empty cell within `shape`, if there is one.
#[inline]
fn wander(grid: &mut Grid, pos: &mut Position, shape: &Neighbourhood, rng: &mut ChaCha8Rng) {
    if let Some(to) = grid.random_in(*pos, shape, rng, |f| f & OCCUPIED == 0) {
        grid.relocate(*pos, to);
        *pos = to;
    }
}

fn citizen_turn(entity: Entity, t: &mut Turn<'_, '_, '_>, citizens: &mut CitizenQuery) {
    let rules = &t.params.scenario.rules;
    let (victim_search, origin, group) = {
        let Ok((mut pos, mut c)) = citizens.get_mut(entity) else { return };
        // peacesim does not use change detection; skipping its bookkeeping saves a store per field.
        let (pos, c) = (pos.bypass_change_detection(), c.bypass_change_detection());
        match c.state {
            CitizenState::Dead | CitizenState::Recruited => return,
            CitizenState::Jailed => {
                if c.jail_left == LIFE_SENTENCE {
                    return;
                }
                if c.jail_left > 0 {
                    c.jail_left -= 1;
                    return;
                }
                // The term is served: released at this activation, then the agent acts as usual.
                let flags = citizen_flags(c.group, false);
                if rules.jailed_keep_cell {
                    t.grid.set_flags(*pos, flags);
                } else {
                    let shape = &t.params.citizen_vision[c.group as usize];
                    let rng = t.rngs.get(Stream::Civilians);
                    let home = c.home;
                    let cell = if t.grid.is_empty(home) {
                        Some(home)
                    } else {
                        t.grid.random_in(home, shape, rng, |f| f & OCCUPIED == 0).or_else(|| t.grid.random_empty(rng))
                    };
                    // A full grid keeps the agent in jail until a cell frees up.
                    let Some(cell) = cell else { return };
                    t.grid.place(cell, entity, flags);
                    *pos = cell;
                }
                c.state = CitizenState::Quiescent;
                t.tally.releases += 1;
                t.log.push(Event {
                    tick: t.tick,
                    kind: EventKind::Release,
                    x: Some(pos.x),
                    y: Some(pos.y),
                    actor: t.id(entity),
                    target: None,
                    value: 0.0,
                    detail: String::new(),
                });
            }
            CitizenState::Quiescent | CitizenState::Active => {}
        }
        let g = c.group as usize;
        let shape = &t.params.citizen_vision[g];
        // Flight and return replace the ordinary random move for this tick.
        let mut moves = t.params.citizen_movement[g];
        if let (Some(disp), Some(flee)) = (&t.params.scenario.displacement, &t.params.flee_vision) {
            let cx = DisplacementContext {
                rules: disp,
                shape: flee,
                food: t.food,
                hunger: t.params.scenario.food.is_some(),
                tick: t.tick,
            };
            let ids = t.ids;
            let actor = || ids.get(entity).ok().map(|id| id.0);
            let rng = t.rngs.get(Stream::Displacement);
            if displacement_step(&cx, t.grid, t.conflict, rng, t.log, actor, pos, c) {
                moves = false;
            }
        }
        if moves && rules.movement_timing == MovementTiming::BeforeActing {
            wander(t.grid, pos, shape, t.rngs.get(Stream::Civilians));
        }

        // Net risk is never negative, so an agent whose grievance does not exceed the threshold stays
        // quiescent whatever it sees: skip looking around (same decision, less work).
        let index = t.grid.index(*pos);
        let g_value = if t.conflict.enabled {
            let d = t.conflict.district_of_cell[index];
            let hardship = t.conflict.hardship_in(t.food.hardship_in(c.hardship, d), index, d);
            grievance(hardship, t.conflict.legitimacy_in(rules.legitimacy, d))
        } else {
            grievance(t.food.hardship(c.hardship, index), rules.legitimacy)
        };
        let (active, p) = if g_value > rules.threshold {
            // Look around: security forces, and actives of the agent's own group, within vision.
            let (mut forces, actives) = t.grid.count_forces_and_actives(*pos, shape, c.group);
            if t.peacekeeping.enabled {
                // Police of a peacekeeping mission nearby count as cops.
                forces += t.peacekeeping.cops_at(index);
            }
            let ratio = arrest_ratio(rules.arrest_ratio, forces, actives + 1);
            let p = t.params.arrest_probability(ratio);
            (is_active(g_value, net_risk(c.risk_aversion, p), rules.threshold), p)
        } else {
            (false, 0.0)
        };
        if active != (c.state == CitizenState::Active) {
            c.state = if active { CitizenState::Active } else { CitizenState::Quiescent };
            t.grid.set_flags(*pos, citizen_flags(c.group, active));
            if active {
                t.tally.activations += 1;
                t.log.push(Event {
                    tick: t.tick,
                    kind: EventKind::Activation,
                    x: Some(pos.x),
                    y: Some(pos.y),
                    actor: t.id(entity),
                    target: None,
                    value: p,
                    detail: String::new(),
                });
            }
        }
        if moves && rules.movement_timing == MovementTiming::AfterActing && !(active && rules.actives_kill) {
            wander(t.grid, pos, shape, t.rngs.get(Stream::Civilians));
            c.home = *pos;
            return;
        }
        c.home = *pos;
        (active && rules.actives_kill, *pos, c.group)
    };

    if victim_search {
        // Model II: kill a random member of another group within vision (free, on the grid).
        let shape = &t.params.citizen_vision[group as usize];
        let own_group = group << GROUP_SHIFT;
        let is_victim = |f: u8| f & (OCCUPIED | FORCE | JAILED | WATER) == OCCUPIED && f & GROUP_MASK != own_group;
        let rng = t.rngs.get(Stream::Civilians);
        let n = t.grid.count(origin, shape, is_victim);
        if n > 0 {
            let k = rng.random_range(0..n);
            if let Some(cell) = t.grid.nth(origin, shape, k, is_victim).map(|i| t.grid.position(i))
                && let Some(victim) = t.grid.occupant(cell)
                && let Ok((_, mut v)) = citizens.get_mut(victim)
            {
                v.state = CitizenState::Dead;
                t.grid.clear(cell);
                t.tally.killed[v.group as usize] += 1;
                t.tally.kills += 1;
                t.log.push(Event {
                    tick: t.tick,
                    kind: EventKind::Kill,
                    x: Some(cell.x),
                    y: Some(cell.y),
                    actor: t.id(entity),
                    target: t.id(victim),
                    value: 0.0,
                    detail: String::new(),
                });
            }
        }
        if t.params.citizen_movement[group as usize]
            && rules.movement_timing == MovementTiming::AfterActing
            && let Ok((mut pos, mut c)) = citizens.get_mut(entity)
        {
            wander(t.grid, &mut pos, shape, t.rngs.get(Stream::Civilians));
            c.home = *pos;
        }
    }
}

fn member_turn(entity: Entity, t: &mut Turn<'_, '_, '_>, citizens: &mut CitizenQuery, members: &mut MemberQuery) {
    let rules = &t.params.scenario.rules;
    let Ok((mut pos, member)) = members.get_mut(entity) else { return };
    let pos = pos.bypass_change_detection();
    let f = member.force as usize;
    let shape = &t.params.force_vision[f];
    let moves = t.params.force_movement[f];
    if moves && rules.movement_timing == MovementTiming::BeforeActing {
        wander(t.grid, pos, shape, t.rngs.get(Stream::Forces));
    }
    // Arrest one random active citizen within vision.
    let rng = t.rngs.get(Stream::Forces);
    if let Some((cell, suspect, term)) = arrest_one(t.grid, citizens, rng, rules, t.params.groups.len(), *pos, shape) {
        t.tally.arrests += 1;
        let value = if term == LIFE_SENTENCE { -1.0 } else { f64::from(term) };
        t.log.push(Event {
            tick: t.tick,
            kind: EventKind::Arrest,
            x: Some(cell.x),
            y: Some(cell.y),
            actor: t.id(entity),
            target: t.id(suspect),
            value,
            detail: String::new(),
        });
    }
    if moves && rules.movement_timing == MovementTiming::AfterActing {
        wander(t.grid, pos, shape, t.rngs.get(Stream::Forces));
    }
}

/// Jails one uniformly random active citizen within `shape` around `centre`, drawing the term from `rng`;
/// returns its cell, its entity and the term.
pub(crate) fn arrest_one<F: QueryFilter>(
    grid: &mut Grid,
    citizens: &mut Query<(&'static mut Position, &'static mut Citizen), F>,
    rng: &mut ChaCha8Rng,
    rules: &Rules,
    groups: usize,
    centre: Position,
    shape: &Neighbourhood,
) -> Option<(Position, Entity, u32)> {
    let n = grid.count_actives(centre, shape, groups);
    if n == 0 {
        return None;
    }
    let k = rng.random_range(0..n);
    let cell = grid.nth_active(centre, shape, groups, k)?;
    let suspect = grid.occupant(cell)?;
    let (_, mut c) = citizens.get_mut(suspect).ok()?;
    let term = draw_jail_term(&rules.jail_term, rng);
    c.state = CitizenState::Jailed;
    c.jail_left = term;
    c.home = cell;
    if rules.jailed_keep_cell {
        grid.set_flags(cell, citizen_flags(c.group, false) | JAILED);
    } else {
        grid.clear(cell);
    }
    Some((cell, suspect, term))
}
