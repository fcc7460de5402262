// The label picker of the AI panel: an AI box whose prompt matches no label of the project is
// accepted as the label chosen here (managers may create it on the spot).

import { h } from "../lib/dom.js";

const enc = encodeURIComponent;

/** @param {{app: import("../contract.js").AnnotateApp, api: any, store: any, canvas: HTMLCanvasElement}} deps */
export function createLabelPicker({ app, api, store, canvas }) {
  /** Resolves the chosen label id, or null when the dialog is dismissed. */
  return function pickLabel(prompt) {
    return new Promise((resolve) => {
      const dialog = h("dialog", { class: "dialog", id: "ai-label-picker", "aria-labelledby": "ai-label-picker-title" });
      const error = h("p", { class: "error-text", role: "alert" });
      const close = (value) => {
        dialog.close();
        dialog.remove();
        canvas.focus({ preventScroll: true });
        resolve(value);
      };
      const choices = store.labels().map((label) =>
        h("button", { type: "button", class: "btn", dataset: { labelId: label.id }, onclick: () => close(label.id) },
          h("span", { class: "swatch", style: { background: label.color } }), label.name));
      const create = app.role === "manager"
        ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "ai-create-label", onclick: async () => {
            const r = await api.request("POST", `/api/projects/${enc(app.projectId)}/labels/`, { body: { name: prompt } });
            if (!r.ok) return void (error.textContent = r.body?.name?.join(" ") || r.body?.detail || `Could not create the label (${r.status}).`);
            store.setLabels([...store.labels(), r.body]);
            app.emit("labels", { labels: store.labels() });
            close(r.body.id);
          } }, `Create label "${prompt}"`)
        : h("p", { class: "muted" }, "A manager of this project can add it as a label.");
      dialog.append(
        h("h2", { id: "ai-label-picker-title" }, `No label for "${prompt}"`),
        h("p", {}, "Accept this AI box as:"),
        h("div", { class: "label-choices" }, choices.length ? choices : h("span", { class: "muted" }, "This project has no labels yet.")),
        create,
        error,
        h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "btn", onclick: () => close(null) }, "Cancel")),
      );
      dialog.addEventListener("cancel", () => close(null));
      document.body.append(dialog);
      dialog.showModal();
    });
  }
}
