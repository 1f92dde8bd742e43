// "Mein Termin": the page the capability link opens (/mein-termin.html#token=…[&action=cancel]).
// The token is read from the fragment (browsers never send it to the server), removed from the
// visible address with history.replaceState and kept in sessionStorage for reloads; every call
// sends it as `Authorization: Bearer`. Shows the case, the device check (device-check.js),
// check-in, the waiting room (live from GET /api/v1/my-case/stream, or polling GET
// /api/v1/my-case every 5 s where the stream answers 404), rescheduling (slots.js) and cancelling
// after an explicit confirmation: `&action=cancel` opens straight at that one button, a GET
// never cancels.

import { alertBox, api, element, formatDay, formatTime, problemAlert, setupLanguage } from './citizen.js';
import { setupDeviceCheck } from './device-check.js';
import { createSlotPicker } from './slots.js';

const TOKEN_KEY = 'buergeramt.token';
const POLL_MS = 5000;

const TEXT = {
  de: {
    title: 'Mein Termin – Virtuelles Bürgeramt Potsdam',
    skip: 'Zum Inhalt springen',
    city: 'Landeshauptstadt Potsdam',
    service: 'Virtuelles Bürgeramt',
    navBook: 'Termin buchen',
    navMine: 'Mein Termin',
    heading: 'Mein Termin',
    loading: 'Ihr Termin wird geladen …',
    loaded: 'Ihr Termin ist geladen.',
    noToken: 'Bitte öffnen Sie den persönlichen Link aus Ihrer Bestätigungs-E-Mail. Aus Sicherheitsgründen gibt es kein Konto und kein Passwort.',
    noTokenTitle: 'Kein Link geöffnet',
    badLinkTitle: 'Dieser Link gilt nicht',
    badLink: 'Der Link ist ungültig oder der Termin gehört nicht dazu. Öffnen Sie den Link aus Ihrer neuesten E-Mail.',
    problemHeading: 'Das hat nicht geklappt',
    networkError: 'Keine Verbindung zum Server. Bitte versuchen Sie es gleich noch einmal.',
    summaryHeading: 'Ihr Termin',
    reference: 'Vorgangsnummer',
    what: 'Anliegen',
    when: 'Wann',
    where: 'Wo',
    state: 'Stand',
    whereVideo: (office) => `Videotermin, ${office}`,
    noAppointment: 'kein Termin gebucht',
    at: (day, time) => `${day}, ${time} Uhr`,
    waitlistAt: (day, position) => `Warteliste für ${day}, Platz ${position}. Wird ein Termin frei, buchen wir ihn für Sie und schicken die Bestätigung per E-Mail.`,
    status: {
      open: 'kein Termin gebucht', waitlisted: 'auf der Warteliste', booked: 'gebucht', waiting: 'im Warteraum', on_hold: 'im Warteraum, zurückgestellt',
      admitted: 'eingelassen', in_call: 'im Gespräch', closed: 'abgeschlossen',
    },
    waitingHeading: 'Warteraum',
    waiting: (position, time) => `Sie sind im Warteraum. Ihre Position: ${position}. Voraussichtlicher Beginn: etwa ${time} Uhr.`,
    onHold: 'Die Sachbearbeitung hat Sie gebeten, noch etwas zu warten. Ihr Platz bleibt erhalten.',
    stay: 'Bleiben Sie auf dieser Seite – sie aktualisiert sich von selbst.',
    admittedTitle: 'Sie sind eingelassen!',
    admitted: 'Ihr Gespräch beginnt gleich. Halten Sie Ihren Ausweis bereit.',
    inCall: 'Ihr Gespräch läuft.',
    joinCall: 'Jetzt dem Gespräch beitreten',
    joinHint: 'Das Gespräch öffnet sich auf dieser Seite. Ihr Browser fragt nach Kamera und Mikrofon.',
    checkInHeading: 'Anmelden',
    checkInText: 'Heute ist Ihr Termin. Melden Sie sich an, wenn Sie bereit sind; Sie kommen dann in den Warteraum.',
    checkInButton: 'Jetzt anmelden',
    deviceHeading: 'Technik prüfen',
    deviceIntro: 'Prüfen Sie vor dem Termin Kamera, Mikrofon, Lautsprecher und Verbindung. Ihr Bild und Ton bleiben auf Ihrem Gerät; nur die Übertragungsprüfung schickt sie einmal über den Server des Bürgeramts zu Ihnen zurück, ohne sie zu speichern.',
    cameraHeading: 'Kamera',
    cameraButton: 'Kamera prüfen',
    micHeading: 'Mikrofon',
    micLevel: 'Lautstärke am Mikrofon',
    micButton: 'Mikrofon prüfen',
    speakerHeading: 'Lautsprecher',
    speakerButton: 'Testton abspielen',
    speakerHeard: 'Ich habe den Ton gehört',
    speakerNotHeard: 'Ich habe nichts gehört',
    connectionHeading: 'Verbindung',
    connectionButton: 'Verbindung prüfen',
    roundtripHeading: 'Übertragung über den Server',
    roundtripButton: 'Übertragung prüfen',
    deviceSummary: 'Ergebnis',
    rescheduleHeading: 'Termin verschieben',
    rescheduleOpen: 'Andere Uhrzeit wählen',
    rescheduleSubmit: 'Auf diese Uhrzeit verschieben',
    rescheduleChoose: 'Bitte wählen Sie eine neue Uhrzeit.',
    rescheduled: 'Ihr Termin ist verschoben. Eine E-Mail mit der neuen Uhrzeit ist unterwegs.',
    cancelSectionHeading: 'Termin absagen',
    cancelSectionText: 'Sie können nicht? Sagen Sie bitte ab, damit andere den Termin bekommen.',
    cancelOpen: 'Termin absagen …',
    cancelHeading: 'Termin absagen?',
    cancelQuestion: 'Möchten Sie diesen Termin wirklich absagen? Die Uhrzeit wird für andere frei.',
    cancelYes: 'Ja, Termin absagen',
    cancelNo: 'Nein, Termin behalten',
    cancelled: 'Ihr Termin ist abgesagt. Eine Bestätigung kommt per E-Mail. Sie können jederzeit einen neuen Termin buchen.',
    cannotCancel: 'Dieser Termin kann nicht mehr abgesagt werden (er hat schon begonnen, ist vorbei oder schon abgesagt).',
    health: 'Betriebszustand (/health)',
    locale: 'de-DE',
  },
  en: {
    title: 'My appointment – Virtual citizen office Potsdam',
    skip: 'Skip to content',
    city: 'City of Potsdam',
    service: 'Virtual citizen office',
    navBook: 'Book an appointment',
    navMine: 'My appointment',
    heading: 'My appointment',
    loading: 'Loading your appointment …',
    loaded: 'Your appointment is loaded.',
    noToken: 'Please open the personal link from your confirmation e-mail. For your security there is no account and no password.',
    noTokenTitle: 'No link opened',
    badLinkTitle: 'This link is not valid',
    badLink: 'The link is invalid or does not belong to an appointment. Open the link from your latest e-mail.',
    problemHeading: 'That did not work',
    networkError: 'No connection to the server. Please try again in a moment.',
    summaryHeading: 'Your appointment',
    reference: 'Reference',
    what: 'Request',
    when: 'When',
    where: 'Where',
    state: 'Status',
    whereVideo: (office) => `Video appointment, ${office}`,
    noAppointment: 'no appointment booked',
    at: (day, time) => `${day}, ${time}`,
    waitlistAt: (day, position) => `Waitlist for ${day}, place ${position}. If an appointment becomes free, we book it for you and send the confirmation by e-mail.`,
    status: {
      open: 'no appointment booked', waitlisted: 'on the waitlist', booked: 'booked', waiting: 'in the waiting room', on_hold: 'in the waiting room, on hold',
      admitted: 'admitted', in_call: 'in the call', closed: 'closed',
    },
    waitingHeading: 'Waiting room',
    waiting: (position, time) => `You are in the waiting room. Your position: ${position}. Expected start: about ${time}.`,
    onHold: 'The clerk asked you to wait a little longer. You keep your place.',
    stay: 'Stay on this page – it updates by itself.',
    admittedTitle: 'You are admitted!',
    admitted: 'Your call starts in a moment. Have your ID card ready.',
    inCall: 'Your call is running.',
    joinCall: 'Join the call now',
    joinHint: 'The call opens on this page. Your browser asks for camera and microphone.',
    checkInHeading: 'Check in',
    checkInText: 'Your appointment is today. Check in when you are ready; you then enter the waiting room.',
    checkInButton: 'Check in now',
    deviceHeading: 'Check your devices',
    deviceIntro: 'Before the appointment, check camera, microphone, speaker and connection. Your picture and sound stay on your device; only the transmission check sends them once through the citizen office\'s server and back to you, without storing them.',
    cameraHeading: 'Camera',
    cameraButton: 'Check the camera',
    micHeading: 'Microphone',
    micLevel: 'Microphone level',
    micButton: 'Check the microphone',
    speakerHeading: 'Speaker',
    speakerButton: 'Play a test tone',
    speakerHeard: 'I heard the tone',
    speakerNotHeard: 'I heard nothing',
    connectionHeading: 'Connection',
    connectionButton: 'Check the connection',
    roundtripHeading: 'Transmission through the server',
    roundtripButton: 'Check the transmission',
    deviceSummary: 'Result',
    rescheduleHeading: 'Change the time',
    rescheduleOpen: 'Choose another time',
    rescheduleSubmit: 'Move to this time',
    rescheduleChoose: 'Please choose a new time.',
    rescheduled: 'Your appointment is moved. An e-mail with the new time is on its way.',
    cancelSectionHeading: 'Cancel the appointment',
    cancelSectionText: 'Cannot make it? Please cancel so that someone else gets the time.',
    cancelOpen: 'Cancel the appointment …',
    cancelHeading: 'Cancel the appointment?',
    cancelQuestion: 'Do you really want to cancel this appointment? The time becomes free for others.',
    cancelYes: 'Yes, cancel the appointment',
    cancelNo: 'No, keep the appointment',
    cancelled: 'Your appointment is cancelled. A confirmation comes by e-mail. You can book a new appointment at any time.',
    cannotCancel: 'This appointment can no longer be cancelled (it has started, is over or is already cancelled).',
    health: 'Service health (/health)',
    locale: 'en-GB',
  },
};

const $ = (id) => document.getElementById(id);
const messages = $('messages');
const statusLine = $('status');
const caseView = $('case-view');
const confirmBox = $('cancel-confirm');
const waitingBox = $('waiting');

let myCase = null;
let offices = [];
let device = null;
let picker = null;
let live = null; // AbortController of the running live updates
let waitingKey = '';

const language = setupLanguage(TEXT, () => redraw());
const t = () => language.t();

/** The token from the fragment (then removed from the address bar) or from this tab's storage. */
function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  let action = null;
  if (fragment.get('token')) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
    action = fragment.get('action');
    history.replaceState(null, '', location.pathname);
  }
  return { token: sessionStorage.getItem(TOKEN_KEY), action };
}

const { token, action } = takeToken();

function say(box) {
  messages.replaceChildren(box);
}

function appointmentText(c) {
  if (!c.appointment && c.waitlist) return t().waitlistAt(formatDay(c.waitlist.date, t().locale), c.waitlist.position);
  if (!c.appointment) return t().noAppointment;
  return t().at(formatDay(c.appointment.start, t().locale), formatTime(c.appointment.start));
}

function summaryList(c) {
  const list = element('dl', 'kern-description-list');
  const row = (key, value, name) => {
    const item = element('div', 'kern-description-list-item');
    const dd = element('dd', 'kern-description-list-item__value', value);
    if (name) dd.dataset.field = name;
    item.append(element('dt', 'kern-description-list-item__key', key), dd);
    list.append(item);
  };
  row(t().reference, c.reference, 'reference');
  row(t().what, language.lang() === 'en' ? c.service_name_en : c.service_name_de, 'service');
  row(t().when, appointmentText(c), 'when');
  row(t().where, t().whereVideo(c.office_name ?? c.office), 'where');
  row(t().state, t().status[c.status] ?? c.status, 'status');
  return list;
}

function estimatedTime(utc) {
  return new Intl.DateTimeFormat(t().locale, { timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(new Date(utc));
}

/** The way into the call: anruf.html with the token in the fragment (never sent to the server). */
function joinButton() {
  const box = element('div', 'kern-stack join-call');
  const link = element('a', 'kern-btn kern-btn--primary');
  link.id = 'join-call';
  link.href = `/anruf.html#token=${encodeURIComponent(token)}`;
  link.append(element('span', 'kern-label', t().joinCall));
  box.append(link, element('p', 'kern-body kern-body--small', t().joinHint));
  return box;
}

function drawWaiting() {
  const c = myCase;
  const inRoom = ['waiting', 'on_hold', 'admitted', 'in_call'].includes(c.status);
  $('waiting-room').hidden = !inRoom;
  if (!inRoom) {
    waitingKey = '';
    return;
  }
  // Replace the live region's content only when what it says changes, so it is read out once.
  const key = `${language.lang()}|${c.status}|${c.waiting?.position}|${c.waiting?.estimated_start}|${c.waiting?.on_hold}`;
  if (key === waitingKey) return;
  waitingKey = key;
  const parts = [];
  if (c.status === 'admitted') {
    const box = alertBox('success', t().admittedTitle, t().admitted, 'alert');
    box.id = 'admitted';
    parts.push(box);
  } else if (c.status === 'in_call') {
    parts.push(element('p', 'kern-body kern-body--large', t().inCall));
  }
  if (c.status === 'admitted' || c.status === 'in_call') parts.push(joinButton()); else {
    const w = c.waiting;
    if (w) {
      const line = element('p', 'kern-body kern-body--large', t().waiting(w.position, estimatedTime(w.estimated_start)));
      line.id = 'waiting-position';
      line.dataset.position = String(w.position);
      parts.push(line);
    }
    if (c.status === 'on_hold' || w?.on_hold) {
      const hold = alertBox('warning', t().onHold);
      hold.id = 'on-hold';
      parts.push(hold);
    }
    parts.push(element('p', 'kern-body kern-body--muted', t().stay));
  }
  waitingBox.replaceChildren(...parts);
}

function draw() {
  const c = myCase;
  if (!c) return;
  $('summary').replaceChildren(summaryList(c));
  $('cancel-summary').replaceChildren(summaryList(c));
  const active = ['waitlisted', 'booked', 'waiting', 'on_hold', 'admitted', 'in_call'].includes(c.status);
  $('device-check').hidden = !active;
  $('check-in').hidden = !c.can_check_in;
  $('reschedule').hidden = !c.can_reschedule;
  $('cancel').hidden = !c.can_cancel;
  if (!c.can_reschedule) closeReschedule();
  drawWaiting();
  document.body.dataset.status = c.status;
}

function redraw() {
  draw();
  device?.redraw();
  picker?.redraw();
}

function showCase() {
  confirmBox.hidden = true;
  caseView.hidden = false;
}

function showCancelConfirm() {
  caseView.hidden = true;
  confirmBox.hidden = false;
  $('cancel-heading').focus();
}

/** Applies a fresh view of the case and starts or stops the live updates. */
function update(c) {
  myCase = c;
  draw();
  // Followed live: the waiting room, and a place on the waitlist (a seat may be booked for it).
  const inRoom = ['waitlisted', 'waiting', 'on_hold', 'admitted', 'in_call'].includes(c.status);
  if (inRoom && !live) follow();
  if (!inRoom && live) {
    live.abort();
    live = null;
  }
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/** Reads `event: my-case` messages from a text/event-stream body. */
async function readEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true });
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (event === 'my-case' && data.length) {
        try {
          update(JSON.parse(data.join('\n')));
        } catch {
          // A malformed message is skipped; the next one carries the full state again.
        }
      }
    }
  }
}

/**
 * Live updates while in the waiting room: the SSE stream when the server has it (200), else
 * (404) polling every 5 s. A dropped stream is retried after one poll.
 */
async function follow() {
  live = new AbortController();
  const { signal } = live;
  document.body.dataset.live = 'starting';
  let streamMissing = false;
  while (!signal.aborted) {
    if (!streamMissing) {
      try {
        const response = await fetch('/api/v1/my-case/stream', {
          headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' }, signal, cache: 'no-store',
        });
        if (response.status === 200 && response.body) {
          document.body.dataset.live = 'stream';
          await readEvents(response.body, signal);
        } else if (response.status === 404 || response.status === 405) {
          streamMissing = true;
          document.body.dataset.live = 'polling';
        }
      } catch {
        // A network error or the abort: fall through to one poll, then try again.
      }
    }
    await sleep(POLL_MS, signal);
    if (signal.aborted) return;
    const result = await api('/api/v1/my-case', { token, signal }).catch(() => null);
    if (result?.ok) update(result.data);
  }
}

async function act(path, body) {
  const result = await api(`/api/v1/my-case/${path}`, { method: 'POST', token, body });
  if (!result.ok) {
    const box = problemAlert(result, t());
    box.tabIndex = -1;
    say(box);
    box.focus();
    return null;
  }
  update(result.data);
  return result.data;
}

$('check-in-button').addEventListener('click', async () => {
  messages.replaceChildren();
  if (await act('check-in')) $('waiting-heading').focus();
});

$('cancel-open').addEventListener('click', () => {
  messages.replaceChildren();
  showCancelConfirm();
});
$('cancel-no').addEventListener('click', () => {
  showCase();
  $('summary-heading').focus();
});
$('cancel-yes').addEventListener('click', async () => {
  const done = await act('cancel');
  showCase();
  if (done) {
    const box = alertBox('success', t().cancelled, null, 'alert');
    box.id = 'cancelled';
    box.tabIndex = -1;
    say(box);
    box.focus();
  }
});

function closeReschedule() {
  $('reschedule-form').hidden = true;
  $('reschedule-open').setAttribute('aria-expanded', 'false');
}

$('reschedule-open').addEventListener('click', () => {
  const form = $('reschedule-form');
  const opening = form.hidden;
  form.hidden = !opening;
  $('reschedule-open').setAttribute('aria-expanded', String(opening));
  if (opening && !picker) {
    const own = offices.filter((o) => o.id === myCase.office);
    picker = createSlotPicker($('reschedule-picker'), {
      idPrefix: 'move',
      service: myCase.service,
      offices: own.length ? own : [{ id: myCase.office, name: myCase.office_name ?? myCase.office }],
      office: myCase.office,
      lang: language.lang,
      exclude: myCase.appointment?.start.slice(0, 16) ?? null,
    });
  }
});

$('reschedule-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const errors = $('reschedule-errors');
  errors.replaceChildren();
  const choice = picker?.value();
  if (!choice) {
    errors.append(alertBox('danger', t().rescheduleChoose, null, 'alert'));
    return;
  }
  const result = await api('/api/v1/my-case/reschedule', { method: 'POST', token, body: { start: choice.start } });
  if (!result.ok) {
    errors.append(problemAlert(result, t()));
    if (result.status === 409) picker.reload();
    return;
  }
  update(result.data);
  closeReschedule();
  picker = null;
  const box = alertBox('success', t().rescheduled, null, 'alert');
  box.tabIndex = -1;
  say(box);
  box.focus();
});

async function start() {
  if (!token) {
    say(alertBox('info', t().noTokenTitle, t().noToken));
    document.body.dataset.ready = 'no-token';
    return;
  }
  statusLine.textContent = t().loading;
  const [result, officeResult] = await Promise.all([api('/api/v1/my-case', { token }), api('/api/v1/offices')]);
  offices = officeResult.ok ? officeResult.data : [];
  if (!result.ok) {
    statusLine.textContent = '';
    say(result.status === 401 ? alertBox('danger', t().badLinkTitle, t().badLink, 'alert') : problemAlert(result, t()));
    document.body.dataset.ready = 'error';
    return;
  }
  statusLine.textContent = t().loaded;
  device = setupDeviceCheck(language.lang, { token });
  update(result.data);
  if (action === 'cancel') {
    if (result.data.can_cancel) showCancelConfirm();
    else {
      showCase();
      say(alertBox('warning', t().cannotCancel));
    }
  } else {
    showCase();
  }
  document.body.dataset.ready = 'true';
}

// Camera and microphone are released when the citizen leaves the page.
window.addEventListener('pagehide', () => device?.stop());

start();
