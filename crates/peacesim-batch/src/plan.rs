//! The plan: an experiment resolved against its scenario into numbered runs with fixed seeds, checked
//! before any run starts.

use crate::design;
use crate::output::value_cell;
use peacesim_core::Simulation;
use peacesim_scenario::experiment::{DesignKind, Experiment, Outcome, OutcomeSpec, validate_experiment};
use peacesim_scenario::{Override, Scenario, ScenarioError, fnv1a, parse_located, parse_scenario};
use std::path::{Path, PathBuf};

/// One run of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    /// Position in the plan, 0-based.
    pub run_id: u64,
    /// Design point, 0-based.
    pub point_id: u64,
    /// Replicate within the point, 0-based.
    pub replicate: u32,
    /// The run's seed: [`run_seed`] of (master_seed, point_id, replicate).
    pub seed: u64,
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A run's seed: `mix(master_seed ^ mix(key ^ mix(replicate + 1)))` with SplitMix64's finaliser `mix`, where
/// `key = (point_id + 1) * 0x9e3779b97f4a7c15` (wrapping), or `0` with common random numbers so that every
/// design point's replicate r gets the same seed. Replicates of one point always differ (mix is a bijection).
pub fn run_seed(master_seed: u64, point_id: u64, replicate: u32, common_random_numbers: bool) -> u64 {
    let key = if common_random_numbers { 0 } else { (point_id + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) };
    mix(master_seed ^ mix(key ^ mix(u64::from(replicate) + 1)))
}

/// An experiment resolved into runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The experiment as written.
    pub experiment: Experiment,
    /// Where the experiment was read from.
    pub source: String,
    /// The base scenario's TOML text and the name errors in it are reported against.
    scenario_text: String,
    scenario_source: String,
    /// Fixed overrides applied to every run.
    fixed: Vec<Override>,
    /// The base scenario with the fixed overrides.
    pub base: Scenario,
    /// Varied parameter paths, in column order.
    pub parameters: Vec<String>,
    /// Design points: one value per parameter.
    pub points: Vec<Vec<toml::Value>>,
    /// Outcome measures.
    pub outcomes: Vec<Outcome>,
    /// Ticks per run.
    pub ticks: u64,
    /// All metric names of a run.
    pub metric_names: Vec<String>,
    /// Indices (into `metric_names`) of the metrics recorded per tick, if any.
    pub timeseries: Option<(Vec<usize>, u64)>,
    /// Fingerprint of everything that determines the outputs.
    pub fingerprint: u64,
}

impl Plan {
    /// Reads and checks an experiment file: every path, value and outcome is checked against the scenario
    /// before any run starts. Errors name the file, the line and the key path.
    pub fn from_file(path: &Path) -> Result<Plan, ScenarioError> {
        let name = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| ScenarioError::single(&name, None, "", format!("cannot read: {e}")))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Plan::from_bytes(&bytes, &name, &dir)
    }

    /// As [`Plan::from_file`], from bytes; relative paths in the experiment resolve against `dir`.
    pub fn from_bytes(bytes: &[u8], name: &str, dir: &Path) -> Result<Plan, ScenarioError> {
        let located = parse_located::<Experiment>(bytes, name)?;
        let e = &located.value;
        if let Some((key, message)) = validate_experiment(e).into_iter().next() {
            return Err(located.error(&key, message));
        }
        // The base scenario: a bundled name, or a path relative to the experiment file.
        let as_path = dir.join(&e.scenario);
        let (scenario_text, scenario_source) = if as_path.is_file() {
            let text = std::fs::read_to_string(&as_path)
                .map_err(|err| located.error("scenario", format!("cannot read {}: {err}", as_path.display())))?;
            (text, as_path.display().to_string())
        } else if let Some(b) = peacesim_scenario::bundled::find(&e.scenario) {
            (b.text.to_owned(), b.path.to_owned())
        } else {
            return Err(located.error("scenario", format!("`{}` is neither a file nor a bundled scenario", e.scenario)));
        };
        // `[fixed]` keys may be quoted paths ("rules.legitimacy" = 0.8) or TOML dotted keys (rules.legitimacy = 0.8,
        // which TOML reads as nested tables): flatten both to one override per leaf value.
        let mut fixed: Vec<Override> = Vec::new();
        flatten(&mut fixed, String::new(), &e.fixed);
        for (key, path) in
            fixed.iter().map(|o| ("fixed", o.path.as_str())).chain(e.vary.iter().map(|v| ("vary", v.path.as_str())))
        {
            if matches!(path, "ticks" | "seed" | "schema_version" | "name") {
                return Err(located.error(
                    key,
                    format!("`{path}` is set by the experiment itself (ticks, master_seed), not by a parameter"),
                ));
            }
        }
        let check = |overrides: &[Override], key: &str| -> Result<Scenario, ScenarioError> {
            parse_scenario(&scenario_text, &scenario_source, overrides).map_err(|err| {
                let d = &err.diagnostics[0];
                located.error(
                    key,
                    format!(
                        "{} `{}`: {}",
                        if err.source_name == "--set" { "sets" } else { "in the scenario," },
                        d.key,
                        d.message
                    ),
                )
            })
        };
        let base = check(&fixed, "fixed")?;

        let (parameters, points) = if e.design.kind == DesignKind::Table {
            read_table(&located, dir)?
        } else {
            (e.vary.iter().map(|v| v.path.clone()).collect(), design::points(e))
        };
        // Each value on its own, so an error names the entry that caused it.
        for (i, v) in e.vary.iter().enumerate() {
            let candidates: Vec<(String, toml::Value)> = match (&v.values, &v.range) {
                (Some(values), _) if e.design.kind == DesignKind::Grid => {
                    values.iter().enumerate().map(|(j, x)| (format!("vary[{i}].values[{j}]"), x.clone())).collect()
                }
                (None, Some(r)) if e.design.kind == DesignKind::Grid => {
                    r.values().into_iter().map(|x| (format!("vary[{i}].range"), x)).collect()
                }
                _ => vec![
                    (format!("vary[{i}].low"), design::scale(v, 0.0)),
                    (format!("vary[{i}].high"), design::scale(v, 1.0)),
                ],
            };
            for (key, value) in candidates {
                let mut overrides = fixed.clone();
                overrides.push(Override::new(v.path.clone(), value));
                check(&overrides, &key)?;
            }
        }
        // Then every design point as a whole (combinations can fail where single values do not).
        // The version is part of the fingerprint: a different build may simulate differently, so it must not
        // finish a sweep another build started.
        let mut fingerprint_text = format!(
            "{}\n{:016x}\n{}\n",
            peacesim_core::VERSION,
            fnv1a(scenario_text.as_bytes()),
            toml::to_string(e).unwrap_or_default()
        );
        for (p, point) in points.iter().enumerate() {
            let mut overrides = fixed.clone();
            overrides.extend(parameters.iter().zip(point).map(|(path, v)| Override::new(path.clone(), v.clone())));
            check(&overrides, if e.design.kind == DesignKind::Table { "design.file" } else { "vary" }).map_err(
                |mut err| {
                    let values: Vec<String> = point.iter().map(value_cell).collect();
                    if let Some(d) = err.diagnostics.first_mut() {
                        d.message = format!("design point {p} ({}): {}", values.join(", "), d.message);
                    }
                    err
                },
            )?;
            fingerprint_text.push_str(&point.iter().map(value_cell).collect::<Vec<_>>().join(","));
            fingerprint_text.push('\n');
        }

        let probe = Simulation::new(&base, 0).map_err(|err| located.error("scenario", err.to_string()))?;
        let metric_names = probe.metric_names().to_vec();
        let mut outcomes: Vec<Outcome> = Vec::new();
        for (i, spec) in e.outputs.iter().filter_map(|o| OutcomeSpec::parse(o).ok()).enumerate() {
            // A metric named alone takes its kind's statistic: the run's total of a per-tick count, else the
            // final value.
            let Some(column) = metric_names.iter().position(|n| *n == spec.metric) else {
                return Err(located.error(
                    &format!("outputs[{i}]"),
                    format!("`{}` is not a metric of this scenario; metrics: {}", spec.metric, metric_names.join(", ")),
                ));
            };
            outcomes.push(spec.resolve(probe.metric_kinds()[column].default_statistic()));
        }
        let timeseries = match &e.timeseries {
            None => None,
            Some(ts) => {
                let mut columns = Vec::new();
                let wanted: Vec<&String> =
                    if ts.metrics.is_empty() { metric_names.iter().collect() } else { ts.metrics.iter().collect() };
                for (i, m) in wanted.into_iter().enumerate() {
                    let column = metric_names.iter().position(|n| n == m).ok_or_else(|| {
                        located.error(
                            &format!("timeseries.metrics[{i}]"),
                            format!("`{m}` is not a metric of this scenario"),
                        )
                    })?;
                    columns.push(column);
                }
                Some((columns, ts.every))
            }
        };
        let ticks = e.ticks.unwrap_or(base.ticks);
        Ok(Plan {
            experiment: e.clone(),
            source: name.to_owned(),
            fixed,
            base,
            parameters,
            points,
            outcomes,
            ticks,
            metric_names,
            timeseries,
            fingerprint: fnv1a(fingerprint_text.as_bytes()),
            scenario_text,
            scenario_source,
        })
    }

    /// Number of runs.
    pub fn len(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.experiment.replicates)
    }

    /// Whether the plan has no runs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The run with this id.
    pub fn run(&self, run_id: u64) -> RunSpec {
        let replicates = u64::from(self.experiment.replicates);
        let (point_id, replicate) = (run_id / replicates, (run_id % replicates) as u32);
        let seed = run_seed(self.experiment.master_seed, point_id, replicate, self.experiment.common_random_numbers);
        RunSpec { run_id, point_id, replicate, seed }
    }

    /// The scenario of a design point (validated when the plan was built).
    pub fn scenario(&self, point_id: u64) -> Result<Scenario, ScenarioError> {
        let mut overrides = self.fixed.clone();
        let point = &self.points[point_id as usize];
        overrides.extend(self.parameters.iter().zip(point).map(|(path, v)| Override::new(path.clone(), v.clone())));
        parse_scenario(&self.scenario_text, &self.scenario_source, &overrides)
    }

    /// Where the scenario came from.
    pub fn scenario_source(&self) -> &str {
        &self.scenario_source
    }
}

/// Flattens nested tables into dotted paths, one override per leaf value.
fn flatten(out: &mut Vec<Override>, prefix: String, table: &std::collections::BTreeMap<String, toml::Value>) {
    for (key, value) in table {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(t) => {
                let nested: std::collections::BTreeMap<String, toml::Value> =
                    t.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                flatten(out, path, &nested);
            }
            leaf => out.push(Override::new(path, leaf.clone())),
        }
    }
}

/// Reads a table design's CSV: header = parameter paths; each row a design point. Cells are read as TOML
/// values (numbers, booleans, quoted strings) or else as bare strings.
fn read_table(
    located: &peacesim_scenario::Located<Experiment>,
    dir: &Path,
) -> Result<(Vec<String>, Vec<Vec<toml::Value>>), ScenarioError> {
    let file = located.value.design.file.clone().unwrap_or_default();
    let path: PathBuf = dir.join(&file);
    let shown = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .from_path(&path)
        .map_err(|e| located.error("design.file", format!("cannot read {shown}: {e}")))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ScenarioError::single(&shown, Some(1), "", format!("bad CSV header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    if headers.is_empty() || headers.iter().any(String::is_empty) {
        return Err(ScenarioError::single(&shown, Some(1), "", "the header must name every column's parameter path"));
    }
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| ScenarioError::single(&shown, Some(line), "", format!("bad CSV row: {e}")))?;
        if record.len() != headers.len() {
            return Err(ScenarioError::single(
                &shown,
                Some(line),
                "",
                format!("{} cells, expected {}", record.len(), headers.len()),
            ));
        }
        points.push(
            record
                .iter()
                .map(|cell| {
                    Override::parse(&format!("x={cell}"))
                        .map(|o| o.value)
                        .unwrap_or_else(|_| toml::Value::String(cell.to_owned()))
                })
                .collect(),
        );
    }
    if points.is_empty() {
        return Err(ScenarioError::single(&shown, Some(2), "", "the table has no design points"));
    }
    Ok((headers, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_differ_and_common_random_numbers_share_seeds_across_points() {
        let mut seen = std::collections::BTreeSet::new();
        for point in 0..50 {
            for rep in 0..20 {
                assert!(seen.insert(run_seed(7, point, rep, false)), "seed collision at point {point} replicate {rep}");
            }
        }
        for rep in 0..20 {
            let s = run_seed(7, 0, rep, true);
            assert!((1..50).all(|p| run_seed(7, p, rep, true) == s));
            assert_ne!(s, run_seed(7, 0, rep + 1, true));
        }
        assert_ne!(run_seed(7, 3, 2, false), run_seed(8, 3, 2, false));
    }

    /// The design brief's sketch of an experiment file names its outcomes by metric alone: each takes its
    /// kind's statistic (per-tick counts and amounts their run's total, states their final value), and a
    /// statistic written after a colon is kept.
    #[test]
    fn outcomes_named_by_metric_alone_take_their_kinds_statistic() {
        let sketch = r#"
            scenario = "haiti-minustah"
            ticks = 365
            replicates = 20
            master_seed = 7
            outputs = ["civilian_deaths", "displaced", "aid_delivered", "displaced:peak", "killed", "legitimacy"]
            timeseries = false

            [design]
            kind = "grid"

            [[vary]]
            path = "peacekeeping.missions.minustah.troops"
            values = [0, 2000, 4000, 8000]

            [[vary]]
            path = "aid.policy"
            values = ["needs", "proportional"]
        "#;
        let plan = Plan::from_bytes(sketch.as_bytes(), "sketch.toml", Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
        let columns: Vec<String> = plan.outcomes.iter().map(Outcome::column).collect();
        let expected = [
            "civilian_deaths_total",
            "displaced_final",
            "aid_delivered_total",
            "displaced_peak",
            "killed_final",
            "legitimacy_final",
        ];
        assert_eq!(columns, expected);
        assert_eq!(plan.len(), 160);
    }
}
