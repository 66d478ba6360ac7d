//! The hand-written reference loop runs the model peacesim runs: the rules it reads from `epstein-run2` are
//! the scenario's, and over many seeds its mean numbers of active and jailed citizens are peacesim's, on a
//! grid that takes the per-column masks (40x40) and on one that takes the general spans (80x80). The test
//! has the power to tell a different model apart: the loop with a lower legitimacy is told apart.

use peacesim_benches::reference::{Dims, Dynamic, Fixed, Reference, Rules};
use peacesim_core::Simulation;
use peacesim_scenario::{Override, Scenario, TomlValue, load};

const SEEDS: u64 = 24;
const TICKS: u64 = 300;
/// Ticks left out of the means: Epstein's start-up outburst.
const SETTLE: u64 = 50;

fn run2(side: u32) -> Scenario {
    let side = TomlValue::Integer(i64::from(side));
    let overrides = [Override::new("grid.width", side.clone()), Override::new("grid.height", side)];
    match load("epstein-run2", &overrides) {
        Ok((s, _)) => s,
        Err(e) => panic!("epstein-run2 must load: {e}"),
    }
}

/// Mean and standard error over seeds of each seed's mean (active, jailed) after the start-up.
fn moments(per_seed: &[(f64, f64)]) -> [(f64, f64); 2] {
    let n = per_seed.len() as f64;
    let pick = |i: usize| per_seed.iter().map(move |p| if i == 0 { p.0 } else { p.1 });
    [0, 1].map(|i| {
        let mean = pick(i).sum::<f64>() / n;
        let var = pick(i).map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    })
}

fn peacesim(s: &Scenario) -> Vec<(f64, f64)> {
    (0..SEEDS)
        .map(|seed| {
            let mut sim = Simulation::new(s, seed).unwrap_or_else(|e| panic!("{e}"));
            sim.set_event_recording(false);
            let (mut active, mut jailed) = (0.0, 0.0);
            for tick in 0..TICKS {
                sim.step();
                if tick >= SETTLE {
                    active += sim.metric("active").unwrap_or(f64::NAN);
                    jailed += sim.metric("jailed").unwrap_or(f64::NAN);
                }
            }
            let n = (TICKS - SETTLE) as f64;
            (active / n, jailed / n)
        })
        .collect()
}

fn reference<D: Dims>(rules: &Rules, dims: D) -> Vec<(f64, f64)> {
    (0..SEEDS)
        .map(|seed| {
            let mut world = Reference::new(rules, dims, seed).unwrap_or_else(|e| panic!("{e}"));
            let (mut active, mut jailed) = (0.0, 0.0);
            for tick in 0..TICKS {
                world.tick();
                if tick >= SETTLE {
                    let (a, j) = world.census();
                    active += a as f64;
                    jailed += j as f64;
                }
            }
            let n = (TICKS - SETTLE) as f64;
            (active / n, jailed / n)
        })
        .collect()
}

/// Whether two sets of runs agree on both means within four standard errors of their difference.
fn agree(a: &[(f64, f64)], b: &[(f64, f64)]) -> Result<(), String> {
    let (ma, mb) = (moments(a), moments(b));
    for (what, ((x, sx), (y, sy))) in ["active", "jailed"].iter().zip(ma.into_iter().zip(mb)) {
        let bound = 4.0 * (sx * sx + sy * sy).sqrt();
        if (x - y).abs() > bound {
            return Err(format!("mean {what}: {x:.2} +/- {sx:.2} against {y:.2} +/- {sy:.2}"));
        }
    }
    Ok(())
}

#[test]
fn the_rules_are_read_from_the_scenario_and_other_models_are_refused() {
    let rules = Rules::from_scenario(&run2(40)).unwrap_or_else(|e| panic!("{e}"));
    let expected = Rules {
        width: 40,
        height: 40,
        legitimacy: 0.82,
        arrest_constant: 2.3,
        threshold: 0.1,
        max_jail: 30,
        citizen_density: 0.7,
        cop_density: 0.04,
        vision: 7.0,
    };
    assert_eq!(rules, expected);
    for other in ["district-conflict", "epstein-run5", "epstein-run7", "mesa-epstein", "haiti-minustah"] {
        let (s, _) = load(other, &[]).unwrap_or_else(|e| panic!("{e}"));
        let refused = Rules::from_scenario(&s).expect_err("a model with more than Run 2's rules is refused");
        assert!(refused.contains("reference loop needs"), "{refused}");
    }
    let wrong = Reference::new(&rules, Fixed::<41, 40>, 1).expect_err("a loop of another size is refused");
    assert!(wrong.contains("41x40"), "{wrong}");
}

#[test]
fn a_size_compiled_in_or_read_at_run_time_gives_the_same_run() {
    let rules = Rules::from_scenario(&run2(40)).unwrap_or_else(|e| panic!("{e}"));
    let mut fixed = Reference::new(&rules, Fixed::<40, 40>, 3).unwrap_or_else(|e| panic!("{e}"));
    let mut dynamic = Reference::new(&rules, Dynamic { width: 40, height: 40 }, 3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixed.agents(), 1184);
    let mut moved = false;
    for _ in 0..200 {
        fixed.tick();
        dynamic.tick();
        assert_eq!(fixed.census(), dynamic.census());
        moved |= fixed.census() != (0, 0);
    }
    assert!(moved, "200 ticks of Run 2 have actives or prisoners");
}

#[test]
fn the_loop_reproduces_peacesims_run2_on_both_counting_paths() {
    for side in [40, 80] {
        let s = run2(side);
        let rules = Rules::from_scenario(&s).unwrap_or_else(|e| panic!("{e}"));
        let dims = Dynamic { width: side as usize, height: side as usize };
        let ours = peacesim(&s);
        let theirs = reference(&rules, dims);
        if let Err(e) = agree(&ours, &theirs) {
            panic!("{side}x{side}: peacesim and the reference loop differ: {e}");
        }
        // Power: a lower legitimacy (more grievance, more rebellion) is told apart.
        let aggrieved = reference(&Rules { legitimacy: 0.75, ..rules }, dims);
        assert!(agree(&ours, &aggrieved).is_err(), "{side}x{side}: legitimacy 0.75 not told apart from 0.82");
    }
}
