// The WebSocket client of the call's signalling (docs/signalling.md, protocol version 1): one
// socket to /api/v1/call/ws on the page's own origin, `join` as the first message, `v: 1` on
// every message, a ping every 20 s. When the socket drops for a reason that may pass (network,
// server restart, no join in time) it reconnects with exponential backoff and joins again; a
// close that says "you may not" (4401, 4403, 4404, 4409), "you were replaced" (4000), a protocol
// violation (4400, 4429) or a normal end (1000) is final and reported.

export const PROTOCOL_VERSION = 1;
const PING_MS = 20_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/** Close codes after which joining again would not help. */
export const FINAL_CLOSE_CODES = new Set([1000, 4000, 4400, 4401, 4403, 4404, 4409, 4429]);

/** The URL of the signalling endpoint on this page's origin (ws: or wss:). */
export function signallingUrl(location = window.location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/call/ws`;
}

/**
 * Opens the signalling connection. `join` is the join message's fields (`{token}`, `{case_id}`,
 * `{invite}`, optionally `echo_test`). Callbacks: `onMessage(message)` for every server message,
 * `onOpen(attempt)` after each (re)connect and join, `onDrop({code, attempt, delayMs})` when the
 * socket drops and a reconnect is planned, `onClose({code, reason})` once when it is over.
 * Returns `{ send(type, fields), close(), connected() }`.
 */
export function connectSignalling({ url = signallingUrl(), join, onMessage, onOpen, onDrop, onClose }) {
  let socket = null;
  let attempt = 0;
  let pinger = null;
  let retry = null;
  let finished = false;

  const finish = (code, reason) => {
    if (finished) return;
    finished = true;
    clearInterval(pinger);
    clearTimeout(retry);
    onClose?.({ code, reason });
  };

  const open = () => {
    if (finished) return;
    const current = new WebSocket(url);
    socket = current;
    current.addEventListener('open', () => {
      current.send(JSON.stringify({ type: 'join', v: PROTOCOL_VERSION, ...join }));
      clearInterval(pinger);
      pinger = setInterval(() => send('ping'), PING_MS);
      onOpen?.(attempt);
      attempt = 0;
    });
    current.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message.type === 'string' && message.type !== 'pong') onMessage?.(message);
    });
    current.addEventListener('close', (event) => {
      if (socket !== current) return;
      clearInterval(pinger);
      socket = null;
      if (finished) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        finish(event.code, event.reason);
        return;
      }
      attempt += 1;
      const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      onDrop?.({ code: event.code, attempt, delayMs });
      retry = setTimeout(open, delayMs);
    });
  };

  function send(type, fields = {}) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify({ type, v: PROTOCOL_VERSION, ...fields }));
    return true;
  }

  open();
  return {
    send,
    connected: () => Boolean(socket && socket.readyState === WebSocket.OPEN),
    /** Ends the connection for good (after `leave`/`end`, or when the page goes away). */
    close(code = 1000) {
      const current = socket;
      finish(code, 'closed by the page');
      socket = null;
      if (current && current.readyState <= WebSocket.OPEN) current.close(1000);
    },
    /** Drops the socket as a network failure would (the page then reconnects); for a network change. */
    reconnect() {
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close(4999);
    },
  };
}
