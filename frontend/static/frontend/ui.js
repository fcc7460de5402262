// The annotate page's panels around the canvas: label picker, layers, counts and
// progress, feedback, save status, toasts, the log-in-again banner, the 409 dialog
// and the `?` overlay. Every user string goes in through a text node (lib/dom.js),
// never innerHTML.

import { overlayRows } from "./shortcuts.js";
import { h } from "./lib/dom.js";
import { loginUrl } from "./lib/http.js";
import { AI_MARK } from "./canvas/ai_layer.js";

const $ = (id) => document.getElementById(id);
const FEEDBACK_TEXT = { 1: "Positive", 0: "Neutral", "-1": "Negative" };

export function createUi(app) {
  const { store, layers } = app;

  function labelPicker(current, onPick) {
    const box = $("label-picker");
    box.replaceChildren();
    const labels = store.labels();
    if (!labels.length) box.append(h("span", { class: "muted" }, "No labels in this project yet"));
    labels.forEach((l, i) => {
      box.append(
        h("button", {
          type: "button", class: "label-chip", role: "radio", "aria-checked": String(l.id === current),
          "data-label-id": l.id, title: i < 9 ? `Key ${i + 1}` : null,
          style: `--label-color: ${l.color}`, onclick: () => onPick(l.id),
        }, h("span", { class: "key" }, i < 9 ? String(i + 1) : ""), h("span", { class: "swatch" }), h("span", { class: "name" }, l.name)),
      );
    });
  }

  function layersPanel() {
    const human = $("layer-human");
    const ai = $("layer-ai");
    human.checked = layers.human;
    ai.checked = layers.ai;
    human.onchange = () => layers.setHuman(human.checked);
    ai.onchange = () => layers.setAi(ai.checked);
    const list = $("layer-labels");
    list.replaceChildren();
    for (const l of store.labels()) {
      const input = h("input", { type: "checkbox", "data-label-id": l.id });
      input.checked = layers.labelShown(l.id);
      input.onchange = () => layers.setLabel(l.id, input.checked);
      list.append(h("li", {}, h("label", {}, input, h("span", { class: "swatch", style: `background: ${l.color}` }), h("span", {}, l.name))));
    }
  }

  function syncLayers() {
    $("layer-human").checked = layers.human;
    $("layer-ai").checked = layers.ai;
    for (const input of $("layer-labels").querySelectorAll("input")) input.checked = layers.labelShown(Number(input.dataset.labelId));
  }

  function counts({ evaluated, total, frameBoxes, projectBoxes }) {
    const set = (id, text) => ($(id).textContent = text);
    set("count-frame-boxes", String(frameBoxes));
    set("count-project-boxes", projectBoxes === null ? "–" : String(projectBoxes));
    set("count-evaluated", total === null ? "–" : `${evaluated} / ${total}`);
    const bar = $("progress");
    bar.max = Math.max(1, total || 1);
    bar.value = evaluated || 0;
  }

  function feedback(state) {
    const out = $("feedback-state");
    const r = state?.rating;
    out.textContent = r === null || r === undefined ? "Not rated" : FEEDBACK_TEXT[r];
    out.dataset.rating = r === null || r === undefined ? "" : String(r);
    for (const b of document.querySelectorAll("[data-feedback]")) b.setAttribute("aria-pressed", String(b.dataset.feedback === String(r)));
    const s = state?.summary;
    $("feedback-summary").textContent = s ? `${s.positive} + · ${s.neutral} ○ · ${s.negative} −` : "";
  }

  function saveStatus(unsaved, paused) {
    const out = $("save-status");
    out.dataset.unsaved = String(unsaved);
    out.textContent = paused ? `${unsaved} unsaved — log in again` : unsaved ? `Saving ${unsaved}…` : "All changes saved";
    out.classList.toggle("warn", unsaved > 0);
  }

  function toast(text, level = "info", ms = 4000) {
    const t = h("div", { class: `toast toast-${level}`, role: level === "error" ? "alert" : "status" }, text);
    $("toasts").append(t);
    setTimeout(() => t.remove(), ms);
  }

  function authBanner(show, detail, onRetry) {
    const banner = $("auth-banner");
    banner.hidden = !show;
    if (!show) return;
    $("auth-detail").textContent = detail || "Your session has expired.";
    $("auth-login").href = loginUrl(location);
    $("auth-retry").onclick = onRetry;
  }

  /** 409: show both versions; resolves "mine" or "theirs". */
  function conflict({ mine, current, detail }) {
    const dialog = $("conflict-dialog");
    const describe = (b) =>
      b ? `${store.label(b.label)?.name ?? "?"} at (${Math.round(b.x_min)}, ${Math.round(b.y_min)}) – (${Math.round(b.x_max)}, ${Math.round(b.y_max)})` : "deleted";
    $("conflict-detail").textContent = detail;
    $("conflict-mine").textContent = mine?.doomed ? "deleted" : describe(mine);
    $("conflict-theirs").textContent = `${describe(current)}${current?.updated_by_username ? ` — by ${current.updated_by_username}` : ""}`;
    return new Promise((resolve) => {
      const done = (choice) => {
        dialog.close();
        resolve(choice);
      };
      $("conflict-keep").onclick = () => done("mine");
      $("conflict-take").onclick = () => done("theirs");
      dialog.oncancel = (e) => e.preventDefault(); // a choice is required
      dialog.showModal();
    });
  }

  function helpOverlay() {
    const dialog = $("help-dialog");
    if (dialog.open) return dialog.close();
    const list = $("help-list");
    list.replaceChildren();
    for (const { group, rows } of overlayRows()) {
      const dl = h("dl", { class: "shortcut-list" });
      for (const r of rows) dl.append(h("dt", {}, r.keys.map((k, i) => [i ? " " : "", h("kbd", {}, k)])), h("dd", {}, r.help));
      list.append(h("section", { class: "shortcut-group" }, h("h3", {}, group), dl));
    }
    list.append(legend());
    dialog.showModal();
  }

  /** What the box styles mean (canvas/ai_layer.js's AI_MARK colours, canvas/box_style.js's track shades). */
  function legend() {
    const mark = (m) => h("span", { class: "legend-mark", style: { background: m.bg } }, m.text);
    const row = (sample, text) => [h("dt", {}, sample), h("dd", {}, text)];
    return h(
      "section",
      { class: "shortcut-group", "data-testid": "box-legend" },
      h("h3", {}, "Boxes"),
      h(
        "dl",
        { class: "shortcut-list" },
        row(h("span", { class: "legend-box legend-dashed" }), "AI box waiting for a decision: Enter accepts, Del rejects, dragging it corrects and accepts"),
        row(h("span", { class: "legend-box" }, mark(AI_MARK.accepted)), "AI box accepted as it was"),
        row(h("span", { class: "legend-box" }, mark(AI_MARK.corrected)), "AI box corrected by a person (the model's box is kept for the audit)"),
        row(h("span", { class: "legend-box" }), "box drawn by a person"),
        row(h("span", { class: "legend-box legend-track" }, h("span", { class: "legend-tag" }, "#3")), "box of track 3: its tag says \"name #3\", its colour is a shade of the label's, one per track"),
        row(h("span", { class: "legend-box legend-dotted" }), "filled in by interpolation or the tracker (not a keyframe): thin and dotted until a person adjusts it"),
        row(h("span", { class: "legend-box legend-dotted" }, mark(AI_MARK.tracked)), "box the tracker propagated: confirm it by adjusting it, or delete it"),
      ),
    );
  }

  function selection(box) {
    const out = $("selection-info");
    if (!box) return void (out.textContent = "No box selected. Drag on the frame to draw one.");
    const label = store.label(box.label);
    const state = box.save ? ` · ${box.save}${box.error ? `: ${box.error}` : ""}` : "";
    const track = store.track(box.track);
    const name = `${label ? label.name : "?"}${track ? ` #${track.number}` : ""}${box.keyframe === false ? " (filled in)" : ""}`;
    out.textContent = `${name} · ${Math.round(box.x_max - box.x_min)}×${Math.round(box.y_max - box.y_min)} px at (${Math.round(box.x_min)}, ${Math.round(box.y_min)}) · ${box.source}${box.updated_by_username ? ` · ${box.updated_by_username}` : ""}${state}`;
  }

  /** A sidebar section for extensions (ai/panel.js, live.js, review.js): returns its body element. */
  function panel(id, title) {
    let section = document.getElementById(id);
    if (!section) {
      section = h("section", { class: "panel", id }, h("h2", {}, title), h("div", { class: "panel-body" }));
      $("extension-panels").append(section);
    }
    return section.querySelector(".panel-body");
  }

  return { labelPicker, layersPanel, syncLayers, counts, feedback, saveStatus, toast, authBanner, conflict, helpOverlay, selection, panel };
}
