//! Checkpoints: a run restored from `Simulation::snapshot` continues exactly as the run it was taken from
//! (same metrics rows, events and state hashes), a snapshot of a restored run is the checkpoint itself, and
//! every kind of bad checkpoint is a located error, never a panic.

use crate::{scenario, simulation};
use peacesim_core::checkpoint::{FORMAT_VERSION, MAGIC, read_header};
use peacesim_core::{CheckpointError, Event, Simulation};
use peacesim_scenario::{Scenario, bundled, fnv1a};

const SEED: u64 = 20;

/// Metrics rows as bits (so that -0.0 and NaN compare exactly) and events, of ticks `from+1..=to`.
fn advance(sim: &mut Simulation, to: u64) -> (Vec<Vec<u64>>, Vec<Vec<Event>>) {
    let (mut rows, mut events) = (Vec::new(), Vec::new());
    while sim.tick() < to {
        sim.step();
        rows.push(sim.metrics().iter().map(|v| v.to_bits()).collect());
        events.push(sim.events().to_vec());
    }
    (rows, events)
}

fn restore(s: &Scenario, bytes: &[u8]) -> Simulation {
    Simulation::restore(s, bytes).unwrap_or_else(|e| panic!("{}: {e}", s.name))
}

/// Checks that a run restored from a snapshot of `original` (at its current tick) continues like `original`
/// to tick `to`, and returns the original's snapshot at `to`.
fn resumes_exactly(s: &Scenario, original: &mut Simulation, to: u64) {
    let at = original.tick();
    let bytes = original.snapshot();
    let mut restored = restore(s, &bytes);
    assert_eq!(restored.tick(), at, "{}", s.name);
    assert_eq!(restored.seed(), original.seed(), "{}", s.name);
    assert!(restored.snapshot() == bytes, "{} tick {at}: a snapshot of the restored run differs", s.name);
    assert_eq!(restored.metrics(), original.metrics(), "{} tick {at}: the latest metrics row", s.name);
    assert_eq!(restored.events(), original.events(), "{} tick {at}: the latest events", s.name);
    let (rows, events) = advance(original, to);
    let (rows_r, events_r) = advance(&mut restored, to);
    for (k, (a, b)) in rows.iter().zip(&rows_r).enumerate() {
        assert_eq!(a, b, "{} resumed at {at}: metrics row of tick {}", s.name, at + 1 + k as u64);
    }
    for (k, (a, b)) in events.iter().zip(&events_r).enumerate() {
        assert_eq!(a, b, "{} resumed at {at}: events of tick {}", s.name, at + 1 + k as u64);
    }
    assert_eq!(original.state_hash(), restored.state_hash(), "{} resumed at {at}: state hash at {to}", s.name);
    assert!(original.snapshot() == restored.snapshot(), "{} resumed at {at}: snapshots at {to} differ", s.name);
}

/// For every bundled scenario: run to T = min(ticks, 60), recording metrics rows and events; separately
/// run to T/2, snapshot, restore and run to T. Rows T/2+1..=T, events and the final state hash agree, and a
/// snapshot of the restored run is the checkpoint it came from.
#[test]
fn every_bundled_scenario_resumes_from_a_checkpoint_exactly() {
    for b in bundled::all() {
        let s = scenario(b.name, &[]);
        let end = s.ticks.min(60);
        let half = end / 2;

        let mut straight = simulation(&s, SEED);
        let (rows, events) = advance(&mut straight, end);

        let mut first = simulation(&s, SEED);
        first.run(half);
        let bytes = first.snapshot();
        let mut resumed = restore(&s, &bytes);
        assert!(resumed.snapshot() == bytes, "{}: snapshot of the restored run differs", b.name);
        let (rows_r, events_r) = advance(&mut resumed, end);
        assert_eq!(rows_r.len() as u64, end - half);
        assert_eq!(rows_r, rows[half as usize..], "{}: metrics rows after tick {half}", b.name);
        assert_eq!(events_r, events[half as usize..], "{}: events after tick {half}", b.name);
        assert_eq!(resumed.state_hash(), straight.state_hash(), "{}: final state hash", b.name);
        assert!(resumed.snapshot() == straight.snapshot(), "{}: snapshots at tick {end} differ", b.name);
    }
}

/// The tutorials' schedule changes and events (droughts, deployments, ceasefires, reinforcements,
/// earthquakes, splits, defections, coups, mandate and consent changes, drawdowns) fall late in the year: a
/// checkpoint just before and just after each of them resumes exactly.
#[test]
fn tutorials_resume_exactly_around_their_events() {
    for name in ["district-conflict", "district-mission", "district-aid"] {
        let s = scenario(name, &[]);
        let mut at: Vec<u64> =
            s.events.iter().map(|e| e.tick).chain(s.schedule.iter().filter_map(|e| e.tick)).collect();
        at.extend(s.schedule.iter().filter_map(|e| e.ramp.as_ref()).map(|r| r.start));
        let mut stops: Vec<u64> = at.iter().flat_map(|&t| [t.saturating_sub(1), t]).filter(|&t| t > 0).collect();
        stops.sort_unstable();
        stops.dedup();
        assert!(stops.len() >= 8, "{name}: expected events to check around");
        let mut sim = simulation(&s, SEED);
        for &t in &stops {
            if t > sim.tick() {
                sim.run(t - sim.tick());
            }
            let next = (t + 2).max(sim.tick());
            resumes_exactly(&s, &mut sim, next);
        }
    }
}

/// A restored run may itself be checkpointed and restored again, and event recording off carries over.
#[test]
fn checkpoints_chain_and_keep_event_recording_off() {
    let s = scenario("epstein-run8", &[]);
    let mut straight = simulation(&s, SEED);
    straight.set_event_recording(false);
    let mut sim = simulation(&s, SEED);
    sim.set_event_recording(false);
    for stop in [7, 19, 33, 50] {
        sim.run(stop - sim.tick());
        sim = restore(&s, &sim.snapshot());
    }
    straight.run(60);
    sim.run(60 - sim.tick());
    assert!(sim.events().is_empty());
    assert_eq!(sim.state_hash(), straight.state_hash());
    assert!(sim.snapshot() == straight.snapshot());
}

/// A checkpoint's bytes: (header line, payload) split at the second newline.
fn split(bytes: &[u8]) -> (usize, usize) {
    let first = bytes.iter().position(|&b| b == b'\n').unwrap_or_else(|| panic!("no magic line"));
    let second = first + 1 + bytes[first + 1..].iter().position(|&b| b == b'\n').unwrap_or_else(|| panic!("no header"));
    (first + 1, second + 1)
}

fn checkpoint_of(name: &str, ticks: u64) -> (Scenario, Vec<u8>) {
    let s = scenario(name, &[]);
    let mut sim = simulation(&s, SEED);
    sim.run(ticks);
    let bytes = sim.snapshot();
    (s, bytes)
}

fn error(s: &Scenario, bytes: &[u8]) -> CheckpointError {
    match Simulation::restore(s, bytes) {
        Ok(_) => panic!("restored a bad checkpoint"),
        Err(e) => e,
    }
}

/// Rewrites the header of a checkpoint around a new payload, with a correct length and checksum.
fn with_payload(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let (header_start, payload_start) = split(bytes);
    let header = std::str::from_utf8(&bytes[header_start..payload_start - 1]).unwrap_or_else(|e| panic!("{e}"));
    let mut header: serde_json::Value = serde_json::from_str(header).unwrap_or_else(|e| panic!("{e}"));
    header["payload_bytes"] = payload.len().into();
    header["checksum"] = format!("{:016x}", fnv1a(payload)).into();
    let mut out = bytes[..header_start].to_vec();
    out.extend(serde_json::to_vec(&header).unwrap_or_else(|e| panic!("{e}")));
    out.push(b'\n');
    out.extend(payload);
    out
}

#[test]
fn the_header_says_what_the_checkpoint_is() {
    let (s, bytes) = checkpoint_of("district-aid", 12);
    assert!(bytes.starts_with(format!("{MAGIC}\n").as_bytes()));
    let (header, payload) = read_header(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(header.format, FORMAT_VERSION);
    assert_eq!(header.peacesim, peacesim_core::VERSION);
    assert_eq!(header.scenario, s.name);
    assert_eq!(header.fingerprint, s.fingerprint());
    assert_eq!((header.seed, header.tick), (SEED, 12));
    assert_eq!(header.payload_bytes, payload.len() as u64);
    assert_eq!(header.checksum, fnv1a(payload));
}

#[test]
fn a_corrupted_byte_is_a_checksum_error() {
    let (s, bytes) = checkpoint_of("district-mission", 10);
    let (_, payload_start) = split(&bytes);
    for at in [payload_start, payload_start + (bytes.len() - payload_start) / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x04;
        let e = error(&s, &bad);
        assert!(matches!(e, CheckpointError::ChecksumMismatch { .. }), "byte {at}: {e}");
        assert!(e.to_string().starts_with("corrupted checkpoint"), "{e}");
    }
}

#[test]
fn a_truncated_checkpoint_is_a_truncation_error() {
    let (s, bytes) = checkpoint_of("epstein-run2", 5);
    let (header_start, payload_start) = split(&bytes);
    for len in [3, header_start + 10, payload_start, payload_start + 100, bytes.len() - 1] {
        let e = error(&s, &bytes[..len]);
        assert!(matches!(e, CheckpointError::Truncated(_)), "cut at {len}: {e}");
        assert!(e.to_string().starts_with("truncated checkpoint"), "{e}");
    }
}

#[test]
fn another_format_version_is_a_version_error() {
    let (s, bytes) = checkpoint_of("epstein-run2", 5);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let needle = format!("\"format\":{FORMAT_VERSION},");
    assert!(text.contains(&needle));
    let bad = text.replacen(&needle, "\"format\":2,", 1);
    let e = error(&s, bad.as_bytes());
    assert_eq!(e, CheckpointError::UnsupportedVersion { found: 2, supported: FORMAT_VERSION });
    let message = e.to_string();
    assert!(message.contains("version 2") && message.contains(&format!("version {FORMAT_VERSION}")), "{message}");
}

#[test]
fn a_checkpoint_of_another_scenario_is_refused_naming_both() {
    let (_, bytes) = checkpoint_of("district-aid", 5);
    let other = scenario("epstein-run2", &[]);
    let e = error(&other, &bytes);
    assert!(matches!(e, CheckpointError::ScenarioMismatch { .. }), "{e}");
    let message = e.to_string();
    assert!(message.contains("district-aid") && message.contains("epstein-run2"), "{message}");
    // The same scenario with a parameter changed is another scenario too.
    let changed = scenario("district-aid", &[("rules.legitimacy", "0.5")]);
    assert!(matches!(error(&changed, &bytes), CheckpointError::ScenarioMismatch { .. }));
}

#[test]
fn garbage_is_not_a_checkpoint() {
    let s = scenario("epstein-run2", &[]);
    assert_eq!(error(&s, b""), CheckpointError::NotACheckpoint);
    assert_eq!(error(&s, b"{\"format\":1}"), CheckpointError::NotACheckpoint);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for len in [1usize, 17, 64, 1000, 100_000] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let e = error(&s, &garbage);
        assert_eq!(e, CheckpointError::NotACheckpoint, "{len} random bytes");
        assert!(e.to_string().starts_with("not a peacesim checkpoint"), "{e}");
    }
}

/// A payload that passes the checksum but does not decode, or does not fit the scenario, is malformed.
#[test]
fn malformed_payloads_are_reported_not_panicked_on() {
    let (s, bytes) = checkpoint_of("district-conflict", 8);
    let (_, payload_start) = split(&bytes);
    let payload: serde_json::Value = serde_json::from_slice(&bytes[payload_start..]).unwrap_or_else(|e| panic!("{e}"));

    let e = error(&s, &with_payload(&bytes, b"{\"seed\": 20}"));
    assert!(matches!(e, CheckpointError::Malformed(_)), "{e}");
    assert!(e.to_string().contains("missing field"), "{e}");

    let mut short = payload.clone();
    if let Some(flags) = short["grid"]["flags"].as_array_mut() {
        flags.pop();
    }
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&short).unwrap_or_default()));
    assert!(e.to_string().contains("grid.flags"), "{e}");

    let mut far = payload.clone();
    far["roster"]["citizens"][0] = 1_000_000.into();
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&far).unwrap_or_default()));
    assert!(e.to_string().contains("out of range"), "{e}");

    // The roster's citizens and the citizen entities must match one for one: a fighter listed as a
    // citizen, a citizen listed twice, and a citizen left off the list are each refused.
    let first_fighter = payload["roster"]["fighters"][0].clone();
    let first_citizen = payload["roster"]["citizens"][0].clone();
    let mut fighter = payload.clone();
    fighter["roster"]["citizens"][0] = first_fighter.clone();
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&fighter).unwrap_or_default()));
    assert!(e.to_string().contains(&format!("roster citizen {first_fighter} is not a citizen entity")), "{e}");
    let mut twice = payload.clone();
    twice["roster"]["citizens"][1] = first_citizen.clone();
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&twice).unwrap_or_default()));
    assert!(e.to_string().contains(&format!("citizen entity {first_citizen} is on the roster twice")), "{e}");
    let mut left_off = payload.clone();
    if let Some(citizens) = left_off["roster"]["citizens"].as_array_mut() {
        citizens.remove(0);
    }
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&left_off).unwrap_or_default()));
    assert!(e.to_string().contains(&format!("citizen entity {first_citizen} is not on the roster")), "{e}");

    // A citizen whose state's cell is not where its position says is refused (the first citizen's row, moved
    // one column over).
    let mut moved = payload.clone();
    let home = &mut moved["entities"]["citizens"][0][6];
    let x = home[0].as_u64().unwrap_or_else(|| panic!("a citizen row's cell is [x, y]"));
    home[0] = ((x + 1) % u64::from(s.grid.width)).into();
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&moved).unwrap_or_default()));
    assert!(e.to_string().contains("but its state's cell is"), "{e}");

    // An empty cell with flags (here the active bit without the occupied one) is refused.
    let mut stray = payload.clone();
    let empty = payload["grid"]["flags"].as_array().and_then(|f| f.iter().position(|v| v.as_u64() == Some(0)));
    let empty = empty.unwrap_or_else(|| panic!("the grid has no empty cell"));
    stray["grid"]["flags"][empty] = 4.into();
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&stray).unwrap_or_default()));
    assert!(e.to_string().contains(&format!("grid.flags: cell {empty} is empty but has flags 4")), "{e}");

    let mut tick = payload.clone();
    tick["tick"] = 9.into();
    let e = error(&s, &with_payload(&bytes, &serde_json::to_vec(&tick).unwrap_or_default()));
    assert!(matches!(e, CheckpointError::Malformed(_)), "{e}");
}

/// Every single-byte change of the header and many cuts and changes of the whole file give errors, never a
/// panic (a change may leave the header valid, e.g. a digit of the seed, and then fails later).
#[test]
fn no_bytes_make_restore_panic() {
    let (s, bytes) = checkpoint_of("district-aid", 6);
    let (_, payload_start) = split(&bytes);
    for at in 0..payload_start {
        for flip in [0x01u8, 0x20, 0x80] {
            let mut bad = bytes.clone();
            bad[at] ^= flip;
            let _ = Simulation::restore(&s, &bad);
        }
    }
    let mut state = 7u64;
    for _ in 0..200 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let at = (state >> 33) as usize % bytes.len();
        let _ = Simulation::restore(&s, &bytes[..at]);
        let mut bad = bytes.clone();
        bad[at] = (state >> 20) as u8;
        let _ = Simulation::restore(&s, &bad);
    }
}
