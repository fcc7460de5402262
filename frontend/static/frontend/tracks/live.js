// Track events of the whole project: `track.created/updated/deleted` (someone made, relabelled,
// extended or removed a track) and a propagation's `track.result`/`track.done` on any frame
// arrive on /ws/projects/{id}/; they are relayed as the contract's `live:track.*` events and
// the store's tracks follow them (numbers and shades on boxes). The frame's own socket
// (live.js) also relays the results for this frame: listeners count each frame once.
import { connectSocket } from "../lib/socket.js";

const RELAYED = new Set(["track.created", "track.updated", "track.deleted", "track.result", "track.done"]);

/** The track in a track.* message: the message's `track` object, or the message itself. */
export function trackOfMessage(message) {
  const t = message.track && typeof message.track === "object" ? message.track : message;
  return t && Number.isFinite(Number(t.id)) && t.number !== undefined ? t : null;
}

/** @param {import("../contract.js").AnnotateApp} app */
export function installTrackLive(app) {
  const onMessage = (message) => {
    if (!RELAYED.has(message.type)) return;
    if (message.type === "track.deleted") {
      const id = message.track && typeof message.track === "object" ? message.track.id : message.track ?? message.id;
      app.store.removeTrack(Number(id));
    } else if (message.type !== "track.result" && message.type !== "track.done") {
      const track = trackOfMessage(message);
      if (track) app.store.upsertTrack(track);
    }
    app.emit(`live:${message.type}`, message);
  };
  const socket = connectSocket(`/ws/projects/${app.projectId}/`, { onMessage, pingEvery: 0 });
  window.addEventListener("online", () => socket.reconnectNow());
  return socket;
}
