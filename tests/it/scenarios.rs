//! Every bundled scenario parses, validates and runs.

use crate::{scenario, simulation};
use peacesim_core::Simulation;
use std::path::Path;

#[test]
fn every_bundled_scenario_parses_validates_and_runs_50_ticks() {
    let bundled: Vec<_> = peacesim_scenario::bundled::all().collect();
    assert!(bundled.len() >= 9, "expected the eight Epstein runs and mesa-epstein, found {}", bundled.len());
    for b in bundled {
        let s = peacesim_scenario::parse_scenario(b.text, b.path, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.name, b.name, "{}: `name` must match the file name", b.path);
        assert!(
            b.text.starts_with("# "),
            "{}: a bundled scenario opens with a header comment citing its source",
            b.path
        );
        assert!(!b.summary().is_empty(), "{}: needs a `# summary:` line", b.path);
        let mut sim = simulation(&s, 3);
        sim.run(50);
        assert_eq!(sim.tick(), 50);
        assert!(sim.metric("alive").is_some_and(|a| a > 0.0), "{}: nobody alive", b.path);
    }
}

#[test]
fn bundled_scenarios_match_the_files_on_disk() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for b in peacesim_scenario::bundled::all() {
        let on_disk = std::fs::read_to_string(root.join(b.path)).unwrap_or_else(|e| panic!("{}: {e}", b.path));
        assert_eq!(on_disk, b.text, "{} differs from the copy embedded in the binary", b.path);
    }
}

#[test]
fn schedule_step_change_and_ramp_take_effect_on_their_ticks() {
    // Run 4: legitimacy jumps from 0.9 to 0.7 at t = 77.
    let jump = crate::series(&crate::scenario("epstein-run4", &[]), 1, 80, "legitimacy");
    assert_eq!(jump[76], 0.9);
    assert_eq!(jump[77], 0.7);
    assert_eq!(jump[80], 0.7);
    // Run 3: 0.9 at t = 1, then down by 0.01 per tick, reaching 0.2 at t = 71 and staying there.
    let slide = crate::series(&crate::scenario("epstein-run3", &[]), 1, 100, "legitimacy");
    assert_eq!(slide[0], 0.9);
    assert_eq!(slide[1], 0.9);
    assert!((slide[11] - 0.8).abs() < 1e-12, "{}", slide[11]);
    assert!((slide[71] - 0.2).abs() < 1e-12, "{}", slide[71]);
    assert_eq!(slide[100], 0.2);
    // Run 5: cops fall linearly from 0.074 x 1600 = 118 at t = 50 to none at t = 300.
    let cops = crate::series(&crate::scenario("epstein-run5", &[]), 1, 310, "cops");
    assert_eq!(cops[49], 118.0);
    assert!(cops[175] > 50.0 && cops[175] < 70.0, "{}", cops[175]);
    assert_eq!(cops[300], 0.0);
    assert!(cops.windows(2).all(|w| w[1] <= w[0]), "cop numbers never rise");
}

/// Every experiment under scenarios/experiments/ reads and checks (paths, values, outcomes against its
/// scenario), and every one of its design points builds and runs a few ticks.
#[test]
fn every_experiment_plans_and_its_points_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/experiments");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let plan = peacesim_batch::plan::Plan::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!plan.is_empty(), "{}", path.display());
        for point in 0..plan.points.len() as u64 {
            let s = plan.scenario(point).unwrap_or_else(|e| panic!("{} point {point}: {e}", path.display()));
            crate::simulation(&s, 1).run(3);
        }
        seen += 1;
    }
    assert!(seen >= 4, "found {seen} experiments");
}

/// A frame shows what the metrics count: one code per cell, the fighters, the units and the convoys.
#[test]
fn frames_match_the_metrics() {
    let s = crate::scenario("district-aid", &[]);
    let mut sim = crate::simulation(&s, 4);
    sim.run(100);
    let frame = sim.frame();
    let metric = |m: &str| sim.metric(m).unwrap_or_else(|| panic!("no metric {m}"));
    assert_eq!((frame.width, frame.height), (60, 30));
    assert_eq!(frame.cells.len(), 1800);
    assert_eq!(frame.control.len(), 1800);
    let fighters = frame.fighters.iter().filter(|&&f| f >= 0).count() as f64;
    assert_eq!(fighters, metric("fighters"));
    assert_eq!(
        frame.cells.iter().filter(|&&c| c == peacesim_core::frames::CellCode::Fighter as u8).count() as f64,
        fighters
    );
    let water = frame.cells.iter().filter(|&&c| c == peacesim_core::frames::CellCode::Water as u8).count();
    assert_eq!(water as u64, 1800 - s.land_cells());
    let displaced = frame.cells.iter().filter(|&&c| c == peacesim_core::frames::CellCode::Displaced as u8).count();
    assert!(displaced as f64 <= metric("displaced"));
    assert_eq!(frame.units.len() as f64, metric("peacekeeping_units"));
    assert_eq!(frame.units.iter().map(|u| f64::from(u.strength)).sum::<f64>(), metric("peacekeepers"));
    let convoy_size = s.aid.as_ref().map_or(0.0, |a| a.convoy_size);
    assert_eq!(frame.convoys.len() as f64 * convoy_size, metric("aid_in_transit"));
    assert!(frame.factions.len() == 5 && frame.control.iter().any(|&c| c >= 0));
    let json = serde_json::to_string(&frame).unwrap_or_else(|e| panic!("{e}"));
    let back: peacesim_core::frames::Frame = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, frame);
}

/// The complete scenario files shown in docs/scenario-format.md (code blocks with `schema_version`) parse
/// and validate, so the worked examples stay true as the format changes.
#[test]
fn the_worked_examples_in_the_docs_validate() {
    let doc = include_str!("../../docs/scenario-format.md");
    let mut checked = 0;
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```toml" {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let block: Vec<&str> =
            lines.by_ref().take_while(|l| l.trim() != "```").map(|l| l.get(indent..).unwrap_or("")).collect();
        let text = block.join("\n");
        if !text.contains("schema_version") {
            continue;
        }
        if let Err(e) = peacesim_scenario::parse_scenario(&text, "docs/scenario-format.md example", &[]) {
            panic!("a worked example does not validate: {e}\n{text}");
        }
        checked += 1;
    }
    assert!(checked >= 3, "found {checked} complete examples");
}

/// Every column of every bundled scenario's `timeseries.csv` has the kind docs/cli.md gives it (the kind
/// decides the statistic of an outcome measure named by its metric alone): an exact row of the table, or
/// else the longest pattern row (`alive_<district>`) whose prefix the column starts with.
#[test]
fn every_metric_has_the_kind_docs_cli_gives_it() {
    let doc = include_str!("../../docs/cli.md");
    let start = doc.find("### `timeseries.csv`").unwrap_or_else(|| panic!("docs/cli.md has the timeseries section"));
    let end = doc[start..].find("### `events.csv`").map_or(doc.len(), |e| start + e);
    // `| `name` | kind | meaning |` rows.
    let rows: Vec<(&str, &str)> = doc[start..end]
        .lines()
        .filter_map(|l| {
            let mut cells = l.strip_prefix("| `")?.splitn(2, "` | ");
            let name = cells.next()?;
            let kind = cells.next()?.split(" |").next()?;
            kind.chars().all(|c| c.is_ascii_lowercase() || c == ' ' || c == '-').then_some((name, kind))
        })
        .collect();
    assert!(rows.len() > 80, "read {} rows of the table", rows.len());
    let documented = |column: &str| -> Option<&str> {
        if let Some(&(_, kind)) = rows.iter().find(|(name, _)| *name == column) {
            return Some(kind);
        }
        let patterns: Vec<(&str, &str)> = rows
            .iter()
            .filter_map(|&(name, kind)| Some((name.split_once('<')?.0, kind)))
            .filter(|(prefix, _)| column.starts_with(prefix))
            .collect();
        let longest = patterns.iter().map(|(p, _)| p.len()).max()?;
        let kinds: Vec<&str> = patterns.iter().filter(|(p, _)| p.len() == longest).map(|&(_, k)| k).collect();
        kinds.iter().all(|k| *k == kinds[0]).then(|| kinds[0])
    };
    let mut checked = 0;
    for b in peacesim_scenario::bundled::all() {
        let s = scenario(b.name, &[]);
        let sim = Simulation::new(&s, 1).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert_eq!(sim.metric_names().len(), sim.metric_kinds().len());
        for (name, kind) in sim.metric_names().iter().zip(sim.metric_kinds()) {
            assert_eq!(documented(name), Some(kind.as_str()), "{}: column {name}", b.name);
            checked += 1;
        }
    }
    assert!(checked > 500, "checked {checked} columns");
}
