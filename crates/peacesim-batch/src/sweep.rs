//! Executing a plan: rayon across runs, one `Simulation` per run, rows streamed to CSV in run-id order,
//! a manifest after every batch of runs, resume after a crash or kill, and shards of a plan.

use crate::output::{number, replace_file, value_cell};
use crate::plan::{Plan, RunSpec};
use crate::summary::{write_sensitivity, write_summary};
use peacesim_core::Simulation;
use peacesim_scenario::experiment::Statistic;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Why a sweep or merge could not go on.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Bad input (a flag, an experiment, an output directory in the way): exit code 2.
    #[error("{0}")]
    Input(String),
    /// A failure while running or writing: exit code 1.
    #[error("{0}")]
    Runtime(String),
}

fn io(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> BatchError {
    move |e| BatchError::Runtime(format!("{context}: {e}"))
}

/// One shard of a plan: runs whose id modulo `count` is `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based shard index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(spec: &str) -> Result<Shard, BatchError> {
        let bad = || BatchError::Input(format!("--shard {spec}: expected I/N with 0 <= I < N (e.g. 0/4)"));
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// A run that failed, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRun {
    /// The run.
    pub run_id: u64,
    /// What went wrong (an error, or a panic's message).
    pub message: String,
}

/// manifest.json: what a sweep directory holds. It carries no times or thread counts, so complete sweeps of
/// one plan have identical manifests however they were run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Fingerprint of the experiment, its scenario and its design points (hex).
    pub experiment_fingerprint: String,
    /// The experiment file's name (without its directory, so the manifest does not depend on where it ran).
    pub experiment: String,
    /// peacesim's version.
    pub peacesim_version: String,
    /// Runs in the whole plan.
    pub plan_size: u64,
    /// Replicates per design point.
    pub replicates: u32,
    /// The design kind (`grid`, `lhs`, `sobol`, `table`).
    pub design: String,
    /// The master seed.
    pub master_seed: u64,
    /// Bootstrap resamples for Sobol intervals.
    pub bootstrap: u32,
    /// Varied parameter paths (runs.csv columns after `seed`).
    pub parameters: Vec<String>,
    /// Outcome columns (runs.csv's last columns).
    pub outcomes: Vec<String>,
    /// The shard this directory holds, if it is one.
    pub shard: Option<Shard>,
    /// Runs this directory is responsible for.
    pub runs_in_scope: u64,
    /// Runs with a row in runs.csv.
    pub completed_runs: u64,
    /// Runs that failed (their rows have empty outcomes).
    pub failed: Vec<FailedRun>,
    /// `running`, `interrupted`, `complete` or `complete_with_failures`.
    pub status: String,
}

impl Manifest {
    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Manifest, BatchError> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| BatchError::Input(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| BatchError::Input(format!("{}: not a peacesim manifest: {e}", path.display())))
    }

    /// Writes `dir/manifest.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), BatchError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| BatchError::Runtime(e.to_string()))?;
        bytes.push(b'\n');
        replace_file(&dir.join("manifest.json"), &bytes).map_err(io(format!("writing {}/manifest.json", dir.display())))
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The run.
    pub spec: RunSpec,
    /// Outcome values, or why the run failed.
    pub outcomes: Result<Vec<f64>, String>,
    /// Its timeseries.csv lines.
    pub timeseries: Vec<u8>,
}

/// Runs one simulation of the plan and computes its outcome measures. A panic is caught and reported as a
/// failed run.
pub fn execute(plan: &Plan, run_id: u64) -> RunResult {
    let spec = plan.run(run_id);
    let mut timeseries = Vec::new();
    let outcomes =
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| simulate(plan, &spec, &mut timeseries))) {
            Ok(result) => result,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                Err(format!("panic: {message}"))
            }
        };
    // A failed run (error or panic) leaves no partial timeseries rows.
    if outcomes.is_err() {
        timeseries.clear();
    }
    RunResult { spec, outcomes, timeseries }
}

fn simulate(plan: &Plan, spec: &RunSpec, timeseries: &mut Vec<u8>) -> Result<Vec<f64>, String> {
    let scenario = plan.scenario(spec.point_id).map_err(|e| e.to_string())?;
    let mut sim = Simulation::new(&scenario, spec.seed).map_err(|e| e.to_string())?;
    sim.set_event_recording(false);
    let columns: Vec<usize> =
        plan.outcomes.iter().map(|o| plan.metric_names.iter().position(|n| *n == o.metric).unwrap_or(0)).collect();
    let n = columns.len();
    let (mut total, mut sum) = (vec![0.0; n], vec![0.0; n]);
    let (mut peak, mut peak_tick) = (vec![f64::NEG_INFINITY; n], vec![0u64; n]);
    for t in 0..=plan.ticks {
        if t > 0 {
            sim.step();
        }
        let m = sim.metrics();
        for (k, &c) in columns.iter().enumerate() {
            let v = m[c];
            if t > 0 {
                total[k] += v;
            }
            sum[k] += v;
            if v > peak[k] {
                (peak[k], peak_tick[k]) = (v, t);
            }
        }
        if let Some((metrics, every)) = &plan.timeseries
            && (t % every == 0 || t == plan.ticks)
        {
            let _ = write!(timeseries, "{},{t}", spec.run_id);
            for &c in metrics {
                let _ = write!(timeseries, ",{}", number(m[c]));
            }
            timeseries.push(b'\n');
        }
    }
    let last = sim.metrics().to_vec();
    Ok(plan
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, o)| match o.statistic {
            Statistic::Final => last[columns[k]],
            Statistic::Total => total[k],
            Statistic::Peak => peak[k],
            Statistic::Mean => sum[k] / (plan.ticks + 1) as f64,
            Statistic::PeakTick => peak_tick[k] as f64,
        })
        .collect())
}

/// The runs.csv header of a plan.
pub fn runs_header(plan: &Plan) -> String {
    let mut cols: Vec<String> = ["run_id", "point_id", "replicate", "seed"].iter().map(|s| (*s).to_owned()).collect();
    cols.extend(plan.parameters.iter().cloned());
    cols.extend(plan.outcomes.iter().map(|o| o.column()));
    csv_line(&cols)
}

/// The timeseries.csv header of a plan, if it records one.
pub fn timeseries_header(plan: &Plan) -> Option<String> {
    plan.timeseries.as_ref().map(|(metrics, _)| {
        let mut cols = vec!["run_id".to_owned(), "tick".to_owned()];
        cols.extend(metrics.iter().map(|&c| plan.metric_names.get(c).cloned().unwrap_or_default()));
        csv_line(&cols)
    })
}

fn csv_line(cells: &[String]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = w.write_record(cells);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn runs_row(plan: &Plan, r: &RunResult) -> String {
    let mut cells = vec![
        r.spec.run_id.to_string(),
        r.spec.point_id.to_string(),
        r.spec.replicate.to_string(),
        r.spec.seed.to_string(),
    ];
    cells.extend(plan.points[r.spec.point_id as usize].iter().map(value_cell));
    match &r.outcomes {
        Ok(values) => cells.extend(values.iter().map(|&v| number(v))),
        Err(_) => cells.extend(std::iter::repeat_n(String::new(), plan.outcomes.len())),
    }
    csv_line(&cells)
}

/// How to run a sweep.
pub struct SweepOptions<'a> {
    /// Output directory.
    pub out: PathBuf,
    /// Worker threads.
    pub threads: usize,
    /// Only this shard's runs.
    pub shard: Option<Shard>,
    /// Continue an interrupted sweep in `out`.
    pub resume: bool,
    /// Called after each batch with (runs done, runs in scope).
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
    /// Set (e.g. by a SIGTERM handler) to stop after the current batch.
    pub stop: &'a AtomicBool,
}

/// How a sweep ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepEnd {
    /// Every run in scope has a row; `failed` runs have empty outcomes.
    Complete {
        /// Failed runs.
        failed: usize,
    },
    /// Stopped early on request; `--resume` continues.
    Interrupted {
        /// Runs done.
        done: u64,
    },
}

fn manifest_for(plan: &Plan, shard: Option<Shard>, in_scope: u64) -> Manifest {
    Manifest {
        experiment_fingerprint: format!("{:016x}", plan.fingerprint),
        experiment: Path::new(&plan.source)
            .file_name()
            .map_or_else(|| plan.source.clone(), |n| n.to_string_lossy().into_owned()),
        peacesim_version: peacesim_core::VERSION.to_owned(),
        plan_size: plan.len(),
        replicates: plan.experiment.replicates,
        design: format!("{:?}", plan.experiment.design.kind).to_lowercase(),
        master_seed: plan.experiment.master_seed,
        bootstrap: plan.experiment.design.bootstrap.unwrap_or(200),
        parameters: plan.parameters.clone(),
        outcomes: plan.outcomes.iter().map(|o| o.column()).collect(),
        shard,
        runs_in_scope: in_scope,
        completed_runs: 0,
        failed: Vec::new(),
        status: "running".to_owned(),
    }
}

/// Keeps the complete lines of `path` (those ending in a newline, with a first field accepted by `keep`),
/// truncating the file after the last one kept; returns the first fields of the kept data lines.
fn trim_to_complete(path: &Path, header: &str, keep: impl Fn(u64) -> bool) -> Result<Vec<u64>, BatchError> {
    let bytes = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
    if !bytes.starts_with(header.as_bytes()) {
        return Err(BatchError::Input(format!("{}: its header differs from this experiment's", path.display())));
    }
    let mut end = header.len();
    let mut ids = Vec::new();
    for line in bytes[header.len()..].split_inclusive(|&b| b == b'\n') {
        if !line.ends_with(b"\n") {
            break;
        }
        let first = line
            .split(|&b| b == b',')
            .next()
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|f| f.parse::<u64>().ok());
        match first {
            Some(id) if keep(id) => {
                ids.push(id);
                end += line.len();
            }
            _ => break,
        }
    }
    let file = OpenOptions::new().write(true).open(path).map_err(io(format!("opening {}", path.display())))?;
    file.set_len(end as u64).map_err(io(format!("truncating {}", path.display())))?;
    Ok(ids)
}

/// Runs (or resumes) a sweep. Input problems are reported before anything is written.
pub fn sweep(plan: &Plan, opts: &SweepOptions<'_>) -> Result<SweepEnd, BatchError> {
    let shard = opts.shard;
    let scope: Vec<u64> = match shard {
        Some(s) => (s.index..plan.len()).step_by(s.count as usize).collect(),
        None => (0..plan.len()).collect(),
    };
    let out = &opts.out;
    let runs_path = out.join("runs.csv");
    let ts_path = out.join("timeseries.csv");
    let header = runs_header(plan);
    let ts_header = timeseries_header(plan);
    let mut manifest = manifest_for(plan, shard, scope.len() as u64);

    let existing = out.join("manifest.json").exists() || runs_path.exists();
    let mut done = 0usize;
    if opts.resume && existing {
        let previous = Manifest::read(out)?;
        if previous.experiment_fingerprint != manifest.experiment_fingerprint {
            return Err(BatchError::Input(format!(
                "{}: the experiment changed since this sweep started (fingerprint {} now {}); start a new --out",
                out.display(),
                previous.experiment_fingerprint,
                manifest.experiment_fingerprint
            )));
        }
        if previous.shard != shard {
            let show =
                |s: Option<Shard>| s.map_or("the whole plan".to_owned(), |s| format!("shard {}/{}", s.index, s.count));
            return Err(BatchError::Input(format!(
                "{}: holds {}, not {}",
                out.display(),
                show(previous.shard),
                show(shard)
            )));
        }
        // Trust only complete rows, and only a prefix of this scope in order. A crash right after the first
        // manifest was written may have left no runs.csv yet.
        if !runs_path.exists() {
            std::fs::write(&runs_path, &header).map_err(io(format!("writing {}", runs_path.display())))?;
        }
        let ids = trim_to_complete(&runs_path, &header, |_| true)?;
        done = ids.iter().zip(&scope).take_while(|(a, b)| a == b).count();
        if done < ids.len() {
            trim_to_complete(&runs_path, &header, |id| scope[..done].contains(&id))?;
        }
        let last = if done > 0 { Some(scope[done - 1]) } else { None };
        if let Some(ts_header) = &ts_header {
            if ts_path.exists() {
                trim_to_complete(&ts_path, ts_header, |id| {
                    last.is_some_and(|l| id <= l) && scope[..done].binary_search(&id).is_ok()
                })?;
            } else {
                std::fs::write(&ts_path, ts_header).map_err(io(format!("writing {}", ts_path.display())))?;
            }
        }
        manifest.failed = previous.failed.into_iter().filter(|f| last.is_some_and(|l| f.run_id <= l)).collect();
    } else {
        if existing {
            return Err(BatchError::Input(format!(
                "{} already holds a sweep; use --resume to continue it, or choose another --out",
                out.display()
            )));
        }
        std::fs::create_dir_all(out).map_err(io(format!("creating {}", out.display())))?;
        // The manifest first: a directory with a manifest is always resumable.
        manifest.write(out)?;
        std::fs::write(&runs_path, &header).map_err(io(format!("writing {}", runs_path.display())))?;
        if let Some(h) = &ts_header {
            std::fs::write(&ts_path, h).map_err(io(format!("writing {}", ts_path.display())))?;
        }
    }
    manifest.completed_runs = done as u64;
    manifest.write(out)?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| BatchError::Runtime(format!("cannot start {} threads: {e}", opts.threads)))?;
    let mut runs_file =
        OpenOptions::new().append(true).open(&runs_path).map_err(io(format!("opening {}", runs_path.display())))?;
    let mut ts_file: Option<File> = match ts_header {
        Some(_) => {
            Some(OpenOptions::new().append(true).open(&ts_path).map_err(io(format!("opening {}", ts_path.display())))?)
        }
        None => None,
    };
    // Batches keep memory bounded and let results be written in run-id order as they complete.
    let batch = opts.threads.max(1) * 8;
    (opts.progress)(done as u64, scope.len() as u64);
    while done < scope.len() {
        if opts.stop.load(Ordering::SeqCst) {
            manifest.status = "interrupted".to_owned();
            manifest.write(out)?;
            return Ok(SweepEnd::Interrupted { done: done as u64 });
        }
        let ids = &scope[done..(done + batch).min(scope.len())];
        let results: Vec<RunResult> = pool.install(|| {
            use rayon::prelude::*;
            ids.par_iter().map(|&id| execute(plan, id)).collect()
        });
        let (mut ts_bytes, mut run_bytes) = (Vec::new(), Vec::new());
        for r in &results {
            ts_bytes.extend_from_slice(&r.timeseries);
            run_bytes.extend_from_slice(runs_row(plan, r).as_bytes());
            if let Err(message) = &r.outcomes {
                manifest.failed.push(FailedRun { run_id: r.spec.run_id, message: message.clone() });
            }
        }
        // Each file gets one write of whole rows; timeseries first, so runs.csv is the authority on what is done.
        if let Some(f) = ts_file.as_mut() {
            f.write_all(&ts_bytes).map_err(io("writing timeseries.csv"))?;
            f.sync_data().map_err(io("syncing timeseries.csv"))?;
        }
        runs_file.write_all(&run_bytes).map_err(io("writing runs.csv"))?;
        runs_file.sync_data().map_err(io("syncing runs.csv"))?;
        done += ids.len();
        manifest.completed_runs = done as u64;
        manifest.write(out)?;
        (opts.progress)(done as u64, scope.len() as u64);
    }
    manifest.status = if manifest.failed.is_empty() { "complete" } else { "complete_with_failures" }.to_owned();
    finish(out, &manifest)?;
    Ok(SweepEnd::Complete { failed: manifest.failed.len() })
}

/// Writes summary.csv (and sensitivity.csv for Sobol designs) from runs.csv, then the final manifest.
pub(crate) fn finish(out: &Path, manifest: &Manifest) -> Result<(), BatchError> {
    write_summary(out, manifest)?;
    if manifest.design == "sobol" && manifest.shard.is_none() {
        write_sensitivity(out, manifest)?;
    }
    manifest.write(out)
}

/// Reads the data lines of a CSV file (after its header), as raw lines with their newline.
pub(crate) fn data_lines(
    path: &Path,
) -> Result<(String, impl Iterator<Item = Result<String, BatchError>> + use<>), BatchError> {
    let file = File::open(path).map_err(|e| BatchError::Input(format!("{}: {e}", path.display())))?;
    let mut reader = BufReader::new(file);
    let mut header = String::new();
    reader.read_line(&mut header).map_err(io(format!("reading {}", path.display())))?;
    let shown = path.display().to_string();
    let lines = std::iter::from_fn(move || {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(Ok(line)),
            Err(e) => Some(Err(BatchError::Runtime(format!("reading {shown}: {e}")))),
        }
    });
    Ok((header, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPERIMENT: &str = r#"
scenario = "epstein-run2"
ticks = 5
replicates = 2
master_seed = 3
outputs = ["active:peak"]
timeseries = { every = 1, metrics = ["active"] }

[design]
kind = "grid"

[[vary]]
path = "rules.legitimacy"
values = [0.8, 0.85]
"#;

    #[test]
    fn a_panicking_run_is_recorded_and_the_sweep_goes_on() {
        let mut plan = match Plan::from_bytes(EXPERIMENT.as_bytes(), "exp.toml", Path::new(".")) {
            Ok(plan) => plan,
            Err(e) => panic!("{e}"),
        };
        // Point the timeseries at a metric column that does not exist: every run panics on its first row.
        let good = plan.timeseries.clone();
        plan.timeseries = Some((vec![usize::MAX], 1));
        let failed = execute(&plan, 1);
        assert!(failed.outcomes.as_ref().is_err_and(|m| m.starts_with("panic:")), "{:?}", failed.outcomes);
        assert!(failed.timeseries.is_empty());

        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stop = AtomicBool::new(false);
        let progress = |_: u64, _: u64| {};
        let opts = SweepOptions {
            out: dir.path().join("out"),
            threads: 2,
            shard: None,
            resume: false,
            progress: &progress,
            stop: &stop,
        };
        let end = sweep(&plan, &opts).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(end, SweepEnd::Complete { failed: 4 });
        let manifest = Manifest::read(&opts.out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(manifest.status, "complete_with_failures");
        assert_eq!(manifest.failed.iter().map(|f| f.run_id).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        let runs = std::fs::read_to_string(opts.out.join("runs.csv")).unwrap_or_default();
        assert_eq!(runs.lines().count(), 5, "every run has a row, failed ones with empty outcomes: {runs}");
        assert!(runs.lines().skip(1).all(|l| l.ends_with(',')), "{runs}");

        // With the timeseries restored, the same plan runs cleanly.
        plan.timeseries = good;
        assert!(execute(&plan, 1).outcomes.is_ok());
    }
}
