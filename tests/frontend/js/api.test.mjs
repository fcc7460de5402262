// The REST client (api.js) with a fake fetch: CSRF from the cookie, JSON, retries on reads only.
import test from "node:test";
import assert from "node:assert/strict";
import { createApi } from "../../../frontend/static/frontend/api.js";
import { csrfFromCookie } from "../../../frontend/static/frontend/lib/http.js";
import { fakeFetch } from "./fake_fetch.mjs";

test("the CSRF token is read from the cookie on every write", async () => {
  assert.equal(csrfFromCookie("a=1; csrftoken=abc%3D; b=2"), "abc=");
  let cookie = "csrftoken=first";
  const fetchImpl = fakeFetch([{ status: 201, body: { id: 1 } }, { status: 200, body: {} }]);
  const api = createApi({ fetchImpl, cookie: () => cookie, meta: () => "meta" });
  const r = await api.createBox(4, { label: 1 });
  assert.deepEqual(r, { ok: true, status: 201, body: { id: 1 } });
  cookie = "csrftoken=second";
  await api.updateBox(1, { version: 1 });
  assert.equal(fetchImpl.calls[0].headers["X-CSRFToken"], "first");
  assert.equal(fetchImpl.calls[1].headers["X-CSRFToken"], "second");
  assert.equal(fetchImpl.calls[0].body, JSON.stringify({ label: 1 }));
  assert.equal(fetchImpl.calls[0].headers["Idempotency-Key"], undefined);
  assert.equal(fetchImpl.calls[1].url, "/api/boxes/1/");
});

test("reads retry network errors and 5xx with backoff; writes never retry here", async () => {
  const sleeps = [];
  const fetchImpl = fakeFetch(["down", { status: 502, body: "<html>" }, { status: 200, body: { id: 3 } }, "down"]);
  const api = createApi({ fetchImpl, cookie: () => "", meta: () => "", sleep: async (ms) => sleeps.push(ms) });
  const r = await api.image(3);
  assert.deepEqual(r, { ok: true, status: 200, body: { id: 3 } });
  assert.deepEqual(sleeps, [300, 600]);
  const w = await api.deleteBox(3, 2);
  assert.equal(w.status, 0, "a dropped network is status 0, never an exception");
  assert.equal(fetchImpl.calls.length, 4);
  assert.equal(fetchImpl.calls[3].url, "/api/boxes/3/?version=2");
});

test("all() follows pagination to the last page", async () => {
  const fetchImpl = fakeFetch([
    { status: 200, body: { count: 3, next: "http://h/api/images/1/boxes/?page=2", results: [{ id: 1 }, { id: 2 }] } },
    { status: 200, body: { count: 3, next: null, results: [{ id: 3 }] } },
  ]);
  const api = createApi({ fetchImpl, cookie: () => "", meta: () => "" });
  const r = await api.all("/api/images/1/boxes/");
  assert.deepEqual(r.items.map((b) => b.id), [1, 2, 3]);
  assert.equal(fetchImpl.calls[1].url, "/api/images/1/boxes/?page=2");
});

test("a create with a key sends it as the Idempotency-Key header", async () => {
  const fetchImpl = fakeFetch([{ status: 201, body: { id: 1 } }]);
  const api = createApi({ fetchImpl, cookie: () => "", meta: () => "" });
  await api.createBox(4, { label: 1 }, "abc123");
  assert.equal(fetchImpl.calls[0].headers["Idempotency-Key"], "abc123");
  assert.equal(fetchImpl.calls[0].headers["Content-Type"], "application/json");
});
