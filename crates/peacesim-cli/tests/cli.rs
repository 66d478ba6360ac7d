//! `peacesim` end to end: the command-line contract of docs/cli.md, driven as scripts drive it.

mod common;
use common::{peacesim, stderr};

use std::path::Path;

#[test]
fn run_writes_the_three_files_with_the_documented_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("run");
    let o = peacesim(&["run", "epstein-run2", "--seed", "7", "--ticks", "40", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).expect("timeseries.csv");
    let header = ts.lines().next().expect("header");
    assert!(header.starts_with("tick,quiescent,active,jailed,alive,killed,"), "{header}");
    assert_eq!(ts.lines().count(), 42, "header plus ticks 0..=40");
    let ev = std::fs::read_to_string(out.join("events.csv")).expect("events.csv");
    assert_eq!(ev.lines().next(), Some("tick,kind,x,y,actor,target,value,detail"));
    assert!(ev.lines().any(|l| l.contains(",arrest,")), "forty ticks of Run 2 see arrests");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary.json")).expect("json");
    assert_eq!(summary["scenario"], "epstein-run2");
    assert_eq!(summary["seed"], 7);
    assert_eq!(summary["ticks"], 40);
    assert!(summary["outcomes"]["peak_active"].as_f64().is_some());
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
}

#[test]
fn the_same_run_twice_gives_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = peacesim(&[
            "run",
            "epstein-run7",
            "--ticks",
            "60",
            "--out",
            out.to_str().expect("utf-8"),
            "--set",
            "rules.legitimacy=0.85",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for file in ["timeseries.csv", "events.csv", "summary.json"] {
        assert_eq!(std::fs::read(a.join(file)).expect("a"), std::fs::read(b.join(file)).expect("b"), "{file} differs");
    }
}

fn assert_bad_input(dir: &Path, name: &str, text: &[u8], key: &str) {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write fixture");
    let out = dir.join("precious");
    let o = peacesim(&["run", file.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{name}: {err}");
    assert!(err.contains(name), "{name}: the message names the file: {err}");
    assert!(err.contains(key), "{name}: the message names `{key}`: {err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{name}: {err}");
    assert_eq!(std::fs::read_to_string(out.join("timeseries.csv")).expect("still there"), "precious\n", "{name}");
}

#[test]
fn broken_scenarios_exit_2_name_the_key_and_leave_the_out_directory_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("precious")).expect("out dir");
    std::fs::write(dir.path().join("precious/timeseries.csv"), "precious\n").expect("existing output");
    let good = include_str!("../../../scenarios/classic/epstein-run2.toml");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("unknown.toml", good.replace("threshold = 0.1", "threshold = 0.1\nthresold = 2").into_bytes(), "rules.thresold"),
        ("type.toml", good.replace("width = 40", "width = \"forty\"").into_bytes(), "grid.width"),
        ("prob.toml", good.replace("density = 0.04", "density = 1.3").into_bytes(), "forces.cops.density"),
        ("negative.toml", good.replace("height = 40", "height = -3").into_bytes(), "grid.height"),
        ("crowded.toml", good.replace("density = 0.7", "density = 0.99").into_bytes(), "populations"),
        ("empty.toml", Vec::new(), "empty"),
        ("garbage.toml", (0..=255u8).rev().cycle().take(4096).collect(), "not UTF-8"),
        (
            "ramp.toml",
            format!("{good}\n[[schedule]]\npath = \"rules.legitimacy\"\nramp = {{ start = 9, end = 3, from = 0.8, to = 0.2 }}\n")
                .into_bytes(),
            "schedule[0].ramp.end",
        ),
    ];
    for (name, text, key) in cases {
        assert_bad_input(dir.path(), name, &text, key);
    }
}

#[test]
fn bad_flags_and_unknown_scenarios_exit_2() {
    assert_eq!(peacesim(&["run", "epstein-run2", "--no-such-flag"]).status.code(), Some(2));
    let o = peacesim(&["run", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("epstein-run2"), "lists the bundled names: {}", stderr(&o));
    let o = peacesim(&["run", "epstein-run2", "--set", "rules.legitimacy=2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--set") && stderr(&o).contains("rules.legitimacy"), "{}", stderr(&o));
}

#[test]
fn validate_and_scenarios_list_the_bundled_files() {
    let o = peacesim(&["scenarios"]);
    assert_eq!(o.status.code(), Some(0));
    let listing = String::from_utf8_lossy(&o.stdout);
    for name in ["epstein-run1", "epstein-run8", "mesa-epstein", "district-conflict"] {
        assert!(listing.contains(name), "{listing}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<String> = ["classic", "tutorial"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).expect("scenarios dir"))
        .map(|e| e.expect("entry").path().display().to_string())
        .collect();
    files.sort();
    let args: Vec<&str> = std::iter::once("validate").chain(files.iter().map(String::as_str)).collect();
    let o = peacesim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "schema_version = 1\nname = 3\n").expect("write");
    let o = peacesim(&["validate", bad.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.toml:2"), "{}", stderr(&o));
}

/// A conflict run's summary carries the conflict outcomes, equal to the sums of timeseries.csv's columns,
/// and `--scale` is recorded; a classic run's summary has no conflict object.
#[test]
fn conflict_runs_summarise_deaths_and_displacement() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("dc");
    let o =
        peacesim(&["run", "district-conflict", "--ticks", "60", "--scale", "2", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary.json")).expect("json");
    assert_eq!(summary["scale"], 2);
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).expect("timeseries.csv");
    let mut lines = ts.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().expect("a number")).collect()).collect();
    let sum = |name: &str| {
        let c = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
        rows.iter().map(|r| r[c]).sum::<f64>()
    };
    let conflict = &summary["outcomes"]["conflict"];
    for (field, column) in [("total_civilian_deaths", "civilian_deaths"), ("total_flights", "flights")] {
        assert_eq!(conflict[field].as_f64(), Some(sum(column)), "{field}");
    }
    assert!(conflict["peak_displaced"].as_f64().is_some_and(|p| p > 0.0));
    let classic = dir.path().join("classic");
    let o = peacesim(&["run", "epstein-run2", "--ticks", "5", "--out", classic.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(classic.join("summary.json")).expect("summary.json"))
            .expect("json");
    assert!(summary["outcomes"].get("conflict").is_none());
}
