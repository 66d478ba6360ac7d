//! `peacesim plot` end to end: charts of a real run, the fixtures of peacesim-plot, and exit code 2 for
//! bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn peacesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peacesim")).args(args).output().expect("the peacesim binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../peacesim-plot/tests/fixtures").join(name)
}

#[test]
fn plot_draws_the_charts_of_a_run_into_dir_charts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("run");
    let o = peacesim(&["run", "epstein-run2", "--ticks", "20", "--out", run.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = peacesim(&["plot", run.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("run_rebellion.png"), "{stdout}");
    let png = std::fs::read(run.join("charts/run_rebellion.png")).expect("the chart is written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        stdout.lines().last().is_some_and(|l| l.ends_with(&format!("chart(s) in {}", run.join("charts").display()))),
        "{stdout}"
    );
}

#[test]
fn plot_draws_svg_into_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("charts");
    let sweep = fixture("sweep");
    let o =
        peacesim(&["plot", sweep.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8"), "--format", "svg"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(out.join("sweep_response_civilian_deaths_total.svg")).expect("svg written");
    assert!(svg.starts_with("<svg"));
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nothing-here");
    let o = peacesim(&["plot", missing.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).starts_with(&format!("error: {}: ", missing.display())), "{}", stderr(&o));

    // A directory without a run or a sweep.
    let o = peacesim(&["plot", dir.path().to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a run or sweep directory"), "{}", stderr(&o));

    // A malformed timeseries.csv: the file, line and column are named, and no charts directory appears.
    let run = dir.path().join("run");
    std::fs::create_dir(&run).expect("mkdir");
    std::fs::write(run.join("timeseries.csv"), "tick,active\n0,1\n1,x\n").expect("write");
    let o = peacesim(&["plot", run.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("timeseries.csv:3: column `active`: `x` is not a number"), "{}", stderr(&o));
    assert!(!run.join("charts").exists());

    let o = peacesim(&["plot", fixture("run").to_str().expect("utf-8"), "--format", "gif"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
