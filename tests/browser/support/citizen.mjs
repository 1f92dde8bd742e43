// Support for the citizen page tests (booking.test.js): the real binary with the SMTP sink, a low
// proof-of-work difficulty and a clock set to a working morning; the mail reader; a Node twin of
// the page's proof-of-work solver for bookings made behind the scenes; and keyboard helpers.
//
// Why a fixed clock: check-in is only possible on the appointment's office day, and the demo
// offices are open Monday to Friday 8–12 and 13–18 (Potsdam). A test run at night or on a
// weekend would find nothing free today. libfaketime (Debian's `libfaketime`) starts the server's
// wall clock at the next weekday 07:30 UTC (08:30 or 09:30 in Potsdam) and lets it tick; the
// monotonic clock (timers, timeouts) stays real. The pages take "today" from the server's `Date`
// header, so the browser's own clock does not matter.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BINARY } from '../harness.js';

const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? `${process.arch}-linux-gnu`;
export const FAKETIME_LIB = process.env.FAKETIME_LIB ?? `/usr/lib/${MULTIARCH}/faketime/libfaketimeMT.so.1`;
export const PHONE_375 = { width: 375, height: 740 };
const STARTUP_TIMEOUT_MS = 30_000;

/** The next Monday–Friday after today (UTC), as YYYY-MM-DD. */
export function nextWeekday(from = new Date()) {
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + 1));
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/**
 * Starts `buergeramt serve --demo` with mail going to `smtpUrl`, proof of work at `powBits`, one
 * minute of booking lead time and the server clock starting at `${day} 07:30:00 UTC`.
 * Resolves with `{ url, day, stop() }`.
 */
export async function startCitizenServer({ smtpUrl, powBits = 8, day = nextWeekday() }) {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`make browser-tests\``);
  if (!existsSync(FAKETIME_LIB)) {
    throw new Error(`${FAKETIME_LIB} is missing: install Debian's libfaketime (apt-get install libfaketime)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'buergeramt-citizen-'));
  const env = {
    ...process.env,
    BUERGERAMT_LISTEN: '127.0.0.1:0',
    BUERGERAMT_DATA_DIR: dataDir,
    BUERGERAMT_SMTP_URL: smtpUrl,
    BUERGERAMT_BOOKING_POW_BITS: String(powBits),
    BUERGERAMT_BOOKING_LEAD_MINUTES: '1',
    BUERGERAMT_NOTIFY_POLL_MS: '200',
    RUST_LOG: 'warn',
    LD_PRELOAD: FAKETIME_LIB,
    FAKETIME: `@${day} 07:30:00`,
    DONT_FAKE_MONOTONIC: '1',
    TZ: 'UTC',
  };
  delete env.DATABASE_URL;
  delete env.BUERGERAMT_CONFIG;
  delete env.BUERGERAMT_PUBLIC_URL;
  const child = spawn(BINARY, ['serve', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', () => child.kill('SIGKILL'));
  try {
    const url = await new Promise((found, failed) => {
      const timer = setTimeout(() => failed(new Error(`no URL within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)), STARTUP_TIMEOUT_MS);
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /buergeramt is running at (http:\/\/\S+\/)/.exec(output);
        if (match) {
          clearTimeout(timer);
          found(match[1]);
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        failed(new Error(`buergeramt exited (${code ?? signal}) before it listened:\n${output}`));
      });
    });
    return { url, day, stop, output: () => output };
  } catch (error) {
    await stop();
    throw error;
  }
}

function decodeQuotedPrintable(text) {
  const bytes = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i += 1) {
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Every decoded text part of a raw MIME message (multipart, base64 or quoted-printable). */
export function mailTexts(raw) {
  const source = raw.toString('utf8');
  const texts = [];
  const walk = (entity) => {
    const split = entity.search(/\r?\n\r?\n/);
    const head = split < 0 ? entity : entity.slice(0, split);
    const body = split < 0 ? '' : entity.slice(split).replace(/^\r?\n\r?\n/, '');
    const headers = head.replace(/\r?\n[ \t]+/g, ' ');
    const type = /^content-type:\s*([^;\r\n]+)/im.exec(headers)?.[1].trim().toLowerCase() ?? 'text/plain';
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers)?.[1];
    if (type.startsWith('multipart/') && boundary) {
      const parts = body.split(`--${boundary}`).slice(1);
      for (const part of parts) {
        if (part.startsWith('--')) break;
        walk(part.replace(/^\r?\n/, ''));
      }
      return;
    }
    const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1].toLowerCase() ?? '7bit';
    let text = body;
    if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    else if (encoding === 'quoted-printable') text = decodeQuotedPrintable(body);
    texts.push({ type, text });
  };
  walk(source);
  return texts;
}

/** Waits for a mail to `address` carrying a "Mein Termin" link; returns `{ join, cancel, subject, text }`. */
export async function linksFromMail(sink, address, { timeoutMs = 30_000, after = 0 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (let seen = 1; ; seen += 1) {
    const found = sink.messages.slice(after).find((m) => m.rcptTo.includes(address));
    if (found) {
      const parts = mailTexts(found.data);
      const plain = parts.find((p) => p.type === 'text/plain')?.text ?? parts.map((p) => p.text).join('\n');
      const joinLink = /(https?:\/\/\S+\/mein-termin\.html#token=[A-Za-z0-9._-]+)(?![A-Za-z0-9._&-])/.exec(plain)?.[1];
      const cancelLink = /(https?:\/\/\S+\/mein-termin\.html#token=[A-Za-z0-9._-]+&action=cancel)/.exec(plain)?.[1];
      const subject = /^subject:\s*(.*)$/im.exec(found.data.toString('utf8'))?.[1] ?? '';
      return { join: joinLink, cancel: cancelLink, subject, text: plain };
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
    await sink.waitFor(sink.messages.length + 1, left).catch(() => {});
  }
}

/** The same puzzle as api/src/booking/pow.rs `solve()`: decimal nonces counting up from 0. */
export function solve(challenge, bits) {
  for (let n = 0; ; n += 1) {
    const digest = createHash('sha256').update(`${challenge}:${n}`).digest();
    let zeros = 0;
    for (const byte of digest) {
      if (byte === 0) {
        zeros += 8;
      } else {
        zeros += Math.clz32(byte) - 24;
        break;
      }
    }
    if (zeros >= bits) return String(n);
  }
}

/** Books the first free slot of `service` on the server's today-or-later through the API. */
export async function bookByApi(url, { service, email, name = 'Testperson', language = 'de', office = 'potsdam-mitte' }) {
  const api = (path) => new URL(path, url).toString();
  const dateHeader = (await fetch(api('api/v1/offices'))).headers.get('date');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(dateHeader));
  const [y, m, d] = today.split('-').map(Number);
  for (let i = 0; i < 14; i += 1) {
    const date = new Date(Date.UTC(y, m - 1, d + i)).toISOString().slice(0, 10);
    const slots = await (await fetch(api(`api/v1/offices/${office}/slots?service=${service}&date=${date}`))).json();
    if (!slots.slots?.length) continue;
    const { challenge, bits } = await (await fetch(api('api/v1/bookings/challenge'))).json();
    const response = await fetch(api('api/v1/bookings'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
      body: JSON.stringify({
        service,
        office,
        start: slots.slots.at(-1).start.slice(0, 16),
        contact: { name, email, language },
        proof: { challenge, nonce: solve(challenge, bits) },
      }),
    });
    if (response.status !== 201) throw new Error(`booking: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }
  throw new Error(`no free slot for ${service} in 14 days`);
}

/** Signs in as the demo admin by API; resolves with the session cookie (`name=value`). */
export async function adminCookie(url) {
  const response = await fetch(new URL('api/v1/session', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({ username: 'admin', password: 'demo-admin-passwort' }),
  });
  if (response.status !== 200) throw new Error(`admin sign-in: HTTP ${response.status}`);
  return response.headers.get('set-cookie').split(';')[0];
}

/**
 * Registers an office through the admin API that opens Monday to Friday 10:00–10:15 with one
 * seat: one appointment a day, so a single booking fills a day.
 */
export async function registerTinyOffice(url, id) {
  const window = [['10:00', '10:15']];
  const response = await fetch(new URL('api/v1/admin/offices', url), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID(), Cookie: await adminCookie(url),
      // A cookie-carrying request must say where it comes from (the CSRF guard).
      Origin: new URL(url).origin,
    },
    body: JSON.stringify({
      id,
      name: 'Bürgerservice Testklein',
      address: '14467 Potsdam',
      hours: { mon: window, tue: window, wed: window, thu: window, fri: window },
      slot_minutes: 15,
      seats: 1,
    }),
  });
  if (response.status !== 201) throw new Error(`office registration: HTTP ${response.status} ${await response.text()}`);
}

/** Presses Tab (at most `limit` times) until `matches(activeElement description)` is true. */
export async function tabUntil(page, matches, limit = 80) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const now = await page.evaluate(() => {
      const el = document.activeElement;
      return { id: el?.id ?? '', tag: el?.tagName ?? '', text: el?.textContent?.trim() ?? '', service: el?.dataset?.service ?? '', name: el?.getAttribute('name') ?? '' };
    });
    if (matches(now)) return now;
  }
  throw new Error(`Tab did not reach the wanted element within ${limit} presses`);
}

/** True when the page is no wider than its viewport (no horizontal scrolling). */
export function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
}
