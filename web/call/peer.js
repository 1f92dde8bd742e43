// One RTCPeerConnection to the SFU (never to another browser). The browser makes the first offer
// with its camera and microphone; after that the SFU is the only offerer (new participants'
// tracks, ICE restarts), so offers never cross. Candidates are trickled to the server; the SFU's
// own candidates come in its descriptions. `offer.tracks` says which mid carries whose track, so
// the page can label what it shows. Screen sharing swaps the track on the video sender
// (replaceTrack) and needs no new negotiation.

/**
 * `iceServers` and `iceTransportPolicy` come from the server's `welcome`.
 * `send(type, fields)` is the signalling's send. `onTrack({track, info, mid})` is called for each
 * remote track, `info` being the offer's `{mid, kind, peer_id, role, name}` (or null when the
 * SFU did not say). `onState(pc.connectionState)` follows the connection.
 */
export function createPeer({ iceServers, iceTransportPolicy = 'all', send, onTrack, onState }) {
  // `relay` when the office sends every call through its TURN server (welcome says so).
  const pc = new RTCPeerConnection({ iceServers: iceServers ?? [], iceTransportPolicy: iceTransportPolicy === 'relay' ? 'relay' : 'all' });
  /** mid → track info from the SFU's latest offer. */
  const trackInfo = new Map();
  let videoSender = null;
  let audioSender = null;
  let closed = false;
  // Descriptions are applied one after another, in the order they arrive.
  let queue = Promise.resolve();
  const serially = (work) => {
    queue = queue.then(work, work);
    return queue;
  };

  pc.addEventListener('icecandidate', (event) => {
    const candidate = event.candidate && event.candidate.candidate ? event.candidate.toJSON() : null;
    send('candidate', { candidate });
  });
  pc.addEventListener('track', (event) => {
    const mid = event.transceiver?.mid ?? null;
    onTrack?.({ track: event.track, mid, info: mid === null ? null : trackInfo.get(mid) ?? null });
  });
  pc.addEventListener('connectionstatechange', () => onState?.(pc.connectionState));

  return {
    pc,
    /** Adds the local tracks (either may be missing) and sends the first offer. */
    start(stream) {
      return serially(async () => {
        const audio = stream?.getAudioTracks()[0];
        const video = stream?.getVideoTracks()[0];
        if (audio) audioSender = pc.addTrack(audio, stream);
        else pc.addTransceiver('audio', { direction: 'recvonly' });
        if (video) videoSender = pc.addTrack(video, stream);
        else pc.addTransceiver('video', { direction: 'recvonly' });
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        send('offer', { sdp: pc.localDescription.sdp });
      });
    },
    /** The SFU's answer to the first offer. */
    answer(sdp) {
      return serially(() => (closed ? null : pc.setRemoteDescription({ type: 'answer', sdp })));
    },
    /** An offer of the SFU: applies it and answers. */
    offer(sdp, tracks = []) {
      return serially(async () => {
        if (closed) return;
        for (const info of tracks) trackInfo.set(info.mid, info);
        await pc.setRemoteDescription({ type: 'offer', sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        send('answer', { sdp: pc.localDescription.sdp });
      });
    },
    /** The participant a mid belongs to, as the SFU last said. */
    infoOf(mid) {
      return trackInfo.get(mid) ?? null;
    },
    /** Sends another video track (the screen, or the camera again) on the same sender. */
    async replaceVideo(track) {
      if (videoSender) await videoSender.replaceTrack(track);
    },
    /** Fresh TURN credentials (they expire): used by the next ICE gathering, e.g. a restart. */
    setIceServers(servers) {
      if (closed) return;
      try {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers: servers ?? [] });
      } catch {
        // A configuration the browser refuses keeps the old servers; the restart still runs.
      }
    },
    hasVideoSender: () => Boolean(videoSender),
    hasAudioSender: () => Boolean(audioSender),
    close() {
      closed = true;
      pc.close();
    },
  };
}
