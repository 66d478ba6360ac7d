//! Checkpoints: the whole state of a [`Simulation`](crate::Simulation) between two ticks, as bytes, and back.
//!
//! [`Simulation::snapshot`](crate::Simulation::snapshot) writes a checkpoint;
//! [`Simulation::restore`](crate::Simulation::restore) builds the simulation of the same scenario and
//! replaces its state with the checkpoint's. A restored run continues exactly as the original would have:
//! the same metrics rows, the same events, the same state hashes, and a snapshot of it taken at once is
//! byte-for-byte the checkpoint it came from.
//!
//! # Format (version 1)
//!
//! ```text
//! peacesim-checkpoint\n
//! {"format":1,"peacesim":"0.1.0","scenario":"district-aid","fingerprint":"…","seed":1,"tick":100,
//!  "payload_bytes":123456,"checksum":"…"}\n
//! {payload: one JSON object, payload_bytes long}
//! ```
//!
//! The first line is the magic [`MAGIC`]; the second a JSON header ([`CheckpointHeader`]): the format
//! version, the peacesim version that wrote it, the scenario's name and [`Scenario::fingerprint`] (16 hex
//! digits), the seed, the tick, the payload's length and its FNV-1a 64 checksum (16 hex digits). The payload
//! follows to the end of the file.
//!
//! The payload holds every entity with every component (a citizen, which has no `Position` component, with
//! its state's cell in the positions table, as if it had one), in a canonical order (citizens, force members
//! and fighters in roster order, then missions, contingents and units in the peacekeeping lists' order, then
//! agencies and convoys in the aid lists' order, then any other entity sorted by its `AgentId` and
//! contents), every resource's state, the live scenario (as TOML, since the schedule and events change it)
//! and the state (key, stream, word position) of every random stream. References between entities are
//! indices into the payload's entity list (`-1` for none, `-2` for an entity that no longer exists, such as
//! the unit planned for a report in transit that was destroyed since). Floating-point numbers are written as
//! the integer of
//! their bits (`f64::to_bits`, `f32::to_bits`), so they come back exactly.
//!
//! What is not stored is rebuilt by building the scenario's simulation afresh, and is the same in every run
//! of the scenario because it is derived once from the scenario at setup and never written afterwards: the
//! map-derived tables (districts, terrain, capacities and camps of cells, the factions' distance fields, the
//! food model's district of each cell, the peacekeeping districts' cells and the missions' sectors, aid
//! routes and their costs), the contingents' vision shapes, the schedule (`Timeline`), the
//! derived fields of `Params` (recomputed from the live scenario where they depend on it) and the metric
//! names. The grid's bit planes are rebuilt from the stored cell flags and the peacekeeping unit index from
//! the stored unit positions. Two scratch lists that are cleared before every use (the fighters' and the
//! agents' activation orders) start empty.

use crate::aid::{Agency, AidState, AidTally, Convoy};
use crate::civilians::{Citizen, CitizenState, Civilian};
use crate::conflict::{Ceasefire, Conflict, ConflictTally, FactionState, Fighter};
use crate::events::{Event, EventKind, EventLog};
use crate::food::FoodState;
use crate::forces::{ForceMember, ForceResize};
use crate::grid::{Grid, OCCUPIED, Position};
use crate::metrics::Metrics;
use crate::peacekeeping::{
    Attack, Contingent, Duty, Incident, IncidentKind, Mission, Peacekeeping, PeacekeepingTally, Report, Role, Unit,
    moore,
};
use crate::rng::{RngStreams, STREAMS};
use crate::sim::SimError;
use crate::world::{AgentId, Clock, Params, Roster, Tally};
use bevy_ecs::prelude::*;
use bevy_ecs::resource::IsResource;
use peacesim_scenario::aid::{AgencyKind, Policy};
use peacesim_scenario::peacekeeping::{Mandate, Organisation, Task};
use peacesim_scenario::{FactionKind, Scenario, fnv1a};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The first line of every checkpoint.
pub const MAGIC: &str = "peacesim-checkpoint";

/// The checkpoint format this build writes, and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a checkpoint could not be read or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The bytes do not start with the magic line.
    #[error("not a peacesim checkpoint: it does not start with the line `{MAGIC}`")]
    NotACheckpoint,
    /// The checkpoint is in a format version this build does not read.
    #[error(
        "unsupported checkpoint format version {found}: this build (peacesim {}) reads format version {supported} only",
        crate::VERSION
    )]
    UnsupportedVersion {
        /// The version the checkpoint declares.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// The checkpoint ends early.
    #[error("truncated checkpoint: {0}")]
    Truncated(String),
    /// The payload's checksum is not the one the header records.
    #[error(
        "corrupted checkpoint: the payload's FNV-1a checksum is {actual:016x} but the header records {expected:016x}"
    )]
    ChecksumMismatch {
        /// The checksum in the header.
        expected: u64,
        /// The checksum of the payload as read.
        actual: u64,
    },
    /// The checkpoint was written for another scenario.
    #[error(
        "checkpoint of a different scenario: it was written for `{checkpoint_scenario}` (fingerprint \
         {checkpoint_fingerprint:016x}), not for `{scenario}` (fingerprint {fingerprint:016x})"
    )]
    ScenarioMismatch {
        /// The scenario name the checkpoint records.
        checkpoint_scenario: String,
        /// The fingerprint the checkpoint records.
        checkpoint_fingerprint: u64,
        /// The name of the scenario given to restore it.
        scenario: String,
        /// That scenario's fingerprint.
        fingerprint: u64,
    },
    /// The header or payload cannot be decoded, or does not fit the scenario.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// The scenario given to restore the checkpoint cannot be built.
    #[error("cannot build the checkpoint's simulation: {0}")]
    Simulation(#[from] SimError),
}

/// What a checkpoint's header says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointHeader {
    /// The format version ([`FORMAT_VERSION`]).
    pub format: u32,
    /// The version of peacesim that wrote it.
    pub peacesim: String,
    /// The name of the scenario the run was built from.
    pub scenario: String,
    /// [`Scenario::fingerprint`] of that scenario (as given to `Simulation::new`, before any scheduled change).
    pub fingerprint: u64,
    /// The run's seed.
    pub seed: u64,
    /// Ticks completed when the checkpoint was taken.
    pub tick: u64,
    /// Length of the payload in bytes.
    pub payload_bytes: u64,
    /// FNV-1a 64 of the payload bytes.
    pub checksum: u64,
}

/// The header as written: the two 64-bit hashes as 16 hex digits.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    format: u32,
    peacesim: String,
    scenario: String,
    fingerprint: String,
    seed: u64,
    tick: u64,
    payload_bytes: u64,
    checksum: String,
}

fn malformed(what: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Malformed(what.to_string())
}

fn parse_hex(field: &str, text: &str) -> Result<u64, CheckpointError> {
    if text.len() != 16 {
        return Err(malformed(format!("header: `{field}` must be 16 hexadecimal digits, not `{text}`")));
    }
    u64::from_str_radix(text, 16)
        .map_err(|_| malformed(format!("header: `{field}` must be 16 hexadecimal digits, not `{text}`")))
}

/// Reads and checks a checkpoint's header: the magic line, the format version, the payload's length and
/// checksum. Returns the header and the payload bytes. Does not decode the payload.
pub fn read_header(bytes: &[u8]) -> Result<(CheckpointHeader, &[u8]), CheckpointError> {
    let magic = format!("{MAGIC}\n");
    let Some(rest) = bytes.strip_prefix(magic.as_bytes()) else {
        if !bytes.is_empty() && magic.as_bytes().starts_with(bytes) {
            return Err(CheckpointError::Truncated(format!("it ends inside the first line `{MAGIC}`")));
        }
        return Err(CheckpointError::NotACheckpoint);
    };
    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
        return Err(CheckpointError::Truncated("it ends inside the header line".to_owned()));
    };
    let (line, payload) = (&rest[..end], &rest[end + 1..]);
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| malformed(format!("header: {e}")))?;
    let Some(format) = value.get("format").and_then(serde_json::Value::as_u64) else {
        return Err(malformed("header: no format version (`format`, a whole number)"));
    };
    if format != u64::from(FORMAT_VERSION) {
        return Err(CheckpointError::UnsupportedVersion { found: format, supported: FORMAT_VERSION });
    }
    let raw: RawHeader = serde_json::from_value(value).map_err(|e| malformed(format!("header: {e}")))?;
    let header = CheckpointHeader {
        format: raw.format,
        peacesim: raw.peacesim,
        scenario: raw.scenario,
        fingerprint: parse_hex("fingerprint", &raw.fingerprint)?,
        seed: raw.seed,
        tick: raw.tick,
        payload_bytes: raw.payload_bytes,
        checksum: parse_hex("checksum", &raw.checksum)?,
    };
    let present = payload.len() as u64;
    if present < header.payload_bytes {
        return Err(CheckpointError::Truncated(format!(
            "the payload should be {} bytes but only {present} are present",
            header.payload_bytes
        )));
    }
    if present > header.payload_bytes {
        return Err(malformed(format!(
            "{} bytes follow the end of the payload ({} bytes)",
            present - header.payload_bytes,
            header.payload_bytes
        )));
    }
    let actual = fnv1a(payload);
    if actual != header.checksum {
        return Err(CheckpointError::ChecksumMismatch { expected: header.checksum, actual });
    }
    Ok((header, payload))
}

// ---------------------------------------------------------------------------------------------------------
// The payload, format version 1. Floats are stored as their bits; entity references as indices (`Ref`).
// ---------------------------------------------------------------------------------------------------------

/// An entity reference: an index into the payload's entity list, [`NONE`] or [`DANGLING`].
type Ref = i64;
/// No entity (`None`).
const NONE: Ref = -1;
/// An entity that no longer exists in the world (a stale reference, kept stale on restore).
const DANGLING: Ref = -2;

/// Component bits of `Entities::kinds`.
const HAS_ID: u16 = 1;
const HAS_POSITION: u16 = 1 << 1;
const HAS_CITIZEN: u16 = 1 << 2;
const HAS_MEMBER: u16 = 1 << 3;
const HAS_FIGHTER: u16 = 1 << 4;
const HAS_UNIT: u16 = 1 << 5;
const HAS_MISSION: u16 = 1 << 6;
const HAS_CONTINGENT: u16 = 1 << 7;
const HAS_AGENCY: u16 = 1 << 8;
const HAS_CONVOY: u16 = 1 << 9;
/// Number of component types a checkpoint knows.
const KNOWN_COMPONENTS: usize = 10;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Payload {
    seed: u64,
    tick: u64,
    /// The live scenario (`Params::scenario`), as TOML.
    scenario: String,
    /// Indices of its events injected on top of the run (what-if forks), which TOML does not carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    injected: Vec<usize>,
    rng: Vec<RngState>,
    entities: Entities,
    grid: GridState,
    roster: RosterState,
    tally: TallyState,
    conflict: ConflictState,
    food: FoodDto,
    peacekeeping: PeacekeepingDto,
    aid: AidDto,
    metrics: MetricsDto,
    events: EventLogDto,
    /// `ForceResize::pending`.
    force_resize: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RngState {
    /// The ChaCha key, 64 hex digits.
    key: String,
    stream: u64,
    /// Position in the stream, in 32-bit words (a u128, as decimal text).
    word_pos: String,
}

/// Entities in canonical order: `kinds[i]` says which components entity `i` has; each component's table
/// lists the values of the entities that have it, in entity order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entities {
    kinds: Vec<u16>,
    ids: Vec<u32>,
    /// x, y of each entity with a position, flattened.
    positions: Vec<u16>,
    citizens: Vec<CitizenRow>,
    /// Force index of each force member.
    members: Vec<u8>,
    fighters: Vec<FighterRow>,
    units: Vec<UnitRow>,
    missions: Vec<MissionRow>,
    contingents: Vec<ContingentRow>,
    agencies: Vec<AgencyRow>,
    convoys: Vec<ConvoyRow>,
}

/// group, hardship, risk aversion, state code, jail left, age, home, displaced (0/1), origin.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct CitizenRow(u8, u64, u64, u8, u32, u32, [u16; 2], u8, [u16; 2]);

/// faction, group, hardship, risk aversion, alive (0/1).
#[derive(Clone, Copy, Serialize, Deserialize)]
struct FighterRow(u8, u8, u64, u64, u8);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitRow {
    mission: u8,
    contingent: u8,
    /// 0 troops, 1 police, 2 observers.
    role: u8,
    strength: u32,
    sector: u8,
    /// [0, 0] patrol, [1, 0] reserve, [2, incident] respond, [3, convoy] escort.
    duty: [u32; 2],
    waypoint: [u16; 2],
    budget: u64,
    fresh: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MissionRow {
    index: u8,
    name: String,
    organisation: Organisation,
    mandate: Mandate,
    consent: u64,
    spoilers: u8,
    early_warning: bool,
    reserve: u64,
    headquarters: [u16; 2],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContingentRow {
    index: u8,
    name: String,
    mission: u8,
    training: u64,
    communication: u64,
    cultural_competency: u64,
    caveats: Vec<Task>,
    vision_radius: u32,
    drones: (u64, u32),
    satellite: u64,
    sector: Option<u8>,
    base: Option<[u16; 2]>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyRow {
    index: u8,
    name: String,
    kind: AgencyKind,
    depot: [u16; 2],
    cluster: bool,
    escort: bool,
    policy: Policy,
    stock: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvoyRow {
    id: u32,
    agency: u8,
    cargo: u64,
    district: u16,
    step: u32,
    budget: u64,
    dispatched: u64,
    escort: Ref,
    crew: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GridState {
    flags: Vec<u8>,
    occupant: Vec<Ref>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterState {
    citizens: Vec<Ref>,
    members: Vec<Ref>,
    fighters: Vec<Ref>,
    next_id: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TallyState {
    arrests: u64,
    releases: u64,
    activations: u64,
    kills: u64,
    births: u64,
    deaths: u64,
    killed: Vec<u64>,
    removed: u64,
    any_died: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactionRow {
    name: String,
    kind: FactionKind,
    cohesion: u64,
    resources: u64,
    fighters: u32,
    territory: u64,
    splinter: Option<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CeasefireRow {
    a: u8,
    b: u8,
    until: u64,
    hazard: u64,
    pressure: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConflictTallyRow {
    civilian_deaths: [u64; 4],
    disaster_deaths: u64,
    combatant_deaths: Vec<u64>,
    recruits: u64,
    desertions: u64,
    allegiance_shifts: u64,
    reinforcements: u64,
    flights: u64,
    returns: u64,
    abuses: Vec<u32>,
    violations: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConflictState {
    enabled: bool,
    factions: Vec<FactionRow>,
    relation: Vec<u64>,
    ceasefires: Vec<CeasefireRow>,
    hostile: [u8; 8],
    truce: [u8; 8],
    government: Option<u8>,
    control: Vec<u8>,
    district_control: Vec<u32>,
    contest: Vec<u64>,
    heat: Vec<u32>,
    violence_total: Vec<u32>,
    heat_sum: u64,
    legitimacy_offset: Vec<u64>,
    crowding: Vec<u64>,
    residents: Vec<u64>,
    tally: ConflictTallyRow,
    last_abuses: Vec<u32>,
    violence_hardship: u64,
    crowding_hardship: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FoodDto {
    weight: u64,
    base_production: Vec<u64>,
    stock: Vec<u64>,
    insecurity: Vec<u64>,
    population: Vec<u64>,
    produced: u64,
    drought_left: Vec<u32>,
    loss: Vec<u64>,
    event_loss: Vec<u64>,
    event_until: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentRow {
    id: u32,
    tick: u64,
    cell: [u16; 2],
    district: u16,
    /// [0, 0, 0] a civilian killed, [1, 0, 0] a battle, [2, a, b] a ceasefire violation between a and b.
    kind: [u8; 3],
    assigned: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRow {
    incident: u32,
    mission: u8,
    due: u64,
    unit: Ref,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttackRow {
    unit: Ref,
    attacker: Ref,
    faction: u8,
    cell: [u16; 2],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PkTallyRow {
    deaths: u64,
    attacks: u64,
    incidents: u64,
    reached: u64,
    missed: u64,
    protected: u64,
    violations: u64,
    violations_detected: u64,
    reports: u64,
    reports_lost: u64,
    enforcement: u64,
    civilian_deaths: u64,
    arrests: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeacekeepingDto {
    enabled: bool,
    missions: Vec<Ref>,
    contingents: Vec<Ref>,
    units: Vec<Ref>,
    interoperability: Vec<u64>,
    guard: Vec<u32>,
    battle: Vec<u32>,
    close: Vec<u32>,
    cops: Vec<u16>,
    near: Vec<u32>,
    trust: Vec<u64>,
    consent: Vec<u64>,
    forecast: Vec<u64>,
    alert: Vec<u16>,
    incidents: Vec<IncidentRow>,
    reports: Vec<ReportRow>,
    /// This tick's incidents: x, y, and the kind as in `IncidentRow::kind`.
    fresh: Vec<([u16; 2], [u8; 3])>,
    attacks: Vec<AttackRow>,
    tally: PkTallyRow,
    /// Positions of the units by slot when last stamped (the unit index is rebuilt from them).
    index_positions: Vec<[u16; 2]>,
    deployed: Vec<u32>,
    reach: u32,
    reached_total: u64,
    response_time_total: u64,
    incidents_total: u64,
    warned_total: u64,
    next_incident: u32,
    deterrence: u64,
    battle_deterrence: u64,
    government_deterrence: u64,
    today: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AidTallyRow {
    supplied: u64,
    delivered: u64,
    looted: u64,
    duplicated: u64,
    dispatched: u64,
    arrived: u64,
    attacked: u64,
    escorted: u64,
    worker_deaths: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AidDto {
    enabled: bool,
    agencies: Vec<Ref>,
    convoys: Vec<Ref>,
    cluster: Vec<bool>,
    assessed: Vec<u64>,
    assessed_insecurity: Vec<u64>,
    assessed_population: Vec<u64>,
    planned: Vec<u64>,
    delivered_since: Vec<u64>,
    sent: Vec<u64>,
    tally: AidTallyRow,
    supplied_total: u64,
    delivered_total: u64,
    looted_total: u64,
    in_transit: u64,
    arrivals_total: u64,
    delivery_days_total: u64,
    next_convoy: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsDto {
    values: Vec<u64>,
    scratch: Vec<[u64; 5]>,
    districts: Vec<u64>,
    displaced: Vec<u64>,
}

/// tick, kind, x, y, actor, target, value (bits), detail.
#[derive(Serialize, Deserialize)]
struct EventRow(u64, EventKind, Option<u16>, Option<u16>, Option<u32>, Option<u32>, u64, String);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLogDto {
    enabled: bool,
    events: Vec<EventRow>,
}

// ---------------------------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------------------------

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn xy(p: Position) -> [u16; 2] {
    [p.x, p.y]
}

fn incident_kind(kind: IncidentKind) -> [u8; 3] {
    match kind {
        IncidentKind::CivilianKilled => [0, 0, 0],
        IncidentKind::Battle => [1, 0, 0],
        IncidentKind::CeasefireViolation(a, b) => [2, a, b],
    }
}

/// Entity references as payload indices.
struct Refs(BTreeMap<Entity, Ref>);

impl Refs {
    fn of(&self, e: Entity) -> Ref {
        self.0.get(&e).copied().unwrap_or(DANGLING)
    }

    fn opt(&self, e: Option<Entity>) -> Ref {
        e.map_or(NONE, |e| self.of(e))
    }

    fn list(&self, v: &[Entity]) -> Vec<Ref> {
        v.iter().map(|&e| self.of(e)).collect()
    }
}

/// What a checkpoint writes for a citizen entity missing from the roster (never, by the roster's invariant:
/// a restore rejects such a checkpoint).
const MISSING_CITIZEN: Citizen = Citizen {
    group: u8::MAX,
    hardship: f64::NAN,
    risk_aversion: f64::NAN,
    state: CitizenState::Dead,
    jail_left: 0,
    home: Position { x: u16::MAX, y: u16::MAX },
    displaced: false,
    origin: Position { x: u16::MAX, y: u16::MAX },
};

/// The component bits of an entity, and how many of its components a checkpoint knows. A citizen has no
/// `Position` component (its cell is its state's `home`) but is written with [`HAS_POSITION`] and its home
/// in the positions table, as format 1 has it.
fn kinds_of(e: &EntityRef<'_>) -> (u16, usize) {
    let flags = [
        (e.contains::<AgentId>(), HAS_ID),
        (e.contains::<Position>(), HAS_POSITION),
        (e.contains::<Civilian>(), HAS_CITIZEN),
        (e.contains::<ForceMember>(), HAS_MEMBER),
        (e.contains::<Fighter>(), HAS_FIGHTER),
        (e.contains::<Unit>(), HAS_UNIT),
        (e.contains::<Mission>(), HAS_MISSION),
        (e.contains::<Contingent>(), HAS_CONTINGENT),
        (e.contains::<Agency>(), HAS_AGENCY),
        (e.contains::<Convoy>(), HAS_CONVOY),
    ];
    debug_assert_eq!(flags.len(), KNOWN_COMPONENTS);
    let (kinds, known) = flags.iter().filter(|(has, _)| *has).fold((0, 0), |(k, n), (_, bit)| (k | bit, n + 1));
    (if kinds & HAS_CITIZEN != 0 { kinds | HAS_POSITION } else { kinds }, known)
}

/// Every entity that holds model state, in canonical order: the lists of the roster, peacekeeping and aid
/// (which fix the order of every loop over agents), then the rest sorted by id and contents.
fn canonical_entities(world: &World) -> Vec<Entity> {
    let roster = world.resource::<Roster>();
    let pk = world.resource::<Peacekeeping>();
    let aid = world.resource::<AidState>();
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    let lists = [
        &roster.citizens,
        &roster.members,
        &roster.fighters,
        &pk.missions,
        &pk.contingents,
        &pk.units,
        &aid.agencies,
        &aid.convoys,
    ];
    for &e in lists.into_iter().flatten() {
        if world.get_entity(e).is_ok_and(|r| kinds_of(&r).0 != 0) && seen.insert(e) {
            order.push(e);
        }
    }
    // Entities outside every list: units destroyed or withdrawn this tick (despawned at the next tick's
    // start), citizens and fighters are always listed until they are despawned.
    let mut rest: Vec<(u32, u16, String, Entity)> = world
        .iter_entities()
        .filter(|r| !r.contains::<IsResource>() && !seen.contains(&r.id()))
        .filter_map(|r| {
            let (kinds, _) = kinds_of(&r);
            if kinds == 0 {
                return None;
            }
            let contents = format!(
                "{:?}",
                (
                    r.get::<Position>(),
                    roster.citizen(r.id()),
                    r.get::<ForceMember>(),
                    r.get::<Fighter>(),
                    r.get::<Unit>(),
                    r.get::<Mission>(),
                    r.get::<Contingent>().map(|c| (c.index, &c.name)),
                    r.get::<Agency>(),
                    r.get::<Convoy>().map(|c| (c.id, c.agency, c.cargo, c.district, c.step, c.crew)),
                )
            );
            Some((r.get::<AgentId>().map_or(u32::MAX, |id| id.0), kinds, contents, r.id()))
        })
        .collect();
    rest.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    order.extend(rest.into_iter().map(|r| r.3));
    order
}

fn write_entities(world: &World, order: &[Entity], refs: &Refs) -> Entities {
    let mut out = Entities {
        kinds: Vec::with_capacity(order.len()),
        ids: Vec::new(),
        positions: Vec::new(),
        citizens: Vec::new(),
        members: Vec::new(),
        fighters: Vec::new(),
        units: Vec::new(),
        missions: Vec::new(),
        contingents: Vec::new(),
        agencies: Vec::new(),
        convoys: Vec::new(),
    };
    let roster = world.resource::<Roster>();
    for &e in order {
        let Ok(r) = world.get_entity(e) else { continue };
        let (kinds, known) = kinds_of(&r);
        debug_assert_eq!(
            known,
            r.archetype().components().len(),
            "an entity has a component checkpoints do not know: add it to checkpoint.rs"
        );
        out.kinds.push(kinds);
        if let Some(id) = r.get::<AgentId>() {
            out.ids.push(id.0);
        }
        // Every citizen's entity is on the roster until it is despawned.
        let citizen = r.contains::<Civilian>().then(|| {
            let slot = roster.citizen_slot(e);
            (
                slot.map_or(MISSING_CITIZEN, |i| roster.citizen_records()[i]),
                slot.map_or(0, |i| roster.citizen_ages()[i]),
            )
        });
        if let Some(p) = r.get::<Position>().copied().or(citizen.map(|(c, _)| c.home)) {
            out.positions.extend([p.x, p.y]);
        }
        if let Some((c, age)) = citizen {
            let Citizen { group, hardship, risk_aversion, state, jail_left, home, displaced, origin } = c;
            out.citizens.push(CitizenRow(
                group,
                hardship.to_bits(),
                risk_aversion.to_bits(),
                state.code(),
                jail_left,
                age,
                xy(home),
                u8::from(displaced),
                xy(origin),
            ));
        }
        if let Some(m) = r.get::<ForceMember>() {
            let ForceMember { force } = *m;
            out.members.push(force);
        }
        if let Some(f) = r.get::<Fighter>() {
            let Fighter { faction, group, hardship, risk_aversion, alive } = *f;
            out.fighters.push(FighterRow(faction, group, hardship.to_bits(), risk_aversion.to_bits(), u8::from(alive)));
        }
        if let Some(u) = r.get::<Unit>() {
            let Unit { mission, contingent, role, strength, sector, duty, waypoint, budget, fresh } = u.clone();
            out.units.push(UnitRow {
                mission,
                contingent,
                role: match role {
                    Role::Troops => 0,
                    Role::Police => 1,
                    Role::Observers => 2,
                },
                strength,
                sector,
                duty: match duty {
                    Duty::Patrol => [0, 0],
                    Duty::Reserve => [1, 0],
                    Duty::Respond(id) => [2, id],
                    Duty::Escort(id) => [3, id],
                },
                waypoint: xy(waypoint),
                budget: budget.to_bits(),
                fresh,
            });
        }
        if let Some(m) = r.get::<Mission>() {
            // Sectors are derived from the scenario's map at setup and never change: rebuilt on restore.
            let Mission {
                index,
                name,
                organisation,
                mandate,
                consent,
                spoilers,
                early_warning,
                reserve,
                headquarters,
                sectors: _,
            } = m;
            out.missions.push(MissionRow {
                index: *index,
                name: name.clone(),
                organisation: *organisation,
                mandate: *mandate,
                consent: consent.to_bits(),
                spoilers: *spoilers,
                early_warning: *early_warning,
                reserve: reserve.to_bits(),
                headquarters: xy(*headquarters),
            });
        }
        if let Some(c) = r.get::<Contingent>() {
            // The vision shape is `moore(vision_radius)`, as setup builds it: rebuilt on restore.
            let Contingent {
                index,
                name,
                mission,
                training,
                communication,
                cultural_competency,
                caveats,
                vision: _,
                vision_radius,
                drones,
                satellite,
                sector,
                base,
            } = c;
            out.contingents.push(ContingentRow {
                index: *index,
                name: name.clone(),
                mission: *mission,
                training: training.to_bits(),
                communication: communication.to_bits(),
                cultural_competency: cultural_competency.to_bits(),
                caveats: caveats.clone(),
                vision_radius: *vision_radius,
                drones: (drones.0.to_bits(), drones.1),
                satellite: satellite.to_bits(),
                sector: *sector,
                base: base.map(xy),
            });
        }
        if let Some(a) = r.get::<Agency>() {
            let Agency { index, name, kind, depot, cluster, escort, policy, stock } = a;
            out.agencies.push(AgencyRow {
                index: *index,
                name: name.clone(),
                kind: *kind,
                depot: xy(*depot),
                cluster: *cluster,
                escort: *escort,
                policy: *policy,
                stock: stock.to_bits(),
            });
        }
        if let Some(c) = r.get::<Convoy>() {
            let Convoy { id, agency, cargo, district, step, budget, dispatched, escort, crew } = *c;
            out.convoys.push(ConvoyRow {
                id,
                agency,
                cargo: cargo.to_bits(),
                district,
                step,
                budget: budget.to_bits(),
                dispatched,
                escort: refs.opt(escort),
                crew,
            });
        }
    }
    out
}

fn write_conflict(c: &Conflict) -> ConflictState {
    let Conflict {
        enabled,
        width: _,
        height: _,
        factions,
        relation,
        ceasefires,
        hostile,
        truce,
        government,
        control,
        district_of_cell: _,
        terrain: _,
        district_cells: _,
        district_control,
        contest,
        heat,
        violence_total,
        heat_sum,
        legitimacy_offset,
        capacity: _,
        crowding,
        residents,
        camp: _,
        camp_distance: _,
        tally,
        last_abuses,
        violence_hardship,
        crowding_hardship,
        order: _,
    } = c;
    let ConflictTally {
        civilian_deaths,
        disaster_deaths,
        combatant_deaths,
        recruits,
        desertions,
        allegiance_shifts,
        reinforcements,
        flights,
        returns,
        abuses,
        violations,
    } = tally;
    ConflictState {
        enabled: *enabled,
        factions: factions
            .iter()
            .map(|f| {
                let FactionState { name, kind, cohesion, resources, fighters, territory, splinter, distance: _ } = f;
                FactionRow {
                    name: name.clone(),
                    kind: *kind,
                    cohesion: cohesion.to_bits(),
                    resources: resources.to_bits(),
                    fighters: *fighters,
                    territory: *territory,
                    splinter: *splinter,
                }
            })
            .collect(),
        relation: bits(relation),
        ceasefires: ceasefires
            .iter()
            .map(|&Ceasefire { a, b, until, hazard, pressure }| CeasefireRow {
                a,
                b,
                until,
                hazard: hazard.to_bits(),
                pressure: pressure.to_bits(),
            })
            .collect(),
        hostile: *hostile,
        truce: *truce,
        government: *government,
        control: control.clone(),
        district_control: district_control.clone(),
        contest: bits(contest),
        heat: bits32(heat),
        violence_total: bits32(violence_total),
        heat_sum: heat_sum.to_bits(),
        legitimacy_offset: bits(legitimacy_offset),
        crowding: bits(crowding),
        residents: residents.clone(),
        tally: ConflictTallyRow {
            civilian_deaths: *civilian_deaths,
            disaster_deaths: *disaster_deaths,
            combatant_deaths: combatant_deaths.clone(),
            recruits: *recruits,
            desertions: *desertions,
            allegiance_shifts: *allegiance_shifts,
            reinforcements: *reinforcements,
            flights: *flights,
            returns: *returns,
            abuses: abuses.clone(),
            violations: *violations,
        },
        last_abuses: last_abuses.clone(),
        violence_hardship: violence_hardship.to_bits(),
        crowding_hardship: crowding_hardship.to_bits(),
    }
}

fn write_food(f: &FoodState) -> FoodDto {
    let FoodState {
        weight,
        district_of_cell: _,
        base_production,
        stock,
        insecurity,
        population,
        produced,
        drought_left,
        loss,
        event_loss,
        event_until,
    } = f;
    FoodDto {
        weight: weight.to_bits(),
        base_production: bits(base_production),
        stock: bits(stock),
        insecurity: bits(insecurity),
        population: population.clone(),
        produced: produced.to_bits(),
        drought_left: drought_left.clone(),
        loss: bits(loss),
        event_loss: bits(event_loss),
        event_until: event_until.clone(),
    }
}

fn write_peacekeeping(pk: &Peacekeeping, refs: &Refs) -> PeacekeepingDto {
    let Peacekeeping {
        enabled,
        width: _,
        missions,
        contingents,
        units,
        interoperability,
        guard,
        battle,
        close,
        cops,
        near,
        trust,
        consent,
        forecast,
        alert,
        district_cells: _,
        incidents,
        reports,
        fresh,
        attacks,
        tally,
        index,
        deployed,
        reach,
        reached_total,
        response_time_total,
        incidents_total,
        warned_total,
        next_incident,
        deterrence,
        battle_deterrence,
        government_deterrence,
        today,
    } = pk;
    let PeacekeepingTally {
        deaths,
        attacks: attacked,
        incidents: incident_count,
        reached,
        missed,
        protected,
        violations,
        violations_detected,
        reports: report_count,
        reports_lost,
        enforcement,
        civilian_deaths,
        arrests,
    } = tally;
    PeacekeepingDto {
        enabled: *enabled,
        missions: refs.list(missions),
        contingents: refs.list(contingents),
        units: refs.list(units),
        interoperability: bits(interoperability),
        guard: bits32(guard),
        battle: bits32(battle),
        close: bits32(close),
        cops: cops.clone(),
        near: near.clone(),
        trust: bits(trust),
        consent: bits(consent),
        forecast: bits(forecast),
        alert: alert.clone(),
        incidents: incidents
            .iter()
            .map(|&Incident { id, tick, cell, district, kind, assigned }| IncidentRow {
                id,
                tick,
                cell: xy(cell),
                district,
                kind: incident_kind(kind),
                assigned,
            })
            .collect(),
        reports: reports
            .iter()
            .map(|&Report { incident, mission, due, unit }| ReportRow { incident, mission, due, unit: refs.opt(unit) })
            .collect(),
        fresh: fresh.iter().map(|&(p, kind)| (xy(p), incident_kind(kind))).collect(),
        attacks: attacks
            .iter()
            .map(|&Attack { unit, attacker, faction, cell }| AttackRow {
                unit: refs.of(unit),
                attacker: refs.of(attacker),
                faction,
                cell: xy(cell),
            })
            .collect(),
        tally: PkTallyRow {
            deaths: *deaths,
            attacks: *attacked,
            incidents: *incident_count,
            reached: *reached,
            missed: *missed,
            protected: *protected,
            violations: *violations,
            violations_detected: *violations_detected,
            reports: *report_count,
            reports_lost: *reports_lost,
            enforcement: *enforcement,
            civilian_deaths: *civilian_deaths,
            arrests: *arrests,
        },
        index_positions: index.position.iter().map(|&p| xy(p)).collect(),
        deployed: deployed.clone(),
        reach: *reach,
        reached_total: *reached_total,
        response_time_total: *response_time_total,
        incidents_total: *incidents_total,
        warned_total: *warned_total,
        next_incident: *next_incident,
        deterrence: deterrence.to_bits(),
        battle_deterrence: battle_deterrence.to_bits(),
        government_deterrence: government_deterrence.to_bits(),
        today: today.clone(),
    }
}

fn write_aid(aid: &AidState, refs: &Refs) -> AidDto {
    let AidState {
        enabled,
        width: _,
        agencies,
        convoys,
        districts: _,
        cluster,
        routes: _,
        route_cost: _,
        cell_cost: _,
        assessed,
        assessed_insecurity,
        assessed_population,
        planned,
        delivered_since,
        sent,
        tally,
        supplied_total,
        delivered_total,
        looted_total,
        in_transit,
        arrivals_total,
        delivery_days_total,
        next_convoy,
    } = aid;
    let AidTally { supplied, delivered, looted, duplicated, dispatched, arrived, attacked, escorted, worker_deaths } =
        tally;
    AidDto {
        enabled: *enabled,
        agencies: refs.list(agencies),
        convoys: refs.list(convoys),
        cluster: cluster.clone(),
        assessed: bits(assessed),
        assessed_insecurity: bits(assessed_insecurity),
        assessed_population: assessed_population.clone(),
        planned: bits(planned),
        delivered_since: bits(delivered_since),
        sent: bits(sent),
        tally: AidTallyRow {
            supplied: supplied.to_bits(),
            delivered: delivered.to_bits(),
            looted: looted.to_bits(),
            duplicated: duplicated.to_bits(),
            dispatched: *dispatched,
            arrived: *arrived,
            attacked: *attacked,
            escorted: *escorted,
            worker_deaths: *worker_deaths,
        },
        supplied_total: supplied_total.to_bits(),
        delivered_total: delivered_total.to_bits(),
        looted_total: looted_total.to_bits(),
        in_transit: in_transit.to_bits(),
        arrivals_total: *arrivals_total,
        delivery_days_total: *delivery_days_total,
        next_convoy: *next_convoy,
    }
}

/// Writes a checkpoint of `world`, a run of `scenario` (as given to `Simulation::new`) with `seed`.
pub(crate) fn write(world: &World, seed: u64, scenario: &Scenario) -> Vec<u8> {
    let order = canonical_entities(world);
    let refs = Refs(order.iter().enumerate().map(|(i, &e)| (e, i as Ref)).collect());

    // Params: only the live scenario is state; the rest is derived from it (or, for visions and the map,
    // from the scenario at setup, which the schedule cannot change).
    let Params {
        scenario: live,
        groups: _,
        forces: _,
        citizen_vision: _,
        citizen_movement: _,
        force_vision: _,
        force_movement: _,
        factions: _,
        faction_vision: _,
        flee_vision: _,
        cells: _,
        map: _,
        probability_by_ratio: _,
    } = world.resource::<Params>();
    let injected: Vec<usize> = live.events.iter().enumerate().filter(|(_, e)| e.injected).map(|(i, _)| i).collect();
    let live = toml::to_string(live).expect("a validated scenario is representable as TOML");
    let rngs = world.resource::<RngStreams>();
    let rng = rngs
        .streams
        .iter()
        .map(|r| RngState {
            key: r.get_seed().iter().map(|b| format!("{b:02x}")).collect(),
            stream: r.get_stream(),
            word_pos: r.get_word_pos().to_string(),
        })
        .collect();
    let (flags, occupant) = world.resource::<Grid>().cell_state(world.entities());
    let roster = world.resource::<Roster>();
    let (citizens, members, fighters, next_id) = (&roster.citizens, &roster.members, &roster.fighters, &roster.next_id);
    let Tally { arrests, releases, activations, kills, births, deaths, killed, removed, any_died } =
        world.resource::<Tally>().clone();
    // Names, kinds and the drought column are decided at setup from the scenario file, which restore
    // rebuilds. The district terms are recomputed at every tick's metrics.
    let Metrics { names: _, kinds: _, values, scratch, districts, displaced, drought_column: _, terms: _ } =
        world.resource::<Metrics>();
    let EventLog { events, enabled } = world.resource::<EventLog>();
    let ForceResize { pending } = world.resource::<ForceResize>();
    let Clock { tick } = *world.resource::<Clock>();

    let payload = Payload {
        seed,
        tick,
        scenario: live,
        injected,
        rng,
        entities: write_entities(world, &order, &refs),
        grid: GridState { flags, occupant: occupant.iter().map(|&o| refs.opt(o)).collect() },
        roster: RosterState {
            citizens: refs.list(citizens),
            members: refs.list(members),
            fighters: refs.list(fighters),
            next_id: *next_id,
        },
        tally: TallyState { arrests, releases, activations, kills, births, deaths, killed, removed, any_died },
        conflict: write_conflict(world.resource::<Conflict>()),
        food: write_food(world.resource::<FoodState>()),
        peacekeeping: write_peacekeeping(world.resource::<Peacekeeping>(), &refs),
        aid: write_aid(world.resource::<AidState>(), &refs),
        metrics: MetricsDto {
            values: bits(values),
            scratch: scratch.iter().map(|row| row.map(f64::to_bits)).collect(),
            districts: districts.clone(),
            displaced: displaced.clone(),
        },
        events: EventLogDto {
            enabled: *enabled,
            events: events
                .iter()
                .map(|e| {
                    let Event { tick, kind, x, y, actor, target, value, detail } = e;
                    EventRow(*tick, *kind, *x, *y, *actor, *target, value.to_bits(), detail.clone())
                })
                .collect(),
        },
        force_resize: pending.clone(),
    };
    let body = serde_json::to_vec(&payload).expect("the payload is plain data");
    let header = RawHeader {
        format: FORMAT_VERSION,
        peacesim: crate::VERSION.to_owned(),
        scenario: scenario.name.clone(),
        fingerprint: format!("{:016x}", scenario.fingerprint()),
        seed,
        tick,
        payload_bytes: body.len() as u64,
        checksum: format!("{:016x}", fnv1a(&body)),
    };
    let mut out = format!("{MAGIC}\n").into_bytes();
    out.extend(serde_json::to_vec(&header).expect("the header is plain data"));
    out.push(b'\n');
    out.extend(body);
    out
}

// ---------------------------------------------------------------------------------------------------------
// Restoring.
// ---------------------------------------------------------------------------------------------------------

/// Decodes the payload of a checked checkpoint.
pub(crate) fn decode(header: &CheckpointHeader, payload: &[u8]) -> Result<Payload, CheckpointError> {
    let p: Payload = serde_json::from_slice(payload).map_err(|e| {
        let writer = if header.peacesim == crate::VERSION {
            String::new()
        } else {
            format!(" (written by peacesim {}; this is peacesim {})", header.peacesim, crate::VERSION)
        };
        malformed(format!("payload: {e}{writer}"))
    })?;
    if p.seed != header.seed || p.tick != header.tick {
        return Err(malformed(format!(
            "the header says seed {} tick {}, the payload seed {} tick {}",
            header.seed, header.tick, p.seed, p.tick
        )));
    }
    Ok(p)
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), CheckpointError> {
    if ok { Ok(()) } else { Err(malformed(what())) }
}

fn same_len(what: &str, got: usize, want: usize) -> Result<(), CheckpointError> {
    ensure(got == want, || format!("{what} has {got} entries, the scenario needs {want}"))
}

fn floats(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&b| f64::from_bits(b)).collect()
}

fn floats32(v: &[u32]) -> Vec<f32> {
    v.iter().map(|&b| f32::from_bits(b)).collect()
}

fn f(b: u64) -> f64 {
    f64::from_bits(b)
}

fn decode_kind(kind: [u8; 3]) -> Result<IncidentKind, CheckpointError> {
    match kind {
        [0, 0, 0] => Ok(IncidentKind::CivilianKilled),
        [1, 0, 0] => Ok(IncidentKind::Battle),
        [2, a, b] => Ok(IncidentKind::CeasefireViolation(a, b)),
        other => Err(malformed(format!("unknown incident kind {other:?}"))),
    }
}

fn citizen_state(code: u8) -> Result<CitizenState, CheckpointError> {
    [CitizenState::Quiescent, CitizenState::Active, CitizenState::Jailed, CitizenState::Dead, CitizenState::Recruited]
        .into_iter()
        .find(|s| s.code() == code)
        .ok_or_else(|| malformed(format!("unknown citizen state {code}")))
}

/// Resolves payload references to the restored entities.
struct Resolver {
    entities: Vec<Entity>,
    /// An entity that was spawned and despawned: what stale references point to.
    dangling: Entity,
}

impl Resolver {
    fn of(&self, r: Ref) -> Result<Entity, CheckpointError> {
        match r {
            DANGLING => Ok(self.dangling),
            i if i >= 0 && (i as u64) < self.entities.len() as u64 => Ok(self.entities[i as usize]),
            _ => Err(malformed(format!("entity reference {r} is out of range (0..{})", self.entities.len()))),
        }
    }

    fn opt(&self, r: Ref) -> Result<Option<Entity>, CheckpointError> {
        if r == NONE { Ok(None) } else { self.of(r).map(Some) }
    }

    fn list(&self, v: &[Ref]) -> Result<Vec<Entity>, CheckpointError> {
        v.iter().map(|&r| self.of(r)).collect()
    }
}

/// The bounds of the scenario the checkpoint is restored into, for checking the payload against.
struct Bounds {
    width: u16,
    height: u16,
    groups: usize,
    forces: usize,
    factions: usize,
    missions: usize,
    contingents: usize,
    agencies: usize,
    /// Aid districts.
    districts: usize,
    /// Length of each aid route.
    routes: Vec<usize>,
}

impl Bounds {
    fn position(&self, [x, y]: [u16; 2]) -> Result<Position, CheckpointError> {
        ensure(x < self.width && y < self.height, || {
            format!("cell ({x}, {y}) is off the {}x{} grid", self.width, self.height)
        })?;
        Ok(Position { x, y })
    }
}

/// Counts the entities with component `bit` and checks the table's length against it.
fn table_len(kinds: &[u16], bit: u16, what: &str, len: usize) -> Result<(), CheckpointError> {
    let n = kinds.iter().filter(|&&k| k & bit != 0).count();
    ensure(n == len, || format!("{len} {what} for {n} entities that have one"))
}

/// Replaces the state of `world`, freshly built for the checkpoint's scenario and seed, with the payload's.
/// Checks the payload against the scenario first; on an error the world is left half-restored and must be
/// dropped.
pub(crate) fn apply(world: &mut World, p: Payload) -> Result<(), CheckpointError> {
    // The live scenario must be the same scenario in shape (the schedule changes values only).
    let mut live: Scenario = toml::from_str(&p.scenario).map_err(|e| malformed(format!("live scenario: {e}")))?;
    let n = live.events.len();
    for &i in &p.injected {
        live.events.get_mut(i).ok_or_else(|| malformed(format!("injected event {i} of {n}")))?.injected = true;
    }
    let bounds = {
        let params = world.resource::<Params>();
        let fresh = &params.scenario;
        let shape = |s: &Scenario| {
            (
                s.grid.width,
                s.grid.height,
                s.populations.keys().cloned().collect::<Vec<_>>(),
                s.forces.keys().cloned().collect::<Vec<_>>(),
                s.factions.keys().cloned().collect::<Vec<_>>(),
            )
        };
        ensure(shape(&live) == shape(fresh), || {
            "the live scenario's grid, populations, forces or factions are not the scenario's".to_owned()
        })?;
        let pk = world.resource::<Peacekeeping>();
        let aid = world.resource::<AidState>();
        Bounds {
            width: fresh.grid.width as u16,
            height: fresh.grid.height as u16,
            groups: params.groups.len(),
            forces: params.forces.len(),
            factions: params.factions.len(),
            missions: pk.missions.len(),
            contingents: pk.contingents.len(),
            agencies: aid.agencies.len(),
            districts: aid.districts,
            routes: aid.routes.iter().map(Vec::len).collect(),
        }
    };

    // Random streams.
    same_len("rng", p.rng.len(), STREAMS)?;
    let mut streams = Vec::with_capacity(STREAMS);
    for s in &p.rng {
        let mut key = [0u8; 32];
        ensure(s.key.len() == 64 && s.key.is_ascii(), || format!("rng key `{}` is not 64 hex digits", s.key))?;
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s.key[2 * i..2 * i + 2], 16)
                .map_err(|_| malformed(format!("rng key `{}` is not 64 hex digits", s.key)))?;
        }
        let word_pos: u128 =
            s.word_pos.parse().map_err(|_| malformed(format!("rng word position `{}` is not a number", s.word_pos)))?;
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(s.stream);
        rng.set_word_pos(word_pos);
        streams.push(rng);
    }
    let streams: [ChaCha8Rng; STREAMS] =
        streams.try_into().map_err(|_| malformed(format!("rng must have {STREAMS} streams")))?;

    // Entities: check the tables, then take what setup derived (missions' sectors) before clearing.
    let ents = &p.entities;
    let n = ents.kinds.len();
    table_len(&ents.kinds, HAS_ID, "ids", ents.ids.len())?;
    ensure(ents.positions.len().is_multiple_of(2), || "positions must come in x, y pairs".to_owned())?;
    table_len(&ents.kinds, HAS_POSITION, "positions", ents.positions.len() / 2)?;
    table_len(&ents.kinds, HAS_CITIZEN, "citizens", ents.citizens.len())?;
    table_len(&ents.kinds, HAS_MEMBER, "force members", ents.members.len())?;
    table_len(&ents.kinds, HAS_FIGHTER, "fighters", ents.fighters.len())?;
    table_len(&ents.kinds, HAS_UNIT, "units", ents.units.len())?;
    table_len(&ents.kinds, HAS_MISSION, "missions", ents.missions.len())?;
    table_len(&ents.kinds, HAS_CONTINGENT, "contingents", ents.contingents.len())?;
    table_len(&ents.kinds, HAS_AGENCY, "agencies", ents.agencies.len())?;
    table_len(&ents.kinds, HAS_CONVOY, "convoys", ents.convoys.len())?;
    ensure(ents.kinds.iter().all(|&k| k >> KNOWN_COMPONENTS == 0), || "unknown component bits".to_owned())?;

    let mut sectors = BTreeMap::new();
    let old: Vec<Entity> = world
        .iter_entities()
        .filter(|r| !r.contains::<IsResource>() && kinds_of(r).0 != 0)
        .map(|r| {
            if let Some(m) = r.get::<Mission>() {
                sectors.insert(m.index, m.sectors.clone());
            }
            r.id()
        })
        .collect();
    for e in old {
        world.despawn(e);
    }
    let dangling = world.spawn_empty().id();
    world.despawn(dangling);
    let entities: Vec<Entity> = (0..n).map(|_| world.spawn_empty().id()).collect();
    let refs = Resolver { entities, dangling };

    let (mut ids, mut positions) = (ents.ids.iter(), ents.positions.chunks_exact(2));
    let (mut citizens, mut members, mut fighters) = (ents.citizens.iter(), ents.members.iter(), ents.fighters.iter());
    // The citizens' states, by entity; they go to the roster with its list of citizens.
    let mut records: Vec<Option<(Citizen, u32)>> = vec![None; n];
    let (mut units, mut missions, mut contingents) = (ents.units.iter(), ents.missions.iter(), ents.contingents.iter());
    let (mut agencies, mut convoys) = (ents.agencies.iter(), ents.convoys.iter());
    let short = || malformed("an entity table is shorter than its entities");
    for (i, &kinds) in ents.kinds.iter().enumerate() {
        let e = refs.entities[i];
        let mut entity = world.entity_mut(e);
        if kinds & HAS_ID != 0 {
            entity.insert(AgentId(*ids.next().ok_or_else(short)?));
        }
        let mut at = None;
        if kinds & HAS_POSITION != 0 {
            let xy = positions.next().ok_or_else(short)?;
            let p = bounds.position([xy[0], xy[1]])?;
            // A citizen's cell is its state's `home` (below), not a component.
            if kinds & HAS_CITIZEN == 0 {
                entity.insert(p);
            }
            at = Some(p);
        }
        if kinds & HAS_CITIZEN != 0 {
            let c = citizens.next().ok_or_else(short)?;
            let CitizenRow(group, hardship, risk_aversion, state, jail_left, age, home, displaced, origin) = *c;
            ensure((group as usize) < bounds.groups, || format!("citizen group {group} does not exist"))?;
            // A citizen's cell is its state's `home`; the positions table, which has it too, must say the same.
            let home = bounds.position(home)?;
            ensure(at == Some(home), || {
                let at = at.map_or("nowhere".to_owned(), |p| format!("({}, {})", p.x, p.y));
                format!("citizen entity {i} is at {at} but its state's cell is ({}, {})", home.x, home.y)
            })?;
            entity.insert(Civilian);
            let citizen = Citizen {
                group,
                hardship: f(hardship),
                risk_aversion: f(risk_aversion),
                state: citizen_state(state)?,
                jail_left,
                home,
                displaced: displaced != 0,
                origin: bounds.position(origin)?,
            };
            records[i] = Some((citizen, age));
        }
        if kinds & HAS_MEMBER != 0 {
            let force = *members.next().ok_or_else(short)?;
            ensure((force as usize) < bounds.forces, || format!("force {force} does not exist"))?;
            entity.insert(ForceMember { force });
        }
        if kinds & HAS_FIGHTER != 0 {
            let FighterRow(faction, group, hardship, risk_aversion, alive) = *fighters.next().ok_or_else(short)?;
            ensure((faction as usize) < bounds.factions, || format!("faction {faction} does not exist"))?;
            ensure((group as usize) < bounds.groups.max(1), || format!("fighter group {group} does not exist"))?;
            entity.insert(Fighter {
                faction,
                group,
                hardship: f(hardship),
                risk_aversion: f(risk_aversion),
                alive: alive != 0,
            });
        }
        if kinds & HAS_UNIT != 0 {
            let u = units.next().ok_or_else(short)?;
            ensure((u.mission as usize) < bounds.missions && (u.contingent as usize) < bounds.contingents, || {
                format!("a unit of unknown mission {} or contingent {}", u.mission, u.contingent)
            })?;
            entity.insert(Unit {
                mission: u.mission,
                contingent: u.contingent,
                role: match u.role {
                    0 => Role::Troops,
                    1 => Role::Police,
                    2 => Role::Observers,
                    other => return Err(malformed(format!("unknown unit role {other}"))),
                },
                strength: u.strength,
                sector: u.sector,
                duty: match u.duty {
                    [0, 0] => Duty::Patrol,
                    [1, 0] => Duty::Reserve,
                    [2, id] => Duty::Respond(id),
                    [3, id] => Duty::Escort(id),
                    other => return Err(malformed(format!("unknown unit duty {other:?}"))),
                },
                waypoint: bounds.position(u.waypoint)?,
                budget: f(u.budget),
                fresh: u.fresh,
            });
        }
        if kinds & HAS_MISSION != 0 {
            let m = missions.next().ok_or_else(short)?;
            let Some(sectors) = sectors.get(&m.index).cloned() else {
                return Err(malformed(format!("mission {} does not exist in the scenario", m.index)));
            };
            entity.insert(Mission {
                index: m.index,
                name: m.name.clone(),
                organisation: m.organisation,
                mandate: m.mandate,
                consent: f(m.consent),
                spoilers: m.spoilers,
                early_warning: m.early_warning,
                reserve: f(m.reserve),
                headquarters: bounds.position(m.headquarters)?,
                sectors,
            });
        }
        if kinds & HAS_CONTINGENT != 0 {
            let c = contingents.next().ok_or_else(short)?;
            ensure(c.vision_radius <= 64, || format!("contingent vision {} is too wide", c.vision_radius))?;
            ensure((c.mission as usize) < bounds.missions, || format!("contingent of unknown mission {}", c.mission))?;
            entity.insert(Contingent {
                index: c.index,
                name: c.name.clone(),
                mission: c.mission,
                training: f(c.training),
                communication: f(c.communication),
                cultural_competency: f(c.cultural_competency),
                caveats: c.caveats.clone(),
                vision: moore(c.vision_radius),
                vision_radius: c.vision_radius,
                drones: (f(c.drones.0), c.drones.1),
                satellite: f(c.satellite),
                sector: c.sector,
                base: c.base.map(|b| bounds.position(b)).transpose()?,
            });
        }
        if kinds & HAS_AGENCY != 0 {
            let a = agencies.next().ok_or_else(short)?;
            entity.insert(Agency {
                index: a.index,
                name: a.name.clone(),
                kind: a.kind,
                depot: bounds.position(a.depot)?,
                cluster: a.cluster,
                escort: a.escort,
                policy: a.policy,
                stock: f(a.stock),
            });
        }
        if kinds & HAS_CONVOY != 0 {
            let c = convoys.next().ok_or_else(short)?;
            ensure((c.agency as usize) < bounds.agencies && usize::from(c.district) < bounds.districts, || {
                format!("convoy {} goes from an unknown agency or to an unknown district", c.id)
            })?;
            let route = bounds.routes[c.agency as usize * bounds.districts + usize::from(c.district)];
            ensure((c.step as usize) < route, || format!("convoy {} is off its route", c.id))?;
            let escort = refs.opt(c.escort)?;
            entity.insert(Convoy {
                id: c.id,
                agency: c.agency,
                cargo: f(c.cargo),
                district: c.district,
                step: c.step,
                budget: f(c.budget),
                dispatched: c.dispatched,
                escort,
                crew: c.crew,
            });
        }
    }

    // Resources.
    let cells = usize::from(bounds.width) * usize::from(bounds.height);
    same_len("grid.flags", p.grid.flags.len(), cells)?;
    same_len("grid.occupant", p.grid.occupant.len(), cells)?;
    // An empty cell's flags are 0 (moves write into empty cells without reading their flags).
    let stray = p.grid.flags.iter().position(|&f| f != 0 && f & OCCUPIED == 0);
    ensure(stray.is_none(), || {
        let i = stray.unwrap_or(0);
        format!("grid.flags: cell {i} is empty but has flags {}", p.grid.flags[i])
    })?;
    let occupant = p.grid.occupant.iter().map(|&r| refs.opt(r)).collect::<Result<Vec<_>, _>>()?;
    let restored = world.resource_mut::<Grid>().restore_cells(&p.grid.flags, &occupant);
    ensure(restored, || "the grid's size is not the scenario's".to_owned())?;

    // Every citizen is on the roster once, and every entry of its citizens is a citizen.
    let citizen_entities = refs.list(&p.roster.citizens)?;
    let mut listed = vec![false; n];
    let mut citizen_records = Vec::with_capacity(p.roster.citizens.len());
    crate::memory::advise_huge_pages(&citizen_records);
    let mut citizen_ages = Vec::with_capacity(p.roster.citizens.len());
    for &r in &p.roster.citizens {
        let i = usize::try_from(r).ok().filter(|&i| records.get(i).is_some_and(Option::is_some));
        let i = i.ok_or_else(|| malformed(format!("roster citizen {r} is not a citizen entity")))?;
        ensure(!listed[i], || format!("citizen entity {i} is on the roster twice"))?;
        listed[i] = true;
        if let Some((citizen, age)) = records[i] {
            citizen_records.push(citizen);
            citizen_ages.push(age);
        }
    }
    let unlisted = records.iter().zip(&listed).position(|(c, &l)| c.is_some() && !l);
    ensure(unlisted.is_none(), || format!("citizen entity {} is not on the roster", unlisted.unwrap_or(0)))?;
    let mut roster = Roster::default();
    roster.members = refs.list(&p.roster.members)?;
    roster.fighters = refs.list(&p.roster.fighters)?;
    roster.next_id = p.roster.next_id;
    roster.set_citizens(citizen_entities, citizen_records, citizen_ages);
    world.insert_resource(roster);

    let t = &p.tally;
    same_len("tally.killed", t.killed.len(), bounds.groups)?;
    world.insert_resource(Tally {
        arrests: t.arrests,
        releases: t.releases,
        activations: t.activations,
        kills: t.kills,
        births: t.births,
        deaths: t.deaths,
        killed: t.killed.clone(),
        removed: t.removed,
        any_died: t.any_died,
    });
    world.insert_resource(Clock { tick: p.tick });

    restore_conflict(world.resource_mut::<Conflict>().as_mut(), &p.conflict, &bounds)?;
    restore_food(world.resource_mut::<FoodState>().as_mut(), &p.food)?;
    restore_peacekeeping(world.resource_mut::<Peacekeeping>().as_mut(), &p.peacekeeping, &refs, &bounds)?;
    restore_aid(world.resource_mut::<AidState>().as_mut(), &p.aid, &refs)?;

    {
        let mut metrics = world.resource_mut::<Metrics>();
        let m = &p.metrics;
        same_len("metrics.values", m.values.len(), metrics.names.len())?;
        same_len("metrics.scratch", m.scratch.len(), metrics.scratch.len())?;
        same_len("metrics.districts", m.districts.len(), metrics.districts.len())?;
        same_len("metrics.displaced", m.displaced.len(), metrics.displaced.len())?;
        metrics.values = floats(&m.values);
        metrics.scratch = m.scratch.iter().map(|row| row.map(f64::from_bits)).collect();
        metrics.districts = m.districts.clone();
        metrics.displaced = m.displaced.clone();
    }
    world.insert_resource(EventLog {
        enabled: p.events.enabled,
        events: p
            .events
            .events
            .iter()
            .map(|EventRow(tick, kind, x, y, actor, target, value, detail)| Event {
                tick: *tick,
                kind: *kind,
                x: *x,
                y: *y,
                actor: *actor,
                target: *target,
                value: f(*value),
                detail: detail.clone(),
            })
            .collect(),
    });
    ensure(p.force_resize.iter().all(|&f| (f as usize) < bounds.forces), || "resize of an unknown force".to_owned())?;
    world.insert_resource(ForceResize { pending: p.force_resize.clone() });
    {
        // The schedule, with any injected entries, resolved anew (for a run without injects this is the
        // timeline setup built).
        world.insert_resource(crate::schedule::Timeline::new(&live));
        let mut params = world.resource_mut::<Params>();
        params.scenario = live;
        params.refresh();
    }
    world.insert_resource(RngStreams { streams });
    Ok(())
}

fn restore_conflict(c: &mut Conflict, s: &ConflictState, bounds: &Bounds) -> Result<(), CheckpointError> {
    ensure(s.enabled == c.enabled, || {
        "the conflict layer is on in one of the scenario and checkpoint only".to_owned()
    })?;
    same_len("conflict.factions", s.factions.len(), c.factions.len())?;
    same_len("conflict.relation", s.relation.len(), c.relation.len())?;
    same_len("conflict.control", s.control.len(), c.control.len())?;
    same_len("conflict.district_control", s.district_control.len(), c.district_control.len())?;
    same_len("conflict.contest", s.contest.len(), c.contest.len())?;
    same_len("conflict.heat", s.heat.len(), c.heat.len())?;
    same_len("conflict.violence_total", s.violence_total.len(), c.violence_total.len())?;
    same_len("conflict.legitimacy_offset", s.legitimacy_offset.len(), c.legitimacy_offset.len())?;
    same_len("conflict.crowding", s.crowding.len(), c.crowding.len())?;
    same_len("conflict.residents", s.residents.len(), c.residents.len())?;
    same_len("conflict.last_abuses", s.last_abuses.len(), c.last_abuses.len())?;
    same_len("conflict.tally.abuses", s.tally.abuses.len(), c.tally.abuses.len())?;
    same_len("conflict.tally.combatant_deaths", s.tally.combatant_deaths.len(), c.tally.combatant_deaths.len())?;
    let n = bounds.factions;
    let faction_ok = |f: u8| (f as usize) < n;
    ensure(s.government.is_none_or(faction_ok), || "the government is an unknown faction".to_owned())?;
    ensure(s.factions.iter().all(|f| f.splinter.is_none_or(faction_ok)), || "unknown splinter faction".to_owned())?;
    ensure(s.ceasefires.iter().all(|cf| faction_ok(cf.a) && faction_ok(cf.b)), || {
        "unknown ceasefire party".to_owned()
    })?;
    ensure(s.control.iter().all(|&f| f == crate::conflict::UNCONTROLLED || faction_ok(f)), || {
        "a cell is controlled by an unknown faction".to_owned()
    })?;
    for (state, row) in c.factions.iter_mut().zip(&s.factions) {
        state.name = row.name.clone();
        state.kind = row.kind;
        state.cohesion = f(row.cohesion);
        state.resources = f(row.resources);
        state.fighters = row.fighters;
        state.territory = row.territory;
        state.splinter = row.splinter;
    }
    c.relation = floats(&s.relation);
    c.ceasefires = s
        .ceasefires
        .iter()
        .map(|r| Ceasefire { a: r.a, b: r.b, until: r.until, hazard: f(r.hazard), pressure: f(r.pressure) })
        .collect();
    c.hostile = s.hostile;
    c.truce = s.truce;
    c.government = s.government;
    c.control = s.control.clone();
    c.district_control = s.district_control.clone();
    c.contest = floats(&s.contest);
    c.heat = floats32(&s.heat);
    c.violence_total = floats32(&s.violence_total);
    c.heat_sum = f(s.heat_sum);
    c.legitimacy_offset = floats(&s.legitimacy_offset);
    c.crowding = floats(&s.crowding);
    c.residents = s.residents.clone();
    let t = &s.tally;
    c.tally = ConflictTally {
        civilian_deaths: t.civilian_deaths,
        disaster_deaths: t.disaster_deaths,
        combatant_deaths: t.combatant_deaths.clone(),
        recruits: t.recruits,
        desertions: t.desertions,
        allegiance_shifts: t.allegiance_shifts,
        reinforcements: t.reinforcements,
        flights: t.flights,
        returns: t.returns,
        abuses: t.abuses.clone(),
        violations: t.violations,
    };
    c.last_abuses = s.last_abuses.clone();
    c.violence_hardship = f(s.violence_hardship);
    c.crowding_hardship = f(s.crowding_hardship);
    c.order = Vec::new();
    Ok(())
}

fn restore_food(food: &mut FoodState, s: &FoodDto) -> Result<(), CheckpointError> {
    let districts = food.stock.len();
    same_len("food.base_production", s.base_production.len(), districts)?;
    same_len("food.stock", s.stock.len(), districts)?;
    same_len("food.insecurity", s.insecurity.len(), districts)?;
    same_len("food.population", s.population.len(), food.population.len())?;
    same_len("food.drought_left", s.drought_left.len(), districts)?;
    same_len("food.loss", s.loss.len(), districts)?;
    same_len("food.event_loss", s.event_loss.len(), districts)?;
    same_len("food.event_until", s.event_until.len(), districts)?;
    food.weight = f(s.weight);
    food.base_production = floats(&s.base_production);
    food.stock = floats(&s.stock);
    food.insecurity = floats(&s.insecurity);
    food.population = s.population.clone();
    food.produced = f(s.produced);
    food.drought_left = s.drought_left.clone();
    food.loss = floats(&s.loss);
    food.event_loss = floats(&s.event_loss);
    food.event_until = s.event_until.clone();
    Ok(())
}

fn restore_peacekeeping(
    pk: &mut Peacekeeping,
    s: &PeacekeepingDto,
    refs: &Resolver,
    bounds: &Bounds,
) -> Result<(), CheckpointError> {
    ensure(s.enabled == pk.enabled, || "peacekeeping is on in one of the scenario and checkpoint only".to_owned())?;
    same_len("peacekeeping.missions", s.missions.len(), pk.missions.len())?;
    same_len("peacekeeping.contingents", s.contingents.len(), pk.contingents.len())?;
    same_len("peacekeeping.interoperability", s.interoperability.len(), pk.interoperability.len())?;
    for (what, got, want) in [
        ("guard", s.guard.len(), pk.guard.len()),
        ("battle", s.battle.len(), pk.battle.len()),
        ("close", s.close.len(), pk.close.len()),
        ("cops", s.cops.len(), pk.cops.len()),
        ("near", s.near.len(), pk.near.len()),
        ("trust", s.trust.len(), pk.trust.len()),
        ("consent", s.consent.len(), pk.consent.len()),
        ("forecast", s.forecast.len(), pk.forecast.len()),
        ("today", s.today.len(), pk.today.len()),
    ] {
        same_len(&format!("peacekeeping.{what}"), got, want)?;
    }
    let districts = pk.trust.len();
    ensure(s.alert.iter().all(|&d| (d as usize) < districts), || "an alert in an unknown district".to_owned())?;
    same_len("peacekeeping.deployed", s.deployed.len(), pk.contingents.len())?;
    pk.missions = refs.list(&s.missions)?;
    pk.contingents = refs.list(&s.contingents)?;
    pk.units = refs.list(&s.units)?;
    pk.interoperability = floats(&s.interoperability);
    pk.guard = floats32(&s.guard);
    pk.battle = floats32(&s.battle);
    pk.close = floats32(&s.close);
    pk.cops = s.cops.clone();
    pk.near = s.near.clone();
    pk.trust = floats(&s.trust);
    pk.consent = floats(&s.consent);
    pk.forecast = floats(&s.forecast);
    pk.alert = s.alert.clone();
    pk.incidents = s
        .incidents
        .iter()
        .map(|r| {
            ensure(r.district == u16::MAX || usize::from(r.district) < districts, || {
                format!("incident {} in unknown district {}", r.id, r.district)
            })?;
            Ok(Incident {
                id: r.id,
                tick: r.tick,
                cell: bounds.position(r.cell)?,
                district: r.district,
                kind: decode_kind(r.kind)?,
                assigned: r.assigned,
            })
        })
        .collect::<Result<_, CheckpointError>>()?;
    pk.reports = s
        .reports
        .iter()
        .map(|r| {
            ensure((r.mission as usize) < pk.missions.len(), || format!("report to unknown mission {}", r.mission))?;
            Ok(Report { incident: r.incident, mission: r.mission, due: r.due, unit: refs.opt(r.unit)? })
        })
        .collect::<Result<_, CheckpointError>>()?;
    pk.fresh = s
        .fresh
        .iter()
        .map(|&(cell, kind)| Ok((bounds.position(cell)?, decode_kind(kind)?)))
        .collect::<Result<_, CheckpointError>>()?;
    pk.attacks = s
        .attacks
        .iter()
        .map(|a| {
            ensure((a.faction as usize) < bounds.factions, || format!("attack by unknown faction {}", a.faction))?;
            Ok(Attack {
                unit: refs.of(a.unit)?,
                attacker: refs.of(a.attacker)?,
                faction: a.faction,
                cell: bounds.position(a.cell)?,
            })
        })
        .collect::<Result<_, CheckpointError>>()?;
    let t = &s.tally;
    pk.tally = PeacekeepingTally {
        deaths: t.deaths,
        attacks: t.attacks,
        incidents: t.incidents,
        reached: t.reached,
        missed: t.missed,
        protected: t.protected,
        violations: t.violations,
        violations_detected: t.violations_detected,
        reports: t.reports,
        reports_lost: t.reports_lost,
        enforcement: t.enforcement,
        civilian_deaths: t.civilian_deaths,
        arrests: t.arrests,
    };
    pk.index.position = s.index_positions.iter().map(|&p| bounds.position(p)).collect::<Result<_, _>>()?;
    if pk.enabled {
        pk.index.rebuild(usize::from(bounds.width), usize::from(bounds.height));
    }
    pk.deployed = s.deployed.clone();
    pk.reach = s.reach;
    pk.reached_total = s.reached_total;
    pk.response_time_total = s.response_time_total;
    pk.incidents_total = s.incidents_total;
    pk.warned_total = s.warned_total;
    pk.next_incident = s.next_incident;
    pk.deterrence = f(s.deterrence);
    pk.battle_deterrence = f(s.battle_deterrence);
    pk.government_deterrence = f(s.government_deterrence);
    pk.today = s.today.clone();
    Ok(())
}

fn restore_aid(aid: &mut AidState, s: &AidDto, refs: &Resolver) -> Result<(), CheckpointError> {
    ensure(s.enabled == aid.enabled, || "aid is on in one of the scenario and checkpoint only".to_owned())?;
    same_len("aid.agencies", s.agencies.len(), aid.agencies.len())?;
    same_len("aid.cluster", s.cluster.len(), aid.cluster.len())?;
    same_len("aid.assessed", s.assessed.len(), aid.assessed.len())?;
    same_len("aid.assessed_insecurity", s.assessed_insecurity.len(), aid.assessed_insecurity.len())?;
    same_len("aid.assessed_population", s.assessed_population.len(), aid.assessed_population.len())?;
    same_len("aid.planned", s.planned.len(), aid.planned.len())?;
    same_len("aid.delivered_since", s.delivered_since.len(), aid.delivered_since.len())?;
    same_len("aid.sent", s.sent.len(), aid.sent.len())?;
    aid.agencies = refs.list(&s.agencies)?;
    aid.convoys = refs.list(&s.convoys)?;
    aid.cluster = s.cluster.clone();
    aid.assessed = floats(&s.assessed);
    aid.assessed_insecurity = floats(&s.assessed_insecurity);
    aid.assessed_population = s.assessed_population.clone();
    aid.planned = floats(&s.planned);
    aid.delivered_since = floats(&s.delivered_since);
    aid.sent = floats(&s.sent);
    let t = &s.tally;
    aid.tally = AidTally {
        supplied: f(t.supplied),
        delivered: f(t.delivered),
        looted: f(t.looted),
        duplicated: f(t.duplicated),
        dispatched: t.dispatched,
        arrived: t.arrived,
        attacked: t.attacked,
        escorted: t.escorted,
        worker_deaths: t.worker_deaths,
    };
    aid.supplied_total = f(s.supplied_total);
    aid.delivered_total = f(s.delivered_total);
    aid.looted_total = f(s.looted_total);
    aid.in_transit = f(s.in_transit);
    aid.arrivals_total = s.arrivals_total;
    aid.delivery_days_total = s.delivery_days_total;
    aid.next_convoy = s.next_convoy;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Simulation;
    use peacesim_scenario::{bundled, parse_scenario};

    fn bundled_scenario(name: &str) -> Scenario {
        let b = bundled::find(name).unwrap_or_else(|| panic!("no bundled scenario {name}"));
        parse_scenario(b.text, b.path, &[]).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The live scenario goes into checkpoints as TOML: every bundled scenario comes back with the same bits.
    #[test]
    fn scenarios_survive_toml_exactly() {
        for b in bundled::all() {
            let s = parse_scenario(b.text, b.path, &[]).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            let text = toml::to_string(&s).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            let back: Scenario = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            assert_eq!(format!("{back:?}"), format!("{s:?}"), "{}", b.name);
        }
    }

    /// A stale entity reference (the planned unit of a report in transit, destroyed since) stays stale.
    #[test]
    fn stale_references_stay_stale() {
        let s = bundled_scenario("district-mission");
        let mut sim = Simulation::new(&s, 3).unwrap_or_else(|e| panic!("{e}"));
        sim.run(5);
        let gone = sim.world_mut().spawn_empty().id();
        sim.world_mut().despawn(gone);
        let unit = sim.world().resource::<Peacekeeping>().units.first().copied();
        let mut pk = sim.world_mut().resource_mut::<Peacekeeping>();
        pk.reports.push(Report { incident: 999, mission: 0, due: 1000, unit: Some(gone) });
        pk.reports.push(Report { incident: 998, mission: 0, due: 1000, unit });
        pk.reports.push(Report { incident: 997, mission: 0, due: 1000, unit: None });
        let bytes = sim.snapshot();
        let restored = Simulation::restore(&s, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let reports = &restored.world().resource::<Peacekeeping>().reports;
        let unit_of = |incident: u32| reports.iter().find(|r| r.incident == incident).and_then(|r| r.unit);
        let stale = unit_of(999).unwrap_or_else(|| panic!("the stale reference was lost"));
        assert!(restored.world().get_entity(stale).is_err(), "a stale reference came back alive");
        let live = unit_of(998).unwrap_or_else(|| panic!("the unit reference was lost"));
        assert!(restored.world().get::<Unit>(live).is_some());
        assert_eq!(unit_of(997), None);
        assert_eq!(restored.snapshot(), bytes);
    }

    /// Restored runs continue exactly, including every resource a snapshot covers at the end.
    #[test]
    fn restored_runs_continue_exactly() {
        for (name, at, more) in [("district-aid", 25, 15), ("epstein-run8", 30, 20), ("district-conflict", 40, 10)] {
            let s = bundled_scenario(name);
            let mut a = Simulation::new(&s, 11).unwrap_or_else(|e| panic!("{e}"));
            a.run(at);
            let bytes = a.snapshot();
            let mut b = Simulation::restore(&s, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(b.snapshot(), bytes, "{name}: snapshot of the restored run");
            assert_eq!(b.tick(), at);
            assert_eq!(b.seed(), 11);
            for _ in 0..more {
                a.step();
                b.step();
                assert_eq!(a.metrics(), b.metrics(), "{name} tick {}", a.tick());
                assert_eq!(a.events(), b.events(), "{name} tick {}", a.tick());
                assert_eq!(a.state_hash(), b.state_hash(), "{name} tick {}", a.tick());
            }
            assert_eq!(a.snapshot(), b.snapshot(), "{name}: snapshots after {more} more ticks");
        }
    }

    /// The bit planes rebuilt from the flags are the planes the run kept up to date.
    #[test]
    fn rebuilt_bit_planes_match() {
        let s = bundled_scenario("epstein-run2");
        let mut a = Simulation::new(&s, 5).unwrap_or_else(|e| panic!("{e}"));
        a.run(40);
        let b = Simulation::restore(&s, &a.snapshot()).unwrap_or_else(|e| panic!("{e}"));
        let (ga, gb) = (a.world().resource::<Grid>(), b.world().resource::<Grid>());
        // Occupants are entities of different worlds; everything else (flags, planes, sizes) must agree.
        let strip = |g: &Grid| {
            let text = format!("{g:?}");
            text.split("occupant").next().map(str::to_owned).unwrap_or_default()
                + text.split("words_per_row").nth(1).unwrap_or_default()
        };
        assert_eq!(strip(ga), strip(gb));
    }
}
