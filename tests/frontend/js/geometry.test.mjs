// Pure geometry of the canvas (frontend/static/frontend/canvas/geometry.js).
import test from "node:test";
import assert from "node:assert/strict";
import {
  preferMove, fitView, toImage, toScreen, zoomAt, hitBox, hitHandle, handlePoint, resizeBox, moveBox, rectFromPoints, roundBox, HANDLES,
} from "../../../frontend/static/frontend/canvas/geometry.js";

test("fitting a 640x480 frame into 1000x500 scales by height and centres horizontally", () => {
  const v = fitView(640, 480, 1000, 500, 10);
  assert.equal(v.scale, 480 / 480 * (500 - 20) / 480);
  assert.equal(v.ty, (500 - 480 * v.scale) / 2);
  assert.equal(v.tx, (1000 - 640 * v.scale) / 2);
});

test("image and screen coordinates round-trip", () => {
  const v = { scale: 2.5, tx: 13, ty: -7 };
  const s = toScreen(v, 100, 40);
  assert.deepEqual(s, { x: 263, y: 93 });
  assert.deepEqual(toImage(v, s.x, s.y), { x: 100, y: 40 });
});

test("zooming keeps the image point under the cursor in place", () => {
  const v = { scale: 1.3, tx: 40, ty: 25 };
  const before = toImage(v, 300, 200);
  const z = zoomAt(v, 300, 200, 1.7);
  assert.ok(Math.abs(z.scale - 2.21) < 1e-9);
  const after = toImage(z, 300, 200);
  assert.ok(Math.abs(after.x - before.x) < 1e-9 && Math.abs(after.y - before.y) < 1e-9);
});

test("zoom is bounded", () => {
  assert.equal(zoomAt({ scale: 1, tx: 0, ty: 0 }, 0, 0, 1e9).scale, 64);
  assert.equal(zoomAt({ scale: 1, tx: 0, ty: 0 }, 0, 0, 1e-9).scale, 0.02);
});

test("hit-testing picks the smallest box under the point and skips hidden ones", () => {
  const big = { id: 1, x_min: 0, y_min: 0, x_max: 100, y_max: 100 };
  const small = { id: 2, x_min: 40, y_min: 40, x_max: 60, y_max: 60 };
  assert.equal(hitBox([big, small], 50, 50), small);
  assert.equal(hitBox([small, big], 50, 50), small);
  assert.equal(hitBox([big, small], 10, 10), big);
  assert.equal(hitBox([big, small], 150, 10), null);
  assert.equal(hitBox([big, small], 50, 50, (b) => b !== small), big);
});

test("each of the 8 handles is found at its own place on screen", () => {
  const v = { scale: 2, tx: 10, ty: 20 };
  const box = { x_min: 10, y_min: 10, x_max: 110, y_max: 60 };
  for (const h of HANDLES) {
    const p = toScreen(v, handlePoint(box, h).x, handlePoint(box, h).y);
    assert.equal(hitHandle(v, box, p.x + 3, p.y - 3), h);
  }
  assert.equal(hitHandle(v, box, 10 + 60 * 2, 20 + 35 * 2), null); // the centre is no handle
});

test("resizing from a corner moves only that corner; past the opposite edge it flips", () => {
  const start = { x_min: 10, y_min: 10, x_max: 50, y_max: 40 };
  assert.deepEqual(resizeBox(start, "se", 20, 5, 640, 480), { x_min: 10, y_min: 10, x_max: 70, y_max: 45 });
  assert.deepEqual(resizeBox(start, "n", 99, 5, 640, 480), { x_min: 10, y_min: 15, x_max: 50, y_max: 40 });
  assert.deepEqual(resizeBox(start, "w", 60, 0, 640, 480), { x_min: 50, y_min: 10, x_max: 70, y_max: 40 });
});

test("resizing stays inside the image and at least one pixel wide", () => {
  const start = { x_min: 10, y_min: 10, x_max: 50, y_max: 40 };
  assert.deepEqual(resizeBox(start, "se", 1000, 1000, 640, 480), { x_min: 10, y_min: 10, x_max: 640, y_max: 480 });
  assert.deepEqual(resizeBox(start, "nw", -1000, -1000, 640, 480), { x_min: 0, y_min: 0, x_max: 50, y_max: 40 });
  const thin = resizeBox(start, "e", -40, 0, 640, 480);
  assert.equal(thin.x_max - thin.x_min, 1);
});

test("moving stops at the edges without shrinking the box", () => {
  const start = { x_min: 10, y_min: 10, x_max: 50, y_max: 40 };
  assert.deepEqual(moveBox(start, 5, 7, 640, 480), { x_min: 15, y_min: 17, x_max: 55, y_max: 47 });
  assert.deepEqual(moveBox(start, -100, 1000, 640, 480), { x_min: 0, y_min: 450, x_max: 40, y_max: 480 });
});

test("a drawn rectangle is normalised and clamped; coordinates round to 1/100 px", () => {
  assert.deepEqual(rectFromPoints(100, 90, -5, 20, 640, 480), { x_min: 0, y_min: 20, x_max: 100, y_max: 90 });
  assert.deepEqual(roundBox({ x_min: 1.23456, y_min: 2.005, x_max: 3, y_max: 4.999 }), { x_min: 1.23, y_min: 2.01, x_max: 3, y_max: 5 });
});

test("a press inside a box too small for its handles moves it; on a big box the handles win", () => {
  const v = { scale: 1, tx: 0, ty: 0 };
  const small = { x_min: 10, y_min: 10, x_max: 24, y_max: 24 };
  assert.equal(hitHandle(v, small, 17, 12) !== null, true, "the top handle overlaps the middle");
  assert.equal(preferMove(v, small, 17, 17), true);
  assert.equal(preferMove(v, small, 11, 11), false, "the very corner still resizes");
  const big = { x_min: 10, y_min: 10, x_max: 200, y_max: 200 };
  assert.equal(preferMove(v, big, 105, 105), false);
  assert.equal(preferMove({ scale: 0.1, tx: 0, ty: 0 }, big, 105, 105), true, "zoomed out, the big box is small on screen");
});

import { pointerAt } from "../../../frontend/static/frontend/canvas/geometry.js";

test("a pointer's place on the canvas, on screen and in image pixels", () => {
  assert.deepEqual(pointerAt({ scale: 2, tx: 10, ty: 20 }, { left: 100, top: 50 }, 130, 90), { sx: 30, sy: 40, ix: 10, iy: 10 });
});
