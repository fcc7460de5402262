// "Confidence thresholds" on the dashboard: whether the learnt per-label thresholds are in use
// (managers turn them on or off: PUT /api/projects/{id}/thresholds/), the thresholds, and their
// effect — the review work per detected frame before and after they were turned on (pending AI
// boxes people had to reject, acceptance rate, boxes hidden).
import { clear, h } from "../frontend/lib/dom.js";
import { pageHttp } from "../frontend/lib/http.js";

const fixed = (x, digits = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));
const percent = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)} %`);

export function installThresholds({ projectId }) {
  const root = document.getElementById("thresholds");
  const toggle = document.getElementById("thresholds-enabled");
  const table = document.getElementById("thresholds-table");
  const summary = document.getElementById("thresholds-summary");
  const errorLine = document.getElementById("thresholds-error");

  function row(name, value, side) {
    return h("tr", {}, h("th", { scope: "row" }, name), h("td", { class: "num", dataset: { side: "before" } }, value(side.before)),
      h("td", { class: "num", dataset: { side: "after" } }, side.after ? value(side.after) : "–"));
  }

  function render(state) {
    toggle.checked = state.enabled;
    const values = Object.entries(state.thresholds || {}).map(([name, t]) => `${name} ≥ ${fixed(t)}`);
    summary.textContent = state.enabled
      ? `On since ${new Date(state.since).toLocaleString()}: ${values.join(", ") || "no label"}; AI boxes below are kept but not offered for review.`
      : "Off: every AI box is offered for review.";
    clear(table).append(
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), h("th", { scope: "col", class: "num" }, "before"),
        h("th", { scope: "col", class: "num" }, "after"))),
      h("tbody", {},
        row("frames detected", (w) => String(w.frames), state),
        row("AI boxes rejected per frame", (w) => fixed(w.rejected_per_frame), state),
        row("acceptance rate", (w) => percent(w.acceptance_rate), state),
        row("seconds per AI-assisted frame", (w) => fixed(w.seconds_per_frame), state),
        row("hidden per frame", (w) => fixed(w.hidden_per_frame), state)),
    );
    root.dataset.enabled = state.enabled ? "1" : "0";
  }

  async function load() {
    const [project, state] = await Promise.all([
      pageHttp.getJSON(`/api/projects/${projectId}/`),
      pageHttp.getJSON(`/api/projects/${projectId}/thresholds/`),
    ]);
    toggle.disabled = project.role !== "manager";
    render(state);
    root.dataset.loaded = "1";
  }

  toggle.addEventListener("change", async () => {
    errorLine.textContent = "";
    toggle.disabled = true;
    try {
      render(await pageHttp.sendJSON("PUT", `/api/projects/${projectId}/thresholds/`, { enabled: toggle.checked }));
    } catch (error) {
      toggle.checked = !toggle.checked;
      errorLine.textContent = error?.body?.detail || String(error?.message || error);
    } finally {
      toggle.disabled = false;
    }
  });
  load().catch((error) => { errorLine.textContent = String(error?.message || error); });
  return { refresh: () => load().catch(() => {}) };
}
