//! `peacesim-plot`: charts of what `peacesim run` and `peacesim sweep` write. It reads the output files and
//! draws PNG or SVG charts; it never runs a simulation.
//!
//! - A run directory (timeseries.csv, events.csv, summary.json) gives time-series charts of the key
//!   metrics present (see [`run::plot_run`]), with scheduled and scripted events as labelled vertical lines.
//! - A sweep directory (runs.csv, summary.csv, manifest.json, and maybe timeseries.csv and
//!   sensitivity.csv) gives response curves, heatmaps, distributions, Sobol indices and mean time series
//!   with confidence bands (see [`sweep::plot_sweep`]).
//! - A run recorded with `--record-frames` also gives maps (see [`frames::plot_frames`]): four ticks side by
//!   side and an animated GIF, cells shaded by the faction in control and marked by who stands on them,
//!   with peacekeeping units, aid convoys and incidents on top.
//!
//! Rendering is pure Rust (plotters) with an embedded font (DejaVu Sans, whose licence is in
//! `assets/LICENSE-DejaVu.txt`), so charts look the same on any machine, with or without fonts installed.
//! Colours come from the Okabe-Ito palette (lines) and viridis (heatmaps), both readable with the common
//! forms of colour blindness.
//!
//! Layout: [`read`] parses the files; [`run`] and [`sweep`] turn them into figures; a private `charts`
//! module holds the drawing blocks (a figure of panels, line, response, heatmap, bar, box and timeline
//! panels, and the PNG/SVG renderer) and `style` the font, palette and sizes. Map frames and GIFs of
//! `peacesim run --record-frames` are drawn by [`frames`] with the same renderer (and a GIF encoder).
//!
//! ```no_run
//! use peacesim_plot::{PlotOptions, Format, plot_dir};
//! let written = plot_dir("out/run".as_ref(), "out/run/charts".as_ref(), &PlotOptions { format: Format::Svg, ..PlotOptions::default() })?;
//! # Ok::<(), peacesim_plot::PlotError>(())
//! ```

mod charts;
pub mod error;
pub mod frames;
pub mod read;
pub mod run;
mod stats;
mod style;
pub mod sweep;

pub use error::PlotError;
pub use frames::{FrameData, plot_frames, plot_maps_at};
pub use run::{RunData, plot_comparison, plot_run};
pub use sweep::{SweepData, plot_sweep};

use std::path::{Path, PathBuf};

/// The image format of the charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// PNG images.
    #[default]
    Png,
    /// SVG drawings (text as text, in DejaVu Sans or the viewer's sans-serif font).
    Svg,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            other => Err(format!("unknown format `{other}`: expected png or svg")),
        }
    }
}

/// How charts are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotOptions {
    /// PNG or SVG.
    pub format: Format,
    /// Width in pixels (text and lines scale with the size).
    pub width: u32,
    /// Height in pixels (the run overview is taller: half this per row of panels).
    pub height: u32,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions { format: Format::Png, width: 1200, height: 800 }
    }
}

/// What kind of output a directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// A run's outputs (timeseries.csv, events.csv, summary.json).
    Run,
    /// A sweep's outputs (runs.csv, manifest.json, ...).
    Sweep,
}

/// Tells a run directory from a sweep directory: a sweep has runs.csv or manifest.json; a run has
/// timeseries.csv, events.csv or summary.json and neither of those.
pub fn detect(dir: &Path) -> Result<OutputKind, PlotError> {
    let meta = std::fs::metadata(dir).map_err(|e| PlotError::unreadable(dir, e))?;
    if !meta.is_dir() {
        return Err(PlotError::unreadable(dir, "not a directory"));
    }
    let has = |name: &str| dir.join(name).is_file();
    if has("runs.csv") || has("manifest.json") {
        Ok(OutputKind::Sweep)
    } else if has("timeseries.csv") || has("events.csv") || has("summary.json") {
        Ok(OutputKind::Run)
    } else {
        Err(PlotError::NotAnOutputDirectory(dir.to_path_buf()))
    }
}

/// Reads the run or sweep in `dir`, creates `out` (with its parents) and draws every chart that the data
/// allows into it. Returns the files written, in drawing order. Input is read completely before `out` is
/// created, so bad input leaves no empty directory behind.
pub fn plot_dir(dir: &Path, out: &Path, options: &PlotOptions) -> Result<Vec<PathBuf>, PlotError> {
    let create = || {
        std::fs::create_dir_all(out).map_err(|e| PlotError::Write { path: out.to_path_buf(), message: e.to_string() })
    };
    match detect(dir)? {
        OutputKind::Run => {
            let data = RunData::read(dir)?;
            create()?;
            plot_run(&data, out, options)
        }
        OutputKind::Sweep => {
            let data = SweepData::read(dir)?;
            create()?;
            plot_sweep(&data, out, options)
        }
    }
}

/// Draws the map of the run in `dir` at each of `ticks` (see [`frames::plot_maps_at`]) into `out`. The run
/// must have been recorded with `--record-frames` and every tick must have a frame; both are checked before
/// `out` is created.
pub fn plot_maps(dir: &Path, ticks: &[u64], out: &Path, options: &PlotOptions) -> Result<Vec<PathBuf>, PlotError> {
    let data = RunData::read(dir)?;
    let Some(frames) = &data.frames else {
        return Err(PlotError::unreadable(
            &dir.join(frames::FRAMES_FILE),
            "no map frames: record them with `peacesim run ... --record-frames`",
        ));
    };
    frames.check_ticks(ticks)?;
    std::fs::create_dir_all(out).map_err(|e| PlotError::Write { path: out.to_path_buf(), message: e.to_string() })?;
    plot_maps_at(frames, ticks, &run::subtitle(&data, ""), out, options)
}
