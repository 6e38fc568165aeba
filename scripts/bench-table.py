#!/usr/bin/env python3
"""Regenerate the results table of BENCHMARKS.md from criterion's output.

Reads target/criterion/**/new/{benchmark,estimates}.json (written by `cargo bench`) and prints
Markdown: one row per target of issue 5 (ours, baseline, ratio of medians, target, met) and then
every benchmark's median. With --write FILE, replaces the text between the markers
<!-- bench-table:start --> and <!-- bench-table:end --> in FILE instead of printing.

Usage: python3 scripts/bench-table.py [--criterion-dir target/criterion] [--write BENCHMARKS.md]
"""

import argparse
import json
import pathlib
import sys

START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


def load(root):
    """{full_id: median in ns} for every benchmark criterion has measured."""
    medians = {}
    for est in sorted(root.glob("**/new/estimates.json")):
        meta = json.loads((est.parent / "benchmark.json").read_text())
        medians[meta["full_id"]] = json.loads(est.read_text())["median"]["point_estimate"]
    return medians


def fmt(ns):
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def rows(m):
    """(what, ours id, ours ns, baseline id, baseline ns, ratio text, target, met)."""
    out = []

    def get(i):
        return m.get(i)

    def ratio_row(what, ours, base, target, limit=None, inverse=False, absolute=None):
        o, b = get(ours), get(base)
        if o is None and b is None:
            return
        ratio = None
        if o is not None and b is not None:
            ratio = b / o if inverse else o / b
        met = "—"
        if absolute is not None and o is not None:
            met = "met" if o < absolute else "missed"
        elif limit is not None and ratio is not None:
            ok = ratio >= limit if inverse else ratio <= limit
            met = "met" if ok else "missed"
        rtext = "—" if ratio is None else (f"{ratio:.2f}x faster" if inverse else f"{ratio:.2f}x")
        out.append((what, ours, o, base, b, rtext, target, met))

    ratio_row("key: decode + unkeyed check", "key/parse", "key/baseline_uppercase",
              "< 50 ns, no allocation", absolute=50)
    ratio_row("key: keyed verification", "key/parse_verify_mac", "key/baseline_hmac",
              "< 1 µs", absolute=1000)
    for v in ("v1", "v2"):
        ratio_row(f"parse {v}: Nlf::parse vs borrowed derive", f"parse/nlf_parse/{v}",
                  f"parse/baseline_derive/{v}", "≤ 1.2x", limit=1.2)
        ratio_row(f"parse {v}: Nlf::parse vs Value", f"parse/nlf_parse/{v}",
                  f"parse/baseline_value/{v}", "< 1.0x", limit=0.999)
        ratio_row(f"parse {v}: nlf::read vs borrowed derive", f"parse/nlf_read/{v}",
                  f"parse/baseline_derive/{v}", "(info)")
    ratio_row("canonicalize: JCS of statusResp vs plain serde_json::to_vec",
              "canonicalize/to_canonical", "canonicalize/baseline_serde_json_to_vec", "(none)")
    ratio_row("verify: read + verify vs bare verify_strict", "verify/read_verify",
              "verify/baseline_verify_strict", "≤ 1.15x", limit=1.15)
    ratio_row("verify: verify of a read license vs bare verify_strict", "verify/verify_parsed",
              "verify/baseline_verify_strict", "(info)")
    for n in (64, 1024):
        ratio_row(f"batch {n}: verify_batch vs one-by-one loop (throughput)",
                  f"batch/verify_batch/{n}", f"batch/baseline_one_by_one/{n}",
                  "≥ 1.8x" if n == 1024 else "(info)", limit=1.8 if n == 1024 else None,
                  inverse=True)
        ratio_row(f"batch {n}: verify_batch vs bare ed25519 verify_batch",
                  f"batch/verify_batch/{n}", f"batch/dalek_verify_batch/{n}", "(info)")
    ratio_row("peer: read + verify vs jsonwebtoken::decode", "peer/nlf_read_verify",
              "peer/jsonwebtoken_decode", "≤ 1.0x", limit=1.0)
    b, j = get("batch/verify_batch/1024"), get("peer/jsonwebtoken_decode")
    if b is not None and j is not None:
        r = (b / 1024) / j
        out.append(("peer: batch of 1,024, per license, vs jsonwebtoken::decode",
                    "batch/verify_batch/1024 ÷ 1024", b / 1024, "peer/jsonwebtoken_decode", j,
                    f"{r:.2f}x", "well ahead (≤ 0.5x)", "met" if r <= 0.5 else "missed"))
    for nodes in (10, 100, 1000):
        for lic in (1000, 10000, 100000):
            ratio_row(f"evaluate: {lic:,} licenses on {nodes:,} nodes",
                      f"evaluate/ours/{lic}/{nodes}", f"evaluate/baseline/{lic}/{nodes}",
                      "< 10 ms" if (lic, nodes) == (10000, 1000) else "(info)",
                      absolute=1e7 if (lic, nodes) == (10000, 1000) else None)
        small, big = get(f"evaluate/ours/10000/{nodes}"), get(f"evaluate/ours/100000/{nodes}")
        if small is not None and big is not None:
            g = big / small
            out.append((f"evaluate: growth 10,000 → 100,000 licenses on {nodes:,} nodes",
                        f"evaluate/ours/100000/{nodes}", big, f"evaluate/ours/10000/{nodes}",
                        small, f"{g:.2f}x", "≤ 11x", "met" if g <= 11 else "missed"))
    ratio_row("end to end: 1,000 files to a report vs bare batch verification",
              "end_to_end/ours/1000", "end_to_end/baseline/1000", "(info)")
    return out


def table(m):
    lines = [
        "| measurement | ours | median | baseline | median | ratio | target | |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for what, oid, o, bid, b, r, target, met in rows(m):
        lines.append(f"| {what} | `{oid}` | {fmt(o)} | `{bid}` | {fmt(b)} | {r} | {target} | {met} |")
    lines += ["", "<details><summary>Every benchmark (median)</summary>", "",
              "| benchmark | median |", "|---|---:|"]
    lines += [f"| `{k}` | {fmt(v)} |" for k, v in sorted(m.items())]
    lines += ["", "</details>"]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--criterion-dir", default="target/criterion", type=pathlib.Path)
    ap.add_argument("--write", type=pathlib.Path, help="file whose marked table to replace")
    args = ap.parse_args()
    m = load(args.criterion_dir)
    if not m:
        sys.exit(f"no criterion results under {args.criterion_dir}: run `cargo bench` first")
    text = table(m)
    if args.write is None:
        print(text)
        return
    doc = args.write.read_text()
    if START not in doc or END not in doc:
        sys.exit(f"{args.write} has no {START} ... {END} markers")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    args.write.write_text(f"{head}{START}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
