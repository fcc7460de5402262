// Unit tests of which review actions each role gets: node --test tests/frontend/js
import { test } from "node:test";
import assert from "node:assert/strict";

import { reviewActions } from "../../../frontend/static/frontend/review.js";

test("annotators submit new, in-progress and rejected frames, and never review", () => {
  for (const status of ["new", "in_progress", "rejected"]) {
    assert.deepEqual(reviewActions(status, "annotator"), { submit: true, approve: false, reject: false });
  }
  assert.deepEqual(reviewActions("submitted", "annotator"), { submit: false, approve: false, reject: false });
  assert.deepEqual(reviewActions("approved", "annotator"), { submit: false, approve: false, reject: false });
});

test("reviewers approve submitted frames and reject submitted or approved ones", () => {
  assert.deepEqual(reviewActions("submitted", "reviewer"), { submit: false, approve: true, reject: true });
  assert.deepEqual(reviewActions("approved", "manager"), { submit: false, approve: false, reject: true });
  assert.equal(reviewActions("in_progress", "reviewer").approve, false);
});

test("an unknown role gets nothing", () => {
  assert.deepEqual(reviewActions("new", undefined), { submit: false, approve: false, reject: false });
});
