// A reconnecting websocket to `/ws/images/{id}/` or `/ws/projects/{id}/`.
//
// The server sends the current state (`{type: "state", ...}`) first on every connection,
// so a client that reconnects after a drop replaces what it had instead of trusting
// events it may have missed. Close code 4403 (not a member, logged out) stops retrying.
// No DOM: WebSocket, location and timers are injectable for Node tests.

export const FORBIDDEN = 4403;

/** Exponential backoff with jitter: ~0.5 s, 1 s, 2 s … capped at `max` (ms). */
export function backoffDelay(attempt, { base = 500, max = 15000, random = Math.random } = {}) {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function socketUrl(path, loc = globalThis.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}${path}`;
}

/**
 * connectSocket("/ws/images/3/", {onMessage, onStatus}) -> {send(obj) -> bool, close(), status}
 * onStatus receives "connecting" | "online" | "offline" | "forbidden" | "closed".
 * `pingEvery` (ms) sends `{type: "presence.ping"}` while online (0: never).
 */
export function connectSocket(
  path,
  {
    onMessage = () => {},
    onStatus = () => {},
    pingEvery = 20000,
    WebSocketImpl = globalThis.WebSocket,
    loc = globalThis.location,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (id) => clearTimeout(id),
    random = Math.random,
  } = {},
) {
  let ws = null;
  let attempt = 0;
  let stopped = false;
  let retryTimer = null;
  let pingTimer = null;
  const handle = { status: "connecting", send, close, reconnectNow };

  function setStatus(status) {
    if (handle.status === status) return;
    handle.status = status;
    onStatus(status);
  }

  function schedulePing() {
    if (!pingEvery) return;
    pingTimer = setTimer(() => {
      send({ type: "presence.ping" });
      schedulePing();
    }, pingEvery);
  }

  function open() {
    if (stopped) return;
    setStatus("connecting");
    ws = new WebSocketImpl(socketUrl(path, loc));
    ws.onopen = () => {
      attempt = 0;
      setStatus("online");
      schedulePing();
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message.type === "string") onMessage(message);
    };
    ws.onclose = (event) => {
      if (pingTimer !== null) clearTimer(pingTimer);
      pingTimer = null;
      ws = null;
      if (stopped) return setStatus("closed");
      if (event && event.code === FORBIDDEN) {
        stopped = true;
        return setStatus("forbidden");
      }
      setStatus("offline");
      retryTimer = setTimer(open, backoffDelay(attempt++, { random }));
    };
    ws.onerror = () => {}; // onclose follows and schedules the retry
  }

  function send(message) {
    if (!ws || ws.readyState !== 1) return false; // ephemeral messages are dropped while offline
    ws.send(JSON.stringify(message));
    return true;
  }

  function close() {
    stopped = true;
    if (retryTimer !== null) clearTimer(retryTimer);
    if (pingTimer !== null) clearTimer(pingTimer);
    if (ws) ws.close(1000);
    else setStatus("closed");
  }

  /** Skip the remaining backoff (e.g. the browser says it is online again). */
  function reconnectNow() {
    if (stopped || ws) return;
    if (retryTimer !== null) clearTimer(retryTimer);
    attempt = 0;
    open();
  }

  open();
  return handle;
}
