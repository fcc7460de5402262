// The box store (frontend/static/frontend/store.js) and the autosave glue (saves.js) with a fake API.
import test from "node:test";
import assert from "node:assert/strict";
import { createStore } from "../../../frontend/static/frontend/store.js";
import { createSaves } from "../../../frontend/static/frontend/saves.js";

const box = (id, extra = {}) => ({ id, image: 9, label: 1, x_min: 1, y_min: 2, x_max: 30, y_max: 40, source: "human", version: 1, ...extra });

test("the list is sorted by source then label so the renderer batches one path per style", () => {
  const s = createStore();
  s.load([box(1, { label: 3 }), box(2, { source: "ai", label: 1 }), box(3, { label: 1 }), box(4, { label: 3 })]);
  assert.deepEqual(s.list().map((b) => b.id), [2, 3, 1, 4]);
  assert.equal(s.list(), s.list(), "the list is cached between changes");
});

test("deleted boxes are skipped on load and removed on upsert", () => {
  const s = createStore();
  s.load([box(1), box(2, { deleted: true })]);
  assert.equal(s.count(), 1);
  assert.equal(s.upsertServer(box(1, { deleted: true, version: 2 })), null);
  assert.equal(s.count(), 0);
});

test("a server update does not overwrite unsaved local changes unless forced", () => {
  const s = createStore();
  s.load([box(1)]);
  const cid = s.cidOf(1);
  s.patch(cid, { x_min: 5 });
  s.setSave(cid, "pending");
  s.upsertServer(box(1, { x_min: 99, version: 2 }));
  assert.equal(s.get(cid).x_min, 5);
  assert.equal(s.get(cid).version, 1, "the old version makes the next save a 409 for the user to settle");
  s.upsertServer(box(1, { x_min: 99, version: 2 }), { force: true });
  assert.equal(s.get(cid).x_min, 99);
});

test("predictions are a separate AI layer", () => {
  const s = createStore();
  s.setPredictions([{ id: 5, prompt: "car", label: 1, x_min: 0, y_min: 0, x_max: 3, y_max: 3, score: 0.8, status: "pending" }]);
  s.upsertPrediction({ id: 5, status: "accepted" });
  assert.equal(s.prediction(5).status, "accepted");
  assert.equal(s.prediction(5).prompt, "car");
  assert.equal(s.count(), 0);
  s.removePrediction(5);
  assert.equal(s.predictions().length, 0);
});

function fakeApi(script = []) {
  const calls = [];
  let nextId = 100;
  const answer = (fallback) => {
    const status = script.length ? script.shift() : 200;
    return status === 200 || status === 201 ? fallback() : { ok: false, status, body: { detail: `status ${status}`, current: box(1, { version: 5, x_min: 50 }) } };
  };
  return {
    calls,
    createKeys: [],
    createBox: async function (imageId, data, key) { this.createKeys.push(key); return (calls.push(["POST", data]), answer(() => ({ ok: true, status: 201, body: { ...box(nextId++), ...data, version: 1 } }))); },
    updateBox: async (id, data) => (calls.push(["PATCH", id, data]), answer(() => ({ ok: true, status: 200, body: { ...box(id), ...data, version: data.version + 1 } }))),
    deleteBox: async (id, version) => (calls.push(["DELETE", id, version]), answer(() => ({ ok: true, status: 200, body: { ...box(id), deleted: true } }))),
    setFeedback: async (imageId, rating) => (calls.push(["FEEDBACK", rating]), answer(() => ({ ok: true, status: 200, body: { rating, summary: {} } }))),
  };
}

test("a drawn box is created, then its move is PATCHed with the version the server gave", async () => {
  const api = fakeApi();
  const s = createStore();
  const saves = createSaves({ api, store: s, imageId: 9 });
  const cid = s.addLocal({ label: 1, x_min: 10, y_min: 10, x_max: 20.123, y_max: 20 });
  saves.create(cid);
  await saves.idle();
  assert.equal(s.get(cid).id, 100);
  assert.equal(s.get(cid).save, null);
  s.patch(cid, { x_min: 12 });
  saves.update(cid);
  await saves.idle();
  assert.deepEqual(api.calls[0], ["POST", { label: 1, x_min: 10, y_min: 10, x_max: 20.12, y_max: 20 }]);
  assert.deepEqual(api.calls[1], ["PATCH", 100, { label: 1, x_min: 12, y_min: 10, x_max: 20.12, y_max: 20, version: 1 }]);
  assert.equal(s.get(cid).version, 2);
});

test("while a save fails the box is marked, and it is saved once the server answers", async () => {
  const api = fakeApi([0, 500]);
  const s = createStore();
  const timers = [];
  const saves = createSaves({ api, store: s, imageId: 9, schedule: (fn) => timers.push(fn) });
  const cid = s.addLocal({ label: 1, x_min: 10, y_min: 10, x_max: 20, y_max: 20 });
  saves.create(cid);
  assert.equal(s.get(cid).save, "pending");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(s.get(cid).save, "retrying");
  timers.shift()();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(s.get(cid).save, "retrying");
  timers.shift()();
  await saves.idle();
  assert.equal(s.get(cid).save, null);
  assert.equal(s.get(cid).id, 100);
  assert.equal(api.calls.length, 3);
  // Every retry of the one create carries the same Idempotency-Key: a lost 201 cannot make a twin.
  assert.equal(api.createKeys.length, 3);
  assert.match(api.createKeys[0], /^[0-9a-f]{32}$/);
  assert.equal(new Set(api.createKeys).size, 1);
  const other = s.addLocal({ label: 1, x_min: 30, y_min: 30, x_max: 40, y_max: 40 });
  saves.create(other);
  await saves.idle();
  assert.notEqual(api.createKeys[3], api.createKeys[0]);
});

test("a delete hides the box at once and removes it when saved", async () => {
  const api = fakeApi();
  const s = createStore();
  s.load([box(1)]);
  const saves = createSaves({ api, store: s, imageId: 9 });
  const cid = s.cidOf(1);
  saves.remove(cid);
  assert.equal(s.count(), 0, "hidden from counts while the delete is in flight");
  await saves.idle();
  assert.equal(s.get(cid), null);
  assert.deepEqual(api.calls, [["DELETE", 1, 1]]);
});

test("a 409 reports both versions; keeping mine re-sends with the server's version", async () => {
  const api = fakeApi([409]);
  const s = createStore();
  s.load([box(1)]);
  const seen = [];
  const saves = createSaves({ api, store: s, imageId: 9, emit: (t, d) => t === "conflict" && seen.push(d) });
  const cid = s.cidOf(1);
  s.patch(cid, { x_min: 7 });
  saves.update(cid);
  await saves.idle();
  assert.equal(s.get(cid).save, "conflict");
  assert.equal(seen[0].current.version, 5);
  saves.keepMine(cid, seen[0].current);
  await saves.idle();
  assert.deepEqual(api.calls[1], ["PATCH", 1, { label: 1, x_min: 7, y_min: 2, x_max: 30, y_max: 40, version: 5 }]);
  assert.equal(s.get(cid).save, null);
});

test("a 409 resolved by taking theirs shows the server's box", async () => {
  const api = fakeApi([409]);
  const s = createStore();
  s.load([box(1)]);
  let conflict;
  const saves = createSaves({ api, store: s, imageId: 9, emit: (t, d) => t === "conflict" && (conflict = d) });
  const cid = s.cidOf(1);
  s.patch(cid, { x_min: 7 });
  saves.update(cid);
  await saves.idle();
  saves.takeTheirs(cid, conflict.current);
  assert.equal(s.get(cid).x_min, 50);
  assert.equal(s.get(cid).version, 5);
  assert.equal(s.get(cid).save, null);
  assert.equal(saves.unsaved(), 0);
});

test("feedback goes through the queue and the latest rating wins", async () => {
  const api = fakeApi([0]);
  const s = createStore();
  const timers = [];
  const saves = createSaves({ api, store: s, imageId: 9, schedule: (fn) => timers.push(fn) });
  saves.feedback(1);
  await new Promise((r) => setTimeout(r, 0));
  saves.feedback(-1);
  timers.shift()();
  await saves.idle();
  assert.deepEqual(api.calls, [["FEEDBACK", 1], ["FEEDBACK", -1]]);
});

test("a create whose answer comes after its own live echo leaves one box, under the local cid", async () => {
  const api = fakeApi();
  const s = createStore();
  const saves = createSaves({ api, store: s, imageId: 9 });
  const cid = s.addLocal({ label: 1, x_min: 10, y_min: 10, x_max: 20, y_max: 20 });
  saves.create(cid);
  // The echo of this very create, applied before the (late or retried) 201 mapped the id.
  const echo = s.upsertServer({ ...box(100), x_min: 10, y_min: 10, x_max: 20, y_max: 20, version: 1 });
  assert.notEqual(echo, cid);
  assert.equal(s.count(), 2);
  await saves.idle();
  assert.equal(s.count(), 1);
  assert.equal(s.cidOf(100), cid);
  assert.equal(s.get(echo), null);
});
