//! `peacesim bench`: throughput of one scenario on this machine, on one thread: agent-steps and ticks per
//! second, peak memory and bytes per agent. It times runs of the simulation; the simulation itself never
//! reads the clock. For statistically careful comparisons use the criterion benches (benches/).

use crate::Failure;
use anyhow::anyhow;
use clap::Args;
use peacesim_core::Simulation;
use peacesim_scenario::Override;

/// Arguments of `peacesim bench`.
#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// A scenario file or bundled scenario name.
    #[arg(long, default_value = "epstein-run2")]
    scenario: String,
    /// Ticks timed per repetition.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    ticks: u64,
    /// Ticks run before the timed ones, in every repetition (default: a tenth of --ticks, at least 1). A
    /// model's cost depends on its phase: a warm-up of 50 or more leaves Epstein's start-up outburst.
    #[arg(long)]
    warmup: Option<u64>,
    /// Run the scenario scaled by K (K^2 times the agents on a map K times wider and higher).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_SCALE as i64))]
    scale: u32,
    /// Run the scenario at about N agents: scaled by the whole K (as --scale) whose agents at setup come
    /// nearest N. The scenario's own size is the smallest; the scale chosen is printed.
    #[arg(long, value_name = "N", conflicts_with = "scale", value_parser = clap::value_parser!(u64).range(1..))]
    agents: Option<u64>,
    /// Repetitions, each of the same ticks of the same run (rebuilt and warmed up again); the best (fastest)
    /// is reported, as the least disturbed by the rest of the machine.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Override a scenario value (repeatable), as for `peacesim run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

/// This process's resident and peak resident memory in bytes (VmRSS, VmHWM), where /proc tells.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")? * 1024, field("VmHWM:")? * 1024))
}

/// The largest scale `--scale` takes.
const MAX_SCALE: u32 = 64;

/// The whole scale (1 to [`MAX_SCALE`]) at which `scenario` comes nearest `agents` agents at setup. Scaling
/// by K multiplies every population, force and faction by K^2 (`Scenario::scaled`), so the agents of the
/// scenario as written, built once, times K^2 estimate each scale's.
fn scale_for(scenario: &peacesim_scenario::Scenario, seed: u64, agents: u64) -> Result<u32, Failure> {
    let at_one = Simulation::new(scenario, seed).map_err(|e| Failure::Input(e.into()))?.agent_count() as f64;
    if at_one == 0.0 {
        return Err(Failure::Input(anyhow!("--agents: scenario `{}` has no agents to scale", scenario.name)));
    }
    let wanted = agents as f64;
    let below = ((wanted / at_one).sqrt().floor() as u32).clamp(1, MAX_SCALE);
    let above = (below + 1).min(MAX_SCALE);
    let miss = |k: u32| (at_one * f64::from(k * k) - wanted).abs();
    Ok(if miss(above) < miss(below) { above } else { below })
}

/// Runs `peacesim bench`.
#[allow(clippy::disallowed_methods)] // Timing the runs is the point; the simulation never reads the clock.
pub(crate) fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let overrides = args.set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let (scenario, _) = peacesim_scenario::load(&args.scenario, &overrides)?;
    let scale = match args.agents {
        Some(n) => scale_for(&scenario, args.seed, n)?,
        None => args.scale,
    };
    let scenario = scenario.scaled(scale);
    let warmup = args.warmup.unwrap_or((args.ticks / 10).max(1));
    let before = memory().map(|m| m.0);
    let (mut agents, mut civilians, mut after) = (0, 0, None);
    // The best repetition: the one with the least time per agent-step.
    let (mut best, mut best_ns, mut steps) = (f64::INFINITY, f64::INFINITY, 0u64);
    // Nanoseconds per agent-step of every repetition, for the spread.
    let mut per_step = Vec::with_capacity(args.repeat as usize);
    for repetition in 0..args.repeat {
        // Every repetition builds the run afresh and times the same ticks of it: successive stretches of one
        // run would time different phases of the model (an outburst costs more than a quiet spell), and the
        // best of them would be the cheapest phase rather than the least disturbed measurement.
        let mut sim = Simulation::new(&scenario, args.seed).map_err(|e| Failure::Input(e.into()))?;
        sim.set_event_recording(false);
        (agents, civilians) = (sim.agent_count(), sim.civilian_count());
        sim.run(warmup);
        if repetition == 0 {
            // After the warm-up, so that the buffers a tick reuses (the activation pass's copies, metric rows)
            // count.
            after = memory().map(|m| m.0);
        }
        let started = std::time::Instant::now();
        let mut counted = 0u64;
        for _ in 0..args.ticks {
            counted += sim.agent_count() as u64;
            sim.step();
        }
        let seconds = started.elapsed().as_secs_f64();
        let ns = seconds * 1e9 / counted.max(1) as f64;
        if ns < best_ns {
            (best, best_ns, steps) = (seconds, ns, counted);
        }
        per_step.push(ns);
    }
    per_step.sort_by(f64::total_cmp);
    if !best.is_finite() || best <= 0.0 {
        return Err(Failure::Runtime(anyhow!("the timing failed")));
    }
    say!(
        "scenario        {} (scale {}, seed {}, {} x {} cells)",
        scenario.name,
        scale,
        args.seed,
        scenario.grid.width,
        scenario.grid.height
    );
    say!("agents          {agents} at setup ({civilians} civilians)");
    say!("ticks timed     {} per repetition, best of {} (after {warmup} warm-up ticks)", args.ticks, args.repeat);
    say!("agent-steps/s   {:.0}", steps as f64 / best);
    say!("ticks/s         {:.1}", args.ticks as f64 / best);
    say!("ns/agent-step   {:.1}", best * 1e9 / steps.max(1) as f64);
    if let (Some(low), Some(high)) = (per_step.first(), per_step.last()) {
        // The median of an even count is the mean of the middle two.
        let n = per_step.len();
        let median = (per_step[(n - 1) / 2] + per_step[n / 2]) / 2.0;
        say!("spread          {low:.1} to {high:.1} ns/agent-step over {n} repetitions, median {median:.1}");
    }
    match (before, after, memory()) {
        (Some(b), Some(a), Some((_, peak))) => {
            say!("peak memory     {:.1} MiB", peak as f64 / 1_048_576.0);
            let grown = a.saturating_sub(b) as f64;
            say!(
                "bytes/agent     {:.0} (resident growth from before building to after the warm-up / agents)",
                grown / agents.max(1) as f64
            );
            if civilians > 0 {
                say!("bytes/civilian  {:.0} (the same growth / civilians)", grown / civilians as f64);
            }
        }
        _ => say!("peak memory     unknown (no /proc/self/status on this system)"),
    }
    Ok(())
}
