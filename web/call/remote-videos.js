// The other participants' videos: one tile (a labelled <figure> in a list) per participant, its
// caption saying who it is in the page's language ("Sachbearbeitung", "Dolmetschung", …) and what
// they switched off. A tile appears once media flows (a remote track starts muted and unmutes
// with its first packets), so a media line the SFU answers but never fills shows no empty tile,
// and disappears when the participant leaves the room.

import { element } from '../citizen.js';
import { displayName, roleLabel } from './text.js';

/**
 * `list` is the <ul> of tiles, `nobody` the sentence shown while it is empty, `t()` the texts and
 * `participants()` the latest `participants` list. Returns `{ addTrack(track, info, key),
 * keep(peerIds), redraw(), clear() }`.
 */
export function setupRemoteVideos({ list, nobody, t, participants }) {
  /** peer_id (or `mid-…` while unknown) → { item, video, stream, caption, info }. */
  const tiles = new Map();

  const label = (info) => {
    const role = roleLabel(t(), info?.role);
    const name = displayName(info?.name);
    return name ? `${role}: ${name}` : role;
  };

  const state = (peerId) => {
    const who = participants().find((p) => p.peer_id === peerId);
    if (!who) return '';
    const parts = [];
    if (!who.media?.audio) parts.push(t().mutedMic);
    if (!who.media?.video) parts.push(t().cameraOffShort);
    if (who.media?.screen) parts.push(t().sharing);
    return parts.length ? ` (${parts.join(', ')})` : '';
  };

  const draw = (key) => {
    const tile = tiles.get(key);
    const text = label(tile.info);
    tile.caption.textContent = `${text}${state(key)}`;
    tile.video.setAttribute('aria-label', t().remoteVideo(text));
    tile.item.dataset.role = tile.info?.role ?? '';
  };

  const showNobody = () => { nobody.hidden = tiles.size > 0; };

  const tileFor = (key, info) => {
    let tile = tiles.get(key);
    if (!tile) {
      const item = element('li', 'remote-video');
      item.dataset.peer = key;
      const figure = element('figure', 'remote-video__figure');
      const video = element('video');
      video.autoplay = true;
      video.playsInline = true;
      const caption = element('figcaption', 'remote-video__caption kern-body kern-body--small');
      figure.append(video, caption);
      item.append(figure);
      list.append(item);
      tile = { item, video, caption, stream: new MediaStream(), info };
      video.srcObject = tile.stream;
      tiles.set(key, tile);
    }
    if (info) tile.info = info;
    draw(key);
    showNobody();
    return tile;
  };

  const remove = (key) => {
    const tile = tiles.get(key);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.item.remove();
    tiles.delete(key);
    showNobody();
  };

  return {
    /** Shows `track` in the tile of `info.peer_id` (or of `key` while nobody is known). */
    addTrack(track, info, key) {
      const tile = tileFor(info?.peer_id ?? key, info);
      if (!tile.stream.getTracks().includes(track)) tile.stream.addTrack(track);
      tile.video.play().catch(() => {
        // Autoplay may wait for a gesture; the next click on the page starts it.
        document.addEventListener('click', () => tile.video.play().catch(() => {}), { once: true });
      });
    },
    /** Updates who a tile shows, when the SFU's offer says it anew. */
    relabel(info) {
      if (tiles.has(info.peer_id)) tileFor(info.peer_id, info);
    },
    /** Removes the tiles of participants no longer in the room (a reconnecting one stays). */
    keep(peerIds) {
      for (const key of [...tiles.keys()]) {
        if (!peerIds.includes(key) && !key.startsWith('mid-')) remove(key);
        else draw(key);
      }
    },
    redraw() {
      for (const key of tiles.keys()) draw(key);
    },
    clear() {
      for (const key of [...tiles.keys()]) remove(key);
    },
  };
}
