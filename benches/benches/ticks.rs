//! Tick throughput of the civil-violence layer: epstein-run2 at 40x40 (1,184 agents) and a 400x400
//! variant (about 112,000 citizens). Report is per tick; agent-steps per second = agents / time per tick.
#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use peacesim_core::Simulation;
use peacesim_scenario::{Override, load};
use std::hint::black_box;

fn scenario(name: &str, side: Option<u32>) -> peacesim_scenario::Scenario {
    let overrides: Vec<Override> = side
        .map(|s| vec![Override::new("grid.width", toml_int(s)), Override::new("grid.height", toml_int(s))])
        .unwrap_or_default();
    match load(name, &overrides) {
        Ok((s, _)) => s,
        Err(e) => panic!("bundled scenario {name} must load: {e}"),
    }
}

fn toml_int(v: u32) -> peacesim_scenario::TomlValue {
    peacesim_scenario::TomlValue::Integer(i64::from(v))
}

fn ticks(c: &mut Criterion) {
    let mut group = c.benchmark_group("epstein-run2");
    for (label, side) in [("40x40", None), ("400x400", Some(400))] {
        let s = scenario("epstein-run2", side);
        let mut sim = match Simulation::new(&s, 1) {
            Ok(sim) => sim,
            Err(e) => panic!("{e}"),
        };
        sim.set_event_recording(false);
        // Skip the start-up transient so the measurement sees the model's steady regime.
        sim.run(50);
        group.throughput(Throughput::Elements(sim.agent_count() as u64));
        group.bench_function(BenchmarkId::new("tick", label), |b| {
            b.iter(|| {
                sim.step();
                black_box(sim.metrics()[1])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ticks);
criterion_main!(benches);
