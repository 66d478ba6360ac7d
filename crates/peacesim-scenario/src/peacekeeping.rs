//! Multinational peacekeeping (`[peacekeeping]`): missions with a mandate, host consent and sectors;
//! contingents of contributing nations with their troops, police and observers and the quality terms that
//! make collaboration work or fail (training, interoperability, communication, cultural competency, national
//! caveats, sensors); and the rules by which units deter, respond, protect, report and build trust.
//!
//! docs/peacekeeping.md explains every field and the literature behind it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The organisation that runs a mission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Organisation {
    /// The United Nations.
    Un,
    /// The African Union.
    Au,
    /// The European Union.
    Eu,
    /// NATO.
    Nato,
    /// An ad hoc coalition (such as the Multinational Force and Observers in Sinai).
    AdHoc,
}

/// What a mission is mandated to do; its rules of engagement follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mandate {
    /// Observe and report: force only in self-defence; units do not interpose or respond to incidents.
    Observe,
    /// Protect civilians: respond to incidents and interpose, force only in self-defence; impartial.
    Protect,
    /// Enforce: as protect, and attack the designated spoiler factions (at a cost in consent).
    Enforce,
}

impl Mandate {
    /// The snake_case name used in files and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Mandate::Observe => "observe",
            Mandate::Protect => "protect",
            Mandate::Enforce => "enforce",
        }
    }
}

/// Tasks a contingent may refuse through national caveats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Moving to an incident that headquarters assigns.
    Respond,
    /// Interposing between attackers and civilians.
    Protect,
    /// Escorting humanitarian convoys.
    Escort,
    /// Offensive operations against spoilers.
    Enforce,
    /// Deployment outside its own sector (headquarters may not move it elsewhere).
    OutOfSector,
}

/// Peacekeeping (`[peacekeeping]`): shared rules, missions, contingents and joint training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peacekeeping {
    /// Troops per military unit (a company); a contingent's troops are split into units of about this size.
    #[serde(default = "default_unit_size")]
    pub unit_size: u32,
    /// Officers per formed police unit.
    #[serde(default = "default_police_unit_size")]
    pub police_unit_size: u32,
    /// Observers per observer team.
    #[serde(default = "default_team_size")]
    pub observer_team_size: u32,
    /// Moore radius (cells) over which a unit's presence deters attacks.
    #[serde(default = "three")]
    pub presence_radius: u32,
    /// Deterrence per effective soldier in range: an attack on a civilian goes ahead with probability
    /// exp(-deterrence x effective strength within `presence_radius`).
    #[serde(default = "default_deterrence")]
    pub deterrence: f64,
    /// Deterrence of fighting per effective soldier in range: a fighter about to engage an enemy disengages
    /// and falls back with probability 1 - exp(-battle_deterrence x soldiers within `presence_radius`)
    /// (soldiers interposing between belligerents; police and observers do not count).
    #[serde(default = "default_battle_deterrence")]
    pub battle_deterrence: f64,
    /// Share of that deterrence that works on government forces (Fjelde, Hultman & Nilsson 2019: local
    /// presence restrains rebels far more than the host state, whose consent the mission depends on).
    #[serde(default = "default_government_deterrence")]
    pub government_deterrence: f64,
    /// Weight of one police officer against one soldier in protecting civilians.
    #[serde(default = "default_police_weight")]
    pub police_weight: f64,
    /// Police officers that count as one of Epstein's cops (C) for the citizens around them.
    #[serde(default = "default_police_per_cop")]
    pub police_per_cop: f64,
    /// Probability that an armed unit next to an attack stops it (at training 1; half that at training 0).
    #[serde(default = "half")]
    pub interposition: f64,
    /// Cells a unit moves per day at training 0.5 (its speed scales with 0.5 + training).
    #[serde(default = "three_f")]
    pub speed: f64,
    /// Days after an incident within which a unit must arrive for the incident to count as reached.
    #[serde(default = "default_window")]
    pub response_window: u32,
    /// Probability that a civilian reports an incident at trust 1 (scaled by the district's trust).
    #[serde(default = "default_report_rate")]
    pub report_rate: f64,
    /// Probability that a report is lost at link quality 0 (scaled by 1 - link quality).
    #[serde(default = "half")]
    pub report_loss: f64,
    /// Delay (days) of a report at link quality 0 (scaled by 1 - link quality).
    #[serde(default = "default_report_delay")]
    pub report_delay: f64,
    /// Civilians' trust in peacekeepers at the start, and the level it drifts back to.
    #[serde(default = "default_trust")]
    pub trust: f64,
    /// Trust gained per unit-day in a district, times the unit's cultural competency and (1 - trust).
    #[serde(default = "default_trust_gain")]
    pub trust_gain: f64,
    /// Trust gained in a district per attack stopped there, times (1 - trust).
    #[serde(default = "default_protection_trust")]
    pub protection_trust: f64,
    /// Trust lost per failure to protect (a civilian killed near a unit, or an incident not reached), times trust.
    #[serde(default = "default_failure_trust")]
    pub failure_trust: f64,
    /// Trust lost per civilian harmed by peacekeepers, times trust.
    #[serde(default = "default_harm_trust")]
    pub harm_trust: f64,
    /// Share of the gap to the baseline trust that closes each day.
    #[serde(default = "default_trust_drift")]
    pub trust_drift: f64,
    /// Early warning: weight of the past in the exponentially weighted incident count per district
    /// (forecast = decay x forecast + incidents today).
    #[serde(default = "default_warning_decay")]
    pub warning_decay: f64,
    /// Early warning: how many districts with the highest forecast are on alert.
    #[serde(default = "two")]
    pub warning_districts: u32,
    /// Days between headquarters' reallocations of units to sectors.
    #[serde(default = "default_allocation_interval")]
    pub allocation_interval: u32,
    /// Probability per day that a fighter within `presence_radius` of a unit attacks it when its faction has
    /// no consent left; scaled by 1 - the faction's consent (so nobody attacks while consent is full).
    #[serde(default = "default_attack_rate")]
    pub attack_rate: f64,
    /// Probability per day that a military unit under an enforce mandate strikes a spoiler fighter in sight.
    #[serde(default = "default_enforcement_rate")]
    pub enforcement_rate: f64,
    /// Consent lost by a faction per enforcement action against it (its allies lose half).
    #[serde(default = "default_enforcement_cost")]
    pub enforcement_cost: f64,
    /// Probability that an enforcement action kills a civilian nearby.
    #[serde(default = "default_collateral")]
    pub collateral: f64,
    /// Share of the gap to full consent that a faction regains per day.
    #[serde(default = "default_consent_recovery")]
    pub consent_recovery: f64,
    /// Missions, keyed by name.
    #[serde(default)]
    pub missions: BTreeMap<String, Mission>,
    /// Contingents of contributing nations, keyed by name; each belongs to a mission.
    #[serde(default)]
    pub contingents: BTreeMap<String, Contingent>,
    /// Joint training between pairs of contingents, overriding the mean of their interoperability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joint_training: Vec<JointTraining>,
}

/// A peacekeeping mission (`[peacekeeping.missions.<name>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mission {
    /// Who runs it.
    pub organisation: Organisation,
    /// What it may do.
    pub mandate: Mandate,
    /// Host consent in [0, 1]: below 1, a unit's movement is denied on a share 1 - consent of days.
    #[serde(default = "one")]
    pub consent: f64,
    /// Sectors: name to districts. Without any, the whole map is one sector called `all`.
    #[serde(default)]
    pub sectors: BTreeMap<String, Vec<String>>,
    /// District of the headquarters, where the reserve waits (default: the first district of the first sector).
    #[serde(default)]
    pub headquarters: Option<String>,
    /// Share of military units headquarters keeps in reserve, to respond anywhere.
    #[serde(default = "default_reserve")]
    pub reserve: f64,
    /// Factions an enforce mandate designates as spoilers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spoilers: Vec<String>,
    /// Whether headquarters runs early warning and pre-positions the reserve in the districts on alert.
    #[serde(default)]
    pub early_warning: bool,
    /// Total troops: when given, the contingents' troops are scaled in proportion to sum to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub troops: Option<u32>,
    /// Total police: when given, the contingents' police are scaled in proportion to sum to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police: Option<u32>,
    /// Total observers: when given, the contingents' observers are scaled in proportion to sum to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observers: Option<u32>,
}

/// A national contingent (`[peacekeeping.contingents.<name>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contingent {
    /// The mission it serves in.
    #[serde(default)]
    pub mission: Option<String>,
    /// Soldiers.
    #[serde(default)]
    pub troops: u32,
    /// Police officers (formed police units).
    #[serde(default)]
    pub police: u32,
    /// Unarmed military observers.
    #[serde(default)]
    pub observers: u32,
    /// Training level in [0, 1]: effective strength, speed, interposition and losses.
    #[serde(default = "half")]
    pub training: f64,
    /// Joint training with the mission's other contingents in [0, 1] (per pair: `joint_training`).
    #[serde(default = "half")]
    pub interoperability: f64,
    /// Communication quality in [0, 1]: how fast and how reliably its reports reach the unit that acts.
    #[serde(default = "half")]
    pub communication: f64,
    /// Cultural competency in [0, 1]: trust gained per contact with civilians.
    #[serde(default = "half")]
    pub cultural_competency: f64,
    /// Tasks it refuses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<Task>,
    /// Patrol vision (Moore radius, cells): incidents within it are seen directly.
    #[serde(default = "two")]
    pub vision: u32,
    /// Drones: probability that an incident within `drone_radius` of one of its units is detected.
    #[serde(default)]
    pub drones: f64,
    /// Reach of its drones (Moore radius, cells).
    #[serde(default = "default_drone_radius")]
    pub drone_radius: u32,
    /// Satellite coverage: probability that any incident anywhere is detected through it.
    #[serde(default)]
    pub satellite: f64,
    /// Its sector (headquarters allocates it otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The cell `[x, y]` its units start from (default: spread over their sectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<[u32; 2]>,
    /// Whether it is on the ground at tick 0 (otherwise a `deploy` event brings it in).
    #[serde(default = "yes")]
    pub deployed: bool,
}

/// Joint training of two contingents (`[[peacekeeping.joint_training]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointTraining {
    /// The two contingents.
    pub contingents: [String; 2],
    /// Their interoperability in [0, 1].
    pub value: f64,
}

impl Peacekeeping {
    /// Interoperability between two contingents: the listed joint training, else the mean of theirs
    /// (1 for a contingent with itself).
    pub fn interoperability(&self, a: &str, b: &str) -> f64 {
        if a == b {
            return 1.0;
        }
        if let Some(j) = self.joint_training.iter().find(|j| {
            (j.contingents[0] == a && j.contingents[1] == b) || (j.contingents[0] == b && j.contingents[1] == a)
        }) {
            return j.value;
        }
        let get = |n: &str| self.contingents.get(n).map_or(0.0, |c| c.interoperability);
        (get(a) + get(b)) / 2.0
    }

    /// The contingents of `mission`, in name order.
    pub fn contingents_of<'a>(&'a self, mission: &'a str) -> impl Iterator<Item = (&'a String, &'a Contingent)> + 'a {
        self.contingents.iter().filter(move |(_, c)| c.mission.as_deref() == Some(mission))
    }

    /// A contingent's troops, police and observers after the mission's totals (if any) rescale them.
    pub fn strength(&self, name: &str) -> [u32; 3] {
        let Some(c) = self.contingents.get(name) else { return [0; 3] };
        let own = [c.troops, c.police, c.observers];
        let Some(m) = c.mission.as_deref().and_then(|m| self.missions.get(m)) else { return own };
        let totals = [m.troops, m.police, m.observers];
        let mission = c.mission.as_deref().unwrap_or_default();
        let mut out = own;
        for kind in 0..3 {
            let Some(total) = totals[kind] else { continue };
            let sum: u64 =
                self.contingents_of(mission).map(|(_, o)| u64::from([o.troops, o.police, o.observers][kind])).sum();
            out[kind] = if sum == 0 {
                // Nothing to scale: the total goes to the mission's first contingent.
                if self.contingents_of(mission).next().is_some_and(|(n, _)| n == name) { total } else { 0 }
            } else {
                // Largest remainder over the mission's contingents in name order, so the parts sum to the total.
                let shares: Vec<(String, f64)> = self
                    .contingents_of(mission)
                    .map(|(n, o)| {
                        (n.clone(), f64::from(total) * [o.troops, o.police, o.observers][kind] as f64 / sum as f64)
                    })
                    .collect();
                let floor: u64 = shares.iter().map(|(_, s)| s.floor() as u64).sum();
                let mut left = u64::from(total).saturating_sub(floor);
                let mut order: Vec<usize> = (0..shares.len()).collect();
                order.sort_by(|&i, &j| {
                    let (fi, fj) = (shares[i].1.fract(), shares[j].1.fract());
                    fj.partial_cmp(&fi).unwrap_or(std::cmp::Ordering::Equal).then(i.cmp(&j))
                });
                let mut mine = 0;
                for i in order {
                    let extra = u64::from(left > 0);
                    left = left.saturating_sub(1);
                    if shares[i].0 == name {
                        mine = shares[i].1.floor() as u64 + extra;
                    }
                }
                mine as u32
            };
        }
        out
    }
}

fn default_unit_size() -> u32 {
    150
}
fn default_police_unit_size() -> u32 {
    140
}
fn default_team_size() -> u32 {
    10
}
fn three() -> u32 {
    3
}
fn three_f() -> f64 {
    3.0
}
fn two() -> u32 {
    2
}
fn one() -> f64 {
    1.0
}
fn half() -> f64 {
    0.5
}
fn yes() -> bool {
    true
}
fn default_deterrence() -> f64 {
    0.004
}
fn default_battle_deterrence() -> f64 {
    0.004
}
fn default_government_deterrence() -> f64 {
    0.3
}
fn default_police_weight() -> f64 {
    3.0
}
fn default_police_per_cop() -> f64 {
    20.0
}
fn default_window() -> u32 {
    7
}
fn default_report_rate() -> f64 {
    0.8
}
fn default_report_delay() -> f64 {
    6.0
}
fn default_trust() -> f64 {
    0.3
}
fn default_trust_gain() -> f64 {
    0.002
}
fn default_protection_trust() -> f64 {
    0.05
}
fn default_failure_trust() -> f64 {
    0.01
}
fn default_harm_trust() -> f64 {
    0.1
}
fn default_trust_drift() -> f64 {
    0.005
}
fn default_warning_decay() -> f64 {
    0.9
}
fn default_allocation_interval() -> u32 {
    7
}
fn default_attack_rate() -> f64 {
    0.05
}
fn default_enforcement_rate() -> f64 {
    0.2
}
fn default_enforcement_cost() -> f64 {
    0.02
}
fn default_collateral() -> f64 {
    0.05
}
fn default_consent_recovery() -> f64 {
    0.002
}
fn default_reserve() -> f64 {
    0.2
}
fn default_drone_radius() -> u32 {
    8
}
