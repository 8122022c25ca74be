// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): it
// connects to the live stream, a number changes after an event is posted, a SKU lookup
// shows positions and ledger entries, the console stays clean, and a screenshot is saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, call, declareShop, receipt, ADMIN } from './harness.mjs';

const output = process.env.STOCKD_TEST_OUTPUT ?? join(tmpdir(), 'stockd-test-output');
let server;
let browser;

before(async () => {
  server = await startServer();
  await declareShop(server);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await server.stop();
});

test('the dashboard goes live, moves with traffic, looks up a SKU, without console errors', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));

  await page.goto(`${server.url}/#token=${ADMIN}`);
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 15000 });
  await page.waitForFunction(() => /in total/.test(document.getElementById('t-events-total').textContent));
  const before = await page.textContent('#t-events-total');

  const posted = await call(server, 'POST', '/v1/events', { body: { events: [receipt('DASH-1', 12), receipt('DASH-1', 3, 'S1')] } });
  assert.equal(posted.status, 200);
  await page.waitForFunction((previous) => document.getElementById('t-events-total').textContent !== previous, before, { timeout: 10000 });
  assert.notEqual(await page.textContent('#t-events-total'), before);
  // The availability change of DASH-1 on web reaches the feed.
  await page.locator('#changes tbody tr', { hasText: 'DASH-1' }).first().waitFor({ timeout: 10000 });
  // Channel and node tables are filled.
  await page.locator('#channels tbody tr', { hasText: 'web' }).waitFor();
  await page.locator('#nodes tbody tr', { hasText: 'W1' }).waitFor();
  await page.locator('#scorecard tbody tr', { hasText: 'Events synced within 5 minutes' }).waitFor();

  await page.fill('#sku', 'DASH-1');
  await page.click('#lookup button');
  await page.locator('#positions tbody tr', { hasText: 'W1' }).waitFor({ timeout: 10000 });
  const w1 = await page.locator('#positions tbody tr', { hasText: 'W1' }).locator('td').allTextContents();
  assert.equal(w1[1], '12');  // on hand
  assert.ok(await page.locator('#ledger tbody tr').count() >= 2);
  assert.match(await page.textContent('#ledger tbody'), /receipt/);

  mkdirSync(output, { recursive: true });
  await page.screenshot({ path: join(output, 'dashboard.png'), fullPage: true });
  // The page must not show raw JSON anywhere.
  assert.ok(!/\{"/.test(await page.textContent('body')));
  assert.deepEqual(problems, []);

  // An unknown SKU says so (the browser logs the API's 404 itself, so after the check).
  await page.fill('#sku', 'NEVER-SEEN');
  await page.click('#lookup button');
  await page.locator('#lookup-message', { hasText: 'No stock has ever been recorded' }).waitFor();
});

test('without a token the page asks for one', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', 'wrong-token');
  await page.click('#login button');
  await page.locator('#login').waitFor({ state: 'visible' });
});
