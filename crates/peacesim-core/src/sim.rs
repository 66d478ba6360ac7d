//! [`Simulation`]: one seeded run of a scenario, owning its bevy_ecs `World` and `Schedule`.

use crate::activation::activate_agents;
use crate::aid::{AidState, Convoy, aid_act, setup_aid};
use crate::civilians::{Citizen, Civilian};
use crate::conflict::{Conflict, Fighter, fighters_act, place_fighters, remove_fighters, update_conflict};
use crate::demography::{age_and_reproduce, remove_dead};
use crate::events::{Event, EventLog};
use crate::food::{FoodState, update_food};
use crate::forces::{ForceMember, ForceResize, reconcile_forces};
use crate::grid::{FORCE, Grid, Position, citizen_flags};
use crate::metrics::{Metrics, record_metrics};
use crate::peacekeeping::{
    Peacekeeping, Unit, apply_peacekeeping_events, peacekeepers_act, remove_units, setup_peacekeeping,
    update_peacekeeping,
};
use crate::rng::{RngStreams, Stream};
use crate::scenario_events::apply_events;
use crate::schedule::{Timeline, apply_due, apply_schedule};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ApplyDeferred, SingleThreadedExecutor};
use peacesim_scenario::map::Terrain;
use peacesim_scenario::{Distribution, DistributionKind, Placement, Scenario, validate};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The phases of a tick, run in this order on a single-threaded executor.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickSet {
    /// Remove last tick's dead, apply scheduled changes, resize forces.
    Schedule,
    /// Food production, stocks and insecurity; recent violence, crowding, legitimacy, faction economies and
    /// political shocks.
    Environment,
    /// Every agent acts once, in shuffled order.
    Activation,
    /// Every fighter acts once, in shuffled order.
    Conflict,
    /// Peacekeeping units: attacks on them, reports, dispatch, movement, enforcement, arrests, trust.
    Peacekeeping,
    /// Humanitarian aid: supplies, assessment, convoys, escorts, looting, deliveries.
    Aid,
    /// Ageing, deaths and births.
    Demography,
    /// The tick's metrics row.
    Metrics,
}

/// Why a simulation could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The scenario fails validation (parse it with `peacesim_scenario::parse_scenario` for located errors).
    #[error("invalid scenario: {}", .0.iter().map(|(k, m)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    InvalidScenario(Vec<(String, String)>),
    /// An inject that does not fit the run (see [`Simulation::inject`]).
    #[error("invalid inject: {0}")]
    InvalidInject(String),
}

/// One seeded, deterministic run.
pub struct Simulation {
    world: World,
    tick_schedule: Schedule,
    metrics_schedule: Schedule,
    seed: u64,
    /// The scenario as given to [`Simulation::new`] (before any scheduled change), for checkpoints' headers.
    scenario: Scenario,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation").field("seed", &self.seed).field("tick", &self.tick()).finish_non_exhaustive()
    }
}

impl Simulation {
    /// Builds the world for `scenario` with `seed` and records tick 0's metrics.
    pub fn new(scenario: &Scenario, seed: u64) -> Result<Self, SimError> {
        let problems = validate(scenario);
        if !problems.is_empty() {
            return Err(SimError::InvalidScenario(problems));
        }
        let mut world = World::new();
        let timeline = Timeline::new(scenario);
        let mut params = Params::new(scenario);
        let mut log = EventLog { events: Vec::new(), enabled: true };
        let mut resize = ForceResize::default();
        apply_due(&timeline, &mut params, &mut resize, &mut log, 0);

        // bevy_ecs keeps each resource as a component of an entity of its own, in a sparse set whose index
        // array is as long as the highest entity index it holds: a resource first inserted after n agents would
        // cost 4n bytes (16 resources, 64 bytes per agent). So every resource is inserted before the first
        // agent is spawned; the ones setup computes are placeholders here, and replacing a resource keeps its
        // entity.
        world.insert_resource(Conflict::default());
        world.insert_resource(FoodState::default());
        world.insert_resource(Metrics::new(&params));
        world.insert_resource(Tally { killed: vec![0; params.groups.len()], ..Tally::default() });
        world.insert_resource(params.clone());
        world.insert_resource(timeline);
        world.insert_resource(log);
        world.insert_resource(ForceResize::default());
        world.insert_resource(RngStreams::new(seed));
        world.insert_resource(Grid::new(0, 0, scenario.grid.topology));
        world.insert_resource(Roster::default());
        world.insert_resource(Clock::default());
        world.insert_resource(Peacekeeping::default());
        world.insert_resource(AidState::default());
        // Running a schedule inserts this one.
        world.init_resource::<bevy_ecs::schedule::Schedules>();

        let mut rngs = RngStreams::new(seed);
        let mut grid = Grid::new(scenario.grid.width, scenario.grid.height, scenario.grid.topology);
        if let Some(map) = &params.map {
            for (i, terrain) in map.terrain.iter().enumerate() {
                if *terrain == Terrain::Water {
                    grid.set_water(grid.position(i));
                }
            }
        }
        let mut roster = Roster::default();
        populate(&mut world, &params, &mut grid, &mut roster, &mut rngs);
        let mut conflict = Conflict::new(&params);
        if !params.scenario.factions.is_empty() {
            place_fighters(&mut world, &params, &mut conflict, &mut grid, &mut roster, &mut rngs);
        }
        world.insert_resource(conflict);

        world.insert_resource(FoodState::new(&params, &grid));
        world.insert_resource(params);
        world.insert_resource(rngs);
        world.insert_resource(grid);
        world.insert_resource(roster);

        let tick_schedule = tick_schedule(true);

        // Scheduled events due at tick 0 happen during setup, before the first metrics row.
        let mut setup_schedule = Schedule::default();
        setup_schedule.set_executor(SingleThreadedExecutor::new());
        setup_schedule.add_systems((apply_events, ApplyDeferred, apply_peacekeeping_events).chain());
        setup_peacekeeping(&mut world);
        setup_aid(&mut world);
        setup_schedule.run(&mut world);

        let mut metrics_schedule = Schedule::default();
        metrics_schedule.set_executor(SingleThreadedExecutor::new());
        metrics_schedule.add_systems(record_metrics);
        metrics_schedule.run(&mut world);

        Ok(Simulation { world, tick_schedule, metrics_schedule, seed, scenario: scenario.clone() })
    }

    /// Advances one tick.
    pub fn step(&mut self) {
        self.world.resource_mut::<EventLog>().events.clear();
        self.world.resource_mut::<Tally>().start_tick();
        self.world.resource_mut::<Conflict>().start_tick();
        self.world.resource_mut::<Peacekeeping>().start_tick();
        self.world.resource_mut::<AidState>().start_tick();
        self.world.resource_mut::<Clock>().tick += 1;
        self.tick_schedule.run(&mut self.world);
    }

    /// Applies a what-if inject on top of the run from here on: its events and schedule entries join the
    /// scenario's as if they had been in the file. Its entries must fall after the current tick (checked by
    /// [`peacesim_scenario::inject::load_inject`], which also marks its events so that they draw from
    /// [`Stream::Inject`](crate::Stream::Inject)); an entry at or before the current tick is an error.
    pub fn inject(&mut self, inject: &peacesim_scenario::inject::Inject) -> Result<(), SimError> {
        let now = self.tick();
        if let Some(first) = inject.first_tick()
            && first <= now
        {
            return Err(SimError::InvalidInject(format!(
                "the inject starts at tick {first}, not after the current tick {now}"
            )));
        }
        let mut params = self.world.resource_mut::<Params>();
        params.scenario.events.extend(inject.events.iter().cloned());
        params.scenario.schedule.extend(inject.schedule.iter().cloned());
        let timeline = Timeline::new(&params.scenario);
        self.world.insert_resource(timeline);
        Ok(())
    }

    /// Advances `ticks` ticks.
    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.step();
        }
    }

    /// Ticks completed (0 right after construction).
    pub fn tick(&self) -> u64 {
        self.world.resource::<Clock>().tick
    }

    /// The seed the run was built with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Metric column names, fixed for the run.
    pub fn metric_names(&self) -> &[String] {
        &self.world.resource::<Metrics>().names
    }

    /// Each metric's kind (per tick, state or running total), aligned with [`Simulation::metric_names`].
    pub fn metric_kinds(&self) -> &[crate::metrics::MetricKind] {
        &self.world.resource::<Metrics>().kinds
    }

    /// The latest tick's metrics, aligned with [`Simulation::metric_names`].
    pub fn metrics(&self) -> &[f64] {
        &self.world.resource::<Metrics>().values
    }

    /// One metric of the latest tick by name.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.world.resource::<Metrics>().get(name)
    }

    /// Events of the latest tick, in the order they happened.
    pub fn events(&self) -> &[Event] {
        &self.world.resource::<EventLog>().events
    }

    /// Turns event recording on or off (throughput benchmarks switch it off).
    pub fn set_event_recording(&mut self, enabled: bool) {
        self.world.resource_mut::<EventLog>().enabled = enabled;
    }

    /// The live parameters (the scenario as the schedule has changed it so far).
    pub fn params(&self) -> &Scenario {
        &self.world.resource::<Params>().scenario
    }

    /// The map as it stands now: control, occupants, units, convoys and this tick's incidents.
    pub fn frame(&self) -> crate::frames::Frame {
        crate::frames::frame(&self.world, self.tick())
    }

    /// Read-only access to the ECS world, for inspection by tests and tools (replays, frames).
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Mutable access to the ECS world, for the core's own tests.
    #[cfg(test)]
    pub(crate) fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// Number of citizens, force members and fighters (the agents that act each tick).
    pub fn agent_count(&self) -> usize {
        let roster = self.world.resource::<Roster>();
        roster.citizens.len() + roster.members.len() + roster.fighters.len()
    }

    /// Number of civilian agents (citizens, free, jailed or displaced).
    pub fn civilian_count(&self) -> usize {
        self.world.resource::<Roster>().citizens.len()
    }

    /// Recomputes the metrics row from the current state (used after setup; exposed for tools that edit state).
    pub fn refresh_metrics(&mut self) {
        self.metrics_schedule.run(&mut self.world);
    }

    /// A checkpoint of the run as it stands between two ticks: the whole world (every entity with every
    /// component, every resource, the live parameters) and every random stream, in the versioned format of
    /// [`crate::checkpoint`]. [`Simulation::restore`] continues the run from it exactly as this run would
    /// continue; a snapshot of the restored run is these same bytes.
    ///
    /// # Panics
    /// Only if the live scenario cannot be written as TOML, which a scenario that validates always can.
    pub fn snapshot(&self) -> Vec<u8> {
        crate::checkpoint::write(&self.world, self.seed, &self.scenario)
    }

    /// Rebuilds a run from a checkpoint [`Simulation::snapshot`] wrote: builds the simulation of `scenario`
    /// with the checkpoint's seed (so the schedule of systems and what setup derives from the map exist),
    /// then replaces its state wholesale with the checkpoint's. `scenario` must be the one the run was
    /// built from (same [`Scenario::fingerprint`]).
    ///
    /// Never panics, whatever the bytes: a checkpoint that is not one, of another format version, truncated,
    /// corrupted (checksum), of another scenario or whose payload does not decode or fit the scenario is a
    /// [`CheckpointError`](crate::CheckpointError) saying so.
    pub fn restore(scenario: &Scenario, bytes: &[u8]) -> Result<Simulation, crate::CheckpointError> {
        let (header, payload) = crate::checkpoint::read_header(bytes)?;
        let fingerprint = scenario.fingerprint();
        if header.fingerprint != fingerprint {
            return Err(crate::CheckpointError::ScenarioMismatch {
                checkpoint_scenario: header.scenario,
                checkpoint_fingerprint: header.fingerprint,
                scenario: scenario.name.clone(),
                fingerprint,
            });
        }
        let payload = crate::checkpoint::decode(&header, payload)?;
        let mut sim = Simulation::new(scenario, header.seed)?;
        crate::checkpoint::apply(&mut sim.world, payload)?;
        Ok(sim)
    }

    /// A 64-bit hash of the sorted agent state (id, kind, cell, state, jail term, age, attributes) and the
    /// tick. Equal hashes at every tick are how tests and replays check determinism.
    pub fn state_hash(&mut self) -> u64 {
        let mut h = StateHasher::default();
        h.word(self.tick());
        let roster = self.world.resource::<Roster>();
        for ((&e, c), &age) in roster.citizens.iter().zip(&roster.records).zip(&roster.ages) {
            let entity = self.world.entity(e);
            let Some(id) = entity.get::<AgentId>() else { continue };
            if c.state.is_gone() {
                continue;
            }
            let pos = c.home;
            h.word(u64::from(id.0) << 8 | u64::from(c.group));
            h.word(u64::from(pos.x) << 48 | u64::from(pos.y) << 32 | u64::from(c.state.code()) << 24);
            h.word(u64::from(c.jail_left) << 32 | u64::from(age));
            h.word(c.hardship.to_bits());
            h.word(c.risk_aversion.to_bits());
            if c.displaced {
                h.word(1 << 62 | u64::from(c.origin.x) << 16 | u64::from(c.origin.y));
            }
        }
        for &e in &roster.members {
            let entity = self.world.entity(e);
            let (Some(id), Some(pos), Some(m)) =
                (entity.get::<AgentId>(), entity.get::<Position>(), entity.get::<ForceMember>())
            else {
                continue;
            };
            h.word(1 << 63 | u64::from(id.0) << 8 | u64::from(m.force));
            h.word(u64::from(pos.x) << 48 | u64::from(pos.y) << 32);
        }
        for &e in &roster.fighters {
            let entity = self.world.entity(e);
            let (Some(id), Some(pos), Some(f)) =
                (entity.get::<AgentId>(), entity.get::<Position>(), entity.get::<Fighter>())
            else {
                continue;
            };
            if f.alive {
                h.word(3 << 62 | u64::from(id.0) << 8 | u64::from(f.faction));
                h.word(u64::from(pos.x) << 48 | u64::from(pos.y) << 32);
            }
        }
        let units = self.world.resource::<Peacekeeping>().units.clone();
        for e in units {
            let entity = self.world.entity(e);
            let (Some(id), Some(pos), Some(u)) =
                (entity.get::<AgentId>(), entity.get::<Position>(), entity.get::<Unit>())
            else {
                continue;
            };
            h.word(5 << 61 | u64::from(id.0) << 16 | u64::from(u.contingent) << 8 | u64::from(u.sector));
            h.word(u64::from(pos.x) << 48 | u64::from(pos.y) << 32 | u64::from(u.strength));
        }
        let convoys = self.world.resource::<AidState>().convoys.clone();
        for e in convoys {
            let entity = self.world.entity(e);
            let (Some(pos), Some(c)) = (entity.get::<Position>(), entity.get::<Convoy>()) else { continue };
            h.word(3 << 60 | u64::from(c.id) << 16 | u64::from(c.agency) << 8);
            h.word(u64::from(pos.x) << 48 | u64::from(pos.y) << 32 | u64::from(c.crew) << 16 | u64::from(c.district));
            h.word(c.cargo.to_bits());
        }
        h.finish()
    }
}

/// FNV-1a over 64-bit words: stable across platforms and releases.
#[derive(Debug)]
struct StateHasher(u64);

impl Default for StateHasher {
    fn default() -> Self {
        StateHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl StateHasher {
    fn word(&mut self, w: u64) {
        for b in w.to_le_bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Draws one attribute value in [0, 1].
fn draw(d: &Distribution, rng: &mut ChaCha8Rng) -> f64 {
    match d.kind {
        DistributionKind::Uniform => {
            let (low, high) = (d.low.unwrap_or(0.0), d.high.unwrap_or(1.0));
            low + (high - low) * rng.random::<f64>()
        }
        DistributionKind::Constant => d.value.unwrap_or(0.0),
        DistributionKind::Normal => {
            // Box-Muller from two uniforms; 1 - u keeps the logarithm finite.
            let (u1, u2): (f64, f64) = (rng.random(), rng.random());
            let z = (-2.0 * libm::log(1.0 - u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2);
            (d.mean.unwrap_or(0.5) + d.sd.unwrap_or(0.0) * z).clamp(0.0, 1.0)
        }
    }
}

/// What goes on one cell at setup.
#[derive(Clone, Copy)]
enum Slot {
    Citizen(u8),
    Member(u8),
}

/// Places the initial populations and forces; agent ids follow placement order.
fn populate(world: &mut World, params: &Params, grid: &mut Grid, roster: &mut Roster, rngs: &mut RngStreams) {
    let scenario = &params.scenario;
    let cells = grid.cells();
    let mut placements: Vec<(usize, Slot)> = Vec::new();
    match scenario.grid.placement {
        Placement::ExactCount => {
            let mut slots = Vec::new();
            for (g, p) in scenario.populations.values().enumerate() {
                slots.extend(std::iter::repeat_n(Slot::Citizen(g as u8), p.initial_count(params.cells) as usize));
            }
            for (f, force) in scenario.forces.values().enumerate() {
                slots.extend(std::iter::repeat_n(Slot::Member(f as u8), force.target_count(params.cells) as usize));
            }
            // Partial Fisher-Yates: the first slots.len() entries become distinct uniform random cells.
            let mut cell_ids: Vec<usize> = (0..cells).filter(|&i| grid.is_empty(grid.position(i))).collect();
            let land = cell_ids.len();
            let rng = rngs.get(Stream::Setup);
            for (i, slot) in slots.into_iter().enumerate().take(land) {
                let j = rng.random_range(i..land);
                cell_ids.swap(i, j);
                placements.push((cell_ids[i], slot));
            }
        }
        Placement::PerCell => {
            let mut thresholds: Vec<(f64, Slot)> = Vec::new();
            let mut acc = 0.0;
            for (g, p) in scenario.populations.values().enumerate() {
                acc += p.density.unwrap_or(0.0);
                thresholds.push((acc, Slot::Citizen(g as u8)));
            }
            for (f, force) in scenario.forces.values().enumerate() {
                acc += force.density.unwrap_or(0.0);
                thresholds.push((acc, Slot::Member(f as u8)));
            }
            let rng = rngs.get(Stream::Setup);
            for cell in (0..cells).filter(|&i| grid.is_empty(grid.position(i))) {
                let u: f64 = rng.random();
                if let Some(&(_, slot)) = thresholds.iter().find(|(t, _)| u < *t) {
                    placements.push((cell, slot));
                }
            }
        }
    }

    // Agent ids follow placement order. Citizens and members are spawned as two batches, which reserve the
    // tables' exact sizes (spawned one by one, the tables grow by doubling); the draws are those of placement
    // order either way, since members draw nothing.
    let first_id = roster.allocate_ids(placements.len() as u32);
    let populations: Vec<_> = scenario.populations.values().collect();
    let citizen_count = placements.iter().filter(|(_, slot)| matches!(slot, Slot::Citizen(_))).count();
    // The citizens' states first (their draws, in placement order), then their entities.
    let (mut records, mut ages) = (Vec::with_capacity(citizen_count), Vec::with_capacity(citizen_count));
    crate::memory::advise_huge_pages(&records);
    records.extend(placements.iter().filter_map(|&(cell, slot)| match slot {
        Slot::Citizen(g) => {
            let p = populations[g as usize];
            let rng = rngs.get(Stream::Setup);
            let hardship = draw(&p.hardship, rng);
            let risk_aversion = draw(&p.risk_aversion, rng);
            let age = match &scenario.demography {
                Some(d) => rngs.get(Stream::Demography).random_range(0..d.max_age),
                None => 0,
            };
            ages.push(age);
            Some(Citizen::new(g, hardship, risk_aversion, grid.position(cell)))
        }
        Slot::Member(_) => None,
    }));
    let ids = placements.iter().enumerate().filter(|(_, (_, slot))| matches!(slot, Slot::Citizen(_)));
    let bundles = ids.map(|(i, _)| (AgentId(first_id + i as u32), Civilian));
    let mut entities = Vec::with_capacity(citizen_count);
    crate::memory::advise_huge_pages(&entities);
    entities.extend(world.spawn_batch(bundles));
    roster.set_citizens(entities, records, ages);
    let members = placements.iter().enumerate().filter_map(|(i, &(cell, slot))| match slot {
        Slot::Member(f) => Some((AgentId(first_id + i as u32), grid.position(cell), ForceMember { force: f })),
        Slot::Citizen(_) => None,
    });
    roster.members.reserve_exact(placements.len() - citizen_count);
    roster.members.extend(world.spawn_batch(members.take(placements.len() - citizen_count)));

    let (mut citizens, mut members) = (roster.citizens.iter(), roster.members.iter());
    for &(cell, slot) in &placements {
        let pos = grid.position(cell);
        let (entity, flags) = match slot {
            Slot::Citizen(g) => (citizens.next(), citizen_flags(g, false)),
            Slot::Member(_) => (members.next(), FORCE),
        };
        if let Some(&entity) = entity {
            grid.place(pos, entity, flags);
        }
    }
}

/// The schedule of one tick. With `gated`, each system that often has nothing to do (those of the optional
/// layers; the removal of the dead; the scenario's schedule, events and force resizes) runs only if its run
/// condition holds: the check the system itself makes first, evaluated by the executor just before the system
/// would run, so the system would have seen the same state and done nothing. That saves fetching its
/// parameters (1.9 us of fixed cost per tick becomes 1.1; docs/performance.md).
/// Without `gated` every system runs every tick, as a test compares.
fn tick_schedule(gated: bool) -> Schedule {
    use bevy_ecs::schedule::{IntoScheduleConfigs, ScheduleConfigs, SystemCondition};
    use bevy_ecs::system::ScheduleSystem;
    fn gate<M, C>(
        system: impl IntoScheduleConfigs<ScheduleSystem, M>,
        condition: impl SystemCondition<C>,
        gated: bool,
    ) -> ScheduleConfigs<ScheduleSystem> {
        if gated { system.run_if(condition) } else { system.into_configs() }
    }
    let mut tick_schedule = Schedule::default();
    tick_schedule.set_executor(SingleThreadedExecutor::new());
    tick_schedule.configure_sets(
        (
            TickSet::Schedule,
            TickSet::Environment,
            TickSet::Activation,
            TickSet::Conflict,
            TickSet::Peacekeeping,
            TickSet::Aid,
            TickSet::Demography,
            TickSet::Metrics,
        )
            .chain(),
    );
    tick_schedule.add_systems(
        (
            gate(remove_dead, any_died, gated),
            gate(remove_fighters, has_fighters, gated),
            gate(remove_units, has_units, gated),
            gate(apply_schedule, changes_due, gated),
            gate(apply_events, events_due, gated),
            gate(reconcile_forces, forces_resized, gated),
            ApplyDeferred,
            gate(apply_peacekeeping_events, peacekeeping_on, gated),
        )
            .chain()
            .in_set(TickSet::Schedule),
    );
    tick_schedule.add_systems(
        (
            gate(update_food, food_on, gated),
            gate(update_conflict, conflict_on, gated),
            gate(update_peacekeeping, peacekeeping_on, gated),
        )
            .chain()
            .in_set(TickSet::Environment),
    );
    tick_schedule.add_systems(activate_agents.in_set(TickSet::Activation));
    tick_schedule
        .add_systems((gate(fighters_act, has_fighters, gated), ApplyDeferred).chain().in_set(TickSet::Conflict));
    tick_schedule.add_systems(
        (gate(peacekeepers_act, peacekeeping_on, gated), ApplyDeferred).chain().in_set(TickSet::Peacekeeping),
    );
    tick_schedule.add_systems((gate(aid_act, aid_on, gated), ApplyDeferred).chain().in_set(TickSet::Aid));
    tick_schedule.add_systems(
        (gate(age_and_reproduce, demography_on, gated), ApplyDeferred).chain().in_set(TickSet::Demography),
    );
    tick_schedule.add_systems(record_metrics.in_set(TickSet::Metrics));
    tick_schedule
}

/// Run condition of [`apply_schedule`]: a change of the scenario's schedule is due this tick.
fn changes_due(timeline: Res<Timeline>, clock: Res<Clock>) -> bool {
    timeline.due(clock.tick).next().is_some()
}

/// Run condition of [`apply_events`]: a scenario event is due this tick.
fn events_due(params: Res<Params>, clock: Res<Clock>) -> bool {
    params.scenario.events.iter().any(|e| e.tick == clock.tick)
}

/// Run condition of [`reconcile_forces`]: the schedule resized a force.
fn forces_resized(resize: Res<ForceResize>) -> bool {
    !resize.pending.is_empty()
}

/// Run condition of [`remove_dead`]: someone died, was killed or was removed last tick.
fn any_died(tally: Res<Tally>) -> bool {
    tally.any_died
}

/// Run condition of the fighters' systems: any fighter is on the roster.
fn has_fighters(roster: Res<Roster>) -> bool {
    !roster.fighters.is_empty()
}

/// Run condition of [`remove_units`]: any unit entity exists.
fn has_units(units: Query<(), With<Unit>>) -> bool {
    !units.is_empty()
}

/// Run condition of the peacekeeping systems: a mission is on.
fn peacekeeping_on(pk: Option<Res<Peacekeeping>>) -> bool {
    pk.is_some_and(|pk| pk.enabled)
}

/// Run condition of [`update_food`]: the scenario models food.
fn food_on(params: Res<Params>) -> bool {
    params.scenario.food.is_some()
}

/// Run condition of [`update_conflict`]: the conflict layer is on.
fn conflict_on(conflict: Res<Conflict>) -> bool {
    conflict.enabled
}

/// Run condition of [`aid_act`]: humanitarian aid is on.
fn aid_on(aid: Res<AidState>) -> bool {
    aid.enabled
}

/// Run condition of [`age_and_reproduce`]: the scenario has demography.
fn demography_on(params: Res<Params>) -> bool {
    params.scenario.demography.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_ecs::resource::IsResource;

    /// The run conditions skip only what their systems would skip: every bundled scenario (each optional layer
    /// on in at least one) gives the same state, metrics and events every tick with every system run
    /// unconditionally.
    #[test]
    fn run_conditions_skip_nothing_that_would_run() {
        for b in peacesim_scenario::bundled::all() {
            let s =
                peacesim_scenario::parse_scenario(b.text, b.path, &[]).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            let mut gated = Simulation::new(&s, 7).unwrap_or_else(|e| panic!("{e}"));
            let mut every = Simulation::new(&s, 7).unwrap_or_else(|e| panic!("{e}"));
            every.tick_schedule = tick_schedule(false);
            for _ in 0..60 {
                gated.step();
                every.step();
                let tick = gated.tick();
                assert_eq!(gated.state_hash(), every.state_hash(), "{} tick {tick}: state", b.name);
                assert_eq!(gated.metrics(), every.metrics(), "{} tick {tick}: metrics", b.name);
                assert_eq!(gated.events(), every.events(), "{} tick {tick}: events", b.name);
            }
        }
    }

    /// Every resource lives on an entity with a lower index than any agent's. bevy_ecs keeps a resource in a
    /// sparse set whose index array is as long as its entity's index: a resource inserted after the agents
    /// would cost 4 bytes per agent (`Simulation::new` inserts them all first).
    #[test]
    fn resources_come_before_agents() {
        for name in ["epstein-run2", "haiti-minustah"] {
            let b = peacesim_scenario::bundled::find(name).unwrap_or_else(|| panic!("no bundled scenario {name}"));
            let s = peacesim_scenario::parse_scenario(b.text, b.path, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut sim = Simulation::new(&s, 1).unwrap_or_else(|e| panic!("{e}"));
            sim.run(3);
            let world = sim.world_mut();
            let resources: Vec<u32> =
                world.iter_entities().filter(|r| r.contains::<IsResource>()).map(|r| r.id().index_u32()).collect();
            let roster = world.resource::<Roster>();
            let first_agent = roster.citizens.iter().chain(&roster.members).map(|e| e.index_u32()).min();
            assert!(resources.len() >= 16, "{name}: {} resources", resources.len());
            assert!(
                resources.iter().all(|&r| first_agent.is_some_and(|a| r < a)),
                "{name}: resource entities {resources:?}, first agent {first_agent:?}"
            );
        }
    }
}
