// Drives headless chromium over the console served by scripts/console-browser.sh: both sign-ins (the token
// form and the OpenID Connect code flow through the test provider), every page with the demo data, charts,
// filters, paging, the language switch, the auditor page and its download, a Hà Nội inspectorate refused a Hồ
// Chí Minh City case, no console error or unexpected failed request (a CSP violation shows as a console
// error), and axe-core on every page with no serious or critical violation. Takes a screenshot of each page.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.CONSOLE_URL;
const token = process.env.CONSOLE_TOKEN;
const shots = process.env.SHOTS;

const context = await chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  acceptDownloads: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const errors = [];
// Answers that are meant to be refusals (the policy's 403 to another province's case).
const expectedStatus = new Set();
// Only the console is under test: the test provider's own page (its missing favicon) is not.
const ours = (url) => url.startsWith(base);
function watch(page) {
  page.on('console', (m) => {
    if (m.type() !== 'error' || !ours(m.location()?.url || base)) return;
    const refusal = [...expectedStatus].some((u) => (m.location()?.url || '') === u);
    if (!refusal) errors.push(`console: ${m.text()} at ${m.location()?.url}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!r.failure()?.errorText?.includes('ERR_ABORTED')) errors.push(`request failed: ${r.url()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && ours(r.url()) && !expectedStatus.has(r.url())) errors.push(`${r.status()} ${r.url()}`);
  });
}
const page = context.pages()[0] ?? await context.newPage();
watch(page);

let failures = 0;
function check(cond, what) {
  if (!cond) { console.error(`FAIL: ${what}`); failures += 1; } else { console.log(`ok: ${what}`); }
}

/** axe-core, evaluated through the DevTools protocol (the page's CSP allows no script of its own). */
async function accessible(p, name) {
  await p.evaluate(axeSource);
  const result = await p.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `${name}: no serious or critical accessibility violation${bad.length
    ? ` (${bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('; ')})` : ''}`);
}

async function go(p, path) {
  const r = await p.goto(`${base}${path}`);
  return r;
}

// --- Sign-in with the token form -------------------------------------------------------------------------
await go(page, '/console');
check(page.url().includes('/console/login'), 'the overview asks for sign-in');
check(await page.locator('#oidc').count() === 1, 'the sign-in form offers the identity provider');
await accessible(page, 'sign-in');
await page.screenshot({ path: `${shots}/login.png`, fullPage: true });
await page.fill('#token', token);
await Promise.all([page.waitForNavigation(), page.click('form[action="/console/login"] button[type=submit]')]);
check(new URL(page.url()).pathname === '/console', 'the token form signs in');

// --- Overview: KPIs, charts, period filter, drill-down -----------------------------------------------------
await go(page, '/console?period=month');
check((await page.locator('h1').first().textContent()).includes('Tổng quan'), 'overview in Vietnamese');
check(await page.locator('svg.chart rect').count() > 0, 'the bar chart has bars');
check(await page.locator('svg.chart circle').count() > 0, 'the line chart has points');
const cssOk = await page.evaluate(() => getComputedStyle(document.querySelector('header.top')).display === 'flex');
check(cssOk, 'the stylesheet applies under the CSP');
await accessible(page, 'overview');
await page.screenshot({ path: `${shots}/overview.png`, fullPage: true });
await page.selectOption('select[name=agency]', 'UBND-HCM');
await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
check(page.url().includes('agency=UBND-HCM') && (await page.locator('h1').first().textContent()).includes(':'),
  'the agency filter applies');
await go(page, '/console?period=year');
const drill = page.locator('a[href*="agency=UBND-HN"]').first();
check(await drill.count() === 1, 'the drill-down lists Hà Nội');
await Promise.all([page.waitForNavigation(), drill.click()]);
check((await page.locator('h1').first().textContent()).includes(':'), 'drilled down to a province');

// --- Watchlist: rows, a filter, paging, CSV -------------------------------------------------------------
await go(page, '/console/watchlist');
const rows = await page.locator('table tbody tr a').count();
check(rows > 0, 'the watchlist lists cases');
await accessible(page, 'watchlist');
await page.selectOption('select[name=kind]', 'complaint');
await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
const kinds = await page.locator('table tbody tr td:nth-child(3)').allTextContents();
check(page.url().includes('kind=complaint') && kinds.length > 0 && kinds.every((k) => k === kinds[0]),
  `the kind filter keeps one kind (${[...new Set(kinds)].join(', ')})`);
await go(page, '/console/watchlist');
const next = page.locator('a[rel=next]');
if (await next.count() === 1) {
  const first = await page.locator('table tbody tr a').first().textContent();
  await Promise.all([page.waitForNavigation(), next.click()]);
  const second = await page.locator('table tbody tr a').first().textContent();
  check(page.url().includes('page=2') && first !== second, 'paging shows the next page');
} else {
  check(false, 'the demo watchlist has more than one page');
}
// The page's CSP allows no fetch from a script: the request goes through the browser context, with its cookies.
const csv = await page.request.get(`${base}/console/watchlist.csv`);
check(csv.headers()['content-type'].startsWith('text/csv') && (await csv.text()).startsWith('case_id,tracking_code'),
  'the CSV export downloads');

// --- Language switch ------------------------------------------------------------------------------------
await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
check(await page.getAttribute('html', 'lang') === 'en' && (await page.locator('h1').textContent()).includes('Watchlist'),
  'the language switch answers in English');
await page.screenshot({ path: `${shots}/watchlist.png`, fullPage: false });
await go(page, '/console');
check(await page.getAttribute('html', 'lang') === 'en', 'English is remembered');

// --- Case page and auditor page -------------------------------------------------------------------------
await go(page, '/console/watchlist');
const firstCase = await page.locator('table tbody tr a').first().getAttribute('href');
await go(page, firstCase);
check(await page.locator('ol.timeline li').count() > 0, 'the case page shows the timeline');
check((await page.locator('dl.facts').textContent()).includes('✔'), 'the case chain verifies');
await accessible(page, 'case');
await page.screenshot({ path: `${shots}/case.png`, fullPage: false });
const caseId = firstCase.split('/').pop();
await go(page, `/console/audit?case=${caseId}`);
check((await page.locator('#chain').textContent()).includes('✔'), 'the auditor page verifies the chain');
check(await page.locator('#events tbody tr').count() > 0, 'the auditor page lists the events');
await accessible(page, 'audit');
await page.screenshot({ path: `${shots}/audit.png`, fullPage: false });
const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
const bundle = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
check(Array.isArray(bundle.events) && bundle.events.length > 0 && bundle.events.every((e) => e.stream_id === `case-${caseId}`),
  'the audit bundle downloads with the case\'s events');
check(Array.isArray(bundle.public_keys) && bundle.public_keys.length > 0, 'the bundle carries the log\'s key');
await go(page, `/console/audit?case=${caseId}&as_of=2000-01-01`);
check(await page.locator('#events tbody tr td[colspan]').count() === 1, 'replayed as of 2000 there is nothing yet');

// --- The petitioner's page on a phone -------------------------------------------------------------------
const api = async (path) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
const open = await api('/api/v1/cases?per_page=1&open=true');
const code = open.items[0].tracking_code;
const mobile = await context.newPage();
watch(mobile);
await mobile.setViewportSize({ width: 390, height: 844 });
await mobile.goto(`${base}/console/track?code=${encodeURIComponent(code)}`);
check(await mobile.locator('.status-card h2').count() === 1, 'the petitioner sees a status');
await accessible(mobile, 'petitioner page');
await mobile.screenshot({ path: `${shots}/track-mobile.png`, fullPage: true });
await mobile.close();

// --- Sign-out, then the OpenID Connect code flow as a Hà Nội inspectorate -------------------------------
await go(page, '/console?lang=vi');
await Promise.all([page.waitForNavigation(), page.click('form[action="/console/logout"] button')]);
check(page.url().includes('/console/login'), 'signing out ends the session');
await go(page, '/console/watchlist');
check(page.url().includes('/console/login'), 'signed out, the watchlist asks for sign-in again');
await Promise.all([page.waitForNavigation(), page.click('#oidc')]);
check(!page.url().startsWith(base), 'the browser is at the identity provider');
await Promise.all([page.waitForNavigation({ url: (u) => u.href.startsWith(base) }), page.click('button[value="thanh-tra-hn"]')]);
check((await page.locator('header .who').textContent()).includes('oidc:thanh-tra-hn'), 'signed in through the code flow');
const hcm = await api('/api/v1/cases?per_page=1&agency=UBND-HCM');
const hn = await api('/api/v1/cases?per_page=1&agency=UBND-HN');
const refused = `${base}/console/cases/${hcm.items[0].case_id}`;
expectedStatus.add(refused);
const r = await page.goto(refused);
check(r.status() === 403, 'a Hà Nội inspectorate cannot open a Hồ Chí Minh City case');
const allowed = await page.goto(`${base}/console/cases/${hn.items[0].case_id}`);
check(allowed.status() === 200, 'it opens a Hà Nội case');
await go(page, '/console/watchlist');
const agencies = await page.locator('table tbody tr td:nth-child(5)').allTextContents();
check(agencies.length > 0 && agencies.every((a) => a.startsWith('UBND-HN')), 'its watchlist holds only Hà Nội cases');

check(errors.length === 0, `no console errors (${errors.join('; ')})`);
await context.close();
process.exit(failures === 0 ? 0 : 1);
