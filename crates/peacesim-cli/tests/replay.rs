//! `peacesim replay` end to end: a replay reproduces a recorded run byte for byte and checks its final state;
//! `--until` prints the map and the status panel; bad input exits with code 2.

use std::path::Path;
use std::process::{Command, Output};

fn peacesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peacesim")).args(args).output().expect("the peacesim binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_replay_reproduces_the_recorded_run_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (run, again) = (dir.path().join("run"), dir.path().join("again"));
    let o = peacesim(&[
        "run",
        "district-aid",
        "--seed",
        "5",
        "--ticks",
        "40",
        "--set",
        "rules.legitimacy=0.7",
        "--out",
        utf8(&run),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = peacesim(&["replay", utf8(&run), "--out", utf8(&again)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("the replay ends in the recorded state"), "{}", text(&o.stdout));
    for file in ["timeseries.csv", "events.csv", "summary.json"] {
        let (a, b) =
            (std::fs::read(run.join(file)).expect("recorded"), std::fs::read(again.join(file)).expect("replayed"));
        assert!(a == b, "{file} differs between the run and its replay");
    }

    // A summary whose final state does not match (another build, another file) is a failure, exit code 1.
    let summary = std::fs::read_to_string(run.join("summary.json")).expect("summary");
    let v: serde_json::Value = serde_json::from_str(&summary).expect("json");
    let hash = v["final_state_hash"].as_str().expect("hash").to_owned();
    std::fs::write(run.join("summary.json"), summary.replace(&hash, "0123456789abcdef")).expect("write");
    let o = peacesim(&["replay", utf8(&run)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("the recorded run in 0123456789abcdef"), "{}", text(&o.stderr));
}

#[test]
fn until_prints_the_map_its_legend_and_the_status_panel() {
    let o = peacesim(&["replay", "district-mission", "--seed", "2", "--until", "30", "--colour", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "district-mission seed 2 at day 30 of 365");
    // The 60 x 30 map: 30 rows of 60 characters, with the river and units on it.
    let map = &lines[1..31];
    assert!(map.iter().all(|l| l.chars().count() == 60), "{map:?}");
    assert!(map.iter().any(|l| l.contains('~')) && map.iter().any(|l| l.contains('T')), "{map:?}");
    assert!(lines[31].contains("~ water") && lines[31].contains("T troops"), "{}", lines[31]);
    assert!(out.contains("faction rebels: "), "{out}");
    assert!(out.contains("peacekeeping: "), "{out}");
    // The same replay twice prints the same text.
    let again = peacesim(&["replay", "district-mission", "--seed", "2", "--until", "30", "--colour", "never"]);
    assert_eq!(o.stdout, again.stdout);
    let coloured = peacesim(&["replay", "district-mission", "--seed", "2", "--until", "30", "--colour", "always"]);
    assert!(text(&coloured.stdout).contains("\x1b[30;48;5;"), "ANSI backgrounds with --colour always");
}

#[test]
fn bad_replays_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("run");
    let o = peacesim(&["run", "epstein-run2", "--ticks", "5", "--out", utf8(&run)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for (args, message) in [
        (vec!["replay", utf8(&run), "--seed", "3"], "a run directory is replayed as recorded"),
        (vec!["replay", utf8(&run), "--until", "6"], "--until 6 is beyond the run's 5 ticks"),
        (vec!["replay", utf8(dir.path())], "summary.json: cannot read"),
        (vec!["replay", "no-such-scenario"], "no-such-scenario"),
    ] {
        let o = peacesim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(message), "{args:?}: {}", text(&o.stderr));
    }
}
