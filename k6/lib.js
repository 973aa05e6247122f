// Shared helpers of the k6 scenarios: where the server is, which sources it has, how
// to build distinct IIIF variants, how a request is recorded, and the summary format.
//
// Environment (set by scripts/k6-run; defaults match `cargo run --release`):
//   BASE_URL      public listener              (http://127.0.0.1:8080)
//   ADMIN_URL     admin listener (/metrics)    (http://127.0.0.1:9090)
//   IMAGES        comma-separated identifiers of the images directory
//   TARGET_MS     the server's CoDel target    (500, as VIGNETTE_CODEL_TARGET_MS)
//   SMOKE=1       short run, functional thresholds only
//   RESULTS_DIR   where handleSummary writes summary.txt and summary.json
//   THINK_MIN_MS / THINK_MAX_MS   client think time between requests
import http from 'k6/http';
import { sleep } from 'k6';
import { Gauge } from 'k6/metrics';

export const BASE = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const ADMIN = (__ENV.ADMIN_URL || 'http://127.0.0.1:9090').replace(/\/$/, '');
export const SMOKE = __ENV.SMOKE === '1';
export const TARGET_MS = num('TARGET_MS', 500);
export const RESULTS_DIR = __ENV.RESULTS_DIR || '';

/// A numeric environment variable, or its default.
export function num(name, dflt) {
  const v = __ENV[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}

/// Identifiers of the images directory (the runner lists them), or the repo's samples.
export function imageIds() {
  const list = (__ENV.IMAGES || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length) return list;
  return ['raindrops-1920x1200-q85.jpg', 'flow-1920x1200-rgba.png', 'garden-2560x1600-lossy.webp'];
}

/// The IIIF URL of one variant (identifier percent-encoded, slashes included).
export function iiif(id, region, size, rotation, quality, format) {
  return `${BASE}/iiif/3/${encodeURIComponent(id)}/${region}/${size}/${rotation}/${quality}.${format}`;
}

/// width/height of each identifier, from its info.json. Sources that fail are skipped.
export function loadSources(ids) {
  const reqs = ids.map((id) => ({
    method: 'GET',
    url: `${BASE}/iiif/3/${encodeURIComponent(id)}/info.json`,
    params: { tags: { name: 'info', kind: 'setup' }, responseType: 'text' },
  }));
  const out = [];
  http.batch(reqs).forEach((r, i) => {
    if (r.status !== 200) {
      console.warn(`info.json of ${ids[i]}: ${r.status}, skipped`);
      return;
    }
    const j = r.json();
    out.push({ id: ids[i], w: j.width, h: j.height });
  });
  out.sort((a, b) => b.w * b.h - a.w * a.h);
  return out;
}

/// The "large" sources of the stress: at least 1.9 MP, animated files left out. The
/// largest one (the 36 MP photo when the corpus is there) gets half of the draws.
export function largeSources(sources) {
  const large = sources.filter((s) => s.w * s.h >= 1.9e6 && !/anim/.test(s.id));
  if (!large.length) throw new Error('no source of at least 1.9 MP among ' + sources.map((s) => s.id));
  return large;
}

export function pickLarge(large) {
  if (large.length === 1 || Math.random() < 0.5) return large[0];
  return large[1 + Math.floor(Math.random() * (large.length - 1))];
}

function randInt(lo, hi) {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

function pick(weighted) {
  let r = Math.random() * weighted.reduce((a, [w]) => a + w, 0);
  for (const [w, v] of weighted) {
    if ((r -= w) < 0) return v;
  }
  return weighted[weighted.length - 1][1];
}

/// A random, almost surely uncached variant of `src`, as a responsive page or a zoom
/// viewer asks for them: full image, a crop or a square; a width of 160–1280 px (never
/// above the region: no upscaling); mostly JPEG and WebP, some AVIF and PNG; now and
/// then rotated or mirrored.
export function randomVariant(src) {
  let region;
  let rw;
  const kind = pick([[60, 'full'], [25, 'pct'], [15, 'square']]);
  if (kind === 'full') {
    region = 'full';
    rw = src.w;
  } else if (kind === 'square') {
    region = 'square';
    rw = Math.min(src.w, src.h);
  } else {
    const w = randInt(40, 100);
    const h = randInt(40, 100);
    const x = randInt(0, 100 - w);
    const y = randInt(0, 100 - h);
    region = `pct:${x},${y},${w},${h}`;
    rw = Math.floor((src.w * w) / 100);
  }
  const width = randInt(160, Math.max(160, Math.min(1280, rw)));
  const format = pick([[45, 'jpg'], [30, 'webp'], [15, 'avif'], [10, 'png']]);
  const rotation = pick([[90, '0'], [5, '90'], [5, '!0']]);
  return iiif(src.id, region, `${width},`, rotation, 'default', format);
}

/// Think time between two requests of one client, uniform in [THINK_MIN_MS,
/// THINK_MAX_MS] (default 100–300 ms; see k6/README.md for why).
export const THINK_MIN_MS = num('THINK_MIN_MS', 100);
export const THINK_MAX_MS = num('THINK_MAX_MS', 300);
export function think() {
  const ms = THINK_MIN_MS + Math.random() * (THINK_MAX_MS - THINK_MIN_MS);
  if (ms > 0) sleep(ms / 1000);
}

/// Whether a 503 carries what a refusal must: an integer Retry-After of at least one
/// second and Cache-Control: no-store.
export function refusalHeadersOk(res) {
  const ra = res.headers['Retry-After'];
  const cc = res.headers['Cache-Control'] || '';
  return /^[1-9][0-9]*$/.test(ra || '') && /no-store/.test(cc);
}

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/// Requests GET url until it answers 200 with X-Cache: hit (the slot write is
/// asynchronous), within `deadlineS`. Returns the number of tries, or 0 on failure.
export function warmHit(url, deadlineS) {
  const end = Date.now() + deadlineS * 1000;
  let tries = 0;
  while (Date.now() < end) {
    tries++;
    const r = http.get(url, { tags: { name: 'warm', kind: 'setup' } });
    if (r.status === 200 && r.headers['X-Cache'] === 'hit') return tries;
    sleep(r.status === 200 ? 0.05 : 0.5);
  }
  return 0;
}

// ---- server metrics (Prometheus text of the admin listener) ----

/// Parses the Prometheus text into { 'name{labels}': value }.
export function scrape() {
  const r = http.get(`${ADMIN}/metrics`, { tags: { name: 'metrics', kind: 'setup' }, responseType: 'text' });
  const out = {};
  if (r.status !== 200 || !r.body) return out;
  for (const line of r.body.split('\n')) {
    if (!line || line[0] === '#') continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

/// Sum of every series of `name` (all label sets).
export function msum(m, name) {
  let s = 0;
  for (const k of Object.keys(m)) {
    if (k === name || k.startsWith(name + '{')) s += m[k];
  }
  return s;
}

/// Share of a histogram's observations above `le` (an existing bucket bound).
export function histAbove(m, name, le) {
  const total = msum(m, `${name}_count`);
  let below = 0;
  for (const k of Object.keys(m)) {
    if (k.startsWith(`${name}_bucket{`) && k.includes(`le="${le}"`)) below += m[k];
  }
  return total ? { n: total - below, share: (total - below) / total } : { n: 0, share: 0 };
}

/// Quantile estimated from a Prometheus histogram (linear within the bucket).
export function histQuantile(m, name, q) {
  const buckets = {};
  for (const k of Object.keys(m)) {
    const mm = k.match(new RegExp(`^${name}_bucket\\{.*le="([^"]+)"`));
    if (!mm) continue;
    const le = mm[1] === '+Inf' ? Infinity : Number(mm[1]);
    buckets[le] = (buckets[le] || 0) + m[k];
  }
  const les = Object.keys(buckets).map(Number).sort((a, b) => a - b);
  if (!les.length) return NaN;
  const total = buckets[les[les.length - 1]];
  if (!total) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const c = buckets[le];
    if (c >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, c - prevCount);
    }
    prevLe = le;
    prevCount = c;
  }
  return prevLe;
}

/// The server-side figures every summary shows (from one scrape).
export function serverFigures(m) {
  const renders = msum(m, 'vignette_render_duration_seconds_count');
  const renderSum = msum(m, 'vignette_render_duration_seconds_sum');
  return {
    renders,
    render_mean_ms: renders ? (1000 * renderSum) / renders : NaN,
    render_p50_ms_hist: 1000 * histQuantile(m, 'vignette_render_duration_seconds', 0.5),
    rejected_codel: m['vignette_rejected_total{reason="codel"}'] || 0,
    rejected_full: m['vignette_rejected_total{reason="full"}'] || 0,
    rejected_deadline: m['vignette_rejected_total{reason="deadline"}'] || 0,
    sojourn_over_500ms: histAbove(m, 'vignette_queue_sojourn_seconds', '0.5').n,
    sojourn_over_2500ms: histAbove(m, 'vignette_queue_sojourn_seconds', '2.5').n,
    sojourn_count: msum(m, 'vignette_queue_sojourn_seconds_count'),
    hydration_depth: m['vignette_hydration_queue_depth'] || 0,
    hydrated: m['vignette_hydrated_total'] || 0,
    skipped: m['vignette_jobs_skipped_total'] || 0,
    coalesced: m['vignette_coalesced_total'] || 0,
    overloaded: m['vignette_overloaded'] || 0,
    cache_hits: msum(m, 'vignette_cache_hits_total'),
  };
}

// ---- summary ----

export function fmtMs(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (v >= 10000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 10) return `${v.toFixed(0)} ms`;
  return `${v.toFixed(1)} ms`;
}

export function pct(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  return `${(100 * v).toFixed(v > 0.999 && v < 1 ? 2 : 1)}%`;
}

/// values of a metric in the summary data, or {}.
export function vals(data, name) {
  const m = data.metrics[name];
  return m ? m.values : {};
}

export function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function lpad(s, n) {
  s = String(s);
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/// Thresholds section: one line per threshold with ok/FAILED.
export function thresholdLines(data) {
  const lines = [];
  for (const [name, m] of Object.entries(data.metrics)) {
    if (!m.thresholds) continue;
    for (const [t, r] of Object.entries(m.thresholds)) {
      lines.push(`  ${r.ok ? 'ok    ' : 'FAILED'}  ${name}: ${t}`);
    }
  }
  lines.sort();
  return lines;
}

/// The handleSummary result: the text on stdout, and summary.txt + summary.json in
/// RESULTS_DIR when the runner set it.
export function summaryOutputs(data, text) {
  const out = { stdout: text + '\n' };
  if (RESULTS_DIR) {
    out[`${RESULTS_DIR}/summary.txt`] = text + '\n';
    out[`${RESULTS_DIR}/summary.json`] = JSON.stringify(data, null, 1);
  }
  return out;
}

export const TREND_STATS = ['count', 'avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'];

/// Gauges `server_*` for the figures of serverFigures(); create them in the init
/// context, fill them in teardown() with recordServer().
const SERVER_KEYS = ['renders', 'render_mean_ms', 'render_p50_ms_hist', 'rejected_codel', 'rejected_full',
  'rejected_deadline', 'sojourn_over_500ms', 'sojourn_over_2500ms', 'sojourn_count', 'hydration_depth',
  'hydrated', 'skipped', 'coalesced', 'overloaded', 'cache_hits'];
export function serverGauges() {
  const g = {};
  for (const k of SERVER_KEYS) g[k] = new Gauge(`server_${k}`);
  return g;
}
export function recordServer(gauges) {
  const f = serverFigures(scrape());
  for (const [k, v] of Object.entries(f)) if (gauges[k] && Number.isFinite(v)) gauges[k].add(v);
}
/// One line of server figures from the summary data.
export function serverLine(data) {
  const g = (k) => {
    const v = vals(data, `server_${k}`).value;
    return v === undefined ? '?' : v;
  };
  return `server: ${g('renders')} renders, mean ${fmtMs(vals(data, 'server_render_mean_ms').value)}; ` +
    `503 by reason: codel ${g('rejected_codel')}, full ${g('rejected_full')}, deadline ${g('rejected_deadline')}; ` +
    `queue sojourn > 0.5 s: ${g('sojourn_over_500ms')}/${g('sojourn_count')}, > 2.5 s: ${g('sojourn_over_2500ms')}; ` +
    `hydration queue at the end ${g('hydration_depth')}, hydrated ${g('hydrated')}; coalesced ${g('coalesced')}; cache hits ${g('cache_hits')}`;
}
