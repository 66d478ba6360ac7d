//! What-if injects: a file of tick-keyed `[[events]]` and `[[schedule]]` entries, in the scenario file's
//! schema, applied on top of a run to fork a branch from it (`peacesim replay ... --inject FILE`).
//!
//! An inject is checked against the scenario it is applied to, exactly as if its entries were in the
//! scenario file (unknown factions, districts or contingents, values out of range, ticks beyond the
//! horizon), and each problem is reported against the inject file's own line and key path. Its entries must
//! fall after the tick the branch starts from. Schedule entries may change any runtime parameter except the
//! size of a security force (`forces.NAME.count`): resizing a force places or removes its members with the
//! schedule's random stream, which would shift the base run's draws. Injected events are marked
//! ([`EventSpec::injected`]) and draw their random numbers from a stream of their own, so everything else
//! in the branch meets the same dice as in the base (common random numbers).

use crate::conflict::EventSpec;
use crate::error::ScenarioError;
use crate::model::{Scenario, ScheduleEntry};
use crate::parse::parse_located;
use crate::validate::validate;
use serde::Deserialize;

/// The entries of an inject file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// Events to inject (marked as injected once loaded).
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Schedule entries to inject.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
}

impl Inject {
    /// Whether the inject changes nothing.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.schedule.is_empty()
    }

    /// The first tick at which an entry of the inject takes effect, if any.
    pub fn first_tick(&self) -> Option<u64> {
        let events = self.events.iter().map(|e| e.tick);
        let schedule = self.schedule.iter().filter_map(|s| s.tick.or(s.ramp.as_ref().map(|r| r.start)));
        events.chain(schedule).min()
    }
}

/// Reads an inject file for `scenario`, whose branch starts after tick `after` (the tick of the checkpoint
/// it forks from; 0 for a branch from the start). A file holding only comments is an empty inject.
pub fn load_inject(bytes: &[u8], source_name: &str, scenario: &Scenario, after: u64) -> Result<Inject, ScenarioError> {
    let blank = std::str::from_utf8(bytes)
        .is_ok_and(|t| t.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')));
    if blank {
        return Ok(Inject::default());
    }
    let located = parse_located::<Inject>(bytes, source_name)?;
    let mut inject = located.value.clone();
    let mut problems: Vec<(String, String)> = Vec::new();
    for (i, e) in inject.events.iter().enumerate() {
        if e.tick <= after {
            problems.push((
                format!("events[{i}].tick"),
                format!("tick {} is not after tick {after}, where the branch starts", e.tick),
            ));
        }
    }
    for (i, s) in inject.schedule.iter().enumerate() {
        if let Some(tick) = s.tick.or(s.ramp.as_ref().map(|r| r.start))
            && tick <= after
        {
            let key =
                if s.ramp.is_some() { format!("schedule[{i}].ramp.start") } else { format!("schedule[{i}].tick") };
            problems.push((key, format!("tick {tick} is not after tick {after}, where the branch starts")));
        }
        if s.path.starts_with("forces.") {
            problems.push((
                format!("schedule[{i}].path"),
                "a force's size cannot be injected: resizing draws from the schedule's random stream, which would \
                 shift the base run's draws"
                    .to_owned(),
            ));
        }
    }
    // The entries as if they were in the scenario file, validated with it; their problems keep their keys.
    let mut combined = scenario.clone();
    let (events, schedule) = (scenario.events.len(), scenario.schedule.len());
    combined.events.extend(inject.events.iter().cloned());
    combined.schedule.extend(inject.schedule.iter().cloned());
    for (key, message) in validate(&combined) {
        let own = |prefix: &str, base: usize| -> Option<String> {
            let rest = key.strip_prefix(prefix)?.strip_prefix('[')?;
            let (index, tail) = rest.split_once(']')?;
            let index: usize = index.parse().ok()?;
            (index >= base).then(|| format!("{prefix}[{}]{tail}", index - base))
        };
        if let Some(k) = own("events", events).or_else(|| own("schedule", schedule)) {
            problems.push((k, message));
        }
    }
    if let Some((key, message)) = problems.first().cloned() {
        let mut error = located.error(&key, message);
        for (key, message) in problems.into_iter().skip(1) {
            error.diagnostics.extend(located.error(&key, message).diagnostics);
        }
        return Err(error);
    }
    for e in &mut inject.events {
        e.injected = true;
    }
    Ok(inject)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Scenario {
        let text = crate::bundled::find("epstein-run2").map_or("", |b| b.text);
        crate::parse_scenario(text, "epstein-run2", &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn comments_only_is_empty_and_entries_are_marked() {
        let s = base();
        let empty = load_inject(b"# nothing\n\n", "i.toml", &s, 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(empty.is_empty() && empty.first_tick().is_none());
        let text = b"[[schedule]]\npath = \"rules.legitimacy\"\ntick = 40\nvalue = 0.5\n";
        let i = load_inject(text, "i.toml", &s, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(i.first_tick(), Some(40));
    }

    #[test]
    fn problems_name_the_inject_line_and_key() {
        let s = base();
        let text = "[[schedule]]\npath = \"rules.legitimacy\"\ntick = 5\nvalue = 0.5\n\n[[schedule]]\npath = \"rules.legitimacy\"\ntick = 50\nvalue = 7\n";
        let e = load_inject(text.as_bytes(), "i.toml", &s, 10).expect_err("bad inject");
        let keys: Vec<(&str, Option<usize>)> = e.diagnostics.iter().map(|d| (d.key.as_str(), d.line)).collect();
        assert_eq!(keys, vec![("schedule[0].tick", Some(3)), ("schedule[1].value", Some(9))], "{e}");
        assert!(e.to_string().contains("tick 5 is not after tick 10"), "{e}");
        let e =
            load_inject(b"[[schedule]]\npath = \"rules.legitimacy\"\ntick = 100000\nvalue = 0.5\n", "i.toml", &s, 0)
                .expect_err("beyond the horizon");
        assert!(e.to_string().contains("beyond the scenario's horizon"), "{e}");
        let e = load_inject(b"[[events]]\ntick = 20\nkind = \"coup\"\nfaction = \"ghosts\"\n", "i.toml", &s, 0)
            .expect_err("unknown faction");
        assert!(e.to_string().starts_with("i.toml:"), "{e}");
        let e = load_inject(b"[[evnts]]\ntick = 20\n", "i.toml", &s, 0).expect_err("unknown key");
        assert_eq!(e.diagnostics[0].key, "evnts", "{e}");
    }
}
