//! `peacesim run`: one seeded simulation to timeseries.csv, events.csv and summary.json.

use crate::Failure;
use crate::output::AtomicFile;
use anyhow::{Context, anyhow};
use clap::Args;
use peacesim_batch::output::number;
use peacesim_core::Simulation;
use peacesim_scenario::{Override, ScenarioSource};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `peacesim run`.
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// A scenario file, or the name of a bundled scenario (see `peacesim scenarios`).
    scenario: String,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Ticks to run (default: the scenario's `ticks`).
    #[arg(long)]
    ticks: Option<u64>,
    /// Output directory (default: out/<scenario>-seed<N>); created if missing, files in it replaced.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a scenario value by its dotted key path, e.g. --set rules.legitimacy=0.7 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Run the scenario on a map K times wider and higher, with K^2 times the agents (densities kept).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    scale: u32,
    /// Also write the map every K ticks (and at the last tick) to DIR/frames/frames.jsonl, for
    /// `peacesim plot` map frames and GIFs.
    #[arg(long)]
    record_frames: bool,
    /// Also write a checkpoint of the whole run every K ticks to DIR/checkpoints/tick-NNNNNN.ckpt, to
    /// resume or fork from with `peacesim replay ... --from FILE`.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: Option<u64>,
    /// With --record-frames: record every K-th tick.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), requires = "record_frames")]
    frame_every: u64,
}

/// Outcome measures of one run, in summary.json.
#[derive(Serialize)]
struct Outcomes {
    peak_active: f64,
    peak_active_tick: u64,
    /// Episodes in which actives exceeded 50 (Epstein's outburst), counted on entry.
    outbursts: u64,
    total_activations: f64,
    total_arrests: f64,
    total_births: f64,
    /// Deaths of age (Model II); killings are in `final_metrics.killed`.
    total_deaths_of_age: f64,
    /// First tick at which some population had no living member (Model II), if any.
    extinction_tick: Option<u64>,
    /// Totals and peaks of the conflict layer, when the scenario has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    conflict: Option<ConflictOutcomes>,
    /// Totals of the peacekeeping layer, when the scenario has a mission.
    #[serde(skip_serializing_if = "Option::is_none")]
    peacekeeping: Option<PeacekeepingOutcomes>,
    /// Totals of the aid layer, when the scenario has agencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    aid: Option<AidOutcomes>,
}

/// Aid outcomes of one run: sums of the per-tick counts and the run-long figures at the end.
#[derive(Serialize, Default)]
struct AidOutcomes {
    total_aid_needed: f64,
    total_aid_duplicated: f64,
    total_convoys_dispatched: f64,
    total_convoys_delivered: f64,
    total_convoys_attacked: f64,
    total_convoys_escorted: f64,
    total_aid_worker_deaths: f64,
    /// Supplied (initial stocks included), delivered and looted over the run.
    aid_supplied: f64,
    aid_delivered: f64,
    aid_looted: f64,
    /// Mean days from depot to delivery.
    mean_delivery_time: f64,
}

/// The per-tick count columns that [`AidOutcomes`] sums, in field order.
const AID_TOTALS: [&str; 7] = [
    "aid_needed",
    "aid_duplicated",
    "convoys_dispatched",
    "convoys_delivered",
    "convoys_attacked",
    "convoys_escorted",
    "aid_worker_deaths",
];

/// Peacekeeping outcomes of one run: sums of the per-tick counts, and the run-long ratios at the end.
#[derive(Serialize, Default)]
struct PeacekeepingOutcomes {
    total_peacekeeper_deaths: f64,
    total_attacks_on_peacekeepers: f64,
    total_incidents: f64,
    total_incidents_reached: f64,
    total_civilians_protected: f64,
    total_ceasefire_violations_detected: f64,
    total_reports_received: f64,
    total_enforcement_actions: f64,
    /// Incidents reached / incidents.
    share_reached: f64,
    /// Mean days from incident to arrival, over the incidents reached.
    mean_response_time: f64,
    /// Share of incidents that happened in a district on alert.
    early_warning_hit_rate: f64,
    /// Mean trust in peacekeepers at the end.
    final_mean_trust: f64,
}

/// The per-tick count columns that [`PeacekeepingOutcomes`] sums, in field order.
const PEACEKEEPING_TOTALS: [&str; 8] = [
    "peacekeeper_deaths",
    "attacks_on_peacekeepers",
    "incidents",
    "incidents_reached",
    "civilians_protected",
    "ceasefire_violations_detected",
    "reports_received",
    "enforcement_actions",
];

/// Conflict-layer outcomes of one run: sums of the per-tick counts over every row, and the displacement peak.
#[derive(Serialize, Default)]
struct ConflictOutcomes {
    total_civilian_deaths: f64,
    total_combatant_deaths: f64,
    total_disaster_deaths: f64,
    total_recruits: f64,
    total_desertions: f64,
    total_allegiance_shifts: f64,
    total_flights: f64,
    total_returns: f64,
    peak_displaced: f64,
    peak_displaced_tick: u64,
}

/// The per-tick count columns that [`ConflictOutcomes`] sums, in field order.
const CONFLICT_TOTALS: [&str; 8] = [
    "civilian_deaths",
    "combatant_deaths",
    "disaster_deaths",
    "recruits",
    "desertions",
    "allegiance_shifts",
    "flights",
    "returns",
];

#[derive(Serialize)]
struct Summary<'a> {
    scenario: &'a str,
    scenario_source: String,
    scenario_fingerprint: String,
    seed: u64,
    ticks: u64,
    peacesim_version: &'a str,
    overrides: &'a [String],
    /// The `--scale` factor the scenario ran at (1: as written).
    scale: u32,
    final_state_hash: String,
    final_metrics: BTreeMap<&'a str, f64>,
    outcomes: Outcomes,
    /// A what-if branch: its inject and the tick it was forked at.
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<Branch>,
}

/// Runs `peacesim run`.
pub(crate) fn run(args: &RunArgs) -> Result<(), Failure> {
    let overrides = args.set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let (scenario, source) = peacesim_scenario::load(&args.scenario, &overrides)?;
    let scenario = scenario.scaled(args.scale);
    let seed = args.seed.unwrap_or(scenario.seed);
    let ticks = args.ticks.unwrap_or(scenario.ticks);
    let mut sim = Simulation::new(&scenario, seed).map_err(|e| Failure::Input(e.into()))?;
    let suffix = if args.scale > 1 { format!("-x{}", args.scale) } else { String::new() };
    let out =
        args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(format!("{}-seed{seed}{suffix}", scenario.name)));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create {}", out.display()))
        .map_err(Failure::Runtime)?;
    let meta = RunMeta {
        overrides: args.set.clone(),
        scale: args.scale,
        frame_every: args.record_frames.then_some(args.frame_every),
        checkpoint_every: args.checkpoint_every,
        prefix: None,
        branch: None,
    };
    write_run(&mut sim, ticks, &out, &scenario, &source, &meta).map_err(Failure::Runtime)
}

/// What a run's files record besides the simulation itself.
pub(crate) struct RunMeta {
    /// The `--set` overrides, as given.
    pub(crate) overrides: Vec<String>,
    /// The `--scale` factor.
    pub(crate) scale: u32,
    /// Record frames every K ticks, or not at all.
    pub(crate) frame_every: Option<u64>,
    /// Write a checkpoint every K ticks, or not at all.
    pub(crate) checkpoint_every: Option<u64>,
    /// For a branch forked from a checkpoint: its base's rows and events before the fork.
    pub(crate) prefix: Option<Prefix>,
    /// For a branch: the inject file and the tick it was forked at, recorded in summary.json.
    pub(crate) branch: Option<Branch>,
}

/// The rows of a base run before the tick a branch forks from it.
pub(crate) struct Prefix {
    /// timeseries.csv rows (ticks before the fork), as written.
    pub(crate) timeseries: Vec<csv::StringRecord>,
    /// The same rows as numbers (without the tick), for the summary's totals and peaks.
    pub(crate) values: Vec<Vec<f64>>,
    /// events.csv rows of those ticks, as written.
    pub(crate) events: Vec<csv::StringRecord>,
    /// Map frames of those ticks (lines of frames/frames.jsonl), if the base recorded any.
    pub(crate) frames: Vec<String>,
}

/// What summary.json records of a branch.
#[derive(Serialize, Clone)]
pub(crate) struct Branch {
    /// The inject file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inject: Option<String>,
    /// The tick of the checkpoint it was forked from (0: replayed from the start).
    pub(crate) forked_at: u64,
}

/// Where checkpoints go inside a run directory.
pub(crate) const CHECKPOINTS_DIR: &str = "checkpoints";

/// The file name of the checkpoint at tick `t`.
pub(crate) fn checkpoint_name(t: u64) -> String {
    format!("tick-{t:06}.ckpt")
}

/// Where frames go inside a run directory.
const FRAMES_DIR: &str = "frames";
/// The file of recorded frames: one JSON [`peacesim_core::frames::Frame`] per line.
const FRAMES_FILE: &str = "frames.jsonl";

/// Runs `sim` to `ticks`, writing timeseries.csv, events.csv, summary.json (and frames) into `out`.
pub(crate) fn write_run(
    sim: &mut Simulation,
    ticks: u64,
    out: &std::path::Path,
    scenario: &peacesim_scenario::Scenario,
    source: &ScenarioSource,
    meta: &RunMeta,
) -> anyhow::Result<()> {
    let (overrides, scale, frame_every) = (&meta.overrides[..], meta.scale, meta.frame_every);
    let names: Vec<String> = sim.metric_names().to_vec();
    let column = |name: &str| names.iter().position(|n| n == name);
    let (active_col, groups) = (
        column("active").ok_or_else(|| anyhow!("no `active` metric"))?,
        sim.params().populations.keys().cloned().collect::<Vec<_>>(),
    );
    let alive_cols: Vec<usize> =
        if groups.len() > 1 { groups.iter().filter_map(|g| column(&format!("alive_{g}"))).collect() } else { vec![] };

    let mut timeseries = AtomicFile::create(out, "timeseries.csv")?;
    let mut events = AtomicFile::create(out, "events.csv")?;
    let mut ts = csv::Writer::from_writer(timeseries.writer());
    let mut ev = csv::Writer::from_writer(events.writer());
    ts.write_record(std::iter::once("tick").chain(names.iter().map(String::as_str)))?;
    ev.write_record(["tick", "kind", "x", "y", "actor", "target", "value", "detail"])?;

    let mut totals = [0.0f64; 4];
    let total_cols = ["activations", "arrests", "births", "deaths"].map(column);
    let (mut peak, mut peak_tick, mut outbursts, mut in_outburst, mut extinction) = (f64::MIN, 0, 0, false, None);
    let conflict_cols: Option<Vec<usize>> = CONFLICT_TOTALS.iter().map(|m| column(m)).collect();
    let displaced_col = column("displaced");
    let mut conflict_totals = [0.0f64; 8];
    let pk_cols: Option<Vec<usize>> = PEACEKEEPING_TOTALS.iter().map(|m| column(m)).collect();
    let mut pk_totals = [0.0f64; 8];
    let aid_cols: Option<Vec<usize>> = AID_TOTALS.iter().map(|m| column(m)).collect();
    let mut aid_totals = [0.0f64; 7];
    let (mut peak_displaced, mut peak_displaced_tick) = (0.0f64, 0u64);
    let mut frames = match frame_every {
        Some(_) => {
            let dir = out.join(FRAMES_DIR);
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            Some(AtomicFile::create(&dir, FRAMES_FILE)?)
        }
        None => None,
    };
    // Totals, peaks and episodes over every row, the prefix's included.
    let mut account = |t: u64, values: &[f64]| {
        let active = values[active_col];
        if active > peak {
            (peak, peak_tick) = (active, t);
        }
        if active > 50.0 && !in_outburst {
            outbursts += 1;
        }
        in_outburst = active > 50.0;
        for (total, col) in totals.iter_mut().zip(total_cols) {
            *total += col.map_or(0.0, |c| values[c]);
        }
        if let Some(cols) = &conflict_cols {
            for (total, &c) in conflict_totals.iter_mut().zip(cols) {
                *total += values[c];
            }
        }
        if let Some(cols) = &aid_cols {
            for (total, &c) in aid_totals.iter_mut().zip(cols) {
                *total += values[c];
            }
        }
        if let Some(cols) = &pk_cols {
            for (total, &c) in pk_totals.iter_mut().zip(cols) {
                *total += values[c];
            }
        }
        if let Some(c) = displaced_col
            && values[c] > peak_displaced
        {
            (peak_displaced, peak_displaced_tick) = (values[c], t);
        }
        if extinction.is_none() && alive_cols.iter().any(|&c| values[c] == 0.0) {
            extinction = Some(t);
        }
    };
    let mut row = Vec::with_capacity(names.len() + 1);
    // A branch forked from a checkpoint starts with its base's rows and events before the checkpoint.
    let start = sim.tick();
    if let Some(prefix) = &meta.prefix {
        for (record, values) in prefix.timeseries.iter().zip(&prefix.values) {
            ts.write_record(record)?;
            let t = record.get(0).and_then(|t| t.parse().ok()).unwrap_or(0);
            account(t, values);
        }
        for record in &prefix.events {
            ev.write_record(record)?;
        }
        if let Some(file) = frames.as_mut() {
            for line in &prefix.frames {
                file.writer().write_all(line.as_bytes())?;
                file.writer().write_all(b"\n")?;
            }
        }
    }
    let checkpoints = match meta.checkpoint_every {
        Some(_) => {
            let dir = out.join(CHECKPOINTS_DIR);
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            Some(dir)
        }
        None => None,
    };
    // Plain progress lines in logs only for long runs (roughly 50 million agent-steps, several seconds).
    let long = ticks.saturating_mul(sim.agent_count() as u64) > 50_000_000;
    let progress = crate::progress::Progress::new("run", "ticks", ticks, long);
    for t in start..=ticks {
        if t > start {
            sim.step();
            progress.update(t, ticks);
        }
        if let (Some(dir), Some(every)) = (&checkpoints, meta.checkpoint_every)
            && t > 0
            && t % every == 0
        {
            let mut file = AtomicFile::create(dir, &checkpoint_name(t))?;
            file.writer().write_all(&sim.snapshot())?;
            file.commit()?;
        }
        if let (Some(file), Some(every)) = (frames.as_mut(), frame_every)
            && (t % every == 0 || t == ticks)
        {
            serde_json::to_writer(file.writer(), &sim.frame())?;
            file.writer().write_all(b"\n")?;
        }
        let values = sim.metrics();
        row.clear();
        row.push(t.to_string());
        row.extend(values.iter().map(|&v| number(v)));
        ts.write_record(&row)?;
        for e in sim.events() {
            let opt = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
            ev.write_record([
                e.tick.to_string(),
                e.kind.as_str().to_owned(),
                e.x.map(|v| v.to_string()).unwrap_or_default(),
                e.y.map(|v| v.to_string()).unwrap_or_default(),
                opt(e.actor),
                opt(e.target),
                number(e.value),
                e.detail.clone(),
            ])?;
        }
        account(t, values);
    }
    progress.finish();
    ts.flush()?;
    ev.flush()?;
    drop(ts);
    drop(ev);
    let final_metrics: BTreeMap<&str, f64> =
        names.iter().map(String::as_str).zip(sim.metrics().iter().copied()).collect();
    let last = |name: &str| final_metrics.get(name).copied().unwrap_or(0.0);
    let peacekeeping = pk_cols.map(|_| {
        let [deaths, attacks, incidents, reached, protected, detected, reports, enforcement] = pk_totals;
        PeacekeepingOutcomes {
            total_peacekeeper_deaths: deaths,
            total_attacks_on_peacekeepers: attacks,
            total_incidents: incidents,
            total_incidents_reached: reached,
            total_civilians_protected: protected,
            total_ceasefire_violations_detected: detected,
            total_reports_received: reports,
            total_enforcement_actions: enforcement,
            share_reached: if incidents > 0.0 { reached / incidents } else { 0.0 },
            mean_response_time: last("mean_response_time"),
            early_warning_hit_rate: last("early_warning_hit_rate"),
            final_mean_trust: last("mean_trust"),
        }
    });
    let aid = aid_cols.map(|_| {
        let [needed, duplicated, dispatched, delivered, attacked, escorted, workers] = aid_totals;
        AidOutcomes {
            total_aid_needed: needed,
            total_aid_duplicated: duplicated,
            total_convoys_dispatched: dispatched,
            total_convoys_delivered: delivered,
            total_convoys_attacked: attacked,
            total_convoys_escorted: escorted,
            total_aid_worker_deaths: workers,
            aid_supplied: last("aid_supplied_total"),
            aid_delivered: last("aid_delivered_total"),
            aid_looted: last("aid_looted_total"),
            mean_delivery_time: last("mean_delivery_time"),
        }
    });
    let summary = Summary {
        scenario: &scenario.name,
        scenario_source: match source {
            ScenarioSource::File(p) => p.display().to_string(),
            ScenarioSource::Bundled(name) => format!("bundled:{name}"),
        },
        scenario_fingerprint: format!("{:016x}", scenario.fingerprint()),
        seed: sim.seed(),
        ticks,
        peacesim_version: peacesim_core::VERSION,
        overrides,
        scale,
        final_state_hash: format!("{:016x}", sim.state_hash()),
        final_metrics,
        outcomes: Outcomes {
            peak_active: peak,
            peak_active_tick: peak_tick,
            outbursts,
            total_activations: totals[0],
            total_arrests: totals[1],
            total_births: totals[2],
            total_deaths_of_age: totals[3],
            extinction_tick: extinction,
            conflict: conflict_cols.map(|_| {
                let [civ, comb, dis, rec, des, shifts, flights, returns] = conflict_totals;
                ConflictOutcomes {
                    total_civilian_deaths: civ,
                    total_combatant_deaths: comb,
                    total_disaster_deaths: dis,
                    total_recruits: rec,
                    total_desertions: des,
                    total_allegiance_shifts: shifts,
                    total_flights: flights,
                    total_returns: returns,
                    peak_displaced,
                    peak_displaced_tick,
                }
            }),
            peacekeeping,
            aid,
        },
        branch: meta.branch.clone(),
    };
    let mut summary_file = AtomicFile::create(out, "summary.json")?;
    serde_json::to_writer_pretty(summary_file.writer(), &summary)?;
    summary_file.writer().write_all(b"\n")?;
    let mut paths = vec![timeseries.commit()?, events.commit()?, summary_file.commit()?];
    match frames {
        Some(file) => paths.push(file.commit()?),
        None => {
            // Frames of an earlier run into the same directory would not match these outputs.
            let stale = out.join(FRAMES_DIR).join(FRAMES_FILE);
            if stale.is_file() {
                std::fs::remove_file(&stale).with_context(|| format!("cannot remove stale {}", stale.display()))?;
            }
        }
    }
    say!(
        "{} seed {} ran {ticks} ticks: peak {peak} actives at tick {peak_tick}, {outbursts} outburst(s)",
        scenario.name,
        sim.seed()
    );
    for p in paths {
        say!("wrote {}", p.display());
    }
    Ok(())
}
