//! peacesim's integration tests: one binary, one module per concern.
//!
//! Statistical tests run many seeds and state their criterion in a comment; golden files are updated
//! deliberately (`PEACESIM_BLESS=1 cargo test -p peacesim-tests`), never by loosening a check.

mod aid;
mod bad_input;
mod case_studies;
mod conflict;
mod determinism;
mod epstein;
mod map;
mod peacekeeping;
mod scenarios;

use peacesim_core::Simulation;
use peacesim_scenario::{Override, Scenario};

/// Loads a bundled scenario with `key=value` overrides (values in TOML syntax).
pub(crate) fn scenario(name: &str, overrides: &[(&str, &str)]) -> Scenario {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|(k, v)| Override::parse(&format!("{k}={v}")).unwrap_or_else(|e| panic!("bad override {k}={v}: {e}")))
        .collect();
    match peacesim_scenario::load(name, &overrides) {
        Ok((s, _)) => s,
        Err(e) => panic!("{name} must load: {e}"),
    }
}

/// Builds a simulation, failing the test with the error if the scenario is rejected.
pub(crate) fn simulation(s: &Scenario, seed: u64) -> Simulation {
    Simulation::new(s, seed).unwrap_or_else(|e| panic!("{} seed {seed}: {e}", s.name))
}

/// The per-tick series (ticks 0..=ticks) of one metric.
pub(crate) fn series(s: &Scenario, seed: u64, ticks: u64, metric: &str) -> Vec<f64> {
    let mut sim = simulation(s, seed);
    sim.set_event_recording(false);
    let column = sim.metric_names().iter().position(|n| n == metric).unwrap_or_else(|| panic!("no metric {metric}"));
    let mut out = vec![sim.metrics()[column]];
    for _ in 0..ticks {
        sim.step();
        out.push(sim.metrics()[column]);
    }
    out
}

/// Every metric of every tick 0..=ticks, as columns.
pub(crate) struct Run {
    pub(crate) names: Vec<String>,
    pub(crate) rows: Vec<Vec<f64>>,
    pub(crate) sim: Simulation,
}

impl Run {
    pub(crate) fn new(s: &Scenario, seed: u64, ticks: u64) -> Run {
        let mut sim = simulation(s, seed);
        sim.set_event_recording(false);
        let names = sim.metric_names().to_vec();
        let mut rows = vec![sim.metrics().to_vec()];
        for _ in 0..ticks {
            sim.step();
            rows.push(sim.metrics().to_vec());
        }
        Run { names, rows, sim }
    }

    pub(crate) fn column(&self, name: &str) -> Vec<f64> {
        let i = self.names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no metric {name}"));
        self.rows.iter().map(|r| r[i]).collect()
    }

    /// Sum of a metric over ticks `from..=to`.
    pub(crate) fn sum(&self, name: &str, from: usize, to: usize) -> f64 {
        self.column(name)[from..=to].iter().sum()
    }

    /// Mean of a metric over ticks `from..=to`.
    pub(crate) fn mean(&self, name: &str, from: usize, to: usize) -> f64 {
        self.sum(name, from, to) / (to - from + 1) as f64
    }
}

/// The paired t statistic of differences: mean / (sd / sqrt(n)).
pub(crate) fn paired_t(differences: &[f64]) -> f64 {
    let n = differences.len() as f64;
    let mean = differences.iter().sum::<f64>() / n;
    let sd = (differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    if sd == 0.0 { 0.0 } else { mean / (sd / n.sqrt()) }
}

/// The first diagnostic for a broken scenario text: its key path and line.
pub(crate) fn first_error(text: &str) -> (String, Option<usize>, String) {
    match peacesim_scenario::parse_scenario(text, "broken.toml", &[]) {
        Ok(_) => panic!("accepted a broken scenario"),
        Err(e) => {
            let d = &e.diagnostics[0];
            (d.key.clone(), d.line, e.to_string())
        }
    }
}

pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("{needle} not in text"))
}

/// Column `i` of per-seed rows of totals.
pub(crate) fn column(t: &[Vec<f64>], i: usize) -> Vec<f64> {
    t.iter().map(|row| row[i]).collect()
}

/// The sum of a slice.
pub(crate) fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

/// Paired differences `b - a`, element by element.
pub(crate) fn differences(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| y - x).collect()
}
