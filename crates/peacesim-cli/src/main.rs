//! `peacesim`: the command-line face of peacesim. Thin glue over the library crates: parse flags, load
//! scenarios, drive a [`peacesim_core::Simulation`], write its outputs.
//!
//! Exit codes: 0 success, 1 a runtime failure (e.g. an output file could not be written), 2 bad input
//! (unknown flag, invalid scenario file). Errors are one readable message on stderr.
// The doc comments on the command-line types are clap's `--help` text, written for a terminal
// (`out/<scenario>-seed<N>`, `[[events]]`): rustdoc's HTML-tag and link checks do not apply to them.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

/// Prints a line on stdout. A closed pipe (`peacesim scenarios | head -1`) ends the program quietly
/// instead of panicking, as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => { $crate::say_line(format_args!($($arg)*)) };
}

mod bench;
mod output;
mod plot;
mod progress;
mod replay;
mod report;
mod run;
mod sweep;
mod textmap;
mod viewer;

/// Writes one line to stdout; exits quietly if stdout is gone.
pub(crate) fn say_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if writeln!(std::io::stdout().lock(), "{args}").is_err() {
        std::process::exit(0);
    }
}

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input: exit code 2.
    Input(anyhow::Error),
    /// Runtime failure: exit code 1.
    Runtime(anyhow::Error),
}

impl From<peacesim_scenario::ScenarioError> for Failure {
    fn from(e: peacesim_scenario::ScenarioError) -> Self {
        Failure::Input(e.into())
    }
}

#[derive(Parser, Debug)]
#[command(name = "peacesim", version, about = "Agent-based conflict and peacekeeping simulator", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one seeded simulation and write timeseries.csv, events.csv and summary.json.
    ///
    /// Example: peacesim run epstein-run2 --seed 7 --ticks 300 --out out/run2 --set rules.legitimacy=0.8
    Run(run::RunArgs),
    /// Check scenario files; prints every problem with file, line and key path.
    ///
    /// Example: peacesim validate scenarios/classic/*.toml
    Validate {
        /// Scenario files (or bundled names) to check.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Run an experiment: many seeded runs in parallel, streamed to runs.csv, summary.csv, manifest.json.
    ///
    /// Example: peacesim sweep scenarios/experiments/run2-legitimacy.toml --out out/sweep --threads 2
    Sweep(sweep::SweepArgs),
    /// Join the shard directories of one sweep into what the unsharded sweep writes.
    ///
    /// Example: peacesim merge out/shard-0 out/shard-1 out/shard-2 --out out/merged
    Merge(sweep::MergeArgs),
    /// Draw charts (PNG or SVG) of a run or sweep directory; reads its files, runs nothing.
    ///
    /// Example: peacesim plot out/district-mission-seed1 --out out/charts --format svg
    Plot(plot::PlotArgs),
    /// Measure throughput on one thread: agent-steps and ticks per second, peak memory, bytes per agent.
    ///
    /// Example: peacesim bench --scenario district-aid --ticks 365 --scale 4
    Bench(bench::BenchArgs),
    /// Write a report (one self-contained HTML file) of a run, of a base run and a branch, or of a sweep.
    ///
    /// Of a run, an after-action report; of a sweep's directory, the experiment's: its outcomes by design
    /// point with 95% intervals, and its charts.
    ///
    /// Example: peacesim report out/base out/branch --out out/report.html
    Report(report::ReportArgs),
    /// Replay a recorded run or a seeded scenario; stop at a tick and show the map and a status panel.
    ///
    /// Example: peacesim replay out/haiti-minustah --until 2050
    Replay(replay::ReplayArgs),
    /// List the bundled scenarios, one line each.
    ///
    /// Example: peacesim scenarios
    Scenarios,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate { files } => validate(&files),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge(&args),
        Command::Plot(args) => plot::plot(&args),
        Command::Replay(args) => replay::replay(&args),
        Command::Report(args) => report::report(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::Scenarios => {
            scenarios();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn validate(files: &[String]) -> Result<(), Failure> {
    let mut failed = 0;
    for file in files {
        match peacesim_scenario::load(file, &[]) {
            Ok((s, _)) => say!(
                "ok {file}: {} ({}x{}, {} population(s), {} force(s), {} faction(s), {} schedule entries, {} event(s){})",
                s.name,
                s.grid.width,
                s.grid.height,
                s.populations.len(),
                s.forces.len(),
                s.factions.len(),
                s.schedule.len(),
                s.events.len(),
                s.peacekeeping.as_ref().map_or(String::new(), |p| format!(
                    ", {} mission(s), {} contingent(s)",
                    p.missions.len(),
                    p.contingents.len()
                )) + &s.aid.as_ref().map_or(String::new(), |a| format!(", {} agency(ies)", a.agencies.len()))
            ),
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(Failure::Input(anyhow::anyhow!("{failed} of {} file(s) invalid", files.len())));
    }
    Ok(())
}

fn scenarios() {
    let all: Vec<_> = peacesim_scenario::bundled::all().collect();
    let width = all.iter().map(|b| b.name.len()).max().unwrap_or(0);
    for b in all {
        say!("{:width$}  {}", b.name, b.summary());
    }
}
