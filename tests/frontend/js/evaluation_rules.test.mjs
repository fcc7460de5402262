import { test } from "node:test";
import assert from "node:assert/strict";

import { bestPerColumn, labelsOf, promptSummary } from "../../../feedback/static/feedback/evaluation_rules.js";

const runs = [
  { id: 1, status: "done", metrics: { map: 0.4, map_50: 0.7, ap_50: { person: 0.8, car: 0.2 }, seconds_per_frame: 0.5 } },
  { id: 2, status: "done", metrics: { map: 0.5, map_50: 0.7, ap_50: { person: 0.6, bus: null }, seconds_per_frame: 0.3 } },
  { id: 3, status: "running", metrics: {} },
  { id: 4, status: "failed", metrics: { map: 0.9 } },
];

test("labels come from every run, in first-seen order", () => {
  assert.deepEqual(labelsOf(runs), ["person", "car", "bus"]);
});

test("the best run per column: highest AP, lowest seconds, ties all marked, unfinished runs ignored", () => {
  const best = bestPerColumn(runs, labelsOf(runs));
  assert.deepEqual([...best.map], [2]);
  assert.deepEqual([...best.map_50].sort(), [1, 2]);
  assert.deepEqual([...best["ap_50:person"]], [1]);
  assert.deepEqual([...best["ap_50:car"]], [1]);
  assert.deepEqual([...best["ap_50:bus"]], []);
  assert.deepEqual([...best.seconds_per_frame], [2]);
});

test("prompt summary names only the prompts that differ from the label", () => {
  assert.equal(promptSummary({ person: "human", car: "car" }), "person=human");
  assert.equal(promptSummary({ person: "person" }), "label names");
});
