// A scripted signalling server for the call page's protocol tests: playwright's routeWebSocket
// answers the page's /api/v1/call/ws in the test process, to docs/signalling.md, and a second
// browser page plays the SFU with real RTCPeerConnections (it answers offers, forwards each
// participant's tracks to the others with its own offers, or echoes them back). It lets a test
// provoke what the real server rarely does on cue: a dropped socket, `connection: disconnected`,
// an offer with fresh ICE credentials. The full flow against the real SFU is in call.test.js.

const SFU_SCRIPT = () => {
  const peers = new Map();
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', check);
    setTimeout(resolve, 3000);
    return undefined;
  });
  window.sfu = {
    async answer(id, sdp) {
      peers.get(id)?.pc.close();
      const pc = new RTCPeerConnection();
      peers.set(id, { pc, sent: new Map() });
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      return pc.localDescription.sdp;
    },
    /** Adds the tracks `from` sends to the connection of `to`; returns the offer and its mids. */
    async forward(from, to, iceRestart = false) {
      const source = peers.get(from);
      const target = peers.get(to);
      if (!source || !target) return null;
      for (const transceiver of source.pc.getTransceivers()) {
        const track = transceiver.receiver.track;
        const key = `${from}:${transceiver.mid}`;
        if (!track || target.sent.has(key)) continue;
        target.sent.set(key, { sender: target.pc.addTrack(track), kind: track.kind, from });
      }
      await target.pc.setLocalDescription(await target.pc.createOffer({ iceRestart }));
      await gathered(target.pc);
      const mids = [];
      for (const transceiver of target.pc.getTransceivers()) {
        for (const sent of target.sent.values()) {
          if (transceiver.sender === sent.sender) mids.push({ mid: transceiver.mid, kind: sent.kind, from: sent.from });
        }
      }
      return { sdp: target.pc.localDescription.sdp, mids };
    },
    async accept(id, sdp) {
      await peers.get(id)?.pc.setRemoteDescription({ type: 'answer', sdp });
    },
    async candidate(id, candidate) {
      const peer = peers.get(id);
      if (peer && candidate) await peer.pc.addIceCandidate(candidate).catch(() => {});
    },
    close(id) {
      peers.get(id)?.pc.close();
      peers.delete(id);
    },
  };
};

/**
 * Starts the fake on `sfuPage` (a page of the server's origin whose browser has the fake media
 * devices). Options: `echo` (send a lone participant's media back), `wait` (hold joins in the
 * waiting room until `admit()`), `names` (role → display name). Returns `{ attach(page), admit(),
 * dropAll(), disconnect(), log, connections }`.
 */
export async function startFakeSfu(sfuPage, { echo = false, wait = false, names = {} } = {}) {
  await sfuPage.evaluate(() => navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
  await sfuPage.evaluate(SFU_SCRIPT);
  const log = [];
  const connections = new Map();
  let next = 0;
  let admittedAll = !wait;

  const send = (c, message) => { if (!c.closed) c.ws.send(JSON.stringify({ v: 1, ...message })); };
  const everybody = () => [...connections.values()].filter((c) => !c.closed && c.joined);
  const participants = () => everybody().map((c) => ({
    peer_id: c.id, role: c.role, name: c.name, connected: c.connected, media: c.media,
  }));
  const broadcastParticipants = () => {
    for (const c of everybody()) send(c, { type: 'participants', participants: participants() });
  };

  async function offerTo(target, from, iceRestart = false) {
    const offer = await sfuPage.evaluate(([f, t, r]) => window.sfu.forward(f, t, r), [from.id, target.id, iceRestart]);
    if (!offer) return;
    const tracks = offer.mids.map((m) => {
      const owner = connections.get(m.from);
      return { mid: m.mid, kind: m.kind, peer_id: owner.id, role: owner.role, name: owner.name };
    });
    send(target, { type: 'offer', sdp: offer.sdp, tracks });
  }

  async function admit(c) {
    c.admitted = true;
    send(c, { type: 'admitted', session_id: 'fake-session' });
  }

  async function onMessage(c, text) {
    const message = JSON.parse(text);
    log.push({ peer: c.id, type: message.type, message });
    switch (message.type) {
      case 'join': {
        c.joined = true;
        c.role = message.case_id ? 'clerk' : message.invite ? 'interpreter' : 'citizen';
        c.name = names[c.role] ?? '';
        // The same participant joining again replaces the older connection (close code 4000).
        for (const other of connections.values()) {
          if (other !== c && other.role === c.role && !other.closed) {
            other.closed = true;
            other.ws.close({ code: 4000, reason: 'replaced' });
          }
        }
        send(c, { type: 'welcome', peer_id: c.id, role: c.role, case_id: 'fake-case', ice_servers: [] });
        if (admittedAll || c.role === 'clerk') await admit(c);
        else send(c, { type: 'waiting', stage: 'checked_in' });
        break;
      }
      case 'offer': {
        const sdp = await sfuPage.evaluate(([id, s]) => window.sfu.answer(id, s), [c.id, message.sdp]);
        send(c, { type: 'answer', sdp });
        c.connected = true;
        send(c, { type: 'connection', state: 'connected' });
        broadcastParticipants();
        const others = everybody().filter((o) => o !== c && o.connected);
        for (const other of others) {
          await offerTo(other, c);
          await offerTo(c, other);
        }
        if (echo && others.length === 0) await offerTo(c, c);
        break;
      }
      case 'answer':
        await sfuPage.evaluate(([id, s]) => window.sfu.accept(id, s), [c.id, message.sdp]);
        break;
      case 'candidate':
        await sfuPage.evaluate(([id, cand]) => window.sfu.candidate(id, cand), [c.id, message.candidate]);
        break;
      case 'ice-restart': {
        send(c, { type: 'ice-servers', ice_servers: [] });
        const other = everybody().find((o) => o !== c && o.connected) ?? c;
        await offerTo(c, other, true);
        break;
      }
      case 'chat':
        for (const o of everybody()) {
          send(o, { type: 'chat', from: c.id, role: c.role, name: c.name, text: message.text, at: new Date().toISOString() });
        }
        break;
      case 'media-state':
        c.media = { audio: message.audio, video: message.video, screen: message.screen };
        broadcastParticipants();
        break;
      case 'ping':
        send(c, { type: 'pong' });
        break;
      case 'leave':
        c.closed = true;
        c.ws.close({ code: 1000, reason: 'left' });
        await sfuPage.evaluate((id) => window.sfu.close(id), c.id);
        broadcastParticipants();
        break;
      case 'end':
        for (const o of everybody()) {
          send(o, { type: 'ended', reason: 'ended' });
          o.closed = true;
          o.ws.close({ code: 1000, reason: 'ended' });
        }
        break;
      default:
        break;
    }
  }

  return {
    log,
    connections,
    /** Serves the call socket of `page` from this fake. */
    async attach(page) {
      await page.routeWebSocket(/\/api\/v1\/call\/ws$/, (ws) => {
        next += 1;
        const c = { id: `peer-${next}`, ws, joined: false, closed: false, connected: false, media: { audio: true, video: true, screen: false } };
        connections.set(c.id, c);
        // Messages of one connection are handled in order, one after another.
        let chain = Promise.resolve();
        ws.onMessage((text) => { chain = chain.then(() => onMessage(c, String(text))).catch((e) => log.push({ peer: c.id, error: String(e) })); });
        ws.onClose(() => { c.closed = true; });
      });
    },
    /** Lets everyone waiting in. */
    async admit() {
      admittedAll = true;
      for (const c of everybody()) if (!c.admitted) await admit(c);
    },
    /** Drops every socket as a network failure would (code 1006 is not sendable; 1012 restarts). */
    dropAll() {
      for (const c of everybody()) {
        c.closed = true;
        c.ws.close({ code: 1012, reason: 'restart' });
      }
    },
    /** Tells every participant its media connection dropped. */
    disconnect() {
      for (const c of everybody()) send(c, { type: 'connection', state: 'disconnected' });
    },
  };
}
