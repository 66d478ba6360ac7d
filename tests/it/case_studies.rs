//! The bundled case studies tell their stories in the numbers: each test runs seeds 1 to 10 of one case
//! study, over a horizon cut just past the events it is about, and states its criterion in a comment.
//! Comparisons of two arms are paired (same seed, one change), as in the other modules.

use crate::{Evidence, Run, differences, evidence, paired_t, scenario};
use peacesim_scenario::Scenario;
use peacesim_scenario::conflict::EventSpecKind;

const SEEDS: u64 = 10;

/// The tick of the first event of `kind` in a scenario (so the tests follow the file, not a copy of its dates).
fn tick_of(s: &Scenario, kind: EventSpecKind) -> u64 {
    s.events.iter().find(|e| e.kind == kind).map(|e| e.tick).unwrap_or_else(|| panic!("{}: no {kind:?} event", s.name))
}

/// Runs seeds 1..=SEEDS of `s` for `ticks` and applies `measure` to each run.
fn per_seed(s: &Scenario, ticks: u64, measure: impl Fn(&Run) -> Vec<f64>) -> Vec<Vec<f64>> {
    (1..=SEEDS).map(|seed| measure(&Run::new(s, seed, ticks))).collect()
}

/// Column `i` of per-seed measures.
fn nth(rows: &[Vec<f64>], i: usize) -> Vec<f64> {
    rows.iter().map(|r| r[i]).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn the_case_studies_are_bundled_with_headers() {
    let names: Vec<&str> = peacesim_scenario::bundled::all().map(|b| b.name).collect();
    for name in ["haiti-minustah", "somalia-amisom", "sinai-mfo", "untso-1948"] {
        let b =
            peacesim_scenario::bundled::all().find(|b| b.name == name).unwrap_or_else(|| panic!("{name} in {names:?}"));
        assert!(b.path.starts_with("scenarios/case-studies/"), "{}", b.path);
        assert!(b.text.contains("case-studies.md"), "{name}: the header cites its source");
        assert!(b.text.contains("Scale."), "{name}: the header states the scale");
        assert!(!b.summary().is_empty(), "{name}: a `# summary:` line");
    }
}

/// Criterion: in MINUSTAH's Haiti, over seeds 1-10 run to 180 days after the earthquake, the displaced in
/// the 30 days from the quake outnumber those of the 30 days before by a one-sided paired t above 1.645 and
/// at least threefold (pooled means); food delivered in the 180 days after it exceeds the 180 days before by
/// a paired t above 1.645 and at least twofold; and the agencies' supply (scheduled, the same in every seed)
/// is at least twofold in every seed.
#[test]
fn haiti_the_earthquake_brings_a_displacement_spike_and_an_aid_surge() {
    let s = scenario("haiti-minustah", &[]);
    let quake = tick_of(&s, EventSpecKind::Earthquake) as usize;
    let rows = per_seed(&s, quake as u64 + 180, |run| {
        vec![
            run.mean("displaced", quake - 30, quake - 1),
            run.mean("displaced", quake, quake + 29),
            run.mean("aid_delivered", quake - 180, quake - 1),
            run.mean("aid_delivered", quake + 1, quake + 180),
            run.mean("aid_supplied", quake - 180, quake - 1),
            run.mean("aid_supplied", quake + 1, quake + 180),
            run.sum("disaster_deaths", quake, quake),
        ]
    });
    for (what, before, after, factor) in [("displaced", 0, 1, 3.0), ("aid delivered", 2, 3, 2.0)] {
        let (b, a) = (nth(&rows, before), nth(&rows, after));
        let t = paired_t(&differences(&b, &a));
        println!("haiti {what}: before {:.1}, after {:.1} a day (paired t {t:.2})", mean(&b), mean(&a));
        evidence(&Evidence {
            effect: "case study haiti-minustah: the 2010 earthquake brings a displacement spike and an aid surge",
            test: "case_studies::haiti_the_earthquake_brings_a_displacement_spike_and_an_aid_surge",
            measure: if before == 0 {
                "displaced, mean a day over the 30 days before and the 30 days from the quake, per seed"
            } else {
                "food delivered, mean a day over the 180 days before and after the quake, per seed"
            },
            arms: vec![("before the quake".to_owned(), b.clone()), ("after the quake".to_owned(), a.clone())],
            statistic: format!("one-sided paired t {t:.2}; ratio {:.1}", mean(&a) / mean(&b).max(1e-9)),
            criterion: "paired t > 1.645 and a rise at least threefold (displaced) or twofold (aid)",
            holds: t > 1.645 && mean(&a) >= factor * mean(&b),
            verdict: "the story holds (the case facts: 2.3 million displaced, almost a quarter of the population)"
                .to_owned(),
        });
        assert!(t > 1.645, "{what} must rise after the quake: t = {t}");
        assert!(mean(&a) >= factor * mean(&b), "{what}: {} after vs {} before", mean(&a), mean(&b));
    }
    let (supplied_before, supplied_after) = (nth(&rows, 4), nth(&rows, 5));
    println!("haiti aid supplied: before {:.1}, after {:.1} a day", mean(&supplied_before), mean(&supplied_after));
    assert!(supplied_before.iter().zip(&supplied_after).all(|(b, a)| *a >= 2.0 * b), "the aid surge");
    assert!(nth(&rows, 6).iter().all(|&d| d > 0.0), "the quake kills in every seed: {:?}", nth(&rows, 6));
}

/// Criterion: in AMISOM's Somalia, over seeds 1-10 run to a year after the drought of 2011 begins, the year
/// from the drought's first day has more displaced (mean) and more recruits (total) than the same year of the
/// same seed without the drought: one-sided paired t above 1.645 for each, and at least 1.5 times as many
/// (pooled).
#[test]
fn somalia_the_famine_raises_displacement_and_recruitment() {
    let famine = scenario("somalia-amisom", &[]);
    let drought = tick_of(&famine, EventSpecKind::Drought) as usize;
    let mut no_famine = famine.clone();
    no_famine.events.retain(|e| e.kind != EventSpecKind::Drought);
    let (from, to) = (drought, drought + 364);
    let measure = |run: &Run| {
        vec![run.mean("displaced", from, to), run.sum("recruits", from, to), run.mean("food_insecurity", from, to)]
    };
    let with = per_seed(&famine, to as u64, measure);
    let without = per_seed(&no_famine, to as u64, measure);
    for (what, i) in [("displaced", 0), ("recruits", 1), ("food insecurity", 2)] {
        let (a, b) = (nth(&without, i), nth(&with, i));
        let t = paired_t(&differences(&a, &b));
        println!("somalia {what}: without the drought {:.3}, with it {:.3} (paired t {t:.2})", mean(&a), mean(&b));
        evidence(&Evidence {
            effect: "case study somalia-amisom: the 2011 famine raises displacement and recruitment",
            test: "case_studies::somalia_the_famine_raises_displacement_and_recruitment",
            measure: match i {
                0 => "displaced, mean a day over the famine year, per seed",
                1 => "recruits over the famine year, per seed",
                _ => "food insecurity, mean over the famine year, per seed",
            },
            arms: vec![("without the drought".to_owned(), a.clone()), ("with the drought".to_owned(), b.clone())],
            statistic: format!("one-sided paired t {t:.2}; ratio {:.1}", mean(&b) / mean(&a).max(1e-9)),
            criterion: "paired t > 1.645 and at least 1.5 times as much",
            holds: t > 1.645 && mean(&b) >= 1.5 * mean(&a),
            verdict: "the story holds; recruit counts are relative (one civilian agent becomes one fighter)".to_owned(),
        });
        assert!(t > 1.645, "the famine must raise {what}: t = {t}");
        assert!(mean(&b) >= 1.5 * mean(&a), "{what}: {} with vs {} without", mean(&b), mean(&a));
    }
}

/// Criterion: in the MFO's Sinai, over seeds 1-10 and the whole decade, every seed has violations, the force
/// detects at least a fifth of them (pooled) and some in every seed, at most 5 people die in any seed
/// (civilians and combatants) and the treaty is intact at the end in at least 9 seeds of 10.
#[test]
fn sinai_violations_are_detected_and_violence_stays_near_zero() {
    let s = scenario("sinai-mfo", &[]);
    let end = s.ticks as usize;
    let rows = per_seed(&s, s.ticks, |run| {
        vec![
            run.sum("ceasefire_violations", 1, end),
            run.sum("ceasefire_violations_detected", 1, end),
            run.sum("civilian_deaths", 1, end) + run.sum("combatant_deaths", 1, end),
            run.column("ceasefires")[end],
        ]
    });
    let (violations, detected, deaths, truces) = (nth(&rows, 0), nth(&rows, 1), nth(&rows, 2), nth(&rows, 3));
    let holds = violations.iter().all(|&v| v > 0.0)
        && detected.iter().all(|&d| d > 0.0)
        && mean(&detected) >= 0.2 * mean(&violations)
        && deaths.iter().all(|&d| d <= 5.0)
        && truces.iter().filter(|&&t| t == 3.0).count() >= 9;
    report_truce("sinai", &rows, holds);
    assert!(violations.iter().all(|&v| v > 0.0), "violations happen in every seed: {violations:?}");
    assert!(detected.iter().all(|&d| d > 0.0), "and some are detected in every seed: {detected:?}");
    assert!(mean(&detected) >= 0.2 * mean(&violations), "detected {detected:?} of {violations:?}");
    assert!(deaths.iter().all(|&d| d <= 5.0), "near-zero violence: {deaths:?}");
    assert!(truces.iter().filter(|&&t| t == 3.0).count() >= 9, "the treaty holds: {truces:?}");
}

/// Criterion: in UNTSO's 1948 truce, over seeds 1-10 and the year, the observers detect violations in every
/// seed and at least two fifths of them (pooled); on average at most 5 deaths a seed, and all three truces
/// hold to the end in at least 9 seeds of 10. Without observers (same seeds) nothing is detected.
#[test]
fn untso_observers_detect_violations_and_the_truce_holds() {
    let s = scenario("untso-1948", &[]);
    let end = s.ticks as usize;
    let measure = |run: &Run| {
        vec![
            run.sum("ceasefire_violations", 1, end),
            run.sum("ceasefire_violations_detected", 1, end),
            run.sum("civilian_deaths", 1, end) + run.sum("combatant_deaths", 1, end),
            run.column("ceasefires")[end],
        ]
    };
    let rows = per_seed(&s, s.ticks, measure);
    let (violations, detected, deaths, truces) = (nth(&rows, 0), nth(&rows, 1), nth(&rows, 2), nth(&rows, 3));
    let holds = detected.iter().all(|&d| d > 0.0)
        && mean(&detected) >= 0.4 * mean(&violations)
        && mean(&deaths) <= 5.0
        && truces.iter().filter(|&&t| t == 3.0).count() >= 9;
    report_truce("untso", &rows, holds);
    assert!(detected.iter().all(|&d| d > 0.0), "observers detect violations in every seed: {detected:?}");
    assert!(mean(&detected) >= 0.4 * mean(&violations), "detected {detected:?} of {violations:?}");
    assert!(mean(&deaths) <= 5.0, "low violence: {deaths:?}");
    assert!(truces.iter().filter(|&&t| t == 3.0).count() >= 9, "the truce holds: {truces:?}");

    let mut unwatched = s.clone();
    for c in unwatched.peacekeeping.as_mut().expect("a mission").contingents.values_mut() {
        c.observers = 0;
    }
    let blind = per_seed(&unwatched, unwatched.ticks, measure);
    assert_eq!(nth(&blind, 1).iter().sum::<f64>(), 0.0, "nobody to see, nothing detected");
}

fn report_truce(name: &str, rows: &[Vec<f64>], holds: bool) {
    let (effect, test) = if name == "sinai" {
        (
            "case study sinai-mfo: violations are detected and violence stays near zero",
            "case_studies::sinai_violations_are_detected_and_violence_stays_near_zero",
        )
    } else {
        (
            "case study untso-1948: observers detect violations and the truce holds",
            "case_studies::untso_observers_detect_violations_and_the_truce_holds",
        )
    };
    let intact = nth(rows, 3).iter().filter(|&&t| t == 3.0).count();
    evidence(&Evidence {
        effect,
        test,
        measure: "violations, violations detected, and deaths (civilian + combatant) over the run, per seed",
        arms: vec![
            ("violations".to_owned(), nth(rows, 0)),
            ("detected".to_owned(), nth(rows, 1)),
            ("deaths".to_owned(), nth(rows, 2)),
        ],
        statistic: format!(
            "detected {:.0}% of violations (pooled); truces intact at the end in {intact} of {} seeds",
            100.0 * mean(&nth(rows, 1)) / mean(&nth(rows, 0)).max(1e-9),
            rows.len()
        ),
        criterion: "the test's criterion above (detections in every seed, a share detected, near-zero deaths, truces intact in 9 of 10)",
        holds,
        verdict: "the story holds".to_owned(),
    });
    println!(
        "{name}: violations {:.1}, detected {:.1}, deaths {:.1} a seed; truces intact at the end {:?}",
        mean(&nth(rows, 0)),
        mean(&nth(rows, 1)),
        mean(&nth(rows, 2)),
        nth(rows, 3)
    );
}
