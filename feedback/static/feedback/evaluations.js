// "Model evaluations" on the dashboard: start one (managers), follow its progress live
// (`evaluation.progress` on the project socket), compare runs (best per column marked), chart
// AP50 per label across runs, open a run in MLflow, and "Use this configuration" (managers).
import { clear, h } from "../frontend/lib/dom.js";
import { pageHttp } from "../frontend/lib/http.js";
import { bestPerColumn, columnValue, labelsOf, promptSummary } from "./evaluation_rules.js";

const RUN_COLORS = ["#2f5fd0", "#c27c0e", "#1f8a4c", "#c4320a", "#7a3fc2", "#0e8a8a"];
const CHART_RUNS = 6;

const fixed = (x, digits = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));

export function installEvaluations({ projectId, draw }) {
  const form = document.getElementById("eval-form");
  const table = document.getElementById("eval-table");
  const errorLine = document.getElementById("eval-error");
  const activeLine = document.getElementById("eval-active");
  const runs = new Map();
  let canManage = false;

  const showError = (error) => {
    errorLine.textContent = error?.body ? Object.values(error.body).flat().join(" ") : String(error?.message || error);
  };

  function cell(run, key, best, digits) {
    const value = columnValue(run, key);
    const isBest = best[key]?.has(run.id);
    return h("td", { class: isBest ? "num best" : "num", title: isBest ? "best of the finished runs" : null },
      fixed(value, digits), isBest ? " ★" : null);
  }

  function progressText(run) {
    if (run.status === "done" || run.status === "failed" && !run.frames) return run.status;
    return `${run.status} ${run.frames_done + run.frames_failed}/${run.frames || "?"}`;
  }

  function actions(run) {
    const out = [];
    if (run.mlflow_url) out.push(h("a", { href: run.mlflow_url, target: "_blank", rel: "noopener" }, "MLflow"));
    else if (run.mlflow_run_id) out.push(h("span", { class: "muted", title: run.mlflow_run_id }, "MLflow ✓"));
    if (canManage && (run.status === "queued" || run.status === "running")) {
      out.push(h("button", { type: "button", class: "btn btn-quiet", onclick: () => act(run, "cancel") }, "Cancel"));
    }
    if (canManage && (run.status === "cancelled" || run.status === "failed")) {
      out.push(h("button", { type: "button", class: "btn btn-quiet", onclick: () => act(run, "resume") }, "Resume"));
    }
    if (canManage && run.status === "done") {
      out.push(h("button", { type: "button", class: "btn", dataset: { promote: run.id },
        onclick: () => act(run, "promote") }, "Use this configuration"));
    }
    return out;
  }

  function render() {
    const list = [...runs.values()].sort((a, b) => b.id - a.id);
    const labels = labelsOf(list);
    const best = bestPerColumn(list, labels);
    clear(table);
    table.append(h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Run"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Detector"),
      h("th", { scope: "col" }, "Prompts"), h("th", { scope: "col", class: "num" }, "mAP"),
      h("th", { scope: "col", class: "num" }, "AP50"), h("th", { scope: "col", class: "num" }, "AP75"),
      labels.map((l) => h("th", { scope: "col", class: "num" }, `AP50 ${l}`)),
      h("th", { scope: "col", class: "num" }, "s/frame"), h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, ""))));
    const body = h("tbody");
    if (!list.length) body.append(h("tr", {}, h("td", { colspan: 11 + labels.length, class: "muted" }, "No evaluation yet.")));
    for (const run of list) {
      const ran = run.detector?.ran || {};
      body.append(h("tr", { dataset: { evaluation: run.id, status: run.status } },
        h("td", {}, `#${run.id}`),
        h("td", { title: run.error || null }, progressText(run)),
        h("td", {}, `${ran.backend || run.backend} ${ran.revision || run.revision || ""}`.trim()),
        h("td", {}, promptSummary(run.prompts)),
        cell(run, "map", best), cell(run, "map_50", best), cell(run, "map_75", best),
        labels.map((l) => cell(run, `ap_50:${l}`, best)),
        cell(run, "seconds_per_frame", best, 3),
        h("td", {}, new Date(run.created_at).toLocaleString()),
        h("td", { class: "eval-actions" }, actions(run))));
    }
    table.append(body);
    renderChart(list.filter((r) => r.status === "done").slice(0, CHART_RUNS), labels);
  }

  function renderChart(done, labels) {
    draw("evaluations", {
      type: "bar",
      data: {
        labels,
        datasets: done.map((run, i) => ({
          label: `#${run.id} ${promptSummary(run.prompts)}`,
          data: labels.map((l) => columnValue(run, `ap_50:${l}`)),
          backgroundColor: RUN_COLORS[i % RUN_COLORS.length],
        })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: { y: { min: 0, max: 1, title: { display: true, text: "AP50" } } } },
    });
  }

  async function act(run, action) {
    errorLine.textContent = "";
    try {
      const body = await pageHttp.sendJSON("POST", `/api/evaluations/${run.id}/${action}/`, {});
      if (action === "promote") {
        runs.set(run.id, body.evaluation);
        showActive(body.project_config);
      } else runs.set(run.id, body);
      render();
    } catch (error) {
      showError(error);
    }
  }

  function showActive(config) {
    if (!config) {
      activeLine.textContent = "Active configuration: the labels' own prompts on the workers' detector.";
      return;
    }
    const prompts = promptSummary(config.prompts);
    activeLine.textContent = `Active configuration (${config.source}): ${config.backend} ${config.revision || ""}, `
      + `prompts ${prompts}` + (config.workers_match ? "." : " — the workers run another detector; restart them with it.");
  }

  async function start(event) {
    event.preventDefault();
    errorLine.textContent = "";
    const data = new FormData(form);
    const prompts = {};
    for (const input of form.querySelectorAll("[data-label]")) if (input.value.trim()) prompts[input.dataset.label] = input.value.trim();
    const payload = { backend: data.get("backend"), revision: data.get("revision") || "", only: data.get("only"), prompts };
    if (data.get("limit")) payload.limit = Number(data.get("limit"));
    try {
      const run = await pageHttp.sendJSON("POST", `/api/projects/${projectId}/evaluations/`, payload);
      runs.set(run.id, run);
      render();
    } catch (error) {
      showError(error);
    }
  }

  async function load() {
    const [project, labels, list, status] = await Promise.all([
      pageHttp.getJSON(`/api/projects/${projectId}/`),
      pageHttp.getAll(`/api/projects/${projectId}/labels/`),
      pageHttp.getAll(`/api/projects/${projectId}/evaluations/`),
      pageHttp.getJSON(`/api/inference/status/?project=${projectId}`),
    ]);
    canManage = project.role === "manager";
    form.hidden = !canManage;
    const fieldset = document.getElementById("eval-prompts");
    clear(fieldset).append(h("legend", {}, "Prompt per label (empty: the label's own)"),
      ...labels.map((l) => h("label", {}, l.name, " ",
        h("input", { type: "text", name: `prompt-${l.id}`, dataset: { label: l.name }, placeholder: l.prompt || l.name, size: 12 }))));
    for (const run of list) runs.set(run.id, run);
    showActive(status.project_config);
    render();
    document.getElementById("evaluations").dataset.loaded = "1";
  }

  form.addEventListener("submit", start);
  load().catch(showError);
  return {
    /** An `evaluation.progress` message from the project socket. */
    onProgress(evaluation) {
      if (!evaluation || !evaluation.id || evaluation.status === "deleted") return;
      runs.set(evaluation.id, evaluation);
      render();
    },
  };
}
