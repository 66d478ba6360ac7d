//! Per-tick metrics: one row of named numbers, computed after everyone has acted.

use crate::aid::{Agency, AidState};
use crate::civilians::{CitizenState, grievance};
use crate::conflict::Conflict;
use crate::food::FoodState;
use crate::peacekeeping::{Mission, Peacekeeping, Unit};
use crate::world::{Params, Roster, Tally};
use bevy_ecs::prelude::*;
use peacesim_scenario::FactionKind;
use peacesim_scenario::conflict::EventSpecKind;
use peacesim_scenario::experiment::Statistic;

/// What a metric's value at a tick is: what happened during the tick, the state at its end, or a running
/// total since the start. docs/cli.md gives each column's kind in these words ([`MetricKind::as_str`]), and
/// an outcome measure named without a statistic takes the kind's default ([`MetricKind::default_statistic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Events of this tick, counted (`arrests`).
    PerTickCount,
    /// An amount that moved during this tick (`aid_delivered`).
    PerTickAmount,
    /// Agents in some state at the end of the tick (`active`).
    StateCount,
    /// A level or share at the end of the tick (`legitimacy`).
    StateValue,
    /// Events since the start of the run, counted (`killed`).
    CumulativeCount,
    /// An amount moved since the start of the run (`aid_delivered_total`).
    CumulativeAmount,
    /// A value over the run so far (`mean_response_time`).
    CumulativeValue,
}

impl MetricKind {
    /// The kind in docs/cli.md's words: `per-tick count`, `state value`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            PerTickCount => "per-tick count",
            PerTickAmount => "per-tick amount",
            StateCount => "state count",
            StateValue => "state value",
            CumulativeCount => "cumulative count",
            CumulativeAmount => "cumulative amount",
            CumulativeValue => "cumulative value",
        }
    }

    /// Whether a value covers one tick only, so that the run's figure is the sum over ticks.
    pub fn is_per_tick(self) -> bool {
        matches!(self, PerTickCount | PerTickAmount)
    }

    /// The statistic an outcome measure named by the metric alone takes: the total over the run for what
    /// happens per tick (`civilian_deaths`: the run's civilian deaths), the value after the last tick for
    /// states and running totals (`displaced`, `killed`).
    pub fn default_statistic(self) -> Statistic {
        if self.is_per_tick() { Statistic::Total } else { Statistic::Final }
    }
}

use MetricKind::{
    CumulativeAmount, CumulativeCount, CumulativeValue, PerTickAmount, PerTickCount, StateCount, StateValue,
};

/// The columns of every run, first.
const BASE: [(&str, MetricKind); 14] = [
    ("quiescent", StateCount),
    ("active", StateCount),
    ("jailed", StateCount),
    ("alive", StateCount),
    ("killed", CumulativeCount),
    ("activations", PerTickCount),
    ("arrests", PerTickCount),
    ("releases", PerTickCount),
    ("births", PerTickCount),
    ("deaths", PerTickCount),
    ("cops", StateCount),
    ("mean_grievance", StateValue),
    ("legitimacy", StateValue),
    ("tension", StateValue),
];

/// Columns of the food layer (with `[food]`).
const FOOD: [(&str, MetricKind); 3] =
    [("food_insecurity", StateValue), ("food_stock", StateValue), ("food_produced", PerTickAmount)];

/// The columns of a table, each suffixed `_<suffix>` if there is one.
fn table<'a>(
    columns: &'a [(&'a str, MetricKind)],
    suffix: Option<&'a str>,
) -> impl Iterator<Item = (String, MetricKind)> + 'a {
    columns.iter().map(move |&(name, kind)| (suffix.map_or_else(|| name.to_owned(), |s| format!("{name}_{s}")), kind))
}

/// Columns of the conflict layer (when it is on), before the per-kind and per-faction ones.
const CONFLICT: [(&str, MetricKind); 16] = [
    ("people", StateCount),
    ("fighters", StateCount),
    ("civilian_deaths", PerTickCount),
    ("disaster_deaths", PerTickCount),
    ("combatant_deaths", PerTickCount),
    ("recruits", PerTickCount),
    ("desertions", PerTickCount),
    ("allegiance_shifts", PerTickCount),
    ("reinforcements", PerTickCount),
    ("displaced", StateCount),
    ("flights", PerTickCount),
    ("returns", PerTickCount),
    ("mean_legitimacy", StateValue),
    ("mean_violence", StateValue),
    ("ceasefire_violations", PerTickCount),
    ("ceasefires", StateCount),
];

/// Columns of the peacekeeping layer (when the scenario has `[peacekeeping]`), before the per-mission ones.
const PEACEKEEPING: [(&str, MetricKind); 18] = [
    ("peacekeepers", StateCount),
    ("peacekeeping_units", StateCount),
    ("peacekeeper_deaths", PerTickCount),
    ("attacks_on_peacekeepers", PerTickCount),
    ("incidents", PerTickCount),
    ("incidents_reached", PerTickCount),
    ("incidents_missed", PerTickCount),
    ("mean_response_time", CumulativeValue),
    ("civilians_protected", PerTickCount),
    ("ceasefire_violations_detected", PerTickCount),
    ("reports_received", PerTickCount),
    ("reports_lost", PerTickCount),
    ("mean_trust", StateValue),
    ("early_warning_hit_rate", CumulativeValue),
    ("enforcement_actions", PerTickCount),
    ("civilians_killed_by_peacekeepers", PerTickCount),
    ("police_arrests", PerTickCount),
    ("mean_consent", StateValue),
];

/// Columns of the aid layer (when the scenario has `[aid]`).
const AID: [(&str, MetricKind); 16] = [
    ("aid_needed", StateValue),
    ("aid_supplied", PerTickAmount),
    ("aid_delivered", PerTickAmount),
    ("aid_looted", PerTickAmount),
    ("aid_duplicated", PerTickAmount),
    ("aid_in_transit", StateValue),
    ("aid_in_stock", StateValue),
    ("aid_supplied_total", CumulativeAmount),
    ("aid_delivered_total", CumulativeAmount),
    ("aid_looted_total", CumulativeAmount),
    ("convoys_dispatched", PerTickCount),
    ("convoys_delivered", PerTickCount),
    ("convoys_attacked", PerTickCount),
    ("convoys_escorted", PerTickCount),
    ("aid_worker_deaths", PerTickCount),
    ("mean_delivery_time", CumulativeValue),
];

/// Per-mission columns, suffixed `_<mission>`.
const PER_MISSION: [(&str, MetricKind); 4] =
    [("troops", StateCount), ("police", StateCount), ("observers", StateCount), ("consent", StateValue)];

/// Per-faction columns, suffixed `_<faction>`.
const PER_FACTION: [(&str, MetricKind); 5] = [
    ("fighters", StateCount),
    ("territory", StateValue),
    ("combatant_deaths", PerTickCount),
    ("cohesion", StateValue),
    ("resources", StateValue),
];

/// Per-group counters of one tick.
const PER_GROUP: [(&str, MetricKind); 5] = [
    ("quiescent", StateCount),
    ("active", StateCount),
    ("jailed", StateCount),
    ("alive", StateCount),
    ("killed", CumulativeCount),
];

/// The latest metrics row and its column names (fixed for the run).
#[derive(Resource, Debug, Clone)]
pub struct Metrics {
    /// Column names, snake_case, in output order.
    pub names: Vec<String>,
    /// Each column's kind, aligned with `names`.
    pub kinds: Vec<MetricKind>,
    /// Values of the latest tick, aligned with `names`.
    pub values: Vec<f64>,
    /// Per-group scratch: [group][PER_GROUP index].
    pub(crate) scratch: Vec<[f64; 5]>,
    /// Living citizens per district (by the cell they hold, or held before jail), when the map has more than
    /// one district.
    pub(crate) districts: Vec<u64>,
    /// Displaced citizens per district they are in, with displacement on and more than one district.
    pub(crate) displaced: Vec<u64>,
    /// Whether the run has the `districts_in_drought` column (decided at setup, so that events injected
    /// later cannot change the columns).
    pub(crate) drought_column: bool,
    /// With the conflict layer on: this tick's per-district terms of the citizens' sums, one per district and
    /// a last one for cells outside every district (recomputed every tick, so not part of a checkpoint).
    pub(crate) terms: Vec<crate::conflict::DistrictTerms>,
}

impl Metrics {
    /// The columns for a run with these populations and forces.
    pub fn new(params: &Params) -> Self {
        let mut columns: Vec<(String, MetricKind)> = table(&BASE, None).collect();
        if params.groups.len() > 1 {
            for group in &params.groups {
                columns.extend(table(&PER_GROUP, Some(group)));
            }
        }
        let scenario = &params.scenario;
        let conflict = scenario.has_conflict();
        let drought_column = scenario.food.is_some()
            && (scenario.climate.is_some() || scenario.events.iter().any(|e| e.kind == EventSpecKind::Drought));
        if scenario.food.is_some() {
            columns.extend(table(&FOOD, None));
            if drought_column {
                columns.push(("districts_in_drought".into(), StateCount));
            }
            if conflict {
                columns.push(("food_insecure_share".into(), StateValue));
            }
        }
        let districts = match &params.map {
            Some(map) if map.districts.len() > 1 => {
                columns.extend(map.districts.iter().map(|d| (format!("alive_{d}"), StateCount)));
                vec![0; map.districts.len()]
            }
            _ => Vec::new(),
        };
        if conflict {
            columns.extend(table(&CONFLICT, None));
            columns.extend(FactionKind::ALL.iter().map(|k| (format!("civilian_deaths_{}", k.as_str()), PerTickCount)));
            for f in &params.factions {
                columns.extend(table(&PER_FACTION, Some(f)));
            }
        }
        if let Some(pk) = &scenario.peacekeeping {
            columns.extend(table(&PEACEKEEPING, None));
            for m in pk.missions.keys() {
                columns.extend(table(&PER_MISSION, Some(m)));
            }
        }
        if scenario.aid.is_some() {
            columns.extend(table(&AID, None));
        }
        let displaced = match &params.map {
            Some(map) if scenario.displacement.is_some() && map.districts.len() > 1 => {
                columns.extend(map.districts.iter().map(|d| (format!("displaced_{d}"), StateCount)));
                vec![0; map.districts.len()]
            }
            _ => Vec::new(),
        };
        let (names, kinds): (Vec<String>, Vec<MetricKind>) = columns.into_iter().unzip();
        let values = vec![0.0; names.len()];
        Metrics {
            names,
            kinds,
            values,
            scratch: vec![[0.0; 5]; params.groups.len()],
            districts,
            displaced,
            drought_column,
            terms: Vec::new(),
        }
    }

    /// Value of the named metric in the latest row.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.names.iter().position(|n| n == name).map(|i| self.values[i])
    }
}

/// Every state, in discriminant order.
const STATES: [CitizenState; 5] =
    [CitizenState::Quiescent, CitizenState::Active, CitizenState::Jailed, CitizenState::Dead, CitizenState::Recruited];

/// The column of the metrics row a citizen in `state` counts in (quiescent 0, active 1, jailed 2), or
/// `None` for a citizen who is gone.
#[inline]
fn column_of(state: CitizenState) -> Option<usize> {
    match state {
        CitizenState::Quiescent => Some(0),
        CitizenState::Active => Some(1),
        CitizenState::Jailed => Some(2),
        CitizenState::Dead | CitizenState::Recruited => None,
    }
}

/// Computes this tick's row. Every sum over citizens is an integer (hardship in 32-bit fixed point): the
/// result does not depend on the order of the citizens, and so is reproducible bit for bit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_metrics(
    food: Res<FoodState>,
    conflict: Res<Conflict>,
    roster: Res<Roster>,
    tally: Res<Tally>,
    params: Res<Params>,
    pk: Res<Peacekeeping>,
    units: Query<&Unit>,
    missions: Query<&Mission>,
    aid: Res<AidState>,
    agencies: Query<&Agency>,
    mut metrics: ResMut<Metrics>,
) {
    const ONE: f64 = 4_294_967_296.0;
    let rules = &params.scenario.rules;
    let metrics = &mut *metrics;
    for row in &mut metrics.scratch {
        *row = [0.0; 5];
    }
    let groups = metrics.scratch.len();
    let mut counts = [[0u64; 3]; 8];
    let (mut hardship_sum, mut tense) = (0u64, 0u64);
    let (mut legitimacy_sum, mut displaced, mut insecure, mut grievance_sum) = (0u64, 0u64, 0u64, 0u64);
    metrics.districts.iter_mut().for_each(|n| *n = 0);
    metrics.displaced.iter_mut().for_each(|n| *n = 0);
    let width = params.scenario.grid.width as usize;
    let district_of =
        params.map.as_ref().filter(|_| !metrics.districts.is_empty() && !conflict.enabled).map(|m| &m.district);
    // A quiescent agent is "tense" (aggrieved but deterred) when H (1 - L) > T.
    // The citizens come in id order, their cells in random order: start reading the cell of the citizen a few
    // places ahead (its recent violence and district) while this one is summed. Without either table the loop
    // reads no cell data, and looks nowhere ahead.
    let citizens = roster.citizen_records();
    let plain = !conflict.enabled && district_of.is_none() && food.weight == 0.0;
    let mut ahead = (conflict.enabled || district_of.is_some()).then(|| citizens.iter().skip(crate::grid::SCAN_AHEAD));
    let mut terms = std::mem::take(&mut metrics.terms);
    if conflict.enabled {
        conflict.district_terms(&food, rules.legitimacy, &mut terms);
    }
    // Without districts, the conflict layer or food, a citizen's row reads only its own state: the same sums
    // as the general loop below, without its per-citizen checks for those layers.
    if plain {
        // Branch-free: every citizen is counted by group and state (the gone among them are dropped below),
        // and its hardship is masked out unless it is alive. `keep` is 1 - L, as `grievance` computes it.
        let (keep, threshold) = (1.0 - rules.legitimacy, rules.threshold);
        let mut by_state = [[0u64; 5]; 8];
        for c in citizens {
            let state = c.state as usize;
            by_state[usize::from(c.group) & 7][state] += 1;
            let alive = u64::from(column_of(c.state).is_some());
            hardship_sum += (c.hardship * ONE) as i64 as u64 & alive.wrapping_neg();
            tense += u64::from(c.state == CitizenState::Quiescent && c.hardship * keep > threshold);
        }
        for (count, states) in counts.iter_mut().zip(&by_state) {
            for (state, &n) in states.iter().enumerate() {
                if let Some(column) = column_of(STATES[state]) {
                    count[column] += n;
                }
            }
        }
    }
    for c in if plain { &[] } else { citizens } {
        if let Some(a) = ahead.as_mut().and_then(Iterator::next) {
            let index = a.home.y as usize * width + a.home.x as usize;
            if conflict.enabled {
                conflict.touch(index);
            } else if let Some(d) = district_of.and_then(|d| d.get(index)) {
                crate::grid::prefetch(d);
            }
        }
        let Some(column) = column_of(c.state) else { continue };
        counts[c.group as usize][column] += 1;
        let index = c.home.y as usize * width + c.home.x as usize;
        // One district lookup per citizen: the conflict layer's table when it is on, else the map's.
        let district = if conflict.enabled {
            Some(conflict.district_of_cell[index]).filter(|&d| d != u16::MAX)
        } else {
            district_of.and_then(|d| d[index])
        };
        if let Some(d) = district
            && !metrics.districts.is_empty()
        {
            metrics.districts[d as usize] += 1;
            if c.displaced && !metrics.displaced.is_empty() {
                metrics.displaced[d as usize] += 1;
            }
        }
        if conflict.enabled {
            // `Conflict::hardship_in(FoodState::hardship_in(..))`, `legitimacy_in` and `grievance`, with what
            // depends on the district alone taken from this tick's table.
            let t = &terms[district.map_or(terms.len() - 1, usize::from)];
            let hardship = conflict.hardship_with(t, c.hardship, index);
            let grievance = hardship * t.keep;
            hardship_sum += (hardship * ONE) as i64 as u64;
            tense += u64::from(column == 0 && grievance > rules.threshold);
            legitimacy_sum += t.fixed_legitimacy;
            grievance_sum += (grievance * ONE) as i64 as u64;
            displaced += u64::from(c.displaced);
            insecure += u64::from(t.insecure);
        } else {
            let hardship = food.hardship(c.hardship, index);
            hardship_sum += (hardship * ONE) as i64 as u64;
            tense += u64::from(column == 0 && grievance(hardship, rules.legitimacy) > rules.threshold);
        }
    }
    metrics.terms = terms;
    for ((row, count), killed) in metrics.scratch.iter_mut().zip(&counts[..groups]).zip(&tally.killed) {
        row[0] = count[0] as f64;
        row[1] = count[1] as f64;
        row[2] = count[2] as f64;
        row[3] = (count[0] + count[1] + count[2]) as f64;
        row[4] = *killed as f64;
    }
    let total = |i: usize| metrics.scratch.iter().map(|r| r[i]).sum::<f64>();
    let (quiescent, active, jailed, alive, killed) = (total(0), total(1), total(2), total(3), total(4));
    let mean_hardship = if alive > 0.0 { hardship_sum as f64 / ONE / alive } else { 0.0 };
    let head = [
        quiescent,
        active,
        jailed,
        alive,
        killed,
        tally.activations as f64,
        tally.arrests as f64,
        tally.releases as f64,
        tally.births as f64,
        tally.deaths as f64,
        roster.members.len() as f64,
        if conflict.enabled {
            // Legitimacy differs by district: the mean of each citizen's own grievance.
            if alive > 0.0 { grievance_sum as f64 / ONE / alive } else { 0.0 }
        } else {
            grievance(mean_hardship, rules.legitimacy)
        },
        rules.legitimacy,
        if quiescent > 0.0 { tense as f64 / quiescent } else { 0.0 },
    ];
    metrics.values.clear();
    metrics.values.extend_from_slice(&head);
    if groups > 1 {
        for row in &metrics.scratch {
            metrics.values.extend_from_slice(row);
        }
    }
    if params.scenario.food.is_some() {
        let stock: f64 = food.stock.iter().sum();
        metrics.values.extend([food.mean_insecurity(), stock, food.produced]);
        if metrics.drought_column {
            metrics.values.push(food.loss.iter().filter(|&&l| l > 0.0).count() as f64);
        }
        if conflict.enabled {
            metrics.values.push(if alive > 0.0 { insecure as f64 / alive } else { 0.0 });
        }
    }
    metrics.values.extend(metrics.districts.iter().map(|&n| n as f64));
    if conflict.enabled {
        let t = &conflict.tally;
        let fighters: u64 = conflict.factions.iter().map(|f| u64::from(f.fighters)).sum();
        let land = conflict.district_cells.iter().map(|&n| u64::from(n)).sum::<u64>().max(1) as f64;

        metrics.values.extend([
            alive + fighters as f64,
            fighters as f64,
            (t.civilian_deaths.iter().sum::<u64>() + pk.tally.civilian_deaths) as f64,
            t.disaster_deaths as f64,
            t.combatant_deaths.iter().sum::<u64>() as f64,
            t.recruits as f64,
            t.desertions as f64,
            t.allegiance_shifts as f64,
            t.reinforcements as f64,
            displaced as f64,
            t.flights as f64,
            t.returns as f64,
            if alive > 0.0 { legitimacy_sum as f64 / ONE / alive } else { rules.legitimacy },
            conflict.heat_sum / land,
            t.violations as f64,
            conflict.ceasefires.len() as f64,
        ]);
        metrics.values.extend(t.civilian_deaths.iter().map(|&n| n as f64));
        for (f, faction) in conflict.factions.iter().enumerate() {
            metrics.values.extend([
                f64::from(faction.fighters),
                faction.territory as f64 / land,
                t.combatant_deaths[f] as f64,
                faction.cohesion,
                faction.resources,
            ]);
        }
    }
    if pk.enabled {
        let p = &pk.tally;
        let mut people = [[0u64; 3]; 8];
        let mut count = 0u64;
        for &e in &pk.units {
            if let Ok(u) = units.get(e)
                && u.strength > 0
            {
                people[u.mission as usize][u.role as usize] += u64::from(u.strength);
                count += 1;
            }
        }
        let total: u64 = people.iter().flatten().sum();
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
        let consent =
            if pk.consent.is_empty() { 1.0 } else { pk.consent.iter().sum::<f64>() / pk.consent.len() as f64 };
        metrics.values.extend([
            total as f64,
            count as f64,
            p.deaths as f64,
            p.attacks as f64,
            p.incidents as f64,
            p.reached as f64,
            p.missed as f64,
            ratio(pk.response_time_total, pk.reached_total),
            p.protected as f64,
            p.violations_detected as f64,
            p.reports as f64,
            p.reports_lost as f64,
            pk.mean_trust(&conflict.residents),
            ratio(pk.warned_total, pk.incidents_total),
            p.enforcement as f64,
            p.civilian_deaths as f64,
            p.arrests as f64,
            consent,
        ]);
        for &me in &pk.missions {
            let Ok(m) = missions.get(me) else { continue };
            let [troops, police, observers] = people[m.index as usize];
            metrics.values.extend([troops as f64, police as f64, observers as f64, m.consent]);
        }
    }
    if aid.enabled {
        let t = &aid.tally;
        let need = params.scenario.food.as_ref().map_or(0.0, |f| f.need);
        let needed: f64 = food.insecurity.iter().zip(&food.population).map(|(i, &p)| need * p as f64 * i).sum();
        let stock: f64 = aid.agencies.iter().filter_map(|&e| agencies.get(e).ok()).map(|a| a.stock).sum();
        let mean_days =
            if aid.arrivals_total > 0 { aid.delivery_days_total as f64 / aid.arrivals_total as f64 } else { 0.0 };
        metrics.values.extend([
            needed,
            t.supplied,
            t.delivered,
            t.looted,
            t.duplicated,
            aid.in_transit,
            stock,
            aid.supplied_total,
            aid.delivered_total,
            aid.looted_total,
            t.dispatched as f64,
            t.arrived as f64,
            t.attacked as f64,
            t.escorted as f64,
            t.worker_deaths as f64,
            mean_days,
        ]);
    }
    metrics.values.extend(metrics.displaced.iter().map(|&n| n as f64));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_table_is_in_discriminant_order() {
        for (i, &state) in STATES.iter().enumerate() {
            assert_eq!(state as usize, i, "{state:?}");
        }
        // Every state is listed: a sixth would not fit the plain loop's per-state counts.
        for state in STATES {
            match state {
                CitizenState::Quiescent
                | CitizenState::Active
                | CitizenState::Jailed
                | CitizenState::Dead
                | CitizenState::Recruited => {}
            }
        }
    }
}
