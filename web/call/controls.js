// The call's controls: microphone, camera and screen sharing are toggle buttons (aria-pressed, a
// label that says what the next press does); hang up and, for the clerk, "end the call". Muting
// and the camera switch only disable the local track (the sender keeps sending silence or black,
// so nothing is renegotiated); screen sharing swaps the video sender's track with replaceTrack and
// swaps back to the camera when sharing stops, from the page or from the browser's own bar.

/**
 * `buttons`: `{ mic, camera, screen }`. `stream()` gives the local camera/microphone stream,
 * `peer()` the current connection to the SFU (it changes after a reconnect). `onChange(state)` is
 * called with `{ audio, video, screen }` after every change; `onPreview(stream)` shows what is
 * sent; `onError(kind)` reports a failure (`share`). Returns `{ state(), redraw(), stopSharing() }`.
 */
export function setupControls({ buttons, stream, peer, t, onChange, onPreview, onError }) {
  const state = { audio: true, video: true, screen: false };
  let screenStream = null;

  const setLabel = (button, text) => {
    button.querySelector('.kern-label').textContent = text;
  };

  function redraw() {
    const local = stream();
    const hasAudio = Boolean(local?.getAudioTracks().length);
    const hasVideo = Boolean(local?.getVideoTracks().length);
    buttons.mic.disabled = !hasAudio;
    buttons.camera.disabled = !hasVideo;
    buttons.screen.hidden = !navigator.mediaDevices?.getDisplayMedia;
    buttons.mic.setAttribute('aria-pressed', String(!state.audio));
    buttons.camera.setAttribute('aria-pressed', String(!state.video));
    buttons.screen.setAttribute('aria-pressed', String(state.screen));
    setLabel(buttons.mic, state.audio ? t().mute : t().unmute);
    setLabel(buttons.camera, state.video ? t().cameraOff : t().cameraOn);
    setLabel(buttons.screen, state.screen ? t().stopShare : t().shareScreen);
  }

  const changed = () => {
    redraw();
    onChange?.({ ...state });
  };

  buttons.mic.addEventListener('click', () => {
    state.audio = !state.audio;
    for (const track of stream()?.getAudioTracks() ?? []) track.enabled = state.audio;
    changed();
  });

  buttons.camera.addEventListener('click', () => {
    state.video = !state.video;
    for (const track of stream()?.getVideoTracks() ?? []) track.enabled = state.video;
    changed();
  });

  async function stopSharing() {
    if (!screenStream) return;
    const ending = screenStream;
    screenStream = null;
    for (const track of ending.getTracks()) track.stop();
    state.screen = false;
    const camera = stream()?.getVideoTracks()[0] ?? null;
    await peer()?.replaceVideo(camera);
    onPreview?.(stream());
    changed();
  }

  buttons.screen.addEventListener('click', async () => {
    if (state.screen) {
      await stopSharing();
      return;
    }
    try {
      screenStream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch {
      onError?.('share');
      return;
    }
    const track = screenStream.getVideoTracks()[0];
    track.addEventListener('ended', () => stopSharing());
    await peer()?.replaceVideo(track);
    state.screen = true;
    onPreview?.(screenStream);
    changed();
  });

  redraw();
  return {
    state: () => ({ ...state }),
    redraw,
    stopSharing,
    /** The track the video sender should carry now (the screen while sharing). */
    currentVideo: () => screenStream?.getVideoTracks()[0] ?? stream()?.getVideoTracks()[0] ?? null,
  };
}
