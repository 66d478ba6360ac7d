#!/usr/bin/env bash
# Side-by-side throughput: Mesa's own Epstein civil violence example (mesa.examples.advanced.
# epstein_civil_violence, headless) against `peacesim bench` on the mesa-epstein scenario, which mirrors
# that example's model defaults. Mesa is not a peacesim dependency: it lives in a scratch venv.
#
#   scripts/mesa_side_by_side.sh
#
# Environment (all optional):
#   MESA_VENV     venv for Mesa, created if missing      (default ${TMPDIR:-/tmp}/peacesim-mesa-venv)
#   PEACESIM_BIN  peacesim binary                        (default target/release/peacesim;
#                                                          build: cargo build --release -p peacesim-cli)
#   TICKS         timed ticks per run                    (default 200; both warm up TICKS/10 first)
#   ROUNDS        runs of each implementation            (default 5; best and median are reported)
#   SEED          seed of round 1; round k uses SEED+k-1 (default 1; same numbers for both, not same streams)
#   CPU           core to pin every run to with taskset  (default 1; empty: no pinning)
#   PYTHON        interpreter that creates the venv      (default python3; Mesa 3.3 needs >= 3.11)
#   OUT           TSV file for the raw rows              (default: a new temporary file)
#
# Each round runs, in one sitting and alternating order, one fresh peacesim run (`bench --repeat 1`:
# setup, TICKS/10 warm-up ticks, TICKS timed ticks) and two fresh Mesa runs with the same protocol: the
# model as shipped (its DataCollector collects every step) and the same model with only that collect call
# disabled. Agent-steps = agents stepped per tick (citizens + cops, jailed citizens included: both give
# them a turn) x timed ticks, as peacesim counts them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
MESA_VENV=${MESA_VENV:-${TMPDIR:-/tmp}/peacesim-mesa-venv}
PEACESIM_BIN=${PEACESIM_BIN:-$root/target/release/peacesim}
TICKS=${TICKS:-200}
ROUNDS=${ROUNDS:-5}
SEED=${SEED:-1}
CPU=${CPU-1}
PYTHON=${PYTHON:-python3}
scenario=$root/scenarios/classic/mesa-epstein.toml
driver=$here/mesa_epstein_bench.py
warmup=$((TICKS / 10 > 0 ? TICKS / 10 : 1)) # what `peacesim bench` does

# Everything the venv needs, pinned (Mesa 3.3.1 and the dependency versions pip resolved for it;
# networkx because mesa.examples/__init__.py imports every example, one of which needs it).
pins=(Mesa==3.3.1 networkx==3.6.1 numpy==2.4.6 pandas==3.1.1 python-dateutil==4.0.0 scipy==1.17.1
    tqdm==4.70.1 tzdata==2026.6)

if [[ ! -x $PEACESIM_BIN ]]; then
    echo "no peacesim binary at $PEACESIM_BIN: cargo build --release -p peacesim-cli, or set PEACESIM_BIN" >&2
    exit 1
fi
if [[ ! -x $MESA_VENV/bin/python ]]; then
    "$PYTHON" -m venv "$MESA_VENV"
fi
"$MESA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
py=$MESA_VENV/bin/python

pin=()
if [[ -n $CPU ]]; then pin=(taskset -c "$CPU"); fi
out=${OUT:-$(mktemp "${TMPDIR:-/tmp}/mesa-side-by-side.XXXXXX.tsv")}
printf 'implementation\tversion\tcollector\tseed\tagents\tticks\tseconds\tagent_steps\n' >"$out"

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
version="$("$PEACESIM_BIN" --version | awk '{print $2}') (checkout $commit)"
echo "## Machine"
echo "nproc: $(nproc); pinned to core: ${CPU:-none}; $(lscpu | sed -n 's/^Model name: *//p')"
echo "python: $("$py" -c 'import sys; print(sys.version.split()[0])'); Mesa: $("$py" -c 'import mesa; print(mesa.__version__)'); peacesim: $version ($PEACESIM_BIN)"
echo "protocol: $ROUNDS rounds; each run: fresh model, $warmup warm-up ticks, $TICKS timed ticks; seeds $SEED..$((SEED + ROUNDS - 1))"
echo
echo "## Mesa example defaults against scenarios/classic/mesa-epstein.toml"
"$py" "$driver" check "$scenario"
echo

run_peacesim() {
    "${pin[@]}" "$PEACESIM_BIN" bench --scenario "$scenario" --ticks "$TICKS" --repeat 1 --seed "$1" |
        "$py" "$driver" peacesim --seed "$1" --ticks "$TICKS" --version "$version" >>"$out"
}
run_mesa() {
    "${pin[@]}" "$py" "$driver" mesa "$scenario" --seed "$1" --ticks "$TICKS" --warmup "$warmup" \
        --collector "$2" >>"$out"
}
for ((round = 1; round <= ROUNDS; round++)); do
    seed=$((SEED + round - 1))
    echo "round $round/$ROUNDS (seed $seed)" >&2
    if ((round % 2)); then
        run_peacesim "$seed"
        run_mesa "$seed" on
        run_mesa "$seed" off
    else
        run_mesa "$seed" off
        run_mesa "$seed" on
        run_peacesim "$seed"
    fi
done

echo "## Throughput (raw rows: $out)"
"$py" "$driver" summarize "$out"
