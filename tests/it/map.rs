//! Maps drawn in scenario files: terrain and districts.

use crate::simulation;
use peacesim_core::{ForceMember, Position};
use peacesim_scenario::map::Terrain;
use peacesim_scenario::parse_scenario;

const RIVER_TOWN: &str = include_str!("../fixtures/river-town.toml");

fn river_town() -> peacesim_scenario::Scenario {
    parse_scenario(RIVER_TOWN, "river-town.toml", &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Criterion: over 20 seeds and 100 ticks, no citizen or force member ever stands on water, and the
/// per-district counts add up to everyone alive at every tick.
#[test]
fn nobody_enters_water_and_districts_partition_the_land() {
    let s = river_town();
    let map = s.map.as_ref().and_then(|m| m.resolve(s.grid.width, s.grid.height).ok()).expect("the map resolves");
    let water: usize = map.terrain.iter().filter(|&&t| t == Terrain::Water).count();
    assert!(water > 30, "the fixture has a river");
    for seed in 1..=20 {
        let mut sim = simulation(&s, seed);
        let names = sim.metric_names().to_vec();
        let col = |n: &str| names.iter().position(|x| x == n).unwrap_or_else(|| panic!("no metric {n}"));
        let (alive, east, west) = (col("alive"), col("alive_east"), col("alive_west"));
        for _ in 0..100 {
            sim.step();
            let m = sim.metrics();
            assert_eq!(m[east] + m[west], m[alive], "seed {seed} tick {}", sim.tick());
            let world = sim.world();
            let on_water =
                |p: &Position| map.terrain[p.y as usize * s.grid.width as usize + p.x as usize] == Terrain::Water;
            for e in world.iter_entities() {
                if let Some(p) = e.get::<Position>()
                    && e.get::<ForceMember>().is_some()
                {
                    assert!(!on_water(p), "seed {seed} tick {}: a force member at {p:?} stands on water", sim.tick());
                }
            }
            // A citizen's cell is its state's `home`.
            let roster = world.resource::<peacesim_core::world::Roster>();
            for c in roster.citizen_records().iter().filter(|c| !c.state.is_gone()) {
                let p = &c.home;
                assert!(!on_water(p), "seed {seed} tick {}: a citizen at {p:?} stands on water", sim.tick());
            }
        }
    }
}

fn error_for(text: &str) -> peacesim_scenario::ScenarioError {
    parse_scenario(text, "map.toml", &[]).expect_err("the broken map must be rejected")
}

#[test]
fn broken_maps_are_located_errors() {
    let short = RIVER_TOWN.replacen("..............~~::::::::::::::\n", "..............~~:::::::::::::\n", 1);
    let e = error_for(&short);
    assert_eq!(e.diagnostics[0].key, "map.rows");
    assert!(e.diagnostics[0].message.contains("row 1 has 29 cells"), "{e}");
    assert!(e.diagnostics[0].line.is_some());

    let unknown = RIVER_TOWN.replacen("...##....", "...#X....", 1);
    let e = error_for(&unknown);
    assert!(e.diagnostics[0].message.contains("row 3, column 5: `X` is not in the legend"), "{e}");

    let no_district = RIVER_TOWN.replace("terrain = \"rough\"\ndistrict = \"east\"", "terrain = \"rough\"");
    assert_eq!(error_for(&no_district).diagnostics[0].key, "map.legend.,");

    let torus = RIVER_TOWN.replace("topology = \"bounded\"", "topology = \"torus\"");
    assert_eq!(error_for(&torus).diagnostics[0].key, "grid.topology");

    let tall = RIVER_TOWN.replace("height = 20", "height = 21");
    assert!(error_for(&tall).diagnostics[0].message.contains("20 rows, but the grid is 21 high"));

    let food_without_map =
        include_str!("../../scenarios/classic/epstein-run2.toml").replace("[rules]", "[food]\nneed = 1.0\n\n[rules]");
    assert_eq!(error_for(&food_without_map).diagnostics[0].key, "food");
    let watery_food = RIVER_TOWN
        .replace("[map.legend.\"~\"]\nterrain = \"water\"", "[map.legend.\"~\"]\nterrain = \"water\"\nfood = 2.0");
    assert_eq!(error_for(&watery_food).diagnostics[0].key, "map.legend.~.food");

    let unknown_district = format!("{RIVER_TOWN_FOOD}\n[climate]\ndrought = {{ south = 0.5 }}\n");
    assert_eq!(error_for(&unknown_district).diagnostics[0].key, "climate.drought.south");
    let climate_without_food = format!("{RIVER_TOWN}\n[climate]\nhazard = 0.01\n");
    assert_eq!(error_for(&climate_without_food).diagnostics[0].key, "climate");
    let scheduled_unknown = format!(
        "{RIVER_TOWN_FOOD}\n[climate]\n\n[[schedule]]\npath = \"climate.drought.north\"\ntick = 5\nvalue = 0.5\n"
    );
    assert_eq!(error_for(&scheduled_unknown).diagnostics[0].key, "schedule[0].path");

    let crowded = RIVER_TOWN.replace("density = 0.7", "density = 0.97");
    assert!(error_for(&crowded).to_string().contains("sum to"), "densities refer to land cells");
}

const RIVER_TOWN_FOOD: &str = include_str!("../fixtures/river-town-food.toml");

/// Mean over ticks 1..=200 of a metric.
fn mean_of(s: &peacesim_scenario::Scenario, seed: u64, metric: &str) -> f64 {
    let xs = crate::series(s, seed, 200, metric);
    xs[1..].iter().sum::<f64>() / (xs.len() - 1) as f64
}

/// Criterion: with the same seeds, cutting food production to 0.3 per cell (less than a third of need) gives
/// food insecurity, a higher mean grievance in all 20 seeds, and more actives on average in at least 16 of 20.
#[test]
fn food_scarcity_raises_insecurity_grievance_and_rebellion() {
    let plenty = parse_scenario(RIVER_TOWN_FOOD, "food.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let scarce = parse_scenario(&RIVER_TOWN_FOOD.replace("food = 1.0", "food = 0.3"), "scarce.toml", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let (mut grievance_up, mut actives_up) = (0, 0);
    for seed in 1..=20 {
        assert_eq!(mean_of(&plenty, seed, "food_insecurity"), 0.0, "plenty feeds everyone");
        assert!(mean_of(&scarce, seed, "food_insecurity") > 0.3);
        grievance_up +=
            usize::from(mean_of(&scarce, seed, "mean_grievance") > mean_of(&plenty, seed, "mean_grievance"));
        actives_up += usize::from(mean_of(&scarce, seed, "active") > mean_of(&plenty, seed, "active"));
    }
    assert_eq!(grievance_up, 20);
    assert!(actives_up >= 16, "scarcity raised mean actives in only {actives_up} of 20 seeds");
}

/// Food is conserved every tick: stock(t) = stock(t-1) + produced(t) - eaten(t), where the eaten food is
/// need x citizens x (1 - population-weighted insecurity).
#[test]
fn food_is_conserved_every_tick() {
    let s = parse_scenario(&RIVER_TOWN_FOOD.replace("food = 1.0", "food = 0.6"), "food.toml", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let need = s.food.as_ref().map_or(0.0, |f| f.need);
    let mut sim = simulation(&s, 4);
    let names = sim.metric_names().to_vec();
    let col = |n: &str| names.iter().position(|x| x == n).unwrap_or_else(|| panic!("no metric {n}"));
    let (stock, produced, insecurity, alive) =
        (col("food_stock"), col("food_produced"), col("food_insecurity"), col("alive"));
    let mut previous = sim.metrics()[stock];
    let mut saw_shortage = false;
    for _ in 0..300 {
        sim.step();
        let m = sim.metrics();
        let eaten = need * m[alive] * (1.0 - m[insecurity]);
        let expected = previous + m[produced] - eaten;
        assert!(
            (m[stock] - expected).abs() <= 1e-6 * (1.0 + expected.abs()),
            "tick {}: {} vs {expected}",
            sim.tick(),
            m[stock]
        );
        saw_shortage |= m[insecurity] > 0.0;
        previous = m[stock];
    }
    assert!(saw_shortage, "the test must cover shortage ticks, where not all need is met");
}

/// river-town-food with a climate table, plus optional schedule entries.
fn with_climate(climate: &str, schedule: &str) -> peacesim_scenario::Scenario {
    let text = format!("{RIVER_TOWN_FOOD}\n[climate]\n{climate}\n{schedule}").replace("food = 1.0", "food = 0.9");
    parse_scenario(&text, "climate.toml", &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn mean_between(xs: &[f64], from: usize, to: usize) -> f64 {
    xs[from..to].iter().sum::<f64>() / (to - from) as f64
}

/// Criterion (Hsiang, Burke & Miguel 2013, as the model brief asks): a scheduled drought destroying 80% of
/// production in both districts from tick 20 to 120 raises mean food insecurity and mean grievance over
/// ticks 20-150 in all 20 paired seeds, and mean actives in at least 15 of 20.
#[test]
fn drought_raises_food_insecurity_grievance_and_rebellion() {
    let normal = with_climate("", "");
    let mut schedule = String::new();
    for district in ["east", "west"] {
        schedule.push_str(&format!("[[schedule]]\npath = \"climate.drought.{district}\"\ntick = 20\nvalue = 0.8\n\n"));
        schedule.push_str(&format!("[[schedule]]\npath = \"climate.drought.{district}\"\ntick = 120\nvalue = 0.0\n\n"));
    }
    let drought = with_climate("", &schedule);
    let (mut insecurity_up, mut grievance_up, mut actives_up) = (0, 0, 0);
    for seed in 1..=20 {
        let cmp = |metric: &str| {
            let (a, b) = (crate::series(&drought, seed, 150, metric), crate::series(&normal, seed, 150, metric));
            mean_between(&a, 20, 151) > mean_between(&b, 20, 151)
        };
        insecurity_up += usize::from(cmp("food_insecurity"));
        grievance_up += usize::from(cmp("mean_grievance"));
        actives_up += usize::from(cmp("active"));
    }
    assert_eq!((insecurity_up, grievance_up), (20, 20));
    assert!(actives_up >= 15, "drought raised mean actives in only {actives_up} of 20 seeds");
    let during = crate::series(&drought, 1, 130, "districts_in_drought");
    assert_eq!((during[19], during[20], during[119], during[120]), (0.0, 2.0, 2.0, 0.0));
}

/// Criterion: the stochastic hazard starts droughts, and a rising trend (the hazard tripling by tick 730)
/// starts more of them in the second half of 730 ticks than in the first, summed over 20 seeds.
#[test]
fn the_drought_hazard_has_a_long_run_trend() {
    let s = with_climate("hazard = 0.004\nhazard_trend = 1.0\nduration = 20\nseverity = 0.6", "");
    let (mut first, mut second) = (0, 0);
    for seed in 1..=20 {
        let mut sim = crate::simulation(&s, seed);
        for _ in 0..730 {
            sim.step();
            let starts = sim.events().iter().filter(|e| e.kind == peacesim_core::EventKind::DroughtStart).count();
            if sim.tick() <= 365 {
                first += starts;
            } else {
                second += starts;
            }
        }
    }
    assert!(first > 0, "the hazard starts droughts");
    assert!(second > first, "the trend raises the hazard: {first} droughts in the first year, {second} in the second");
}

#[test]
fn every_fixture_scenario_validates_and_runs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            let s = parse_scenario(&text, &path.display().to_string(), &[]).unwrap_or_else(|e| panic!("{e}"));
            simulation(&s, 1).run(5);
            seen += 1;
        }
    }
    assert!(seen >= 4, "found {seen} fixtures");
}
