// The shortcut table (shortcuts.js) and layers (layers.js): pure, shared by the key handler and the overlay.
import test from "node:test";
import assert from "node:assert/strict";
import { SHORTCUTS, comboOf, matchShortcut, isTyping, overlayRows, displayCombo } from "../../../frontend/static/frontend/shortcuts.js";
import { createLayers, layersKey } from "../../../frontend/static/frontend/layers.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

test("every shortcut the issue asks for maps to its action", () => {
  const cases = [
    [key("z", { ctrlKey: true }), "undo"],
    [key("z", { metaKey: true }), "undo"],
    [key("y", { ctrlKey: true }), "redo"],
    [key("Z", { ctrlKey: true, shiftKey: true }), "redo"],
    [key("Delete"), "delete"],
    [key("Backspace"), "delete"],
    [key("a"), "feedback-positive"],
    [key("s"), "feedback-negative"],
    [key("d"), "feedback-neutral"],
    [key("c"), "feedback-clear"],
    [key(","), "previous"],
    [key("<", { shiftKey: true }), "previous"],
    [key("."), "next"],
    [key(">", { shiftKey: true }), "next"],
    [key("p"), "play"],
    [key("?", { shiftKey: true }), "help"],
  ];
  for (const [event, action] of cases) assert.equal(matchShortcut(event)?.action, action, comboOf(event));
});

test("digits 1-9 choose a label by position; plain z or ctrl+a do nothing", () => {
  assert.deepEqual([matchShortcut(key("1")).arg, matchShortcut(key("9")).arg], [1, 9]);
  assert.equal(matchShortcut(key("z")), null);
  assert.equal(matchShortcut(key("a", { ctrlKey: true })), null);
});

test("no two entries claim the same key", () => {
  const seen = new Map();
  for (const e of SHORTCUTS) for (const k of e.keys) {
    assert.ok(!seen.has(k), `${k} is used by ${seen.get(k)} and ${e.action}`);
    seen.set(k, e.action);
  }
});

test("typing in a text field or textarea is not a shortcut; a checkbox is not typing", () => {
  assert.equal(isTyping({ tagName: "INPUT", type: "text" }), true);
  assert.equal(isTyping({ tagName: "INPUT", type: "number" }), true);
  assert.equal(isTyping({ tagName: "TEXTAREA" }), true);
  assert.equal(isTyping({ tagName: "DIV", isContentEditable: true }), true);
  assert.equal(isTyping({ tagName: "INPUT", type: "checkbox" }), false);
  assert.equal(isTyping({ tagName: "CANVAS" }), false);
});

test("the overlay lists every entry, grouped, with readable keys", () => {
  const rows = overlayRows();
  assert.equal(rows.reduce((n, g) => n + g.rows.length, 0), SHORTCUTS.length);
  assert.equal(displayCombo("ctrl+shift+z"), "Ctrl + Shift + Z");
  assert.equal(displayCombo("+"), "+");
});

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, v), m };
}

test("layers hide human boxes, AI boxes and single labels, and persist per user", () => {
  const storage = memoryStorage();
  const layers = createLayers({ storage, userId: 7 });
  const human = { label: 1, source: "human" };
  const ai = { label: 2, source: "ai" };
  assert.ok(layers.visible(human) && layers.visible(ai));
  layers.setHuman(false);
  layers.setLabel(2, false);
  assert.equal(layers.visible(human), false);
  assert.equal(layers.visible(ai), false);
  assert.equal(layers.visiblePrediction({ label: 3 }), true);
  const again = createLayers({ storage, userId: 7 });
  assert.equal(again.visible(human), false);
  assert.equal(again.labelShown(2), false);
  const other = createLayers({ storage, userId: 8 });
  assert.equal(other.visible(human), true, "another user's choice is their own");
  assert.equal(layersKey(7), "hitl.layers.7");
});

test("a corrupt stored choice falls back to showing everything", () => {
  const storage = memoryStorage();
  storage.setItem(layersKey(1), "{not json");
  assert.equal(createLayers({ storage, userId: 1 }).visible({ label: 1, source: "human" }), true);
});
