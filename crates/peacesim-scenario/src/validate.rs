//! Range and consistency checks on a deserialised scenario. Each problem is a (key path, message) pair;
//! the parser turns key paths into lines.

use crate::conflict::{EventSpec, EventSpecKind, FactionKind};
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

    validate_conflict(scenario, cells, &mut fail);
    validate_peacekeeping(scenario, &mut fail);
    validate_aid(scenario, &mut fail);

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
            (None, Some(tick), Some(value)) => {
                check_value(&mut fail, "value", value);
                if tick > scenario.ticks {
                    fail(
                        &format!("{key}.tick"),
                        format!("tick {tick} is beyond the scenario's horizon of {} ticks", scenario.ticks),
                    );
                }
            }
            (Some(ramp), None, None) => {
                check_value(&mut fail, "ramp.from", ramp.from);
                check_value(&mut fail, "ramp.to", ramp.to);
                if ramp.start > scenario.ticks {
                    fail(
                        &format!("{key}.ramp.start"),
                        format!("tick {} is beyond the scenario's horizon of {} ticks", ramp.start, scenario.ticks),
                    );
                }
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

/// Factions, relations, `[conflict]`, `[displacement]` and `[[events]]`.
fn validate_conflict(scenario: &Scenario, cells: u64, fail: &mut impl FnMut(&str, String)) {
    let grid = &scenario.grid;
    let districts: Vec<String> = scenario
        .map
        .as_ref()
        .and_then(|m| m.resolve(grid.width, grid.height).ok())
        .map(|m| m.districts)
        .unwrap_or_default();
    let known_district = |fail: &mut dyn FnMut(&str, String), key: &str, name: &str| {
        if !districts.iter().any(|d| d == name) {
            fail(key, format!("there is no district `{name}` on the map"));
        }
    };
    let known_faction = |fail: &mut dyn FnMut(&str, String), key: &str, name: &str| -> bool {
        let known = scenario.factions.contains_key(name);
        if !known {
            let names: Vec<&str> = scenario.factions.keys().map(String::as_str).collect();
            fail(key, format!("there is no faction `{name}`; factions: {}", names.join(", ")));
        }
        known
    };
    if scenario.has_conflict() && scenario.map.is_none() {
        let key = if !scenario.factions.is_empty() {
            "factions"
        } else if scenario.displacement.is_some() {
            "displacement"
        } else if scenario.peacekeeping.is_some() {
            "peacekeeping"
        } else if scenario.aid.is_some() {
            "aid"
        } else {
            "conflict"
        };
        fail(key, "the conflict layer needs a [map] with districts".to_owned());
    }
    if scenario.factions.len() > 8 {
        fail("factions", format!("{} factions; at most 8 are supported", scenario.factions.len()));
    }
    let governments = scenario.factions.values().filter(|f| f.kind == FactionKind::Government).count();
    if governments > 1 {
        fail("factions", format!("{governments} factions are of kind `government`; at most one may be"));
    }
    let mut fighters = 0u64;
    for (name, f) in &scenario.factions {
        let key = format!("factions.{name}");
        fighters += u64::from(f.fighters);
        check_vision(fail, &format!("{key}.vision"), &f.vision, grid.topology, grid.width, grid.height);
        for (field, value) in [("cohesion", f.cohesion), ("targeting", f.targeting), ("recruitment", f.recruitment)] {
            check_unit(fail, &format!("{key}.{field}"), value);
        }
        for (field, value) in
            [("resources", f.resources), ("income", f.income), ("upkeep", f.upkeep), ("firepower", f.firepower)]
        {
            check_range(fail, &format!("{key}.{field}"), value, 0.0, 1e9);
        }
        check_range(fail, &format!("{key}.recruit_cost"), f.recruit_cost, 1e-9, 1e9);
        for (i, d) in f.territory.iter().enumerate() {
            known_district(fail, &format!("{key}.territory[{i}]"), d);
            if f.territory[..i].contains(d) {
                fail(&format!("{key}.territory[{i}]"), format!("district `{d}` is listed twice"));
            }
            if let Some((other, _)) =
                scenario.factions.iter().take_while(|(n, _)| *n != name).find(|(_, o)| o.territory.contains(d))
            {
                fail(&format!("{key}.territory[{i}]"), format!("district `{d}` is already the territory of `{other}`"));
            }
        }
        for (i, d) in f.targets.iter().enumerate() {
            known_district(fail, &format!("{key}.targets[{i}]"), d);
        }
        if let Some(splinter) = &f.splinter
            && known_faction(fail, &format!("{key}.splinter"), splinter)
            && splinter == name
        {
            fail(&format!("{key}.splinter"), "a faction cannot split into itself".to_owned());
        }
    }
    let civilians: u64 = scenario.populations.values().map(|p| p.initial_count(cells)).sum();
    let forces: u64 = scenario.forces.values().map(|f| f.target_count(cells)).sum();
    if fighters > 0 && civilians + forces + fighters > cells {
        fail(
            "factions",
            format!("{} agents and fighters do not fit on {cells} land cells", civilians + forces + fighters),
        );
    }
    let pair = |fail: &mut dyn FnMut(&str, String), key: &str, names: &[String]| {
        if names.len() != 2 {
            fail(key, format!("name exactly two factions, not {}", names.len()));
            return;
        }
        let a = known_faction(fail, &format!("{key}[0]"), &names[0]);
        let b = known_faction(fail, &format!("{key}[1]"), &names[1]);
        if a && b && names[0] == names[1] {
            fail(key, "a faction has no relation with itself".to_owned());
        }
    };
    for (i, r) in scenario.relations.iter().enumerate() {
        pair(fail, &format!("relations[{i}].factions"), &r.factions);
        check_range(fail, &format!("relations[{i}].value"), r.value, -1.0, 1.0);
    }
    if let Some(c) = &scenario.conflict {
        for (field, value) in [
            ("instability", c.instability),
            ("shock_rate", c.shock_rate),
            ("split_cohesion", c.split_cohesion),
            ("hit_probability", c.hit_probability),
            ("uncontested_targeting", c.uncontested_targeting),
            ("desertion", c.desertion),
            ("violence_decay", c.violence_decay),
            ("violence_hardship", c.violence_hardship),
            ("crowding_hardship", c.crowding_hardship),
            ("abuse_impact", c.abuse_impact),
            ("services", c.services),
            ("legitimacy_recovery", c.legitimacy_recovery),
            ("ceasefire_violation", c.ceasefire_violation),
            ("violation_escalation", c.violation_escalation),
        ] {
            check_unit(fail, &format!("conflict.{field}"), value);
        }
        check_range(fail, "conflict.urban_defence", c.urban_defence, 0.0, 10.0);
        check_range(fail, "conflict.scarcity_predation", c.scarcity_predation, 0.0, 100.0);
        check_range(fail, "conflict.rough_defence", c.rough_defence, 0.0, 10.0);
        check_range(fail, "conflict.recruit_grievance", c.recruit_grievance, -1.0, 1.0);
        if c.violence_radius > 16 {
            fail("conflict.violence_radius", format!("{} is out of range: must be at most 16", c.violence_radius));
        }
    }
    if let Some(d) = &scenario.displacement {
        for (field, value) in [
            ("flee_hunger", d.flee_hunger),
            ("conflict_move", d.conflict_move),
            ("camp_move", d.camp_move),
            ("other_move", d.other_move),
            ("return_rate", d.return_rate),
        ] {
            check_unit(fail, &format!("displacement.{field}"), value);
        }
        check_range(fail, "displacement.flee_violence", d.flee_violence, 1e-9, 1e6);
        check_range(fail, "displacement.return_violence", d.return_violence, 0.0, 1e6);
        check_range(fail, "displacement.camp_pull", d.camp_pull, 0.0, 1e6);
        if !(1..=32).contains(&d.flee_radius) {
            fail("displacement.flee_radius", format!("{} is out of range: must be between 1 and 32", d.flee_radius));
        }
    }
    for (i, e) in scenario.events.iter().enumerate() {
        let key = format!("events[{i}]");
        if e.tick > scenario.ticks {
            fail(
                &format!("{key}.tick"),
                format!("tick {} is beyond the scenario's horizon of {} ticks", e.tick, scenario.ticks),
            );
        }
        let (required, optional) = EventSpec::fields(e.kind);
        let present = e.present();
        for field in required {
            if !present.contains(field) {
                fail(&key, format!("a `{}` event needs `{field}`", kind_name(e.kind)));
            }
        }
        for field in &present {
            if !required.contains(field) && !optional.contains(field) {
                fail(&format!("{key}.{field}"), format!("does not apply to a `{}` event", kind_name(e.kind)));
            }
        }
        for (j, d) in e.districts.iter().enumerate() {
            known_district(fail, &format!("{key}.districts[{j}]"), d);
        }
        if let Some(f) = &e.faction {
            known_faction(fail, &format!("{key}.faction"), f);
        }
        if let Some(into) = &e.into
            && known_faction(fail, &format!("{key}.into"), into)
            && e.faction.as_ref() == Some(into)
        {
            let verb = if e.kind == EventSpecKind::Defection { "defect to" } else { "split into" };
            fail(&format!("{key}.into"), format!("a faction cannot {verb} itself"));
        }
        if !e.factions.is_empty() {
            pair(fail, &format!("{key}.factions"), &e.factions);
        }
        if matches!(e.kind, EventSpecKind::Drought) && scenario.food.is_none() {
            fail(&key, "a drought acts on food production: add a [food] table".to_owned());
        }
        for (field, value) in [
            ("severity", e.severity),
            ("deaths", e.deaths),
            ("displaced", e.displaced),
            ("food_lost", e.food_lost),
            ("legitimacy_drop", e.legitimacy_drop),
            ("break_hazard", e.break_hazard),
            ("share", e.share),
        ] {
            if let Some(v) = value {
                check_unit(fail, &format!("{key}.{field}"), v);
            }
        }
        if let Some(v) = e.value {
            let low = if matches!(e.kind, EventSpecKind::CohesionShock | EventSpecKind::Consent) { 0.0 } else { -1.0 };
            check_range(fail, &format!("{key}.value"), v, low, 1.0);
        }
        if let Some(v) = e.resources {
            check_range(fail, &format!("{key}.resources"), v, 0.0, 1e9);
        }
        if matches!(e.kind, EventSpecKind::Drought | EventSpecKind::Ceasefire) && e.duration == Some(0) {
            fail(&format!("{key}.duration"), "must be at least 1".to_owned());
        }
        if e.kind == EventSpecKind::Earthquake {
            if e.deaths.unwrap_or(0.0) + e.displaced.unwrap_or(0.0) > 1.0 + 1e-12 {
                fail(
                    &format!("{key}.displaced"),
                    "`deaths` and `displaced` are shares of one population: their sum must be at most 1".to_owned(),
                );
            }
            if e.displaced.is_some_and(|d| d > 0.0) && scenario.displacement.is_none() {
                fail(&format!("{key}.displaced"), "displacing people needs a [displacement] table".to_owned());
            }
        }
    }
}

/// `[peacekeeping]`: missions, contingents, joint training, and the events that name them.
fn validate_peacekeeping(scenario: &Scenario, fail: &mut impl FnMut(&str, String)) {
    let grid = &scenario.grid;
    let resolved = scenario.map.as_ref().and_then(|m| m.resolve(grid.width, grid.height).ok());
    let districts: Vec<String> = resolved.as_ref().map(|m| m.districts.clone()).unwrap_or_default();
    let pk = scenario.peacekeeping.as_ref();
    let missions: Vec<&str> = pk.map(|p| p.missions.keys().map(String::as_str).collect()).unwrap_or_default();
    let known_mission = |fail: &mut dyn FnMut(&str, String), key: &str, name: &str| -> bool {
        let known = missions.contains(&name);
        if !known {
            let list = if missions.is_empty() { "none are declared".to_owned() } else { missions.join(", ") };
            fail(key, format!("there is no mission `{name}`; missions: {list}"));
        }
        known
    };
    let known_contingent = |fail: &mut dyn FnMut(&str, String), key: &str, name: &str| -> bool {
        let known = pk.is_some_and(|p| p.contingents.contains_key(name));
        if !known {
            let names: Vec<&str> = pk.map(|p| p.contingents.keys().map(String::as_str).collect()).unwrap_or_default();
            let list = if names.is_empty() { "none are declared".to_owned() } else { names.join(", ") };
            fail(key, format!("there is no contingent `{name}`; contingents: {list}"));
        }
        known
    };
    for (i, e) in scenario.events.iter().enumerate() {
        let key = format!("events[{i}]");
        if let Some(m) = &e.mission {
            known_mission(fail, &format!("{key}.mission"), m);
        }
        if let Some(c) = &e.contingent {
            known_contingent(fail, &format!("{key}.contingent"), c);
        }
        if let Some(spoilers) = &e.spoilers {
            for (j, f) in spoilers.iter().enumerate() {
                if !scenario.factions.contains_key(f) {
                    fail(&format!("{key}.spoilers[{j}]"), format!("there is no faction `{f}`"));
                }
            }
        }
    }
    let Some(pk) = pk else { return };
    for (field, value) in [
        ("unit_size", pk.unit_size),
        ("police_unit_size", pk.police_unit_size),
        ("observer_team_size", pk.observer_team_size),
    ] {
        if value == 0 {
            fail(&format!("peacekeeping.{field}"), "must be at least 1".to_owned());
        }
    }
    for (field, value) in [
        ("government_deterrence", pk.government_deterrence),
        ("interposition", pk.interposition),
        ("report_rate", pk.report_rate),
        ("report_loss", pk.report_loss),
        ("trust", pk.trust),
        ("trust_gain", pk.trust_gain),
        ("protection_trust", pk.protection_trust),
        ("failure_trust", pk.failure_trust),
        ("harm_trust", pk.harm_trust),
        ("trust_drift", pk.trust_drift),
        ("warning_decay", pk.warning_decay),
        ("attack_rate", pk.attack_rate),
        ("enforcement_rate", pk.enforcement_rate),
        ("enforcement_cost", pk.enforcement_cost),
        ("collateral", pk.collateral),
        ("consent_recovery", pk.consent_recovery),
    ] {
        check_unit(fail, &format!("peacekeeping.{field}"), value);
    }
    check_range(fail, "peacekeeping.deterrence", pk.deterrence, 0.0, 1e3);
    check_range(fail, "peacekeeping.battle_deterrence", pk.battle_deterrence, 0.0, 1e3);
    check_range(fail, "peacekeeping.police_weight", pk.police_weight, 0.0, 1e3);
    check_range(fail, "peacekeeping.police_per_cop", pk.police_per_cop, 1e-9, 1e9);
    check_range(fail, "peacekeeping.speed", pk.speed, 0.0, 1e3);
    check_range(fail, "peacekeeping.report_delay", pk.report_delay, 0.0, 1e4);
    if pk.presence_radius > 16 {
        fail("peacekeeping.presence_radius", format!("{} is out of range: must be at most 16", pk.presence_radius));
    }
    if pk.response_window == 0 {
        fail("peacekeeping.response_window", "must be at least 1".to_owned());
    }
    if pk.allocation_interval == 0 {
        fail("peacekeeping.allocation_interval", "must be at least 1".to_owned());
    }
    if pk.contingents.len() > 64 {
        fail("peacekeeping.contingents", format!("{} contingents; at most 64 are supported", pk.contingents.len()));
    }
    if pk.missions.len() > 8 {
        fail("peacekeeping.missions", format!("{} missions; at most 8 are supported", pk.missions.len()));
    }
    let known_district = |fail: &mut dyn FnMut(&str, String), key: &str, name: &str| {
        if !districts.iter().any(|d| d == name) {
            fail(key, format!("there is no district `{name}` on the map; districts: {}", districts.join(", ")));
        }
    };
    for (name, m) in &pk.missions {
        let key = format!("peacekeeping.missions.{name}");
        check_unit(fail, &format!("{key}.consent"), m.consent);
        check_unit(fail, &format!("{key}.reserve"), m.reserve);
        for (sector, list) in &m.sectors {
            if list.is_empty() {
                fail(&format!("{key}.sectors.{sector}"), "a sector needs at least one district".to_owned());
            }
            for (j, d) in list.iter().enumerate() {
                known_district(fail, &format!("{key}.sectors.{sector}[{j}]"), d);
            }
        }
        if let Some(hq) = &m.headquarters {
            known_district(fail, &format!("{key}.headquarters"), hq);
        }
        for (j, f) in m.spoilers.iter().enumerate() {
            if !scenario.factions.contains_key(f) {
                fail(&format!("{key}.spoilers[{j}]"), format!("there is no faction `{f}`"));
            }
        }
        if pk.contingents_of(name).next().is_none()
            && (m.troops.is_some() || m.police.is_some() || m.observers.is_some())
        {
            fail(&key, "the mission has totals but no contingents to carry them".to_owned());
        }
    }
    for (name, c) in &pk.contingents {
        let key = format!("peacekeeping.contingents.{name}");
        let mission = match &c.mission {
            None => {
                fail(
                    &key,
                    format!(
                        "a contingent serves in a mission: add `mission = \"...\"` (missions: {})",
                        missions.join(", ")
                    ),
                );
                None
            }
            Some(m) => known_mission(fail, &format!("{key}.mission"), m).then(|| &pk.missions[m]),
        };
        for (field, value) in [
            ("training", c.training),
            ("interoperability", c.interoperability),
            ("communication", c.communication),
            ("cultural_competency", c.cultural_competency),
            ("drones", c.drones),
            ("satellite", c.satellite),
        ] {
            check_unit(fail, &format!("{key}.{field}"), value);
        }
        for (field, value) in [("vision", c.vision), ("drone_radius", c.drone_radius)] {
            if value > 64 {
                fail(&format!("{key}.{field}"), format!("{value} is out of range: must be at most 64"));
            }
        }
        if let (Some(sector), Some(m)) = (&c.sector, mission)
            && !m.sectors.contains_key(sector)
            && !(m.sectors.is_empty() && sector == "all")
        {
            let names: Vec<&str> = m.sectors.keys().map(String::as_str).collect();
            let list = if names.is_empty() { "all (no sectors are declared)".to_owned() } else { names.join(", ") };
            fail(&format!("{key}.sector"), format!("there is no sector `{sector}` in its mission; sectors: {list}"));
        }
        if let Some([x, y]) = c.base {
            if x >= grid.width || y >= grid.height {
                fail(
                    &format!("{key}.base"),
                    format!("cell [{x}, {y}] is outside the {}x{} map", grid.width, grid.height),
                );
            } else if let Some(map) = &resolved
                && map.district[y as usize * grid.width as usize + x as usize].is_none()
            {
                fail(&format!("{key}.base"), format!("cell [{x}, {y}] is water; units stand on land"));
            }
        }
    }
    for (i, j) in pk.joint_training.iter().enumerate() {
        let key = format!("peacekeeping.joint_training[{i}]");
        let a = known_contingent(fail, &format!("{key}.contingents[0]"), &j.contingents[0]);
        let b = known_contingent(fail, &format!("{key}.contingents[1]"), &j.contingents[1]);
        if a && b && j.contingents[0] == j.contingents[1] {
            fail(&format!("{key}.contingents"), "name two different contingents".to_owned());
        }
        check_unit(fail, &format!("{key}.value"), j.value);
    }
}

/// `[aid]`: the rules and every agency.
fn validate_aid(scenario: &Scenario, fail: &mut impl FnMut(&str, String)) {
    let Some(aid) = &scenario.aid else { return };
    let grid = &scenario.grid;
    if scenario.food.is_none() {
        fail("aid", "aid is food: add a [food] table".to_owned());
    }
    if aid.assessment_interval == 0 {
        fail("aid.assessment_interval", "must be at least 1".to_owned());
    }
    if aid.convoys_per_day > 1_000_000 {
        fail("aid.convoys_per_day", format!("{} is out of range: must be at most 1000000", aid.convoys_per_day));
    }
    for (field, value) in [
        ("violence_risk", aid.violence_risk),
        ("territory_risk", aid.territory_risk),
        ("escort_protection", aid.escort_protection),
        ("loot", aid.loot),
        ("worker_lethality", aid.worker_lethality),
        ("escort_trust", aid.escort_trust),
    ] {
        check_unit(fail, &format!("aid.{field}"), value);
    }
    check_range(fail, "aid.cover_days", aid.cover_days, 0.0, 1e6);
    check_range(fail, "aid.convoy_size", aid.convoy_size, 1e-9, 1e12);
    check_range(fail, "aid.speed", aid.speed, 1e-9, 1e6);
    check_range(fail, "aid.loot_value", aid.loot_value, 0.0, 1e9);
    for (field, value) in [("urban_cost", aid.urban_cost), ("rough_cost", aid.rough_cost), ("road_cost", aid.road_cost)]
    {
        check_range(fail, &format!("aid.{field}"), value, 1e-3, 1e3);
    }
    if aid.agencies.is_empty() {
        fail("aid.agencies", "declare at least one agency".to_owned());
    }
    if aid.agencies.len() > 64 {
        fail("aid.agencies", format!("{} agencies; at most 64 are supported", aid.agencies.len()));
    }
    let resolved = scenario.map.as_ref().and_then(|m| m.resolve(grid.width, grid.height).ok());
    for (name, a) in &aid.agencies {
        let key = format!("aid.agencies.{name}");
        match a.supply {
            None => fail(
                &key,
                "an agency needs a `supply` (food received per day; 0 if the schedule sets it later)".to_owned(),
            ),
            Some(v) => check_range(fail, &format!("{key}.supply"), v, 0.0, 1e12),
        }
        check_range(fail, &format!("{key}.stock"), a.stock, 0.0, 1e12);
        let [x, y] = a.depot;
        if x >= grid.width || y >= grid.height {
            fail(&format!("{key}.depot"), format!("cell [{x}, {y}] is outside the {}x{} map", grid.width, grid.height));
        } else if let Some(map) = &resolved
            && map.district[y as usize * grid.width as usize + x as usize].is_none()
        {
            fail(&format!("{key}.depot"), format!("cell [{x}, {y}] is water; a depot stands on land"));
        }
    }
}

fn kind_name(kind: EventSpecKind) -> String {
    toml::Value::try_from(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
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
