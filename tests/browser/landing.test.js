// The citizens' start page (/) in a real browser: its ways onward, both languages, WCAG 2.1 AA by
// axe-core on desktop and phone, keyboard order, and the screenshots (target/screenshots, or
// docs/screenshots via `make screenshots`).

import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  DESKTOP, PHONE, ROOT, axeViolations, describeViolations, launchBrowser, openPage, startServer,
} from './harness.js';

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

async function openLanding(viewport = DESKTOP) {
  const page = await openPage(browser, viewport);
  await page.goto(server.url);
  await page.waitForSelector('body[data-language]');
  await page.evaluate(() => document.fonts.ready);
  return page;
}

test('the start page leads citizens to booking and staff to their pages, and every link it has answers', { timeout: 60_000 }, async () => {
  const page = await openLanding();
  assert.match(await page.locator('h1').textContent(), /Bürgeramt per Video/);
  const hrefs = await page.locator('main a, footer a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  for (const href of ['/termin.html', '/dashboard.html', '/uebersicht.html', '/health']) {
    assert.ok(hrefs.includes(href), `links to ${href} (has ${hrefs})`);
  }
  for (const href of hrefs) {
    const response = await fetch(new URL(href, server.url));
    assert.equal(response.status, 200, `${href} answers`);
  }
  // The language choice is remembered for the next page.
  await page.click('button[data-lang="en"]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await page.locator('h1').textContent(), /citizen office by video/);
  assert.equal(await page.title(), 'Virtual citizen office – City of Potsdam');
  await page.reload();
  await page.waitForSelector('body[data-language="en"]');
  await page.context().close();
});

test('axe-core finds no WCAG 2.1 AA violations on the start page in German and English, desktop and phone', { timeout: 120_000 }, async () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const page = await openLanding(viewport);
    for (const lang of ['de', 'en']) {
      await page.click(`button[data-lang="${lang}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
      const violations = await axeViolations(page);
      assert.deepEqual(violations, [], `${lang}, ${name}:\n${describeViolations(violations)}`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on ${name} (${overflow} px too wide)`);
    await page.context().close();
  }
});

test('the keyboard reaches the skip link, the language switch and the booking button in reading order', { timeout: 60_000 }, async () => {
  const page = await openLanding();
  const order = [];
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => {
      const el = document.activeElement;
      return el.dataset.lang ? `lang-${el.dataset.lang}` : el.getAttribute('href') || el.tagName;
    }));
  }
  const expected = ['#main', 'lang-de', 'lang-en', '/termin.html', '/dashboard.html'];
  const positions = expected.map((stop) => order.indexOf(stop));
  assert.ok(positions.every((p) => p >= 0), `Tab reaches ${expected} (got ${order})`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, `Tab order (got ${order})`);
  await page.context().close();
});

test('screenshots of the start page on desktop and phone are written', { timeout: 60_000 }, async () => {
  const dir = process.env.BUERGERAMT_SCREENSHOT_DIR ?? join(ROOT, 'target/screenshots');
  mkdirSync(dir, { recursive: true });
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const page = await openLanding(viewport);
    const path = join(dir, `start-page-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    assert.ok(statSync(path).size > 10_000, `${path} has content`);
    await page.context().close();
  }
});
