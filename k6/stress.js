// Stress: tight clients far past capacity, then back (see overload.js for the timeline).
// 50 clients pausing 100–300 ms, 5 on cached variants; refusals p99 under 20 ms.
import { overload } from './overload.js';

const s = overload({ name: 'stress', hitVus: 5, thinkMs: [100, 300], refusalP99: 20, slowShare: null });
export const options = s.options;
export const setup = s.setup;
export const burst = s.burst;
export const misses = s.misses;
export const hits = s.hits;
export const teardown = s.teardown;
export const handleSummary = s.handleSummary;
