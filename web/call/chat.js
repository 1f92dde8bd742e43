// The chat beside the video: lines come from the server (everyone's, one's own included, in the
// order the server relays them) and are shown as text only, never as HTML. The log is a live
// region (role="log"), so a screen reader reads each new line once. Nothing is stored: a reload
// starts with an empty chat.

import { element } from '../citizen.js';
import { displayName, roleLabel } from './text.js';

const MAX_CHARS = 2000;

/**
 * Wires the chat form. `send(text)` returns false when the line could not go out; `self()` is this
 * participant's peer id (own lines are labelled "Sie"/"You"). Returns `{ add(message), redraw(),
 * enable(on) }`.
 */
export function setupChat({ form, input, log, error, send, self, t }) {
  const lines = [];

  const time = (iso) => {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return '';
    return new Intl.DateTimeFormat(t().locale, { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Berlin' }).format(date);
  };

  const who = (line) => (line.from === self() ? t().chatYou : t().chatLine(displayName(line.name), roleLabel(t(), line.role)));

  const lineNode = (line) => {
    const item = element('div', 'chat-line');
    item.dataset.from = line.from === self() ? 'self' : 'other';
    const meta = element('p', 'chat-line__meta kern-body kern-body--small');
    meta.append(element('span', 'chat-line__who', who(line)));
    const at = time(line.at);
    if (at) {
      const stamp = element('time', 'chat-line__time', ` ${at}`);
      stamp.dateTime = line.at;
      meta.append(stamp);
    }
    item.append(meta, element('p', 'chat-line__text kern-body', line.text));
    return item;
  };

  function redraw() {
    if (lines.length === 0) {
      const empty = element('p', 'chat-line chat-line--empty kern-body kern-body--muted', t().chatEmpty);
      log.replaceChildren(empty);
    } else {
      log.replaceChildren(...lines.map(lineNode));
    }
    log.setAttribute('aria-label', t().chatLog);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const text = input.value.replace(/\r\n?/g, '\n').trim();
    if (!text) return;
    if ([...text].length > MAX_CHARS) {
      error.textContent = t().chatTooLong;
      return;
    }
    if (!send(text)) {
      error.textContent = t().chatNotSent;
      return;
    }
    input.value = '';
    input.focus();
  });
  // Enter sends, Shift+Enter starts a new line.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  redraw();
  return {
    add(message) {
      lines.push({ from: message.from, role: message.role, name: message.name, text: message.text, at: message.at });
      if (lines.length === 1) log.replaceChildren();
      log.append(lineNode(lines.at(-1)));
      log.scrollTop = log.scrollHeight;
      log.dataset.lines = String(lines.length);
    },
    redraw,
    enable(on) {
      for (const control of form.elements) control.disabled = !on;
    },
  };
}
