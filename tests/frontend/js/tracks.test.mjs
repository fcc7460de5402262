// Tracks on the annotate page: timeline cells, copy-forward choice, keyframe steps, progress,
// per-track shades and tags.
import test from "node:test";
import assert from "node:assert/strict";
import {
  boxState, cellSummary, copyForwardBoxes, createProgress, ghostBox, neighbourKeyframe, timelineCells, trackOf,
} from "../../../frontend/static/frontend/tracks/model.js";
import { trackShade, contrastRatio, textOn } from "../../../frontend/static/frontend/lib/colors.js";
import { createBoxStyle, isFilledIn } from "../../../frontend/static/frontend/canvas/box_style.js";
import { createStore } from "../../../frontend/static/frontend/store.js";

const frames = [5, 1, 2, 3, 4, 6].map((i) => ({ id: 100 + i, frame_index: i }));

test("the timeline has one cell per frame in frame order: keyframe, interpolated, tracked, gap inside the span, none outside", () => {
  const boxes = [
    { image: 102, keyframe: true, source: "human" },
    { image: 103, keyframe: false, source: "interpolated" },
    { image: 105, keyframe: false, source: "tracked" },
    { image: 104, keyframe: true, source: "human", deleted: true },
  ];
  const cells = timelineCells(frames, boxes);
  assert.deepEqual(cells.map((c) => c.frame_index), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(cells.map((c) => c.state), ["none", "keyframe", "interpolated", "gap", "tracked", "none"]);
  assert.equal(cellSummary(cells), "1 keyframe · 1 interpolated · 1 tracked · 1 gap");
  assert.deepEqual(timelineCells(frames, []).map((c) => c.state), Array(6).fill("none"));
});

test("a tracked box a person adjusted is a keyframe again", () => {
  assert.equal(boxState({ keyframe: true, source: "tracked" }), "keyframe");
  assert.equal(boxState({ keyframe: false, source: "ai" }), "interpolated");
  assert.equal(boxState(null), null);
});

test("copy forward sends the selected saved box, else every box", () => {
  assert.deepEqual(copyForwardBoxes({ id: 7 }), [7]);
  assert.equal(copyForwardBoxes({ id: null }), "all");
  assert.equal(copyForwardBoxes({ id: 7, doomed: true }), "all");
  assert.equal(copyForwardBoxes(null), "all");
  assert.equal(trackOf({ track: "4" }), 4);
  assert.equal(trackOf({ track: null }), null);
});

test("[ and ] find the nearest keyframe before and after the frame", () => {
  const cells = timelineCells(frames, [
    { image: 101, keyframe: true }, { image: 103, keyframe: false }, { image: 104, keyframe: true }, { image: 106, keyframe: true },
  ]);
  assert.equal(neighbourKeyframe(cells, 104, -1), 101);
  assert.equal(neighbourKeyframe(cells, 103, 1), 104);
  assert.equal(neighbourKeyframe(cells, 106, 1), null);
  assert.equal(neighbourKeyframe(cells, 999, 1), null);
});

test("a propagation counts each frame once, whichever socket brought it, and says why it stopped", () => {
  const p = createProgress(10);
  p.add(3);
  p.add("3");
  p.add(4);
  assert.equal(p.done, 2);
  assert.equal(p.text(), "Tracking… 2 / 10 frames");
  assert.equal(p.text("lost"), "Tracked 2 / 10 frames (the tracker lost the object)");
  assert.equal(p.text("failed", "The frame file could not be read."), "Propagation failed: The frame file could not be read. (2 / 10 frames tracked)");
  assert.equal(p.text("failed"), "Propagation failed: unknown reason (2 / 10 frames tracked)");
});

test("a ghost leads on from a track's last box, between its boxes, and not past the end of an ended track", () => {
  const box = (image, x) => ({ image, label: 1, x_min: x, y_min: 0, x_max: x + 10, y_max: 10 });
  const boxes = [box(102, 20), box(104, 40)];
  assert.equal(ghostBox(frames, boxes, 103).x_min, 30); // between its boxes
  assert.equal(ghostBox(frames, boxes, 106).x_min, 40); // after its last: where it was last
  assert.equal(ghostBox(frames, boxes, 101).x_min, 20); // before its first
  assert.equal(ghostBox(frames, boxes, 104), null); // it has a box here
  assert.equal(ghostBox(frames, boxes, 106, { ended: true }), null); // ended at frame 4: nothing past it
  assert.equal(ghostBox(frames, boxes, 105, { ended: true }), null);
  assert.equal(ghostBox(frames, boxes, 103, { ended: true }).x_min, 30); // inside it, still
  assert.equal(ghostBox(frames, boxes, 101, { ended: true }).x_min, 20);
});

test("each track of a label gets its own shade of the label's colour; names stay legible on every shade", () => {
  const shades = [1, 2, 3, 4, 5].map((n) => trackShade("#2ca02c", n));
  assert.equal(shades[0], "#2ca02c");
  assert.equal(new Set(shades).size, 5);
  assert.equal(trackShade("#2ca02c", 11), trackShade("#2ca02c", 1)); // the steps wrap
  for (const s of shades) {
    assert.match(s, /^#[0-9a-f]{6}$/);
    assert.ok(contrastRatio(s, textOn(s)) >= 4.5);
  }
});

test("a box of a track is tagged with the track's number and drawn in its shade; a filled-in box is told apart", () => {
  const store = createStore();
  store.setLabels([{ id: 1, name: "person", color: "#d62728" }]);
  store.setTracks([{ id: 9, label: 1, number: 3 }]);
  store.load([
    { id: 1, label: 1, x_min: 0, y_min: 0, x_max: 5, y_max: 5, track: 9, keyframe: false, source: "interpolated" },
    { id: 2, label: 1, x_min: 0, y_min: 0, x_max: 5, y_max: 5 },
  ]);
  const style = createBoxStyle(store);
  const [tracked, plain] = [store.byId(1), store.byId(2)];
  assert.equal(style.tag(tracked), "person #3");
  assert.equal(style.tag(plain), "person");
  assert.equal(style.color(plain), "#d62728");
  assert.equal(style.color(tracked), trackShade("#d62728", 3));
  assert.ok(isFilledIn(tracked) && !isFilledIn(plain));
  store.upsertTrack({ id: 9, number: 4 });
  assert.equal(style.tag(tracked), "person #4");
  store.removeTrack(9);
  assert.equal(style.tag(tracked), "person"); // a track deleted meanwhile: the box is shown plain
});
