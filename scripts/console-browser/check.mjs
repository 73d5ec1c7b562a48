// Loads the console's overview (after signing in with the token form) and the petitioner page in
// headless chromium, fails on any console error or failed request, and takes a screenshot of each.
import { chromium } from 'playwright-core';

const base = process.env.CONSOLE_URL;
const token = process.env.CONSOLE_TOKEN;
const shots = process.env.SHOTS;

const context = await chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const errors = [];
const page = context.pages()[0] ?? await context.newPage();
page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

function check(cond, what) {
  if (!cond) { console.error(`FAIL: ${what}`); process.exitCode = 1; } else { console.log(`ok: ${what}`); }
}

await page.goto(`${base}/console`);
check(page.url().includes('/console/login'), 'the overview asks for sign-in');
await page.fill('#token', token);
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
await page.goto(`${base}/console?period=month`);
check((await page.locator('h1').first().textContent()).includes('Tổng quan'), 'overview in Vietnamese');
check(await page.locator('svg.chart rect').count() > 0, 'the bar chart has bars');
check(await page.locator('svg.chart circle').count() > 0, 'the line chart has points');
const cssOk = await page.evaluate(() => getComputedStyle(document.querySelector('header.top')).display === 'flex');
check(cssOk, 'the stylesheet applies under the CSP');
await page.screenshot({ path: `${shots}/overview.png`, fullPage: true });

await page.goto(`${base}/console/watchlist?lang=en`);
check(await page.locator('table tbody tr').count() > 0, 'the watchlist lists cases');
await page.screenshot({ path: `${shots}/watchlist.png`, fullPage: false });

const firstCase = await page.locator('table tbody tr a').first().getAttribute('href');
await page.goto(`${base}${firstCase}`);
await page.screenshot({ path: `${shots}/case.png`, fullPage: false });

const cases = await (await fetch(`${base}/api/v1/cases?per_page=1&open=true`, {
  headers: { authorization: `Bearer ${token}` },
})).json();
const code = cases.items[0].tracking_code;
const mobile = await context.newPage();
mobile.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
mobile.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
await mobile.setViewportSize({ width: 390, height: 844 });
await mobile.context().clearCookies();
await mobile.goto(`${base}/console/track?code=${encodeURIComponent(code)}`);
check(await mobile.locator('.status-card h2').count() === 1, 'the petitioner sees a status without signing in');
await mobile.screenshot({ path: `${shots}/track-mobile.png`, fullPage: true });

check(errors.length === 0, `no console errors (${errors.join('; ')})`);
await context.close();
