// Unit tests of the reconnecting websocket: node --test tests/frontend/js
import { test } from "node:test";
import assert from "node:assert/strict";

import { backoffDelay, connectSocket, socketUrl } from "../../../frontend/static/frontend/lib/socket.js";

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen();
  }
  receive(data) {
    this.onmessage({ data: typeof data === "string" ? data : JSON.stringify(data) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose({ code });
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code) {
    this.drop(code);
  }
}

function harness() {
  FakeSocket.all = [];
  const timers = [];
  const messages = [];
  const statuses = [];
  const handle = connectSocket("/ws/images/3/", {
    WebSocketImpl: FakeSocket,
    loc: { protocol: "https:", host: "example.org" },
    setTimer: (fn, ms) => timers.push({ fn, ms }) - 1,
    clearTimer: (id) => (timers[id] = null),
    random: () => 0.5,
    pingEvery: 0,
    onMessage: (m) => messages.push(m),
    onStatus: (s) => statuses.push(s),
  });
  return { handle, timers, messages, statuses };
}

test("urls follow the page's scheme", () => {
  assert.equal(socketUrl("/ws/projects/1/", { protocol: "http:", host: "h:8000" }), "ws://h:8000/ws/projects/1/");
  assert.equal(socketUrl("/ws/projects/1/", { protocol: "https:", host: "h" }), "wss://h/ws/projects/1/");
});

test("backoff grows and is capped", () => {
  const mid = { random: () => 0.5 };
  assert.equal(backoffDelay(0, mid), 375);
  assert.equal(backoffDelay(1, mid), 750);
  assert.equal(backoffDelay(2, mid), 1500);
  assert.equal(backoffDelay(20, mid), 11250);
});

test("messages are parsed, non-JSON and untyped ones dropped", () => {
  const { messages } = harness();
  const ws = FakeSocket.all[0];
  assert.equal(ws.url, "wss://example.org/ws/images/3/");
  ws.open();
  ws.receive({ type: "state", boxes: [] });
  ws.receive("not json");
  ws.receive({ no: "type" });
  assert.deepEqual(messages, [{ type: "state", boxes: [] }]);
});

test("a dropped connection reconnects with backoff and gets the state again", () => {
  const { timers, statuses, messages } = harness();
  FakeSocket.all[0].open();
  FakeSocket.all[0].drop();
  assert.equal(statuses.at(-1), "offline");
  assert.equal(timers.length, 1);
  timers[0].fn();
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.all[1].open();
  FakeSocket.all[1].receive({ type: "state", boxes: [{ id: 1 }] });
  assert.equal(statuses.at(-1), "online");
  assert.equal(messages.at(-1).type, "state");
});

test("4403 stops retrying; sending while offline returns false", () => {
  const { handle, timers, statuses } = harness();
  assert.equal(handle.send({ type: "box.dragging" }), false);
  FakeSocket.all[0].open();
  assert.equal(handle.send({ type: "presence.ping" }), true);
  assert.deepEqual(FakeSocket.all[0].sent, [{ type: "presence.ping" }]);
  FakeSocket.all[0].drop(4403);
  assert.equal(statuses.at(-1), "forbidden");
  assert.equal(timers.length, 0);
});

test("close() ends the socket without a retry", () => {
  const { handle, timers, statuses } = harness();
  FakeSocket.all[0].open();
  handle.close();
  assert.equal(statuses.at(-1), "closed");
  assert.equal(timers.length, 0);
});
