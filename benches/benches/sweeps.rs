//! Sweep throughput: runs per second of a fixed 32-run experiment (Run 2, 100 ticks per run) executed by
//! peacesim-batch on rayon pools of 1 and 2 threads. Scaling efficiency = (2-thread rate) / (2 x 1-thread rate).
#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use peacesim_batch::Plan;
use rayon::prelude::*;
use std::hint::black_box;

const EXPERIMENT: &str = r#"
scenario = "epstein-run2"
ticks = 100
replicates = 8
master_seed = 1
outputs = ["active:peak", "arrests:total"]

[design]
kind = "grid"

[[vary]]
path = "rules.legitimacy"
values = [0.75, 0.8, 0.85, 0.9]
"#;

fn sweeps(c: &mut Criterion) {
    let plan = Plan::from_bytes(EXPERIMENT.as_bytes(), "bench.toml", std::path::Path::new("."))
        .unwrap_or_else(|e| panic!("bench experiment: {e}"));
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.throughput(Throughput::Elements(plan.len()));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap_or_else(|e| panic!("{e}"));
        group.bench_function(format!("32-runs/{threads}-threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    (0..plan.len())
                        .into_par_iter()
                        .map(|id| peacesim_batch::sweep::execute(&plan, id).outcomes.is_ok())
                        .count()
                })
            })
        });
    }
    group.finish();
    black_box(());
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
