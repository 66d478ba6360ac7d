//! `peacesim plot`: charts of a run or sweep directory, drawn by peacesim-plot. It reads output files
//! only; it never runs a simulation.

use crate::Failure;
use clap::Args;
use peacesim_plot::{Format, PlotOptions};
use std::path::PathBuf;

/// Arguments of `peacesim plot`.
#[derive(Args, Debug)]
pub(crate) struct PlotArgs {
    /// A directory written by `peacesim run` or `peacesim sweep` (or `merge`).
    dir: PathBuf,
    /// Output directory for the charts (default: DIR/charts); created if needed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Image format: png or svg.
    #[arg(long, default_value = "png", value_parser = parse_format)]
    format: Format,
    /// Image width in pixels (text and lines scale with it).
    #[arg(long, default_value_t = 1200, value_parser = clap::value_parser!(u32).range(300..=8000))]
    width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 800, value_parser = clap::value_parser!(u32).range(200..=8000))]
    height: u32,
    /// Also draw the map at these ticks, one image each (a run recorded with --record-frames), e.g.
    /// --map-ticks 0,100,365.
    #[arg(long, value_name = "T,T,...", value_delimiter = ',')]
    map_ticks: Vec<u64>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Runs `peacesim plot`.
pub(crate) fn plot(args: &PlotArgs) -> Result<(), Failure> {
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("charts"));
    let options = PlotOptions { format: args.format, width: args.width, height: args.height };
    let failure =
        |e: peacesim_plot::PlotError| if e.is_input() { Failure::Input(e.into()) } else { Failure::Runtime(e.into()) };
    // The maps at chosen ticks first: a tick without a frame is then found before anything is written.
    let mut written = if args.map_ticks.is_empty() {
        Vec::new()
    } else {
        peacesim_plot::plot_maps(&args.dir, &args.map_ticks, &out, &options).map_err(failure)?
    };
    written.extend(peacesim_plot::plot_dir(&args.dir, &out, &options).map_err(failure)?);
    for path in &written {
        say!("wrote {}", path.display());
    }
    say!("{} chart(s) in {}", written.len(), out.display());
    Ok(())
}
