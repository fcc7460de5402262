// Live collaboration on the annotate page: installLive(app) (app: contract.js's AnnotateApp).
//
// Over /ws/images/{id}/ it applies other people's box.created/updated/deleted (events older
// than the store's version are ignored), shows who else is on the frame and what they just
// did, and "<name> is moving this box" markers pinned over the canvas (app.view()). This
// user's drags (`box.dragging` from the canvas tools) go to the other viewers, at most ~12 per
// second. Everything else the socket says is relayed as a `live:*` event of the contract;
// the boxes others are dragging go to the renderer as `live:drags`. A tracker's
// `track.result {box}` for this frame is applied like box.created, then relayed.
import { connectSocket } from "./lib/socket.js";
import { h, clear } from "./lib/dom.js";
import { applyBoxEvent, applyState, createDragTracker, describeEvent, otherViewers, throttle, viewersText } from "./live_state.js";

const STATUS_TEXT = { connecting: "Connecting…", online: "Live", offline: "Reconnecting…", forbidden: "No access", closed: "Closed" };
const OWN_ECHO_DELAY = 1500; // ms: the create's own REST answer usually lands first
const DRAG_TTL = 1500; // ms without news before a remote drag is dropped
const DRAG_SEND_MS = 80;
const DETECTION = new Set(["detection.started", "detection.result", "detection.done", "detection.failed", "detection.decided"]);
const TRACKS = new Set(["track.created", "track.updated", "track.deleted", "track.result", "track.done"]);

/** Image pixel -> viewport pixel of the canvas. */
function toViewport(app, x, y) {
  const view = app.view();
  const rect = app.canvas.getBoundingClientRect();
  return { x: rect.left + x * view.scale + view.tx, y: rect.top + y * view.scale + view.ty };
}

export function installLive(app) {
  const me = Number(app.user.id);
  const emit = app.emit;
  const redraw = app.render;
  const bar = app.panel("live-panel", "Live");
  bar.classList.add("live-panel");
  const dot = h("span", { class: "dot", "aria-hidden": "true" });
  const connection = h("span", { "data-testid": "live-connection" }, "Connecting…");
  const viewers = h("span", { "data-testid": "live-viewers" }, "");
  const activity = h("span", { class: "muted", "data-testid": "live-activity", "aria-live": "polite" });
  bar.append(h("span", {}, dot, " ", connection), viewers, activity);
  const markers = new Map(); // drag key -> element
  const drags = createDragTracker(DRAG_TTL);
  const dragsChanged = () => {
    emit("live:drags", drags.list());
    redraw();
  };

  function labelName(box) {
    return app.store.label(box?.label)?.name || "";
  }

  function note(message) {
    const text = describeEvent(message, labelName(message.box));
    if (!text) return;
    activity.textContent = text;
    activity.dataset.user = message.user?.username || "";
  }

  function onBox(message) {
    const fromMe = message.user && Number(message.user.id) === me;
    const apply = () => {
      const result = applyBoxEvent(app.store, message, app.imageId);
      if (result === "applied") {
        redraw();
        emit("live:box", message);
      }
      if (!fromMe && result !== "ignored") note(message);
    };
    if (drags.clearBox(message.box?.id)) dragsChanged();
    dropStaleMarkers();
    // This user's own create (another tab, or this tab racing its REST answer): wait for the
    // answer to map the server id first, so the box is not shown twice.
    if (fromMe && message.type === "box.created" && !app.store.byId(message.box?.id)) setTimeout(apply, OWN_ECHO_DELAY);
    else apply();
  }

  function onDrag(message) {
    if (Number(message.image) !== Number(app.imageId) || Number(message.user?.id) === me) return;
    const key = drags.update(message, Date.now());
    let marker = markers.get(key);
    if (!marker) {
      marker = h("div", { class: "drag-marker", "data-testid": "drag-marker" });
      markers.set(key, marker);
      document.body.append(marker);
    }
    const who = message.user?.username || "Someone";
    marker.textContent = message.box == null ? `${who} is drawing a box` : `${who} is moving this box`;
    const at = toViewport(app, message.x_min, message.y_min);
    marker.style.left = `${Math.round(at.x)}px`;
    marker.style.top = `${Math.round(at.y) - 24}px`;
    dragsChanged();
  }

  function dropStaleMarkers() {
    const gone = drags.expire(Date.now());
    const live = new Set(drags.list().map((d) => d.key));
    for (const [key, marker] of markers) {
      if (!live.has(key)) {
        marker.remove();
        markers.delete(key);
      }
    }
    if (gone.length) dragsChanged();
  }

  function showViewers(list) {
    const others = otherViewers(list, me);
    viewers.textContent = viewersText(others);
    emit("live:presence", others);
  }

  function onMessage(message) {
    switch (message.type) {
      case "state":
        applyState(app.store, message.boxes);
        redraw();
        showViewers(message.viewers);
        emit("live:image.status", message.image);
        break;
      case "box.created":
      case "box.updated":
      case "box.deleted":
        onBox(message);
        break;
      case "box.dragging":
        onDrag(message);
        break;
      case "track.result":
        if (message.box) onBox({ ...message, type: "box.updated", box: message.box });
        emit("live:track.result", message);
        break;
      case "presence":
        if (Number(message.image) === Number(app.imageId)) showViewers(message.viewers);
        break;
      case "image.status":
        if (Number(message.image) !== Number(app.imageId)) break;
        if (message.user && Number(message.user.id) !== me) note(message);
        emit("live:image.status", message);
        break;
      case "access":
        emit("live:access", message);
        break;
      case "feedback.updated":
        if (message.user && Number(message.user.id) !== me) note(message);
        emit("live:feedback", message);
        break;
      default:
        if (DETECTION.has(message.type) || TRACKS.has(message.type)) emit(`live:${message.type}`, message);
    }
  }

  const socket = connectSocket(`/ws/images/${app.imageId}/`, {
    onMessage,
    onStatus: (status) => {
      connection.textContent = STATUS_TEXT[status] || status;
      dot.className = `dot ${status}`;
      bar.dataset.live = status;
      emit("live:status", status);
    },
  });
  window.addEventListener("online", () => socket.reconnectNow());

  const sendDrag = throttle((d) => socket.send({ type: "box.dragging", ...d }), DRAG_SEND_MS);
  app.on("box.dragging", (d) => {
    if ([d.x_min, d.y_min, d.x_max, d.y_max].every(Number.isFinite)) {
      sendDrag({ box: d.box ?? null, label: d.label ?? null, x_min: d.x_min, y_min: d.y_min, x_max: d.x_max, y_max: d.y_max });
    }
  });
  const sweeper = setInterval(dropStaleMarkers, 500);

  return {
    socket,
    close() {
      clearInterval(sweeper);
      socket.close();
      for (const marker of markers.values()) marker.remove();
      clear(bar);
    },
  };
}
