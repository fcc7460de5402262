// Undo/redo (frontend/static/frontend/history.js): every box the server's step changed is applied.
import test from "node:test";
import assert from "node:assert/strict";
import { createHistory } from "../../../frontend/static/frontend/history.js";

function harness(body) {
  const applied = [];
  const history = createHistory({
    api: { undo: async () => ({ ok: true, status: 200, body }), redo: async () => ({ ok: true, status: 200, body }) },
    store: { upsertServer: (box) => applied.push(box.id) },
    saves: { idle: async () => {} },
    imageId: 1,
  });
  return { history, applied };
}

test("an accept-all undone in one step applies each of its boxes", async () => {
  const boxes = [{ id: 4, deleted: true }, { id: 3, deleted: true }];
  const { history, applied } = harness({ box: boxes[1], boxes, can_undo: false, can_redo: true });
  await history.undo();
  assert.deepEqual(applied, [4, 3]);
  assert.equal(history.state.canRedo, true);
});

test("an answer without `boxes` still applies its box", async () => {
  const { history, applied } = harness({ box: { id: 9, deleted: false }, can_undo: true, can_redo: false });
  await history.redo();
  assert.deepEqual(applied, [9]);
});
