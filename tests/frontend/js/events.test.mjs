// The event bus (lib/events.js) and the annotate page's event contract (contract.js).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createEvents } from "../../../frontend/static/frontend/lib/events.js";
import { EVENTS } from "../../../frontend/static/frontend/contract.js";
import { ROLES, STATUSES, STATUS_LABELS, roleRank } from "../../../frontend/static/frontend/lib/constants.js";

test("listeners get the payload, can stop listening, and one that throws does not stop the others", () => {
  const errors = [];
  const bus = createEvents(["saved"], { onError: (err, event) => errors.push([err.message, event]) });
  const got = [];
  bus.on("saved", () => {
    throw new Error("broken");
  });
  const off = bus.on("saved", (p) => got.push(p));
  bus.emit("saved", { cid: 1 });
  off();
  bus.emit("saved", { cid: 2 });
  assert.deepEqual(got, [{ cid: 1 }]);
  assert.deepEqual(errors, [["broken", "saved"], ["broken", "saved"]]);
});

test("an event nobody declared is refused at once, on emit and on listen", () => {
  const bus = createEvents(["saved"]);
  assert.throws(() => bus.emit("save", {}), /Unknown event "save"/);
  assert.throws(() => bus.on("savd", () => {}), /Unknown event "savd"/);
  assert.equal(bus.declares("saved"), true);
});

const ROOT = new URL("../../../frontend/static/frontend/", import.meta.url).pathname;

function annotateModules(dir = ROOT) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "pages") out.push(...annotateModules(path));
    else if (entry.name.endsWith(".js")) out.push(path);
  }
  return out;
}

test("every event the annotate page's modules listen to or emit is declared in the contract", () => {
  const used = new Map();
  const call = /\b(?:on|emit)\(\s*["'`]([^"'`$]+)["'`]/g;
  for (const path of annotateModules()) {
    for (const [, name] of readFileSync(path, "utf8").matchAll(call)) used.set(name, path);
  }
  assert.ok(used.size > 15, `found only ${used.size} event names: the scan is broken`);
  const declared = new Set(EVENTS);
  const unknown = [...used].filter(([name]) => !declared.has(name));
  assert.deepEqual(unknown, []);
  assert.equal(declared.size, EVENTS.length, "no event is declared twice");
});

test("roles rank in order and statuses carry their labels", () => {
  assert.deepEqual(ROLES.map(roleRank), [1, 2, 3]);
  assert.equal(roleRank("guest"), 0);
  assert.equal(roleRank(null), 0);
  assert.deepEqual(Object.keys(STATUS_LABELS), [...STATUSES]);
});
