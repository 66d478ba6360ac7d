//! What-if injects draw from their own random stream: an injected event leaves every other concern's
//! stream where the base run has it at that tick (common random numbers), and a branch equals its base
//! until the inject's tick.

use crate::{scenario, simulation};
use peacesim_core::{RngStreams, Stream};
use peacesim_scenario::inject::load_inject;

/// Criterion, seeds 1-5 of district-aid with an earthquake injected at tick 20: base and branch have
/// equal metrics and equal random-stream positions through tick 19; after tick 20 the inject stream has
/// moved in the branch only, the scenario-events stream is where the base has it, the quake killed, and
/// the metrics differ.
#[test]
fn injected_events_draw_from_their_own_stream() {
    let s = scenario("district-aid", &[]);
    let text =
        b"[[events]]\ntick = 20\nkind = \"earthquake\"\ndistricts = [\"capital\"]\ndeaths = 0.05\ndisplaced = 0.3\n";
    for seed in 1..=5 {
        let inject = load_inject(text, "quake.toml", &s, 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(inject.events.iter().all(|e| e.injected));
        let (mut base, mut branch) = (simulation(&s, seed), simulation(&s, seed));
        branch.inject(&inject).unwrap_or_else(|e| panic!("{e}"));
        for t in 1..20 {
            base.step();
            branch.step();
            assert_eq!(base.metrics(), branch.metrics(), "seed {seed}: tick {t} before the inject");
        }
        let before = branch.world().resource::<RngStreams>().positions();
        assert_eq!(before, base.world().resource::<RngStreams>().positions(), "seed {seed}: same draws so far");
        base.step();
        branch.step();
        let (a, b) =
            (base.world().resource::<RngStreams>().positions(), branch.world().resource::<RngStreams>().positions());
        let inject = Stream::Inject as usize;
        assert_eq!(a[inject], before[inject], "seed {seed}: the base never draws from the inject stream");
        assert!(b[inject] > before[inject], "seed {seed}: the injected quake drew from the inject stream");
        let events = Stream::Events as usize;
        assert_eq!(a[events], b[events], "seed {seed}: the scenario-events stream is untouched by the inject");
        assert!(branch.metric("disaster_deaths").unwrap_or(0.0) > 0.0, "seed {seed}: the quake killed");
        assert_ne!(base.metrics(), branch.metrics(), "seed {seed}: the branch differs from tick 20");
    }
}

/// An inject whose entries fall at or before the current tick is refused by the simulation too.
#[test]
fn late_injects_are_refused() {
    let s = scenario("district-aid", &[]);
    let inject = load_inject(
        b"[[events]]\ntick = 5\nkind = \"drought\"\ndistricts = [\"hills\"]\nseverity = 0.5\nduration = 10\n",
        "d.toml",
        &s,
        0,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut sim = simulation(&s, 1);
    sim.run(5);
    let e = sim.inject(&inject).expect_err("tick 5 is not after tick 5");
    assert!(e.to_string().contains("not after the current tick 5"), "{e}");
}
