//! peacesim's integration tests: one binary, one module per concern.
//!
//! Statistical tests run many seeds and state their criterion in a comment; golden files are updated
//! deliberately (`PEACESIM_BLESS=1 cargo test -p peacesim-tests`), never by loosening a check.
//!
//! Each statistical test also hands its numbers to [`evidence`]: with `PEACESIM_EVIDENCE=FILE` set, they
//! are appended to FILE as JSON lines, from which `scripts/validation.sh` regenerates the tables of
//! docs/validation.md. The tables are therefore the tests' own numbers, never copied by hand.

mod aid;
mod bad_input;
mod case_studies;
mod checkpoint;
mod conflict;
mod determinism;
mod epstein;
mod inject;
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

/// One comparison a statistical test makes, for docs/validation.md.
pub(crate) struct Evidence<'a> {
    /// The effect or claim, as docs/validation.md names it (e.g. `model brief 2: troops`).
    pub(crate) effect: &'a str,
    /// The test function.
    pub(crate) test: &'a str,
    /// What each value is (e.g. `civilian deaths, days 1-240, per seed`).
    pub(crate) measure: &'a str,
    /// Each arm's label and its value per seed (seeds 1, 2, ...; paired across arms).
    pub(crate) arms: Vec<(String, Vec<f64>)>,
    /// The statistic the criterion is judged on, as text (e.g. `paired t 1.89`).
    pub(crate) statistic: String,
    /// The test's criterion, in words.
    pub(crate) criterion: &'a str,
    /// Whether the criterion holds (the test asserts it right after).
    pub(crate) holds: bool,
    /// Whether the published claim reproduces, in words (`reproduces`, `direction only: ...`).
    pub(crate) verdict: String,
}

/// Prints a comparison and, when `PEACESIM_EVIDENCE` names a file, appends it there as one JSON line with
/// each arm's seeds, mean, standard deviation and 95% confidence interval of the mean (t quantile).
pub(crate) fn evidence(e: &Evidence<'_>) {
    let arms: Vec<serde_json::Value> = e
        .arms
        .iter()
        .map(|(label, values)| {
            let n = values.len() as f64;
            let mean = sum(values) / n;
            let sd = if n > 1.0 { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
            let half = t975(values.len().saturating_sub(1)) * sd / n.sqrt();
            println!("{}: {label}: mean {mean:.4} (sd {sd:.4}, 95% CI {:.4} to {:.4}, n {n})", e.effect, mean - half, mean + half);
            serde_json::json!({ "label": label, "n": values.len(), "mean": mean, "sd": sd, "ci95": [mean - half, mean + half] })
        })
        .collect();
    println!("{}: {} -> {} ({})", e.effect, e.statistic, if e.holds { "holds" } else { "FAILS" }, e.criterion);
    let Ok(path) = std::env::var("PEACESIM_EVIDENCE") else { return };
    let line = serde_json::json!({
        "effect": e.effect,
        "test": e.test,
        "measure": e.measure,
        "arms": arms,
        "statistic": e.statistic,
        "criterion": e.criterion,
        "holds": e.holds,
        "verdict": e.verdict,
    });
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|err| panic!("PEACESIM_EVIDENCE={path}: {err}"));
    // One write per line: lines from tests running in parallel do not interleave.
    file.write_all(format!("{line}\n").as_bytes()).unwrap_or_else(|err| panic!("PEACESIM_EVIDENCE={path}: {err}"));
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
fn t975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}
