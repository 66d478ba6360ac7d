//! Map frames: a compact picture of the map at one tick (who controls each cell, who stands on it, where
//! peacekeeping units, aid convoys and this tick's incidents are), for `--record-frames`, replays and charts.

use crate::aid::{AidState, Convoy};
use crate::civilians::CitizenState;
use crate::conflict::{Conflict, Fighter};
use crate::events::{EventKind, EventLog};
use crate::grid::{FIGHTER, FORCE, Grid, OCCUPIED, Position, WATER};
use crate::peacekeeping::{Peacekeeping, Role, Unit};
use crate::world::Roster;
use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};

/// What stands on a cell, as one code per cell in [`Frame::cells`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum CellCode {
    /// Nobody.
    Empty = 0,
    /// Water.
    Water = 1,
    /// A quiescent civilian at home.
    Civilian = 2,
    /// A displaced civilian.
    Displaced = 3,
    /// An active (rebelling) civilian.
    Active = 4,
    /// A jailed civilian still holding the cell.
    Jailed = 5,
    /// A member of a security force (Epstein's cops).
    Cop = 6,
    /// A fighter of a faction (its faction in [`Frame::fighters`]).
    Fighter = 7,
}

impl CellCode {
    /// The code of a number in [`Frame::cells`], if it is one.
    pub fn from_number(n: u8) -> Option<CellCode> {
        use CellCode::*;
        [Empty, Water, Civilian, Displaced, Active, Jailed, Cop, Fighter].get(usize::from(n)).copied()
    }
}

/// A peacekeeping unit in a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameUnit {
    /// Column.
    pub x: u16,
    /// Row.
    pub y: u16,
    /// `troops`, `police` or `observers`.
    pub role: String,
    /// People in it.
    pub strength: u32,
    /// Index of its contingent.
    pub contingent: u8,
}

/// An aid convoy in a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameConvoy {
    /// Column.
    pub x: u16,
    /// Row.
    pub y: u16,
    /// Index of its agency.
    pub agency: u8,
    /// Whether a unit escorts it.
    pub escorted: bool,
}

/// Something violent that happened this tick, in a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameIncident {
    /// Column.
    pub x: u16,
    /// Row.
    pub y: u16,
    /// The event kind (`civilian_killed`, `combat_death`, `ceasefire_violation`, `convoy_looted`, ...).
    pub kind: String,
}

/// The map at one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The tick.
    pub tick: u64,
    /// Map width.
    pub width: u32,
    /// Map height.
    pub height: u32,
    /// Faction names, in index order (for `control` and `fighters`).
    pub factions: Vec<String>,
    /// Controlling faction per cell, row-major (-1: nobody). Serialised as one character per cell (see
    /// [`faction_char`]).
    #[serde(with = "faction_string")]
    pub control: Vec<i8>,
    /// What stands on each cell, row-major ([`CellCode`] as a number). Serialised as one digit per cell.
    #[serde(with = "code_string")]
    pub cells: Vec<u8>,
    /// Faction of the fighter on each cell, row-major (-1: no fighter). Serialised like `control`.
    #[serde(with = "faction_string")]
    pub fighters: Vec<i8>,
    /// Peacekeeping units.
    pub units: Vec<FrameUnit>,
    /// Aid convoys.
    pub convoys: Vec<FrameConvoy>,
    /// This tick's violent events with a place.
    pub incidents: Vec<FrameIncident>,
}

/// The character of faction index `f` in a serialised frame: `.` for none (-1), then `0`-`9`, `a`-`z` and
/// `A`-`Z` for factions 0 to 61; `None` beyond.
pub fn faction_char(f: i8) -> Option<char> {
    const DIGITS: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match f {
        -1 => Some('.'),
        0..=61 => Some(char::from(DIGITS[f as usize])),
        _ => None,
    }
}

/// The faction index of a character written by [`faction_char`].
pub fn faction_of_char(c: char) -> Option<i8> {
    match c {
        '.' => Some(-1),
        '0'..='9' => Some(c as i8 - b'0' as i8),
        'a'..='z' => Some(c as i8 - b'a' as i8 + 10),
        'A'..='Z' => Some(c as i8 - b'A' as i8 + 36),
        _ => None,
    }
}

/// Serialises a per-cell faction layer as one character per cell, which keeps a frame of a 40 x 40 map near
/// 5 KB of JSON instead of 20.
mod faction_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};

    pub(super) fn serialize<S: Serializer>(v: &[i8], s: S) -> Result<S::Ok, S::Error> {
        let text: Option<String> = v.iter().map(|&f| super::faction_char(f)).collect();
        s.serialize_str(&text.ok_or_else(|| S::Error::custom("more than 62 factions cannot be written in a frame"))?)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i8>, D::Error> {
        let text = String::deserialize(d)?;
        text.chars()
            .map(|c| {
                super::faction_of_char(c)
                    .ok_or_else(|| D::Error::custom(format!("`{c}` is not a faction character (. 0-9 a-z A-Z)")))
            })
            .collect()
    }
}

/// Serialises [`Frame::cells`] as one digit ([`CellCode`]) per cell.
mod code_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.iter().map(|&c| char::from(b'0' + c)).collect::<String>())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        text.bytes()
            .map(|b| match b {
                b'0'..=b'7' => Ok(b - b'0'),
                _ => Err(D::Error::custom(format!("`{}` is not a cell code (0-7)", char::from(b)))),
            })
            .collect()
    }
}

/// Event kinds a frame marks as incidents.
const INCIDENTS: [EventKind; 6] = [
    EventKind::CivilianKilled,
    EventKind::CombatDeath,
    EventKind::CeasefireViolation,
    EventKind::PeacekeepersAttacked,
    EventKind::ConvoyAttacked,
    EventKind::ConvoyLooted,
];

/// Builds the frame of the world's current tick.
pub(crate) fn frame(world: &World, tick: u64) -> Frame {
    let grid = world.resource::<Grid>();
    let (width, height) = (grid.width(), grid.height());
    let mut cells = Vec::with_capacity(grid.cells());
    let mut fighters = vec![-1i8; grid.cells()];
    let mut occupants = Vec::with_capacity(grid.cells());
    for i in 0..grid.cells() {
        let p = grid.position(i);
        let f = grid.flags(p);
        occupants.push(grid.occupant(p, world.entities()));
        cells.push(if f & WATER != 0 {
            CellCode::Water
        } else if f & OCCUPIED == 0 {
            CellCode::Empty
        } else if f & (FORCE | FIGHTER) == FORCE | FIGHTER {
            CellCode::Fighter
        } else if f & FORCE != 0 {
            CellCode::Cop
        } else {
            CellCode::Civilian
        } as u8);
    }
    let roster = world.resource::<Roster>();
    for (i, occupant) in occupants.into_iter().enumerate() {
        let Some(e) = occupant else { continue };
        if let Some(c) = roster.citizen(e) {
            let code = match c.state {
                CitizenState::Active => CellCode::Active,
                CitizenState::Jailed => CellCode::Jailed,
                _ if c.displaced => CellCode::Displaced,
                _ => CellCode::Civilian,
            };
            if cells[i] == CellCode::Civilian as u8 {
                cells[i] = code as u8;
            }
        } else if let Some(f) = world.get::<Fighter>(e) {
            fighters[i] = f.faction as i8;
        }
    }
    let conflict = world.resource::<Conflict>();
    let factions: Vec<String> = conflict.factions.iter().map(|f| f.name.clone()).collect();
    let control = if conflict.enabled {
        conflict.control.iter().map(|&c| if c == crate::conflict::UNCONTROLLED { -1 } else { c as i8 }).collect()
    } else {
        vec![-1; cells.len()]
    };
    let mut units = Vec::new();
    for &e in &world.resource::<Peacekeeping>().units {
        if let (Some(u), Some(p)) = (world.get::<Unit>(e), world.get::<Position>(e))
            && u.strength > 0
        {
            let role = match u.role {
                Role::Troops => "troops",
                Role::Police => "police",
                Role::Observers => "observers",
            };
            units.push(FrameUnit {
                x: p.x,
                y: p.y,
                role: role.to_owned(),
                strength: u.strength,
                contingent: u.contingent,
            });
        }
    }
    let mut convoys = Vec::new();
    for &e in &world.resource::<AidState>().convoys {
        if let (Some(c), Some(p)) = (world.get::<Convoy>(e), world.get::<Position>(e)) {
            convoys.push(FrameConvoy { x: p.x, y: p.y, agency: c.agency, escorted: c.escort.is_some() });
        }
    }
    let incidents = world
        .resource::<EventLog>()
        .events
        .iter()
        .filter(|e| INCIDENTS.contains(&e.kind))
        .filter_map(|e| Some(FrameIncident { x: e.x?, y: e.y?, kind: e.kind.as_str().to_owned() }))
        .collect();
    Frame { tick, width, height, factions, control, cells, fighters, units, convoys, incidents }
}
