// Browser-like overload (issue 13's pattern): 50 clients that pause 100 ms between
// requests for distinct variants of the large sources, 3 clients on cached variants, then
// one client after the overload (see overload.js for the timeline). Goals: 503 p99 under
// 50 ms and no more than 0.1 % of 503s slower than 250 ms (no slow refusals), 200 p99
// ≤ 2.5 s, hits p99 < 100 ms, ≥ 99 % 200 from 10 s after the fall, nothing over 10 s.
import { overload } from './overload.js';

const s = overload({ name: 'browser', hitVus: 3, thinkMs: [100, 100], refusalP99: 50, slowShare: 0.001 });
export const options = s.options;
export const setup = s.setup;
export const burst = s.burst;
export const misses = s.misses;
export const hits = s.hits;
export const teardown = s.teardown;
export const handleSummary = s.handleSummary;
