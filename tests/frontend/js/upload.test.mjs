// The browser upload's pure rules (pages/upload_plan.js) and the HTTP client's upload().
import test from "node:test";
import assert from "node:assert/strict";
import { naturalCompare, planChunks, selectFiles, shareProgress, summary } from "../../../frontend/static/frontend/pages/upload_plan.js";
import { createHttp } from "../../../frontend/static/frontend/lib/http.js";

const file = (name, size = 10, type = "") => ({ name, size, type });

test("natural order puts frame2 before frame10, ignores case and compares folders first", () => {
  const names = ["frame10.png", "Frame2.png", "frame1.png", "b/frame0.png", "frame_b.png", "a/frame3.png"];
  assert.deepEqual([...names].sort(naturalCompare), ["a/frame3.png", "b/frame0.png", "frame1.png", "Frame2.png", "frame10.png", "frame_b.png"]);
});

test("images and zips are sent in natural order; anything else is left out with a reason", () => {
  const { send, ignored } = selectFiles([file("f10.jpg"), file("notes.txt"), file("f9.PNG"), file("all.zip"), file(".DS_Store"), file("scan", 5, "image/webp")]);
  assert.deepEqual(send.map((f) => f.name), ["all.zip", "f9.PNG", "f10.jpg", "scan"]);
  assert.deepEqual(ignored, [
    { name: "notes.txt", reason: "not an image or a zip" },
    { name: ".DS_Store", reason: "hidden file" },
  ]);
});

test("requests hold a few images under the byte cap; a zip or a big file goes alone", () => {
  const files = [file("a.png", 3), file("b.png", 3), file("c.png", 3), file("d.zip", 1), file("e.png", 20), file("f.png", 1)];
  const chunks = planChunks(files, { maxFiles: 2, maxBytes: 10 });
  assert.deepEqual(chunks.map((c) => c.files.map((f) => f.name)), [["a.png", "b.png"], ["c.png"], ["d.zip"], ["e.png"], ["f.png"]]);
  assert.deepEqual(chunks.map((c) => c.bytes), [6, 3, 1, 20, 1]);
  assert.equal(planChunks(Array.from({ length: 1000 }, (_, i) => file(`${i}.png`, 200_000))).length, 63, "1,000 frames of 200 kB: 16 per request");
});

test("a request's bytes sent are shared out over its files in order; summaries count with plurals", () => {
  assert.deepEqual(shareProgress([file("a", 10), file("b", 10)], 15), [10, 5]);
  assert.deepEqual(shareProgress([file("a", 10)], 99), [10]);
  assert.equal(summary({ stored: 1 }), "1 frame stored");
  assert.equal(summary({ stored: 12, duplicates: 1, skipped: 2, failed: 1 }), "12 frames stored · 1 duplicate not added again · 2 skipped · 1 failed");
});

class FakeXhr {
  static made = [];
  constructor() {
    this.headers = {};
    this.upload = {};
    FakeXhr.made.push(this);
  }
  open(method, url) {
    Object.assign(this, { method, url });
  }
  setRequestHeader(k, v) {
    this.headers[k] = v;
  }
  send(body) {
    this.body = body;
  }
  abort() {
    this.onabort();
  }
  answer(status, text) {
    this.upload.onprogress?.({ loaded: 5, total: 10 });
    Object.assign(this, { status, responseText: text });
    this.onload();
  }
}

test("upload() posts with the CSRF token, reports bytes sent, resolves the JSON answer; aborting resolves aborted", async () => {
  const http = createHttp({ xhrImpl: FakeXhr, cookie: () => "csrftoken=abc", meta: () => "" });
  const seen = [];
  const pending = http.upload("/api/projects/1/images/", "FORM", { onProgress: (l, t) => seen.push([l, t]) });
  const xhr = FakeXhr.made.at(-1);
  assert.equal(xhr.method, "POST");
  assert.equal(xhr.headers["X-CSRFToken"], "abc");
  xhr.answer(201, JSON.stringify({ images: [], duplicates: [] }));
  assert.deepEqual(await pending, { ok: true, status: 201, body: { images: [], duplicates: [] } });
  assert.deepEqual(seen, [[5, 10]]);

  const controller = new AbortController();
  const cancelled = http.upload("/api/projects/1/images/", "FORM", { signal: controller.signal });
  controller.abort();
  assert.equal((await cancelled).aborted, true);

  const refused = http.upload("/api/projects/1/images/", "FORM");
  FakeXhr.made.at(-1).answer(413, "<html>too big</html>");
  assert.deepEqual(await refused, { ok: false, status: 413, body: { detail: "413 error" } });
});

import { plural } from "../../../frontend/static/frontend/lib/constants.js";

test("counts agree with their noun", () => {
  assert.equal(plural(1, "box"), "1 box");
  assert.equal(plural(2, "box"), "2 boxes");
  assert.equal(plural(0, "frame"), "0 frames");
  assert.equal(plural(3, "entry", "entries"), "3 entries");
});

test("a COCO file goes after the images and in no upload request", () => {
  const { send } = selectFiles([file("coco.json"), file("f2.png"), file("f1.png")]);
  assert.deepEqual(send.map((f) => f.name), ["f1.png", "f2.png", "coco.json"]);
  assert.deepEqual(planChunks(send).map((c) => c.files.map((f) => f.name)), [["f1.png", "f2.png"]]);
});
