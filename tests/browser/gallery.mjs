// Drives Debian's headless Chromium (/usr/bin/chromium) over vignette's gallery, for
// tests/browser.rs: loads `/` at DPR 2, checks the placeholders are in the markup before
// any image loads, scrolls, waits (polling, with a deadline) until every image has
// loaded, then checks that each decoded, that the width Chromium chose from `srcset`
// matches the laid-out width × DPR, that every image response was AVIF with
// `Vary: Accept`, and that nothing was logged as an error; pastes both snippets of the
// first image into a blank page and checks they load; takes a screenshot.
//
// Usage: node gallery.mjs BASE_URL SCREENSHOT.png
// Prints a JSON report on stdout; exits 1 with the failures on stderr.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, screenshot] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error('usage: node gallery.mjs BASE_URL SCREENSHOT.png');
  process.exit(2);
}
const DPR = 2;
const DEADLINE_MS = 120_000;
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };

const profile = mkdtempSync(join(tmpdir(), 'vignette-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 },
  deviceScaleFactor: DPR,
});
const report = { images: [], snippets: {}, errors: [], responses: 0 };
try {
  const page = context.pages()[0] ?? await context.newPage();
  // Image requests wait at this gate until the placeholders have been checked: an image
  // in the first viewport may otherwise load (and clear its placeholder) before the check.
  let openGate;
  const gate = new Promise((resolve) => { openGate = resolve; });
  // Loopback only: anything else is a bug of the page.
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:') return route.continue();
    if (url.hostname !== '127.0.0.1') {
      failures.push(`request off loopback: ${url}`);
      return route.abort();
    }
    if (route.request().resourceType() === 'image') await gate;
    return route.continue();
  });
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push(m.text()); });
  page.on('pageerror', (e) => report.errors.push(String(e)));
  const responses = new Map();
  page.on('response', async (r) => {
    if (r.request().resourceType() !== 'image' || r.url().startsWith('data:')) return;
    responses.set(r.url(), {
      status: r.status(),
      type: await r.headerValue('content-type'),
      vary: (await r.headerValues('vary')).join(', '),
    });
  });

  const main = await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  check(main.status() === 200, `GET / answered ${main.status()}`);
  check((await main.headerValue('accept-ch') ?? '').includes('Sec-CH-DPR'), 'no Accept-CH on the page');

  // Placeholders first: in the markup, and shown by the browser before any image loaded.
  const markup = await main.text();
  const figures = [...markup.matchAll(/<figure><img [^>]*>/g)].map((m) => m[0]);
  check(figures.length >= 3, `only ${figures.length} images in the markup`);
  for (const f of figures) {
    check(f.includes('url(data:image/webp;base64,'), `no placeholder in the markup of ${f.slice(0, 120)}`);
  }
  const styled = await page.$$eval('main figure img', (imgs) => imgs.map((i) => ({
    alt: i.alt,
    complete: i.complete && i.naturalWidth > 0,
    placeholder: i.style.backgroundImage.startsWith('url("data:image/webp;base64,'),
  })));
  check(styled.length === figures.length, `${styled.length} images on the page, ${figures.length} in the markup`);
  for (const s of styled) {
    check(!s.complete, `${s.alt}: loaded before the gate opened`);
    check(s.placeholder, `${s.alt}: no placeholder shown`);
  }
  openGate();

  // Scroll down a viewport at a time so that every lazy image comes near the viewport.
  await page.evaluate(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    for (let y = 0; y <= document.body.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await frame();
    }
  });
  await page.waitForFunction(
    () => [...document.querySelectorAll('main figure img')].every((i) => i.complete),
    null, { timeout: DEADLINE_MS, polling: 100 });

  const measured = await page.$$eval('main figure img', async (imgs) => Promise.all(imgs.map(async (i) => {
    let decoded = true;
    try { await i.decode(); } catch { decoded = false; }
    return {
      alt: i.alt,
      decoded,
      naturalWidth: i.naturalWidth,
      layoutWidth: i.getBoundingClientRect().width,
      currentSrc: i.currentSrc,
      srcset: i.getAttribute('srcset'),
      background: i.style.background,
    };
  })));
  for (const m of measured) {
    const candidates = m.srcset.split(',').map((c) => {
      const [url, w] = c.trim().split(/\s+/);
      return { url, w: parseInt(w, 10) };
    }).sort((a, b) => a.w - b.w);
    const chosen = candidates.find((c) => c.url === m.currentSrc);
    const target = m.layoutWidth * DPR;
    // Chromium picks the smallest candidate at least `target` wide, or the one below it
    // when the target is nearer to it (geometric mean); never further.
    const hi = candidates.findIndex((c) => c.w >= target);
    const allowed = hi === -1 ? [candidates.length - 1] : [hi, hi - 1].filter((i) => i >= 0);
    const response = responses.get(m.currentSrc);
    const entry = { ...m, target, chosenWidth: chosen?.w, largestWidth: candidates.at(-1).w, response };
    delete entry.srcset;
    report.images.push(entry);
    check(m.decoded && m.naturalWidth > 0, `${m.alt}: not decoded`);
    check(chosen, `${m.alt}: currentSrc ${m.currentSrc} is not in srcset`);
    check(chosen && allowed.map((i) => candidates[i].w).includes(chosen.w),
      `${m.alt}: chose ${chosen?.w}w for ${target}px (${m.layoutWidth} CSS px × ${DPR}); candidates ${candidates.map((c) => c.w)}`);
    check(response?.status === 200, `${m.alt}: status ${response?.status}`);
    check(response?.type === 'image/avif', `${m.alt}: served as ${response?.type}, not AVIF`);
    check(/(^|,\s*)Accept(\s*,|$)/.test(response?.vary ?? ''), `${m.alt}: Vary is '${response?.vary}'`);
    check(m.background.startsWith('none'), `${m.alt}: placeholder still shown after load ('${m.background}')`);
  }
  report.responses = responses.size;

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot, scale: 'css' });

  // The snippets of the first image, pasted into a blank page, load as they are.
  const snippets = await page.$$eval('main .item:first-child pre code', (codes) => codes.map((c) => c.textContent));
  check(snippets.length === 2, `${snippets.length} snippets for the first image`);
  for (const [name, snippet] of [['imgproxy', snippets[0]], ['iiif', snippets[1]]]) {
    const blank = await context.newPage();
    await blank.setContent(`<!doctype html><body style="margin:0;width:560px">${snippet}</body>`);
    await blank.waitForFunction(() => {
      const i = document.querySelector('img');
      return i.complete && i.naturalWidth > 0;
    }, null, { timeout: DEADLINE_MS, polling: 100 });
    const src = await blank.$eval('img', (i) => i.currentSrc);
    report.snippets[name] = src;
    check(src.startsWith(base), `${name} snippet loaded ${src}`);
    if (name === 'iiif') check(src.endsWith('.avif'), `the IIIF snippet chose ${src}, not AVIF`);
    await blank.close();
  }
  for (const e of report.errors) failures.push(`console error: ${e}`);
} catch (e) {
  failures.push(`driver: ${e.stack ?? e}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(report, null, 2));
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
