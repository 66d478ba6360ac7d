//! Humanitarian aid (`[aid]`): agencies with supply inflows and depots, needs assessment, allocation
//! policies, coordination, and convoys that travel the map at the risk of being blocked, attacked or looted.
//!
//! docs/aid.md explains every field and the literature behind it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How an agency chooses where its next convoy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Needs-based triage: the district with the largest assessed shortfall not yet covered, weighted by its
    /// urgency (its food insecurity).
    Needs,
    /// Population-proportional: the district furthest below its population share of the agency's deliveries.
    Proportional,
    /// Nearest-first: the district nearest the depot (by route cost) with an uncovered shortfall.
    Nearest,
}

impl Policy {
    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Needs => "needs",
            Policy::Proportional => "proportional",
            Policy::Nearest => "nearest",
        }
    }
}

/// Kinds of agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// A UN agency (WFP, UNHCR, UNICEF).
    Un,
    /// A non-governmental organisation.
    Ngo,
}

/// Humanitarian aid (`[aid]`): shared rules and the agencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aid {
    /// The allocation policy of every agency that does not set its own.
    #[serde(default = "default_policy")]
    pub policy: Policy,
    /// Days between needs assessments: agencies plan against a snapshot of each district's food shortfall
    /// that is this many days old at most (staleness).
    #[serde(default = "default_assessment_interval")]
    pub assessment_interval: u32,
    /// Days of a district's assessed shortfall an assessment asks to be covered until the next one.
    #[serde(default = "default_cover_days")]
    pub cover_days: f64,
    /// Food one convoy carries.
    #[serde(default = "default_convoy_size")]
    pub convoy_size: f64,
    /// Convoys an agency can send per day at most.
    #[serde(default = "one_u")]
    pub convoys_per_day: u32,
    /// Aid workers with a convoy.
    #[serde(default = "default_crew")]
    pub crew: u32,
    /// Route cost units a convoy covers per day (an open cell costs 1; see the `*_cost` keys).
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// Cost of crossing an urban cell.
    #[serde(default = "default_urban_cost")]
    pub urban_cost: f64,
    /// Cost of crossing a rough cell.
    #[serde(default = "default_rough_cost")]
    pub rough_cost: f64,
    /// Cost of crossing a road cell (whatever its terrain; a road on water is a bridge).
    #[serde(default = "default_road_cost")]
    pub road_cost: f64,
    /// Daily chance that a convoy is stopped on a cell with recent violence, at one killing's worth of
    /// violence there (scaled by min(1, violence)); a day's exposure is the most dangerous cell it stands on.
    #[serde(default = "default_violence_risk")]
    pub violence_risk: f64,
    /// Daily chance that a convoy in territory held by a hostile armed faction (a non-state faction whose
    /// relation with the government is negative, or any non-state faction without a government) is stopped.
    #[serde(default = "default_territory_risk")]
    pub territory_risk: f64,
    /// Share of that risk a peacekeeping escort removes.
    #[serde(default = "default_escort_protection")]
    pub escort_protection: f64,
    /// Probability that a stopped convoy is looted by the hostile faction holding the cell (otherwise, or
    /// where no hostile faction holds it, it is held up for the day).
    #[serde(default = "half")]
    pub loot: f64,
    /// Resources a faction gains per unit of food it loots (what pays for its recruits).
    #[serde(default = "half")]
    pub loot_value: f64,
    /// Probability that each aid worker with a stopped convoy is killed.
    #[serde(default = "default_worker_lethality")]
    pub worker_lethality: f64,
    /// Trust in peacekeepers gained in a district, times (1 - trust), per escorted delivery there.
    #[serde(default = "default_escort_trust")]
    pub escort_trust: f64,
    /// Agencies, keyed by name.
    #[serde(default)]
    pub agencies: BTreeMap<String, Agency>,
}

/// An agency (`[aid.agencies.<name>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    /// UN agency or NGO.
    pub kind: AgencyKind,
    /// Food it receives per day (its budget); a runtime parameter (`aid.agencies.<name>.supply`).
    #[serde(default)]
    pub supply: Option<f64>,
    /// Its depot, a land cell `[x, y]`: supplies arrive there and convoys leave from there.
    pub depot: [u32; 2],
    /// Whether it is in the coordination cluster (members see each other's planned deliveries).
    #[serde(default)]
    pub cluster: bool,
    /// Whether it asks the peacekeeping mission for escorts.
    #[serde(default)]
    pub escort: bool,
    /// Its allocation policy (default: `aid.policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// Food in its depot at the start.
    #[serde(default)]
    pub stock: f64,
}

fn default_policy() -> Policy {
    Policy::Needs
}
fn default_assessment_interval() -> u32 {
    14
}
fn default_cover_days() -> f64 {
    7.0
}
fn default_convoy_size() -> f64 {
    40.0
}
fn one_u() -> u32 {
    1
}
fn default_crew() -> u32 {
    4
}
fn default_speed() -> f64 {
    6.0
}
fn default_urban_cost() -> f64 {
    1.5
}
fn default_rough_cost() -> f64 {
    3.0
}
fn default_road_cost() -> f64 {
    0.25
}
fn default_violence_risk() -> f64 {
    0.3
}
fn default_territory_risk() -> f64 {
    0.05
}
fn default_escort_protection() -> f64 {
    0.8
}
fn half() -> f64 {
    0.5
}
fn default_worker_lethality() -> f64 {
    0.05
}
fn default_escort_trust() -> f64 {
    0.02
}
