// AI pre-annotation on the annotate page: the Detect panel, predictions streamed live into
// the canvas's AI layer, and the audit (accept, correct, reject; for one box or the frame).
//
// - The prompt field is pre-filled from the project's labels (a label's prompt, else its name);
//   Detect (button or I) posts it to POST /api/images/{id}/detect/ and shows one row per prompt
//   with a spinner until that prompt's `detection.result` arrives over the websocket (live.js
//   re-emits every `detection.*` message as `live:detection.*`). A job polled through
//   GET /api/jobs/{id}/ covers a socket that is down.
// - Pending predictions are drawn by the renderer (dashed, thinner); a click on one selects it
//   here (outlined), Enter accepts it, Delete rejects it, and the next pending one is selected.
//   Accepting the selected prediction after moving nothing creates a Box with the model's
//   geometry; the server records `accepted` or `corrected` (see inference/services/decisions.py).
// - The active detector (GET /api/inference/status/) and why it was chosen are shown.
//
// Pure helpers (defaultPrompts, splitSupported, hitPrediction, nextPending) are exported for tests.

import { h, clear } from "./pages/dom.js";
import { toImage } from "./canvas/geometry.js";

const PROMPT_RE = /^[A-Za-z][A-Za-z \-]{0,31}$/;
const POLL_MS = 1000;
const enc = encodeURIComponent;

/** The prompts of the labels that are usable as one-noun prompts, lower-cased, no duplicates. */
export function defaultPrompts(labels) {
  const out = [];
  for (const label of labels || []) {
    const prompt = String(label?.prompt || label?.name || "").trim().replace(/\s+/g, " ").toLowerCase();
    if (PROMPT_RE.test(prompt) && !out.includes(prompt)) out.push(prompt);
  }
  return out;
}

/**
 * Split prompts into those the active detector can look for and those it cannot.
 * `supported` is the detector's fixed list, or null/empty when it takes any noun (moondream).
 */
export function splitSupported(prompts, supported) {
  if (!supported || supported.length === 0) return { usable: [...prompts], unsupported: [] };
  const known = new Set(supported.map((p) => String(p).toLowerCase()));
  return {
    usable: prompts.filter((p) => known.has(p)),
    unsupported: prompts.filter((p) => !known.has(p)),
  };
}

/** The smallest pending, visible prediction containing image point (x, y), or null. */
export function hitPrediction(predictions, x, y, visible = () => true) {
  let best = null;
  let bestArea = Infinity;
  for (const p of predictions) {
    if ((p.status && p.status !== "pending") || !visible(p)) continue;
    if (x < p.x_min || x > p.x_max || y < p.y_min || y > p.y_max) continue;
    const area = (p.x_max - p.x_min) * (p.y_max - p.y_min);
    if (area <= bestArea) {
      best = p;
      bestArea = area;
    }
  }
  return best;
}

/** The pending prediction after `id` in list order (wrapping), or null when none is pending. */
export function nextPending(predictions, id) {
  const pending = predictions.filter((p) => !p.status || p.status === "pending");
  if (!pending.length) return null;
  const i = pending.findIndex((p) => p.id === id);
  return pending[(i + 1) % pending.length]; // i = -1 (not pending any more) gives the first
}

const STYLE = `
.ai-panel .ai-row{display:flex;gap:.4rem;align-items:center;flex-wrap:wrap;margin:.25rem 0}
.ai-panel input[type=text]{flex:1;min-width:8rem}
.ai-prompts{list-style:none;padding:0;margin:.25rem 0}
.ai-prompts li{display:flex;gap:.4rem;align-items:center;font-size:.9em}
.ai-spinner{width:.8em;height:.8em;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;display:inline-block;animation:ai-spin .8s linear infinite}
.ai-panel [data-state=done] .ai-spinner,.ai-panel [data-state=failed] .ai-spinner{display:none}
.ai-status{font-size:.8em;opacity:.8}
@keyframes ai-spin{to{transform:rotate(360deg)}}
`;

export function installAi(app) {
  const { api, store, imageId } = app;
  if (!document.getElementById("ai-style")) document.head.append(h("style", { id: "ai-style" }, STYLE));
  const body = app.panel ? app.panel("ai-panel", "AI pre-annotation") : document.body;
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
  const progress = h("ul", { class: "ai-prompts", id: "ai-progress", "aria-live": "polite" });
  const summary = h("p", { class: "ai-status", id: "ai-summary", "aria-live": "polite" });
  const backend = h("p", { class: "ai-status", id: "ai-backend" }, "Detector: …");
  body.append(
    h("div", { class: "ai-row" }, promptInput, detectButton),
    progress,
    h("div", { class: "ai-row" }, acceptAll, rejectAll),
    summary,
    backend,
  );

  let job = null; // {id, prompts, status}
  let selectedId = null;
  let pollTimer = null;

  const pending = () => store.predictions().filter((p) => !p.status || p.status === "pending");
  const selectedPrediction = () => (selectedId === null ? null : store.prediction(selectedId));

  function refreshSummary() {
    const n = pending().length;
    summary.textContent = n ? `${n} AI box${n === 1 ? "" : "es"} to review. Enter accepts, Del rejects.` : "No AI boxes waiting.";
    summary.dataset.pending = String(n);
    acceptAll.disabled = rejectAll.disabled = n === 0;
  }

  function selectPrediction(id) {
    selectedId = id;
    if (id !== null && app.selected()) app.select(null);
    const p = selectedPrediction();
    body.dataset.selected = p ? String(p.id) : "";
    if (p) summary.textContent = `Selected: ${p.prompt}${p.score != null ? ` (${Math.round(p.score * 100)} %)` : ""}. Enter accepts, Del rejects.`;
    else refreshSummary();
    app.render();
  }

  function applyPredictions(list) {
    for (const p of list) store.upsertPrediction(p);
    if (selectedPrediction()?.status && selectedPrediction().status !== "pending") selectPrediction(null);
    if (selectedId === null && pending().length && !app.selected()) selectPrediction(pending()[0].id);
    refreshSummary();
  }

  async function loadPredictions() {
    const r = await api.all(`/api/images/${enc(imageId)}/predictions/?page_size=10000`);
    if (r.ok) applyPredictions(r.items);
  }

  // --- job progress ---------------------------------------------------------------
  function progressRow(prompt) {
    return progress.querySelector(`li[data-prompt="${CSS.escape(prompt)}"]`);
  }

  function showJob(started) {
    job = { id: started.id, prompts: started.prompts, status: started.status };
    clear(progress);
    for (const prompt of started.prompts) {
      progress.append(
        h("li", { "data-prompt": prompt, "data-state": "running" }, h("span", { class: "ai-spinner", "aria-hidden": "true" }),
          h("span", {}, prompt), h("span", { class: "ai-count muted" }, "")),
      );
    }
    detectButton.disabled = true;
    body.dataset.job = String(job.id);
    body.dataset.jobStatus = job.status;
  }

  function finishJob(status, reason) {
    if (!job) return;
    job.status = status;
    body.dataset.jobStatus = status;
    detectButton.disabled = false;
    clearTimeout(pollTimer);
    for (const li of progress.querySelectorAll("li[data-state=running]")) li.dataset.state = status === "done" ? "done" : "failed";
    if (status === "failed") app.notify?.(`Detection failed: ${reason || "unknown reason"}`, "error");
    loadPredictions(); // whatever a dropped socket missed
  }

  function onResult(message) {
    if (Number(message.image) !== Number(imageId)) return;
    if (job && message.job !== job.id) return;
    const li = progressRow(message.prompt);
    if (li) {
      li.dataset.state = "done";
      li.querySelector(".ai-count").textContent = `${message.predictions.length} found`;
    }
    applyPredictions(message.predictions);
  }

  async function poll() {
    if (!job || job.status === "done" || job.status === "failed") return;
    const r = await api.get(`/api/jobs/${enc(job.id)}/`);
    if (r.ok && (r.body.status === "done" || r.body.status === "failed")) return finishJob(r.body.status, r.body.error);
    pollTimer = setTimeout(poll, POLL_MS);
  }

  async function detect() {
    if (detectButton.disabled) return;
    const prompts = promptInput.value.trim();
    detectButton.disabled = true;
    const r = await api.request("POST", `/api/images/${enc(imageId)}/detect/`, { body: prompts ? { prompts } : {} });
    if (!r.ok) {
      detectButton.disabled = false;
      const detail = r.body?.detail || `Detection could not start (${r.status}).`;
      app.notify?.(detail, r.status === 409 ? "info" : "error");
      summary.textContent = detail;
      return;
    }
    showJob(r.body);
    pollTimer = setTimeout(poll, POLL_MS);
    canvas?.focus({ preventScroll: true }); // so Enter / Del act on the AI boxes, not on this button
  }

  // --- decisions ------------------------------------------------------------------
  async function decide(prediction, action) {
    if (!prediction) return;
    const url = `/api/predictions/${enc(prediction.id)}/${action}/`;
    const r = await api.request("POST", url, { body: {} });
    if (!r.ok) {
      app.notify?.(r.body?.detail || `Could not ${action} this AI box (${r.status}).`, r.status === 409 ? "info" : "error");
      if (r.body?.prediction) applyPredictions([r.body.prediction]);
      return;
    }
    const next = nextPending(store.predictions(), prediction.id);
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
    const r = await api.request("POST", `/api/images/${enc(imageId)}/predictions/${action}-all/`, { body: {} });
    if (!r.ok) return app.notify?.(r.body?.detail || `Could not ${action} all (${r.status}).`, "error");
    if (action === "accept") {
      for (const item of r.body.accepted) {
        store.upsertServer(item.box);
        store.upsertPrediction(item.prediction);
      }
      if (r.body.skipped.length) app.notify?.(`${r.body.skipped.length} AI box(es) have no matching label and were left.`, "info");
    } else {
      for (const p of r.body.rejected) store.upsertPrediction(p);
    }
    selectPrediction(null);
  }

  // --- wiring ---------------------------------------------------------------------
  const canvas = app.canvas || document.getElementById("canvas");
  detectButton.onclick = detect;
  acceptAll.onclick = () => decideAll("accept");
  rejectAll.onclick = () => decideAll("reject");
  promptInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      detect();
    }
  });

  app.addShortcut?.({ action: "ai-detect", keys: ["i"], help: "Detect with the AI (prompts in the AI panel)", group: "AI", run: detect });
  app.addShortcut?.({ action: "ai-accept", keys: ["enter"], help: "Accept the selected AI box", group: "AI", run: () => decide(selectedPrediction(), "accept") });
  app.addShortcut?.({ action: "ai-reject", keys: [], help: "Del: reject the selected AI box", group: "AI" });

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

  canvas?.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || !app.view) return;
    const r = canvas.getBoundingClientRect();
    const at = toImage(app.view(), e.clientX - r.left, e.clientY - r.top);
    const visible = (p) => (app.layers ? app.layers.visiblePrediction(p) : true);
    const hit = hitPrediction(store.predictions(), at.x, at.y, visible);
    if (!hit) return selectPrediction(null);
    e.stopImmediatePropagation(); // a click on an AI box selects it instead of starting a new box
    e.preventDefault();
    canvas.focus({ preventScroll: true });
    selectPrediction(hit.id);
  }, true);
  app.on("select", ({ box }) => box && selectedId !== null && selectPrediction(null));

  // The selected AI box: a thick outline over the renderer's frame, in image coordinates.
  app.on("render", () => {
    const p = selectedPrediction();
    if (!p || !canvas || !app.view) return;
    const v = app.view();
    const ctx = canvas.getContext("2d");
    const dpr = globalThis.devicePixelRatio || 1;
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.setLineDash([6, 3]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#ffd60a";
    ctx.strokeRect(p.x_min * v.scale + v.tx, p.y_min * v.scale + v.ty, (p.x_max - p.x_min) * v.scale, (p.y_max - p.y_min) * v.scale);
    ctx.restore();
  });

  app.on("live:detection.started", (m) => {
    if (Number(m.image) !== Number(imageId)) return;
    if (!job || job.id !== m.job.id) showJob(m.job); // started by someone else, or from another tab
  });
  app.on("live:detection.result", onResult);
  app.on("live:detection.done", (m) => Number(m.image) === Number(imageId) && job?.id === m.job.id && finishJob("done"));
  app.on("live:detection.failed", (m) => Number(m.image) === Number(imageId) && job?.id === m.job.id && finishJob("failed", m.reason));
  app.on("live:detection.decided", (m) => Number(m.image) === Number(imageId) && applyPredictions(m.predictions));
  // Someone accepted an AI box (their Box carries the prediction): take it off the AI layer here too.
  app.on("live:box", (m) => {
    const p = m?.type === "box.created" && m.box?.prediction != null ? store.prediction(m.box.prediction) : null;
    if (p && (!p.status || p.status === "pending")) applyPredictions([{ ...p, status: "accepted" }]);
  });
  // Undo/redo of an accept or a reject changes a prediction's status: fetch them again.
  app.on("history", () => loadPredictions());

  api.get("/api/inference/status/").then((r) => {
    if (!r.ok) return void (backend.textContent = "Detector: unavailable");
    const s = r.body;
    backend.textContent = `Detector: ${s.backend}${s.model ? ` · ${s.model}` : ""}${s.device ? ` · ${s.device}` : ""}`;
    backend.title = s.reason || "";
    backend.dataset.backend = s.backend;
    if (s.supported_prompts) promptInput.title = `Supported prompts: ${s.supported_prompts.join(", ")}`;
    // A detector with a fixed vocabulary (the offline OpenCV one) would refuse the whole job for
    // one unknown label: offer only what it can find, and say what was left out.
    const { usable, unsupported } = splitSupported(defaultPrompts(store.labels()), s.supported_prompts);
    if (!promptEdited && unsupported.length) {
      promptInput.value = usable.join(", ");
      backend.after(h("p", { class: "muted", id: "ai-unsupported" },
        `Not offered (this detector cannot find them): ${unsupported.join(", ")}.`));
    }
  });
  loadPredictions();
  refreshSummary();
  return { detect, decide, selectPrediction, selected: selectedPrediction };
}
