//! `peacesim plot` end to end: charts of a real run, the fixtures of peacesim-plot, and exit code 2 for
//! bad input.

mod common;
use common::{peacesim, stderr};

use std::path::{Path, PathBuf};

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

/// `run --record-frames` writes one frame per K ticks and the last; `plot` turns them into maps and a GIF;
/// a run into the same directory without frames removes the stale frames file.
#[test]
fn recorded_frames_become_maps_and_a_gif() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("run");
    let run_s = run.to_str().expect("utf-8");
    let o =
        peacesim(&["run", "district-aid", "--ticks", "22", "--record-frames", "--frame-every", "5", "--out", run_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let frames = std::fs::read_to_string(run.join("frames/frames.jsonl")).expect("frames written");
    let ticks: Vec<u64> = frames
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON frame")["tick"].as_u64().expect("tick"))
        .collect();
    assert_eq!(ticks, vec![0, 5, 10, 15, 20, 22]);
    // Frames are as deterministic as the other files.
    let again = dir.path().join("again");
    let o = peacesim(&[
        "run",
        "district-aid",
        "--ticks",
        "22",
        "--record-frames",
        "--frame-every",
        "5",
        "--out",
        again.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(again.join("frames/frames.jsonl")).expect("frames") == frames, "same bytes");

    let o = peacesim(&["plot", run_s, "--map-ticks", "5,22"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for name in ["run_maps.png", "run_map_t00005.png", "run_map_t00022.png"] {
        let png = std::fs::read(run.join("charts").join(name)).expect("map written");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
    }
    let gif = std::fs::read(run.join("charts/run_map.gif")).expect("gif written");
    assert!(gif.starts_with(b"GIF89a"));

    // A tick without a frame: exit 2, and nothing drawn.
    let other = dir.path().join("other");
    let o = peacesim(&["plot", run_s, "--out", other.to_str().expect("utf-8"), "--map-ticks", "7"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no frame at tick 7: frames were recorded from 0 to 22, every 5"), "{}", stderr(&o));
    assert!(!other.exists());

    // --frame-every needs --record-frames.
    let o = peacesim(&["run", "district-aid", "--ticks", "2", "--frame-every", "5", "--out", run_s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = peacesim(&["run", "district-aid", "--ticks", "3", "--out", run_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!run.join("frames/frames.jsonl").exists(), "stale frames are removed");
}
