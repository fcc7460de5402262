// Unit tests of the progress and status helpers of the site pages: node --test tests/frontend/js
import { test } from "node:test";
import assert from "node:assert/strict";

import { feedbackKind, progressOf, progressSegments } from "../../../frontend/static/frontend/pages/status.js";

test("progress counts every status and calls submitted, approved and rejected done", () => {
  const p = progressOf({ new: 2, in_progress: 1, submitted: 3, approved: 3, rejected: 1 });
  assert.equal(p.total, 10);
  assert.equal(p.done, 7);
  assert.equal(p.percent, 70);
  assert.deepEqual(progressOf({}).byStatus, { new: 0, in_progress: 0, submitted: 0, approved: 0, rejected: 0 });
  assert.equal(progressOf({ new: "x", approved: -4 }).total, 0);
});

test("bar segments leave out empty statuses and add up to 100 percent", () => {
  const segments = progressSegments(progressOf({ new: 1, approved: 3 }));
  assert.deepEqual(segments.map((s) => s.status), ["approved", "new"]);
  assert.equal(segments.reduce((sum, s) => sum + s.width, 0), 100);
  assert.deepEqual(progressSegments(progressOf({})), []);
});

test("ratings map to feedback markers", () => {
  assert.equal(feedbackKind(1), "positive");
  assert.equal(feedbackKind(-1), "negative");
  assert.equal(feedbackKind(0), "neutral");
  assert.equal(feedbackKind(null), null);
  assert.equal(feedbackKind(undefined), null);
});
