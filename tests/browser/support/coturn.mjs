// A real coturn (Debian's `turnserver`) for the relay-only call tests: loopback only, the
// service's `use-auth-secret` scheme, and locked like production to relay to the SFU's address
// alone (here 127.0.0.1; every other address is denied). Installed by `make coturn`.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TURNSERVER = process.env.TURNSERVER ?? '/usr/bin/turnserver';
const READY_TIMEOUT_MS = 15_000;

/** A free TCP port on 127.0.0.1 (coturn has no port 0). */
async function freePort() {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function accepts(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

/**
 * Starts coturn with `secret`; resolves once it accepts TCP. `urls.udp`/`urls.tcp` are the TURN
 * URLs for the service's settings; `stop()` ends it.
 */
export async function startCoturn({ secret, relayPorts = [49160, 49200] }) {
  if (!existsSync(TURNSERVER)) {
    throw new Error(`${TURNSERVER} is missing: run \`make coturn\` (apt-get install coturn)`);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'buergeramt-coturn-'));
  const log = join(dir, 'turn.log');
  const args = [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    `--min-port=${relayPorts[0]}`, `--max-port=${relayPorts[1]}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=office.test',
    '--fingerprint', '--no-cli', '--no-tls', '--no-dtls', '--no-multicast-peers',
    // Loopback only on this machine; the lock below still denies every address but the SFU's.
    '--allow-loopback-peers',
    '--denied-peer-ip=0.0.0.0-255.255.255.255', '--allowed-peer-ip=127.0.0.1',
    `--pidfile=${join(dir, 'turn.pid')}`, `--userdb=${join(dir, 'turndb')}`,
    `--log-file=${log}`, '--simple-log', '--no-stdout-log',
  ];
  const child = spawn(TURNSERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((done) => child.once('exit', done));
  process.once('exit', () => child.kill('SIGKILL'));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const logText = existsSync(log) ? readFileSync(log, 'utf8') : '';
      await stop();
      throw new Error(`coturn did not start on ${port}:\n${stderr}\n${logText}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    urls: {
      udp: `turn:127.0.0.1:${port}?transport=udp`,
      tcp: `turn:127.0.0.1:${port}?transport=tcp`,
    },
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    stop,
  };
}
