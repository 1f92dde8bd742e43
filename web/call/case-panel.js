// The clerk's case panel beside the call: service, appointment, status, documents, fee, notes (add
// one), the identity check with its method (recorded as an event by POST …/identity) and the
// one-time invitation link for an interpreter. Staff REST with the session cookie; every POST
// carries a fresh Idempotency-Key (citizen.js api()). The panel shows no personal data beyond
// what GET /api/v1/cases/{id} returns.

import { api, element } from '../citizen.js';

const METHODS = ['id_card_on_camera', 'passport_on_camera', 'residence_permit_on_camera', 'eid_online', 'personally_known'];

/**
 * Wires the panel in `root` for `caseId`. `t()` is the page's texts; `announce(text)` speaks a
 * result in the page's live region. Returns `{ load(), redraw() }`.
 */
export function setupCasePanel({ root, caseId, t, announce }) {
  let data = null;
  let loadFailed = false;
  let invite = null;
  const $ = (id) => root.querySelector(`#${id}`);
  const details = $('case-details');
  const identityBox = $('identity-state');
  const identityForm = $('identity-form');
  const methodSelect = $('identity-method');
  const identityResult = $('identity-result');
  const notesList = $('notes-list');
  const noteForm = $('note-form');
  const noteText = $('note-text');
  const noteResult = $('note-result');
  const inviteButton = $('invite-button');
  const inviteBox = $('invite-box');
  const inviteLink = $('invite-link');
  const inviteCopy = $('invite-copy');
  const inviteResult = $('invite-result');
  const p = () => t().panel;

  const time = (iso, options = { hour: '2-digit', minute: '2-digit' }) => {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return '–';
    return new Intl.DateTimeFormat(t().locale, { ...options, timeZone: 'Europe/Berlin' }).format(date);
  };

  const appointmentText = (appointment) => {
    if (!appointment) return '–';
    const start = appointment.starts_at ?? appointment.start ?? appointment.local_start;
    if (!start) return '–';
    return time(start, { dateStyle: 'medium', timeStyle: 'short' });
  };

  const feeText = (fee) => {
    if (!fee) return p().noFee;
    const amount = new Intl.NumberFormat(t().locale, { style: 'currency', currency: 'EUR' }).format(fee.amount_cents / 100);
    return `${amount} (${p().feeStatus[fee.status] ?? fee.status})`;
  };

  function drawDetails() {
    if (!data) {
      details.replaceChildren(element('p', 'kern-body kern-body--muted', loadFailed ? p().failed : p().loading));
      return;
    }
    const list = element('dl', 'kern-description-list');
    const row = (key, value, field) => {
      const item = element('div', 'kern-description-list-item');
      const dd = element('dd', 'kern-description-list-item__value');
      dd.append(value);
      dd.dataset.field = field;
      item.append(element('dt', 'kern-description-list-item__key', key), dd);
      list.append(item);
    };
    const serviceName = t().locale.startsWith('de') ? data.service?.name_de : data.service?.name_en;
    row(p().service, serviceName || data.service?.name || data.service?.id || '–', 'service');
    row(p().appointment, appointmentText(data.appointment), 'appointment');
    row(p().status, p().caseStatus[data.status] ?? data.status, 'status');
    let documents;
    if (!data.documents?.length) {
      documents = element('span', '', p().noDocuments);
    } else {
      documents = element('ul', 'kern-list case-documents');
      for (const d of data.documents) {
        documents.append(element('li', '', `${d.document_type}: ${p().docStatus[d.status] ?? d.status}`));
      }
    }
    row(p().documents, documents, 'documents');
    row(p().fee, feeText(data.fee), 'fee');
    details.replaceChildren(list);
  }

  function drawIdentity() {
    const checked = data?.identity;
    identityBox.replaceChildren();
    const badge = element('span', `kern-badge kern-badge--${checked ? 'success' : 'warning'}`);
    badge.append(element('span', 'kern-label', checked
      ? p().identityChecked(p().methods[checked.method] ?? checked.method, time(checked.at))
      : p().identityOpen));
    identityBox.append(badge);
    identityBox.dataset.checked = String(Boolean(checked));
    identityForm.hidden = Boolean(checked) || !data;
    const chosen = methodSelect.value || METHODS[0];
    methodSelect.replaceChildren(...METHODS.map((m) => {
      const option = element('option', '', p().methods[m]);
      option.value = m;
      return option;
    }));
    methodSelect.value = chosen;
  }

  function drawNotes() {
    const notes = data?.notes ?? [];
    if (!notes.length) {
      notesList.replaceChildren(element('li', 'kern-body kern-body--muted', p().noNotes));
      return;
    }
    notesList.replaceChildren(...notes.map((n) => {
      const item = element('li', 'case-note');
      const meta = element('p', 'kern-body kern-body--small kern-body--muted', `${time(n.at)}${n.by ? ` · ${n.by}` : ''}`);
      item.append(meta, element('p', 'kern-body', n.text));
      return item;
    }));
  }

  function drawInvite() {
    inviteBox.hidden = !invite;
    if (invite) {
      // The link on this page's own origin (the server's public URL may name another host).
      inviteLink.value = `${window.location.origin}/anruf.html#invite=${encodeURIComponent(invite.invite)}`;
      $('invite-expires').textContent = invite.expires_at ? p().inviteExpires(time(invite.expires_at)) : '';
    }
  }

  function redraw() {
    drawDetails();
    drawIdentity();
    drawNotes();
    drawInvite();
  }

  async function load() {
    const result = await api(`/api/v1/cases/${encodeURIComponent(caseId)}`);
    if (result.ok) {
      data = result.data;
      loadFailed = false;
      root.dataset.loaded = 'true';
    } else {
      loadFailed = true;
    }
    redraw();
    return result.ok;
  }

  identityForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    identityResult.textContent = '';
    const result = await api(`/api/v1/cases/${encodeURIComponent(caseId)}/identity`, { method: 'POST', body: { method: methodSelect.value } });
    const text = result.ok ? p().identityDone : p().identityRefused;
    identityResult.textContent = text;
    identityResult.dataset.state = result.ok ? 'pass' : 'fail';
    await load();
    if (result.ok) announce?.(text);
  });

  noteForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    noteResult.textContent = '';
    const text = noteText.value.trim();
    if (!text) {
      noteResult.textContent = p().noteEmpty;
      noteText.focus();
      return;
    }
    const result = await api(`/api/v1/cases/${encodeURIComponent(caseId)}/notes`, { method: 'POST', body: { text } });
    noteResult.textContent = result.ok ? p().noteSaved : p().noteFailed;
    noteResult.dataset.state = result.ok ? 'pass' : 'fail';
    if (result.ok) noteText.value = '';
    await load();
  });

  inviteButton.addEventListener('click', async () => {
    inviteResult.textContent = '';
    const result = await api(`/api/v1/cases/${encodeURIComponent(caseId)}/call/invites`, { method: 'POST', body: {} });
    if (!result.ok) {
      inviteResult.textContent = p().inviteFailed;
      return;
    }
    invite = result.data;
    drawInvite();
    inviteLink.focus();
    inviteLink.select();
  });

  inviteCopy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(inviteLink.value);
      inviteResult.textContent = p().inviteCopied;
    } catch {
      // Without clipboard access the link stays selected for copying by hand.
      inviteLink.focus();
      inviteLink.select();
    }
  });

  redraw();
  return { load, redraw };
}
