// AI pre-annotation on the annotate page: the Detect panel, predictions streamed live into
// the canvas's AI layer, and the audit (accept, correct, reject; for one box or the frame).
//
// - The prompt field is pre-filled from the project's labels (a label's prompt, else its name);
//   Detect (button or I) posts it to POST /api/images/{id}/detect/ and shows one row per prompt
//   with a spinner until that prompt's `live:detection.result` arrives (ai/job.js). A job polled
//   through GET /api/jobs/{id}/ covers a socket that is down.
// - Pending predictions are drawn by the renderer's AI layer (dashed, thinner); a click on one
//   selects it here (the renderer outlines it, told through `ai.selected`), Enter accepts it,
//   Delete rejects it, and the next pending one is selected. Accepting creates a Box with the
//   model's geometry; dragging or resizing a pending box accepts it with the human's (the server
//   records `corrected`, inference/services/decisions.py). A prompt no label matches opens a
//   label picker first. Nothing is decided while the frame is read-only (submitted, approved).
// - The active detector (GET /api/inference/status/?project=ID) and why it was chosen are shown, with
//   the project's configuration (backend, model, revision, prompts, confidence thresholds). While
//   a manager has the thresholds on, pending boxes scored below their label's threshold are kept
//   but hidden ("3 low-confidence boxes hidden — show"): not drawn, not offered by Enter/next, and
//   accept-all / reject-all leave them (the server applies the same rule).
// The rules (which prompts, which box a click picks, which comes next) are in ai/predictions.js.

import { h, withBusy } from "../lib/dom.js";
import { hitHandle, moveBox, pointerAt, preferMove, resizeBox, roundBox } from "../canvas/geometry.js";
import { createJobView } from "./job.js";
import { createLabelPicker } from "./label_picker.js";
import { isReadOnly } from "../review.js";
import {
  belowThreshold, configLine, defaultPrompts, detectorLine, hasLabel, hiddenSummary, hitPrediction, isPending, nextPending,
  pendingOf, pendingSummary, selectedSummary, splitSupported, thresholdsByLabel,
} from "./predictions.js";

const enc = encodeURIComponent;

/** @param {import("../contract.js").AnnotateApp} app */
export function installAi(app) {
  const { api, store, imageId, canvas } = app;
  const body = app.panel("ai-panel", "AI pre-annotation");
  body.classList.add("ai-panel");

  const promptInput = h("input", {
    type: "text", id: "ai-prompts", "aria-label": "Prompts, comma-separated (one noun each)",
    value: defaultPrompts(store.labels()).join(", "), placeholder: "person, car",
  });
  let promptEdited = false;
  promptInput.addEventListener("input", () => { promptEdited = true; }, { once: true });
  const detectButton = h("button", { type: "button", class: "btn btn-primary", id: "ai-detect", title: "Detect (I)" }, "Detect");
  const acceptAll = h("button", { type: "button", class: "btn", id: "ai-accept-all" }, "Accept all");
  const rejectAll = h("button", { type: "button", class: "btn", id: "ai-reject-all" }, "Reject all");
  const summary = h("p", { class: "ai-status", id: "ai-summary", "aria-live": "polite" });
  const backend = h("p", { class: "ai-status", id: "ai-backend" }, "Detector: …");
  const configText = h("p", { class: "ai-status muted", id: "ai-config" });
  const hiddenText = h("span", {});
  const showLowButton = h("button", { type: "button", class: "btn btn-link", id: "ai-show-low" }, "show");
  const hiddenLine = h("p", { class: "ai-status muted", id: "ai-hidden", hidden: true }, hiddenText, " — ", showLowButton);
  const job = createJobView({ app, body, detectButton, onResult: (list) => applyPredictions(list), onFinished: () => loadPredictions() });
  body.append(h("div", { class: "ai-row" }, promptInput, detectButton), job.list, h("div", { class: "ai-row" }, acceptAll, rejectAll), summary, hiddenLine, backend, configText);

  let selectedId = null;
  let readOnly = false; // a submitted or approved frame takes no decisions until it is reopened
  app.on("review.status", ({ status }) => (readOnly = isReadOnly(status)));
  const refuse = () => {
    if (readOnly) app.notify("This frame is read-only while it is submitted or approved; reopen it to edit.", "info");
    return readOnly;
  };
  let thresholds = {}; // {label id: score} while the project's confidence thresholds are on
  let showLow = false;
  const isLow = (p) => !showLow && belowThreshold(p, thresholds);
  const offered = () => store.predictions().filter((p) => !isLow(p));
  const pending = () => pendingOf(offered());
  const selectedPrediction = () => (selectedId === null ? null : store.prediction(selectedId));

  function refreshSummary() {
    const low = pendingOf(store.predictions()).filter((p) => belowThreshold(p, thresholds)).length;
    hiddenLine.hidden = low === 0;
    hiddenLine.dataset.count = String(low);
    hiddenText.textContent = showLow ? `${low} low-confidence box${low === 1 ? "" : "es"} shown` : hiddenSummary(low);
    showLowButton.textContent = showLow ? "hide" : "show";
    const n = pending().length;
    summary.textContent = pendingSummary(n);
    summary.dataset.pending = String(n);
    acceptAll.disabled = rejectAll.disabled = n === 0;
  }

  function selectPrediction(id) {
    selectedId = id;
    if (id !== null && app.selected()) app.select(null);
    const p = selectedPrediction();
    body.dataset.selected = p ? String(p.id) : "";
    if (p) summary.textContent = selectedSummary(p);
    else refreshSummary();
    app.emit("ai.selected", { prediction: p ? p.id : null });
    app.render();
  }

  function applyPredictions(list) {
    for (const p of list) store.upsertPrediction(p);
    const selected = selectedPrediction();
    if (selected && !isPending(selected)) selectPrediction(null);
    if (selectedId === null && pending().length && !app.selected()) selectPrediction(pending()[0].id);
    refreshSummary();
  }

  async function loadPredictions() {
    const r = await api.all(`/api/images/${enc(imageId)}/predictions/?page_size=10000`);
    if (r.ok) applyPredictions(r.items);
  }

  async function detect() {
    if (detectButton.disabled) return;
    const prompts = promptInput.value.trim();
    detectButton.disabled = true;
    const r = await api.request("POST", `/api/images/${enc(imageId)}/detect/`, { body: prompts ? { prompts } : {} });
    if (!r.ok) {
      detectButton.disabled = false;
      const detail = r.body?.detail || `Detection could not start (${r.status}).`;
      app.notify(detail, r.status === 409 ? "info" : "error");
      summary.textContent = detail;
      return;
    }
    job.start(r.body);
    canvas.focus({ preventScroll: true }); // so Enter / Del act on the AI boxes, not on this button
  }

  const pickLabel = createLabelPicker({ app, api, store, canvas });

  // --- decisions ------------------------------------------------------------------
  async function decide(prediction, action, { coords = null, label = null } = {}) {
    if (!prediction || refuse()) return;
    if (action === "accept" && !label && !hasLabel(store.labels(), prediction)) {
      const chosen = await pickLabel(prediction.prompt);
      return chosen ? decide(prediction, action, { coords, label: chosen }) : undefined;
    }
    const body = { ...(coords || {}), ...(label ? { label } : {}) };
    const r = await api.request("POST", `/api/predictions/${enc(prediction.id)}/${action}/`, { body });
    if (!r.ok && action === "accept" && r.status === 400 && r.body?.label && !label) {
      // The prompt matches no label of the project: ask which one (or make it, for managers).
      const chosen = await pickLabel(prediction.prompt);
      if (chosen) return decide(prediction, action, { coords, label: chosen });
      return;
    }
    if (!r.ok) {
      app.notify(r.body?.detail || `Could not ${action} this AI box (${r.status}).`, r.status === 409 ? "info" : "error");
      if (r.body?.prediction) applyPredictions([r.body.prediction]);
      return;
    }
    const next = nextPending(offered(), prediction.id);
    if (action === "accept") {
      store.upsertServer(r.body.box);
      store.upsertPrediction(r.body.prediction);
    } else {
      store.upsertPrediction(r.body);
    }
    selectPrediction(next && next.id !== prediction.id ? next.id : null);
    refreshSummary();
  }

  async function decideAll(action) {
    if (refuse()) return;
    const r = await api.request("POST", `/api/images/${enc(imageId)}/predictions/${action}-all/`, { body: {} });
    if (!r.ok) return app.notify(r.body?.detail || `Could not ${action} all (${r.status}).`, "error");
    if (action === "accept") {
      for (const item of r.body.accepted) {
        store.upsertServer(item.box);
        store.upsertPrediction(item.prediction);
      }
      const left = r.body.skipped.length;
      if (left) app.notify(`${left} AI box${left === 1 ? " has" : "es have"} no matching label and ${left === 1 ? "was" : "were"} left: select ${left === 1 ? "it" : "one"} and press Enter to pick a label.`, "info");
    } else {
      for (const p of r.body.rejected) store.upsertPrediction(p);
    }
    selectPrediction(null);
  }

  // --- wiring ---------------------------------------------------------------------
  detectButton.onclick = detect;
  showLowButton.onclick = () => {
    showLow = !showLow;
    refreshSummary();
    app.render();
  };
  acceptAll.onclick = () => withBusy(acceptAll, () => decideAll("accept")).then(refreshSummary);
  rejectAll.onclick = () => withBusy(rejectAll, () => decideAll("reject")).then(refreshSummary);
  promptInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      detect();
    }
  });

  app.addShortcut({ action: "ai-detect", keys: ["i"], help: "Detect with the AI (prompts in the AI panel)", group: "AI", run: detect });
  app.addShortcut({ action: "ai-accept", keys: ["enter"], help: "Accept the selected AI box", group: "AI", run: () => decide(selectedPrediction(), "accept") });
  app.addShortcut({ action: "ai-reject", keys: [], help: "Del: reject the selected AI box", group: "AI" });

  // Enter/Delete belong to the AI box while one is selected; the page's own Delete handler
  // (delete the selected box) sees the event as handled and leaves it.
  document.addEventListener("keydown", (e) => {
    const p = selectedPrediction();
    if (!p || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target?.tagName || "").toUpperCase();
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || tag === "BUTTON") return;
    if (document.querySelector("dialog[open]")) return;
    if (e.key === "Enter") {
      e.preventDefault();
      decide(p, "accept");
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      decide(p, "reject");
    }
  }, true);

  // A pending AI box can be dragged or resized (handles of the selected one) before it is
  // accepted: letting go accepts it with the human's geometry, one `corrected` decision
  // (one undo step) that keeps the model's geometry on the prediction.
  let drag = null; // {id, mode, handle, sx, sy, ix, iy, start, moved}
  const pointOf = (e) => pointerAt(app.view(), canvas.getBoundingClientRect(), e.clientX, e.clientY);
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const p = pointOf(e);
    const view = app.view();
    const sel = selectedPrediction();
    let handle = sel && isPending(sel) && app.layers.visiblePrediction(sel) ? hitHandle(view, sel, p.sx, p.sy) : null;
    if (handle && preferMove(view, sel, p.ix, p.iy)) handle = null;
    const hit = handle ? sel : hitPrediction(offered(), p.ix, p.iy, app.layers.visiblePrediction);
    if (!hit) return selectPrediction(null);
    e.stopImmediatePropagation(); // a click on an AI box selects it instead of starting a new box
    e.preventDefault();
    canvas.focus({ preventScroll: true });
    selectPrediction(hit.id);
    canvas.setPointerCapture?.(e.pointerId);
    drag = { id: hit.id, mode: handle ? "resize" : "move", handle, ...p, start: { x_min: hit.x_min, y_min: hit.y_min, x_max: hit.x_max, y_max: hit.y_max }, moved: false };
  }, true);
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    e.stopImmediatePropagation();
    const p = pointOf(e);
    if (!drag.moved && Math.hypot(p.sx - drag.sx, p.sy - drag.sy) < 2) return;
    drag.moved = true;
    const { width, height } = app.image;
    const dx = p.ix - drag.ix;
    const dy = p.iy - drag.iy;
    const next = drag.mode === "move" ? moveBox(drag.start, dx, dy, width, height) : resizeBox(drag.start, drag.handle, dx, dy, width, height);
    const current = store.prediction(drag.id);
    if (current) store.upsertPrediction({ ...current, ...next });
    app.render();
  }, true);
  const endDrag = (e, cancelled) => {
    const d = drag;
    if (!d) return;
    drag = null;
    e.stopImmediatePropagation();
    canvas.releasePointerCapture?.(e.pointerId);
    const current = store.prediction(d.id);
    if (!d.moved || !current) return;
    const coords = roundBox(current);
    store.upsertPrediction({ ...current, ...d.start }); // the model's box until the server has the decision
    app.render();
    if (!cancelled) decide(current, "accept", { coords });
  };
  canvas.addEventListener("pointerup", (e) => endDrag(e, false), true);
  canvas.addEventListener("pointercancel", (e) => endDrag(e, true), true);
  app.on("select", ({ box }) => box && selectedId !== null && selectPrediction(null));

  app.on("live:detection.decided", (m) => Number(m.image) === Number(imageId) && applyPredictions(m.predictions));
  // Someone accepted an AI box (their Box carries the prediction): take it off the AI layer here too.
  app.on("live:box", (m) => {
    const p = m.type === "box.created" && m.box?.prediction != null ? store.prediction(m.box.prediction) : null;
    if (p && isPending(p)) applyPredictions([{ ...p, status: "accepted" }]);
  });
  // Undo/redo of an accept or a reject changes a prediction's status: fetch them again.
  app.on("history", () => loadPredictions());

  api.get(`/api/inference/status/?project=${enc(app.projectId)}`).then((r) => {
    if (!r.ok) return void (backend.textContent = "Detector: unavailable");
    const s = r.body;
    configText.textContent = configLine(s.project_config);
    thresholds = thresholdsByLabel(s.project_config, store.labels());
    app.layers.setLowConfidence(isLow);
    const selected = selectedPrediction();
    if (selected && isLow(selected)) selectPrediction(pending()[0]?.id ?? null);
    refreshSummary();
    backend.textContent = detectorLine(s);
    backend.title = s.error || s.reason || "";  // the error names its cause and fix
    backend.dataset.backend = s.backend;
    if (s.supported_prompts) promptInput.title = `Supported prompts: ${s.supported_prompts.join(", ")}`;
    // A detector with a fixed vocabulary (the offline OpenCV one) would refuse the whole job for
    // one unknown label: offer only what it can find, and say what was left out.
    const { usable, unsupported } = splitSupported(defaultPrompts(store.labels()), s.supported_prompts);
    if (!promptEdited && unsupported.length) {
      promptInput.value = usable.join(", ");
      backend.after(h("p", { class: "muted", id: "ai-unsupported" }, `Not offered (this detector cannot find them): ${unsupported.join(", ")}.`));
    }
  });
  loadPredictions();
  refreshSummary();
  return { detect, decide, selectPrediction, selected: selectedPrediction };
}
