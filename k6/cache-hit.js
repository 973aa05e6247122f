// Cache hits: many clients on a small set of cached variants. Hits never enter the
// render queue: this measures the path slot index → S3 GET (Garage) → answer, and
// shows that it does not depend on the workers.
//
// setup() warms VARIANTS variants (thumbnails of the largest sources) until the cache
// answers them; then VUS clients (default 50, no think time: a throughput test) request
// them at random for DURATION_S.
//
// Env: VUS (50; smoke 10), DURATION_S (30; smoke 10), VARIANTS (8), THINK_MIN_MS /
// THINK_MAX_MS (0 here).
import http from 'k6/http';
import { sleep } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import {
  SMOKE, TREND_STATS, fmtMs, iiif, imageIds, loadSources, num, pct, recordServer, serverGauges,
  serverLine, summaryOutputs, thresholdLines, vals, warmHit,
} from './lib.js';

const VUS = num('VUS', SMOKE ? 10 : 50);
const DURATION_S = num('DURATION_S', SMOKE ? 10 : 30);
const VARIANTS = num('VARIANTS', 8);
const THINK_MIN = num('THINK_MIN_MS', 0);
const THINK_MAX = num('THINK_MAX_MS', 0);

const lat200 = new Trend('lat_200', true);
const ok = new Rate('ok');
const hit = new Rate('xcache_hit');
const unexpected = new Rate('unexpected_status');
const srv = serverGauges();

const thresholds = { unexpected_status: ['rate==0'], ok: ['rate==1'], xcache_hit: ['rate>=0.99'] };
if (!SMOKE) thresholds.lat_200 = ['p(99)<100'];

export const options = {
  discardResponseBodies: true,
  summaryTrendStats: TREND_STATS,
  systemTags: ['status', 'method', 'scenario', 'error_code', 'expected_response'],
  setupTimeout: '120s',
  thresholds,
  scenarios: {
    hits: { executor: 'constant-vus', vus: VUS, duration: `${DURATION_S}s`, gracefulStop: '5s' },
  },
};

export function setup() {
  const sources = loadSources(imageIds()).filter((s) => s.w >= 400 && s.h >= 400);
  const urls = [];
  for (let i = 0; i < VARIANTS; i++) {
    const s = sources[i % sources.length];
    const fmt = ['jpg', 'webp'][Math.floor(i / sources.length) % 2];
    urls.push(iiif(s.id, 'full', '!400,400', '0', 'default', fmt));
  }
  for (const u of urls) {
    if (!warmHit(u, 30)) throw new Error(`${u} never became a cache hit`);
  }
  return { urls };
}

export default function (data) {
  const url = data.urls[Math.floor(Math.random() * data.urls.length)];
  const res = http.get(url, { tags: { name: 'hit' }, timeout: '30s' });
  unexpected.add(res.status !== 200 && res.status !== 503);
  ok.add(res.status === 200);
  if (res.status === 200) {
    lat200.add(res.timings.duration);
    hit.add(res.headers['X-Cache'] === 'hit');
  }
  const ms = THINK_MIN + Math.random() * (THINK_MAX - THINK_MIN);
  if (ms > 0) sleep(ms / 1000);
}

export function teardown() {
  recordServer(srv);
}

export function handleSummary(data) {
  const a = vals(data, 'lat_200');
  const o = vals(data, 'ok');
  const h = vals(data, 'xcache_hit');
  const lines = [];
  lines.push(`k6 cache-hit${SMOKE ? ' --smoke' : ''}: ${VUS} clients (think ${THINK_MIN}–${THINK_MAX} ms) on ${VARIANTS} cached variants, ${DURATION_S} s`);
  lines.push(`variants: ${(data.setup_data && data.setup_data.urls || []).map((u) => u.replace(/^.*\/iiif\/3\//, '')).join(', ')}`);
  lines.push(`answers: ${(o.passes || 0) + (o.fails || 0)} (${(((o.passes || 0) + (o.fails || 0)) / DURATION_S).toFixed(0)}/s), 200: ${pct(o.rate)}, X-Cache: hit ${pct(h.rate)}, other statuses: ${vals(data, 'unexpected_status').passes || 0}`);
  lines.push(`200 latency: med ${fmtMs(a.med)}, p90 ${fmtMs(a['p(90)'])}, p95 ${fmtMs(a['p(95)'])}, p99 ${fmtMs(a['p(99)'])}, max ${fmtMs(a.max)}`);
  lines.push(serverLine(data));
  lines.push('');
  lines.push('thresholds:');
  lines.push(...thresholdLines(data));
  return summaryOutputs(data, lines.join('\n'));
}
