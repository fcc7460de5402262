// Autosave: connects the pending-save queue to the store and the API. Every local
// change is marked here at once; the box carries its save state (pending, retrying,
// auth, conflict, failed) until the server has it. No DOM: events go out through
// `emit` (the page shows toasts, the conflict dialog and the log-in prompt).
//
// emit(type, data): "saves" {unsaved} · "conflict" {cid, action, current, detail} ·
// "auth" {detail} · "saved" {cid, action, box} · "feedback" {rating, summary} ·
// "notice" {text, level}

import { createSaveQueue } from "./pending.js";
import { roundBox } from "./canvas/geometry.js";

/** A random Idempotency-Key. `crypto.randomUUID` exists only on HTTPS or localhost;
 * `getRandomValues` works on any page, including a plain-HTTP deployment on a LAN. */
export function newCreateKey(cryptoImpl = globalThis.crypto) {
  const bytes = cryptoImpl.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function createSaves({ api, store, imageId, emit = () => {}, schedule = undefined }) {
  let rating; // the latest wanted frame rating (null = clear), sent through the queue

  async function send({ key, action }) {
    if (key === "feedback") return api.setFeedback(imageId, rating);
    const b = store.get(key);
    if (!b) return { status: 204, body: null }; // removed meanwhile: nothing left to say
    const coords = roundBox(b);
    if (action === "create") {
      b.createKey ??= newCreateKey(); // kept on the box: every retry of this create sends the same key
      const track = b.track == null ? {} : { track: b.track }; // a followed track's box placed on this frame
      return api.createBox(imageId, { label: b.label, ...coords, ...track }, b.createKey);
    }
    if (action === "update") return api.updateBox(b.id, { label: b.label, ...coords, version: b.version });
    return api.deleteBox(b.id, b.version);
  }

  function detail(body, fallback) {
    return (body && typeof body.detail === "string" && body.detail) || fallback;
  }

  function onEvent(type, d) {
    const isBox = d && d.key !== undefined && d.key !== "feedback";
    if (type === "state") {
      if (isBox) store.setSave(d.key, d.state, d.state ? store.get(d.key)?.error ?? null : null);
      emit("saves", { unsaved: queue.size() });
    } else if (type === "saved") {
      if (!isBox) return emit("feedback", d.body || {});
      if (d.action === "delete") {
        store.remove(d.key);
      } else if (d.body) {
        // Take identity and version from the answer, keep local geometry: it is what
        // was sent, or newer (then another PATCH is already queued).
        const b = store.get(d.key);
        if (b) {
          b.id = d.body.id;
          b.image = d.body.image;
          b.version = d.body.version;
          b.created_by_username = d.body.created_by_username ?? b.created_by_username;
          b.updated_by_username = d.body.updated_by_username ?? b.updated_by_username;
          store.upsertServer({ ...d.body, ...roundBox(b), label: b.label }, { force: true, cid: d.key });
        }
      }
      emit("saved", { cid: d.key, action: d.action, box: d.body });
    } else if (type === "conflict") {
      const message = detail(d.body, "Someone else changed this box.");
      if (isBox) store.setSave(d.key, "conflict", message);
      emit("conflict", { cid: d.key, action: d.action, current: d.body?.current || null, detail: message });
    } else if (type === "gone") {
      store.remove(d.key);
      emit("notice", { text: "That box was deleted by someone else.", level: "warn" });
    } else if (type === "failed") {
      const message = detail(d.body, `The server refused the change (${d.status}).`);
      if (isBox) store.setSave(d.key, "failed", message);
      else emit("notice", { text: message, level: "error" });
    } else if (type === "auth") {
      emit("auth", { detail: detail(d.body, "Your session has expired.") });
    } else if (type === "dropped") {
      store.remove(d.key);
    }
  }

  const queue = createSaveQueue({ send, onEvent, ...(schedule ? { schedule } : {}) });

  return {
    queue,
    create(cid) {
      queue.mark(cid, "create");
    },
    update(cid) {
      const b = store.get(cid);
      if (b) queue.mark(cid, "update", { created: b.id !== null });
    },
    remove(cid) {
      const b = store.get(cid);
      if (!b) return;
      store.markDoomed(cid);
      queue.mark(cid, "delete", { created: b.id !== null });
    },
    feedback(value) {
      rating = value;
      queue.mark("feedback", "feedback");
    },
    /** 409: keep the local change, sent again against the server's current version. */
    keepMine(cid, current) {
      if (current) store.patch(cid, { version: current.version });
      queue.keepMine(cid);
    },
    /** 409: drop the local change and show the server's box. */
    takeTheirs(cid, current) {
      queue.takeTheirs(cid);
      const b = store.get(cid);
      if (b) b.doomed = false;
      store.setSave(cid, null);
      if (current) store.upsertServer(current, { force: true, cid });
    },
    resume() {
      queue.resume();
    },
    unsaved() {
      return queue.size();
    },
    idle() {
      return queue.idle();
    },
  };
}
