//! Scheduled events (`[[events]]`): droughts, earthquakes, coups, ceasefires, splits, reinforcements and
//! changes of relation, applied at the start of their tick before anyone acts.

use crate::civilians::{CitizenState, Civilian};
use crate::conflict::{Ceasefire, Conflict, Fighter, split, transfer};
use crate::displacement::choose_refuge;
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::grid::{Grid, Position, fighter_flags};
use crate::rng::{RngStreams, Stream};
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::prelude::*;
use peacesim_scenario::FactionKind;
use peacesim_scenario::conflict::{EventSpec, EventSpecKind};
use rand::RngExt;

/// Applies the events due this tick, in file order.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_events(
    mut commands: Commands,
    mut fighters: Query<(&'static mut Fighter, &'static Position), Without<Civilian>>,
    mut conflict: ResMut<Conflict>,
    mut food: ResMut<FoodState>,
    mut grid: ResMut<Grid>,
    mut rngs: ResMut<RngStreams>,
    mut roster: ResMut<Roster>,
    mut log: ResMut<EventLog>,
    mut tally: ResMut<Tally>,
    mut params: ResMut<Params>,
    ids: Query<&'static AgentId>,
    clock: Res<Clock>,
) {
    let tick = clock.tick;
    if !params.scenario.events.iter().any(|e| e.tick == tick) {
        return;
    }
    let due: Vec<EventSpec> = params.scenario.events.iter().filter(|e| e.tick == tick).cloned().collect();
    let c = &mut *conflict;
    let grid = &mut *grid;
    let names = params.factions.clone();
    let faction_index = |name: &Option<String>| -> Option<u8> {
        name.as_ref().and_then(|n| names.iter().position(|f| f == n)).map(|i| i as u8)
    };
    let district_set = |names: &[String], map: &peacesim_scenario::map::ResolvedMap| -> Vec<bool> {
        map.districts.iter().map(|d| names.contains(d)).collect()
    };
    for e in due {
        // Injected events (what-if forks) draw from a stream of their own.
        let rng = rngs.get(if e.injected { Stream::Inject } else { Stream::Events });
        let event = |kind, value, detail: String| Event::global(tick, kind, value, detail);
        match e.kind {
            EventSpecKind::Drought => {
                let Some(map) = &params.map else { continue };
                let severity = e.severity.unwrap_or(0.0);
                let duration = e.duration.unwrap_or(1);
                for (d, hit) in district_set(&e.districts, map).into_iter().enumerate() {
                    if hit && d < food.event_loss.len() {
                        food.event_loss[d] = severity;
                        // `duration` days of production: from this tick, or from tick 1 for a drought
                        // scheduled at setup (nothing is produced at tick 0).
                        food.event_until[d] = tick.max(1) + duration;
                        log.push(event(EventKind::DroughtStart, severity, map.districts[d].clone()));
                    }
                }
            }
            EventSpecKind::Earthquake => {
                let Some(map) = params.map.clone() else { continue };
                let hit = district_set(&e.districts, &map);
                let (deaths, displaced) = (e.deaths.unwrap_or(0.0), e.displaced.unwrap_or(0.0));
                let width = params.scenario.grid.width as usize;
                let mut killed = 0u64;
                let roster = &mut *roster;
                for (&entity, cz) in roster.citizens.iter().zip(&mut roster.records) {
                    if cz.state.is_gone() || cz.state == CitizenState::Jailed {
                        continue;
                    }
                    let pos = cz.home;
                    let d = map.district[pos.y as usize * width + pos.x as usize];
                    if !d.is_some_and(|d| hit[d as usize]) {
                        continue;
                    }
                    let u: f64 = rng.random();
                    if u < deaths {
                        cz.state = CitizenState::Dead;
                        grid.clear(pos);
                        tally.removed += 1;
                        c.tally.disaster_deaths += 1;
                        killed += 1;
                    } else if u < deaths + displaced
                        && let (Some(rules), Some(shape)) = (&params.scenario.displacement, &params.flee_vision)
                        && let Some(to) = choose_refuge(grid, c, rules, shape, &food.insecurity, rng, pos, true)
                    {
                        if !cz.displaced {
                            cz.displaced = true;
                            cz.origin = pos;
                            c.tally.flights += 1;
                            if log.enabled {
                                let actor = ids.get(entity).ok().map(|id| id.0);
                                let heat = f64::from(c.heat[grid.index(pos)]);
                                log.push(Event {
                                    x: Some(to.x),
                                    y: Some(to.y),
                                    actor,
                                    ..event(EventKind::Flee, heat, String::new())
                                });
                            }
                        }
                        grid.relocate(pos, to);
                        cz.home = to;
                    }
                }
                let lost = e.food_lost.unwrap_or(0.0);
                for (d, hit) in hit.iter().enumerate() {
                    if *hit && d < food.stock.len() {
                        food.stock[d] *= 1.0 - lost;
                    }
                }
                log.push(event(EventKind::Earthquake, killed as f64, e.districts.join(",")));
            }
            EventSpecKind::Coup => {
                let Some(g) = faction_index(&e.faction) else { continue };
                if let Some(old) = c.government
                    && old != g
                {
                    // The ousted government turns insurgent, at war with the new one.
                    c.factions[old as usize].kind = FactionKind::Insurgent;
                    let n = c.factions.len();
                    c.relation[old as usize * n + g as usize] = -1.0;
                    c.relation[g as usize * n + old as usize] = -1.0;
                }
                c.factions[g as usize].kind = FactionKind::Government;
                c.government = Some(g);
                c.update_hostility();
                for &entity in &roster.fighters {
                    if let Ok((fighter, pos)) = fighters.get(entity)
                        && fighter.alive
                    {
                        grid.set_flags(*pos, fighter_flags(fighter.faction, fighter.faction == g));
                    }
                }
                let drop = e.legitimacy_drop.unwrap_or(0.0);
                let legitimacy = (params.scenario.rules.legitimacy - drop).clamp(0.0, 1.0);
                params.scenario.rules.legitimacy = legitimacy;
                log.push(event(EventKind::Coup, legitimacy, c.factions[g as usize].name.clone()));
            }
            EventSpecKind::Ceasefire => {
                let a = faction_index(&e.factions.first().cloned());
                let b = faction_index(&e.factions.get(1).cloned());
                let (Some(a), Some(b)) = (a, b) else { continue };
                let until = e.duration.map_or(u64::MAX, |d| tick + d);
                c.ceasefires.push(Ceasefire { a, b, until, hazard: e.break_hazard.unwrap_or(0.0), pressure: 0.0 });
                c.update_hostility();
                log.push(event(EventKind::CeasefireStart, 0.0, e.factions.join("/")));
            }
            EventSpecKind::Split => {
                let (Some(from), Some(into)) = (faction_index(&e.faction), faction_index(&e.into)) else { continue };
                let moved = split(c, &mut fighters, &roster, grid, rng, from, into, e.share.unwrap_or(0.0));
                let detail = format!("{}->{}", c.factions[from as usize].name, c.factions[into as usize].name);
                log.push(event(EventKind::Split, moved as f64, detail));
            }
            EventSpecKind::Reinforce => {
                let Some(f) = faction_index(&e.faction) else { continue };
                let government = c.government == Some(f);
                let mut arrived = 0u32;
                for _ in 0..e.fighters.unwrap_or(0) {
                    // Prefer an empty cell the faction controls; after a few misses, any empty cell.
                    let mut cell = None;
                    for attempt in 0..256 {
                        match grid.random_empty(rng) {
                            Some(p) if attempt >= 128 || c.control[grid.index(p)] == f => {
                                cell = Some(p);
                                break;
                            }
                            Some(_) => {}
                            None => break,
                        }
                    }
                    let Some(cell) = cell else { break };
                    let id = roster.allocate_id();
                    let fighter = Fighter { faction: f, group: 0, hardship: 0.5, risk_aversion: 0.5, alive: true };
                    let entity = commands.spawn((id, cell, fighter)).id();
                    grid.place(cell, entity, fighter_flags(f, government));
                    roster.fighters.push(entity);
                    c.claim(grid.index(cell), f);
                    arrived += 1;
                }
                c.factions[f as usize].fighters += arrived;
                c.factions[f as usize].resources += e.resources.unwrap_or(0.0);
                c.tally.reinforcements += u64::from(arrived);
                log.push(event(EventKind::Reinforcement, f64::from(arrived), c.factions[f as usize].name.clone()));
            }
            EventSpecKind::Defection => {
                let (Some(from), Some(into)) = (faction_index(&e.faction), faction_index(&e.into)) else { continue };
                let share = e.share.unwrap_or(0.0);
                let moved = transfer(c, &mut fighters, &roster, grid, rng, from, into, share);
                let detail = format!("{}->{}", c.factions[from as usize].name, c.factions[into as usize].name);
                log.push(event(EventKind::Defection, moved as f64, detail));
            }
            EventSpecKind::CohesionShock => {
                let Some(f) = faction_index(&e.faction) else { continue };
                let faction = &mut c.factions[f as usize];
                faction.cohesion = (faction.cohesion - e.value.unwrap_or(0.0)).max(0.0);
                log.push(event(EventKind::CohesionShock, faction.cohesion, faction.name.clone()));
            }
            // Peacekeeping events are applied by the peacekeeping layer.
            EventSpecKind::Deploy
            | EventSpecKind::ReinforceContingent
            | EventSpecKind::Drawdown
            | EventSpecKind::Withdraw
            | EventSpecKind::Mandate
            | EventSpecKind::Consent => {}
            EventSpecKind::Relation => {
                let a = faction_index(&e.factions.first().cloned());
                let b = faction_index(&e.factions.get(1).cloned());
                let (Some(a), Some(b)) = (a, b) else { continue };
                let n = c.factions.len();
                let value = e.value.unwrap_or(0.0);
                c.relation[a as usize * n + b as usize] = value;
                c.relation[b as usize * n + a as usize] = value;
                c.update_hostility();
                log.push(event(EventKind::RelationChange, value, e.factions.join("/")));
            }
        }
    }
}
