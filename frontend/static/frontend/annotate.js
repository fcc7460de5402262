// The annotate page's entry point: loads the frame, its labels and boxes through the
// API and wires the store, renderer, tools, autosave, history, layers, shortcuts,
// navigation and panels together, then installs the extensions (AI, live, review,
// queue). Each receives the page's `app` and talks to the rest through its events:
// both are declared, with their payloads, in contract.js. For tests and the console,
// the app is also `window.hitlAnnotate`.

import { createApi } from "./api.js";
import { createEvents } from "./lib/events.js";
import { EVENTS } from "./contract.js";
import { createStore } from "./store.js";
import { createSaves } from "./saves.js";
import { createHistory } from "./history.js";
import { createLayers } from "./layers.js";
import { addShortcut } from "./shortcuts.js";
import { installKeys } from "./keys.js";
import { createRenderer } from "./canvas/render.js";
import { installTools } from "./canvas/tools.js";
import { fitView } from "./canvas/geometry.js";
import { createUi } from "./ui.js";
import { installNav } from "./nav.js";
import { installAi } from "./ai/panel.js";
import { installLive } from "./live.js";
import { installReview } from "./review.js";
import { installQueue } from "./queue.js";
import { installTracks } from "./tracks/panel.js";

const root = document.getElementById("annotate");
const $ = (id) => document.getElementById(id);

async function boot() {
  const data = root.dataset;
  const imageId = Number(data.imageId);
  const projectId = Number(data.projectId);
  const user = { id: Number(document.body.dataset.userId) || null, username: document.body.dataset.username || "" };
  const api = createApi();
  const store = createStore();
  const events = createEvents(EVENTS);
  let view = { scale: 1, tx: 0, ty: 0 };
  let selectedCid = null;
  let currentLabel = null;
  let spaceHeld = false;
  let frameRequested = false;
  let tools = null; // installed once the frame's data is in
  let remoteDrags = []; // live:drags
  let selectedPredictionId = null; // ai.selected

  /** @type {import("./contract.js").AnnotateApp} */
  const app = {
    imageId, projectId, user, api, store, image: null, role: null,
    on: events.on,
    emit: events.emit,
    render() {
      if (frameRequested) return;
      frameRequested = true;
      requestAnimationFrame(() => {
        frameRequested = false;
        app.emit("render", renderer.render());
      });
    },
    selected: () => (selectedCid === null ? null : store.get(selectedCid)),
    view: () => view, // {scale, tx, ty}: screen = image * scale + t, in canvas CSS pixels
    select(cid) {
      selectedCid = cid;
      ui.selection(app.selected());
      app.emit("select", { box: app.selected() });
      app.render();
    },
    addShortcut,
    notify: (text, level) => ui.toast(text, level),
  };
  window.hitlAnnotate = app;

  app.layers = createLayers({ storage: window.localStorage, userId: user.id, onChange: () => (ui.syncLayers(), app.render()) });
  const ui = createUi(app);
  app.panel = ui.panel;
  app.saves = createSaves({ api, store, imageId, emit: app.emit });
  app.history = createHistory({ api, store, saves: app.saves, imageId, emit: app.emit });

  const img = new Image();
  const canvas = $("canvas");
  app.canvas = canvas;
  const renderer = createRenderer(canvas, {
    store, layers: app.layers, view: () => view, image: () => img,
    selected: app.selected, draft: () => (tools ? tools.draft() : null),
    remote: () => remoteDrags,
    selectedPrediction: () => (selectedPredictionId === null ? null : store.prediction(selectedPredictionId)),
  });
  app.on("live:drags", (list) => (remoteDrags = list));
  app.on("ai.selected", ({ prediction }) => (selectedPredictionId = prediction));
  app.renderer = renderer;
  let fitted = true; // follows the window's size until the user zooms or pans
  const setView = (v, fit = false) => {
    fitted = fit;
    view = v;
    $("zoom-level").textContent = `${Math.round(v.scale * 100)}%`;
    app.render();
  };

  // Everything the page needs, in parallel; the frame's size comes with the page.
  const imageSize = { w: Number(data.width), h: Number(data.height) };
  const [imageR, labelsR, boxesR, feedbackR, projectR] = await Promise.all([
    api.image(imageId), api.all(api.labelsUrl(projectId)), api.all(api.boxesUrl(imageId)),
    api.feedback(imageId), api.project(projectId),
  ]);
  if (!imageR.ok || !labelsR.ok || !boxesR.ok) {
    ui.toast("Could not load this frame. Reload the page to try again.", "error", 60000);
    return;
  }
  app.image = imageR.body;
  store.setLabels(labelsR.items);
  store.load(boxesR.items);
  currentLabel = store.labels()[0]?.id ?? null;
  const initialBoxes = store.count();
  const project = projectR.ok ? projectR.body : null;
  app.role = project ? project.role : null;
  app.on("live:access", ({ role }) => {
    if (role && role !== app.role) ui.toast(`Your role in this project is now ${role}.`);
    app.role = role;
  });

  const fit = () => {
    const size = renderer.resize();
    setView(fitView(imageSize.w, imageSize.h, size.width, size.height), true);
  };
  img.onload = () => app.render();
  img.src = api.imageFileUrl(imageId);
  new ResizeObserver(() => {
    if (fitted) return fit();
    renderer.resize();
    app.render();
  }).observe($("stage"));
  fit();

  // A submitted or approved frame is read-only here (review.js shows why and offers to reopen):
  // edits are refused at the source instead of failing on the server later.
  let readOnly = false;
  const READ_ONLY = "This frame is read-only while it is submitted or approved; reopen it to edit.";
  const editable = () => {
    if (readOnly) app.emit("notice", { text: READ_ONLY, level: "info" });
    return !readOnly;
  };
  app.on("review.status", ({ status }) => {
    readOnly = status === "submitted" || status === "approved";
    root.dataset.readonly = String(readOnly);
    if (readOnly) tools?.cancel();
  });

  const pickLabel = (id) => {
    currentLabel = id;
    ui.labelPicker(currentLabel, pickLabel);
    const b = app.selected();
    if (b && b.label !== id && !readOnly) {
      store.patch(b.cid, { label: id });
      app.saves.update(b.cid);
      ui.selection(b);
    }
  };
  ui.labelPicker(currentLabel, pickLabel);
  ui.layersPanel();
  app.on("labels", () => {
    ui.labelPicker(currentLabel, pickLabel);
    ui.layersPanel();
  });

  let projectBoxes = project ? project.box_count : null;
  const refreshCounts = () =>
    ui.counts({
      evaluated: project ? project.feedback_image_count : 0,
      total: project ? project.image_count : null,
      frameBoxes: store.count(),
      projectBoxes: projectBoxes === null ? null : projectBoxes + store.count() - initialBoxes,
    });
  store.subscribe(() => {
    refreshCounts();
    if (selectedCid !== null && !store.get(selectedCid)) app.select(null);
    else if (selectedCid !== null) ui.selection(app.selected());
    app.render();
  });
  refreshCounts();

  // Feedback: optimistic on screen, saved through the same never-dropping queue.
  let rated = feedbackR.ok ? feedbackR.body : { rating: null, summary: null };
  let evaluatedHere = rated.rating !== null && rated.rating !== undefined;
  ui.feedback(rated);
  const rate = (value) => {
    rated = { ...rated, rating: value };
    ui.feedback(rated);
    app.saves.feedback(value);
  };
  app.on("feedback", (body) => {
    if (!body || body.rating === undefined) return;
    const now = body.rating !== null;
    if (project && now !== evaluatedHere) project.feedback_image_count += now ? 1 : -1;
    evaluatedHere = now;
    rated = body;
    ui.feedback(body);
    refreshCounts();
  });
  // Someone else's rating: the frame's tally follows (this user's own rating is theirs to set).
  app.on("live:feedback", (m) => {
    if (!m.summary || Number(m.image) !== Number(imageId)) return;
    rated = { ...rated, summary: m.summary };
    ui.feedback(rated);
  });
  for (const b of document.querySelectorAll("[data-feedback]")) {
    b.onclick = () => rate(b.dataset.feedback === "" ? null : Number(b.dataset.feedback));
  }

  // Save state, log-in-again, conflicts, notices.
  const showSaves = () => ui.saveStatus(app.saves.unsaved(), app.saves.queue.isPaused());
  app.on("saves", showSaves);
  app.on("notice", ({ text, level }) => ui.toast(text, level));
  const resume = () => {
    ui.authBanner(false);
    app.saves.resume();
    showSaves();
  };
  app.on("auth", ({ detail }) => {
    ui.authBanner(true, detail, resume);
    showSaves();
  });
  window.addEventListener("focus", () => app.saves.queue.isPaused() && resume());
  window.addEventListener("online", () => app.saves.resume());
  app.on("conflict", async ({ cid, current, detail }) => {
    const choice = await ui.conflict({ mine: store.get(cid), current, detail });
    if (choice === "mine") app.saves.keepMine(cid, current);
    else app.saves.takeTheirs(cid, current);
  });
  app.on("history", ({ box }) => box && !box.deleted && app.select(store.cidOf(box.id)));
  window.addEventListener("beforeunload", (e) => {
    if (app.saves.unsaved()) e.preventDefault();
  });
  showSaves();

  tools = installTools({
    canvas, store, layers: app.layers, saves: app.saves, getView: () => view, setView,
    imageSize: () => imageSize, currentLabel: () => currentLabel, selectedCid: () => selectedCid,
    select: app.select, requestRender: app.render, spaceHeld: () => spaceHeld, emit: app.emit, editable,
  });
  const nav = installNav(app, { image: app.image, ui });
  app.on("box.drawn", () => nav.stop()); // editing stops playback
  app.on("box.changed", () => nav.stop());

  const actions = installKeys({
    app, canvas, imageSize, fit, pickLabel, rate, nav, tools, ui, editable,
    getView: () => view, setView, setSpace: (on) => (spaceHeld = on),
  });
  $("help-button").onclick = () => ui.helpOverlay();
  $("help-close").onclick = () => $("help-dialog").close();
  $("undo-button").onclick = actions.undo;
  $("redo-button").onclick = actions.redo;
  // Undo/redo buttons follow the server's answer; a saved change makes undo possible.
  const showHistory = (canUndo, canRedo) => {
    $("undo-button").disabled = canUndo === false;
    $("redo-button").disabled = canRedo === false;
  };
  app.on("history", ({ can_undo, can_redo }) => showHistory(can_undo, can_redo));
  app.on("saved", ({ action }) => action && showHistory(true, false));
  api.get(`/api/images/${imageId}/history/?mine=1&page_size=1`).then((r) => r.ok && showHistory(r.body.can_undo, r.body.can_redo));
  // A mouse click on a toolbar button hands the keys back to the canvas (Space pans, not presses).
  for (const bar of document.querySelectorAll(".toolbar, .label-bar")) {
    bar.addEventListener("click", (e) => e.detail > 0 && e.target.closest("button") && canvas.focus({ preventScroll: true }));
  }
  $("delete-button").onclick = actions.delete;

  installAi(app);
  installLive(app);
  installReview(app, { role: app.role, panel: ui.panel("review-panel", "Review") });
  installQueue(app, nav);
  installTracks(app, nav);
  ui.selection(null);
  root.dataset.ready = "true";
  app.emit("ready", app);
  app.render();
}

boot().catch((err) => {
  console.error(err);
  root.dataset.ready = "error";
});
