// Unit test of the invite role suggestion of the members panel: node --test tests/frontend/js
import { test } from "node:test";
import assert from "node:assert/strict";

import { suggestedInviteRole } from "../../../frontend/static/frontend/lib/constants.js";

test("a reviewer is suggested while nobody but the caller could review a submission", () => {
  assert.equal(suggestedInviteRole([{ user: 1, role: "manager" }], 1), "reviewer");
  assert.equal(suggestedInviteRole([{ user: 1, role: "manager" }, { user: 2, role: "annotator" }], 1), "reviewer");
  assert.equal(suggestedInviteRole([{ user: 1, role: "manager" }, { user: 2, role: "reviewer" }], 1), "annotator");
  assert.equal(suggestedInviteRole([{ user: 1, role: "manager" }, { user: 3, role: "manager" }], 1), "annotator");
  assert.equal(suggestedInviteRole([], 1), "reviewer");
});
