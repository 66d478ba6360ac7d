//! The conflict layer: armed factions and their fighters, territory, recent violence, district legitimacy
//! and crowding, and political instability.
//!
//! Everything here is inert unless the scenario has factions, a `[conflict]` table or `[displacement]`
//! ([`Conflict::enabled`]), so the classic Epstein scenarios run exactly as before.

use crate::activation::arrest_one;
use crate::civilians::{Citizen, CitizenState, Civilian, LIFE_SENTENCE, grievance};
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::grid::{
    FORCE, GROUP_MASK, GROUP_SHIFT, Grid, JAILED, Neighbourhood, OCCUPIED, Position, WATER, citizen_flags,
    fighter_flags,
};
use crate::peacekeeping::{Attack, IncidentKind, Peacekeeping, interposes, protected};
use crate::rng::{RngStreams, Stream};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::entity::Entities;
use bevy_ecs::prelude::*;
use peacesim_scenario::FactionKind;
use peacesim_scenario::conflict::ConflictRules;
use peacesim_scenario::map::Terrain;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// No faction controls the cell.
pub const UNCONTROLLED: u8 = u8::MAX;

/// A fighter of a faction. The person behind it keeps the attributes it had as a civilian, so that a
/// deserter goes back to civilian life as who it was.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Fighter {
    /// Index of its faction, in the scenario's sorted faction order.
    pub faction: u8,
    /// Population it came from (0 for fighters present from the start).
    pub group: u8,
    /// Hardship it had as a civilian.
    pub hardship: f64,
    /// Risk aversion it had as a civilian.
    pub risk_aversion: f64,
    /// False once killed or deserted; removed at the start of the next tick.
    pub alive: bool,
}

/// The live state of one faction.
#[derive(Debug, Clone, PartialEq)]
pub struct FactionState {
    /// Its name.
    pub name: String,
    /// Its kind now (a coup changes who is the government).
    pub kind: FactionKind,
    /// Cohesion in [0, 1].
    pub cohesion: f64,
    /// Resources (abstract units).
    pub resources: f64,
    /// Fighters alive.
    pub fighters: u32,
    /// Cells it controls.
    pub territory: u64,
    /// The faction that takes a share when it splits.
    pub splinter: Option<u8>,
    /// Steps (8-neighbour) from each cell to the nearest cell of its target districts; empty without targets.
    pub distance: Vec<u16>,
}

/// A ceasefire between two factions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceasefire {
    /// One faction.
    pub a: u8,
    /// The other.
    pub b: u8,
    /// Tick at which it expires (`u64::MAX`: never).
    pub until: u64,
    /// Probability per tick that it breaks.
    pub hazard: f64,
    /// Added to the hazard by violations nobody detected.
    pub pressure: f64,
}

/// Counts of one tick (reset when the next starts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConflictTally {
    /// Civilians killed by fighters, by the perpetrator's kind (government, insurgent, militia, gang).
    pub civilian_deaths: [u64; 4],
    /// Civilians killed by disasters (earthquakes).
    pub disaster_deaths: u64,
    /// Fighters killed in combat, per faction.
    pub combatant_deaths: Vec<u64>,
    /// Civilians recruited into factions.
    pub recruits: u64,
    /// Fighters who deserted back to civilian life.
    pub desertions: u64,
    /// Fighters who changed faction (defections and splits).
    pub allegiance_shifts: u64,
    /// Fighters who arrived as reinforcements.
    pub reinforcements: u64,
    /// Civilians who fled their homes.
    pub flights: u64,
    /// Displaced civilians who went home.
    pub returns: u64,
    /// Civilians killed by government fighters, per district (abuses, which lower legitimacy there).
    pub abuses: Vec<u32>,
    /// Ceasefire violations.
    pub violations: u64,
}

/// The conflict layer's state.
#[derive(Resource, Debug, Clone, Default)]
pub struct Conflict {
    /// Whether the layer is on at all.
    pub enabled: bool,
    /// Grid width, for cell indices.
    pub width: usize,
    /// Grid height.
    pub height: usize,
    /// Factions, in index order.
    pub factions: Vec<FactionState>,
    /// Relation of faction a to b at `a * n + b`, in [-1, 1].
    pub relation: Vec<f64>,
    /// Ceasefires in force.
    pub ceasefires: Vec<Ceasefire>,
    /// Per faction, a bit mask of the factions it fights (relation below 0 and no ceasefire).
    pub hostile: [u8; 8],
    /// Per faction, a bit mask of the hostile factions it has a ceasefire with.
    pub truce: [u8; 8],
    /// The government faction, if any.
    pub government: Option<u8>,
    /// Controlling faction per cell ([`UNCONTROLLED`] for none).
    pub control: Vec<u8>,
    /// District per cell (`u16::MAX` on water).
    pub district_of_cell: Vec<u16>,
    /// Terrain per cell.
    pub terrain: Vec<Terrain>,
    /// Land cells per district.
    pub district_cells: Vec<u32>,
    /// Cells controlled per district and faction, at `d * n + f`.
    pub district_control: Vec<u32>,
    /// Contestation per district in [0, 1]: 1 - sum of squared control shares (0 where one faction holds
    /// every controlled cell or nobody holds any).
    pub contest: Vec<f64>,
    /// Recent violence per cell: each killing adds 1 to every cell within `violence_radius`, and a share
    /// `violence_decay` fades each tick.
    pub heat: Vec<f32>,
    /// Cumulative violence per cell (the same deposits, never fading).
    pub violence_total: Vec<f32>,
    /// Sum of `heat` over all cells (recomputed when it fades, plus this tick's deposits).
    pub heat_sum: f64,
    /// Legitimacy offset per district (abuses lower it, services raise it), added to `rules.legitimacy`.
    pub legitimacy_offset: Vec<f64>,
    /// Households each district can sustain.
    pub capacity: Vec<f64>,
    /// Overcrowding per district: max(0, residents / capacity - 1).
    pub crowding: Vec<f64>,
    /// Residents per district this tick (scratch).
    pub residents: Vec<u64>,
    /// Whether each cell is a camp.
    pub camp: Vec<bool>,
    /// Steps from each cell to the nearest camp (0 everywhere when there are no camps).
    pub camp_distance: Vec<u16>,
    /// This tick's counts.
    pub tally: ConflictTally,
    /// Last tick's abuses per district, which move legitimacy this tick.
    pub(crate) last_abuses: Vec<u32>,
    /// Weight of recent violence in hardship (copied from the rules when the layer is on).
    pub(crate) violence_hardship: f64,
    /// Weight of crowding in hardship.
    pub(crate) crowding_hardship: f64,
    /// Activation order of fighters (scratch).
    pub(crate) order: Vec<Entity>,
}

/// What a citizen's hardship, grievance and metrics take from its district alone, computed once per district
/// (see [`Conflict::district_terms`]) with the same operations, in the same order, as per citizen.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DistrictTerms {
    /// Whether food insecurity adds to hardship here ([`FoodState::hardship_in`] returns hardship unchanged
    /// otherwise).
    fed: bool,
    /// What food insecurity adds to hardship, before the cap at 1.
    food: f64,
    /// What crowding adds to hardship ([`Conflict::hardship_in`]).
    crowding: f64,
    /// 1 - legitimacy, as `grievance` computes it.
    pub(crate) keep: f64,
    /// Legitimacy in 32-bit fixed point, as the metrics' sum takes it.
    pub(crate) fixed_legitimacy: u64,
    /// Whether the district is food-insecure.
    pub(crate) insecure: bool,
}

impl Conflict {
    /// Sets up the layer from the live parameters; fighters are placed separately.
    pub fn new(params: &Params) -> Self {
        let scenario = &params.scenario;
        let (Some(map), true) = (&params.map, scenario.has_conflict()) else { return Conflict::default() };
        let rules = scenario.conflict.clone().unwrap_or_default();
        let n = scenario.factions.len();
        let districts = map.districts.len();
        let cells = map.terrain.len();
        let width = scenario.grid.width as usize;
        let height = scenario.grid.height as usize;
        let district_of_cell: Vec<u16> = map.district.iter().map(|d| d.unwrap_or(u16::MAX)).collect();
        let mut district_cells = vec![0u32; districts];
        let mut capacity = vec![0.0; districts];
        for (i, &d) in district_of_cell.iter().enumerate() {
            if d != u16::MAX {
                district_cells[d as usize] += 1;
                capacity[d as usize] += map.capacity[i];
            }
        }
        let names: Vec<&String> = scenario.factions.keys().collect();
        let index_of = |name: &str| names.iter().position(|n| *n == name).map(|i| i as u8);
        let district_index = |name: &str| map.districts.iter().position(|d| d == name);
        let mut control = vec![UNCONTROLLED; cells];
        let mut factions = Vec::with_capacity(n);
        for (f, (name, spec)) in scenario.factions.iter().enumerate() {
            for district in spec.territory.iter().filter_map(|d| district_index(d)) {
                for (cell, &d) in district_of_cell.iter().enumerate() {
                    if d as usize == district && control[cell] == UNCONTROLLED {
                        control[cell] = f as u8;
                    }
                }
            }
            let targets: Vec<usize> = spec
                .targets
                .iter()
                .filter_map(|d| district_index(d))
                .flat_map(|district| {
                    district_of_cell.iter().enumerate().filter(move |(_, dd)| **dd as usize == district).map(|(i, _)| i)
                })
                .collect();
            let distance =
                if targets.is_empty() { Vec::new() } else { distance_field(&map.terrain, width, height, &targets) };
            factions.push(FactionState {
                name: name.clone(),
                kind: spec.kind,
                cohesion: spec.cohesion,
                resources: spec.resources,
                fighters: 0,
                territory: 0,
                splinter: spec.splinter.as_deref().and_then(index_of),
                distance,
            });
        }
        let mut relation = vec![-1.0; n * n];
        for f in 0..n {
            relation[f * n + f] = 1.0;
        }
        for r in &scenario.relations {
            if let (Some(a), Some(b)) = (index_of(&r.factions[0]), index_of(&r.factions[1])) {
                relation[a as usize * n + b as usize] = r.value;
                relation[b as usize * n + a as usize] = r.value;
            }
        }
        let camps: Vec<usize> = map.camp.iter().enumerate().filter(|(_, c)| **c).map(|(i, _)| i).collect();
        let camp_distance =
            if camps.is_empty() { vec![0; cells] } else { distance_field(&map.terrain, width, height, &camps) };
        let mut conflict = Conflict {
            enabled: true,
            width,
            height,
            government: factions.iter().position(|f| f.kind == FactionKind::Government).map(|g| g as u8),
            factions,
            relation,
            ceasefires: Vec::new(),
            hostile: [0; 8],
            truce: [0; 8],
            control,
            terrain: map.terrain.clone(),
            district_control: vec![0; districts * n],
            contest: vec![0.0; districts],
            district_cells,
            heat: vec![0.0; cells],
            violence_total: vec![0.0; cells],
            heat_sum: 0.0,
            legitimacy_offset: vec![0.0; districts],
            capacity,
            crowding: vec![0.0; districts],
            residents: vec![0; districts],
            camp: map.camp.clone(),
            camp_distance,
            tally: ConflictTally { combatant_deaths: vec![0; n], abuses: vec![0; districts], ..Default::default() },
            violence_hardship: rules.violence_hardship,
            crowding_hardship: rules.crowding_hardship,
            last_abuses: vec![0; districts],
            district_of_cell,
            order: Vec::new(),
        };
        for cell in 0..cells {
            let f = conflict.control[cell];
            if f != UNCONTROLLED {
                conflict.control[cell] = UNCONTROLLED;
                conflict.claim(cell, f);
            }
        }
        conflict.update_hostility();
        conflict.update_contest();
        conflict
    }

    /// Starts a tick: last tick's counts are cleared (abuses kept aside for legitimacy).
    pub fn start_tick(&mut self) {
        if !self.enabled {
            return;
        }
        std::mem::swap(&mut self.last_abuses, &mut self.tally.abuses);
        self.tally.abuses.iter_mut().for_each(|a| *a = 0);
        self.tally.combatant_deaths.iter_mut().for_each(|d| *d = 0);
        self.tally.civilian_deaths = [0; 4];
        let t = &mut self.tally;
        (t.disaster_deaths, t.recruits, t.desertions, t.allegiance_shifts) = (0, 0, 0, 0);
        (t.reinforcements, t.flights, t.returns, t.violations) = (0, 0, 0, 0);
    }

    /// Number of factions.
    pub fn faction_count(&self) -> usize {
        self.factions.len()
    }

    /// Whether faction `a` fights faction `b` now.
    #[inline]
    pub fn is_hostile(&self, a: u8, b: u8) -> bool {
        self.hostile[a as usize] >> b & 1 == 1
    }

    /// Recomputes who fights whom from relations and ceasefires.
    pub fn update_hostility(&mut self) {
        let n = self.factions.len();
        self.hostile = [0; 8];
        self.truce = [0; 8];
        for a in 0..n {
            for b in 0..n {
                let ceasefire = self
                    .ceasefires
                    .iter()
                    .any(|c| (c.a as usize, c.b as usize) == (a, b) || (c.a as usize, c.b as usize) == (b, a));
                if a != b && self.relation[a * n + b] < 0.0 {
                    if ceasefire {
                        self.truce[a] |= 1 << b;
                    } else {
                        self.hostile[a] |= 1 << b;
                    }
                }
            }
        }
    }

    /// Gives control of `cell` to faction `f`.
    #[inline]
    pub fn claim(&mut self, cell: usize, f: u8) {
        let old = self.control[cell];
        if old == f {
            return;
        }
        let n = self.factions.len();
        let d = self.district_of_cell[cell];
        if d == u16::MAX {
            return;
        }
        if old != UNCONTROLLED {
            self.factions[old as usize].territory -= 1;
            self.district_control[d as usize * n + old as usize] -= 1;
        }
        self.control[cell] = f;
        self.factions[f as usize].territory += 1;
        self.district_control[d as usize * n + f as usize] += 1;
    }

    /// Recomputes each district's contestation from control counts.
    pub fn update_contest(&mut self) {
        let n = self.factions.len();
        for (d, contest) in self.contest.iter_mut().enumerate() {
            let counts = &self.district_control[d * n..(d + 1) * n];
            let total: u32 = counts.iter().sum();
            *contest = if total == 0 {
                0.0
            } else {
                let t = f64::from(total);
                1.0 - counts.iter().map(|&c| (f64::from(c) / t).powi(2)).sum::<f64>()
            };
        }
    }

    /// Records a killing at `cell`: recent and cumulative violence rise on the land cells within `radius`.
    pub fn deposit(&mut self, cell: Position, radius: u32) {
        let r = radius as i32;
        let (cx, cy) = (i32::from(cell.x), i32::from(cell.y));
        for y in (cy - r).max(0)..=(cy + r).min(self.height as i32 - 1) {
            for x in (cx - r).max(0)..=(cx + r).min(self.width as i32 - 1) {
                let i = y as usize * self.width + x as usize;
                if self.district_of_cell[i] == u16::MAX {
                    continue; // water: nobody lives there to feel it
                }
                self.heat[i] += 1.0;
                self.violence_total[i] += 1.0;
                self.heat_sum += 1.0;
            }
        }
    }

    /// Kills `fighter`, standing on `cell`: it leaves the grid and its faction's strength, counts as a
    /// combatant death, and the killing raises recent violence within `radius`. Returns its faction.
    pub(crate) fn kill(&mut self, grid: &mut Grid, fighter: &mut Fighter, cell: Position, radius: u32) -> usize {
        fighter.alive = false;
        let f = fighter.faction as usize;
        grid.clear(cell);
        self.factions[f].fighters -= 1;
        self.tally.combatant_deaths[f] += 1;
        self.deposit(cell, radius);
        f
    }

    /// Hardship raised by recent violence at cell `index` and crowding in its district: min(1, H + w_v
    /// min(1, violence) + w_c crowding). Exactly `hardship` when the layer is off.
    #[inline]
    pub fn hardship(&self, hardship: f64, index: usize) -> f64 {
        if !self.enabled {
            return hardship;
        }
        self.hardship_in(hardship, index, self.district_of_cell[index])
    }

    /// [`Conflict::hardship`] when the caller knows the cell's district `d` (saves a lookup).
    #[inline]
    pub fn hardship_in(&self, hardship: f64, index: usize, d: u16) -> f64 {
        let crowding = if d == u16::MAX { 0.0 } else { self.crowding[d as usize] };
        let violence = f64::from(self.heat[index]).min(1.0);
        (hardship + self.violence_hardship * violence + self.crowding_hardship * crowding).min(1.0)
    }

    /// Fills `out` with this moment's [`DistrictTerms`]: one per district, then one for the cells outside
    /// every district (`u16::MAX`), last.
    pub(crate) fn district_terms(&self, food: &FoodState, legitimacy: f64, out: &mut Vec<DistrictTerms>) {
        const ONE: f64 = 4_294_967_296.0;
        out.clear();
        let outside = self.crowding.len();
        out.extend((0..=outside).map(|i| {
            let d = if i == outside { u16::MAX } else { i as u16 };
            let legitimacy = self.legitimacy_in(legitimacy, d);
            let fed = food.weight != 0.0 && d != u16::MAX;
            DistrictTerms {
                fed,
                food: if fed { food.weight * food.insecurity[i] } else { 0.0 },
                crowding: self.crowding_hardship * if d == u16::MAX { 0.0 } else { self.crowding[i] },
                keep: 1.0 - legitimacy,
                fixed_legitimacy: (legitimacy * ONE) as i64 as u64,
                insecure: d != u16::MAX && food.insecurity.get(i).is_some_and(|&v| v > 0.0),
            }
        }));
    }

    /// [`Conflict::hardship_in`] of [`FoodState::hardship_in`] of a citizen's own `hardship` on cell `index`,
    /// with what depends on the district alone taken from its terms `t`: the same operations in the same
    /// order, so the same bits.
    #[inline(always)]
    pub(crate) fn hardship_with(&self, t: &DistrictTerms, hardship: f64, index: usize) -> f64 {
        let fed = if t.fed { (hardship + t.food).min(1.0) } else { hardship };
        let violence = f64::from(self.heat[index]).min(1.0);
        (fed + self.violence_hardship * violence + t.crowding).min(1.0)
    }

    /// Prefetches a cell's recent violence and district, which a citizen's turn on it reads (see
    /// [`crate::grid::prefetch`]).
    #[inline(always)]
    pub(crate) fn touch(&self, index: usize) {
        if let (Some(h), Some(d)) = (self.heat.get(index), self.district_of_cell.get(index)) {
            crate::grid::prefetch(h);
            crate::grid::prefetch(d);
        }
    }

    /// [`Conflict::legitimacy`] when the caller knows the cell's district `d`.
    #[inline]
    pub fn legitimacy_in(&self, legitimacy: f64, d: u16) -> f64 {
        if d == u16::MAX { legitimacy } else { (legitimacy + self.legitimacy_offset[d as usize]).clamp(0.0, 1.0) }
    }

    /// Legitimacy as seen from cell `index`: the global value plus its district's offset, in [0, 1].
    #[inline]
    pub fn legitimacy(&self, legitimacy: f64, index: usize) -> f64 {
        if !self.enabled {
            return legitimacy;
        }
        self.legitimacy_in(legitimacy, self.district_of_cell[index])
    }

    /// The index of the terrain defence multiplier at a cell.
    fn defence(&self, rules: &ConflictRules, index: usize) -> f64 {
        match self.terrain[index] {
            Terrain::Urban => rules.urban_defence,
            Terrain::Rough => rules.rough_defence,
            Terrain::Open | Terrain::Water => 1.0,
        }
    }
}

/// Steps (8-neighbour, over land) from every cell to the nearest of `sources`; `u16::MAX` where unreachable.
fn distance_field(terrain: &[Terrain], width: usize, height: usize, sources: &[usize]) -> Vec<u16> {
    let mut distance = vec![u16::MAX; terrain.len()];
    let mut queue = std::collections::VecDeque::with_capacity(terrain.len());
    for &s in sources {
        distance[s] = 0;
        queue.push_back(s);
    }
    while let Some(i) = queue.pop_front() {
        let (x, y) = ((i % width) as i32, (i / width) as i32);
        let next = distance[i].saturating_add(1);
        for (dx, dy) in NEIGHBOURS {
            let (nx, ny) = (x + dx, y + dy);
            if nx < 0 || ny < 0 || nx >= width as i32 || ny >= height as i32 {
                continue;
            }
            let j = ny as usize * width + nx as usize;
            if terrain[j] != Terrain::Water && distance[j] == u16::MAX {
                distance[j] = next;
                queue.push_back(j);
            }
        }
    }
    distance
}

/// The eight neighbours, in a fixed order.
pub(crate) const NEIGHBOURS: [(i32, i32); 8] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)];

/// The empty neighbour of `from` with the lowest `score` below `score(from)`, first in fixed order on ties.
pub(crate) fn best_step(grid: &Grid, from: Position, score: impl Fn(Position) -> i64) -> Option<Position> {
    let (w, h) = (grid.width() as i32, grid.height() as i32);
    let mut best = (score(from), None);
    for (dx, dy) in NEIGHBOURS {
        let (x, y) = (i32::from(from.x) + dx, i32::from(from.y) + dy);
        if x < 0 || y < 0 || x >= w || y >= h {
            continue;
        }
        let p = Position { x: x as u16, y: y as u16 };
        if grid.is_empty(p) {
            let s = score(p);
            if s < best.0 {
                best = (s, Some(p));
            }
        }
    }
    best.1
}

/// Places each faction's initial fighters on empty cells of its territory (anywhere on land if it has
/// none, or if its territory is full).
pub(crate) fn place_fighters(
    world: &mut World,
    params: &Params,
    conflict: &mut Conflict,
    grid: &mut Grid,
    roster: &mut Roster,
    rngs: &mut RngStreams,
) {
    let rng = rngs.get(Stream::Conflict);
    for (f, spec) in params.scenario.factions.values().enumerate() {
        let f = f as u8;
        let mut own: Vec<usize> =
            (0..grid.cells()).filter(|&i| conflict.control[i] == f && grid.is_empty(grid.position(i))).collect();
        let government = conflict.government == Some(f);
        for k in 0..spec.fighters as usize {
            let cell = if k < own.len() {
                let j = rng.random_range(k..own.len());
                own.swap(k, j);
                Some(grid.position(own[k]))
            } else {
                // Territory full (or none): anywhere empty (placed fighters already hold their cells).
                grid.random_empty(rng)
            };
            let Some(cell) = cell else { break };
            let id = roster.allocate_id();
            let fighter = Fighter { faction: f, group: 0, hardship: 0.5, risk_aversion: 0.5, alive: true };
            let e = world.spawn((id, cell, fighter)).id();
            grid.place(cell, e, fighter_flags(f, government));
            roster.fighters.push(e);
            conflict.factions[f as usize].fighters += 1;
            conflict.claim(grid.index(cell), f);
        }
    }
    conflict.update_contest();
}

/// Drops last tick's dead and deserted fighters from the world and the roster.
pub(crate) fn remove_fighters(mut commands: Commands, fighters: Query<&Fighter>, mut roster: ResMut<Roster>) {
    if roster.fighters.is_empty() {
        return;
    }
    roster.fighters.retain(|&e| match fighters.get(e) {
        Ok(f) if !f.alive => {
            commands.entity(e).despawn();
            false
        }
        _ => true,
    });
}

/// Start of tick: recent violence fades, district crowding and legitimacy move, factions earn and pay,
/// cohesion recovers, political shocks strike and ceasefires expire or break.
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_conflict(
    mut fighters: Query<(&'static mut Fighter, &'static Position)>,
    mut conflict: ResMut<Conflict>,
    food: Res<FoodState>,
    mut grid: ResMut<Grid>,
    mut rngs: ResMut<RngStreams>,
    roster: Res<Roster>,
    mut log: ResMut<EventLog>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    if !conflict.enabled {
        return;
    }
    let rules = params.scenario.conflict.clone().unwrap_or_default();
    let c = &mut *conflict;
    let n = c.factions.len();
    let districts = c.legitimacy_offset.len();
    // Weights the schedule may change.
    c.violence_hardship = rules.violence_hardship;
    c.crowding_hardship = rules.crowding_hardship;
    let keep = (1.0 - rules.violence_decay) as f32;
    let mut sum = 0.0f64;
    for h in &mut c.heat {
        *h *= keep;
        sum += f64::from(*h);
    }
    c.heat_sum = sum;

    // Crowding: residents (by the cell they hold, or held before jail) over capacity. The food model has
    // just counted them (same definition); count here only without it.
    c.residents.iter_mut().for_each(|r| *r = 0);
    if food.population.len() == c.residents.len() {
        c.residents.copy_from_slice(&food.population);
    } else {
        for citizen in roster.citizen_records() {
            if !citizen.state.is_gone() {
                let d = c.district_of_cell[citizen.home.y as usize * c.width + citizen.home.x as usize];
                if d != u16::MAX {
                    c.residents[d as usize] += 1;
                }
            }
        }
    }
    for d in 0..districts {
        c.crowding[d] = if c.capacity[d] > 0.0 {
            (c.residents[d] as f64 / c.capacity[d] - 1.0).max(0.0)
        } else if c.residents[d] > 0 {
            1.0
        } else {
            0.0
        };
        // Abuses (counted last tick) lower legitimacy, services (where there is a government to provide
        // them) raise it; the offset fades towards zero.
        let abuses = f64::from(c.last_abuses[d]);
        let services = if c.government.is_some() { rules.services } else { 0.0 };
        let offset =
            c.legitimacy_offset[d] * (1.0 - rules.legitimacy_recovery) - rules.abuse_impact * abuses + services;
        c.legitimacy_offset[d] = offset.clamp(-1.0, 1.0);
    }
    c.update_contest();

    let event = |kind, value, detail: String| Event::global(clock.tick, kind, value, detail);
    // Ceasefires expire or break.
    let rng = rngs.get(Stream::Politics);
    let mut changed = false;
    let mut i = 0;
    while i < c.ceasefires.len() {
        let cf = c.ceasefires[i];
        let kind = if clock.tick >= cf.until {
            EventKind::CeasefireEnd
        } else if cf.hazard + cf.pressure > 0.0 && rng.random_bool((cf.hazard + cf.pressure).min(1.0)) {
            EventKind::CeasefireBroken
        } else {
            i += 1;
            continue;
        };
        let pair = format!("{}/{}", c.factions[cf.a as usize].name, c.factions[cf.b as usize].name);
        log.push(event(kind, 0.0, pair));
        c.ceasefires.remove(i);
        changed = true;
    }

    // Economy and cohesion, then political shocks.
    for f in 0..n {
        let spec = params.scenario.factions.values().nth(f);
        let Some(spec) = spec else { continue };
        let faction = &mut c.factions[f];
        faction.resources += spec.income * faction.territory as f64 - spec.upkeep * f64::from(faction.fighters);
        if faction.resources < 0.0 {
            // Unpaid fighters lose faith.
            faction.resources = 0.0;
            faction.cohesion = (faction.cohesion - 0.01).max(0.0);
        }
        faction.cohesion += 0.02 * (spec.cohesion - faction.cohesion);
    }
    let p_shock = (rules.instability * rules.shock_rate).clamp(0.0, 1.0);
    if p_shock > 0.0 {
        for f in 0..n {
            if c.factions[f].fighters == 0 || !rng.random_bool(p_shock) {
                continue;
            }
            let kind = rng.random_range(0..4u32);
            let others: Vec<usize> = (0..n).filter(|&g| g != f && c.factions[g].fighters > 0).collect();
            let name = c.factions[f].name.clone();
            match kind {
                1 if !others.is_empty() => {
                    let g = others[rng.random_range(0..others.len())];
                    let delta = rng.random_range(-1.0..1.0);
                    let value = (c.relation[f * n + g] + delta).clamp(-1.0, 1.0);
                    c.relation[f * n + g] = value;
                    c.relation[g * n + f] = value;
                    changed = true;
                    log.push(event(EventKind::RelationChange, value, format!("{name}/{}", c.factions[g].name)));
                }
                2 if others.iter().any(|&o| c.relation[f * n + o] >= 0.0) => {
                    // Defection to the friendliest faction, when some faction is not hostile.
                    let mut g = others[0];
                    for &o in &others {
                        if c.relation[f * n + o] > c.relation[f * n + g] {
                            g = o;
                        }
                    }
                    let share = rng.random_range(0.05..0.2);
                    let moved = transfer(c, &mut fighters, &roster, &mut grid, rng, f as u8, g as u8, share);
                    log.push(event(EventKind::Defection, moved as f64, format!("{name}->{}", c.factions[g].name)));
                }
                3 if c.factions[f].splinter.is_some() && c.factions[f].cohesion < rules.split_cohesion => {
                    let s = c.factions[f].splinter.unwrap_or_default();
                    let share = rng.random_range(0.3..0.5);
                    let moved = split(c, &mut fighters, &roster, &mut grid, rng, f as u8, s, share);
                    changed = true;
                    log.push(event(EventKind::Split, moved as f64, format!("{name}->{}", c.factions[s as usize].name)));
                }
                _ => {
                    let loss = rng.random_range(0.1..0.4);
                    c.factions[f].cohesion = (c.factions[f].cohesion - loss).max(0.0);
                    log.push(event(EventKind::CohesionShock, c.factions[f].cohesion, name));
                }
            }
        }
    }
    if changed {
        c.update_hostility();
    }
}

/// Moves a share of faction `from`'s fighters (each independently with probability `share`) to `to`;
/// returns how many moved.
#[allow(clippy::too_many_arguments)]
pub(crate) fn transfer<F: bevy_ecs::query::QueryFilter>(
    c: &mut Conflict,
    fighters: &mut Query<(&'static mut Fighter, &'static Position), F>,
    roster: &Roster,
    grid: &mut Grid,
    rng: &mut ChaCha8Rng,
    from: u8,
    to: u8,
    share: f64,
) -> u64 {
    let government = c.government == Some(to);
    let mut moved = 0;
    for &e in &roster.fighters {
        let Ok((mut fighter, pos)) = fighters.get_mut(e) else { continue };
        if !fighter.alive || fighter.faction != from || !rng.random_bool(share) {
            continue;
        }
        fighter.faction = to;
        grid.set_flags(*pos, fighter_flags(to, government));
        moved += 1;
    }
    c.factions[from as usize].fighters -= moved as u32;
    c.factions[to as usize].fighters += moved as u32;
    c.tally.allegiance_shifts += moved;
    moved
}

/// Splits faction `from`: a share of its fighters and of its cells go to `into`, and the two turn hostile.
#[allow(clippy::too_many_arguments)]
pub(crate) fn split<F: bevy_ecs::query::QueryFilter>(
    c: &mut Conflict,
    fighters: &mut Query<(&'static mut Fighter, &'static Position), F>,
    roster: &Roster,
    grid: &mut Grid,
    rng: &mut ChaCha8Rng,
    from: u8,
    into: u8,
    share: f64,
) -> u64 {
    let moved = transfer(c, fighters, roster, grid, rng, from, into, share);
    for cell in 0..c.control.len() {
        if c.control[cell] == from && rng.random_bool(share) {
            c.claim(cell, into);
        }
    }
    let n = c.factions.len();
    c.relation[from as usize * n + into as usize] = -1.0;
    c.relation[into as usize * n + from as usize] = -1.0;
    let cohesion = c.factions[from as usize].cohesion;
    c.factions[into as usize].cohesion = c.factions[into as usize].cohesion.max(cohesion);
    c.update_hostility();
    moved
}

/// The fighter queries of the conflict phase.
type FighterQuery<'w, 's> = Query<
    'w,
    's,
    (&'static mut Position, &'static mut Fighter),
    (Without<Civilian>, Without<crate::forces::ForceMember>),
>;

/// Whether flags show a free civilian (not jailed, not armed, not water).
#[inline]
fn is_civilian(f: u8) -> bool {
    f & (OCCUPIED | FORCE | JAILED | WATER) == OCCUPIED
}

/// How many turns ahead the fighters' loop reads a fighter's components and cell.
const FIGHTERS_AHEAD: usize = 8;

/// Every fighter acts once, in an order shuffled from the conflict stream: desert, fight, attack civilians,
/// arrest (government), recruit, move, and claim the cell it ends on.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fighters_act(
    mut commands: Commands,
    mut fighters: FighterQuery,
    entities: &Entities,
    ids: Query<&'static AgentId>,
    mut conflict: ResMut<Conflict>,
    mut grid: ResMut<Grid>,
    mut rngs: ResMut<RngStreams>,
    mut roster: ResMut<Roster>,
    mut log: ResMut<EventLog>,
    mut tally: ResMut<Tally>,
    mut peacekeeping: ResMut<Peacekeeping>,
    food: Res<FoodState>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    if roster.fighters.is_empty() {
        return;
    }
    let pk = &mut *peacekeeping;
    let pk_rules = params.scenario.peacekeeping.as_ref().filter(|_| pk.enabled);
    let c = &mut *conflict;
    let grid = &mut *grid;
    let rules = params.scenario.conflict.clone().unwrap_or_default();
    let scenario = &params.scenario;
    // At most eight factions (validated): their specs in index order, without a per-tick allocation.
    let mut specs: [Option<&peacesim_scenario::conflict::Faction>; 8] = [None; 8];
    for (slot, spec) in specs.iter_mut().zip(scenario.factions.values()) {
        *slot = Some(spec);
    }
    let mut order = std::mem::take(&mut c.order);
    order.clear();
    order.extend_from_slice(&roster.fighters);
    let (rng, pk_rng) = rngs.pair(Stream::Conflict, Stream::Peacekeeping);
    crate::rng::shuffle(&mut order, rng);
    let id_of = |e: Entity| ids.get(e).ok().copied();
    let ev = |kind, at: Position, actor: Option<AgentId>, target: Option<AgentId>, value, detail: String| Event {
        tick: clock.tick,
        kind,
        x: Some(at.x),
        y: Some(at.y),
        actor: actor.map(|a| a.0),
        target: target.map(|a| a.0),
        value,
        detail,
    };
    let groups = params.groups.len();
    // The citizens in the world: those deserters become during this loop are spawned after it.
    let visible = roster.citizens.len();
    // The turns' counts are popcounts of the fighter planes.
    crate::cpu::with_popcnt(
        #[inline(always)]
        || {
            for (i, &e) in order.iter().enumerate() {
                // Start the cache misses of a fighter a few turns ahead (its components, then its cell's flags,
                // violence, district and peacekeeping presence) while this one acts.
                if let Some(&ahead) = order.get(i + FIGHTERS_AHEAD)
                    && let Ok((p, _)) = fighters.get(ahead)
                {
                    let index = grid.index(*p);
                    grid.touch(*p);
                    c.touch(index);
                    if let (Some(near), Some(guard)) = (pk.near.get(index), pk.guard.get(index)) {
                        crate::grid::prefetch(near);
                        crate::grid::prefetch(guard);
                    }
                }
                let Ok((pos, fighter)) = fighters.get(e) else { continue };
                if !fighter.alive {
                    continue;
                }
                let (mut at, me) = (*pos, *fighter);
                let f = me.faction as usize;
                let Some(spec) = specs[f] else { continue };
                let shape: &Neighbourhood = &params.faction_vision[f];
                let government = c.government == Some(me.faction);

                // Desertion, more likely as cohesion falls.
                let p_desert = (rules.desertion * (1.0 - c.factions[f].cohesion)).clamp(0.0, 1.0);
                if p_desert > 0.0 && rng.random_bool(p_desert) {
                    let id = id_of(e);
                    let group = me.group.min(groups.saturating_sub(1) as u8);
                    let citizen = Citizen::new(group, me.hardship, me.risk_aversion, at);
                    if let Ok((_, mut fi)) = fighters.get_mut(e) {
                        fi.alive = false;
                    }
                    grid.clear(at);
                    let new = match id {
                        Some(id) => commands.spawn((id, Civilian)).id(),
                        None => commands.spawn(Civilian).id(),
                    };
                    grid.place(at, new, citizen_flags(citizen.group, false));
                    roster.push_citizen(new, citizen, 0);
                    c.factions[f].fighters -= 1;
                    c.tally.desertions += 1;
                    log.push(ev(EventKind::Desertion, at, id, None, 0.0, c.factions[f].name.clone()));
                    continue;
                }

                // Fight: a uniformly random hostile fighter in sight, attacked if adjacent, approached (or, when
                // outnumbered, fled) if not.
                let mask = c.hostile[f];
                let enemies = if mask == 0 { 0 } else { grid.count_fighters(at, shape, mask) };
                if enemies > 0 {
                    let k = rng.random_range(0..enemies);
                    if let Some(target) = grid.nth_fighter(at, shape, mask, k) {
                        let adjacent = at.x.abs_diff(target.x) <= 1 && at.y.abs_diff(target.y) <= 1;
                        // Soldiers of a mission nearby interpose: a deterred fighter disengages and falls back
                        // (Hultman, Kathman & Shannon 2014: troops reduce battle deaths).
                        let deterred = pk.enabled && {
                            let stay = pk.battle_factor(grid.index(at));
                            stay < 1.0 && pk_rng.random_bool(1.0 - stay)
                        };
                        if adjacent && !deterred {
                            let p = (rules.hit_probability * spec.firepower * c.defence(&rules, grid.index(target)))
                                .min(1.0);
                            if rng.random_bool(p)
                                && let Some(victim) = grid.occupant(target, entities)
                                && let Ok((_, mut v)) = fighters.get_mut(victim)
                                && v.alive
                            {
                                let vf = c.kill(grid, &mut v, target, rules.violence_radius);
                                let detail = c.factions[vf].name.clone();
                                log.push(ev(EventKind::CombatDeath, target, id_of(e), id_of(victim), 0.0, detail));
                                if pk.enabled {
                                    pk.fresh.push((target, IncidentKind::Battle));
                                }
                            }
                        } else {
                            // Approach when not outnumbered in sight, else fall back (Lanchester: the weaker side
                            // that stands and fights is destroyed).
                            let sign = if deterred {
                                -1
                            } else {
                                let friends = grid.count_fighters(at, shape, 1 << me.faction);
                                if friends + 1 >= enemies { 1 } else { -1 }
                            };
                            let distance = |p: Position| i64::from(p.x.abs_diff(target.x).max(p.y.abs_diff(target.y)));
                            if let Some(step) = best_step(grid, at, |p| sign * distance(p)) {
                                grid.relocate(at, step);
                                at = step;
                            }
                        }
                    }
                } else {
                    let here = grid.index(at);
                    let d = c.district_of_cell[here];
                    let mut acted = false;
                    // Ceasefire violations: shots across the line at a fighter of a faction it has a ceasefire with.
                    if rules.ceasefire_violation > 0.0 && c.truce[f] != 0 {
                        let tmask = c.truce[f];
                        let m = grid.count_fighters(at, shape, tmask);
                        if m > 0 && rng.random_bool(rules.ceasefire_violation) {
                            let k = rng.random_range(0..m);
                            if let Some(target) = grid.nth_fighter(at, shape, tmask, k)
                                && let Some(victim) = grid.occupant(target, entities)
                            {
                                acted = true;
                                let tf = (grid.flags(target) & GROUP_MASK) >> GROUP_SHIFT;
                                let adjacent = at.x.abs_diff(target.x) <= 1 && at.y.abs_diff(target.y) <= 1;
                                let p = rules.hit_probability * spec.firepower * c.defence(&rules, grid.index(target));
                                if adjacent
                                    && rng.random_bool(p.min(1.0))
                                    && let Ok((_, mut v)) = fighters.get_mut(victim)
                                    && v.alive
                                {
                                    let vf = c.kill(grid, &mut v, target, rules.violence_radius);
                                    let detail = c.factions[vf].name.clone();
                                    log.push(ev(EventKind::CombatDeath, target, id_of(e), id_of(victim), 0.0, detail));
                                }
                                c.tally.violations += 1;
                                let pair = format!("{}/{}", c.factions[f].name, c.factions[tf as usize].name);
                                log.push(ev(EventKind::CeasefireViolation, target, id_of(e), id_of(victim), 0.0, pair));
                                if pk.enabled {
                                    pk.fresh.push((target, IncidentKind::CeasefireViolation(me.faction, tf)));
                                } else if let Some(cf) = c
                                    .ceasefires
                                    .iter_mut()
                                    .find(|cf| (cf.a, cf.b) == (me.faction, tf) || (cf.a, cf.b) == (tf, me.faction))
                                {
                                    // Nobody is watching: every violation goes unanswered.
                                    cf.pressure += rules.violation_escalation;
                                }
                            }
                        }
                    }
                    // Fighters of a faction that withdrew its consent attack peacekeepers in range.
                    if let Some(pr) = pk_rules
                        && !acted
                        && pk.near[here] != 0
                        && pk.consent[f] < 1.0
                        && pk_rng.random_bool((pr.attack_rate * (1.0 - pk.consent[f])).clamp(0.0, 1.0))
                    {
                        let unit = pk.units[pk.near[here] as usize - 1];
                        pk.attacks.push(Attack { unit, attacker: e, faction: me.faction, cell: at });
                        log.push(ev(
                            EventKind::PeacekeepersAttacked,
                            at,
                            id_of(e),
                            None,
                            0.0,
                            c.factions[f].name.clone(),
                        ));
                        acted = true;
                    }
                    let contest = if d == u16::MAX { 0.0 } else { c.contest[d as usize] };
                    let floor = rules.uncontested_targeting;
                    // Indiscipline: a faction whose cohesion has fallen abuses civilians more (Humphreys & Weinstein
                    // 2006), up to twice as often at cohesion 0.
                    let discipline = 2.0 - c.factions[f].cohesion;
                    // Repression: government fighters facing open dissent strike more often, at the dissidents
                    // (Davenport 2007, the "law of coercive responsiveness").
                    let dissent = if government { grid.count_actives(at, shape, groups) } else { 0 };
                    // Scarcity: where the district goes hungry, fighters prey on civilians for food (the
                    // resource-competition channel of climate and conflict; Hsiang, Burke & Miguel 2013).
                    let hunger =
                        if d == u16::MAX { 0.0 } else { food.insecurity.get(d as usize).copied().unwrap_or(0.0) };
                    let scarcity = 1.0 + rules.scarcity_predation * hunger;
                    let mut p_attack = spec.targeting
                        * (floor + (1.0 - floor) * contest)
                        * discipline
                        * scarcity
                        * f64::from(1 + dissent);
                    if pk.enabled {
                        // Peacekeepers nearby deter attacks on civilians, the government's much less (Fjelde et al. 2019).
                        p_attack *= pk.attack_factor(here, government);
                    }
                    if !acted && p_attack > 0.0 && rng.random_bool(p_attack.min(1.0)) {
                        let n = if dissent > 0 { dissent } else { grid.count(at, shape, is_civilian) };
                        if n > 0 {
                            let k = rng.random_range(0..n);
                            let cell = if dissent > 0 {
                                grid.nth_active(at, shape, groups, k)
                            } else {
                                grid.nth(at, shape, k, is_civilian).map(|i| grid.position(i))
                            };
                            let vd = cell.map_or(u16::MAX, |p| c.district_of_cell[grid.index(p)]);
                            if let (Some(pr), Some(p)) = (pk_rules, cell)
                                && interposes(pk, grid.index(p), pk_rng)
                            {
                                // An armed unit next to the victim steps in.
                                protected(pk, vd, pr.protection_trust);
                                log.push(ev(
                                    EventKind::CivilianProtected,
                                    p,
                                    id_of(e),
                                    None,
                                    0.0,
                                    c.factions[f].name.clone(),
                                ));
                                acted = true;
                            } else if let Some(cell) = cell
                                && let Some(victim) = grid.occupant(cell, entities)
                                && let Some(v) = roster.citizen_slot(victim).filter(|&v| v < visible)
                            {
                                let v = &mut roster.records[v];
                                if let Some(pr) = pk_rules {
                                    pk.fresh.push((cell, IncidentKind::CivilianKilled));
                                    if pk.guard[grid.index(cell)] > 0.0 && vd != u16::MAX {
                                        // Killed within sight of peacekeepers: a failure to protect.
                                        let t = &mut pk.trust[vd as usize];
                                        *t -= pr.failure_trust * *t;
                                    }
                                }
                                v.state = CitizenState::Dead;
                                grid.clear(cell);
                                tally.removed += 1;
                                let kind = c.factions[f].kind;
                                c.tally.civilian_deaths[kind as usize] += 1;
                                let vd = c.district_of_cell[grid.index(cell)];
                                if kind == FactionKind::Government && vd != u16::MAX {
                                    c.tally.abuses[vd as usize] += 1;
                                }
                                c.deposit(cell, rules.violence_radius);
                                log.push(ev(
                                    EventKind::CivilianKilled,
                                    cell,
                                    id_of(e),
                                    id_of(victim),
                                    0.0,
                                    kind.as_str().to_owned(),
                                ));
                                acted = true;
                            }
                        }
                    }
                    if !acted && government {
                        // The government's fighters arrest active citizens as Epstein's cops do.
                        let srules = &scenario.rules;
                        if let Some((cell, suspect, term)) =
                            arrest_one(grid, &mut roster, visible, rng, srules, groups, at, shape)
                        {
                            tally.arrests += 1;
                            let value = if term == LIFE_SENTENCE { -1.0 } else { f64::from(term) };
                            log.push(ev(EventKind::Arrest, cell, id_of(e), id_of(suspect), value, String::new()));
                            acted = true;
                        }
                    }
                    let cost = spec.recruit_cost;
                    if !acted
                        && spec.recruitment > 0.0
                        && c.factions[f].resources >= cost
                        && rng.random_bool(spec.recruitment)
                    {
                        let n = grid.count(at, shape, is_civilian);
                        if n > 0 {
                            let k = rng.random_range(0..n);
                            if let Some(cell) = grid.nth(at, shape, k, is_civilian).map(|i| grid.position(i))
                                && let Some(person) = grid.occupant(cell, entities)
                                && let Some(slot) = roster.citizen_slot(person).filter(|&v| v < visible)
                            {
                                let v = roster.records[slot];
                                let index = grid.index(cell);
                                let hardship = c.hardship(food.hardship(v.hardship, index), index);
                                let legitimacy = c.legitimacy(scenario.rules.legitimacy, index);
                                let aggrieved = grievance(hardship, legitimacy) > rules.recruit_grievance;
                                // Rebels, militias and gangs recruit the aggrieved and the active; the government
                                // recruits loyalists (neither).
                                let rebel = v.state == CitizenState::Active || aggrieved;
                                if rebel != government {
                                    roster.records[slot].state = CitizenState::Recruited;
                                    tally.removed += 1;
                                    let recruit = Fighter {
                                        faction: me.faction,
                                        group: v.group,
                                        hardship: v.hardship,
                                        risk_aversion: v.risk_aversion,
                                        alive: true,
                                    };
                                    let id = id_of(person);
                                    grid.clear(cell);
                                    let new = match id {
                                        Some(id) => commands.spawn((id, cell, recruit)).id(),
                                        None => commands.spawn((cell, recruit)).id(),
                                    };
                                    grid.place(cell, new, fighter_flags(me.faction, government));
                                    roster.fighters.push(new);
                                    c.factions[f].fighters += 1;
                                    c.factions[f].resources -= cost;
                                    c.tally.recruits += 1;
                                    c.claim(index, me.faction);
                                    log.push(ev(
                                        EventKind::Recruitment,
                                        cell,
                                        id_of(e),
                                        id,
                                        0.0,
                                        c.factions[f].name.clone(),
                                    ));
                                }
                            }
                        }
                    }
                    // Move: towards target districts, or roam within vision.
                    let distance = &c.factions[f].distance;
                    let stepped = if distance.is_empty() || distance[here] == 0 {
                        None
                    } else {
                        best_step(grid, at, |p| i64::from(distance[grid.index(p)]))
                    };
                    if let Some(step) = stepped {
                        grid.relocate(at, step);
                        at = step;
                    } else if let Some(to) = grid.random_empty_in(at, shape, rng) {
                        grid.relocate(at, to);
                        at = to;
                    }
                }
                c.claim(grid.index(at), me.faction);
                if let Ok((mut pos, _)) = fighters.get_mut(e) {
                    *pos = at;
                }
            }
        },
    );
    c.order = order;
}
