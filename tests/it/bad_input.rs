//! Broken scenario files give errors naming the file, the line and the key, and never panic.

use peacesim_scenario::{Override, ScenarioError, parse_scenario, parse_scenario_bytes};

const GOOD: &str = include_str!("../../scenarios/classic/epstein-run2.toml");

fn error_for(text: &str) -> ScenarioError {
    match parse_scenario(text, "broken.toml", &[]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("{needle} not in text"))
}

#[test]
fn the_good_file_parses() {
    assert!(parse_scenario(GOOD, "epstein-run2.toml", &[]).is_ok());
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let text = GOOD.replace("threshold = 0.1", "threshold = 0.1\nthreshhold = 0.2");
    let e = error_for(&text);
    let d = &e.diagnostics[0];
    assert_eq!(d.key, "rules.threshhold");
    assert_eq!(d.line, Some(line_of(&text, "threshhold")));
    assert!(e.to_string().starts_with("broken.toml:"), "{e}");
}

#[test]
fn wrong_type_is_named_with_its_line() {
    let text = GOOD.replace("legitimacy = 0.82", "legitimacy = \"high\"");
    let e = error_for(&text);
    assert_eq!(e.diagnostics[0].key, "rules.legitimacy");
    assert_eq!(e.diagnostics[0].line, Some(line_of(&text, "legitimacy = \"high\"")));
}

#[test]
fn probability_above_one_is_out_of_range() {
    let text = GOOD.replace("density = 0.04", "density = 1.3");
    let e = error_for(&text);
    assert!(e.diagnostics.iter().any(|d| d.key == "forces.cops.density" && d.message.contains("out of range")), "{e}");
    assert!(e.diagnostics.iter().any(|d| d.line == Some(line_of(&text, "density = 1.3"))), "{e}");
}

#[test]
fn negative_size_is_rejected() {
    let e = error_for(&GOOD.replace("width = 40", "width = -40"));
    assert_eq!(e.diagnostics[0].key, "grid.width");
    assert!(e.diagnostics[0].line.is_some());
}

#[test]
fn densities_summing_past_one_are_rejected() {
    let e = error_for(&GOOD.replace("density = 0.7", "density = 0.97"));
    assert!(e.diagnostics.iter().any(|d| d.message.contains("sum to")), "{e}");
}

#[test]
fn empty_file_and_binary_garbage_are_rejected() {
    let e = error_for("");
    assert!(e.to_string().contains("empty"), "{e}");
    let garbage: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
    let e = parse_scenario_bytes(&garbage, "garbage.bin", &[]).expect_err("garbage must be rejected");
    assert!(e.to_string().starts_with("garbage.bin:"), "{e}");
    let e = parse_scenario_bytes(b"\x00\x01 = = [[", "junk.toml", &[]).expect_err("junk must be rejected");
    assert!(e.diagnostics[0].line.is_some(), "{e}");
}

#[test]
fn ramp_ending_before_it_starts_is_rejected() {
    let text = format!(
        "{GOOD}\n[[schedule]]\npath = \"rules.legitimacy\"\nramp = {{ start = 50, end = 10, from = 0.9, to = 0.5 }}\n"
    );
    let e = error_for(&text);
    assert_eq!(e.diagnostics[0].key, "schedule[0].ramp.end");
    assert_eq!(e.diagnostics[0].line, Some(line_of(&text, "ramp = { start = 50")));
}

#[test]
fn schedule_path_that_is_not_a_runtime_parameter_is_rejected() {
    let text = format!("{GOOD}\n[[schedule]]\npath = \"rules.nonsense\"\ntick = 5\nvalue = 1.0\n");
    let e = error_for(&text);
    assert_eq!(e.diagnostics[0].key, "schedule[0].path");
    assert!(e.diagnostics[0].message.contains("runtime parameter"), "{e}");
}

#[test]
fn overrides_are_checked_like_the_file() {
    let bad = Override::parse("rules.legitimacy=1.5").expect("well formed");
    let e = parse_scenario(GOOD, "epstein-run2.toml", &[bad]).expect_err("out of range");
    assert_eq!(e.source_name, "--set");
    assert_eq!(e.diagnostics[0].key, "rules.legitimacy");
    let unknown = Override::parse("rules.legitimcy=0.5").expect("well formed");
    let e = parse_scenario(GOOD, "epstein-run2.toml", &[unknown]).expect_err("unknown key");
    assert_eq!(e.diagnostics[0].key, "rules.legitimcy");
    assert!(Override::parse("no-equals-sign").is_err());
    let ok = Override::parse("rules.legitimacy=0.5").expect("well formed");
    let s = parse_scenario(GOOD, "epstein-run2.toml", &[ok]).expect("valid override");
    assert_eq!(s.rules.legitimacy, 0.5);
}

#[test]
fn fuzzed_mutations_never_panic() {
    // Deterministic byte-level mutations of a good file: every outcome is Ok or a located Err, never a panic.
    let bytes = GOOD.as_bytes();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let mut mutated = bytes.to_vec();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % mutated.len() as u64) as usize;
            mutated[i] = (state >> 32) as u8;
        }
        let _ = parse_scenario_bytes(&mutated, "mutated.toml", &[]);
    }
}

#[test]
fn an_override_that_creates_an_incomplete_table_is_blamed_on_the_override() {
    let o = Override::parse("populations.new.density=0.1").expect("well formed");
    let e = parse_scenario(GOOD, "epstein-run2.toml", &[o]).expect_err("new population has no vision");
    assert_eq!(e.source_name, "--set");
    assert_eq!(e.diagnostics[0].key, "populations.new");
}

#[test]
fn a_ramp_of_zero_length_is_a_step_to_its_target() {
    let ramp = peacesim_scenario::Ramp { start: 5, end: Some(5), from: 0.9, to: 0.4, rate: None };
    assert_eq!(ramp.value_at(4), 0.9);
    assert_eq!(ramp.value_at(5), 0.4);
    assert_eq!(ramp.value_at(6), 0.4);
}

const AID: &str = include_str!("../../scenarios/tutorial/district-aid.toml");

/// Criterion (scenario authoring): each mistake a scenario author can make across the layers is reported
/// with the key path of the offending value and its line, whatever else is in the file: an unknown faction
/// in an event, a unit or a depot in water, a contingent without a mission, a sector naming a district that
/// is not on the map, a base off the map, and events or schedule entries after the horizon.
#[test]
fn an_authors_mistakes_are_located() {
    let cases: [(&str, &str, &str, &str, &str); 8] = [
        (
            "factions = [\"army\", \"rebels\"]\nduration = 90",
            "factions = [\"army\", \"ghosts\"]\nduration = 90",
            "events[2].factions[1]",
            "\"ghosts\"",
            "there is no faction `ghosts`",
        ),
        (
            "[peacekeeping.contingents.atlantis]\n",
            "[peacekeeping.contingents.atlantis]\nbase = [5, 14]\n",
            "peacekeeping.contingents.atlantis.base",
            "base = [5, 14]",
            "is water",
        ),
        ("depot = [32, 20]", "depot = [32, 14]", "aid.agencies.wfp.depot", "depot = [32, 14]", "is water"),
        (
            "[peacekeeping.contingents.atlantis]\nmission = \"unmid\"\n",
            "[peacekeeping.contingents.atlantis]\n",
            "peacekeeping.contingents.atlantis",
            "[peacekeeping.contingents.atlantis]",
            "mission",
        ),
        (
            "east = [\"town\", \"camp\"]",
            "east = [\"town\", \"sea\"]",
            "peacekeeping.missions.unmid.sectors.east[1]",
            "east = [\"town\", \"sea\"]",
            "sea",
        ),
        (
            "[peacekeeping.contingents.atlantis]\n",
            "[peacekeeping.contingents.atlantis]\nbase = [75, 3]\n",
            "peacekeeping.contingents.atlantis.base",
            "base = [75, 3]",
            "outside",
        ),
        (
            "tick = 150\nkind = \"ceasefire\"",
            "tick = 400\nkind = \"ceasefire\"",
            "events[2].tick",
            "tick = 400",
            "beyond the scenario's horizon of 365 ticks",
        ),
        (
            "tick = 270\nvalue = 30",
            "tick = 366\nvalue = 30",
            "schedule[0].tick",
            "tick = 366",
            "beyond the scenario's horizon of 365 ticks",
        ),
    ];
    for (from, to, key, line_text, message) in cases {
        assert!(AID.contains(from), "the tutorial changed: `{from}` is gone");
        let text = AID.replacen(from, to, 1);
        let e = match parse_scenario(&text, "district-aid.toml", &[]) {
            Ok(_) => panic!("accepted the mistake at `{key}`"),
            Err(e) => e,
        };
        let d =
            e.diagnostics.iter().find(|d| d.key == key).unwrap_or_else(|| panic!("no error at `{key}`; errors:\n{e}"));
        assert!(d.message.contains(message), "`{key}`: `{}` does not say `{message}`", d.message);
        let line = d.line.unwrap_or_else(|| panic!("`{key}` has no line"));
        // The line of the value, or of the table or array entry that holds it.
        let expected = line_of(&text, line_text);
        let header = text[..text.find(line_text).unwrap_or(0)].rfind("\n[").map(|i| text[..i].lines().count() + 1);
        assert!(
            line == expected || Some(line) == header,
            "`{key}` at line {line}, expected {expected} (or its table at {header:?})"
        );
    }
}
