import test from "node:test";
import assert from "node:assert/strict";
import { defaultPrompts, splitSupported } from "../../../frontend/static/frontend/ai.js";

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
