// Support for the call tests (call.test.js): Debian's chromium with fake camera and microphone
// and WebRTC allowed on loopback, pages that record every RTCPeerConnection they create (so the
// test reads getStats() of the page's own connection without a hook in the page), and readers
// for frames decoded and the selected candidate pair.

import { chromium } from 'playwright-core';

import { CHROMIUM } from '../harness.js';

/** Chromium for calls: the harness's flags plus fake media devices and loopback ICE. */
export function launchCallBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Keeps every RTCPeerConnection the page creates in `window.__peerConnections`. */
function recordPeerConnections() {
  const Original = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      window.__peerConnections.push(this);
    }
  };
}

/**
 * A page in a fresh context with camera and microphone granted, the language preset, every
 * RTCPeerConnection recorded and page errors collected in `page.errors`.
 */
export async function openCallPage(browser, { viewport, lang = 'de', signIn = null } = {}) {
  const context = await browser.newContext({ viewport, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  await context.grantPermissions(['camera', 'microphone']);
  await context.addInitScript((l) => localStorage.setItem('buergeramt.lang', l), lang);
  await context.addInitScript(recordPeerConnections);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') page.errors.push(message.text()); });
  if (signIn) {
    const response = await page.request.post(new URL('api/v1/session', signIn.url).toString(), {
      data: { username: signIn.username, password: signIn.password },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (response.status() !== 200) throw new Error(`sign-in as ${signIn.username}: HTTP ${response.status()}`);
  }
  return page;
}

/**
 * The newest open RTCPeerConnection of the page, summarised: video frames decoded, the selected
 * candidate pair's local and remote address, and the addresses the remote description offers
 * (for the SFU: its own candidates).
 */
export function callStats(page) {
  return page.evaluate(async () => {
    const open = (window.__peerConnections ?? []).filter((pc) => pc.connectionState !== 'closed');
    const pc = open.at(-1);
    if (!pc) return null;
    const report = await pc.getStats();
    const byId = new Map();
    let framesDecoded = 0;
    let pairId = null;
    report.forEach((s) => {
      byId.set(s.id, s);
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId ? byId.get(pairId) : null;
    const candidate = (id) => {
      const c = byId.get(id);
      return c ? { address: c.address ?? c.ip, port: c.port, protocol: c.protocol, type: c.candidateType, relayProtocol: c.relayProtocol ?? null } : null;
    };
    const offered = [];
    for (const line of (pc.remoteDescription?.sdp ?? '').split(/\r?\n/)) {
      const m = /^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ (\S+)/.exec(line);
      if (m) offered.push({ protocol: m[1].toLowerCase(), address: m[2], port: Number(m[3]), type: m[4] });
    }
    return {
      connectionState: pc.connectionState,
      framesDecoded,
      rttMs: pair && typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime * 1000 : null,
      local: pair ? candidate(pair.localCandidateId) : null,
      remote: pair ? candidate(pair.remoteCandidateId) : null,
      offered,
    };
  });
}

/** Waits until the page's connection decoded video frames; resolves with its stats. */
export async function waitForFrames(page, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let stats = null;
  while (Date.now() < deadline) {
    stats = await callStats(page);
    if (stats && stats.framesDecoded > 0 && stats.remote) return stats;
    await page.waitForTimeout(250);
  }
  throw new Error(`no video frames decoded within ${timeoutMs} ms: ${JSON.stringify(stats)}\npage errors: ${page.errors?.join('\n')}`);
}

/** `address:port` of a candidate. */
export const endpoint = (c) => (c ? `${c.address}:${c.port}` : 'none');
