// The booking page: find the service (filter as you type), triage (video, in person with the
// legal reason and the way to the counter, or online elsewhere with the portal), office + day +
// time (slots.js), the form, the proof of work in a Web Worker (pow-worker.js), POST
// /api/v1/bookings, the confirmation with the link to "Mein Termin". Problems are shown as
// role=alert with their title and detail; the form keeps what was typed.

import { alertBox, api, button, element, formatDay, formatTime, problemAlert, setupLanguage } from './citizen.js';
import { createSlotPicker } from './slots.js';

const TEXT = {
  de: {
    title: 'Termin buchen – Virtuelles Bürgeramt Potsdam',
    skip: 'Zum Inhalt springen',
    city: 'Landeshauptstadt Potsdam',
    service: 'Virtuelles Bürgeramt',
    navBook: 'Termin buchen',
    navMine: 'Mein Termin',
    heading: 'Videotermin buchen',
    intro: 'Wählen Sie Ihr Anliegen. Wir sagen Ihnen, ob es per Video geht, und zeigen freie Termine.',
    serviceHeading: '1. Anliegen wählen',
    searchLabel: 'Anliegen suchen',
    searchHint: 'Tippen Sie einen Begriff, z. B. „Anmeldung“ oder „Pass“. Die Liste darunter wird kürzer.',
    count: (n, all) => (n === all ? `${all} Anliegen.` : `${n} von ${all} Anliegen passen.`),
    noMatch: 'Kein Anliegen passt zu Ihrer Suche.',
    loadingServices: 'Die Anliegen werden geladen …',
    chosen: 'gewählt',
    channelBadge: { video: 'per Video', in_person: 'nur vor Ort', online_elsewhere: 'online anderswo' },
    triageHeading: '2. Geht das per Video?',
    videoTitle: 'Das geht per Video.',
    videoBody: (minutes) => `Planen Sie etwa ${minutes} Minuten ein. Halten Sie Ihren Ausweis und Ihre Unterlagen bereit.`,
    fee: (text) => `Gebühr: ${text}.`,
    noFee: 'Keine Gebühr.',
    inPersonTitle: 'Dafür müssen Sie persönlich ins Bürgeramt kommen.',
    inPersonWhy: 'Warum: Das Gesetz verlangt, dass Sie persönlich erscheinen (zum Beispiel für Fingerabdrücke, Foto oder Unterschrift vor Ort). Die rechtliche Begründung:',
    inPersonRoute: 'So geht es weiter: Vereinbaren Sie einen Termin vor Ort in einem dieser Bürgerservices (telefonisch oder am Schalter):',
    onlineTitle: 'Das erledigen Sie ganz online – ohne Termin.',
    onlineWhy: 'Die Begründung:',
    onlinePortal: (portal) => `Zum Portal: ${portal}`,
    onlineNoLink: (portal) => `Bitte nutzen Sie: ${portal}.`,
    other: 'Anderes Anliegen wählen',
    slotHeading: '3. Termin wählen',
    formHeading: '4. Ihre Angaben',
    nameLabel: 'Vor- und Nachname',
    emailLabel: 'E-Mail-Adresse',
    emailHint: 'Hierhin schicken wir die Bestätigung mit Ihrem persönlichen Link.',
    phoneLabel: 'Telefon',
    optional: '(optional)',
    languageLegend: 'Sprache unserer Nachrichten',
    consentLabel: 'Ich bin einverstanden, dass meine Angaben für diesen Termin verarbeitet werden.',
    privacy: 'Datenschutz: Wir speichern Name, E-Mail und Telefon verschlüsselt und nur für diesen Termin. Ihre Daten werden nicht weitergegeben und nach Abschluss gelöscht.',
    powLabel: 'Sicherheitsprüfung läuft',
    powProgress: (p) => `Sicherheitsprüfung: ${p} % (Ihr Gerät rechnet kurz, das schützt vor automatischen Massenbuchungen).`,
    powDone: 'Sicherheitsprüfung abgeschlossen. Der Termin wird gebucht …',
    submit: 'Termin verbindlich buchen',
    errorsTitle: 'Bitte prüfen Sie Ihre Angaben',
    errors: {
      slot: 'Bitte wählen Sie eine Uhrzeit.',
      name: 'Bitte geben Sie Ihren Namen ein.',
      email: 'Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@example.org.',
      consent: 'Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu.',
    },
    slotTaken: 'Diese Uhrzeit wurde gerade vergeben. Die freien Uhrzeiten sind neu geladen; bitte wählen Sie eine andere.',
    problemHeading: 'Die Buchung hat nicht geklappt',
    networkError: 'Keine Verbindung zum Server. Ihre Angaben bleiben erhalten; bitte versuchen Sie es erneut.',
    doneHeading: 'Ihr Termin ist gebucht',
    reference: 'Vorgangsnummer',
    what: 'Anliegen',
    when: 'Wann',
    where: 'Wo',
    whereVideo: (office) => `Videotermin (${office})`,
    mailNote: 'Eine E-Mail mit der Bestätigung, einer Kalenderdatei und Ihrem persönlichen Link ist unterwegs.',
    openMine: 'Mein Termin öffnen',
    mineHint: 'Dort prüfen Sie Kamera und Mikrofon, melden sich am Termintag an oder sagen ab.',
    doneWaitlist: 'Sie stehen auf der Warteliste',
    documentsTitle: 'Bitte halten Sie im Gespräch bereit:',
    waitlistWhen: (day, position) => `Warteliste für ${day}, Platz ${position}`,
    waitlistNote: 'Wird an diesem Tag ein Termin frei, buchen wir ihn der Reihe nach für Sie und schicken Ihnen die Bestätigung per E-Mail. Bis dahin kommt keine E-Mail: Bewahren Sie den Link unten auf, er ist Ihr Zugang.',
    waitlistHint: 'Dort sehen Sie Ihren Platz und können die Warteliste wieder verlassen.',
    at: (day, time) => `${day}, ${time} Uhr`,
    health: 'Betriebszustand (/health)',
    locale: 'de-DE',
  },
  en: {
    title: 'Book an appointment – Virtual citizen office Potsdam',
    skip: 'Skip to content',
    city: 'City of Potsdam',
    service: 'Virtual citizen office',
    navBook: 'Book an appointment',
    navMine: 'My appointment',
    heading: 'Book a video appointment',
    intro: 'Choose your request. We tell you whether it can be done by video and show free times.',
    serviceHeading: '1. Choose your request',
    searchLabel: 'Search requests',
    searchHint: 'Type a word, e.g. "registration" or "passport". The list below gets shorter.',
    count: (n, all) => (n === all ? `${all} requests.` : `${n} of ${all} requests match.`),
    noMatch: 'No request matches your search.',
    loadingServices: 'Loading the requests …',
    chosen: 'chosen',
    channelBadge: { video: 'by video', in_person: 'in person only', online_elsewhere: 'online elsewhere' },
    triageHeading: '2. Can this be done by video?',
    videoTitle: 'This can be done by video.',
    videoBody: (minutes) => `Allow about ${minutes} minutes. Have your ID card and your documents ready.`,
    fee: (text) => `Fee: ${text}.`,
    noFee: 'No fee.',
    inPersonTitle: 'For this you have to come to the citizen office in person.',
    inPersonWhy: 'Why: the law requires you to appear in person (for example for fingerprints, a photo or a signature on site). The legal reason:',
    inPersonRoute: 'What next: make an appointment in person at one of these citizen offices (by phone or at the counter):',
    onlineTitle: 'You can do this fully online – no appointment needed.',
    onlineWhy: 'The reason:',
    onlinePortal: (portal) => `Go to the portal: ${portal}`,
    onlineNoLink: (portal) => `Please use: ${portal}.`,
    other: 'Choose another request',
    slotHeading: '3. Choose a time',
    formHeading: '4. Your details',
    nameLabel: 'First and last name',
    emailLabel: 'E-mail address',
    emailHint: 'We send the confirmation with your personal link here.',
    phoneLabel: 'Phone',
    optional: '(optional)',
    languageLegend: 'Language of our messages',
    consentLabel: 'I agree that my details are processed for this appointment.',
    privacy: 'Privacy: we store your name, e-mail and phone encrypted and only for this appointment. They are not passed on and are deleted when your request is done.',
    powLabel: 'Security check running',
    powProgress: (p) => `Security check: ${p} % (your device computes briefly; this protects against automated mass bookings).`,
    powDone: 'Security check done. Booking the appointment …',
    submit: 'Book the appointment',
    errorsTitle: 'Please check your details',
    errors: {
      slot: 'Please choose a time.',
      name: 'Please enter your name.',
      email: 'Please enter a valid e-mail address, e.g. name@example.org.',
      consent: 'Please agree to the processing of your details.',
    },
    slotTaken: 'This time was just taken. The free times are reloaded; please choose another one.',
    problemHeading: 'The booking did not work',
    networkError: 'No connection to the server. Your details are kept; please try again.',
    doneHeading: 'Your appointment is booked',
    reference: 'Reference',
    what: 'Request',
    when: 'When',
    where: 'Where',
    whereVideo: (office) => `Video appointment (${office})`,
    mailNote: 'An e-mail with the confirmation, a calendar file and your personal link is on its way.',
    openMine: 'Open my appointment',
    mineHint: 'There you check camera and microphone, check in on the day or cancel.',
    doneWaitlist: 'You are on the waitlist',
    documentsTitle: 'Please have ready in the call:',
    waitlistWhen: (day, position) => `Waitlist for ${day}, place ${position}`,
    waitlistNote: 'If an appointment becomes free on that day, we book it for you in order of joining and send you the confirmation by e-mail. Until then no e-mail comes: keep the link below, it is your access.',
    waitlistHint: 'There you see your place and can leave the waitlist.',
    at: (day, time) => `${day}, ${time}`,
    health: 'Service health (/health)',
    locale: 'en-GB',
  },
};

const searchInput = document.getElementById('service-search');
const list = document.getElementById('service-list');
const count = document.getElementById('service-count');
const triageSection = document.getElementById('step-triage');
const triageBox = document.getElementById('triage');
const slotSection = document.getElementById('step-slot');
const formSection = document.getElementById('step-form');
const doneSection = document.getElementById('step-done');
const form = document.getElementById('booking-form');
const formErrors = document.getElementById('form-errors');
const submitErrors = document.getElementById('submit-errors');
const submitButton = document.getElementById('submit');
const powBox = document.getElementById('pow');
const powProgress = document.getElementById('pow-progress');
const powText = document.getElementById('pow-text');

let services = null;
let offices = [];
let selected = null;
let picker = null;
let confirmation = null;
let submitting = false;

const language = setupLanguage(TEXT, () => redraw());
const t = () => language.t();
const serviceName = (s) => (language.lang() === 'en' ? s.name_en : s.name_de);
const officeName = (id) => offices.find((o) => o.id === id)?.name ?? id;

function normalize(text) {
  return text.toLocaleLowerCase('de').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ß/g, 'ss');
}

function drawList() {
  list.replaceChildren();
  if (!services) {
    count.textContent = t().loadingServices;
    return;
  }
  const words = normalize(searchInput.value).split(/\s+/).filter(Boolean);
  const matches = services.filter((s) => {
    const haystack = normalize(`${s.name_de} ${s.name_en} ${s.key.replace(/_/g, ' ')}`);
    return words.every((w) => haystack.includes(w));
  });
  count.textContent = matches.length ? t().count(matches.length, services.length) : t().noMatch;
  for (const s of matches) {
    const item = element('li', 'service-list__item');
    const choose = element('button', 'kern-btn kern-btn--tertiary service-choice');
    choose.type = 'button';
    choose.dataset.service = s.key;
    choose.setAttribute('aria-pressed', String(selected?.key === s.key));
    choose.append(element('span', 'kern-label', serviceName(s)));
    const badge = element('span', `kern-badge kern-badge--${s.channel === 'video' ? 'success' : 'info'} service-choice__badge`);
    badge.append(element('span', 'kern-label', t().channelBadge[s.channel] ?? s.channel));
    choose.append(badge);
    choose.addEventListener('click', () => chooseService(s));
    item.append(choose);
    list.append(item);
  }
}

function feeText(s) {
  if (!s.fee_cents || s.fee_cents.max === 0) return t().noFee;
  const money = (c) => new Intl.NumberFormat(t().locale, { style: 'currency', currency: 'EUR' }).format(c / 100);
  const range = s.fee_cents.min === s.fee_cents.max ? money(s.fee_cents.min) : `${money(s.fee_cents.min)} – ${money(s.fee_cents.max)}`;
  return t().fee(range);
}

/** The catalogue's reason is English text; marked as such for screen readers. */
function reasonParagraph(reason) {
  const p = element('p', 'kern-body triage-reason', reason);
  p.lang = 'en';
  return p;
}

function drawTriage() {
  triageBox.replaceChildren();
  if (!selected) return;
  const s = selected;
  const again = button(t().other, 'secondary');
  again.addEventListener('click', () => {
    selected = null;
    update();
    searchInput.focus();
  });
  let box;
  if (s.channel === 'video') {
    const parts = [
      element('p', 'kern-body', `${serviceName(s)}: ${t().videoBody(s.appointment_minutes)}`),
      element('p', 'kern-body', feeText(s)),
    ];
    // Documents the office set for this service (admin API): shown before the citizen books.
    const documents = s.required_documents ?? [];
    if (documents.length) {
      parts.push(element('p', 'kern-body kern-body--bold', t().documentsTitle));
      const list = element('ul', 'kern-list kern-list--bullet required-documents');
      for (const d of documents) list.append(element('li', null, language.lang() === 'en' ? d.en : d.de));
      parts.push(list);
    }
    box = alertBox('success', t().videoTitle, parts);
  } else if (s.channel === 'in_person') {
    const route = element('ul', 'kern-list office-list');
    for (const o of offices) {
      const li = element('li');
      li.append(element('strong', null, o.name), document.createTextNode(`, ${o.address}`));
      route.append(li);
    }
    box = alertBox('warning', t().inPersonTitle, [
      element('p', 'kern-body kern-body--bold', serviceName(s)),
      element('p', 'kern-body', t().inPersonWhy),
      reasonParagraph(s.reason ?? ''),
      element('p', 'kern-body', t().inPersonRoute),
      route,
    ]);
    box.dataset.triage = 'in_person';
  } else {
    const parts = [element('p', 'kern-body kern-body--bold', serviceName(s))];
    if (s.portal_url) {
      const p = element('p', 'kern-body');
      const link = element('a', 'kern-link', t().onlinePortal(s.portal));
      link.href = s.portal_url;
      link.rel = 'noopener';
      p.append(link);
      parts.push(p);
    } else {
      parts.push(element('p', 'kern-body', t().onlineNoLink(s.portal ?? '')));
    }
    parts.push(element('p', 'kern-body', t().onlineWhy), reasonParagraph(s.reason ?? ''));
    box = alertBox('info', t().onlineTitle, parts);
  }
  box.dataset.triage = s.channel;
  triageBox.append(box, again);
}

function update() {
  triageSection.hidden = !selected;
  const video = selected?.channel === 'video';
  slotSection.hidden = !video;
  formSection.hidden = !video;
  drawList();
  drawTriage();
  if (video && picker?.service !== selected.key) {
    const container = document.getElementById('slot-picker');
    picker = createSlotPicker(container, {
      idPrefix: 'book',
      service: selected.key,
      offices,
      lang: language.lang,
      waitlist: true,
      onChange: (choice) => {
        if (!choice) return;
        formErrors.querySelector('a[href="#book-office"]')?.closest('li')?.remove();
        clearFieldError('slot');
      },
    });
    picker.service = selected.key;
  }
  if (!video) picker = null;
}

function chooseService(s) {
  selected = s;
  update();
  document.getElementById('triage-heading').focus();
}

// ---- the form ----

function fieldBox(field) {
  return form.querySelector(`[data-field="${field}"]`) ?? document.getElementById('slot-picker');
}

function clearFieldError(field) {
  const box = fieldBox(field);
  box.querySelector(':scope > .kern-error')?.remove();
  const input = field === 'slot' ? null : document.getElementById(field);
  if (input) {
    input.removeAttribute('aria-invalid');
    input.classList.remove('kern-form-input__input--error', 'kern-form-check__checkbox--error');
    const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== `${field}-error`);
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
  }
  if (!formErrors.querySelector('li')) formErrors.replaceChildren();
}

function showFieldError(field, message) {
  const box = fieldBox(field);
  const error = element('p', 'kern-error');
  error.id = `${field}-error`;
  error.append(element('span', 'kern-body', message));
  if (field === 'slot') {
    box.append(error);
    return;
  }
  const input = document.getElementById(field);
  input.setAttribute('aria-invalid', 'true');
  input.classList.add(input.type === 'checkbox' ? 'kern-form-check__checkbox--error' : 'kern-form-input__input--error');
  input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), error.id].filter(Boolean).join(' '));
  if (input.type === 'checkbox') box.append(error);
  else input.before(error);
}

function validate() {
  for (const f of ['slot', 'name', 'email', 'consent']) clearFieldError(f);
  formErrors.replaceChildren();
  const errors = [];
  if (!picker?.value()) errors.push(['slot', t().errors.slot]);
  if (!document.getElementById('name').value.trim()) errors.push(['name', t().errors.name]);
  const email = document.getElementById('email').value.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.push(['email', t().errors.email]);
  if (!document.getElementById('consent').checked) errors.push(['consent', t().errors.consent]);
  if (!errors.length) return true;
  const items = element('ul', 'kern-list');
  for (const [field, message] of errors) {
    showFieldError(field, message);
    const li = element('li');
    const link = element('a', 'kern-link', message);
    const target = field === 'slot' ? 'book-office' : field;
    link.href = `#${target}`;
    link.addEventListener('click', (event) => {
      event.preventDefault();
      document.getElementById(target).focus();
    });
    li.append(link);
    items.append(li);
  }
  const summary = alertBox('danger', t().errorsTitle, items, 'alert');
  summary.tabIndex = -1;
  formErrors.append(summary);
  summary.focus();
  return false;
}

/** Solves the challenge in a worker, showing progress; resolves with the nonce. */
function solve(challenge, bits) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/pow-worker.js');
    powBox.hidden = false;
    powProgress.value = 0;
    powText.textContent = t().powProgress(0);
    let lastShown = -1;
    worker.onmessage = ({ data }) => {
      if (data.nonce !== undefined) {
        worker.terminate();
        powProgress.value = 100;
        powText.textContent = t().powDone;
        resolve(data.nonce);
        return;
      }
      // Expected work is 2^bits hashes; the bar approaches 100 % and never claims more.
      const percent = Math.min(99, Math.floor((1 - Math.exp(-data.progress / data.expected)) * 100));
      powProgress.value = percent;
      if (percent >= lastShown + 25) {
        lastShown = percent;
        powText.textContent = t().powProgress(percent);
      }
    };
    worker.onerror = (error) => {
      worker.terminate();
      reject(error);
    };
    worker.postMessage({ challenge, bits });
  });
}

let idempotencyKey = null;
let lastRequest = null;

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (submitting) return;
  submitErrors.replaceChildren();
  if (!validate()) return;
  submitting = true;
  submitButton.disabled = true;
  try {
    const choice = picker.value();
    const contact = {
      name: document.getElementById('name').value.trim(),
      email: document.getElementById('email').value.trim(),
      language: form.querySelector('input[name="mail-language"]:checked').value,
    };
    const phone = document.getElementById('phone').value.trim();
    if (phone) contact.phone = phone;
    const challenge = await api('/api/v1/bookings/challenge');
    if (!challenge.ok) {
      submitErrors.append(problemAlert(challenge, t()));
      return;
    }
    const nonce = await solve(challenge.data.challenge, challenge.data.bits);
    const request = choice.waitlist
      ? { service: selected.key, office: choice.office, date: choice.date, contact }
      : { service: selected.key, office: choice.office, start: choice.start, contact };
    // The same booking retried keeps its key, so a lost reply never books twice.
    const same = JSON.stringify(request);
    if (same !== lastRequest) idempotencyKey = crypto.randomUUID();
    lastRequest = same;
    const result = await api(choice.waitlist ? '/api/v1/waitlist' : '/api/v1/bookings', {
      method: 'POST', body: { ...request, proof: { challenge: challenge.data.challenge, nonce } }, idempotencyKey,
    });
    powBox.hidden = true;
    if (result.ok) {
      confirmation = { ...result.data, waitlist: Boolean(choice.waitlist) };
      drawConfirmation();
      document.getElementById('done-heading').focus();
      return;
    }
    // Any problem answer means the request was decided; a new attempt is a new request.
    if (result.status !== 0) lastRequest = null;
    const alert = problemAlert(result, t());
    if (result.status === 409) {
      alert.append(element('p', 'kern-body', t().slotTaken));
      picker.reload();
    }
    alert.tabIndex = -1;
    submitErrors.append(alert);
    alert.focus();
  } finally {
    submitting = false;
    submitButton.disabled = false;
    powBox.hidden = true;
  }
});

function drawConfirmation() {
  if (!confirmation) return;
  const c = confirmation;
  for (const section of document.querySelectorAll('.citizen-step')) section.hidden = section !== doneSection;
  const box = document.getElementById('confirmation');
  const details = element('dl', 'kern-description-list');
  const row = (key, value) => {
    const item = element('div', 'kern-description-list-item');
    item.append(element('dt', 'kern-description-list-item__key', key), element('dd', 'kern-description-list-item__value', value));
    details.append(item);
  };
  const s = services.find((x) => x.key === c.service);
  row(t().reference, c.reference);
  row(t().what, s ? serviceName(s) : c.service);
  if (c.waitlist) {
    row(t().when, t().waitlistWhen(formatDay(c.date, t().locale), c.position));
  } else {
    row(t().when, t().at(formatDay(c.appointment.start, t().locale), formatTime(c.appointment.start)));
  }
  row(t().where, t().whereVideo(officeName(c.office)));
  document.getElementById('done-heading').textContent = c.waitlist ? t().doneWaitlist : t().doneHeading;
  const mail = alertBox('info', c.waitlist ? t().waitlistNote : t().mailNote);
  const open = element('a', 'kern-btn kern-btn--primary');
  open.id = 'open-mine';
  // The link carries the token in its fragment: never sent to the server.
  open.href = new URL(c.appointment_link, location.href).pathname + new URL(c.appointment_link, location.href).hash;
  open.append(element('span', 'kern-label', t().openMine));
  box.replaceChildren(details, mail, element('p', 'kern-body', c.waitlist ? t().waitlistHint : t().mineHint), open);
  document.body.dataset.booked = c.reference;
  if (c.waitlist) document.body.dataset.waitlisted = String(c.position);
}

function redraw() {
  drawList();
  drawTriage();
  picker?.redraw();
  if (confirmation) {
    drawConfirmation();
  }
}

searchInput.addEventListener('input', drawList);

// A field the citizen corrects loses its error at once, and its line in the summary with it.
const stillWrong = {
  name: () => !document.getElementById('name').value.trim(),
  email: () => !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(document.getElementById('email').value.trim()),
  consent: () => !document.getElementById('consent').checked,
};
for (const [field, wrong] of Object.entries(stillWrong)) {
  document.getElementById(field).addEventListener(field === 'consent' ? 'change' : 'input', () => {
    if (!document.getElementById(`${field}-error`) || wrong()) return;
    formErrors.querySelector(`a[href="#${field}"]`)?.closest('li')?.remove();
    clearFieldError(field);
  });
}

async function start() {
  drawList();
  const [servicesResult, officesResult] = await Promise.all([api('/api/v1/services'), api('/api/v1/offices')]);
  if (!servicesResult.ok) {
    count.replaceChildren(problemAlert(servicesResult, t()));
    return;
  }
  services = servicesResult.data;
  offices = officesResult.ok ? officesResult.data : [];
  // The mail language follows the page's language until the citizen picks one.
  document.getElementById(`mail-${language.lang()}`).checked = true;
  drawList();
  document.body.dataset.ready = 'true';
}

start();
