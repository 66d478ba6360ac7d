//! The scenario schedule: tick-keyed step changes and linear ramps of runtime parameters, applied at the
//! start of each tick before anyone acts.

use crate::events::{Event, EventKind, EventLog};
use crate::forces::ForceResize;
use crate::world::{Clock, Params};
use bevy_ecs::prelude::*;
use peacesim_scenario::{ParamPath, Ramp, Scenario};

/// One resolved schedule entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Set `path` to `value` at `tick`.
    Step {
        /// Parameter.
        path: ParamPath,
        /// Tick it takes effect.
        tick: u64,
        /// New value.
        value: f64,
    },
    /// Move `path` along a ramp.
    Ramp {
        /// Parameter.
        path: ParamPath,
        /// The ramp.
        ramp: Ramp,
    },
}

/// The resolved schedule, in file order.
#[derive(Resource, Debug, Clone, Default)]
pub struct Timeline {
    /// Entries, in file order; later entries win on the same tick.
    pub changes: Vec<Change>,
}

impl Timeline {
    /// Resolves a validated scenario's schedule (invalid entries were rejected by validation and are skipped).
    pub fn new(scenario: &Scenario) -> Self {
        let changes = scenario
            .schedule
            .iter()
            .filter_map(|entry| {
                let path = ParamPath::parse(&entry.path, scenario).ok()?;
                match (&entry.ramp, entry.tick, entry.value) {
                    (Some(ramp), _, _) => Some(Change::Ramp { path, ramp: ramp.clone() }),
                    (None, Some(tick), Some(value)) => Some(Change::Step { path, tick, value }),
                    _ => None,
                }
            })
            .collect();
        Timeline { changes }
    }

    /// The (parameter, value) pairs due at `tick`, in order.
    pub fn due(&self, tick: u64) -> impl Iterator<Item = (&ParamPath, f64)> {
        self.changes.iter().filter_map(move |change| match change {
            Change::Step { path, tick: at, value } if *at == tick => Some((path, *value)),
            Change::Ramp { path, ramp } if (ramp.start..=ramp.end_tick()).contains(&tick) => {
                Some((path, ramp.value_at(tick)))
            }
            _ => None,
        })
    }
}

/// Applies the changes due this tick to the live parameters and queues force resizes.
pub(crate) fn apply_schedule(
    timeline: Res<Timeline>,
    mut params: ResMut<Params>,
    mut resize: ResMut<ForceResize>,
    mut log: ResMut<EventLog>,
    clock: Res<Clock>,
) {
    apply_due(&timeline, &mut params, &mut resize, &mut log, clock.tick);
}

/// Applies the changes due at `tick` (also used at setup for tick 0).
pub(crate) fn apply_due(
    timeline: &Timeline,
    params: &mut Params,
    resize: &mut ForceResize,
    log: &mut EventLog,
    tick: u64,
) {
    for (path, value) in timeline.due(tick) {
        if path.get(&params.scenario) == value && path.force_name().is_none() {
            continue;
        }
        path.set(&mut params.scenario, value);
        params.refresh();
        if let Some(name) = path.force_name()
            && let Some(index) = params.forces.iter().position(|f| f == name)
            && !resize.pending.contains(&(index as u8))
        {
            resize.pending.push(index as u8);
        }
        log.push(Event::global(tick, EventKind::ParameterChange, value, path.to_string()));
    }
}
