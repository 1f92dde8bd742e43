// Helpers for the staff pages' browser tests: the real binary with demo data whose printed demo
// citizen link is kept (the harness's startServer only keeps the URL), a staff sign-in through
// the page's own form, and a citizen check-in through the API. Every wait is bounded.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BINARY } from '../harness.js';

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** The demo logins (see api/src/demo_accounts.rs). */
export const DEMO = {
  clerkMitte: { username: 'clerk.mitte', password: 'demo-mitte-passwort' },
  clerkBabelsberg: { username: 'clerk.babelsberg', password: 'demo-babelsberg-passwort' },
  auditor: { username: 'auditor', password: 'demo-auditor-passwort' },
};

/**
 * Starts `buergeramt serve --demo` on port 0 with a fresh data directory; resolves with its URL
 * and the demo citizen's capability token (appointment today at Potsdam-Mitte).
 */
export async function startDemoServer() {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`make browser-tests\``);
  const dataDir = mkdtempSync(join(tmpdir(), 'buergeramt-staff-'));
  const env = { ...process.env, BUERGERAMT_LISTEN: '127.0.0.1:0', BUERGERAMT_DATA_DIR: dataDir, RUST_LOG: 'warn' };
  delete env.DATABASE_URL;
  delete env.BUERGERAMT_CONFIG;
  const child = spawn(BINARY, ['serve', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', () => child.kill('SIGKILL'));
  try {
    const found = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no URL and demo citizen within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)),
        STARTUP_TIMEOUT_MS,
      );
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const url = /buergeramt is running at (http:\/\/\S+\/)/.exec(output);
        const token = /Demo citizen .*#token=(\S+)/.exec(output);
        if (url && token) {
          clearTimeout(timer);
          resolve({ url: url[1], citizenToken: token[1] });
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`buergeramt exited (${code ?? signal}) early:\n${output}`));
      });
    });
    return { ...found, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Signs in through the page's own form, by keyboard only (focus, type, Tab, type, Enter). */
export async function signInByKeyboard(page, { username, password }) {
  await page.waitForSelector('#login:not([hidden])');
  await page.focus('#username');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** The citizen of `token` checks in through the API; resolves with the answer's JSON. */
export async function checkIn(url, token) {
  const response = await fetch(new URL('api/v1/my-case/check-in', url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': crypto.randomUUID() },
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`check-in: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}
