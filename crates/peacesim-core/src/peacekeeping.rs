//! Multinational peacekeeping: missions, national contingents and their units.
//!
//! Missions, contingents and units are ECS entities ([`Mission`], [`Contingent`], [`Unit`] with a
//! [`Position`] and a stable [`AgentId`]). A unit is a company, formed police unit or observer team: it
//! stands for many people and does not hold a cell of the grid; its effect on the cells around it is
//! stamped once a tick into per-cell fields of the [`Peacekeeping`] resource, which civilians and fighters
//! read in O(1):
//!
//! - `guard`: effective protecting strength within `presence_radius` (soldiers, and police weighted by
//!   `police_weight`; observers none). An attack on a civilian goes ahead with probability
//!   exp(-deterrence x guard) (government perpetrators feel only `government_deterrence` of it).
//! - `battle`: soldiers' strength in range; a fighter about to engage an enemy disengages and falls back
//!   with probability 1 - exp(-battle_deterrence x battle) (police and observers do not reduce battle
//!   deaths: Hultman, Kathman & Shannon 2014).
//! - `close`: the chance that an armed unit right next to an attack interposes and stops it.
//! - `cops`: police counted as Epstein's cops (C) by the citizens around them.
//! - `near`: a unit within `presence_radius`, which fighters of factions that withdrew their consent attack.
//!
//! The peacekeeping phase then resolves attacks on peacekeepers, turns the tick's incidents into reports
//! (units' own sight, drones, satellites, civilians in proportion to their trust) that travel to
//! headquarters with a delay and a chance of loss set by the communication quality of the two contingents
//! and their interoperability, dispatches the nearest free unit, moves units (patrol, reserve,
//! response), runs enforcement against spoilers, police arrests, trust and consent, and the early-warning
//! forecast. Everything draws from the peacekeeping random stream, so a mission never shifts the draws of
//! civilians or fighters: runs with and without a mission are paired by construction.

use crate::activation::arrest_one;
use crate::civilians::{CitizenState, Civilian, LIFE_SENTENCE};
use crate::conflict::{Conflict, Fighter};
use crate::events::{Event, EventKind, EventLog};
use crate::grid::{FORCE, Grid, JAILED, Neighbourhood, OCCUPIED, Position, WATER};
use crate::rng::{RngStreams, Stream};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::entity::Entities;
use bevy_ecs::prelude::*;
use peacesim_scenario::conflict::EventSpecKind;
use peacesim_scenario::peacekeeping::{Mandate, Organisation, Task};
use peacesim_scenario::{Shape, Vision};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A military company: deters, interposes, responds, fights in self-defence, enforces.
    Troops,
    /// A formed police unit: deters (with `police_weight` per officer), interposes, responds, arrests actives
    /// and counts as Epstein's cops for citizens nearby.
    Police,
    /// An observer team: sees and reports, does not deter or fight.
    Observers,
}

impl Role {
    /// The snake_case name used in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Troops => "troops",
            Role::Police => "police",
            Role::Observers => "observers",
        }
    }
}

/// What a unit is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// Patrolling its sector, from waypoint to waypoint.
    Patrol,
    /// Waiting in reserve at headquarters, or pre-positioned in a district on alert.
    Reserve,
    /// Moving to an incident (its id).
    Respond(u32),
    /// Escorting an aid convoy (its id); the aid phase moves it with the convoy.
    Escort(u32),
}

/// A peacekeeping unit.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Unit {
    /// Index of its mission.
    pub mission: u8,
    /// Index of its contingent.
    pub contingent: u8,
    /// Soldiers, police or observers.
    pub role: Role,
    /// People in it (0 once destroyed or withdrawn; removed at the end of the tick).
    pub strength: u32,
    /// Index of its sector within the mission.
    pub sector: u8,
    /// What it is doing.
    pub duty: Duty,
    /// Where it is heading.
    pub waypoint: Position,
    /// Movement budget carried between days (fractional cells).
    pub budget: f64,
    /// Just arrived: placed by headquarters' next allocation.
    pub fresh: bool,
}

/// A sector of a mission.
#[derive(Debug, Clone, PartialEq)]
pub struct Sector {
    /// Its name.
    pub name: String,
    /// Its districts.
    pub districts: Vec<u16>,
    /// Its land cells.
    pub cells: Vec<u32>,
}

/// A mission.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Mission {
    /// Its index.
    pub index: u8,
    /// Its name.
    pub name: String,
    /// Who runs it.
    pub organisation: Organisation,
    /// Its mandate now.
    pub mandate: Mandate,
    /// Host consent now, in [0, 1].
    pub consent: f64,
    /// Bit mask of the factions designated as spoilers.
    pub spoilers: u8,
    /// Whether headquarters runs early warning.
    pub early_warning: bool,
    /// Share of military units kept in reserve.
    pub reserve: f64,
    /// Headquarters' cell.
    pub headquarters: Position,
    /// Its sectors.
    pub sectors: Vec<Sector>,
}

/// A national contingent.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Contingent {
    /// Its index.
    pub index: u8,
    /// Its name.
    pub name: String,
    /// Index of its mission.
    pub mission: u8,
    /// Training level in [0, 1].
    pub training: f64,
    /// Communication quality in [0, 1].
    pub communication: f64,
    /// Cultural competency in [0, 1].
    pub cultural_competency: f64,
    /// Tasks it refuses.
    pub caveats: Vec<Task>,
    /// Patrol vision.
    pub vision: Neighbourhood,
    /// Patrol vision radius.
    pub vision_radius: u32,
    /// Drone detection probability and reach.
    pub drones: (f64, u32),
    /// Satellite detection probability.
    pub satellite: f64,
    /// Its fixed sector, if any.
    pub sector: Option<u8>,
    /// The cell its units start from, if given.
    pub base: Option<Position>,
}

impl Contingent {
    /// Whether national caveats forbid `task`.
    pub fn refuses(&self, task: Task) -> bool {
        self.caveats.contains(&task)
    }

    /// Effectiveness per person, 0.5 at training 0 to 1 at training 1.
    pub fn efficiency(&self) -> f64 {
        0.5 + 0.5 * self.training
    }
}

/// Kinds of incident peacekeepers learn of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentKind {
    /// A civilian was killed.
    CivilianKilled,
    /// A fighter was killed in a battle between factions.
    Battle,
    /// Fighters of two factions under a ceasefire fired on each other.
    CeasefireViolation(u8, u8),
}

/// An incident not yet reached or expired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incident {
    /// Its id.
    pub id: u32,
    /// Tick it happened.
    pub tick: u64,
    /// Where.
    pub cell: Position,
    /// District (`u16::MAX` for none).
    pub district: u16,
    /// What.
    pub kind: IncidentKind,
    /// Whether a unit has been sent.
    pub assigned: bool,
}

/// A report in transit to headquarters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// The incident.
    pub incident: u32,
    /// Mission it goes to.
    pub mission: u8,
    /// Tick it arrives.
    pub due: u64,
    /// The unit headquarters intends to send (slot in the unit list at the time; checked on arrival).
    pub unit: Option<Entity>,
}

/// An attack on a peacekeeping unit, resolved in the peacekeeping phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attack {
    /// The unit attacked.
    pub unit: Entity,
    /// The attacking fighter.
    pub attacker: Entity,
    /// Its faction.
    pub faction: u8,
    /// Where the attacker stands.
    pub cell: Position,
}

/// Units by coarse square bucket of the map (compressed rows: `start[b]..start[b + 1]` indexes `items`),
/// rebuilt whenever units are stamped, so that "the nearest unit" and "units within r cells" visit a few
/// buckets instead of every unit.
#[derive(Debug, Clone, Default)]
pub struct UnitIndex {
    /// Side of a bucket, in cells.
    size: usize,
    /// Buckets per row.
    columns: usize,
    /// Buckets per column.
    rows: usize,
    /// Start of each bucket's slots in `items`, plus one end marker.
    start: Vec<u32>,
    /// Unit slots (indices into `Peacekeeping::units`), bucket by bucket, ascending within a bucket.
    items: Vec<u32>,
    /// Position of each slot.
    pub(crate) position: Vec<Position>,
    /// Fill cursor per bucket (scratch).
    next: Vec<u32>,
}

impl UnitIndex {
    /// Rebuilds the index from the units' positions (by slot), reusing its memory.
    pub(crate) fn rebuild(&mut self, width: usize, height: usize) {
        self.size = 8;
        self.columns = width.div_ceil(self.size).max(1);
        self.rows = height.div_ceil(self.size).max(1);
        let buckets = self.columns * self.rows;
        self.start.clear();
        self.start.resize(buckets + 1, 0);
        for i in 0..self.position.len() {
            let b = self.bucket(self.position[i]);
            self.start[b + 1] += 1;
        }
        for b in 0..buckets {
            self.start[b + 1] += self.start[b];
        }
        self.items.clear();
        self.items.resize(self.position.len(), 0);
        self.next.clear();
        self.next.extend_from_slice(&self.start);
        for slot in 0..self.position.len() {
            let b = self.bucket(self.position[slot]);
            self.items[self.next[b] as usize] = slot as u32;
            self.next[b] += 1;
        }
    }

    #[inline]
    fn bucket(&self, p: Position) -> usize {
        (p.y as usize / self.size).min(self.rows - 1) * self.columns + (p.x as usize / self.size).min(self.columns - 1)
    }

    /// Calls `visit(slot, distance)` for every unit in the buckets at bucket distance exactly `ring` from `at`'s.
    fn ring(&self, at: Position, ring: usize, mut visit: impl FnMut(u32, u32)) {
        let (bx, by) = ((at.x as usize / self.size) as i64, (at.y as usize / self.size) as i64);
        let r = ring as i64;
        for y in (by - r).max(0)..=(by + r).min(self.rows as i64 - 1) {
            for x in (bx - r).max(0)..=(bx + r).min(self.columns as i64 - 1) {
                if (x - bx).abs().max((y - by).abs()) != r {
                    continue;
                }
                let b = y as usize * self.columns + x as usize;
                for &slot in &self.items[self.start[b] as usize..self.start[b + 1] as usize] {
                    visit(slot, distance(self.position[slot as usize], at));
                }
            }
        }
    }

    /// The unit nearest to `at` (by Chebyshev distance, then slot) among those `accept` admits.
    pub fn nearest(&self, at: Position, mut accept: impl FnMut(u32) -> bool) -> Option<(u32, u32)> {
        let mut best: Option<(u32, u32)> = None;
        for ring in 0..self.columns.max(self.rows) {
            self.ring(at, ring, |slot, d| {
                if best.is_none_or(|b| (d, slot) < b) && accept(slot) {
                    best = Some((d, slot));
                }
            });
            // Units in farther rings are at least ring * size + 1 cells away.
            if best.is_some_and(|(d, _)| d as usize <= ring * self.size) {
                break;
            }
        }
        best
    }

    /// Calls `visit(slot, distance)` for every unit within `radius` cells of `at` (and some a little farther).
    fn around(&self, at: Position, radius: u32, mut visit: impl FnMut(u32, u32)) {
        let rings = (radius as usize).div_ceil(self.size.max(1)) + 1;
        for ring in 0..rings.min(self.columns.max(self.rows)) {
            self.ring(at, ring, &mut visit);
        }
    }
}

/// Counts of one tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeacekeepingTally {
    /// Peacekeepers killed.
    pub deaths: u64,
    /// Attacks on peacekeepers.
    pub attacks: u64,
    /// Incidents (civilians killed, battle deaths, ceasefire violations).
    pub incidents: u64,
    /// Incidents a unit reached within the response window.
    pub reached: u64,
    /// Incidents that expired unreached.
    pub missed: u64,
    /// Attacks on civilians stopped by a unit interposing.
    pub protected: u64,
    /// Ceasefire violations.
    pub violations: u64,
    /// Ceasefire violations detected by the mission.
    pub violations_detected: u64,
    /// Reports that reached headquarters.
    pub reports: u64,
    /// Reports lost on the way.
    pub reports_lost: u64,
    /// Strikes on spoilers.
    pub enforcement: u64,
    /// Civilians killed by peacekeepers (collateral damage).
    pub civilian_deaths: u64,
    /// Arrests by police units.
    pub arrests: u64,
}

/// The peacekeeping layer's state.
#[derive(Resource, Debug, Clone, Default)]
pub struct Peacekeeping {
    /// Whether the scenario has `[peacekeeping]`.
    pub enabled: bool,
    /// Grid width.
    pub width: usize,
    /// Mission entities, by index.
    pub missions: Vec<Entity>,
    /// Contingent entities, by index.
    pub contingents: Vec<Entity>,
    /// Unit entities, in creation order.
    pub units: Vec<Entity>,
    /// Interoperability between contingents `a` and `b` at `a * n + b`.
    pub interoperability: Vec<f64>,
    /// Effective protecting strength within the presence radius, per cell.
    pub guard: Vec<f32>,
    /// Soldiers' effective strength within the presence radius, per cell.
    pub battle: Vec<f32>,
    /// Chance that a unit next to the cell interposes.
    pub close: Vec<f32>,
    /// Police counted as cops by citizens on the cell.
    pub cops: Vec<u16>,
    /// 1 + the slot (in `units`) of a unit within the presence radius, 0 for none.
    pub near: Vec<u32>,
    /// Trust in peacekeepers per district, in [0, 1].
    pub trust: Vec<f64>,
    /// Consent per faction, in [0, 1].
    pub consent: Vec<f64>,
    /// Early-warning forecast per district (exponentially weighted incident count).
    pub forecast: Vec<f64>,
    /// Districts on alert.
    pub alert: Vec<u16>,
    /// Land cells per district.
    pub district_cells: Vec<Vec<u32>>,
    /// Incidents waiting for a unit.
    pub incidents: Vec<Incident>,
    /// Reports in transit.
    pub reports: Vec<Report>,
    /// This tick's incidents as the fighters leave them (processed in the peacekeeping phase).
    pub fresh: Vec<(Position, IncidentKind)>,
    /// This tick's attacks on peacekeepers.
    pub attacks: Vec<Attack>,
    /// This tick's counts.
    pub tally: PeacekeepingTally,
    /// Units by map bucket, as they stood when last stamped.
    pub index: UnitIndex,
    /// Units of each contingent on the ground, as last stamped.
    pub deployed: Vec<u32>,
    /// The farthest any contingent sees (its vision or drone reach).
    pub reach: u32,
    /// Incidents reached, ever.
    pub reached_total: u64,
    /// Sum of response times of incidents reached, ever.
    pub response_time_total: u64,
    /// Incidents, ever.
    pub incidents_total: u64,
    /// Incidents in a district on alert, ever.
    pub warned_total: u64,
    /// The next incident id.
    pub(crate) next_incident: u32,
    /// Copied from the rules for the fighters' hot path.
    pub(crate) deterrence: f64,
    pub(crate) battle_deterrence: f64,
    pub(crate) government_deterrence: f64,
    /// Incidents per district today (scratch for the forecast).
    pub(crate) today: Vec<u32>,
}

impl Peacekeeping {
    /// Starts a tick: clears last tick's counts.
    pub fn start_tick(&mut self) {
        if self.enabled {
            self.tally = PeacekeepingTally::default();
        }
    }

    /// Probability that an attack on a civilian at cell `index` goes ahead despite peacekeepers nearby.
    #[inline]
    pub fn attack_factor(&self, index: usize, government: bool) -> f64 {
        let g = f64::from(self.guard[index]);
        if g <= 0.0 {
            return 1.0;
        }
        let deterred = 1.0 - libm::exp(-self.deterrence * g);
        1.0 - deterred * if government { self.government_deterrence } else { 1.0 }
    }

    /// Probability that a fighter at cell `index` engages an enemy rather than disengaging because of soldiers nearby.
    #[inline]
    pub fn battle_factor(&self, index: usize) -> f64 {
        let b = f64::from(self.battle[index]);
        if b <= 0.0 { 1.0 } else { libm::exp(-self.battle_deterrence * b) }
    }

    /// Police counted as cops around cell `index`.
    #[inline]
    pub fn cops_at(&self, index: usize) -> u32 {
        self.cops.get(index).map_or(0, |&c| u32::from(c))
    }

    /// Mean trust over districts weighted by `residents`.
    pub fn mean_trust(&self, residents: &[u64]) -> f64 {
        let total: u64 = residents.iter().sum();
        if total == 0 {
            return self.trust.iter().sum::<f64>() / self.trust.len().max(1) as f64;
        }
        self.trust.iter().zip(residents).map(|(t, &r)| t * r as f64).sum::<f64>() / total as f64
    }
}

/// Splits `people` into units of about `size`.
fn unit_sizes(people: u32, size: u32) -> impl Iterator<Item = u32> {
    let n = people.div_ceil(size.max(1));
    (0..n).map(move |i| people / n + u32::from(i < people % n))
}

/// Sets up missions, contingents and their deployed units (an exclusive setup step).
pub(crate) fn setup_peacekeeping(world: &mut World) {
    let params = world.resource::<Params>().clone();
    let Some(spec) = params.scenario.peacekeeping.clone() else { return };
    let Some(map) = params.map.clone() else { return };
    let width = params.scenario.grid.width as usize;
    let cells = map.terrain.len();
    let districts = map.districts.len();
    let mut district_cells = vec![Vec::new(); districts];
    for (i, d) in map.district.iter().enumerate() {
        if let Some(d) = d {
            district_cells[*d as usize].push(i as u32);
        }
    }
    let district_index = |name: &str| map.districts.iter().position(|d| d == name).map(|d| d as u16);
    let faction_index = |name: &str| params.factions.iter().position(|f| f == name);
    let position = |i: u32| Position { x: (i as usize % width) as u16, y: (i as usize / width) as u16 };
    let mut pk = Peacekeeping {
        enabled: true,
        width,
        guard: vec![0.0; cells],
        battle: vec![0.0; cells],
        close: vec![0.0; cells],
        cops: vec![0; cells],
        near: vec![0; cells],
        trust: vec![spec.trust; districts],
        consent: vec![1.0; params.factions.len()],
        forecast: vec![0.0; districts],
        today: vec![0; districts],
        deterrence: spec.deterrence,
        battle_deterrence: spec.battle_deterrence,
        government_deterrence: spec.government_deterrence,
        ..Default::default()
    };
    let mission_names: Vec<&String> = spec.missions.keys().collect();
    for (m, (name, ms)) in spec.missions.iter().enumerate() {
        let mut sectors: Vec<Sector> = ms
            .sectors
            .iter()
            .map(|(sname, list)| {
                let ds: Vec<u16> = list.iter().filter_map(|d| district_index(d)).collect();
                let cells = ds.iter().flat_map(|&d| district_cells[d as usize].iter().copied()).collect();
                Sector { name: sname.clone(), districts: ds, cells }
            })
            .collect();
        if sectors.is_empty() {
            sectors.push(Sector {
                name: "all".to_owned(),
                districts: (0..districts as u16).collect(),
                cells: (0..cells as u32).filter(|&i| map.district[i as usize].is_some()).collect(),
            });
        }
        let hq_district = ms
            .headquarters
            .as_deref()
            .and_then(district_index)
            .or_else(|| sectors.first().and_then(|s| s.districts.first().copied()))
            .unwrap_or(0);
        let hq_cells = &district_cells[hq_district as usize];
        let headquarters = position(hq_cells.get(hq_cells.len() / 2).copied().unwrap_or(0));
        let spoilers = ms.spoilers.iter().filter_map(|f| faction_index(f)).fold(0u8, |acc, f| acc | 1 << f);
        let mission = Mission {
            index: m as u8,
            name: name.clone(),
            organisation: ms.organisation,
            mandate: ms.mandate,
            consent: ms.consent,
            spoilers,
            early_warning: ms.early_warning,
            reserve: ms.reserve,
            headquarters,
            sectors,
        };
        pk.missions.push(world.spawn(mission).id());
    }
    let names: Vec<&String> = spec.contingents.keys().collect();
    let n = names.len();
    pk.interoperability = (0..n * n).map(|k| spec.interoperability(names[k / n], names[k % n])).collect();
    let mut deployed = Vec::new();
    for (k, (name, cs)) in spec.contingents.iter().enumerate() {
        let Some(m) = cs.mission.as_deref().and_then(|m| mission_names.iter().position(|n| *n == m)) else { continue };
        let sector = cs.sector.as_deref().and_then(|s| {
            spec.missions.values().nth(m).and_then(|ms| ms.sectors.keys().position(|k| k == s)).map(|s| s as u8)
        });
        let radius = cs.vision;
        let contingent = Contingent {
            index: k as u8,
            name: name.clone(),
            mission: m as u8,
            training: cs.training,
            communication: cs.communication,
            cultural_competency: cs.cultural_competency,
            caveats: cs.caveats.clone(),
            vision: moore(radius),
            vision_radius: radius,
            drones: (cs.drones, cs.drone_radius),
            satellite: cs.satellite,
            sector,
            base: cs.base.map(|[x, y]| Position { x: x as u16, y: y as u16 }),
        };
        pk.contingents.push(world.spawn(contingent).id());
        if cs.deployed {
            deployed.push((k as u8, spec.strength(name)));
        }
    }
    pk.district_cells = district_cells;
    world.insert_resource(pk);
    // Headquarters allocates by residents: count them now (the conflict layer recounts every tick).
    let mut residents = vec![0u64; districts];
    for citizen in world.resource::<Roster>().citizen_records() {
        if let Some(d) = map.district[citizen.home.y as usize * width + citizen.home.x as usize]
            && !citizen.state.is_gone()
        {
            residents[d as usize] += 1;
        }
    }
    world.resource_mut::<Conflict>().residents = residents;
    for (k, strength) in deployed {
        spawn_units(world, k, strength, spec.unit_size, spec.police_unit_size, spec.observer_team_size);
    }
    allocate(world);
    stamp(world);
}

/// A Moore neighbourhood of `radius`.
pub(crate) fn moore(radius: u32) -> Neighbourhood {
    Neighbourhood::new(&Vision { shape: Shape::Moore, radius: f64::from(radius) })
}

/// Spawns the units for `[troops, police, observers]` of contingent `k`; they are placed by the next allocation.
fn spawn_units(world: &mut World, k: u8, strength: [u32; 3], unit: u32, police: u32, team: u32) -> u32 {
    let pk = world.resource::<Peacekeeping>();
    let Some(&ce) = pk.contingents.get(k as usize) else { return 0 };
    let Some(c) = world.get::<Contingent>(ce).cloned() else { return 0 };
    let hq =
        world.get::<Mission>(world.resource::<Peacekeeping>().missions[c.mission as usize]).map(|m| m.headquarters);
    let at = c.base.or(hq).unwrap_or(Position { x: 0, y: 0 });
    let mut spawned = 0;
    for (role, people, size) in
        [(Role::Troops, strength[0], unit), (Role::Police, strength[1], police), (Role::Observers, strength[2], team)]
    {
        for s in unit_sizes(people, size) {
            let id = world.resource_mut::<Roster>().allocate_id();
            let u = Unit {
                mission: c.mission,
                contingent: k,
                role,
                strength: s,
                sector: c.sector.unwrap_or(0),
                duty: Duty::Patrol,
                waypoint: at,
                budget: 0.0,
                fresh: true,
            };
            let e = world.spawn((id, at, u)).id();
            world.resource_mut::<Peacekeeping>().units.push(e);
            spawned += s;
        }
    }
    spawned
}

/// Headquarters allocates units: a reserve of military units (at headquarters, or with early warning in the
/// districts on alert), the rest to sectors in proportion to their residents. Fresh units are placed.
fn allocate(world: &mut World) {
    world.resource_scope(|world, pk: Mut<Peacekeeping>| {
        world.resource_scope(|world, mut rngs: Mut<RngStreams>| {
            let residents = world.resource::<Conflict>().residents.clone();
            let rng = rngs.get(Stream::Peacekeeping);
            for &me in &pk.missions {
                let Some(mission) = world.get::<Mission>(me).cloned() else { continue };
                // Units of this mission, in creation order, with what allocation needs to know.
                let mut slots = Vec::new();
                for &ue in &pk.units {
                    let Some(u) = world.get::<Unit>(ue) else { continue };
                    if u.mission != mission.index || u.strength == 0 {
                        continue;
                    }
                    let c = world.get::<Contingent>(pk.contingents[u.contingent as usize]);
                    let fixed = c.is_some_and(|c| c.sector.is_some() || c.refuses(Task::OutOfSector));
                    slots.push((ue, u.role, fixed));
                }
                let military = slots.iter().filter(|s| s.1 == Role::Troops && !s.2).count();
                let reserve = (mission.reserve * military as f64).round() as usize;
                let mut reserve_left = reserve;
                let mut is_reserve = vec![false; slots.len()];
                for (i, s) in slots.iter().enumerate().rev() {
                    if reserve_left > 0 && s.1 == Role::Troops && !s.2 {
                        is_reserve[i] = true;
                        reserve_left -= 1;
                    }
                }
                // Sector quotas by residents (largest remainder).
                let weights: Vec<f64> = mission
                    .sectors
                    .iter()
                    .map(|s| {
                        s.districts
                            .iter()
                            .map(|&d| residents.get(d as usize).copied().unwrap_or(0) as f64)
                            .sum::<f64>()
                            .max(1.0)
                    })
                    .collect();
                let free = slots.iter().enumerate().filter(|(i, s)| !is_reserve[*i] && !s.2).count();
                let quota = apportion(&weights, free);
                let mut taken = vec![0usize; weights.len()];
                let mut unplaced = Vec::new();
                for (i, &(ue, _, fixed)) in slots.iter().enumerate() {
                    if is_reserve[i] || fixed {
                        continue;
                    }
                    let s = world.get::<Unit>(ue).map_or(0, |u| u.sector as usize);
                    if s < quota.len() && taken[s] < quota[s] && !world.get::<Unit>(ue).is_some_and(|u| u.fresh) {
                        taken[s] += 1;
                    } else {
                        unplaced.push(i);
                    }
                }
                let mut next = 0;
                for i in unplaced {
                    while next < quota.len() && taken[next] >= quota[next] {
                        next += 1;
                    }
                    let s = next.min(quota.len() - 1);
                    taken[s] += 1;
                    if let Some(mut u) = world.get_mut::<Unit>(slots[i].0)
                        && u.sector as usize != s
                    {
                        u.sector = s as u8;
                        u.waypoint = random_cell(&mission.sectors[s].cells, u.waypoint, rng, pk.width);
                    }
                }
                let mut alert_k = 0;
                for (i, &(ue, _, _)) in slots.iter().enumerate() {
                    let base = world
                        .get::<Unit>(ue)
                        .and_then(|u| world.get::<Contingent>(pk.contingents[u.contingent as usize]))
                        .and_then(|c| c.base);
                    let Some(mut u) = world.get_mut::<Unit>(ue) else { continue };
                    let last = mission.sectors.len() - 1;
                    if is_reserve[i] {
                        if !matches!(u.duty, Duty::Respond(_) | Duty::Escort(_)) {
                            u.duty = Duty::Reserve;
                            u.waypoint = if mission.early_warning && !pk.alert.is_empty() {
                                let d = pk.alert[alert_k % pk.alert.len()];
                                alert_k += 1;
                                random_cell(&pk.district_cells[d as usize], mission.headquarters, rng, pk.width)
                            } else {
                                mission.headquarters
                            };
                        }
                    } else if u.duty == Duty::Reserve {
                        u.duty = Duty::Patrol;
                        let s = (u.sector as usize).min(last);
                        u.waypoint = random_cell(&mission.sectors[s].cells, u.waypoint, rng, pk.width);
                    }
                    if !u.fresh {
                        continue;
                    }
                    // A unit that just arrived starts at its contingent's base, in reserve at its post, or
                    // somewhere in its sector.
                    u.fresh = false;
                    let start = match base {
                        Some(b) => b,
                        None if is_reserve[i] => u.waypoint,
                        None => {
                            let s = (u.sector as usize).min(last);
                            let cell = random_cell(&mission.sectors[s].cells, mission.headquarters, rng, pk.width);
                            u.waypoint = cell;
                            cell
                        }
                    };
                    if let Some(mut p) = world.get_mut::<Position>(ue) {
                        *p = start;
                    }
                }
            }
        });
    });
}

/// Largest-remainder apportionment of `n` over `weights`.
fn apportion(weights: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    if weights.is_empty() || total <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
    let mut quota: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = n - quota.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b].fract()).total_cmp(&exact[a].fract()).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        quota[i] += 1;
        left -= 1;
    }
    quota
}

/// A uniformly random cell of `cells` (or `fallback` if there are none).
fn random_cell(cells: &[u32], fallback: Position, rng: &mut ChaCha8Rng, width: usize) -> Position {
    if cells.is_empty() {
        return fallback;
    }
    let i = cells[rng.random_range(0..cells.len())] as usize;
    Position { x: (i % width) as u16, y: (i / width) as u16 }
}

/// Stamps every unit's presence into the per-cell fields.
fn stamp(world: &mut World) {
    world.resource_scope(|world, mut pk: Mut<Peacekeeping>| {
        let params = world.resource::<Params>();
        let Some(spec) = params.scenario.peacekeeping.as_ref() else { return };
        let (width, height) = (params.scenario.grid.width as i32, params.scenario.grid.height as i32);
        let (radius, police_weight, per_cop, interposition) =
            (spec.presence_radius as i32, spec.police_weight, spec.police_per_cop, spec.interposition);
        let pk = &mut *pk;
        pk.guard.iter_mut().for_each(|v| *v = 0.0);
        pk.battle.iter_mut().for_each(|v| *v = 0.0);
        pk.close.iter_mut().for_each(|v| *v = 0.0);
        pk.cops.iter_mut().for_each(|v| *v = 0);
        pk.near.iter_mut().for_each(|v| *v = 0);
        pk.index.position.clear();
        pk.deployed.clear();
        pk.deployed.resize(pk.contingents.len(), 0);
        pk.reach = 0;
        for &ke in &pk.contingents {
            if let Some(c) = world.get::<Contingent>(ke) {
                pk.reach = pk.reach.max(c.vision_radius).max(if c.drones.0 > 0.0 { c.drones.1 } else { 0 });
            }
        }
        for (slot, &ue) in pk.units.iter().enumerate() {
            let at = world.get::<Position>(ue).copied().unwrap_or(Position { x: 0, y: 0 });
            pk.index.position.push(at);
            let (Some(u), Some(p)) = (world.get::<Unit>(ue), world.get::<Position>(ue)) else { continue };
            if u.strength == 0 {
                continue;
            }
            pk.deployed[u.contingent as usize] += 1;
            let Some(c) = world.get::<Contingent>(pk.contingents[u.contingent as usize]) else { continue };
            let mandate = world.get::<Mission>(pk.missions[u.mission as usize]).map_or(Mandate::Observe, |m| m.mandate);
            let effective = f64::from(u.strength) * c.efficiency();
            let (guard, battle) = match u.role {
                Role::Troops => (effective, effective),
                Role::Police => (effective * police_weight, 0.0),
                Role::Observers => (0.0, 0.0),
            };
            let interposes = u.role != Role::Observers && mandate != Mandate::Observe && !c.refuses(Task::Protect);
            let close = if interposes { (interposition * c.efficiency()) as f32 } else { 0.0 };
            let cops = if u.role == Role::Police { (f64::from(u.strength) / per_cop).round() as u16 } else { 0 };
            let cop_radius = c.vision_radius as i32;
            let (cx, cy) = (i32::from(p.x), i32::from(p.y));
            // Each field covers a square (Chebyshev distance) around the unit, clipped to the grid: filled row
            // by row, a slice per row.
            let square = |r: i32| {
                let (x0, x1) = ((cx - r).max(0) as usize, (cx + r).min(width - 1) as usize);
                ((cy - r).max(0)..=(cy + r).min(height - 1)).map(move |y| {
                    let row = y as usize * width as usize;
                    row + x0..=row + x1
                })
            };
            let (guard, battle, near) = (guard as f32, battle as f32, slot as u32 + 1);
            for span in square(radius) {
                pk.guard[span.clone()].iter_mut().for_each(|v| *v += guard);
                pk.battle[span.clone()].iter_mut().for_each(|v| *v += battle);
                pk.near[span].fill(near);
            }
            for span in square(radius.min(1)) {
                pk.close[span].iter_mut().for_each(|v| *v = v.max(close));
            }
            if cops > 0 {
                for span in square(cop_radius) {
                    pk.cops[span].iter_mut().for_each(|v| *v = v.saturating_add(cops));
                }
            }
        }
        pk.index.rebuild(width as usize, height as usize);
    });
}

/// Start of tick: headquarters reallocates every `allocation_interval` days (and whenever units arrived), and
/// the presence fields are stamped from where units stand.
pub(crate) fn update_peacekeeping(world: &mut World) {
    if !world.get_resource::<Peacekeeping>().is_some_and(|p| p.enabled) {
        return;
    }
    let tick = world.resource::<Clock>().tick;
    let interval = world.resource::<Params>().scenario.peacekeeping.as_ref().map_or(7, |p| p.allocation_interval);
    let pk = world.resource::<Peacekeeping>();
    let fresh = pk.units.iter().any(|&e| world.get::<Unit>(e).is_some_and(|u| u.fresh));
    if fresh || tick.is_multiple_of(u64::from(interval.max(1))) {
        allocate(world);
    }
    stamp(world);
}

/// Applies this tick's peacekeeping events (deploy, reinforce_contingent, drawdown, withdraw, mandate, consent).
pub(crate) fn apply_peacekeeping_events(world: &mut World) {
    if !world.get_resource::<Peacekeeping>().is_some_and(|p| p.enabled) {
        return;
    }
    let tick = world.resource::<Clock>().tick;
    let params = world.resource::<Params>();
    let Some(spec) = params.scenario.peacekeeping.clone() else { return };
    let due: Vec<_> = params.scenario.events.iter().filter(|e| e.tick == tick).cloned().collect();
    let factions = params.factions.clone();
    let contingent_index =
        |name: &Option<String>| name.as_ref().and_then(|n| spec.contingents.keys().position(|k| k == n));
    let mission_index = |name: &Option<String>| name.as_ref().and_then(|n| spec.missions.keys().position(|k| k == n));
    let mut changed = false;
    for e in due {
        let event = |kind, value, detail: String| Event::global(tick, kind, value, detail);
        match e.kind {
            EventSpecKind::Deploy | EventSpecKind::ReinforceContingent => {
                let Some(k) = contingent_index(&e.contingent) else { continue };
                let name = e.contingent.clone().unwrap_or_default();
                let declared = spec.strength(&name);
                let given = e.troops.is_some() || e.police.is_some() || e.observers.is_some();
                let strength = if e.kind == EventSpecKind::Deploy && !given {
                    declared
                } else {
                    [e.troops.unwrap_or(0), e.police.unwrap_or(0), e.observers.unwrap_or(0)]
                };
                let arrived = spawn_units(
                    world,
                    k as u8,
                    strength,
                    spec.unit_size,
                    spec.police_unit_size,
                    spec.observer_team_size,
                );
                let kind = if e.kind == EventSpecKind::Deploy {
                    EventKind::ContingentDeployed
                } else {
                    EventKind::ContingentReinforced
                };
                world.resource_mut::<EventLog>().push(event(kind, f64::from(arrived), name));
                changed = true;
            }
            EventSpecKind::Drawdown | EventSpecKind::Withdraw => {
                let Some(k) = contingent_index(&e.contingent) else { continue };
                let share = if e.kind == EventSpecKind::Withdraw { 1.0 } else { e.share.unwrap_or(0.0) };
                let units = world.resource::<Peacekeeping>().units.clone();
                let mut left = 0u32;
                for ue in units {
                    let mine = world.get::<Unit>(ue).is_some_and(|u| u.contingent == k as u8 && u.strength > 0);
                    if !mine {
                        continue;
                    }
                    let stream = if e.injected { Stream::Inject } else { Stream::Peacekeeping };
                    let go = share >= 1.0 || world.resource_mut::<RngStreams>().get(stream).random_bool(share);
                    if go && let Some(mut u) = world.get_mut::<Unit>(ue) {
                        left += u.strength;
                        u.strength = 0;
                    }
                }
                remove_empty_units(world);
                let kind = if e.kind == EventSpecKind::Withdraw {
                    EventKind::ContingentWithdrawn
                } else {
                    EventKind::Drawdown
                };
                world.resource_mut::<EventLog>().push(event(
                    kind,
                    f64::from(left),
                    e.contingent.clone().unwrap_or_default(),
                ));
                changed = true;
            }
            EventSpecKind::Mandate => {
                let Some(m) = mission_index(&e.mission) else { continue };
                let me = world.resource::<Peacekeeping>().missions[m];
                if let Some(mut mission) = world.get_mut::<Mission>(me) {
                    if let Some(mandate) = e.mandate {
                        mission.mandate = mandate;
                    }
                    if let Some(spoilers) = &e.spoilers {
                        mission.spoilers = spoilers
                            .iter()
                            .filter_map(|s| factions.iter().position(|f| f == s))
                            .fold(0u8, |acc, f| acc | 1 << f);
                    }
                }
                let detail =
                    format!("{}:{}", e.mission.clone().unwrap_or_default(), e.mandate.map_or("", |m| m.as_str()));
                world.resource_mut::<EventLog>().push(event(EventKind::MandateChange, 0.0, detail));
                changed = true;
            }
            EventSpecKind::Consent => {
                let Some(m) = mission_index(&e.mission) else { continue };
                let me = world.resource::<Peacekeeping>().missions[m];
                let value = e.value.unwrap_or(1.0).clamp(0.0, 1.0);
                if let Some(mut mission) = world.get_mut::<Mission>(me) {
                    mission.consent = value;
                }
                world.resource_mut::<EventLog>().push(event(
                    EventKind::ConsentChange,
                    value,
                    e.mission.clone().unwrap_or_default(),
                ));
            }
            _ => {}
        }
    }
    if changed {
        stamp(world);
    }
}

/// Despawns units whose strength is 0 and drops them from the list.
fn remove_empty_units(world: &mut World) {
    let units = std::mem::take(&mut world.resource_mut::<Peacekeeping>().units);
    let mut kept = Vec::with_capacity(units.len());
    for ue in units {
        if world.get::<Unit>(ue).is_some_and(|u| u.strength > 0) {
            kept.push(ue);
        } else {
            world.despawn(ue);
        }
    }
    world.resource_mut::<Peacekeeping>().units = kept;
}

type UnitQuery<'w, 's> =
    Query<'w, 's, (&'static mut Unit, &'static mut Position), (Without<Civilian>, Without<Fighter>)>;
type PkFighterQuery<'w, 's> =
    Query<'w, 's, (&'static mut Fighter, &'static Position), (Without<Unit>, Without<Civilian>)>;

/// Chebyshev distance.
#[inline]
fn distance(a: Position, b: Position) -> u32 {
    u32::from(a.x.abs_diff(b.x).max(a.y.abs_diff(b.y)))
}

/// Whether unit `u` of contingent `c` in `mission` may be sent to an incident in district `d`.
fn may_respond(u: &Unit, c: &Contingent, mission: &Mission, d: u16) -> bool {
    u.strength > 0
        && u.role != Role::Observers
        && mission.mandate != Mandate::Observe
        && !c.refuses(Task::Respond)
        && !matches!(u.duty, Duty::Respond(_) | Duty::Escort(_))
        && (!c.refuses(Task::OutOfSector)
            || mission.sectors.get(u.sector as usize).is_some_and(|s| s.districts.contains(&d)))
}

/// The peacekeeping phase: attacks on peacekeepers, incidents and reports, dispatch, movement,
/// enforcement, police arrests, trust, consent and the early-warning forecast.
#[allow(clippy::too_many_arguments)]
pub(crate) fn peacekeepers_act(
    mut units: UnitQuery,
    entities: &Entities,
    mut fighters: PkFighterQuery,
    mut roster: ResMut<Roster>,
    missions: Query<&Mission>,
    contingents: Query<&Contingent>,
    ids: Query<&AgentId>,
    mut pk: ResMut<Peacekeeping>,
    mut conflict: ResMut<Conflict>,
    mut grid: ResMut<Grid>,
    mut rngs: ResMut<RngStreams>,
    mut log: ResMut<EventLog>,
    mut tally: ResMut<Tally>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    if !pk.enabled {
        return;
    }
    let Some(spec) = params.scenario.peacekeeping.as_ref() else { return };
    let tick = clock.tick;
    let pk = &mut *pk;
    let c = &mut *conflict;
    let visible = roster.citizens.len();
    let grid = &mut *grid;
    let rng = rngs.get(Stream::Peacekeeping);
    let kents = std::mem::take(&mut pk.contingents);
    let hit = params.scenario.conflict.as_ref().map_or(0.3, |r| r.hit_probability);
    let radius = params.scenario.conflict.as_ref().map_or(2, |r| r.violence_radius);
    let contingent_of = |u: &Unit| contingents.get(kents[u.contingent as usize]).ok();
    let id_of = |e: Entity| ids.get(e).ok().map(|a| a.0);
    let at = |kind, p: Position, actor, target, value, detail: String| Event {
        tick,
        kind,
        x: Some(p.x),
        y: Some(p.y),
        actor,
        target,
        value,
        detail,
    };

    // Attacks on peacekeepers: the unit may lose a soldier and returns fire in self-defence.
    let attacks = std::mem::take(&mut pk.attacks);
    for a in &attacks {
        let Ok((mut u, _)) = units.get_mut(a.unit) else { continue };
        if u.strength == 0 {
            continue;
        }
        pk.tally.attacks += 1;
        let Some(k) = contingent_of(&u) else { continue };
        let (eff, role) = (k.efficiency(), u.role);
        if rng.random_bool((hit * (1.5 - eff)).clamp(0.0, 1.0)) {
            u.strength -= 1;
            pk.tally.deaths += 1;
            log.push(at(EventKind::PeacekeeperKilled, a.cell, id_of(a.attacker), id_of(a.unit), 0.0, k.name.clone()));
        }
        if role != Role::Observers
            && rng.random_bool((hit * (0.5 + eff)).clamp(0.0, 1.0))
            && let Ok((mut f, pos)) = fighters.get_mut(a.attacker)
            && f.alive
        {
            let vf = c.kill(grid, &mut f, *pos, radius);
            log.push(at(
                EventKind::CombatDeath,
                *pos,
                id_of(a.unit),
                id_of(a.attacker),
                0.0,
                c.factions[vf].name.clone(),
            ));
        }
    }
    pk.attacks = attacks;
    pk.attacks.clear();

    // Incidents: seen by units, drones or satellites, or reported by civilians; each report travels to
    // headquarters and on to the unit it sends.
    let fresh = std::mem::take(&mut pk.fresh);
    pk.today.iter_mut().for_each(|t| *t = 0);
    for &(cell, kind) in &fresh {
        let index = cell.y as usize * pk.width + cell.x as usize;
        let d = c.district_of_cell.get(index).copied().unwrap_or(u16::MAX);
        let id = pk.next_incident;
        pk.next_incident += 1;
        pk.tally.incidents += 1;
        pk.incidents_total += 1;
        if d != u16::MAX {
            pk.today[d as usize] += 1;
            if pk.alert.contains(&d) {
                pk.warned_total += 1;
            }
        }
        pk.incidents.push(Incident { id, tick, cell, district: d, kind, assigned: false });
        let mut detected = false;
        for &me in &pk.missions {
            let Ok(mission) = missions.get(me) else { continue };
            // Who learns of it: (reporting contingent, direct) for each channel that fires.
            let mut reporters: [Option<(u8, bool)>; 4] = [None; 4];
            let of_mission = |slot: u32| {
                units
                    .get(pk.units[slot as usize])
                    .ok()
                    .filter(|(u, _)| u.mission == mission.index && u.strength > 0)
                    .map(|(u, _)| u)
            };
            let nearest = pk.index.nearest(cell, |slot| of_mission(slot).is_some());
            // The first unit (by slot) that sees it, and the first whose drones cover it.
            let mut sight: Option<(u32, u8)> = None;
            let mut drone: Option<(u32, u8, f64)> = None;
            pk.index.around(cell, pk.reach, |slot, dist| {
                let Some(u) = of_mission(slot) else { return };
                let Some(k) = contingent_of(u) else { return };
                if dist <= k.vision_radius && sight.is_none_or(|(s, _)| slot < s) {
                    sight = Some((slot, u.contingent));
                }
                if k.drones.0 > 0.0 && dist <= k.drones.1 && drone.is_none_or(|(s, _, _)| slot < s) {
                    drone = Some((slot, u.contingent, k.drones.0));
                }
            });
            reporters[0] = sight.map(|(_, k)| (k, true));
            if let Some((_, k, p)) = drone
                && rng.random_bool(p)
            {
                reporters[1] = Some((k, false));
            }
            for &ke in &kents {
                if let Ok(k) = contingents.get(ke)
                    && k.mission == mission.index
                    && k.satellite > 0.0
                    && reporters[2].is_none()
                    && pk.deployed.get(k.index as usize).is_some_and(|&n| n > 0)
                    && rng.random_bool(k.satellite)
                {
                    reporters[2] = Some((k.index, false));
                }
            }
            let nearest = nearest.and_then(|(_, slot)| of_mission(slot)).map(|u| (0u32, u.contingent));
            let trust = if d == u16::MAX { 0.0 } else { pk.trust[d as usize] };
            if let Some((_, k)) = nearest
                && !matches!(kind, IncidentKind::CeasefireViolation(..))
                && rng.random_bool((spec.report_rate * trust).clamp(0.0, 1.0))
            {
                reporters[3] = Some((k, false));
            }
            if reporters[..3].iter().any(Option::is_some) {
                detected = true;
            }
            for (reporter, direct) in reporters.into_iter().flatten() {
                // Headquarters' choice: the nearest unit free to respond.
                let best = pk
                    .index
                    .nearest(cell, |slot| {
                        units.get(pk.units[slot as usize]).is_ok_and(|(u, _)| {
                            u.mission == mission.index
                                && contingent_of(u).is_some_and(|k| may_respond(u, k, mission, d))
                        })
                    })
                    .and_then(|(dist, slot)| {
                        let ue = pk.units[slot as usize];
                        units.get(ue).ok().map(|(u, _)| (dist, ue, u.contingent))
                    });
                let actor = best.map_or(reporter, |b| b.2);
                let comm = |k: u8| contingents.get(kents[k as usize]).map_or(0.0, |k| k.communication);
                let n = kents.len();
                let link = if direct {
                    1.0
                } else {
                    (comm(reporter) * comm(actor)).sqrt() * pk.interoperability[reporter as usize * n + actor as usize]
                };
                if rng.random_bool((spec.report_loss * (1.0 - link)).clamp(0.0, 1.0)) {
                    pk.tally.reports_lost += 1;
                    continue;
                }
                let delay = (spec.report_delay * (1.0 - link)).round() as u64;
                pk.reports.push(Report {
                    incident: id,
                    mission: mission.index,
                    due: tick + delay,
                    unit: best.map(|b| b.1),
                });
            }
        }
        if let IncidentKind::CeasefireViolation(a, b) = kind {
            pk.tally.violations += 1;
            if detected {
                pk.tally.violations_detected += 1;
            } else if let Some(cf) = c.ceasefires.iter_mut().find(|cf| (cf.a, cf.b) == (a, b) || (cf.a, cf.b) == (b, a))
            {
                // An unseen violation goes unanswered and raises the chance that the ceasefire collapses.
                cf.pressure += params.scenario.conflict.as_ref().map_or(0.0, |r| r.violation_escalation);
            }
        }
    }
    pk.fresh = fresh;
    pk.fresh.clear();

    // Reports arriving today: the first for an incident sends a unit.
    let mut i = 0;
    while i < pk.reports.len() {
        let r = pk.reports[i];
        if r.due > tick {
            i += 1;
            continue;
        }
        pk.reports.swap_remove(i);
        pk.tally.reports += 1;
        let Some(slot) = pk.incidents.iter().position(|x| x.id == r.incident && !x.assigned) else { continue };
        let incident = pk.incidents[slot];
        let Ok(mission) = missions.get(pk.missions[r.mission as usize]) else { continue };
        let planned = r.unit.filter(|&ue| {
            units
                .get(ue)
                .is_ok_and(|(u, _)| contingent_of(u).is_some_and(|k| may_respond(u, k, mission, incident.district)))
        });
        let unit = planned.or_else(|| {
            pk.index
                .nearest(incident.cell, |slot| {
                    units.get(pk.units[slot as usize]).is_ok_and(|(u, _)| {
                        u.mission == mission.index
                            && contingent_of(u).is_some_and(|k| may_respond(u, k, mission, incident.district))
                    })
                })
                .map(|(_, slot)| pk.units[slot as usize])
        });
        if let Some(ue) = unit
            && let Ok((mut u, _)) = units.get_mut(ue)
        {
            u.duty = Duty::Respond(incident.id);
            u.waypoint = incident.cell;
            pk.incidents[slot].assigned = true;
        }
    }
    // Reports still in transit are processed in the order they were sent; keep that order stable.
    pk.reports.sort_by_key(|r| (r.due, r.incident));

    // Movement: patrol, reserve, response. Host consent below 1 denies movement on some days.
    let speed = spec.speed;
    for &ue in &pk.units {
        let Ok((mut u, mut p)) = units.get_mut(ue) else { continue };
        if u.strength == 0 {
            continue;
        }
        let Some(k) = contingents.get(kents[u.contingent as usize]).ok() else { continue };
        let Ok(mission) = missions.get(pk.missions[u.mission as usize]) else { continue };
        if matches!(u.duty, Duty::Escort(_)) {
            continue; // it travels with its convoy
        }
        if mission.consent < 1.0 && !rng.random_bool(mission.consent.clamp(0.0, 1.0)) {
            continue;
        }
        u.budget += speed * (0.5 + k.training);
        let steps = u.budget.floor();
        u.budget -= steps;
        let mut here = *p;
        for _ in 0..steps as u32 {
            if distance(here, u.waypoint) == 0 {
                break;
            }
            here = step_towards(here, u.waypoint);
        }
        *p = here;
        match u.duty {
            Duty::Respond(id) => {
                if let Some(slot) = pk.incidents.iter().position(|x| x.id == id) {
                    if distance(here, pk.incidents[slot].cell) <= 1 {
                        let incident = pk.incidents.swap_remove(slot);
                        let elapsed = tick - incident.tick;
                        pk.tally.reached += 1;
                        pk.reached_total += 1;
                        pk.response_time_total += elapsed;
                        u.duty = Duty::Patrol;
                        log.push(at(EventKind::IncidentReached, here, None, None, elapsed as f64, k.name.clone()));
                    }
                } else {
                    u.duty = Duty::Patrol;
                }
            }
            Duty::Patrol if distance(here, u.waypoint) == 0 => {
                let s = (u.sector as usize).min(mission.sectors.len().saturating_sub(1));
                if let Some(sector) = mission.sectors.get(s) {
                    u.waypoint = random_cell(&sector.cells, here, rng, pk.width);
                }
            }
            _ => {}
        }
    }
    // Incidents nobody reached in time are failures to protect.
    let window = u64::from(spec.response_window);
    let protects = pk.missions.iter().any(|&me| missions.get(me).is_ok_and(|m| m.mandate != Mandate::Observe));
    let mut i = 0;
    while i < pk.incidents.len() {
        let x = pk.incidents[i];
        if tick.saturating_sub(x.tick) < window {
            i += 1;
            continue;
        }
        pk.incidents.swap_remove(i);
        pk.tally.missed += 1;
        // A failure to protect, where some mission is mandated to protect (observers are not expected to).
        if x.district != u16::MAX && protects {
            let t = &mut pk.trust[x.district as usize];
            *t -= spec.failure_trust * *t;
        }
        for &ue in &pk.units {
            if let Ok((mut u, _)) = units.get_mut(ue)
                && u.duty == Duty::Respond(x.id)
            {
                u.duty = Duty::Patrol;
            }
        }
    }
    pk.incidents.sort_by_key(|x| x.id);

    // Enforcement against spoilers, and police arrests.
    let groups = params.groups.len();
    let n = c.factions.len();
    for &ue in &pk.units {
        let Ok((u, p)) = units.get(ue) else { continue };
        if u.strength == 0 {
            continue;
        }
        let (role, here, strength) = (u.role, *p, u.strength);
        let Some(k) = contingents.get(kents[u.contingent as usize]).ok() else { continue };
        let Ok(mission) = missions.get(pk.missions[u.mission as usize]) else { continue };
        if role == Role::Troops
            && mission.mandate == Mandate::Enforce
            && mission.spoilers != 0
            && !k.refuses(Task::Enforce)
            && rng.random_bool(spec.enforcement_rate)
        {
            let spoilers = mission.spoilers;
            let count = grid.count_fighters(here, &k.vision, spoilers);
            if count > 0 {
                let pick = rng.random_range(0..count);
                if let Some(cell) = grid.nth_fighter(here, &k.vision, spoilers, pick)
                    && let Some(victim) = grid.occupant(cell, entities)
                    && let Ok((mut f, _)) = fighters.get_mut(victim)
                    && f.alive
                {
                    let vf = f.faction as usize;
                    pk.tally.enforcement += 1;
                    // Partiality costs consent: the target faction, and half as much among its allies.
                    for g in 0..n {
                        let loss = if g == vf {
                            spec.enforcement_cost
                        } else if c.relation[vf * n + g] > 0.0 {
                            spec.enforcement_cost / 2.0
                        } else {
                            0.0
                        };
                        pk.consent[g] = (pk.consent[g] - loss).max(0.0);
                    }
                    if rng.random_bool(k.efficiency()) {
                        c.kill(grid, &mut f, cell, radius);
                        log.push(at(
                            EventKind::CombatDeath,
                            cell,
                            id_of(ue),
                            id_of(victim),
                            0.0,
                            c.factions[vf].name.clone(),
                        ));
                    }
                    if rng.random_bool(spec.collateral) {
                        let civilian = |fl: u8| fl & (OCCUPIED | FORCE | JAILED | WATER) == OCCUPIED;
                        let m = grid.count(cell, &k.vision, civilian);
                        if m > 0 {
                            let pick = rng.random_range(0..m);
                            if let Some(vc) = grid.nth(cell, &k.vision, pick, civilian).map(|i| grid.position(i))
                                && let Some(person) = grid.occupant(vc, entities)
                                && let Some(v) = roster.citizen_mut(person)
                            {
                                v.state = CitizenState::Dead;
                                grid.clear(vc);
                                tally.removed += 1;
                                pk.tally.civilian_deaths += 1;
                                c.deposit(vc, radius);
                                let d = c.district_of_cell[grid.index(vc)];
                                if d != u16::MAX {
                                    let t = &mut pk.trust[d as usize];
                                    *t -= spec.harm_trust * *t;
                                }
                                log.push(at(
                                    EventKind::CivilianKilled,
                                    vc,
                                    id_of(ue),
                                    id_of(person),
                                    0.0,
                                    "peacekeepers".to_owned(),
                                ));
                            }
                        }
                    }
                }
            }
        }
        if role == Role::Police {
            let capacity = (f64::from(strength) / spec.police_per_cop).round().max(1.0) as u32;
            for _ in 0..capacity {
                let Some((cell, suspect, term)) =
                    arrest_one(grid, &mut roster, visible, rng, &params.scenario.rules, groups, here, &k.vision)
                else {
                    break;
                };
                pk.tally.arrests += 1;
                tally.arrests += 1;
                let value = if term == LIFE_SENTENCE { -1.0 } else { f64::from(term) };
                log.push(at(EventKind::Arrest, cell, id_of(ue), id_of(suspect), value, k.name.clone()));
            }
        }
    }

    // Trust: contact with units (by their cultural competency), drifting back to the baseline; consent
    // recovers; the early-warning forecast takes in today's incidents.
    for &ue in &pk.units {
        let Ok((u, p)) = units.get(ue) else { continue };
        if u.strength == 0 {
            continue;
        }
        let d = c.district_of_cell[p.y as usize * pk.width + p.x as usize];
        if d == u16::MAX {
            continue;
        }
        let competency = contingents.get(kents[u.contingent as usize]).map_or(0.0, |k| k.cultural_competency);
        let t = &mut pk.trust[d as usize];
        *t += spec.trust_gain * competency * (1.0 - *t);
    }
    for t in &mut pk.trust {
        *t = (*t + spec.trust_drift * (spec.trust - *t)).clamp(0.0, 1.0);
    }
    for consent in &mut pk.consent {
        *consent += spec.consent_recovery * (1.0 - *consent);
    }
    for (f, t) in pk.forecast.iter_mut().zip(&pk.today) {
        *f = spec.warning_decay * *f + f64::from(*t);
    }
    let mut ranked: Vec<u16> = (0..pk.forecast.len() as u16).filter(|&d| pk.forecast[d as usize] > 0.05).collect();
    ranked.sort_by(|&a, &b| pk.forecast[b as usize].total_cmp(&pk.forecast[a as usize]).then(a.cmp(&b)));
    ranked.truncate(spec.warning_districts as usize);
    pk.alert = ranked;

    pk.contingents = kents;
    // Units wiped out leave the list (their entities are despawned at the next tick's start).
    pk.units.retain(|&ue| units.get(ue).is_ok_and(|(u, _)| u.strength > 0));
}

/// One 8-neighbour step from `from` towards `to`.
#[inline]
fn step_towards(from: Position, to: Position) -> Position {
    let step = |a: u16, b: u16| match a.cmp(&b) {
        std::cmp::Ordering::Less => a + 1,
        std::cmp::Ordering::Greater => a - 1,
        std::cmp::Ordering::Equal => a,
    };
    Position { x: step(from.x, to.x), y: step(from.y, to.y) }
}

/// Despawns units removed during the last tick (strength 0, no longer listed).
pub(crate) fn remove_units(mut commands: Commands, units: Query<(Entity, &Unit)>) {
    for (e, u) in &units {
        if u.strength == 0 {
            commands.entity(e).despawn();
        }
    }
}

/// Interposition: whether an armed unit next to `cell` stops an attack there (draws only where one is).
#[inline]
pub(crate) fn interposes(pk: &Peacekeeping, index: usize, rng: &mut ChaCha8Rng) -> bool {
    let p = f64::from(pk.close[index]);
    p > 0.0 && rng.random_bool(p.min(1.0))
}

/// Trust gained where an attack was stopped.
pub(crate) fn protected(pk: &mut Peacekeeping, district: u16, gain: f64) {
    pk.tally.protected += 1;
    if district != u16::MAX {
        let t = &mut pk.trust[district as usize];
        *t += gain * (1.0 - *t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The bucket index finds exactly what a scan of every unit finds: the nearest admitted unit (ties by
    /// slot), and every unit within a radius.
    #[test]
    fn unit_index_agrees_with_a_full_scan() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (width, height, n) in [(60usize, 30usize, 40usize), (13, 7, 5), (200, 90, 300), (9, 9, 0)] {
            let mut index = UnitIndex {
                position: (0..n)
                    .map(|_| Position { x: rng.random_range(0..width as u16), y: rng.random_range(0..height as u16) })
                    .collect(),
                ..UnitIndex::default()
            };
            index.rebuild(width, height);
            for _ in 0..200 {
                let at = Position { x: rng.random_range(0..width as u16), y: rng.random_range(0..height as u16) };
                let admit = |slot: u32| slot % 3 != 1;
                let brute =
                    (0..n as u32).filter(|&s| admit(s)).map(|s| (distance(index.position[s as usize], at), s)).min();
                assert_eq!(index.nearest(at, admit), brute, "{width}x{height} at {at:?}");
                let radius = rng.random_range(0..20u32);
                let mut found: Vec<u32> = Vec::new();
                index.around(at, radius, |slot, d| {
                    if d <= radius {
                        found.push(slot);
                    }
                });
                found.sort_unstable();
                let expected: Vec<u32> =
                    (0..n as u32).filter(|&s| distance(index.position[s as usize], at) <= radius).collect();
                assert_eq!(found, expected);
            }
        }
    }
}
