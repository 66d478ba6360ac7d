//! Resources shared by every concept: the clock, live parameters, the roster of agents in stable id order,
//! and per-tick tallies.

use crate::grid::Neighbourhood;
use bevy_ecs::prelude::*;
use peacesim_scenario::Scenario;

/// A stable agent id: assigned in creation order, never reused. Order-sensitive work iterates agents by it.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(pub u32);

/// The current tick (0 after setup).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct Clock {
    /// Ticks completed.
    pub tick: u64,
}

/// Live parameters: the scenario as the schedule has changed it so far, plus what is derived from it.
#[derive(Resource, Debug, Clone)]
pub struct Params {
    /// Current values of every scenario parameter.
    pub scenario: Scenario,
    /// Population names, in group-index order.
    pub groups: Vec<String>,
    /// Force names, in force-index order.
    pub forces: Vec<String>,
    /// Vision per population.
    pub citizen_vision: Vec<Neighbourhood>,
    /// Whether each population moves.
    pub citizen_movement: Vec<bool>,
    /// Vision per force.
    pub force_vision: Vec<Neighbourhood>,
    /// Whether each force moves.
    pub force_movement: Vec<bool>,
    /// Faction names, in faction-index order.
    pub factions: Vec<String>,
    /// Vision per faction.
    pub faction_vision: Vec<Neighbourhood>,
    /// Where one flight may go (Moore, `displacement.flee_radius`), with displacement on.
    pub flee_vision: Option<Neighbourhood>,
    /// Land cells on the grid (all cells less the map's water): what densities refer to.
    pub cells: u64,
    /// The map, resolved per cell, if the scenario draws one.
    pub map: Option<peacesim_scenario::map::ResolvedMap>,
    /// P = 1 - exp(-k n) for whole-number ratios n = 0, 1, ...: the floor and round-half-even rules only
    /// produce these, so the exponential is computed once per value of k (same bits as computing it each time).
    pub probability_by_ratio: Vec<f64>,
}

impl Params {
    /// Derives the live parameters from a scenario.
    pub fn new(scenario: &Scenario) -> Self {
        // Resolve the map once; land cells (what densities refer to) follow from it.
        let map = scenario.map.as_ref().and_then(|m| m.resolve(scenario.grid.width, scenario.grid.height).ok());
        let all_cells = u64::from(scenario.grid.width) * u64::from(scenario.grid.height);
        Params {
            groups: scenario.populations.keys().cloned().collect(),
            forces: scenario.forces.keys().cloned().collect(),
            citizen_vision: scenario.populations.values().map(|p| Neighbourhood::new(&p.vision)).collect(),
            citizen_movement: scenario.populations.values().map(|p| p.movement).collect(),
            force_vision: scenario.forces.values().map(|f| Neighbourhood::new(&f.vision)).collect(),
            force_movement: scenario.forces.values().map(|f| f.movement).collect(),
            factions: scenario.factions.keys().cloned().collect(),
            faction_vision: scenario.factions.values().map(|f| Neighbourhood::new(&f.vision)).collect(),
            flee_vision: scenario.displacement.as_ref().map(|d| {
                Neighbourhood::new(&peacesim_scenario::Vision {
                    shape: peacesim_scenario::Shape::Moore,
                    radius: f64::from(d.flee_radius),
                })
            }),
            cells: map.as_ref().map_or(all_cells, |m| m.land_cells()),
            map,
            probability_by_ratio: probability_table(scenario.rules.arrest_constant),
            scenario: scenario.clone(),
        }
    }

    /// Recomputes what depends on runtime parameters after the schedule changed them.
    pub fn refresh(&mut self) {
        self.probability_by_ratio = probability_table(self.scenario.rules.arrest_constant);
    }

    /// The arrest probability for a ratio, from the table when the ratio is a small whole number.
    #[inline]
    pub fn arrest_probability(&self, ratio: f64) -> f64 {
        let n = ratio as usize;
        if n as f64 == ratio && n < self.probability_by_ratio.len() {
            self.probability_by_ratio[n]
        } else {
            crate::civilians::arrest_probability(self.scenario.rules.arrest_constant, ratio)
        }
    }
}

fn probability_table(k: f64) -> Vec<f64> {
    (0..64u32).map(|n| crate::civilians::arrest_probability(k, f64::from(n))).collect()
}

/// Every agent entity in stable id order (appended at creation, removed after death), plus scratch space
/// reused every tick so that activation allocates nothing.
#[derive(Resource, Debug, Default, Clone)]
pub struct Roster {
    /// Citizens, in id order.
    pub citizens: Vec<Entity>,
    /// Force members, in id order.
    pub members: Vec<Entity>,
    /// Fighters of the factions, in the order they joined (a recruit keeps the id it had as a citizen).
    pub fighters: Vec<Entity>,
    /// The next id to hand out.
    pub next_id: u32,
    /// The activation pass's dense copies of agent state and its order, reused every tick.
    pub(crate) scratch: crate::activation::ActivationScratch,
}

impl Roster {
    /// Hands out the next stable id.
    pub fn allocate_id(&mut self) -> AgentId {
        let id = AgentId(self.next_id);
        self.next_id += 1;
        id
    }
}

/// Counts of things that happened, per tick and cumulative.
#[derive(Resource, Debug, Default, Clone)]
pub struct Tally {
    /// Arrests this tick.
    pub arrests: u64,
    /// Releases this tick.
    pub releases: u64,
    /// Quiescent-to-active transitions this tick.
    pub activations: u64,
    /// Kills this tick.
    pub kills: u64,
    /// Births this tick.
    pub births: u64,
    /// Deaths of age this tick.
    pub deaths: u64,
    /// Citizens killed, cumulative, per group.
    pub killed: Vec<u64>,
    /// Citizens who left the population this tick other than by Model II kills and old age (killed in the
    /// conflict, recruited, killed by a disaster).
    pub removed: u64,
    /// Whether anyone died in the last tick (so the dead must be removed).
    pub any_died: bool,
}

impl Tally {
    /// Resets the per-tick counts.
    pub fn start_tick(&mut self) {
        self.any_died = self.deaths > 0 || self.kills > 0 || self.removed > 0;
        self.removed = 0;
        self.kills = 0;
        self.arrests = 0;
        self.releases = 0;
        self.activations = 0;
        self.births = 0;
        self.deaths = 0;
    }
}
