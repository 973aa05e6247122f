// Load: the classic image-server benchmark (imgproxy's "vs alternatives", the seed's
// reference): 4 clients, no think time, each resizing the 36 MP JPEG to fit 500×500.
//
// The slot cache would answer every repeat of one URL, so each request asks for a
// distinct variant of exactly the same cost: the region `0,0,W-a,H-b` (a, b unique per
// request, a few pixels trimmed off the right and bottom edges) fitted into !500,500 — same
// decode scale, same resize, a 500×33x JPEG. setup() compares it with the canonical
// `full/!500,500` once, so the equivalence is measured, not assumed.
//
// With one render worker (2 cores), 4 clients keep the queue above the CoDel target, so
// vignette refuses part of the work: a client that gets a 503 waits Retry-After seconds
// before its next request, as a well-behaved client does (RETRY_AFTER=0: it asks again
// at once, the retry storm).
//
// Env: VUS (4), DURATION_S (30; smoke 10), SOURCE (photo-36mp.jpg, else the largest),
// RETRY_AFTER (1).
import http from 'k6/http';
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Rate, Trend } from 'k6/metrics';
import {
  SMOKE, TREND_STATS, fmtMs, iiif, imageIds, loadSources, num, pct, recordServer, serverGauges,
  serverLine, summaryOutputs, thresholdLines, vals,
} from './lib.js';

const VUS = num('VUS', 4);
const DURATION_S = num('DURATION_S', SMOKE ? 10 : 30);
const RETRY_AFTER = num('RETRY_AFTER', 1) === 1;

const lat200 = new Trend('lat_200', true);
const lat503 = new Trend('lat_503', true);
const ok = new Rate('ok');
const unexpected = new Rate('unexpected_status');
const fromCache = new Rate('answered_from_cache');
const srv = serverGauges();

const thresholds = { unexpected_status: ['rate==0'] };
if (!SMOKE) {
  Object.assign(thresholds, {
    http_req_duration: ['max<10000'],
    lat_200: ['p(99)<2500'],
  });
}

export const options = {
  discardResponseBodies: true,
  summaryTrendStats: TREND_STATS,
  systemTags: ['status', 'method', 'scenario', 'error_code', 'expected_response'],
  setupTimeout: '60s',
  thresholds,
  scenarios: {
    load: {
      executor: 'constant-vus',
      vus: VUS,
      duration: `${DURATION_S}s`,
      gracefulStop: '10s',
    },
  },
};

export function setup() {
  const sources = loadSources(imageIds());
  const want = __ENV.SOURCE || 'photo-36mp.jpg';
  const src = sources.find((s) => s.id === want) || sources[0];
  // One canonical render and one trimmed render, one at a time: same cost?
  const canonical = http.get(iiif(src.id, 'full', '!500,500', '0', 'default', 'jpg'), { tags: { name: 'canonical' } });
  const trimmed = http.get(iiif(src.id, `0,0,${src.w - 1001},${src.h}`, '!500,500', '0', 'default', 'jpg'), { tags: { name: 'canonical' } });
  return {
    src,
    canonicalMs: canonical.status === 200 ? canonical.timings.duration : NaN,
    trimmedMs: trimmed.status === 200 ? trimmed.timings.duration : NaN,
  };
}

export default function (data) {
  // Unique per request (for the first million): trim a (1..1000) columns and b
  // (0..999) rows; setup() used 0 and 1001 columns.
  const n = exec.scenario.iterationInTest;
  const a = 1 + (n % 1000);
  const b = Math.floor(n / 1000) % 1000;
  const src = data.src;
  const res = http.get(iiif(src.id, `0,0,${src.w - a},${src.h - b}`, '!500,500', '0', 'default', 'jpg'), {
    tags: { name: 'load' },
    timeout: '30s',
  });
  unexpected.add(res.status !== 200 && res.status !== 503);
  ok.add(res.status === 200);
  if (res.status === 200) {
    lat200.add(res.timings.duration);
    fromCache.add(res.headers['X-Cache'] === 'hit');
  } else if (res.status === 503) {
    lat503.add(res.timings.duration);
    if (RETRY_AFTER) sleep(Number(res.headers['Retry-After']) || 1);
  }
}

export function teardown() {
  recordServer(srv);
}

export function handleSummary(data) {
  const sd = data.setup_data || {};
  const a = vals(data, 'lat_200');
  const b = vals(data, 'lat_503');
  const o = vals(data, 'ok');
  const dur = DURATION_S;
  const lines = [];
  lines.push(`k6 load${SMOKE ? ' --smoke' : ''}: ${VUS} clients, no think time${RETRY_AFTER ? ' (Retry-After honoured)' : ' (503 retried at once)'}, ${sd.src ? `${sd.src.id} (${sd.src.w}x${sd.src.h})` : '?'} → fit 500×500 JPEG, ${dur} s`);
  lines.push(`one render alone: canonical full/!500,500 ${fmtMs(sd.canonicalMs)}, trimmed region ${fmtMs(sd.trimmedMs)}`);
  lines.push(`answers: ${(o.passes || 0) + (o.fails || 0)}, 200: ${pct(o.rate)} (${o.passes || 0}), 503: ${b.count || 0}, other: ${vals(data, 'unexpected_status').passes || 0}; answered from the cache: ${vals(data, 'answered_from_cache').passes || 0}`);
  lines.push(`throughput: ${((a.count || 0) / dur).toFixed(2)} images/s (200s over ${dur} s)`);
  lines.push(`200 latency: med ${fmtMs(a.med)}, p90 ${fmtMs(a['p(90)'])}, p95 ${fmtMs(a['p(95)'])}, p99 ${fmtMs(a['p(99)'])}, max ${fmtMs(a.max)}`);
  lines.push(serverLine(data));
  if (b.count) lines.push(`503 latency: med ${fmtMs(b.med)}, p99 ${fmtMs(b['p(99)'])}, max ${fmtMs(b.max)}`);
  lines.push('');
  lines.push('thresholds:');
  lines.push(...thresholdLines(data));
  return summaryOutputs(data, lines.join('\n'));
}
