// The project page's "Datasets" panel: the project's exported versions (every member sees the
// list), and for managers an export form (format, which frames) and a zip download per version.
// POST projects/{id}/datasets/ exports and commits a DVC version synchronously, so the button
// stays busy (withBusy) until the new version comes back.
import { pageHttp } from "../lib/http.js";
import { h, clear, withBusy } from "../lib/dom.js";
import { plural } from "../lib/constants.js";
import { fieldErrors } from "./form_errors.js";

// The choices of the API's DatasetCreateInput (annotations/api/datasets.py).
const FORMATS = [["coco", "COCO"], ["yolo", "YOLO"], ["voc", "Pascal VOC"], ["mot", "MOTChallenge"]];
const ONLY = [["approved", "approved frames"], ["submitted", "submitted + approved frames"], ["all", "all frames"]];

function select(name, label, choices) {
  return h("select", { name, "aria-label": label }, choices.map(([value, text]) => h("option", { value }, text)));
}

function versionRow(dataset, manager) {
  const counts = dataset.counts || {};
  const when = new Date(dataset.created_at).toLocaleString();
  return h(
    "li",
    { dataset: { datasetId: dataset.id }, "data-testid": "dataset-version" },
    h("strong", {}, `v${dataset.id} ${dataset.format.toUpperCase()}`),
    h("span", { class: "muted" }, ` ${dataset.only}, ${plural(counts.images || 0, "image")}, ${plural(counts.boxes || 0, "box")} · ${when}`),
    dataset.git_rev ? h("code", { class: "muted", title: `git ${dataset.git_rev} · dvc ${dataset.dvc_hash}` }, ` ${dataset.git_rev.slice(0, 8)}`) : null,
    manager ? h("a", { class: "btn", href: `/api/datasets/${dataset.id}/download/`, download: "", "data-role": "download" }, "Download") : null,
  );
}

export function datasetsPanel(projectId, manager) {
  const list = h("ul", { class: "plain-list", "data-role": "datasets" });
  const note = h("p", { class: "muted", "aria-live": "polite" }, "Loading…");
  const error = h("p", { class: "error-text", role: "alert", "aria-live": "assertive" });
  const format = select("format", "Format", FORMATS);
  const only = select("only", "Frames", ONLY);
  const button = h("button", { type: "submit", class: "btn btn-primary", "data-role": "export" }, "Export");
  const form = manager ? h("form", { class: "form-row", "data-testid": "export-form" }, format, only, button) : null;
  const section = h("section", { class: "card panel", "data-testid": "datasets-panel" }, h("h2", {}, "Datasets"), form, error, note, list);

  async function load() {
    try {
      const versions = await pageHttp.getAll(`/api/projects/${projectId}/datasets/?page_size=100`);
      clear(list).append(...versions.map((d) => versionRow(d, manager)));
      note.textContent = versions.length ? `${plural(versions.length, "version")}` : "No dataset exported yet.";
    } catch (e) {
      note.textContent = `Could not load the datasets: ${e.message}`;
    }
  }

  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    error.textContent = "";
    withBusy(button, async () => {
      note.textContent = "Exporting…";
      try {
        const dataset = await pageHttp.sendJSON("POST", `/api/projects/${projectId}/datasets/`, { format: format.value, only: only.value });
        await load();
        note.textContent = `Exported v${dataset.id}: ${plural(dataset.counts.images, "image")}, ${plural(dataset.counts.boxes, "box")}.`;
      } catch (e) {
        error.textContent = fieldErrors(e);
        await load();
      }
    });
  });
  load();
  return { section, reload: load };
}
