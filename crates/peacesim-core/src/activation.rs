//! Random sequential activation of the civil-violence layer: every citizen and force member acts once per
//! tick, in an order shuffled from the run's order stream, each seeing what those before it did.

use crate::civilians::{Citizen, CitizenState, LIFE_SENTENCE, arrest_ratio, grievance, is_active, net_risk};
use crate::conflict::{Conflict, DistrictTerms};
use crate::displacement::{DisplacementContext, displacement_step};
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::forces::{ForceMember, draw_jail_term};
use crate::grid::{
    FORCE, GROUP_MASK, GROUP_SHIFT, Grid, JAILED, Neighbourhood, OCCUPIED, Position, WATER, citizen_flags,
};
use crate::peacekeeping::Peacekeeping;
use crate::rng::{RngStreams, Stream, shuffle};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::entity::EntityIndex;
use bevy_ecs::prelude::*;
use peacesim_scenario::{ActivationOrder, MovementTiming, Rules};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

type MemberQuery<'w, 's> = Query<'w, 's, (&'static mut Position, &'static ForceMember)>;

/// A force member's state for the activation pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HotMember {
    pos: Position,
    force: u8,
    entity: Entity,
}

/// How many turns ahead the pass reads an agent's record, and its cell (on large worlds both miss the
/// cache; reading them early overlaps those misses with the turns in between).
const FAR: usize = 40;
/// See [`FAR`].
const NEAR: usize = 16;

/// The size (bytes of citizens' state and of cells) above which the pass prefetches; below it they stay in
/// the per-core cache of current processors (512 KiB of L2 on the reference machine).
const PREFETCH_ABOVE: usize = 256 * 1024;

/// The largest roster (bytes of citizens' records) whose idle turns the pass takes out of its order first
/// ([`ActivationScratch::tag_idle`]). Finding them reads every record once more: on a roster that fits in
/// the last-level cache that costs less than the turns it saves, on larger ones about as much (measured with a
/// first version, docs/performance.md: 3.7% less time at 400x400, 3.6 MiB of records; 0.6% at 800x800, 14
/// MiB; none at 1200x1200, 32 MiB; 1.5-2.7% more at 2000x2000, 96 MiB).
const DROP_IDLE_UP_TO: usize = 8 << 20;

/// Every how many ticks a pass that last found few idle turns looks again (see [`IdleTurns::Auto`]).
const IDLE_RECHECK: u64 = 16;

/// Whether the pass takes the idle turns out of its order before running it ([`ActivationScratch::tag_idle`]).
/// Either way the same turns act on the same state: this chooses only how fast.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdleTurns {
    /// When the roster fits in the last-level cache ([`DROP_IDLE_UP_TO`]) and the last look found at least
    /// one agent in eight idle, or every [`IDLE_RECHECK`] ticks.
    #[default]
    Auto,
    /// Every tick.
    #[cfg_attr(not(test), allow(dead_code))]
    Drop,
    /// Never.
    #[cfg_attr(not(test), allow(dead_code))]
    Keep,
}

/// Marks a force member's slot in the activation order.
const MEMBER: u32 = 1 << 31;

/// Marks an idle citizen's slot in the activation order, while the pass takes the idle turns out of it (see
/// [`ActivationScratch::tag_idle`]).
const IDLE: u32 = 1 << 30;

/// The activation pass's dense copies of the force members' state, and its order, reused every tick (not part
/// of the model's state: rebuilt at the start of every pass).
///
/// Random sequential activation visits the agents in a random order. Looking each one up by entity costs a
/// chain of dependent reads (entity location, table, component) that miss the cache on large worlds; the
/// pass instead indexes the roster's citizens directly, by roster index, and reads and moves a citizen's cell
/// in its state (`Citizen::home`, the only record of where a citizen is: citizens have no `Position`
/// component). Force members, a few percent of the agents, are looked up by entity once at the start, into
/// `members`, and their `Position` components written back at the end.
#[derive(Debug, Default, Clone)]
pub(crate) struct ActivationScratch {
    /// Each force member's state, by roster index.
    members: Vec<HotMember>,
    /// This tick's activation order, as slots (roster indices, with [`MEMBER`] for force members).
    order: Vec<u32>,
    /// How many idle turns the last look found ([`IdleTurns::Auto`]).
    idle_found: usize,
    /// Whether to drop idle turns (tests force either way).
    pub(crate) idle_turns: IdleTurns,
    /// With the conflict layer on, what a citizen's hardship and grievance take from its district alone
    /// (nothing the pass changes), computed once per tick.
    terms: Vec<DistrictTerms>,
}

/// A force member's position that no entity provided (a member of the roster without its components): its
/// turn is skipped, as a failed lookup was.
const NOWHERE: Position = Position { x: u16::MAX, y: u16::MAX };

impl ActivationScratch {
    /// The position of the agent in an order slot.
    #[inline(always)]
    fn pos(&self, slot: u32, records: &[Citizen]) -> Position {
        if slot & MEMBER == 0 { records[slot as usize].home } else { self.members[(slot & !MEMBER) as usize].pos }
    }

    /// Prefetches an agent's state a few turns before it acts, so that the miss on it overlaps with the work
    /// of the turns between.
    #[inline(always)]
    fn touch_agent(&self, slot: u32, records: &[Citizen]) {
        if slot & MEMBER == 0 {
            crate::grid::prefetch(&records[slot as usize]);
        } else {
            crate::grid::prefetch(&self.members[(slot & !MEMBER) as usize]);
        }
    }

    /// Prefetches what an agent's turn reads of its cell (flags and occupant, and with the conflict layer its
    /// violence and district) a few turns before it acts.
    #[inline(always)]
    fn touch_cell(&self, slot: u32, records: &[Citizen], grid: &Grid, conflict: &Conflict) {
        let pos = self.pos(slot, records);
        if pos == NOWHERE {
            return;
        }
        grid.touch(pos);
        if conflict.enabled {
            conflict.touch(grid.index(pos));
        }
    }

    /// Whether this tick's pass drops its idle turns (see [`IdleTurns`]).
    fn drops_idle(&self, tick: u64, records: &[Citizen], agents: usize) -> bool {
        match self.idle_turns {
            IdleTurns::Drop => true,
            IdleTurns::Keep => false,
            IdleTurns::Auto => {
                size_of_val(records) <= DROP_IDLE_UP_TO
                    && (self.idle_found * 8 >= agents || tick.is_multiple_of(IDLE_RECHECK))
            }
        }
    }

    /// Appends the citizens' slots to `order`, with [`IDLE`] set on those whose turn this tick is *idle*:
    /// citizens in jail with time left, whose turn only counts it down (done here instead, for every one of
    /// them), and the dead and recruited, who wait for their removal at the start of the next tick. Branch
    /// free: the idle ones are random along the roster.
    ///
    /// Dropping the idle turns leaves exactly the turns that would change anything, and they see the same
    /// state: nothing in the pass touches an idle citizen before its turn (arrests take active citizens,
    /// Model II kills citizens on the street, and a jailed citizen is released only at its own turn), and
    /// nothing reads a term while the pass runs. Idle turns are a quarter of Epstein's Run 2 once its jails
    /// fill. Dropping them saves their work and, more, the mispredicted branch on each turn's state, which is
    /// random along a shuffled order; the flag rides along in the shuffle, so that finding the turns left
    /// ([`ActivationScratch::keep_acting`]) reads the order in sequence.
    fn tag_idle(order: &mut Vec<u32>, records: &mut [Citizen]) {
        assert!(records.len() <= IDLE as usize, "{} citizens: more than an order slot holds", records.len());
        order.extend(records.iter_mut().enumerate().map(|(slot, c)| {
            let held = (c.state == CitizenState::Jailed) & (c.jail_left != 0);
            c.jail_left -= u32::from(held & (c.jail_left != LIFE_SENTENCE));
            slot as u32 | (u32::from(held | c.state.is_gone()) * IDLE)
        }));
    }

    /// Moves the slots of the shuffled `order` that are not marked [`IDLE`] to its front, in the same order,
    /// and returns how many. (A force member's slot is never marked, whatever its index.)
    fn keep_acting(&mut self, order: &mut [u32]) -> usize {
        let mut n = 0;
        for i in 0..order.len() {
            let slot = order[i];
            order[n] = slot;
            n += usize::from(slot & (MEMBER | IDLE) != IDLE);
        }
        self.idle_found = order.len() - n;
        n
    }

    /// Copies the force members' positions out of their components; slots follow the roster's order.
    fn gather(&mut self, roster: &Roster, members: &MemberQuery) {
        self.members.clear();
        self.members.extend(roster.members.iter().map(|&entity| match members.get(entity) {
            Ok((pos, m)) => HotMember { pos: *pos, force: m.force, entity },
            _ => HotMember { pos: NOWHERE, force: 0, entity: Entity::PLACEHOLDER },
        }));
    }

    /// Writes the force members' positions back into their components.
    fn scatter(&self, members: &mut MemberQuery) {
        for m in &self.members {
            if let Ok((mut pos, _)) = members.get_mut(m.entity) {
                *pos.bypass_change_detection() = m.pos;
            }
        }
    }
}

/// Everything an agent's turn may touch besides the agents' own state.
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
    /// The districts' terms of hardship and grievance ([`Conflict::district_terms`]), with the conflict
    /// layer on.
    terms: &'a [DistrictTerms],
    /// Stable ids, read only when an event names an agent (kept out of the hot queries).
    ids: &'a Query<'w, 's, &'static AgentId>,
    /// Police of peacekeeping missions, counted as cops.
    peacekeeping: &'a Peacekeeping,
    /// The roster (its citizens' states taken out for the pass): the entity of each citizen slot, and the
    /// slot of a citizen's entity.
    roster: &'a Roster,
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

    /// The stable id of the citizen in `slot`, for an event (its entity is read only when events are on).
    fn citizen_id(&self, slot: usize) -> Option<u32> {
        if !self.log.enabled {
            return None;
        }
        self.id(self.roster.citizens[slot])
    }
}

/// The activation system: builds the order, then runs each agent's turn.
#[allow(clippy::too_many_arguments)]
pub(crate) fn activate_agents(
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
    let mut scratch = std::mem::take(&mut roster.scratch);
    scratch.gather(&roster, &members);
    let mut records = std::mem::take(&mut roster.records);
    let mut order = std::mem::take(&mut scratch.order);
    order.clear();
    // The same lengths shuffled by the same draws as the roster's entities: slots are roster indices.
    let agents = records.len() + roster.members.len();
    let drop_idle = scratch.drops_idle(clock.tick, &records, agents);
    if drop_idle {
        ActivationScratch::tag_idle(&mut order, &mut records);
    } else {
        order.extend(0..records.len() as u32);
    }
    let rng = rngs.get(Stream::Order);
    match params.scenario.rules.activation_order {
        ActivationOrder::CitizensThenForces => {
            shuffle(&mut order, rng);
            let split = order.len();
            order.extend((0..roster.members.len() as u32).map(|i| i | MEMBER));
            shuffle(&mut order[split..], rng);
        }
        ActivationOrder::ShuffledAll => {
            order.extend((0..roster.members.len() as u32).map(|i| i | MEMBER));
            shuffle(&mut order, rng);
        }
    }
    // Prefetching pays only when the agents' state and the cells do not fit in the cache; on a small world it
    // is work for nothing.
    let cells = grid.cells() * (1 + size_of::<Option<Entity>>());
    let prefetch = records.len() * size_of::<Citizen>() + cells > PREFETCH_ABOVE;
    let run = if drop_idle { scratch.keep_acting(&mut order) } else { order.len() };
    let mut terms = std::mem::take(&mut scratch.terms);
    if conflict.enabled {
        conflict.district_terms(&food, params.scenario.rules.legitimacy, &mut terms);
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
        terms: &terms,
        peacekeeping: &peacekeeping,
        roster: &roster,
    };
    crate::cpu::with_popcnt(
        #[inline(always)]
        || run_turns(&order[..run], &mut turn, &mut scratch, &mut records, prefetch),
    );
    scratch.order = order;
    scratch.terms = terms;
    roster.records = records;
    scratch.scatter(&mut members);
    roster.scratch = scratch;
}

/// Runs the turns of `order`, one after another, prefetching for the turns to come if `prefetch`.
#[inline(always)]
fn run_turns(
    order: &[u32],
    turn: &mut Turn<'_, '_, '_>,
    scratch: &mut ActivationScratch,
    records: &mut [Citizen],
    prefetch: bool,
) {
    if !prefetch {
        for &slot in order {
            one_turn(slot, turn, scratch, records);
        }
        return;
    }
    for (i, &slot) in order.iter().enumerate() {
        // Start the cache misses of turns to come while this one runs (see `FAR`).
        if let Some(&far) = order.get(i + FAR) {
            scratch.touch_agent(far, records);
        }
        if let Some(&near) = order.get(i + NEAR) {
            scratch.touch_cell(near, records, turn.grid, turn.conflict);
        }
        one_turn(slot, turn, scratch, records);
    }
}

/// The turn of the agent in an order slot.
#[inline(always)]
fn one_turn(slot: u32, turn: &mut Turn<'_, '_, '_>, scratch: &mut ActivationScratch, records: &mut [Citizen]) {
    if slot & MEMBER != 0 {
        member_turn((slot & !MEMBER) as usize, turn, scratch, records);
    } else {
        citizen_turn(slot as usize, turn, records);
    }
}

/// Moves the occupant of `pos` to a random empty cell within `shape`, if there is one; `index`: its entity
/// index, if the caller knows it without reading anything (see [`Grid::relocate_as`]).
#[inline]
fn wander(grid: &mut Grid, pos: &mut Position, shape: &Neighbourhood, rng: &mut ChaCha8Rng, index: Option<u32>) {
    if let Some(to) = grid.random_empty_in(*pos, shape, rng) {
        grid.relocate_as(*pos, to, index);
        *pos = to;
    }
}

#[inline(always)]
fn citizen_turn(slot: usize, t: &mut Turn<'_, '_, '_>, records: &mut [Citizen]) {
    let rules = &t.params.scenario.rules;
    let (victim_search, origin, group) = {
        let c = &mut records[slot];
        // The citizen's cell (its `home` in the roster: see `ActivationScratch`), stored back at the end of
        // the turn.
        let mut at = c.home;
        let pos = &mut at;
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
                        t.grid.random_empty_in(home, shape, rng).or_else(|| t.grid.random_empty(rng))
                    };
                    // A full grid keeps the agent in jail until a cell frees up.
                    let Some(cell) = cell else { return };
                    t.grid.place_index(cell, t.roster.citizen_index(slot), flags);
                    *pos = cell;
                }
                c.state = CitizenState::Quiescent;
                t.tally.releases += 1;
                t.log.push(Event {
                    tick: t.tick,
                    kind: EventKind::Release,
                    x: Some(pos.x),
                    y: Some(pos.y),
                    actor: t.citizen_id(slot),
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
            // The entity is read only when an event names the agent (reading it costs a cache miss).
            let (ids, citizens) = (t.ids, &t.roster.citizens);
            let actor = || ids.get(citizens[slot]).ok().map(|id| id.0);
            let rng = t.rngs.get(Stream::Displacement);
            if displacement_step(&cx, t.grid, t.conflict, rng, t.log, actor, pos, &mut c.displaced, &mut c.origin) {
                moves = false;
            }
        }
        if moves && rules.movement_timing == MovementTiming::BeforeActing {
            wander(t.grid, pos, shape, t.rngs.get(Stream::Civilians), t.roster.computed_index(slot));
        }

        // Net risk is never negative, so an agent whose grievance does not exceed the threshold stays
        // quiescent whatever it sees: skip looking around (same decision, less work).
        let index = t.grid.index(*pos);
        let g_value = if t.conflict.enabled {
            // `grievance(hardship_in(..), legitimacy_in(..))`, with what depends on the district alone from
            // this tick's table (the last entry for cells outside every district).
            let d = t.conflict.district_of_cell[index];
            let terms = &t.terms[usize::from(d).min(t.terms.len() - 1)];
            t.conflict.hardship_with(terms, c.hardship, index) * terms.keep
        } else {
            grievance(t.food.hardship(c.hardship, index), rules.legitimacy)
        };
        let (active, p) = if g_value > rules.threshold {
            // Look around: security forces, and actives of the agent's own group, within vision.
            // The counts include the citizen's own cell: never a cop's, and an active of its group if it is
            // active (its state, which the grid's flags for the cell mirror: no need to read them back, which
            // after a move waits on the destination's line).
            let (mut forces, actives) = t.grid.count_forces_and_actives_with_centre(*pos, shape, c.group);
            let actives = actives - u32::from(c.state == CitizenState::Active);
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
                    actor: t.citizen_id(slot),
                    target: None,
                    value: p,
                    detail: String::new(),
                });
            }
        }
        if moves && rules.movement_timing == MovementTiming::AfterActing && !(active && rules.actives_kill) {
            wander(t.grid, pos, shape, t.rngs.get(Stream::Civilians), t.roster.computed_index(slot));
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
                && let Some(victim) = t.grid.occupant_index(cell)
                && let Some(victim) = t.roster.citizen_slot_at(victim)
            {
                let v = &mut records[victim];
                v.state = CitizenState::Dead;
                t.grid.clear(cell);
                t.tally.killed[v.group as usize] += 1;
                t.tally.kills += 1;
                t.log.push(Event {
                    tick: t.tick,
                    kind: EventKind::Kill,
                    x: Some(cell.x),
                    y: Some(cell.y),
                    actor: t.citizen_id(slot),
                    target: t.citizen_id(victim),
                    value: 0.0,
                    detail: String::new(),
                });
            }
        }
        if t.params.citizen_movement[group as usize] && rules.movement_timing == MovementTiming::AfterActing {
            let mut at = records[slot].home;
            wander(t.grid, &mut at, shape, t.rngs.get(Stream::Civilians), t.roster.computed_index(slot));
            records[slot].home = at;
        }
    }
}

#[inline(always)]
fn member_turn(slot: usize, t: &mut Turn<'_, '_, '_>, s: &mut ActivationScratch, records: &mut [Citizen]) {
    let rules = &t.params.scenario.rules;
    let HotMember { pos, force, entity } = &mut s.members[slot];
    let (f, entity) = (*force as usize, *entity);
    if entity == Entity::PLACEHOLDER {
        return;
    }
    let shape = &t.params.force_vision[f];
    let moves = t.params.force_movement[f];
    if moves && rules.movement_timing == MovementTiming::BeforeActing {
        wander(t.grid, pos, shape, t.rngs.get(Stream::Forces), Some(entity.index_u32()));
    }
    let centre = *pos;
    // Arrest one random active citizen within vision.
    let rng = t.rngs.get(Stream::Forces);
    if let Some((cell, suspect)) = pick_suspect(t.grid, rng, t.params.groups.len(), centre, shape)
        && let Some(target) = t.roster.active_slot_on(suspect, cell, records)
    {
        debug_assert_eq!(t.roster.citizen_slot_at(suspect), Some(target));
        let c = &mut records[target];
        let term = jail(t.grid, c.group, cell, rng, rules);
        (c.state, c.jail_left, c.home) = (CitizenState::Jailed, term, cell);
        t.tally.arrests += 1;
        let value = if term == LIFE_SENTENCE { -1.0 } else { f64::from(term) };
        t.log.push(Event {
            tick: t.tick,
            kind: EventKind::Arrest,
            x: Some(cell.x),
            y: Some(cell.y),
            actor: t.id(entity),
            target: t.citizen_id(target),
            value,
            detail: String::new(),
        });
    }
    if moves && rules.movement_timing == MovementTiming::AfterActing {
        let pos = &mut s.members[slot].pos;
        wander(t.grid, pos, shape, t.rngs.get(Stream::Forces), Some(entity.index_u32()));
    }
}

/// Picks one uniformly random active citizen within `shape` around `centre`: its cell and entity index. Draws
/// from `rng` only when there is one.
#[inline(always)]
fn pick_suspect(
    grid: &Grid,
    rng: &mut ChaCha8Rng,
    groups: usize,
    centre: Position,
    shape: &Neighbourhood,
) -> Option<(Position, EntityIndex)> {
    let n = grid.count_actives(centre, shape, groups);
    if n == 0 {
        return None;
    }
    let k = rng.random_range(0..n);
    let cell = grid.nth_active(centre, shape, groups, k)?;
    Some((cell, grid.occupant_index(cell)?))
}

/// Takes a citizen of `group` found on `cell` off the street (or marks it jailed there), drawing its term from
/// `rng`; returns the term (the caller sets the citizen's state, term and home).
#[inline]
fn jail(grid: &mut Grid, group: u8, cell: Position, rng: &mut ChaCha8Rng, rules: &Rules) -> u32 {
    let term = draw_jail_term(&rules.jail_term, rng);
    if rules.jailed_keep_cell {
        grid.set_flags(cell, citizen_flags(group, false) | JAILED);
    } else {
        grid.clear(cell);
    }
    term
}

/// Jails one uniformly random active citizen within `shape` around `centre`, drawing the term from `rng`;
/// returns its cell, its entity and the term. `visible`: how many of the roster's citizens the caller can
/// see (those it spawned itself are not yet in the world).
#[allow(clippy::too_many_arguments)]
pub(crate) fn arrest_one(
    grid: &mut Grid,
    roster: &mut Roster,
    visible: usize,
    rng: &mut ChaCha8Rng,
    rules: &Rules,
    groups: usize,
    centre: Position,
    shape: &Neighbourhood,
) -> Option<(Position, Entity, u32)> {
    let (cell, suspect) = pick_suspect(grid, rng, groups, centre, shape)?;
    // The citizen's state confirms the slot (see `Roster::active_slot_on`), as in a member's turn.
    let slot = roster.active_slot_on(suspect, cell, &roster.records).filter(|&i| i < visible)?;
    debug_assert_eq!(roster.citizen_slot_at(suspect), Some(slot));
    let c = &mut roster.records[slot];
    let term = jail(grid, c.group, cell, rng, rules);
    (c.state, c.jail_left, c.home) = (CitizenState::Jailed, term, cell);
    Some((cell, roster.citizens[slot], term))
}

#[cfg(test)]
mod tests {
    use super::IdleTurns;
    use crate::Simulation;
    use crate::world::Roster;

    /// Dropping the idle turns changes nothing but the time: every bundled scenario gives the same state,
    /// metrics and events every tick with them dropped every tick as with them never dropped.
    #[test]
    fn dropping_idle_turns_changes_nothing() {
        let mut dropped = 0;
        for b in peacesim_scenario::bundled::all() {
            let s =
                peacesim_scenario::parse_scenario(b.text, b.path, &[]).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            let [mut drop, mut keep] = [IdleTurns::Drop, IdleTurns::Keep].map(|policy| {
                let mut sim = Simulation::new(&s, 7).unwrap_or_else(|e| panic!("{e}"));
                sim.world_mut().resource_mut::<Roster>().scratch.idle_turns = policy;
                sim
            });
            for _ in 0..60 {
                drop.step();
                keep.step();
                dropped += drop.world_mut().resource::<Roster>().scratch.idle_found;
                let tick = drop.tick();
                assert_eq!(drop.state_hash(), keep.state_hash(), "{} tick {tick}: state", b.name);
                assert_eq!(drop.metrics(), keep.metrics(), "{} tick {tick}: metrics", b.name);
                assert_eq!(drop.events(), keep.events(), "{} tick {tick}: events", b.name);
            }
        }
        assert!(dropped > 10_000, "only {dropped} idle turns dropped");
    }
}
