// The overload scenarios (stress.js, browser.js): far past capacity, then back. Shows the
// failure mode and the recovery. Each scenario file calls `overload(profile)` once, in the
// init context, and exports what it returns.
//
// Timeline (full run; SMOKE=1 shortens it to ≈30 s and keeps functional thresholds only):
//   setup     calibration: CALIB distinct variants rendered one at a time on the idle
//             instance (their median latency is "the median render time"); HIT_VARIANTS
//             variants warmed into the cache for the `hits` scenario;
//   burst     8 simultaneous distinct misses on the idle instance: none may get a 503;
//   misses    starts BURST_WINDOW_S later: ramp 0 → VUS clients over RAMP_S, hold for
//             HOLD_S (the "overload" phase), fall to 1 client for TAIL_S; each request is
//             a distinct, uncached variant of a large source (random crop, width,
//             format), then the client thinks (the profile's pause);
//   hits      HIT_VUS clients on the warmed variants during the whole `misses` scenario.
//
// Phases (tag `phase`, measured from the start of `misses`): burst, ramp, overload
// (the plateau), fallback (the first FALLBACK_S after the load falls), recovery (the
// rest). Every request is tagged `kind` (miss | hit) and `phase`; latencies are kept in
// one Trend per kind × status × phase (lat_miss_503_overload, …).
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  SMOKE, TARGET_MS, TREND_STATS, fmtMs, imageIds, iiif, largeSources, loadSources, lpad,
  median, num, pad, pct, pickLarge, randomVariant, recordServer, refusalHeadersOk, serverGauges,
  serverLine, summaryOutputs, thresholdLines, vals, warmHit,
} from './lib.js';
import { sleep } from 'k6';

/// A scenario's profile:
///   name         its name in the summary;
///   hitVus       clients on cached variants;
///   thinkMs      [min, max] pause of a client between two requests;
///   refusalP99   goal for the p99 of the 503s of the overload, ms;
///   slowShare    goal for the share of 503s slower than 250 ms (null: none).
export function overload(profile) {

  const VUS = num('VUS', 50);
  const HIT_VUS = num('HIT_VUS', SMOKE ? 2 : profile.hitVus);
  const [THINK_MIN_MS, THINK_MAX_MS] = [num('THINK_MIN_MS', profile.thinkMs[0]), num('THINK_MAX_MS', profile.thinkMs[1])];
  function think() {
    const ms = THINK_MIN_MS + Math.random() * (THINK_MAX_MS - THINK_MIN_MS);
    if (ms > 0) sleep(ms / 1000);
  }
  const BURST = num('BURST', 8);
  const BURST_WINDOW_S = num('BURST_WINDOW_S', SMOKE ? 5 : 10);
  const RAMP_S = num('RAMP_S', SMOKE ? 2 : 10);
  const HOLD_S = num('HOLD_S', SMOKE ? 10 : 50);
  const TAIL_S = num('TAIL_S', SMOKE ? 10 : 30);
  const FALLBACK_S = num('FALLBACK_S', SMOKE ? 5 : 10);
  const CALIB = num('CALIB', SMOKE ? 4 : 12);
  const HIT_VARIANTS = num('HIT_VARIANTS', 4);
  const FALL_S = RAMP_S + HOLD_S; // when the load falls, from the start of `misses`

  /// A 503 slower than this is a slow refusal: the client waited and was refused anyway.
  const SLOW_REFUSAL_MS = 250;
  const PHASES = ['burst', 'ramp', 'overload', 'fallback', 'recovery'];
  const KINDS = ['miss', 'hit'];

  // Latency by kind × status × phase.
  const lat = {};
  for (const k of KINDS) {
    for (const s of ['200', '503']) {
      for (const p of PHASES) lat[`${k}_${s}_${p}`] = new Trend(`lat_${k}_${s}_${p}`, true);
    }
  }
  // Share of 200 answers by kind × phase.
  const ok = {};
  for (const k of KINDS) for (const p of PHASES) ok[`${k}_${p}`] = new Rate(`ok_${k}_${p}`);

  const unexpected = new Rate('unexpected_status'); // anything but 200 or 503 (0 = network error)
  const badRefusal = new Rate('refusal_headers_bad'); // 503 without Retry-After or no-store
  const slow503 = new Rate('refusal_after_wait'); // share of 503s that took ≥ 250 ms: the slow refusals
  const fast503 = new Trend('lat_miss_503_overload_admission', true); // the 503s of the overload that did not wait (< TARGET_MS/2)
  const last503 = new Trend('refusal_after_fall_s'); // seconds after the fall of each later 503
  const excess = new Trend('miss_200_overload_minus_render', true); // 200 latency − median render
  const xcacheHit = new Counter('miss_answered_from_cache'); // random variant that was already cached
  const degraded = new Counter('miss_degraded'); // 200 with another cached size or a cheaper format
  const hitWasHit = new Rate('hit_xcache_hit'); // hits answered with X-Cache: hit
  const srv = serverGauges();

  const thresholds = {
    // Functional (smoke too): statuses, refusal headers, recovery.
    unexpected_status: ['rate==0'],
    refusal_headers_bad: ['rate==0'],
    ok_miss_recovery: [SMOKE ? 'rate>=0.9' : 'rate>=0.99'],
  };
  if (!SMOKE) {
    Object.assign(thresholds, {
      // No request slower than 10 s, whatever the phase.
      'http_req_duration{kind:miss}': ['max<10000'],
      'http_req_duration{kind:hit}': ['max<10000'],
      // Refuse at admission: 503s are fast.
      lat_miss_503_overload: [`p(99)<${profile.refusalP99}`],
      // Admitted work never waited long: median ≤ target + median render, p99 < 2.5 s.
      miss_200_overload_minus_render: [`med<=${TARGET_MS}`],
      lat_miss_200_overload: ['p(99)<2500'],
      // A burst of 8 on an idle instance: every request answered 200.
      ok_miss_burst: ['rate==1'],
      // Cache hits keep flowing during the overload, fast.
      ok_hit_overload: ['rate==1'],
      lat_hit_200_overload: ['p(99)<100'],
    });
    if (profile.slowShare !== null) thresholds.refusal_after_wait = [`rate<=${profile.slowShare}`];
  }

  const options = {
    discardResponseBodies: true,
    summaryTrendStats: TREND_STATS,
    // `url` and `name` would make one time series per distinct variant.
    systemTags: ['status', 'method', 'scenario', 'error_code', 'expected_response'],
    setupTimeout: '120s',
    teardownTimeout: '30s',
    thresholds,
    scenarios: {
      burst: {
        executor: 'per-vu-iterations',
        exec: 'burst',
        vus: BURST,
        iterations: 1,
        maxDuration: `${BURST_WINDOW_S}s`,
        gracefulStop: '0s',
      },
      misses: {
        executor: 'ramping-vus',
        exec: 'misses',
        startTime: `${BURST_WINDOW_S}s`,
        startVUs: 0,
        stages: [
          { duration: `${RAMP_S}s`, target: VUS },
          { duration: `${HOLD_S}s`, target: VUS },
          { duration: '1s', target: 1 },
          { duration: `${TAIL_S - 1}s`, target: 1 },
        ],
        gracefulRampDown: '3s',
        gracefulStop: '5s',
      },
      hits: {
        executor: 'constant-vus',
        exec: 'hits',
        startTime: `${BURST_WINDOW_S}s`,
        vus: HIT_VUS,
        duration: `${RAMP_S + HOLD_S + TAIL_S}s`,
        gracefulStop: '5s',
      },
    },
  };

  function setup() {
    const sources = loadSources(imageIds());
    const large = largeSources(sources);
    // Calibration: distinct variants of the same kind as the stress, one at a time.
    const calib = [];
    for (let i = 0; i < CALIB; i++) {
      const r = http.get(randomVariant(pickLarge(large)), { tags: { name: 'calibration', kind: 'setup' } });
      if (r.status !== 200) throw new Error(`calibration render answered ${r.status}`);
      calib.push(r.timings.duration);
    }
    // The variants the `hits` clients request, warmed until the cache answers them.
    const hits = [];
    for (let i = 0; i < HIT_VARIANTS; i++) {
      const src = large[i % large.length];
      const fmt = i < large.length ? 'jpg' : 'webp';
      hits.push(iiif(src.id, 'full', '!400,400', '0', 'default', fmt));
    }
    for (const u of hits) {
      if (!warmHit(u, 30)) throw new Error(`${u} never became a cache hit`);
    }
    return {
      large,
      hits,
      calibMs: median(calib),
      calib: calib.map((x) => Math.round(x)),
    };
  }

  // Seconds since the start of `misses` (and `hits`, which start with it).
  function phaseNow() {
    const t = (Date.now() - exec.scenario.startTime) / 1000;
    if (t < RAMP_S) return 'ramp';
    if (t < FALL_S) return 'overload';
    if (t < FALL_S + FALLBACK_S) return 'fallback';
    return 'recovery';
  }

  function record(res, kind, phase, data, startedAt) {
    const s = res.status;
    const d = res.timings.duration;
    const tags = { kind, phase };
    unexpected.add(s !== 200 && s !== 503, tags);
    ok[`${kind}_${phase}`].add(s === 200);
    if (s === 200 || s === 503) lat[`${kind}_${s}_${phase}`].add(d);
    if (s === 503) {
      badRefusal.add(!refusalHeadersOk(res), tags);
      slow503.add(d >= SLOW_REFUSAL_MS, tags);
      if (kind === 'miss' && phase === 'overload' && d < TARGET_MS / 2) fast503.add(d);
      if (kind === 'miss' && (phase === 'fallback' || phase === 'recovery')) {
        last503.add((startedAt - exec.scenario.startTime) / 1000 - FALL_S);
      }
    } else if (s !== 200) {
      console.warn(`${kind} ${phase}: status ${s} ${res.error || ''}`);
    }
    if (s === 200 && kind === 'miss') {
      if (res.headers['X-Cache'] === 'hit') xcacheHit.add(1);
      if (res.headers['X-Vignette-Degraded']) degraded.add(1, { phase });
      if (phase === 'overload') excess.add(d - data.calibMs);
    }
    if (s === 200 && kind === 'hit') hitWasHit.add(res.headers['X-Cache'] === 'hit');
  }

  function burst(data) {
    const res = http.get(randomVariant(pickLarge(data.large)), {
      tags: { name: 'burst', kind: 'miss', phase: 'burst' },
    });
    record(res, 'miss', 'burst', data, Date.now());
  }

  function misses(data) {
    const phase = phaseNow();
    const startedAt = Date.now();
    const res = http.get(randomVariant(pickLarge(data.large)), {
      tags: { name: 'miss', kind: 'miss', phase },
      timeout: '30s',
    });
    record(res, 'miss', phase, data, startedAt);
    think();
  }

  function hits(data) {
    const phase = phaseNow();
    const startedAt = Date.now();
    const url = data.hits[Math.floor(Math.random() * data.hits.length)];
    const res = http.get(url, { tags: { name: 'hit', kind: 'hit', phase }, timeout: '30s' });
    record(res, 'hit', phase, data, startedAt);
    think();
  }

  function teardown() {
    recordServer(srv);
  }

  // ---- summary ----

  function row(data, kind, phase) {
    const o = vals(data, `ok_${kind}_${phase}`);
    const a = vals(data, `lat_${kind}_200_${phase}`);
    const b = vals(data, `lat_${kind}_503_${phase}`);
    const n = (a.count || 0) + (b.count || 0);
    if (!n && !o.passes && !o.fails) return null;
    return [
      pad(`${kind}/${phase}`, 16),
      lpad(n, 6),
      lpad(pct(o.rate), 7),
      lpad(fmtMs(a.med), 9), lpad(fmtMs(a['p(90)']), 9), lpad(fmtMs(a['p(99)']), 9), lpad(fmtMs(a.max), 9),
      lpad(b.count || 0, 6),
      lpad(fmtMs(b.med), 9), lpad(fmtMs(b['p(99)']), 9), lpad(fmtMs(b.max), 9),
    ].join(' ');
  }

  function goal(label, measured, target, pass) {
    const verdict = pass === null ? 'info' : pass ? 'met' : 'NOT MET';
    return `  ${pad(label, 52)} ${pad(measured, 30)} ${pad(target, 22)} ${verdict}`;
  }

  function handleSummary(data) {
    const sd = data.setup_data || {};
    const calibMs = sd.calibMs;
    const lines = [];
    lines.push(`k6 ${profile.name}${SMOKE ? ' --smoke' : ''}: ${VUS} clients (think ${THINK_MIN_MS}–${THINK_MAX_MS} ms) on distinct uncached variants, ${HIT_VUS} on ${HIT_VARIANTS} cached variants`);
    lines.push(`timeline from the start of 'misses': ramp 0–${RAMP_S} s, overload ${RAMP_S}–${FALL_S} s, fallback ${FALL_S}–${FALL_S + FALLBACK_S} s, recovery ${FALL_S + FALLBACK_S}–${FALL_S + TAIL_S} s; burst of ${BURST} ${BURST_WINDOW_S} s before`);
    if (sd.large) lines.push(`large sources: ${sd.large.map((s) => `${s.id} (${s.w}x${s.h})`).join(', ')}`);
    lines.push(`median render time (calibration, ${sd.calib ? sd.calib.length : 0} renders one at a time): ${fmtMs(calibMs)}  [${(sd.calib || []).join(', ')} ms]`);
    lines.push(serverLine(data));
    lines.push('');
    lines.push('  ' + [pad('kind/phase', 16), lpad('n', 6), lpad('200', 7), lpad('200 med', 9), lpad('p90', 9), lpad('p99', 9), lpad('max', 9),
      lpad('503 n', 6), lpad('503 med', 9), lpad('p99', 9), lpad('max', 9)].join(' '));
    for (const k of KINDS) {
      for (const p of PHASES) {
        const r = row(data, k, p);
        if (r) lines.push('  ' + r);
      }
    }
    lines.push('');
    const maxOf = (names) => Math.max(...names.map((n) => vals(data, n).max || 0));
    const allMiss = [];
    const allHit = [];
    for (const p of PHASES) {
      for (const s of ['200', '503']) {
        allMiss.push(`lat_miss_${s}_${p}`);
        allHit.push(`lat_hit_${s}_${p}`);
      }
    }
    const maxAll = Math.max(maxOf(allMiss), maxOf(allHit));
    const r503 = vals(data, 'lat_miss_503_overload');
    const r200 = vals(data, 'lat_miss_200_overload');
    const burstOk = vals(data, 'ok_miss_burst');
    const rec = vals(data, 'ok_miss_recovery');
    const hitOk = vals(data, 'ok_hit_overload');
    const hit200 = vals(data, 'lat_hit_200_overload');
    const late = vals(data, 'refusal_after_wait');
    const fall = vals(data, 'refusal_after_fall_s');
    const bound = calibMs + TARGET_MS;
    lines.push('  goal (overload = the plateau of the 50-client phase)' + ' '.repeat(3) + pad('measured', 30) + ' ' + pad('goal', 22));
    lines.push(goal('no request slower than 10 s (every phase)', fmtMs(maxAll), '< 10 s', maxAll < 10000));
    lines.push(goal('503 p99 during the overload', `${fmtMs(r503['p(99)'])} (n=${r503.count || 0})`, `< ${profile.refusalP99} ms`, r503.count ? r503['p(99)'] < profile.refusalP99 : null));
    const fa = vals(data, 'lat_miss_503_overload_admission');
    lines.push(goal('  of which refused at admission (< target/2): p99', `${fmtMs(fa['p(99)'])} (n=${fa.count || 0}, max ${fmtMs(fa.max)})`, '', null));
    const slowGoal = profile.slowShare === null ? null : (late.rate || 0) <= profile.slowShare;
    lines.push(goal(`503s slower than ${SLOW_REFUSAL_MS} ms`, `${late.passes || 0} of ${(late.passes || 0) + (late.fails || 0)} (${pct(late.rate)}), all phases`, profile.slowShare === null ? '' : `≤ ${pct(profile.slowShare)}`, slowGoal));
    lines.push(goal('200 median during the overload', `${fmtMs(r200.med)} (n=${r200.count || 0})`, `≤ ${TARGET_MS} + ${fmtMs(calibMs)} = ${fmtMs(bound)}`, r200.count ? r200.med <= bound : null));
    lines.push(goal('200 p99 during the overload', fmtMs(r200['p(99)']), '< 2.5 s', r200.count ? r200['p(99)'] < 2500 : null));
    lines.push(goal(`answers 200 from ${FALLBACK_S} s after the fall (misses)`, `${pct(rec.rate)} (${rec.passes || 0}/${(rec.passes || 0) + (rec.fails || 0)})`, '≥ 99%', (rec.passes || rec.fails) ? rec.rate >= 0.99 : null));
    lines.push(goal('last 503 after the fall', fall.count ? `${fall.max.toFixed(1)} s after (${fall.count} in all)` : 'none', '', null));
    lines.push(goal(`burst of ${BURST} on an idle instance: 200s`, `${burstOk.passes || 0}/${(burstOk.passes || 0) + (burstOk.fails || 0)}`, `${BURST}/${BURST}`, (burstOk.passes || burstOk.fails) ? burstOk.rate === 1 : null));
    lines.push(goal('cache hits during the overload: 200', `${pct(hitOk.rate)} (n=${(hitOk.passes || 0) + (hitOk.fails || 0)})`, '100%', (hitOk.passes || hitOk.fails) ? hitOk.rate === 1 : null));
    lines.push(goal('cache hits during the overload: p99', `${fmtMs(hit200['p(99)'])} (med ${fmtMs(hit200.med)}, max ${fmtMs(hit200.max)})`, '< 100 ms', hit200.count ? hit200['p(99)'] < 100 : null));
    lines.push(goal('unexpected statuses (not 200/503)', `${vals(data, 'unexpected_status').passes || 0}`, '0', (vals(data, 'unexpected_status').passes || 0) === 0));
    lines.push(goal('503 without Retry-After or no-store', `${vals(data, 'refusal_headers_bad').passes || 0}`, '0', (vals(data, 'refusal_headers_bad').passes || 0) === 0));
    lines.push(goal('random misses answered from the cache', `${vals(data, 'miss_answered_from_cache').count || 0}`, '', null));
    lines.push(goal('misses answered degraded (other size, cheaper format)', `${vals(data, 'miss_degraded').count || 0}`, '', null));
    lines.push('');
    lines.push('thresholds:');
    lines.push(...thresholdLines(data));
    return summaryOutputs(data, lines.join('\n'));
  }

  return { options, setup, burst, misses, hits, teardown, handleSummary };
}
