#!/usr/bin/env python3
"""Driver for scripts/mesa_side_by_side.sh: times Mesa's own Epstein civil violence example headless.

Standard library only, besides Mesa itself (run it with the interpreter of the venv that the shell
script sets up). Subcommands:

  check SCENARIO_TOML
      Compares the example model's constructor defaults with the peacesim scenario (mesa-epstein) and the
      model's hard-wired choices (torus, von Neumann vision, one agent per cell) with the scenario's, and
      exits non-zero on any mismatch. Prints the mapping.
  mesa SCENARIO_TOML --seed S --ticks T --warmup W --collector on|off
      Builds the model with explicit keyword arguments taken from the scenario, steps it W times
      untimed, then T times timed, and prints one TSV row (see ROW_FIELDS).
  peacesim --seed S --ticks T --version V  < output of `peacesim bench ... --repeat 1`
      Turns peacesim's bench report into the same TSV row.
  summarize RESULTS_TSV
      Prints a markdown table: best and median over the rows of each implementation.

Agent-steps are counted as peacesim counts them: before each timed tick, the number of agents the tick
will step (citizens + cops; jailed citizens included, since both Mesa and peacesim give them a turn in
which they count their term down), summed over the timed ticks.
"""

import argparse
import inspect
import statistics
import sys
import time
import tomllib

ROW_FIELDS = ("implementation", "version", "collector", "seed", "agents", "ticks", "seconds", "agent_steps")


def scenario_kwargs(path):
    """The example model's keyword arguments that the scenario file sets, and the scenario's other rules."""
    with open(path, "rb") as f:
        s = tomllib.load(f)
    cit, cop, rules, grid = s["populations"]["citizens"], s["forces"]["cops"], s["rules"], s["grid"]

    def radius(vision):
        r = vision["radius"]
        if r != int(r):
            raise SystemExit(f"vision radius {r} is not an integer; Mesa's grid vision needs one")
        return int(r)

    kwargs = {
        "width": grid["width"],
        "height": grid["height"],
        "citizen_density": cit["density"],
        "cop_density": cop["density"],
        "citizen_vision": radius(cit["vision"]),
        "cop_vision": radius(cop["vision"]),
        "legitimacy": rules["legitimacy"],
        "max_jail_term": rules["jail_term"]["max"],
        "active_threshold": rules["threshold"],
        "arrest_prob_constant": rules["arrest_constant"],
    }
    # What the Mesa example hard-wires, as the scenario must say it.
    fixed = {
        "grid.topology": (grid["topology"], "torus"),
        "grid.placement": (grid["placement"], "per_cell"),
        "citizens.vision.shape": (cit["vision"]["shape"], "von_neumann"),
        "cops.vision.shape": (cop["vision"]["shape"], "von_neumann"),
        "rules.jail_term.distribution": (rules["jail_term"]["distribution"], "uniform"),
        "rules.arrest_ratio": (rules["arrest_ratio"], "round_half_even"),
        "rules.jailed_keep_cell": (rules["jailed_keep_cell"], True),
        "rules.activation_order": (rules["activation_order"], "shuffled_all"),
        "rules.movement_timing": (rules["movement_timing"], "after_acting"),
    }
    return kwargs, fixed


def load_model_class():
    import mesa
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

    return mesa, EpsteinCivilViolence


def check(args):
    mesa, model_cls = load_model_class()
    kwargs, fixed = scenario_kwargs(args.scenario)
    defaults = {k: p.default for k, p in inspect.signature(model_cls.__init__).parameters.items()}
    bad = []
    print(f"| Mesa {mesa.__version__} EpsteinCivilViolence default | scenario value | match |")
    print("| --- | --- | --- |")
    for k, v in kwargs.items():
        ok = k in defaults and defaults[k] == v
        bad += [] if ok else [k]
        print(f"| {k}={defaults.get(k, '(missing)')!r} | {v!r} | {'yes' if ok else 'NO'} |")
    for k, why in (("movement", "passed as True"), ("max_iters", "passed as 1000; only sets model.running, "
                   "and step() is called by hand"), ("seed", "passed per run; peacesim gets the same number")):
        print(f"| {k}={defaults.get(k)!r} | (not in the scenario: {why}) | - |")
    # The model's hard-wired choices: seen on a built model, or found in the installed example's source.
    model = model_cls(**kwargs, seed=0)
    cell = next(iter(model.grid.all_cells))
    vision = len(cell.get_neighborhood(radius=kwargs["citizen_vision"]))
    r = kwargs["citizen_vision"]
    agents_mod = sys.modules[model_cls.__module__.rsplit(".", 1)[0] + ".agents"]
    source = inspect.getsource(model_cls) + inspect.getsource(agents_mod)
    grid = type(model.grid).__name__
    seen = {
        "grid.topology": ("torus" if model.grid.torus else "bounded", None),
        "grid.placement": (f"capacity {model.grid.capacity}, one draw per cell", "cum_weights=[citizen_density"),
        "citizens.vision.shape": (grid, "get_neighborhood(radius=self.vision)"),
        "cops.vision.shape": (grid, "get_neighborhood(radius=self.vision)"),
        "rules.jail_term.distribution": ("randint(0, max_jail_term)", "randint(0, self.max_jail_term)"),
        "rules.arrest_ratio": ("Python round()", "round(cops_in_vision / actives_in_vision)"),
        "rules.jailed_keep_cell": ("jailed citizen stays on its cell", "return  # no other changes"),
        "rules.activation_order": ("AgentSet.shuffle_do", 'self.agents.shuffle_do("step")'),
        "rules.movement_timing": ("self.move() last in step()", "self.move()"),
    }
    for k, (scen, want) in fixed.items():
        shown, needle = seen[k]
        ok = scen == want and (needle is None or needle in source)
        bad += [] if ok else [k]
        print(f"| (model code) {shown} | {k} = {scen!r} | {'yes' if ok else 'NO'} |")
    ok = vision == 2 * r * (r + 1) and model.grid.torus and type(model.grid).__name__ == "OrthogonalVonNeumannGrid"
    bad += [] if ok else ["vision"]
    print(f"| (built model) radius-{r} neighbourhood = {vision} cells | von Neumann diamond = {2 * r * (r + 1)} | "
          f"{'yes' if ok else 'NO'} |")
    collects = "self.datacollector.collect(self)" in inspect.getsource(model_cls.step)
    print(f"\nThe example's step() {'calls' if collects else 'does not call'} its DataCollector every step "
          f"(model reporters {sorted(model.datacollector.model_reporters)}, agent reporters "
          f"{sorted(model.datacollector.agent_reporters)} over every agent).")
    if bad:
        raise SystemExit(f"mismatch between the Mesa example and the scenario: {', '.join(bad)}")


def run_mesa(args):
    mesa, model_cls = load_model_class()
    kwargs, _ = scenario_kwargs(args.scenario)
    model = model_cls(**kwargs, movement=True, max_iters=1000, seed=args.seed)
    if args.collector == "off":
        # The example's step() is shuffle_do("step"), _update_counts() (a groupby of citizen states) and
        # datacollector.collect(self) (3 model reporters + 2 agent reporters over every agent, kept in
        # memory). "off" drops only the collect call, on this instance; step() itself is unchanged.
        model.datacollector.collect = lambda *a, **k: None
    for _ in range(args.warmup):
        model.step()
    counted = 0
    started = time.perf_counter()
    for _ in range(args.ticks):
        counted += len(model.agents)
        model.step()
    seconds = time.perf_counter() - started
    agents = len(model.agents)
    print_row("mesa", mesa.__version__, args.collector, args.seed, agents, args.ticks, seconds, counted)


def run_peacesim(args):
    fields = {}
    for line in sys.stdin:
        parts = line.split()
        if len(parts) >= 2:
            fields[parts[0]] = parts[1]
    agents = int(fields["agents"])
    rate = float(fields["agent-steps/s"])
    # mesa-epstein has no births or deaths: every timed tick steps the same `agents`.
    steps = agents * args.ticks
    print_row("peacesim", args.version, "metrics row", args.seed, agents, args.ticks, steps / rate, steps)


def print_row(*values):
    assert len(values) == len(ROW_FIELDS)
    print("\t".join(str(v) for v in values), flush=True)


def summarize(args):
    rows = []
    with open(args.results) as f:
        for line in f:
            if line.strip() and not line.startswith(ROW_FIELDS[0]):
                rows.append(dict(zip(ROW_FIELDS, line.rstrip("\n").split("\t"))))
    groups = {}
    for r in rows:
        groups.setdefault((r["implementation"], r["version"], r["collector"]), []).append(r)
    stats = {}
    for key, rs in groups.items():
        secs = [float(r["seconds"]) for r in rs]
        rates = [int(r["agent_steps"]) / float(r["seconds"]) for r in rs]
        agents = sorted(int(r["agents"]) for r in rs)
        stats[key] = {
            "n": len(rs),
            "agents": f"{agents[0]}" if agents[0] == agents[-1] else f"{agents[0]}-{agents[-1]}",
            "ticks": rs[0]["ticks"],
            "sec_best": min(secs),
            "sec_med": statistics.median(secs),
            "rate_best": max(rates),
            "rate_med": statistics.median(rates),
        }
    ref = next((v for k, v in stats.items() if k[0] == "peacesim"), None)
    print("| implementation | version | per-tick work besides agents | agents | ticks | runs | seconds best | "
          "seconds median | agent-steps/s best | agent-steps/s median | peacesim / this (median) |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (impl, version, collector), s in sorted(stats.items(), key=lambda kv: -kv[1]["rate_med"]):
        extra = {"on": "DataCollector on (default)", "off": "DataCollector off"}.get(collector, collector)
        ratio = f"{ref['rate_med'] / s['rate_med']:.0f}x" if ref and impl != "peacesim" else "1x"
        print(f"| {impl} | {version} | {extra} | {s['agents']} | {s['ticks']} | {s['n']} | {s['sec_best']:.4f} | "
              f"{s['sec_med']:.4f} | {s['rate_best']:,.0f} | {s['rate_med']:,.0f} | {ratio} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("scenario")
    m = sub.add_parser("mesa")
    m.add_argument("scenario")
    for q in (m, sub.add_parser("peacesim")):
        q.add_argument("--seed", type=int, required=True)
        q.add_argument("--ticks", type=int, required=True)
    m.add_argument("--warmup", type=int, required=True)
    m.add_argument("--collector", choices=("on", "off"), required=True)
    sub.choices["peacesim"].add_argument("--version", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("results")
    args = p.parse_args()
    {"check": check, "mesa": run_mesa, "peacesim": run_peacesim, "summarize": summarize}[args.cmd](args)


if __name__ == "__main__":
    main()
