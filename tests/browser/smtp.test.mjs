// The browser tests' SMTP sink (support/smtp.mjs) against a raw SMTP client on loopback: a
// message arrives with its envelope and dot-unstuffed, commands out of order are refused, and a
// wait for more messages than arrive fails (the negative control of `waitFor`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSmtpSink } from './support/smtp.mjs';

/** Sends each command and collects the reply codes (the first is the greeting). */
async function dialogue(port, commands) {
  const socket = net.connect(port, '127.0.0.1');
  const codes = [];
  let pending = '';
  let wake = null;
  socket.on('data', (chunk) => {
    pending += chunk.toString('utf8');
    wake?.();
  });
  const nextReply = async () => {
    for (;;) {
      const lines = pending.split('\r\n');
      for (let i = 0; i < lines.length - 1; i += 1) {
        if (lines[i][3] !== '-') {
          pending = lines.slice(i + 1).join('\r\n');
          return lines[i].slice(0, 3);
        }
      }
      await new Promise((resolve) => {
        wake = resolve;
      });
    }
  };
  codes.push(await nextReply());
  for (const command of commands) {
    socket.write(command);
    codes.push(await nextReply());
  }
  socket.destroy();
  return codes;
}

test('a message is stored with its envelope and dots unstuffed', async () => {
  const sink = await startSmtpSink();
  try {
    const codes = await dialogue(sink.port, [
      'EHLO client\r\n',
      'MAIL FROM:<from@example.org> BODY=8BITMIME\r\n',
      'RCPT TO:<a@example.org>\r\n',
      'DATA\r\n',
      'Subject: Grüße\r\n\r\n..leading dot\r\nplain\r\n.\r\n',
      'QUIT\r\n',
    ]);
    assert.deepEqual(codes, ['220', '250', '250', '250', '354', '250', '221']);
    const [mail] = await sink.waitFor(1, 10_000);
    assert.equal(mail.mailFrom, 'from@example.org');
    assert.deepEqual(mail.rcptTo, ['a@example.org']);
    assert.equal(mail.data.toString('utf8'), 'Subject: Grüße\r\n\r\n.leading dot\r\nplain\r\n');
  } finally {
    await sink.close();
  }
});

test('commands out of order are refused and RSET starts over', async () => {
  const sink = await startSmtpSink();
  try {
    const codes = await dialogue(sink.port, [
      'MAIL FROM:<a@b>\r\n',
      'HELO client\r\n',
      'DATA\r\n',
      'MAIL FROM:<a@b>\r\n',
      'RSET\r\n',
      'RCPT TO:<a@b>\r\n',
      'NOOP\r\n',
      'VRFY x\r\n',
    ]);
    assert.deepEqual(codes, ['220', '503', '250', '503', '250', '250', '503', '250', '502']);
    assert.equal(sink.messages.length, 0);
  } finally {
    await sink.close();
  }
});

test('waiting for more messages than arrive fails', async () => {
  const sink = await startSmtpSink();
  try {
    await assert.rejects(sink.waitFor(1, 50), /waited for 1 messages, 0 arrived/);
  } finally {
    await sink.close();
  }
});
