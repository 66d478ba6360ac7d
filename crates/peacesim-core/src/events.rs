//! Events: discrete things that happened in a tick, for events.csv, replays and after-action reports.

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};

/// Kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A quiescent citizen turned active.
    Activation,
    /// A force member jailed an active citizen (`value` = jail term, -1 for life).
    Arrest,
    /// A jailed citizen was released.
    Release,
    /// An active citizen killed a member of another group (Model II).
    Kill,
    /// A citizen was born (cloned) (Model II).
    Birth,
    /// A citizen died of age (Model II).
    Death,
    /// Force members arrived because the schedule raised a force's size (`value` = how many).
    Deploy,
    /// Force members left because the schedule lowered a force's size (`value` = how many).
    Withdraw,
    /// The schedule changed a runtime parameter (`detail` = its path, `value` = the new value).
    ParameterChange,
    /// A stochastic drought began in a district (`detail` = district, `value` = severity).
    DroughtStart,
    /// A stochastic drought ended in a district (`detail` = district).
    DroughtEnd,
}

impl EventKind {
    /// The snake_case name written to events.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Activation => "activation",
            EventKind::Arrest => "arrest",
            EventKind::Release => "release",
            EventKind::Kill => "kill",
            EventKind::Birth => "birth",
            EventKind::Death => "death",
            EventKind::Deploy => "deploy",
            EventKind::Withdraw => "withdraw",
            EventKind::ParameterChange => "parameter_change",
            EventKind::DroughtStart => "drought_start",
            EventKind::DroughtEnd => "drought_end",
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Tick it happened in.
    pub tick: u64,
    /// What happened.
    pub kind: EventKind,
    /// Cell, when it happened somewhere.
    pub x: Option<u16>,
    /// Cell, when it happened somewhere.
    pub y: Option<u16>,
    /// Stable id of the agent that acted.
    pub actor: Option<u32>,
    /// Stable id of the agent acted upon.
    pub target: Option<u32>,
    /// A number whose meaning depends on the kind.
    pub value: f64,
    /// Free text (empty for most kinds).
    pub detail: String,
}

/// The events of the current tick, cleared when the next tick starts.
#[derive(Resource, Debug, Default, Clone)]
pub struct EventLog {
    /// Events in the order they happened.
    pub events: Vec<Event>,
    /// Whether events are recorded at all (benchmarks may switch them off).
    pub enabled: bool,
}

impl EventLog {
    /// Records an event if recording is on.
    #[inline]
    pub fn push(&mut self, event: Event) {
        if self.enabled {
            self.events.push(event);
        }
    }
}
