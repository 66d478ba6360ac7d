//! Scenario files for peacesim.
//!
//! A [`Scenario`] is plain data: the grid, civilian [`Population`]s, security [`Force`]s, the behavioural
//! [`Rules`] (with each of Epstein's ambiguities as an explicit switch) and a schedule of step changes and
//! linear [`Ramp`]s of runtime parameters ([`ParamPath`]). [`parse_scenario`] reads TOML, applies `--set`
//! [`Override`]s and validates, reporting every problem as a [`ScenarioError`] naming the file, the line
//! and the key path. [`bundled`] holds the scenarios shipped in the binary.
//!
//! This crate does no IO beyond [`load`], which reads one file into a string.

pub mod aid;
pub mod bundled;
pub mod conflict;
mod error;
pub mod experiment;
pub mod inject;
pub mod map;
mod model;
mod params;
mod parse;
pub mod peacekeeping;
mod spans;
mod validate;

pub use conflict::FactionKind;
pub use error::{Diagnostic, ScenarioError};
pub use model::*;
pub use params::{ClimateField, ConflictField, DisplacementField, FactionField, FoodField, ParamPath, RUNTIME_PATHS};
pub use parse::{Located, Override, parse_located, parse_scenario, parse_scenario_bytes};
/// TOML values, as taken by [`Override::new`].
pub use toml::Value as TomlValue;
pub use validate::{MAX_CELLS, MAX_GRID_SIDE, validate};

/// Where a scenario came from: a file path or a bundled name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    /// A file on disk.
    File(std::path::PathBuf),
    /// A bundled scenario.
    Bundled(&'static str),
}

/// Loads `spec`, a path to a TOML file or the name of a bundled scenario, with `overrides` applied.
/// A spec that names an existing file, or looks like a path, is read from disk; otherwise it is looked up
/// among the bundled scenarios.
pub fn load(spec: &str, overrides: &[Override]) -> Result<(Scenario, ScenarioSource), ScenarioError> {
    let path = std::path::Path::new(spec);
    let looks_like_path = spec.ends_with(".toml") || spec.contains('/') || spec.contains('\\');
    if path.is_file() || looks_like_path {
        let bytes = std::fs::read(path)
            .map_err(|e| ScenarioError::single(spec, None, "", format!("cannot read the file: {e}")))?;
        let scenario = parse_scenario_bytes(&bytes, spec, overrides)?;
        return Ok((scenario, ScenarioSource::File(path.to_path_buf())));
    }
    match bundled::find(spec) {
        Some(b) => Ok((parse_scenario(b.text, b.path, overrides)?, ScenarioSource::Bundled(b.name))),
        None => {
            let names: Vec<&str> = bundled::all().map(|b| b.name).collect();
            Err(ScenarioError::single(
                spec,
                None,
                "",
                format!("no such file, and no bundled scenario of that name; bundled: {}", names.join(", ")),
            ))
        }
    }
}

impl Scenario {
    /// A stable 64-bit fingerprint of the scenario's content (FNV-1a over its canonical TOML), for summaries
    /// and experiment manifests.
    pub fn fingerprint(&self) -> u64 {
        let canonical = toml::to_string(self).unwrap_or_default();
        fnv1a(canonical.as_bytes())
    }
}

/// FNV-1a 64-bit hash: small, stable across platforms and Rust versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
