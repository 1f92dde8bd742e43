// The slot picker shared by booking (termin.js) and rescheduling (mein-termin.js): office, day and
// a free time, read from GET /api/v1/offices/{office}/slots?service&date. Times are radio buttons
// grouped by morning and afternoon (arrow keys move within a group, Tab leaves it). It starts at
// the first day with a free time, counted from the server's office day (its Date header), not the
// browser's clock.

import { addDays, api, element, formatDay, formatTime, officeDay } from './citizen.js';

const SEARCH_DAYS = 21;

const TEXT = {
  de: {
    office: 'Standort',
    day: 'Tag',
    dayHint: 'Termine per Video; der Standort bearbeitet Ihr Anliegen.',
    times: (day) => `Freie Uhrzeiten am ${day}`,
    morning: 'Vormittag',
    afternoon: 'Nachmittag',
    loading: 'Freie Uhrzeiten werden geladen …',
    found: (n) => `${n} freie ${n === 1 ? 'Uhrzeit' : 'Uhrzeiten'}.`,
    none: 'An diesem Tag ist keine Uhrzeit frei. Bitte wählen Sie einen anderen Tag.',
    failed: 'Die freien Uhrzeiten konnten nicht geladen werden.',
    seatsLeft: (n) => (n === 1 ? '1 Platz frei' : `${n} Plätze frei`),
    waitlistText: 'Sie können sich für diesen Tag auf die Warteliste setzen. Wird ein Termin frei, buchen wir ihn der Reihe nach automatisch für Sie und schicken Ihnen die Bestätigung per E-Mail.',
    waitlistChoice: 'Auf die Warteliste für diesen Tag',
    locale: 'de-DE',
  },
  en: {
    office: 'Office',
    day: 'Day',
    dayHint: 'Appointments by video; the office handles your request.',
    times: (day) => `Free times on ${day}`,
    morning: 'Morning',
    afternoon: 'Afternoon',
    loading: 'Loading free times …',
    found: (n) => `${n} free ${n === 1 ? 'time' : 'times'}.`,
    none: 'No time is free on this day. Please choose another day.',
    failed: 'The free times could not be loaded.',
    seatsLeft: (n) => (n === 1 ? '1 seat left' : `${n} seats left`),
    waitlistText: 'You can join the waitlist for this day. If an appointment becomes free, we book it for you automatically, in order of joining, and send you the confirmation by e-mail.',
    waitlistChoice: 'Join the waitlist for this day',
    locale: 'en-GB',
  },
};

function selectField(id, labelText, hintText) {
  const wrapper = element('div', 'kern-form-input');
  const label = element('label', 'kern-label', labelText);
  label.htmlFor = id;
  wrapper.append(label);
  let hint = null;
  if (hintText) {
    hint = element('div', 'kern-hint', hintText);
    hint.id = `${id}-hint`;
    wrapper.append(hint);
  }
  const selectWrapper = element('div', 'kern-form-input__select-wrapper');
  const select = element('select', 'kern-form-input__select');
  select.id = id;
  if (hint) select.setAttribute('aria-describedby', hint.id);
  selectWrapper.append(select);
  wrapper.append(selectWrapper);
  return { wrapper, label, hint, select };
}

/**
 * Builds a picker into `container`. `options`: `idPrefix`, `service` (key), `offices`
 * (from GET /api/v1/offices), `office` (preselected id, optional), `lang()` ('de'|'en'),
 * `onChange(choice|null)`, `exclude` (a start to leave out, e.g. the current appointment),
 * `waitlist` (true: a full opening day offers the waitlist; the choice is then
 * `{ office, date, waitlist: true }` instead of `{ office, start }`).
 * Returns `{ value(), redraw(), reload(), ready }`.
 */
export function createSlotPicker(container, options) {
  const { idPrefix, service, offices, lang, onChange = () => {}, exclude = null, waitlist = false } = options;
  const t = () => TEXT[lang()];
  const office = selectField(`${idPrefix}-office`, t().office);
  const day = selectField(`${idPrefix}-day`, t().day, t().dayHint);
  const status = element('p', 'kern-body slot-status');
  status.setAttribute('role', 'status');
  status.id = `${idPrefix}-status`;
  const times = element('div', 'slot-times');
  times.id = `${idPrefix}-times`;
  container.replaceChildren(office.wrapper, day.wrapper, status, times);

  let today = null;
  let slots = null; // { office, date, slots: [...] } of the shown day
  let failed = false;
  let generation = 0;
  let chosen = null;

  for (const o of offices) {
    const option = element('option', null, o.name);
    option.value = o.id;
    office.select.append(option);
  }
  if (options.office) office.select.value = options.office;

  function fillDays() {
    const selected = day.select.value;
    day.select.replaceChildren();
    if (!today) return;
    for (let i = 0; i < SEARCH_DAYS; i += 1) {
      const d = addDays(today, i);
      const option = element('option', null, formatDay(d, t().locale, { weekday: 'long', day: 'numeric', month: 'long' }));
      option.value = d;
      day.select.append(option);
    }
    if (selected) day.select.value = selected;
  }

  function drawTimes() {
    times.replaceChildren();
    if (failed) {
      status.textContent = t().failed;
      return;
    }
    if (!slots) {
      status.textContent = t().loading;
      return;
    }
    const free = slots.slots.filter((s) => s.start.slice(0, 16) !== exclude);
    status.textContent = free.length ? t().found(free.length) : t().none;
    if (!free.length) {
      if (waitlist && isOpeningDay(slots.office, slots.date)) times.append(waitlistOffer());
      return;
    }
    const fieldset = element('fieldset', 'kern-fieldset slot-fieldset');
    const legend = element('legend', 'kern-label', t().times(formatDay(slots.date, t().locale)));
    fieldset.append(legend);
    const groups = [
      [t().morning, free.filter((s) => formatTime(s.start) < '12:00')],
      [t().afternoon, free.filter((s) => formatTime(s.start) >= '12:00')],
    ];
    for (const [name, group] of groups) {
      if (!group.length) continue;
      const groupBox = element('div', 'slot-group');
      groupBox.setAttribute('role', 'group');
      const heading = element('p', 'kern-body kern-body--bold slot-group__name', name);
      heading.id = `${idPrefix}-group-${name.toLowerCase()}`;
      groupBox.setAttribute('aria-labelledby', heading.id);
      const list = element('div', 'kern-fieldset__body kern-fieldset__body--horizontal slot-grid');
      for (const slot of group) {
        const value = slot.start.slice(0, 16);
        const check = element('div', 'kern-form-check');
        const input = element('input', 'kern-form-check__radio');
        input.type = 'radio';
        input.name = `${idPrefix}-slot`;
        input.id = `${idPrefix}-slot-${value.slice(11).replace(':', '')}`;
        input.value = value;
        input.checked = chosen?.start === value && chosen?.office === slots.office;
        input.addEventListener('change', () => {
          chosen = { office: slots.office, start: value };
          onChange(chosen);
        });
        const label = element('label', 'kern-label', formatTime(value));
        label.htmlFor = input.id;
        label.title = t().seatsLeft(slot.seats_left);
        check.append(input, label);
        list.append(check);
      }
      groupBox.append(heading, list);
      fieldset.append(groupBox);
    }
    times.append(fieldset);
  }

  /** True when the office opens on `date` (weekly hours, no closing day): a full day, not a closed one. */
  function isOpeningDay(officeId, date) {
    const o = offices.find((x) => x.id === officeId);
    if (!o) return false;
    const weekday = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][new Date(`${date}T12:00:00Z`).getUTCDay()];
    const closed = (o.closed_days ?? []).some((d) => (typeof d === 'string' ? d : d.date) === date);
    return !closed && (o.hours?.days?.[weekday] ?? []).length > 0;
  }

  function waitlistOffer() {
    const box = element('div', 'kern-stack slot-waitlist');
    box.append(element('p', 'kern-body', t().waitlistText));
    const check = element('div', 'kern-form-check');
    const input = element('input', 'kern-form-check__checkbox');
    input.type = 'checkbox';
    input.id = `${idPrefix}-waitlist`;
    input.checked = Boolean(chosen?.waitlist && chosen.date === slots.date && chosen.office === slots.office);
    const date = slots.date;
    const officeId = slots.office;
    input.addEventListener('change', () => {
      chosen = input.checked ? { office: officeId, date, waitlist: true } : null;
      onChange(chosen);
    });
    const label = element('label', 'kern-label', t().waitlistChoice);
    label.htmlFor = input.id;
    check.append(input, label);
    box.append(check);
    return box;
  }

  async function load(date) {
    const mine = ++generation;
    slots = null;
    failed = false;
    if (chosen) {
      chosen = null;
      onChange(null);
    }
    drawTimes();
    const result = await api(`/api/v1/offices/${encodeURIComponent(office.select.value)}/slots?service=${encodeURIComponent(service)}&date=${date}`);
    if (mine !== generation) return null;
    if (!result.ok) {
      failed = true;
      drawTimes();
      return null;
    }
    slots = result.data;
    drawTimes();
    return slots;
  }

  /** Finds the first day with a free time from today on and shows it. */
  async function firstFreeDay() {
    const mine = generation + 1;
    if (!today) {
      const probe = await api(`/api/v1/offices/${encodeURIComponent(office.select.value)}/slots?service=${encodeURIComponent(service)}&date=${officeDay(new Date())}`);
      today = officeDay(probe.serverDate ?? new Date());
      fillDays();
    }
    for (let i = 0; i < SEARCH_DAYS; i += 1) {
      const date = addDays(today, i);
      day.select.value = date;
      const found = await load(date);
      if (generation !== mine + i) return;
      if (found && found.slots.some((s) => s.start.slice(0, 16) !== exclude)) return;
    }
  }

  office.select.addEventListener('change', () => firstFreeDay());
  day.select.addEventListener('change', () => load(day.select.value));

  const ready = firstFreeDay();
  return {
    ready,
    value: () => chosen,
    reload: () => load(day.select.value),
    redraw() {
      office.label.textContent = t().office;
      day.label.textContent = t().day;
      day.hint.textContent = t().dayHint;
      fillDays();
      drawTimes();
    },
  };
}
