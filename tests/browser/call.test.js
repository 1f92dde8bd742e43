// The call pages in real Chromium (fake camera and microphone, WebRTC on loopback).
//
// First the page against a scripted signalling server (support/fake-sfu.mjs: the protocol of
// docs/signalling.md played by the test, media through a browser peer): labels, chat, the
// waiting room, reconnect with rejoin, ICE restart, a final refusal — things the real server does
// not do on cue. Then the full flow against the real binary and its SFU: book → check in → the
// clerk admits on the dashboard → opens the call → the citizen joins → frames decoded on both
// sides through the SFU's address → chat both ways → identity checked → hang up → the case shows
// the session; the device check's round trip; axe-core on the call page for citizen and clerk,
// desktop and phone, German and English; an interpreter joining by invite.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DESKTOP, PHONE, ROOT, axeViolations, describeViolations } from './harness.js';
import { endpoint, launchCallBrowser, openCallPage, waitForFrames } from './support/call.mjs';
import { bookByApi, startCitizenServer } from './support/citizen.mjs';
import { startCoturn } from './support/coturn.mjs';
import { startFakeSfu } from './support/fake-sfu.mjs';
import { startSmtpSink } from './support/smtp.mjs';
import { DEMO, signInByKeyboard, startDemoServer } from './support/staff.mjs';

const SHOTS = process.env.BUERGERAMT_SCREENSHOT_DIR ?? join(ROOT, 'target/screenshots');
// The pages of this checkout, whichever checkout built the binary (the servers inherit this).
process.env.BUERGERAMT_WEB_DIR ??= join(ROOT, 'web');

let browser;

before(async () => {
  browser = await launchCallBrowser();
  mkdirSync(SHOTS, { recursive: true });
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
}, { timeout: 30_000 });

/** axe in German and in English on the current state; returns to the language it found. */
async function assertAccessible(page, what) {
  const start = await page.getAttribute('html', 'lang');
  for (const lang of start === 'en' ? ['en', 'de'] : ['de', 'en']) {
    if ((await page.getAttribute('html', 'lang')) !== lang) {
      await page.click(`button[data-lang="${lang}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    }
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${what} (${lang}):\n${describeViolations(violations)}`);
  }
  if ((await page.getAttribute('html', 'lang')) !== start) {
    await page.click(`button[data-lang="${start}"]`);
    await page.waitForFunction((l) => document.documentElement.lang === l, start);
  }
}

const FAKE_CASE = {
  case_id: 'fake-case',
  status: 'in_call',
  version: 7,
  service: { id: 'meldebescheinigung', name_de: 'Meldebescheinigung', name_en: 'Certificate of registration' },
  appointment: { starts_at: '2026-11-25T09:00:00Z', local_start: '2026-11-25T10:00:00', duration_minutes: 15 },
  identity: null,
  documents: [{ document_id: 'd1', document_type: 'personalausweis', status: 'uploaded', size_bytes: 1000 }],
  fee: { amount_cents: 1000, status: 'assessed' },
  notes: [{ text: 'Rückruf erbeten', at: '2026-11-25T08:30:00Z' }],
  call: { session_id: 'fake-session' },
};

/** True when the focused element looks different from the same element unfocused. */
function focusIsVisible(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const look = () => {
      const style = getComputedStyle(el);
      return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow, style.borderColor, style.backgroundColor].join(' ');
    };
    const focused = look();
    el.blur();
    const plain = look();
    el.focus();
    return focused !== plain;
  });
}

/** The page fits its width without sideways scrolling. */
const fitsWidth = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe('the call page against a scripted signalling server', () => {
  let server;
  let sfuPage;

  before(async () => {
    server = await startDemoServer();
    sfuPage = await openCallPage(browser, { viewport: DESKTOP });
    await sfuPage.goto(new URL('health', server.url).toString());
  }, { timeout: 60_000 });

  after(async () => {
    await sfuPage?.context().close();
    await server?.stop();
  }, { timeout: 30_000 });

  async function enter(fake, fragment, options = {}) {
    const page = await openCallPage(browser, { viewport: DESKTOP, ...options });
    await fake.attach(page);
    // The clerk's case panel reads the staff API; here a case of the agreed shape stands in.
    await page.route('**/api/v1/cases/fake-case', (route) => route.fulfill({ json: FAKE_CASE }));
    await page.goto(new URL(`anruf.html#${fragment}`, server.url).toString());
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }

  test('two participants see and label each other, chat both ways and hang up', { timeout: 120_000 }, async () => {
    const fake = await startFakeSfu(sfuPage, { names: { clerk: 'Frau Beispiel' } });
    const clerk = await enter(fake, 'case=fake-case');
    await clerk.waitForSelector('body[data-call-state="in_call"]');
    const citizen = await enter(fake, 'token=fake-token');
    assert.equal(new URL(citizen.url()).hash, '', 'the token leaves the address bar');

    await citizen.waitForSelector('#remote-videos li[data-role="clerk"]');
    await clerk.waitForSelector('#remote-videos li[data-role="citizen"]');
    const seen = await waitForFrames(citizen);
    await waitForFrames(clerk);
    assert.ok(seen.framesDecoded > 0);
    assert.match(await citizen.textContent('#remote-videos li[data-role="clerk"] figcaption'), /^Sachbearbeitung: Frau Beispiel/);
    assert.match(await clerk.textContent('#remote-videos li[data-role="citizen"] figcaption'), /^Bürger\/in/);
    assert.equal(await citizen.getAttribute('#remote-videos video', 'aria-label'), 'Video: Sachbearbeitung: Frau Beispiel');
    assert.equal(await citizen.evaluate(() => document.getElementById('own-video').muted), true, 'the own preview is muted');
    assert.match(await citizen.textContent('#not-recorded'), /nicht aufgezeichnet/);
    assert.equal(await clerk.isVisible('#end-call'), true, 'the clerk can end the call');
    assert.equal(await citizen.isVisible('#end-call'), false, 'the citizen cannot');

    // Chat, both ways, by keyboard: Enter sends.
    await citizen.focus('#chat-input');
    await citizen.keyboard.type('Guten Tag, hier ist mein Ausweis.');
    await citizen.keyboard.press('Enter');
    await clerk.waitForSelector('#chat-log div[data-from="other"]');
    assert.match(await clerk.textContent('#chat-log'), /Guten Tag, hier ist mein Ausweis\./);
    assert.match(await citizen.textContent('#chat-log div[data-from="self"]'), /Sie/);
    await clerk.fill('#chat-input', 'Danke, <b>gut</b> lesbar.');
    await clerk.click('#chat-send');
    await citizen.waitForSelector('#chat-log div[data-from="other"]');
    assert.match(await citizen.textContent('#chat-log div[data-from="other"]'), /<b>gut<\/b>/, 'chat is shown as text, never as HTML');
    assert.equal(await citizen.getAttribute('#chat-log', 'role'), 'log');

    // Muting tells the others; the button says what it does next.
    await citizen.click('#mic-toggle');
    assert.equal(await citizen.getAttribute('#mic-toggle', 'aria-pressed'), 'true');
    assert.match(await citizen.textContent('#mic-toggle'), /Mikrofon einschalten/);
    await clerk.waitForFunction(() => /Mikrofon aus/.test(document.querySelector('#remote-videos li[data-role="citizen"] figcaption').textContent));
    const states = fake.log.filter((l) => l.type === 'media-state').map((l) => l.message);
    assert.deepEqual(states.at(-1), { type: 'media-state', v: 1, audio: false, video: true, screen: false });

    await citizen.click('#hang-up');
    await citizen.waitForSelector('body[data-finished="left"]');
    assert.ok(fake.log.some((l) => l.type === 'leave'), 'hanging up sends leave');
    assert.equal(await citizen.evaluate(() => document.activeElement.id), 'ended-heading');
    await clerk.waitForSelector('#remote-videos li[data-role="citizen"]', { state: 'detached' });
    assert.equal(await clerk.isVisible('#nobody'), true, 'the clerk sees that nobody else is in the call');
    await clerk.click('#end-call');
    await clerk.waitForSelector('body[data-finished="ended"]');
    assert.ok(fake.log.some((l) => l.type === 'end'), 'the clerk\'s "end the call" sends end');
    assert.deepEqual([...citizen.errors, ...clerk.errors], []);
    await citizen.context().close();
    await clerk.context().close();
  });

  test('a citizen waits in the waiting room without media until admitted', { timeout: 90_000 }, async () => {
    const fake = await startFakeSfu(sfuPage, { wait: true, echo: true });
    const citizen = await enter(fake, 'token=fake-token');
    await citizen.waitForSelector('body[data-call-state="waiting"]');
    assert.match(await citizen.textContent('#call-status'), /Sie sind im Wartezimmer/);
    assert.equal(await citizen.getAttribute('#call-status', 'role'), 'status');
    assert.equal(await citizen.evaluate(() => window.__peerConnections.length), 0, 'no media before admission');
    await assertAccessible(citizen, 'waiting room');
    await fake.admit();
    await citizen.waitForSelector('body[data-call-state="in_call"]');
    const stats = await waitForFrames(citizen);
    assert.ok(stats.framesDecoded > 0, 'the echoed picture arrives');
    await citizen.context().close();
  });

  test('a dropped socket is reconnected and joined again; a disconnected connection asks for an ICE restart; a refusal is final', { timeout: 120_000 }, async () => {
    const fake = await startFakeSfu(sfuPage, { echo: true });
    const citizen = await enter(fake, 'token=fake-token');
    await waitForFrames(citizen);
    const joinsBefore = fake.log.filter((l) => l.type === 'join').length;
    // The control: a healthy connection never asks for an ICE restart.
    await citizen.waitForTimeout(2500);
    assert.equal(fake.log.filter((l) => l.type === 'ice-restart').length, 0, 'no ICE restart while connected');

    fake.disconnect();
    await citizen.waitForSelector('#connection[data-quality="disconnected"]');
    const deadline = Date.now() + 10_000;
    while (!fake.log.some((l) => l.type === 'ice-restart') && Date.now() < deadline) await citizen.waitForTimeout(100);
    assert.ok(fake.log.some((l) => l.type === 'ice-restart'), 'connection: disconnected makes the page ask for an ICE restart');

    fake.dropAll();
    await citizen.waitForSelector('body[data-call-state="reconnecting"]');
    await citizen.waitForSelector('body[data-call-state="in_call"]', { timeout: 20_000 });
    const joins = fake.log.filter((l) => l.type === 'join');
    assert.equal(joins.length, joinsBefore + 1, 'one new join after the drop');
    assert.equal(joins.at(-1).message.token, 'fake-token', 'with the same token, from this tab\'s storage');
    await waitForFrames(citizen);

    // Negative control: a refusal (4403) is final; the page says so and does not join again.
    const refusing = await openCallPage(browser, { viewport: DESKTOP });
    let attempts = 0;
    await refusing.routeWebSocket(/\/api\/v1\/call\/ws$/, (ws) => {
      attempts += 1;
      ws.onMessage(() => ws.close({ code: 4403, reason: 'forbidden' }));
    });
    await refusing.goto(new URL('anruf.html#token=other', server.url).toString());
    await refusing.waitForSelector('body[data-finished="error"]');
    assert.match(await refusing.textContent('#ended-reason'), /nicht teilnehmen/);
    await refusing.waitForTimeout(1500);
    assert.equal(attempts, 1, 'no second attempt after 4403');
    await refusing.context().close();
    await citizen.context().close();
  });

  test('screen sharing swaps the track on the same sender without a new offer, and the camera comes back', { timeout: 90_000 }, async () => {
    const fake = await startFakeSfu(sfuPage, { echo: true });
    const citizen = await enter(fake, 'token=fake-token');
    await waitForFrames(citizen);
    const sentVideo = () => citizen.evaluate(() => window.__peerConnections.at(-1).getSenders().find((s) => s.track?.kind === 'video')?.track.label);
    const camera = await sentVideo();
    const offersBefore = fake.log.filter((l) => l.type === 'offer').length;
    await citizen.click('#screen-toggle');
    await citizen.waitForSelector('#screen-toggle[aria-pressed="true"]');
    assert.match(await sentVideo(), /^screen/, 'the screen is sent');
    assert.match(await citizen.textContent('#screen-toggle'), /Teilen beenden/);
    await citizen.click('#screen-toggle');
    await citizen.waitForSelector('#screen-toggle[aria-pressed="false"]');
    assert.equal(await sentVideo(), camera, 'the camera is sent again');
    assert.equal(fake.log.filter((l) => l.type === 'offer').length, offersBefore, 'no new negotiation');
    const screens = fake.log.filter((l) => l.type === 'media-state').map((l) => l.message.screen);
    assert.deepEqual(screens.slice(-2), [true, false], 'the others are told');
    await citizen.context().close();
  });

  test('every call control is reached and operated by keyboard, with a visible focus', { timeout: 90_000 }, async () => {
    const fake = await startFakeSfu(sfuPage, { echo: true });
    const clerk = await enter(fake, 'case=fake-case');
    await waitForFrames(clerk);
    await clerk.waitForSelector('#case-panel[data-loaded="true"]');
    const wanted = ['mic-toggle', 'camera-toggle', 'screen-toggle', 'hang-up', 'end-call', 'chat-log', 'chat-input', 'chat-send',
      'identity-method', 'identity-submit', 'note-text', 'note-submit', 'invite-button'];
    const reached = new Map();
    await clerk.focus('body');
    for (let i = 0; i < 60 && reached.size < wanted.length; i += 1) {
      await clerk.keyboard.press('Tab');
      const id = await clerk.evaluate(() => document.activeElement.id);
      if (wanted.includes(id) && !reached.has(id)) reached.set(id, await focusIsVisible(clerk));
    }
    assert.deepEqual([...reached.keys()].sort(), [...wanted].sort(), 'every control is in the tab order');
    assert.ok([...reached.values()].every(Boolean), `focus is visible on each: ${JSON.stringify([...reached])}`);
    // Negative control: without focus styles the same check fails.
    await clerk.focus('#mic-toggle');
    await clerk.addStyleTag({ content: '*:focus, *:focus-visible { outline: none !important; box-shadow: none !important; }' });
    assert.equal(await focusIsVisible(clerk), false, 'an invisible focus is caught');
    await clerk.evaluate(() => document.querySelector('style:last-of-type').remove());
    await clerk.keyboard.press('Space');
    assert.equal(await clerk.getAttribute('#mic-toggle', 'aria-pressed'), 'true', 'Space mutes');
    await clerk.focus('#camera-toggle');
    await clerk.keyboard.press('Enter');
    assert.equal(await clerk.getAttribute('#camera-toggle', 'aria-pressed'), 'true', 'Enter turns the camera off');
    assert.equal(await clerk.evaluate(() => window.__peerConnections.at(-1).getSenders().find((s) => s.track?.kind === 'video').track.enabled), false);
    await clerk.context().close();
  });

  test('the device check\'s round trip passes when the picture comes back through the SFU, and fails when it does not', { timeout: 120_000 }, async () => {
    for (const echo of [true, false]) {
      const fake = await startFakeSfu(sfuPage, { echo });
      const page = await openCallPage(browser, { viewport: DESKTOP });
      await fake.attach(page);
      await page.goto(new URL(`mein-termin.html#token=${server.citizenToken}`, server.url).toString());
      await page.waitForSelector('body[data-ready="true"]');
      await page.click('#roundtrip-button');
      await page.waitForSelector('#roundtrip-result:is([data-state="pass"], [data-state="fail"])', { timeout: 40_000 });
      const join = fake.log.find((l) => l.type === 'join').message;
      assert.equal(join.echo_test, true, 'the round trip joins as an echo test');
      assert.equal(join.token, server.citizenToken);
      const text = await page.textContent('#roundtrip-result');
      if (echo) {
        assert.equal(await page.getAttribute('#roundtrip-result', 'data-state'), 'pass', text);
        assert.match(text, /^Bestanden: Ihr Bild kam über den Server zurück \(\d+ Bilder empfangen, Antwortzeit \d+ ms\)\.$/);
        assert.match(await page.textContent('#device-summary li[data-step="roundtrip"]'), /Übertragung: bestanden/);
      } else {
        // Negative control: an SFU that answers but sends nothing back fails the check.
        assert.equal(await page.getAttribute('#roundtrip-result', 'data-state'), 'fail', text);
        assert.match(text, /^Nicht bestanden: Über den Server kam kein Bild zurück/);
      }
      assert.ok(fake.log.some((l) => l.type === 'leave'), 'the round trip hangs up afterwards');
      await page.context().close();
    }
  });

  test('the call page passes axe and fits a 360 px phone for citizen and clerk', { timeout: 120_000 }, async () => {
    const fake = await startFakeSfu(sfuPage, { names: { clerk: 'Frau Beispiel' } });
    const clerk = await enter(fake, 'case=fake-case', { viewport: PHONE });
    const citizen = await enter(fake, 'token=fake-token', { viewport: PHONE });
    await waitForFrames(citizen);
    await waitForFrames(clerk);
    await citizen.fill('#chat-input', 'Hallo');
    await citizen.press('#chat-input', 'Enter');
    await clerk.waitForSelector('#chat-log div[data-from="other"]');
    for (const [who, page] of [['citizen', citizen], ['clerk', clerk]]) {
      assert.ok(await fitsWidth(page), `${who}: the call page fits 360 px`);
      await assertAccessible(page, `${who} in a call at 360 px`);
      await page.screenshot({ path: join(SHOTS, `call-${who}-phone.png`), fullPage: true });
      await page.setViewportSize(DESKTOP);
      await assertAccessible(page, `${who} in a call on a desktop`);
    }
    await citizen.screenshot({ path: join(SHOTS, 'call-citizen.png'), fullPage: true });
    await citizen.click('#hang-up');
    await citizen.waitForSelector('body[data-finished="left"]');
    await assertAccessible(citizen, 'after hanging up');
    await citizen.context().close();
    await clerk.context().close();
  });
});

describe('a call through the real SFU', () => {
  let sink;
  let server;

  before(async () => {
    sink = await startSmtpSink();
    server = await startCitizenServer({ smtpUrl: sink.url, powBits: 8 });
  }, { timeout: 60_000 });

  after(async () => {
    await server?.stop();
    await sink?.close();
  }, { timeout: 30_000 });

  /** A booked citizen with Mein Termin open; resolves with `{ page, token, caseId, office }`. */
  async function bookedCitizen(email) {
    const booked = await bookByApi(server.url, { service: 'meldebescheinigung', email });
    const token = booked.access_token;
    const mine = await (await fetch(new URL('api/v1/my-case', server.url), { headers: { Authorization: `Bearer ${token}` } })).json();
    const page = await openCallPage(browser, { viewport: DESKTOP });
    const link = new URL(booked.appointment_link);
    await page.goto(new URL(`${link.pathname}${link.hash}`, server.url).toString());
    await page.waitForSelector('body[data-ready="true"]');
    return { page, token, caseId: mine.case_id, office: mine.office };
  }

  test('the device check\'s media round trip through the SFU passes', { timeout: 90_000 }, async () => {
    const { page } = await bookedCitizen('roundtrip@example.org');
    const frames = [];
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => frames.push(`> ${String(f.payload).slice(0, 200)}`));
      ws.on('framereceived', (f) => frames.push(`< ${String(f.payload).slice(0, 300)}`));
      ws.on('close', () => frames.push('closed'));
    });
    await page.click('#roundtrip-button');
    await page.waitForSelector('#roundtrip-result:is([data-state="pass"], [data-state="fail"])', { timeout: 40_000 });
    const text = await page.textContent('#roundtrip-result');
    assert.equal(await page.getAttribute('#roundtrip-result', 'data-state'), 'pass', `${text}\n${page.errors.join('\n')}\n${frames.join('\n')}`);
    assert.match(text, /Bestanden: Ihr Bild kam über den Server zurück \(\d+ Bilder empfangen(, Antwortzeit \d+ ms)?\)/);
    await page.context().close();
  });

  test('book, check in, admit, call: frames on both sides through the SFU, chat, identity checked, hang up, the case shows the call', { timeout: 240_000 }, async () => {
    const citizen = await bookedCitizen('anruf@example.org');
    const clerkLogin = { 'potsdam-mitte': DEMO.clerkMitte, 'potsdam-babelsberg': DEMO.clerkBabelsberg }[citizen.office];
    const clerk = await openCallPage(browser, { viewport: DESKTOP });
    await clerk.goto(new URL('dashboard.html', server.url).toString());
    await signInByKeyboard(clerk, clerkLogin);
    await clerk.waitForSelector('body[data-live="open"]');
    const row = `tr[data-case-id="${citizen.caseId}"]`;

    // Check in, and the clerk admits on the dashboard.
    await citizen.page.click('#check-in-button');
    await clerk.waitForSelector(`${row}[data-status="waiting"] button[data-action="admit"]`);
    await clerk.click(`${row} button[data-action="admit"]`);
    await clerk.waitForSelector(`${row}[data-status="admitted"] a[data-action="call"]`);
    assert.match(await clerk.textContent(`${row} a[data-action="call"]`), /Videoanruf starten/);

    // The citizen is told and goes to the call page; the call is not open yet: the waiting room.
    await citizen.page.waitForSelector('#join-call', { timeout: 20_000 });
    assert.match(await citizen.page.textContent('#join-call'), /Jetzt dem Gespräch beitreten/);
    await citizen.page.click('#join-call');
    await citizen.page.waitForURL(/anruf\.html$/);
    citizen.page.errors.length = 0;
    assert.equal(new URL(citizen.page.url()).hash, '', 'the token leaves the address bar');
    await citizen.page.waitForSelector('body[data-call-state="waiting"]');
    assert.match(await citizen.page.textContent('#call-status'), /Wartezimmer/);

    // The clerk opens the call; the citizen is admitted.
    await clerk.click(`${row} a[data-action="call"]`);
    await clerk.waitForURL(/anruf\.html#case=/);
    // From here on the call page: no errors at all (the dashboard's sign-in check answered 401).
    clerk.errors.length = 0;
    await clerk.waitForSelector('body[data-role="clerk"]');
    const citizenStats = await waitForFrames(citizen.page);
    const clerkStats = await waitForFrames(clerk);
    await citizen.page.waitForSelector('#remote-videos li[data-role="clerk"]');
    await clerk.waitForSelector('#remote-videos li[data-role="citizen"]');
    assert.match(await citizen.page.textContent('#remote-videos li[data-role="clerk"] figcaption'), /^Sachbearbeitung/);
    assert.match(await clerk.textContent('#remote-videos li[data-role="citizen"] figcaption'), /^Bürger\/in/);

    // Privacy: both talk to the SFU's one socket, which its answer offered, never to each other.
    const offered = citizenStats.offered.map(endpoint);
    assert.ok(offered.includes(endpoint(citizenStats.remote)), `the citizen's pair ends at a candidate of the SFU: ${endpoint(citizenStats.remote)} in ${offered}`);
    assert.ok(clerkStats.offered.map(endpoint).includes(endpoint(clerkStats.remote)), 'so does the clerk\'s');
    assert.equal(endpoint(citizenStats.remote), endpoint(clerkStats.remote), 'one SFU address for both');
    assert.notEqual(endpoint(citizenStats.remote), endpoint(clerkStats.local), 'the citizen never reaches the clerk\'s browser');
    assert.notEqual(endpoint(clerkStats.remote), endpoint(citizenStats.local), 'the clerk never reaches the citizen\'s browser');
    // The control for the relay-only tests below: without TURN the same reading says `host`.
    assert.equal(citizenStats.local.type, 'host', 'no TURN here: a direct host candidate to the SFU');

    // Chat both ways.
    await citizen.page.fill('#chat-input', 'Guten Tag!');
    await citizen.page.press('#chat-input', 'Enter');
    await clerk.waitForSelector('#chat-log div[data-from="other"]');
    assert.match(await clerk.textContent('#chat-log'), /Guten Tag!/);
    await clerk.fill('#chat-input', 'Bitte zeigen Sie Ihren Ausweis.');
    await clerk.press('#chat-input', 'Enter');
    await citizen.page.waitForSelector('#chat-log div[data-from="other"]');
    assert.match(await citizen.page.textContent('#chat-log'), /Bitte zeigen Sie Ihren Ausweis\./);

    // The clerk records the identity check in the case panel.
    await clerk.waitForSelector('#case-panel[data-loaded="true"]');
    assert.match(await clerk.textContent('#case-details [data-field="service"]'), /Meldebescheinigung/);
    await clerk.selectOption('#identity-method', 'id_card_on_camera');
    await clerk.click('#identity-submit');
    await clerk.waitForSelector('#identity-state[data-checked="true"]');
    assert.match(await clerk.textContent('#identity-state'), /Personalausweis in die Kamera gezeigt/);
    await clerk.fill('#note-text', 'Ausweis geprüft, Anliegen erledigt.');
    await clerk.click('#note-submit');
    await clerk.waitForFunction(() => /Ausweis geprüft, Anliegen erledigt\./.test(document.getElementById('notes-list').textContent));

    // The server refused nothing the pages sent.
    for (const page of [citizen.page, clerk]) {
      assert.equal(await page.locator('#messages [role="alert"]').count(), 0, await page.textContent('#messages'));
    }

    // Hang up; the clerk ends the call.
    await citizen.page.click('#hang-up');
    await citizen.page.waitForSelector('body[data-finished="left"]');
    await clerk.click('#end-call');
    await clerk.waitForSelector('body[data-finished="ended"]');

    const response = await clerk.request.get(new URL(`api/v1/cases/${citizen.caseId}`, server.url).toString());
    assert.equal(response.status(), 200);
    const after = await response.json();
    assert.equal(after.identity?.method, 'id_card_on_camera', 'the identity check is recorded');
    assert.ok(after.notes.some((n) => n.text === 'Ausweis geprüft, Anliegen erledigt.'), 'the note is recorded');
    assert.equal(after.call, null, 'no call runs any more');

    // Back on the dashboard the case shows the call: started, ended, identity checked.
    await clerk.click('#ended-back');
    await clerk.waitForSelector(`${row}[data-status="call_ended"]`);
    const day = await clerk.inputValue('#day');
    const board = await (await clerk.request.get(new URL(`api/v1/offices/${citizen.office}/dashboard/${day}`, server.url).toString())).json();
    const summary = board.cases.find((c) => c.case_id === citizen.caseId);
    assert.ok(summary.call_started_at && summary.call_ended_at, `the call's start and end: ${JSON.stringify(summary)}`);
    assert.ok(summary.call_started_at <= summary.call_ended_at);
    assert.equal(summary.identity_checked, 'id_card_on_camera');
    assert.deepEqual([...citizen.page.errors, ...clerk.errors].filter((e) => !/favicon/.test(e)), []);
    await citizen.page.context().close();
    await clerk.context().close();
  });

  test('an interpreter joins with the clerk\'s invitation; the call page passes axe for citizen and clerk on desktop and phone', { timeout: 240_000 }, async () => {
    const citizen = await bookedCitizen('dolmetsch@example.org');
    const clerkLogin = { 'potsdam-mitte': DEMO.clerkMitte, 'potsdam-babelsberg': DEMO.clerkBabelsberg }[citizen.office];
    const clerk = await openCallPage(browser, { viewport: DESKTOP, signIn: { url: server.url, ...clerkLogin } });
    await citizen.page.click('#check-in-button');
    await citizen.page.waitForSelector('body[data-status="waiting"]');
    const version = (await (await clerk.request.get(new URL(`api/v1/cases/${citizen.caseId}`, server.url).toString())).json()).version;
    const admitted = await clerk.request.post(new URL(`api/v1/cases/${citizen.caseId}/admit`, server.url).toString(), {
      data: { expected_version: version },
      headers: { 'Idempotency-Key': crypto.randomUUID(), Origin: new URL(server.url).origin },
    });
    assert.equal(admitted.status(), 200, await admitted.text());
    await clerk.goto(new URL(`anruf.html#case=${citizen.caseId}`, server.url).toString());
    await clerk.waitForSelector('body[data-call-state="in_call"]', { timeout: 30_000 });
    await citizen.page.goto(new URL(`anruf.html#token=${citizen.token}`, server.url).toString());
    await waitForFrames(citizen.page);
    await waitForFrames(clerk);

    await clerk.waitForSelector('#case-panel[data-loaded="true"]');
    await clerk.click('#invite-button');
    await clerk.waitForSelector('#invite-box:not([hidden])');
    const link = await clerk.inputValue('#invite-link');
    assert.match(link, /\/anruf\.html#invite=/);
    const interpreter = await openCallPage(browser, { viewport: DESKTOP, lang: 'en' });
    await interpreter.goto(link);
    await interpreter.waitForSelector('#remote-videos li[data-role="clerk"]', { timeout: 30_000 });
    await interpreter.waitForSelector('#remote-videos li[data-role="citizen"]');
    assert.equal(new URL(interpreter.url()).hash, '', 'the invitation leaves the address bar');
    await clerk.waitForSelector('#remote-videos li[data-role="interpreter"]', { timeout: 30_000 });
    assert.match(await clerk.textContent('#remote-videos li[data-role="interpreter"] figcaption'), /^Dolmetschung/);
    assert.match(await interpreter.textContent('#remote-videos li[data-role="clerk"] figcaption'), /^Clerk/);

    for (const [who, page] of [['citizen', citizen.page], ['clerk', clerk]]) {
      await assertAccessible(page, `${who} in a call on a desktop`);
      await page.setViewportSize(PHONE);
      assert.ok(await fitsWidth(page), `${who}: the call page fits 360 px`);
      await assertAccessible(page, `${who} in a call at 360 px`);
    }
    await clerk.setViewportSize(DESKTOP);
    await clerk.screenshot({ path: join(SHOTS, 'call-clerk.png'), fullPage: true });
    await clerk.click('#end-call');
    await citizen.page.waitForSelector('body[data-finished="ended"]');
    await interpreter.waitForSelector('body[data-finished="ended"]');
    assert.match(await citizen.page.textContent('#ended'), /Das Gespräch ist beendet/);
    for (const page of [citizen.page, clerk, interpreter]) await page.context().close();
  });
});

describe('a call forced through coturn (relay only)', () => {
  // At least 32 bytes, as the service demands of a TURN secret.
  const SECRET = 'browser-test-turn-secret-of-32-bytes-or-more';

  /** The server with TURN settings in its environment (the starters pass theirs on). */
  async function serverWithTurn(sink, urls) {
    const names = { BUERGERAMT_TURN_URLS: urls, BUERGERAMT_TURN_SECRETS: SECRET, BUERGERAMT_TURN_RELAY_ONLY: 'true' };
    Object.assign(process.env, names);
    try {
      return await startCitizenServer({ smtpUrl: sink.url, powBits: 8 });
    } finally {
      for (const name of Object.keys(names)) delete process.env[name];
    }
  }

  for (const transport of ['udp', 'tcp']) {
    test(`citizen and clerk see each other through TURN over ${transport.toUpperCase()}, and only through the SFU`, { timeout: 150_000 }, async () => {
      const sink = await startSmtpSink();
      const turn = await startCoturn({ secret: SECRET });
      const server = await serverWithTurn(sink, turn.urls[transport]);
      const pages = [];
      try {
        const booked = await bookByApi(server.url, { service: 'meldebescheinigung', email: `relay-${transport}@example.org` });
        const token = booked.access_token;
        const headers = { Authorization: `Bearer ${token}`, 'Idempotency-Key': crypto.randomUUID() };
        const checkedIn = await fetch(new URL('api/v1/my-case/check-in', server.url), { method: 'POST', headers });
        const body = await checkedIn.text();
        assert.equal(checkedIn.status, 200, body);
        const mine = JSON.parse(body);
        const login = { 'potsdam-mitte': DEMO.clerkMitte, 'potsdam-babelsberg': DEMO.clerkBabelsberg }[mine.office];
        const clerk = await openCallPage(browser, { viewport: DESKTOP, signIn: { url: server.url, ...login } });
        pages.push(clerk);
        const caseUrl = new URL(`api/v1/cases/${mine.case_id}`, server.url).toString();
        const { version } = await (await clerk.request.get(caseUrl)).json();
        const admitted = await clerk.request.post(`${caseUrl}/admit`, {
          data: { expected_version: version },
          headers: { 'Idempotency-Key': crypto.randomUUID(), Origin: new URL(server.url).origin },
        });
        assert.equal(admitted.status(), 200, await admitted.text());
        await clerk.goto(new URL(`anruf.html#case=${mine.case_id}`, server.url).toString());
        const citizen = await openCallPage(browser, { viewport: DESKTOP });
        pages.push(citizen);
        await citizen.goto(new URL(`anruf.html#token=${token}`, server.url).toString());

        const citizenStats = await waitForFrames(citizen, { timeoutMs: 40_000 });
        const clerkStats = await waitForFrames(clerk, { timeoutMs: 40_000 });
        for (const [who, stats] of [['citizen', citizenStats], ['clerk', clerkStats]]) {
          assert.equal(stats.local.type, 'relay', `${who}: media goes through TURN: ${JSON.stringify(stats.local)}`);
          assert.equal(stats.local.relayProtocol, transport, `${who}: to TURN over ${transport}`);
          assert.ok(stats.offered.map(endpoint).includes(endpoint(stats.remote)), `${who}: the far end is the SFU: ${endpoint(stats.remote)}`);
        }
        assert.deepEqual([...citizen.errors, ...clerk.errors], []);
      } finally {
        for (const page of pages) await page.context().close();
        await server.stop();
        await turn.stop();
        await sink.close();
      }
    });
  }
});
