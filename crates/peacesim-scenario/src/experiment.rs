//! Experiment files: a base scenario, the parameters to vary, a design, replicates and the outcome
//! measures to record. Structural checks live here; checks that need the scenario (does a path exist, does
//! a value fit it) are made by the batch crate before any run starts.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Base scenario: a bundled name or a path (relative paths are relative to the experiment file).
    pub scenario: String,
    /// Ticks per run (default: the scenario's `ticks`).
    #[serde(default)]
    pub ticks: Option<u64>,
    /// Runs per design point.
    pub replicates: u32,
    /// The seed every run's seed derives from.
    pub master_seed: u64,
    /// Whether design points share seeds per replicate (paired comparisons).
    #[serde(default)]
    pub common_random_numbers: bool,
    /// Outcome measures for runs.csv, each `metric:statistic` with statistic one of `final`, `total`, `peak`,
    /// `mean`, `peak_tick` (e.g. `active:peak`), or a metric alone for its kind's default ([`OutcomeSpec`]).
    pub outputs: Vec<String>,
    /// Per-tick recording into timeseries.csv (long format); absent or `false` means none, `true` every
    /// metric at every tick (as `{}`).
    #[serde(default, deserialize_with = "flag_or_spec")]
    pub timeseries: Option<TimeseriesSpec>,
    /// Values set on every run, by key path (`"rules.arrest_ratio" = "floor"`).
    #[serde(default)]
    pub fixed: BTreeMap<String, toml::Value>,
    /// The design.
    pub design: Design,
    /// The varied parameters, in order (for `grid`, later ones vary fastest).
    #[serde(default)]
    pub vary: Vec<Vary>,
}

/// Which metrics to record per tick, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeseriesSpec {
    /// Record ticks 0, every, 2 every, ... (and the last tick).
    #[serde(default = "one")]
    pub every: u64,
    /// Metrics to record (default: all).
    #[serde(default)]
    pub metrics: Vec<String>,
}

fn one() -> u64 {
    1
}

/// `timeseries` as a table, or as `true` (the table's defaults: every metric at every tick) or `false` (none),
/// as the design brief's sketch writes it. A table is read as [`TimeseriesSpec`] itself, so its errors keep
/// their key paths (`timeseries.every`).
fn flag_or_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<TimeseriesSpec>, D::Error> {
    struct FlagOrSpec;
    impl<'de> serde::de::Visitor<'de> for FlagOrSpec {
        type Value = Option<TimeseriesSpec>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("true, false or a table such as { every = 10, metrics = [\"active\"] }")
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(v.then(|| TimeseriesSpec { every: one(), metrics: Vec::new() }))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            TimeseriesSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_any(FlagOrSpec)
}

/// Design kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesignKind {
    /// Full factorial over value lists and ranges; later-listed parameters vary fastest (BehaviorSpace).
    Grid,
    /// Latin hypercube: `samples` points, one in each of `samples` strata of every parameter's [low, high].
    Lhs,
    /// Saltelli's design for Sobol indices: `samples` base points, `samples * (k + 2)` design points.
    Sobol,
    /// Design points read from a CSV file whose header names the parameter paths.
    Table,
}

/// The design section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// Which design.
    pub kind: DesignKind,
    /// Sample count (lhs; base samples for sobol).
    #[serde(default)]
    pub samples: Option<u32>,
    /// CSV of design points (table), relative to the experiment file.
    #[serde(default)]
    pub file: Option<String>,
    /// Bootstrap resamples for Sobol confidence intervals (default 200).
    #[serde(default)]
    pub bootstrap: Option<u32>,
}

/// One varied parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// Scenario key path, as `--set` takes it.
    pub path: String,
    /// Explicit values (grid).
    #[serde(default)]
    pub values: Option<Vec<toml::Value>>,
    /// An inclusive range (grid).
    #[serde(default)]
    pub range: Option<ValueRange>,
    /// Lower bound (lhs, sobol).
    #[serde(default)]
    pub low: Option<f64>,
    /// Upper bound (lhs, sobol).
    #[serde(default)]
    pub high: Option<f64>,
    /// Round sampled values to whole numbers (lhs, sobol), for integer parameters.
    #[serde(default)]
    pub integer: bool,
}

/// `{ start, stop, step }`: start, start + step, ... up to and including stop (as BehaviorSpace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRange {
    /// First value.
    pub start: f64,
    /// Last value (included when reached within rounding).
    pub stop: f64,
    /// Increment, positive.
    pub step: f64,
}

impl ValueRange {
    /// The values of the range, computed as start + i * step (no accumulated rounding). Whole-number
    /// ranges give integers.
    pub fn values(&self) -> Vec<toml::Value> {
        let whole = [self.start, self.stop, self.step].iter().all(|v| v.fract() == 0.0);
        let count = ((self.stop - self.start) / self.step + 1e-9).floor() as i64 + 1;
        (0..count.max(0))
            .map(|i| {
                // Round away the binary noise of start + i * step (0.7 + 2 * 0.05 = 0.7999999999999999) so
                // that values read as written: 12 decimal places is far below any meaningful step.
                let v = ((self.start + i as f64 * self.step) * 1e12).round() / 1e12;
                if whole { toml::Value::Integer(v as i64) } else { toml::Value::Float(v) }
            })
            .collect()
    }
}

/// The statistic an outcome measure takes of a metric's series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Value at the last tick.
    Final,
    /// Sum over ticks 1..=T (for per-tick counts such as arrests).
    Total,
    /// Largest value over ticks 0..=T.
    Peak,
    /// Mean over ticks 0..=T.
    Mean,
    /// First tick at which the peak is reached.
    PeakTick,
}

impl Statistic {
    /// Every statistic, in the order error messages list them.
    pub const ALL: [Statistic; 5] =
        [Statistic::Final, Statistic::Total, Statistic::Peak, Statistic::Mean, Statistic::PeakTick];

    /// The statistic's name in `metric:statistic` and in column names.
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Final => "final",
            Statistic::Total => "total",
            Statistic::Peak => "peak",
            Statistic::Mean => "mean",
            Statistic::PeakTick => "peak_tick",
        }
    }
}

/// A parsed outcome measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Metric name, as in timeseries.csv.
    pub metric: String,
    /// Statistic.
    pub statistic: Statistic,
}

/// An outcome measure as written in `outputs`: `metric:statistic`, or a metric alone, which takes its kind's
/// default statistic (the total over the run for per-tick counts and amounts, the final value otherwise).
/// Metric kinds are the simulator's, so the batch runner resolves the default ([`OutcomeSpec::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeSpec {
    /// Metric name, as in timeseries.csv.
    pub metric: String,
    /// The statistic written after the colon, if any.
    pub statistic: Option<Statistic>,
}

impl OutcomeSpec {
    /// Parses `metric:statistic` or `metric`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (metric, statistic) = match spec.split_once(':') {
            None => (spec, None),
            Some((metric, stat)) => {
                let Some(&statistic) = Statistic::ALL.iter().find(|s| s.as_str() == stat) else {
                    return Err(format!("unknown statistic `{stat}`; use final, total, peak, mean or peak_tick"));
                };
                (metric, Some(statistic))
            }
        };
        if metric.is_empty() {
            return Err(format!("`{spec}`: the metric name is empty"));
        }
        Ok(OutcomeSpec { metric: metric.to_owned(), statistic })
    }

    /// The outcome measure, with `default` as its statistic if none was written.
    pub fn resolve(&self, default: Statistic) -> Outcome {
        Outcome { metric: self.metric.clone(), statistic: self.statistic.unwrap_or(default) }
    }
}

impl Outcome {
    /// Column name in runs.csv: `metric_statistic`.
    pub fn column(&self) -> String {
        format!("{}_{}", self.metric, self.statistic.as_str())
    }
}

/// Structural problems of an experiment, as (key path, message).
pub fn validate_experiment(e: &Experiment) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut fail = |key: String, message: String| problems.push((key, message));
    if e.replicates == 0 {
        fail("replicates".into(), "must be at least 1".into());
    }
    if e.ticks == Some(0) {
        fail("ticks".into(), "must be at least 1".into());
    }
    if e.outputs.is_empty() {
        fail("outputs".into(), "name at least one outcome measure (e.g. \"active:peak\")".into());
    }
    for (i, o) in e.outputs.iter().enumerate() {
        if let Err(message) = OutcomeSpec::parse(o) {
            fail(format!("outputs[{i}]"), message);
        }
    }
    if let Some(ts) = &e.timeseries
        && ts.every == 0
    {
        fail("timeseries.every".into(), "must be at least 1".into());
    }
    let kind = e.design.kind;
    match kind {
        DesignKind::Lhs | DesignKind::Sobol => match e.design.samples {
            None | Some(0) => fail("design.samples".into(), "lhs and sobol designs need samples >= 1".into()),
            Some(n) if kind == DesignKind::Sobol && n < 2 => {
                fail("design.samples".into(), "a sobol design needs at least 2 base samples".into())
            }
            _ => {}
        },
        DesignKind::Table => {
            if e.design.file.is_none() {
                fail("design.file".into(), "a table design needs `file`, a CSV of design points".into());
            }
            if !e.vary.is_empty() {
                fail("vary".into(), "a table design takes its parameters from the CSV header, not [[vary]]".into());
            }
        }
        DesignKind::Grid => {}
    }
    if kind != DesignKind::Table && e.vary.is_empty() {
        fail("vary".into(), "vary at least one parameter".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in e.vary.iter().enumerate() {
        let key = |field: &str| format!("vary[{i}].{field}");
        if !seen.insert(v.path.as_str()) {
            fail(key("path"), format!("`{}` is varied twice", v.path));
        }
        match kind {
            DesignKind::Grid => match (&v.values, &v.range) {
                (Some(values), None) if values.is_empty() => fail(key("values"), "the list of values is empty".into()),
                (Some(_), None) => {}
                (None, Some(r)) => {
                    if !(r.step.is_finite() && r.step > 0.0) {
                        fail(key("range.step"), format!("{} must be positive", r.step));
                    } else if !(r.start.is_finite() && r.stop.is_finite()) || r.stop < r.start {
                        fail(key("range.stop"), format!("{} is below start = {}", r.stop, r.start));
                    } else if r.values().len() > 1_000_000 {
                        fail(key("range"), "more than a million values".into());
                    }
                }
                _ => fail(format!("vary[{i}]"), "a grid parameter needs exactly one of `values` and `range`".into()),
            },
            DesignKind::Lhs | DesignKind::Sobol => match (v.low, v.high) {
                (Some(low), Some(high)) if low.is_finite() && high.is_finite() && low < high => {}
                (Some(_), Some(_)) => fail(key("high"), "must be finite and above `low`".into()),
                _ => fail(format!("vary[{i}]"), "lhs and sobol parameters need `low` and `high`".into()),
            },
            DesignKind::Table => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(timeseries: &str) -> Result<Experiment, toml::de::Error> {
        toml::from_str(&format!(
            "scenario = \"epstein-run2\"\nticks = 10\nreplicates = 1\nmaster_seed = 1\noutputs = [\"active:peak\"]\n\
             {timeseries}\n[design]\nkind = \"grid\"\n"
        ))
    }

    #[test]
    fn an_outcome_is_a_metric_with_or_without_a_statistic() {
        let spec = |metric: &str, statistic| OutcomeSpec { metric: metric.to_owned(), statistic };
        assert_eq!(OutcomeSpec::parse("active:peak"), Ok(spec("active", Some(Statistic::Peak))));
        assert_eq!(OutcomeSpec::parse("civilian_deaths"), Ok(spec("civilian_deaths", None)));
        let resolved = spec("arrests", None).resolve(Statistic::Total);
        assert_eq!(resolved.column(), "arrests_total");
        assert_eq!(spec("active", Some(Statistic::Mean)).resolve(Statistic::Final).column(), "active_mean");
        assert!(OutcomeSpec::parse("active:median").is_err_and(|e| e.contains("unknown statistic `median`")));
        assert!(OutcomeSpec::parse(":peak").is_err_and(|e| e.contains("metric name is empty")));
        assert!(OutcomeSpec::parse("").is_err_and(|e| e.contains("metric name is empty")));
    }

    #[test]
    fn timeseries_is_a_table_or_a_flag() {
        let all = Some(TimeseriesSpec { every: 1, metrics: Vec::new() });
        for (text, expected) in [
            ("", None),
            ("timeseries = false", None),
            ("timeseries = true", all.clone()),
            ("timeseries = {}", all),
            (
                "timeseries = { every = 5, metrics = [\"active\"] }",
                Some(TimeseriesSpec { every: 5, metrics: vec!["active".to_owned()] }),
            ),
        ] {
            assert_eq!(parse(text).expect(text).timeseries, expected, "{text}");
        }
        // Anything else is refused, naming what is expected; a table's own mistakes keep their messages.
        let wrong = parse("timeseries = 3").expect_err("a number").to_string();
        assert!(wrong.contains("true, false or a table"), "{wrong}");
        let misspelt = parse("timeseries = { evry = 5 }").expect_err("a misspelt key").to_string();
        assert!(misspelt.contains("evry"), "{misspelt}");
    }
}
