// Shared by the citizen pages (termin.html, mein-termin.html): the German/English switch (the same
// pattern as queue.js: data-i18n, <html lang>, the choice kept in localStorage), calls to the API
// that turn RFC 9457 problems into text, and small DOM helpers. No framework, no bundler.

const STORAGE_KEY = 'buergeramt.lang';

/** The chosen language: the stored one, else German. */
export function storedLanguage() {
  return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'de';
}

/**
 * Wires the language buttons ([data-lang]) and every [data-i18n] text to `texts[lang]`;
 * calls `redraw(t)` after each later switch so the page can redraw what it built itself.
 * Returns `{ t(), lang() }`.
 */
export function setupLanguage(texts, redraw) {
  let language = storedLanguage();
  const apply = (next, initial = false) => {
    language = next;
    localStorage.setItem(STORAGE_KEY, next);
    const t = texts[next];
    document.documentElement.lang = next;
    document.title = t.title;
    for (const node of document.querySelectorAll('[data-i18n]')) {
      const value = t[node.dataset.i18n];
      if (typeof value === 'string') node.textContent = value;
    }
    for (const button of document.querySelectorAll('[data-lang]')) {
      const chosen = button.dataset.lang === next;
      button.setAttribute('aria-pressed', String(chosen));
      button.classList.toggle('kern-btn--primary', chosen);
      button.classList.toggle('kern-btn--secondary', !chosen);
    }
    if (!initial) redraw(t);
  };
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => apply(button.dataset.lang));
  }
  apply(language, true);
  return { t: () => texts[language], lang: () => language };
}

/** `document.createElement` with a class and text. */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A KERN button with its label span. */
export function button(text, variant = 'primary', type = 'button') {
  const node = element('button', `kern-btn kern-btn--${variant}`);
  node.type = type;
  node.append(element('span', 'kern-label', text));
  return node;
}

/**
 * A KERN alert. `role` is `alert` for errors (read out at once) or `status`.
 * `body` is a string or nodes.
 */
export function alertBox(kind, title, body, role = 'status') {
  const box = element('div', `kern-alert kern-alert--${kind}`);
  box.setAttribute('role', role);
  const header = element('div', 'kern-alert__header');
  header.append(element('span', 'kern-title', title));
  box.append(header);
  if (body !== undefined && body !== null) {
    const content = element('div', 'kern-alert__body');
    if (typeof body === 'string') content.append(element('p', 'kern-body', body));
    else content.append(...[body].flat());
    box.append(content);
  }
  return box;
}

/** The office day of the server's clock (its `Date` header) in Potsdam, as YYYY-MM-DD. */
export function officeDay(date) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(date);
}

/** Adds `days` to a YYYY-MM-DD day. */
export function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Formats an office wall-clock day (YYYY-MM-DD…) without any time-zone shift. */
export function formatDay(day, locale, options = { dateStyle: 'full' }) {
  const [y, m, d] = day.slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** `HH:MM` of an office wall-clock time `YYYY-MM-DDTHH:MM[:SS]`. */
export function formatTime(local) {
  return local.slice(11, 16);
}

/**
 * Calls the API. POSTs carry a fresh `Idempotency-Key` (or the given one, for a retry of the same
 * action). Resolves with `{ ok, status, data, problem, serverDate, response }`; never throws for
 * HTTP errors: a network failure becomes a problem with status 0.
 */
export async function api(path, { method = 'GET', body, token, idempotencyKey, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method !== 'GET') headers['Idempotency-Key'] = idempotencyKey ?? crypto.randomUUID();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return { ok: false, status: 0, data: null, problem: { title: null, detail: null, network: true } };
  }
  const serverDate = response.headers.get('Date') ? new Date(response.headers.get('Date')) : new Date();
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data, problem: null, serverDate, response };
  return { ok: false, status: response.status, data: null, problem: data ?? {}, serverDate, response };
}

/**
 * An alert for a failed call: the problem's title and detail as the server sent them (English),
 * under a sentence in the page's language.
 */
export function problemAlert(result, t) {
  const { problem } = result;
  const parts = [];
  if (problem.network) {
    parts.push(element('p', 'kern-body', t.networkError));
  } else {
    if (problem.title) {
      const title = element('p', 'kern-body kern-body--bold', problem.title);
      title.lang = 'en';
      parts.push(title);
    }
    if (problem.detail) {
      const detail = element('p', 'kern-body', problem.detail);
      detail.lang = 'en';
      parts.push(detail);
    }
  }
  const box = alertBox('danger', t.problemHeading, parts, 'alert');
  box.dataset.problemType = problem.type ?? '';
  return box;
}
