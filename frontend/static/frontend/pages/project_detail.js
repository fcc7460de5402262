// The project page: frames as a thumbnail grid with status, feedback and who is viewing them,
// a status filter, and (by role) the review queue and the members/labels panel.
// Data comes from the REST API; status, progress and presence stay live over /ws/projects/{id}/.
import { pageHttp } from "../lib/http.js";
import { h, clear } from "../lib/dom.js";
import { STATUSES, STATUS_LABELS, roleRank } from "../lib/constants.js";
import { connectSocket } from "../lib/socket.js";
import { FEEDBACK_SYMBOL, feedbackKind, progressOf } from "./status.js";
import { installPanels } from "./project_panels.js";
import { progressBar } from "./progress.js";
import { uploadPanel } from "./upload.js";

const PAGE_SIZE = 48;
const root = document.getElementById("project-app");
const projectId = Number(root.dataset.projectId);
const role = root.dataset.role;
const me = Number(document.body.dataset.userId);

const state = {
  status: new URLSearchParams(location.search).get("status") || "",
  page: Number(new URLSearchParams(location.search).get("page")) || 1,
  counts: null,
  viewers: {}, // image id -> [{id, username}]
  tiles: new Map(), // image id -> tile element
};

const statusLine = root.querySelector('[data-role="status"]');
const progressSlot = h("div", { class: "progress-slot", "data-testid": "project-progress" });
const filters = h("div", { class: "filters", role: "group", "aria-label": "Filter frames by status", "data-testid": "filters" });
const grid = h("ul", { class: "frame-grid", "data-testid": "frame-grid" });
const pager = h("nav", { class: "pager", "aria-label": "Pages" });
const side = h("aside", { class: "stack" });
const uploads = roleRank(role) >= roleRank("manager") ? uploadPanel({ projectId, empty: false, onStored: () => loadFrames() }) : null;
root.append(
  h("div", { class: "layout-side" }, h("section", { "aria-label": "Frames" }, progressSlot, filters, grid, pager, uploads?.section), side),
);

function renderProgress() {
  if (!state.counts) return;
  const progress = progressOf(state.counts);
  clear(progressSlot).append(
    progressBar(progress),
    h("p", { class: "muted" }, `${progress.done} of ${progress.total} frames submitted or reviewed (${progress.percent}%)`),
  );
  renderFilters();
}

function renderFilters() {
  const counts = state.counts ? progressOf(state.counts) : null;
  const button = (value, text, n) =>
    h(
      "button",
      { type: "button", "aria-pressed": String(state.status === value), dataset: { status: value }, onclick: () => setFilter(value) },
      text,
      n === undefined ? null : h("span", { class: "count" }, String(n)),
    );
  clear(filters).append(
    button("", "All", counts ? counts.total : undefined),
    ...STATUSES.map((s) => button(s, STATUS_LABELS[s], counts ? counts.byStatus[s] : undefined)),
  );
}

function setFilter(status) {
  state.status = status;
  state.page = 1;
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  renderFilters();
  loadFrames();
}

function viewersBadge(imageId) {
  const others = (state.viewers[imageId] || []).filter((v) => v.id !== me);
  return h(
    "div",
    { class: "viewers", "data-role": "viewers", "aria-label": others.length ? `Viewing: ${others.map((v) => v.username).join(", ")}` : null },
    others.map((v) => h("span", { class: "viewer" }, v.username)),
  );
}

function setFeedback(tile, rating) {
  tile.querySelector('[data-role="feedback"]')?.remove();
  const kind = feedbackKind(rating);
  tile.dataset.feedback = kind || "";
  if (!kind) return;
  tile.append(h("span", { class: `feedback-marker feedback-${kind}`, "data-role": "feedback", title: `Your rating: ${kind}`, "aria-label": `Your rating: ${kind}` }, FEEDBACK_SYMBOL[kind]));
}

function setTileStatus(tile, status) {
  tile.className = `frame status-${status}`;
  tile.dataset.status = status;
  const badge = tile.querySelector(".badge");
  if (badge) badge.textContent = STATUS_LABELS[status] || status;
}

function tile(image) {
  const li = h(
    "li",
    { class: `frame status-${image.status}`, dataset: { imageId: image.id, status: image.status }, "data-testid": "frame" },
    h(
      "a",
      { href: `/images/${image.id}/`, "aria-label": `Frame ${image.frame_index}, ${STATUS_LABELS[image.status] || image.status}` },
      h("img", { class: "thumb", src: `/api/images/${image.id}/file/?thumb=256`, alt: "", loading: "lazy", width: 256, height: 192 }),
      h("div", { class: "caption" }, h("span", {}, `#${image.frame_index}`), h("span", { class: "badge" }, STATUS_LABELS[image.status] || image.status)),
      frameName(image) ? h("div", { class: "frame-name", title: frameName(image), "data-role": "name" }, frameName(image)) : null,
    ),
    viewersBadge(image.id),
  );
  setFeedback(li, image.my_rating); // the list carries the caller's rating (null when none)
  return li;
}

/** The file name the frame was uploaded with (older frames have it only as original_name). */
function frameName(image) {
  return (image.metadata && image.metadata.original_name) || image.original_name || "";
}

async function loadFrames() {
  const params = new URLSearchParams({ page_size: PAGE_SIZE, page: state.page });
  if (state.status) params.set("status", state.status);
  statusLine.textContent = "Loading frames…";
  try {
    const { results: images, count } = await pageHttp.getJSON(`/api/projects/${projectId}/images/?${params}`);
    clear(grid);
    state.tiles.clear();
    for (const image of images) {
      const li = tile(image);
      state.tiles.set(image.id, li);
      grid.append(li);
    }
    const filtered = state.status ? ` ${STATUS_LABELS[state.status].toLowerCase()}` : "";
    if (count) statusLine.textContent = `${count}${filtered} frame${count === 1 ? "" : "s"}`;
    else if (filtered) statusLine.textContent = `No${filtered} frames.`;
    else statusLine.textContent = uploads ? "No frames yet: add the first ones below (images, a zip or a folder)." : "No frames yet: a manager of this project adds them.";
    uploads?.setEmpty(!count && !filtered);
    renderPager(count);
  } catch (error) {
    statusLine.textContent = `Could not load frames: ${error.message}`;
  }
}

function renderPager(count) {
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
  clear(pager);
  if (pages <= 1) return;
  const go = (page) => () => {
    state.page = page;
    loadFrames();
  };
  pager.append(
    h("button", { type: "button", class: "btn", disabled: state.page <= 1, onclick: go(state.page - 1) }, "Previous"),
    h("span", { class: "muted" }, `Page ${state.page} of ${pages}`),
    h("button", { type: "button", class: "btn", disabled: state.page >= pages, onclick: go(state.page + 1) }, "Next"),
  );
}

function refreshViewers(imageId) {
  const li = state.tiles.get(Number(imageId));
  if (li) li.querySelector('[data-role="viewers"]').replaceWith(viewersBadge(Number(imageId)));
}

function onMessage(message) {
  switch (message.type) {
    case "state":
      if (message.progress) state.counts = message.progress.counts;
      state.viewers = Object.fromEntries(Object.entries(message.viewers || {}).map(([k, v]) => [Number(k), v]));
      renderProgress();
      for (const id of state.tiles.keys()) refreshViewers(id);
      break;
    case "presence":
      state.viewers[Number(message.image)] = message.viewers || [];
      refreshViewers(message.image);
      break;
    case "access":
      // Another manager changed this user's role: the panels depend on it, so the page starts over.
      if (message.role && message.role !== role) location.reload();
      break;
    case "project.progress":
      state.counts = message.counts;
      renderProgress();
      break;
    case "members.changed":
      panels.membersChanged();
      break;
    case "image.status": {
      const li = state.tiles.get(Number(message.image));
      if (li) setTileStatus(li, message.status);
      panels.statusChanged(message);
      break;
    }
    default:
      break;
  }
}

async function loadCountsOnce() {
  // Before the socket's state arrives (or if websockets are blocked): the project's own counts.
  if (state.counts) return;
  const project = await pageHttp.getJSON(`/api/projects/${projectId}/`).catch(() => null);
  if (project && !state.counts) {
    state.counts = project.status_counts;
    renderProgress();
  }
}

const panels = installPanels({ side, projectId, role, me });
renderFilters();
loadFrames();
connectSocket(`/ws/projects/${projectId}/`, {
  onMessage,
  onStatus: (status) => (root.dataset.live = status),
});
setTimeout(loadCountsOnce, 1500);
