//! The peacesim simulation core.
//!
//! A [`Simulation`] is one seeded, deterministic run of a [`peacesim_scenario::Scenario`]: a bevy_ecs
//! `World` holding agents as entities ([`Citizen`], [`ForceMember`], with [`Position`] and a stable
//! [`AgentId`]) and resources (the [`Grid`] index, live [`Params`], [`RngStreams`], the [`EventLog`],
//! [`Metrics`]), and a `Schedule` whose [`TickSet`]s run in a fixed order on one thread.
//!
//! The core does no IO, reads no clock and owns no threads: it exposes metrics, events and a state hash;
//! writers live in the CLI and batch crates. [`Simulation::snapshot`] and [`Simulation::restore`] turn a run
//! into bytes and back ([`checkpoint`]); writing them to files is the caller's business.

pub mod activation;
pub mod aid;
pub mod checkpoint;
pub mod civilians;
pub mod conflict;
pub mod cpu;
pub mod demography;
pub mod displacement;
pub mod events;
pub mod food;
pub mod forces;
pub mod frames;
pub mod grid;
mod memory;
pub mod metrics;
pub mod peacekeeping;
pub mod rng;
pub mod scenario_events;
pub mod schedule;
mod sim;
pub mod world;

pub use checkpoint::{CheckpointError, CheckpointHeader};
pub use civilians::{Citizen, CitizenState, Civilian};
pub use events::{Event, EventKind, EventLog};
pub use forces::ForceMember;
pub use grid::{Grid, Neighbourhood, Position};
pub use metrics::Metrics;
pub use rng::{RngStreams, Stream};
pub use sim::{SimError, Simulation, TickSet};
pub use world::{AgentId, Params};

/// The peacesim version, written into summaries and manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
