//! Runtime parameters: the scenario values the schedule (and later, what-if injects) may change mid-run,
//! addressed by the same dotted key paths as `--set`.

use crate::model::Scenario;

/// A parameter that may change while a run is under way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamPath {
    /// `rules.legitimacy`
    Legitimacy,
    /// `rules.threshold`
    Threshold,
    /// `rules.arrest_constant`
    ArrestConstant,
    /// `rules.jail_term.max`
    JailTermMax,
    /// `forces.<name>.density`
    ForceDensity(String),
    /// `forces.<name>.count`
    ForceCount(String),
    /// `demography.clone_probability`
    CloneProbability,
    /// `demography.max_age`
    MaxAge,
    /// `climate.drought.<district>`: scheduled drought severity in a district.
    Drought(String),
    /// `conflict.<field>`: instability, services or abuse_impact.
    Conflict(ConflictField),
    /// `factions.<name>.<field>`: targeting, recruitment or cohesion (the level cohesion recovers towards).
    Faction(String, FactionField),
    /// `displacement.return_rate`
    ReturnRate,
}

/// Runtime fields of `[conflict]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConflictField {
    /// `conflict.instability`
    Instability,
    /// `conflict.services`
    Services,
    /// `conflict.abuse_impact`
    AbuseImpact,
}

/// Runtime fields of a faction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FactionField {
    /// `factions.<name>.targeting`
    Targeting,
    /// `factions.<name>.recruitment`
    Recruitment,
    /// `factions.<name>.cohesion`
    Cohesion,
}

/// Every runtime parameter path pattern, for documentation and error messages.
pub const RUNTIME_PATHS: &[&str] = &[
    "rules.legitimacy",
    "rules.threshold",
    "rules.arrest_constant",
    "rules.jail_term.max",
    "forces.<name>.density",
    "forces.<name>.count",
    "demography.clone_probability",
    "demography.max_age",
    "climate.drought.<district>",
    "conflict.instability",
    "conflict.services",
    "conflict.abuse_impact",
    "factions.<name>.targeting",
    "factions.<name>.recruitment",
    "factions.<name>.cohesion",
    "displacement.return_rate",
];

impl ParamPath {
    /// Resolves a dotted path against a scenario; names must exist in it.
    pub fn parse(path: &str, scenario: &Scenario) -> Result<Self, String> {
        let segments: Vec<&str> = path.split('.').collect();
        let param = match segments.as_slice() {
            ["rules", "legitimacy"] => ParamPath::Legitimacy,
            ["rules", "threshold"] => ParamPath::Threshold,
            ["rules", "arrest_constant"] => ParamPath::ArrestConstant,
            ["rules", "jail_term", "max"] => {
                if scenario.rules.jail_term.distribution == crate::model::JailDistribution::Infinite {
                    return Err(
                        "jail terms are infinite in this scenario, so `rules.jail_term.max` has no effect".to_owned()
                    );
                }
                ParamPath::JailTermMax
            }
            ["forces", name, field @ ("density" | "count")] => {
                if !scenario.forces.contains_key(*name) {
                    return Err(format!("there is no force named `{name}` in this scenario"));
                }
                if *field == "density" {
                    ParamPath::ForceDensity((*name).to_owned())
                } else {
                    ParamPath::ForceCount((*name).to_owned())
                }
            }
            ["demography", field @ ("clone_probability" | "max_age")] => {
                if scenario.demography.is_none() {
                    return Err("this scenario has no [demography] table".to_owned());
                }
                if *field == "clone_probability" { ParamPath::CloneProbability } else { ParamPath::MaxAge }
            }
            ["climate", "drought", district] => {
                if scenario.climate.is_none() {
                    return Err("this scenario has no [climate] table".to_owned());
                }
                let known = scenario
                    .map
                    .as_ref()
                    .and_then(|m| m.resolve(scenario.grid.width, scenario.grid.height).ok())
                    .is_some_and(|m| m.districts.iter().any(|d| d == district));
                if !known {
                    return Err(format!("there is no district `{district}` on the map"));
                }
                ParamPath::Drought((*district).to_owned())
            }
            ["conflict", field @ ("instability" | "services" | "abuse_impact")] => {
                if !scenario.has_conflict() {
                    return Err("this scenario has no factions, [conflict] or [displacement]".to_owned());
                }
                ParamPath::Conflict(match *field {
                    "instability" => ConflictField::Instability,
                    "services" => ConflictField::Services,
                    _ => ConflictField::AbuseImpact,
                })
            }
            ["factions", name, field @ ("targeting" | "recruitment" | "cohesion")] => {
                if !scenario.factions.contains_key(*name) {
                    return Err(format!("there is no faction named `{name}` in this scenario"));
                }
                let field = match *field {
                    "targeting" => FactionField::Targeting,
                    "recruitment" => FactionField::Recruitment,
                    _ => FactionField::Cohesion,
                };
                ParamPath::Faction((*name).to_owned(), field)
            }
            ["displacement", "return_rate"] => {
                if scenario.displacement.is_none() {
                    return Err("this scenario has no [displacement] table".to_owned());
                }
                ParamPath::ReturnRate
            }
            _ => {
                return Err(format!(
                    "`{path}` is not a runtime parameter; the schedule can change: {}",
                    RUNTIME_PATHS.join(", ")
                ));
            }
        };
        Ok(param)
    }

    /// Checks that `value` is allowed for this parameter.
    pub fn check(&self, value: f64) -> Result<(), String> {
        let (low, high) = match self {
            ParamPath::Legitimacy
            | ParamPath::ForceDensity(_)
            | ParamPath::CloneProbability
            | ParamPath::Drought(_)
            | ParamPath::Conflict(_)
            | ParamPath::Faction(..)
            | ParamPath::ReturnRate => (0.0, 1.0),
            ParamPath::Threshold => (-1.0, 1.0),
            ParamPath::ArrestConstant => (0.0, 1e6),
            ParamPath::JailTermMax | ParamPath::ForceCount(_) => (0.0, f64::from(u32::MAX)),
            ParamPath::MaxAge => (1.0, f64::from(u32::MAX)),
        };
        if value.is_finite() && (low..=high).contains(&value) {
            Ok(())
        } else {
            Err(format!("{value} is out of range: must be between {low} and {high}"))
        }
    }

    /// Current value in `scenario`.
    pub fn get(&self, scenario: &Scenario) -> f64 {
        match self {
            ParamPath::Legitimacy => scenario.rules.legitimacy,
            ParamPath::Threshold => scenario.rules.threshold,
            ParamPath::ArrestConstant => scenario.rules.arrest_constant,
            ParamPath::JailTermMax => scenario.rules.jail_term.max.map_or(0.0, f64::from),
            ParamPath::ForceDensity(name) => scenario.forces.get(name).and_then(|f| f.density).unwrap_or(0.0),
            ParamPath::ForceCount(name) => scenario.forces.get(name).and_then(|f| f.count).map_or(0.0, f64::from),
            ParamPath::CloneProbability => scenario.demography.as_ref().map_or(0.0, |d| d.clone_probability),
            ParamPath::MaxAge => scenario.demography.as_ref().map_or(0.0, |d| f64::from(d.max_age)),
            ParamPath::Drought(district) => {
                scenario.climate.as_ref().and_then(|c| c.drought.get(district).copied()).unwrap_or(0.0)
            }
            ParamPath::Conflict(field) => {
                let rules = scenario.conflict.clone().unwrap_or_default();
                match field {
                    ConflictField::Instability => rules.instability,
                    ConflictField::Services => rules.services,
                    ConflictField::AbuseImpact => rules.abuse_impact,
                }
            }
            ParamPath::Faction(name, field) => scenario.factions.get(name).map_or(0.0, |f| match field {
                FactionField::Targeting => f.targeting,
                FactionField::Recruitment => f.recruitment,
                FactionField::Cohesion => f.cohesion,
            }),
            ParamPath::ReturnRate => scenario.displacement.as_ref().map_or(0.0, |d| d.return_rate),
        }
    }

    /// Sets the value in `scenario`; whole-number parameters are rounded to the nearest integer.
    /// Setting a force's density clears its count and vice versa, so the latest change decides its size.
    pub fn set(&self, scenario: &mut Scenario, value: f64) {
        let whole = value.round().clamp(0.0, f64::from(u32::MAX)) as u32;
        match self {
            ParamPath::Legitimacy => scenario.rules.legitimacy = value,
            ParamPath::Threshold => scenario.rules.threshold = value,
            ParamPath::ArrestConstant => scenario.rules.arrest_constant = value,
            ParamPath::JailTermMax => scenario.rules.jail_term.max = Some(whole),
            ParamPath::ForceDensity(name) => {
                if let Some(force) = scenario.forces.get_mut(name) {
                    force.density = Some(value);
                    force.count = None;
                }
            }
            ParamPath::ForceCount(name) => {
                if let Some(force) = scenario.forces.get_mut(name) {
                    force.count = Some(whole);
                    force.density = None;
                }
            }
            ParamPath::CloneProbability => {
                if let Some(d) = scenario.demography.as_mut() {
                    d.clone_probability = value;
                }
            }
            ParamPath::MaxAge => {
                if let Some(d) = scenario.demography.as_mut() {
                    d.max_age = whole;
                }
            }
            ParamPath::Drought(district) => {
                if let Some(c) = scenario.climate.as_mut() {
                    c.drought.insert(district.clone(), value);
                }
            }
            ParamPath::Conflict(field) => {
                let rules = scenario.conflict.get_or_insert_with(Default::default);
                match field {
                    ConflictField::Instability => rules.instability = value,
                    ConflictField::Services => rules.services = value,
                    ConflictField::AbuseImpact => rules.abuse_impact = value,
                }
            }
            ParamPath::Faction(name, field) => {
                if let Some(f) = scenario.factions.get_mut(name) {
                    match field {
                        FactionField::Targeting => f.targeting = value,
                        FactionField::Recruitment => f.recruitment = value,
                        FactionField::Cohesion => f.cohesion = value,
                    }
                }
            }
            ParamPath::ReturnRate => {
                if let Some(d) = scenario.displacement.as_mut() {
                    d.return_rate = value;
                }
            }
        }
    }

    /// The force whose size this parameter sets, if any.
    pub fn force_name(&self) -> Option<&str> {
        match self {
            ParamPath::ForceDensity(name) | ParamPath::ForceCount(name) => Some(name),
            _ => None,
        }
    }
}

impl std::fmt::Display for ParamPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamPath::Legitimacy => f.write_str("rules.legitimacy"),
            ParamPath::Threshold => f.write_str("rules.threshold"),
            ParamPath::ArrestConstant => f.write_str("rules.arrest_constant"),
            ParamPath::JailTermMax => f.write_str("rules.jail_term.max"),
            ParamPath::ForceDensity(name) => write!(f, "forces.{name}.density"),
            ParamPath::ForceCount(name) => write!(f, "forces.{name}.count"),
            ParamPath::CloneProbability => f.write_str("demography.clone_probability"),
            ParamPath::MaxAge => f.write_str("demography.max_age"),
            ParamPath::Drought(district) => write!(f, "climate.drought.{district}"),
            ParamPath::Conflict(field) => f.write_str(match field {
                ConflictField::Instability => "conflict.instability",
                ConflictField::Services => "conflict.services",
                ConflictField::AbuseImpact => "conflict.abuse_impact",
            }),
            ParamPath::Faction(name, field) => write!(
                f,
                "factions.{name}.{}",
                match field {
                    FactionField::Targeting => "targeting",
                    FactionField::Recruitment => "recruitment",
                    FactionField::Cohesion => "cohesion",
                }
            ),
            ParamPath::ReturnRate => f.write_str("displacement.return_rate"),
        }
    }
}
