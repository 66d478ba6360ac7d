//! Humanitarian aid: agencies with supply inflows and depots, needs assessment, allocation, coordination,
//! and convoys that travel the map at the risk of being stopped, attacked and looted.
//!
//! Agencies and convoys are ECS entities ([`Agency`], [`Convoy`] with a [`Position`] and a stable
//! [`AgentId`](crate::AgentId)); like peacekeeping units they do not hold grid cells. Each agency's routes to every
//! district's distribution point are computed once at setup (Dijkstra over terrain costs, roads cheap, water
//! impassable but on roads). Every day, in the aid phase after the peacekeepers:
//!
//! 1. supplies arrive at the depots (`supply`, a runtime parameter);
//! 2. every `assessment_interval` days the agencies assess needs: each district's food shortfall (need x
//!    residents x insecurity) times `cover_days`, a snapshot that grows stale until the next assessment;
//! 3. convoys on the road move (see 5 and 6);
//! 4. each agency sends up to `convoys_per_day` convoys of `convoy_size` where its policy says (needs-based
//!    triage, population-proportional, nearest-first), counting against the assessment the deliveries it
//!    knows of: its own, and with the coordination cluster those of every member;
//!    an agency that wants escorts gets the nearest free peacekeeping unit the mandate and caveats allow;
//! 5. convoys move along their routes as far as the day's budget takes them; the day's exposure is the
//!    most dangerous cell they stand on (recent violence, ground held by a non-state armed faction at odds
//!    with the government), and a convoy may be stopped there (less likely with an escort): aid workers may
//!    be killed, and a hostile faction holding the cell may loot the cargo, which becomes its resources
//!    (and so its recruits); otherwise the convoy is held up for the rest of the day;
//! 6. a convoy that arrives adds its cargo to the district's food stock; the part beyond the district's
//!    assessed need (all agencies' deliveries since the assessment) counts as duplicated.
//!
//! Aid is conserved: supplied (initial stocks included) = delivered + looted + in transit + in depots.

use crate::civilians::Civilian;
use crate::conflict::{Conflict, Fighter, UNCONTROLLED};
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::grid::Position;
use crate::peacekeeping::{Contingent, Duty, Mission, Peacekeeping, Role, Unit};
use crate::rng::{RngStreams, Stream};
use crate::world::{Clock, Params, Roster};
use bevy_ecs::prelude::*;
use peacesim_scenario::FactionKind;
use peacesim_scenario::aid::{AgencyKind, Policy};
use peacesim_scenario::map::Terrain;
use peacesim_scenario::peacekeeping::{Mandate, Task};
use rand::RngExt;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A humanitarian agency.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Agency {
    /// Its index.
    pub index: u8,
    /// Its name.
    pub name: String,
    /// UN agency or NGO.
    pub kind: AgencyKind,
    /// Its depot.
    pub depot: Position,
    /// Whether it is in the coordination cluster.
    pub cluster: bool,
    /// Whether it asks for escorts.
    pub escort: bool,
    /// Its allocation policy.
    pub policy: Policy,
    /// Food in its depot.
    pub stock: f64,
}

/// A convoy on its way.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Convoy {
    /// Its id (for escorts and events).
    pub id: u32,
    /// Index of its agency.
    pub agency: u8,
    /// Food it carries.
    pub cargo: f64,
    /// The district it goes to.
    pub district: u16,
    /// How far along its route it is (index of the cell it stands on).
    pub step: u32,
    /// Route cost it can still spend today.
    pub budget: f64,
    /// Tick it left the depot.
    pub dispatched: u64,
    /// The unit escorting it, if any.
    pub escort: Option<Entity>,
    /// Aid workers with it.
    pub crew: u32,
}

/// Counts of one tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AidTally {
    /// Food received by the agencies.
    pub supplied: f64,
    /// Food delivered.
    pub delivered: f64,
    /// Food looted.
    pub looted: f64,
    /// Food delivered beyond the assessed need.
    pub duplicated: f64,
    /// Convoys sent.
    pub dispatched: u64,
    /// Convoys that arrived.
    pub arrived: u64,
    /// Convoys stopped on the way (held up, attacked or looted).
    pub attacked: u64,
    /// Convoys sent with an escort.
    pub escorted: u64,
    /// Aid workers killed.
    pub worker_deaths: u64,
}

/// The aid layer's state.
#[derive(Resource, Debug, Clone, Default)]
pub struct AidState {
    /// Whether the scenario has `[aid]`.
    pub enabled: bool,
    /// Grid width.
    pub width: usize,
    /// Agency entities, by index.
    pub agencies: Vec<Entity>,
    /// Convoy entities, in dispatch order.
    pub convoys: Vec<Entity>,
    /// Districts.
    pub districts: usize,
    /// Whether each agency is in the coordination cluster.
    pub cluster: Vec<bool>,
    /// Route of agency `a` to district `d` at `a * districts + d`: cells from the depot to the district's
    /// distribution point (empty when unreachable).
    pub routes: Vec<Vec<u32>>,
    /// Route cost, same layout (infinite when unreachable).
    pub route_cost: Vec<f64>,
    /// Cost of entering each cell.
    pub cell_cost: Vec<f64>,
    /// Assessed need per district (shortfall per day x cover days) at the last assessment.
    pub assessed: Vec<f64>,
    /// Food insecurity per district at the last assessment.
    pub assessed_insecurity: Vec<f64>,
    /// Residents per district at the last assessment.
    pub assessed_population: Vec<u64>,
    /// Food sent (delivered or on the way) by agency `a` to district `d` since the last assessment.
    pub planned: Vec<f64>,
    /// Food delivered to each district since the last assessment, all agencies.
    pub delivered_since: Vec<f64>,
    /// Food agency `a` has delivered or sent to district `d`, ever (for the proportional policy).
    pub sent: Vec<f64>,
    /// This tick's counts.
    pub tally: AidTally,
    /// Supplied ever, initial stocks included.
    pub supplied_total: f64,
    /// Delivered ever.
    pub delivered_total: f64,
    /// Looted ever.
    pub looted_total: f64,
    /// Food on the road now.
    pub in_transit: f64,
    /// Convoys arrived ever, and the days they took in total.
    pub arrivals_total: u64,
    /// Sum of delivery times.
    pub delivery_days_total: u64,
    /// The next convoy id.
    pub(crate) next_convoy: u32,
}

impl AidState {
    /// Starts a tick.
    pub fn start_tick(&mut self) {
        if self.enabled {
            self.tally = AidTally::default();
        }
    }
}

/// Costs of entering each cell: roads cheapest (and bridging water), then open, urban, rough; water impassable.
fn cell_costs(spec: &peacesim_scenario::aid::Aid, map: &peacesim_scenario::map::ResolvedMap) -> Vec<f64> {
    map.terrain
        .iter()
        .zip(&map.road)
        .map(|(t, &road)| {
            if road {
                spec.road_cost
            } else {
                match t {
                    Terrain::Open => 1.0,
                    Terrain::Urban => spec.urban_cost,
                    Terrain::Rough => spec.rough_cost,
                    Terrain::Water => f64::INFINITY,
                }
            }
        })
        .collect()
}

/// Dijkstra from `source` over 8-neighbour steps; returns (cost, predecessor) per cell.
fn shortest_paths(cost: &[f64], width: usize, height: usize, source: usize) -> (Vec<f64>, Vec<u32>) {
    let mut dist = vec![f64::INFINITY; cost.len()];
    let mut prev = vec![u32::MAX; cost.len()];
    let mut heap = BinaryHeap::new();
    dist[source] = 0.0;
    // Costs are finite positive numbers: order them by their bits (monotone for non-negative floats).
    heap.push(Reverse((0u64, source as u32)));
    while let Some(Reverse((bits, i))) = heap.pop() {
        let i = i as usize;
        let d = f64::from_bits(bits);
        if d > dist[i] {
            continue;
        }
        let (x, y) = ((i % width) as i64, (i / width) as i64);
        for (dx, dy) in crate::conflict::NEIGHBOURS {
            let (nx, ny) = (x + i64::from(dx), y + i64::from(dy));
            if nx < 0 || ny < 0 || nx >= width as i64 || ny >= height as i64 {
                continue;
            }
            let j = ny as usize * width + nx as usize;
            let step = cost[j];
            if !step.is_finite() {
                continue;
            }
            let nd = d + step;
            if nd < dist[j] {
                dist[j] = nd;
                prev[j] = i as u32;
                heap.push(Reverse((nd.to_bits(), j as u32)));
            }
        }
    }
    (dist, prev)
}

/// Sets up agencies and routes (an exclusive setup step).
pub(crate) fn setup_aid(world: &mut World) {
    let params = world.resource::<Params>().clone();
    let (Some(spec), Some(map)) = (params.scenario.aid.clone(), params.map.clone()) else { return };
    let width = params.scenario.grid.width as usize;
    let height = params.scenario.grid.height as usize;
    let districts = map.districts.len();
    // Each district's distribution point: its land cell nearest its centre (first in row-major order on ties).
    let mut sums = vec![(0.0f64, 0.0f64, 0u64); districts];
    for (i, d) in map.district.iter().enumerate() {
        if let Some(d) = d {
            let s = &mut sums[*d as usize];
            (s.0, s.1, s.2) = (s.0 + (i % width) as f64, s.1 + (i / width) as f64, s.2 + 1);
        }
    }
    let mut point = vec![(f64::INFINITY, 0usize); districts];
    for (i, d) in map.district.iter().enumerate() {
        if let Some(d) = d {
            let (sx, sy, n) = sums[*d as usize];
            let (cx, cy) = (sx / n as f64, sy / n as f64);
            let dist = ((i % width) as f64 - cx).powi(2) + ((i / width) as f64 - cy).powi(2);
            if dist < point[*d as usize].0 {
                point[*d as usize] = (dist, i);
            }
        }
    }
    let cost = cell_costs(&spec, &map);
    let mut state = AidState {
        enabled: true,
        width,
        districts,
        cell_cost: cost.clone(),
        assessed: vec![0.0; districts],
        assessed_insecurity: vec![0.0; districts],
        assessed_population: vec![0; districts],
        delivered_since: vec![0.0; districts],
        ..Default::default()
    };
    for (a, (name, ag)) in spec.agencies.iter().enumerate() {
        let depot = Position { x: ag.depot[0] as u16, y: ag.depot[1] as u16 };
        let source = depot.y as usize * width + depot.x as usize;
        let (dist, prev) = shortest_paths(&cost, width, height, source);
        for &(_, target) in &point {
            let mut route = Vec::new();
            if dist[target].is_finite() {
                let mut at = target;
                while at != source {
                    route.push(at as u32);
                    at = prev[at] as usize;
                }
                route.push(source as u32);
                route.reverse();
            }
            state.route_cost.push(dist[target]);
            state.routes.push(route);
        }
        let agency = Agency {
            index: a as u8,
            name: name.clone(),
            kind: ag.kind,
            depot,
            cluster: ag.cluster,
            escort: ag.escort,
            policy: ag.policy.unwrap_or(spec.policy),
            stock: ag.stock,
        };
        state.supplied_total += ag.stock;
        state.cluster.push(ag.cluster);
        let id = world.resource_mut::<Roster>().allocate_id();
        state.agencies.push(world.spawn((id, depot, agency)).id());
    }
    let n = state.agencies.len();
    state.planned = vec![0.0; n * districts];
    state.sent = vec![0.0; n * districts];
    world.insert_resource(state);
}

type ConvoyQuery<'w, 's> = Query<
    'w,
    's,
    (&'static mut Convoy, &'static mut Position),
    (Without<Unit>, Without<Civilian>, Without<Fighter>, Without<Agency>),
>;
type EscortQuery<'w, 's> = Query<
    'w,
    's,
    (&'static mut Unit, &'static mut Position),
    (Without<Convoy>, Without<Civilian>, Without<Fighter>, Without<Agency>),
>;

/// The aid phase: supplies, assessment, dispatch, escorts, movement, risks and deliveries.
#[allow(clippy::too_many_arguments)]
pub(crate) fn aid_act(
    mut commands: Commands,
    mut agencies: Query<&mut Agency>,
    mut convoys: ConvoyQuery,
    mut units: EscortQuery,
    contingents: Query<&Contingent>,
    missions: Query<&Mission>,
    mut aid: ResMut<AidState>,
    mut food: ResMut<FoodState>,
    mut conflict: ResMut<Conflict>,
    mut pk: ResMut<Peacekeeping>,
    mut rngs: ResMut<RngStreams>,
    mut roster: ResMut<Roster>,
    mut log: ResMut<EventLog>,
    params: Res<Params>,
    clock: Res<Clock>,
) {
    if !aid.enabled {
        return;
    }
    let Some(spec) = params.scenario.aid.as_ref() else { return };
    let tick = clock.tick;
    let aid = &mut *aid;
    let c = &mut *conflict;
    let rng = rngs.get(Stream::Aid);
    let districts = aid.districts;
    let need = params.scenario.food.as_ref().map_or(0.0, |f| f.need);
    let event = |kind, value, detail: String| Event::global(tick, kind, value, detail);

    // 1. Supplies.
    for &ae in &aid.agencies {
        if let Ok(mut a) = agencies.get_mut(ae) {
            let supply = spec.agencies.get(&a.name).and_then(|g| g.supply).unwrap_or(0.0);
            a.stock += supply;
            aid.tally.supplied += supply;
            aid.supplied_total += supply;
        }
    }

    // 2. Needs assessment.
    if (tick - 1).is_multiple_of(u64::from(spec.assessment_interval.max(1))) {
        for d in 0..districts {
            let population = food.population.get(d).copied().unwrap_or(0);
            let insecurity = food.insecurity.get(d).copied().unwrap_or(0.0);
            aid.assessed[d] = need * population as f64 * insecurity * spec.cover_days;
            aid.assessed_insecurity[d] = insecurity;
            aid.assessed_population[d] = population;
        }
        aid.planned.iter_mut().for_each(|p| *p = 0.0);
        aid.delivered_since.iter_mut().for_each(|p| *p = 0.0);
    }

    // 3. Movement, risks and deliveries of the convoys already on the road.
    let mut i = 0;
    while i < aid.convoys.len() {
        let ce = aid.convoys[i];
        let Ok((mut convoy, mut pos)) = convoys.get_mut(ce) else {
            aid.convoys.remove(i);
            continue;
        };
        // An escort whose unit is gone (destroyed, drawn down, withdrawn) protects no more.
        if let Some(ue) = convoy.escort
            && !units.get(ue).is_ok_and(|(u, _)| u.strength > 0 && u.duty == Duty::Escort(convoy.id))
        {
            convoy.escort = None;
        }
        let route = &aid.routes[convoy.agency as usize * districts + convoy.district as usize];
        // Where today's budget takes it; the day's exposure is the most dangerous cell it stands on today.
        let (mut step, mut budget) = (convoy.step as usize, convoy.budget + spec.speed);
        while step + 1 < route.len() && aid.cell_cost[route[step + 1] as usize] <= budget {
            budget -= aid.cell_cost[route[step + 1] as usize];
            step += 1;
        }
        let n_factions = c.factions.len();
        // Hostile ground: held by a non-state armed faction at odds with the government (any, without one).
        let hostile = |f: u8| {
            f != UNCONTROLLED
                && c.factions[f as usize].kind != FactionKind::Government
                && c.government.is_none_or(|g| c.relation[f as usize * n_factions + g as usize] < 0.0)
        };
        let danger = |cell: usize| {
            let violence = f64::from(c.heat[cell]).min(1.0);
            spec.violence_risk * violence + if hostile(c.control[cell]) { spec.territory_risk } else { 0.0 }
        };
        let (mut risk, mut worst) = (danger(route[convoy.step as usize] as usize), convoy.step as usize);
        for (k, &cell) in route.iter().enumerate().take(step + 1).skip(convoy.step as usize + 1) {
            let r = danger(cell as usize);
            if r > risk {
                (risk, worst) = (r, k);
            }
        }
        if convoy.escort.is_some() {
            risk *= 1.0 - spec.escort_protection;
        }
        let mut gone = false;
        if risk > 0.0 && rng.random_bool(risk.min(1.0)) {
            // Stopped where the danger was: the rest of the day is lost.
            convoy.step = worst as u32;
            convoy.budget = 0.0;
            let cell = route[worst] as usize;
            *pos = Position { x: (cell % aid.width) as u16, y: (cell / aid.width) as u16 };
            let holder = c.control[cell];
            aid.tally.attacked += 1;
            let killed = (0..convoy.crew).filter(|_| rng.random_bool(spec.worker_lethality)).count() as u32;
            convoy.crew -= killed;
            aid.tally.worker_deaths += u64::from(killed);
            let detail = if holder == UNCONTROLLED { String::new() } else { c.factions[holder as usize].name.clone() };
            log.push(Event {
                x: Some(pos.x),
                y: Some(pos.y),
                ..event(EventKind::ConvoyAttacked, f64::from(killed), detail.clone())
            });
            if hostile(holder) && rng.random_bool(spec.loot) {
                // Looted: the cargo becomes the faction's resources.
                c.factions[holder as usize].resources += convoy.cargo * spec.loot_value;
                aid.tally.looted += convoy.cargo;
                aid.looted_total += convoy.cargo;
                aid.in_transit -= convoy.cargo;
                log.push(Event {
                    x: Some(pos.x),
                    y: Some(pos.y),
                    ..event(EventKind::ConvoyLooted, convoy.cargo, detail)
                });
                gone = true;
            }
        } else {
            (convoy.step, convoy.budget) = (step as u32, budget);
            let at = route[convoy.step as usize] as usize;
            *pos = Position { x: (at % aid.width) as u16, y: (at / aid.width) as u16 };
            if convoy.step as usize + 1 == route.len() {
                // Arrived: the cargo joins the district's stock.
                let d = convoy.district as usize;
                food.stock[d] += convoy.cargo;
                let over = (aid.delivered_since[d] + convoy.cargo - aid.assessed[d].max(aid.delivered_since[d]))
                    .clamp(0.0, convoy.cargo);
                aid.delivered_since[d] += convoy.cargo;
                aid.tally.duplicated += over;
                aid.tally.delivered += convoy.cargo;
                aid.delivered_total += convoy.cargo;
                aid.in_transit -= convoy.cargo;
                aid.tally.arrived += 1;
                aid.arrivals_total += 1;
                aid.delivery_days_total += tick - convoy.dispatched;
                if convoy.escort.is_some() && pk.enabled && d < pk.trust.len() {
                    let t = &mut pk.trust[d];
                    *t += spec.escort_trust * (1.0 - *t);
                }
                let name = params.map.as_ref().and_then(|m| m.districts.get(d).cloned()).unwrap_or_default();
                log.push(Event {
                    x: Some(pos.x),
                    y: Some(pos.y),
                    ..event(EventKind::ConvoyDelivered, convoy.cargo, name)
                });
                gone = true;
            }
        }
        if let Some(ue) = convoy.escort
            && let Ok((mut u, mut p)) = units.get_mut(ue)
        {
            if gone {
                u.duty = Duty::Patrol;
                u.waypoint = *pos;
            }
            *p = *pos;
        }
        if gone {
            commands.entity(ce).despawn();
            aid.convoys.remove(i);
        } else {
            i += 1;
        }
    }
    // 4. Dispatch (new convoys leave tomorrow), with escorts where asked for.
    let n = aid.agencies.len();
    let total_population: u64 = aid.assessed_population.iter().sum();
    for a in 0..n {
        let Ok(mut agency) = agencies.get_mut(aid.agencies[a]) else { continue };
        for _ in 0..spec.convoys_per_day {
            if agency.stock < spec.convoy_size {
                break;
            }
            // What this agency knows has been sent since the assessment: its own, and the cluster's.
            let known = |d: usize| -> f64 {
                (0..n)
                    .filter(|&b| b == a || (aid.cluster[a] && aid.cluster[b]))
                    .map(|b| aid.planned[b * districts + d])
                    .sum()
            };
            let reachable = |d: usize| !aid.routes[a * districts + d].is_empty();
            let mut best: Option<(f64, usize)> = None;
            for d in (0..districts).filter(|&d| reachable(d)) {
                let remaining = aid.assessed[d] - known(d);
                let score = match agency.policy {
                    Policy::Needs if remaining > 0.0 => remaining * aid.assessed_insecurity[d],
                    Policy::Nearest if remaining > 0.0 => -aid.route_cost[a * districts + d],
                    Policy::Proportional if total_population > 0 => {
                        let sent: f64 = (0..districts).map(|e| aid.sent[a * districts + e]).sum();
                        let share = aid.assessed_population[d] as f64 / total_population as f64;
                        share * (sent + spec.convoy_size) - aid.sent[a * districts + d]
                    }
                    _ => continue,
                };
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, d));
                }
            }
            let Some((_, d)) = best else { break };
            agency.stock -= spec.convoy_size;
            aid.in_transit += spec.convoy_size;
            aid.planned[a * districts + d] += spec.convoy_size;
            aid.sent[a * districts + d] += spec.convoy_size;
            aid.tally.dispatched += 1;
            let id = aid.next_convoy;
            aid.next_convoy += 1;
            // An escort: the nearest free military unit whose mandate and caveats allow it.
            let mut escort = None;
            if agency.escort && pk.enabled {
                let depot = agency.depot;
                let found = pk.index.nearest(depot, |slot| {
                    let Some(&ue) = pk.units.get(slot as usize) else { return false };
                    units.get(ue).is_ok_and(|(u, _)| {
                        u.strength > 0
                            && u.role == Role::Troops
                            && matches!(u.duty, Duty::Patrol | Duty::Reserve)
                            && contingents
                                .get(pk.contingents[u.contingent as usize])
                                .is_ok_and(|k| !k.refuses(Task::Escort))
                            && missions
                                .get(pk.missions[u.mission as usize])
                                .is_ok_and(|m| m.mandate != Mandate::Observe)
                    })
                });
                if let Some((_, slot)) = found
                    && let Ok((mut u, mut p)) = units.get_mut(pk.units[slot as usize])
                {
                    u.duty = Duty::Escort(id);
                    *p = depot;
                    escort = Some(pk.units[slot as usize]);
                    aid.tally.escorted += 1;
                }
            }
            let convoy = Convoy {
                id,
                agency: a as u8,
                cargo: spec.convoy_size,
                district: d as u16,
                step: 0,
                budget: 0.0,
                dispatched: tick,
                escort,
                crew: spec.crew,
            };
            let aid_id = roster.allocate_id();
            aid.convoys.push(commands.spawn((aid_id, agency.depot, convoy)).id());
            let detail = format!("{}->{}", agency.name, params.map.as_ref().map_or("", |m| m.districts[d].as_str()));
            log.push(Event {
                x: Some(agency.depot.x),
                y: Some(agency.depot.y),
                ..event(EventKind::ConvoyDispatched, spec.convoy_size, detail)
            });
        }
    }
}
