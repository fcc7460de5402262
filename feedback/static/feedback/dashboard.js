// AI-audit dashboard: draws GET /api/projects/{id}/metrics/ with Chart.js (served from
// feedback/vendor, no CDN) and refreshes when the project's websocket reports work,
// at most every REFRESH_MS, with a slow poll as a fallback.
// Other apps' pages import only the shared library (frontend/lib/), never a page module.
import { connectSocket } from "../frontend/lib/socket.js";
import { pageHttp } from "../frontend/lib/http.js";
import { plural } from "../frontend/lib/constants.js";
import { installEvaluations } from "./evaluations.js";
import { installThresholds } from "./thresholds.js";

const REFRESH_MS = 4000;
const POLL_MS = 30000;
const COLORS = { accepted: "#1f8a4c", corrected: "#c27c0e", rejected: "#c4320a", pending: "#b8c0cc",
  evaluated: "#2f5fd0", approved: "#1f8a4c", precision: "#2f5fd0", recall: "#c27c0e",
  assisted: "#2f5fd0", manual: "#8a94a3" };
const STATUS_COLORS = { new: "#8a94a3", in_progress: "#2f6fde", submitted: "#c27c0e", approved: "#1f8a4c", rejected: "#c4320a" };

const root = document.getElementById("dashboard");
const projectId = root.dataset.projectId;
const form = document.getElementById("dash-filters");
const charts = {};
let lastFetch = 0;
let pending = null;
let optionsFilled = false;

export const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 1000) / 10}%`);
export const num = (x, digits = 1) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));

/** The query string for the current filters (empty values left out). */
export function filterQuery(formData) {
  const params = new URLSearchParams();
  for (const [key, value] of formData.entries()) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function setStatus(message) {
  text("dash-status", message);
}

function draw(name, config) {
  if (charts[name]) {
    charts[name].data = config.data;
    charts[name].options = config.options;
    charts[name].update("none");
    return;
  }
  const canvas = document.getElementById(`chart-${name}`);
  charts[name] = new window.Chart(canvas, config);
}

const baseOptions = (extra = {}) => ({
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
  plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
  ...extra,
});

function renderKpis(m) {
  const p = m.progress;
  const evaluated = m.detection.frames_evaluated;
  text("kpi-frames", `${evaluated} / ${p.frames_total}`);
  text("kpi-frames-sub", `${p.frames_approved} approved · ${p.frames_pre_annotated} pre-annotated · truth: ${plural(m.ground_truth, "frame")}`);
  text("kpi-pr", `${pct(m.detection.precision)} / ${pct(m.detection.recall)}`);
  text("kpi-pr-sub", `F1 ${pct(m.detection.f1)} · mAP@0.5 ${pct(m.detection.map50)} · IoU ≥ 0.5`);
  text("kpi-accept", pct(m.decisions.acceptance_rate));
  text("kpi-accept-sub", `corrected ${pct(m.decisions.correction_rate)} · rejected ${pct(m.decisions.rejection_rate)} · ${m.decisions.decided} of ${m.decisions.predictions} decided`);
  text("kpi-iou", m.corrections.mean_iou === null ? "–" : num(m.corrections.mean_iou, 2));
  text("kpi-iou-sub", `mean IoU of ${plural(m.corrections.count, "corrected box", "corrected boxes")} with the model's`);
  const r = m.ratings;
  text("kpi-ratings", r.mean === null ? "–" : (r.mean > 0 ? "+" : "") + num(r.mean, 2));
  text("kpi-ratings-sub", `${r.positive} good · ${r.neutral} neutral · ${r.negative} bad (mean of +1 / 0 / −1)`);
}

function renderCharts(m) {
  const days = m.progress_over_time;
  draw("progress", {
    data: {
      labels: days.map((d) => d.date),
      datasets: [
        { type: "bar", label: "evaluated that day", data: days.map((d) => d.frames_evaluated), backgroundColor: "#c9d6f5", yAxisID: "y" },
        { type: "bar", label: "approved that day", data: days.map((d) => d.frames_approved), backgroundColor: "#bfe3cc", yAxisID: "y" },
        { type: "line", label: "frames evaluated (total)", data: days.map((d) => d.total_evaluated), borderColor: COLORS.evaluated, backgroundColor: COLORS.evaluated, tension: 0.2, yAxisID: "y" },
        { type: "line", label: "frames approved (total)", data: days.map((d) => d.total_approved), borderColor: COLORS.approved, backgroundColor: COLORS.approved, tension: 0.2, yAxisID: "y" },
      ],
    },
    options: baseOptions({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
  });
  const labels = m.per_label.filter((l) => l.predictions > 0 || l.human_boxes > 0);
  draw("decisions", {
    type: "bar",
    data: {
      labels: labels.map((l) => l.name),
      datasets: ["accepted", "corrected", "rejected", "pending"].map((status) => ({
        label: status,
        data: labels.map((l) => l[status]),
        backgroundColor: COLORS[status],
      })),
    },
    options: baseOptions({ indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } }),
  });
  draw("revisions", {
    type: "bar",
    data: {
      labels: m.per_revision.map((r) => r.revision || "(none)"),
      datasets: ["precision", "recall"].map((key) => ({
        label: key,
        data: m.per_revision.map((r) => (r[key] === null ? null : Math.round(r[key] * 1000) / 10)),
        backgroundColor: COLORS[key],
      })),
    },
    options: baseOptions({ scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } } }),
  });
  const e = m.effort;
  draw("effort", {
    type: "bar",
    data: {
      labels: ["seconds per frame", "seconds per final box"],
      datasets: [
        { label: `AI-assisted (${e.ai_assisted.frames} frames)`, data: [e.ai_assisted.seconds_per_frame, e.ai_assisted.seconds_per_box], backgroundColor: COLORS.assisted },
        { label: `manual (${e.manual.frames} frames)`, data: [e.manual.seconds_per_frame, e.manual.seconds_per_box], backgroundColor: COLORS.manual },
      ],
    },
    options: baseOptions({ scales: { y: { beginAtZero: true, title: { display: true, text: "active seconds" } } } }),
  });
  text("effort-note", `Active time from each person's edits on a frame; pauses over ${e.idle_threshold_seconds} s are not counted.`);
}

function renderTable(m) {
  const body = document.querySelector("#disagreement-table tbody");
  body.replaceChildren();
  if (!m.disagreement_by_frame.length) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 6;
    cell.className = "muted";
    cell.textContent = "No disagreement on the evaluated frames yet.";
    return;
  }
  for (const f of m.disagreement_by_frame) {
    const row = body.insertRow();
    const link = document.createElement("a");
    link.href = f.url;
    link.textContent = `#${f.frame_index}`;
    row.insertCell().append(link);
    const status = row.insertCell();
    const dot = document.createElement("span");
    dot.className = "status-dot";
    dot.style.background = STATUS_COLORS[f.status] || "#888";
    status.append(dot, f.status.replace("_", " "));
    for (const value of [f.unmatched_human, f.unmatched_predictions, f.mean_iou === null ? "–" : num(f.mean_iou, 2), num(f.disagreement, 2)]) {
      const cell = row.insertCell();
      cell.className = "num";
      cell.textContent = value;
    }
  }
}

function fillOptions(m) {
  if (optionsFilled) return;
  optionsFilled = true;
  const labelSelect = form.elements.label;
  for (const l of m.per_label) {
    if (l.label === null) continue;
    labelSelect.add(new Option(l.name, l.label));
  }
  const revisionSelect = form.elements.revision;
  for (const r of m.per_revision) revisionSelect.add(new Option(r.revision || "(none)", r.revision));
}

async function refresh() {
  pending = null;
  lastFetch = Date.now();
  const { ok, status, body } = await pageHttp.get(`/api/projects/${projectId}/metrics/${filterQuery(new FormData(form))}`);
  if (!ok) {
    text("dash-error", Object.values(body || {}).flat().join(" ") || `Error ${status}`);
    setStatus("");
    return;
  }
  text("dash-error", "");
  fillOptions(body);
  renderKpis(body);
  renderCharts(body);
  renderTable(body);
  root.dataset.loaded = String(Number(root.dataset.loaded || 0) + 1);
  setStatus(`updated ${new Date().toLocaleTimeString()}`);
}

/** Refetch soon, but never more often than every REFRESH_MS. */
function scheduleRefresh() {
  if (pending) return;
  const wait = Math.max(0, lastFetch + REFRESH_MS - Date.now());
  pending = setTimeout(() => refresh().catch(showError), wait);
}

function showError(error) {
  text("dash-error", `Could not load the metrics: ${error.message}`);
}

async function goNext() {
  const body = await pageHttp.getJSON(`/api/projects/${projectId}/next/`);
  if (body.url) window.location.assign(body.url);
  else setStatus("Nothing left to do in this project.");
}

form.addEventListener("change", () => refresh().catch(showError));
form.addEventListener("reset", () => setTimeout(() => refresh().catch(showError), 0));
document.getElementById("dash-next").addEventListener("click", () => goNext().catch(showError));
document.addEventListener("keydown", (event) => {
  if (event.key.toLowerCase() === "n" && !event.ctrlKey && !event.metaKey && !event.altKey
      && !["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName)) goNext().catch(showError);
});

const evaluations = installEvaluations({ projectId, draw });
const thresholds = installThresholds({ projectId });

connectSocket(`/ws/projects/${projectId}/`, {
  onMessage: (message) => {
    if (message.type === "evaluation.progress") evaluations.onProgress(message.evaluation);
    else if (message.type === "detector.config") thresholds.refresh();
    else if (message.type !== "state") scheduleRefresh();
  },
  onStatus: (status) => { root.dataset.live = status; },
  pingEvery: 0,
});
setInterval(scheduleRefresh, POLL_MS);
refresh().catch(showError);
