#!/usr/bin/env python
"""
tessera's server side by side with real Tiled 0.2.20 and roapi 0.12.7, in one sitting.

Run it through scripts/bench-server.sh (venv, hey/wrk, release build, output directory).
Everything listens on 127.0.0.1; every server is started and stopped by this script.

  part "read"  (issue 5): `tessera serve demo` vs `tiled serve demo` -- median latency of small
               exports, MB/s of large exports, requests/s at 8 and 16 connections, and the
               servers' peak resident memory during the large exports.
  part "write" (issue 6): `tessera serve catalog` vs `tiled serve catalog` -- upload and
               read-back throughput of a 1M-row table and a 4096x4096 float64 array through the
               official Tiled client, plus curl exports of what was uploaded. Skipped (with a
               message) while the `tessera` binary has no `serve catalog` command.
  part "roapi": roapi 0.12.7 serving the same tables from Parquet files vs tessera: the formats
               both serve (csv, json, arrow, parquet), req/s at 8 clients, peak memory.

The measuring code is the shared reference, ../shared/bench/tiled_baseline.py (imported:
its server process handling, curl timing, hey parsing, catalog start-up and the seeded
1M-row `big_table`); this script adds the node-path mapping (Tiled's demo is nested,
tessera's is flat), roapi, memory sampling, the write side and the ratio tables.

Timing: curl without Accept-Encoding (identity bodies), 1 warm-up (status and content type
checked) + N timed runs, median of curl's time_total. Ratios are "times better": other/tessera
for durations and memory, tessera/other for rates.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import numpy
import pyarrow
import pyarrow.ipc
import pyarrow.parquet

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
HOST = "127.0.0.1"


def load_reference(path: Path):
    """Import the shared reference script as the module `tiled_baseline`."""
    if not path.is_file():
        sys.exit(f"bench-server: reference script {path} not found (set TILED_BASELINE)")
    spec = importlib.util.spec_from_file_location("tiled_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tb = load_reference(Path(os.environ.get(
    "TILED_BASELINE", REPO.parent / "shared" / "bench" / "tiled_baseline.py")))

# Media types: the reference's table (tiled_baseline.M), as `format=` for tessera and Tiled.
M = dict(tb.M)
# roapi negotiates by Accept only, and answers JSON for any Accept it does not know: the
# warm-up checks the Content-Type it returns.
ROAPI_ACCEPT = {
    "csv": "application/csv",
    "json": "application/json",
    "arrow": "application/vnd.apache.arrow.file",
    "parquet": "application/parquet",
}

# Demo node paths: (tessera, Tiled). Tiled 0.2.20's demo is nested (protocol doc section 5).
DEMO_PATHS = {
    "short_table": ("short_table", "tables/short_table"),
    "long_table": ("long_table", "tables/long_table"),
    "tiny_image": ("tiny_image", "nested/images/tiny_image"),
    "medium_image": ("medium_image", "nested/images/medium_image"),
    "big_image": ("big_image", "nested/images/big_image"),
}
# Tiled refuses responses over 300 MB (its default response_bytesize_limit): the big array is
# compared on a 3000-row slice of big_image (240 MB) on both servers; tessera alone also
# streams all of it (800 MB) for the memory figure.
BIG_SLICE = "0:3000"

# Part "read". (label, family, demo node, format, extra query)
READ_SMALL = [
    ("short_table 100 rows", "table", "short_table", "csv", ""),
    ("short_table 100 rows", "table", "short_table", "json", ""),
    ("short_table 100 rows", "table", "short_table", "arrow", ""),
    ("short_table 100 rows", "table", "short_table", "parquet", ""),
    ("tiny_image 50x50 f64", "array", "tiny_image", "octet", ""),
]
READ_LARGE = [
    ("long_table 100k rows", "table", "long_table", "csv", ""),
    ("long_table 100k rows", "table", "long_table", "parquet", ""),
    ("long_table 100k rows", "table", "long_table", "arrow", ""),
    ("medium_image 1000x1000 f64", "array", "medium_image", "octet", ""),
    (f"big_image[{BIG_SLICE}] 3000x10000 f64", "array", "big_image", "octet", f"slice={BIG_SLICE}"),
]
READ_SMALL_QUICK = [READ_SMALL[0], READ_SMALL[2], READ_SMALL[4]]
READ_LARGE_QUICK = [READ_LARGE[0], READ_LARGE[3]]
# tessera only (Tiled's demo has no such nodes / refuses the size): flat-memory checks.
TESSERA_ONLY = [
    ("big_image 10000x10000 f64 (800 MB)", "array", "big_image", "octet", ""),
    ("huge_table 10M rows", "table", "huge_table", "csv", ""),
    ("huge_table 10M rows", "table", "huge_table", "arrow", ""),
]
CONCURRENCY_NODE = ("table", "short_table", "csv")

ROAPI_FORMATS = ["csv", "json", "arrow", "parquet"]
ROAPI_FORMATS_QUICK = ["csv", "arrow"]

TARGETS = {"read": 10.0, "roapi": 1.0, "write": 5.0}


# ---------------------------------------------------------------------------------------------
# Processes and memory
# ---------------------------------------------------------------------------------------------
class Server(tb.ServerProcess):
    """The reference's server process (own process group, stopped by group) with a readiness
    path of our choosing (roapi has no /api/v1/) and a memory view of its process group."""

    def __init__(self, name, template, workdir, probe="/api/v1/", headers=None, **placeholders):
        super().__init__(name, template, workdir, **placeholders)
        self.probe, self.headers = probe, headers or {}

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = tb.free_port()
        cmd = tb.render(self.template, tiled=tb._TILED, python=sys.executable, host=HOST,
                        workdir=self.workdir, port=self.port, **self.placeholders)
        self._log = open(self.workdir / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(cmd, shell=True, cwd=self.workdir, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        t0 = time.monotonic()
        deadline = t0 + tb.STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self._log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + self.probe, headers=self.headers, timeout=2).status_code == 200:
                    self.startup_s = round(time.monotonic() - t0, 2)
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {tb.STARTUP_TIMEOUT}s")



def group_pids(pgid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{d}/stat").read_text()
            # field 5 (pgrp) comes after the parenthesised command name
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                out.append(int(d))
    return out


def status_kb(pid, field):
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def server_pids(server):
    """The processes of a server started by the reference's ServerProcess (its own group)."""
    return group_pids(server.proc.pid) if server is not None and server.proc is not None else []


def group_rss_mb(server):
    return round(sum(status_kb(p, "VmRSS") for p in server_pids(server)) / 1024, 1)


def group_hwm_mb(server):
    """VmHWM (lifetime peak RSS) of the largest process of the group."""
    return round(max((status_kb(p, "VmHWM") for p in server_pids(server)), default=0) / 1024, 1)


class RssSampler:
    """Peak of the summed VmRSS of a server's process group, sampled every 20 ms."""

    def __init__(self, server):
        self.pids = server_pids(server)
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(status_kb(p, "VmRSS") for p in self.pids))
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self):
        return round(self.peak_kb / 1024, 1)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
def curl_check(url, headers, timeout):
    """The warm-up request: status and content type (not counted)."""
    cmd = ["curl", "-s", "-o", "/dev/null", "--max-time", str(timeout),
           "-w", "%{http_code} %{size_download} %{content_type}"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout.split(" ", 2)
    return int(out[0]), int(out[1]), (out[2] if len(out) > 2 else "").strip()


def time_case(server, url, headers, runs, timeout, expect_type=None):
    """1 warm-up + `runs` timed curl requests (tiled_baseline.curl_once), server memory sampled."""
    code, _, ctype = curl_check(url, headers, timeout)
    rec = {"url": url, "headers": [h for h in headers if not h.startswith("Authorization")],
           "warmup_status": code, "content_type": ctype}
    if code != 200 or (expect_type and not ctype.startswith(expect_type)):
        rec["error"] = f"warm-up: HTTP {code}, Content-Type {ctype!r}" + (
            f" (expected {expect_type})" if expect_type else "")
        return rec
    with RssSampler(server) as mem:
        samples = [tb.curl_once(url, headers, timeout) for _ in range(runs)]
    totals = [s[1] for s in samples]
    codes = sorted({s[0] for s in samples})
    med = statistics.median(totals)
    rec.update({
        "status": codes if len(codes) > 1 else codes[0],
        "runs": runs,
        "median_s": round(med, 5),
        "min_s": round(min(totals), 5),
        "max_s": round(max(totals), 5),
        "median_ttfb_s": round(statistics.median(s[2] for s in samples), 5),
        "bytes": samples[-1][3],
        "MB_per_s": round(samples[-1][3] / 1e6 / med, 1) if med else None,
        "peak_rss_mb": mem.peak_mb,
    })
    if codes != [200]:
        rec["error"] = f"HTTP {codes}"
    return rec


def wrk(url, headers, conc, duration):
    cmd = ["wrk", "-t", str(min(conc, os.cpu_count() or 2)), "-c", str(conc), "-d", duration, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout

    def secs(pattern):
        m = re.search(pattern + r"\s+([\d.]+)(us|ms|s)\b", out)
        return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)] if m else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"cmd": " ".join(shlex.quote(c) for c in cmd), "tool": "wrk", "concurrency": conc,
            "duration": duration, "requests_per_s": float(rps.group(1)) if rps else None,
            "latency_avg_s": secs(r"Latency"), "p50_s": secs(r"50%"), "p99_s": secs(r"99%"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def load_test(tool, url, headers, conc, duration):
    if tool == "wrk":
        return wrk(url, headers, conc, duration)
    r = tb.hey(url, headers, conc, duration)
    r["tool"] = "hey"
    r["non_2xx"] = sum(int(n) for code, n in r["status_dist"] if not code.startswith("2"))
    return r


def wait_quiet(max_load, max_wait):
    """Wait (up to max_wait s) until the 1-minute load average is below max_load."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_wait:
        if os.getloadavg()[0] < max_load:
            return
        time.sleep(5)


# ---------------------------------------------------------------------------------------------
# Ratios and markdown
# ---------------------------------------------------------------------------------------------
def ratio(tessera, other, higher_is_better):
    if tessera in (None, 0) or other in (None, 0):
        return None
    return round(tessera / other if higher_is_better else other / tessera, 2)


def row(part, case, metric, unit, tessera, other, higher_is_better, target):
    r = ratio(tessera, other, higher_is_better)
    return {"part": part, "case": case, "metric": metric, "unit": unit, "tessera": tessera,
            "other": other, "ratio": r, "target": target,
            "met": None if r is None or target is None else r >= target}


def fmt_num(v):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}"


def md_table(rows, other_name):
    lines = [f"| case | metric | tessera | {other_name} | ratio (x better) | target | met |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        target = f"≥ {r['target']:g}x" if r["target"] else ""
        unit = f" ({r['unit']})" if r["unit"] else ""
        lines.append(f"| {r['case']} | {r['metric']}{unit} | {fmt_num(r['tessera'])} | "
                     f"{fmt_num(r['other'])} | {fmt_num(r['ratio'])} | {target} | {met} |")
    return "\n".join(lines)


def case_rows(part, label, fmt, t, o, target):
    """Rows for one timed case on both servers: median seconds and MB/s (large) or ms (small)."""
    out = []
    for side in (t, o):
        if side and side.get("error"):
            out.append(row(part, f"{label} {fmt}", "error", "", side["error"] if side is t else None,
                           side["error"] if side is o else None, False, None))
    if not (t and o) or t.get("error") or o.get("error"):
        return out
    case = f"{label} {fmt}"
    if t["bytes"] >= 1_000_000 or o["bytes"] >= 1_000_000:
        # The target is judged on the time of the same request: the bodies' sizes may differ a
        # little (float text, Arrow/Parquet layout), which MB/s would count as speed.
        out.append(row(part, case, "median", "s", t["median_s"], o["median_s"], False, target))
        out.append(row(part, case, "throughput", "MB/s", t["MB_per_s"], o["MB_per_s"], True, None))
    else:
        out.append(row(part, case, "median", "ms", round(t["median_s"] * 1e3, 3),
                       round(o["median_s"] * 1e3, 3), False, target))
    return out


# ---------------------------------------------------------------------------------------------
# Parts
# ---------------------------------------------------------------------------------------------
def tessera_has_catalog(tessera):
    ok = subprocess.run([tessera, "serve", "catalog", "--help"], capture_output=True).returncode == 0
    return ok and subprocess.run([tessera, "catalog", "init", "--help"],
                                 capture_output=True).returncode == 0


def demo_url(server, family, path, fmt, query=""):
    q = f"format={M[fmt]}" + (f"&{query}" if query else "")
    return f"{server.url}/api/v1/{family}/full/{path}?{q}"


def part_read(a, wd, tessera_demo, out):
    print("\n=== part read: tessera serve demo vs tiled serve demo", flush=True)
    tiled = Server("tiled-demo", tb.cmd_template("SERVER_CMD"), wd / "tiled-demo")
    tiled.start()
    out["extra"]["tiled_demo_startup_s"] = tiled.startup_s
    out["extra"]["tiled_demo_idle_rss_mb"] = group_rss_mb(tiled)
    rows, raw = [], []
    try:
        small = READ_SMALL_QUICK if a.quick else READ_SMALL
        large = READ_LARGE_QUICK if a.quick else READ_LARGE
        for kind, cases in (("small", small), ("large", large)):
            for label, family, node, fmt, query in cases:
                t_path, o_path = DEMO_PATHS[node]
                recs = {}
                for name, srv, path in (("tessera", tessera_demo, t_path), ("tiled", tiled, o_path)):
                    recs[name] = time_case(srv, demo_url(srv, family, path, fmt, query), [],
                                           a.runs, a.timeout, M[fmt])
                    recs[name].update(server=name, case=label, format=fmt, kind=kind)
                    raw.append(recs[name])
                    print(f"  {name:8s} {label:38s} {fmt:8s} " + summary(recs[name]), flush=True)
                rows += case_rows("read", label, fmt, recs["tessera"], recs["tiled"], TARGETS["read"])
                if kind == "large":
                    rows.append(row("read", f"{label} {fmt}", "peak RSS", "MB",
                                    recs["tessera"].get("peak_rss_mb"), recs["tiled"].get("peak_rss_mb"),
                                    False, None))
        family, node, fmt = CONCURRENCY_NODE
        for conc in a.concurrency:
            res = {}
            for name, srv, path in (("tessera", tessera_demo, DEMO_PATHS[node][0]),
                                    ("tiled", tiled, DEMO_PATHS[node][1])):
                res[name] = load_test(a.load_tool, demo_url(srv, family, path, fmt), [], conc, a.duration)
                res[name].update(server=name, case=f"{node} {fmt}")
                raw.append(res[name])
                print(f"  {name:8s} {a.load_tool} -c {conc} -z {a.duration}: "
                      f"{res[name]['requests_per_s']} req/s, non-2xx {res[name]['non_2xx']}", flush=True)
            rows.append(row("read", f"{node} {fmt}, {conc} connections, {a.duration}", "throughput",
                            "req/s", res["tessera"]["requests_per_s"], res["tiled"]["requests_per_s"],
                            True, TARGETS["read"]))
        out["extra"]["tiled_demo_vmhwm_mb"] = group_hwm_mb(tiled)
    finally:
        tiled.stop()

    ceiling = [] if a.quick else transport_ceiling(a, wd, raw)

    # tessera alone: the exports Tiled cannot serve (sizes, nodes) -- flat memory.
    only = []
    cases = [] if a.quick else TESSERA_ONLY
    for label, family, node, fmt, query in cases:
        r = time_case(tessera_demo, demo_url(tessera_demo, family, node, fmt, query), [],
                      max(1, min(a.runs, 3)), a.timeout, M[fmt])
        r.update(server="tessera", case=label, format=fmt, kind="tessera-only")
        raw.append(r)
        only.append(r)
        print(f"  tessera  {label:38s} {fmt:8s} " + summary(r), flush=True)
    out["extra"]["tessera_demo_vmhwm_mb"] = group_hwm_mb(tessera_demo)
    out["parts"]["read"] = {"rows": rows, "raw": raw, "tessera_only": only, "ceiling": ceiling}


def transport_ceiling(a, wd, raw):
    """The loopback ceiling of the large raw exports just timed: iperf3's TCP throughput from
    memory to memory on 127.0.0.1 (no HTTP, no disk, no data to produce), turned into the
    least time any server could take to deliver each export's bytes on this machine."""
    iperf = shutil.which("iperf3")
    if not iperf:
        print("  transport ceiling skipped: no iperf3 (apt-get install iperf3)", flush=True)
        return []
    port = tb.free_port()
    server = subprocess.Popen([iperf, "-s", "-1", "-B", HOST, "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(0.5)
        out = subprocess.run([iperf, "-c", HOST, "-p", str(port), "-t", "5", "-l", "1M", "-J"], capture_output=True,
                             text=True, timeout=60).stdout
        rate = json.loads(out)["end"]["sum_received"]["bits_per_second"] / 8  # bytes/s
    except (subprocess.SubprocessError, ValueError, KeyError) as e:
        print(f"  transport ceiling skipped: iperf3 failed ({e})", flush=True)
        return []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, 15)
        server.wait(timeout=10)
    print(f"  iperf3 loopback: {rate / 1e6:,.0f} MB/s", flush=True)
    by_case = {}
    for r in raw:
        if r.get("kind") == "large" and r.get("format") == "octet" and r.get("bytes"):
            by_case.setdefault(r["case"], {})[r["server"]] = r
    return [{"case": label, "bytes": recs["tessera"]["bytes"], "iperf3_MB_per_s": round(rate / 1e6),
             "ceiling_s": round(recs["tessera"]["bytes"] / rate, 5),
             "tessera_s": recs["tessera"].get("median_s"), "tiled_s": recs.get("tiled", {}).get("median_s")}
            for label, recs in by_case.items()]


def summary(r):
    if r.get("error"):
        return "ERROR " + r["error"]
    return (f"median {r['median_s']:.4f} s  {r['bytes']:>12,} B  {r['MB_per_s'] or 0:8.1f} MB/s  "
            f"peak RSS {r['peak_rss_mb']} MB")


def table_nbytes(df):
    return pyarrow.Table.from_pandas(df, preserve_index=False).nbytes


def part_write(a, wd, tessera, out):
    """Uploads and read-backs through the official client; returns the tessera catalog server
    (left running for part roapi) or None."""
    print("\n=== part write: tessera serve catalog vs tiled serve catalog", flush=True)
    df = tb.make_big_table()
    arr = numpy.random.default_rng(1).random((4096, 4096))
    sizes = {"table": table_nbytes(df), "array": arr.nbytes}
    runs = max(1, a.runs if not a.quick else 1)
    q = shlex.quote(tessera)
    templates = {
        "tessera": {"SERVER_CMD_INIT": f"{q} catalog init {{db}}",
                    "SERVER_CMD_CATALOG": (f"{q} serve catalog {{db}} --write {{data}} --host {{host}} "
                                           "--port {port} --api-key {key}")},
        "tiled": {"SERVER_CMD_INIT": tb.cmd_template("SERVER_CMD_INIT"),
                  "SERVER_CMD_CATALOG": tb.cmd_template("SERVER_CMD_CATALOG")},
    }
    results, raw, servers = {}, [], {}
    try:
        for name in ("tessera", "tiled"):
            try:
                srv = start_catalog_with(templates[name], wd / f"{name}-catalog")
                servers[name] = srv
                results[name] = write_side_one(a, name, srv, df, arr, sizes, runs, raw)
            except Exception as e:  # a server that fails a step: its error is the result
                import traceback
                traceback.print_exc()
                print(f"  {name:8s} FAILED: {e!r} (see its log under {wd})", flush=True)
                results[name] = {"error": f"{type(e).__name__}: {e}"}
                if name in servers:
                    servers.pop(name).stop()
            if name == "tiled" and name in servers:
                servers.pop(name).stop()
    except BaseException:
        for srv in servers.values():
            srv.stop()
        raise

    t, o = results["tessera"], results["tiled"]
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append(row("write", f"{name} serve catalog", "error", "", r["error"] if name == "tessera" else None,
                            r["error"] if name == "tiled" else None, False, None))
    export_labels = {"table_0": "big_table 1M rows", "array_0": "4096x4096 f64"}
    labels = {"table": "1M-row table (T1-like, big_table)", "array": "4096x4096 float64 (A2-like)"}
    for what in ("table", "array"):
        for metric, key in (("upload", "upload_MB_per_s"), ("read-back", "read_MB_per_s"),
                            ("upload, curl PUT of the client's body", "http_upload_MB_per_s")):
            rows.append(row("write", labels[what], metric, "MB/s", t.get(what, {}).get(key),
                            o.get(what, {}).get(key), True, TARGETS["write"]))
    for key in t.get("exports") or o.get("exports") or {}:
        # read-back over HTTP (curl GET of what was uploaded, in each format): issue 6's target
        node, fmt = key.split()
        rows += case_rows("write", f"read-back by curl: {export_labels[node]}", fmt,
                          t.get("exports", {}).get(key), o.get("exports", {}).get(key), TARGETS["write"])
    out["parts"]["write"] = {"rows": rows, "raw": raw, "summary": results, "logical_bytes": sizes,
                             "client_bound": client_bound(t, o)}
    return servers.get("tessera")


def client_bound(t, o):
    """How much of each through-the-client time is the client's own: tessera's time through the
    client minus curl's time for the same request to tessera (the body the client sends, or the
    format the client reads: Arrow for tables, raw for arrays). No server can take that part
    away, so Tiled's time over it is the largest ratio any server could reach through the client."""
    out = []
    for what, label, node, fmt in (("table", "1M-row table", "table_0", "arrow"),
                                   ("array", "4096x4096 float64", "array_0", "octet")):
        tw, ow = t.get(what) or {}, o.get(what) or {}
        curl_read = ((t.get("exports") or {}).get(f"{node} {fmt}") or {}).get("median_s")
        for metric, client_key, curl_s in (("upload", "upload_s", tw.get("http_upload_s")),
                                           ("read-back", "read_s", curl_read)):
            client_s, tiled_s = tw.get(client_key), ow.get(client_key)
            if not (client_s and curl_s and tiled_s) or client_s <= curl_s:
                continue
            own = client_s - curl_s
            out.append({"case": f"{label} {metric}", "tessera_client_s": client_s, "tessera_curl_s": curl_s,
                        "client_own_s": round(own, 4), "tiled_client_s": tiled_s,
                        "ratio": round(tiled_s / client_s, 2), "best_possible": round(tiled_s / own, 2)})
    return out


def start_catalog_with(templates, workdir):
    """The reference's start_catalog (init, then serve --write, random key) with these
    SERVER_CMD_INIT / SERVER_CMD_CATALOG templates."""
    saved = {k: os.environ.get(k) for k in templates}
    os.environ.update(templates)
    try:
        t0 = time.perf_counter()
        srv = tb.start_catalog(workdir)
        srv.startup_s = round(time.perf_counter() - t0, 2)
        return srv
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def write_side_one(a, name, srv, df, arr, sizes, runs, raw):
    """Uploads, read-backs and curl exports on one catalog server."""
    from tiled.client import from_uri

    client = from_uri(srv.url, api_key=srv.key)
    client.write_array([1, 2, 3], key="warmup")  # connection + first-write costs
    r = {"startup_s": srv.startup_s}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for what, write in (("table", lambda k: client.write_dataframe(df, key=k)),
                            ("array", lambda k: client.write_array(arr, key=k))):
            ups = []
            for i in range(runs):
                t0 = time.perf_counter()
                write(f"{what}_{i}")
                ups.append(time.perf_counter() - t0)
            reads = []
            node = client[f"{what}_0"]
            got = node.read()  # warm-up, and a check of what came back
            ok = (got.shape == df.shape) if what == "table" else bool(numpy.array_equal(got, arr))
            del got
            for _ in range(runs):
                t0 = time.perf_counter()
                node.read()
                reads.append(time.perf_counter() - t0)
            r[what] = {"upload_s": round(statistics.median(ups), 4),
                       "upload_MB_per_s": round(sizes[what] / 1e6 / statistics.median(ups), 1),
                       "read_s": round(statistics.median(reads), 4),
                       "read_MB_per_s": round(sizes[what] / 1e6 / statistics.median(reads), 1),
                       "read_back_equal": ok, "runs": runs}
            print(f"  {name:8s} {what}: upload {r[what]['upload_s']} s "
                  f"({r[what]['upload_MB_per_s']} MB/s), read {r[what]['read_s']} s "
                  f"({r[what]['read_MB_per_s']} MB/s), equal={ok}", flush=True)
    # The same uploads without the Python client: curl PUTs the bytes the client sends (Arrow
    # IPC of the frame, the array's raw bytes) to the nodes just written, replacing their data.
    # The client's own work (pandas -> Arrow, httpx) weighs on both servers alike; this is the
    # servers' part alone.
    auth = [f"Authorization: Apikey {srv.key}"]
    bodies = {"table": (wd_body(srv, "table.arrow", lambda f: write_arrow_file(df, f)), "table_0",
                        "application/vnd.apache.arrow.file"),
              "array": (wd_body(srv, "array.bin", lambda f: f.write(arr.tobytes())), "array_0",
                        "application/octet-stream")}
    for what, (path, node, ctype) in bodies.items():
        times = []
        for _ in range(runs):
            code, secs = curl_put(f"{srv.url}/api/v1/{what}/full/{node}", auth + [f"Content-Type: {ctype}"],
                                  path, a.timeout)
            if code != 200:
                r[what]["http_upload_error"] = f"HTTP {code}"
                break
            times.append(secs)
        path.unlink()
        if times:
            med = statistics.median(times)
            r[what].update(http_upload_s=round(med, 4), http_upload_MB_per_s=round(sizes[what] / 1e6 / med, 1))
        print(f"  {name:8s} {what}: curl PUT " + (f"{r[what].get('http_upload_s')} s "
              f"({r[what].get('http_upload_MB_per_s')} MB/s)" if times else r[what]["http_upload_error"]), flush=True)
    # curl exports of what was uploaded (the reference's catalog cases)
    fmts = [("table", "table_0", f) for f in (["csv", "arrow"] if a.quick
                                              else ["csv", "parquet", "arrow", "json"])]
    fmts.append(("array", "array_0", "octet"))
    r["exports"] = {}
    for family, node, fmt in fmts:
        e = time_case(srv, f"{srv.url}/api/v1/{family}/full/{node}?format={M[fmt]}", auth,
                      a.runs, a.timeout, M[fmt])
        e.update(server=name, case=node, format=fmt, kind="catalog-export")
        raw.append(e)
        r["exports"][f"{node} {fmt}"] = e
        print(f"  {name:8s} export {node:10s} {fmt:8s} " + summary(e), flush=True)
    r["vmhwm_mb"] = group_hwm_mb(srv)
    return r


def wd_body(srv, name, write):
    """A request body written to a file in the server's work directory (curl streams it)."""
    path = srv.workdir / name
    with open(path, "wb") as f:
        write(f)
    return path


def write_arrow_file(df, f):
    """The frame as the Tiled client sends it: an Arrow IPC file of `Table.from_pandas`."""
    table = pyarrow.Table.from_pandas(df, preserve_index=True)  # the index column too, as the client sends it
    with pyarrow.ipc.new_file(f, table.schema) as w:
        w.write_table(table)


def curl_put(url, headers, path, timeout):
    """One `curl -T` upload: (HTTP status, time_total in seconds)."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-X", "PUT",
           "--max-time", str(timeout), "-T", str(path)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30).stdout.split()
    return (int(out[0]), float(out[1])) if len(out) == 2 else (0, float("nan"))


def write_parquet_from(url, headers, path):
    """A node fetched as Arrow IPC from tessera, written to Parquet (pyarrow) for roapi."""
    body = httpx.get(url, headers=headers, timeout=600).raise_for_status().content
    table = pyarrow.ipc.open_file(io.BytesIO(body)).read_all()
    pyarrow.parquet.write_table(table, path)
    return table.num_rows


def part_roapi(a, wd, tessera_demo, tessera_catalog, out):
    print("\n=== part roapi: roapi 0.12.7 vs tessera (same tables)", flush=True)
    roapi = shutil.which("roapi", path=str(Path(sys.executable).parent)) or shutil.which("roapi")
    if not roapi:
        print("  SKIPPED: no roapi binary (pip install roapi==0.12.7)", flush=True)
        out["parts"]["roapi"] = {"skipped": "no roapi binary"}
        return
    d = wd / "roapi"
    d.mkdir(parents=True, exist_ok=True)
    # Same data on both sides: the demo tables exported by tessera, the 1M-row table as the
    # reference script generates it (and uploads it to the catalog).
    tables = {}  # name -> (tessera server, path, auth headers, label)
    for node in ("short_table",) + (() if a.quick else ("long_table",)):
        n = write_parquet_from(demo_url(tessera_demo, "table", node, "arrow"), {}, d / f"{node}.parquet")
        tables[node] = (tessera_demo, node, [], f"{node} {n:,} rows")
    df = tb.make_big_table()
    df.to_parquet(d / "big_table.parquet", index=False)
    del df
    if tessera_catalog is not None:
        tables["big_table"] = (tessera_catalog, "table_0", [f"Authorization: Apikey {tessera_catalog.key}"],
                               "big_table 1,000,000 rows")
    else:
        print("  note: tessera serves the 1M-row table from its catalog, which is not available "
              "(no `serve catalog` command, or the write side failed): 1M-row cases are timed on "
              "roapi only", flush=True)
    pg, fl = tb.free_port(), tb.free_port()
    template = (f"{shlex.quote(roapi)} -a {{host}}:{{port}} -p {{host}}:{pg} --addr-flight-sql {{host}}:{fl} "
                + " ".join(f"-t {n}={shlex.quote(str(d / (n + '.parquet')))}"
                           for n in list(tables) + (["big_table"] if "big_table" not in tables else [])))
    srv = Server("roapi", template, d, probe="/api/schema")
    srv.start()
    out["extra"]["roapi_startup_s"] = srv.startup_s
    out["extra"]["roapi_idle_rss_mb"] = group_rss_mb(srv)
    out["extra"]["roapi_version"] = subprocess.run([roapi, "--version"], capture_output=True,
                                                   text=True).stdout.strip()
    rows, raw = [], []
    try:
        fmts = ROAPI_FORMATS_QUICK if a.quick else ROAPI_FORMATS
        for name in list(tables) + (["big_table"] if "big_table" not in tables else []):
            t_srv, t_path, auth, label = tables.get(name, (None, None, None, "big_table 1,000,000 rows"))
            for fmt in fmts:
                recs = {}
                if t_srv is not None:
                    recs["tessera"] = time_case(t_srv, f"{t_srv.url}/api/v1/table/full/{t_path}?format={M[fmt]}",
                                                auth, a.runs, a.timeout, M[fmt])
                recs["roapi"] = time_case(srv, f"{srv.url}/api/tables/{name}", [f"Accept: {ROAPI_ACCEPT[fmt]}"],
                                          a.runs, a.timeout, ROAPI_ACCEPT[fmt])
                for who, r in recs.items():
                    r.update(server=who, case=label, format=fmt)
                    raw.append(r)
                    print(f"  {who:8s} {label:38s} {fmt:8s} " + summary(r), flush=True)
                t = recs.get("tessera")
                rows += case_rows("roapi", label, fmt, t, recs["roapi"], TARGETS["roapi"])
                if t is None:
                    rows.append(row("roapi", f"{label} {fmt}", "median", "s", None,
                                    recs["roapi"].get("median_s"), False, TARGETS["roapi"]))
                if recs["roapi"].get("bytes", 0) >= 1_000_000:
                    rows.append(row("roapi", f"{label} {fmt}", "peak RSS", "MB",
                                    t.get("peak_rss_mb") if t else None, recs["roapi"].get("peak_rss_mb"),
                                    False, None))
        node = "short_table"
        res = {}
        for who, url, headers in (
                ("tessera", demo_url(tessera_demo, "table", node, "csv"), []),
                ("roapi", f"{srv.url}/api/tables/{node}", [f"Accept: {ROAPI_ACCEPT['csv']}"])):
            res[who] = load_test(a.load_tool, url, headers, 8, a.duration)
            res[who].update(server=who, case=f"{node} csv")
            raw.append(res[who])
            print(f"  {who:8s} {a.load_tool} -c 8 -z {a.duration}: {res[who]['requests_per_s']} req/s, "
                  f"non-2xx {res[who]['non_2xx']}", flush=True)
        rows.append(row("roapi", f"{node} csv, 8 connections, {a.duration}", "throughput", "req/s",
                        res["tessera"]["requests_per_s"], res["roapi"]["requests_per_s"], True,
                        TARGETS["roapi"]))
        out["extra"]["roapi_vmhwm_mb"] = group_hwm_mb(srv)
    finally:
        srv.stop()
    out["parts"]["roapi"] = {"rows": rows, "raw": raw}


# ---------------------------------------------------------------------------------------------
def report_md(out):
    f = out["facts"]
    L = [f"# tessera server vs Tiled 0.2.20 and roapi 0.12.7 ({out['started']})", "",
         f"`{out['command']}`", "",
         f"tessera {f.get('tessera_commit', '?')}, tiled {f.get('tiled')}, {out['extra'].get('roapi_version', 'roapi ?')}, "
         f"{f.get('nproc')} CPUs ({f.get('cpu')}), load average at start {f.get('loadavg_start')}, "
         f"at end {f.get('loadavg_end')}. Runs per case: {out['args']['runs']} (+1 warm-up), "
         f"load tool {out['args']['load_tool']}, {out['args']['duration']} per load test."
         + (" **--quick: a harness check, not figures.**" if out["args"]["quick"] else ""), "",
         "Ratio = times better for tessera (other/tessera for seconds and memory, "
         "tessera/other for MB/s and req/s).", ""]
    names = {"read": ("Read side (issue 5): `tessera serve demo` vs `tiled serve demo`", "Tiled"),
             "write": ("Write side (issue 6): `tessera serve catalog` vs `tiled serve catalog`", "Tiled"),
             "roapi": ("roapi 0.12.7 vs tessera, same tables", "roapi")}
    for part in ("read", "write", "roapi"):
        title, other = names[part]
        L += [f"## {title}", ""]
        p = out["parts"].get(part)
        if p is None:
            L += ["not run", ""]
        elif "skipped" in p:
            L += [f"SKIPPED: {p['skipped']}", ""]
        else:
            L += [md_table(p["rows"], other), ""]
            if part == "read" and p.get("tessera_only"):
                L += ["tessera alone (flat memory; Tiled's demo has no such node or refuses > 300 MB):", "",
                      "| case | format | median s | bytes | MB/s | peak RSS MB |", "|---|---|---:|---:|---:|---:|"]
                for r in p["tessera_only"]:
                    if r.get("error"):
                        L.append(f"| {r['case']} | {r['format']} | {r['error']} | | | |")
                    else:
                        L.append(f"| {r['case']} | {r['format']} | {r['median_s']} | {r['bytes']:,} | "
                                 f"{r['MB_per_s']} | {r['peak_rss_mb']} |")
                L.append("")
            if part == "read" and p.get("ceiling"):
                L += [f"The loopback ceiling: iperf3's TCP throughput on 127.0.0.1, memory to memory "
                      f"({p['ceiling'][0]['iperf3_MB_per_s']:,} MB/s; no HTTP, no disk, no data to produce), "
                      "as the least time any server could take to deliver each export's bytes here. "
                      "`best possible` = Tiled / ceiling: the largest ratio any server could reach over "
                      "Tiled on that case on this machine.", "",
                      "| case | bytes | ceiling s | tessera s | Tiled s | tessera / ceiling | best possible vs Tiled |",
                      "|---|---:|---:|---:|---:|---:|---:|"]
                for c in p["ceiling"]:
                    cs, ts, os_ = c["ceiling_s"], c["tessera_s"], c["tiled_s"]
                    L.append(f"| {c['case']} | {c['bytes']:,} | {fmt_num(cs)} | {fmt_num(ts)} | {fmt_num(os_)} | "
                             f"{fmt_num(ts / cs if cs and ts else None)} | "
                             f"{fmt_num(os_ / cs if cs and os_ else None)} |")
                L.append("")
            if part == "write" and p.get("client_bound"):
                L += ["Through the Tiled client, the client's own work (pandas and Arrow conversions, "
                      "`httpx`) is the same whatever the server: `client's own` = tessera through the "
                      "client − curl to tessera for the same request, a part no server can take away. "
                      "`best possible` = Tiled through the client / client's own: the largest ratio any "
                      "server could reach through the client here.", "",
                      "| case | tessera via client s | tessera via curl s | client's own s | Tiled via client s "
                      "| ratio | best possible vs Tiled |",
                      "|---|---:|---:|---:|---:|---:|---:|"]
                for c in p["client_bound"]:
                    L.append(f"| {c['case']} | {fmt_num(c['tessera_client_s'])} | {fmt_num(c['tessera_curl_s'])} | "
                             f"{fmt_num(c['client_own_s'])} | {fmt_num(c['tiled_client_s'])} | "
                             f"{fmt_num(c['ratio'])} | {fmt_num(c['best_possible'])} |")
                L.append("")
    L += ["## Server memory and start-up", "", "| figure | value |", "|---|---:|"]
    L += [f"| {k} | {v} |" for k, v in out["extra"].items() if k != "roapi_version"]
    return "\n".join(L) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", required=True, help="the tessera binary (release build)")
    p.add_argument("--out", required=True, help="output directory (results.json, report.md, logs)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per case (after 1 warm-up)")
    p.add_argument("--quick", action="store_true",
                   help="few cases, 1 run, 2 s load tests: checks the harness, not for figures")
    p.add_argument("--parts", default="read,write,roapi", help="comma-separated subset of read,write,roapi")
    p.add_argument("--duration", default=None, help="load-test duration (default 15s; --quick 2s)")
    p.add_argument("--load-tool", choices=["hey", "wrk"], default="hey")
    p.add_argument("--timeout", type=int, default=900, help="per-request curl --max-time")
    p.add_argument("--wait-quiet", type=float, default=0,
                   help="wait up to this many seconds for load average < 1 before starting")
    a = p.parse_args()
    if a.quick:
        a.runs = 1
    a.duration = a.duration or ("2s" if a.quick else "15s")
    a.concurrency = [8, 16]
    parts = [x.strip() for x in a.parts.split(",") if x.strip()]
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    wd = out_dir / "work"

    if a.wait_quiet:
        wait_quiet(1.0, a.wait_quiet)
    facts = tb.machine_facts()
    facts["tessera_commit"] = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                             capture_output=True, text=True).stdout.strip()
    out = {"started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": " ".join(shlex.quote(x) for x in sys.argv), "args": vars(a), "facts": facts,
           "extra": {}, "parts": {}}
    if os.getloadavg()[0] > 1.0:
        print(f"bench-server: WARNING load average {os.getloadavg()[0]:.2f}: the machine is busy, "
              "figures are not comparable with a quiet run", flush=True)

    has_catalog = tessera_has_catalog(a.tessera)
    tessera_demo = Server("tessera-demo", "{tessera} serve demo --public --host {host} --port {port}",
                          wd / "tessera-demo", tessera=a.tessera)
    tessera_catalog = None
    t0 = time.perf_counter()
    try:
        tessera_demo.start()
        out["extra"]["tessera_demo_startup_s"] = tessera_demo.startup_s
        out["extra"]["tessera_demo_idle_rss_mb"] = group_rss_mb(tessera_demo)
        wall = out["extra"]

        def run_part(name, fn, *args):
            """One part; a failure is reported (and the report still written), not fatal."""
            t = time.perf_counter()
            try:
                return fn(*args)
            except Exception as e:
                import traceback
                traceback.print_exc()
                print(f"\n=== part {name}: FAILED: {e!r}", flush=True)
                out["parts"][name] = {"skipped": f"failed: {type(e).__name__}: {e}"}
            finally:
                wall[f"part_{name}_wall_s"] = round(time.perf_counter() - t, 1)

        if "read" in parts:
            run_part("read", part_read, a, wd, tessera_demo, out)
        # The write side also loads the 1M-row table that part roapi compares: it runs for both.
        if "write" in parts or "roapi" in parts:
            if has_catalog:
                tessera_catalog = run_part("write", part_write, a, wd, a.tessera, out)
            else:
                msg = (f"{a.tessera} has no `serve catalog` / `catalog init` command yet "
                       "(issue 6 not landed): write side skipped")
                print(f"\n=== part write: SKIPPED: {msg}", flush=True)
                out["parts"]["write"] = {"skipped": msg}
        if "roapi" in parts:
            run_part("roapi", part_roapi, a, wd, tessera_demo, tessera_catalog, out)
    finally:
        tessera_demo.stop()
        if tessera_catalog is not None:
            tessera_catalog.stop()
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    out["facts"]["loadavg_end"] = Path("/proc/loadavg").read_text().strip()
    (out_dir / "results.json").write_text(json.dumps(out, indent=1, default=str) + "\n")
    md = report_md(out)
    (out_dir / "report.md").write_text(md)
    print("\n" + md)
    print(f"bench-server: {out['wall_s']} s; results in {out_dir}", flush=True)
    failed = [f"{part}: {p['skipped']}" for part, p in out["parts"].items()
              if str(p.get("skipped", "")).startswith("failed")]
    failed += [f"{r['part']}: {r['case']}: {r['tessera'] or r['other']}"
               for p in out["parts"].values() for r in p.get("rows", []) if r["metric"] == "error"]
    if failed:
        print("bench-server: FAILED cases:\n  " + "\n  ".join(failed), flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
