"""Plot of a k6 stress run of vignette (run by scripts/plot-k6, which provides matplotlib).

Reads RUN_DIR/k6.json.gz (k6 --out json) and RUN_DIR/metrics.tsv (the server gauges that
scripts/k6-run samples every 0.5 s) and draws, against the time since the load started:
  1. latency percentiles (p50/p90/p99 per 1-s bucket, by the time a request was sent) of
     the misses answered 200, of the 503s, and the p99 of the cache hits;
  2. answers per second by status (stacked): misses 200, cache hits 200, 503, other;
  3. the server: failure mode on/off, render queue depth, hydration queue depth.
The phases (burst, ramp, overload, fallback, recovery; tag `phase`) are marked.

usage: plot_k6.py RUN_DIR [-o OUT.png]   (default OUT: docs/img/stress.png)
"""

import argparse
import datetime as dt
import gzip
import json
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PHASE_COLOURS = {
    "burst": "#f0f0f0",
    "ramp": "#fff4d6",
    "overload": "#f3e6f7",
    "fallback": "#e3effa",
    "recovery": "#e6f4e6",
}


def parse_time(s):
    # k6 writes RFC 3339 with nanoseconds, e.g. 2026-11-25T00:21:14.123456789Z / +00:00.
    s = s.replace("Z", "+00:00")
    head, _, tz = s.partition("+") if "+" in s[19:] else (s, "", "")
    if "." in head:
        base, frac = head.split(".")
        head = f"{base}.{frac[:6]}"
    ts = dt.datetime.fromisoformat(head + ("+" + tz if tz else ""))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.timestamp()


def load_requests(path):
    """(start_s, duration_ms, status, kind, phase) of every request of the scenarios."""
    out = []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for line in f:
            if '"http_req_duration"' not in line or '"Point"' not in line:
                continue
            p = json.loads(line)
            d = p["data"]
            tags = d.get("tags", {})
            kind = tags.get("kind")
            if kind not in ("miss", "hit"):
                continue
            end = parse_time(d["time"])
            ms = d["value"]
            out.append((end - ms / 1000.0, ms, tags.get("status", "0"), kind, tags.get("phase", "")))
    out.sort()
    return out


def load_metrics(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [list(map(float, l.split("\t"))) for l in f if l.strip()]
    if not rows:
        return None
    a = np.array(rows)
    return {h: a[:, i] for i, h in enumerate(header)}


def read_env(run_dir):
    env = {}
    p = os.path.join(run_dir, "run.env")
    if os.path.exists(p):
        for line in open(p):
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("-o", "--out", default=None)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = args.out or os.path.join(root, "docs", "img", "stress.png")
    json_path = os.path.join(args.run_dir, "k6.json.gz")
    if not os.path.exists(json_path):
        json_path = os.path.join(args.run_dir, "k6.json")
    reqs = load_requests(json_path)
    if not reqs:
        sys.exit(f"no tagged requests in {json_path}")
    env = read_env(args.run_dir)

    # Time origin: the first request of the ramp (the start of the load).
    phase_start = {}
    phase_end = {}
    for t, _, _, kind, ph in reqs:
        phase_start[ph] = min(phase_start.get(ph, t), t)
        phase_end[ph] = max(phase_end.get(ph, t), t)
    t0 = phase_start.get("ramp", reqs[0][0])
    t_first = reqs[0][0] - t0
    t_last = max(t + ms / 1000 for t, ms, *_ in reqs) - t0

    # 1-s buckets.
    lo = int(np.floor(t_first))
    hi = int(np.ceil(t_last)) + 1
    edges = np.arange(lo, hi + 1)
    lat = defaultdict(lambda: defaultdict(list))  # series -> bucket -> [ms]
    counts = defaultdict(lambda: np.zeros(len(edges) - 1))
    for t, ms, status, kind, ph in reqs:
        b = int(np.floor(t - t0)) - lo
        if b < 0 or b >= len(edges) - 1:
            continue
        if status == "200":
            series = "miss200" if kind == "miss" else "hit200"
        elif status == "503":
            series = "503"
        else:
            series = "other"
        lat[series][b].append(ms)
        counts[series][b] += 1

    def pcts(series, q):
        # One point per bucket, NaN where the bucket is empty (no line across gaps).
        xs = edges[:-1] + 0.5
        ys = np.full(len(xs), np.nan)
        for b, v in lat[series].items():
            if v:
                ys[b] = np.percentile(v, q)
        return xs, ys

    fig, axes = plt.subplots(3, 1, figsize=(12, 11), sharex=True,
                             gridspec_kw={"height_ratios": [3, 2, 1.6]})
    ax1, ax2, ax3 = axes

    def shade(ax, labels=False, lines_only=False):
        order = ["burst", "ramp", "overload", "fallback", "recovery"]
        bounds = []
        for ph in order:
            if ph in phase_start:
                bounds.append((ph, phase_start[ph] - t0))
        for i, (ph, start) in enumerate(bounds):
            end = bounds[i + 1][1] if i + 1 < len(bounds) else t_last
            if ph == "burst":
                end = phase_end["burst"] - t0 + 0.5
            if lines_only:
                ax.axvline(start, color="#999", lw=0.8, ls="--", zorder=0)
            else:
                ax.axvspan(start, end, color=PHASE_COLOURS[ph], zorder=0, lw=0)
            if labels:
                ax.text((start + end) / 2, 1.01, ph, transform=ax.get_xaxis_transform(),
                        ha="center", va="bottom", fontsize=10, color="#444")

    # 1. latency
    shade(ax1, labels=True)
    styles = [
        ("miss200", 50, "misses 200 p50", "#1f77b4", "-", 2.0),
        ("miss200", 90, "misses 200 p90", "#1f77b4", "--", 1.3),
        ("miss200", 99, "misses 200 p99", "#0b3c6e", ":", 1.8),
        ("503", 50, "503 p50", "#d62728", "-", 1.6),
        ("503", 99, "503 p99", "#8c1414", ":", 1.8),
        ("hit200", 99, "cache hits p99", "#2ca02c", "-", 1.6),
    ]
    for series, q, label, colour, ls, lw in styles:
        xs, ys = pcts(series, q)
        if np.isfinite(ys).any():
            ax1.plot(xs, ys, ls, color=colour, lw=lw, label=label, drawstyle="steps-mid")
    ax1.set_yscale("log")
    ax1.set_ylabel("latency (ms, log scale)")
    target = float(env.get("target_ms", 500) or 500)
    for y, txt in [(10000, "10 s"), (2500, "2.5 s"), (target, f"target {target:g} ms"), (20, "20 ms")]:
        ax1.axhline(y, color="#888", lw=0.8, ls="-.", zorder=1)
        ax1.text(edges[-1], y, " " + txt, va="center", ha="left", fontsize=8, color="#666")
    ax1.set_ylim(0.3, 20000)
    ax1.legend(loc="upper left", fontsize=8.5, ncol=3, framealpha=0.9)
    ax1.grid(True, which="major", axis="y", alpha=0.3)

    # 2. statuses per second
    shade(ax2)
    x = edges[:-1]
    bottom = np.zeros(len(x))
    for series, label, colour in [("miss200", "misses 200", "#1f77b4"), ("hit200", "cache hits 200", "#2ca02c"),
                                  ("503", "503", "#d62728"), ("other", "other", "#000000")]:
        c = counts[series]
        if c.sum() == 0 and series == "other":
            continue
        ax2.bar(x, c, width=1.0, align="edge", bottom=bottom, color=colour, label=label, lw=0)
        bottom += c
    ax2.set_ylabel("answers per second")
    ax2.legend(loc="upper right", fontsize=8.5, framealpha=0.9)
    ax2.grid(True, axis="y", alpha=0.3)

    # 3. server state
    shade(ax3, lines_only=True)
    m = load_metrics(os.path.join(args.run_dir, "metrics.tsv"))
    if m is not None:
        tm = m["t_ms"] / 1000.0 - t0
        sel = (tm >= lo) & (tm <= hi)
        tm = tm[sel]
        over = m["overloaded"][sel]
        # Refusing: the codel refusal counter grew since the previous sample (the failure
        # mode or the probation after it); shedding: the vignette_overloaded gauge read 1.
        codel = m["rejected_codel"][sel]
        refusing = np.concatenate([[0], (np.diff(codel) > 0).astype(float)])
        ymax = max(1.0, float(np.max(m["queue_depth"][sel])) if sel.any() else 1.0)
        ax3.fill_between(tm, 0, refusing * ymax * 1.15, step="pre", color="#d62728", alpha=0.15, lw=0,
                         label="refusing misses (reason codel)")
        ax3.fill_between(tm, 0, over * ymax * 1.15, step="post", color="#d62728", alpha=0.45, lw=0,
                         label="vignette_overloaded = 1 (sampled)")
        ax3.plot(tm, m["queue_depth"][sel], color="#ff7f0e", lw=1.3, drawstyle="steps-post",
                 label="render queue depth")
        ax3.set_ylabel("render queue (jobs)")
        ax3.set_ylim(0, ymax * 1.15)
        ax3b = ax3.twinx()
        ax3b.plot(tm, m["hydration_queue_depth"][sel], color="#9467bd", lw=1.5, label="hydration queue depth")
        ax3b.set_ylabel("hydration queue", color="#9467bd")
        h1, l1 = ax3.get_legend_handles_labels()
        h2, l2 = ax3b.get_legend_handles_labels()
        ax3.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8.5, framealpha=0.9)
    ax3.set_xlabel("seconds since the load started (requests placed by the time they were sent; 1-s buckets)")
    ax3.set_xlim(lo, hi)

    title = "vignette under a k6 stress run"
    sub = []
    if env.get("started"):
        sub.append(env["started"])
    if env.get("git"):
        sub.append(f"commit {env['git']}")
    if env.get("workers"):
        sub.append(f"{env['workers']} worker(s) on {env.get('nproc', '?')} cores")
    if env.get("rss_peak_mib"):
        sub.append(f"peak RSS {env['rss_peak_mib']} MiB")
    fig.suptitle(title + ("\n" + ", ".join(sub) if sub else ""), fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()
