//! The conflict layer of a scenario: armed factions and their relations, the rules of violence and
//! political instability (`[conflict]`), displacement (`[displacement]`) and tick-keyed events (`[[events]]`).

use crate::model::Vision;
use serde::{Deserialize, Serialize};

/// Kinds of armed faction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactionKind {
    /// The state's forces: they arrest active citizens as Epstein's cops do, deter rebellion, and their
    /// abuses lower legitimacy. At most one faction is the government at a time (a coup moves the role).
    Government,
    /// Rebels fighting the government.
    Insurgent,
    /// Irregular armed groups, often aligned with a side.
    Militia,
    /// Criminal armed groups.
    Gang,
}

impl FactionKind {
    /// Every kind, in column order.
    pub const ALL: [FactionKind; 4] =
        [FactionKind::Government, FactionKind::Insurgent, FactionKind::Militia, FactionKind::Gang];

    /// The snake_case name used in files and metric columns.
    pub fn as_str(self) -> &'static str {
        match self {
            FactionKind::Government => "government",
            FactionKind::Insurgent => "insurgent",
            FactionKind::Militia => "militia",
            FactionKind::Gang => "gang",
        }
    }
}

/// One armed faction (`[factions.<name>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faction {
    /// What kind of faction it is.
    pub kind: FactionKind,
    /// Fighters at tick 0, placed on empty cells of its territory (anywhere on land if it has none).
    #[serde(default)]
    pub fighters: u32,
    /// What a fighter sees: hostile fighters and civilians within it.
    pub vision: Vision,
    /// Cohesion in [0, 1] at tick 0 and the level it recovers towards; desertion rises as it falls.
    #[serde(default = "default_cohesion")]
    pub cohesion: f64,
    /// Resources at tick 0 (abstract units); recruiting costs `recruit_cost`.
    #[serde(default)]
    pub resources: f64,
    /// Resources gained per controlled cell per tick.
    #[serde(default)]
    pub income: f64,
    /// Resources spent per fighter per tick.
    #[serde(default)]
    pub upkeep: f64,
    /// Multiplier on the probability that its fighters hit.
    #[serde(default = "one")]
    pub firepower: f64,
    /// Probability per tick that a fighter with no enemy in sight attacks a civilian in sight, where control
    /// of its district is fully contested (scaled down where one faction dominates; see `[conflict]`).
    #[serde(default)]
    pub targeting: f64,
    /// Probability per tick that a fighter tries to recruit an aggrieved or active civilian in sight.
    #[serde(default)]
    pub recruitment: f64,
    /// Resources one recruit costs; recruiting stops when resources run out.
    #[serde(default = "one")]
    pub recruit_cost: f64,
    /// Districts it controls at tick 0.
    #[serde(default)]
    pub territory: Vec<String>,
    /// Districts its fighters move towards (otherwise they roam within vision).
    #[serde(default)]
    pub targets: Vec<String>,
    /// The faction that takes a share of fighters and territory when this one splits under instability
    /// (declare it with `fighters = 0`); without one, this faction never splits on its own.
    #[serde(default)]
    pub splinter: Option<String>,
}

fn default_cohesion() -> f64 {
    0.8
}

fn one() -> f64 {
    1.0
}

/// A relation between two factions (`[[relations]]`), from -1 (hostile) to 1 (allied). Pairs not listed
/// are hostile (-1). Factions fight each other while their relation is below 0 and no ceasefire holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// The two factions.
    pub factions: [String; 2],
    /// The relation, in [-1, 1].
    pub value: f64,
}

/// Rules of violence, legitimacy and political instability (`[conflict]`); every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictRules {
    /// Political instability in [0, 1]: scales the chance of cohesion shocks, defections, shifts in
    /// relations and splits. A runtime parameter (`conflict.instability`).
    #[serde(default)]
    pub instability: f64,
    /// Probability per tick and faction of a political shock at instability 1.
    #[serde(default = "default_shock_rate")]
    pub shock_rate: f64,
    /// Cohesion below which a shock splits a faction that has a splinter.
    #[serde(default = "half")]
    pub split_cohesion: f64,
    /// Probability that a fighter hits an adjacent enemy in the open, before firepower and terrain.
    #[serde(default = "default_hit")]
    pub hit_probability: f64,
    /// Multiplier on the hit probability against a defender on urban cells (cover).
    #[serde(default = "default_urban")]
    pub urban_defence: f64,
    /// Multiplier on the hit probability against a defender on rough cells (cover and concealment).
    #[serde(default = "half")]
    pub rough_defence: f64,
    /// Share of a faction's targeting that remains where one faction controls the whole district (Kalyvas:
    /// violence against civilians is highest where control is contested).
    #[serde(default = "default_floor")]
    pub uncontested_targeting: f64,
    /// How much food insecurity multiplies attacks on civilians: targeting x (1 + scarcity_predation x
    /// insecurity of the district), fighters preying on civilians for food.
    #[serde(default = "two_f")]
    pub scarcity_predation: f64,
    /// Probability per tick that a fighter deserts, at cohesion 0 (scaled by 1 - cohesion).
    #[serde(default = "default_desertion")]
    pub desertion: f64,
    /// Grievance above which a quiescent civilian can be recruited (actives always can).
    #[serde(default = "default_recruit_threshold")]
    pub recruit_grievance: f64,
    /// Radius (Moore, cells) over which a killing raises recent violence.
    #[serde(default = "two")]
    pub violence_radius: u32,
    /// Share of recent violence that fades each tick.
    #[serde(default = "default_decay")]
    pub violence_decay: f64,
    /// Hardship added by recent violence at a civilian's cell (saturating at one killing's worth).
    #[serde(default = "default_violence_hardship")]
    pub violence_hardship: f64,
    /// Hardship added per unit of overcrowding of a civilian's district (residents over capacity, minus 1).
    #[serde(default = "default_crowding_hardship")]
    pub crowding_hardship: f64,
    /// Legitimacy lost in a district per civilian killed there by government fighters.
    #[serde(default = "default_abuse")]
    pub abuse_impact: f64,
    /// Legitimacy gained per tick in every district from government services. A runtime parameter.
    #[serde(default)]
    pub services: f64,
    /// Share of a district's legitimacy offset (abuses and services) that fades each tick.
    #[serde(default = "default_recovery")]
    pub legitimacy_recovery: f64,
    /// Probability per tick that a fighter who sees no hostile fighter but sees one of a faction it has a
    /// ceasefire with fires on it anyway (a ceasefire violation).
    #[serde(default)]
    pub ceasefire_violation: f64,
    /// Added to a ceasefire's daily chance of breaking down per violation nobody detected (a detected
    /// violation is reported and answered; Fortna 2004).
    #[serde(default = "default_escalation")]
    pub violation_escalation: f64,
}

impl Default for ConflictRules {
    fn default() -> Self {
        ConflictRules {
            instability: 0.0,
            shock_rate: default_shock_rate(),
            split_cohesion: half(),
            hit_probability: default_hit(),
            urban_defence: default_urban(),
            rough_defence: half(),
            uncontested_targeting: default_floor(),
            scarcity_predation: two_f(),
            desertion: default_desertion(),
            recruit_grievance: default_recruit_threshold(),
            violence_radius: two(),
            violence_decay: default_decay(),
            violence_hardship: default_violence_hardship(),
            crowding_hardship: default_crowding_hardship(),
            abuse_impact: default_abuse(),
            services: 0.0,
            legitimacy_recovery: default_recovery(),
            ceasefire_violation: 0.0,
            violation_escalation: default_escalation(),
        }
    }
}

fn default_shock_rate() -> f64 {
    0.02
}
fn half() -> f64 {
    0.5
}
fn default_hit() -> f64 {
    0.3
}
fn default_urban() -> f64 {
    0.6
}
fn default_floor() -> f64 {
    0.2
}
fn default_desertion() -> f64 {
    0.01
}
fn default_recruit_threshold() -> f64 {
    0.3
}
fn two_f() -> f64 {
    2.0
}
fn two() -> u32 {
    2
}
fn default_decay() -> f64 {
    0.1
}
fn default_violence_hardship() -> f64 {
    0.3
}
fn default_crowding_hardship() -> f64 {
    0.3
}
fn default_abuse() -> f64 {
    0.01
}
fn default_recovery() -> f64 {
    0.01
}
fn default_escalation() -> f64 {
    0.01
}

/// Displacement (`[displacement]`): when civilians flee, where to, and when they return. The move chances
/// default to the Flee model's (Suleimenova et al. 2017): 1.0 per day in a conflict zone, 0.001 in a camp,
/// 0.3 elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Displacement {
    /// Recent violence at a cell (about the number of killings nearby in the last few days) that makes it
    /// a conflict zone its residents flee.
    #[serde(default = "half")]
    pub flee_violence: f64,
    /// Food insecurity of a district above which its residents may flee hunger.
    #[serde(default = "half")]
    pub flee_hunger: f64,
    /// Probability per tick of moving on from a conflict zone (Flee: 1.0).
    #[serde(default = "one")]
    pub conflict_move: f64,
    /// Probability per tick that a displaced civilian in a camp moves on (Flee: 0.001).
    #[serde(default = "default_camp_move")]
    pub camp_move: f64,
    /// Probability per tick of moving elsewhere: fleeing hunger, or a displaced civilian outside a camp and
    /// outside conflict moving on (Flee: 0.3).
    #[serde(default = "default_other_move")]
    pub other_move: f64,
    /// How far (Moore radius, cells) one flight goes at most.
    #[serde(default = "default_flee_radius")]
    pub flee_radius: u32,
    /// Weight of the distance to the nearest camp in choosing where to go (0: camps do not attract).
    #[serde(default = "one")]
    pub camp_pull: f64,
    /// Probability per tick that a displaced civilian whose home is safe again goes back.
    #[serde(default = "default_return_rate")]
    pub return_rate: f64,
    /// Recent violence at home below which it counts as safe again.
    #[serde(default = "default_return_violence")]
    pub return_violence: f64,
}

fn default_camp_move() -> f64 {
    0.001
}
fn default_other_move() -> f64 {
    0.3
}
fn default_flee_radius() -> u32 {
    6
}
fn default_return_rate() -> f64 {
    0.02
}
fn default_return_violence() -> f64 {
    0.1
}

/// Kinds of scheduled event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSpecKind {
    /// `districts` lose `severity` of their food production for `duration` ticks.
    Drought,
    /// In `districts`: each resident dies with probability `deaths` or flees with probability `displaced`;
    /// `food_lost` of the stock is destroyed.
    Earthquake,
    /// `faction` takes over as the government (the old government becomes an insurgent); legitimacy falls
    /// by `legitimacy_drop`.
    Coup,
    /// `factions` stop attacking each other for `duration` ticks (forever if absent), unless it breaks
    /// first: each tick with probability `break_hazard`.
    Ceasefire,
    /// `faction` splits: a share `share` of its fighters and territory go to `into`, which turns hostile.
    Split,
    /// `faction` gains `fighters` new fighters and `resources`.
    Reinforce,
    /// A share `share` of `faction`'s fighters (each independently) go over to `into`.
    Defection,
    /// `faction`'s cohesion falls by `value` (it then recovers towards its baseline).
    CohesionShock,
    /// The relation between `factions` becomes `value`.
    Relation,
    /// `contingent` arrives (at its declared strength, or `troops`/`police`/`observers` when given).
    Deploy,
    /// `contingent` gains `troops`, `police` and `observers`.
    ReinforceContingent,
    /// A share `share` of `contingent`'s units (each independently) goes home.
    Drawdown,
    /// `contingent` leaves the mission.
    Withdraw,
    /// `mission`'s mandate becomes `mandate` (and its spoilers `spoilers`, when given).
    Mandate,
    /// `mission`'s host consent becomes `value`.
    Consent,
}

/// One scheduled event (`[[events]]`). Which fields apply depends on `kind`; validation names any that
/// are missing or out of place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Tick at which it happens (at the start of the tick, before anyone acts); at most the horizon.
    pub tick: u64,
    /// What happens.
    pub kind: EventSpecKind,
    /// Districts affected (drought, earthquake).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub districts: Vec<String>,
    /// The faction concerned (coup, split, reinforce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction: Option<String>,
    /// Two factions (ceasefire, relation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factions: Vec<String>,
    /// The faction a split creates (declared with `fighters = 0`), or that defectors join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into: Option<String>,
    /// Share of production lost (drought).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<f64>,
    /// Ticks it lasts (drought, ceasefire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// Probability per resident of dying (earthquake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deaths: Option<f64>,
    /// Probability per resident of being displaced (earthquake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displaced: Option<f64>,
    /// Share of the food stock destroyed (earthquake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub food_lost: Option<f64>,
    /// Fall in legitimacy (coup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legitimacy_drop: Option<f64>,
    /// Probability per tick that a ceasefire breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_hazard: Option<f64>,
    /// Share of fighters (and, in a split, territory) that leave (split, defection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// New fighters (reinforce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fighters: Option<u32>,
    /// Added resources (reinforce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<f64>,
    /// The new relation (relation), the fall in cohesion (cohesion_shock), or the new host consent (consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The mission concerned (mandate, consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission: Option<String>,
    /// The contingent concerned (deploy, reinforce_contingent, drawdown, withdraw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contingent: Option<String>,
    /// Soldiers arriving (deploy, reinforce_contingent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub troops: Option<u32>,
    /// Police officers arriving (deploy, reinforce_contingent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police: Option<u32>,
    /// Observers arriving (deploy, reinforce_contingent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observers: Option<u32>,
    /// The new mandate (mandate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<crate::peacekeeping::Mandate>,
    /// The new spoiler factions (mandate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoilers: Option<Vec<String>>,
    /// Whether the event was injected on top of a run (a what-if fork; see [`crate::inject`]). Injected
    /// events draw their random numbers from their own stream. Not part of the file format.
    #[serde(skip)]
    pub injected: bool,
}

impl EventSpec {
    /// An event of `kind` at `tick` with no fields set (for building events in code).
    pub fn new(tick: u64, kind: EventSpecKind) -> Self {
        EventSpec {
            tick,
            kind,
            districts: Vec::new(),
            faction: None,
            factions: Vec::new(),
            into: None,
            severity: None,
            duration: None,
            deaths: None,
            displaced: None,
            food_lost: None,
            legitimacy_drop: None,
            break_hazard: None,
            share: None,
            fighters: None,
            resources: None,
            value: None,
            mission: None,
            contingent: None,
            troops: None,
            police: None,
            observers: None,
            mandate: None,
            spoilers: None,
            injected: false,
        }
    }

    /// The fields an event of this kind requires and the ones it may have, for validation.
    pub fn fields(kind: EventSpecKind) -> (&'static [&'static str], &'static [&'static str]) {
        match kind {
            EventSpecKind::Drought => (&["districts", "severity", "duration"], &[]),
            EventSpecKind::Earthquake => (&["districts"], &["deaths", "displaced", "food_lost"]),
            EventSpecKind::Coup => (&["faction"], &["legitimacy_drop"]),
            EventSpecKind::Ceasefire => (&["factions"], &["duration", "break_hazard"]),
            EventSpecKind::Split => (&["faction", "into", "share"], &[]),
            EventSpecKind::Reinforce => (&["faction"], &["fighters", "resources"]),
            EventSpecKind::Defection => (&["faction", "into", "share"], &[]),
            EventSpecKind::CohesionShock => (&["faction", "value"], &[]),
            EventSpecKind::Relation => (&["factions", "value"], &[]),
            EventSpecKind::Deploy => (&["contingent"], &["troops", "police", "observers"]),
            EventSpecKind::ReinforceContingent => (&["contingent"], &["troops", "police", "observers"]),
            EventSpecKind::Drawdown => (&["contingent", "share"], &[]),
            EventSpecKind::Withdraw => (&["contingent"], &[]),
            EventSpecKind::Mandate => (&["mission", "mandate"], &["spoilers"]),
            EventSpecKind::Consent => (&["mission", "value"], &[]),
        }
    }

    /// The names of the optional fields that are set.
    pub fn present(&self) -> Vec<&'static str> {
        let mut present = Vec::new();
        let mut add = |name: &'static str, set: bool| {
            if set {
                present.push(name);
            }
        };
        add("districts", !self.districts.is_empty());
        add("faction", self.faction.is_some());
        add("factions", !self.factions.is_empty());
        add("into", self.into.is_some());
        add("severity", self.severity.is_some());
        add("duration", self.duration.is_some());
        add("deaths", self.deaths.is_some());
        add("displaced", self.displaced.is_some());
        add("food_lost", self.food_lost.is_some());
        add("legitimacy_drop", self.legitimacy_drop.is_some());
        add("break_hazard", self.break_hazard.is_some());
        add("share", self.share.is_some());
        add("fighters", self.fighters.is_some());
        add("resources", self.resources.is_some());
        add("value", self.value.is_some());
        add("mission", self.mission.is_some());
        add("contingent", self.contingent.is_some());
        add("troops", self.troops.is_some());
        add("police", self.police.is_some());
        add("observers", self.observers.is_some());
        add("mandate", self.mandate.is_some());
        add("spoilers", self.spoilers.is_some());
        present
    }
}
