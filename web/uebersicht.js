// The start page: today's queue of each office, read from the REST API
// (GET /api/v1/offices/{office}/queue/{date}). German first, English on request; the language
// switch changes every visible text in place and sets <html lang>. No personal data is shown:
// the API has none.

const OFFICES = ['potsdam-mitte', 'potsdam-babelsberg'];
const TIME_ZONE = 'Europe/Berlin';

const TEXT = {
  de: {
    title: 'Warteschlange heute – Virtuelles Bürgeramt Potsdam',
    skip: 'Zum Inhalt springen',
    city: 'Landeshauptstadt Potsdam',
    service: 'Virtuelles Bürgeramt',
    heading: 'Warteschlange des Tages',
    intro: 'Die Termine je Standort, live aus dem Lesemodell. Die Übersicht enthält keine personenbezogenen Daten.',
    day: 'Tag',
    dayHint: 'Ein anderer Tag lädt die Tabellen neu.',
    health: 'Betriebszustand (/health)',
    loginHeading: 'Anmeldung für Beschäftigte',
    username: 'Benutzername',
    password: 'Passwort',
    loginButton: 'Anmelden',
    loginFailed: 'Benutzername oder Passwort ist falsch.',
    loginNeeded: 'Die Warteschlange ist nur für angemeldete Beschäftigte sichtbar.',
    offices: { 'potsdam-mitte': 'Bürgerservice Potsdam-Mitte', 'potsdam-babelsberg': 'Bürgerservice Potsdam-Babelsberg' },
    caption: (day) => `Termine am ${day}`,
    columns: ['Uhrzeit', 'Leistung', 'Kanal', 'Status', 'Gebühr', 'Ergebnis'],
    none: 'Keine Termine an diesem Tag.',
    loading: 'Die Warteschlange wird geladen …',
    loaded: (day, n) => `Warteschlange für ${day} geladen: ${n} ${n === 1 ? 'Termin' : 'Termine'}.`,
    failed: 'Die Warteschlange konnte nicht geladen werden.',
    table: 'Tabelle, seitlich scrollbar',
    channel: { video: 'Video', in_person: 'vor Ort' },
    status: {
      opened: 'eröffnet', booked: 'gebucht', appointment_cancelled: 'Termin abgesagt', waiting: 'wartet',
      held: 'zurückgestellt', admitted: 'eingelassen', sent_back: 'zurückgeschickt', in_call: 'im Gespräch',
      call_ended: 'Gespräch beendet', closed: 'abgeschlossen',
    },
    fee: {
      none: 'keine', assessed: 'festgesetzt', payment_started: 'Zahlung läuft', paid: 'bezahlt',
      waived: 'erlassen', refunded: 'erstattet',
    },
    outcome: {
      completed: 'erledigt', referred_in_person: 'vor Ort fortsetzen', no_show: 'nicht erschienen',
      cancelled: 'storniert',
    },
    services: {
      wohnsitz_anmeldung: 'Wohnsitz anmelden', wohnsitz_abmeldung: 'Wohnsitz abmelden',
      meldebescheinigung: 'Meldebescheinigung', haushaltsbescheinigung: 'Haushaltsbescheinigung',
      beglaubigung_kopien: 'Beglaubigung von Kopien', gewerbe_anmeldung: 'Gewerbe anmelden',
      bewohnerparkausweis: 'Bewohnerparkausweis', lebensbescheinigung: 'Lebensbescheinigung',
    },
    locale: 'de-DE',
  },
  en: {
    title: "Today's queue – Virtual citizen office Potsdam",
    skip: 'Skip to content',
    city: 'City of Potsdam',
    service: 'Virtual citizen office',
    heading: "The day's queue",
    intro: 'Appointments per office, live from the read model. This overview holds no personal data.',
    day: 'Day',
    dayHint: 'Another day reloads the tables.',
    health: 'Service health (/health)',
    loginHeading: 'Staff sign-in',
    username: 'Username',
    password: 'Password',
    loginButton: 'Sign in',
    loginFailed: 'The username or the password is wrong.',
    loginNeeded: 'The queue is visible to signed-in staff only.',
    offices: { 'potsdam-mitte': 'Citizen service Potsdam-Mitte', 'potsdam-babelsberg': 'Citizen service Potsdam-Babelsberg' },
    caption: (day) => `Appointments on ${day}`,
    columns: ['Time', 'Service', 'Channel', 'Status', 'Fee', 'Outcome'],
    none: 'No appointments on this day.',
    loading: 'Loading the queue …',
    loaded: (day, n) => `Queue for ${day} loaded: ${n} ${n === 1 ? 'appointment' : 'appointments'}.`,
    failed: 'The queue could not be loaded.',
    table: 'Table, scrolls sideways',
    channel: { video: 'video', in_person: 'in person' },
    status: {
      opened: 'opened', booked: 'booked', appointment_cancelled: 'appointment cancelled', waiting: 'waiting',
      held: 'on hold', admitted: 'admitted', sent_back: 'sent back', in_call: 'in call',
      call_ended: 'call ended', closed: 'closed',
    },
    fee: {
      none: 'none', assessed: 'assessed', payment_started: 'payment started', paid: 'paid',
      waived: 'waived', refunded: 'refunded',
    },
    outcome: {
      completed: 'completed', referred_in_person: 'continue in person', no_show: 'no-show',
      cancelled: 'cancelled',
    },
    services: {
      wohnsitz_anmeldung: 'Residence registration', wohnsitz_abmeldung: 'Deregistration',
      meldebescheinigung: 'Certificate of registration', haushaltsbescheinigung: 'Household certificate',
      beglaubigung_kopien: 'Certified copies', gewerbe_anmeldung: 'Business registration',
      bewohnerparkausweis: 'Resident parking permit', lebensbescheinigung: 'Life certificate',
    },
    locale: 'en-GB',
  },
};

// Status badges: the text carries the meaning, the colour only repeats it.
const BADGE = {
  waiting: 'warning', held: 'warning', sent_back: 'warning', admitted: 'info', in_call: 'info',
  call_ended: 'info', closed: 'success', appointment_cancelled: 'danger',
};

let language = localStorage.getItem('buergeramt.lang') === 'en' ? 'en' : 'de';
let lastCases = null;
let generation = 0;

const input = document.getElementById('day');
const status = document.getElementById('status');
const container = document.getElementById('queues');

/** Today in Potsdam as YYYY-MM-DD (the API's office day, not the browser's UTC day). */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date());
}

function formatDay(day, dateStyle = 'full') {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(TEXT[language].locale, { dateStyle, timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function formatFee(c, t) {
  if (c.fee_cents == null) return '–';
  const amount = new Intl.NumberFormat(t.locale, { style: 'currency', currency: 'EUR' })
    .format(c.fee_cents / 100);
  return `${amount} (${t.fee[c.fee] ?? c.fee})`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function badge(state, t) {
  const span = element('span', `kern-badge kern-badge--${BADGE[state] ?? 'info'}`);
  span.append(element('span', 'kern-label', t.status[state] ?? state));
  return span;
}

function officeTable(office, day, cases, t) {
  const section = element('section', 'queue');
  const headingId = `office-${office}`;
  const heading = element('h2', 'kern-heading-medium', t.offices[office] ?? office);
  heading.id = headingId;
  section.setAttribute('aria-labelledby', headingId);
  section.dataset.office = office;

  // A scrollable region must be reachable by keyboard (WCAG 2.1.1) and named.
  const scroller = element('div', 'kern-table-responsive');
  scroller.tabIndex = 0;
  scroller.setAttribute('role', 'region');
  scroller.setAttribute('aria-label', `${t.offices[office] ?? office}: ${t.table}`);

  const table = element('table', 'kern-table kern-table--striped');
  // A short date, so the caption fits a phone screen above the sideways-scrolling table.
  table.append(element('caption', 'kern-title', t.caption(formatDay(day, 'medium'))));
  const headRow = table.createTHead().insertRow();
  headRow.className = 'kern-table__row';
  t.columns.forEach((title, i) => {
    const th = element('th', i === 4 ? 'kern-table__header kern-table__header--numeric' : 'kern-table__header', title);
    th.scope = 'col';
    headRow.append(th);
  });
  const body = table.createTBody();
  body.className = 'kern-table__body';
  for (const c of cases) {
    const row = body.insertRow();
    row.className = 'kern-table__row';
    const cells = [
      c.appointment ? c.appointment.local_start.slice(11, 16) : '–',
      t.services[c.service] ?? c.service,
      t.channel[c.channel] ?? c.channel,
      badge(c.status, t),
      formatFee(c, t),
      c.outcome ? (t.outcome[c.outcome] ?? c.outcome) : '–',
    ];
    cells.forEach((content, i) => {
      const td = element('td', i === 4 ? 'kern-table__cell kern-table__cell--numeric' : 'kern-table__cell');
      td.append(content);
      row.append(td);
    });
  }
  if (cases.length === 0) {
    const td = element('td', 'kern-table__cell', t.none);
    td.colSpan = t.columns.length;
    body.insertRow().append(td);
  }
  scroller.append(table);
  section.append(heading, scroller);
  return section;
}

function draw() {
  const t = TEXT[language];
  container.replaceChildren();
  if (!lastCases) return;
  const { day, perOffice, failed } = lastCases;
  if (failed) {
    const alert = element('div', 'kern-alert kern-alert--danger');
    alert.setAttribute('role', 'alert');
    const header = element('div', 'kern-alert__header');
    header.append(element('span', 'kern-title', t.failed));
    alert.append(header);
    container.append(alert);
  }
  for (const office of offices) {
    container.append(officeTable(office, day, perOffice[office] ?? [], t));
  }
  const total = offices.reduce((n, o) => n + (perOffice[o]?.length ?? 0), 0);
  status.textContent = failed ? t.failed : t.loaded(formatDay(day), total);
  document.body.dataset.loadedDay = day;
}

const loginForm = document.getElementById('login');
const loginError = document.getElementById('login-error');
let offices = OFFICES;

/** Who is signed in; shows the sign-in form when nobody is. */
async function session() {
  const response = await fetch('/api/v1/session');
  if (response.status === 401) {
    loginForm.hidden = false;
    status.textContent = TEXT[language].loginNeeded;
    return null;
  }
  loginForm.hidden = true;
  const me = await response.json();
  // A clerk sees the own office only; other roles see every office.
  offices = me.office ? [me.office] : OFFICES;
  return me;
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  loginError.textContent = '';
  const response = await fetch('/api/v1/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({
      username: document.getElementById('username').value.trim().toLowerCase(),
      password: document.getElementById('password').value,
    }),
  });
  if (!response.ok) {
    loginError.textContent = TEXT[language].loginFailed;
    return;
  }
  document.getElementById('password').value = '';
  if (await session()) load(input.value);
});

async function load(day) {
  const mine = ++generation;
  status.textContent = TEXT[language].loading;
  const perOffice = {};
  let failed = false;
  await Promise.all(offices.map(async (office) => {
    try {
      const response = await fetch(`/api/v1/offices/${office}/queue/${day}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      perOffice[office] = await response.json();
    } catch {
      failed = true;
    }
  }));
  // A later choice of day wins over an answer that arrives late.
  if (mine !== generation) return;
  lastCases = { day, perOffice, failed };
  draw();
}

function applyLanguage(next) {
  language = next;
  localStorage.setItem('buergeramt.lang', next);
  const t = TEXT[next];
  document.documentElement.lang = next;
  document.title = t.title;
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t[node.dataset.i18n];
  }
  for (const button of document.querySelectorAll('[data-lang]')) {
    const chosen = button.dataset.lang === next;
    button.setAttribute('aria-pressed', String(chosen));
    // The chosen language is the primary button; the text (aria-pressed) says it, not only colour.
    button.classList.toggle('kern-btn--primary', chosen);
    button.classList.toggle('kern-btn--secondary', !chosen);
  }
  draw();
}

for (const button of document.querySelectorAll('[data-lang]')) {
  button.addEventListener('click', () => applyLanguage(button.dataset.lang));
}
input.addEventListener('change', () => {
  if (input.value && loginForm.hidden) load(input.value);
});

input.value = today();
applyLanguage(language);
session().then((me) => { if (me) load(input.value); });
