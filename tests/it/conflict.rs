//! The conflict layer: factions, violence, displacement, instability, droughts and scheduled events, tested
//! as seeded Monte Carlo comparisons on the tutorial scenario (paired seeds: both arms of a comparison use
//! the same seed, so they share the initial map and every random stream the difference does not touch).

use crate::{Evidence, Run, evidence, first_error, line_of, paired_t, scenario, simulation};
use peacesim_core::Simulation;
use peacesim_core::conflict::{Conflict, Fighter};
use peacesim_scenario::Scenario;
use peacesim_scenario::conflict::{EventSpec, EventSpecKind, Relation};

const SEEDS: u64 = 20;

/// The tutorial without its scripted events, ramps and stochastic droughts: the baseline every comparison
/// changes one thing in.
fn quiet() -> Scenario {
    let mut s = scenario("district-conflict", &[]);
    s.events.clear();
    s.schedule.clear();
    if let Some(c) = s.climate.as_mut() {
        c.hazard = 0.0;
    }
    s
}

fn event(tick: u64, kind: EventSpecKind) -> EventSpec {
    EventSpec::new(tick, kind)
}

/// Criterion: people are conserved at every tick of the full tutorial (drought, reinforcement, ceasefire,
/// earthquake, coup, split) on 5 seeds: citizens alive (jailed included) + fighters + everyone who died so
/// far = the initial people + reinforcements so far. Recruitment and desertion move people between the
/// two roles; nobody appears or vanishes.
#[test]
fn people_are_conserved_every_tick() {
    let s = scenario("district-conflict", &[]);
    for seed in 1..=5 {
        let run = Run::new(&s, seed, s.ticks);
        let people = run.column("people");
        let died: Vec<f64> = ["civilian_deaths", "disaster_deaths", "combatant_deaths", "deaths", "killed"]
            .iter()
            .map(|m| run.column(m))
            .fold(vec![0.0; people.len()], |acc, col| acc.iter().zip(&col).map(|(a, b)| a + b).collect());
        let reinforcements = run.column("reinforcements");
        let births = run.column("births");
        let (mut dead, mut arrived) = (0.0, 0.0);
        for t in 1..people.len() {
            dead += died[t];
            arrived += reinforcements[t] + births[t];
            assert_eq!(people[t] + dead, people[0] + arrived, "seed {seed} tick {t}");
        }
        assert!(dead > 0.0, "seed {seed}: the tutorial is violent");
        assert!(run.sum("recruits", 1, 365) > 0.0 && run.sum("desertions", 1, 365) > 0.0, "seed {seed}");
    }
}

/// Criterion: with the same 60 seeds, a countrywide drought (60% of production lost from day 30 to day
/// 180) against none raises mean food insecurity in every seed, mean grievance in at least 54,
/// and displacement (flights) and civilian deaths: for each, the mean paired difference is positive with a
/// one-sided paired t statistic above 1.645 (5%) (Hsiang, Burke & Miguel 2013: drought raises conflict).
#[test]
fn drought_raises_insecurity_grievance_displacement_and_deaths() {
    let base = quiet();
    let mut dry = quiet();
    let mut drought = event(30, EventSpecKind::Drought);
    drought.districts = ["camp", "capital", "farmland", "hills", "plains", "town"].map(String::from).to_vec();
    drought.severity = Some(0.6);
    drought.duration = Some(150);
    dry.events.push(drought);
    let (mut insecure, mut aggrieved, mut fled) = (0, 0, 0);
    let (mut flights, mut deaths, mut differences, mut more_flights) = ([0.0; 2], [0.0; 2], Vec::new(), Vec::new());
    let seeds = 3 * SEEDS;
    let mut per_seed: [Vec<f64>; 6] = Default::default();
    for seed in 1..=seeds {
        let (a, b) = (Run::new(&base, seed, 240), Run::new(&dry, seed, 240));
        for (k, r) in [&a, &b].into_iter().enumerate() {
            per_seed[k].push(r.mean("food_insecurity", 30, 240));
            per_seed[2 + k].push(r.sum("flights", 1, 240));
            per_seed[4 + k].push(r.sum("civilian_deaths", 1, 240));
        }
        insecure += usize::from(b.mean("food_insecurity", 30, 240) > a.mean("food_insecurity", 30, 240));
        aggrieved += usize::from(b.mean("mean_grievance", 30, 240) > a.mean("mean_grievance", 30, 240));
        let (fa, fb) = (a.sum("flights", 1, 240), b.sum("flights", 1, 240));
        fled += usize::from(fb > fa);
        more_flights.push(fb - fa);
        flights[0] += fa;
        flights[1] += fb;
        let (da, db) = (a.sum("civilian_deaths", 1, 240), b.sum("civilian_deaths", 1, 240));
        deaths[0] += da;
        deaths[1] += db;
        differences.push(db - da);
    }
    let (t, t_flights) = (paired_t(&differences), paired_t(&more_flights));
    println!(
        "drought: insecurity {insecure}, grievance {aggrieved}, flights {fled} {flights:?} t {t_flights:.2}, \
         deaths {deaths:?} t {t:.2}"
    );
    let arms = |k: usize| {
        vec![("no drought".to_owned(), per_seed[k].clone()), ("drought".to_owned(), per_seed[k + 1].clone())]
    };
    let holds = insecure == seeds as usize && aggrieved >= 54 && t_flights > 1.645 && t > 1.645;
    for (k, measure, statistic) in [
        (
            0,
            "mean food insecurity, days 30-240, per seed",
            format!("higher in {insecure} of {seeds} seeds; mean grievance higher in {aggrieved}"),
        ),
        (2, "flights (displacement), days 1-240, per seed", format!("one-sided paired t {t_flights:.2}")),
        (4, "civilian deaths, days 1-240, per seed", format!("one-sided paired t {t:.2}")),
    ] {
        evidence(&Evidence {
            effect: "model brief 6: drought raises food insecurity, grievance, displacement and violence (Hsiang, Burke & Miguel 2013)",
            test: "conflict::drought_raises_insecurity_grievance_displacement_and_deaths",
            measure,
            arms: arms(k),
            statistic,
            criterion: "insecurity higher in every seed, grievance in 54 of 60; paired t > 1.645 for flights and for deaths",
            holds,
            verdict: "reproduces in direction; the published size (14% more intergroup conflict per standard deviation) is not compared: the drought here is one severity, not a climate anomaly".to_owned(),
        });
    }
    assert_eq!(insecure, seeds as usize);
    assert!(aggrieved >= 54, "grievance rose in {aggrieved} of {seeds}");
    assert!(t_flights > 1.645, "flights rose in {fled} of {seeds}: {flights:?}, paired t = {t_flights:.2}");
    assert!(t > 1.645, "civilian deaths {deaths:?}: paired t = {t:.2}");
}

/// Standard deviation of weekly sums of `metrics` (added up) over the run.
fn weekly_sd(run: &Run, metrics: &[&str]) -> f64 {
    let columns: Vec<Vec<f64>> = metrics.iter().map(|m| run.column(m)).collect();
    let xs: Vec<f64> = (0..columns[0].len()).map(|t| columns.iter().map(|c| c[t]).sum()).collect();
    let weeks: Vec<f64> = xs[1..].chunks(7).map(|w| w.iter().sum()).collect();
    let mean = weeks.iter().sum::<f64>() / weeks.len() as f64;
    (weeks.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (weeks.len() - 1) as f64).sqrt()
}

/// Criterion: starting from an uneasy peace (every pair of factions at relation +0.3, so nobody fights until
/// relations sour), with the same 40 seeds, political instability 1.0 against 0.05 gives more allegiance
/// shifts in total and in at least 34 seeds, and more volatile violence: the standard deviation of weekly
/// deaths (civilian and combatant) is higher, with a one-sided paired t statistic above 1.645 (5%).
#[test]
fn instability_brings_allegiance_shifts_and_volatile_violence() {
    let with = |instability: f64| {
        let mut s = quiet();
        s.conflict.get_or_insert_with(Default::default).instability = instability;
        let names: Vec<String> = s.factions.keys().cloned().collect();
        s.relations.clear();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                s.relations.push(Relation { factions: [a.clone(), b.clone()], value: 0.3 });
            }
        }
        s
    };
    let (calm, unstable) = (with(0.05), with(1.0));
    let (mut more, mut shifts) = (0, [0.0; 2]);
    let (mut volatile, mut sd, mut differences) = (0, [0.0; 2], Vec::new());
    let seeds = 2 * SEEDS;
    let mut per_seed: [Vec<f64>; 4] = Default::default();
    for seed in 1..=seeds {
        let (a, b) = (Run::new(&calm, seed, 365), Run::new(&unstable, seed, 365));
        for (k, r) in [&a, &b].into_iter().enumerate() {
            per_seed[k].push(r.sum("allegiance_shifts", 1, 365));
            per_seed[2 + k].push(weekly_sd(r, &["civilian_deaths", "combatant_deaths"]));
        }
        let (sa, sb) = (a.sum("allegiance_shifts", 1, 365), b.sum("allegiance_shifts", 1, 365));
        more += usize::from(sb > sa);
        shifts[0] += sa;
        shifts[1] += sb;
        let (va, vb) = (
            weekly_sd(&a, &["civilian_deaths", "combatant_deaths"]),
            weekly_sd(&b, &["civilian_deaths", "combatant_deaths"]),
        );
        volatile += usize::from(vb > va);
        sd[0] += va;
        sd[1] += vb;
        differences.push(vb - va);
    }
    let t = paired_t(&differences);
    println!(
        "instability: more shifts in {more}, shifts {shifts:?}; more volatile in {volatile}, weekly sd {sd:?} t {t:.2}"
    );
    let holds = more >= 34 && shifts[1] > shifts[0] && t > 1.645;
    for (k, measure, statistic) in [
        (0, "allegiance shifts, days 1-365, per seed", format!("more in {more} of {seeds} seeds")),
        (
            2,
            "standard deviation of weekly deaths (civilian + combatant), per seed",
            format!("one-sided paired t {t:.2}"),
        ),
    ] {
        evidence(&Evidence {
            effect: "model brief 7: political instability brings allegiance shifts and volatile violence",
            test: "conflict::instability_brings_allegiance_shifts_and_volatile_violence",
            measure,
            arms: vec![
                ("instability 0.05".to_owned(), per_seed[k].clone()),
                ("instability 1.0".to_owned(), per_seed[k + 1].clone()),
            ],
            statistic,
            criterion: "more shifts in total and in 34 of 40 seeds; paired t > 1.645 for volatility",
            holds,
            verdict: "reproduces".to_owned(),
        });
    }
    assert!(more >= 34 && shifts[1] > shifts[0], "shifts rose in {more} of {seeds}: {shifts:?}");
    assert!(t > 1.645, "volatility rose in {volatile} of {seeds}: {sd:?}, paired t = {t:.2}");
}

/// Criterion: with the same 20 seeds, a ceasefire between the army and the rebels for days 20 to 139
/// (never breaking) against none gives fewer army and rebel combat deaths during those days in total, and
/// no army fighter is killed while it holds (the militia, the army's ally, keeps fighting the rebels).
#[test]
fn a_ceasefire_lowers_combatant_deaths_while_it_holds() {
    // Without political shocks, so that the militia stays the army's ally.
    let mut war = quiet();
    war.conflict.get_or_insert_with(Default::default).instability = 0.0;
    let mut truce = war.clone();
    let mut ceasefire = event(20, EventSpecKind::Ceasefire);
    ceasefire.factions = vec!["army".into(), "rebels".into()];
    ceasefire.duration = Some(120);
    truce.events.push(ceasefire);
    let (mut deaths, mut fewer) = ([0.0; 2], 0);
    let mut per_seed: [Vec<f64>; 2] = Default::default();
    for seed in 1..=SEEDS {
        let (a, b) = (Run::new(&war, seed, 140), Run::new(&truce, seed, 140));
        let window = |r: &Run| r.sum("combatant_deaths_army", 21, 139) + r.sum("combatant_deaths_rebels", 21, 139);
        per_seed[0].push(window(&a));
        per_seed[1].push(window(&b));
        assert_eq!(b.sum("combatant_deaths_army", 21, 139), 0.0, "seed {seed}: the rebels held their fire");
        fewer += usize::from(window(&b) < window(&a));
        deaths[0] += window(&a);
        deaths[1] += window(&b);
    }
    println!("ceasefire: fewer in {fewer}, deaths {deaths:?}");
    evidence(&Evidence {
        effect: "a ceasefire lowers combat deaths while it holds",
        test: "conflict::a_ceasefire_lowers_combatant_deaths_while_it_holds",
        measure: "army and rebel combatant deaths, days 21-139, per seed",
        arms: vec![("no ceasefire".to_owned(), per_seed[0].clone()), ("ceasefire".to_owned(), per_seed[1].clone())],
        statistic: format!("fewer in {fewer} of {SEEDS} seeds"),
        criterion: "fewer in total and in 12 of 20 seeds; no army deaths while it holds",
        holds: deaths[1] < deaths[0] && fewer >= 12,
        verdict: "a model property (the conflict issue's requirement)".to_owned(),
    });
    assert!(deaths[1] < deaths[0], "{deaths:?}");
    assert!(fewer >= 12, "fewer deaths in only {fewer} of {SEEDS}");
}

/// Criterion: over 20 seeds of the tutorial's first 200 days, the displaced stand on cells that saw less
/// violence (cumulative, within the violence radius) than the homes they fled: summed over everyone
/// displaced at day 200, in at least 18 seeds.
#[test]
fn the_displaced_end_up_in_less_violent_cells() {
    let s = quiet();
    let mut safer = 0;
    for seed in 1..=SEEDS {
        let run = Run::new(&s, seed, 200);
        let world = run.sim.world();
        let conflict = world.resource::<Conflict>();
        let w = s.grid.width as usize;
        let (mut here, mut home, mut n) = (0.0, 0.0, 0);
        let roster = world.resource::<peacesim_core::world::Roster>();
        for c in roster.citizen_records() {
            let p = c.home;
            if c.displaced && !c.state.is_gone() {
                here += f64::from(conflict.violence_total[p.y as usize * w + p.x as usize]);
                home += f64::from(conflict.violence_total[c.origin.y as usize * w + c.origin.x as usize]);
                n += 1;
            }
        }
        assert!(n > 0, "seed {seed}: somebody is displaced");
        safer += usize::from(here < home);
    }
    assert!(safer >= 18, "the displaced were safer than at home in only {safer} of {SEEDS} seeds");
}

/// Criterion: scheduled events do what they say on every one of 10 seeds: a reinforcement adds exactly its
/// fighters, a split moves fighters to the splinter (which had none; in at least 7 seeds there are rebels
/// left to split), a coup makes the named faction the
/// government and lowers legitimacy by the drop, an earthquake kills and displaces residents of its district.
#[test]
fn scheduled_events_do_what_they_say() {
    let s = scenario("district-conflict", &[]);
    let mut splits = 0;
    for seed in 1..=10 {
        let run = Run::new(&s, seed, s.ticks);
        let reinforcements = run.column("reinforcements");
        assert_eq!(reinforcements[120], 20.0, "seed {seed}");
        let hardliners = run.column("fighters_hardliners");
        assert_eq!(hardliners[299], 0.0, "seed {seed}: dormant before the split");
        splits += usize::from(hardliners[300] > 0.0);
        let legitimacy = run.column("legitimacy");
        assert!((legitimacy[260] - (legitimacy[259] - 0.15)).abs() < 1e-9, "seed {seed}: coup");
        let struck = run.column("disaster_deaths")[230] + run.column("flights")[230];
        assert!(struck > 0.0, "seed {seed}: the earthquake killed and displaced nobody");
        assert!(run.column("food_stock")[230] < run.column("food_stock")[229], "seed {seed}: no food was lost");
        let conflict = run.sim.world().resource::<Conflict>();
        assert_eq!(conflict.government, Some(3), "seed {seed}: the junta governs after the coup");
        let fighters = run.sim.world().iter_entities().filter(|e| e.get::<Fighter>().is_some_and(|f| f.alive));
        assert_eq!(fighters.count() as f64, run.column("fighters")[365], "seed {seed}");
    }
    // The tutorial keeps its insurgency alive to day 300 in most seeds, so that the split has rebels to split.
    assert!(splits >= 7, "the split moved fighters in only {splits} of 10 seeds");
}

/// Same scenario and seed give the same state hash at every tick, with or without event recording.
#[test]
fn conflict_runs_are_deterministic() {
    let s = scenario("district-conflict", &[]);
    let mut a = simulation(&s, 9);
    let mut b = simulation(&s, 9);
    b.set_event_recording(false);
    for _ in 0..s.ticks {
        a.step();
        b.step();
        assert_eq!(a.state_hash(), b.state_hash(), "tick {}", a.tick());
        assert_eq!(a.metrics(), b.metrics(), "tick {}", a.tick());
    }
}

const TUTORIAL: &str = include_str!("../../scenarios/tutorial/district-conflict.toml");

/// Bad events and factions are validation errors naming the key path and the line, never a panic.
#[test]
fn bad_events_and_factions_are_located_errors() {
    // An event naming a faction that does not exist.
    let text = TUTORIAL.replace("faction = \"army\"\nfighters = 20", "faction = \"navy\"\nfighters = 20");
    let (key, line, message) = first_error(&text);
    assert_eq!(key, "events[1].faction", "{message}");
    assert_eq!(line, Some(line_of(&text, "faction = \"navy\"")), "{message}");
    assert!(message.contains("no faction `navy`"), "{message}");

    // An event after the horizon.
    let text = TUTORIAL.replace("tick = 300\nkind = \"split\"", "tick = 400\nkind = \"split\"");
    let (key, line, message) = first_error(&text);
    assert_eq!(key, "events[6].tick", "{message}");
    assert_eq!(line, Some(line_of(&text, "tick = 400")), "{message}");
    assert!(message.contains("beyond the scenario's horizon of 365"), "{message}");

    // A split of a faction that does not exist, and a split into itself.
    let text = TUTORIAL.replace("faction = \"rebels\"\ninto", "faction = \"ghosts\"\ninto");
    assert_eq!(first_error(&text).0, "events[6].faction");
    let text = TUTORIAL.replace("into = \"hardliners\"", "into = \"rebels\"");
    assert_eq!(first_error(&text).0, "events[6].into");

    // A field that does not apply to the kind, and a missing one.
    let text = TUTORIAL.replace("kind = \"coup\"", "kind = \"coup\"\nseverity = 0.5");
    let (key, _, message) = first_error(&text);
    assert_eq!(key, "events[5].severity", "{message}");
    let text = TUTORIAL.replace("share = 0.4\n", "");
    assert!(first_error(&text).2.contains("a `split` event needs `share`"));

    // Unknown districts in territory and events, two governments, a relation with an unknown faction.
    let text = TUTORIAL.replace("territory = [\"hills\"]", "territory = [\"mountains\"]");
    assert_eq!(first_error(&text).0, "factions.rebels.territory[0]");
    let text = TUTORIAL.replace("districts = [\"capital\"]", "districts = [\"harbour\"]");
    assert_eq!(first_error(&text).0, "events[3].districts[0]");
    let text = TUTORIAL.replace("kind = \"militia\"", "kind = \"government\"");
    assert!(first_error(&text).2.contains("at most one may be"));
    let text = TUTORIAL.replace("factions = [\"army\", \"farmers-militia\"]", "factions = [\"army\", \"farmers\"]");
    assert_eq!(first_error(&text).0, "relations[0].factions[1]");

    // Earthquakes: deaths and displacement are shares of one population; displacing needs [displacement].
    let text = TUTORIAL.replace("deaths = 0.02\ndisplaced = 0.2", "deaths = 0.6\ndisplaced = 0.6");
    assert_eq!(first_error(&text).0, "events[3].displaced");
    // A ceasefire of no days, and two factions claiming one district.
    let text = TUTORIAL.replace("duration = 60\nbreak_hazard", "duration = 0\nbreak_hazard");
    assert_eq!(first_error(&text).0, "events[2].duration");
    let text = TUTORIAL.replace("territory = [\"farmland\"]", "territory = [\"capital\"]");
    let (key, _, message) = first_error(&text);
    assert_eq!(key, "factions.farmers-militia.territory[0]", "{message}");
    assert!(message.contains("already the territory of `army`"), "{message}");

    let text = TUTORIAL.replace("territory = [\"hills\"]", "territory = [\"hills\", \"hills\"]");
    assert!(first_error(&text).2.contains("listed twice"));

    // Unknown keys in the new tables are named too.
    let text = TUTORIAL.replace("instability = 0.3", "instabilty = 0.3");
    let (key, line, _) = first_error(&text);
    assert!(key.contains("instabilty"), "{key}");
    assert_eq!(line, Some(line_of(&text, "instabilty")));
}

/// Deterministic byte mutations of the tutorial: each is rejected with a located error, or builds and runs
/// 10 ticks without panicking.
#[test]
fn fuzzed_tutorials_are_rejected_or_run() {
    let mission = include_str!("../../scenarios/tutorial/district-mission.toml");
    let aid = include_str!("../../scenarios/tutorial/district-aid.toml");
    // The whole conflict tutorial; the mission and aid tutorials from their own tables on.
    for (text, from) in
        [(TUTORIAL, 0), (mission, mission.find("[peacekeeping]").unwrap_or(0)), (aid, aid.find("[aid]").unwrap_or(0))]
    {
        fuzz(text.as_bytes(), from);
    }
}

/// Mutates one or two bytes at or after `from`, 600 times: each mutation is rejected with an error or runs.
fn fuzz(bytes: &[u8], from: usize) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut ran = 0;
    for _ in 0..600 {
        let mut mutated = bytes.to_vec();
        for _ in 0..1 + (state & 1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = from + (state % (mutated.len() - from) as u64) as usize;
            // Mostly digits, so that many mutations still parse and reach the simulation.
            mutated[i] = if state >> 40 & 1 == 0 { b'0' + (state >> 32) as u8 % 10 } else { (state >> 32) as u8 };
        }
        if let Ok(s) = peacesim_scenario::parse_scenario_bytes(&mutated, "mutated.toml", &[]) {
            let mut sim = Simulation::new(&s, 1).unwrap_or_else(|e| panic!("validated but rejected: {e}"));
            sim.run(10);
            ran += 1;
        }
    }
    assert!(ran > 60, "only {ran} mutations ran");
}

/// `Scenario::scaled(k)` draws every map cell as a k x k block and multiplies absolute numbers by k^2: the
/// scaled tutorial validates, has k^2 times the land, fighters and reinforcements, and the same districts.
#[test]
fn scaling_keeps_the_map_and_multiplies_the_people() {
    let s = scenario("district-conflict", &[]);
    let big = s.scaled(3);
    assert!(peacesim_scenario::validate(&big).is_empty(), "{:?}", peacesim_scenario::validate(&big));
    assert_eq!((big.grid.width, big.grid.height), (180, 90));
    assert_eq!(big.land_cells(), 9 * s.land_cells());
    assert_eq!(big.factions["army"].fighters, 9 * s.factions["army"].fighters);
    assert_eq!(big.factions["army"].resources, 9.0 * s.factions["army"].resources);
    assert_eq!(big.forces["police"].count, s.forces["police"].count.map(|c| 9 * c));
    let reinforce = |x: &Scenario| x.events.iter().find_map(|e| e.fighters);
    assert_eq!(reinforce(&big), reinforce(&s).map(|n| 9 * n));
    let sim = simulation(&big, 1);
    let small = simulation(&s, 1);
    let ratio = sim.agent_count() as f64 / small.agent_count() as f64;
    assert!((8.5..9.5).contains(&ratio), "{ratio}");
    assert_eq!(s.scaled(1), s);
}

/// Events due at tick 0 happen during setup: a reinforcement at tick 0 is in the first metrics row, and a
/// coup makes the old government an enemy of the new one.
#[test]
fn events_at_tick_zero_happen_at_setup_and_coups_make_enemies() {
    let base = quiet();
    let mut s = quiet();
    let mut reinforce = event(0, EventSpecKind::Reinforce);
    reinforce.faction = Some("rebels".into());
    reinforce.fighters = Some(7);
    let mut coup = event(0, EventSpecKind::Coup);
    coup.faction = Some("farmers-militia".into());
    s.events.extend([reinforce, coup]);
    let (a, b) = (simulation(&base, 3), simulation(&s, 3));
    assert_eq!(b.metric("fighters_rebels"), a.metric("fighters_rebels").map(|n| n + 7.0));
    assert_eq!(b.metric("reinforcements"), Some(7.0));
    let conflict = b.world().resource::<Conflict>();
    let (army, militia) = (0u8, 1u8);
    assert_eq!(conflict.government, Some(militia));
    assert!(conflict.is_hostile(army, militia) && conflict.is_hostile(militia, army));
    assert!(b.events().iter().any(|e| e.kind == peacesim_core::EventKind::Coup && e.tick == 0));
}

/// A drought of D days cuts production on exactly D ticks, whether it starts at setup or mid-run.
#[test]
fn a_drought_event_lasts_its_duration() {
    for start in [0u64, 10] {
        let mut s = quiet();
        let mut drought = event(start, EventSpecKind::Drought);
        drought.districts = vec!["farmland".into()];
        drought.severity = Some(0.5);
        drought.duration = Some(5);
        s.events.push(drought);
        let run = Run::new(&s, 1, 30);
        let dry: Vec<usize> =
            run.column("districts_in_drought").iter().enumerate().filter(|(_, d)| **d > 0.0).map(|(t, _)| t).collect();
        let first = start.max(1) as usize;
        assert_eq!(dry, (first..first + 5).collect::<Vec<_>>(), "drought from tick {start}");
    }
}

/// Every rate of `[conflict]`, `[displacement]`, `[food]`, `[climate]` and of a faction is a runtime
/// parameter: the schedule ramps it, and the run uses the new value (here, switching off the hardship of
/// violence and crowding at day 50 lowers mean grievance from then on, in every one of 5 seeds).
#[test]
fn schedules_reach_the_conflict_layers_rates() {
    use peacesim_scenario::{Ramp, ScheduleEntry};
    let step = |path: &str, tick: u64, value: f64| ScheduleEntry {
        path: path.to_owned(),
        tick: Some(tick),
        value: Some(value),
        ramp: None,
    };
    let base = quiet();
    let mut calm = quiet();
    calm.schedule.push(step("conflict.violence_hardship", 50, 0.0));
    calm.schedule.push(step("conflict.crowding_hardship", 50, 0.0));
    calm.schedule.push(ScheduleEntry {
        path: "factions.rebels.firepower".to_owned(),
        tick: None,
        value: None,
        ramp: Some(Ramp { start: 10, end: Some(20), from: 1.0, to: 2.0, rate: None }),
    });
    for path in ["displacement.camp_pull", "food.hardship_weight", "climate.hazard", "factions.army.upkeep"] {
        calm.schedule.push(step(path, 5, 0.1));
    }
    assert!(peacesim_scenario::validate(&calm).is_empty(), "{:?}", peacesim_scenario::validate(&calm));
    for seed in 1..=5 {
        let (a, b) = (Run::new(&base, seed, 60), Run::new(&calm, seed, 60));
        assert_eq!(b.sim.params().factions["rebels"].firepower, 2.0);
        assert_eq!(b.sim.params().food.as_ref().map(|f| f.hardship_weight), Some(0.1));
        assert!(b.mean("mean_grievance", 50, 60) < a.mean("mean_grievance", 50, 60), "seed {seed}");
    }
    let mut wrong = quiet();
    wrong.schedule.push(step("conflict.flee_radius", 5, 1.0));
    let problems = peacesim_scenario::validate(&wrong);
    assert_eq!(problems[0].0, "schedule[0].path", "{problems:?}");
    assert!(problems[0].1.contains("not a runtime parameter"), "{problems:?}");
}
