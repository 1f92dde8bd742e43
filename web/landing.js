// The start page for citizens: what the virtual office offers, where to book, how a video
// appointment runs. Static text in German and English; the language switch changes every text in
// place, sets <html lang> and is remembered for the other pages (localStorage `buergeramt.lang`).

const TEXT = {
  de: {
    title: 'Virtuelles Bürgeramt – Landeshauptstadt Potsdam',
    skip: 'Zum Inhalt springen',
    city: 'Landeshauptstadt Potsdam',
    service: 'Virtuelles Bürgeramt',
    heading: 'Ihr Bürgeramt per Video',
    intro: 'Viele Anliegen erledigen Sie im Videogespräch mit dem Bürgerservice: von zu Hause, ohne Wartezimmer und ohne Konto. Sie brauchen ein Gerät mit Kamera und Mikrofon und einen aktuellen Browser.',
    bookHeading: 'Termin buchen',
    bookText: 'Suchen Sie Ihr Anliegen. Wir sagen Ihnen sofort, ob es per Video geht, vor Ort erledigt werden muss oder ganz online möglich ist.',
    bookLink: 'Anliegen suchen und Termin buchen',
    mineHeading: 'Ihr gebuchter Termin',
    mineText: 'Öffnen Sie den Link aus Ihrer Bestätigungs-E-Mail. Dort prüfen Sie Kamera und Mikrofon, checken am Termintag ein, verschieben oder sagen ab. Der Link ist Ihr Schlüssel: Geben Sie ihn nicht weiter.',
    howHeading: 'So läuft Ihr Videotermin',
    step1: 'Anliegen wählen, freie Zeit aussuchen, Name und E-Mail angeben.',
    step2: 'Die Bestätigung mit Kalenderdatei und Ihrem persönlichen Link kommt per E-Mail.',
    step3: 'Vorher: Gerätetest für Kamera, Mikrofon, Lautsprecher und Verbindung.',
    step4: 'Am Termintag einchecken: Sie sehen Ihren Platz in der Warteschlange und die voraussichtliche Zeit.',
    step5: 'Die Sachbearbeitung lässt Sie ein und das Gespräch beginnt.',
    privacyHeading: 'Datenschutz',
    privacyText: 'Gespräche werden nicht aufgezeichnet. Ihre Angaben werden verschlüsselt gespeichert und nur für Ihr Anliegen verwendet.',
    staff: 'Für Beschäftigte: Anmeldung und Tagesübersicht',
    overview: 'Übersicht aller Standorte',
    health: 'Betriebszustand',
  },
  en: {
    title: 'Virtual citizen office – City of Potsdam',
    skip: 'Skip to content',
    city: 'City of Potsdam',
    service: 'Virtual citizen office',
    heading: 'Your citizen office by video',
    intro: 'Many requests can be settled in a video call with the citizen service: from home, without a waiting room and without an account. You need a device with a camera and a microphone and a current browser.',
    bookHeading: 'Book an appointment',
    bookText: 'Search for your request. We tell you at once whether it works by video, needs a visit to an office or can be done fully online.',
    bookLink: 'Find your request and book',
    mineHeading: 'Your booked appointment',
    mineText: 'Open the link in your confirmation e-mail. There you test camera and microphone, check in on the day, move or cancel the appointment. The link is your key: do not pass it on.',
    howHeading: 'How your video appointment works',
    step1: 'Choose your request, pick a free time, give your name and e-mail address.',
    step2: 'The confirmation with a calendar file and your personal link arrives by e-mail.',
    step3: 'Beforehand: a device check of camera, microphone, speaker and connection.',
    step4: 'On the day, check in: you see your place in the queue and the expected time.',
    step5: 'The clerk lets you in and the call begins.',
    privacyHeading: 'Privacy',
    privacyText: 'Calls are never recorded. Your details are stored encrypted and used only for your request.',
    staff: 'For staff: sign-in and the day’s dashboard',
    overview: 'Overview of all offices',
    health: 'Service health',
  },
};

function applyLanguage(next) {
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
    button.classList.toggle('kern-btn--primary', chosen);
    button.classList.toggle('kern-btn--secondary', !chosen);
  }
  document.body.dataset.language = next;
}

for (const button of document.querySelectorAll('[data-lang]')) {
  button.addEventListener('click', () => applyLanguage(button.dataset.lang));
}
applyLanguage(localStorage.getItem('buergeramt.lang') === 'en' ? 'en' : 'de');
