//! `peacesim sweep` and `peacesim merge` end to end: byte-identical outputs for any thread count, shard
//! split and kill-and-resume; bad experiment files rejected before anything is written.

mod common;
use common::{peacesim, stderr};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const EXPERIMENT: &str = r#"
scenario = "epstein-run2"
ticks = 60
replicates = 3
master_seed = 11
outputs = ["active:peak", "arrests:total", "jailed:final", "active:mean", "active:peak_tick"]
timeseries = { every = 7, metrics = ["active", "jailed"] }

[design]
kind = "grid"

[[vary]]
path = "rules.legitimacy"
range = { start = 0.75, stop = 0.9, step = 0.05 }

[[vary]]
path = "forces.cops.density"
values = [0.03, 0.05]
"#;

fn write_experiment(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write experiment");
    path
}

fn sweep(exp: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", exp.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    peacesim(&args)
}

fn assert_same_outputs(a: &Path, b: &Path) {
    for file in ["runs.csv", "timeseries.csv", "summary.csv", "manifest.json"] {
        let (x, y) = (std::fs::read(a.join(file)), std::fs::read(b.join(file)));
        assert!(
            x.is_ok() && x.as_ref().ok() == y.as_ref().ok(),
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn threads_and_shards_give_identical_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let exp = write_experiment(dir.path(), "exp.toml", EXPERIMENT);
    let one = dir.path().join("one");
    let o = sweep(&exp, &one, &["--threads", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let two = dir.path().join("two");
    assert_eq!(sweep(&exp, &two, &["--threads", "2"]).status.code(), Some(0));
    assert_same_outputs(&one, &two);
    let runs = std::fs::read_to_string(one.join("runs.csv")).expect("runs.csv");
    assert_eq!(runs.lines().count(), 1 + 4 * 2 * 3, "header plus 24 runs");
    assert!(runs.lines().nth(1).is_some_and(|l| l.starts_with("0,0,0,")), "{runs}");
    // Legitimacy from a range reads as written, not as 0.7999999999999999.
    assert!(runs.contains(",0.8,0.03,"), "{runs}");

    let mut shard_dirs = Vec::new();
    for i in 0..3 {
        let d = dir.path().join(format!("shard{i}"));
        let o = sweep(&exp, &d, &["--shard", &format!("{i}/3"), "--threads", "2"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        shard_dirs.push(d);
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(shard_dirs.iter().map(|d| d.to_str().expect("utf-8")));
    args.extend(["--out", merged.to_str().expect("utf-8")]);
    let o = peacesim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_outputs(&one, &merged);

    // A missing shard is named.
    let o = peacesim(&[
        "merge",
        shard_dirs[0].to_str().expect("utf-8"),
        shard_dirs[2].to_str().expect("utf-8"),
        "--out",
        dir.path().join("bad").to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("1/3"), "{}", stderr(&o));
}

#[test]
fn a_sweep_killed_mid_way_and_resumed_equals_an_uninterrupted_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let long = EXPERIMENT.replace("ticks = 60", "ticks = 250").replace("replicates = 3", "replicates = 12");
    let exp = write_experiment(dir.path(), "long.toml", &long);
    let reference = dir.path().join("reference");
    assert_eq!(sweep(&exp, &reference, &["--threads", "2"]).status.code(), Some(0));

    let killed = dir.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_peacesim"))
        .args(["sweep", exp.to_str().expect("utf-8"), "--out", killed.to_str().expect("utf-8"), "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until some, but not all, runs are written, then kill without warning.
    let total = 1 + 4 * 2 * 12;
    let mut rows = 0;
    for _ in 0..2000 {
        rows = std::fs::read_to_string(killed.join("runs.csv")).map(|s| s.lines().count()).unwrap_or(0);
        if rows > 1 + 8 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let after = std::fs::read_to_string(killed.join("runs.csv")).map(|s| s.lines().count()).unwrap_or(0);
    assert!(rows > 1 && after < total, "the kill must land mid-way: {rows} then {after} of {total} lines");

    // Without --resume the directory is refused; with it the sweep finishes with identical bytes.
    let o = sweep(&exp, &killed, &["--threads", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = sweep(&exp, &killed, &["--threads", "2", "--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_outputs(&reference, &killed);

    // A changed experiment is refused on resume.
    let changed = write_experiment(dir.path(), "long.toml", &long.replace("master_seed = 11", "master_seed = 12"));
    let o = sweep(&changed, &killed, &["--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("changed"), "{}", stderr(&o));
}

#[test]
fn a_torn_last_row_is_dropped_on_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let exp = write_experiment(dir.path(), "exp.toml", EXPERIMENT);
    let reference = dir.path().join("reference");
    assert_eq!(sweep(&exp, &reference, &[]).status.code(), Some(0));
    let torn = dir.path().join("torn");
    assert_eq!(sweep(&exp, &torn, &[]).status.code(), Some(0));
    // Simulate a crash: cut runs.csv in the middle of a row and the timeseries after it.
    let runs = std::fs::read(torn.join("runs.csv")).expect("runs");
    std::fs::write(torn.join("runs.csv"), &runs[..runs.len() * 2 / 3]).expect("cut");
    let ts = std::fs::read(torn.join("timeseries.csv")).expect("ts");
    std::fs::write(torn.join("timeseries.csv"), &ts[..ts.len() - 5]).expect("cut");
    let o = sweep(&exp, &torn, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_outputs(&reference, &torn);
}

#[test]
fn common_random_numbers_pair_seeds_across_points_and_replicates_differ() {
    let dir = tempfile::tempdir().expect("temp dir");
    let crn = EXPERIMENT.replace("master_seed = 11", "master_seed = 11\ncommon_random_numbers = true");
    for (name, text, shared) in [("plain.toml", EXPERIMENT.to_owned(), false), ("crn.toml", crn, true)] {
        let exp = write_experiment(dir.path(), name, &text);
        let out = dir.path().join(format!("{name}.out"));
        assert_eq!(sweep(&exp, &out, &[]).status.code(), Some(0));
        let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs");
        let rows: Vec<Vec<&str>> = runs.lines().skip(1).map(|l| l.split(',').collect()).collect();
        for point in rows.chunks(3) {
            let seeds: std::collections::BTreeSet<&str> = point.iter().map(|r| r[3]).collect();
            assert_eq!(seeds.len(), 3, "replicates of one point differ");
        }
        let replicate0: std::collections::BTreeSet<&str> = rows.iter().filter(|r| r[2] == "0").map(|r| r[3]).collect();
        assert_eq!(replicate0.len() == 1, shared, "{name}: seeds of replicate 0 across points");
    }
}

#[test]
fn bad_experiments_exit_2_with_the_key_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "unknown-path.toml",
            EXPERIMENT.replace("path = \"forces.cops.density\"", "path = \"forces.kops.density\""),
            "vary[1]",
        ),
        ("empty.toml", EXPERIMENT.replace("values = [0.03, 0.05]", "values = []"), "vary[1].values"),
        ("zero.toml", EXPERIMENT.replace("replicates = 3", "replicates = 0"), "replicates"),
        ("type.toml", EXPERIMENT.replace("values = [0.03, 0.05]", "values = [0.03, \"many\"]"), "vary[1].values[1]"),
        ("range.toml", EXPERIMENT.replace("values = [0.03, 0.05]", "values = [0.03, 1.5]"), "vary[1].values[1]"),
        ("metric.toml", EXPERIMENT.replace("active:peak", "rioters:peak"), "outputs[0]"),
        ("stat.toml", EXPERIMENT.replace("active:peak\"", "active:median\""), "outputs[0]"),
        ("typo.toml", EXPERIMENT.replace("replicates = 3", "replicate = 3"), "replicate"),
        (
            "ticks.toml",
            EXPERIMENT.replace(
                "path = \"forces.cops.density\"\nvalues = [0.03, 0.05]",
                "path = \"ticks\"\nvalues = [10, 20]",
            ),
            "vary",
        ),
    ];
    for (name, text, key) in cases {
        let exp = write_experiment(dir.path(), name, &text);
        let out = dir.path().join(format!("{name}.out"));
        let o = sweep(&exp, &out, &[]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(name) && stderr(&o).contains(key),
            "{name}: the message names the file and `{key}`: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{name}");
        assert!(!out.exists(), "{name}: nothing may be written");
    }
    let exp = write_experiment(dir.path(), "good.toml", EXPERIMENT);
    for shard in ["3/2", "1/0", "x"] {
        let out = dir.path().join("shard.out");
        let o = sweep(&exp, &out, &["--shard", shard]);
        assert_eq!(o.status.code(), Some(2), "--shard {shard}");
        assert!(stderr(&o).contains("--shard"), "{}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn lhs_sobol_and_table_designs_run_and_write_their_outputs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = "scenario = \"epstein-run2\"\nticks = 30\nreplicates = 2\nmaster_seed = 5\noutputs = [\"active:peak\", \"jailed:final\"]\n";
    let lhs = format!(
        "{base}[design]\nkind = \"lhs\"\nsamples = 6\n\n[[vary]]\npath = \"rules.legitimacy\"\nlow = 0.7\nhigh = 0.9\n\n[[vary]]\npath = \"rules.jail_term.max\"\nlow = 5\nhigh = 40\ninteger = true\n"
    );
    let exp = write_experiment(dir.path(), "lhs.toml", &lhs);
    let out = dir.path().join("lhs.out");
    let o = sweep(&exp, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary");
    assert_eq!(summary.lines().count(), 1 + 6);
    // One legitimacy sample in each sixth of [0.7, 0.9].
    let mut strata: Vec<usize> = summary
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',').nth(1).and_then(|v| v.parse::<f64>().ok()).map_or(99, |v| ((v - 0.7) / 0.2 * 6.0) as usize)
        })
        .collect();
    strata.sort_unstable();
    assert_eq!(strata, vec![0, 1, 2, 3, 4, 5]);

    let sobol = lhs.replace("kind = \"lhs\"\nsamples = 6", "kind = \"sobol\"\nsamples = 4\nbootstrap = 20");
    let exp = write_experiment(dir.path(), "sobol.toml", &sobol);
    let out = dir.path().join("sobol.out");
    let o = sweep(&exp, &out, &["--threads", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs");
    assert_eq!(runs.lines().count(), 1 + 4 * (2 + 2) * 2, "n (k + 2) points x replicates");
    let sensitivity = std::fs::read_to_string(out.join("sensitivity.csv")).expect("sensitivity.csv");
    assert!(
        sensitivity.starts_with("outcome,parameter,S1,S1_ci95_lo,S1_ci95_hi,ST,ST_ci95_lo,ST_ci95_hi\n"),
        "{sensitivity}"
    );
    assert_eq!(sensitivity.lines().count(), 1 + 2 * 2, "two outcomes x two parameters");

    std::fs::write(dir.path().join("points.csv"), "rules.legitimacy,rules.arrest_ratio\n0.8,floor\n0.85,\"literal\"\n")
        .expect("csv");
    let table = format!("{base}[design]\nkind = \"table\"\nfile = \"points.csv\"\n");
    let exp = write_experiment(dir.path(), "table.toml", &table);
    let out = dir.path().join("table.out");
    let o = sweep(&exp, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs");
    assert!(runs.starts_with("run_id,point_id,replicate,seed,rules.legitimacy,rules.arrest_ratio,"), "{runs}");
    assert!(runs.contains(",0.85,literal,"), "{runs}");
    std::fs::write(dir.path().join("points.csv"), "rules.legitimacy\n0.8\n1.7\n").expect("csv");
    let o = sweep(&exp, &dir.path().join("table-bad.out"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("design point 1"), "{}", stderr(&o));
}

#[test]
fn sigterm_stops_cleanly_and_resume_finishes_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let long = EXPERIMENT.replace("ticks = 60", "ticks = 250").replace("replicates = 3", "replicates = 12");
    let exp = write_experiment(dir.path(), "term.toml", &long);
    let reference = dir.path().join("reference");
    assert_eq!(sweep(&exp, &reference, &["--threads", "2"]).status.code(), Some(0));
    let out = dir.path().join("term");
    let child = Command::new(env!("CARGO_BIN_EXE_peacesim"))
        .args(["sweep", exp.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8"), "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    for _ in 0..2000 {
        if std::fs::read_to_string(out.join("runs.csv")).map(|s| s.lines().count()).unwrap_or(0) > 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--resume"), "tells how to continue: {}", stderr(&o));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("\"status\": \"interrupted\""), "{manifest}");
    let o = sweep(&exp, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_outputs(&reference, &out);
}

#[test]
fn fixed_values_take_quoted_paths_and_dotted_keys_alike() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut outputs = Vec::new();
    for (name, fixed) in [
        ("quoted", "\"rules.arrest_ratio\" = \"literal\""),
        ("dotted", "rules.arrest_ratio = \"literal\""),
        ("none", ""),
    ] {
        let text = EXPERIMENT.replace("[design]", &format!("[fixed]\n{fixed}\n\n[design]"));
        let exp = write_experiment(dir.path(), &format!("{name}.toml"), &text);
        let out = dir.path().join(format!("{name}.out"));
        let o = sweep(&exp, &out, &[]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        outputs.push(std::fs::read_to_string(out.join("runs.csv")).expect("runs"));
    }
    assert_eq!(outputs[0], outputs[1], "both spellings set the same value");
    assert_ne!(outputs[0], outputs[2], "the fixed value changes the runs");
}

/// Every experiment shipped under scenarios/experiments plans without error (`--dry-run` exits 0).
#[test]
fn every_shipped_experiment_plans() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/experiments");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&root).expect("experiments dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    for file in files {
        let o = sweep(&file, &dir.path().join("out"), &["--dry-run"]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", file.display(), stderr(&o));
    }
}
