// Pure rules of the live client (no DOM), unit-tested with node --test.
//
// `store` is the canvas store (store.js): byId(id) -> box|null, upsertServer(box),
// list() -> boxes with {id, version, save}.

/** Apply a box.created/updated/deleted message. Returns "applied", "stale" or "ignored". */
export function applyBoxEvent(store, message, imageId) {
  const box = message && message.box;
  if (!box || typeof box.id !== "number") return "ignored";
  if (imageId != null && box.image != null && Number(box.image) !== Number(imageId)) return "ignored";
  const local = store.byId(box.id);
  const version = Number(box.version) || 0;
  if (local && Number(local.version) >= version) return "stale";
  const deleted = message.type === "box.deleted" || box.deleted === true;
  if (deleted && !local) return "stale";
  store.upsertServer(deleted ? { ...box, deleted: true } : box);
  return "applied";
}

/**
 * The server's `state` after a (re)connect: merge its boxes, drop saved local boxes it no
 * longer has (deleted while this client was away). Unsaved local work is kept: its save will
 * meet the server's version and the user decides.
 */
export function applyState(store, boxes) {
  const live = new Set();
  for (const box of boxes || []) {
    live.add(box.id);
    const local = store.byId(box.id);
    if (!local || Number(local.version) <= Number(box.version)) store.upsertServer(box);
  }
  for (const local of [...store.list()]) {
    if (local.id != null && !live.has(local.id) && !local.save) store.upsertServer({ ...local, deleted: true });
  }
}

/** Everyone on the frame except this browser's user, each once, in the server's order. */
export function otherViewers(viewers, me) {
  const seen = new Set();
  const out = [];
  for (const v of viewers || []) {
    if (!v || v.id === me || seen.has(v.id)) continue;
    seen.add(v.id);
    out.push(v);
  }
  return out;
}

export function viewersText(others) {
  if (!others.length) return "Nobody else is on this frame.";
  const names = others.map((v) => v.username);
  return `Also here: ${names.join(", ")}`;
}

/** A short sentence for the activity line: who did what. */
export function describeEvent(message, labelName) {
  const who = (message.user && message.user.username) || "Someone";
  const what = labelName ? `${labelName} box` : "box";
  switch (message.type) {
    case "box.created":
      return `${who} added a ${what}`;
    case "box.updated":
      return `${who} changed a ${what}`;
    case "box.deleted":
      return `${who} deleted a ${what}`;
    case "feedback.updated": {
      const rating = message.rating === 1 ? "positive" : message.rating === -1 ? "negative" : message.rating === 0 ? "neutral" : "cleared";
      return rating === "cleared" ? `${who} cleared their rating` : `${who} rated this frame ${rating}`;
    }
    case "image.status":
      return `${who} set the frame to ${String(message.status || "").replace("_", " ")}`;
    default:
      return "";
  }
}

/** Remote drags by box key ("new:<user>" while drawing a new one); entries older than `ttl` ms expire. */
export function createDragTracker(ttl = 1500) {
  const drags = new Map();
  return {
    update(message, now) {
      const key = message.box == null ? `new:${message.user && message.user.id}` : `box:${message.box}`;
      drags.set(key, { ...message, at: now });
      return key;
    },
    expire(now) {
      const gone = [];
      for (const [key, drag] of drags) {
        if (now - drag.at > ttl) {
          drags.delete(key);
          gone.push(key);
        }
      }
      return gone;
    },
    clearBox(boxId) {
      return drags.delete(`box:${boxId}`);
    },
    list() {
      return [...drags.entries()].map(([key, drag]) => ({ key, ...drag }));
    },
  };
}

/** At most one call per `interval` ms; the last call of a burst is delivered at the end. */
export function throttle(fn, interval, { now = () => Date.now(), setTimer = setTimeout } = {}) {
  let last = -Infinity;
  let pending = null;
  let timer = null;
  return (arg) => {
    const t = now();
    if (t - last >= interval) {
      last = t;
      fn(arg);
      return;
    }
    pending = arg;
    if (timer === null) {
      timer = setTimer(() => {
        timer = null;
        last = now();
        fn(pending);
      }, interval - (t - last));
    }
  };
}
