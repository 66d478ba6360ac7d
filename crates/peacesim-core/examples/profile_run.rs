//! Runs a bundled scenario for a number of ticks without writing anything: a target for profilers.
//!
//! `cargo run --release -p peacesim-core --example profile_run -- epstein-run2 2000 [side | xSCALE]`
//! (a side sets a square grid; `x11` runs the scenario at `--scale 11`).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("epstein-run2", String::as_str);
    let ticks: u64 = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(2000);
    let overrides: Vec<peacesim_scenario::Override> = match args.get(3).and_then(|s| s.parse::<i64>().ok()) {
        Some(side) => vec![
            peacesim_scenario::Override::new("grid.width", peacesim_scenario::TomlValue::Integer(side)),
            peacesim_scenario::Override::new("grid.height", peacesim_scenario::TomlValue::Integer(side)),
        ],
        None => vec![],
    };
    let scale: u32 = args.get(3).and_then(|s| s.strip_prefix('x')).and_then(|k| k.parse().ok()).unwrap_or(1);
    let scenario = match peacesim_scenario::load(name, &overrides) {
        Ok((s, _)) => s.scaled(scale),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut sim = match peacesim_core::Simulation::new(&scenario, 1) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    sim.set_event_recording(false);
    sim.run(ticks);
    println!("{} agents, tick {}, hash {:016x}", sim.agent_count(), sim.tick(), sim.state_hash());
}
