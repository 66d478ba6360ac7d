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
    /// A drought began in a district (`detail` = district, `value` = severity).
    DroughtStart,
    /// A drought ended in a district (`detail` = district).
    DroughtEnd,
    /// A fighter was killed in combat (`detail` = its faction).
    CombatDeath,
    /// A fighter killed a civilian (`detail` = the perpetrator's kind).
    CivilianKilled,
    /// A civilian joined a faction (`detail` = the faction).
    Recruitment,
    /// A fighter deserted back to civilian life (`detail` = the faction).
    Desertion,
    /// Fighters changed sides (`detail` = `from->to`, `value` = how many).
    Defection,
    /// A faction split (`detail` = `from->into`, `value` = fighters who left).
    Split,
    /// A political shock hit a faction's cohesion (`detail` = faction, `value` = new cohesion).
    CohesionShock,
    /// The relation between two factions changed (`detail` = `a/b`, `value` = new relation).
    RelationChange,
    /// A coup made a faction the government (`detail` = faction, `value` = new legitimacy).
    Coup,
    /// A ceasefire began (`detail` = `a/b`).
    CeasefireStart,
    /// A ceasefire expired (`detail` = `a/b`).
    CeasefireEnd,
    /// A ceasefire broke down before it expired (`detail` = `a/b`).
    CeasefireBroken,
    /// A faction received fighters (`detail` = faction, `value` = how many arrived).
    Reinforcement,
    /// An earthquake struck (`detail` = districts, `value` = deaths).
    Earthquake,
    /// A civilian fled its home (`value` = recent violence where it was).
    Flee,
    /// A displaced civilian went home.
    Return,
    /// Fighters of two factions under a ceasefire fired on each other (`detail` = `a/b`).
    CeasefireViolation,
    /// An armed peacekeeping unit next to an attack on a civilian stopped it (`detail` = the attacker's faction).
    CivilianProtected,
    /// Fighters attacked a peacekeeping unit (`detail` = faction).
    PeacekeepersAttacked,
    /// A peacekeeper was killed (`detail` = contingent).
    PeacekeeperKilled,
    /// A unit reached an incident (`value` = days since it happened, `detail` = contingent).
    IncidentReached,
    /// A contingent deployed (`detail` = contingent, `value` = people).
    ContingentDeployed,
    /// A contingent was reinforced (`detail` = contingent, `value` = people).
    ContingentReinforced,
    /// Part of a contingent went home (`detail` = contingent, `value` = people).
    Drawdown,
    /// A contingent left the mission (`detail` = contingent, `value` = people).
    ContingentWithdrawn,
    /// A mission's mandate changed (`detail` = `mission:mandate`).
    MandateChange,
    /// A mission's host consent changed (`detail` = mission, `value` = consent).
    ConsentChange,
    /// An agency sent a convoy (cell = depot, `detail` = `agency->district`, `value` = cargo).
    ConvoyDispatched,
    /// A convoy was stopped on its way (`detail` = the faction holding the cell, `value` = aid workers killed).
    ConvoyAttacked,
    /// A convoy's cargo was looted (`detail` = the looting faction, `value` = cargo).
    ConvoyLooted,
    /// A convoy delivered its cargo (`detail` = district, `value` = cargo).
    ConvoyDelivered,
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
            EventKind::CombatDeath => "combat_death",
            EventKind::CivilianKilled => "civilian_killed",
            EventKind::Recruitment => "recruitment",
            EventKind::Desertion => "desertion",
            EventKind::Defection => "defection",
            EventKind::Split => "split",
            EventKind::CohesionShock => "cohesion_shock",
            EventKind::RelationChange => "relation_change",
            EventKind::Coup => "coup",
            EventKind::CeasefireStart => "ceasefire_start",
            EventKind::CeasefireEnd => "ceasefire_end",
            EventKind::CeasefireBroken => "ceasefire_broken",
            EventKind::Reinforcement => "reinforcement",
            EventKind::Earthquake => "earthquake",
            EventKind::Flee => "flee",
            EventKind::Return => "return",
            EventKind::CeasefireViolation => "ceasefire_violation",
            EventKind::CivilianProtected => "civilian_protected",
            EventKind::PeacekeepersAttacked => "peacekeepers_attacked",
            EventKind::PeacekeeperKilled => "peacekeeper_killed",
            EventKind::IncidentReached => "incident_reached",
            EventKind::ContingentDeployed => "contingent_deployed",
            EventKind::ContingentReinforced => "contingent_reinforced",
            EventKind::Drawdown => "drawdown",
            EventKind::ContingentWithdrawn => "contingent_withdrawn",
            EventKind::MandateChange => "mandate_change",
            EventKind::ConsentChange => "consent_change",
            EventKind::ConvoyDispatched => "convoy_dispatched",
            EventKind::ConvoyAttacked => "convoy_attacked",
            EventKind::ConvoyLooted => "convoy_looted",
            EventKind::ConvoyDelivered => "convoy_delivered",
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

impl Event {
    /// An event that concerns no particular cell or agent (a scheduled change, a drought, a faction's shock).
    pub fn global(tick: u64, kind: EventKind, value: f64, detail: String) -> Self {
        Event { tick, kind, x: None, y: None, actor: None, target: None, value, detail }
    }
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
