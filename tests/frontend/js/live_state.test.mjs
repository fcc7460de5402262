// Unit tests of the live client's pure rules: node --test tests/frontend/js
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  applyBoxEvent,
  applyState,
  createDragTracker,
  describeEvent,
  otherViewers,
  throttle,
  viewersText,
} from "../../../frontend/static/frontend/live_state.js";

// The slice of store.js the live client uses: boxes by server id, merged as the server sends them.
function fakeStore(boxes = []) {
  const byId = new Map(boxes.map((b) => [b.id, { save: null, ...b }]));
  return {
    byId: (id) => byId.get(id) || null,
    upsertServer(b) {
      if (b.deleted) byId.delete(b.id);
      else byId.set(b.id, { ...(byId.get(b.id) || { save: null }), ...b });
    },
    list: () => [...byId.values()],
  };
}

const box = (id, version, extra = {}) => ({ id, image: 7, label: 1, x_min: 1, y_min: 2, x_max: 30, y_max: 40, version, ...extra });

test("a newer box update replaces the local box", () => {
  const store = fakeStore([box(1, 1)]);
  assert.equal(applyBoxEvent(store, { type: "box.updated", box: box(1, 2, { x_min: 5 }) }, 7), "applied");
  assert.equal(store.byId(1).x_min, 5);
  assert.equal(store.byId(1).version, 2);
});

test("an event older than the store's version is ignored", () => {
  const store = fakeStore([box(1, 3, { x_min: 9 })]);
  assert.equal(applyBoxEvent(store, { type: "box.updated", box: box(1, 2, { x_min: 5 }) }, 7), "stale");
  assert.equal(applyBoxEvent(store, { type: "box.updated", box: box(1, 3, { x_min: 5 }) }, 7), "stale");
  assert.equal(store.byId(1).x_min, 9);
});

test("a created box appears and a deleted one goes away", () => {
  const store = fakeStore();
  assert.equal(applyBoxEvent(store, { type: "box.created", box: box(4, 1) }, 7), "applied");
  assert.ok(store.byId(4));
  assert.equal(applyBoxEvent(store, { type: "box.deleted", box: box(4, 2, { deleted: true }) }, 7), "applied");
  assert.equal(store.byId(4), null);
  assert.equal(applyBoxEvent(store, { type: "box.deleted", box: box(4, 2, { deleted: true }) }, 7), "stale");
});

test("events of another frame or without a box are ignored", () => {
  const store = fakeStore();
  assert.equal(applyBoxEvent(store, { type: "box.created", box: box(4, 1, { image: 8 }) }, 7), "ignored");
  assert.equal(applyBoxEvent(store, { type: "box.created" }, 7), "ignored");
  assert.equal(store.list().length, 0);
});

test("the state after a reconnect merges boxes and drops saved ones the server no longer has", () => {
  const store = fakeStore([box(1, 1), box(2, 1), box(3, 1, { save: "pending" })]);
  applyState(store, [box(1, 4, { x_max: 99 }), box(5, 1)]);
  assert.equal(store.byId(1).version, 4);
  assert.equal(store.byId(1).x_max, 99);
  assert.equal(store.byId(2), null, "deleted while away");
  assert.ok(store.byId(3), "unsaved local work is kept");
  assert.ok(store.byId(5), "created while away");
});

test("viewers leave out this user and duplicates", () => {
  const others = otherViewers([{ id: 1, username: "anna" }, { id: 2, username: "rita" }, { id: 2, username: "rita" }], 1);
  assert.deepEqual(others, [{ id: 2, username: "rita" }]);
  assert.equal(viewersText(others), "Also here: rita");
  assert.equal(viewersText([]), "Nobody else is on this frame.");
});

test("events are described with the author's name", () => {
  assert.equal(describeEvent({ type: "box.created", user: { id: 2, username: "rita" } }, "person"), "rita added a person box");
  assert.equal(describeEvent({ type: "feedback.updated", user: { username: "max" }, rating: -1 }), "max rated this frame negative");
  assert.equal(describeEvent({ type: "image.status", user: { username: "max" }, status: "in_progress" }), "max set the frame to in progress");
});

test("remote drags expire when no update arrives", () => {
  const drags = createDragTracker(1000);
  drags.update({ box: 3, user: { id: 2, username: "rita" }, x_min: 1 }, 0);
  drags.update({ box: null, user: { id: 4, username: "max" }, x_min: 1 }, 500);
  assert.deepEqual(drags.list().map((d) => d.key), ["box:3", "new:4"]);
  assert.deepEqual(drags.expire(1200), ["box:3"]);
  assert.deepEqual(drags.list().map((d) => d.key), ["new:4"]);
});

test("throttle delivers the first call at once and the last of a burst later", () => {
  let clock = 0;
  const timers = [];
  const seen = [];
  const send = throttle((x) => seen.push(x), 100, { now: () => clock, setTimer: (fn) => timers.push(fn) });
  send(1);
  clock = 10;
  send(2);
  clock = 20;
  send(3);
  assert.deepEqual(seen, [1]);
  assert.equal(timers.length, 1);
  clock = 100;
  timers[0]();
  assert.deepEqual(seen, [1, 3]);
});
