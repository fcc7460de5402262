// Live collaboration on the annotate page. The canvas app calls installLive(app) with
// app = {imageId, projectId, user, store, api, render(), on(event, fn), emit(event, data), selected()}.
//
// Over /ws/images/{id}/ it applies other people's box.created/updated/deleted (events older
// than the store's version are ignored), shows who else is on the frame, the frame's review
// status and a rejected frame's comment (review.js), and "<name> is moving this box" markers.
// This user's drags are sent to the other viewers, at most ~12 per second: the canvas may
// app.emit("box.dragging", {box, x_min, y_min, x_max, y_max, label}) (box: server id, or null
// while drawing a new one); otherwise a pointer drag that moves the selected box counts.
// app.view() -> {scale, tx, ty} (or app.toScreen(x, y)) pins drag markers on the canvas; the
// current remote drags are also on app.remoteDrags.list() for a renderer that draws them.
// Events for the page: live:image.status, live:feedback, live:presence, live:status, live:box.
import { connectSocket } from "./socket.js";
import { h, clear } from "./pages/dom.js";
import { applyBoxEvent, applyState, createDragTracker, describeEvent, otherViewers, throttle, viewersText } from "./live_state.js";
import { installReview } from "./review.js";

const STATUS_TEXT = { connecting: "Connecting…", online: "Live", offline: "Reconnecting…", forbidden: "No access", closed: "Closed" };
const OWN_ECHO_DELAY = 1500; // ms: the create's own REST answer usually lands first

function liveBar(app) {
  // The annotate page offers sidebar panels; elsewhere a bar on top of the main area.
  if (app.panel) {
    const body = app.panel("live-panel", "Live");
    body.classList.add("live-panel");
    return body;
  }
  const existing = document.querySelector("[data-live-bar]");
  const bar = existing || h("div", { "data-live-bar": "" });
  bar.classList.add("live-bar");
  if (!existing) (document.querySelector("main") || document.body).prepend(bar);
  return bar;
}

/**
 * Report this user's drags of a saved box to the others. The canvas may emit "box.dragging"
 * itself; without that, a pointer drag that changes the selected box's geometry is one.
 */
function watchOwnDrags(app, send) {
  if (app.on) app.on("box.dragging", (d) => d && send(d));
  const canvas = app.canvas || document.getElementById("canvas");
  if (!canvas) return;
  let start = null;
  const geometry = (b) => (b ? [b.x_min, b.y_min, b.x_max, b.y_max].join(",") : "");
  canvas.addEventListener("pointerdown", () => {
    start = geometry(app.selected && app.selected());
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!(event.buttons & 1) || start === null) return;
    const b = app.selected && app.selected();
    if (!b || b.id == null || geometry(b) === start) return;
    send({ box: b.id, label: b.label, x_min: b.x_min, y_min: b.y_min, x_max: b.x_max, y_max: b.y_max });
  });
  window.addEventListener("pointerup", () => {
    start = null;
  });
}

/** Image pixel -> viewport pixel, from app.toScreen or the canvas view {scale, tx, ty}; null if unknown. */
function toScreen(app, x, y) {
  if (app.toScreen) return app.toScreen(x, y);
  const canvas = app.canvas || document.getElementById("canvas");
  const view = app.view && app.view();
  if (!canvas || !view) return null;
  const rect = canvas.getBoundingClientRect();
  return { x: rect.left + x * view.scale + view.tx, y: rect.top + y * view.scale + view.ty };
}

export function installLive(app) {
  const me = Number(app.user?.id ?? document.body.dataset.userId);
  const emit = (event, data) => app.emit && app.emit(event, data);
  const redraw = () => app.render && app.render();
  const bar = liveBar(app);
  const dot = h("span", { class: "dot", "aria-hidden": "true" });
  const connection = h("span", { "data-testid": "live-connection" }, "Connecting…");
  const viewers = h("span", { "data-testid": "live-viewers" }, "");
  const activity = h("span", { class: "muted", "data-testid": "live-activity", "aria-live": "polite" });
  bar.append(h("span", {}, dot, " ", connection), viewers, activity);
  const markers = new Map(); // drag key -> element
  const drags = createDragTracker(1500);
  app.remoteDrags = drags;

  function labelName(box) {
    return box?.label_name || (app.store.label && app.store.label(box?.label)?.name) || "";
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
    drags.clearBox(message.box?.id);
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
    const at = toScreen(app, message.x_min, message.y_min);
    if (at) {
      marker.style.left = `${Math.round(at.x)}px`;
      marker.style.top = `${Math.round(at.y) - 24}px`;
      marker.style.position = "fixed";
    } else {
      // No coordinates from the canvas: pin the note to the live bar instead.
      marker.style.position = "static";
      if (marker.parentNode !== bar) bar.append(marker);
    }
    redraw();
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
    if (gone.length) redraw();
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
      case "presence":
        if (Number(message.image) === Number(app.imageId)) showViewers(message.viewers);
        break;
      case "image.status":
        if (Number(message.image) !== Number(app.imageId)) break;
        if (message.user && Number(message.user.id) !== me) note(message);
        emit("live:image.status", message);
        break;
      case "feedback.updated":
        if (message.user && Number(message.user.id) !== me) note(message);
        emit("live:feedback", message);
        break;
      default:
        if (message.type.startsWith("detection.")) emit(`live:${message.type}`, message);
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

  const sendDrag = throttle((d) => socket.send({ type: "box.dragging", ...d }), 80);
  watchOwnDrags(app, (d) => {
    if ([d.x_min, d.y_min, d.x_max, d.y_max].every(Number.isFinite)) {
      sendDrag({ box: d.box ?? null, label: d.label ?? null, x_min: d.x_min, y_min: d.y_min, x_max: d.x_max, y_max: d.y_max });
    }
  });
  const sweeper = setInterval(dropStaleMarkers, 500);
  const review = installReview(app, { bar: app.panel ? app.panel("review-panel", "Review") : bar });

  return {
    socket,
    review,
    close() {
      clearInterval(sweeper);
      socket.close();
      for (const marker of markers.values()) marker.remove();
      clear(bar);
    },
  };
}
