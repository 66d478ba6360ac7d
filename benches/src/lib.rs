//! Benchmarks live in `benches/`. This library holds what they share: [`reference`](mod@reference), a
//! hand-written loop of Epstein's Run 2 that the `ticks` bench times beside peacesim.

pub mod reference;
