// The clerks' live dashboard: one office day from GET /api/v1/offices/{office}/dashboard/{date}
// and, live, its Server-Sent Events stream (…/stream: `snapshot`, then `case` per change). An
// arrival (a case that becomes `waiting`) highlights its row with a text label, is announced in
// an aria-live region and plays a short tone (toggle "Ton an/aus", on after sign-in). Waiting
// rows get Admit / Hold / Send back (POST /api/v1/cases/{id}/{action}, with the row's version
// as expected_version); admitted rows link to the call page (/anruf.html#case=<id>). German
// first, English on request. No personal data: the API has none.

const OFFICES = ['potsdam-mitte', 'potsdam-babelsberg'];
const TIME_ZONE = 'Europe/Berlin';
const COUNTS = ['waiting', 'held', 'admitted', 'in_call', 'booked', 'done', 'no_show', 'cancelled'];

const TEXT = {
  de: {
    title: 'Wartezimmer – Virtuelles Bürgeramt Potsdam',
    skip: 'Zum Inhalt springen',
    city: 'Landeshauptstadt Potsdam',
    service: 'Virtuelles Bürgeramt',
    heading: 'Wartezimmer',
    intro: 'Die Termine des Tages Ihres Standorts, live. Neue Ankünfte erscheinen ohne Neuladen, mit Hinweis und Ton.',
    loginHeading: 'Anmeldung für Beschäftigte',
    username: 'Benutzername',
    password: 'Passwort',
    loginButton: 'Anmelden',
    loginFailed: 'Benutzername oder Passwort ist falsch.',
    loginNeeded: 'Das Wartezimmer ist nur für angemeldete Beschäftigte sichtbar.',
    office: 'Standort',
    day: 'Tag',
    countsHeading: 'Übersicht',
    queueLink: 'Warteschlange aller Standorte',
    soundOn: 'Ton an',
    soundOff: 'Ton aus',
    offices: { 'potsdam-mitte': 'Bürgerservice Potsdam-Mitte', 'potsdam-babelsberg': 'Bürgerservice Potsdam-Babelsberg' },
    counts: {
      waiting: 'wartend', held: 'zurückgestellt', admitted: 'eingelassen', in_call: 'im Gespräch',
      booked: 'gebucht', done: 'erledigt', no_show: 'nicht erschienen', cancelled: 'abgesagt',
    },
    caption: (office, day) => `${office}: Termine am ${day}`,
    table: 'Tabelle, seitlich scrollbar',
    columns: ['Uhrzeit', 'Leistung', 'Status', 'Wartet seit', 'Unterlagen', 'Gebühr', 'Aktionen'],
    none: 'Keine Termine an diesem Tag.',
    live: 'Live verbunden.',
    connecting: 'Verbindung wird aufgebaut …',
    reconnecting: 'Verbindung unterbrochen, neuer Versuch …',
    arrivalLabel: 'Neu angekommen',
    arrived: (time, service) => `Neue Ankunft: Termin ${time}, ${service}.`,
    admit: 'Einlassen',
    hold: 'Zurückstellen',
    sendBack: 'Zurückschicken',
    startCall: 'Videoanruf starten',
    rejoinCall: 'Zum Videoanruf',
    actionFor: (action, time) => `${action}: Termin ${time}`,
    actionFailed: 'Die Aktion ist fehlgeschlagen; die Zeile zeigt den aktuellen Stand.',
    documents: (d) => `${d.accepted} von ${d.requested.length} angenommen, ${d.uploaded} hochgeladen`,
    status: {
      opened: 'eröffnet', booked: 'gebucht', appointment_cancelled: 'Termin abgesagt', waiting: 'wartet',
      held: 'zurückgestellt', admitted: 'eingelassen', sent_back: 'zurückgeschickt', in_call: 'im Gespräch',
      call_ended: 'Gespräch beendet', closed: 'abgeschlossen',
    },
    outcome: { completed: 'erledigt', referred_in_person: 'vor Ort', no_show: 'nicht erschienen', cancelled: 'storniert' },
    fee: { none: 'keine', assessed: 'festgesetzt', payment_started: 'Zahlung läuft', paid: 'bezahlt', waived: 'erlassen', refunded: 'erstattet' },
    services: {
      wohnsitz_anmeldung: 'Wohnsitz anmelden', wohnsitz_abmeldung: 'Wohnsitz abmelden',
      meldebescheinigung: 'Meldebescheinigung', haushaltsbescheinigung: 'Haushaltsbescheinigung',
      beglaubigung_kopien: 'Beglaubigung von Kopien', gewerbe_anmeldung: 'Gewerbe anmelden',
      bewohnerparkausweis: 'Bewohnerparkausweis', lebensbescheinigung: 'Lebensbescheinigung',
    },
    locale: 'de-DE',
  },
  en: {
    title: 'Waiting room – Virtual citizen office Potsdam',
    skip: 'Skip to content',
    city: 'City of Potsdam',
    service: 'Virtual citizen office',
    heading: 'Waiting room',
    intro: "Your office's appointments of the day, live. New arrivals appear without reloading, with a notice and a tone.",
    loginHeading: 'Staff sign-in',
    username: 'Username',
    password: 'Password',
    loginButton: 'Sign in',
    loginFailed: 'The username or the password is wrong.',
    loginNeeded: 'The waiting room is visible to signed-in staff only.',
    office: 'Office',
    day: 'Day',
    countsHeading: 'Overview',
    queueLink: 'Queue of all offices',
    soundOn: 'Sound on',
    soundOff: 'Sound off',
    offices: { 'potsdam-mitte': 'Citizen service Potsdam-Mitte', 'potsdam-babelsberg': 'Citizen service Potsdam-Babelsberg' },
    counts: {
      waiting: 'waiting', held: 'on hold', admitted: 'admitted', in_call: 'in call',
      booked: 'booked', done: 'done', no_show: 'no-show', cancelled: 'cancelled',
    },
    caption: (office, day) => `${office}: appointments on ${day}`,
    table: 'Table, scrolls sideways',
    columns: ['Time', 'Service', 'Status', 'Waiting since', 'Documents', 'Fee', 'Actions'],
    none: 'No appointments on this day.',
    live: 'Connected live.',
    connecting: 'Connecting …',
    reconnecting: 'Connection lost, trying again …',
    arrivalLabel: 'New arrival',
    arrived: (time, service) => `New arrival: appointment ${time}, ${service}.`,
    admit: 'Admit',
    hold: 'Hold',
    sendBack: 'Send back',
    startCall: 'Start the video call',
    rejoinCall: 'Go to the video call',
    actionFor: (action, time) => `${action}: appointment ${time}`,
    actionFailed: 'The action failed; the row shows the current state.',
    documents: (d) => `${d.accepted} of ${d.requested.length} accepted, ${d.uploaded} uploaded`,
    status: {
      opened: 'opened', booked: 'booked', appointment_cancelled: 'appointment cancelled', waiting: 'waiting',
      held: 'on hold', admitted: 'admitted', sent_back: 'sent back', in_call: 'in call',
      call_ended: 'call ended', closed: 'closed',
    },
    outcome: { completed: 'completed', referred_in_person: 'in person', no_show: 'no-show', cancelled: 'cancelled' },
    fee: { none: 'none', assessed: 'assessed', payment_started: 'payment started', paid: 'paid', waived: 'waived', refunded: 'refunded' },
    services: {
      wohnsitz_anmeldung: 'Residence registration', wohnsitz_abmeldung: 'Deregistration',
      meldebescheinigung: 'Certificate of registration', haushaltsbescheinigung: 'Household certificate',
      beglaubigung_kopien: 'Certified copies', gewerbe_anmeldung: 'Business registration',
      bewohnerparkausweis: 'Resident parking permit', lebensbescheinigung: 'Life certificate',
    },
    locale: 'en-GB',
  },
};

const BADGE = {
  waiting: 'warning', held: 'warning', sent_back: 'warning', admitted: 'info', in_call: 'info',
  call_ended: 'info', closed: 'success', appointment_cancelled: 'danger',
};

let language = localStorage.getItem('buergeramt.lang') === 'en' ? 'en' : 'de';
/** The office day shown: office, day, cases by id, counts. */
let board = null;
/** Case ids that arrived while this page was open (highlighted until acted on). */
const arrivals = new Set();
let source = null;
let soundOn = true;
let audio = null;
let tones = 0;

const $ = (id) => document.getElementById(id);
const loginForm = $('login');
const boardBox = $('board');
const officeField = $('office-field');
const officeSelect = $('office');
const dayInput = $('day');
const statusLine = $('status');
const announce = $('announce');
const actionError = $('action-error');

function today(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(now);
}

/** The office day starts at the server's today (its Date header), not the browser's clock. */
let dayChosen = false;
function takeServerDay(response) {
  const date = new Date(response.headers.get('date') ?? '');
  if (!dayChosen && !Number.isNaN(date.getTime())) dayInput.value = today(date);
}

function formatDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(TEXT[language].locale, { dateStyle: 'medium', timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function formatTime(iso) {
  if (!iso) return '–';
  return new Intl.DateTimeFormat(TEXT[language].locale, { hour: '2-digit', minute: '2-digit', timeZone: TIME_ZONE })
    .format(new Date(iso));
}

function formatFee(c, t) {
  if (c.fee_cents == null) return '–';
  const amount = new Intl.NumberFormat(t.locale, { style: 'currency', currency: 'EUR' }).format(c.fee_cents / 100);
  return `${amount} (${t.fee[c.fee] ?? c.fee})`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const bookedTime = (c) => (c.appointment ? c.appointment.local_start.slice(11, 16) : '–');

/** A short tone through Web Audio (the audible cue); counted in body[data-tones] for tests. */
function tone() {
  if (!soundOn || !audio) return;
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start();
  oscillator.stop(audio.currentTime + 0.35);
  tones += 1;
  document.body.dataset.tones = String(tones);
}

/** Audio may only start after a user gesture: sign-in, the toggle, or any click. */
function unlockAudio() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  if (audio && audio.state === 'suspended') audio.resume();
}

function drawSound() {
  const t = TEXT[language];
  const button = $('sound');
  button.setAttribute('aria-pressed', String(soundOn));
  $('sound-label').textContent = soundOn ? t.soundOn : t.soundOff;
}

$('sound').addEventListener('click', () => {
  unlockAudio();
  soundOn = !soundOn;
  drawSound();
});
document.addEventListener('click', unlockAudio, { once: true });
document.addEventListener('keydown', unlockAudio, { once: true });

function countsOf(cases) {
  const counts = Object.fromEntries(COUNTS.map((k) => [k, 0]));
  for (const c of cases) {
    const key = {
      opened: 'booked', booked: 'booked', sent_back: 'booked', waiting: 'waiting', held: 'held',
      admitted: 'admitted', in_call: 'in_call', call_ended: 'done', appointment_cancelled: 'cancelled',
    }[c.status] ?? (c.outcome === 'no_show' ? 'no_show' : c.outcome === 'cancelled' ? 'cancelled' : 'done');
    counts[key] += 1;
  }
  return counts;
}

function drawCounts(t) {
  const list = $('counts');
  list.replaceChildren();
  const counts = countsOf([...board.cases.values()]);
  for (const key of COUNTS) {
    const item = element('li');
    item.dataset.count = key;
    item.append(element('strong', '', String(counts[key])), ` ${t.counts[key]}`);
    list.append(item);
  }
}

function actionButton(c, action, label, t) {
  const button = element('button', 'kern-btn kern-btn--secondary kern-btn--x-small');
  button.type = 'button';
  button.dataset.action = action;
  button.setAttribute('aria-label', t.actionFor(label, bookedTime(c)));
  button.append(element('span', 'kern-label', label));
  button.addEventListener('click', () => act(c, action));
  return button;
}

/** After "Einlassen": the way into the call page for this case (the clerk opens the call). */
function callLink(c, t) {
  const label = c.status === 'in_call' ? t.rejoinCall : t.startCall;
  const link = element('a', 'kern-btn kern-btn--primary kern-btn--x-small');
  link.href = `/anruf.html#case=${encodeURIComponent(c.case_id)}`;
  link.dataset.action = 'call';
  link.setAttribute('aria-label', t.actionFor(label, bookedTime(c)));
  link.append(element('span', 'kern-label', label));
  return link;
}

function drawTable(t) {
  const box = $('table');
  box.replaceChildren();
  const officeName = t.offices[board.office] ?? board.office;
  const scroller = element('div', 'kern-table-responsive');
  scroller.tabIndex = 0;
  scroller.setAttribute('role', 'region');
  scroller.setAttribute('aria-label', `${officeName}: ${t.table}`);
  const table = element('table', 'kern-table kern-table--striped');
  table.append(element('caption', 'kern-title', t.caption(officeName, formatDay(board.date))));
  const head = table.createTHead().insertRow();
  head.className = 'kern-table__row';
  for (const title of t.columns) {
    const th = element('th', 'kern-table__header', title);
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  body.className = 'kern-table__body';
  const cases = [...board.cases.values()].sort((a, b) =>
    (a.appointment?.starts_at ?? '').localeCompare(b.appointment?.starts_at ?? '') || a.case_id.localeCompare(b.case_id));
  for (const c of cases) {
    const row = body.insertRow();
    row.className = 'kern-table__row';
    row.dataset.caseId = c.case_id;
    row.dataset.status = c.status;
    const statusCell = element('span');
    const badge = element('span', `kern-badge kern-badge--${BADGE[c.status] ?? 'info'}`);
    badge.append(element('span', 'kern-label', c.status === 'closed' && c.outcome ? t.outcome[c.outcome] ?? c.outcome : t.status[c.status] ?? c.status));
    statusCell.append(badge);
    if (arrivals.has(c.case_id)) {
      row.classList.add('arrival');
      statusCell.append(element('span', 'arrival-label', t.arrivalLabel));
    }
    const actions = element('div', 'row-actions');
    if (c.status === 'waiting' || c.status === 'held') {
      actions.append(actionButton(c, 'admit', t.admit, t));
      if (c.status === 'waiting') actions.append(actionButton(c, 'hold', t.hold, t));
      actions.append(actionButton(c, 'send-back', t.sendBack, t));
    }
    if (['admitted', 'in_call', 'call_ended'].includes(c.status)) actions.append(callLink(c, t));
    const docs = c.documents.requested.length ? t.documents(c.documents) : '–';
    const cells = [bookedTime(c), t.services[c.service] ?? c.service, statusCell,
      formatTime(c.waiting_since), docs, formatFee(c, t), actions];
    for (const content of cells) {
      const td = element('td', 'kern-table__cell');
      td.append(content);
      row.append(td);
    }
  }
  if (cases.length === 0) {
    const td = element('td', 'kern-table__cell', t.none);
    td.colSpan = t.columns.length;
    body.insertRow().append(td);
  }
  scroller.append(table);
  box.append(scroller);
}

function draw() {
  if (!board) return;
  const t = TEXT[language];
  drawCounts(t);
  drawTable(t);
  document.body.dataset.cases = String(board.cases.size);
}

function followDay() {
  source?.close();
  const office = officeSelect.value;
  const day = dayInput.value;
  if (!office || !day) return;
  const t = TEXT[language];
  statusLine.textContent = t.connecting;
  delete document.body.dataset.live;
  source = new EventSource(`/api/v1/offices/${encodeURIComponent(office)}/dashboard/${day}/stream`);
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    board = { office: snapshot.office, date: snapshot.date, cases: new Map(snapshot.cases.map((c) => [c.case_id, c])) };
    statusLine.textContent = TEXT[language].live;
    document.body.dataset.live = 'open';
    draw();
  });
  source.addEventListener('case', (event) => {
    const c = JSON.parse(event.data);
    if (!board) return;
    const known = board.cases.get(c.case_id);
    if (known && known.version > c.version) return;
    const here = c.office === board.office && c.appointment?.local_start.slice(0, 10) === board.date;
    if (!here) {
      board.cases.delete(c.case_id);
    } else {
      board.cases.set(c.case_id, c);
      if (c.status === 'waiting' && known?.status !== 'waiting') {
        arrivals.add(c.case_id);
        const text = TEXT[language];
        announce.textContent = text.arrived(bookedTime(c), text.services[c.service] ?? c.service);
        tone();
      } else if (c.status !== 'waiting') {
        arrivals.delete(c.case_id);
      }
    }
    draw();
  });
  source.addEventListener('error', () => {
    statusLine.textContent = TEXT[language].reconnecting;
    delete document.body.dataset.live;
  });
}

async function act(c, action) {
  actionError.textContent = '';
  const response = await fetch(`/api/v1/cases/${c.case_id}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({ expected_version: c.version }),
  });
  if (!response.ok) actionError.textContent = TEXT[language].actionFailed;
}

async function session() {
  const response = await fetch('/api/v1/session');
  takeServerDay(response);
  if (!response.ok) {
    loginForm.hidden = false;
    boardBox.hidden = true;
    statusLine.textContent = '';
    $('login-error').textContent = '';
    return null;
  }
  const me = await response.json();
  loginForm.hidden = true;
  boardBox.hidden = false;
  const offices = me.office ? [me.office] : OFFICES;
  officeSelect.replaceChildren(...offices.map((o) => {
    const option = element('option', '', TEXT[language].offices[o] ?? o);
    option.value = o;
    return option;
  }));
  // A clerk works in the own office; admins and auditors pick one.
  officeField.hidden = Boolean(me.office);
  return me;
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  unlockAudio();
  $('login-error').textContent = '';
  const response = await fetch('/api/v1/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({
      username: $('username').value.trim().toLowerCase(),
      password: $('password').value,
    }),
  });
  if (!response.ok) {
    $('login-error').textContent = TEXT[language].loginFailed;
    return;
  }
  $('password').value = '';
  soundOn = true;
  drawSound();
  if (await session()) {
    followDay();
    $('main').focus();
  }
});

function applyLanguage(next) {
  language = next;
  localStorage.setItem('buergeramt.lang', next);
  const t = TEXT[next];
  document.documentElement.lang = next;
  document.title = t.title;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t[node.dataset.i18n];
  for (const button of document.querySelectorAll('[data-lang]')) {
    const chosen = button.dataset.lang === next;
    button.setAttribute('aria-pressed', String(chosen));
    button.classList.toggle('kern-btn--primary', chosen);
    button.classList.toggle('kern-btn--secondary', !chosen);
  }
  for (const option of officeSelect.options) option.textContent = t.offices[option.value] ?? option.value;
  if (!loginForm.hidden) statusLine.textContent = '';
  else if (document.body.dataset.live) statusLine.textContent = t.live;
  drawSound();
  draw();
}

for (const button of document.querySelectorAll('[data-lang]')) {
  button.addEventListener('click', () => applyLanguage(button.dataset.lang));
}
officeSelect.addEventListener('change', () => { arrivals.clear(); followDay(); });
dayInput.addEventListener('change', () => { dayChosen = true; if (dayInput.value) { arrivals.clear(); followDay(); } });
window.addEventListener('pagehide', () => source?.close());

dayInput.value = today();
applyLanguage(language);
session().then((me) => { if (me) followDay(); });
