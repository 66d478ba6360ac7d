//! Tick throughput: the civil-violence layer (epstein-run2 at 40x40, 1,184 agents, and a 400x400 variant of
//! about 118,000 agents), the full conflict model (the tutorial district-conflict as written and scaled
//! to about 117,000 agents) and the same with a peacekeeping mission (district-mission).
//!
//! Each iteration runs the same fixed stretch of ticks from the same seeded state (built outside the timed
//! part), so every sample measures identical work: an evolving model's cost varies with its phase
//! (outbursts cost more than quiet spells), and timing single steps of one long run would mix phases.
//! Criterion reports throughput in agent-steps per second (elements = agents x ticks).
#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
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

/// A simulation past its start-up transient, with events off (as sweeps that need no event log run).
fn warmed(s: &Scenario) -> Simulation {
    let mut sim = Simulation::new(s, 1).unwrap_or_else(|e| panic!("{e}"));
    sim.set_event_recording(false);
    sim.run(50);
    sim
}

/// Times `ticks` ticks of `scenario` from its warmed state; large worlds take fewer samples.
fn stretch(group: &mut BenchmarkGroup<'_, WallTime>, label: &str, s: &Scenario, ticks: u64, large: bool) {
    let agents = warmed(s).agent_count() as u64;
    group.throughput(Throughput::Elements(agents * ticks));
    group.sample_size(if large { 10 } else { 100 });
    group.bench_function(BenchmarkId::new(format!("{ticks}-ticks"), label), |b| {
        b.iter_batched(
            || warmed(s),
            |mut sim| {
                sim.run(ticks);
                black_box(sim.metrics()[1])
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

criterion_group!(benches, ticks, conflict);
criterion_main!(benches);
