//! Maps drawn in scenario files: an ASCII block of rows, one character per cell, and a legend saying what
//! each character means (terrain and district).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[map]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    /// The map, one line per grid row from y = 0 (top) down, one character per cell; must match the grid's
    /// width and height. Write it as a TOML multi-line string (`"""`).
    pub rows: String,
    /// What each character means, keyed by the character.
    pub legend: BTreeMap<String, LegendEntry>,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegendEntry {
    /// Terrain of the cells drawn with this character.
    pub terrain: Terrain,
    /// District of those cells (required on land; water belongs to no district).
    #[serde(default)]
    pub district: Option<String>,
    /// Food produced per cell per tick at the seasonal mean (used with a `[food]` table).
    #[serde(default)]
    pub food: f64,
    /// Households a cell of this kind can sustain (shelter, water, sanitation); a district whose residents
    /// exceed the sum over its cells is crowded, which raises hardship. Defaults to 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub capacity: f64,
    /// Whether these cells are a camp for displaced people (they attract those who flee).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub camp: bool,
    /// Whether these cells carry a road (aid convoys travel them at a quarter of the open-ground cost; a road
    /// may cross water as a bridge).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub road: bool,
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// Terrain kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Terrain {
    /// Open country.
    Open,
    /// Built-up area.
    Urban,
    /// Hills, forest, swamp.
    Rough,
    /// Water: no agent may stand on it.
    Water,
}

/// A map resolved into per-cell terrain and district indices.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedMap {
    /// Terrain per cell, row-major.
    pub terrain: Vec<Terrain>,
    /// District index per cell (into `districts`), `None` on water.
    pub district: Vec<Option<u16>>,
    /// District names, sorted.
    pub districts: Vec<String>,
    /// Food produced per cell per tick at the seasonal mean, row-major.
    pub food: Vec<f64>,
    /// Households each cell can sustain, row-major (0 on water).
    pub capacity: Vec<f64>,
    /// Whether each cell is a camp, row-major.
    pub camp: Vec<bool>,
    /// Whether each cell carries a road, row-major.
    pub road: Vec<bool>,
}

impl ResolvedMap {
    /// Number of cells agents may stand on.
    pub fn land_cells(&self) -> u64 {
        self.terrain.iter().filter(|&&t| t != Terrain::Water).count() as u64
    }
}

impl MapSpec {
    /// The map's rows: the lines of `rows`, without a final empty line and without carriage returns.
    fn lines(&self) -> Vec<&str> {
        let mut lines: Vec<&str> = self.rows.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }

    /// Resolves the map for a `width` x `height` grid, or says what is wrong (row and column 1-based).
    pub fn resolve(&self, width: u32, height: u32) -> Result<ResolvedMap, (String, String)> {
        for (key, entry) in &self.legend {
            if key.chars().count() != 1 {
                return Err((format!("map.legend.{key}"), "legend keys are single characters".to_owned()));
            }
            if !(entry.food.is_finite() && entry.food >= 0.0) {
                return Err((
                    format!("map.legend.{key}.food"),
                    format!("{} must be a non-negative number", entry.food),
                ));
            }
            if !(entry.capacity.is_finite() && entry.capacity >= 0.0) {
                return Err((
                    format!("map.legend.{key}.capacity"),
                    format!("{} must be a non-negative number", entry.capacity),
                ));
            }
            if entry.terrain == Terrain::Water && entry.camp {
                return Err((format!("map.legend.{key}.camp"), "a camp cannot be on water".to_owned()));
            }
            if entry.terrain == Terrain::Water && entry.food > 0.0 {
                return Err((format!("map.legend.{key}.food"), "water produces no food".to_owned()));
            }
            match (entry.terrain, &entry.district) {
                (Terrain::Water, Some(_)) => {
                    return Err((format!("map.legend.{key}.district"), "water belongs to no district".to_owned()));
                }
                (Terrain::Water, None) => {}
                (_, None) => {
                    return Err((format!("map.legend.{key}"), "land needs a `district`".to_owned()));
                }
                (_, Some(d)) if d.trim().is_empty() => {
                    return Err((format!("map.legend.{key}.district"), "must not be empty".to_owned()));
                }
                _ => {}
            }
        }
        let lines = self.lines();
        if lines.len() != height as usize {
            return Err(("map.rows".to_owned(), format!("{} rows, but the grid is {height} high", lines.len())));
        }
        let districts: Vec<String> = {
            let mut names: Vec<String> = self.legend.values().filter_map(|e| e.district.clone()).collect();
            names.sort();
            names.dedup();
            names
        };
        let mut terrain = Vec::with_capacity(width as usize * height as usize);
        let mut district = Vec::with_capacity(terrain.capacity());
        let mut food = Vec::with_capacity(terrain.capacity());
        let mut capacity = Vec::with_capacity(terrain.capacity());
        let mut camp = Vec::with_capacity(terrain.capacity());
        let mut road = Vec::with_capacity(terrain.capacity());
        for (r, line) in lines.iter().enumerate() {
            let count = line.chars().count();
            if count != width as usize {
                return Err((
                    "map.rows".to_owned(),
                    format!("row {} has {count} cells, but the grid is {width} wide", r + 1),
                ));
            }
            for (c, ch) in line.chars().enumerate() {
                let Some(entry) = self.legend.get(ch.encode_utf8(&mut [0; 4]) as &str) else {
                    return Err((
                        "map.rows".to_owned(),
                        format!("row {}, column {}: `{ch}` is not in the legend", r + 1, c + 1),
                    ));
                };
                terrain.push(entry.terrain);
                food.push(entry.food);
                capacity.push(if entry.terrain == Terrain::Water { 0.0 } else { entry.capacity });
                camp.push(entry.camp);
                road.push(entry.road);
                district.push(
                    entry.district.as_ref().and_then(|d| districts.iter().position(|n| n == d)).map(|i| i as u16),
                );
            }
        }
        Ok(ResolvedMap { terrain, district, districts, food, capacity, camp, road })
    }
}
