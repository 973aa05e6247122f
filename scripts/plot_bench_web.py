"""Draws scripts/bench-web's results (its JSON) as grouped bars: req/s per format and tool,
with vignette's ratio to each peer written above its bar. Run through scripts/bench-web
--plot or directly: .venv/bin/python scripts/plot_bench_web.py RESULTS.json OUT.png"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results, out = sys.argv[1], sys.argv[2]
data = json.load(open(results))
medians = data["medians"]
formats = list(medians)
tools = list(dict.fromkeys(t for by in medians.values() for t in by))
colours = {"vignette": "#2b6cb0", "thumbor": "#a0aec0", "sharp": "#68d391"}
width = 0.8 / len(tools)
fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
for i, tool in enumerate(tools):
    xs = [f + (i - (len(tools) - 1) / 2) * width for f in range(len(formats))]
    ys = [medians[fmt].get(tool, {}).get("rps", 0) for fmt in formats]
    bars = ax.bar(xs, ys, width, label=tool, color=colours.get(tool, None))
    for bar, y in zip(bars, ys):
        ax.text(bar.get_x() + bar.get_width() / 2, y, f"{y:.0f}", ha="center", va="bottom",
                fontsize=8)
for f, fmt in enumerate(formats):
    v = medians[fmt].get("vignette")
    if not v:
        continue
    ratios = [f"{v['rps'] / medians[fmt][p]['rps']:.1f}× {p}" for p in tools
              if p != "vignette" and p in medians[fmt]]
    top = max(r["rps"] for r in medians[fmt].values())
    ax.text(f, top * 1.12, "\n".join(ratios), ha="center", va="bottom", fontsize=8)
ax.set_xticks(range(len(formats)), [f.upper() for f in formats])
ax.set_ylabel("requests per second (higher is better)")
ax.set_ylim(0, max(r["rps"] for by in medians.values() for r in by.values()) * 1.45)
ax.set_title(f"imgproxy's benchmark (k6.js, 2 VUs, {data['duration']} per run, "
             f"{data['cores']} cores, median of {data['rounds']})", fontsize=10)
ax.legend(loc="upper right")
fig.tight_layout()
fig.savefig(out)
print(f"plot: {out}")
