//! `peacesim replay`: a seeded run again, tick by tick. From a run directory it replays the recorded run (its
//! scenario, seed, overrides and scale, from summary.json) and checks that it ends in the recorded state; from
//! a scenario it runs it with the given seed. `--until T` stops at tick T and prints the map and a status
//! panel; `--out DIR` writes the replay's files, byte for byte those of `peacesim run`. Without either, on a
//! terminal, it opens the full-screen viewer (`viewer.rs`).

use crate::Failure;
use crate::run::{Branch, Prefix, RunMeta, write_run};
use anyhow::{Context, anyhow};
use clap::Args;
use peacesim_core::Simulation;
use peacesim_scenario::{Override, Scenario, ScenarioSource};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Arguments of `peacesim replay`.
#[derive(Args, Debug)]
pub(crate) struct ReplayArgs {
    /// A run directory written by `peacesim run` (replayed exactly as recorded), or a scenario file or
    /// bundled scenario name.
    source: String,
    /// Seed, with a scenario (default: the scenario's `seed`); a run directory has its own.
    #[arg(long)]
    seed: Option<u64>,
    /// Ticks, with a scenario (default: the scenario's `ticks`); a run directory has its own.
    #[arg(long)]
    ticks: Option<u64>,
    /// Override a scenario value, with a scenario (repeatable); a run directory has its own.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Scale, with a scenario; a run directory has its own.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    scale: Option<u32>,
    /// Stop at tick T and print the map, its legend and the status panel.
    #[arg(long, value_name = "T", conflicts_with = "out")]
    until: Option<u64>,
    /// Write the replay's timeseries.csv, events.csv and summary.json to DIR (as `peacesim run` would).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from this checkpoint (written by `peacesim run --checkpoint-every K`) instead of from the start.
    #[arg(long, value_name = "CHECKPOINT")]
    from: Option<PathBuf>,
    /// Apply this what-if inject (a file of [[events]] and [[schedule]] entries, after the fork's tick) on top.
    #[arg(long, value_name = "FILE")]
    inject: Option<PathBuf>,
    /// With --out: also record the map every K ticks (--frame-every) to DIR/frames/frames.jsonl (a branch
    /// starts with its base's frames before the fork).
    #[arg(long, requires = "out")]
    record_frames: bool,
    /// With --record-frames: record every K-th tick.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), requires = "record_frames")]
    frame_every: u64,
    /// With --until: also describe these peacekeeping units (1 is the first on the map; repeatable), as the
    /// viewer's `u` key does.
    #[arg(long = "unit", value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    units: Vec<u32>,
    /// With --until: also describe these districts (by name; repeatable), as the viewer's `d` key does.
    #[arg(long = "district", value_name = "NAME")]
    districts: Vec<String>,
    /// On a terminal, print the last tick instead of opening the full-screen viewer.
    #[arg(long)]
    no_viewer: bool,
    /// Colour the map's ground by the faction in control: auto (on a terminal), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    colour: String,
}

/// What a replay replays.
struct Replay {
    scenario: Scenario,
    source: ScenarioSource,
    seed: u64,
    ticks: u64,
    meta: RunMeta,
    /// The final state hash summary.json recorded, when replaying a run directory.
    recorded_hash: Option<String>,
    /// The run directory replayed, if any.
    run_dir: Option<PathBuf>,
}

/// Runs `peacesim replay`.
pub(crate) fn replay(args: &ReplayArgs) -> Result<(), Failure> {
    let mut r = resolve(args)?;
    let mut sim = match &args.from {
        Some(path) => restore(path, &mut r, args.seed)?,
        None => Simulation::new(&r.scenario, r.seed).map_err(|e| Failure::Input(e.into()))?,
    };
    let forked_at = sim.tick();
    if let Some(path) = &args.inject {
        let bytes = std::fs::read(path)
            .map_err(|e| Failure::Input(anyhow!("{}: cannot read the inject: {e}", path.display())))?;
        let name = path.display().to_string();
        let inject = peacesim_scenario::inject::load_inject(&bytes, &name, &r.scenario, forked_at)?;
        sim.inject(&inject).map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    }
    let branch = args.from.is_some() || args.inject.is_some();
    if forked_at > r.ticks {
        return Err(Failure::Input(anyhow!(
            "the checkpoint is at tick {forked_at}, beyond the run's {} ticks",
            r.ticks
        )));
    }
    if let Some(out) = &args.out {
        r.meta.frame_every = args.record_frames.then_some(args.frame_every);
        if branch {
            r.meta.branch = Some(Branch { inject: args.inject.as_ref().map(|p| p.display().to_string()), forked_at });
            if let Some(dir) = r.run_dir.clone().filter(|_| forked_at > 0) {
                r.meta.prefix = Some(prefix(&dir, forked_at)?);
            }
        }
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot create {}", out.display()))
            .map_err(Failure::Runtime)?;
        write_run(&mut sim, r.ticks, out, &r.scenario, &r.source, &r.meta).map_err(Failure::Runtime)?;
        return if args.inject.is_some() { Ok(()) } else { check_hash(&mut sim, &r) };
    }
    if args.until.is_none()
        && !branch
        && !args.no_viewer
        && std::io::stdout().is_terminal()
        && std::io::stdin().is_terminal()
    {
        return crate::viewer::view(&r.scenario, r.seed, r.ticks).map_err(Failure::Runtime);
    }
    let until = args.until.unwrap_or(r.ticks);
    if until > r.ticks {
        return Err(Failure::Input(anyhow!("--until {until} is beyond the run's {} ticks", r.ticks)));
    }
    if until < forked_at {
        return Err(Failure::Input(anyhow!("--until {until} is before the checkpoint's tick {forked_at}")));
    }
    sim.run(until - forked_at);
    let colour = match args.colour.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal(),
    };
    // Districts named by --district, checked before anything is printed.
    let names =
        sim.world().resource::<peacesim_core::Params>().map.as_ref().map(|m| m.districts.clone()).unwrap_or_default();
    let districts = args
        .districts
        .iter()
        .map(|name| {
            names.iter().position(|d| d == name).ok_or_else(|| {
                Failure::Input(anyhow!("--district {name}: no such district; districts: {}", names.join(", ")))
            })
        })
        .collect::<Result<Vec<usize>, Failure>>()?;
    let frame = sim.frame();
    let unit = if frame.factions.is_empty() { "tick" } else { "day" };
    say!("{} seed {} at {unit} {until} of {}", r.scenario.name, r.seed, r.ticks);
    print!("{}", crate::textmap::map(&frame, colour));
    say!("{}", crate::textmap::legend(&frame));
    print!("{}", crate::textmap::status(&frame, &|m: &str| sim.metric(m)));
    for &k in &args.units {
        say!("{}", crate::textmap::unit(&sim, &frame, k as usize - 1));
    }
    for &d in &districts {
        say!("{}", crate::textmap::district(&sim, &frame, d));
    }
    if until == r.ticks && args.inject.is_none() {
        check_hash(&mut sim, &r)?;
    }
    Ok(())
}

/// At the end of a replayed run directory, the state must be the recorded one.
fn check_hash(sim: &mut Simulation, r: &Replay) -> Result<(), Failure> {
    let Some(recorded) = &r.recorded_hash else { return Ok(()) };
    let hash = format!("{:016x}", sim.state_hash());
    if &hash == recorded {
        say!("the replay ends in the recorded state (final state hash {hash})");
        Ok(())
    } else {
        Err(Failure::Runtime(anyhow!(
            "the replay ends in state {hash}, the recorded run in {recorded}: a different build or scenario file"
        )))
    }
}

fn resolve(args: &ReplayArgs) -> Result<Replay, Failure> {
    let dir = Path::new(&args.source);
    if dir.is_dir() {
        if args.seed.is_some() || args.ticks.is_some() || !args.set.is_empty() || args.scale.is_some() {
            return Err(Failure::Input(anyhow!(
                "{}: a run directory is replayed as recorded; --seed, --ticks, --set and --scale apply to scenarios",
                dir.display()
            )));
        }
        return from_run_dir(dir);
    }
    let overrides = args.set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let (scenario, source) = peacesim_scenario::load(&args.source, &overrides)?;
    let scale = args.scale.unwrap_or(1);
    let scenario = scenario.scaled(scale);
    Ok(Replay {
        seed: args.seed.unwrap_or(scenario.seed),
        ticks: args.ticks.unwrap_or(scenario.ticks),
        scenario,
        source,
        meta: RunMeta {
            overrides: args.set.clone(),
            scale,
            frame_every: None,
            checkpoint_every: None,
            prefix: None,
            branch: None,
        },
        run_dir: None,
        recorded_hash: None,
    })
}

/// Reads what summary.json recorded of a run: the scenario's source, seed, ticks, overrides and scale.
fn from_run_dir(dir: &Path) -> Result<Replay, Failure> {
    let path = dir.join("summary.json");
    let input = |message: String| Failure::Input(anyhow!("{}: {message}", path.display()));
    let text = std::fs::read_to_string(&path).map_err(|e| input(format!("cannot read: {e}")))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| input(format!("not valid JSON: {e}")))?;
    let field = |key: &str| v.get(key).ok_or_else(|| input(format!("no key `{key}`")));
    let source = field("scenario_source")?.as_str().ok_or_else(|| input("key `scenario_source`: not text".into()))?;
    let seed = field("seed")?.as_u64().ok_or_else(|| input("key `seed`: not a whole number".into()))?;
    let ticks = field("ticks")?.as_u64().ok_or_else(|| input("key `ticks`: not a whole number".into()))?;
    let scale = v.get("scale").and_then(serde_json::Value::as_u64).unwrap_or(1);
    let scale = u32::try_from(scale).map_err(|_| input(format!("key `scale`: {scale} is too large")))?;
    let overrides: Vec<String> = match v.get("overrides") {
        None => Vec::new(),
        Some(list) => list
            .as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| input("key `overrides`: not a list of text".into()))?,
    };
    let recorded_hash = v.get("final_state_hash").and_then(serde_json::Value::as_str).map(str::to_owned);
    let spec = source.strip_prefix("bundled:").unwrap_or(source);
    let parsed = overrides.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let (scenario, source) = peacesim_scenario::load(spec, &parsed)?;
    Ok(Replay {
        scenario: scenario.scaled(scale),
        source,
        seed,
        ticks,
        meta: RunMeta { overrides, scale, frame_every: None, checkpoint_every: None, prefix: None, branch: None },
        run_dir: Some(dir.to_path_buf()),
        recorded_hash,
    })
}

/// Restores the checkpoint at `path` for the replay's scenario; its seed must be the run's (or, for a
/// scenario given without --seed, becomes it).
fn restore(path: &Path, r: &mut Replay, seed_flag: Option<u64>) -> Result<Simulation, Failure> {
    let input = |message: String| Failure::Input(anyhow!("{}: {message}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| input(format!("cannot read: {e}")))?;
    let (header, _) = peacesim_core::checkpoint::read_header(&bytes).map_err(|e| input(e.to_string()))?;
    if r.run_dir.is_some() || seed_flag.is_some() {
        if header.seed != r.seed {
            return Err(input(format!("a checkpoint of seed {}, not of the run's seed {}", header.seed, r.seed)));
        }
    } else {
        r.seed = header.seed;
    }
    Simulation::restore(&r.scenario, &bytes).map_err(|e| input(e.to_string()))
}

/// The base run's timeseries and events before tick `before`, for a branch that forks there.
fn prefix(dir: &Path, before: u64) -> Result<Prefix, Failure> {
    let read = |name: &str| -> Result<Vec<csv::StringRecord>, Failure> {
        let path = dir.join(name);
        let input = |e: &dyn std::fmt::Display| Failure::Input(anyhow!("{}: {e}", path.display()));
        let mut reader = csv::Reader::from_path(&path).map_err(|e| input(&e))?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| input(&e))?;
            let tick: u64 = record.get(0).and_then(|t| t.parse().ok()).ok_or_else(|| input(&"a row without a tick"))?;
            if tick < before {
                rows.push(record);
            }
        }
        Ok(rows)
    };
    let timeseries = read("timeseries.csv")?;
    // The base's map frames before the fork, when it recorded them.
    let frames_path = dir.join("frames/frames.jsonl");
    let frames = match std::fs::read_to_string(&frames_path) {
        Ok(text) => text
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v["tick"].as_u64())
                    .is_some_and(|t| t < before)
            })
            .map(str::to_owned)
            .collect(),
        Err(_) => Vec::new(),
    };
    let values = timeseries.iter().map(|r| r.iter().skip(1).map(|v| v.parse().unwrap_or(f64::NAN)).collect()).collect();
    Ok(Prefix { timeseries, values, events: read("events.csv")?, frames })
}
