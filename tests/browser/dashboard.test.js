// The clerks' live dashboard in a real browser: a clerk signs in by keyboard, a citizen checks
// in through the API, the row appears without reload with its visible, announced and audible
// cue, the clerk admits by keyboard; axe-core finds no WCAG 2.1 AA violation in German and
// English on desktop and phone (with a negative control); the screenshot is written.

import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  DESKTOP, PHONE, ROOT, axeViolations, describeViolations, launchBrowser, openPage, signIn,
} from './harness.js';
import { DEMO, checkIn, signInByKeyboard, startDemoServer } from './support/staff.mjs';

let server;
let browser;

before(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 30_000 });

const caseIdOf = (token) => {
  const hex = token.split('.')[0];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

test('a clerk sees an arrival appear live with its cues and admits the citizen by keyboard', { timeout: 90_000 }, async () => {
  const page = await openPage(browser, DESKTOP);
  await page.goto(new URL('dashboard.html', server.url).toString());
  await signInByKeyboard(page, DEMO.clerkMitte);
  await page.waitForSelector('body[data-live="open"]');
  // A clerk works in the own office: no office picker.
  assert.equal(await page.isHidden('#office-field'), true);
  const rowsBefore = await page.locator('tbody tr[data-case-id]').count();
  assert.ok(rowsBefore > 0, 'the demo has cases today');
  const waitingBefore = Number(await page.locator('[data-count="waiting"] strong').textContent());
  let reloads = 0;
  page.on('framenavigated', () => { reloads += 1; });

  const caseId = caseIdOf(server.citizenToken);
  const row = page.locator(`tr[data-case-id="${caseId}"]`);
  assert.equal(await row.getAttribute('data-status'), 'booked');
  await checkIn(server.url, server.citizenToken);

  // The row turns into an arrival without a reload: highlighted, labelled, announced, a tone.
  await page.waitForSelector(`tr[data-case-id="${caseId}"].arrival[data-status="waiting"]`);
  assert.match(await row.textContent(), /Neu angekommen/);
  assert.match(await page.locator('#announce').textContent(), /^Neue Ankunft: Termin \d\d:\d\d/);
  assert.equal(await page.getAttribute('#announce', 'aria-live'), 'assertive');
  await page.waitForSelector('body[data-tones="1"]');
  assert.equal(await page.getAttribute('#sound', 'aria-pressed'), 'true');
  assert.equal(Number(await page.locator('[data-count="waiting"] strong').textContent()), waitingBefore + 1);
  assert.equal(reloads, 0, 'no reload');

  const dir = process.env.BUERGERAMT_SCREENSHOT_DIR ?? join(ROOT, 'target/screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'dashboard.png');
  await page.screenshot({ path, fullPage: true });
  assert.ok(statSync(path).size > 10_000, `${path} has content`);

  // Admit by keyboard: focus the row's Admit button, press Enter.
  await row.locator('button[data-action="admit"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`tr[data-case-id="${caseId}"][data-status="admitted"]:not(.arrival)`);
  assert.equal(await row.locator('button').count(), 0, 'an admitted row has no waiting-room buttons');
  assert.equal(await page.textContent('#action-error'), '');

  // The sound toggle is a real button with its state in text and aria-pressed.
  await page.focus('#sound');
  await page.keyboard.press('Space');
  assert.equal(await page.getAttribute('#sound', 'aria-pressed'), 'false');
  assert.equal((await page.textContent('#sound')).trim(), 'Ton aus');
  await page.context().close();
});

test('the dashboard has no WCAG 2.1 AA violations in German and English on desktop and phone, and axe catches an injected one', { timeout: 120_000 }, async () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const page = await openPage(browser, viewport);
    // The auditor picks an office: the picker is part of what is checked.
    await signIn(page, server.url, DEMO.auditor.username, DEMO.auditor.password);
    await page.goto(new URL('dashboard.html', server.url).toString());
    await page.waitForSelector('body[data-live="open"]');
    assert.equal(await page.isVisible('#office'), true);
    await page.evaluate(() => document.fonts.ready);
    const german = await axeViolations(page);
    assert.deepEqual(german, [], `German, ${name}:\n${describeViolations(german)}`);
    await page.click('button[data-lang="en"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await page.locator('h1').textContent(), /Waiting room/);
    const english = await axeViolations(page);
    assert.deepEqual(english, [], `English, ${name}:\n${describeViolations(english)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page does not scroll sideways on ${name} (${overflow} px too wide)`);
    // Negative control: a button without a name must be caught.
    await page.evaluate(() => document.querySelector('main').append(document.createElement('button')));
    const broken = (await axeViolations(page)).map((v) => v.id);
    assert.ok(broken.includes('button-name'), `axe misses the unnamed button (${name}): ${broken}`);
    await page.click('button[data-lang="de"]');
    await page.context().close();
  }
  // And the sign-in form itself, in both languages.
  const page = await openPage(browser, DESKTOP);
  await page.goto(new URL('dashboard.html', server.url).toString());
  await page.waitForSelector('#login:not([hidden])');
  for (const lang of ['de', 'en']) {
    await page.click(`button[data-lang="${lang}"]`);
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `sign-in, ${lang}:\n${describeViolations(violations)}`);
  }
  await page.context().close();
});
