// The pending-save queue (frontend/static/frontend/pending.js) against a scripted server and a manual clock.
import test from "node:test";
import assert from "node:assert/strict";
import { createSaveQueue, defaultBackoff } from "../../../frontend/static/frontend/pending.js";

function harness(answers = {}) {
  // answers[action] = array of statuses consumed in order; default 200.
  const sent = [];
  const events = [];
  const timers = [];
  const q = createSaveQueue({
    send: async (op) => {
      sent.push(`${op.action}:${op.key}`);
      const list = answers[op.action] || [];
      const status = list.length ? list.shift() : 200;
      if (status === "throw") throw new Error("offline");
      return { status, body: status === 409 ? { current: { version: 7 } } : { ok: true } };
    },
    onEvent: (type, d) => events.push([type, d]),
    schedule: (fn, ms) => timers.push({ fn, ms }),
  });
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const states = (key) => events.filter(([t, d]) => t === "state" && d.key === key).map(([, d]) => d.state);
  return { q, sent, events, timers, settle, states };
}

test("changes are sent one at a time in order and the key ends saved", async () => {
  const h = harness();
  h.q.mark(1, "create");
  h.q.mark(2, "update");
  await h.q.idle();
  assert.deepEqual(h.sent, ["create:1", "update:2"]);
  assert.deepEqual(h.states(1), ["pending", null]);
  assert.equal(h.q.size(), 0);
});

test("moves made while a create is in flight become one PATCH afterwards", async () => {
  const h = harness();
  h.q.mark(1, "create");
  h.q.mark(1, "update");
  h.q.mark(1, "update");
  await h.q.idle();
  assert.deepEqual(h.sent, ["create:1", "update:1"]);
});

test("a create still queued absorbs later updates", async () => {
  const h = harness({ create: ["throw"] });
  h.q.mark(1, "create");
  await h.settle();
  h.q.mark(1, "update");
  h.q.mark(1, "update");
  h.timers.shift().fn();
  await h.q.idle();
  assert.deepEqual(h.sent, ["create:1", "create:1"]);
});

test("deleting a box that never reached the server cancels it without a request", async () => {
  const h = harness({ create: [0] });
  h.q.mark(1, "create");
  await h.settle();
  h.q.mark(1, "delete", { created: false });
  await h.q.idle();
  assert.deepEqual(h.sent, ["create:1"]);
  assert.ok(h.events.some(([t, d]) => t === "dropped" && d.key === 1));
  assert.equal(h.q.size(), 0);
});

test("network errors and 5xx are retried with growing backoff until the server answers", async () => {
  const h = harness({ create: ["throw", 500, 503] });
  h.q.mark(1, "create");
  for (let i = 0; i < 3; i++) {
    await h.settle();
    assert.equal(h.q.stateOf(1), "retrying");
    h.timers.shift().fn();
  }
  await h.q.idle();
  assert.deepEqual(h.sent, ["create:1", "create:1", "create:1", "create:1"]);
  assert.deepEqual(h.states(1), ["pending", "retrying", "pending", "retrying", "pending", "retrying", "pending", null]);
  assert.equal(h.q.size(), 0);
});

test("backoff doubles from half a second and is capped at ten", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(defaultBackoff), [500, 1000, 2000, 4000, 8000, 10000, 10000]);
});

test("401/403 pause everything until resume(); nothing is lost", async () => {
  const h = harness({ create: [403] });
  h.q.mark(1, "create");
  await h.settle();
  h.q.mark(2, "update");
  await h.settle();
  assert.equal(h.q.isPaused(), true);
  assert.equal(h.q.stateOf(1), "auth");
  assert.deepEqual(h.sent, ["create:1"]);
  assert.ok(h.events.some(([t]) => t === "auth"));
  h.q.resume();
  await h.q.idle();
  assert.deepEqual(h.sent, ["create:1", "create:1", "update:2"]);
  assert.equal(h.q.size(), 0);
});

test("409 parks the key as a conflict; keepMine sends it again, others go on meanwhile", async () => {
  const h = harness({ update: [409] });
  h.q.mark(1, "update");
  h.q.mark(2, "update");
  await h.q.idle();
  assert.equal(h.q.stateOf(1), "conflict");
  const conflict = h.events.find(([t]) => t === "conflict")[1];
  assert.deepEqual(conflict.body.current, { version: 7 });
  assert.deepEqual(h.sent, ["update:1", "update:2"]);
  h.q.keepMine(1);
  await h.q.idle();
  assert.deepEqual(h.sent, ["update:1", "update:2", "update:1"]);
  assert.equal(h.q.size(), 0);
});

test("409 then takeTheirs forgets the local change", async () => {
  const h = harness({ update: [409] });
  h.q.mark(1, "update");
  await h.q.idle();
  h.q.takeTheirs(1);
  assert.equal(h.q.size(), 0);
  assert.equal(h.states(1).at(-1), null);
});

test("a 400 parks the key as failed (kept, not retried) until it changes again", async () => {
  const h = harness({ update: [400] });
  h.q.mark(1, "update");
  await h.q.idle();
  assert.equal(h.q.stateOf(1), "failed");
  assert.equal(h.timers.length, 0);
  h.q.mark(1, "update");
  await h.q.idle();
  assert.deepEqual(h.sent, ["update:1", "update:1"]);
  assert.equal(h.q.size(), 0);
});

test("a 404 on delete counts as done; on update the box is gone", async () => {
  const h = harness({ delete: [404], update: [404] });
  h.q.mark(1, "delete");
  h.q.mark(2, "update");
  await h.q.idle();
  assert.ok(h.events.some(([t, d]) => t === "saved" && d.key === 1));
  assert.ok(h.events.some(([t, d]) => t === "gone" && d.key === 2));
  assert.equal(h.q.size(), 0);
});

test("a delete replaces a queued update of the same box", async () => {
  const h = harness({ update: ["throw"] });
  h.q.mark(1, "update");
  await h.settle();
  h.q.mark(1, "delete");
  h.timers.shift().fn();
  await h.q.idle();
  assert.deepEqual(h.sent, ["update:1", "delete:1"]);
});
