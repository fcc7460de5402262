// The frame's boxes, labels and AI predictions: the single source the renderer reads.
// Pure (no DOM). Each box has a stable client id `cid` (a box drawn offline has no
// server `id` until its create is saved) and the server `version` it was last seen at.
//
// Box: {cid, id, image, label, x_min, y_min, x_max, y_max, source: "human"|"ai"|"interpolated"|"tracked",
//       prediction, track (id|null), keyframe (false: interpolated or tracked, not yet edited), version, save: null|"pending"|"retrying"|"failed"|"auth"|"conflict",
//       error, doomed (deleted here, delete not saved yet), created_by_username, updated_by_username}
// Prediction (AI layer, separate from boxes): {id, prompt, label, x_min…, score, status}
// Track (the project's, for numbers and shades on boxes): {id, label, number, sequence, first_frame, last_frame, box_count}

const GEOMETRY = ["x_min", "y_min", "x_max", "y_max"];

export function createStore() {
  const boxes = new Map(); // cid -> box
  const byServer = new Map(); // server id -> cid
  const predictions = new Map(); // id -> prediction
  const labels = new Map(); // id -> label
  const tracks = new Map(); // id -> track
  let labelOrder = [];
  let nextCid = 1;
  let ordered = null; // cached list sorted for batched drawing; null = rebuild
  let predList = null;
  const listeners = new Set();
  const store = { revision: 0 };

  function changed(structural = false) {
    if (structural) ordered = null;
    store.revision++;
    for (const fn of listeners) fn(store.revision);
  }

  function fromServer(b, cid) {
    return {
      cid,
      id: b.id,
      image: b.image,
      label: b.label,
      x_min: b.x_min,
      y_min: b.y_min,
      x_max: b.x_max,
      y_max: b.y_max,
      source: b.source || "human",
      prediction: b.prediction ?? null,
      track: b.track ?? null,
      keyframe: b.keyframe !== false,
      version: b.version ?? 1,
      save: null,
      error: null,
      doomed: false,
      created_by_username: b.created_by_username ?? null,
      updated_by_username: b.updated_by_username ?? null,
    };
  }

  Object.assign(store, {
    /** Call fn(revision) after every change. Returns an unsubscribe function. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    touch() {
      changed(false);
    },

    setLabels(list) {
      labels.clear();
      for (const l of list) labels.set(l.id, l);
      labelOrder = list.map((l) => l.id);
      changed(true);
    },
    label(id) {
      return labels.get(id) || null;
    },
    labels() {
      return labelOrder.map((id) => labels.get(id));
    },

    /** Replace every box with the server's list (boxes flagged deleted are skipped). */
    load(serverBoxes) {
      boxes.clear();
      byServer.clear();
      for (const b of serverBoxes) {
        if (b.deleted) continue;
        const cid = nextCid++;
        boxes.set(cid, fromServer(b, cid));
        byServer.set(b.id, cid);
      }
      changed(true);
    },

    /**
     * Merge a box as the server sent it (save response, undo/redo, live update).
     * A box with unsaved local changes keeps them unless `force`: its next save
     * carries the old version, so the server answers 409 and the user chooses.
     * Returns the cid, or null when the box is (now) deleted.
     */
    upsertServer(b, { force = false, cid = null } = {}) {
      const twin = byServer.get(b.id);
      // This box's save answer arriving after its own live echo (which, the answer being
      // late, was shown as a box from another tab): one box, kept under the local cid.
      if (cid !== null && twin !== undefined && twin !== cid) store.remove(twin);
      const known = cid ?? byServer.get(b.id);
      if (b.deleted) {
        if (known !== undefined && known !== null) store.remove(known);
        return null;
      }
      if (known === undefined || known === null || !boxes.has(known)) {
        const fresh = nextCid++;
        boxes.set(fresh, fromServer(b, fresh));
        byServer.set(b.id, fresh);
        changed(true);
        return fresh;
      }
      const local = boxes.get(known);
      if (local.save && !force) return known;
      const labelChanged = local.label !== b.label || local.source !== (b.source || "human");
      const next = fromServer(b, known);
      next.save = local.save;
      next.error = local.error;
      next.doomed = local.doomed;
      Object.assign(local, next);
      byServer.set(b.id, known);
      changed(labelChanged);
      return known;
    },

    /** A box drawn here (or a track's box placed here), not yet saved. Returns its cid. */
    addLocal({ label, x_min, y_min, x_max, y_max, track = null }) {
      const cid = nextCid++;
      boxes.set(cid, {
        cid, id: null, image: null, label, x_min, y_min, x_max, y_max, source: "human",
        prediction: null, track, keyframe: true, version: 0, save: "pending", error: null, doomed: false,
        created_by_username: null, updated_by_username: null,
      });
      changed(true);
      return cid;
    },

    /** Change a box locally (geometry and/or label). Silent variant for drags: notify=false. */
    patch(cid, changes, notify = true) {
      const b = boxes.get(cid);
      if (!b) return null;
      let structural = false;
      for (const k of GEOMETRY) if (k in changes) b[k] = changes[k];
      if ("label" in changes && changes.label !== b.label) {
        b.label = changes.label;
        structural = true;
      }
      if ("version" in changes) b.version = changes.version;
      if (notify) changed(structural);
      return b;
    },

    remove(cid) {
      const b = boxes.get(cid);
      if (!b) return;
      boxes.delete(cid);
      if (b.id !== null && byServer.get(b.id) === cid) byServer.delete(b.id);
      changed(true);
    },

    setSave(cid, state, error = null) {
      const b = boxes.get(cid);
      if (!b || (b.save === state && b.error === error)) return;
      b.save = state;
      b.error = error;
      changed(false);
    },

    get(cid) {
      return boxes.get(cid) || null;
    },
    cidOf(serverId) {
      return byServer.get(serverId) ?? null;
    },
    byId(serverId) {
      const cid = byServer.get(serverId);
      return cid === undefined ? null : boxes.get(cid);
    },
    /** Hide a box whose delete is being saved; it goes away for good on remove(). */
    markDoomed(cid) {
      const b = boxes.get(cid);
      if (b) {
        b.doomed = true;
        changed(false);
      }
    },
    count() {
      let n = 0;
      for (const b of boxes.values()) if (!b.doomed) n++;
      return n;
    },
    countUnsaved() {
      let n = 0;
      for (const b of boxes.values()) if (b.save) n++;
      return n;
    },

    /** Boxes sorted by source then label, so the renderer batches one path per style. */
    list() {
      if (ordered === null) {
        ordered = Array.from(boxes.values());
        ordered.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.label - b.label || a.cid - b.cid));
      }
      return ordered;
    },

    // Tracks: read by the renderer (number, shade) and the tracks panel; not boxes of their own.
    setTracks(list) {
      tracks.clear();
      for (const t of list) tracks.set(t.id, { ...t });
      changed(false);
    },
    upsertTrack(t) {
      tracks.set(t.id, { ...(tracks.get(t.id) || {}), ...t });
      changed(false);
    },
    removeTrack(id) {
      if (tracks.delete(id)) changed(false);
    },
    track(id) {
      return id == null ? null : tracks.get(id) || null;
    },
    tracks() {
      return Array.from(tracks.values());
    },

    // AI layer: predictions are shown apart from boxes until a human decides.
    setPredictions(list) {
      predictions.clear();
      for (const p of list) predictions.set(p.id, { ...p });
      predList = null;
      changed(false);
    },
    upsertPrediction(p) {
      predictions.set(p.id, { ...(predictions.get(p.id) || {}), ...p });
      predList = null;
      changed(false);
    },
    removePrediction(id) {
      if (predictions.delete(id)) {
        predList = null;
        changed(false);
      }
    },
    prediction(id) {
      return predictions.get(id) || null;
    },
    predictions() {
      if (predList === null) predList = Array.from(predictions.values());
      return predList;
    },
  });
  return store;
}
