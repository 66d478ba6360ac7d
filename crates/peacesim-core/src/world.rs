//! Resources shared by every concept: the clock, live parameters, the roster of agents in stable id order,
//! and per-tick tallies.

use crate::civilians::{Citizen, CitizenState};
use crate::grid::{Neighbourhood, Position};
use bevy_ecs::entity::EntityIndex;
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
        let (width, height, topology) = (scenario.grid.width, scenario.grid.height, scenario.grid.topology);
        let bound = |v| Neighbourhood::new(v).bind(width, height, topology);
        Params {
            groups: scenario.populations.keys().cloned().collect(),
            forces: scenario.forces.keys().cloned().collect(),
            citizen_vision: scenario.populations.values().map(|p| bound(&p.vision)).collect(),
            citizen_movement: scenario.populations.values().map(|p| p.movement).collect(),
            force_vision: scenario.forces.values().map(|f| bound(&f.vision)).collect(),
            force_movement: scenario.forces.values().map(|f| f.movement).collect(),
            factions: scenario.factions.keys().cloned().collect(),
            faction_vision: scenario.factions.values().map(|f| bound(&f.vision)).collect(),
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

/// Every agent entity in stable id order (appended at creation, removed after death), the citizens' state,
/// plus scratch space reused every tick so that activation allocates nothing.
///
/// A citizen's state (a [`Citizen`]) lives here, in a dense array in the same order as
/// [`Roster::citizens`], rather than as a component: the activation pass visits citizens in a random order
/// and the scans in id order, and both index this array directly (no entity lookup, no copy in and out, and
/// 48 bytes per citizen less than a component with its change ticks). The citizen's entity carries its
/// [`AgentId`] and the [`Civilian`](crate::Civilian) marker only: where a citizen is, is its state's
/// [`Citizen::home`] (no [`Position`] component, which would be a second copy to keep in step).
#[derive(Resource, Debug, Default, Clone)]
pub struct Roster {
    /// Citizens, in id order. Change it only through the methods below, which keep the citizens' state in
    /// step.
    pub(crate) citizens: Vec<Entity>,
    /// The state of each citizen of `citizens`, at the same index.
    pub(crate) records: Vec<Citizen>,
    /// The age in ticks of each citizen of `citizens`, at the same index (0 without Model II demography).
    /// Kept apart from `records`, which the activation pass reads at random, so that a record stays 32 bytes.
    pub(crate) ages: Vec<u32>,
    /// The index in `citizens` of each entity index that is a citizen's ([`NO_SLOT`] otherwise); an entry is
    /// only trusted when `citizens` holds the same entity there (an index can be reused by another entity).
    slot_of: Vec<u32>,
    /// The entity index of the first citizen given to [`Roster::set_citizens`]. A population spawned as one
    /// batch has consecutive entity indices in slot order, so that a citizen's slot is usually its index less
    /// this: a guess, which [`Roster::active_slot_on`] confirms by the state it reads anyway (see there).
    index_base: u32,
    /// Whether every citizen's entity index is `index_base` plus its slot, as it is for a population spawned
    /// as one batch until a citizen is removed from before the last slot or one is added whose index does not
    /// follow on: a released citizen's index is then computed, not read from `citizens`
    /// ([`Roster::citizen_index`]).
    aligned: bool,
    /// Force members, in id order.
    pub members: Vec<Entity>,
    /// Fighters of the factions, in the order they joined (a recruit keeps the id it had as a citizen).
    pub fighters: Vec<Entity>,
    /// The next id to hand out.
    pub next_id: u32,
    /// The activation pass's positions and order, reused every tick.
    pub(crate) scratch: crate::activation::ActivationScratch,
}

/// A `slot_of` entry that holds no citizen.
const NO_SLOT: u32 = u32::MAX;

impl Roster {
    /// Hands out the next stable id.
    pub fn allocate_id(&mut self) -> AgentId {
        let id = AgentId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Hands out `n` consecutive stable ids; returns the first.
    pub(crate) fn allocate_ids(&mut self, n: u32) -> u32 {
        let first = self.next_id;
        self.next_id += n;
        first
    }

    /// The citizens' entities, in id order.
    pub fn citizens(&self) -> &[Entity] {
        &self.citizens
    }

    /// The citizens' state, at the same indices as [`Roster::citizens`].
    pub fn citizen_records(&self) -> &[Citizen] {
        &self.records
    }

    /// The citizens' ages in ticks, at the same indices as [`Roster::citizens`] (0 without Model II
    /// demography).
    pub fn citizen_ages(&self) -> &[u32] {
        &self.ages
    }

    /// Appends a citizen (its entity, its state and its age).
    pub(crate) fn push_citizen(&mut self, entity: Entity, record: Citizen, age: u32) {
        if self.citizens.is_empty() {
            (self.index_base, self.aligned) = (entity.index_u32(), true);
        } else {
            self.aligned &= entity.index_u32() == self.index_base.wrapping_add(self.citizens.len() as u32);
        }
        self.set_slot(entity, self.citizens.len());
        self.citizens.push(entity);
        self.records.push(record);
        self.ages.push(age);
    }

    /// Replaces every citizen (at setup or from a checkpoint): entities, states and ages in id order, of equal
    /// lengths.
    pub(crate) fn set_citizens(&mut self, citizens: Vec<Entity>, records: Vec<Citizen>, ages: Vec<u32>) {
        debug_assert_eq!(citizens.len(), records.len());
        debug_assert_eq!(citizens.len(), ages.len());
        self.citizens = citizens;
        self.records = records;
        self.ages = ages;
        self.index_base = self.citizens.first().map_or(0, |e| e.index_u32());
        let base = self.index_base;
        self.aligned = self.citizens.iter().zip(0u32..).all(|(e, slot)| e.index_u32() == base.wrapping_add(slot));
        // One entry per entity index up to the largest citizen's: looked up at random on large worlds.
        let len = self.citizens.iter().map(|e| e.index_u32() as usize + 1).max().unwrap_or(0);
        self.slot_of = crate::memory::huge_vec(len, NO_SLOT);
        self.reindex_from(0);
    }

    /// Keeps the citizens whose state passes `keep` (asked once per citizen, in order); hands the entity of
    /// each one dropped to `dropped`.
    pub(crate) fn retain_citizens(&mut self, mut keep: impl FnMut(&Citizen) -> bool, mut dropped: impl FnMut(Entity)) {
        // One compacting pass that asks `keep` once per citizen; nothing moves before the first dropped one.
        let (mut to, mut first) = (0, None);
        for from in 0..self.records.len() {
            let record = self.records[from];
            if !keep(&record) {
                first.get_or_insert(from);
                dropped(self.citizens[from]);
                continue;
            }
            if to != from {
                self.records[to] = record;
                self.ages[to] = self.ages[from];
                self.citizens[to] = self.citizens[from];
            }
            to += 1;
        }
        let Some(first) = first else { return };
        // The citizens after the first one dropped moved down: their indices no longer follow their slots.
        self.aligned &= first >= to;
        self.records.truncate(to);
        self.ages.truncate(to);
        self.citizens.truncate(to);
        self.reindex_from(first);
    }

    /// Points `slot_of` at the citizens from index `first` on.
    fn reindex_from(&mut self, first: usize) {
        for i in first..self.citizens.len() {
            self.set_slot(self.citizens[i], i);
        }
    }

    fn set_slot(&mut self, entity: Entity, slot: usize) {
        let index = entity.index_u32() as usize;
        if self.slot_of.len() <= index {
            self.slot_of.resize(index + 1, NO_SLOT);
        }
        self.slot_of[index] = slot as u32;
    }

    /// The entity index of the citizen in `slot` (which must be a citizen's): computed from the slot while the
    /// roster is aligned (see `aligned`), which on a large world saves a cache miss, else read.
    #[inline]
    pub(crate) fn citizen_index(&self, slot: usize) -> u32 {
        self.computed_index(slot).unwrap_or_else(|| self.citizens[slot].index_u32())
    }

    /// The entity index of the citizen in `slot` (which must be a citizen's) if the roster is aligned (see
    /// `aligned`), computed without reading anything.
    #[inline]
    pub(crate) fn computed_index(&self, slot: usize) -> Option<u32> {
        let index = self.aligned.then(|| self.index_base.wrapping_add(slot as u32));
        debug_assert!(index.is_none_or(|i| i == self.citizens[slot].index_u32()), "slot {slot}");
        index
    }

    /// The index of a citizen's entity in [`Roster::citizens`], if it is a citizen's.
    #[inline]
    pub fn citizen_slot(&self, entity: Entity) -> Option<usize> {
        self.citizen_slot_at(entity.index()).filter(|&slot| self.citizens[slot] == entity)
    }

    /// The index in [`Roster::citizens`] of the citizen whose entity has the index `index` (what the grid holds
    /// of a cell's occupant), if it is a citizen's.
    #[inline]
    pub fn citizen_slot_at(&self, index: EntityIndex) -> Option<usize> {
        let slot = *self.slot_of.get(index.index() as usize)? as usize;
        (self.citizens.get(slot).map(|e| e.index()) == Some(index)).then_some(slot)
    }

    /// The slot of the active citizen whose entity index is `index`, found on `cell`, checked against its state
    /// in `records` (the roster's states, taken out for the activation pass) rather than against
    /// [`Roster::citizens`]: an active citizen holds its cell, and no other active citizen can be on it. The
    /// caller reads that state next anyway, so on a large world this is one cache miss fewer than
    /// [`Roster::citizen_slot_at`] and the same answer.
    ///
    /// The slot is first guessed from the index (see `index_base`) and looked up in `slot_of` only if the
    /// state there is not an active citizen's on `cell`. The guess cannot be wrong when that check passes,
    /// since only one active citizen can be on the cell; it saves the arrest the lookup's cache miss, which
    /// the record's waits on (3% of a 400x400 tick).
    #[inline]
    pub(crate) fn active_slot_on(&self, index: EntityIndex, cell: Position, records: &[Citizen]) -> Option<usize> {
        let on_cell =
            |slot: usize| records.get(slot).is_some_and(|c| c.home == cell && c.state == CitizenState::Active);
        let guess = index.index().wrapping_sub(self.index_base) as usize;
        if on_cell(guess) {
            return Some(guess);
        }
        let slot = *self.slot_of.get(index.index() as usize)? as usize;
        on_cell(slot).then_some(slot)
    }

    /// The state of a citizen, by entity.
    #[inline]
    pub fn citizen(&self, entity: Entity) -> Option<&Citizen> {
        self.citizen_slot(entity).map(|i| &self.records[i])
    }

    /// The state of a citizen, by entity, to change.
    #[inline]
    pub(crate) fn citizen_mut(&mut self, entity: Entity) -> Option<&mut Citizen> {
        self.citizen_slot(entity).map(|i| &mut self.records[i])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civilians::CitizenState;
    use crate::grid::Position;

    fn citizen(group: u8) -> Citizen {
        Citizen::new(group, 0.5, 0.5, Position { x: u16::from(group), y: 0 })
    }

    /// The roster finds a citizen's state by entity after pushes and removals, keeps each age beside its
    /// state, and never takes another entity that reuses a removed citizen's index for it.
    #[test]
    fn citizens_are_found_by_entity_through_pushes_removals_and_reuse() {
        let mut world = World::new();
        let mut roster = Roster::default();
        let entities: Vec<Entity> = (0..6).map(|_| world.spawn_empty().id()).collect();
        for (g, &e) in entities.iter().enumerate() {
            roster.push_citizen(e, citizen(g as u8), 10 * g as u32);
        }
        for (g, &e) in entities.iter().enumerate() {
            assert_eq!(roster.citizen_slot(e), Some(g));
            assert_eq!(roster.citizen(e).map(|c| c.group), Some(g as u8));
        }
        // Drop groups 1, 2 and 4: the rest keep their order and are found at their new indices.
        let (mut gone, mut asked) = (Vec::new(), Vec::new());
        let keep = |c: &Citizen| {
            asked.push(c.group);
            ![1, 2, 4].contains(&c.group)
        };
        roster.retain_citizens(keep, |e| gone.push(e));
        assert_eq!(asked, vec![0, 1, 2, 3, 4, 5], "`keep` is asked once per citizen, in order");
        assert_eq!(gone, vec![entities[1], entities[2], entities[4]]);
        assert_eq!(roster.citizens(), &[entities[0], entities[3], entities[5]]);
        let groups: Vec<u8> = roster.citizen_records().iter().map(|c| c.group).collect();
        assert_eq!(groups, vec![0, 3, 5]);
        assert_eq!(roster.citizen_ages(), &[0, 30, 50], "ages are compacted with the states");
        for (i, &e) in roster.citizens().iter().enumerate() {
            assert_eq!(roster.citizen_slot(e), Some(i));
        }
        for &e in &gone {
            assert_eq!(roster.citizen_slot(e), None, "a removed citizen is not found");
        }
        // An entity on a removed citizen's index (a later generation) is not that citizen; pushed, it is found.
        let old = entities[2];
        let reused = Entity::from_index_and_generation(old.index(), old.generation().after_versions(1));
        assert_ne!(reused, old);
        assert_eq!(roster.citizen(reused), None);
        roster.push_citizen(reused, citizen(7), 70);
        assert_eq!(roster.citizen_slot(reused), Some(3));
        if let Some(c) = roster.citizen_mut(reused) {
            c.state = CitizenState::Active;
        }
        assert_eq!(roster.citizen_records()[3].state, CitizenState::Active);
        // Replacing every citizen re-indexes them all.
        let (list, records) = (roster.citizens().to_vec(), roster.citizen_records().to_vec());
        let ages = roster.citizen_ages().to_vec();
        let reversed = (list.into_iter().rev().collect(), records.into_iter().rev().collect());
        roster.set_citizens(reversed.0, reversed.1, ages.into_iter().rev().collect());
        assert_eq!(roster.citizen(entities[0]).map(|c| c.group), Some(0));
        assert_eq!(roster.citizen_ages(), &[70, 50, 30, 0]);
        assert_eq!(roster.citizen_slot(entities[0]), Some(3));
        assert_eq!(roster.citizen_slot(reused), Some(0));
    }

    /// An arrest finds the active citizen on a cell by its entity index whether or not the slot guessed from
    /// the index is right: with the population as spawned (guess right), after removals shift the slots and
    /// after a reversal (guess wrong), and never for a citizen who is not active on that cell.
    #[test]
    fn the_active_citizen_on_a_cell_is_found_whether_or_not_the_guessed_slot_is_right() {
        let mut world = World::new();
        world.spawn_empty();
        let entities: Vec<Entity> = (0..8).map(|_| world.spawn_empty().id()).collect();
        let records: Vec<Citizen> = (0..8u8)
            .map(|g| Citizen {
                state: if g % 2 == 1 { CitizenState::Active } else { CitizenState::Quiescent },
                ..citizen(g)
            })
            .collect();
        let mut roster = Roster::default();
        roster.set_citizens(entities.clone(), records, vec![0; 8]);
        let check = |roster: &Roster| {
            for (slot, (&e, c)) in roster.citizens().iter().zip(roster.citizen_records()).enumerate() {
                let found = roster.active_slot_on(e.index(), c.home, roster.citizen_records());
                let expected = (c.state == CitizenState::Active).then_some(slot);
                assert_eq!(found, expected, "citizen of group {} in slot {slot}", c.group);
                let elsewhere = Position { x: c.home.x, y: 1 };
                assert_eq!(roster.active_slot_on(e.index(), elsewhere, roster.citizen_records()), None);
            }
        };
        check(&roster);
        // Slots shift down after the first removal, so that the guesses of the citizens after it fail.
        roster.retain_citizens(|c| c.group != 2, |_| ());
        check(&roster);
        let (list, records) = (roster.citizens().to_vec(), roster.citizen_records().to_vec());
        let n = list.len();
        roster.set_citizens(list.into_iter().rev().collect(), records.into_iter().rev().collect(), vec![0; n]);
        check(&roster);
    }

    /// A citizen's entity index is computed from its slot only while every index follows on from the first:
    /// as spawned in one batch or pushed in order, and after removals from the end; not after a removal
    /// from the middle, nor after a push out of order.
    #[test]
    fn citizen_indices_are_computed_only_while_they_follow_the_slots() {
        let mut world = World::new();
        world.spawn_empty();
        let entities: Vec<Entity> = (0..6).map(|_| world.spawn_empty().id()).collect();
        let indices = |r: &Roster| (0..r.citizens().len()).map(|s| r.citizen_index(s)).collect::<Vec<_>>();
        let read = |r: &Roster| r.citizens().iter().map(|e| e.index_u32()).collect::<Vec<_>>();
        let mut roster = Roster::default();
        for (g, &e) in entities[..4].iter().enumerate() {
            roster.push_citizen(e, citizen(g as u8), 0);
        }
        assert!(roster.aligned, "pushed in order");
        assert_eq!(indices(&roster), read(&roster));
        roster.retain_citizens(|c| c.group != 3, |_| ());
        assert!(roster.aligned, "only the last one removed");
        assert_eq!(indices(&roster), read(&roster));
        roster.push_citizen(entities[5], citizen(5), 0);
        assert!(!roster.aligned, "index 5 pushed into slot 3");
        assert_eq!(indices(&roster), read(&roster));
        let batch: Vec<Citizen> = (0..6).map(citizen).collect();
        roster.set_citizens(entities.clone(), batch.clone(), vec![0; 6]);
        assert!(roster.aligned, "a batch spawned in order");
        roster.retain_citizens(|c| c.group != 1, |_| ());
        assert!(!roster.aligned, "a removal from the middle");
        assert_eq!(indices(&roster), read(&roster));
        let shuffled = vec![entities[1], entities[0], entities[2], entities[3], entities[4], entities[5]];
        roster.set_citizens(shuffled, batch, vec![0; 6]);
        assert!(!roster.aligned, "a batch out of order");
        assert_eq!(indices(&roster), read(&roster));
    }
}
