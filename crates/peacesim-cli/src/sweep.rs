//! `peacesim sweep` and `peacesim merge`: the command-line side of peacesim-batch (progress, signals,
//! exit codes).

use crate::Failure;
use crate::progress::Progress;
use anyhow::anyhow;
use clap::Args;
use peacesim_batch::{BatchError, Plan, Shard, SweepEnd, SweepOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Arguments of `peacesim sweep`.
#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// The experiment file (TOML; see docs/experiments.md).
    experiment: PathBuf,
    /// Output directory (default: out/<experiment file stem>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only shard I of N (runs whose id modulo N is I), e.g. --shard 0/4; join shards with `merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Continue an interrupted sweep in --out (refused if the experiment changed).
    #[arg(long)]
    resume: bool,
    /// Print the plan (size, design, estimated time) and run nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Arguments of `peacesim merge`.
#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// Shard directories written by `peacesim sweep --shard I/N`.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

fn batch_failure(e: BatchError) -> Failure {
    match e {
        BatchError::Input(m) => Failure::Input(anyhow!(m)),
        BatchError::Runtime(m) => Failure::Runtime(anyhow!(m)),
    }
}

/// Runs `peacesim sweep`.
pub(crate) fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let shard = args.shard.as_deref().map(Shard::parse).transpose().map_err(batch_failure)?;
    if args.threads == Some(0) {
        return Err(Failure::Input(anyhow!("--threads must be at least 1")));
    }
    let plan = Plan::from_file(&args.experiment)?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let in_scope = shard.map_or(plan.len(), |s| plan.len().saturating_sub(s.index).div_ceil(s.count));
    if args.dry_run {
        return dry_run(&plan, in_scope, threads);
    }
    let stem = args.experiment.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sweep".into());
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(stem));

    // SIGTERM (a batch system's time limit) and SIGINT stop the sweep after the runs under way.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| Failure::Runtime(anyhow!("cannot handle signals: {e}")))?;
    }
    let reporter = Progress::new("sweep", "runs", in_scope, true);
    let progress = |done: u64, total: u64| reporter.update(done, total);
    let opts = SweepOptions { out: out.clone(), threads, shard, resume: args.resume, progress: &progress, stop: &stop };
    let end = peacesim_batch::sweep(&plan, &opts).map_err(batch_failure)?;
    reporter.finish();
    match end {
        SweepEnd::Complete { failed: 0 } => {
            say!("{} runs complete; wrote {}/runs.csv, summary.csv, manifest.json", in_scope, out.display());
            Ok(())
        }
        SweepEnd::Complete { failed } => Err(Failure::Runtime(anyhow!(
            "{failed} of {in_scope} runs failed (see {}/manifest.json); the others are in runs.csv",
            out.display()
        ))),
        SweepEnd::Interrupted { done } => Err(Failure::Runtime(anyhow!(
            "interrupted after {done} of {in_scope} runs; continue with: peacesim sweep {} --out {} --resume{}",
            args.experiment.display(),
            out.display(),
            args.shard.as_deref().map(|s| format!(" --shard {s}")).unwrap_or_default()
        ))),
    }
}

#[allow(clippy::disallowed_methods)] // The estimate times one run; the simulation itself never reads the clock.
fn dry_run(plan: &Plan, in_scope: u64, threads: usize) -> Result<(), Failure> {
    let e = &plan.experiment;
    say!("experiment  {}", plan.source);
    say!("scenario    {} ({})", plan.base.name, plan.scenario_source());
    say!(
        "design      {:?}, {} point(s) x {} replicate(s) = {} runs",
        e.design.kind,
        plan.points.len(),
        e.replicates,
        plan.len()
    );
    say!("parameters  {}", if plan.parameters.is_empty() { "(none)".to_owned() } else { plan.parameters.join(", ") });
    say!("outcomes    {}", plan.outcomes.iter().map(|o| o.column()).collect::<Vec<_>>().join(", "));
    say!(
        "ticks       {} per run; seeds from master_seed {}{}",
        plan.ticks,
        e.master_seed,
        if e.common_random_numbers { " (common random numbers)" } else { "" }
    );
    let started = std::time::Instant::now();
    let first = peacesim_batch::sweep::execute(plan, 0);
    let per_run = started.elapsed().as_secs_f64();
    if let Err(m) = first.outcomes {
        return Err(Failure::Runtime(anyhow!("run 0 fails: {m}")));
    }
    let estimate = per_run * in_scope as f64 / threads as f64;
    say!("estimate    {in_scope} runs here x {per_run:.3} s (run 0) / {threads} thread(s) = about {estimate:.0} s");
    Ok(())
}

/// Runs `peacesim merge`.
pub(crate) fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let manifest = peacesim_batch::merge(&args.shards, &args.out).map_err(batch_failure)?;
    say!("merged {} shard(s), {} runs, into {}", args.shards.len(), manifest.plan_size, args.out.display());
    if manifest.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Runtime(anyhow!(
            "{} runs had failed; see {}/manifest.json",
            manifest.failed.len(),
            args.out.display()
        )))
    }
}
