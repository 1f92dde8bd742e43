// Test harness for the browser tests: the real buergeramt binary (built by `make browser-tests`,
// never here) on port 0 with a fresh store and demo data, Debian's chromium driven by
// playwright-core, and axe-core for the WCAG checks. Every wait is bounded.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BINARY = process.env.BUERGERAMT_BINARY ?? join(ROOT, 'target/debug/buergeramt');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Starts `buergeramt serve --demo` on 127.0.0.1:0 with a fresh data directory and resolves with
 * its URL once it prints "buergeramt is running at http://…/". `stop()` always ends it.
 */
export async function startServer() {
  if (!existsSync(BINARY)) {
    throw new Error(`${BINARY} is missing: run \`make browser-tests\` (it builds the binary first)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'buergeramt-browser-'));
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
  // Never leave the server behind, even when the test process dies early.
  process.once('exit', () => child.kill('SIGKILL'));

  try {
    const url = await new Promise((found, failed) => {
      const timer = setTimeout(
        () => failed(new Error(`no URL from buergeramt within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)),
        STARTUP_TIMEOUT_MS,
      );
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
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Launches Debian's chromium headless, with a fresh temporary profile (playwright's default). */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make browser-tests does, as root)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A new page in a fresh context of the given size, with bounded default timeouts. */
export async function openPage(browser, viewport) {
  const context = await browser.newContext({ viewport, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(15_000);
  return page;
}

/** Signs the page's browser context in as the demo auditor (sees every office). */
export async function signIn(page, url, username = 'auditor', password = 'demo-auditor-passwort') {
  const response = await page.request.post(new URL('api/v1/session', url).toString(), {
    data: { username, password },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  });
  if (response.status() !== 200) throw new Error(`sign-in as ${username}: HTTP ${response.status()}`);
}

/** Opens the staff overview of all offices and waits until the queues of the chosen day are drawn. */
export async function openOverview(browser, url, viewport = DESKTOP) {
  const page = await openPage(browser, viewport);
  await signIn(page, url);
  await page.goto(new URL('/uebersicht.html', url).toString());
  await page.waitForSelector('body[data-loaded-day]');
  await page.evaluate(() => document.fonts.ready);
  return page;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core with the WCAG 2.1 A and AA rules; returns its violations. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_21_AA,
  );
  return result.violations;
}

/** A readable list of axe violations for an assertion message. */
export function describeViolations(violations) {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`)
    .join('\n');
}
