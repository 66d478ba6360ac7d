//! Food: each district produces what its cells grow (with a seasonal cycle), stores it and feeds its
//! citizens; the shortfall is the district's food insecurity, which raises its citizens' hardship and so
//! their grievance (Epstein's activation rule itself is unchanged).

use crate::events::{Event, EventKind, EventLog};
use crate::grid::{FORCE, Grid, OCCUPIED, WATER};
use crate::rng::{RngStreams, Stream};
use crate::world::{Clock, Params, Roster};
use bevy_ecs::prelude::*;
use rand::RngExt;

/// Food stocks and insecurity per district. Present in every run; inert (weight 0) without a `[food]` table.
#[derive(Resource, Debug, Clone, Default)]
pub struct FoodState {
    /// How much full insecurity adds to hardship (0 when there is no food model).
    pub weight: f64,
    /// District of each cell (`u16::MAX` for water or no map).
    pub district_of_cell: Vec<u16>,
    /// Food produced per tick at the seasonal mean, per district.
    pub base_production: Vec<f64>,
    /// Stock per district.
    pub stock: Vec<f64>,
    /// Insecurity per district this tick: 1 - consumed / needed (0 where nobody needs food).
    pub insecurity: Vec<f64>,
    /// Living citizens per district this tick (scratch, reused).
    pub population: Vec<u64>,
    /// Food produced in the latest tick, all districts.
    pub produced: f64,
    /// Ticks left of each district's stochastic drought (0: none).
    pub drought_left: Vec<u32>,
    /// Share of production lost to drought in each district this tick.
    pub loss: Vec<f64>,
    /// Severity of each district's drought from a scheduled `drought` event.
    pub event_loss: Vec<f64>,
    /// Tick at which each district's event drought ends.
    pub event_until: Vec<u64>,
}

impl FoodState {
    /// Sets up stocks from the initial population on `grid`.
    pub fn new(params: &Params, grid: &Grid) -> Self {
        let (Some(spec), Some(map)) = (&params.scenario.food, &params.map) else { return FoodState::default() };
        let n = map.districts.len();
        let district_of_cell: Vec<u16> = map.district.iter().map(|d| d.unwrap_or(u16::MAX)).collect();
        let mut base_production = vec![0.0; n];
        for (d, food) in district_of_cell.iter().zip(&map.food) {
            if *d != u16::MAX {
                base_production[*d as usize] += food;
            }
        }
        let mut population = vec![0u64; n];
        for (i, &d) in district_of_cell.iter().enumerate() {
            let flags = grid.flags(grid.position(i));
            if d != u16::MAX && flags & (OCCUPIED | FORCE | WATER) == OCCUPIED {
                population[d as usize] += 1;
            }
        }
        let stock = population.iter().map(|&p| spec.initial_stock * spec.need * p as f64).collect();
        FoodState {
            weight: spec.hardship_weight,
            district_of_cell,
            base_production,
            stock,
            insecurity: vec![0.0; n],
            drought_left: vec![0; n],
            loss: vec![0.0; n],
            event_loss: vec![0.0; n],
            event_until: vec![0; n],
            population,
            produced: 0.0,
        }
    }

    /// Hardship raised by the food insecurity of the district of cell `index`: min(1, H + weight x insecurity).
    /// Without a food model this is exactly `hardship`.
    #[inline]
    pub fn hardship(&self, hardship: f64, index: usize) -> f64 {
        if self.weight == 0.0 {
            return hardship;
        }
        self.hardship_in(hardship, self.district_of_cell.get(index).copied().unwrap_or(u16::MAX))
    }

    /// [`FoodState::hardship`] for a citizen in district `d` (`u16::MAX`: none), when the caller already
    /// knows it.
    #[inline]
    pub fn hardship_in(&self, hardship: f64, d: u16) -> f64 {
        if self.weight == 0.0 || d == u16::MAX {
            return hardship;
        }
        (hardship + self.weight * self.insecurity[d as usize]).min(1.0)
    }

    /// Population-weighted mean insecurity.
    pub fn mean_insecurity(&self) -> f64 {
        let total: u64 = self.population.iter().sum();
        if total == 0 {
            return 0.0;
        }
        self.insecurity.iter().zip(&self.population).map(|(i, &p)| i * p as f64).sum::<f64>() / total as f64
    }
}

/// Produces, stores and distributes food in every district, at the start of the tick.
pub(crate) fn update_food(
    roster: Res<Roster>,
    params: Res<Params>,
    mut food: ResMut<FoodState>,
    mut rngs: ResMut<RngStreams>,
    mut log: ResMut<EventLog>,
    clock: Res<Clock>,
) {
    let Some(spec) = &params.scenario.food else { return };
    let width = params.scenario.grid.width as usize;
    let food = &mut *food;
    food.weight = spec.hardship_weight; // the schedule may change it
    if let Some(map) = &params.map {
        // Droughts: the scheduled severity per district, the stochastic hazard (one draw per district and
        // tick from the climate stream, so the draws never shift other concerns), and drought events.
        let climate = params.scenario.climate.as_ref();
        let hazard = climate.map_or(0.0, |c| c.hazard_at(clock.tick));
        let rng = rngs.get(Stream::Climate);
        for (d, name) in map.districts.iter().enumerate() {
            let event = |kind, value| Event::global(clock.tick, kind, value, name.clone());
            let mut stochastic = 0.0;
            if let Some(climate) = climate {
                if food.drought_left[d] > 0 {
                    food.drought_left[d] -= 1;
                    if food.drought_left[d] == 0 {
                        log.push(event(EventKind::DroughtEnd, 0.0));
                    }
                } else if hazard > 0.0 && rng.random_bool(hazard) {
                    food.drought_left[d] = climate.duration;
                    log.push(event(EventKind::DroughtStart, climate.severity));
                }
                if food.drought_left[d] > 0 {
                    stochastic = climate.severity;
                }
            }
            if food.event_loss[d] > 0.0 && clock.tick >= food.event_until[d] {
                food.event_loss[d] = 0.0;
                log.push(event(EventKind::DroughtEnd, 0.0));
            }
            let scheduled = climate.and_then(|c| c.drought.get(name).copied()).unwrap_or(0.0);
            food.loss[d] = scheduled.max(stochastic).max(food.event_loss[d]);
        }
    }
    food.population.iter_mut().for_each(|p| *p = 0);
    // A sequential scan of the roster's citizens. The cells come in random order: start reading the district
    // of the citizen a few places ahead.
    let citizens = roster.citizen_records();
    let mut ahead = citizens.iter().skip(crate::grid::SCAN_AHEAD);
    for c in citizens {
        if let Some(d) =
            ahead.next().and_then(|a| food.district_of_cell.get(a.home.y as usize * width + a.home.x as usize))
        {
            crate::grid::prefetch(d);
        }
        if !c.state.is_gone() {
            let d = food.district_of_cell[c.home.y as usize * width + c.home.x as usize];
            if d != u16::MAX {
                food.population[d as usize] += 1;
            }
        }
    }
    let season = spec.season(clock.tick);
    food.produced = 0.0;
    for d in 0..food.stock.len() {
        let produced = food.base_production[d] * season * (1.0 - food.loss[d]);
        food.produced += produced;
        food.stock[d] += produced;
        let need = spec.need * food.population[d] as f64;
        let eaten = food.stock[d].min(need);
        food.stock[d] -= eaten;
        food.insecurity[d] = if need > 0.0 { 1.0 - eaten / need } else { 0.0 };
    }
}
