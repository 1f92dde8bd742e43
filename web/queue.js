// Renders each office's queue for the chosen day from the REST API.
const OFFICES = ['potsdam-mitte', 'potsdam-babelsberg'];
const STATUS = {
  opened: 'eröffnet', booked: 'gebucht', appointment_cancelled: 'Termin abgesagt', waiting: 'wartet',
  held: 'zurückgestellt', admitted: 'eingelassen', sent_back: 'zurückgeschickt', in_call: 'im Gespräch',
  call_ended: 'Gespräch beendet', closed: 'abgeschlossen',
};

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.append(td);
}

async function render(day) {
  const container = document.getElementById('queues');
  container.replaceChildren();
  for (const office of OFFICES) {
    const response = await fetch(`/api/v1/offices/${office}/queue/${day}`);
    const table = document.createElement('table');
    const caption = document.createElement('caption');
    caption.textContent = `${office} – ${day}`;
    table.append(caption);
    const head = table.createTHead().insertRow();
    for (const title of ['Uhrzeit', 'Leistung', 'Status', 'Gebühr', 'Ergebnis']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = title;
      head.append(th);
    }
    const body = table.createTBody();
    const cases = response.ok ? await response.json() : [];
    for (const c of cases) {
      const row = body.insertRow();
      cell(row, c.appointment ? c.appointment.local_start.slice(11, 16) : '–');
      cell(row, c.service);
      cell(row, STATUS[c.status] ?? c.status);
      cell(row, c.fee_cents == null ? '–' : `${(c.fee_cents / 100).toFixed(2)} € (${c.fee})`);
      cell(row, c.outcome ?? '');
    }
    if (cases.length === 0) {
      cell(body.insertRow(), 'Keine Termine / no appointments');
    }
    container.append(table);
  }
}

const input = document.getElementById('day');
input.value = new Date().toISOString().slice(0, 10);
input.addEventListener('change', () => render(input.value));
render(input.value);
