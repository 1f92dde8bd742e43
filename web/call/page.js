// The call page (/anruf.html) for citizen, clerk and interpreter. Who joins is read from the
// fragment, which browsers never send to the server: `#token=…` (the citizen's Mein-Termin
// capability; removed from the address bar and kept in this tab's sessionStorage), `#case=<id>`
// (a clerk, authenticated by the session cookie) or `#invite=…` (an interpreter's one-time
// invitation). The page speaks docs/signalling.md: join → welcome → waiting … → admitted →
// getUserMedia, offer → answer, candidates; the SFU's later offers carry which mid is whose, so the
// remote videos are labelled. Reconnects with backoff and joins again; on `connection:
// disconnected` it asks for an ICE restart. The clerk also gets the case panel and "end the call".

import { alertBox, element, setupLanguage } from '../citizen.js';
import { setupCasePanel } from './case-panel.js';
import { setupChat } from './chat.js';
import { setupControls } from './controls.js';
import { createPeer } from './peer.js';
import { setupRemoteVideos } from './remote-videos.js';
import { connectSignalling } from './signalling.js';
import { quality, readStats } from './stats.js';
import { CALL_TEXT } from './text.js';

const TOKEN_KEY = 'buergeramt.token';
const INVITE_KEY = 'buergeramt.invite';
const STATS_MS = 2000;
const ICE_RESTART_MIN_MS = 5000;
const ICE_RESTARTS_BEFORE_REJOIN = 3;

const $ = (id) => document.getElementById(id);
const statusLine = $('call-status');
const messages = $('messages');
const announceBox = $('announce');
const remoteList = $('remote-videos');
const ownVideo = $('own-video');
const connectionBox = $('connection');

/** Where the page's state lives; drawn by the functions below. */
const call = {
  access: null,
  peerId: null,
  role: null,
  caseId: null,
  iceServers: [],
  iceTransportPolicy: 'all',
  /** The key of CALL_TEXT.state the status line shows. */
  stateKey: 'connecting',
  quality: 'connecting',
  rttMs: null,
  serverConnection: null,
  participants: [],
  local: null,
  mediaProblem: null,
  finished: null,
};

let signalling = null;
let peer = null;
let statsTimer = null;
let lastStats = null;
let lastIceRestart = 0;
let iceRestarts = 0;

const language = setupLanguage(CALL_TEXT, () => redraw());
const t = () => language.t();

function takeAccess() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const forget = () => history.replaceState(null, '', window.location.pathname);
  if (fragment.get('token')) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
    sessionStorage.removeItem(INVITE_KEY);
    forget();
    return { token: fragment.get('token') };
  }
  if (fragment.get('invite')) {
    sessionStorage.setItem(INVITE_KEY, fragment.get('invite'));
    forget();
    return { invite: fragment.get('invite') };
  }
  // A case id is no secret; it stays in the address so a reload rejoins.
  if (fragment.get('case')) return { case_id: fragment.get('case') };
  if (sessionStorage.getItem(INVITE_KEY)) return { invite: sessionStorage.getItem(INVITE_KEY) };
  if (sessionStorage.getItem(TOKEN_KEY)) return { token: sessionStorage.getItem(TOKEN_KEY) };
  return null;
}

function announce(text) {
  // Cleared first so the same sentence twice is read twice.
  announceBox.textContent = '';
  window.setTimeout(() => { announceBox.textContent = text; }, 50);
}

function setState(key) {
  call.stateKey = key;
  document.body.dataset.callState = key;
  drawStatus();
}

function drawStatus() {
  const text = t().state[call.stateKey] ?? '';
  if (statusLine.textContent !== text) statusLine.textContent = text;
}

function showProblem(problem) {
  const parts = [];
  if (problem?.title) {
    const title = element('p', 'kern-body kern-body--bold', problem.title);
    title.lang = 'en';
    parts.push(title);
  }
  if (problem?.detail) {
    const detail = element('p', 'kern-body', problem.detail);
    detail.lang = 'en';
    parts.push(detail);
  }
  const box = alertBox('danger', t().problemHeading, parts, 'alert');
  box.dataset.problemStatus = String(problem?.status ?? '');
  messages.replaceChildren(box);
}

// ---- Connection indicator ---------------------------------------------------------------------

function connectionText() {
  const c = t().connection;
  const rtt = call.rttMs !== null && ['good', 'fair', 'poor'].includes(call.quality) ? `, ${c.rtt(call.rttMs)}` : '';
  return `${c.label}: ${c[call.quality] ?? c.connecting}${rtt}`;
}

function drawConnection() {
  connectionBox.dataset.quality = call.quality;
  $('connection-text').textContent = connectionText();
}

function setQuality(next) {
  const changed = next !== call.quality;
  call.quality = next;
  drawConnection();
  if (changed && next !== 'connecting') announce(t().qualityChanged(t().connection[next]));
}

async function sampleStats() {
  if (!peer) return;
  const stats = await readStats(peer.pc);
  const state = peer.pc.connectionState;
  call.rttMs = stats.rttMs;
  document.body.dataset.framesDecoded = String(stats.framesDecoded);
  if (call.serverConnection === 'disconnected' || state === 'disconnected' || state === 'failed') {
    setQuality('disconnected');
    iceRestart();
  } else if (state !== 'connected') {
    setQuality('connecting');
  } else {
    setQuality(quality(stats, lastStats));
  }
  lastStats = stats;
}

/** Asks the SFU for fresh ICE credentials; after several in vain, joins again on a new socket. */
function iceRestart() {
  const now = performance.now();
  if (now - lastIceRestart < ICE_RESTART_MIN_MS) return;
  lastIceRestart = now;
  iceRestarts += 1;
  if (iceRestarts > ICE_RESTARTS_BEFORE_REJOIN) {
    iceRestarts = 0;
    signalling?.reconnect();
    return;
  }
  signalling?.send('ice-restart');
}

// ---- Remote videos ----------------------------------------------------------------------------

const remote = setupRemoteVideos({
  list: remoteList,
  nobody: $('nobody'),
  t,
  participants: () => call.participants,
});

/** A remote track is shown once media flows on it; who it is comes from the SFU's latest offer. */
function onTrack({ track, mid }) {
  const owner = peer;
  const place = () => {
    if (peer !== owner || !peer) return;
    remote.addTrack(track, mid === null ? null : peer.infoOf(mid), `mid-${mid}`);
  };
  if (track.muted) track.addEventListener('unmute', place, { once: true });
  else place();
}

// ---- Local media ------------------------------------------------------------------------------

async function localMedia() {
  if (call.local) return call.local;
  const attempts = [
    { audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 } } },
    { audio: false, video: true },
    { audio: true, video: false },
  ];
  let lastError = null;
  for (const constraints of attempts) {
    try {
      call.local = await navigator.mediaDevices.getUserMedia(constraints);
      break;
    } catch (error) {
      lastError = error;
      if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') break;
    }
  }
  if (!call.local) {
    call.mediaProblem = lastError?.name === 'NotAllowedError' || lastError?.name === 'SecurityError' ? 'mediaDenied' : 'mediaMissing';
    messages.replaceChildren(alertBox('warning', t()[call.mediaProblem], null, 'alert'));
    call.local = new MediaStream();
  } else if (!call.local.getAudioTracks().length || !call.local.getVideoTracks().length) {
    call.mediaProblem = 'mediaMissing';
    messages.replaceChildren(alertBox('warning', t().mediaMissing, null, 'alert'));
  }
  showPreview(call.local);
  controls.redraw();
  return call.local;
}

function showPreview(stream) {
  ownVideo.srcObject = stream;
  ownVideo.setAttribute('aria-label', t().ownVideo);
  $('own-video-box').hidden = !stream?.getVideoTracks().length;
}

function sendMediaState(state = controls.state()) {
  signalling?.send('media-state', state);
}

// ---- The connection to the SFU ----------------------------------------------------------------

function dropPeer() {
  peer?.close();
  peer = null;
  lastStats = null;
  clearInterval(statsTimer);
  remote.clear();
}

let lastMediaRestart = 0;
/** A fresh connection to the SFU on the same socket, at most every few seconds. */
function restartMedia() {
  const now = performance.now();
  if (now - lastMediaRestart < ICE_RESTART_MIN_MS) return;
  lastMediaRestart = now;
  startMedia().catch(() => setState('error'));
}

/** Counts admissions and drops, so a start overtaken by a reconnect gives up. */
let generation = 0;

async function startMedia() {
  generation += 1;
  const mine = generation;
  setState('admitted');
  const stream = await localMedia();
  if (call.finished || mine !== generation) return;
  dropPeer();
  peer = createPeer({
    iceServers: call.iceServers,
    iceTransportPolicy: call.iceTransportPolicy,
    send: (type, fields) => signalling?.send(type, fields),
    onTrack,
    onState: (state) => {
      if (state === 'connected') {
        // The browser's own "connected" is proof enough after an ICE restart.
        call.serverConnection = 'connected';
        iceRestarts = 0;
        if (call.stateKey !== 'in_call') setState('in_call');
      }
      sampleStats();
    },
  });
  setState('media');
  // While sharing the screen, the new connection sends the screen, not the camera.
  await peer.start(stream);
  const current = controls.currentVideo();
  if (current && current !== stream.getVideoTracks()[0]) await peer.replaceVideo(current);
  sendMediaState();
  statsTimer = setInterval(sampleStats, STATS_MS);
  chat.enable(true);
  controls.redraw();
  $('screen-toggle').disabled = !peer.hasVideoSender();
}

function onMessage(message) {
  switch (message.type) {
    case 'welcome':
      call.peerId = message.peer_id;
      call.role = message.role;
      call.caseId = message.case_id;
      call.iceServers = message.ice_servers ?? [];
      call.iceTransportPolicy = message.ice_transport_policy ?? 'all';
      document.body.dataset.role = message.role;
      if (message.role === 'clerk') showClerkTools();
      break;
    case 'ice-servers':
      call.iceServers = message.ice_servers ?? [];
      peer?.setIceServers(call.iceServers);
      break;
    case 'waiting':
      dropPeer();
      setState(['not_checked_in', 'on_hold'].includes(message.stage) ? message.stage : 'waiting');
      break;
    case 'admitted':
      messages.replaceChildren();
      startMedia().catch(() => setState('error'));
      break;
    case 'answer':
      peer?.answer(message.sdp);
      break;
    case 'offer':
      peer?.offer(message.sdp, message.tracks ?? []).then(() => {
        for (const info of message.tracks ?? []) remote.relabel(info);
      });
      break;
    case 'connection':
      call.serverConnection = message.state;
      if (message.state === 'connected' && call.stateKey !== 'in_call') setState('in_call');
      if (message.state === 'disconnected') {
        setQuality('disconnected');
        iceRestart();
      }
      // The SFU let go of this connection: negotiate a new one (a new offer).
      if (message.state === 'closed' && !call.finished) {
        setQuality('disconnected');
        restartMedia();
      }
      break;
    case 'participants':
      call.participants = message.participants ?? [];
      remote.keep(call.participants.map((p) => p.peer_id));
      break;
    case 'chat':
      chat.add(message);
      if (message.from !== call.peerId) document.body.dataset.chatIn = String(Number(document.body.dataset.chatIn ?? 0) + 1);
      break;
    case 'ended':
      finish('ended', message.reason);
      break;
    case 'error':
      showProblem(message.problem);
      break;
    default:
      break;
  }
}

function connect() {
  setState('connecting');
  signalling = connectSignalling({
    join: call.access,
    onMessage,
    onOpen: () => {
      if (call.stateKey === 'reconnecting') setState('connecting');
    },
    onDrop: () => {
      generation += 1;
      dropPeer();
      setQuality('disconnected');
      setState('reconnecting');
    },
    onClose: ({ code }) => {
      if (call.finished) return;
      if (code === 1000) finish('ended');
      else if (code === 4000) finish('replaced');
      else {
        const reason = t().closeReasons[code];
        finish('error', null, reason);
      }
    },
  });
}

// ---- The end ----------------------------------------------------------------------------------

function stopLocal() {
  for (const track of call.local?.getTracks() ?? []) track.stop();
}

function drawEnded() {
  if (!call.finished) return;
  const { kind, reason, text } = call.finished;
  $('ended-heading').textContent = t().state[kind] ?? t().state.ended;
  $('ended-reason').textContent = text ?? (reason ? t().endedReason[reason] ?? '' : '');
  const back = $('ended-back');
  const clerk = call.role === 'clerk' || call.access?.case_id;
  back.href = clerk ? '/dashboard.html' : '/mein-termin.html';
  back.querySelector('.kern-label').textContent = clerk ? t().backClerk : t().backCitizen;
  back.hidden = Boolean(call.access?.invite);
  $('rejoin').hidden = !['left', 'replaced'].includes(kind);
}

function finish(kind, reason = null, text = null) {
  if (call.finished) return;
  call.finished = { kind, reason, text };
  controls.stopSharing();
  dropPeer();
  stopLocal();
  signalling?.close();
  signalling = null;
  chat.enable(false);
  $('call-layout').hidden = true;
  $('ended').hidden = false;
  setState(kind);
  setQuality('closed');
  drawEnded();
  document.body.dataset.finished = kind;
  $('ended-heading').focus();
}

// ---- Clerk tools ------------------------------------------------------------------------------

let panel = null;
function showClerkTools() {
  $('end-call').hidden = false;
  const casePanel = $('case-panel');
  casePanel.hidden = false;
  if (!panel) {
    panel = setupCasePanel({ root: casePanel, caseId: call.caseId ?? call.access.case_id, t, announce });
    drawPanelTexts();
    panel.load();
  }
}

function drawPanelTexts() {
  for (const node of document.querySelectorAll('[data-i18n-panel]')) {
    const value = t().panel[node.dataset.i18nPanel];
    if (typeof value === 'string') node.textContent = value;
  }
}

// ---- Wiring -----------------------------------------------------------------------------------

const controls = setupControls({
  buttons: { mic: $('mic-toggle'), camera: $('camera-toggle'), screen: $('screen-toggle') },
  stream: () => call.local,
  peer: () => peer,
  t,
  onChange: (state) => sendMediaState(state),
  onPreview: (stream) => showPreview(stream),
  onError: () => messages.replaceChildren(alertBox('warning', t().shareFailed, null, 'alert')),
});

const chat = setupChat({
  form: $('chat-form'),
  input: $('chat-input'),
  log: $('chat-log'),
  error: $('chat-error'),
  send: (text) => Boolean(signalling?.send('chat', { text })),
  self: () => call.peerId,
  t,
});

$('hang-up').addEventListener('click', () => {
  signalling?.send('leave');
  finish('left');
});

$('end-call').addEventListener('click', () => {
  signalling?.send('end');
  // The server answers with `ended` to everybody; the page ends at once either way.
  finish('ended', 'by_me');
});

$('rejoin').addEventListener('click', () => window.location.reload());

function redraw() {
  drawStatus();
  drawConnection();
  remote.redraw();
  ownVideo.setAttribute('aria-label', t().ownVideo);
  controls.redraw();
  chat.redraw();
  drawPanelTexts();
  panel?.redraw();
  drawEnded();
  if (call.mediaProblem && messages.firstChild?.classList.contains('kern-alert--warning')) {
    messages.replaceChildren(alertBox('warning', t()[call.mediaProblem], null, 'alert'));
  }
}

window.addEventListener('pagehide', () => {
  if (!call.finished) signalling?.send('leave');
  stopLocal();
});

function start() {
  call.access = takeAccess();
  drawConnection();
  if (!call.access) {
    $('call-layout').hidden = true;
    messages.replaceChildren(alertBox('info', t().noAccessTitle, t().noAccess));
    document.body.dataset.ready = 'no-access';
    return;
  }
  if (call.access.case_id) document.body.dataset.role = 'clerk';
  connect();
  document.body.dataset.ready = 'true';
}

start();
