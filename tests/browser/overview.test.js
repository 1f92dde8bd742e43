// The staff overview of all offices (/uebersicht.html) in a real browser: today's demo queue, WCAG 2.1 AA by axe-core (with negative
// controls), keyboard-only use, and the screenshots (target/screenshots, or docs/screenshots via
// `make screenshots`).

import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  DESKTOP, PHONE, ROOT, axeViolations, describeViolations, launchBrowser, openOverview, startServer,
} from './harness.js';

const OFFICES = ['potsdam-mitte', 'potsdam-babelsberg'];
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 30_000 });

async function switchToEnglish(page) {
  await page.click('button[data-lang="en"]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
}

test('the overview shows today\'s demo queue of both offices', { timeout: 60_000 }, async () => {
  const page = await openOverview(browser, server.url);
  const day = await page.inputValue('#day');
  const expectedDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
  assert.equal(day, expectedDay, 'the date field starts at today in Potsdam');

  for (const office of OFFICES) {
    const cases = await (await page.request.get(new URL(`api/v1/offices/${office}/queue/${day}`, server.url).toString())).json();
    assert.ok(cases.length > 0, `the demo has cases today at ${office}`);
    const section = page.locator(`section[data-office="${office}"]`);
    assert.equal(await section.locator('tbody tr').count(), cases.length, `one row per case at ${office}`);
    const times = await section.locator('tbody tr td:first-child').allTextContents();
    assert.deepEqual(times, cases.map((c) => c.appointment.local_start.slice(11, 16)));
    // Status is text, not only colour.
    const badges = await section.locator('tbody .kern-badge').allTextContents();
    assert.equal(badges.length, cases.length);
    assert.ok(badges.every((b) => b.trim().length > 0));
  }
  assert.match(await page.locator('h1').textContent(), /Warteschlange/);
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  // KERN-UX is really loaded: its font and its table rules apply.
  assert.match(await page.evaluate(() => getComputedStyle(document.body).fontFamily), /Fira Sans/);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.kern-table')).borderCollapse), 'collapse');

  await switchToEnglish(page);
  assert.match(await page.locator('h1').textContent(), /queue/);
  assert.match(await page.locator('caption').first().textContent(), /^Appointments on /);
  assert.equal(await page.title(), "Today's queue – Virtual citizen office Potsdam");
  await page.context().close();
});

test('pages and KERN-UX files are served with their content types and nosniff; unknown API paths stay API 404s', { timeout: 30_000 }, async () => {
  const expectations = [
    ['', 'text/html; charset=utf-8'],
    ['landing.js', 'text/javascript; charset=utf-8'],
    ['uebersicht.html', 'text/html; charset=utf-8'],
    ['uebersicht.js', 'text/javascript; charset=utf-8'],
    ['site.css', 'text/css; charset=utf-8'],
    ['node_modules/@kern-ux/native/dist/kern.min.css', 'text/css; charset=utf-8'],
    ['node_modules/@kern-ux/native/dist/fonts/fira-sans/FiraSans-Regular.woff2', 'font/woff2'],
  ];
  for (const [path, type] of expectations) {
    const response = await fetch(new URL(path, server.url));
    assert.equal(response.status, 200, `/${path}`);
    assert.equal(response.headers.get('content-type'), type, `/${path}`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', `/${path}`);
  }
  const missing = await fetch(new URL('api/v1/no-such-thing', server.url));
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  assert.equal((await fetch(new URL('health', server.url))).status, 200);
});

test('axe-core reports no WCAG 2.1 AA violations in German and English, on desktop and on a 360×740 phone, and catches injected ones', { timeout: 120_000 }, async () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const page = await openOverview(browser, server.url, viewport);
    const german = await axeViolations(page);
    assert.deepEqual(german, [], `German, ${name}:\n${describeViolations(german)}`);

    await switchToEnglish(page);
    const english = await axeViolations(page);
    assert.deepEqual(english, [], `English, ${name}:\n${describeViolations(english)}`);

    // Negative control: the same check must fail on an image without alt text and an
    // unlabeled input.
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = '/no-such-image.png';
      const field = document.createElement('input');
      field.type = 'text';
      document.querySelector('main').append(img, field);
    });
    const broken = (await axeViolations(page)).map((v) => v.id);
    assert.ok(broken.includes('image-alt'), `axe misses the image without alt text (${name}): ${broken}`);
    assert.ok(broken.includes('label'), `axe misses the unlabeled input (${name}): ${broken}`);
    await page.context().close();
  }
});

test('everything is reachable and operable by keyboard alone', { timeout: 60_000 }, async () => {
  const page = await openOverview(browser, server.url);
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el.dataset.lang ? `lang-${el.dataset.lang}` : el.id || el.getAttribute('href') || el.getAttribute('aria-label') || el.tagName;
  });
  const order = [];
  for (let i = 0; i < 20; i += 1) {
    await page.keyboard.press('Tab');
    const now = await focused();
    if (now === order[0]) break;
    if (order.at(-1) !== now) order.push(now);
  }
  const expected = ['#main', 'lang-de', 'lang-en', 'day', 'Bürgerservice Potsdam-Mitte: Tabelle, seitlich scrollbar',
    'Bürgerservice Potsdam-Babelsberg: Tabelle, seitlich scrollbar', '/health'];
  const positions = expected.map((stop) => order.indexOf(stop));
  assert.ok(positions.every((p) => p >= 0), `Tab reaches ${expected} (got ${order})`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, `Tab order (got ${order})`);

  // The skip link moves the focus to the content.
  await page.reload();
  await page.waitForSelector('body[data-loaded-day]');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), '#main');
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'main');

  // The language switch (just before the content) works with Space.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'lang-en');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.equal(await page.getAttribute('button[data-lang="en"]', 'aria-pressed'), 'true');

  // Changing the date with the arrow keys reloads both tables for the new day.
  const before = await page.inputValue('#day');
  const requested = [];
  page.on('request', (r) => { if (r.url().includes('/queue/')) requested.push(r.url()); });
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'day');
  await page.keyboard.press('ArrowUp');
  const after = await page.inputValue('#day');
  assert.notEqual(after, before, 'ArrowUp changes the date');
  await page.waitForSelector(`body[data-loaded-day="${after}"]`);
  for (const office of OFFICES) {
    assert.ok(requested.some((u) => u.endsWith(`/offices/${office}/queue/${after}`)), `reloads ${office} (${requested})`);
  }
  await page.context().close();
});

// Screenshots go to target/screenshots, so a test run leaves the work tree clean;
// `make screenshots` writes them to docs/screenshots for the README.
test('screenshots of the overview on desktop and phone are written and the page never scrolls sideways', { timeout: 60_000 }, async () => {
  const dir = process.env.BUERGERAMT_SCREENSHOT_DIR ?? join(ROOT, 'target/screenshots');
  mkdirSync(dir, { recursive: true });
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const page = await openOverview(browser, server.url, viewport);
    const path = join(dir, `overview-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    assert.ok(statSync(path).size > 10_000, `${path} has content`);
    // Nothing but the table regions may scroll sideways at this width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page does not scroll sideways on ${name} (${overflow} px too wide)`);
    await page.context().close();
  }
});
