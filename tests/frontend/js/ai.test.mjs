import test from "node:test";
import assert from "node:assert/strict";
import {
  defaultPrompts, detectorLine, hitPrediction, nextPending, pendingOf, pendingSummary, selectedSummary, splitSupported,
} from "../../../frontend/static/frontend/ai/predictions.js";

test("label prompts become one-noun prompts, lower-cased, without duplicates or unusable ones", () => {
  const labels = [{ name: "Person" }, { name: "car", prompt: "Car" }, { name: "x1" }, { name: "face" }];
  assert.deepEqual(defaultPrompts(labels), ["person", "car", "face"]);
});

test("a fixed vocabulary keeps the prompts it knows and names the others", () => {
  const split = splitSupported(["person", "cup", "face"], ["face", "eye", "person"]);
  assert.deepEqual(split, { usable: ["person", "face"], unsupported: ["cup"] });
});

test("a detector that takes any noun keeps every prompt", () => {
  assert.deepEqual(splitSupported(["cup", "galaxy"], null), { usable: ["cup", "galaxy"], unsupported: [] });
  assert.deepEqual(splitSupported(["cup"], []), { usable: ["cup"], unsupported: [] });
});

const pred = (id, x_min, y_min, x_max, y_max, extra = {}) => ({ id, x_min, y_min, x_max, y_max, label: 1, prompt: "car", ...extra });

test("a click picks the smallest pending, visible AI box under it", () => {
  const preds = [pred(1, 0, 0, 100, 100), pred(2, 10, 10, 30, 30), pred(3, 12, 12, 20, 20, { status: "accepted" }), pred(4, 14, 14, 18, 18, { label: 2 })];
  assert.equal(hitPrediction(preds, 15, 15).id, 4);
  assert.equal(hitPrediction(preds, 15, 15, (p) => p.label !== 2).id, 2, "hidden labels and decided boxes are skipped");
  assert.equal(hitPrediction(preds, 50, 50).id, 1);
  assert.equal(hitPrediction(preds, 150, 50), null);
});

test("after a decision the next pending AI box is selected, wrapping, and none when all are decided", () => {
  const preds = [pred(1, 0, 0, 1, 1), pred(2, 0, 0, 1, 1, { status: "rejected" }), pred(3, 0, 0, 1, 1, { status: "pending" })];
  assert.deepEqual(pendingOf(preds).map((p) => p.id), [1, 3]);
  assert.equal(nextPending(preds, 1).id, 3);
  assert.equal(nextPending(preds, 3).id, 1);
  assert.equal(nextPending(preds, 2).id, 1, "a box decided meanwhile: the first pending one");
  assert.equal(nextPending([pred(5, 0, 0, 1, 1, { status: "accepted" })], 5), null);
});

test("an AI box a newer detection run replaced (superseded) is no longer on offer", () => {
  const preds = [pred(1, 0, 0, 1, 1, { status: "superseded" }), pred(2, 0, 0, 1, 1)];
  assert.deepEqual(pendingOf(preds).map((p) => p.id), [2]);
  assert.equal(hitPrediction(preds, 0.5, 0.5).id, 2, "a click picks the new run's box, not the one it replaced");
});

test("the panel's lines say what waits, what is selected and which detector runs", () => {
  assert.equal(pendingSummary(0), "No AI boxes waiting.");
  assert.equal(pendingSummary(1), "1 AI box to review. Enter accepts, Del rejects.");
  assert.equal(pendingSummary(3), "3 AI boxes to review. Enter accepts, Del rejects.");
  assert.equal(selectedSummary(pred(1, 0, 0, 1, 1, { score: 0.876 })), "Selected: car (88 %). Enter accepts, Del rejects.");
  assert.equal(selectedSummary(pred(1, 0, 0, 1, 1, { score: null })), "Selected: car. Enter accepts, Del rejects.");
  assert.equal(detectorLine({ backend: "opencv", model: "haar", device: null }), "Detector: opencv · haar");
  assert.equal(detectorLine({ backend: "moondream", model: "m", device: "cpu", error: "NaN buffers" }),
    "Detector: moondream · m · cpu · unavailable");
});

import { hasLabel } from "../../../frontend/static/frontend/ai/predictions.js";

test("an AI box needs a label choice only when no label's prompt (else name) is its prompt", () => {
  const labels = [{ id: 1, name: "car", prompt: "" }, { id: 2, name: "Person", prompt: "human" }];
  assert.equal(hasLabel(labels, { prompt: "car", label: null }), true);
  assert.equal(hasLabel(labels, { prompt: "Human ", label: null }), true);
  assert.equal(hasLabel(labels, { prompt: "person", label: null }), false, "the prompt, not the name, when a label has one");
  assert.equal(hasLabel(labels, { prompt: "eye", label: null }), false);
  assert.equal(hasLabel(labels, { prompt: "eye", label: 5 }), true);
});

import { belowThreshold, configLine, hiddenSummary, thresholdsByLabel } from "../../../frontend/static/frontend/ai/predictions.js";

test("confidence thresholds in use hide pending boxes below their label's threshold only", () => {
  const labels = [{ id: 1, name: "person" }, { id: 2, name: "car" }];
  const thresholds = thresholdsByLabel({ thresholds_enabled: true, thresholds: { person: 0.5, bus: 0.9 } }, labels);
  assert.deepEqual(thresholds, { 1: 0.5 });
  assert.deepEqual(thresholdsByLabel({ thresholds_enabled: false, thresholds: { person: 0.5 } }, labels), {});
  assert.equal(belowThreshold({ label: 1, score: 0.4, status: "pending" }, thresholds), true);
  assert.equal(belowThreshold({ label: 1, score: 0.5, status: "pending" }, thresholds), false);
  assert.equal(belowThreshold({ label: 1, score: 0.4, status: "accepted" }, thresholds), false);
  assert.equal(belowThreshold({ label: 1, score: null }, thresholds), false); // no score: always shown
  assert.equal(belowThreshold({ label: 2, score: 0.1 }, thresholds), false); // no threshold for its label
  assert.equal(hiddenSummary(0), "");
  assert.equal(hiddenSummary(12), "12 low-confidence boxes hidden");
});

test("the project's configuration reads as one line", () => {
  const line = configLine({ backend: "moondream", model: "vikhyatk/moondream2", revision: "2025-06-21",
    prompts: { person: "pedestrian", car: "car" }, thresholds_enabled: true, thresholds: { person: 0.42 } });
  assert.equal(line, "Project configuration: moondream · vikhyatk/moondream2@2025-06-21 · prompts person=pedestrian · thresholds person ≥ 0.42");
  assert.equal(configLine(null), "");
  assert.match(configLine({ backend: "opencv", prompts: {}, thresholds_enabled: false, thresholds: {} }), /thresholds off$/);
});
