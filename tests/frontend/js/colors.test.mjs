// Label colours: the automatic palette, label lists typed by hand, and legible names on any colour.
import test from "node:test";
import assert from "node:assert/strict";
import { PALETTE, autoColors, contrastRatio, parseLabelNames, textOn } from "../../../frontend/static/frontend/lib/colors.js";

test("labels typed as a list: commas or lines, trimmed, repeats in any case dropped", () => {
  assert.deepEqual(parseLabelNames(" gull, tern\n\nheron ,Gull,  big   ship "), ["gull", "tern", "heron", "big ship"]);
  assert.deepEqual(parseLabelNames(""), []);
});

test("new labels take palette colours not yet used, and wrap when the palette runs out", () => {
  assert.deepEqual(autoColors(["a", "b"]), [PALETTE[0], PALETTE[1]]);
  assert.deepEqual(autoColors(["a"], ["#1F77B4"]), [PALETTE[1]]);
  assert.equal(autoColors(Array(12).fill("x"))[11], PALETTE[1]);
});

test("a label name drawn in black or white on its colour has a contrast of at least 4.5:1 for every colour", () => {
  assert.equal(contrastRatio("#000000", "#ffffff").toFixed(1), "21.0");
  for (let r = 0; r < 256; r += 17) {
    for (let g = 0; g < 256; g += 17) {
      for (let b = 0; b < 256; b += 17) {
        const hex = `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
        assert.ok(contrastRatio(hex, textOn(hex)) >= 4.5, `${hex} with ${textOn(hex)}`);
      }
    }
  }
  for (const color of PALETTE) assert.ok(contrastRatio(color, textOn(color)) >= 4.5, color);
});
