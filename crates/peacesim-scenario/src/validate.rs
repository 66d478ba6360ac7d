//! Range and consistency checks on a deserialised scenario. Each problem is a (key path, message) pair;
//! the parser turns key paths into lines.

use crate::model::{
    Distribution, DistributionKind, JailDistribution, Placement, SCHEMA_VERSION, Scenario, Shape, Topology, Vision,
};
use crate::params::ParamPath;

/// Largest grid side accepted (cells are addressed with 16-bit coordinates).
pub const MAX_GRID_SIDE: u32 = 65_535;

/// Largest number of cells accepted: about 10 bytes of index per cell, so at most about 1.3 GiB.
pub const MAX_CELLS: u64 = 1 << 27;

/// Every problem in `scenario`, as (key path, message); empty when it is valid.
pub fn validate(scenario: &Scenario) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut fail = |key: &str, message: String| problems.push((key.to_owned(), message));

    if scenario.schema_version != SCHEMA_VERSION {
        fail(
            "schema_version",
            format!(
                "schema version {} is not supported; this build reads version {SCHEMA_VERSION}",
                scenario.schema_version
            ),
        );
    }
    if scenario.name.trim().is_empty() {
        fail("name", "must not be empty".to_owned());
    }

    let grid = &scenario.grid;
    for (key, side) in [("grid.width", grid.width), ("grid.height", grid.height)] {
        if side == 0 || side > MAX_GRID_SIDE {
            fail(key, format!("{side} is out of range: must be between 1 and {MAX_GRID_SIDE}"));
        }
    }
    let all_cells = u64::from(grid.width) * u64::from(grid.height);
    if all_cells > MAX_CELLS {
        fail("grid", format!("{}x{} is {all_cells} cells; at most {MAX_CELLS} are supported", grid.width, grid.height));
    }
    // Densities and counts refer to land: every cell, less the map's water.
    let mut cells = all_cells;
    if let Some(map) = &scenario.map
        && all_cells <= MAX_CELLS
    {
        match map.resolve(grid.width, grid.height) {
            Ok(resolved) => cells = resolved.land_cells(),
            Err((key, message)) => fail(&key, message),
        }
        if grid.topology == Topology::Torus {
            fail("grid.topology", "maps are drawn on bounded grids (`topology = \"bounded\"`)".to_owned());
        }
    }

    let rules = &scenario.rules;
    check_unit(&mut fail, "rules.legitimacy", rules.legitimacy);
    check_range(&mut fail, "rules.arrest_constant", rules.arrest_constant, 0.0, 1e6);
    check_range(&mut fail, "rules.threshold", rules.threshold, -1.0, 1.0);
    match (rules.jail_term.distribution, rules.jail_term.max) {
        (JailDistribution::Uniform | JailDistribution::Fixed, None) => {
            fail("rules.jail_term.max", "is required for the uniform and fixed distributions".to_owned());
        }
        (JailDistribution::Infinite, Some(_)) => {
            fail("rules.jail_term.max", "must be left out for the infinite distribution".to_owned());
        }
        _ => {}
    }

    if scenario.populations.is_empty() {
        fail("populations", "at least one population is required".to_owned());
    }
    if rules.actives_kill && scenario.populations.len() < 2 {
        fail("rules.actives_kill", "needs at least two populations (Model II's ethnic groups)".to_owned());
    }
    if scenario.populations.len() > 8 {
        fail("populations", format!("{} populations; at most 8 are supported", scenario.populations.len()));
    }
    let mut density_total = 0.0;
    let mut count_total = 0u64;
    for (name, p) in &scenario.populations {
        let key = format!("populations.{name}");
        check_size(&mut fail, &key, p.density, p.count);
        density_total += p.density.unwrap_or(0.0);
        count_total += p.initial_count(cells);
        check_vision(&mut fail, &format!("{key}.vision"), &p.vision, grid.topology, grid.width, grid.height);
        check_distribution(&mut fail, &format!("{key}.hardship"), &p.hardship);
        check_distribution(&mut fail, &format!("{key}.risk_aversion"), &p.risk_aversion);
    }
    if scenario.forces.len() > 8 {
        fail("forces", format!("{} forces; at most 8 are supported", scenario.forces.len()));
    }
    for (name, f) in &scenario.forces {
        let key = format!("forces.{name}");
        check_size(&mut fail, &key, f.density, f.count);
        density_total += f.density.unwrap_or(0.0);
        count_total += f.target_count(cells);
        check_vision(&mut fail, &format!("{key}.vision"), &f.vision, grid.topology, grid.width, grid.height);
    }
    if density_total > 1.0 + 1e-9 {
        fail(
            "populations",
            format!("population and force densities sum to {density_total:.4}, more than 1 (one agent per cell)"),
        );
    } else if count_total > cells {
        fail("populations", format!("{count_total} agents do not fit on {cells} land cells (one agent per cell)"));
    }
    if grid.placement == Placement::PerCell
        && (scenario.populations.values().any(|p| p.count.is_some())
            || scenario.forces.values().any(|f| f.count.is_some()))
    {
        fail("grid.placement", "per_cell placement needs densities, not counts".to_owned());
    }

    if let Some(food) = &scenario.food {
        if scenario.map.is_none() {
            fail("food", "the food model needs a [map] whose legend says what each cell produces".to_owned());
        }
        check_range(&mut fail, "food.need", food.need, 1e-12, 1e12);
        check_range(&mut fail, "food.initial_stock", food.initial_stock, 0.0, 1e9);
        check_unit(&mut fail, "food.season_amplitude", food.season_amplitude);
        check_unit(&mut fail, "food.hardship_weight", food.hardship_weight);
        if food.season_length == 0 {
            fail("food.season_length", "must be at least 1".to_owned());
        }
    }
    if let Some(climate) = &scenario.climate {
        if scenario.food.is_none() {
            fail("climate", "droughts act on food production: add a [food] table".to_owned());
        }
        let districts = scenario
            .map
            .as_ref()
            .and_then(|m| m.resolve(grid.width, grid.height).ok())
            .map(|m| m.districts)
            .unwrap_or_default();
        for (name, severity) in &climate.drought {
            if !districts.contains(name) {
                fail(&format!("climate.drought.{name}"), format!("there is no district `{name}` on the map"));
            }
            check_unit(&mut fail, &format!("climate.drought.{name}"), *severity);
        }
        check_unit(&mut fail, "climate.hazard", climate.hazard);
        check_range(&mut fail, "climate.hazard_trend", climate.hazard_trend, -1.0, 100.0);
        check_unit(&mut fail, "climate.severity", climate.severity);
        if climate.duration == 0 {
            fail("climate.duration", "must be at least 1".to_owned());
        }
    }
    if let Some(d) = &scenario.demography {
        check_unit(&mut fail, "demography.clone_probability", d.clone_probability);
        if d.max_age == 0 {
            fail("demography.max_age", "must be at least 1".to_owned());
        }
    }

    for (i, entry) in scenario.schedule.iter().enumerate() {
        let key = format!("schedule[{i}]");
        let param = match ParamPath::parse(&entry.path, scenario) {
            Ok(param) => Some(param),
            Err(message) => {
                fail(&format!("{key}.path"), message);
                None
            }
        };
        let check_value = |fail: &mut dyn FnMut(&str, String), field: &str, value: f64| {
            if let Some(param) = &param
                && let Err(message) = param.check(value)
            {
                fail(&format!("{key}.{field}"), message);
            }
        };
        match (&entry.ramp, entry.tick, entry.value) {
            (None, Some(_), Some(value)) => check_value(&mut fail, "value", value),
            (Some(ramp), None, None) => {
                check_value(&mut fail, "ramp.from", ramp.from);
                check_value(&mut fail, "ramp.to", ramp.to);
                match (ramp.end, ramp.rate) {
                    (Some(end), None) if end < ramp.start => {
                        fail(
                            &format!("{key}.ramp.end"),
                            format!("the ramp ends at tick {end}, before it starts at tick {}", ramp.start),
                        );
                    }
                    (None, Some(rate)) if !(rate.is_finite() && rate > 0.0) => {
                        fail(&format!("{key}.ramp.rate"), format!("{rate} must be a positive change per tick"));
                    }
                    (Some(_), Some(_)) | (None, None) => {
                        fail(&format!("{key}.ramp"), "give exactly one of `end` and `rate`".to_owned());
                    }
                    _ => {}
                }
            }
            _ => fail(&key, "give either `tick` and `value` (a step change) or `ramp` (a linear ramp)".to_owned()),
        }
    }
    problems
}

fn check_range(fail: &mut impl FnMut(&str, String), key: &str, value: f64, low: f64, high: f64) {
    if !(value.is_finite() && (low..=high).contains(&value)) {
        fail(key, format!("{value} is out of range: must be between {low} and {high}"));
    }
}

fn check_unit(fail: &mut impl FnMut(&str, String), key: &str, value: f64) {
    check_range(fail, key, value, 0.0, 1.0);
}

fn check_size(fail: &mut impl FnMut(&str, String), key: &str, density: Option<f64>, count: Option<u32>) {
    match (density, count) {
        (Some(d), None) => check_unit(fail, &format!("{key}.density"), d),
        (None, Some(_)) => {}
        _ => fail(key, "give exactly one of `density` and `count`".to_owned()),
    }
}

fn check_vision(
    fail: &mut impl FnMut(&str, String),
    key: &str,
    vision: &Vision,
    topology: Topology,
    width: u32,
    height: u32,
) {
    let radius = vision.radius;
    if !(radius.is_finite() && (1.0..=64.0).contains(&radius)) {
        fail(&format!("{key}.radius"), format!("{radius} is out of range: must be between 1 and 64"));
        return;
    }
    if vision.shape != Shape::Euclidean && radius.fract() != 0.0 {
        fail(&format!("{key}.radius"), format!("{radius}: Moore and von Neumann radii are whole numbers"));
    }
    let span = 2 * (radius.floor() as u32) + 1;
    if topology == Topology::Torus && (span > width || span > height) {
        fail(
            &format!("{key}.radius"),
            format!("a radius of {radius} wraps onto itself on a {width}x{height} torus (needs 2r+1 <= each side)"),
        );
    }
}

fn check_distribution(fail: &mut impl FnMut(&str, String), key: &str, d: &Distribution) {
    let field = |name: &str| format!("{key}.{name}");
    match d.kind {
        DistributionKind::Uniform => match (d.low, d.high) {
            (Some(low), Some(high)) => {
                check_unit(fail, &field("low"), low);
                check_unit(fail, &field("high"), high);
                if low > high {
                    fail(&field("high"), format!("{high} is below low = {low}"));
                }
            }
            _ => fail(key, "a uniform distribution needs `low` and `high`".to_owned()),
        },
        DistributionKind::Constant => match d.value {
            Some(v) => check_unit(fail, &field("value"), v),
            None => fail(key, "a constant distribution needs `value`".to_owned()),
        },
        DistributionKind::Normal => match (d.mean, d.sd) {
            (Some(mean), Some(sd)) => {
                check_unit(fail, &field("mean"), mean);
                check_range(fail, &field("sd"), sd, 0.0, 10.0);
            }
            _ => fail(key, "a normal distribution needs `mean` and `sd`".to_owned()),
        },
    }
}
