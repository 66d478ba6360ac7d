//! Experiments for peacesim: many seeded runs of one scenario.
//!
//! An experiment file (see `peacesim_scenario::experiment`) names a scenario, the parameters to vary and a
//! design; [`plan`] turns it into numbered runs with documented seeds; [`sweep`](mod@sweep) executes them with rayon,
//! streams runs.csv / timeseries.csv in run-id order, resumes after a crash and runs one shard of a plan;
//! [`merge`](mod@merge) joins shards; [`stats`] holds the summary statistics and Sobol sensitivity indices.

pub mod design;
pub mod merge;
pub mod output;
pub mod plan;
pub mod stats;
mod summary;
pub mod sweep;

pub use merge::merge;
pub use plan::{Plan, RunSpec, run_seed};
pub use sweep::{BatchError, Manifest, Shard, SweepEnd, SweepOptions, sweep};
