//! Tick throughput: the civil-violence layer (epstein-run2 at 40x40, 1,184 agents, and a 400x400 variant of
//! about 118,000 agents), the full conflict model (the tutorial district-conflict as written and scaled
//! to about 126,000 agents), the same with a peacekeeping mission (district-mission), the Haiti case study
//! as written and at ten times its scale, and how the cost per agent-step grows with the number of agents
//! (epstein-run2 from 10,000 to 1,000,000 agents).
//!
//! Each iteration runs the same fixed stretch of ticks from the same seeded state (built outside the timed
//! part), so every sample measures identical work: an evolving model's cost varies with its phase
//! (outbursts cost more than quiet spells), and timing single steps of one long run would mix phases.
//! Criterion reports throughput in agent-steps per second (elements = agents x ticks).
#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use peacesim_benches::reference::{Dims, Dynamic, Fixed, Reference, Rules};
use peacesim_core::Simulation;
use peacesim_scenario::{Override, Scenario, TomlValue, load};
use std::hint::black_box;

fn scenario(name: &str, side: Option<u32>) -> Scenario {
    let overrides: Vec<Override> = side
        .map(|s| {
            vec![
                Override::new("grid.width", TomlValue::Integer(i64::from(s))),
                Override::new("grid.height", TomlValue::Integer(i64::from(s))),
            ]
        })
        .unwrap_or_default();
    match load(name, &overrides) {
        Ok((s, _)) => s,
        Err(e) => panic!("bundled scenario {name} must load: {e}"),
    }
}

/// Ticks run before timing: past the start-up transient.
const WARM_UP: u64 = 50;

/// A simulation `warm_up` ticks into its run, with events off (as sweeps that need no event log run).
fn warmed(s: &Scenario, warm_up: u64) -> Simulation {
    let mut sim = Simulation::new(s, 1).unwrap_or_else(|e| panic!("{e}"));
    sim.set_event_recording(false);
    sim.run(warm_up);
    sim
}

/// Times `ticks` ticks of `scenario` from its warmed state; large worlds take fewer samples.
fn stretch(group: &mut BenchmarkGroup<'_, WallTime>, label: &str, s: &Scenario, ticks: u64, large: bool) {
    stretch_from(group, label, s, WARM_UP, ticks, large);
}

/// [`stretch`] after `warm_up` ticks.
fn stretch_from(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    s: &Scenario,
    warm_up: u64,
    ticks: u64,
    large: bool,
) {
    time_ticks(group, label, ticks, large, || warmed(s, warm_up));
}

/// A world a benchmark advances: peacesim's, or the hand-written reference loop's.
trait Ticks {
    /// Agents acting each tick.
    fn agents(&self) -> usize;
    /// Runs `ticks` ticks.
    fn advance(&mut self, ticks: u64);
}

impl Ticks for Simulation {
    fn agents(&self) -> usize {
        self.agent_count()
    }
    fn advance(&mut self, ticks: u64) {
        self.run(ticks);
    }
}

impl<D: Dims> Ticks for Reference<D> {
    fn agents(&self) -> usize {
        Reference::agents(self)
    }
    fn advance(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }
}

/// Times `ticks` ticks of the worlds `build` makes (each built, and warmed, outside the timed part); large
/// worlds take fewer samples.
fn time_ticks<W: Ticks>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    ticks: u64,
    large: bool,
    build: impl Fn() -> W,
) {
    let agents = build().agents() as u64;
    group.throughput(Throughput::Elements(agents * ticks));
    group.sample_size(if large { 10 } else { 100 });
    group.bench_function(BenchmarkId::new(format!("{ticks}-ticks"), label), |b| {
        b.iter_batched(
            &build,
            |mut world| {
                world.advance(ticks);
                // Returned (and dropped outside the timing) through black_box: the work is not optimised away.
                black_box(world)
            },
            BatchSize::LargeInput,
        )
    });
}

fn ticks(c: &mut Criterion) {
    let mut group = c.benchmark_group("epstein-run2");
    for (label, side, ticks) in [("40x40", None, 200u64), ("400x400", Some(400), 5)] {
        stretch(&mut group, label, &scenario("epstein-run2", side), ticks, side.is_some());
    }
    group.finish();
}

/// The tutorial conflict scenario with every mechanism on, and the mission tutorial (the same country with a
/// multinational mission): as written (about 1,000 agents on 60x30) and at `--scale 11` (about 126,000
/// agents on 660x330; the mission then fields about 3,500 units).
fn conflict(c: &mut Criterion) {
    for name in ["district-conflict", "district-mission"] {
        let mut group = c.benchmark_group(name);
        for (label, scale, ticks) in [("scale-1", 1u32, 200u64), ("scale-11", 11, 5)] {
            stretch(&mut group, label, &scenario(name, None).scaled(scale), ticks, scale > 1);
        }
        group.finish();
    }
}

/// The Haiti case study (every layer: factions, displacement, food and aid convoys, the MINUSTAH mission, the
/// 2010 earthquake's schedule) as written (80x36, about 1,270 agents) and at `--scale 10` (800x360, about
/// 127,000 agents).
fn case_study(c: &mut Criterion) {
    let mut group = c.benchmark_group("haiti-minustah");
    for (label, scale, ticks) in [("scale-1", 1u32, 200u64), ("scale-10", 10, 5)] {
        stretch(&mut group, label, &scenario("haiti-minustah", None).scaled(scale), ticks, scale > 1);
    }
    group.finish();
}

/// Cost per agent-step against the number of agents: epstein-run2 on square grids of about 10,000, 100,000
/// and 1,000,000 agents (sides 116, 368 and 1,163 at Run 2's 74% occupancy), each timed over its 4th tick
/// after 3 warm-up ticks: the same phase of the run at every size (a warm-up of 50 ticks would take minutes
/// per sample at a million agents, and timing more ticks at the small sizes would mix in later phases).
fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    for (label, side) in [("10k", 116u32), ("100k", 368), ("1m", 1163)] {
        stretch_from(&mut group, label, &scenario("epstein-run2", Some(side)), 3, 1, side > 116);
    }
    group.finish();
}

/// The hand-written reference loop of Run 2 (`peacesim_benches::reference`), timed as `ticks` times
/// peacesim: the same stretches from a world warmed by the same number of ticks. At 40x40 twice, with the
/// grid's size compiled into the loop and read at run time.
fn reference(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference-run2");
    let rules = |side| Rules::from_scenario(&scenario("epstein-run2", side)).unwrap_or_else(|e| panic!("{e}"));
    let (small, large) = (rules(None), rules(Some(400)));
    let (w40, w400) = (Dynamic { width: 40, height: 40 }, Dynamic { width: 400, height: 400 });
    time_ticks(&mut group, "40x40-fixed", 200, false, || warm(Reference::new(&small, Fixed::<40, 40>, 1)));
    time_ticks(&mut group, "40x40", 200, false, || warm(Reference::new(&small, w40, 1)));
    time_ticks(&mut group, "400x400", 5, true, || warm(Reference::new(&large, w400, 1)));
    group.finish();
}

/// A reference world `WARM_UP` ticks into its run.
fn warm<D: Dims>(world: Result<Reference<D>, String>) -> Reference<D> {
    let mut world = world.unwrap_or_else(|e| panic!("{e}"));
    world.advance(WARM_UP);
    world
}

criterion_group!(benches, ticks, reference, conflict, case_study, scaling);
criterion_main!(benches);
