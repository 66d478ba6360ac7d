#!/usr/bin/env bash
# Regenerates every number in docs/validation.md: the statistical tests write their comparisons as JSON
# lines (PEACESIM_EVIDENCE), the Epstein script drives the CLI, and validation_report.py replaces the
# generated sections of the document. About 5 minutes on two cores. Needs cargo and python3 (standard
# library only).
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/validation
mkdir -p "$out"
rm -f "$out/evidence.jsonl"
cargo build --release -p peacesim-cli
PEACESIM_EVIDENCE="$PWD/$out/evidence.jsonl" cargo test -p peacesim-tests -- epstein:: peacekeeping:: aid:: conflict:: case_studies::
python3 scripts/epstein_validation.py --seeds 20 > "$out/epstein.md"
python3 scripts/validation_report.py --evidence "$out/evidence.jsonl" --epstein "$out/epstein.md" docs/validation.md
