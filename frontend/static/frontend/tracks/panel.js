// Tracks on the annotate page: installTracks(app, nav) (app: contract.js's AnnotateApp).
//
// - The project's tracks go into the store (numbers and shades on boxes); tracks/live.js keeps
//   them current from /ws/projects/{id}/.
// - The track the page follows is the selected box's; it stays when the selection is cleared and
//   across frames (sessionStorage per project), and its box is selected again on the next frame,
//   so "copy forward, adjust, copy forward" needs no clicks between.
// - Keys and buttons: F copies the selected box (or, with none, every box) to the next frame as
//   the same tracks and goes there; Shift+F copies every box; E ends the track here; L
//   interpolates the track; T tracks it forward N frames; [ and ] go to its previous / next
//   keyframe. Each is one request and one undo step on the server.
// - The timeline strip under the canvas (tracks/timeline.js) shows the followed track over the
//   frames of this frame's sequence; where a track has no box on this frame but boxes around,
//   its ghost (tracks/ghost.js) is one drag from being placed (K: the followed track's).
// - A frame outside any sequence (Image.sequence null) loads no tracks, opens no project socket.

import { h, withBusy } from "../lib/dom.js";
import { isReadOnly } from "../review.js";
import { createTrackApi } from "./api.js";
import { installTrackLive } from "./live.js";
import { createPropagation } from "./propagate.js";
import { createTimeline } from "./timeline.js";
import { createTrackData } from "./data.js";
import { createGhosts } from "./ghost.js";
import { boxState, copyForwardBoxes, ghostBox, neighbourKeyframe, timelineCells, trackOf } from "./model.js";

const RELOAD_MS = 250;

/** @param {import("../contract.js").AnnotateApp} app  @param {{go: (id: number) => Promise<boolean>}} nav */
export function installTracks(app, nav) {
  const { store, imageId } = app;
  const trackApi = createTrackApi(app.api);
  const memoryKey = `hitl.track.${app.projectId}`;
  const body = app.panel("tracks-panel", "Tracks");
  body.classList.add("tracks-panel");
  const following = h("p", { class: "muted", id: "track-following", "aria-live": "polite" });
  const button = (id, text, title) => h("button", { type: "button", class: "btn", id, title }, text);
  const copyButton = button("copy-forward", "Copy forward", "Copy the selected box (or all) to the next frame and go there (F)");
  const endButton = button("end-track", "End track here", "The object left the view: the track ends at this frame (E)");
  const interpolateButton = button("interpolate-track", "Interpolate", "Fill the frames between the track's keyframes (L)");
  const propagation = createPropagation({
    app, trackApi,
    onFrame: (image) => timeline.mark(image, "tracked"),
    onFinished: () => scheduleReload(true),
  });
  body.append(following, h("div", { class: "ai-row" }, copyButton, endButton, interpolateButton), propagation.element);
  const timeline = createTimeline({ container: document.getElementById("track-timeline"), onGo: (image) => nav.go(image) });
  const sequence = Number(document.getElementById("annotate").dataset.sequence) || null;
  const data = createTrackData({ app, sequence });

  let readOnly = false;
  app.on("review.status", ({ status }) => (readOnly = isReadOnly(status)));
  const editable = () => {
    if (readOnly) app.notify("This frame is read-only while it is submitted or approved; reopen it to edit.", "info");
    return !readOnly;
  };
  const ghosts = createGhosts(app, { editable });
  const placeButton = button("place-ghost", "Add here", "Place the followed track's box on this frame where its ghost is (K, or drag the ghost)");
  placeButton.hidden = true;
  body.querySelector(".ai-row").append(placeButton);

  let followed = Number(sessionStorage.getItem(memoryKey)) || null;
  const followedTrack = () => store.track(followed);

  function follow(track) {
    if (track === followed) return;
    followed = track;
    if (track === null) sessionStorage.removeItem(memoryKey);
    else sessionStorage.setItem(memoryKey, String(track));
    app.emit("track.selected", { track });
    showFollowing();
    showTimeline();
    refreshGhosts();
  }

  function showFollowing() {
    const t = followedTrack();
    const label = t ? store.label(t.label) : null;
    following.textContent = t ? `Following ${label ? label.name : "track"} #${t.number}.` : "Select a box of a track to follow it.";
    body.dataset.track = t ? String(t.id) : "";
    endButton.disabled = interpolateButton.disabled = propagation.button.disabled = !t && !propagation.running();
  }

  // --- the timeline ---------------------------------------------------------------
  let reloadTimer = null;
  function scheduleReload(fresh = false) {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => loadTimeline(fresh), RELOAD_MS);
  }

  let loaded = null; // {frames, boxes}: the last read of the frames around, for the timeline and the ghosts
  const boxesHere = (track) => store.list().filter((b) => b.track === track && !b.doomed).map((b) => ({ ...b, image: imageId }));

  async function loadTimeline(fresh = false) {
    if (fresh) data.invalidate();
    const got = await data.load(followed);
    if (!got) return;
    loaded = got;
    showTimeline();
    refreshGhosts();
  }

  function showTimeline() {
    const t = followedTrack();
    if (!t || !loaded) return timeline.empty();
    // The track's boxes in one read (GET /api/tracks/{id}/boxes/); a track followed since the last
    // load is read now, meanwhile drawn from the boxes around. This frame's own boxes are the
    // store's (newer than any list read before).
    const own = loaded.followed?.track === t.id ? loaded.followed.boxes : null;
    if (!own) followedLoad(t.id);
    const read = own || loaded.boxes.filter((b) => b.track === t.id);
    const boxes = [...read.filter((b) => Number(b.image) !== Number(imageId)), ...boxesHere(t.id)];
    const label = store.label(t.label);
    timeline.show({ heading: { track: t.id, text: `${label ? label.name : "Track"} #${t.number}` }, list: timelineCells(loaded.frames, boxes), image: imageId });
  }

  // A track followed after the last load: its boxes (one read at a time), then the strip again.
  let reading = null;
  async function followedLoad(track) {
    if (reading === track) return;
    reading = track;
    const boxes = await data.trackBoxes(track);
    reading = null;
    if (!loaded || followed !== track || !boxes) return;
    loaded.followed = { track, boxes };
    showTimeline();
  }

  function refreshGhosts() {
    const byTrack = new Map();
    for (const b of loaded ? loaded.boxes : []) {
      if (!byTrack.has(b.track)) byTrack.set(b.track, []);
      byTrack.get(b.track).push(b);
    }
    const list = [];
    for (const [track, boxes] of byTrack) {
      if (boxesHere(track).length || !store.track(track)) continue;
      // An ended track (End track on its last frame) has no ghost past its end.
      const ended = store.track(track).ended_at != null;
      list.push({ box: ghostBox(loaded.frames, boxes, imageId, { ended }), track: store.track(track) });
    }
    ghosts.set(list);
    placeButton.hidden = !ghosts.list().some((g) => g.track === followed);
  }

  // A box of a track on this frame changed (an edit makes it a keyframe; a delete leaves a ghost).
  const markHere = (box) => {
    if (!box || trackOf(box) === null) return;
    if (trackOf(box) === followed) timeline.mark(imageId, box.deleted ? "none" : boxState(box));
    refreshGhosts();
  };
  app.on("saved", ({ box }) => markHere(box));
  app.on("live:box", (m) => markHere(m.type === "box.deleted" ? { ...m.box, deleted: true } : m.box));
  // A track made (also by an import, with its boxes) or changed: what the panel follows, the strip and the ghosts.
  const trackChanged = () => {
    showFollowing();
    if (!propagation.running()) scheduleReload(true);
  };
  app.on("live:track.created", trackChanged);
  app.on("live:track.updated", trackChanged);
  app.on("live:track.deleted", () => !followedTrack() && follow(null));
  app.on("select", ({ box }) => {
    const t = trackOf(box);
    if (t !== null) follow(t);
  });

  // --- actions --------------------------------------------------------------------
  const busy = (control, fn) => () => (control.disabled ? undefined : withBusy(control, fn));
  const detailOf = (r, what) => r.body?.detail || `${what} failed (${r.status}).`;

  async function copyForward(all) {
    if (!editable()) return;
    await app.saves.idle();
    const selected = app.selected();
    const boxes = all ? "all" : copyForwardBoxes(selected);
    if (boxes === "all" && store.count() === 0) return app.notify("There is no box on this frame to copy.", "info");
    const r = await trackApi.copyForward(imageId, boxes);
    if (!r.ok) return app.notify(detailOf(r, "Copy forward"), r.status === 400 ? "warn" : "error");
    const copied = r.body.boxes || [];
    // The copied box's track is followed on the next frame (with every box copied: the one
    // followed already, or else the first).
    const mine = copied.length === 1 ? trackOf(copied[0]) : trackOf(selected) ?? (store.track(followed) ? followed : trackOf(copied[0]));
    if (mine !== null) follow(mine); // its box is selected on the next frame
    await nav.go(r.body.image);
  }

  /** The boxes a track operation wrote that are on this frame (the others are on frames not shown). */
  function showHere(boxes) {
    for (const box of boxes || []) if (Number(box.image) === Number(imageId)) store.upsertServer(box, { force: true });
  }

  function needTrack() {
    if (followedTrack()) return followedTrack();
    app.notify("Select a box that belongs to a track first (copy forward makes one).", "info");
    return null;
  }

  async function endHere() {
    const t = needTrack();
    if (!t || !editable()) return;
    await app.saves.idle();
    const r = await trackApi.end(t.id, imageId);
    if (!r.ok) return app.notify(detailOf(r, "Ending the track"), "error");
    showHere(r.body?.boxes);
    app.notify(`${store.label(t.label)?.name ?? "Track"} #${t.number} ends at this frame.`, "info");
    scheduleReload(true);
  }

  async function interpolate() {
    const t = needTrack();
    if (!t || !editable()) return;
    await app.saves.idle();
    const r = await trackApi.interpolate(t.id);
    if (!r.ok) return app.notify(detailOf(r, "Interpolation"), r.status === 400 ? "warn" : "error");
    const written = r.body?.boxes || [];
    showHere(written);
    app.notify(`Interpolated ${written.length} box${written.length === 1 ? "" : "es"}.`, "info");
    scheduleReload(true);
  }

  function trackForward() {
    const t = needTrack();
    if (t && editable()) return propagation.run(t.id);
  }

  function keyframeStep(dir) {
    const to = neighbourKeyframe(timeline.cells(), imageId, dir);
    if (to === null) app.notify(dir < 0 ? "No earlier keyframe in this track." : "No later keyframe in this track.", "info");
    else nav.go(to);
  }

  copyButton.onclick = busy(copyButton, () => copyForward(false));
  endButton.onclick = busy(endButton, endHere);
  interpolateButton.onclick = busy(interpolateButton, interpolate);
  propagation.button.onclick = () => trackForward();
  const placeFollowed = () => ghosts.placeTrack(followed) ?? app.notify("The followed track has no ghost here: it has a box on this frame, or none around.", "info");
  placeButton.onclick = placeFollowed;
  const shortcut = (action, keys, help, run) => app.addShortcut({ action, keys, help, group: "Tracks", run });
  shortcut("copy-forward", ["f"], "Copy the selected box (or every box) to the next frame, same track, and go there", busy(copyButton, () => copyForward(false)));
  shortcut("copy-forward-all", ["shift+f"], "Copy every box to the next frame and go there", busy(copyButton, () => copyForward(true)));
  shortcut("end-track", ["e"], "End the selected track at this frame (the object left the view)", busy(endButton, endHere));
  shortcut("interpolate-track", ["l"], "Interpolate the selected track between its keyframes", busy(interpolateButton, interpolate));
  shortcut("track-forward", ["t"], "Track the selected box forward (frames in the Tracks panel)", trackForward);
  shortcut("place-track-box", ["k"], "Place the followed track's box on this frame where its ghost is (or drag any ghost; Shift+drag draws inside one)", placeFollowed);
  shortcut("previous-keyframe", ["["], "Previous keyframe of the selected track", () => keyframeStep(-1));
  shortcut("next-keyframe", ["]"], "Next keyframe of the selected track", () => keyframeStep(1));

  // A frame outside any sequence has no tracks: nothing to load or listen to.
  if (sequence === null) {
    following.textContent = "This frame is not part of a sequence.";
    return { follow, loadTimeline };
  }
  timeline.empty();
  installTrackLive(app);
  (async () => {
    const r = await trackApi.list(app.projectId);
    if (r.ok) store.setTracks(r.items);
    showFollowing();
    // Back on a frame of the followed track: its box is selected, ready to adjust.
    const here = followed === null ? null : store.list().find((b) => b.track === followed && !b.doomed);
    if (here && !app.selected()) app.select(here.cid);
    loadTimeline();
  })();
  showFollowing();
  return { follow, loadTimeline };
}
