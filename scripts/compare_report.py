#!/usr/bin/env python3
"""Table of tessera's criterion medians next to the peers' (peers.py --json), used by
benches/compare.sh.

    compare_report.py CRITERION_DIR PEERS_JSON

A criterion ID `encode/<fmt>/<case>[_variant...]` is matched with the peers' cases of the
same workload (`<case>` upper-cased: t1 → T1, a2s → A2s) and format (`arrow-file` →
`arrow-ipc-file`, `arrow-stream` → `arrow-ipc-stream`, otherwise the same name). Among them,
those writing to memory (as the Rust benches do: a fresh `Vec`) are preferred over file
sinks (`encode_file/...` IDs, which write a new file, only with peers writing files), then
those whose variant mentions one of the ID's variant words (`lz4`, `zstd`,
`level6` ...); the fastest of the remaining peers is shown. ratio = tessera / peer (below 1:
tessera is faster). `ceiling/memcpy_alloc/<case>` rows relate `encode/raw/<case>` to a
plain copy into fresh memory.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

FORMATS = {"arrow-file": "arrow-ipc-file", "arrow-stream": "arrow-ipc-stream"}
WORKLOADS = {"t1": "T1", "t2": "T2", "a1": "A1", "a2": "A2", "a2s": "A2s", "a3": "A3", "d1": "D1"}


def criterion_medians(root: Path) -> dict[str, float]:
    """full_id → median seconds."""
    out = {}
    for bench in root.glob("**/new/benchmark.json"):
        est = bench.with_name("estimates.json")
        if not est.exists():
            continue
        full_id = json.loads(bench.read_text())["full_id"]
        out[full_id] = json.loads(est.read_text())["median"]["point_estimate"] / 1e9
    return out


def norm(s: str) -> str:
    return "".join(c for c in s.lower() if c.isalnum())


def best_peer(fmt: str, case: str, peers: list[dict], sink: str | None = None) -> dict | None:
    wl, *variant = case.split("_")
    wl = WORKLOADS.get(wl.lower(), wl)
    fmt = FORMATS.get(fmt, fmt)
    cands = [p for p in peers if p["workload"] == wl and p["format"] == fmt and "median_s" in p]
    if sink:
        cands = [p for p in cands if p.get("sink") == sink]
    else:
        cands = [p for p in cands if p.get("sink") == "mem"] or cands
    words = [norm(v) for v in variant if v not in ("opts", "fast")]
    preferred = [p for p in cands if any(w in norm(p["variant"]) for w in words)]
    pool = preferred or cands
    return min(pool, key=lambda p: p["median_s"]) if pool else None


def main() -> int:
    crit_root, peers_json = Path(sys.argv[1]), Path(sys.argv[2])
    ours = criterion_medians(crit_root)
    peers = json.loads(peers_json.read_text())["records"] if peers_json.exists() else []
    rows = []
    for full_id, med in sorted(ours.items()):
        parts = full_id.split("/")
        if parts[0] in ("encode", "encode_file") and len(parts) >= 3:
            fmt, case = parts[1], "_".join(parts[2:])
            p = best_peer(fmt, case, peers, "file" if parts[0] == "encode_file" else None)
            rows.append((full_id, med, p["key"] if p else "-", p["median_s"] if p else None))
        elif parts[0] == "ceiling" and len(parts) == 3:
            raw = ours.get(f"encode/raw/{parts[2]}")
            rows.append((f"encode/raw/{parts[2]} vs {full_id}", raw, full_id, med) if raw else
                        (full_id, med, "-", None))
    w = max([len(r[0]) for r in rows] + [4])
    pw = max([len(r[2]) for r in rows] + [4])
    print(f"{'case':<{w}}  {'tessera s':>10}  {'peer':<{pw}}  {'peer s':>10}  {'ratio':>6}")
    for case, med, key, pmed in rows:
        ratio = f"{med / pmed:6.2f}" if med and pmed else "     -"
        pm = f"{pmed:10.4f}" if pmed else f"{'-':>10}"
        print(f"{case:<{w}}  {med:10.4f}  {key:<{pw}}  {pm}  {ratio}")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
