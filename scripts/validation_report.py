#!/usr/bin/env python3
"""Writes the generated sections of docs/validation.md.

Usage: python3 scripts/validation_report.py --evidence out/validation/evidence.jsonl \
           [--epstein out/validation/epstein.md] docs/validation.md

The evidence file holds one JSON line per comparison a statistical test made (tests/it/main.rs, `evidence`,
written when PEACESIM_EVIDENCE is set). Each generated section sits between `<!-- NAME:begin -->` and
`<!-- NAME:end -->` in the document and is replaced whole; the rest of the document is left as it is.
Standard library only. scripts/validation.sh runs everything in order.
"""
import argparse
import json
import re
import sys
from pathlib import Path


def number(x):
    if x != x:  # NaN
        return "-"
    if abs(x) >= 100 or x == int(x):
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.0f}" if x == int(x) else f"{x:.1f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def order(effect):
    """Epstein first, then the model brief's effects by number, then the rest alphabetically."""
    m = re.match(r"model brief (\d+)", effect)
    if effect.startswith("Epstein"):
        return (0, 0, effect)
    if m:
        return (1, int(m.group(1)), effect)
    return (2, 0, effect)


def evidence_section(lines):
    records = [json.loads(l) for l in lines if l.strip()]
    by_effect = {}
    for r in records:
        by_effect.setdefault(r["effect"], []).append(r)
    out = []
    failing = sum(not r["holds"] for r in records)
    out.append(f"{len(records)} comparisons from {len({r['test'] for r in records})} tests; "
               f"criterion holds in {len(records) - failing}, fails in {failing}.")
    out.append("")
    for effect in sorted(by_effect, key=order):
        out.append(f"#### {effect}")
        out.append("")
        for r in sorted(by_effect[effect], key=lambda r: (r["test"], r["measure"])):
            module, name = r["test"].split("::", 1)
            out.append(f"{r['measure']} (`tests/it/{module}.rs`, `{name}`):")
            out.append("")
            out.append("| arm | seeds | mean | 95% CI of the mean | s.d. |")
            out.append("|---|---|---|---|---|")
            for a in r["arms"]:
                lo, hi = a["ci95"]
                out.append(f"| {a['label']} | {a['n']} | {number(a['mean'])} | {number(lo)} to {number(hi)} | {number(a['sd'])} |")
            out.append("")
            out.append(f"- statistic: {r['statistic']}")
            out.append(f"- criterion: {r['criterion']}: **{'holds' if r['holds'] else 'FAILS'}**")
            out.append(f"- against the literature: {r['verdict']}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def replace(doc, name, body):
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(doc):
        sys.exit(f"error: no `<!-- {name}:begin -->` ... `<!-- {name}:end -->` section in the document")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), doc)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--evidence", required=True, type=Path)
    p.add_argument("--epstein", type=Path)
    p.add_argument("doc", type=Path)
    args = p.parse_args()
    doc = args.doc.read_text()
    doc = replace(doc, "evidence", evidence_section(args.evidence.read_text().splitlines()))
    if args.epstein:
        doc = replace(doc, "epstein", "```\n" + args.epstein.read_text().rstrip() + "\n```\n")
    args.doc.write_text(doc)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
