// A small SMTP receiver (RFC 5321) for the browser tests, the Node twin of the Rust
// `testkit::SmtpSink`: the real buergeramt binary sends its mails here over loopback
// (BUERGERAMT_SMTP_URL=smtp://127.0.0.1:<port>) and a test reads what arrived.
//
// It speaks EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET, NOOP and QUIT, and
// advertises 8BITMIME and SMTPUTF8. No TLS, no authentication: it only listens on 127.0.0.1.

import net from 'node:net';

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
const MAX_LINE_BYTES = 4096;

/** The address in `FROM:<a@b> PARAMS` or `TO:<a@b>`, without brackets; null if malformed. */
function pathAfter(rest, keyword) {
  if (rest.slice(0, keyword.length).toUpperCase() !== keyword) return null;
  const match = /^\s*<([^>]*)>/.exec(rest.slice(keyword.length));
  return match ? match[1] : null;
}

/**
 * Starts a sink on 127.0.0.1 (port 0 picks a free one). Resolves with
 * `{ port, url, messages, waitFor(n, timeoutMs), close() }`; `messages` is an array of
 * `{ mailFrom, rcptTo, data }` where `data` is the raw message (a Buffer, lines ending in CRLF).
 */
export async function startSmtpSink({ port = 0 } = {}) {
  const messages = [];
  const waiters = new Set();
  const sockets = new Set();

  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let inData = false;
    let data = [];
    let dataBytes = 0;
    let tooBig = false;
    let tx = { greeted: false, mailFrom: null, rcptTo: [] };
    const reply = (text) => socket.write(`${text}\r\n`);
    const reset = () => {
      tx.mailFrom = null;
      tx.rcptTo = [];
    };

    const onDataLine = (line) => {
      const text = line.toString('latin1');
      if (text === '.\r\n' || text === '.\n') {
        inData = false;
        if (tooBig) {
          reset();
          reply('552 5.3.4 message too big');
        } else {
          messages.push({ mailFrom: tx.mailFrom, rcptTo: tx.rcptTo, data: Buffer.concat(data) });
          reset();
          reply('250 2.0.0 queued');
          notify();
        }
        data = [];
        dataBytes = 0;
        tooBig = false;
        return;
      }
      const unstuffed = line[0] === 0x2e ? line.subarray(1) : line;
      dataBytes += unstuffed.length;
      if (dataBytes > MAX_MESSAGE_BYTES) {
        tooBig = true;
        data = [];
      } else if (!tooBig) {
        data.push(Buffer.from(unstuffed));
      }
    };

    const onCommand = (line) => {
      const text = line.toString('utf8').replace(/\r?\n$/, '');
      const space = text.indexOf(' ');
      const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
      const rest = space < 0 ? '' : text.slice(space + 1).trim();
      switch (verb) {
        case 'EHLO':
          tx = { greeted: true, mailFrom: null, rcptTo: [] };
          return socket.write('250-testkit\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n');
        case 'HELO':
          tx = { greeted: true, mailFrom: null, rcptTo: [] };
          return reply('250 testkit');
        case 'MAIL': {
          if (!tx.greeted) return reply('503 5.5.1 say EHLO first');
          const path = pathAfter(rest, 'FROM:');
          if (path === null) return reply('501 5.5.4 syntax: MAIL FROM:<address>');
          if (tx.mailFrom !== null) return reply('503 5.5.1 nested MAIL command');
          tx.mailFrom = path;
          return reply('250 2.1.0 ok');
        }
        case 'RCPT': {
          if (tx.mailFrom === null) return reply('503 5.5.1 need MAIL first');
          const path = pathAfter(rest, 'TO:');
          if (!path) return reply('501 5.5.4 syntax: RCPT TO:<address>');
          tx.rcptTo.push(path);
          return reply('250 2.1.5 ok');
        }
        case 'DATA':
          if (tx.rcptTo.length === 0) return reply('503 5.5.1 need RCPT first');
          inData = true;
          return reply('354 end data with <CR><LF>.<CR><LF>');
        case 'RSET':
          reset();
          return reply('250 2.0.0 ok');
        case 'NOOP':
          return reply('250 2.0.0 ok');
        case 'QUIT':
          socket.end('221 2.0.0 bye\r\n');
          return undefined;
        default:
          return reply('502 5.5.2 command not implemented');
      }
    };

    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let end;
      while ((end = buffer.indexOf(0x0a)) >= 0) {
        const line = buffer.subarray(0, end + 1);
        buffer = buffer.subarray(end + 1);
        if (inData) onDataLine(line);
        else onCommand(line);
      }
      if (!inData && buffer.length > MAX_LINE_BYTES) socket.destroy();
    });
    socket.write('220 testkit ESMTP ready\r\n');
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = server.address().port;

  return {
    port: bound,
    url: `smtp://127.0.0.1:${bound}`,
    messages,
    /** Resolves with all messages once at least `n` arrived; rejects after `timeoutMs`. */
    waitFor(n, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve([...messages]);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waited for ${n} messages, ${messages.length} arrived`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    /** Closes the port and drops open connections. */
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
