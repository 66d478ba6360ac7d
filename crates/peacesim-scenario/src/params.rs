//! Runtime parameters: the scenario values the schedule (and later, what-if injects) may change mid-run,
//! addressed by the same dotted key paths as `--set`.

use crate::conflict::{ConflictRules, Displacement, Faction};
use crate::model::{Climate, Food, Scenario};

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
    /// `conflict.<field>`: any number of `[conflict]` (see [`ConflictField`]).
    Conflict(ConflictField),
    /// `factions.<name>.<field>`: a faction's rates (see [`FactionField`]).
    Faction(String, FactionField),
    /// `displacement.<field>`: any number of `[displacement]` except `flee_radius`.
    Displacement(DisplacementField),
    /// `food.<field>`: need, hardship_weight or season_amplitude.
    Food(FoodField),
    /// `climate.<field>`: hazard, hazard_trend or severity.
    Climate(ClimateField),
    /// `aid.agencies.<name>.supply`: an agency's daily supply (its budget).
    AgencySupply(String),
}

/// Declares a field enum with its snake_case keys and the ranges validation accepts.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal [$low:expr, $high:expr]),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )+
        }

        impl $name {
            /// Every field, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The field's key.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The range validation accepts.
            pub fn range(self) -> (f64, f64) {
                match self { $($name::$variant => ($low, $high)),+ }
            }

            fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|f| f.as_str() == text)
            }
        }
    };
}

fields! {
    /// Runtime fields of `[conflict]`.
    ConflictField {
        Instability = "instability" [0.0, 1.0],
        ShockRate = "shock_rate" [0.0, 1.0],
        SplitCohesion = "split_cohesion" [0.0, 1.0],
        HitProbability = "hit_probability" [0.0, 1.0],
        UrbanDefence = "urban_defence" [0.0, 10.0],
        RoughDefence = "rough_defence" [0.0, 10.0],
        UncontestedTargeting = "uncontested_targeting" [0.0, 1.0],
        ScarcityPredation = "scarcity_predation" [0.0, 100.0],
        Desertion = "desertion" [0.0, 1.0],
        RecruitGrievance = "recruit_grievance" [-1.0, 1.0],
        ViolenceDecay = "violence_decay" [0.0, 1.0],
        ViolenceHardship = "violence_hardship" [0.0, 1.0],
        CrowdingHardship = "crowding_hardship" [0.0, 1.0],
        AbuseImpact = "abuse_impact" [0.0, 1.0],
        Services = "services" [0.0, 1.0],
        LegitimacyRecovery = "legitimacy_recovery" [0.0, 1.0],
        CeasefireViolation = "ceasefire_violation" [0.0, 1.0],
        ViolationEscalation = "violation_escalation" [0.0, 1.0],
    }
}

fields! {
    /// Runtime fields of a faction.
    FactionField {
        Targeting = "targeting" [0.0, 1.0],
        Recruitment = "recruitment" [0.0, 1.0],
        Cohesion = "cohesion" [0.0, 1.0],
        Firepower = "firepower" [0.0, 1e9],
        Income = "income" [0.0, 1e9],
        Upkeep = "upkeep" [0.0, 1e9],
        RecruitCost = "recruit_cost" [1e-9, 1e9],
    }
}

fields! {
    /// Runtime fields of `[displacement]`.
    DisplacementField {
        FleeViolence = "flee_violence" [1e-9, 1e6],
        FleeHunger = "flee_hunger" [0.0, 1.0],
        ConflictMove = "conflict_move" [0.0, 1.0],
        CampMove = "camp_move" [0.0, 1.0],
        OtherMove = "other_move" [0.0, 1.0],
        CampPull = "camp_pull" [0.0, 1e6],
        ReturnRate = "return_rate" [0.0, 1.0],
        ReturnViolence = "return_violence" [0.0, 1e6],
    }
}

fields! {
    /// Runtime fields of `[food]`.
    FoodField {
        Need = "need" [1e-12, 1e12],
        HardshipWeight = "hardship_weight" [0.0, 1.0],
        SeasonAmplitude = "season_amplitude" [0.0, 1.0],
    }
}

fields! {
    /// Runtime fields of `[climate]`.
    ClimateField {
        Hazard = "hazard" [0.0, 1.0],
        HazardTrend = "hazard_trend" [-1.0, 100.0],
        Severity = "severity" [0.0, 1.0],
    }
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
    "conflict.<field> (any number of [conflict])",
    "factions.<name>.<targeting|recruitment|cohesion|firepower|income|upkeep|recruit_cost>",
    "displacement.<field> (any number but flee_radius)",
    "food.<need|hardship_weight|season_amplitude>",
    "climate.<hazard|hazard_trend|severity>",
    "aid.agencies.<name>.supply",
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
            ["conflict", field] if ConflictField::parse(field).is_some() => {
                if !scenario.has_conflict() {
                    return Err("this scenario has no factions, [conflict] or [displacement]".to_owned());
                }
                ParamPath::Conflict(ConflictField::parse(field).unwrap_or(ConflictField::Instability))
            }
            ["factions", name, field] if FactionField::parse(field).is_some() => {
                if !scenario.factions.contains_key(*name) {
                    return Err(format!("there is no faction named `{name}` in this scenario"));
                }
                ParamPath::Faction((*name).to_owned(), FactionField::parse(field).unwrap_or(FactionField::Targeting))
            }
            ["displacement", field] if DisplacementField::parse(field).is_some() => {
                if scenario.displacement.is_none() {
                    return Err("this scenario has no [displacement] table".to_owned());
                }
                ParamPath::Displacement(DisplacementField::parse(field).unwrap_or(DisplacementField::ReturnRate))
            }
            ["food", field] if FoodField::parse(field).is_some() => {
                if scenario.food.is_none() {
                    return Err("this scenario has no [food] table".to_owned());
                }
                ParamPath::Food(FoodField::parse(field).unwrap_or(FoodField::Need))
            }
            ["climate", field] if ClimateField::parse(field).is_some() => {
                if scenario.climate.is_none() {
                    return Err("this scenario has no [climate] table".to_owned());
                }
                ParamPath::Climate(ClimateField::parse(field).unwrap_or(ClimateField::Hazard))
            }
            ["aid", "agencies", name, "supply"] => {
                if !scenario.aid.as_ref().is_some_and(|a| a.agencies.contains_key(*name)) {
                    return Err(format!("there is no agency named `{name}` in this scenario"));
                }
                ParamPath::AgencySupply((*name).to_owned())
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
            | ParamPath::Drought(_) => (0.0, 1.0),
            ParamPath::Conflict(f) => f.range(),
            ParamPath::Faction(_, f) => f.range(),
            ParamPath::Displacement(f) => f.range(),
            ParamPath::Food(f) => f.range(),
            ParamPath::Climate(f) => f.range(),
            ParamPath::Threshold => (-1.0, 1.0),
            ParamPath::ArrestConstant => (0.0, 1e6),
            ParamPath::AgencySupply(_) => (0.0, 1e12),
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
            ParamPath::Conflict(field) => *conflict_field(&mut scenario.conflict.clone().unwrap_or_default(), *field),
            ParamPath::Faction(name, field) => {
                scenario.factions.get(name).map_or(0.0, |f| *faction_field(&mut f.clone(), *field))
            }
            ParamPath::Displacement(field) => {
                scenario.displacement.clone().map_or(0.0, |mut d| *displacement_field(&mut d, *field))
            }
            ParamPath::Food(field) => scenario.food.clone().map_or(0.0, |mut f| *food_field(&mut f, *field)),
            ParamPath::Climate(field) => scenario.climate.clone().map_or(0.0, |mut c| *climate_field(&mut c, *field)),
            ParamPath::AgencySupply(name) => {
                scenario.aid.as_ref().and_then(|a| a.agencies.get(name)).and_then(|a| a.supply).unwrap_or(0.0)
            }
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
                *conflict_field(scenario.conflict.get_or_insert_with(Default::default), *field) = value;
            }
            ParamPath::Faction(name, field) => {
                if let Some(f) = scenario.factions.get_mut(name) {
                    *faction_field(f, *field) = value;
                }
            }
            ParamPath::Displacement(field) => {
                if let Some(d) = scenario.displacement.as_mut() {
                    *displacement_field(d, *field) = value;
                }
            }
            ParamPath::Food(field) => {
                if let Some(f) = scenario.food.as_mut() {
                    *food_field(f, *field) = value;
                }
            }
            ParamPath::Climate(field) => {
                if let Some(c) = scenario.climate.as_mut() {
                    *climate_field(c, *field) = value;
                }
            }
            ParamPath::AgencySupply(name) => {
                if let Some(a) = scenario.aid.as_mut().and_then(|a| a.agencies.get_mut(name)) {
                    a.supply = Some(value);
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
            ParamPath::Conflict(field) => write!(f, "conflict.{}", field.as_str()),
            ParamPath::Faction(name, field) => write!(f, "factions.{name}.{}", field.as_str()),
            ParamPath::Displacement(field) => write!(f, "displacement.{}", field.as_str()),
            ParamPath::Food(field) => write!(f, "food.{}", field.as_str()),
            ParamPath::Climate(field) => write!(f, "climate.{}", field.as_str()),
            ParamPath::AgencySupply(name) => write!(f, "aid.agencies.{name}.supply"),
        }
    }
}

fn conflict_field(r: &mut ConflictRules, field: ConflictField) -> &mut f64 {
    match field {
        ConflictField::Instability => &mut r.instability,
        ConflictField::ShockRate => &mut r.shock_rate,
        ConflictField::SplitCohesion => &mut r.split_cohesion,
        ConflictField::HitProbability => &mut r.hit_probability,
        ConflictField::UrbanDefence => &mut r.urban_defence,
        ConflictField::RoughDefence => &mut r.rough_defence,
        ConflictField::UncontestedTargeting => &mut r.uncontested_targeting,
        ConflictField::ScarcityPredation => &mut r.scarcity_predation,
        ConflictField::Desertion => &mut r.desertion,
        ConflictField::RecruitGrievance => &mut r.recruit_grievance,
        ConflictField::ViolenceDecay => &mut r.violence_decay,
        ConflictField::ViolenceHardship => &mut r.violence_hardship,
        ConflictField::CrowdingHardship => &mut r.crowding_hardship,
        ConflictField::AbuseImpact => &mut r.abuse_impact,
        ConflictField::Services => &mut r.services,
        ConflictField::LegitimacyRecovery => &mut r.legitimacy_recovery,
        ConflictField::CeasefireViolation => &mut r.ceasefire_violation,
        ConflictField::ViolationEscalation => &mut r.violation_escalation,
    }
}

fn faction_field(f: &mut Faction, field: FactionField) -> &mut f64 {
    match field {
        FactionField::Targeting => &mut f.targeting,
        FactionField::Recruitment => &mut f.recruitment,
        FactionField::Cohesion => &mut f.cohesion,
        FactionField::Firepower => &mut f.firepower,
        FactionField::Income => &mut f.income,
        FactionField::Upkeep => &mut f.upkeep,
        FactionField::RecruitCost => &mut f.recruit_cost,
    }
}

fn displacement_field(d: &mut Displacement, field: DisplacementField) -> &mut f64 {
    match field {
        DisplacementField::FleeViolence => &mut d.flee_violence,
        DisplacementField::FleeHunger => &mut d.flee_hunger,
        DisplacementField::ConflictMove => &mut d.conflict_move,
        DisplacementField::CampMove => &mut d.camp_move,
        DisplacementField::OtherMove => &mut d.other_move,
        DisplacementField::CampPull => &mut d.camp_pull,
        DisplacementField::ReturnRate => &mut d.return_rate,
        DisplacementField::ReturnViolence => &mut d.return_violence,
    }
}

fn food_field(f: &mut Food, field: FoodField) -> &mut f64 {
    match field {
        FoodField::Need => &mut f.need,
        FoodField::HardshipWeight => &mut f.hardship_weight,
        FoodField::SeasonAmplitude => &mut f.season_amplitude,
    }
}

fn climate_field(c: &mut Climate, field: ClimateField) -> &mut f64 {
    match field {
        ClimateField::Hazard => &mut c.hazard,
        ClimateField::HazardTrend => &mut c.hazard_trend,
        ClimateField::Severity => &mut c.severity,
    }
}
