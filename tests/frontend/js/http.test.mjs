// The one HTTP client (lib/http.js) with a fake fetch: both calling styles, log-in redirects.
import test from "node:test";
import assert from "node:assert/strict";
import { ApiError, createHttp, loginUrl } from "../../../frontend/static/frontend/lib/http.js";
import { fakeFetch } from "./fake_fetch.mjs";

const quiet = { cookie: () => "", meta: () => "tok", sleep: async () => {} };

test("getJSON, sendJSON and getAll give the body, or throw an ApiError with the status and the server's detail", async () => {
  const fetchImpl = fakeFetch([
    { status: 200, body: { id: 1 } },
    { status: 400, body: { name: ["must be unique"] } },
    { status: 200, body: { next: "http://host/api/labels/?page=2", results: [{ id: 1 }] } },
    { status: 200, body: { next: null, results: [{ id: 2 }] } },
    { status: 404, body: { detail: "Not found." } },
  ]);
  const http = createHttp({ fetchImpl, ...quiet });
  assert.deepEqual(await http.getJSON("/api/projects/1/"), { id: 1 });
  await assert.rejects(http.sendJSON("POST", "/api/projects/1/labels/", { name: "car" }), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    assert.deepEqual(err.body, { name: ["must be unique"] });
    return true;
  });
  assert.equal(fetchImpl.calls[1].headers["X-CSRFToken"], "tok", "no cookie: the page's meta token");
  assert.deepEqual(await http.getAll("/api/labels/"), [{ id: 1 }, { id: 2 }]);
  assert.equal(fetchImpl.calls[3].url, "/api/labels/?page=2", "next links are followed on this origin");
  await assert.rejects(http.getJSON("/api/images/9/"), { name: "Error", message: "Not found.", status: 404 });
});

test("a body that is not JSON becomes a detail; an empty one is null", async () => {
  const fetchImpl = fakeFetch([{ status: 502, body: "<html>bad gateway</html>" }, { status: 204 }]);
  const http = createHttp({ fetchImpl, ...quiet });
  assert.deepEqual(await http.request("POST", "/api/x/"), { ok: false, status: 502, body: { detail: "502 error" } });
  assert.deepEqual(await http.request("DELETE", "/api/x/"), { ok: true, status: 204, body: null });
});

test("401, and a 403 after a redirect to the login page, call onUnauthorized; a plain 403 does not", async () => {
  const seen = [];
  const fetchImpl = fakeFetch([{ status: 401, body: { detail: "x" } }, { status: 403, redirected: true }, { status: 403, body: { detail: "no" } }]);
  const http = createHttp({ fetchImpl, ...quiet, onUnauthorized: (r) => seen.push(r.status) });
  await http.request("GET", "/api/a/");
  await http.request("GET", "/api/b/");
  await http.request("GET", "/api/c/");
  assert.deepEqual(seen, [401, 403]);
});

test("the login link brings the user back to the page and its query", () => {
  assert.equal(loginUrl({ pathname: "/projects/3/", search: "?status=new" }), "/accounts/login/?next=%2Fprojects%2F3%2F%3Fstatus%3Dnew");
});
