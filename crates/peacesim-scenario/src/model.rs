//! The typed scenario: plain data, deserialised from TOML with every field checked.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// One scenario: a map, its populations and security forces, the rules they follow, and a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Short name, used in output file names and summaries.
    pub name: String,
    /// One paragraph on what the scenario is and where its numbers come from.
    #[serde(default)]
    pub description: String,
    /// Default number of ticks to run (one tick stands for one day in the conflict scenarios; Epstein's
    /// runs are unitless).
    #[serde(default = "default_ticks")]
    pub ticks: u64,
    /// Default seed.
    #[serde(default)]
    pub seed: u64,
    /// The grid.
    pub grid: GridSpec,
    /// A map drawn as ASCII rows with a legend (terrain, districts); absent means all open land, one district.
    #[serde(default)]
    pub map: Option<crate::map::MapSpec>,
    /// Behavioural rules, including every one of Epstein's ambiguities as an explicit switch.
    pub rules: Rules,
    /// Civilian populations (ethnic groups in Epstein's Model II), keyed by name.
    pub populations: BTreeMap<String, Population>,
    /// Security forces (Epstein's cops; peacekeepers in Model II), keyed by name.
    #[serde(default)]
    pub forces: BTreeMap<String, Force>,
    /// Food production, stocks and food insecurity per district (needs a map); absent means no food model.
    #[serde(default)]
    pub food: Option<Food>,
    /// Droughts: scheduled per district, and a stochastic hazard with a long-run trend (needs `[food]`).
    #[serde(default)]
    pub climate: Option<Climate>,
    /// Births and deaths by age (Epstein's Model II); absent means a fixed population.
    #[serde(default)]
    pub demography: Option<Demography>,
    /// Tick-keyed changes and linear ramps of runtime parameters.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
    /// Armed factions (government, insurgents, militias, gangs), keyed by name; each has fighters on the map.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub factions: BTreeMap<String, crate::conflict::Faction>,
    /// Relations between factions; pairs not listed are hostile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<crate::conflict::Relation>,
    /// Rules of violence, legitimacy and instability (defaults apply when factions exist and this is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<crate::conflict::ConflictRules>,
    /// Displacement: civilians flee violence and hunger, towards safer cells and camps, and return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displacement: Option<crate::conflict::Displacement>,
    /// Tick-keyed events: droughts, earthquakes, coups, ceasefires, splits, reinforcements, relation changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::conflict::EventSpec>,
    /// Multinational peacekeeping: missions, national contingents, and the rules of their units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peacekeeping: Option<crate::peacekeeping::Peacekeeping>,
    /// Humanitarian aid: agencies, depots, convoys and how they allocate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aid: Option<crate::aid::Aid>,
}

fn default_ticks() -> u64 {
    500
}

/// Grid size, topology and how agents are placed at tick 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Cells along x.
    pub width: u32,
    /// Cells along y.
    pub height: u32,
    /// Whether the edges wrap around.
    pub topology: Topology,
    /// How initial densities become agents.
    #[serde(default)]
    pub placement: Placement,
}

/// Grid topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Edges wrap around (Epstein, NetLogo, Mesa).
    Torus,
    /// Edges are walls; neighbourhoods are clipped.
    Bounded,
}

/// How populations and forces are placed at tick 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// `round(density * cells)` agents of each kind on distinct random cells (Epstein, NetLogo).
    #[default]
    ExactCount,
    /// Each cell independently holds a citizen of each population with probability equal to its density,
    /// else a member of each force with probability equal to its density, else nothing (Mesa's example).
    PerCell,
}

/// Epstein's behavioural rules and their ambiguities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Perceived legitimacy of the government L, in [0, 1].
    pub legitimacy: f64,
    /// k in P = 1 - exp(-k * ratio); 2.3 makes P about 0.9 when C = A = 1.
    #[serde(default = "default_arrest_constant")]
    pub arrest_constant: f64,
    /// Activation threshold T: an agent is active iff G - N > T.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// How the cop-to-active ratio enters the arrest probability.
    pub arrest_ratio: ArrestRatioRule,
    /// How long an arrested agent stays in jail.
    pub jail_term: JailTerm,
    /// Whether a jailed agent keeps occupying its cell (Mesa) or leaves the grid until released.
    #[serde(default)]
    pub jailed_keep_cell: bool,
    /// The order in which agents act within a tick.
    #[serde(default)]
    pub activation_order: ActivationOrder,
    /// Whether an agent moves before it decides and acts (Epstein, NetLogo) or after (Mesa).
    #[serde(default)]
    pub movement_timing: MovementTiming,
    /// Model II: active agents kill a random member of another population within vision.
    #[serde(default)]
    pub actives_kill: bool,
}

fn default_arrest_constant() -> f64 {
    2.3
}

fn default_threshold() -> f64 {
    0.1
}

/// How the ratio of security forces to actives within vision is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrestRatioRule {
    /// C / A as a real number, as the paper writes it.
    Literal,
    /// floor(C / A), as NetLogo's Rebellion model computes it.
    Floor,
    /// C / A rounded to the nearest integer with ties to even, as Python's `round()` in Mesa's example.
    RoundHalfEven,
}

/// Jail term distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JailTerm {
    /// Which distribution terms are drawn from.
    pub distribution: JailDistribution,
    /// Upper bound (uniform) or the term itself (fixed), in ticks; unused for `infinite`.
    #[serde(default)]
    pub max: Option<u32>,
}

/// Jail term distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JailDistribution {
    /// A whole number of ticks drawn uniformly from 0..=max (Epstein's U(0, J_max); Mesa's randint).
    Uniform,
    /// Exactly `max` ticks.
    Fixed,
    /// Never released (Epstein's runs 3-5, J_max = infinity).
    Infinite,
}

/// The order in which agents act within one tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationOrder {
    /// All citizens in shuffled order, then all force members in shuffled order.
    #[default]
    CitizensThenForces,
    /// Citizens and force members together in one shuffled order (Mesa's `shuffle_do`).
    ShuffledAll,
}

/// When an agent moves relative to its decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementTiming {
    /// Move, then look around and act (Epstein 2002, NetLogo).
    #[default]
    BeforeActing,
    /// Look around and act, then move (Mesa's example).
    AfterActing,
}

/// A civilian population (an ethnic group in Model II).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Fraction of cells it fills at tick 0; give this or `count`.
    #[serde(default)]
    pub density: Option<f64>,
    /// Number of agents at tick 0; give this or `density`.
    #[serde(default)]
    pub count: Option<u32>,
    /// What an agent sees and where it may move.
    pub vision: Vision,
    /// Whether its agents move.
    #[serde(default = "yes")]
    pub movement: bool,
    /// Hardship H.
    #[serde(default = "unit_uniform")]
    pub hardship: Distribution,
    /// Risk aversion R.
    #[serde(default = "unit_uniform")]
    pub risk_aversion: Distribution,
}

/// A security force: cops in Model I, peacekeepers in Model II.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Force {
    /// Fraction of cells it fills; give this or `count`. The schedule may change it mid-run.
    #[serde(default)]
    pub density: Option<f64>,
    /// Number of members; give this or `density`. The schedule may change it mid-run.
    #[serde(default)]
    pub count: Option<u32>,
    /// What a member sees and where it may move.
    pub vision: Vision,
    /// Whether its members move.
    #[serde(default = "yes")]
    pub movement: bool,
}

fn yes() -> bool {
    true
}

fn unit_uniform() -> Distribution {
    Distribution { kind: DistributionKind::Uniform, low: Some(0.0), high: Some(1.0), value: None, mean: None, sd: None }
}

/// Neighbourhood shape and size: which cells an agent sees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vision {
    /// Shape of the neighbourhood.
    pub shape: Shape,
    /// Radius in cells (Euclidean radii may be fractional: Epstein's 1.7 is the 8-cell Moore neighbourhood).
    pub radius: f64,
}

/// Neighbourhood shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// The (2r+1)^2 - 1 cells within Chebyshev distance r.
    Moore,
    /// The cells within Manhattan distance r.
    VonNeumann,
    /// The cells within Euclidean distance r.
    Euclidean,
}

/// A distribution of an agent attribute in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// Which distribution.
    pub kind: DistributionKind,
    /// Lower bound (uniform).
    #[serde(default)]
    pub low: Option<f64>,
    /// Upper bound (uniform).
    #[serde(default)]
    pub high: Option<f64>,
    /// The value (constant).
    #[serde(default)]
    pub value: Option<f64>,
    /// Mean (normal, clamped to [0, 1]).
    #[serde(default)]
    pub mean: Option<f64>,
    /// Standard deviation (normal).
    #[serde(default)]
    pub sd: Option<f64>,
}

/// Distribution kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistributionKind {
    /// Uniform on [low, high).
    Uniform,
    /// Always `value`.
    Constant,
    /// Normal(mean, sd), clamped to [0, 1].
    Normal,
}

/// Food: each district produces what its cells grow (with a seasonal cycle), stores it, and feeds its
/// citizens; the shortfall is the district's food insecurity, which raises its citizens' hardship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Food {
    /// Food a citizen needs per tick.
    pub need: f64,
    /// Each district's initial stock, in ticks of its initial citizens' need.
    #[serde(default)]
    pub initial_stock: f64,
    /// Relative amplitude of the seasonal cycle of production, in [0, 1].
    #[serde(default)]
    pub season_amplitude: f64,
    /// Ticks per seasonal cycle (365 for a year of days).
    #[serde(default = "year")]
    pub season_length: u32,
    /// Tick at which production peaks.
    #[serde(default)]
    pub season_peak: u32,
    /// How much full food insecurity adds to hardship: H = min(1, H0 + weight x insecurity).
    #[serde(default = "half")]
    pub hardship_weight: f64,
}

fn year() -> u32 {
    365
}

fn half() -> f64 {
    0.5
}

impl Food {
    /// The seasonal factor of production at `tick`: 1 + amplitude x cos(2 pi (tick - peak) / length).
    pub fn season(&self, tick: u64) -> f64 {
        let phase = (tick as f64 - f64::from(self.season_peak)) / f64::from(self.season_length.max(1));
        1.0 + self.season_amplitude * libm_cos(std::f64::consts::TAU * phase)
    }
}

/// Droughts lower food production in their districts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Climate {
    /// Scheduled drought severity per district now (the share of production lost, 0 to 1); the schedule
    /// changes it through `climate.drought.<district>`.
    #[serde(default)]
    pub drought: BTreeMap<String, f64>,
    /// Probability per tick and district that a drought starts (the stochastic hazard).
    #[serde(default)]
    pub hazard: f64,
    /// Long-run trend: the hazard at tick t is `hazard x (1 + hazard_trend x t / 365)`.
    #[serde(default)]
    pub hazard_trend: f64,
    /// Ticks a stochastic drought lasts.
    #[serde(default = "quarter")]
    pub duration: u32,
    /// Share of production a stochastic drought destroys.
    #[serde(default = "half")]
    pub severity: f64,
}

fn quarter() -> u32 {
    90
}

impl Climate {
    /// The stochastic hazard at `tick`, clamped to [0, 1].
    pub fn hazard_at(&self, tick: u64) -> f64 {
        (self.hazard * (1.0 + self.hazard_trend * tick as f64 / 365.0)).clamp(0.0, 1.0)
    }
}

/// Cosine with the same bits on every platform.
fn libm_cos(x: f64) -> f64 {
    libm::cos(x)
}

/// Births and deaths (Epstein's Model II).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demography {
    /// Per-tick probability that a free agent places a clone on an empty cell within its vision.
    pub clone_probability: f64,
    /// Agents die when their age reaches this many ticks; initial ages are uniform on 0..max_age.
    pub max_age: u32,
}

/// One schedule entry: a step change (`tick` and `value`) or a linear ramp (`ramp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// The runtime parameter it changes, as a dotted key path (see [`crate::ParamPath`]).
    pub path: String,
    /// Tick at which a step change takes effect.
    #[serde(default)]
    pub tick: Option<u64>,
    /// New value of a step change.
    #[serde(default)]
    pub value: Option<f64>,
    /// A linear ramp instead of a step change.
    #[serde(default)]
    pub ramp: Option<Ramp>,
}

/// A linear ramp: the parameter moves from `from` at tick `start` to `to` at tick `end`
/// (or at `rate` per tick), then stays at `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// First tick of the ramp.
    pub start: u64,
    /// Last tick of the ramp; give this or `rate`.
    #[serde(default)]
    pub end: Option<u64>,
    /// Value at `start`.
    pub from: f64,
    /// Value at `end` and after.
    pub to: f64,
    /// Change per tick (a positive magnitude); give this or `end`.
    #[serde(default)]
    pub rate: Option<f64>,
}

impl Ramp {
    /// The last tick of the ramp, from `end` or derived from `rate`.
    pub fn end_tick(&self) -> u64 {
        match (self.end, self.rate) {
            (Some(end), _) => end,
            (None, Some(rate)) if rate > 0.0 => {
                let steps = ((self.to - self.from).abs() / rate - 1e-9).ceil().max(0.0);
                self.start + steps as u64
            }
            _ => self.start,
        }
    }

    /// The ramp's value at `tick`, computed in closed form so that resuming mid-ramp gives the same bits.
    pub fn value_at(&self, tick: u64) -> f64 {
        let end = self.end_tick();
        if tick >= end {
            return self.to;
        }
        if tick <= self.start {
            return self.from;
        }
        match self.rate {
            Some(rate) if self.end.is_none() => {
                let sign = if self.to >= self.from { 1.0 } else { -1.0 };
                self.from + sign * rate * (tick - self.start) as f64
            }
            _ => {
                let fraction = (tick - self.start) as f64 / (end - self.start) as f64;
                self.from + (self.to - self.from) * fraction
            }
        }
    }
}

impl Scenario {
    /// The same scenario on a map `k` times wider and higher: every map cell becomes a k x k block, and
    /// every absolute number (population and force counts, initial fighters and resources, reinforcements
    /// and their resources, scheduled force counts and agency supplies, peacekeepers, agencies' supplies,
    /// stocks and convoys per day) is multiplied by k squared, so densities per cell stay the same; cells
    /// named in the scenario (bases, depots) move with the map. Radii, rates and the schedule's ticks are
    /// unchanged. Used to measure throughput at scale; `k = 1` returns an equal scenario.
    pub fn scaled(&self, k: u32) -> Scenario {
        let mut s = self.clone();
        if k <= 1 {
            return s;
        }
        let area = k.saturating_mul(k);
        let factor = f64::from(area);
        s.grid.width = s.grid.width.saturating_mul(k);
        s.grid.height = s.grid.height.saturating_mul(k);
        if let Some(map) = s.map.as_mut() {
            let mut rows = String::new();
            for line in map.rows.lines().filter(|l| !l.is_empty()) {
                let wide: String = line.chars().flat_map(|c| std::iter::repeat_n(c, k as usize)).collect();
                for _ in 0..k {
                    rows.push_str(&wide);
                    rows.push('\n');
                }
            }
            map.rows = rows;
        }
        for p in s.populations.values_mut() {
            p.count = p.count.map(|c| c.saturating_mul(area));
        }
        for f in s.forces.values_mut() {
            f.count = f.count.map(|c| c.saturating_mul(area));
        }
        for f in s.factions.values_mut() {
            f.fighters = f.fighters.saturating_mul(area);
            f.resources *= f64::from(area);
        }
        for e in &mut s.events {
            e.fighters = e.fighters.map(|n| n.saturating_mul(area));
            e.resources = e.resources.map(|r| r * f64::from(area));
            e.troops = e.troops.map(|n| n.saturating_mul(area));
            e.police = e.police.map(|n| n.saturating_mul(area));
            e.observers = e.observers.map(|n| n.saturating_mul(area));
        }
        if let Some(aid) = s.aid.as_mut() {
            aid.convoys_per_day = aid.convoys_per_day.saturating_mul(area);
            for a in aid.agencies.values_mut() {
                a.supply = a.supply.map(|v| v * factor);
                a.stock *= factor;
                a.depot = a.depot.map(|v| v.saturating_mul(k));
            }
        }
        if let Some(pk) = s.peacekeeping.as_mut() {
            for m in pk.missions.values_mut() {
                m.troops = m.troops.map(|n| n.saturating_mul(area));
                m.police = m.police.map(|n| n.saturating_mul(area));
                m.observers = m.observers.map(|n| n.saturating_mul(area));
            }
            for c in pk.contingents.values_mut() {
                c.troops = c.troops.saturating_mul(area);
                c.police = c.police.saturating_mul(area);
                c.observers = c.observers.saturating_mul(area);
                c.base = c.base.map(|[x, y]| [x.saturating_mul(k), y.saturating_mul(k)]);
            }
        }
        for entry in &mut s.schedule {
            let supply = entry.path.starts_with("aid.agencies.") && entry.path.ends_with(".supply");
            if supply || entry.path.starts_with("forces.") && entry.path.ends_with(".count") {
                entry.value = entry.value.map(|v| v * factor);
                if let Some(ramp) = entry.ramp.as_mut() {
                    (ramp.from, ramp.to) = (ramp.from * factor, ramp.to * factor);
                    ramp.rate = ramp.rate.map(|r| r * factor);
                }
            }
        }
        s
    }

    /// Whether the conflict layer is on: factions, a `[conflict]` table, `[displacement]`, `[peacekeeping]` or
    /// `[aid]`.
    pub fn has_conflict(&self) -> bool {
        !self.factions.is_empty()
            || self.conflict.is_some()
            || self.displacement.is_some()
            || self.peacekeeping.is_some()
            || self.aid.is_some()
    }

    /// Cells agents may stand on: every cell, less the map's water.
    pub fn land_cells(&self) -> u64 {
        let all = u64::from(self.grid.width) * u64::from(self.grid.height);
        match &self.map {
            Some(map) => map.resolve(self.grid.width, self.grid.height).map_or(all, |m| m.land_cells()),
            None => all,
        }
    }
}

impl Population {
    /// Number of agents at tick 0 with `cells` land cells (for `ExactCount` placement).
    pub fn initial_count(&self, cells: u64) -> u64 {
        size_from(self.density, self.count, cells)
    }
}

impl Force {
    /// Number of members with `cells` land cells.
    pub fn target_count(&self, cells: u64) -> u64 {
        size_from(self.density, self.count, cells)
    }
}

fn size_from(density: Option<f64>, count: Option<u32>, cells: u64) -> u64 {
    match (count, density) {
        (Some(count), _) => u64::from(count),
        (None, Some(density)) => (density * cells as f64).round().max(0.0) as u64,
        (None, None) => 0,
    }
}
