//! `peacesim replay` end to end: a replay reproduces a recorded run byte for byte and checks its final state;
//! `--until` prints the map and the status panel; bad input exits with code 2.

mod common;
use common::{peacesim, text, utf8};

use std::path::Path;

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
    // The viewer's inspections, through flags.
    let o =
        peacesim(&["replay", "district-mission", "--seed", "2", "--until", "30", "--unit", "2", "--district", "camp"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.lines().any(|l| l.starts_with("unit 2 of ") && l.contains("contingent")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("district camp: ") && l.contains("held by")), "{out}");
    let o = peacesim(&["replay", "district-mission", "--until", "3", "--district", "atlantis"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("no such district; districts: camp, capital"), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "nothing printed before the error");
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

/// Checkpoints, forks and injects: resuming from a checkpoint reproduces the base byte for byte; a fork with
/// an empty inject equals its base; a fork with an inject equals its base before the inject's tick and
/// differs after; broken checkpoints and injects exit 2.
#[test]
fn checkpoints_forks_and_injects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name);
    let base = p("base");
    let o = peacesim(&[
        "run",
        "district-mission",
        "--seed",
        "6",
        "--ticks",
        "90",
        "--checkpoint-every",
        "30",
        "--out",
        utf8(&base),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ckpt = |t: u64| base.join(format!("checkpoints/tick-{t:06}.ckpt"));
    for t in [30, 60, 90] {
        assert!(ckpt(t).is_file(), "checkpoint at {t}");
    }
    let same = |a: &Path, b: &Path, file: &str| std::fs::read(a.join(file)).ok() == std::fs::read(b.join(file)).ok();

    let resumed = p("resumed");
    let o = peacesim(&["replay", utf8(&base), "--from", utf8(&ckpt(30)), "--out", utf8(&resumed)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("the replay ends in the recorded state"), "{}", text(&o.stdout));
    assert!(same(&base, &resumed, "timeseries.csv") && same(&base, &resumed, "events.csv"), "resumed = base");

    std::fs::write(p("empty.toml"), "# no change\n").expect("write");
    let empty = p("empty");
    let o = peacesim(&[
        "replay",
        utf8(&base),
        "--from",
        utf8(&ckpt(60)),
        "--inject",
        utf8(&p("empty.toml")),
        "--out",
        utf8(&empty),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        same(&base, &empty, "timeseries.csv") && same(&base, &empty, "events.csv"),
        "an empty inject changes nothing"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(empty.join("summary.json")).expect("summary")).expect("json");
    let base_summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("summary.json")).expect("summary")).expect("json");
    assert_eq!(summary["final_state_hash"], base_summary["final_state_hash"]);
    assert_eq!(summary["branch"]["forked_at"], 60);

    std::fs::write(
        p("coup.toml"),
        "[[events]]\ntick = 45\nkind = \"coup\"\nfaction = \"junta\"\nlegitimacy_drop = 0.2\n",
    )
    .expect("write");
    let coup = p("coup");
    let o = peacesim(&[
        "replay",
        utf8(&base),
        "--from",
        utf8(&ckpt(30)),
        "--inject",
        utf8(&p("coup.toml")),
        "--out",
        utf8(&coup),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows = |d: &Path| -> Vec<String> {
        std::fs::read_to_string(d.join("timeseries.csv")).expect("timeseries").lines().map(str::to_owned).collect()
    };
    let (a, b) = (rows(&base), rows(&coup));
    assert_eq!(a.len(), b.len());
    // Row k + 1 is tick k (after the header).
    assert_eq!(a[..46], b[..46], "equal through tick 44");
    assert_ne!(a[46], b[46], "the coup changes tick 45");
    assert_ne!(a.last(), b.last(), "and the branch ends elsewhere");

    // Broken inputs: exit 2, with the file and the reason.
    let mut bytes = std::fs::read(ckpt(30)).expect("checkpoint");
    let last = bytes.len() - 10;
    bytes[last] ^= 0x20;
    std::fs::write(p("bad.ckpt"), &bytes).expect("write");
    std::fs::write(p("short.ckpt"), &bytes[..bytes.len() / 2]).expect("write");
    let other = p("other");
    let o = peacesim(&[
        "run",
        "district-aid",
        "--seed",
        "6",
        "--ticks",
        "31",
        "--checkpoint-every",
        "30",
        "--out",
        utf8(&other),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let other_ckpt = other.join("checkpoints/tick-000030.ckpt");
    std::fs::write(p("late.toml"), "[[events]]\ntick = 20\nkind = \"coup\"\nfaction = \"junta\"\n").expect("write");
    for (args, message) in [
        (vec!["replay", utf8(&base), "--from", utf8(&p("bad.ckpt"))], "checksum"),
        (vec!["replay", utf8(&base), "--from", utf8(&p("short.ckpt"))], "truncated"),
        (vec!["replay", utf8(&base), "--from", utf8(&other_ckpt)], "different scenario"),
        (
            vec!["replay", utf8(&base), "--from", utf8(&ckpt(30)), "--inject", utf8(&p("late.toml"))],
            "is not after tick 30",
        ),
    ] {
        let o = peacesim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).to_lowercase().contains(message), "{args:?}: {}", text(&o.stderr));
    }
}
