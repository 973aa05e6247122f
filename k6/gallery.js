// Gallery: a page view requests 60 distinct thumbnails at once (http.batch, 60 in
// parallel, as a browser on HTTP/2 does), then, after a pause, the same page again.
// On the first view the instance renders what its queue can take (about
// VIGNETTE_QUEUE_MAX_WAIT_MS of work) and refuses the rest with 503; the refused
// thumbnails go to the hydration queue and are rendered into the cache meanwhile, so
// the second view must be entirely 200, from the cache.
//
// setup() first renders WARM thumbnails one at a time, as any instance that has been
// up for a while has (the wait estimate starts at zero on a fresh instance: WARM=0
// shows that case).
//
// Env: PAGES (1), PAUSE_S (120, as in the issue; smoke 15), THUMBS (60), WARM (4).
import http from 'k6/http';
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  SMOKE, TREND_STATS, fmtMs, iiif, imageIds, loadSources, num, pct, recordServer,
  refusalHeadersOk, scrape, serverGauges, serverLine, summaryOutputs, thresholdLines, vals,
} from './lib.js';

const PAGES = num('PAGES', 1);
const PAUSE_S = num('PAUSE_S', SMOKE ? 15 : 120);
const THUMBS = num('THUMBS', 60);
const WARM = num('WARM', 4);

const first200 = new Trend('first_view_200', true);
const first503 = new Trend('first_view_503', true);
const firstOk = new Rate('first_view_ok');
const firstPage = new Trend('first_view_page', true); // the whole batch
const secondLat = new Trend('second_view_200', true);
const secondOk = new Rate('second_view_ok');
const secondHit = new Rate('second_view_hit');
const secondPage = new Trend('second_view_page', true);
const unexpected = new Rate('unexpected_status');
const badRefusal = new Rate('refusal_headers_bad');
const hydratedIn = new Trend('hydration_drained_s'); // seconds from the first view to an empty hydration queue
const pages503 = new Counter('first_views_with_503');
const srv = serverGauges();

const thresholds = {
  unexpected_status: ['rate==0'],
  refusal_headers_bad: ['rate==0'],
  second_view_ok: ['rate==1'],
  second_view_hit: ['rate==1'],
};
if (!SMOKE) thresholds['http_req_duration{name:gallery}'] = ['max<10000'];

export const options = {
  discardResponseBodies: true,
  summaryTrendStats: TREND_STATS,
  systemTags: ['status', 'method', 'scenario', 'name', 'error_code', 'expected_response'],
  batch: THUMBS,
  batchPerHost: THUMBS,
  setupTimeout: '120s',
  thresholds,
  scenarios: {
    gallery: {
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: PAGES,
      maxDuration: `${PAGES * (PAUSE_S + 60)}s`,
    },
  },
};

export function setup() {
  const sources = loadSources(imageIds()).filter((s) => s.w >= 400 && s.h >= 400);
  for (let i = 0; i < WARM; i++) {
    const s = sources[i % sources.length];
    const r = http.get(iiif(s.id, 'full', '!150,150', '0', 'default', 'jpg'), { tags: { name: 'warm' } });
    if (r.status !== 200) throw new Error(`warm-up render answered ${r.status}`);
  }
  return { sources };
}

/// The page's thumbnails: every source in turn, full or square, boxes of 200–300 px,
/// JPEG or WebP; distinct within the page and from one page to the next.
function page(sources, p) {
  const urls = [];
  for (let i = 0; i < THUMBS; i++) {
    const s = sources[i % sources.length];
    const j = Math.floor(i / sources.length);
    const box = 200 + 16 * j + p;
    const region = (i + j) % 2 ? 'square' : 'full';
    const fmt = j % 2 ? 'webp' : 'jpg';
    urls.push(iiif(s.id, region, `!${box},${box}`, '0', 'default', fmt));
  }
  return urls;
}

function view(urls) {
  const t0 = Date.now();
  const res = http.batch(urls.map((url) => ({ method: 'GET', url, params: { tags: { name: 'gallery' }, timeout: '30s' } })));
  return { res, ms: Date.now() - t0 };
}

function hydrationDepth() {
  const m = scrape();
  return m['vignette_hydration_queue_depth'];
}

export default function (data) {
  const p = exec.scenario.iterationInTest;
  const urls = page(data.sources, p);
  const t0 = Date.now();
  const a = view(urls);
  firstPage.add(a.ms);
  let n503 = 0;
  for (const r of a.res) {
    unexpected.add(r.status !== 200 && r.status !== 503);
    firstOk.add(r.status === 200);
    if (r.status === 200) first200.add(r.timings.duration);
    if (r.status === 503) {
      n503++;
      first503.add(r.timings.duration);
      badRefusal.add(!refusalHeadersOk(r));
    }
  }
  if (n503) pages503.add(1);
  // The pause; meanwhile, note when the hydration queue is empty again.
  let drained = false;
  while (Date.now() - t0 < PAUSE_S * 1000) {
    if (!drained && hydrationDepth() === 0) {
      drained = true;
      hydratedIn.add((Date.now() - t0) / 1000);
    }
    sleep(Math.min(1, Math.max(0, (PAUSE_S * 1000 - (Date.now() - t0)) / 1000)));
  }
  const b = view(urls);
  secondPage.add(b.ms);
  for (const r of b.res) {
    unexpected.add(r.status !== 200 && r.status !== 503);
    secondOk.add(r.status === 200);
    if (r.status === 200) {
      secondLat.add(r.timings.duration);
      secondHit.add(r.headers['X-Cache'] === 'hit');
    } else {
      secondHit.add(false);
    }
  }
}

export function teardown() {
  recordServer(srv);
}

export function handleSummary(data) {
  const f2 = vals(data, 'first_view_200');
  const f5 = vals(data, 'first_view_503');
  const fo = vals(data, 'first_view_ok');
  const s2 = vals(data, 'second_view_200');
  const so = vals(data, 'second_view_ok');
  const sh = vals(data, 'second_view_hit');
  const hd = vals(data, 'hydration_drained_s');
  const lines = [];
  lines.push(`k6 gallery${SMOKE ? ' --smoke' : ''}: ${PAGES} page(s) of ${THUMBS} distinct thumbnails at once, the same page again after ${PAUSE_S} s (warm-up renders: ${WARM})`);
  lines.push(`first view: ${fo.passes || 0} × 200, ${f5.count || 0} × 503 (page ${fmtMs(vals(data, 'first_view_page').max)}); ` +
    `200 latency med ${fmtMs(f2.med)}, p99 ${fmtMs(f2['p(99)'])}, max ${fmtMs(f2.max)}; 503 latency med ${fmtMs(f5.med)}, p99 ${fmtMs(f5['p(99)'])}, max ${fmtMs(f5.max)}`);
  lines.push(`hydration queue empty again ${hd.count ? `${hd.max.toFixed(1)} s` : 'never (within the pause)'} after the first view`);
  lines.push(`second view: ${so.passes || 0}/${(so.passes || 0) + (so.fails || 0)} × 200 (${pct(so.rate)}), X-Cache: hit ${sh.passes || 0}/${(sh.passes || 0) + (sh.fails || 0)}; ` +
    `latency med ${fmtMs(s2.med)}, p99 ${fmtMs(s2['p(99)'])}, max ${fmtMs(s2.max)} (page ${fmtMs(vals(data, 'second_view_page').max)})`);
  lines.push(serverLine(data));
  lines.push('');
  lines.push('thresholds:');
  lines.push(...thresholdLines(data));
  return summaryOutputs(data, lines.join('\n'));
}
