//! Charts of one run (a directory written by `peacesim run`): time-series panels of the key metrics that
//! the run recorded, with the scheduled and scripted events of events.csv as labelled vertical lines and
//! droughts and ceasefires as shaded periods, an overview of all panels, and a timeline of the events.

use crate::PlotOptions;
use crate::charts::lines::{Line, LinePanel, Marker, Period};
use crate::charts::timeline::{Entry, TimelinePanel};
use crate::charts::{Figure, LegendEntry, Swatch, render, short_number};
use crate::error::PlotError;
use crate::read::{Event, NumericTable, json, read_marked_events};
use crate::stats::{rolling_mean, rolling_sum};
use crate::style::{GREY, colour};
use plotters::style::RGBColor;
use std::path::{Path, PathBuf};

/// The window of rolling sums and means over noisy per-tick counts.
pub const WINDOW: usize = 7;

/// What a run directory holds, as read for charts.
#[derive(Clone, Debug)]
pub struct RunData {
    /// The run directory.
    pub dir: PathBuf,
    /// timeseries.csv: `tick`, then one column per metric.
    pub timeseries: NumericTable,
    /// The scheduled and scripted events of events.csv ([`crate::read::MARKED_EVENT_KINDS`]); empty if the
    /// directory has no events.csv.
    pub events: Vec<Event>,
    /// The scenario's name, from summary.json, if there is one.
    pub scenario: Option<String>,
    /// The seed, from summary.json, if there is one.
    pub seed: Option<u64>,
    /// The map frames of `frames/frames.jsonl`, if the run was recorded with `--record-frames`.
    pub frames: Option<crate::frames::FrameData>,
}

impl RunData {
    /// Reads `dir/timeseries.csv` (required), `dir/events.csv` and `dir/summary.json` (optional: charts
    /// then have no event markers, or no scenario name in their subtitles).
    pub fn read(dir: &Path) -> Result<RunData, PlotError> {
        let path = dir.join("timeseries.csv");
        let timeseries = NumericTable::read(&path)?;
        if timeseries.columns.first().map(String::as_str) != Some("tick") {
            return Err(PlotError::malformed(&path, Some(1), None, "the first column must be `tick`"));
        }
        if timeseries.rows() == 0 {
            return Err(PlotError::malformed(&path, Some(2), None, "no rows after the header"));
        }
        let events_path = dir.join("events.csv");
        let events = if events_path.exists() { read_marked_events(&events_path)? } else { Vec::new() };
        let summary_path = dir.join("summary.json");
        let (scenario, seed) = if summary_path.exists() {
            let v = json(&summary_path)?;
            (
                v.get("scenario").and_then(|s| s.as_str()).map(str::to_owned),
                v.get("seed").and_then(serde_json::Value::as_u64),
            )
        } else {
            (None, None)
        };
        let frames = crate::frames::FrameData::read(dir)?;
        Ok(RunData { dir: dir.to_path_buf(), timeseries, events, scenario, seed, frames })
    }

    /// Whether the run has the conflict layer (whose ticks are days).
    pub fn is_conflict(&self) -> bool {
        ["people", "fighters", "civilian_deaths"].iter().any(|c| self.timeseries.column(c).is_some())
    }

    fn unit(&self) -> &'static str {
        if self.is_conflict() { "day" } else { "tick" }
    }

    fn ticks(&self) -> &[f64] {
        self.timeseries.values.first().map_or(&[], Vec::as_slice)
    }
}

/// How a column is smoothed before it is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Smooth {
    None,
    /// Trailing rolling sum over [`WINDOW`] ticks.
    Sum,
    /// Trailing rolling mean over [`WINDOW`] ticks.
    Mean,
}

struct Series {
    column: String,
    label: String,
    smooth: Smooth,
    secondary: bool,
}

/// One time-series chart of a run: a group of related columns.
struct Group {
    stem: &'static str,
    title: &'static str,
    y_label: String,
    y2_label: Option<String>,
    series: Vec<Series>,
}

fn label(column: &str) -> String {
    match column {
        "active" => "active citizens".into(),
        "jailed" => "jailed citizens".into(),
        "civilian_deaths" => "civilian deaths".into(),
        "combatant_deaths" => "combatant deaths".into(),
        "mean_violence" => "mean recent violence".into(),
        "displaced" => "displaced, all districts".into(),
        "food_insecurity" => "food insecurity (mean shortfall)".into(),
        "food_insecure_share" => "share of people food-insecure".into(),
        "aid_needed" => "food needed".into(),
        "aid_delivered" => "aid delivered".into(),
        "aid_looted" => "aid looted".into(),
        "mean_trust" => "trust in peacekeepers".into(),
        "mean_legitimacy" => "mean legitimacy seen by citizens".into(),
        "legitimacy" => "legitimacy (global)".into(),
        "incidents_reached" => "incidents reached".into(),
        "peacekeepers" => "peacekeepers on the ground".into(),
        c => c.strip_prefix("fighters_").or_else(|| c.strip_prefix("displaced_")).unwrap_or(c).replace('_', " "),
    }
}

/// The chart groups of the columns present in `table`, in a fixed order; groups without columns are left out.
fn groups(table: &NumericTable, unit: &str) -> Vec<Group> {
    let has = |c: &str| table.column(c).is_some();
    let series = |cols: &[&str], smooth: Smooth, secondary: bool| -> Vec<Series> {
        cols.iter()
            .filter(|c| has(c))
            .map(|c| Series { column: (*c).to_owned(), label: label(c), smooth, secondary })
            .collect()
    };
    let prefixed = |prefix: &str| -> Vec<Series> {
        table
            .columns
            .iter()
            .filter(|c| c.starts_with(prefix) && c.len() > prefix.len())
            .map(|c| Series { column: c.clone(), label: label(c), smooth: Smooth::None, secondary: false })
            .collect()
    };
    let per = format!("per {WINDOW} {unit}s (rolling sum)");
    let mut out = vec![
        Group {
            stem: "rebellion",
            title: "Active and jailed citizens",
            y_label: "citizens".into(),
            y2_label: None,
            series: series(&["active", "jailed"], Smooth::None, false),
        },
        Group {
            stem: "violence",
            title: "Violence: civilian and combatant deaths",
            y_label: format!("deaths {per}"),
            y2_label: Some("mean recent violence (index)".into()),
            series: [
                series(&["civilian_deaths", "combatant_deaths"], Smooth::Sum, false),
                series(&["mean_violence"], Smooth::None, true),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        Group {
            stem: "displacement",
            title: "Displaced citizens",
            y_label: "displaced citizens".into(),
            y2_label: None,
            series: {
                let mut s = series(&["displaced"], Smooth::None, false);
                let districts = prefixed("displaced_");
                if districts.len() <= 7 {
                    s.extend(districts);
                }
                s
            },
        },
        Group {
            stem: "food",
            title: "Food insecurity",
            y_label: "share, 0 to 1".into(),
            y2_label: None,
            series: series(&["food_insecurity", "food_insecure_share"], Smooth::None, false),
        },
        Group {
            stem: "aid",
            title: "Humanitarian aid: food needed and delivered",
            y_label: format!("food per {unit} ({WINDOW}-{unit} rolling mean)"),
            y2_label: None,
            series: series(&["aid_needed", "aid_delivered", "aid_looted"], Smooth::Mean, false),
        },
        Group {
            stem: "factions",
            title: "Faction strength",
            y_label: "fighters".into(),
            y2_label: None,
            series: prefixed("fighters_"),
        },
        Group {
            stem: "trust",
            title: "Trust and legitimacy",
            y_label: "0 to 1".into(),
            y2_label: None,
            series: series(&["mean_trust", "mean_legitimacy", "legitimacy"], Smooth::None, false),
        },
        Group {
            stem: "peacekeeping",
            title: "Peacekeeping: incidents and response",
            y_label: format!("incidents {per}"),
            y2_label: Some("peacekeepers".into()),
            series: [
                series(&["incidents", "incidents_reached"], Smooth::Sum, false),
                series(&["peacekeepers"], Smooth::None, true),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
    ];
    out.retain(|g| !g.series.is_empty());
    // A group with only right-axis series draws them on the left axis.
    for g in &mut out {
        if g.series.iter().all(|s| s.secondary) {
            for s in &mut g.series {
                s.secondary = false;
            }
            if let Some(y2) = g.y2_label.take() {
                g.y_label = y2;
            }
        }
        if !g.series.iter().any(|s| s.secondary) {
            g.y2_label = None;
        }
    }
    out
}

/// Event markers, shaded periods and timeline entries derived from the events of a run.
#[derive(Default)]
struct Annotations {
    markers: Vec<Marker>,
    periods: Vec<Period>,
    entries: Vec<Entry>,
}

const DROUGHT: RGBColor = RGBColor(230, 159, 0);
const CEASEFIRE: RGBColor = RGBColor(0, 158, 115);

/// The last two segments of a dotted path (`peacekeeping.missions.unmid.troops` -> `unmid.troops`).
pub(crate) fn short_path(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() <= 2 { path.to_owned() } else { parts[parts.len() - 2..].join(".") }
}

fn kind_colour(kind: &str) -> RGBColor {
    match kind {
        "drought_start" => DROUGHT,
        "ceasefire_start" | "ceasefire_broken" | "relation_change" => CEASEFIRE,
        "coup" | "split" | "defection" | "reinforcement" => colour(1),
        "earthquake" => colour(5),
        "parameter_change" | "deploy" | "withdraw" => GREY,
        _ => colour(0),
    }
}

fn event_label(kind: &str, details: &str, value: f64) -> String {
    let v = short_number(value);
    match kind {
        "drought_start" => format!("drought: {details}"),
        "ceasefire_start" => format!("ceasefire {details}"),
        "ceasefire_broken" => format!("ceasefire broken {details}"),
        "coup" => format!("coup: {details}"),
        "earthquake" => format!("earthquake: {details}"),
        "split" => format!("split {details}"),
        "defection" => format!("defection {details} ({v})"),
        "reinforcement" => format!("reinforcement {details} (+{v})"),
        "relation_change" => format!("relation {details} = {v}"),
        "deploy" => format!("{details} deployed (+{v})"),
        "withdraw" => format!("{details} withdrawn (-{v})"),
        "contingent_deployed" => format!("{details} deployed ({v})"),
        "contingent_reinforced" => format!("{details} reinforced (+{v})"),
        "drawdown" => format!("{details} drawdown (-{v})"),
        "contingent_withdrawn" => format!("{details} withdrawn"),
        "mandate_change" => format!("mandate {details}"),
        "consent_change" => format!("consent {details} = {v}"),
        other => format!("{} {details}", other.replace('_', " ")),
    }
}

/// Turns events into markers and periods: parameter changes on consecutive ticks (a scheduled ramp)
/// become one marker; events of one kind at one tick share a label; droughts and ceasefires are also
/// shaded from their start to their end (or the end of the run).
fn annotate(events: &[Event], last_tick: f64, unit: &str) -> Annotations {
    let mut a = Annotations::default();
    // Items (tick, kind, label) before grouping by tick.
    let mut items: Vec<(f64, String, String)> = Vec::new();
    // Scheduled ramps: (path, first tick, first value, last tick, last value).
    let mut ramps: Vec<(String, f64, f64, f64, f64)> = Vec::new();
    let mut open_droughts: Vec<(String, f64)> = Vec::new();
    let mut open_ceasefires: Vec<(String, f64)> = Vec::new();
    for e in events {
        match e.kind.as_str() {
            "parameter_change" => match ramps.iter_mut().rev().find(|r| r.0 == e.detail) {
                Some(r) if e.tick - r.3 <= 1.0 && e.tick > r.3 => {
                    r.3 = e.tick;
                    r.4 = e.value;
                }
                _ => ramps.push((e.detail.clone(), e.tick, e.value, e.tick, e.value)),
            },
            "drought_start" => open_droughts.push((e.detail.clone(), e.tick)),
            "drought_end" => {
                if let Some(i) = open_droughts.iter().position(|d| d.0 == e.detail) {
                    let (_, start) = open_droughts.remove(i);
                    a.periods.push(Period { x0: start, x1: e.tick, colour: DROUGHT });
                }
            }
            "ceasefire_start" => open_ceasefires.push((e.detail.clone(), e.tick)),
            "ceasefire_end" | "ceasefire_broken" => {
                if let Some(i) = open_ceasefires.iter().position(|d| d.0 == e.detail) {
                    let (_, start) = open_ceasefires.remove(i);
                    a.periods.push(Period { x0: start, x1: e.tick, colour: CEASEFIRE });
                }
            }
            _ => {}
        }
        if !matches!(e.kind.as_str(), "parameter_change" | "drought_end" | "ceasefire_end") {
            items.push((e.tick, e.kind.clone(), event_label(&e.kind, &e.detail, e.value)));
        }
    }
    for (_, start) in open_droughts {
        a.periods.push(Period { x0: start, x1: last_tick, colour: DROUGHT });
    }
    for (_, start) in open_ceasefires {
        a.periods.push(Period { x0: start, x1: last_tick, colour: CEASEFIRE });
    }
    for (path, t0, v0, t1, v1) in ramps {
        let p = short_path(&path);
        let text = if t1 > t0 {
            format!(
                "{p}: {} to {} ({unit}s {}-{})",
                short_number(v0),
                short_number(v1),
                short_number(t0),
                short_number(t1)
            )
        } else {
            format!("{p} = {}", short_number(v0))
        };
        items.push((t0, "parameter_change".into(), text));
    }
    items.sort_by(|x, y| x.0.total_cmp(&y.0));
    // Same tick and kind: one entry ("drought: farmland, plains").
    let mut merged: Vec<(f64, String, String)> = Vec::new();
    for (tick, kind, text) in items {
        match merged.last_mut() {
            Some(last) if last.0 == tick && last.1 == kind && kind == "drought_start" => {
                let district = text.trim_start_matches("drought: ");
                last.2.push_str(&format!(", {district}"));
            }
            _ => merged.push((tick, kind, text)),
        }
    }
    for (tick, kind, text) in &merged {
        a.entries.push(Entry { x: *tick, label: text.clone(), colour: kind_colour(kind) });
        match a.markers.last_mut() {
            Some(m) if m.x == *tick => m.label.push_str(&format!("; {text}")),
            _ => a.markers.push(Marker { x: *tick, label: text.clone() }),
        }
    }
    a
}

pub(crate) fn subtitle(data: &RunData, extra: &str) -> String {
    let mut parts = Vec::new();
    match (&data.scenario, data.seed) {
        (Some(s), Some(seed)) => parts.push(format!("{s}, seed {seed}")),
        (Some(s), None) => parts.push(s.clone()),
        _ => parts.push(data.dir.display().to_string()),
    }
    if !extra.is_empty() {
        parts.push(extra.to_owned());
    }
    parts.join(" · ")
}

/// Legend entries for the event markers and shaded periods, when there are any.
fn annotation_legend(a: &Annotations) -> Vec<LegendEntry> {
    let mut out = Vec::new();
    if !a.markers.is_empty() {
        out.push(LegendEntry::new("scheduled or scripted event", GREY, Swatch::Dashed));
    }
    if a.periods.iter().any(|p| p.colour == DROUGHT) {
        out.push(LegendEntry::new("drought", DROUGHT, Swatch::Shade));
    }
    if a.periods.iter().any(|p| p.colour == CEASEFIRE) {
        out.push(LegendEntry::new("ceasefire", CEASEFIRE, Swatch::Shade));
    }
    out
}

fn panel(data: &RunData, g: &Group, a: &Annotations) -> LinePanel {
    let ticks = data.ticks();
    let lines = g
        .series
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let raw = data.timeseries.column(&s.column)?;
            let values = match s.smooth {
                Smooth::None => raw.to_vec(),
                Smooth::Sum => rolling_sum(raw, WINDOW),
                Smooth::Mean => rolling_mean(raw, WINDOW),
            };
            let mut line = Line::new(s.label.clone(), colour(i), ticks.iter().copied().zip(values).collect());
            line.secondary = s.secondary;
            line.dashed = s.secondary;
            // The total over districts stands out against the districts.
            if g.stem == "displacement" && i > 0 {
                line.weight = 0.7;
            }
            Some(line)
        })
        .collect::<Vec<_>>();
    let (x0, x1) = (ticks.first().copied().unwrap_or(0.0), ticks.last().copied().unwrap_or(1.0));
    LinePanel {
        x_label: format!("{} (simulation time)", data.unit()),
        y_label: g.y_label.clone(),
        y2_label: g.y2_label.clone(),
        lines,
        markers: a.markers.clone(),
        label_markers: true,
        periods: a.periods.clone(),
        x_range: Some(if x1 > x0 { (x0, x1) } else { (x0 - 1.0, x0 + 1.0) }),
        ..LinePanel::default()
    }
}

/// Draws the charts of a run into `out` (which must exist): `run_<group>` per group of metrics present
/// (rebellion, violence, displacement, food, aid, factions, trust, peacekeeping), `run_overview` with all
/// of them, and `run_events` when the run has scheduled or scripted events. Returns the files written.
pub fn plot_run(data: &RunData, out: &Path, options: &PlotOptions) -> Result<Vec<PathBuf>, PlotError> {
    let unit = data.unit();
    let ticks = data.ticks();
    let last = ticks.last().copied().unwrap_or(0.0);
    let a = annotate(&data.events, last, unit);
    let groups = groups(&data.timeseries, unit);
    let mut written = Vec::new();
    let mut panels = Vec::new();
    for g in &groups {
        let p = panel(data, g, &a);
        let legend: Vec<LegendEntry> = p.lines.iter().map(Line::legend_entry).collect();
        let smoothing = if g.series.iter().any(|s| s.smooth != Smooth::None) {
            format!("noisy per-{unit} counts smoothed over {WINDOW} {unit}s")
        } else {
            String::new()
        };
        let figure = Figure {
            title: g.title.to_owned(),
            subtitle: Some(subtitle(data, &smoothing)),
            legend: legend.iter().cloned().chain(annotation_legend(&a)).collect(),
            panels: vec![p.clone()],
            cols: 1,
        };
        written.push(render(&figure, out, &format!("run_{}", g.stem), options)?);
        panels.push(LinePanel { caption: Some(g.title.to_owned()), legend, label_markers: false, ..p });
    }
    if panels.len() > 1 {
        let cols = 2;
        let rows = panels.len().div_ceil(cols) as u32;
        let figure = Figure {
            title: "Run overview".to_owned(),
            subtitle: Some(subtitle(data, "")),
            legend: annotation_legend(&a),
            panels,
            cols,
        };
        let tall = PlotOptions { height: options.height.saturating_mul(rows.max(2)) / 2, ..*options };
        written.push(render(&figure, out, "run_overview", &tall)?);
    }
    if !a.entries.is_empty() {
        let (x0, x1) = (ticks.first().copied().unwrap_or(0.0), last);
        let timeline = TimelinePanel {
            x_label: format!("{unit} (simulation time)"),
            x_range: if x1 > x0 { (x0, x1) } else { (x0 - 1.0, x0 + 1.0) },
            entries: a.entries.clone(),
            periods: a.periods.clone(),
        };
        let mut figure = Figure::single("Scheduled and scripted events", Some(subtitle(data, "")), timeline);
        figure.legend = legend_for_kinds(&a.entries);
        figure.legend.extend(annotation_legend(&a).into_iter().filter(|e| e.swatch == Swatch::Shade));
        written.push(render(&figure, out, "run_events", options)?);
    }
    if let Some(frames) = &data.frames {
        written.extend(crate::frames::plot_frames(frames, &subtitle(data, ""), out, options)?);
    }
    Ok(written)
}

/// Draws a base run against a branch of it (a what-if fork): `compare_<group>` per group of metrics the
/// base recorded, the base's series solid and the branch's dashed in the same colour, with the branch's
/// scheduled and scripted events (its injects among them) as markers. Returns the files written.
pub fn plot_comparison(
    base: &RunData,
    branch: &RunData,
    out: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let unit = base.unit();
    let last = base.ticks().last().copied().unwrap_or(0.0).max(branch.ticks().last().copied().unwrap_or(0.0));
    let a = annotate(&branch.events, last, unit);
    let mut written = Vec::new();
    for g in groups(&base.timeseries, unit) {
        let mut p = panel(base, &g, &a);
        let other = panel(branch, &g, &a);
        for l in &mut p.lines {
            l.label = format!("{} (base)", l.label);
        }
        p.lines.extend(other.lines.into_iter().map(|mut l| {
            l.label = format!("{} (branch)", l.label);
            l.dashed = true;
            l
        }));
        let (x0, x1) = p.data_x_range();
        p.x_range = Some((x0, x1));
        let legend: Vec<LegendEntry> = p.lines.iter().map(Line::legend_entry).collect();
        let figure = Figure {
            title: format!("{}: base and branch", g.title),
            subtitle: Some(format!("base {} · branch {} (dashed)", subtitle(base, ""), subtitle(branch, ""))),
            legend: legend.into_iter().chain(annotation_legend(&a)).collect(),
            panels: vec![p],
            cols: 1,
        };
        written.push(render(&figure, out, &format!("compare_{}", g.stem), options)?);
    }
    Ok(written)
}

fn legend_for_kinds(entries: &[Entry]) -> Vec<LegendEntry> {
    let kinds = [
        (DROUGHT, "drought"),
        (CEASEFIRE, "ceasefires and relations"),
        (colour(1), "factions: coups, splits, defections, reinforcements"),
        (colour(5), "earthquakes"),
        (colour(0), "peacekeeping"),
        (GREY, "schedule: parameters and forces"),
    ];
    kinds
        .iter()
        .filter(|(c, _)| entries.iter().any(|e| e.colour == *c))
        .map(|(c, l)| LegendEntry::new(*l, *c, Swatch::Dot))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(tick: f64, kind: &str, value: f64, detail: &str) -> Event {
        Event { tick, kind: kind.into(), value, detail: detail.into() }
    }

    #[test]
    fn ramps_droughts_and_ceasefires() {
        let events = vec![
            ev(10.0, "parameter_change", 0.8, "rules.legitimacy"),
            ev(11.0, "parameter_change", 0.7, "rules.legitimacy"),
            ev(12.0, "parameter_change", 0.6, "rules.legitimacy"),
            ev(20.0, "drought_start", 0.6, "farmland"),
            ev(20.0, "drought_start", 0.6, "plains"),
            ev(30.0, "drought_end", 0.0, "farmland"),
            ev(40.0, "ceasefire_start", 0.0, "army/rebels"),
            ev(45.0, "ceasefire_broken", 0.0, "army/rebels"),
            ev(45.0, "coup", 0.5, "junta"),
        ];
        let a = annotate(&events, 100.0, "day");
        let labels: Vec<&str> = a.markers.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "rules.legitimacy: 0.8 to 0.6 (days 10-12)",
                "drought: farmland, plains",
                "ceasefire army/rebels",
                "ceasefire broken army/rebels; coup: junta"
            ]
        );
        assert_eq!(a.entries.len(), 5);
        let spans: Vec<(f64, f64)> = a.periods.iter().map(|p| (p.x0, p.x1)).collect();
        assert_eq!(spans, vec![(20.0, 30.0), (40.0, 45.0), (20.0, 100.0)]);
    }

    #[test]
    fn short_paths() {
        assert_eq!(short_path("peacekeeping.missions.unmid.troops"), "unmid.troops");
        assert_eq!(short_path("rules.legitimacy"), "rules.legitimacy");
    }
}
