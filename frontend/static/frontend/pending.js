// The pending-save queue: every change is queued at once and sent in order, one
// request at a time; nothing is dropped. Pure: the transport (`send`) and the timer
// (`schedule`) are injected, so Node tests drive it with a fake server and clock.
//
// Work is kept per key (a box's cid, or "feedback") as a set of wanted actions, so
// ten moves of one box while offline become one PATCH with the latest geometry:
//   create  - POST the box (the payload is read at send time: always the latest)
//   update  - PATCH with the version last seen
//   delete  - DELETE; a delete of a never-created box cancels the create (no request)
//   other   - any other action name (e.g. "feedback"), the latest value wins
//
// send({key, action}) resolves {status, body} (status 0 = network error, never throws).
// Outcomes: 2xx saved · 0/5xx/429 retried with backoff · 401/403 pause the whole queue
// until resume() (the user logs in again) · 409 parks the key as "conflict" until
// keepMine()/takeTheirs() · 404 on delete counts as done, on update is "gone" ·
// other 4xx park the key as "failed" until it is changed again or retry().
//
// onEvent(type, data) types: "state" {key, state} with state one of pending, retrying,
// auth, conflict, failed, null (saved, nothing left) · "saved" {key, action, body} ·
// "conflict" {key, action, body} · "gone" {key, action, body} · "failed" {key, action,
// status, body} · "auth" {status, body} · "dropped" {key} (create cancelled by delete).

const ORDER = ["delete", "create", "update"];

export function defaultBackoff(attempt) {
  return Math.min(10000, 500 * 2 ** Math.max(0, attempt - 1));
}

export function createSaveQueue({ send, onEvent = () => {}, schedule = (fn, ms) => setTimeout(fn, ms), backoff = defaultBackoff }) {
  const entries = new Map(); // key -> {key, wants:Set, state, attempts, inflight}
  let paused = false;
  let busy = false;
  let idleWaiters = [];

  function entry(key) {
    let e = entries.get(key);
    if (!e) {
      e = { key, wants: new Set(), state: "pending", attempts: 0, inflight: null, created: false };
      entries.set(key, e);
    }
    return e;
  }

  function setState(e, state) {
    if (e.state === state) return;
    e.state = state;
    onEvent("state", { key: e.key, state });
  }

  function finish(e) {
    entries.delete(e.key);
    onEvent("state", { key: e.key, state: null });
  }

  function nextAction(e) {
    for (const a of ORDER) if (e.wants.has(a)) return a;
    return e.wants.values().next().value;
  }

  /** Queue `action` for `key`. `created` tells the queue the key already exists on the server. */
  function mark(key, action, { created = true } = {}) {
    const fresh = !entries.has(key);
    const e = entry(key);
    if (fresh) e.created = action === "create" ? false : created;
    if (action === "delete" && !e.created && e.wants.has("create") && e.inflight !== "create") {
      // Never reached the server: cancel instead of sending a create then a delete.
      entries.delete(key);
      onEvent("dropped", { key });
      onEvent("state", { key, state: null });
      return;
    }
    if (action === "delete") e.wants.delete("update");
    e.wants.add(action);
    if (e.state === "failed" || e.state === "conflict") e.attempts = 0;
    if (e.state !== "retrying" && e.state !== "auth") setState(e, "pending");
    if (fresh) onEvent("state", { key, state: e.state });
    pump();
  }

  function ready(e) {
    return e.inflight === null && e.state === "pending" && e.wants.size > 0;
  }

  async function pump() {
    if (busy || paused) return checkIdle();
    const e = Array.from(entries.values()).find(ready);
    if (!e) return checkIdle();
    busy = true;
    const action = nextAction(e);
    e.wants.delete(action);
    if (action === "create") e.wants.delete("update"); // the create carries the latest state
    e.inflight = action;
    let result;
    try {
      result = await send({ key: e.key, action });
    } catch (err) {
      result = { status: 0, body: { detail: String(err) } };
    }
    e.inflight = null;
    busy = false;
    handle(e, action, result || { status: 0, body: null });
    pump();
  }

  function handle(e, action, { status, body }) {
    const current = entries.get(e.key) === e; // false when dropped while in flight
    if ((status >= 200 && status < 300) || (status === 404 && action === "delete")) {
      e.attempts = 0;
      if (action === "create") e.created = true;
      onEvent("saved", { key: e.key, action, body });
      if (!current) return;
      if (action === "delete" || e.wants.size === 0) {
        if (action === "delete") e.wants.clear();
        return finish(e);
      }
      return setState(e, "pending");
    }
    if (!current) return;
    if (status === 401 || status === 403) {
      e.wants.add(action);
      paused = true;
      setState(e, "auth");
      return onEvent("auth", { status, body });
    }
    if (status === 409) {
      e.wants.add(action);
      setState(e, "conflict");
      return onEvent("conflict", { key: e.key, action, body });
    }
    if (status === 404) {
      entries.delete(e.key);
      onEvent("gone", { key: e.key, action, body });
      return onEvent("state", { key: e.key, state: null });
    }
    if (status === 0 || status >= 500 || status === 429) {
      e.wants.add(action);
      e.attempts++;
      setState(e, "retrying");
      schedule(() => {
        if (entries.get(e.key) === e && e.state === "retrying" && !paused) {
          setState(e, "pending");
          pump();
        }
      }, backoff(e.attempts));
      return;
    }
    e.wants.add(action);
    setState(e, "failed");
    onEvent("failed", { key: e.key, action, status, body });
  }

  function checkIdle() {
    if (busy || idleWaiters.length === 0) return;
    for (const e of entries.values()) if (e.state === "pending" || e.state === "retrying") return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  return {
    mark,
    /** Resume after the user logged in again (or the network came back): retry everything now. */
    resume() {
      paused = false;
      for (const e of entries.values()) if (e.state === "auth" || e.state === "retrying") setState(e, "pending");
      pump();
    },
    /** Send a parked (failed) key again. */
    retry(key) {
      const e = entries.get(key);
      if (e && e.state !== "auth") {
        e.attempts = 0;
        setState(e, "pending");
        pump();
      }
    },
    /** 409: keep the local change; the caller has set the box's version to the server's. */
    keepMine(key) {
      this.retry(key);
    },
    /** 409: give up the local change; the caller shows the server's box. */
    takeTheirs(key) {
      if (entries.has(key)) finish(entries.get(key));
      checkIdle();
    },
    /** Forget a key (e.g. a failed create the user discarded). */
    drop(key) {
      this.takeTheirs(key);
    },
    stateOf(key) {
      const e = entries.get(key);
      return e ? e.state : null;
    },
    isPaused() {
      return paused;
    },
    /** Number of keys with unsaved work (including parked ones). */
    size() {
      return entries.size;
    },
    /** Resolves when nothing is queued, in flight or waiting to retry (parked keys don't count). */
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
  };
}
