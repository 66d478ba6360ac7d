//! Charts of a sweep (a directory written by `peacesim sweep`): per outcome, the response to the first
//! varied parameter with 95 % CI error bars (one line per value of the other parameters), a heatmap over
//! the first two parameters, the distribution over runs per design point, the Sobol indices when there is
//! a sensitivity.csv, and per recorded metric the mean and 95 % CI band over time per design point when
//! there is a timeseries.csv.

use crate::PlotOptions;
use crate::charts::bars::{Bar, BarPanel, BarRow};
use crate::charts::boxes::{BoxPanel, BoxRow, HistogramPanel};
use crate::charts::heatmap::HeatmapPanel;
use crate::charts::lines::{Line, LinePanel};
use crate::charts::response::{ErrorPoint, Group, ResponsePanel, XAxis};
use crate::charts::{Figure, LegendEntry, Swatch, render, short_number, stem_part};
use crate::error::PlotError;
use crate::read::{NumericTable, TextTable, json};
use crate::run::{WINDOW, short_path};
use crate::stats::{mean_ci, rolling_sum};
use crate::style::{GREY, colour};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A varied parameter of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Its dotted key path, as in the runs.csv header.
    pub path: String,
    /// Its distinct values: ascending if numeric, in design order otherwise.
    pub values: Vec<String>,
    /// Whether every value is a number; other values (strings, booleans) are categories.
    pub numeric: bool,
}

impl Parameter {
    /// The position of a value on a chart axis: the number itself if numeric, its index otherwise.
    pub fn position(&self, value: &str) -> f64 {
        if self.numeric {
            value.trim().parse().unwrap_or(f64::NAN)
        } else {
            self.values.iter().position(|v| v == value).map_or(f64::NAN, |i| i as f64)
        }
    }

    /// Its short name for legends (the last two segments of the path).
    pub fn short(&self) -> String {
        short_path(&self.path)
    }
}

/// A mean with its 95 % confidence interval (NaN where undefined).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// The lower end of the interval.
    pub lo: f64,
    /// The upper end of the interval.
    pub hi: f64,
}

/// One design point and the outcomes of its runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignPoint {
    /// Its `point_id`.
    pub id: u64,
    /// The value of each parameter, as written in runs.csv.
    pub values: Vec<String>,
    /// The `run_id`s of its runs.
    pub runs: Vec<u64>,
    /// Per outcome, the value of each run (NaN for a failed run).
    pub outcomes: Vec<Vec<f64>>,
    /// Per outcome, the mean and 95 % CI over runs (from summary.csv when there is one).
    pub summary: Vec<Estimate>,
}

/// One row of sensitivity.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolRow {
    /// The outcome.
    pub outcome: String,
    /// The parameter.
    pub parameter: String,
    /// First-order index S1 and its bootstrap 95 % interval (NaN where empty).
    pub s1: Estimate,
    /// Total-order index ST and its bootstrap 95 % interval (NaN where empty).
    pub st: Estimate,
}

/// What a sweep directory holds, as read for charts.
#[derive(Clone, Debug)]
pub struct SweepData {
    /// The sweep directory.
    pub dir: PathBuf,
    /// The experiment file's name, from manifest.json.
    pub experiment: Option<String>,
    /// The design kind (`grid`, `lhs`, `sobol`, `table`), from manifest.json.
    pub design: Option<String>,
    /// The varied parameters, in runs.csv order.
    pub parameters: Vec<Parameter>,
    /// The outcome columns of runs.csv.
    pub outcomes: Vec<String>,
    /// The design points, in point order.
    pub points: Vec<DesignPoint>,
    /// timeseries.csv (`run_id`, `tick`, metrics), if the sweep recorded one.
    pub timeseries: Option<NumericTable>,
    /// The rows of sensitivity.csv (empty without one).
    pub sensitivity: Vec<SobolRow>,
}

fn strings(v: &serde_json::Value, key: &str) -> Option<Vec<String>> {
    v.get(key)?.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect()
}

/// Parameters and outcomes from summary.csv's header: `point_id`, the parameters, then four columns per
/// outcome (`_mean`, `_sd`, `_ci95_lo`, `_ci95_hi`), then `n`.
fn split_summary_header(columns: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let first = (1..columns.len()).find(|&i| {
        columns[i].strip_suffix("_mean").is_some_and(|o| {
            columns.get(i + 1) == Some(&format!("{o}_sd"))
                && columns.get(i + 2) == Some(&format!("{o}_ci95_lo"))
                && columns.get(i + 3) == Some(&format!("{o}_ci95_hi"))
        })
    })?;
    let parameters = columns[1..first].to_vec();
    let outcomes = columns[first..]
        .chunks(4)
        .filter(|c| c.len() == 4)
        .filter_map(|c| c[0].strip_suffix("_mean").map(str::to_owned))
        .collect();
    Some((parameters, outcomes))
}

impl SweepData {
    /// Reads `dir/runs.csv` (required) and, when present, `manifest.json` (which names the parameters and
    /// outcomes), `summary.csv`, `sensitivity.csv` and `timeseries.csv`. Without manifest.json, the
    /// parameters are read from summary.csv's header.
    pub fn read(dir: &Path) -> Result<SweepData, PlotError> {
        let manifest_path = dir.join("manifest.json");
        let manifest = if manifest_path.exists() { Some(json(&manifest_path)?) } else { None };
        let runs = TextTable::read(&dir.join("runs.csv"))?;
        for (i, name) in ["run_id", "point_id", "replicate", "seed"].iter().enumerate() {
            if runs.columns.get(i).map(String::as_str) != Some(*name) {
                return Err(PlotError::malformed(
                    &runs.path,
                    Some(1),
                    None,
                    format!(
                        "the header must start with run_id,point_id,replicate,seed (column {} is not `{name}`)",
                        i + 1
                    ),
                ));
            }
        }
        let summary_path = dir.join("summary.csv");
        let summary = if summary_path.exists() { Some(TextTable::read(&summary_path)?) } else { None };
        let names = manifest
            .as_ref()
            .and_then(|m| Some((strings(m, "parameters")?, strings(m, "outcomes")?)))
            .or_else(|| summary.as_ref().and_then(|s| split_summary_header(&s.columns)))
            .ok_or_else(|| {
                PlotError::malformed(
                    &runs.path,
                    None,
                    None,
                    "cannot tell parameters from outcomes: manifest.json and summary.csv are both missing or unreadable",
                )
            })?;
        let (param_names, outcomes) = names;
        let expected: Vec<&String> = param_names.iter().chain(&outcomes).collect();
        let actual: Vec<&String> = runs.columns.iter().skip(4).collect();
        if expected != actual {
            return Err(PlotError::malformed(
                &runs.path,
                Some(1),
                None,
                format!(
                    "the header after `seed` should be the parameters and outcomes {}",
                    expected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
                ),
            ));
        }
        let p = param_names.len();
        let mut points: Vec<DesignPoint> = Vec::new();
        let mut index: BTreeMap<u64, usize> = BTreeMap::new();
        for (line, row) in &runs.rows {
            let run_id = runs.integer(*line, row, 0)?;
            let point_id = runs.integer(*line, row, 1)?;
            let values: Vec<String> = (0..p).map(|i| row.get(4 + i).cloned().unwrap_or_default()).collect();
            let i = *index.entry(point_id).or_insert_with(|| {
                points.push(DesignPoint {
                    id: point_id,
                    values: values.clone(),
                    runs: Vec::new(),
                    outcomes: vec![Vec::new(); outcomes.len()],
                    summary: Vec::new(),
                });
                points.len() - 1
            });
            let Some(point) = points.get_mut(i) else { continue };
            point.runs.push(run_id);
            for (k, out) in point.outcomes.iter_mut().enumerate() {
                out.push(runs.number(*line, row, 4 + p + k)?);
            }
        }
        if points.is_empty() {
            return Err(PlotError::malformed(&runs.path, Some(2), None, "no runs after the header"));
        }
        points.sort_by_key(|pt| pt.id);
        // Summary statistics: summary.csv's when it has them, else computed alike from the runs.
        let from_file = match &summary {
            Some(s) => read_summary(s, &outcomes)?,
            None => BTreeMap::new(),
        };
        for pt in &mut points {
            pt.summary = match from_file.get(&pt.id) {
                Some(est) => est.clone(),
                None => pt
                    .outcomes
                    .iter()
                    .map(|v| {
                        let m = mean_ci(v.iter().copied());
                        Estimate { mean: m.mean, lo: m.lo, hi: m.hi }
                    })
                    .collect(),
            };
        }
        let parameters = param_names
            .iter()
            .enumerate()
            .map(|(i, path)| {
                let mut values: Vec<String> = Vec::new();
                for pt in &points {
                    if let Some(v) = pt.values.get(i)
                        && !values.contains(v)
                    {
                        values.push(v.clone());
                    }
                }
                let numeric = values.iter().all(|v| v.trim().parse::<f64>().is_ok_and(f64::is_finite));
                if numeric {
                    values.sort_by(|a, b| {
                        a.trim().parse::<f64>().unwrap_or(0.0).total_cmp(&b.trim().parse::<f64>().unwrap_or(0.0))
                    });
                }
                Parameter { path: path.clone(), values, numeric }
            })
            .collect();
        let sensitivity_path = dir.join("sensitivity.csv");
        let sensitivity = if sensitivity_path.exists() { read_sensitivity(&sensitivity_path)? } else { Vec::new() };
        let ts_path = dir.join("timeseries.csv");
        let timeseries = if ts_path.exists() {
            let t = NumericTable::read(&ts_path)?;
            if t.columns.first().map(String::as_str) != Some("run_id")
                || t.columns.get(1).map(String::as_str) != Some("tick")
            {
                return Err(PlotError::malformed(&ts_path, Some(1), None, "the header must start with run_id,tick"));
            }
            Some(t)
        } else {
            None
        };
        let text = |key: &str| manifest.as_ref().and_then(|m| m.get(key)?.as_str().map(str::to_owned));
        Ok(SweepData {
            dir: dir.to_path_buf(),
            experiment: text("experiment"),
            design: text("design"),
            parameters,
            outcomes,
            points,
            timeseries,
            sensitivity,
        })
    }

    /// The label of a design point, e.g. `unmid.troops = 1000, atlantis.interoperability = 0.2`.
    pub fn point_label(&self, point: &DesignPoint) -> String {
        if self.parameters.is_empty() {
            return format!("point {}", point.id);
        }
        self.parameters
            .iter()
            .zip(&point.values)
            .map(|(p, v)| format!("{} = {v}", p.short()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn read_summary(s: &TextTable, outcomes: &[String]) -> Result<BTreeMap<u64, Vec<Estimate>>, PlotError> {
    let id = s.require("point_id")?;
    let mut cols = Vec::new();
    for o in outcomes {
        cols.push((
            s.require(&format!("{o}_mean"))?,
            s.require(&format!("{o}_ci95_lo"))?,
            s.require(&format!("{o}_ci95_hi"))?,
        ));
    }
    let mut out = BTreeMap::new();
    for (line, row) in &s.rows {
        let point = s.integer(*line, row, id)?;
        let mut est = Vec::new();
        for &(m, lo, hi) in &cols {
            est.push(Estimate {
                mean: s.number(*line, row, m)?,
                lo: s.number(*line, row, lo)?,
                hi: s.number(*line, row, hi)?,
            });
        }
        out.insert(point, est);
    }
    Ok(out)
}

fn read_sensitivity(path: &Path) -> Result<Vec<SobolRow>, PlotError> {
    let t = TextTable::read(path)?;
    let col = |name: &str| t.require(name);
    let (o, p) = (col("outcome")?, col("parameter")?);
    let s1 = (col("S1")?, col("S1_ci95_lo")?, col("S1_ci95_hi")?);
    let st = (col("ST")?, col("ST_ci95_lo")?, col("ST_ci95_hi")?);
    let mut rows = Vec::new();
    for (line, row) in &t.rows {
        let est = |(m, lo, hi): (usize, usize, usize)| -> Result<Estimate, PlotError> {
            Ok(Estimate {
                mean: t.number(*line, row, m)?,
                lo: t.number(*line, row, lo)?,
                hi: t.number(*line, row, hi)?,
            })
        };
        rows.push(SobolRow {
            outcome: row.get(o).cloned().unwrap_or_default(),
            parameter: row.get(p).cloned().unwrap_or_default(),
            s1: est(s1)?,
            st: est(st)?,
        });
    }
    Ok(rows)
}

/// Design points grouped by the values of every parameter but the first: one line per group on response
/// charts. `lines` is false when the design is not a grid of few groups (an lhs or sobol design), and the
/// points are drawn as a scatter.
struct Grouping {
    /// Per group: its label and the indices of its points.
    groups: Vec<(String, Vec<usize>)>,
    lines: bool,
}

fn grouping(data: &SweepData) -> Grouping {
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for (i, pt) in data.points.iter().enumerate() {
        let key: Vec<String> = pt.values.iter().skip(1).cloned().collect();
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    // A line per group needs each first-parameter value at most once per group.
    let unique = groups.iter().all(|(_, idx)| {
        let mut v: Vec<&String> = idx.iter().filter_map(|&i| data.points.get(i)?.values.first()).collect();
        let n = v.len();
        v.sort();
        v.dedup();
        v.len() == n
    });
    let first_values = data.parameters.first().map_or(0, |p| p.values.len());
    let lines = unique && groups.len() <= 8 && first_values <= 40;
    let labels = groups
        .into_iter()
        .map(|(key, idx)| {
            let label = data
                .parameters
                .iter()
                .skip(1)
                .zip(&key)
                .map(|(p, v)| format!("{} = {v}", p.short()))
                .collect::<Vec<_>>()
                .join(", ");
            (if label.is_empty() { "all design points".to_owned() } else { label }, idx)
        })
        .collect();
    Grouping { groups: labels, lines }
}

/// Whether a metric belongs to the conflict layer, whose ticks are days.
fn is_conflict_metric(name: &str) -> bool {
    [
        "civilian_deaths",
        "combatant_deaths",
        "fighters",
        "displaced",
        "incidents",
        "peacekeep",
        "aid_",
        "convoys_",
        "mean_trust",
        "mean_violence",
        "recruits",
        "desertions",
        "flights",
        "returns",
        "ceasefire",
        "territory_",
        "cohesion_",
        "mean_response",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Per-tick counts, which a sweep's timeseries samples and which are smoothed when sampled every tick.
fn is_per_tick_count(name: &str) -> bool {
    [
        "civilian_deaths",
        "combatant_deaths",
        "disaster_deaths",
        "incidents",
        "incidents_reached",
        "incidents_missed",
        "flights",
        "returns",
        "recruits",
        "desertions",
        "activations",
        "arrests",
        "releases",
        "births",
        "deaths",
        "ceasefire_violations",
        "aid_delivered",
        "aid_looted",
        "aid_supplied",
        "convoys_attacked",
        "convoys_dispatched",
        "convoys_delivered",
        "aid_worker_deaths",
    ]
    .contains(&name)
}

impl SweepData {
    fn time_unit(&self) -> &'static str {
        let metrics = self.timeseries.iter().flat_map(|t| t.columns.iter().skip(2));
        if self.outcomes.iter().chain(metrics).any(|n| is_conflict_metric(n)) { "day" } else { "tick" }
    }

    fn subtitle(&self, what: &str) -> String {
        let mut parts = Vec::new();
        if let Some(e) = &self.experiment {
            parts.push(e.clone());
        }
        let runs: usize = self.points.iter().map(|p| p.runs.len()).sum();
        let design = self.design.as_deref().map_or(String::new(), |d| format!("{d} design, "));
        parts.push(format!("{design}{} design point(s), {runs} run(s)", self.points.len()));
        if !what.is_empty() {
            parts.push(what.to_owned());
        }
        parts.join(" · ")
    }
}

fn response_panel(
    data: &SweepData,
    k: usize,
    outcome: &str,
    param: usize,
    groups: &[(String, Vec<usize>)],
    lines: bool,
) -> Option<ResponsePanel> {
    let p = data.parameters.get(param)?;
    let x_axis = if p.numeric { XAxis::Numeric } else { XAxis::Categories(p.values.clone()) };
    let groups: Vec<Group> = groups
        .iter()
        .enumerate()
        .map(|(gi, (_, idx))| {
            let mut points: Vec<ErrorPoint> = idx
                .iter()
                .filter_map(|&i| {
                    let pt = data.points.get(i)?;
                    let e = pt.summary.get(k)?;
                    Some(ErrorPoint { x: p.position(pt.values.get(param)?), mean: e.mean, lo: e.lo, hi: e.hi })
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            Group { colour: if lines { colour(gi) } else { colour(0) }, points }
        })
        .collect();
    Some(ResponsePanel {
        caption: None,
        legend: Vec::new(),
        x_label: p.path.clone(),
        y_label: outcome.to_owned(),
        x_axis,
        groups,
        connect: lines,
    })
}

/// The response of an outcome: against the first parameter with a line per group on a grid; against each
/// parameter in turn (a panel each, up to six) on a scattered design.
fn response(data: &SweepData, k: usize, outcome: &str, g: &Grouping) -> Option<Figure<ResponsePanel>> {
    let p0 = data.parameters.first()?;
    if g.lines {
        let mut panel = response_panel(data, k, outcome, 0, &g.groups, true)?;
        if g.groups.len() > 1 {
            panel.legend = g
                .groups
                .iter()
                .enumerate()
                .map(|(i, (l, _))| LegendEntry::new(l.clone(), colour(i), Swatch::Line))
                .collect();
        }
        return Some(Figure::single(
            format!("{outcome}: response to {}", p0.short()),
            Some(data.subtitle("mean and 95% CI over replicates")),
            panel,
        ));
    }
    let all = vec![(String::new(), (0..data.points.len()).collect::<Vec<_>>())];
    let panels: Vec<ResponsePanel> = (0..data.parameters.len().min(6))
        .filter_map(|i| {
            let mut panel = response_panel(data, k, outcome, i, &all, false)?;
            if data.parameters.len() > 1 {
                panel.caption = data.parameters.get(i).map(|p| format!("against {}", p.short()));
            }
            Some(panel)
        })
        .collect();
    let title = if panels.len() > 1 {
        format!("{outcome}: response to each parameter")
    } else {
        format!("{outcome}: response to {}", p0.short())
    };
    let cols = if panels.len() > 1 { 2 } else { 1 };
    Some(Figure {
        title,
        subtitle: Some(data.subtitle("design points: mean and 95% CI over replicates")),
        legend: Vec::new(),
        panels,
        cols,
    })
}

fn heatmap(data: &SweepData, k: usize, outcome: &str) -> Option<Figure<HeatmapPanel>> {
    let (p0, p1) = (data.parameters.first()?, data.parameters.get(1)?);
    if p0.values.len() > 25 || p1.values.len() > 25 {
        return None;
    }
    let mut cells: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); p0.values.len()]; p1.values.len()];
    for pt in &data.points {
        let x = p0.values.iter().position(|v| Some(v) == pt.values.first());
        let y = p1.values.iter().position(|v| Some(v) == pt.values.get(1));
        if let (Some(x), Some(y), Some(e)) = (x, y, pt.summary.get(k))
            && let Some(cell) = cells.get_mut(y).and_then(|r| r.get_mut(x))
        {
            cell.push(e.mean);
        }
    }
    // Only a grid (or most of one): scattered designs would leave nearly every cell empty.
    let filled = cells.iter().flatten().filter(|c| !c.is_empty()).count();
    if filled * 2 < p0.values.len() * p1.values.len() {
        return None;
    }
    let values = cells
        .iter()
        .map(|r| r.iter().map(|c| if c.is_empty() { None } else { Some(mean_ci(c.iter().copied()).mean) }).collect())
        .collect();
    let others: Vec<String> = data.parameters.iter().skip(2).map(Parameter::short).collect();
    let what = if others.is_empty() {
        "mean over replicates".to_owned()
    } else {
        format!("mean over replicates, averaged over {}", others.join(", "))
    };
    let panel = HeatmapPanel {
        caption: None,
        x_label: p0.path.clone(),
        y_label: p1.path.clone(),
        x_categories: p0.values.clone(),
        y_categories: p1.values.clone(),
        values,
        value_label: format!("mean {outcome}"),
    };
    Some(Figure::single(format!("{outcome} by {} and {}", p0.short(), p1.short()), Some(data.subtitle(&what)), panel))
}

fn distribution(data: &SweepData, k: usize, outcome: &str, g: &Grouping) -> Figure<DistributionPanel> {
    let what;
    let panel = if data.points.len() <= 30 {
        what = "box: quartiles and median; whiskers: min and max; dots: runs";
        let colour_of = |i: usize| {
            if !g.lines || g.groups.len() < 2 {
                return colour(0);
            }
            g.groups.iter().position(|(_, idx)| idx.contains(&i)).map_or(colour(0), colour)
        };
        DistributionPanel::Boxes(BoxPanel {
            legend: Vec::new(),
            x_label: outcome.to_owned(),
            rows: data
                .points
                .iter()
                .enumerate()
                .map(|(i, pt)| BoxRow {
                    label: data.point_label(pt),
                    colour: colour_of(i),
                    values: pt.outcomes.get(k).cloned().unwrap_or_default(),
                })
                .collect(),
        })
    } else {
        what = "histogram of all runs";
        DistributionPanel::Histogram(HistogramPanel {
            x_label: outcome.to_owned(),
            colour: colour(0),
            values: data.points.iter().flat_map(|pt| pt.outcomes.get(k).cloned().unwrap_or_default()).collect(),
        })
    };
    Figure::single(format!("Distribution of {outcome} over runs"), Some(data.subtitle(what)), panel)
}

/// A box plot or a histogram.
pub(crate) enum DistributionPanel {
    Boxes(BoxPanel),
    Histogram(HistogramPanel),
}

impl crate::charts::Panel for DistributionPanel {
    fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
        style: &crate::style::Style,
    ) -> crate::charts::DrawResult {
        match self {
            DistributionPanel::Boxes(b) => b.draw(area, style),
            DistributionPanel::Histogram(h) => h.draw(area, style),
        }
    }
}

fn sensitivity(data: &SweepData, outcome: &str) -> Option<Figure<BarPanel>> {
    let rows: Vec<BarRow> = data
        .sensitivity
        .iter()
        .filter(|r| r.outcome == outcome)
        .map(|r| BarRow {
            label: r.parameter.clone(),
            bars: vec![
                Bar { value: r.s1.mean, lo: r.s1.lo, hi: r.s1.hi },
                Bar { value: r.st.mean, lo: r.st.lo, hi: r.st.hi },
            ],
        })
        .collect();
    if rows.iter().all(|r| r.bars.iter().all(|b| !b.value.is_finite())) {
        return None;
    }
    let colours = vec![colour(0), colour(1)];
    let panel = BarPanel {
        caption: None,
        legend: vec![
            LegendEntry::new("S1, first-order index", colours[0], Swatch::Box),
            LegendEntry::new("ST, total-order index", colours[1], Swatch::Box),
        ],
        x_label: "Sobol index (share of the variance of the point means)".to_owned(),
        rows,
        colours,
    };
    Some(Figure::single(
        format!("Sensitivity of {outcome}: Sobol indices"),
        Some(data.subtitle("error bars: bootstrap 95% intervals")),
        panel,
    ))
}

/// Per group of runs (a design point, or all runs) and tick, the mean and CI of one metric over the runs.
fn metric_by_group(
    ts: &NumericTable,
    metric: usize,
    smooth: bool,
    groups: &[Vec<u64>],
) -> Vec<Vec<(f64, f64, f64, f64)>> {
    let run_ids = ts.values.first().map_or(&[][..], Vec::as_slice);
    let ticks = ts.values.get(1).map_or(&[][..], Vec::as_slice);
    let values = ts.values.get(metric).map_or(&[][..], Vec::as_slice);
    // Rows of each run, in file order.
    let mut by_run: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    for ((r, t), v) in run_ids.iter().zip(ticks).zip(values) {
        if r.is_finite() && *r >= 0.0 {
            by_run.entry(*r as u64).or_default().push((*t, *v));
        }
    }
    if smooth {
        for rows in by_run.values_mut() {
            let vs: Vec<f64> = rows.iter().map(|r| r.1).collect();
            for (row, s) in rows.iter_mut().zip(rolling_sum(&vs, WINDOW)) {
                row.1 = s;
            }
        }
    }
    groups
        .iter()
        .map(|runs| {
            let mut at: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for run in runs {
                for (t, v) in by_run.get(run).map_or(&[][..], Vec::as_slice) {
                    at.entry(t.round() as i64).or_default().push(*v);
                }
            }
            at.into_iter()
                .map(|(t, vs)| {
                    let m = mean_ci(vs);
                    (t as f64, m.mean, m.lo, m.hi)
                })
                .collect()
        })
        .collect()
}

fn line_of(label: String, c: plotters::style::RGBColor, series: &[(f64, f64, f64, f64)]) -> Line {
    let mut line = Line::new(label, c, series.iter().map(|s| (s.0, s.1)).collect());
    line.band = series.iter().map(|s| (s.0, s.2, s.3)).collect();
    line
}

fn timeseries(data: &SweepData, ts: &NumericTable, metric: usize, g: &Grouping) -> Option<Figure<LinePanel>> {
    let name = ts.columns.get(metric)?.clone();
    let ticks = ts.values.get(1)?;
    let mut distinct: Vec<f64> = ticks.iter().copied().filter(|t| t.is_finite()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    // The sampling interval: the most common step (the last tick is recorded even off the interval).
    let mut steps: BTreeMap<i64, usize> = BTreeMap::new();
    for w in distinct.windows(2) {
        *steps.entry((w[1] - w[0]).round() as i64).or_default() += 1;
    }
    let every = steps.iter().max_by_key(|(step, n)| (**n, -**step)).map_or(f64::NAN, |(step, _)| *step as f64);
    let unit = data.time_unit();
    let smooth = is_per_tick_count(&name) && every == 1.0;
    let point_runs: Vec<Vec<u64>> = data.points.iter().map(|p| p.runs.clone()).collect();
    let by_point = metric_by_group(ts, metric, smooth, &point_runs);
    let y_label = if smooth {
        format!("{name} per {WINDOW} {unit}s (rolling sum)")
    } else if is_per_tick_count(&name) && every.is_finite() {
        format!("{name} per {unit} (sampled every {} {unit}s)", short_number(every))
    } else {
        name.clone()
    };
    let x_label = format!("{unit} (simulation time)");
    let base = LinePanel { x_label, y_label, label_markers: false, ..LinePanel::default() };
    let title = format!("{name} over time");
    let p0 = data.parameters.first();
    let first_values = p0.map_or(0, |p| p.values.len());
    let panels_per_group = g.lines && (2..=6).contains(&g.groups.len()) && first_values <= 8 && data.points.len() > 4;
    if data.points.len() <= 8 && !panels_per_group {
        // One line and band per design point.
        let lines: Vec<Line> = data
            .points
            .iter()
            .zip(&by_point)
            .enumerate()
            .map(|(i, (pt, s))| line_of(data.point_label(pt), colour(i), s))
            .collect();
        let mut fig = Figure::single(
            title,
            Some(data.subtitle("mean and 95% CI band over replicates")),
            LinePanel { lines, ..base },
        );
        fig.legend = fig
            .panels
            .iter()
            .flat_map(|p| p.lines.iter().map(|l| LegendEntry::new(l.label.clone(), l.colour, Swatch::Line)))
            .collect();
        return Some(fig);
    }
    if panels_per_group {
        // One panel per group, one line per value of the first parameter, a shared y axis.
        let p0 = p0?;
        let mut panels: Vec<LinePanel> = g
            .groups
            .iter()
            .map(|(label, idx)| {
                let lines = idx
                    .iter()
                    .filter_map(|&i| {
                        let pt = data.points.get(i)?;
                        let v = pt.values.first()?;
                        let ci = p0.values.iter().position(|x| x == v)?;
                        Some(line_of(format!("{} = {v}", p0.short()), colour(ci), by_point.get(i)?))
                    })
                    .collect();
                LinePanel { caption: Some(label.clone()), lines, ..base.clone() }
            })
            .collect();
        let ys: Vec<f64> = panels.iter().flat_map(|p| [p.data_y_range(false).0, p.data_y_range(false).1]).collect();
        let xs: Vec<f64> = panels.iter().flat_map(|p| [p.data_x_range().0, p.data_x_range().1]).collect();
        let y_range =
            (ys.iter().copied().fold(f64::INFINITY, f64::min), ys.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let x_range =
            (xs.iter().copied().fold(f64::INFINITY, f64::min), xs.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        for p in &mut panels {
            p.y_range = Some(y_range);
            p.x_range = Some(x_range);
        }
        let legend = p0
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| LegendEntry::new(format!("{} = {v}", p0.short()), colour(i), Swatch::Line))
            .collect();
        let cols = if panels.len() <= 3 { panels.len() } else { 2 };
        return Some(Figure {
            title,
            subtitle: Some(data.subtitle("mean and 95% CI band over replicates")),
            legend,
            panels,
            cols,
        });
    }
    // Many points: each point's mean as a thin grey line, and the mean over all runs with its band.
    let mut lines: Vec<Line> = by_point
        .iter()
        .map(|s| {
            let mut l = Line::new("design point means", GREY, s.iter().map(|x| (x.0, x.1)).collect());
            l.weight = 0.4;
            l.alpha = 0.45;
            l
        })
        .collect();
    let every_run = vec![point_runs.concat()];
    let all = metric_by_group(ts, metric, smooth, &every_run).into_iter().next().unwrap_or_default();
    lines.push(line_of("mean of all runs, 95% CI".to_owned(), colour(0), &all));
    let legend = vec![
        LegendEntry::new("mean of all runs, 95% CI", colour(0), Swatch::Line),
        LegendEntry::new("design point means", GREY, Swatch::Line),
    ];
    let mut fig = Figure::single(title, Some(data.subtitle("")), LinePanel { lines, ..base });
    fig.legend = legend;
    Some(fig)
}

/// Draws the charts of a sweep into `out` (which must exist); returns the files written. Per outcome:
/// `sweep_response_<outcome>`, `sweep_heatmap_<outcome>` (two or more parameters),
/// `sweep_distribution_<outcome>` and `sweep_sensitivity_<outcome>` (with sensitivity.csv); per metric
/// of timeseries.csv, `sweep_timeseries_<metric>`.
pub fn plot_sweep(data: &SweepData, out: &Path, options: &PlotOptions) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    let g = grouping(data);
    for (k, outcome) in data.outcomes.iter().enumerate() {
        let stem = stem_part(outcome);
        if let Some(f) = response(data, k, outcome, &g) {
            written.push(render(&f, out, &format!("sweep_response_{stem}"), options)?);
        }
        if let Some(f) = heatmap(data, k, outcome) {
            written.push(render(&f, out, &format!("sweep_heatmap_{stem}"), options)?);
        }
        written.push(render(&distribution(data, k, outcome, &g), out, &format!("sweep_distribution_{stem}"), options)?);
        if let Some(f) = sensitivity(data, outcome) {
            written.push(render(&f, out, &format!("sweep_sensitivity_{stem}"), options)?);
        }
    }
    if let Some(ts) = &data.timeseries {
        for metric in 2..ts.columns.len() {
            if let Some(f) = timeseries(data, ts, metric, &g) {
                let stem = stem_part(ts.columns.get(metric).map_or("metric", String::as_str));
                written.push(render(&f, out, &format!("sweep_timeseries_{stem}"), options)?);
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_header_splits() {
        let cols: Vec<String> = [
            "point_id",
            "a.b",
            "c",
            "x_mean",
            "x_sd",
            "x_ci95_lo",
            "x_ci95_hi",
            "y_mean",
            "y_sd",
            "y_ci95_lo",
            "y_ci95_hi",
            "n",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let (p, o) = split_summary_header(&cols).unwrap_or_default();
        assert_eq!(p, vec!["a.b", "c"]);
        assert_eq!(o, vec!["x", "y"]);
    }

    #[test]
    fn metric_kinds() {
        assert!(is_conflict_metric("civilian_deaths"));
        assert!(!is_conflict_metric("active"));
        assert!(is_per_tick_count("arrests"));
        assert!(!is_per_tick_count("jailed"));
    }
}
