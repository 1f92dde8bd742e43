// The device check on "Mein Termin": camera (a local preview), microphone (a level meter),
// speaker (a test tone the citizen confirms hearing), connection (round trips to /health) and the
// transmission through the SFU (a real media round trip: the signalling's `join` with
// `echo_test: true`, the SFU sends the citizen's own picture back; passed when getStats counts
// decoded video frames, with the selected candidate pair's round-trip time). Every step ends in
// a sentence, and the summary repeats each result as text ("passed", "failed", "not checked yet"),
// never by colour alone. Only the /health calls and the round trip leave the device; the SFU
// stores nothing and no video session is recorded for the round trip.

import { element } from './citizen.js';
import { createPeer } from './call/peer.js';
import { connectSignalling } from './call/signalling.js';
import { readStats } from './call/stats.js';

const ROUND_TRIPS = 5;
const MIC_LISTEN_MS = 4000;
const MIC_THRESHOLD = 4;
/** How long the round trip may take before it counts as failed. */
const ROUNDTRIP_TIMEOUT_MS = 20_000;
/** After the first frames, how long to wait for a round-trip time from the candidate pair. */
const RTT_WAIT_MS = 3_000;

export const DEVICE_TEXT = {
  de: {
    steps: { camera: 'Kamera', microphone: 'Mikrofon', speaker: 'Lautsprecher', connection: 'Verbindung', roundtrip: 'Übertragung' },
    state: { pass: 'bestanden', fail: 'nicht bestanden', running: 'läuft …', none: 'noch nicht geprüft' },
    cameraOk: (w, h) => `Bestanden: Die Kamera liefert ein Bild (${w} × ${h} Pixel).`,
    micListening: 'Bitte sprechen Sie ein paar Worte …',
    micOk: 'Bestanden: Ihr Mikrofon nimmt Ton auf.',
    micSilent: 'Nicht bestanden: Es kam kein Ton an. Ist das Mikrofon stumm geschaltet?',
    speakerPlaying: 'Ein Ton spielt für eine Sekunde. Haben Sie ihn gehört?',
    speakerOk: 'Bestanden: Sie haben den Ton gehört.',
    speakerFail: 'Nicht bestanden: Prüfen Sie die Lautstärke und ob Kopfhörer verbunden sind; dann erneut abspielen.',
    connectionRunning: 'Die Verbindung wird gemessen …',
    connectionOk: (ms, quality) => `Bestanden: Antwortzeit ${ms} ms (Mittel aus ${ROUND_TRIPS} Messungen), ${quality}.`,
    quality: { good: 'gut', fair: 'ausreichend', poor: 'langsam – ein Video kann stocken' },
    connectionFail: 'Nicht bestanden: Der Server ist nicht erreichbar. Prüfen Sie Ihre Internetverbindung.',
    roundtripRunning: 'Ihr Bild geht über den Server des Bürgeramts und kommt zurück …',
    roundtripOk: (frames, ms) => `Bestanden: Ihr Bild kam über den Server zurück (${frames} Bilder empfangen${ms === null ? '' : `, Antwortzeit ${ms} ms`}).`,
    roundtripFail: 'Nicht bestanden: Über den Server kam kein Bild zurück. Eine Firewall kann Videogespräche sperren; versuchen Sie ein anderes Netz (zum Beispiel das Mobilfunknetz).',
    roundtripRefused: 'Nicht bestanden: Der Server hat die Prüfung abgelehnt. Öffnen Sie den Link aus Ihrer neuesten E-Mail.',
    denied: 'Nicht bestanden: Der Zugriff wurde nicht erlaubt. Erlauben Sie ihn in den Einstellungen Ihres Browsers und prüfen Sie erneut.',
    missing: 'Nicht bestanden: Kein passendes Gerät gefunden.',
    unsupported: 'Nicht bestanden: Ihr Browser unterstützt das nicht. Bitte nutzen Sie einen aktuellen Browser.',
    failed: 'Nicht bestanden: Das Gerät ließ sich nicht starten.',
  },
  en: {
    steps: { camera: 'Camera', microphone: 'Microphone', speaker: 'Speaker', connection: 'Connection', roundtrip: 'Transmission' },
    state: { pass: 'passed', fail: 'failed', running: 'running …', none: 'not checked yet' },
    cameraOk: (w, h) => `Passed: the camera delivers a picture (${w} × ${h} pixels).`,
    micListening: 'Please say a few words …',
    micOk: 'Passed: your microphone picks up sound.',
    micSilent: 'Failed: no sound arrived. Is the microphone muted?',
    speakerPlaying: 'A tone plays for one second. Did you hear it?',
    speakerOk: 'Passed: you heard the tone.',
    speakerFail: 'Failed: check the volume and whether headphones are connected; then play it again.',
    connectionRunning: 'Measuring the connection …',
    connectionOk: (ms, quality) => `Passed: round trip ${ms} ms (median of ${ROUND_TRIPS} measurements), ${quality}.`,
    quality: { good: 'good', fair: 'fair', poor: 'slow – video may stutter' },
    connectionFail: 'Failed: the server cannot be reached. Check your internet connection.',
    roundtripRunning: 'Your picture goes through the citizen office\'s server and back …',
    roundtripOk: (frames, ms) => `Passed: your picture came back through the server (${frames} frames received${ms === null ? '' : `, round trip ${ms} ms`}).`,
    roundtripFail: 'Failed: no picture came back through the server. A firewall may block video calls; try another network (for example mobile data).',
    roundtripRefused: 'Failed: the server refused the check. Open the link from your latest e-mail.',
    denied: 'Failed: access was not allowed. Allow it in your browser settings and check again.',
    missing: 'Failed: no suitable device found.',
    unsupported: 'Failed: your browser does not support this. Please use a current browser.',
    failed: 'Failed: the device could not be started.',
  },
};

function mediaError(error) {
  if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') return 'denied';
  if (error?.name === 'NotFoundError' || error?.name === 'OverconstrainedError') return 'missing';
  return 'failed';
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * The media round trip through the SFU with the citizen's `token`: resolves with
 * `{ ok: true, frames, rttMs }` once decoded video frames came back, else `{ ok: false, refused }`.
 * `onRemote(stream)` shows what comes back. Everything it opened is closed before it resolves.
 */
export async function mediaRoundTrip(token, stream, onRemote) {
  let signalling = null;
  let peer = null;
  let settle;
  const outcome = new Promise((resolve) => { settle = resolve; });
  const timer = setTimeout(() => settle({ ok: false, refused: false }), ROUNDTRIP_TIMEOUT_MS);
  const remote = new MediaStream();
  let iceServers = [];
  let iceTransportPolicy = 'all';

  const watch = async () => {
    let firstFrames = null;
    while (peer) {
      const stats = await readStats(peer.pc);
      if (stats.framesDecoded > 0) {
        firstFrames ??= performance.now();
        if (stats.rttMs !== null || performance.now() - firstFrames > RTT_WAIT_MS) {
          settle({ ok: true, frames: stats.framesDecoded, rttMs: stats.rttMs });
          return;
        }
      }
      await sleep(250);
    }
  };

  signalling = connectSignalling({
    join: { token, echo_test: true },
    onMessage: (message) => {
      if (message.type === 'welcome') {
        iceServers = message.ice_servers ?? [];
        iceTransportPolicy = message.ice_transport_policy ?? 'all';
      }
      else if (message.type === 'ice-servers') peer?.setIceServers(message.ice_servers);
      else if (message.type === 'admitted' && !peer) {
        peer = createPeer({
          iceServers,
          iceTransportPolicy,
          send: (type, fields) => signalling?.send(type, fields),
          onTrack: ({ track }) => {
            remote.addTrack(track);
            onRemote?.(remote);
          },
        });
        peer.start(stream).then(watch, () => settle({ ok: false, refused: false }));
      } else if (message.type === 'answer') peer?.answer(message.sdp).catch(() => settle({ ok: false, refused: false }));
      else if (message.type === 'offer') peer?.offer(message.sdp, message.tracks ?? []).catch(() => settle({ ok: false, refused: false }));
      // An `error` alone is not fatal (the server closes the socket when it is); frames decide.
    },
    onClose: ({ code }) => settle({ ok: false, refused: code >= 4401 && code <= 4409 }),
  });

  const result = await outcome;
  clearTimeout(timer);
  signalling.send('leave');
  signalling.close();
  const done = peer;
  peer = null;
  done?.close();
  return result;
}

/**
 * Wires the device-check section; `lang()` gives 'de' or 'en', `token` is the citizen's
 * capability for the round trip. Returns `{ redraw(), results(), stop() }`.
 */
export function setupDeviceCheck(lang, { token = null } = {}) {
  const t = () => DEVICE_TEXT[lang()];
  // Each result: { state: 'pass'|'fail'|'running'|null, text: (t) => string }.
  const results = { camera: null, microphone: null, speaker: null, connection: null, roundtrip: null };
  const nodes = {
    camera: document.getElementById('camera-result'),
    microphone: document.getElementById('mic-result'),
    speaker: document.getElementById('speaker-result'),
    connection: document.getElementById('connection-result'),
    roundtrip: document.getElementById('roundtrip-result'),
  };
  const summary = document.getElementById('device-summary');
  const preview = document.getElementById('camera-preview');
  const meterBox = document.getElementById('mic-meter-box');
  const meter = document.getElementById('mic-meter');
  const heard = document.getElementById('speaker-heard');
  const notHeard = document.getElementById('speaker-not-heard');
  const streams = [];
  let audio = null;
  let meterTimer = null;

  const audioContext = () => {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
    return audio;
  };

  function draw() {
    for (const [step, node] of Object.entries(nodes)) {
      const r = results[step];
      const text = r ? r.text(t()) : '';
      if (node.textContent !== text) node.textContent = text;
      node.dataset.state = r?.state ?? '';
    }
    summary.replaceChildren();
    for (const step of Object.keys(results)) {
      const state = results[step]?.state ?? 'none';
      const li = element('li', 'device-summary__item');
      li.dataset.step = step;
      li.dataset.state = state;
      const kind = { pass: 'success', fail: 'danger', running: 'info', none: 'info' }[state];
      const badge = element('span', `kern-badge kern-badge--${kind}`);
      badge.append(element('span', 'kern-label', t().state[state]));
      li.append(element('span', 'device-summary__name', `${t().steps[step]}: `), badge);
      summary.append(li);
    }
  }

  function set(step, state, text) {
    results[step] = { state, text };
    draw();
  }

  document.getElementById('camera-button').addEventListener('click', async () => {
    if (!navigator.mediaDevices?.getUserMedia) return set('camera', 'fail', (x) => x.unsupported);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      streams.push(stream);
      preview.srcObject = stream;
      preview.hidden = false;
      preview.setAttribute('aria-label', t().steps.camera);
      if (!preview.videoWidth) {
        await new Promise((resolve) => preview.addEventListener('loadedmetadata', resolve, { once: true }));
      }
      const { videoWidth: w, videoHeight: h } = preview;
      set('camera', w > 0 ? 'pass' : 'fail', (x) => (w > 0 ? x.cameraOk(w, h) : x.failed));
    } catch (error) {
      const reason = mediaError(error);
      set('camera', 'fail', (x) => x[reason]);
    }
  });

  document.getElementById('mic-button').addEventListener('click', async () => {
    if (!navigator.mediaDevices?.getUserMedia) return set('microphone', 'fail', (x) => x.unsupported);
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      const reason = mediaError(error);
      return set('microphone', 'fail', (x) => x[reason]);
    }
    streams.push(stream);
    const context = audioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    meterBox.hidden = false;
    set('microphone', 'running', (x) => x.micListening);
    let loudest = 0;
    clearInterval(meterTimer);
    meterTimer = setInterval(() => {
      analyser.getByteTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += ((s - 128) / 128) ** 2;
      const level = Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 300));
      meter.value = level;
      loudest = Math.max(loudest, level);
    }, 100);
    setTimeout(() => {
      const ok = loudest >= MIC_THRESHOLD;
      set('microphone', ok ? 'pass' : 'fail', (x) => (ok ? x.micOk : x.micSilent));
    }, MIC_LISTEN_MS);
  });

  document.getElementById('speaker-button').addEventListener('click', () => {
    try {
      const context = audioContext();
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.frequency.value = 440;
      gain.gain.value = 0.2;
      tone.connect(gain).connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 1);
    } catch {
      return set('speaker', 'fail', (x) => x.unsupported);
    }
    heard.hidden = false;
    notHeard.hidden = false;
    set('speaker', 'running', (x) => x.speakerPlaying);
    heard.focus();
    return undefined;
  });
  const answer = (ok) => () => {
    heard.hidden = true;
    notHeard.hidden = true;
    set('speaker', ok ? 'pass' : 'fail', (x) => (ok ? x.speakerOk : x.speakerFail));
    document.getElementById('speaker-button').focus();
  };
  heard.addEventListener('click', answer(true));
  notHeard.addEventListener('click', answer(false));

  document.getElementById('connection-button').addEventListener('click', async () => {
    set('connection', 'running', (x) => x.connectionRunning);
    const times = [];
    try {
      for (let i = 0; i < ROUND_TRIPS; i += 1) {
        const begin = performance.now();
        const response = await fetch('/health', { cache: 'no-store' });
        await response.text();
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        times.push(performance.now() - begin);
      }
    } catch {
      return set('connection', 'fail', (x) => x.connectionFail);
    }
    times.sort((a, b) => a - b);
    const median = Math.max(1, Math.round(times[Math.floor(times.length / 2)]));
    const quality = median < 150 ? 'good' : median < 400 ? 'fair' : 'poor';
    return set('connection', 'pass', (x) => x.connectionOk(median, x.quality[quality]));
  });

  const roundtripButton = document.getElementById('roundtrip-button');
  const roundtripVideo = document.getElementById('roundtrip-video');
  roundtripButton.addEventListener('click', async () => {
    if (!navigator.mediaDevices?.getUserMedia || !window.RTCPeerConnection) return set('roundtrip', 'fail', (x) => x.unsupported);
    if (!token) return set('roundtrip', 'fail', (x) => x.roundtripRefused);
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (error) {
      const reason = mediaError(error);
      return set('roundtrip', 'fail', (x) => x[reason]);
    }
    streams.push(stream);
    roundtripButton.disabled = true;
    set('roundtrip', 'running', (x) => x.roundtripRunning);
    const result = await mediaRoundTrip(token, stream, (remote) => {
      roundtripVideo.srcObject = remote;
      roundtripVideo.hidden = false;
      roundtripVideo.setAttribute('aria-label', t().steps.roundtrip);
    });
    for (const track of stream.getTracks()) track.stop();
    roundtripButton.disabled = false;
    if (result.ok) return set('roundtrip', 'pass', (x) => x.roundtripOk(result.frames, result.rttMs));
    roundtripVideo.hidden = true;
    return set('roundtrip', 'fail', (x) => (result.refused ? x.roundtripRefused : x.roundtripFail));
  });

  draw();
  return {
    redraw: draw,
    results: () => Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v?.state ?? null])),
    stop() {
      clearInterval(meterTimer);
      for (const stream of streams) for (const track of stream.getTracks()) track.stop();
    },
  };
}
